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
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

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

/// A message in a mailbox, with the bytes it is counted for against the receiver's
/// limits (`limits.rs`; 0 for an unlimited receiver).
pub(crate) struct Queued {
    pub term: Term,
    pub size: usize,
}

pub(crate) struct Mailbox {
    /// Messages not yet looked at by the process.
    pub inbox: VecDeque<Queued>,
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
    /// The process's interrupt flag (`Process::interrupt`).
    pub interrupt: Arc<AtomicBool>,
}

impl Mailbox {
    /// Records a signal that kills the process (the first reason wins) and makes sure it
    /// acts soon: a waiting process is made runnable (the caller queues it when this
    /// returns true); a running one gets its interrupt flag set, so it stops at its next
    /// reduction check even inside a long native (`State::set_interrupt`), and the
    /// scheduler then ends it with this reason, not "interrupted".
    pub fn record_kill(&mut self, reason: crate::node::ExitReason) -> bool {
        self.sig.kill.get_or_insert(Box::new(reason));
        match self.status {
            Status::Running => {
                self.interrupt.store(true, Ordering::SeqCst);
                false
            }
            Status::Waiting => {
                self.status = Status::Runnable;
                true
            }
            _ => false,
        }
    }
}

/// A Lua state that moves between scheduler threads.
pub(crate) struct SendState(pub State);

// SAFETY: `State` is not `Send` only because it holds raw heap pointers (`Gc`). What
// those reach is of two kinds:
// - Objects of the state's own heap (one heap per process, DESIGN.md decision 3). No
//   other thread holds a pointer to them: what crosses processes is a copied `Term`
//   (pids are light userdata), and the process runtime keeps no `Gc` of a process's
//   state outside it. Only one thread uses the state at a time: it is reached only
//   through `Process::state`'s mutex, held for a whole slice (`run_slice`) or for
//   `Node::exit`'s close. Every Rust payload the state owns is `Send` by its type
//   (`UserData::data`, `State::ext`, continuations' data, `State::stdout`), so moving
//   them with the state is sound.
// - Objects shared with states on other threads: the frozen image the state started
//   from (`cube_lua::image`, kept alive by the state's `Arc<Image>`), its `TmNames`, and
//   `Arc`-shared prototypes (plain immutable Rust values). Other threads read them
//   concurrently; that is sound only because no state writes them, the invariant stated
//   at `Frozen`'s `Sync` impl (cube-lua's `gc.rs`), which this impl relies on.
unsafe impl Send for SendState {}

pub struct Process {
    pub pid: Pid,
    pub(crate) mailbox: Mutex<Mailbox>,
    pub(crate) state: Mutex<Option<SendState>>,
    pub(crate) reductions: AtomicU64,
    /// Heap bytes of the state at the end of its last slice (for `process.info` from
    /// other processes).
    pub(crate) heap_bytes: AtomicUsize,
    /// Messages taken from the mailbox but not yet received (those a selective receive
    /// skipped), at the end of the last slice.
    pub(crate) skipped_messages: AtomicUsize,
    /// Its own limits (`limits.rs`).
    pub(crate) limits: crate::limits::Limits,
    /// The group whose account it shares (`limits.rs`); `None` for an unlimited process.
    pub(crate) group: Option<Arc<crate::limits::Group>>,
    /// Estimated bytes of the messages queued for it and not yet materialised (inbox and
    /// those a selective receive skipped); counted against its heap limit.
    pub(crate) queued_bytes: AtomicUsize,
    /// The interrupt flag of its state (`State::set_interrupt`): set when a kill is
    /// recorded while it runs, so even a long native ends within the slice.
    pub(crate) interrupt: Arc<AtomicBool>,
    /// Its registered name (`Box<str>`: 8 bytes fewer per process than a `String`).
    pub(crate) name: Mutex<Option<Box<str>>>,
}

impl Process {
    pub(crate) fn new(pid: Pid, state: State) -> Process {
        let interrupt = Arc::new(AtomicBool::new(false));
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
                interrupt: interrupt.clone(),
            }),
            state: Mutex::new(Some(SendState(state))),
            reductions: AtomicU64::new(0),
            heap_bytes: AtomicUsize::new(0),
            skipped_messages: AtomicUsize::new(0),
            limits: Default::default(),
            group: None,
            queued_bytes: AtomicUsize::new(0),
            interrupt,
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
