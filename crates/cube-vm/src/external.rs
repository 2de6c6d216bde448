//! Reaching processes from outside the node: a public API for Rust code that is not a
//! Lua process, such as the I/O and reaper threads of cube-sup (DESIGN.md decision 5:
//! dedicated I/O threads turn readiness into messages).
//!
//! - [`NodeHandle`] (from [`Node::handle`]): a cheap, clonable, thread-safe handle that
//!   sends a [`Term`] to a pid or looks up a registered name from any thread. It holds
//!   the node weakly, so a handle kept by a library's thread never keeps a stopped
//!   node alive; after the node is gone, every call is a no-op.
//! - Helpers for natives that a library adds to every process (through the `setup`
//!   function of [`Node::start`]): the calling process's own pid
//!   ([`current_pid`]), and Lua value <-> [`Term`] conversion that knows this
//!   runtime's pid userdata ([`to_term`], [`from_term`]).
//!
//! Messages sent this way behave exactly like `process.send`: copied, delivered in
//! order per sender, dropped if the receiver is dead.

use crate::node::{Node, NodeInner};
use cube_lua::host::{Cx, HostSlot, Val};
use cube_term::{Pid, Reference, Term};
use std::sync::{Arc, Weak};

/// A handle on a running node for threads outside the schedulers.
#[derive(Clone)]
pub struct NodeHandle {
    pub(crate) inner: Weak<NodeInner>,
}

impl NodeHandle {
    fn node(&self) -> Option<Arc<NodeInner>> {
        self.inner.upgrade()
    }

    /// Spawns a process from outside the node (the distribution layer's spawn
    /// requests): a fresh state from the node's image, where `build` pushes the
    /// function and then its arguments and returns how many. It runs with the node's
    /// default limits, in a group of its own when those are limited (as the first
    /// process of a script), linked to nothing. `Err` if the node is gone or `build`
    /// fails.
    pub fn spawn(
        &self,
        build: impl FnOnce(&mut cube_lua::State) -> Result<usize, String>,
    ) -> Result<Pid, String> {
        let node = self.node().ok_or("the node has stopped")?;
        let mut st = crate::node::new_process_state(&node);
        let nargs = build(&mut st)?;
        let limits = node.default_limits();
        let group = limits
            .is_limited()
            .then(|| Arc::new(crate::limits::Group::new(limits)));
        Ok(node.spawn_state_limited(st, nargs, None, limits, group, None))
    }

    /// Delivers `msg` to `to`; false if the node or the process is gone.
    pub fn send(&self, to: Pid, msg: Term) -> bool {
        let Some(node) = self.node() else {
            return false;
        };
        let alive = node.lookup(to).is_some_and(|p| p.is_alive());
        node.send(to, msg);
        alive
    }

    /// Interrupts the code process `pid` runs with a catchable error "interrupted!"
    /// where it stands, as `lua`'s Ctrl-C does (the shell's Ctrl-C): at once if it
    /// waits in `receive`, `sleep` or on I/O (a `zmq` receive: the wait is abandoned,
    /// and the I/O thread's later wake-up of it does nothing), else at the end of its
    /// current slice. False if the node or the process is gone.
    pub fn interrupt(&self, pid: Pid) -> bool {
        let Some(node) = self.node() else {
            return false;
        };
        let Some(p) = node.lookup(pid) else {
            return false;
        };
        let wake = {
            let mut mb = p.mailbox.lock().expect("mailbox lock");
            if mb.status == crate::process::Status::Exited {
                return false;
            }
            mb.sig.interrupt = true;
            if mb.status == crate::process::Status::Waiting {
                mb.status = crate::process::Status::Runnable;
                true
            } else {
                false
            }
        };
        if wake {
            node.enqueue(p);
        }
        true
    }

    /// The pid registered as `name`, if any.
    pub fn whereis(&self, name: &str) -> Option<Pid> {
        let node = self.node()?;
        let found = node.names.lock().expect("names lock").get(name).copied();
        found
    }

    /// Delivers `msg` to the process registered as `name`; false if there is none.
    pub fn send_named(&self, name: &str, msg: Term) -> bool {
        match self.whereis(name) {
            Some(pid) => self.send(pid, msg),
            None => false,
        }
    }

    /// Remote `from` links itself to local `to` (`noproc` goes back if `to` is not
    /// alive). See `distribution.rs` for this and the other `remote_*` calls.
    pub fn remote_link(&self, from: Pid, to: Pid) {
        if let Some(node) = self.node() {
            node.remote_link(from, to);
        }
    }

    /// Remote `from` removes its link to local `to`.
    pub fn remote_unlink(&self, from: Pid, to: Pid) {
        if let Some(node) = self.node() {
            node.remote_unlink(from, to);
        }
    }

    /// An exit signal from remote `from` to local `to` with `reason` as Lua reads it:
    /// over a link (`link`), or as `exit(To, Reason)`.
    pub fn remote_exit(&self, from: Pid, to: Pid, reason: &str, link: bool) {
        if let Some(node) = self.node() {
            node.remote_exit(from, to, &crate::signals::reason_from_text(reason), link);
        }
    }

