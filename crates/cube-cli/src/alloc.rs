//! The global allocator: mimalloc, asked for a plain block whenever the alignment is at
//! most a pointer's, which every mimalloc block has.
//!
//! The `mimalloc` crate's allocator asks for every block through mimalloc's aligned
//! entry points. In mimalloc 3 those take their fast path only when the size class of
//! the request already has a page with a free block; otherwise, for a size whose class
//! is not a power of two, they over-allocate `size + align - 1` bytes through the plain
//! path. A request within 7 bytes of such a class's top (448 bytes, 112, 96, 24, ...)
//! thus never gets a page of its own class: every one of them takes the slow path and
//! lands in the next class up (a 448-byte process record used 512 bytes). Plain
//! `mi_malloc` has no such cliff.
//!
//! Every allocation and deallocation is also reported to `cube_vm::alloc_account`, so
//! that an engine whose values live on the Rust heap (LFE) can charge what its code
//! allocates to the running process's limit.

use cube_vm::alloc_account;
use libmimalloc_sys as ffi;
use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

/// Every mimalloc block is aligned to at least a pointer's size (blocks are whole
/// words, pages word-aligned).
const PLAIN_ALIGN: usize = std::mem::align_of::<usize>();

pub struct MiMalloc;

// SAFETY: every block comes from mimalloc, with at least the layout's alignment (plain
// blocks for alignments up to `PLAIN_ALIGN`, which they always have; mimalloc's aligned
// calls otherwise), and goes back to it with `mi_free`, which takes blocks of either
// kind.
unsafe impl GlobalAlloc for MiMalloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = if layout.align() <= PLAIN_ALIGN {
            ffi::mi_malloc(layout.size()) as *mut u8
        } else {
            ffi::mi_malloc_aligned(layout.size(), layout.align()) as *mut u8
        };
        if !p.is_null() {
            alloc_account::note(layout.size() as isize);
        }
        p
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = if layout.align() <= PLAIN_ALIGN {
            ffi::mi_zalloc(layout.size()) as *mut u8
        } else {
            ffi::mi_zalloc_aligned(layout.size(), layout.align()) as *mut u8
        };
        if !p.is_null() {
            alloc_account::note(layout.size() as isize);
        }
        p
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        ffi::mi_free(ptr as *mut c_void);
        alloc_account::note(-(layout.size() as isize));
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = if layout.align() <= PLAIN_ALIGN {
            ffi::mi_realloc(ptr as *mut c_void, new_size) as *mut u8
        } else {
            ffi::mi_realloc_aligned(ptr as *mut c_void, new_size, layout.align()) as *mut u8
        };
        if !p.is_null() {
            alloc_account::note(new_size as isize - layout.size() as isize);
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_have_their_alignment_and_contents() {
        let a = MiMalloc;
        for (size, align) in [
            (1, 1),
            (3, 2),
            (24, 8),
            (448, 8),
            (100, 16),
            (64, 64),
            (5000, 4096),
        ] {
            let layout = Layout::from_size_align(size, align).unwrap();
            // SAFETY: a non-zero-sized layout; each block is written within its size and
            // freed once with its layout.
            unsafe {
                let p = a.alloc_zeroed(layout);
                assert!(
                    !p.is_null() && (p as usize).is_multiple_of(align),
                    "{size} {align}"
                );
                assert!((0..size).all(|i| *p.add(i) == 0));
                p.write_bytes(7, size);
                let q = a.realloc(p, layout, size * 3);
                assert!(
                    !q.is_null() && (q as usize).is_multiple_of(align),
                    "{size} {align}"
                );
                assert!((0..size).all(|i| *q.add(i) == 7));
                a.dealloc(q, Layout::from_size_align(size * 3, align).unwrap());
            }
        }
    }
}
