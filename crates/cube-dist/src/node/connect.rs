//! Connections: EPMD registration, the acceptor, dialling on demand, the decisions of
//! simultaneous connects ([`Links`]), and each connection's read loop.

use super::{lock, DistConfig, DistEvent, Inner, Target};
use crate::connection::{read_loop, Connection};
use crate::control::ProcName;
use crate::epmd::{self, EpmdServer, NodeEntry, Registration};
use crate::error::DistError;
use crate::etf::ExtPid;
use crate::flags;
use crate::handshake::{self, valid_node_name, Admission, HandshakeError, Local};
use cube_term::{Atom, Pid, Reference};
use std::collections::{HashMap, HashSet};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

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
pub(super) struct Links {
    pub(super) up: HashMap<Atom, Arc<Connection>>,
    pub(super) dialling: HashSet<Atom>,
    pub(super) accepting: HashSet<Atom>,
}

impl Links {
    /// Whether a connection to `node` is up or being accepted (so our own dial should
    /// give way to it).
    fn has_or_gets(&self, node: Atom) -> bool {
        self.up.contains_key(&node) || self.accepting.contains(&node)
    }
}

/// Registers with the EPMD on this host, starting our own server if none answers.
pub(super) fn register(
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
        extra: crate::convert::CUBE_EPMD_EXTRA.to_vec(),
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

pub(super) fn accept_loop(inner: Arc<Inner>, listener: TcpListener) {
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
    pub(super) fn local(&self) -> Local<'_> {
        Local {
            name: &self.config.name,
            creation: self.table.local().creation,
            flags: flags::OURS,
            cookie: &self.config.cookie,
        }
    }

    pub(super) fn emit(&self, e: DistEvent) {
        let slot = self.sink.read().unwrap_or_else(|e| e.into_inner());
        match slot.clone() {
            Some(sink) => {
                drop(slot);
                sink(e);
            }
            // Sent under the read lock: `set_event_sink` drains the channel under the
            // write lock, so no event can land in it after that drain.
            None => {
                let _ = self.events.send(e);
            }
        }
    }

    pub(super) fn new_ref(&self) -> Reference {
        Reference::new(0, self.next_ref.fetch_add(1, Ordering::Relaxed))
    }

    /// The handshake of a node that connected to us, then its read loop.
    pub(super) fn accept_one(self: Arc<Self>, mut stream: TcpStream) {
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
        let result = result.map_err(DistError::from).and_then(|peer| {
            if let Some(atom) = admitted.filter(|_| self.registered_as_cube(&peer.name)) {
                self.table.mark_cube(atom);
            }
            self.install(stream, peer, false)
        });
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
    pub(super) fn admit(&self, name: &str) -> (Admission, Option<Atom>) {
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
    pub(super) fn connection(self: &Arc<Self>, node: &str) -> Result<Arc<Connection>, DistError> {
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
    pub(super) fn wait_for_connection(&self, node: Atom, patient: bool) -> Option<Arc<Connection>> {
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

    /// Whether the node called `name` (which just connected to us) is registered with
    /// the EPMD of its host as a cube node. Asked before the connection is installed,
    /// so its first message is already converted for it; a node EPMD does not know
    /// (a hidden or C node) is taken for an Erlang one.
    fn registered_as_cube(&self, name: &str) -> bool {
        let Some((short, host)) = name.split_once('@') else {
            return false;
        };
        let Some(ip) = (host, self.config.epmd_port)
            .to_socket_addrs()
            .ok()
            .and_then(|a| a.min_by_key(|a| !a.is_ipv4()))
        else {
            return false;
        };
        matches!(
            epmd::port_please(SocketAddr::new(ip.ip(), self.config.epmd_port), short),
            Ok(Some(entry)) if entry.extra == crate::convert::CUBE_EPMD_EXTRA
        )
    }

    /// Finds `node` through the EPMD of its host and shakes hands.
    pub(super) fn dial(
        &self,
        node: &str,
        atom: Atom,
    ) -> Result<(TcpStream, handshake::Peer), DistError> {
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
        if entry.extra == crate::convert::CUBE_EPMD_EXTRA {
            self.table.mark_cube(atom);
        }
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
    pub(super) fn install(
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
    pub(super) fn read(&self, conn: Arc<Connection>, reader: TcpStream) {
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
    pub(super) fn route(
        self: &Arc<Self>,
        to: Pid,
    ) -> Result<Option<(Arc<Connection>, ExtPid)>, DistError> {
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

    pub(super) fn target(
        self: &Arc<Self>,
        to: &Target,
    ) -> Result<(Arc<Connection>, ProcName), DistError> {
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
}
