//! Resource limits of processes and of groups of processes (issue 9).
//!
//! # The model
//!
//! Every process has its own [`Limits`] (`max_heap` bytes, `max_reductions` in its life),
//! and every *limited* process belongs to a `Group`: the shared account of a limited
//! root and everything it spawns, directly or not. Under `cube-cli run --max-heap N
//! --max-reductions R` (with or without `--sandbox`) the root is the program's first
//! process, so the group is the whole program.
//!
//! 1. **A process never grants more than it has.** A child's limits are, for each
//!    resource, the smallest of: what `spawn_opt` asked for (nothing asked = no
//!    constraint), the parent's own limit and the node's default limit (`Node::
//!    set_default_limits`, the ceilings of every process). A child of a limited parent is
//!    therefore limited even if it asks for nothing, and `spawn_opt` can only lower.
//!    Numbers are checked: NaN or negative is an error, fractions are truncated, huge
//!    values saturate (and are then capped as above).
//! 2. **The group is bounded together.** A child of a process in a group joins that
//!    group; a limited child of an unlimited process starts a new group whose bounds are
//!    its own limits. For a group with bounds `H` (heap) and `R` (reductions):
//!    - *reductions*: the reductions used by all its processes together never exceed
//!      `R` by more than one slice per scheduler thread: each slice is cut to what the
//!      group has left, and a process preempted with the group's budget spent ends with
//!      "reduction limit exceeded". A chain of spawns, each under its own limit,
//!      therefore ends.
//!    - *memory*: the group's memory is the sum, over its live processes, of the heap
//!      size published at the end of each slice, the bytes of the messages queued for
//!      it (received but not yet materialised), and [`PROCESS_OVERHEAD`] for its process
//!      record. During a slice a process's heap is capped (`State::set_max_heap`) at
//!      `min(own max_heap - own queued bytes, own heap + what the group has left)`, so a
//!      process that allocates while the group is full ends with "heap limit exceeded";
//!      the group can overshoot `H` only by what processes running at the same moment
//!      (at most one per scheduler) allocate in one slice each.
//!    - *spawning* charges the group the child's overhead and the size of its function's
//!      upvalues and arguments before anything is copied into the child; when the group
//!      cannot afford it, the **spawner** ends with "heap limit exceeded" (uncatchable,
//!      as if it had allocated the memory itself: the BEAM kills the process whose heap
//!      crosses `max_heap_size`, it does not raise).
//! 3. **Mailboxes count against the receiver** (as the BEAM's `max_heap_size` counts
//!    the message queue). Only the receiver can collect its heap, so a sender cannot
//!    tell its live size (the size published at the end of its last slice may be
//!    mostly garbage); the bound is therefore kept in three places:
//!    - *at the send*: a message that would take the receiver's queued bytes over its
//!      `max_heap`, or its group's account past `2 H`, is not queued: the receiver is
//!      killed with "heap limit exceeded" (sending to oneself included: the sender then
//!      ends at once). The sender is not affected.
//!    - *where the receiver collects*: its heap cap is its `max_heap` minus its queued
//!      bytes, so live heap + queue over the limit ends it at its next collection.
//!    - *when it takes a message*: one that does not fit in what its heap has left,
//!      after a collection, ends it with "heap limit exceeded" before any of it is
//!      copied into its heap.
//!
//!    So a process's queue never exceeds its `max_heap`, its live heap plus queue
//!    never exceeds it at a collection, and a group's account never exceeds `2 H`.
//! 4. **A sender's message is bounded by its heap.** `process.send` copies a value in
//!    one pass that copies each table and each string once (shared ones stay shared in
//!    the `Term`), so a `Term` is linear in the sender's live heap, which its own
//!    `max_heap` bounds. Spawn packets are made of several such copies (one per upvalue
//!    cell and argument); their running size is checked against the child's limit as
//!    they are made, so a packet never grows past it (see `transfer::pack`).
//! 5. **Copies are work.** Sending a message and taking it each charge reductions in
//!    proportion to its size ([`copy_cost`], one per 64 bytes), so a loop of big sends
//!    is preempted and bounded by `max_reductions` like any other loop.
//!
//! Sizes of queued messages are estimates ([`term_size`]) of what the message costs
//! once materialised, computed by the sender (outside any lock) and again by the
//! receiver when it takes the message (the same function of the same term, so the
//! account balances).

