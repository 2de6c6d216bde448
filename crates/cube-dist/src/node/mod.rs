//! [`DistNode`]: this node as a member of an Erlang cluster. It listens for other nodes,
//! registers with EPMD (starting an EPMD-compatible server when none answers), connects
//! on demand, answers `net_kernel`'s `is_auth` (so `net_adm:ping/1` from erl gets
//! `pong`), and turns everything else that arrives into [`DistEvent`]s on a channel for
//! the layer above (cube-cli's `dist/` joins them to cube-vm's processes).
//!
//! # This node's own pseudo-process
//! Pings need a sender pid that replies come back to. It is [`DistNode::kernel_pid`],
//! local pid number 0, which cube-vm never allocates (its pids start at 1); messages to
//! it are handled here and never become events. References this layer makes (ping tags)
//! have the top bit of their `u64` set, apart from any cube-vm makes.
//!
//! | module | concern |
//! |---|---|
//! | `mod.rs` | [`DistConfig`], [`DistNode`] and its public operations |
//! | [`event`] | what arrives: [`DistEvent`], [`Target`], [`Pong`] |
//! | `connect` | EPMD registration, accepting, dialling, simultaneous connects, read loops |
//! | `deliver` | a received control message: answered here or made an event |

use crate::control::{self, Control, ProcName};
use crate::convert::{NodeId, NodeTable};
use crate::epmd::{self, EpmdServer, Registration};
use crate::error::DistError;
use crate::etf::{DecodeLimits, Eterm, ExtPid};
use crate::handshake::valid_node_name;
use crossbeam_channel::{Receiver, Sender};
use cube_term::{Atom, Pid, Reference, Term};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::thread;
use std::time::Duration;

mod connect;
mod deliver;
pub mod event;

use connect::{accept_loop, register, Links};
pub use event::{DistEvent, Pong, Target};

/// How a node is set up. [`DistConfig::new`] gives erl's defaults.
#[derive(Clone, Debug)]
pub struct DistConfig {
    /// Full node name, `name@host`.
    pub name: String,
    pub cookie: String,
    /// The EPMD port (on this host, and on the hosts of nodes we connect to).
    pub epmd_port: u16,
    /// Where to accept other nodes (port 0: any free port, registered with EPMD).
    pub listen: SocketAddr,
    /// `net_ticktime`: a connection silent this long is down.
    pub net_ticktime: Duration,
    /// Start an EPMD-compatible server on `epmd_port` when no EPMD answers there.
    pub start_epmd: bool,
    /// Longest packet accepted from a peer.
    pub max_packet: usize,
    /// Bound on connecting and on each handshake step.
    pub connect_timeout: Duration,
}

impl DistConfig {
    pub fn new(name: &str, cookie: &str) -> DistConfig {
        DistConfig {
            name: name.to_owned(),
            cookie: cookie.to_owned(),
            epmd_port: epmd::epmd_port(),
            listen: SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)),
            net_ticktime: Duration::from_secs(60),
            start_epmd: true,
            max_packet: 256 << 20,
            connect_timeout: Duration::from_secs(15),
        }
    }
}

/// This node in the cluster. Dropping the last clone does not stop it: call
/// [`DistNode::stop`].
#[derive(Clone)]
pub struct DistNode {
    inner: Arc<Inner>,
}

