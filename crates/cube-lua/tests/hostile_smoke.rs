//! Hostile sandboxed programs without cargo-fuzz (issue 9): a fixed-seed generator writes
//! compositions of the standard library's natives with large, odd and recursive
//! arguments (`fuzz/hostile.rs`, shared with the `hostile` fuzz target), and each runs
//! under the sandbox's limits (16 MB heap, 1,000,000 reductions, slices as a process).
//!
//! What is asserted: every program ends (within a generous wall-clock bound), and the
//! memory the whole test process holds never goes past 4 x the heap limit plus what it
//! held before (a counting global allocator measures it; past a hard cap it refuses to
//! allocate, so a runaway program aborts the test instead of exhausting the machine).
//! Lua errors and limit errors are expected outcomes.
//!
//! `CUBE_HOSTILE_SEED` / `CUBE_HOSTILE_CASES` explore further; a failure prints the
//! program, which reproduces exactly.

mod hostile {
    include!("../../../fuzz/hostile.rs");
}

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

/// Bytes allocated now, and the most since the last reset.
static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
/// Past this the allocator fails (and the test aborts) rather than eat the machine.
const HARD_CAP: usize = 1 << 30;

struct Counting;

// SAFETY: defers to the system allocator; only counts (and refuses past HARD_CAP,
// which the GlobalAlloc contract allows: returning null reports failure).
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        if now > HARD_CAP {
            CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
            return std::ptr::null_mut();
        }
        PEAK.fetch_max(now, Ordering::Relaxed);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() {
            let grow = new_size - layout.size();
            let now = CURRENT.fetch_add(grow, Ordering::Relaxed) + grow;
            if now > HARD_CAP {
                CURRENT.fetch_sub(grow, Ordering::Relaxed);
                return std::ptr::null_mut();
            }
            PEAK.fetch_max(now, Ordering::Relaxed);
        } else {
            CURRENT.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
        }
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn hostile_programs_stay_bounded() {
    let seed = env_or("CUBE_HOSTILE_SEED", 0x5eed_0b57_1e5e_ed01);
    let cases = env_or("CUBE_HOSTILE_CASES", 150);
    let mut rng = Rng(seed);
    // One worker thread runs the programs one after another, so the allocator's
    // figures are the programs' own (plus the shared image, built by the warm-up).
    let (to_worker, programs) = mpsc::channel::<String>();
    let (to_test, results) = mpsc::channel::<(String, usize)>();
    let worker = std::thread::Builder::new()
        .name("hostile".into())
        .spawn(move || {
            hostile::run_hostile("return 1");
            for src in programs {
                let base = CURRENT.load(Ordering::Relaxed);
                PEAK.store(base, Ordering::Relaxed);
                let outcome = hostile::run_hostile(&src);
                let peak = PEAK.load(Ordering::Relaxed).saturating_sub(base);
                if to_test.send((outcome, peak)).is_err() {
                    break;
                }
            }
        })
        .unwrap();
    let bound = 4 * hostile::HOSTILE_MAX_HEAP;
    let mut outcomes = std::collections::BTreeMap::<String, usize>::new();
    for i in 0..cases {
        let bytes: Vec<u8> = (0..96).map(|_| rng.next() as u8).collect();
        let src = hostile::program(&mut hostile::Choices::new(&bytes));
        to_worker.send(src.clone()).unwrap();
        // A hang detector, not a speed test: a case's work is bounded by its limits
        // (an endless `__gc` runs on close's 10M-reduction reserve, about a minute in
        // a debug build on a loaded machine).
        match results.recv_timeout(Duration::from_secs(180)) {
            Ok((outcome, peak)) => {
                assert!(
                    peak <= bound,
                    "case {i}: {peak} bytes allocated at the peak (bound {bound}), outcome {outcome}:\n{src}"
                );
                let kind = outcome.split(':').take(2).collect::<Vec<_>>().join(":");
                let kind = kind.chars().take(60).collect::<String>();
                *outcomes.entry(kind).or_default() += 1;
            }
            Err(_) => panic!("case {i} did not end within 180 s (or its runner died):\n{src}"),
        }
    }
    drop(to_worker);
    worker.join().unwrap();
    // The generator must reach the limits, or it tests nothing.
    let total = |needle: &str| -> usize {
        outcomes
            .iter()
            .filter(|(k, _)| k.contains(needle))
            .map(|(_, n)| n)
            .sum()
    };
    eprintln!("outcomes: {outcomes:#?}");
    assert!(total("reduction limit exceeded") > 0, "{outcomes:#?}");
    assert!(total("finished") > 0, "{outcomes:#?}");
}
