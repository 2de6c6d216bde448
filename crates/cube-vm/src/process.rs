//! A process: a Lua state, a mailbox and a scheduling status.
//!
//! The mailbox lock also guards the status, which is what makes wake-ups race-free: a
//! sender that finds the process `Waiting` makes it `Runnable` and queues it, under the
//! same lock under which the scheduler decided to let it wait (after checking that no
//! message had arrived since the process looked).

use crate::signals::Signals;
use cube_lua::State;
use cube_term::{Pid, Term};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// In a run queue (or about to be).
    Runnable,
    /// On a scheduler thread right now.
    Running,
    /// Blocked in a receive or a sleep; a message or its timer makes it runnable.
    Waiting,
    /// Ended; messages to it are dropped.
    Exited,
}

pub(crate) struct Mailbox {
    /// Messages not yet looked at by the process.
    pub inbox: VecDeque<Term>,
    pub status: Status,
    /// Set by the timer of the current wait.
    pub timed_out: bool,
    /// Identifies the current wait, so a stale timer does nothing.
    pub wait_seq: u64,
    /// Links, monitors, trap_exit and a pending kill (under this lock, see `signals.rs`).
    pub sig: Signals,
    /// Blocked through `io_wait::block`: mailbox messages do not wake it.
    pub io_wait: bool,
    /// Its `io_wait::Waker` fired before the scheduler parked it.
    pub io_ready: bool,
}

/// A Lua state that moves between scheduler threads.
pub(crate) struct SendState(pub State);

// SAFETY: a `State` owns every object its values point to (one heap per process,
// DESIGN.md decision 3); nothing in it is shared with another state or thread. Only one
// scheduler thread runs a process at a time (the `Running` status under the mailbox lock,
// and the state's own mutex), so moving the whole state between threads is sound.
unsafe impl Send for SendState {}

pub struct Process {
    pub pid: Pid,
    pub(crate) mailbox: Mutex<Mailbox>,
    pub(crate) state: Mutex<Option<SendState>>,
    pub(crate) reductions: AtomicU64,
    /// Heap bytes of the state at the end of its last slice (for `process.info` from
    /// other processes).
    pub(crate) heap_bytes: std::sync::atomic::AtomicUsize,
    /// Messages taken from the mailbox but not yet received (those a selective receive
    /// skipped), at the end of the last slice.
    pub(crate) skipped_messages: std::sync::atomic::AtomicUsize,
    /// Lifetime reduction limit (`Limits::max_reductions`).
    pub(crate) max_reductions: Option<u64>,
    pub(crate) name: Mutex<Option<String>>,
}

impl Process {
    pub(crate) fn new(pid: Pid, state: State) -> Process {
        Process {
            pid,
            mailbox: Mutex::new(Mailbox {
                inbox: VecDeque::new(),
                status: Status::Runnable,
                timed_out: false,
                wait_seq: 0,
                sig: Signals::default(),
                io_wait: false,
                io_ready: false,
            }),
            state: Mutex::new(Some(SendState(state))),
            reductions: AtomicU64::new(0),
            heap_bytes: std::sync::atomic::AtomicUsize::new(0),
            skipped_messages: std::sync::atomic::AtomicUsize::new(0),
            max_reductions: None,
            name: Mutex::new(None),
        }
    }

    pub fn status(&self) -> Status {
        self.mailbox.lock().expect("mailbox lock").status
    }

    pub fn is_alive(&self) -> bool {
        self.status() != Status::Exited
    }

    /// Messages waiting: those not yet looked at plus those a selective receive skipped
    /// (as of the end of the process's last slice).
    pub fn message_queue_len(&self) -> usize {
        self.mailbox.lock().expect("mailbox lock").inbox.len()
            + self.skipped_messages.load(Ordering::Relaxed)
    }

    pub fn reductions(&self) -> u64 {
        self.reductions.load(Ordering::Relaxed)
    }
}