struct Inner {
    config: DistConfig,
    name: Atom,
    table: NodeTable,
    listen_addr: SocketAddr,
    links: Mutex<Links>,
    /// One lock per node being dialled, so concurrent senders share one attempt.
    dial_gates: Mutex<HashMap<Atom, Arc<Mutex<()>>>>,
    events: Sender<DistEvent>,
    /// Where events go instead of `events` once set ([`DistNode::set_event_sink`]).
    sink: RwLock<Option<EventSink>>,
    /// How `io:format` output of calls this node made is formatted
    /// ([`DistNode::set_io_formatter`]).
    io_formatter: RwLock<Option<IoFormatter>>,
    pings: Mutex<HashMap<Vec<u32>, PendingPing>>,
    next_ref: AtomicU64,
    stopping: AtomicBool,
    registration: Mutex<Option<Registration>>,
    epmd_server: Mutex<Option<EpmdServer>>,
    limits: DecodeLimits,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A ping in flight, by the words of its reference: the node pinged, and where the
/// answer goes.
type PendingPing = (Atom, Sender<bool>);

/// A receiver of events called on the thread that produced them (a connection's
/// reader): see [`DistNode::set_event_sink`].
pub type EventSink = Arc<dyn Fn(DistEvent) + Send + Sync>;

/// Formats `io_lib:format(Format, Args)` (the two terms as they came, and the node's
/// table to read their pids): the text, or `None` where Erlang's would fail (`badarg`).
/// The layer above supplies it; this crate has no formatter of its own.
pub type IoFormatter = Box<dyn Fn(&NodeTable, &Eterm, &Eterm) -> Option<String> + Send + Sync>;

/// This layer's own pseudo-process (see the module docs).
const KERNEL_PID: Pid = Pid::new(0, 0, 0);

/// The high bit of reference ids this layer makes.
const OWN_REF_BIT: u64 = 1 << 63;

impl DistNode {
    /// Starts the node: listens, registers with EPMD, accepts connections. Returns the
    /// node and the channel of its events.
    pub fn start(config: DistConfig) -> Result<(DistNode, Receiver<DistEvent>), DistError> {
        if !valid_node_name(&config.name) {
            return Err(DistError::BadNodeName(config.name));
        }
        let (short, _) = config.name.split_once('@').unwrap_or_default();
        let listener = TcpListener::bind(config.listen)?;
        let listen_addr = listener.local_addr()?;
        let (registration, epmd_server) = register(&config, short, listen_addr.port())?;
        let name =
            Atom::try_new(&config.name).ok_or(DistError::BadNodeName(config.name.clone()))?;
        let table = NodeTable::new(NodeId {
            name,
            creation: registration.creation,
        });
        let (events, rx) = crossbeam_channel::unbounded();
        let inner = Arc::new(Inner {
            limits: DecodeLimits::default(),
            config,
            name,
            table,
            listen_addr,
            links: Mutex::new(Links::default()),
            dial_gates: Mutex::new(HashMap::new()),
            events,
            sink: RwLock::new(None),
            io_formatter: RwLock::new(None),
            pings: Mutex::new(HashMap::new()),
            next_ref: AtomicU64::new(OWN_REF_BIT),
            stopping: AtomicBool::new(false),
            registration: Mutex::new(Some(registration)),
            epmd_server: Mutex::new(epmd_server),
        });
        let acceptor = inner.clone();
        thread::Builder::new()
            .name("cube-dist-accept".into())
            .spawn(move || accept_loop(acceptor, listener))?;
        Ok((DistNode { inner }, rx))
    }

    /// This node's name.
    pub fn name(&self) -> Atom {
        self.inner.name
    }

    /// This node's creation (from EPMD).
    pub fn creation(&self) -> u32 {
        self.inner.table.local().creation
    }

    /// Where this node accepts connections.
    pub fn listen_addr(&self) -> SocketAddr {
        self.inner.listen_addr
    }

    /// The node table: pid/reference node indices of this node.
    pub fn table(&self) -> &NodeTable {
        &self.inner.table
    }

    /// The pid replies to this layer's own requests go to (see the module docs).
    pub fn kernel_pid(&self) -> Pid {
        KERNEL_PID
    }

    /// A received term as a cube `Term`.
    pub fn to_term(&self, t: &Eterm) -> Result<Term, DistError> {
        Ok(self.inner.table.to_term(t)?)
    }

    /// Connects to `node` unless connected (what sending does on demand).
    pub fn connect(&self, node: &str) -> Result<(), DistError> {
        self.inner.connection(node).map(drop)
    }

    /// Connected nodes.
    pub fn nodes(&self) -> Vec<Atom> {
        lock(&self.inner.links).up.keys().copied().collect()
    }

