//! Processes of other engines (DESIGN.md decision 7, "one scheduler, several engines").
//!
//! A process body is a Lua state (the fast path, a direct arm in `run_slice`) or an
//! [`Engine`]: any interpreter that runs by slices of reductions and reports what it
//! did ([`Step`]). The scheduler treats both alike: the same mailbox, links, monitors,
//! names, limits and timers. An engine reaches the runtime only through the
//! [`EngineCx`] lent to it for one slice: its pid, sends, spawns, names, links,
//! monitors, exit signals, trap_exit, and the mailbox.
//!
//! Receiving is the engine's own business, as selective receive is the BEAM
//! process's: it takes what arrived ([`EngineCx::take_messages`]) into a queue of its
//! own, scans it with its patterns and, when nothing matches, returns
//! [`Step::Wait`] with its deadline. The scheduler runs it again when anything
//! arrives or the deadline passes, and it scans again from where it stopped (the
//! matcher is the engine's code: it cannot run on the sender's thread).
//!
//! Exit and DOWN signals reach an engine as Erlang-shaped messages, `{'EXIT', Pid,
//! Reason}` and `{'DOWN', Ref, process, Pid, Reason}` (the process's `Signals::erlang`
//! flag, set when it is spawned), where a Lua process gets its `{tag="EXIT", ...}`
//! records.

use crate::limits::{Group, Limits};
use crate::node::{ExitReason, NodeInner};
use crate::process::Process;
use crate::signals::{LinkResult, Origin};
use cube_term::{Pid, Reference, Term};
use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

/// What an engine's slice ended with.
#[derive(Debug)]
pub enum Step {
    /// Its budget ran out; it is queued to run again.
    Preempted,
    /// It waits for a message (any message wakes it) or for the deadline.
    Wait(Option<Instant>),
    /// It ended. `report`: a crash report to print on stderr (as Erlang's logger does
    /// for a process that ends by an error); the node prints it unless this is the
    /// node's main process, whose end the embedder reports.
    Exited {
        reason: ExitReason,
        report: Option<String>,
    },
}

/// A process body run by another interpreter than Lua's (see the module doc).
///
/// `Send`: the scheduler moves processes between threads. A body that keeps non-`Send`
/// data must give the same guarantee as `SendState` does for Lua states: only one
/// thread touches it at a time (the scheduler lends it to one slice at a time), and
/// nothing of it is reachable from another process.
pub trait Engine: Send {
    /// Runs for at most `budget` reductions. Returns what it did and how many
    /// reductions it used.
    fn resume(&mut self, cx: &mut EngineCx, budget: u64) -> (Step, u64);

    /// Messages it took from the mailbox and has not received yet (for
    /// `process.info`'s queue length).
    fn pending_messages(&self) -> usize {
        0
    }

    /// Bytes its heap holds, as far as it knows (published for limits and `info`).
    fn heap_bytes(&self) -> usize {
        0
    }
}

/// Why a name could not be registered.
#[derive(Debug, PartialEq, Eq)]
pub enum RegisterError {
    /// The process is not alive.
    NotAlive,
    /// Another process has the name.
    Taken,
    /// The process has another name already.
    HasName,
}

/// What an engine may do in the runtime during one slice.
///
/// It owns a reference to the node and the process (two `Arc`s), so an engine may keep
/// it where its natives find it for the slice; it must not keep it past the slice.
#[derive(Clone)]
pub struct EngineCx {
    pub(crate) node: Arc<NodeInner>,
    pub(crate) process: Arc<Process>,
    /// The host asked to interrupt this process's code (`NodeHandle::interrupt`:
    /// Ctrl-C in a shell) since its last slice.
    pub(crate) interrupted: bool,
}

impl EngineCx {
    /// Whether the host asked to interrupt the running code before this slice
    /// (`NodeHandle::interrupt`, as a shell does on Ctrl-C); a process that was
    /// waiting has been woken for it.
    pub fn interrupted(&self) -> bool {
        self.interrupted
    }

    /// `process.i()`'s listing of the node's processes (`my_heap`: the running
    /// process's heap, which only it can measure).
    pub fn processes_text(&self, my_heap: usize) -> String {
        crate::observer::listing(&self.node, self.process.pid.id(), my_heap)
    }

    /// The registered names and their pids, sorted by name.
    pub fn registered(&self) -> Vec<(String, Pid)> {
        let names = self.node.names.lock().expect("names lock");
        let mut v: Vec<(String, Pid)> = names.iter().map(|(n, p)| (n.clone(), *p)).collect();
        v.sort();
        v
    }