    /// Remote `from` monitors local `to` with its reference `r` (a DOWN `noproc` goes
    /// back at once if `to` is not alive).
    pub fn remote_monitor(&self, from: Pid, to: Pid, r: Reference) {
        if let Some(node) = self.node() {
            node.remote_monitor(from, to, r);
        }
    }

    /// A remote process removes its monitor `r` of local `to`.
    pub fn remote_demonitor(&self, to: Pid, r: Reference) {
        if let Some(node) = self.node() {
            node.remote_demonitor(to, r);
        }
    }

    /// Remote `from`, monitored by local `to` with reference `r`, ended with `reason`.
    pub fn remote_down(&self, from: Pid, to: Pid, r: Reference, reason: &str) {
        if let Some(node) = self.node() {
            node.remote_down(from, to, r, &crate::signals::reason_from_text(reason));
        }
    }

    /// The connection to node `name` (node indices `indices`) is lost, or could not
    /// be made: links and monitors across it end with `noconnection`, node monitors
    /// get `nodedown`.
    pub fn node_down(&self, name: &str, indices: &[u32]) {
        if let Some(node) = self.node() {
            node.node_down(name, indices);
        }
    }

    /// Whether process `pid` is alive.
    pub fn is_alive(&self, pid: Pid) -> bool {
        self.node()
            .and_then(|n| n.lookup(pid))
            .is_some_and(|p| p.is_alive())
    }
}

impl Node {
    /// A handle for sending messages to this node's processes from other threads.
    pub fn handle(&self) -> NodeHandle {
        NodeHandle {
            inner: Arc::downgrade(&self.inner),
        }
    }
}

/// The pid of the process whose state (or context) `st` is (None outside a process,
/// e.g. in the `setup` function before the process exists).
pub fn current_pid(st: &mut impl HostSlot) -> Option<Pid> {
    crate::library::self_pid(st)
}

/// The limits of the process whose state (or context) `st` is (`None` outside a
/// process). Natives of other crates use it to bound what they bring into the heap
/// (cube-zmq sets `ZMQ_MAXMSGSIZE` from `max_heap`); what the heap may still take now
/// is `Cx::max_heap` minus `Cx::heap_bytes` (the scheduler keeps the heap's cap at what
/// the process and its group have left, see `limits.rs`), and `Cx::reserve` checks it
/// before a native brings bytes in.
pub fn current_limits(st: &mut impl HostSlot) -> Option<crate::Limits> {
    crate::library::ctx_opt(st)
        .and_then(|c| c.process())
        .map(|p| p.limits())
}

/// Spawns a process running the engine `body` (`engine.rs`) from a native of the Lua
/// process whose state is `st`: with that process's limits and group, as its Lua
/// children get; with `link`, linked to it before it can run. `Err` outside a process
/// or at the node's process limit.
pub fn spawn_engine(
    st: &mut impl HostSlot,
    body: Box<dyn crate::engine::Engine>,
    link: bool,
) -> Result<Pid, String> {
    let c = crate::library::ctx_opt(st).ok_or("not in a process")?;
    let node = c.node.clone();
    let p = c.process().ok_or("not in a process")?;
    let (me, limits, group) = (p.pid, p.limits(), p.group().cloned());
    node.spawn_engine(body, link.then_some(me), limits, group)
}

/// A writer on the node's standard output, from a native of one of its processes
/// (`None` outside a process).
pub fn node_stdout(st: &mut impl HostSlot) -> Option<impl std::io::Write + Send + 'static> {
    let c = crate::library::ctx_opt(st)?;
    Some(crate::node::shared_out(&c.node))
}

/// A Lua value of a process as a [`Term`] (pids included), as `process.send` copies it.
pub fn to_term<'n>(cx: &Cx<'n>, v: Val<'n>) -> Result<Term, String> {
    cube_term::to_term_with(cx, v, &crate::library::VmBridge).map_err(|e| e.to_string())
}

/// A [`Term`] as a Lua value of a process (pids become pid values), as
/// `process.receive` makes it.
pub fn from_term<'n>(cx: &mut Cx<'n>, t: &Term) -> Val<'n> {
    cube_term::from_term_with(cx, t, &crate::library::VmBridge)
}

#[cfg(test)]
mod tests {
    use crate::{ExitReason, Node};
    use cube_term::Term;

    #[test]
    fn a_thread_outside_the_node_sends_a_message() {
        let node = Node::start(1, cube_lua::stdlib::open_libs);
        let pid = node
            .spawn_main(|st| {
                let src = b"process.register('waiter', process.self())
                            local m = process.receive(5000)
                            assert(m == 'hello', tostring(m))";
                st.push_chunk(src, "=t").map_err(|e| e.message)?;
                Ok(0)
            })
            .unwrap();
        let h = node.handle();
        let sender = std::thread::spawn(move || {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
            loop {
                if let Some(p) = h.whereis("waiter") {
                    assert!(h.is_alive(p));
                    return h.send(p, Term::binary(b"hello"));
                }
                assert!(std::time::Instant::now() < deadline);
                std::thread::yield_now();
            }
        });
        assert!(sender.join().unwrap());
        assert_eq!(node.wait(pid), ExitReason::Normal);
        let h = node.handle();
        drop(node);
        assert!(!h.send(pid, Term::NIL), "a dropped node takes no messages");
    }
}