use cube_term::Term;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// Resource limits of a process (see the module documentation).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Limits {
    /// Heap bytes the process may keep, message queue included; beyond it, it ends with
    /// "heap limit exceeded".
    pub max_heap: Option<usize>,
    /// Reductions the process may use in its life; then it ends with "reduction limit
    /// exceeded".
    pub max_reductions: Option<u64>,
}

pub(crate) fn min_opt<T: Ord>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

impl Limits {
    /// Each limit the smaller of the two (no limit being the larger).
    pub fn min(self, other: Limits) -> Limits {
        Limits {
            max_heap: min_opt(self.max_heap, other.max_heap),
            max_reductions: min_opt(self.max_reductions, other.max_reductions),
        }
    }

    pub fn is_limited(&self) -> bool {
        self.max_heap.is_some() || self.max_reductions.is_some()
    }
}

/// What a process costs its group besides its heap and mailbox: the process record,
/// its Lua state's fixed part and a run-queue slot. A fixed charge, so a group cannot
/// make unbounded numbers of processes with empty heaps.
pub const PROCESS_OVERHEAD: usize = 2048;

/// The shared account of a group of processes (see the module documentation).
#[derive(Debug)]
pub(crate) struct Group {
    pub max_heap: Option<usize>,
    pub max_reductions: Option<u64>,
    /// Reductions used by all members so far.
    pub reductions: AtomicU64,
    /// Bytes charged by live members: published heaps, queued messages, overheads.
    pub memory: AtomicUsize,
}

impl Group {
    pub fn new(limits: Limits) -> Group {
        Group {
            max_heap: limits.max_heap,
            max_reductions: limits.max_reductions,
            reductions: AtomicU64::new(0),
            memory: AtomicUsize::new(0),
        }
    }

    /// Reductions the group has left (`u64::MAX` without a bound).
    pub fn reductions_left(&self) -> u64 {
        match self.max_reductions {
            Some(m) => m.saturating_sub(self.reductions.load(Ordering::Relaxed)),
            None => u64::MAX,
        }
    }

    /// Bytes the group has left (`usize::MAX` without a bound).
    pub fn memory_left(&self) -> usize {
        match self.max_heap {
            Some(m) => m.saturating_sub(self.memory.load(Ordering::Relaxed)),
            None => usize::MAX,
        }
    }

    /// Charges `n` bytes if the group can afford them; false (and nothing charged) if
    /// not.
    pub fn try_charge(&self, n: usize) -> bool {
        let before = self.memory.fetch_add(n, Ordering::Relaxed);
        if let Some(m) = self.max_heap {
            if before.saturating_add(n) > m {
                self.memory.fetch_sub(n, Ordering::Relaxed);
                return false;
            }
        }
        true
    }

    /// Charges a message of `n` bytes queued for a member: refused only past twice the
    /// bound. The account holds the members' heaps as published at their last slice
    /// end, garbage included, which only each member can collect; within the bound's
    /// second half the members' heap caps (what the group has left) make those that
    /// allocate collect and, if still over, end.
    pub fn try_charge_queued(&self, n: usize) -> bool {
        let before = self.memory.fetch_add(n, Ordering::Relaxed);
        if let Some(m) = self.max_heap {
            if before.saturating_add(n) > m.saturating_mul(2) {
                self.memory.fetch_sub(n, Ordering::Relaxed);
                return false;
            }
        }
        true
    }

    pub fn charge(&self, n: usize) {
        self.memory.fetch_add(n, Ordering::Relaxed);
    }

    pub fn release(&self, n: usize) {
        // Never below zero, even if an estimate were off: saturate.
        let _ = self
            .memory
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |m| {
                Some(m.saturating_sub(n))
            });
    }
}

/// Bytes of copying a message costs, for charging reductions when it is sent and
/// again when it is received (each is a copy in proportion to its size): a table graph
/// by its slots and the long strings in them, a tensor by its bytes, other compound
/// terms by [`term_size`]. Atoms, numbers, pids and short strings cost nothing more
/// than the send itself. Shared parts may be counted more than once (an estimate for
/// charging, not for limits), and nothing is allocated for a table graph, the common
/// message of Lua code.
pub fn copy_cost(t: &Term) -> usize {
    const SLOT: usize = 16;
    const TABLE: usize = 64;
    let text = |v: &Term| match v {
        Term::Binary(b) if b.len() >= 64 => b.len(),
        Term::Foreign(f) => f.value().byte_size(),
        _ => 0,
    };
    match t {
        Term::Binary(b) => b.len(),
        Term::Foreign(f) => f.value().byte_size(),
        Term::Tables(g) => g.tables.iter().fold(0usize, |total, tt| {
            let values = tt
                .array
                .iter()
                .chain(tt.hash.iter().flat_map(|(k, v)| [k, v]))
                .map(text)
                .fold(0usize, usize::saturating_add);
            total
                .saturating_add(TABLE + SLOT * (tt.array.len() + 2 * tt.hash.len()))
                .saturating_add(values)
        }),
        Term::List(_) | Term::Tuple(_) | Term::Map(_) => term_size(t),
        _ => 0,
    }
}