    /// This node's name: `name@host` when it is distributed, else `nonode@nohost`
    /// (what Lua's `node.self()` returns).
    pub fn node_name(&self) -> String {
        crate::node_lib::self_name(&self.node)
    }

    /// The running process's pid.
    pub fn pid(&self) -> Pid {
        self.process.pid
    }

    /// Sends `msg` to `to` (a pid of this node or, through the distribution layer, of
    /// another). Messages to dead processes vanish, as in Erlang.
    pub fn send(&mut self, to: Pid, msg: Term) {
        if to.node() != 0 {
            if let Some(d) = self.node.distribution() {
                d.send(Some(self.pid()), to, msg);
            }
            return;
        }
        if to == self.pid() {
            self.node.send_to(&self.process, msg);
        } else if let Some(p) = self.node.lookup(to) {
            self.node.send_to(&p, msg);
        }
    }

    /// The process registered as `name`.
    pub fn whereis(&self, name: &str) -> Option<Pid> {
        self.node
            .names
            .lock()
            .expect("names lock")
            .get(name)
            .copied()
    }

    /// Registers `pid` as `name` (Erlang's `register/2`).
    pub fn register(&self, name: &str, pid: Pid) -> Result<(), RegisterError> {
        let Some(p) = self.node.lookup(pid) else {
            return Err(RegisterError::NotAlive);
        };
        let mut names = self.node.names.lock().expect("names lock");
        if names.contains_key(name) {
            return Err(RegisterError::Taken);
        }
        let mut mb = p.mailbox.lock().expect("mailbox lock");
        if mb.status == crate::Status::Exited {
            return Err(RegisterError::NotAlive);
        }
        if mb.sig.name().is_some() {
            return Err(RegisterError::HasName);
        }
        mb.sig.rel().name = Some(name.into());
        drop(mb);
        names.insert(name.to_string(), pid);
        Ok(())
    }

    /// Removes the name `name`; false if nobody had it.
    pub fn unregister(&self, name: &str) -> bool {
        let removed = self.node.names.lock().expect("names lock").remove(name);
        if let Some(pid) = removed {
            if let Some(p) = self.node.lookup(pid) {
                p.mailbox.lock().expect("mailbox lock").sig.take_name();
            }
        }
        removed.is_some()
    }

    /// Spawns a process running `body`, with the running process's limits and group
    /// (a child never gets more than its parent, `limits.rs`); with `link`, linked to
    /// the running process before it can run (`spawn_link`). `Err` with a reason when
    /// the node is at its process limit ([`crate::Node::set_max_processes`]) or the
    /// group cannot afford one more process; the caller raises it.
    pub fn spawn(&mut self, body: Box<dyn Engine>, link: bool) -> Result<Pid, String> {
        let limits: Limits = self.process.limits();
        let group: Option<Arc<Group>> = self.process.group().cloned();
        if let Some(g) = &group {
            if g.max_heap.is_some() && g.memory_left() < crate::limits::PROCESS_OVERHEAD {
                return Err("heap limit exceeded".to_string());
            }
        }
        self.node
            .spawn_engine(body, link.then(|| self.pid()), limits, group)
    }

    /// Spawns a Lua process running the chunk `source` (named `name` in its error
    /// messages) with `args` as its `...`, in a fresh state from the node's image, with
    /// the running process's limits and group; with `link`, linked to it before it
    /// runs. `Err` with the message of a chunk that does not compile, or at the node's
    /// process limit.
    pub fn spawn_lua(
        &mut self,
        source: &[u8],
        name: &str,
        args: &[Term],
        link: bool,
    ) -> Result<Pid, String> {
        let max = self.node.max_processes();
        if self.node.live_processes() >= max {
            return Err(format!("too many processes (the node's limit is {max})"));
        }
        let mut st = crate::node::new_process_state(&self.node);
        st.push_chunk(source, name).map_err(|e| e.message)?;
        st.cx(|cx| {
            for t in args {
                let v = crate::external::from_term(cx, t);
                cx.push(v);
            }
        });
        let limits: Limits = self.process.limits();
        let group = self.process.group().cloned();
        Ok(self.node.spawn_state_limited(
            st,
            args.len(),
            link.then(|| self.pid()),
            limits,
            group,
            None,
        ))
    }

