//! Links, monitors and exit signals, with Erlang's semantics (DESIGN.md decision 6).
//!
//! Every piece of signal state of a process lives in its [`Signals`], inside the mailbox
//! and under the mailbox lock, next to the status. That is what makes signals from other
//! scheduler threads safe: a signal that must kill a process only marks it
//! ([`Signals::kill`]) and, if it is waiting, makes it runnable; the scheduler that owns
//! the process ends it when it next picks it up, or after its current slice.
//!
//! No code here ever holds two mailbox locks at once. Races between a process ending and
//! another one linking or monitoring it are closed by ordering: the caller records its
//! own side first, then looks at the other process under that process's lock; a process
//! that ends takes its whole [`Signals`] under its lock, so each side sees either the live
//! process or its end, never half of both.

use crate::node::{ExitReason, NodeInner};
use crate::process::{Mailbox, Process, Queued, Status};
use cube_term::{Pid, Reference, TableGraph, TableTerm, Term};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The signal state of one process (guarded by its mailbox lock).
#[derive(Default)]
pub(crate) struct Signals {
    /// Exit signals become `{tag="EXIT"}` messages instead of killing.
    pub trap_exit: bool,
    /// The host asked for the running code to be interrupted with a catchable
    /// "interrupted!" (`NodeHandle::interrupt`, the shell's Ctrl-C); taken at the start
    /// of the next slice. (Here, beside `trap_exit`, it costs no byte.)
    pub interrupt: bool,
    /// The process is an engine's (`engine.rs`): EXIT and DOWN messages reach it as
    /// Erlang tuples, not as Lua records. (A bool beside the others: no byte more.)
    pub erlang: bool,
    /// Its links, monitors and registered name, made on the first one (boxed: most
    /// processes have none, and inline they cost every process 96 bytes).
    pub rel: Option<Box<Relations>>,
    /// Set by a signal that kills the process; the scheduler ends it with this reason.
    /// (Boxed: rare, and it keeps every process's mailbox small.)
    pub kill: Option<Box<ExitReason>>,
}

/// A process's links, monitors and registered name (`Signals::rel`).
#[derive(Default)]
pub(crate) struct Relations {
    /// Linked processes, in link order (links are bidirectional: each side lists the
    /// other).
    pub links: Vec<Pid>,
    /// Monitors on this process: reference -> the monitoring process. A `BTreeMap`
    /// so DOWN messages go out in the order the monitors were made. (Keyed by the
    /// whole reference: a monitor from another node carries that node's reference.)
    pub watchers: BTreeMap<Reference, Pid>,
    /// Monitors this process holds: reference id -> the monitored process. A DOWN is
    /// delivered only while its entry is here, so `demonitor` is final.
    pub monitoring: BTreeMap<u64, Pid>,
    /// Its registered name (`Box<str>`: 8 bytes fewer than a `String`).
    pub name: Option<Box<str>>,
}

impl Signals {
    pub(crate) fn rel(&mut self) -> &mut Relations {
        self.rel.get_or_insert_with(Default::default)
    }

    /// Its linked processes, in link order.
    pub fn links(&self) -> &[Pid] {
        self.rel.as_ref().map_or(&[], |r| &r.links)
    }

    /// Its registered name.
    pub fn name(&self) -> Option<&str> {
        self.rel.as_ref()?.name.as_deref()
    }

    /// Takes its registered name away.
    pub fn take_name(&mut self) -> Option<Box<str>> {
        self.rel.as_mut()?.name.take()
    }

    /// How many monitors it holds.
    pub fn monitoring_len(&self) -> usize {
        self.rel.as_ref().map_or(0, |r| r.monitoring.len())
    }

    pub(crate) fn remove_link(&mut self, pid: Pid) -> bool {
        let Some(rel) = self.rel.as_mut() else {
            return false;
        };
        let before = rel.links.len();
        rel.links.retain(|p| *p != pid);
        rel.links.len() != before
    }

    pub(crate) fn add_link(&mut self, pid: Pid) {
        let links = &mut self.rel().links;
        if !links.contains(&pid) {
            links.push(pid);
        }
    }

    pub(crate) fn remove_monitoring(&mut self, r: u64) -> Option<Pid> {
        self.rel.as_mut()?.monitoring.remove(&r)
    }

