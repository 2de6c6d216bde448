//! [`DistNode`]: this node as a member of an Erlang cluster. It listens for other nodes,
//! registers with EPMD (starting an EPMD-compatible server when none answers), connects
//! on demand, answers `net_kernel`'s `is_auth` (so `net_adm:ping/1` from erl gets
//! `pong`), and turns everything else that arrives into [`DistEvent`]s on a channel for
//! the layer above (cube-vm integration is the next step).
//!
//! # This node's own pseudo-process
//! Pings need a sender pid that replies come back to. It is [`DistNode::kernel_pid`],
//! local pid number 0, which cube-vm never allocates (its pids start at 1); messages to
//! it are handled here and never become events. References this layer makes (ping tags)
//! have the top bit of their `u64` set, apart from any cube-vm makes.

use crate::connection::{read_loop, Connection};
use crate::control::{self, Control, ProcName};
use crate::convert::{NodeId, NodeTable};
use crate::epmd::{self, EpmdServer, NodeEntry, Registration};
use crate::error::DistError;
use crate::etf::{DecodeLimits, Eterm, ExtPid, ExtRef};
use crate::flags;
use crate::handshake::{self, valid_node_name, Admission, HandshakeError, Local};
use crossbeam_channel::{Receiver, Sender};
use cube_term::{Atom, Pid, Reference, Term};
use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::Duration;

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
/// [`NodeTable`]); message bodies and exit reasons stay wire terms ([`Eterm`]), because
/// some have no `Term` form: convert them with [`DistNode::to_term`].
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
    /// A process we monitor on another node ended.
    MonitorExit {
        from: Target,
        to: Pid,
        reference: Reference,
        reason: Eterm,
    },
}

/// The answer of [`DistNode::ping`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pong {
    Pong,
    Pang,
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
    pings: Mutex<HashMap<Vec<u32>, PendingPing>>,
    next_ref: AtomicU64,
    stopping: AtomicBool,
    registration: Mutex<Option<Registration>>,
    epmd_server: Mutex<Option<EpmdServer>>,
    limits: DecodeLimits,
}

/// Every connection to another node, and every one being set up, under one lock so
/// that the decisions of a simultaneous connect see one consistent state.
///
/// Why all three: when two nodes connect to each other at once, exactly one attempt must
/// survive on both sides. A dialled attempt is `dialling` from before its first packet
/// until it is `up` (or failed); an accepted one is `accepting` from its admission until
/// it is `up`. An incoming attempt meets: an `up` connection -> "alive" (the peer
/// replaces it only if it has no connection of its own, see `Inner::dial`); one being
/// accepted -> "nok"; our own dial -> erl's rule (the greater node name's attempt wins).
#[derive(Default)]
struct Links {
    up: HashMap<Atom, Arc<Connection>>,
    dialling: HashSet<Atom>,
    accepting: HashSet<Atom>,
}