    /// `net_adm:ping/1`: connects if needed and asks the node's `net_kernel` whether it
    /// accepts us. Waits at most `timeout` for the answer.
    pub fn ping(&self, node: &str, timeout: Duration) -> Pong {
        let inner = &self.inner;
        if node == inner.config.name {
            return Pong::Pong; // as net_adm:ping(node())
        }
        let Ok(conn) = inner.connection(node) else {
            return Pong::Pang;
        };
        let reference = inner.new_ref();
        let Ok(wire_ref) = inner.table.ref_to_wire(reference) else {
            return Pong::Pang;
        };
        let Ok(me) = inner.table.pid_to_wire(self.kernel_pid()) else {
            return Pong::Pang;
        };
        let (tx, rx) = crossbeam_channel::bounded(1);
        lock(&inner.pings).insert(wire_ref.words.clone(), (conn.peer_atom, tx));
        let call = Eterm::tuple(vec![
            Eterm::atom("$gen_call"),
            Eterm::tuple(vec![Eterm::Pid(me), Eterm::Ref(wire_ref.clone())]),
            Eterm::tuple(vec![Eterm::atom("is_auth"), Eterm::Atom(inner.name)]),
        ]);
        let sent = conn.send(&Control::RegSend {
            from: me,
            to: Atom::new("net_kernel"),
            msg: call,
        });
        let answer = sent.is_ok() && rx.recv_timeout(timeout).unwrap_or(false);
        lock(&inner.pings).remove(&wire_ref.words);
        if answer {
            Pong::Pong
        } else {
            Pong::Pang
        }
    }

    /// Sends `msg` to the pid `to` of another node (connecting on demand), as `from` if
    /// given (`SEND_SENDER`).
    pub fn send(&self, from: Option<Pid>, to: Pid, msg: &Eterm) -> Result<(), DistError> {
        let inner = &self.inner;
        let Some((conn, to)) = inner.route(to)? else {
            return Ok(());
        };
        let from = from.map(|p| inner.table.pid_to_wire(p)).transpose()?;
        conn.send_framed(control::encode_send(from, to, msg, conn.peer.flags)?)
    }

    /// [`DistNode::send`] of a cube `Term` (converted for the destination node:
    /// [`NodeTable::to_eterm_for`]).
    pub fn send_term(&self, from: Option<Pid>, to: Pid, msg: &Term) -> Result<(), DistError> {
        let inner = &self.inner;
        let Some((conn, to)) = inner.route(to)? else {
            return Ok(());
        };
        let msg = inner.table.to_eterm_for(msg, conn.peer_atom)?;
        let from = from.map(|p| inner.table.pid_to_wire(p)).transpose()?;
        conn.send_framed(control::encode_send(from, to, &msg, conn.peer.flags)?)
    }

    /// [`DistNode::reg_send`] of a cube `Term`, converted for `node`.
    pub fn reg_send_term(
        &self,
        from: Pid,
        name: &str,
        node: &str,
        msg: &Term,
    ) -> Result<(), DistError> {
        let msg = match Atom::try_new(node) {
            Some(a) => self.inner.table.to_eterm_for(msg, a)?,
            None => self.inner.table.to_eterm(msg)?,
        };
        self.reg_send(from, name, node, &msg)
    }

    /// [`DistNode::send_term`] if a connection to `to`'s node is up and has at most
    /// `limit` bytes waiting; `Ok(false)` (nothing sent) otherwise. Never connects, so
    /// it never blocks: what a scheduler thread may call (`Distribution` in cube-cli).
    pub fn send_if_connected(
        &self,
        from: Option<Pid>,
        to: Pid,
        msg: &Term,
        limit: usize,
    ) -> Result<bool, DistError> {
        let inner = &self.inner;
        let wire = inner.table.pid_to_wire(to)?;
        let Some(conn) = self.ready_connection(wire.node, limit) else {
            return Ok(false);
        };
        if conn.peer.creation != wire.creation && wire.creation != 0 {
            return Ok(true); // An earlier incarnation's pid: the message vanishes.
        }
        let msg = inner.table.to_eterm_for(msg, wire.node)?;
        let from = from.map(|p| inner.table.pid_to_wire(p)).transpose()?;
        conn.send_framed(control::encode_send(from, wire, &msg, conn.peer.flags)?)?;
        Ok(true)
    }