    pub(crate) fn remove_watcher(&mut self, r: Reference) -> Option<Pid> {
        self.rel.as_mut()?.watchers.remove(&r)
    }
}

/// Where an exit signal comes from: the two differ in Erlang only for `kill` (untrappable
/// from `exit/2`, an ordinary reason over a link) and `normal` sent to oneself.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Origin {
    /// A linked process ended.
    Link,
    /// `process.exit(pid, reason)`.
    Exit,
}

/// What an exit signal does to its target.
#[derive(Debug, PartialEq)]
enum Action {
    Ignore,
    /// An `{tag="EXIT", pid=from, reason=reason}` message.
    Message,
    Kill(ExitReason),
}

/// Erlang's rules for an exit signal (erlang:exit/2 and link semantics).
fn decide(trap_exit: bool, origin: Origin, reason: &ExitReason, to_self: bool) -> Action {
    let text = reason_text(reason);
    if origin == Origin::Exit && text == "kill" {
        return Action::Kill(reason_from_text("killed"));
    }
    if trap_exit {
        return Action::Message;
    }
    match reason {
        // exit(self(), normal) ends the caller, as in Erlang; otherwise normal is ignored.
        ExitReason::Normal if origin == Origin::Exit && to_self => Action::Kill(ExitReason::Normal),
        ExitReason::Normal => Action::Ignore,
        other => Action::Kill(other.clone()),
    }
}

/// The reason as Lua sees it: "normal", or the error text.
pub(crate) fn reason_text(r: &ExitReason) -> String {
    match r {
        ExitReason::Normal => "normal".to_string(),
        ExitReason::Error { message, .. } => message.clone().unwrap_or_else(|| "nil".into()),
        ExitReason::Term(t) => crate::engine::term_text(t),
    }
}

pub(crate) fn reason_from_text(s: &str) -> ExitReason {
    if s == "normal" {
        ExitReason::Normal
    } else {
        ExitReason::Error {
            message: Some(s.to_string()),
            traceback: None,
        }
    }
}

/// A message that reads as a Lua table with string keys.
pub(crate) fn record(fields: Vec<(&str, Term)>) -> Term {
    let hash = fields
        .into_iter()
        .map(|(k, v)| (Term::binary(k.as_bytes()), v))
        .collect();
    Term::Tables(Arc::new(TableGraph {
        marks: Vec::new(),
        tables: vec![TableTerm {
            array: Vec::new(),
            hash,
        }],
    }))
}

pub(crate) fn exit_message(from: Pid, reason: &ExitReason) -> Term {
    record(vec![
        ("tag", Term::binary(b"EXIT")),
        ("pid", Term::Pid(from)),
        ("reason", Term::binary(reason_text(reason).as_bytes())),
    ])
}

pub(crate) fn down_message(r: Reference, from: Pid, reason: &ExitReason) -> Term {
    record(vec![
        ("tag", Term::binary(b"DOWN")),
        ("ref", Term::Ref(r)),
        ("pid", Term::Pid(from)),
        ("reason", Term::binary(reason_text(reason).as_bytes())),
    ])
}

/// The reason of links and monitors across a lost (or never made) connection.
pub(crate) fn noconnection() -> ExitReason {
    reason_from_text(crate::distribution::NOCONNECTION)
}

/// A waiting process must run to see what just arrived (or to die): returns whether the
/// caller has to queue it.
fn wake(mb: &mut Mailbox) -> bool {
    if mb.status == Status::Waiting {
        mb.status = Status::Runnable;
        true
    } else {
        false
    }
}

/// The outcome of `link` to a process that is not there.
pub(crate) enum LinkResult {
    Linked,
    /// Not trapping exits: the caller raises `noproc`, as Erlang's link/1 does.
    NoProc,
}

impl NodeInner {
    /// Runs `f` on the signal state of `pid` under its mailbox lock; `None` if the
    /// process is unknown or has ended. Queues the process if `f` woke it.
    pub(crate) fn with_live<R>(
        &self,
        pid: Pid,
        f: impl FnOnce(&mut Mailbox) -> (R, bool),
    ) -> Option<R> {
        self.with_live_process(pid, |mb, _| f(mb))
    }

