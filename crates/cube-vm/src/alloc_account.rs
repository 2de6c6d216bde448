//! Charging the heap memory a piece of code allocates to an account, through the
//! program's global allocator: what lets `--max-heap` hold for an engine whose values
//! live on the Rust heap (LFE's terms are `Rc`s), which has no heap of its own to
//! measure.
//!
//! [`charged`] makes an account current on this thread for the length of a closure;
//! [`note`], called by the global allocator for every allocation (positive) and
//! deallocation (negative), adds to the current account, if any. cube-cli's allocator
//! (`alloc.rs`) calls it; a program with another allocator charges nothing (then
//! [`active`] is false and engines cannot enforce their limit this way).
//!
//! What is charged is the bytes asked of the allocator while the account is current,
//! minus those given back while it is current: memory made in the scope and freed
//! outside it (a value handed to another thread) stays charged, and the reverse. An
//! engine keeps both out of the scope ([`uncharged`]) where it knows of them.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering};

thread_local! {
    /// The account allocations on this thread go to (null: none). A plain pointer in
    /// a const-initialised cell: reading it never allocates, as it must not in an
    /// allocator.
    static CURRENT: Cell<*const AtomicIsize> = const { Cell::new(std::ptr::null()) };
}

/// Set once the global allocator has called [`note`].
static ACTIVE: AtomicBool = AtomicBool::new(false);

/// Adds `delta` bytes to this thread's current account, if any. For the global
/// allocator: it never allocates, and does nothing while the thread is being torn down.
#[inline]
pub fn note(delta: isize) {
    let _ = CURRENT.try_with(|c| {
        let p = c.get();
        if !p.is_null() {
            // SAFETY: `charged` keeps the account alive (borrowed) for as long as it
            // is current, and puts the previous pointer back before returning.
            unsafe { (*p).fetch_add(delta, Ordering::Relaxed) };
        }
    });
    if !ACTIVE.load(Ordering::Relaxed) {
        ACTIVE.store(true, Ordering::Relaxed);
    }
}

/// Whether the program's allocator reports to this module (cube-cli's does).
pub fn active() -> bool {
    ACTIVE.load(Ordering::Relaxed)
}

/// Runs `f` with `account` current on this thread: what it allocates and frees is
/// added to it. Scopes nest; the previous account is current again afterwards (also
/// when `f` panics).
pub fn charged<R>(account: &AtomicIsize, f: impl FnOnce() -> R) -> R {
    struct Restore(*const AtomicIsize);
    impl Drop for Restore {
        fn drop(&mut self) {
            CURRENT.with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(CURRENT.with(|c| c.replace(account)));
    f()
}

/// Runs `f` with no account current: for memory that leaves the charged code (a
/// message converted for another process) or arrives from outside it.
pub fn uncharged<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(*const AtomicIsize);
    impl Drop for Restore {
        fn drop(&mut self) {
            CURRENT.with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(CURRENT.with(|c| c.replace(std::ptr::null())));
    f()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_go_to_the_current_account_and_scopes_nest() {
        let (a, b) = (AtomicIsize::new(0), AtomicIsize::new(0));
        note(5);
        charged(&a, || {
            note(10);
            charged(&b, || note(7));
            uncharged(|| note(100));
            note(-3);
        });
        note(1);
        assert_eq!(a.load(Ordering::Relaxed), 7);
        assert_eq!(b.load(Ordering::Relaxed), 7);
    }
}
