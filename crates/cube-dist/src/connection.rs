//! One established connection to another node: a writer thread that owns the sending
//! half, and the reader loop that decodes what arrives.
//!
//! # Why a writer thread
//! Senders (any thread) only encode and queue; they never block on the socket. Above
//! all the reader never does: it answers some messages itself (`is_auth`, unlink acks),
//! and a reader blocked on a full socket while the peer's reader is blocked the same way
//! would deadlock the two nodes. The writer also writes what queued up in one go.
//!
//! # Writing from the sender's thread
//! When nothing is queued, a packet is written by the thread that sends it, without
//! waiting (`MSG_DONTWAIT`): one thread wake-up less per message, which is most of a
//! round trip's latency. Whatever the socket does not take at once is left for the
//! writer thread (`partial`), which writes it before anything else; a lock shared with
//! the writer keeps writes whole and in order. A sender therefore never blocks on the
//! socket either.
//!
//! # Ticks
//! Erlang's net_ticktime `T`: a node that has sent nothing for `T/4` sends an empty
//! packet (a tick), and a connection over which nothing arrived for `T` is dead. The
//! writer ticks when its queue stayed empty for `T/4`; the reader wakes at least every
//! `T/4` (a read timeout) to check what it last received.

use crate::control::{self, Control, ControlError};
use crate::dist_header::Incoming;
use crate::error::DistError;
use crate::etf::{DecodeError, DecodeLimits};
use crate::framing::{Packet, PacketReader};
use crate::handshake::Peer;
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use cube_term::Atom;
use std::io::{self, ErrorKind, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
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
    /// For shutting the socket down from any thread, and for direct writes.
    socket: TcpStream,
    /// Held while bytes go to the socket (by the writer or a direct write).
    write_lock: Arc<Mutex<()>>,
    /// The unwritten end of a direct write, for the writer to write first.
    partial: Arc<Mutex<Option<Vec<u8>>>>,
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
        let pending = Arc::new(AtomicUsize::new(0));
        let write_lock = Arc::new(Mutex::new(()));
        let partial = Arc::new(Mutex::new(None));
        let writer = Writer {
            pending: pending.clone(),
            closed: closed.clone(),
            write_lock: write_lock.clone(),
            partial: partial.clone(),
        };
        std::thread::Builder::new()
            .name("cube-dist-write".into())
            .spawn(move || writer.run(stream, queue, ticktime / 4))?;
        Ok(Connection {
            peer,
            peer_atom,
            outbox,
            closed,
            pending,
            socket,
            write_lock,
            partial,
        })
    }

    /// Queues one control message (and its message, if it carries one).
    pub fn send(&self, c: &Control) -> Result<(), DistError> {
        let packet = control::encode_framed(c, self.peer.flags)?;
        self.send_framed(packet)
    }

    /// Sends a packet made by `control::encode_*` (length included): written at once
    /// when nothing is queued and the socket takes it, else queued (see the module
    /// documentation).
    pub fn send_framed(&self, packet: Vec<u8>) -> Result<(), DistError> {
        if self.is_closed() {
            return Err(DistError::Closed(self.peer.name.clone()));
        }
        if self.pending.load(Ordering::SeqCst) == 0 {
            if let Ok(_writing) = self.write_lock.try_lock() {
                // Nothing queued or being written (`pending` counts both), and the
                // writer cannot start while we hold the lock.
                if self.pending.load(Ordering::SeqCst) == 0 {
                    return self.write_now(packet);
                }
            }
        }
        self.enqueue(packet)
    }

    /// Writes what the socket takes without waiting; the rest goes to `partial` for
    /// the writer. Called with `write_lock` held and nothing pending.
    fn write_now(&self, packet: Vec<u8>) -> Result<(), DistError> {
        let n = match send_dontwait(&self.socket, &packet) {
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::Interrupted => 0,
            Err(_) => {
                self.close();
                return Err(DistError::Closed(self.peer.name.clone()));
            }
        };
        if n == packet.len() {
            return Ok(());
        }
        let rest = packet[n..].to_vec();
        self.pending.fetch_add(rest.len(), Ordering::SeqCst);
        *self.partial.lock().unwrap_or_else(|e| e.into_inner()) = Some(rest);
        // Wake the writer (an empty packet adds nothing to the stream).
        let _ = self.outbox.send(Vec::new());
        Ok(())
    }

    /// Queues a packet for the writer thread.
    fn enqueue(&self, packet: Vec<u8>) -> Result<(), DistError> {
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

/// `send(2)` with `MSG_DONTWAIT` (and `MSG_NOSIGNAL`): what the socket takes now.
fn send_dontwait(socket: &TcpStream, bytes: &[u8]) -> io::Result<usize> {
    use std::os::fd::AsRawFd;
    // SAFETY: `bytes` is valid for reads of `bytes.len()` bytes for the whole call, and
    // the descriptor belongs to `socket`, which outlives the call. send(2) does not
    // keep the pointer.
    let n = unsafe {
        libc::send(
            socket.as_raw_fd(),
            bytes.as_ptr().cast(),
            bytes.len(),
            libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL,
        )
    };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

/// The writer thread's shared state (see [`Connection`]).
struct Writer {
    pending: Arc<AtomicUsize>,
    closed: Arc<AtomicBool>,
    write_lock: Arc<Mutex<()>>,
    partial: Arc<Mutex<Option<Vec<u8>>>>,
}

impl Writer {
    /// Writes queued packets (after the rest of a direct write, if any), and a tick
    /// whenever the queue stayed empty for `interval`.
    fn run(self, mut stream: TcpStream, queue: Receiver<Vec<u8>>, interval: Duration) {
        let interval = interval.max(Duration::from_millis(10));
        let mut batch = Vec::new();
        loop {
            if self.closed.load(Ordering::SeqCst) {
                return;
            }
            batch.clear();
            let mut queued = 0;
            match queue.recv_timeout(interval) {
                Ok(packet) => {
                    batch.extend_from_slice(&packet);
                    queued += packet.len();
                    while batch.len() < WRITE_BATCH {
                        match queue.try_recv() {
                            Ok(p) => {
                                batch.extend_from_slice(&p);
                                queued += p.len();
                            }
                            Err(_) => break,
                        }
                    }
                }
                Err(RecvTimeoutError::Timeout) => batch.extend_from_slice(&[0, 0, 0, 0]),
                Err(RecvTimeoutError::Disconnected) => return,
            }
            let _writing = self.write_lock.lock().unwrap_or_else(|e| e.into_inner());
            let rest = self
                .partial
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take();
            if let Some(rest) = rest {
                let n = rest.len();
                if stream.write_all(&rest).is_err() {
                    close(&self.closed, &stream);
                    return;
                }
                self.pending.fetch_sub(n, Ordering::SeqCst);
            }
            if batch.is_empty() {
                continue;
            }
            if stream
                .write_all(&batch)
                .and_then(|()| stream.flush())
                .is_err()
            {
                // A partial write leaves the stream unusable.
                close(&self.closed, &stream);
                return;
            }
            self.pending.fetch_sub(queued, Ordering::SeqCst);
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
    let mut incoming = Incoming::new(max_packet);
    let mut last_read = Instant::now();
    loop {
        if conn.is_closed() {
            return "disconnected".into();
        }
        loop {
            match reader.next_packet() {
                Ok(None) => break,
                Ok(Some(Packet::Tick)) => {}
                Ok(Some(Packet::Data(bytes))) => match incoming.accept(bytes) {
                    Ok(None) => {}
                    Ok(Some(m)) => match control::decode_message(&m, limits) {
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