    /// As `with_live`, also lending the process record (for its interrupt flag).
    fn with_live_process<R>(
        &self,
        pid: Pid,
        f: impl FnOnce(&mut Mailbox, &Process) -> (R, bool),
    ) -> Option<R> {
        let p = self.lookup(pid)?;
        let (r, woke) = {
            let mut mb = p.mailbox.lock().expect("mailbox lock");
            if mb.status == Status::Exited {
                return None;
            }
            f(&mut mb, &p)
        };
        if woke {
            self.enqueue(p);
        }
        Some(r)
    }

    /// Delivers an exit signal from `from` to `to`. A link signal acts only while the
    /// link exists, so `unlink` is final.
    pub(crate) fn exit_signal(&self, from: Pid, to: Pid, reason: &ExitReason, origin: Origin) {
        if to.node() != 0 {
            if let Some(d) = self.distribution() {
                match origin {
                    Origin::Link => d.exit(from, to, reason),
                    Origin::Exit => d.exit2(from, to, reason),
                }
            }
            return;
        }
        self.with_live_process(to, |mb, p| {
            if origin == Origin::Link && !mb.sig.remove_link(from) {
                return ((), false);
            }
            match decide(mb.sig.trap_exit, origin, reason, from == to) {
                Action::Ignore => ((), false),
                Action::Message => {
                    // Signal messages are small records (a reason's text at most, bounded
                    // by the sender's heap) and are not counted against the receiver.
                    let term = if mb.sig.erlang {
                        crate::engine::exit_tuple(from, reason)
                    } else {
                        exit_message(from, reason)
                    };
                    mb.inbox.push_back(Queued { term, size: 0 });
                    ((), wake(mb))
                }
                Action::Kill(r) => ((), mb.record_kill(r, &p.interrupt)),
            }
        });
    }

    /// Tells the holder of monitor `r` that `from` ended, unless it demonitored. A
    /// watcher on another node is told through the distribution layer.
    pub(crate) fn deliver_down(&self, watcher: Pid, r: Reference, from: Pid, reason: &ExitReason) {
        if watcher.node() != 0 {
            if let Some(d) = self.distribution() {
                d.monitor_exit(from, watcher, r, reason);
            }
            return;
        }
        if r.node() != 0 {
            return; // a local holder's monitors carry this node's references
        }
        self.with_live(watcher, |mb| {
            if mb.sig.remove_monitoring(r.id()).is_none() {
                return ((), false);
            }
            let msg = if mb.sig.erlang {
                crate::engine::down_tuple(r, from, reason)
            } else {
                down_message(r, from, reason)
            };
            mb.inbox.push_back(Queued { term: msg, size: 0 });
            ((), wake(mb))
        });
    }

    /// Sends the signals of a process that ended with `reason`: exit signals to its
    /// links, DOWN messages to its monitors, and drops the monitors it held.
    pub(crate) fn propagate(&self, pid: Pid, sig: Signals, reason: &ExitReason) {
        let Some(rel) = sig.rel else {
            return;
        };
        let Relations {
            links,
            watchers,
            monitoring,
            ..
        } = *rel;
        for link in links {
            self.exit_signal(pid, link, reason, Origin::Link);
        }
        for (r, watcher) in watchers {
            self.deliver_down(watcher, r, pid, reason);
        }
        for (r, target) in monitoring {
            let r = Reference::new(0, r);
            if target.node() != 0 {
                if let Some(d) = self.distribution() {
                    d.demonitor(pid, target, r);
                }
                continue;
            }
            self.with_live(target, |mb| (mb.sig.remove_watcher(r), false));
        }
    }

    /// Links `me` (the calling, running process) and `other`.
    pub(crate) fn link(&self, me: Pid, other: Pid) -> LinkResult {
        if me == other {
            return LinkResult::Linked;
        }
        self.with_live(me, |mb| (mb.sig.add_link(other), false));
        if other.node() != 0 {
            // As erl: the link is made at once; an unreachable node answers with an
            // exit signal `noconnection` later (or now, without distribution).
            match self.distribution() {
                Some(d) => d.link(me, other),
                None => self.exit_signal(other, me, &noconnection(), Origin::Link),
            }
            return LinkResult::Linked;
        }
        let linked = self
            .with_live(other, |mb| (mb.sig.add_link(me), false))
            .is_some();
        if linked {
            return LinkResult::Linked;
        }
        let (trapping, erlang) = self
            .with_live(me, |mb| {
                mb.sig.remove_link(other);
                ((mb.sig.trap_exit, mb.sig.erlang), false)
            })
            .unwrap_or((false, false));
        if trapping {
            let noproc = reason_from_text("noproc");
            let msg = if erlang {
                crate::engine::exit_tuple(other, &noproc)
            } else {
                exit_message(other, &noproc)
            };
            self.send(me, msg);
            return LinkResult::Linked;
        }
        LinkResult::NoProc
    }

