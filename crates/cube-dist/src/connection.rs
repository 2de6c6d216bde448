//! One established connection to another node: writing packets (from any thread, one at
//! a time), and the reader loop that decodes what arrives and keeps the link alive.
//!
//! # Ticks
//! Erlang's net_ticktime `T`: a node that has sent nothing for `T/4` sends an empty
//! packet (a tick), and a connection over which nothing arrived for `T` is dead. The
//! reader wakes at least every `T/4` (a read timeout) to do both, and also checks after
//! every read, so a peer flooding us still gets our ticks.

use crate::control::{self, Control, ControlError};
use crate::error::DistError;
use crate::etf::{DecodeError, DecodeLimits};
use crate::framing::{write_packet, Packet, PacketReader};
use crate::handshake::Peer;
use cube_term::Atom;
use std::io::{self, ErrorKind, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The writing half of a connection, shared by every sender.
pub struct Connection {
    pub peer: Peer,
    pub peer_atom: Atom,
    writer: Mutex<Writer>,
    closed: AtomicBool,
    /// For shutting the socket down from any thread.
    socket: TcpStream,
}

struct Writer {
    stream: TcpStream,
    last_write: Instant,
}

impl Connection {
    /// Wraps the stream of a completed handshake. Writes time out after `ticktime`: a
    /// peer that stops reading for that long is as dead as one that stops ticking.
    pub fn new(stream: TcpStream, peer: Peer, ticktime: Duration) -> io::Result<Connection> {
        stream.set_write_timeout(Some(ticktime))?;
        stream.set_nodelay(true)?;
        let socket = stream.try_clone()?;
        let peer_atom =
            Atom::try_new(&peer.name).ok_or_else(|| io::Error::other("atom table full"))?;
        Ok(Connection {
            peer,
            peer_atom,
            writer: Mutex::new(Writer {
                stream,
                last_write: Instant::now(),
            }),
            closed: AtomicBool::new(false),
            socket,
        })
    }

    /// Sends one control message (and its message, if it carries one).
    pub fn send(&self, c: &Control) -> Result<(), DistError> {
        let body = control::encode_packet(c, self.peer.flags)?;
        self.write(&[&body]).map_err(|e| {
            if e.kind() == ErrorKind::NotConnected {
                DistError::Closed(self.peer.name.clone())
            } else {
                DistError::Io(e)
            }
        })
    }

    fn write(&self, parts: &[&[u8]]) -> io::Result<()> {
        if self.is_closed() {
            return Err(io::Error::from(ErrorKind::NotConnected));
        }
        let mut w = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let result = write_packet(&mut w.stream, parts).and_then(|()| w.stream.flush());
        if result.is_err() {
            // A partial write leaves the stream unusable.
            drop(w);
            self.close();
        } else {
            w.last_write = Instant::now();
        }
        result
    }

    /// Sends a tick if nothing was written for `interval`.
    fn tick_if_idle(&self, interval: Duration) -> io::Result<()> {
        let idle = {
            let w = self.writer.lock().unwrap_or_else(|e| e.into_inner());
            w.last_write.elapsed() >= interval
        };
        if idle {
            self.write(&[])?;
        }
        Ok(())
    }

    /// Closes the connection; the reader loop then ends.
    pub fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        let _ = self.socket.shutdown(Shutdown::Both);
    }

    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
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
    let interval = ticktime / 4;
    if let Err(e) = stream.set_read_timeout(Some(interval.max(Duration::from_millis(10)))) {
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
        let filled = reader.fill(&mut stream);
        match filled {
            Ok(true) => last_read = Instant::now(),
            Ok(false) => {
                conn.close();
                return "connection closed".into();
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
        if let Err(e) = conn.tick_if_idle(interval) {
            return format!("connection error: {e}");
        }
    }
}