/// Estimated bytes `t` takes once materialised in a heap (tables with their slots,
/// strings with their headers), counting each shared binary and table graph once.
/// Iterative: a deeply nested term (from another node) cannot overflow the stack.
pub fn term_size(t: &Term) -> usize {
    const SLOT: usize = 16; // a Lua value
    const TABLE: usize = 64; // a table header
    const STRING: usize = 32; // a string header
    let mut seen: std::collections::HashSet<usize> = std::collections::HashSet::new();
    let mut total: usize = 0;
    let mut stack: Vec<&Term> = vec![t];
    while let Some(t) = stack.pop() {
        match t {
            // Small strings are counted each time: cheaper than remembering them.
            Term::Binary(b) if b.len() < 64 || seen.insert(b.as_ptr() as usize) => {
                total = total.saturating_add(STRING + b.len());
            }
            Term::List(items) | Term::Tuple(items) if seen.insert(items.as_ptr() as usize) => {
                total = total.saturating_add(TABLE + SLOT * items.len());
                stack.extend(items.iter());
            }
            Term::Map(pairs) if seen.insert(pairs.as_ptr() as usize) => {
                total = total.saturating_add(TABLE + 2 * SLOT * pairs.len());
                for (k, v) in pairs.iter() {
                    stack.push(k);
                    stack.push(v);
                }
            }
            Term::Tables(g) if seen.insert(std::sync::Arc::as_ptr(g) as usize) => {
                for tt in &g.tables {
                    total = total
                        .saturating_add(TABLE + SLOT * tt.array.len() + 2 * SLOT * tt.hash.len());
                    stack.extend(tt.array.iter());
                    for (k, v) in &tt.hash {
                        stack.push(k);
                        stack.push(v);
                    }
                }
            }
            Term::Foreign(f) => total = total.saturating_add(f.value().byte_size()),
            _ => {}
        }
    }
    total
}

/// A spawn_opt or similar number as a limit: NaN and negatives are refused (`None`),
/// fractions truncated, values past the type's range saturate.
pub(crate) fn limit_from_f64(n: f64) -> Option<u64> {
    if n.is_nan() || n < 0.0 {
        None
    } else {
        Some(n as u64) // `as` truncates and saturates
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_binaries_count_once() {
        let b: cube_term::Binary = std::sync::Arc::from(vec![0u8; 1000].as_slice());
        let one = term_size(&Term::List(vec![Term::Binary(b.clone())].into()));
        let many = term_size(&Term::List(vec![Term::Binary(b.clone()); 100].into()));
        assert!((1000..1200).contains(&one), "{one}");
        assert!(many < 1000 + 100 * 16 + 200, "{many}");
    }

    #[test]
    fn foreign_values_count_their_bytes() {
        #[derive(Debug)]
        struct Big;
        impl cube_term::ForeignValue for Big {
            fn type_name(&self) -> &'static str {
                "big"
            }
            fn byte_size(&self) -> usize {
                1 << 20
            }
            fn to_lua<'n>(&self, _cx: &mut cube_lua::host::Cx<'n>) -> cube_lua::host::Val<'n> {
                cube_lua::host::Val::Nil
            }
        }
        let t = Term::List(vec![Term::Foreign(cube_term::Foreign::new(Big))].into());
        assert!(term_size(&t) >= 1 << 20);
    }

    #[test]
    fn limits_take_the_smaller() {
        let a = Limits {
            max_heap: Some(10),
            max_reductions: None,
        };
        let b = Limits {
            max_heap: None,
            max_reductions: Some(5),
        };
        assert_eq!(
            a.min(b),
            Limits {
                max_heap: Some(10),
                max_reductions: Some(5)
            }
        );
        assert_eq!(limit_from_f64(f64::NAN), None);
        assert_eq!(limit_from_f64(-1.0), None);
        assert_eq!(limit_from_f64(2.5), Some(2));
        assert_eq!(limit_from_f64(1e300), Some(u64::MAX));
    }
}
