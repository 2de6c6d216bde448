//! One established connection to another node: its sending half (`output::Output`: direct
//! writes, combined writes and a writer thread) and the reader loop that decodes what
//! arrives.
//!
//! # Why senders never block on the socket
//! Above all the reader must not: it answers some messages itself (`is_auth`, unlink
//! acks), and a reader blocked on a full socket while the peer's reader is blocked the
//! same way would deadlock the two nodes. So a sender writes only what the socket takes
//! at once and leaves the rest to the writer thread (see `output` for how writes are
//! shared and batched).
//!
//! # Ticks
//! Erlang's net_ticktime `T`: a node that has sent nothing for `T/4` sends an empty
//! packet (a tick), and a connection over which nothing arrived for `T` is dead. The
//! writer ticks when it was not needed for `T/4`; the reader wakes at least every
//! `T/4` (a read timeout) to check what it last received.

use crate::control::{self, Control, ControlError};
use crate::dist_header::Incoming;
use crate::error::DistError;
use crate::etf::{DecodeError, DecodeLimits};
use crate::framing::{Packet, PacketReader};
use crate::handshake::Peer;
use crate::output::Output;
use cube_term::Atom;
use std::io::{self, ErrorKind};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The sending side of a connection, shared by every sender.
pub struct Connection {
    pub peer: Peer,
    pub peer_atom: Atom,
    output: Arc<Output>,
}

impl Connection {
    /// Takes over the stream of a completed handshake and starts its writer thread.
    /// Writes time out after `ticktime`: a peer that stops reading for that long is as
    /// dead as one that stops ticking.
    pub fn start(stream: TcpStream, peer: Peer, ticktime: Duration) -> io::Result<Connection> {
        stream.set_write_timeout(Some(ticktime))?;
        stream.set_nodelay(true)?;
        let peer_atom =
            Atom::try_new(&peer.name).ok_or_else(|| io::Error::other("atom table full"))?;
        let (output, rings) = Output::new(stream);
        let output = Arc::new(output);
        let writer = output.clone();
        std::thread::Builder::new()
            .name("cube-dist-write".into())
            .spawn(move || writer.run_writer(rings, ticktime / 4))?;
        Ok(Connection {
            peer,
            peer_atom,
            output,
        })
    }

    /// Sends one control message (and its message, if it carries one).
    pub fn send(&self, c: &Control) -> Result<(), DistError> {
        let packet = control::encode_framed(c, self.peer.flags)?;
        self.send_framed(packet)
    }

    /// Sends a packet made by `control::encode_*` (length included): written at once,
    /// with others', or by the writer thread (see `output`); never blocks.
    pub fn send_framed(&self, packet: Vec<u8>) -> Result<(), DistError> {
        self.output
            .send(&packet)
            .map_err(|()| DistError::Closed(self.peer.name.clone()))
    }

    /// Bytes sent and not yet written.
    pub fn pending_bytes(&self) -> usize {
        self.output.pending()
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
            if self.pending_bytes() == 0 || self.is_closed() {
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
        self.output.close();
    }

    pub fn is_closed(&self) -> bool {
        self.output.is_closed()
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.close();
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
            Ok(true) => {
                last_read = Instant::now();
                conn.output.note_read();
            }
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