    /// Links the running process and `other`. `false`: `other` is not alive and the
    /// running process does not trap exits (Erlang's `link/1` raises `noproc`); when
    /// it traps them, an EXIT `noproc` message arrives instead.
    pub fn link(&mut self, other: Pid) -> bool {
        matches!(self.node.link(self.pid(), other), LinkResult::Linked)
    }

    pub fn unlink(&mut self, other: Pid) {
        self.node.unlink(self.pid(), other);
    }

    /// Monitors `target`; a DOWN arrives when it ends (at once, `noproc`, if it is
    /// not alive).
    pub fn monitor(&mut self, target: Pid) -> Reference {
        self.node.monitor(self.pid(), target)
    }

    /// Removes a monitor; whether it was active.
    pub fn demonitor(&mut self, r: Reference) -> bool {
        r.node() == 0 && self.node.demonitor(self.pid(), r.id())
    }

    /// Sends an exit signal to `to` (Erlang's `exit/2`). If it kills the running
    /// process, [`EngineCx::killed`] turns true: the engine must end its slice
    /// ([`Step::Preempted`]), and the scheduler ends the process with the reason.
    pub fn exit_signal(&mut self, to: Pid, reason: &ExitReason) {
        self.node.exit_signal(self.pid(), to, reason, Origin::Exit);
    }

    /// Whether a signal has marked the running process to be killed.
    pub fn killed(&self) -> bool {
        self.process
            .mailbox
            .lock()
            .expect("mailbox lock")
            .sig
            .kill
            .is_some()
    }

    /// Sets trap_exit; returns the previous setting.
    pub fn set_trap_exit(&mut self, on: bool) -> bool {
        self.node.set_trap_exit(self.pid(), on)
    }

    /// A new reference, unique in the node (`make_ref`).
    pub fn make_ref(&self) -> Reference {
        Reference::new(0, self.node.new_ref_id())
    }

    /// Whether a local process is alive.
    pub fn is_alive(&self, pid: Pid) -> bool {
        self.node.lookup(pid).is_some_and(|p| p.is_alive())
    }

    /// Starts a new wait (a fresh `receive`): timers of earlier waits no longer wake
    /// the process.
    pub fn start_wait(&mut self) {
        let mut mb = self.process.mailbox.lock().expect("mailbox lock");
        mb.wait_seq = mb.wait_seq.wrapping_add(1);
        mb.timed_out = false;
    }

    /// Moves everything that arrived to the back of `into`, in arrival order; returns
    /// whether the current wait's deadline passed. The messages no longer count as
    /// queued against the process's limits (the engine's heap holds them now).
    pub fn take_messages(&mut self, into: &mut VecDeque<Term>) -> bool {
        let (taken, timed_out) = {
            let mut mb = self.process.mailbox.lock().expect("mailbox lock");
            let taken = std::mem::take(&mut mb.inbox);
            (taken, std::mem::take(&mut mb.timed_out))
        };
        let mut bytes = 0usize;
        into.reserve(taken.len());
        for q in taken {
            bytes += q.size;
            into.push_back(q.term);
        }
        if bytes > 0 {
            let _ =
                self.process
                    .queued_bytes
                    .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |q| {
                        Some(q.saturating_sub(bytes))
                    });
            if let Some(g) = self.process.group() {
                g.release(bytes);
            }
        }
        timed_out
    }

    /// The running process's own heap limit, if any (an engine checks a message's
    /// size against it before it materialises the message).
    pub fn max_heap(&self) -> Option<usize> {
        self.process.max_heap()
    }

    /// Output to the node's standard output (shared with every process).
    pub fn stdout(&self) -> Box<dyn std::io::Write + Send> {
        Box::new(crate::node::shared_out(&self.node))
    }

    /// A handle on the node, for what outlives the slice (`NodeHandle`).
    pub fn handle(&self) -> crate::NodeHandle {
        crate::NodeHandle {
            inner: Arc::downgrade(&self.node),
        }
    }
}

/// The Erlang term of an exit reason, as an engine's process receives it in EXIT and
/// DOWN messages: `normal`, the term an engine exited with, or for a reason given as
/// text (by Lua code, or the runtime's own words) the atom of the runtime's reasons
/// (`killed`, `noproc`, ...) and a binary of any other text.
pub fn reason_term(r: &ExitReason) -> Term {
    match r {
        ExitReason::Normal => Term::atom("normal"),
        ExitReason::Term(t) => t.clone(),
        ExitReason::Error { message, .. } => {
            let text = message.as_deref().unwrap_or("nil");
            if ATOM_REASONS.contains(&text) {
                Term::atom(text)
            } else {
                Term::binary(text.as_bytes())
            }
        }
    }
}

