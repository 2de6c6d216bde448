//! Signals that arrive from other nodes, and the loss of a connection.
//!
//! The distribution layer (see `distribution.rs`) calls these through
//! [`NodeHandle`](crate::NodeHandle) when a link, unlink, exit, monitor, demonitor or
//! DOWN comes from a process of another node. They apply the same rules as local
//! signals (`signals.rs`: one mailbox lock at a time), and answer the remote side where
//! Erlang's runtime would (a link or monitor of a process that is not alive gets
//! `noproc` back).
//!
//! When a connection goes, every link and monitor across it ends as Erlang ends them:
//! linked processes get an exit signal `noconnection`, monitors a DOWN `noconnection`,
//! and node monitors (`node.monitor`) a `{tag="nodedown", node=NAME}` message. That
//! walk visits every process once: connections are lost rarely, and keeping a second
//! index of remote relations would cost every link and monitor.

use crate::node::{ExitReason, NodeInner};
use crate::signals::{noconnection, reason_from_text, record, Origin};
use cube_term::{Pid, Reference, Term};
use std::collections::HashMap;

impl NodeInner {
    /// Remote `from` linked itself to local `to`.
    pub(crate) fn remote_link(&self, from: Pid, to: Pid) {
        let linked = self
            .with_live(to, |mb| (mb.sig.add_link(from), false))
            .is_some();
        if !linked {
            if let Some(d) = self.distribution() {
                d.exit(to, from, &reason_from_text("noproc"));
            }
        }
    }

    /// Remote `from` removed its link to local `to`.
    pub(crate) fn remote_unlink(&self, from: Pid, to: Pid) {
        self.with_live(to, |mb| (mb.sig.remove_link(from), false));
    }

    /// An exit signal from remote `from` to local `to`: over a link (`link`), or
    /// `exit(To, Reason)`.
    pub(crate) fn remote_exit(&self, from: Pid, to: Pid, reason: &ExitReason, link: bool) {
        let origin = if link { Origin::Link } else { Origin::Exit };
        self.exit_signal(from, to, reason, origin);
    }

    /// Remote `from` monitors local `to` with its reference `r`.
    pub(crate) fn remote_monitor(&self, from: Pid, to: Pid, r: Reference) {
        let watching = self
            .with_live(to, |mb| (mb.sig.rel().watchers.insert(r, from), false))
            .is_some();
        if !watching {
            self.deliver_down(from, r, to, &reason_from_text("noproc"));
        }
    }

    /// Remote `from` removed its monitor `r` of local `to`.
    pub(crate) fn remote_demonitor(&self, to: Pid, r: Reference) {
        self.with_live(to, |mb| (mb.sig.remove_watcher(r), false));
    }

    /// Remote `from`, monitored by local `to` with this node's reference `r`, ended.
    pub(crate) fn remote_down(&self, from: Pid, to: Pid, r: Reference, reason: &ExitReason) {
        self.deliver_down(to, r, from, reason);
    }

    /// The connection to node `name`, whose pids have the node indices `indices`, is
    /// gone. See the module documentation.
    pub(crate) fn node_down(&self, name: &str, indices: &[u32]) {
        let across = |p: &Pid| p.node() != 0 && indices.contains(&p.node());
        for p in self.procs.all() {
            let pid = p.pid;
            // What crosses the lost connection, taken under the process's lock; the
            // signals are delivered afterwards (one lock at a time).
            let found = self.with_live(pid, |mb| {
                let Some(rel) = mb.sig.rel.as_mut() else {
                    return ((Vec::new(), Vec::new()), false);
                };
                let links: Vec<Pid> = rel.links.iter().copied().filter(across).collect();
                let downs: Vec<(u64, Pid)> = rel
                    .monitoring
                    .iter()
                    .filter(|(_, t)| across(t))
                    .map(|(r, t)| (*r, *t))
                    .collect();
                rel.watchers.retain(|_, w| !across(w));
                ((links, downs), false)
            });
            let Some((links, downs)) = found else {
                continue;
            };
            for remote in links {
                self.exit_signal(remote, pid, &noconnection(), Origin::Link);
            }
            for (r, target) in downs {
                self.deliver_down(pid, Reference::new(0, r), target, &noconnection());
            }
        }
        let watchers = self
            .node_monitors
            .lock()
            .expect("node monitors lock")
            .take_node(name);
        for w in watchers {
            self.send(w, nodedown_message(name));
        }
    }

