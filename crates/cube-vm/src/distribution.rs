//! The hook to other nodes (DESIGN.md decision 8, "Remote pids are pids").
//!
//! A [`Pid`] names its node by index (0: this node). Whatever the runtime would do to a
//! pid of another node (send, link, unlink, exit signals, monitors, and the node-level
//! requests of the Lua `node` library) goes through the [`Distribution`] installed with
//! [`Node::set_distribution`](crate::Node::set_distribution). cube-vm does not know how
//! the other node is reached: cube-cli installs a [`Distribution`] backed by cube-dist
//! (Erlang's distribution protocol); without one, a node is `nonode@nohost`, messages
//! to other nodes vanish and links/monitors to them fail with `noconnection`.
//!
//! What arrives from other nodes comes in through the methods of
//! [`NodeHandle`](crate::NodeHandle) (`remote_*`, `node_down`): each does what Erlang's
//! runtime does when the signal arrives, with the same rules as local signals
//! (`signals.rs`).
//!
//! Every call here may be made on a scheduler thread, so an implementation must never
//! block on the network: queue the work and return.

use crate::node::ExitReason;
use cube_term::{Pid, Reference, Term};

/// The answer to a [`Distribution::ping`]: `true` for `pong`. Called exactly once,
/// from any thread.
pub type PingReply = Box<dyn FnOnce(bool) + Send>;

/// The answer to a [`Distribution::call`]: the function's result, or the reason
/// Erlang's `rpc:call` would give in `{badrpc, Reason}` (the atom `nodedown`,
/// `{'EXIT', Why}`...). Called at most once, from any thread.
pub type CallReply = Box<dyn FnOnce(Result<Term, Term>) + Send>;

/// What the runtime asks of the distribution layer. See the module documentation.
///
/// Pids given as `to` (or `target`) are of another node (`node() != 0`); `from` pids
/// are this node's. Exit reasons are [`ExitReason`]s: the layer chooses their wire form.
pub trait Distribution: Send + Sync {
    /// This node's name (`cube@host`).
    fn node_name(&self) -> String;

    /// Names of the nodes connected now.
    fn nodes(&self) -> Vec<String>;

    /// Sends `msg` from local `from` (or from no process) to remote `to`.
    fn send(&self, from: Option<Pid>, to: Pid, msg: Term);

    /// Sends `msg` to the process registered as `name` on node `node`.
    fn reg_send(&self, from: Pid, name: &str, node: &str, msg: Term);

    /// Links local `from` with remote `to` (the local side is already recorded).
    fn link(&self, from: Pid, to: Pid);

    /// Removes the link between local `from` and remote `to`.
    fn unlink(&self, from: Pid, to: Pid);

    /// Local `from`, linked to remote `to`, ended with `reason`.
    fn exit(&self, from: Pid, to: Pid, reason: &ExitReason);

    /// `process.exit(to, reason)` from local `from` to remote `to`.
    fn exit2(&self, from: Pid, to: Pid, reason: &ExitReason);

    /// Local `from` monitors remote `target` with reference `r`.
    fn monitor(&self, from: Pid, target: Pid, r: Reference);

    /// Local `from` removes its monitor `r` of remote `target`.
    fn demonitor(&self, from: Pid, target: Pid, r: Reference);

    /// Local `from`, monitored by remote `watcher` with reference `r`, ended with
    /// `reason` (or was not alive when the monitor came: `noproc`).
    fn monitor_exit(&self, from: Pid, watcher: Pid, r: Reference, reason: &ExitReason);

    /// Pings `node` (connecting on demand) and calls `reply` with the answer.
    fn ping(&self, node: &str, reply: PingReply);

    /// Connects to `node` unless connected; a failure is reported as that node going
    /// down ([`NodeHandle::node_down`](crate::NodeHandle::node_down)), which is what
    /// a node monitor set on an unreachable node sees.
    fn connect(&self, node: &str);

    /// `rpc:call(node, module, function, args)` for local `from`: runs the function
    /// on `node` (an Erlang node, or a cube node running Lua) and calls `reply` with
    /// the outcome. Without an implementation, every call fails with `notsup`.
    fn call(
        &self,
        from: Pid,
        node: &str,
        module: cube_term::Atom,
        function: cube_term::Atom,
        args: Vec<Term>,
        reply: CallReply,
    ) {
        let _ = (from, node, module, function, args);
        reply(Err(Term::atom("notsup")));
    }

    /// `node.spawn`: spawns on `node` (a cube node) the function `function` (made by
    /// [`remote_fn::encode`](crate::remote_fn::encode)) with `args`, for local
    /// `from`; `reply` gets the new process's pid, or why there is none.
    fn spawn(&self, from: Pid, node: &str, function: Term, args: Vec<Term>, reply: CallReply) {
        let _ = (from, node, function, args);
        reply(Err(Term::atom("notsup")));
    }

    /// Whether what is queued for the node of `to` is over the layer's busy limit
    /// (Erlang's busy distribution port). After a send to a busy node the sending
    /// process is suspended until [`Distribution::when_drained`] wakes it, so a fast
    /// sender cannot fill memory with messages for a slow node. Called after every
    /// send to another node: it must be cheap when nothing is busy.
    fn is_busy(&self, to: Destination<'_>) -> bool {
        let _ = to;
        false
    }

    /// Calls `wake` (from any thread) once the backlog for the node of `to` has
    /// drained, or at once if it is not busy any more.
    fn when_drained(&self, to: Destination<'_>, wake: Box<dyn FnOnce() + Send>) {
        let _ = to;
        wake();
    }
}

/// A process of another node, by pid or by its node's name (a registered name's).
#[derive(Clone, Copy, Debug)]
pub enum Destination<'a> {
    Pid(Pid),
    Node(&'a str),
}

/// The reason given to links and monitors across a connection that was lost.
pub const NOCONNECTION: &str = "noconnection";