    /// [`DistNode::reg_send`] of a `Term` under the same conditions as
    /// [`DistNode::send_if_connected`].
    pub fn reg_send_if_connected(
        &self,
        from: Pid,
        name: &str,
        node: &str,
        msg: &Term,
        limit: usize,
    ) -> Result<bool, DistError> {
        let inner = &self.inner;
        let (Some(node), Some(to)) = (Atom::try_new(node), Atom::try_new(name)) else {
            return Ok(false);
        };
        let Some(conn) = self.ready_connection(node, limit) else {
            return Ok(false);
        };
        let msg = inner.table.to_eterm_for(msg, node)?;
        let from = inner.table.pid_to_wire(from)?;
        conn.send_framed(control::encode_reg_send(from, to, &msg, conn.peer.flags)?)?;
        Ok(true)
    }

    /// The connection to `node` if it is up with at most `limit` bytes waiting.
    fn ready_connection(
        &self,
        node: Atom,
        limit: usize,
    ) -> Option<Arc<crate::connection::Connection>> {
        let conn = lock(&self.inner.links).up.get(&node).cloned()?;
        (conn.pending_bytes() <= limit && !conn.is_closed()).then_some(conn)
    }

    /// Sends `msg` to the process registered as `name` on `node` (`{Name, Node} ! Msg`).
    pub fn reg_send(
        &self,
        from: Pid,
        name: &str,
        node: &str,
        msg: &Eterm,
    ) -> Result<(), DistError> {
        let inner = &self.inner;
        let conn = inner.connection(node)?;
        let to = Atom::try_new(name).ok_or_else(|| DistError::BadNodeName(name.into()))?;
        let from = inner.table.pid_to_wire(from)?;
        conn.send_framed(control::encode_reg_send(from, to, msg, conn.peer.flags)?)
    }

    /// Links local `from` with remote `to`.
    pub fn link(&self, from: Pid, to: Pid) -> Result<(), DistError> {
        self.signal(
            to,
            |from_w, to_w| Control::Link {
                from: from_w,
                to: to_w,
            },
            from,
        )
    }

    /// Removes the link between local `from` and remote `to` (`UNLINK_ID` with `id`).
    pub fn unlink(&self, id: u64, from: Pid, to: Pid) -> Result<(), DistError> {
        self.signal(to, |f, t| Control::Unlink { id, from: f, to: t }, from)
    }

    /// An exit signal over the link from local `from` to remote `to`.
    pub fn exit(&self, from: Pid, to: Pid, reason: &Eterm) -> Result<(), DistError> {
        let reason = reason.clone();
        self.signal(
            to,
            |f, t| Control::Exit {
                from: f,
                to: t,
                reason,
            },
            from,
        )
    }

    /// `exit(To, Reason)` from local `from` to remote `to`.
    pub fn exit2(&self, from: Pid, to: Pid, reason: &Eterm) -> Result<(), DistError> {
        let reason = reason.clone();
        self.signal(
            to,
            |f, t| Control::Exit2 {
                from: f,
                to: t,
                reason,
            },
            from,
        )
    }

    /// Local `from` monitors `to` on another node with `reference`.
    pub fn monitor(&self, from: Pid, to: &Target, reference: Reference) -> Result<(), DistError> {
        let inner = &self.inner;
        let (conn, to) = inner.target(to)?;
        conn.send(&Control::Monitor {
            from: inner.table.pid_to_wire(from)?,
            to,
            reference: inner.table.ref_to_wire(reference)?,
        })
    }

    /// Ends the monitor `reference` of local `from` on `to`.
    pub fn demonitor(&self, from: Pid, to: &Target, reference: Reference) -> Result<(), DistError> {
        let inner = &self.inner;
        let (conn, to) = inner.target(to)?;
        conn.send(&Control::Demonitor {
            from: inner.table.pid_to_wire(from)?,
            to,
            reference: inner.table.ref_to_wire(reference)?,
        })
    }