impl Links {
    /// Whether a connection to `node` is up or being accepted (so our own dial should
    /// give way to it).
    fn has_or_gets(&self, node: Atom) -> bool {
        self.up.contains_key(&node) || self.accepting.contains(&node)
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A ping in flight, by the words of its reference: the node pinged, and where the
/// answer goes.
type PendingPing = (Atom, Sender<bool>);

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

    /// [`DistNode::send`] of a cube `Term`.
    pub fn send_term(&self, from: Option<Pid>, to: Pid, msg: &Term) -> Result<(), DistError> {
        let msg = self.inner.table.to_eterm(msg)?;
        self.send(from, to, &msg)
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

    /// Closes the connection to `node`, if any (`erlang:disconnect_node/1`).
    pub fn disconnect(&self, node: &str) {
        let conn = Atom::try_new(node).and_then(|a| lock(&self.inner.links).up.get(&a).cloned());
        if let Some(c) = conn {
            c.close();
        }
    }

    /// Stops the node: unregisters from EPMD, closes every connection and the listener
    /// (and our EPMD server, if we started one).
    pub fn stop(&self) {
        let inner = &self.inner;
        if inner.stopping.swap(true, Ordering::SeqCst) {
            return;
        }
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

/// Registers with the EPMD on this host, starting our own server if none answers.
fn register(
    config: &DistConfig,
    short: &str,
    port: u16,
) -> Result<(Registration, Option<EpmdServer>), DistError> {
    let entry = NodeEntry {
        name: short.to_owned(),
        port,
        node_type: epmd::NODE_TYPE_NORMAL,
        protocol: epmd::PROTOCOL_TCP,
        highest_version: 6,
        lowest_version: 5,
        extra: vec![],
    };
    let epmd_addr = SocketAddr::from((Ipv4Addr::LOCALHOST, config.epmd_port));
    match epmd::register(epmd_addr, &entry) {
        Ok(r) => Ok((r, None)),
        Err(epmd::EpmdError::Io(e))
            if config.start_epmd && e.kind() == std::io::ErrorKind::ConnectionRefused =>
        {
            // No EPMD: serve one, as erl starts epmd. Another node may win the race to
            // bind the port; then register with theirs.
            let server =
                EpmdServer::bind(SocketAddr::from((Ipv4Addr::UNSPECIFIED, config.epmd_port))).ok();
            Ok((epmd::register(epmd_addr, &entry)?, server))
        }
        Err(e) => Err(e.into()),
    }
}

/// Most incoming handshakes in progress at once; more connections are closed at once
/// (a flood of connections must not become a flood of threads).
const MAX_HANDSHAKES: usize = 64;

fn accept_loop(inner: Arc<Inner>, listener: TcpListener) {
    let in_progress = Arc::new(AtomicUsize::new(0));
    for stream in listener.incoming() {
        if inner.stopping.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else { continue };
        if in_progress.fetch_add(1, Ordering::SeqCst) >= MAX_HANDSHAKES {
            in_progress.fetch_sub(1, Ordering::SeqCst);
            continue; // dropping `stream` closes it
        }
        let (inner, count) = (inner.clone(), in_progress.clone());
        let spawned = thread::Builder::new()
            .name("cube-dist-conn".into())
            .spawn(move || {
                inner.accept_one(stream);
                count.fetch_sub(1, Ordering::SeqCst);
            });
        if spawned.is_err() {
            in_progress.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

impl Inner {
    fn local(&self) -> Local<'_> {
        Local {
            name: &self.config.name,
            creation: self.table.local().creation,
            flags: flags::OURS,
            cookie: &self.config.cookie,
        }
    }

    fn emit(&self, e: DistEvent) {
        let _ = self.events.send(e);
    }

    fn new_ref(&self) -> Reference {
        Reference::new(0, self.next_ref.fetch_add(1, Ordering::Relaxed))
    }

    /// The handshake of a node that connected to us, then its read loop.
    fn accept_one(self: Arc<Self>, mut stream: TcpStream) {
        let peer_addr = stream
            .peer_addr()
            .unwrap_or_else(|_| SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)));
        let timeout = Some(self.config.connect_timeout);
        if stream.set_read_timeout(timeout).is_err() || stream.set_write_timeout(timeout).is_err() {
            return;
        }
        let mut admitted = None;
        let result = handshake::accept(&mut stream, &self.local(), |name| {
            let (admission, atom) = self.admit(name);
            admitted = atom;
            admission
        });
        let result = result
            .map_err(DistError::from)
            .and_then(|peer| self.install(stream, peer, false));
        let Err(e) = result else { return }; // installed: `install` ended `accepting`
        if let Some(atom) = admitted {
            lock(&self.links).accepting.remove(&atom);
        }
        // A lost simultaneous-connect race ("nok", "alive" kept) is routine, not a refusal.
        let routine = matches!(e, DistError::Handshake(HandshakeError::Refused { .. }));
        if routine || self.stopping.load(Ordering::SeqCst) {
            return;
        }
        eprintln!("cube-dist: ** Connection attempt from {peer_addr} rejected: {e} **");
        self.emit(DistEvent::Refused {
            peer: peer_addr,
            reason: e.to_string(),
        });
    }

    /// The status for a node that wants to connect to us (see [`Links`]), and the node
    /// now marked as being accepted, if it is.
    fn admit(&self, name: &str) -> (Admission, Option<Atom>) {
        let Some(atom) = Atom::try_new(name) else {
            return (Admission::NotAllowed, None);
        };
        if self.stopping.load(Ordering::SeqCst) || atom == self.name {
            return (Admission::NotAllowed, None);
        }
        let mut links = lock(&self.links);
        let admission = if links.up.contains_key(&atom) {
            Admission::Alive
        } else if links.accepting.contains(&atom) {
            Admission::Nok
        } else if links.dialling.contains(&atom) {
            // Both sides are connecting: the greater name's attempt wins (erl's rule).
            if self.config.name.as_str() > name {
                Admission::Nok
            } else {
                Admission::OkSimultaneous
            }
        } else {
            Admission::Ok
        };
        match admission {
            Admission::Nok | Admission::NotAllowed => (admission, None),
            _ => {
                links.accepting.insert(atom);
                (admission, Some(atom))
            }
        }
    }

    /// The connection to `node`, made if there is none.
    fn connection(self: &Arc<Self>, node: &str) -> Result<Arc<Connection>, DistError> {
        if self.stopping.load(Ordering::SeqCst) {
            return Err(DistError::Stopped);
        }
        if !valid_node_name(node) {
            return Err(DistError::BadNodeName(node.into()));
        }
        let atom = Atom::try_new(node).ok_or_else(|| DistError::BadNodeName(node.into()))?;
        if atom == self.name {
            return Err(DistError::LocalPid);
        }
        if let Some(c) = lock(&self.links).up.get(&atom) {
            return Ok(c.clone());
        }
        let gate = lock(&self.dial_gates).entry(atom).or_default().clone();
        let _one_at_a_time = lock(&gate);
        {
            let mut links = lock(&self.links);
            if let Some(c) = links.up.get(&atom) {
                return Ok(c.clone());
            }
            if links.accepting.contains(&atom) {
                drop(links);
                return self
                    .wait_for_connection(atom, false)
                    .ok_or_else(|| DistError::Closed(node.into()));
            }
            links.dialling.insert(atom);
        }
        let result = self
            .dial(node, atom)
            .and_then(|(stream, peer)| self.install(stream, peer, true));
        lock(&self.links).dialling.remove(&atom);
        match result {
            Ok(conn) => Ok(conn),
            // "nok": the peer is connecting to us at the same time and its attempt wins;
            // it may not even have reached our acceptor yet, so wait for it.
            Err(DistError::Handshake(HandshakeError::Refused { status, .. }))
                if status == "nok" =>
            {
                self.wait_for_connection(atom, true)
                    .ok_or_else(|| DistError::Closed(node.into()))
            }
            // "alive" answered false, or a failure while the peer's own attempt is
            // being accepted: use that one.
            Err(e) => {
                if lock(&self.links).has_or_gets(atom) {
                    self.wait_for_connection(atom, false).ok_or(e)
                } else {
                    Err(e)
                }
            }
        }
    }

    /// The connection to `node` once our acceptor has installed it, waiting at most the
    /// connect timeout; unless `patient`, giving up as soon as no attempt from `node` is
    /// being accepted.
    fn wait_for_connection(&self, node: Atom, patient: bool) -> Option<Arc<Connection>> {
        let deadline = std::time::Instant::now() + self.config.connect_timeout;
        loop {
            {
                let links = lock(&self.links);
                if let Some(c) = links.up.get(&node) {
                    return Some(c.clone());
                }
                if !patient && !links.accepting.contains(&node) {
                    return None; // that attempt failed
                }
            }
            if std::time::Instant::now() > deadline || self.stopping.load(Ordering::SeqCst) {
                return None;
            }
            thread::sleep(Duration::from_millis(5));
        }
    }

    /// Finds `node` through the EPMD of its host and shakes hands.
    fn dial(&self, node: &str, atom: Atom) -> Result<(TcpStream, handshake::Peer), DistError> {
        let (short, host) = node
            .split_once('@')
            .ok_or_else(|| DistError::BadNodeName(node.into()))?;
        let ip = (host, self.config.epmd_port)
            .to_socket_addrs()
            .map_err(|_| DistError::UnknownHost(host.into()))?
            .min_by_key(|a| !a.is_ipv4()) // prefer IPv4, as erl's inet_tcp_dist
            .ok_or_else(|| DistError::UnknownHost(host.into()))?
            .ip();
        let entry = epmd::port_please(SocketAddr::new(ip, self.config.epmd_port), short)?
            .ok_or_else(|| DistError::NoSuchNode(node.into()))?;
        let mut stream = TcpStream::connect_timeout(
            &SocketAddr::new(ip, entry.port),
            self.config.connect_timeout,
        )?;
        stream.set_read_timeout(Some(self.config.connect_timeout))?;
        stream.set_write_timeout(Some(self.config.connect_timeout))?;
        let peer = handshake::connect_with(&mut stream, &self.local(), node, || {
            !lock(&self.links).has_or_gets(atom)
        })?;
        Ok((stream, peer))
    }

    /// Makes `stream` the connection to `peer` (replacing any older one: the handshake
    /// only completes when the peer wants that) and starts its reader thread. `dialled`:
    /// we initiated it (it leaves `dialling`; an accepted one leaves `accepting`).
    fn install(
        self: &Arc<Self>,
        stream: TcpStream,
        peer: handshake::Peer,
        dialled: bool,
    ) -> Result<Arc<Connection>, DistError> {
        let reader = stream.try_clone()?;
        let conn = Arc::new(Connection::start(stream, peer, self.config.net_ticktime)?);
        let old = {
            let mut links = lock(&self.links);
            if dialled {
                links.dialling.remove(&conn.peer_atom);
            } else {
                links.accepting.remove(&conn.peer_atom);
            }
            links.up.insert(conn.peer_atom, conn.clone())
        };
        if let Some(old) = old {
            old.close();
        }
        self.emit(DistEvent::NodeUp(conn.peer_atom));
        let (inner, conn2) = (self.clone(), conn.clone());
        let spawned = thread::Builder::new()
            .name("cube-dist-read".into())
            .spawn(move || inner.read(conn2, reader));
        if let Err(e) = spawned {
            conn.close();
            lock(&self.links).up.remove(&conn.peer_atom);
            return Err(e.into());
        }
        Ok(conn)
    }

    /// The read loop of `conn`, then its `nodedown`.
    fn read(&self, conn: Arc<Connection>, reader: TcpStream) {
        let reason = read_loop(
            &conn,
            reader,
            self.config.net_ticktime,
            self.config.max_packet,
            &self.limits,
            |c| self.deliver(&conn, c),
        );
        let removed = {
            let mut links = lock(&self.links);
            match links.up.get(&conn.peer_atom) {
                Some(c) if Arc::ptr_eq(c, &conn) => links.up.remove(&conn.peer_atom).is_some(),
                _ => false,
            }
        };
        if removed {
            // Pings of that node will get no answer now.
            lock(&self.pings).retain(|_, (node, tx)| {
                let waiting = *node != conn.peer_atom;
                if !waiting {
                    let _ = tx.send(false);
                }
                waiting
            });
            self.emit(DistEvent::NodeDown {
                node: conn.peer_atom,
                reason,
            });
        }
    }

    /// Where a pid of another node is reached: its connection and its wire form.
    /// `None` when the pid belongs to an earlier incarnation of the node (Erlang drops
    /// what is sent to those).
    fn route(self: &Arc<Self>, to: Pid) -> Result<Option<(Arc<Connection>, ExtPid)>, DistError> {
        if to.node() == 0 {
            return Err(DistError::LocalPid);
        }
        let wire = self.table.pid_to_wire(to)?;
        let conn = self.connection(wire.node.name())?;
        if conn.peer.creation != wire.creation && wire.creation != 0 {
            return Ok(None);
        }
        Ok(Some((conn, wire)))
    }

    fn target(self: &Arc<Self>, to: &Target) -> Result<(Arc<Connection>, ProcName), DistError> {
        match to {
            Target::Pid(p) => {
                if p.node() == 0 {
                    return Err(DistError::LocalPid);
                }
                let wire = self.table.pid_to_wire(*p)?;
                Ok((self.connection(wire.node.name())?, ProcName::Pid(wire)))
            }
            Target::Name { name, node } => {
                Ok((self.connection(node.name())?, ProcName::Name(*name)))
            }
        }
    }

    /// One control message from `conn`: answered here (net_kernel, our ping replies,
    /// unlink acks) or turned into an event.
    fn deliver(&self, conn: &Connection, c: Control) {
        let t = &self.table;
        let reference = |r: &ExtRef| t.ref_from_wire(r).ok();
        let remote = |p: ExtPid| t.pid_from_wire(p);
        // A pid of this node's name but another creation belongs to an earlier
        // incarnation: what is addressed to it is dropped, as erl drops it.
        let local = |p: ExtPid| Some(t.pid_from_wire(p)).filter(|p| p.node() == 0);
        let target = |n: &ProcName, node: Atom| match n {
            ProcName::Pid(p) => Target::Pid(t.pid_from_wire(*p)),
            ProcName::Name(name) => Target::Name { name: *name, node },
        };
        let local_target = |n: &ProcName| match n {
            ProcName::Pid(p) => local(*p).map(Target::Pid),
            ProcName::Name(name) => Some(Target::Name {
                name: *name,
                node: self.name,
            }),
        };
        let event = match c {
            Control::Send { from, to, msg } => {
                let Some(to) = local(to) else { return };
                if to == KERNEL_PID {
                    self.kernel_message(&msg);
                    return;
                }
                Some(DistEvent::Message {
                    from: from.map(remote),
                    to,
                    msg,
                })
            }
            Control::RegSend { from, to, msg } => {
                if to.name() == "net_kernel" && self.net_kernel(conn, &msg) {
                    return;
                }
                Some(DistEvent::RegMessage {
                    from: remote(from),
                    to,
                    msg,
                })
            }
            // An alias we never made has nobody to deliver to.
            Control::AliasSend { from, alias, msg } => {
                reference(&alias).map(|alias| DistEvent::AliasMessage {
                    from: remote(from),
                    alias,
                    msg,
                })
            }
            Control::Link { from, to } => local(to).map(|to| DistEvent::Link {
                from: remote(from),
                to,
            }),
            Control::Unlink { id, from, to } => {
                if id != 0 {
                    // The unlink takes effect when the event is handled; the ack only
                    // tells the peer its request arrived, which it has.
                    let _ = conn.send(&Control::UnlinkAck {
                        id,
                        from: to,
                        to: from,
                    });
                }
                local(to).map(|to| DistEvent::Unlink {
                    from: remote(from),
                    to,
                })
            }
            Control::UnlinkAck { .. } | Control::Ignored(_) => None,
            Control::Exit { from, to, reason } => local(to).map(|to| DistEvent::Exit {
                from: remote(from),
                to,
                reason,
            }),
            Control::Exit2 { from, to, reason } => local(to).map(|to| DistEvent::Exit2 {
                from: remote(from),
                to,
                reason,
            }),
            // net_kernel is this layer (gen:call monitors it during is_auth): it lives
            // as long as the node, so a monitor of it needs no bookkeeping.
            Control::Monitor { to, .. } | Control::Demonitor { to, .. } if self.is_kernel(&to) => {
                None
            }
            Control::Monitor {
                from,
                to,
                reference: r,
            } => local_target(&to)
                .zip(reference(&r))
                .map(|(to, r)| DistEvent::Monitor {
                    from: remote(from),
                    to,
                    reference: r,
                }),
            Control::Demonitor {
                from,
                to,
                reference: r,
            } => local_target(&to)
                .zip(reference(&r))
                .map(|(to, r)| DistEvent::Demonitor {
                    from: remote(from),
                    to,
                    reference: r,
                }),
            Control::MonitorExit {
                from,
                to,
                reference: r,
                reason,
            } => local(to)
                .zip(reference(&r))
                .map(|(to, r)| DistEvent::MonitorExit {
                    from: target(&from, conn.peer_atom),
                    to,
                    reference: r,
                    reason,
                }),
        };
        if let Some(e) = event {
            self.emit(e);
        }
    }

    /// Whether `p` names this layer's own process (`net_kernel`, or the kernel pid).
    fn is_kernel(&self, p: &ProcName) -> bool {
        match p {
            ProcName::Name(name) => name.name() == "net_kernel",
            ProcName::Pid(pid) => self.table.pid_from_wire(*pid) == KERNEL_PID,
        }
    }

    /// `gen_server:call(net_kernel, {is_auth, Node})`, as `net_adm:ping/1` sends it:
    /// answered `yes` (the handshake already checked the cookie). Whether handled.
    fn net_kernel(&self, conn: &Connection, msg: &Eterm) -> bool {
        let Some([label, from, request]) =
            msg.as_tuple().and_then(|t| <&[Eterm; 3]>::try_from(t).ok())
        else {
            return false;
        };
        if !label.is_atom("$gen_call") {
            return false;
        }
        let Some([caller, tag]) = from
            .as_tuple()
            .and_then(|t| <&[Eterm; 2]>::try_from(t).ok())
        else {
            return false;
        };
        let Some(caller) = caller.as_pid() else {
            return false;
        };
        let is_auth = request
            .as_tuple()
            .is_some_and(|r| r.len() == 2 && r[0].is_atom("is_auth"));
        if !is_auth {
            return false;
        }
        let reply = Eterm::tuple(vec![tag.clone(), Eterm::atom("yes")]);
        let _ = conn.send(&Control::Send {
            from: None,
            to: caller,
            msg: reply,
        });
        true
    }

    /// A message to our kernel pid: a reply to one of our pings, `{Ref, yes}`.
    fn kernel_message(&self, msg: &Eterm) {
        if let Some([Eterm::Ref(r), answer]) =
            msg.as_tuple().and_then(|t| <&[Eterm; 2]>::try_from(t).ok())
        {
            if r.node == self.name {
                if let Some((_, tx)) = lock(&self.pings).remove(&r.words) {
                    let _ = tx.send(answer.is_atom("yes"));
                }
            }
        }
    }
}
