//! What a [`DistNode`](super::DistNode) reports to the layer above.

use crate::etf::Eterm;
use cube_term::{Atom, Pid, Reference};
use std::net::SocketAddr;

/// A process on some node, named by pid or by registered name.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    Pid(Pid),
    /// A registered name on `node`.
    Name {
        name: Atom,
        node: Atom,
    },
}

/// What arrives from other nodes. Pids and references are cube's (see
/// [`NodeTable`](crate::NodeTable)); message bodies and exit reasons stay wire terms ([`Eterm`]), because
/// some have no `Term` form: convert them with [`DistNode::to_term`](super::DistNode::to_term).
#[derive(Clone, Debug, PartialEq)]
pub enum DistEvent {
    NodeUp(Atom),
    NodeDown {
        node: Atom,
        reason: String,
    },
    /// An incoming connection failed its handshake (wrong cookie, garbage...). Also
    /// logged on stderr, as erl logs it.
    Refused {
        peer: SocketAddr,
        reason: String,
    },
    /// A message to a pid of this node.
    Message {
        from: Option<Pid>,
        to: Pid,
        msg: Eterm,
    },
    /// A message to a registered name of this node.
    RegMessage {
        from: Pid,
        to: Atom,
        msg: Eterm,
    },
    AliasMessage {
        from: Pid,
        alias: Reference,
        msg: Eterm,
    },
    Link {
        from: Pid,
        to: Pid,
    },
    Unlink {
        from: Pid,
        to: Pid,
    },
    /// An exit signal over a link.
    Exit {
        from: Pid,
        to: Pid,
        reason: Eterm,
    },
    /// `exit(Pid, Reason)` from another node.
    Exit2 {
        from: Pid,
        to: Pid,
        reason: Eterm,
    },
    Monitor {
        from: Pid,
        to: Target,
        reference: Reference,
    },
    Demonitor {
        from: Pid,
        to: Target,
        reference: Reference,
    },
    /// A process of another node asks this node to spawn `module:function(args...)`
    /// (`spawn_request`). Whoever handles it must answer with
    /// [`DistNode::spawn_reply`](super::DistNode::spawn_reply), error or not.
    SpawnRequest {
        from: Pid,
        req_id: Reference,
        module: Atom,
        function: Atom,
        /// A list of arguments (anything else: the request is malformed, answer
        /// `badarg`).
        args: Eterm,
        /// The spawner asked for a link (`spawn_link`).
        link: bool,
        /// The spawner asked for a monitor (`spawn_monitor`, erpc), whose reference is
        /// `req_id`.
        monitor: bool,
    },
    /// The answer to a spawn request this node sent ([`DistNode::spawn_request`](super::DistNode::spawn_request)):
    /// the new process, or an error atom (`badarg`, `notsup`, `system_limit`...).
    SpawnReply {
        to: Pid,
        req_id: Reference,
        result: Result<Pid, Atom>,
    },
    /// A process we monitor on another node ended.
    MonitorExit {
        from: Target,
        to: Pid,
        reference: Reference,
        reason: Eterm,
    },
}

/// The answer of [`DistNode::ping`](super::DistNode::ping).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pong {
    Pong,
    Pang,
}