    pub(crate) fn unlink(&self, me: Pid, other: Pid) {
        self.with_live(me, |mb| (mb.sig.remove_link(other), false));
        if other.node() != 0 {
            if let Some(d) = self.distribution() {
                d.unlink(me, other);
            }
            return;
        }
        self.with_live(other, |mb| (mb.sig.remove_link(me), false));
    }

    /// Records, before the child exists, the parent's side of a `spawn_link`.
    pub(crate) fn link_parent_side(&self, parent: Pid, child: Pid) {
        self.with_live(parent, |mb| (mb.sig.add_link(child), false));
    }

    /// Makes a monitor of `target` held by `me`; a DOWN `noproc` arrives at once if the
    /// target is not alive. Returns the reference.
    pub(crate) fn monitor(&self, me: Pid, target: Pid) -> Reference {
        let id = self.new_ref_id();
        let r = Reference::new(0, id);
        self.with_live(me, |mb| (mb.sig.rel().monitoring.insert(id, target), false));
        if target.node() != 0 {
            match self.distribution() {
                Some(d) => d.monitor(me, target, r),
                None => self.deliver_down(me, r, target, &noconnection()),
            }
            return r;
        }
        let watching = self
            .with_live(target, |mb| (mb.sig.rel().watchers.insert(r, me), false))
            .is_some();
        if !watching {
            self.deliver_down(me, r, target, &reason_from_text("noproc"));
        }
        r
    }

    /// Removes monitor `r` held by `me`; no DOWN for it arrives afterwards. Returns
    /// whether the monitor was active.
    pub(crate) fn demonitor(&self, me: Pid, r: u64) -> bool {
        let target = self
            .with_live(me, |mb| (mb.sig.remove_monitoring(r), false))
            .flatten();
        match target {
            Some(t) if t.node() != 0 => {
                if let Some(d) = self.distribution() {
                    d.demonitor(me, t, Reference::new(0, r));
                }
                true
            }
            Some(t) => {
                self.with_live(t, |mb| (mb.sig.remove_watcher(Reference::new(0, r)), false));
                true
            }
            None => false,
        }
    }

    /// Whether a signal has marked `pid` to be killed.
    pub(crate) fn kill_pending(&self, pid: Pid) -> bool {
        self.with_live(pid, |mb| (mb.sig.kill.is_some(), false))
            .unwrap_or(false)
    }

    /// Sets whether `me` traps exits; returns the previous setting.
    pub(crate) fn set_trap_exit(&self, me: Pid, on: bool) -> bool {
        self.with_live(me, |mb| {
            (std::mem::replace(&mut mb.sig.trap_exit, on), false)
        })
        .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(s: &str) -> ExitReason {
        reason_from_text(s)
    }

    #[test]
    fn kill_from_exit_cannot_be_trapped() {
        let a = decide(true, Origin::Exit, &err("kill"), false);
        assert_eq!(a, Action::Kill(err("killed")));
    }

    #[test]
    fn kill_over_a_link_is_an_ordinary_reason() {
        assert_eq!(
            decide(true, Origin::Link, &err("kill"), false),
            Action::Message
        );
        assert_eq!(
            decide(false, Origin::Link, &err("kill"), false),
            Action::Kill(err("kill"))
        );
    }

    #[test]
    fn normal_is_ignored_unless_trapped_or_to_self() {
        let n = ExitReason::Normal;
        assert_eq!(decide(false, Origin::Link, &n, false), Action::Ignore);
        assert_eq!(decide(false, Origin::Exit, &n, false), Action::Ignore);
        assert_eq!(decide(true, Origin::Exit, &n, false), Action::Message);
        assert_eq!(decide(false, Origin::Exit, &n, true), Action::Kill(n));
    }
}