    /// `node.monitor(name, true)`: `who` gets a nodedown message when the connection
    /// to `name` is lost. Without a connection, one is made; if that fails, the
    /// message comes at once (as erlang:monitor_node/2). An error when `who` holds
    /// [`MAX_NODE_MONITORS`] already.
    pub(crate) fn monitor_node(&self, who: Pid, name: &str) -> Result<(), String> {
        self.node_monitors
            .lock()
            .expect("node monitors lock")
            .add(who, name)?;
        match self.distribution() {
            Some(d) if d.node_name() == name => {}
            Some(d) => {
                if !d.nodes().iter().any(|n| n == name) {
                    d.connect(name);
                }
            }
            None => self.node_down(name, &[]),
        }
        Ok(())
    }

    /// `node.monitor(name, false)`: removes one node monitor of `who` on `name`.
    pub(crate) fn demonitor_node(&self, who: Pid, name: &str) {
        self.node_monitors
            .lock()
            .expect("node monitors lock")
            .remove_one(who, name);
    }

    /// What a process that ended leaves in the node's tables of other nodes: its node
    /// monitors and the slot of a ping or call it was waiting for (killed while it
    /// waited).
    /// Only distributed nodes have any.
    pub(crate) fn forget_remote_state(&self, pid: Pid) {
        self.node_monitors
            .lock()
            .expect("node monitors lock")
            .remove_process(pid);
        self.pings.lock().expect("pings lock").remove(&pid);
        self.calls.lock().expect("calls lock").remove(&pid);
    }
}

/// Most node monitors one process may hold at once (each is kept until its node goes
/// down, it is removed, or the process ends).
pub const MAX_NODE_MONITORS: usize = 4096;

/// The node monitors of a node's processes: by node name, and how many each process
/// holds (so that an ending process that had none costs a lookup, not a walk).
#[derive(Default)]
pub(crate) struct NodeMonitors {
    by_node: HashMap<String, Vec<Pid>>,
    per_process: HashMap<Pid, usize>,
}

impl NodeMonitors {
    fn add(&mut self, who: Pid, name: &str) -> Result<(), String> {
        let held = self.per_process.entry(who).or_default();
        if *held >= MAX_NODE_MONITORS {
            return Err(format!(
                "too many node monitors (at most {MAX_NODE_MONITORS})"
            ));
        }
        *held += 1;
        self.by_node.entry(name.to_owned()).or_default().push(who);
        Ok(())
    }

    fn forget_one(&mut self, who: Pid) {
        if let Some(n) = self.per_process.get_mut(&who) {
            *n -= 1;
            if *n == 0 {
                self.per_process.remove(&who);
            }
        }
    }

    fn remove_one(&mut self, who: Pid, name: &str) {
        let Some(list) = self.by_node.get_mut(name) else {
            return;
        };
        if let Some(i) = list.iter().position(|p| *p == who) {
            list.remove(i);
            if list.is_empty() {
                self.by_node.remove(name);
            }
            self.forget_one(who);
        }
    }

    /// Every monitor of node `name`, removed (the node went down).
    fn take_node(&mut self, name: &str) -> Vec<Pid> {
        let watchers = self.by_node.remove(name).unwrap_or_default();
        for w in &watchers {
            self.forget_one(*w);
        }
        watchers
    }

    fn remove_process(&mut self, pid: Pid) {
        if self.per_process.remove(&pid).is_none() {
            return;
        }
        self.by_node.retain(|_, list| {
            list.retain(|p| *p != pid);
            !list.is_empty()
        });
    }

    /// Monitors held now (for tests).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.per_process.values().sum()
    }
}

/// `{tag="nodedown", node=NAME}`.
fn nodedown_message(name: &str) -> Term {
    record(vec![
        ("tag", Term::binary(b"nodedown")),
        ("node", Term::binary(name.as_bytes())),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_monitors_are_counted_per_process_and_forgotten_with_it() {
        let (a, b) = (Pid::new(0, 1, 0), Pid::new(0, 2, 0));
        let mut m = NodeMonitors::default();
        m.add(a, "x@h").unwrap();
        m.add(a, "x@h").unwrap();
        m.add(a, "y@h").unwrap();
        m.add(b, "x@h").unwrap();
        assert_eq!(m.len(), 4);
        m.remove_one(a, "x@h");
        assert_eq!(m.len(), 3);
        m.remove_process(a);
        assert_eq!(m.len(), 1);
        assert!(!m.by_node.contains_key("y@h"), "empty lists go");
        assert_eq!(m.take_node("x@h"), vec![b]);
        assert_eq!(m.len(), 0);
        assert!(m.per_process.is_empty() && m.by_node.is_empty());
        for _ in 0..MAX_NODE_MONITORS {
            m.add(a, "z@h").unwrap();
        }
        assert!(m.add(a, "z@h").is_err());
        assert!(m.add(b, "z@h").is_ok(), "the bound is per process");
    }
}
