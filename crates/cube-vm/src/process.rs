//! A process: a body (a Lua state or another engine's, `engine.rs`), a mailbox and a
//! scheduling status.
//!
//! The mailbox lock also guards the status, which is what makes wake-ups race-free: a
//! sender that finds the process `Waiting` makes it `Runnable` and queues it, under the
//! same lock under which the scheduler decided to let it wait (after checking that no
//! message had arrived since the process looked).

use crate::signals::Signals;
use cube_lua::State;
use cube_term::{Pid, Term};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
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
    /// Identifies the current wait, so a stale timer does nothing. (`u32`, wrapping:
    /// a timer would have to outlive 2^32 waits of its process to be taken for a
    /// current one; with the flags beside it the mailbox is 8 bytes smaller.)
    pub wait_seq: u32,
    /// Links, monitors, trap_exit and a pending kill (under this lock, see `signals.rs`).
    pub sig: Signals,
    /// Blocked through `io_wait::block`: mailbox messages do not wake it.
    pub io_wait: bool,
    /// Its `io_wait::Waker` fired before the scheduler parked it.
    pub io_ready: bool,
}

impl Mailbox {
    /// Records a signal that kills the process (the first reason wins) and makes sure it
    /// acts soon: a waiting process is made runnable (the caller queues it when this
    /// returns true); a running one gets its interrupt flag set, so it stops at its next
    /// reduction check even inside a long native (`State::set_interrupt`), and the
    /// scheduler then ends it with this reason, not "interrupted".
    pub fn record_kill(&mut self, reason: crate::node::ExitReason, interrupt: &AtomicBool) -> bool {
        self.sig.kill.get_or_insert(Box::new(reason));
        match self.status {
            Status::Running => {
                interrupt.store(true, Ordering::SeqCst);
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

/// What a process runs: a Lua state, or the body of another engine (`engine.rs`).
/// Lua is a direct arm (no virtual call on its hot path), and inline: boxing the state
/// would cost every Lua process an allocation and a pointer chase per slice, and the
/// record stays in its size class with it (`process_record_fits_the_448_byte_class`).
#[allow(clippy::large_enum_variant)]
pub(crate) enum Body {
    Lua(SendState),
    Engine(Box<dyn crate::engine::Engine>),
}

impl Body {
    /// The Lua state, if this is a Lua process.
    pub(crate) fn lua(&mut self) -> Option<&mut State> {
        match self {
            Body::Lua(s) => Some(&mut s.0),
            Body::Engine(_) => None,
        }
    }
}

/// The limits of a limited process (`Process::limited`).
pub(crate) struct Limited {
    /// Its own limits.
    pub limits: crate::limits::Limits,
    /// The group whose account it shares.
    pub group: Option<Arc<crate::limits::Group>>,
}

pub struct Process {
    pub pid: Pid,
    pub(crate) mailbox: Mutex<Mailbox>,
    pub(crate) state: Mutex<Option<Body>>,
    pub(crate) reductions: AtomicU64,
    /// Heap bytes of the state at the end of its last slice (for `process.info` from
    /// other processes).
    pub(crate) heap_bytes: AtomicUsize,
    /// Messages taken from the mailbox but not yet received (those a selective receive
    /// skipped), at the end of the last slice. (A `u32`, saturating: with the
    /// interrupt flag it takes one word of the record.)
    pub(crate) skipped_messages: AtomicU32,
    /// Its own limits and its group (`limits.rs`); `None` for an unlimited process
    /// (boxed: most processes have none, and inline they cost every process 40 bytes).
    pub(crate) limited: Option<Box<Limited>>,
    /// Estimated bytes of the messages queued for it and not yet materialised (inbox and
    /// those a selective receive skipped); counted against its heap limit.
    pub(crate) queued_bytes: AtomicUsize,
    /// The interrupt flag of its state (`State::set_interrupt_ref`): set when a kill is
    /// recorded while it runs, so even a long native ends within the slice. Here, not in
    /// an `Arc` of its own: the record outlives the state (the state lives in `state`,
    /// or is closed by `NodeInner::exit` while the record is held), and an `Arc` would
    /// cost every process an allocation. Declared after `state`, so it is dropped after.
    pub(crate) interrupt: AtomicBool,
}

impl Process {
    pub(crate) fn new(pid: Pid, state: State) -> Process {
        Process::with_body(pid, Body::Lua(SendState(state)))
    }

    pub(crate) fn with_body(pid: Pid, body: Body) -> Process {
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
            state: Mutex::new(Some(body)),
            reductions: AtomicU64::new(0),
            heap_bytes: AtomicUsize::new(0),
            skipped_messages: AtomicU32::new(0),
            limited: None,
            queued_bytes: AtomicUsize::new(0),
            interrupt: AtomicBool::new(false),
        }
    }

    /// Its own limits (none for an unlimited process).
    pub(crate) fn limits(&self) -> crate::limits::Limits {
        self.limited
            .as_ref()
            .map_or_else(Default::default, |l| l.limits)
    }

    /// Its own heap limit, if any.
    pub(crate) fn max_heap(&self) -> Option<usize> {
        self.limited.as_ref()?.limits.max_heap
    }

    /// The group whose account it shares, if any.
    pub(crate) fn group(&self) -> Option<&Arc<crate::limits::Group>> {
        self.limited.as_ref()?.group.as_ref()
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
            + self.skipped_messages.load(Ordering::Relaxed) as usize
    }

    pub fn reductions(&self) -> u64 {
        self.reductions.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An idle process's biggest allocation is its record (`Arc<Process>`, the state
    /// inside): it must stay within mimalloc's 448-byte size class (the `Arc` adds two
    /// counters, 16 bytes). Rarely used parts go behind boxes made on first use
    /// (`Signals::rel`, `Process::limited`, `State::cold`, the heap's `GcLists`, the
    /// state's resumers); see BENCHMARKS.md, "Idle memory".
    #[test]
    fn process_record_fits_the_448_byte_class() {
        assert!(
            std::mem::size_of::<Process>() + 16 <= 448,
            "{}",
            std::mem::size_of::<Process>()
        );
    }

    /// The process context (`library::Ctx`, boxed in the state) stays within the
    /// 96-byte size class (its deadlines are `deadline::Deadline`s, and what it waits
    /// for is a `library::Blocked` naming one of them).
    #[test]
    fn context_fits_the_96_byte_class() {
        let size = std::mem::size_of::<crate::library::Ctx>();
        assert!(size <= 96, "{size}");
    }
}