/// Reasons given as text that reach Erlang code (engines, other nodes) as atoms: the
/// runtime's own reasons, which Erlang code matches on. Any other text could be
/// anything, and atoms are never freed, so it goes as a binary.
pub const ATOM_REASONS: [&str; 9] = [
    "normal",
    "kill",
    "killed",
    "noproc",
    "noconnection",
    "shutdown",
    "timeout",
    "badarg",
    "nodedown",
];

/// The `{'EXIT', From, Reason}` message of an engine's process.
pub(crate) fn exit_tuple(from: Pid, reason: &ExitReason) -> Term {
    Term::Tuple(Arc::from(vec![
        Term::atom("EXIT"),
        Term::Pid(from),
        reason_term(reason),
    ]))
}

/// The `{'DOWN', Ref, process, Pid, Reason}` message of an engine's process.
pub(crate) fn down_tuple(r: Reference, from: Pid, reason: &ExitReason) -> Term {
    Term::Tuple(Arc::from(vec![
        Term::atom("DOWN"),
        Term::Ref(r),
        Term::atom("process"),
        Term::Pid(from),
        reason_term(reason),
    ]))
}

/// A queue of messages an engine took and has not received (a convenience for
/// engines: [`EngineCx::take_messages`] fills it).
pub type Pending = VecDeque<Term>;

/// Longest text [`term_text`] makes; the rest is cut (a reason is for reading).
const MAX_TEXT: usize = 4096;
/// Deepest nesting [`term_text`] prints; deeper parts print as `...`.
const MAX_TEXT_DEPTH: usize = 64;

/// The text Lua code sees for a term reason: an atom's name, a binary's bytes, any
/// other term in Erlang's syntax (as `~w` prints it, nested parts deeper than 64 levels
/// as `...`), cut at 4,096 bytes.
pub fn term_text(t: &Term) -> String {
    let mut s = match t {
        Term::Atom(a) => a.name().to_string(),
        Term::Binary(b) => String::from_utf8_lossy(b).into_owned(),
        other => {
            let mut s = String::new();
            write_term(&mut s, other, 0);
            s
        }
    };
    if s.len() > MAX_TEXT {
        let mut end = MAX_TEXT;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

/// Erlang's `~w` of `t` (recursion bounded by [`MAX_TEXT_DEPTH`] and the text's
/// length).
fn write_term(out: &mut String, t: &Term, depth: usize) {
    use std::fmt::Write;
    if depth > MAX_TEXT_DEPTH || out.len() > MAX_TEXT {
        out.push_str("...");
        return;
    }
    let seq = |out: &mut String, items: &[Term], open: &str, close: &str| {
        out.push_str(open);
        for (i, x) in items.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_term(out, x, depth + 1);
            if out.len() > MAX_TEXT {
                break;
            }
        }
        out.push_str(close);
    };
    match t {
        Term::Atom(a) => {
            let name = a.name();
            let plain = name.starts_with(|c: char| c.is_ascii_lowercase())
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '@');
            if plain {
                out.push_str(name);
            } else {
                let _ = write!(out, "'{}'", name.replace('\\', "\\\\").replace('\'', "\\'"));
            }
        }
        Term::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Term::Float(f) => {
            let _ = write!(out, "{f:?}");
        }
        Term::Binary(b) => {
            out.push_str("<<");
            if !b.is_empty() && b.iter().all(|c| (0x20..0x7f).contains(c)) {
                let _ = write!(out, "{:?}", String::from_utf8_lossy(b));
            } else {
                for (i, c) in b.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    let _ = write!(out, "{c}");
                }
            }
            out.push_str(">>");
        }
        Term::List(items) => seq(out, items, "[", "]"),
        Term::Tuple(items) => seq(out, items, "{", "}"),
        Term::Map(pairs) => {
            out.push_str("#{");
            for (i, (k, v)) in pairs.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_term(out, k, depth + 1);
                out.push_str("=>");
                write_term(out, v, depth + 1);
                if out.len() > MAX_TEXT {
                    break;
                }
            }
            out.push('}');
        }
        Term::Pid(p) => {
            let _ = write!(out, "{p}");
        }
        Term::Ref(r) => {
            let _ = write!(out, "{r}");
        }
        Term::Tables(_) | Term::TableRef(_) => out.push_str("#table"),
        Term::Foreign(f) => {
            let _ = write!(out, "#{}", f.value().type_name());
        }
    }
}
