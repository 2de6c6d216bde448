//! Socket monitors as process messages: `sock:monitor([events])` asks libzmq to
//! publish the socket's events on an inproc endpoint; a PAIR socket connected to it is
//! handed to the reactor thread, which turns every event into a message
//! `{tag="zmq_event", monitor=ID, event="CONNECTED", value=N, endpoint="tcp://..."}`
//! in the mailbox of the process that asked (DESIGN.md decision 5: I/O threads turn
//! readiness into messages).

use cube_term::{TableGraph, TableTerm, Term};
use cube_vm::io_wait::ProcessRef;
use std::sync::Arc;

/// Event names, as libzmq's `ZMQ_EVENT_*` constants without the prefix.
pub(crate) const EVENTS: &[(&str, u32)] = &[
    ("CONNECTED", 0x0001),
    ("CONNECT_DELAYED", 0x0002),
    ("CONNECT_RETRIED", 0x0004),
    ("LISTENING", 0x0008),
    ("BIND_FAILED", 0x0010),
    ("ACCEPTED", 0x0020),
    ("ACCEPT_FAILED", 0x0040),
    ("CLOSED", 0x0080),
    ("CLOSE_FAILED", 0x0100),
    ("DISCONNECTED", 0x0200),
    ("MONITOR_STOPPED", 0x0400),
    ("HANDSHAKE_FAILED_NO_DETAIL", 0x0800),
    ("HANDSHAKE_SUCCEEDED", 0x1000),
    ("HANDSHAKE_FAILED_PROTOCOL", 0x2000),
    ("HANDSHAKE_FAILED_AUTH", 0x4000),
];

pub(crate) const ALL_EVENTS: i32 = 0xFFFF;
const MONITOR_STOPPED: u16 = 0x0400;

pub(crate) fn event_name(code: u16) -> String {
    EVENTS
        .iter()
        .find(|(_, c)| *c == code as u32)
        .map(|(n, _)| n.to_string())
        .unwrap_or_else(|| format!("EVENT_{code:#x}"))
}

/// The reading end of one socket monitor, owned by the reactor thread.
pub(crate) struct Monitor {
    socket: zmq::Socket,
    to: ProcessRef,
    id: u64,
}

impl Monitor {
    pub(crate) fn new(socket: zmq::Socket, to: ProcessRef, id: u64) -> Monitor {
        Monitor { socket, to, id }
    }

    pub(crate) fn fd(&self) -> std::io::Result<std::os::fd::RawFd> {
        self.socket.get_fd().map_err(std::io::Error::other)
    }

    /// Reads every queued event into `out` (as messages for the process); true once
    /// the monitor has stopped (the monitored socket closed), when the reactor drops it.
    pub(crate) fn drain(&mut self, out: &mut Vec<(ProcessRef, Term)>) -> bool {
        loop {
            let parts = match self.socket.recv_multipart(zmq::DONTWAIT) {
                Ok(p) => p,
                Err(zmq::Error::EAGAIN) => {
                    // Reading the events re-arms the notification descriptor.
                    let _ = self.socket.get_events();
                    return false;
                }
                Err(_) => return true,
            };
            let Some(head) = parts.first().filter(|h| h.len() >= 6) else {
                continue;
            };
            let code = u16::from_ne_bytes([head[0], head[1]]);
            let value = u32::from_ne_bytes([head[2], head[3], head[4], head[5]]);
            let endpoint = parts.get(1).cloned().unwrap_or_default();
            out.push((
                self.to.clone(),
                record(vec![
                    ("tag", Term::binary(b"zmq_event")),
                    ("monitor", Term::Int(self.id as i64)),
                    ("event", Term::binary(event_name(code).as_bytes())),
                    ("value", Term::Int(value as i64)),
                    ("endpoint", Term::binary(&endpoint)),
                ]),
            ));
            if code == MONITOR_STOPPED {
                return true;
            }
        }
    }
}

fn record(fields: Vec<(&str, Term)>) -> Term {
    let hash = fields
        .into_iter()
        .map(|(k, v)| (Term::binary(k.as_bytes()), v))
        .collect();
    Term::Tables(Arc::new(TableGraph {
        marks: Vec::new(),
        tables: vec![TableTerm {
            array: Vec::new(),
            hash,
        }],
    }))
}
