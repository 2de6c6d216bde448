//! One established connection to another node: a writer thread that owns the sending
//! half, and the reader loop that decodes what arrives.
//!
//! # Why a writer thread
//! Senders (any thread) only encode and queue; they never block on the socket. Above
//! all the reader never does: it answers some messages itself (`is_auth`, unlink acks),
//! and a reader blocked on a full socket while the peer's reader is blocked the same way
//! would deadlock the two nodes. The writer also writes what queued up in one go.
//!
//! # Ticks
//! Erlang's net_ticktime `T`: a node that has sent nothing for `T/4` sends an empty
//! packet (a tick), and a connection over which nothing arrived for `T` is dead. The
//! writer ticks when its queue stayed empty for `T/4`; the reader wakes at least every
//! `T/4` (a read timeout) to check what it last received.

use crate::control::{self, Control, ControlError};
use crate::error::DistError;
use crate::etf::{DecodeError, DecodeLimits};
use crate::framing::{Packet, PacketReader};
use crate::handshake::Peer;
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use cube_term::Atom;
use std::io::{self, ErrorKind, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The sending side of a connection, shared by every sender.
pub struct Connection {
    pub peer: Peer,
    pub peer_atom: Atom,
    outbox: Sender<Vec<u8>>,
    closed: Arc<AtomicBool>,
    /// Bytes queued and not yet written (for [`Connection::drain`] and
    /// [`Connection::wait_writable`]).
    pending: Arc<AtomicUsize>,
    /// For shutting the socket down from any thread.
    socket: TcpStream,
}

/// Most bytes the writer gathers from its queue into one write.
const WRITE_BATCH: usize = 256 * 1024;

impl Connection {
    /// Takes over the stream of a completed handshake and starts its writer thread.
    /// Writes time out after `ticktime`: a peer that stops reading for that long is as
    /// dead as one that stops ticking.
    pub fn start(stream: TcpStream, peer: Peer, ticktime: Duration) -> io::Result<Connection> {
        stream.set_write_timeout(Some(ticktime))?;
        stream.set_nodelay(true)?;
        let socket = stream.try_clone()?;
        let peer_atom =
            Atom::try_new(&peer.name).ok_or_else(|| io::Error::other("atom table full"))?;
        let (outbox, queue) = crossbeam_channel::unbounded();
        let closed = Arc::new(AtomicBool::new(false));
        let writer_closed = closed.clone();
        let pending = Arc::new(AtomicUsize::new(0));
        let written = pending.clone();
        std::thread::Builder::new()
            .name("cube-dist-write".into())
            .spawn(move || write_loop(stream, queue, ticktime / 4, &writer_closed, &written))?;
        Ok(Connection {
            peer,
            peer_atom,
            outbox,
            closed,
            pending,
            socket,
        })
    }

    /// Queues one control message (and its message, if it carries one).
    pub fn send(&self, c: &Control) -> Result<(), DistError> {
        let packet = control::encode_framed(c, self.peer.flags)?;
        self.send_framed(packet)
    }

    /// Queues a packet made by `control::encode_*` (length included).
    pub fn send_framed(&self, packet: Vec<u8>) -> Result<(), DistError> {
        if self.is_closed() {
            return Err(DistError::Closed(self.peer.name.clone()));
        }
        let len = packet.len();
        self.pending.fetch_add(len, Ordering::SeqCst);
        self.outbox.send(packet).map_err(|_| {
            self.pending.fetch_sub(len, Ordering::SeqCst);
            DistError::Closed(self.peer.name.clone())
        })
    }

    /// Bytes queued and not yet written.
    pub fn pending_bytes(&self) -> usize {
        self.pending.load(Ordering::SeqCst)
    }

    /// Waits while more than `limit` bytes are queued and not yet written, the
    /// connection is open and `deadline` has not passed: the back-pressure of a sender
    /// that may block (never the reader, see the module documentation). A peer that
    /// stops reading does not keep it waiting forever: the writer's write timeout
    /// (the ticktime) closes the connection.
    pub fn wait_writable(&self, limit: usize, deadline: Instant) {
        while self.pending_bytes() > limit && !self.is_closed() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Waits until every packet queued so far is written (or the connection closed),
    /// at most until `deadline`; true if it was. What a node that is about to stop
    /// does, so that its last messages and exit signals are not lost.
    pub fn drain(&self, deadline: Instant) -> bool {
        loop {
            if self.pending.load(Ordering::SeqCst) == 0 || self.is_closed() {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Closes the connection; the reader loop and the writer then end.
    pub fn close(&self) {
        close(&self.closed, &self.socket);
    }

    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.close();
    }
}

fn close(closed: &AtomicBool, socket: &TcpStream) {
    closed.store(true, Ordering::SeqCst);
    let _ = socket.shutdown(Shutdown::Both);
}

/// Writes queued packets, and a tick whenever the queue stayed empty for `interval`.
fn write_loop(
    mut stream: TcpStream,
    queue: Receiver<Vec<u8>>,
    interval: Duration,
    closed: &AtomicBool,
    pending: &AtomicUsize,
) {
    let interval = interval.max(Duration::from_millis(10));
    let mut batch = Vec::new();
    loop {
        if closed.load(Ordering::SeqCst) {
            return;
        }
        batch.clear();
        let mut packets = 0;
        match queue.recv_timeout(interval) {
            Ok(packet) => {
                batch.extend_from_slice(&packet);
                packets += 1;
                while batch.len() < WRITE_BATCH {
                    match queue.try_recv() {
                        Ok(p) => {
                            batch.extend_from_slice(&p);
                            packets += 1;
                        }
                        Err(_) => break,
                    }
                }
            }
            Err(RecvTimeoutError::Timeout) => batch.extend_from_slice(&[0, 0, 0, 0]),
            Err(RecvTimeoutError::Disconnected) => return,
        }
        if stream
            .write_all(&batch)
            .and_then(|()| stream.flush())
            .is_err()
        {
            // A partial write leaves the stream unusable.
            close(closed, &stream);
            return;
        }
        if packets > 0 {
            pending.fetch_sub(batch.len(), Ordering::SeqCst);
        }
    }
}

/// Reads `stream` until the connection ends, handing each control message to `deliver`;
/// returns why it ended (the `nodedown` reason).
pub fn read_loop(
    conn: &Connection,
    mut stream: TcpStream,
    ticktime: Duration,
    max_packet: usize,
    limits: &DecodeLimits,
    mut deliver: impl FnMut(Control),
) -> String {
    let interval = (ticktime / 4).max(Duration::from_millis(10));
    if let Err(e) = stream.set_read_timeout(Some(interval)) {
        conn.close();
        return format!("socket error: {e}");
    }
    let mut reader = PacketReader::new(max_packet);
    let mut last_read = Instant::now();
    loop {
        if conn.is_closed() {
            return "disconnected".into();
        }
        loop {
            match reader.next_packet() {
                Ok(None) => break,
                Ok(Some(Packet::Tick)) => {}
                Ok(Some(Packet::Data(bytes))) => match control::decode_packet(&bytes, limits) {
                    Ok(c) => deliver(c),
                    // A term we cannot represent (a fun, say) costs the message, not the
                    // connection: erl's own processes may send them to anyone.
                    Err(ControlError::Term(
                        e @ (DecodeError::Unsupported(_) | DecodeError::AtomTableFull),
                    )) => {
                        eprintln!("cube-dist: dropped a message from {}: {e}", conn.peer.name);
                    }
                    Err(e) => {
                        conn.close();
                        return format!("protocol error: {e}");
                    }
                },
                Err(e) => {
                    conn.close();
                    return format!("protocol error: {e}");
                }
            }
        }
        match reader.fill(&mut stream) {
            Ok(true) => last_read = Instant::now(),
            Ok(false) => {
                let by_us = conn.is_closed();
                conn.close();
                return if by_us {
                    "disconnected"
                } else {
                    "connection closed"
                }
                .into();
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => {
                let by_us = conn.is_closed();
                conn.close();
                return if by_us {
                    "disconnected".into()
                } else {
                    format!("connection error: {e}")
                };
            }
        }
        if last_read.elapsed() > ticktime {
            conn.close();
            return "net_tick_timeout".into();
        }
    }
}