    /// Tells remote `to`, which monitors local `from` with `reference`, that `from`
    /// ended with `reason`.
    pub fn monitor_exit(
        &self,
        from: &Target,
        to: Pid,
        reference: Reference,
        reason: &Eterm,
    ) -> Result<(), DistError> {
        let inner = &self.inner;
        let Some((conn, to)) = inner.route(to)? else {
            return Ok(());
        };
        let from = match from {
            Target::Pid(p) => ProcName::Pid(inner.table.pid_to_wire(*p)?),
            Target::Name { name, .. } => ProcName::Name(*name),
        };
        conn.send(&Control::MonitorExit {
            from,
            to,
            reference: inner.table.ref_to_wire(reference)?,
            reason: reason.clone(),
        })
    }

    /// Answers the spawn request `req_id` of remote `to` (see
    /// [`DistEvent::SpawnRequest`]): `Ok(pid)` with whether a link and a monitor
    /// were set up, or `Err(reason)`, an atom such as `badarg` or `system_limit`.
    pub fn spawn_reply(
        &self,
        to: Pid,
        req_id: Reference,
        result: Result<(Pid, bool, bool), &str>,
    ) -> Result<(), DistError> {
        let inner = &self.inner;
        let Some((conn, to)) = inner.route(to)? else {
            return Ok(());
        };
        let (flags, result) = match result {
            Ok((pid, link, monitor)) => (
                i64::from(link) | (i64::from(monitor) << 1),
                Eterm::Pid(inner.table.pid_to_wire(pid)?),
            ),
            Err(reason) => (0, Eterm::atom(reason)),
        };
        conn.send(&Control::SpawnReply {
            req_id: inner.table.ref_to_wire(req_id)?,
            to,
            flags,
            result,
        })
    }

    /// Asks `node` (connecting on demand) to run `erpc:execute_call(Tag, M, F, Args)`
    /// for local `from`, with a monitor whose reference is `req_id`: how
    /// `rpc:call`/`erpc:call` of OTP 23+ call another node. The answer comes as a
    /// [`DistEvent::SpawnReply`] (only an error matters), then a
    /// [`DistEvent::MonitorExit`] with reference `req_id` whose reason is
    /// `{Tag, return, Value}`, `{Tag, throw, Value}`, `{Tag, exit, Reason}` or
    /// `{Tag, error, Reason, Stack}` (or why the process died). Output of the call
    /// comes to this node's standard output (the kernel pid is its group leader).
    #[allow(clippy::too_many_arguments)]
    pub fn call(
        &self,
        from: Pid,
        node: &str,
        req_id: Reference,
        tag: Reference,
        module: Atom,
        function: Atom,
        args: Vec<Eterm>,
    ) -> Result<(), DistError> {
        let tag = Eterm::Ref(self.inner.table.ref_to_wire(tag)?);
        let args = vec![
            tag,
            Eterm::Atom(module),
            Eterm::Atom(function),
            Eterm::List(args),
        ];
        let erpc = (Atom::new("erpc"), Atom::new("execute_call"));
        self.spawn_request(from, node, req_id, erpc, args, true)
    }

    /// Asks `node` (connecting on demand) to spawn `module:function(args...)` for
    /// local `from`, with a monitor (reference `req_id`) if `monitor`; the answer comes
    /// as a [`DistEvent::SpawnReply`]. Its group leader is the kernel pid (see
    /// [`DistNode::call`]).
    pub fn spawn_request(
        &self,
        from: Pid,
        node: &str,
        req_id: Reference,
        (module, function): (Atom, Atom),
        args: Vec<Eterm>,
        monitor: bool,
    ) -> Result<(), DistError> {
        let inner = &self.inner;
        let conn = inner.connection(node)?;
        let table = &inner.table;
        let options = if monitor {
            vec![Eterm::atom("monitor")]
        } else {
            Vec::new()
        };
        conn.send(&Control::SpawnRequest {
            req_id: table.ref_to_wire(req_id)?,
            from: table.pid_to_wire(from)?,
            group_leader: table.pid_to_wire(KERNEL_PID)?,
            module,
            function,
            arity: args.len() as i64,
            options: Eterm::List(options),
            args: Eterm::List(args),
        })
    }

