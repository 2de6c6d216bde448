//! Blocking a process on readiness that another thread reports (DESIGN.md decision 5:
//! blocking work suspends the process, never the scheduler; I/O threads turn readiness
//! into wake-ups and messages).
//!
//! This is the interface for natives of other crates (the `zmq` library of cube-zmq)
//! that wait for something outside the VM, such as a socket becoming readable:
//!
//! 1. At the start of every call, [`take_retry`] tells whether this call is the re-run
//!    of one that blocked, and with which deadline.
//! 2. The native tries its operation without blocking. When it would block, it calls
//!    [`block`] (which records the deadline and returns a [`Waker`]), hands the waker
//!    to whatever watches the resource (an I/O thread), and returns `Ret::Block` with
//!    its arguments still on the stack. The native runs again, with the same
//!    arguments, after the waker fired, the deadline passed, or a spurious wake-up.
//!    It must check the resource again every time: a wake-up says "look again", never
//!    "it is ready".
//! 3. A process blocked this way is *not* woken by messages arriving in its mailbox
//!    (they stay queued for its next `process.receive`), only by its waker, its
//!    deadline, or an exit signal that kills it; a kill ends it as in any other wait.
//!
//! The waker may fire at any time from any thread, also before the scheduler has
//! parked the process: the wake-up is then recorded under the mailbox lock and the
//! scheduler runs the process again instead of parking it, so no wake-up is lost.
//!
//! [`ProcessRef`] lets another thread deliver messages to a process (for example
//! socket monitor events).

use crate::deadline::Deadline;
use crate::library;
use crate::node::NodeInner;
use crate::process::{Process, Status};
use cube_lua::host::HostSlot;
use cube_term::{Pid, Term};
use std::sync::{Arc, Weak};
use std::time::Instant;

/// What a native that blocked with [`block`] learns when it runs again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retry {
    /// The deadline given to [`block`].
    pub deadline: Option<Instant>,
}

impl Retry {
    /// Whether the deadline has passed.
    pub fn expired(&self) -> bool {
        self.deadline.is_some_and(|d| Instant::now() >= d)
    }
}

/// Wakes one blocked wait of one process; cheap to clone, usable from any thread. A
/// waker of a wait that is over (the process ran again and blocked anew, or ended)
/// does nothing.
#[derive(Clone)]
pub struct Waker {
    node: Weak<NodeInner>,
    process: Weak<Process>,
    seq: u32,
}

impl Waker {
    /// Makes the process run again (it re-checks what it waits for).
    pub fn wake(&self) {
        let Some(p) = self.process.upgrade() else {
            return;
        };
        let queue = {
            let mut mb = p.mailbox.lock().expect("mailbox lock");
            if mb.wait_seq != self.seq || !mb.io_wait {
                false
            } else if mb.status == Status::Waiting {
                mb.status = Status::Runnable;
                true
            } else {
                // Not parked yet: the scheduler sees this and runs it again.
                mb.io_ready = true;
                false
            }
        };
        if queue {
            if let Some(node) = self.node.upgrade() {
                node.enqueue(p);
            }
        }
    }
}

impl std::fmt::Debug for Waker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Waker(seq {})", self.seq)
    }
}

/// Whether the running call is the re-run of a call that blocked with [`block`];
/// clears that mark. Call it at the start of every call of a native that may block.
/// `None` in a state that is not a process's.
pub fn take_retry(st: &mut impl HostSlot) -> Option<Retry> {
    let c = library::ctx_opt(st)?;
    if !std::mem::take(&mut c.io_retry) {
        return None;
    }
    Some(Retry {
        deadline: c.io_deadline.take().map(Deadline::instant),
    })
}

/// Prepares the running process to block until a [`Waker`] fires or `deadline`
/// passes; the native must then return `Ret::Block`. `None` if `st` is not a
/// process's state (then the native must not block).
pub fn block(st: &mut impl HostSlot, deadline: Option<Instant>) -> Option<Waker> {
    let c = library::ctx_opt(st)?;
    let node = c.node.clone();
    let p = node.lookup(c.me())?;
    let seq = {
        let mut mb = p.mailbox.lock().expect("mailbox lock");
        mb.wait_seq = mb.wait_seq.wrapping_add(1);
        mb.timed_out = false;
        mb.io_wait = true;
        mb.io_ready = false;
        mb.wait_seq
    };
    c.io_retry = true;
    c.io_deadline = deadline.map(Deadline::new);
    c.io_seq = seq;
    c.blocked = library::Blocked::Io;
    Some(Waker {
        node: Arc::downgrade(&node),
        process: Arc::downgrade(&p),
        seq,
    })
}

/// A process seen from another thread: its pid, and a way to send it messages.
#[derive(Clone)]
pub struct ProcessRef {
    node: Weak<NodeInner>,
    pid: Pid,
}

impl ProcessRef {
    /// The process that runs `st`, if `st` is a process's state.
    pub fn current(st: &mut impl HostSlot) -> Option<ProcessRef> {
        let c = library::ctx_opt(st)?;
        Some(ProcessRef {
            node: Arc::downgrade(&c.node),
            pid: c.me(),
        })
    }

    /// Delivers `msg` as if sent by `process.send`; false if the process (or its node)
    /// is gone, in which case the message vanishes as in Erlang.
    pub fn send(&self, msg: Term) -> bool {
        let Some(node) = self.node.upgrade() else {
            return false;
        };
        if !node.lookup(self.pid).is_some_and(|p| p.is_alive()) {
            return false;
        }
        node.send(self.pid, msg);
        true
    }
}