    /// Closes the connection to `node`, if any (`erlang:disconnect_node/1`).
    pub fn disconnect(&self, node: &str) {
        let conn = Atom::try_new(node).and_then(|a| lock(&self.inner.links).up.get(&a).cloned());
        if let Some(c) = conn {
            c.close();
        }
    }

    /// Waits while more than `limit` bytes wait to be written to `node` (if connected),
    /// at most until `deadline`: see [`crate::connection::Connection::wait_writable`]. For the threads
    /// that send on behalf of processes, so that a slow node slows its senders
    /// instead of filling memory.
    pub fn wait_writable(&self, node: Atom, limit: usize, deadline: std::time::Instant) {
        let conn = lock(&self.inner.links).up.get(&node).cloned();
        if let Some(c) = conn {
            c.wait_writable(limit, deadline);
        }
    }

    /// Waits until what was queued on every connection so far is written, at most
    /// `timeout` in all (before [`DistNode::stop`], so that a node's last messages
    /// and exit signals reach their nodes).
    pub fn drain(&self, timeout: Duration) {
        let deadline = std::time::Instant::now() + timeout;
        let conns: Vec<_> = lock(&self.inner.links).up.values().cloned().collect();
        for c in conns {
            c.drain(deadline);
        }
    }

    /// Stops the node: unregisters from EPMD, closes every connection and the listener
    /// (and our EPMD server, if we started one).
    /// Hands events to `sink`, on the thread that produced them, instead of the
    /// channel `start` returned (`events`, which is drained into `sink` first, in
    /// order): one thread hand-off less for everything that arrives. Events of one
    /// connection keep their order (its reader makes them); events of different
    /// connections may be handled at the same time. `sink` is dropped by
    /// [`DistNode::stop`] (it may hold this node).
    pub fn set_event_sink(&self, events: &Receiver<DistEvent>, sink: EventSink) {
        let mut slot = self.inner.sink.write().unwrap_or_else(|e| e.into_inner());
        // Every event sent to the channel before this lock was taken is in it now.
        for e in events.try_iter() {
            sink(e);
        }
        *slot = Some(sink);
    }

    /// Lets I/O requests to format (`io:format` in code a call of this node runs on
    /// another node) be answered: without a formatter they are refused with
    /// `{error, enotsup}`.
    pub fn set_io_formatter(&self, f: IoFormatter) {
        *self
            .inner
            .io_formatter
            .write()
            .unwrap_or_else(|e| e.into_inner()) = Some(f);
    }

    pub fn stop(&self) {
        let inner = &self.inner;
        if inner.stopping.swap(true, Ordering::SeqCst) {
            return;
        }
        inner.sink.write().unwrap_or_else(|e| e.into_inner()).take();
        // Wake the acceptor.
        let mut wake = inner.listen_addr;
        if wake.ip().is_unspecified() {
            wake.set_ip(IpAddr::V4(Ipv4Addr::LOCALHOST));
        }
        let _ = TcpStream::connect_timeout(&wake, Duration::from_secs(1));
        let conns: Vec<_> = lock(&inner.links).up.values().cloned().collect();
        for c in conns {
            c.close();
        }
        lock(&inner.registration).take();
        lock(&inner.epmd_server).take();
    }

    fn signal(
        &self,
        to: Pid,
        make: impl FnOnce(ExtPid, ExtPid) -> Control,
        from: Pid,
    ) -> Result<(), DistError> {
        let inner = &self.inner;
        let Some((conn, to)) = inner.route(to)? else {
            return Ok(());
        };
        let from = inner.table.pid_to_wire(from)?;
        conn.send(&make(from, to))
    }
}
