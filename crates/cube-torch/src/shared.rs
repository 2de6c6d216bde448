//! The storage of a `torch.share`d tensor: elements that several processes read and
//! write at the same moment, without locks (Hogwild training).
//!
//! This is the one deliberate exception to "processes share nothing". It is sound in
//! Rust's terms because every element is an atomic (`AtomicU32` holding an `f32`'s
//! bits, `AtomicU64` an `f64`'s) and every access is one relaxed atomic load or store
//! of one element: racing writers never make undefined behaviour, a reader sees for
//! each element some value that was written to it, and no element is ever torn. What
//! is *not* promised is any order or atomicity across elements: an update computed as
//! `w = w - lr * g` over a whole tensor reads, computes and writes back element by
//! element, so two processes updating at once may each overwrite the other's update
//! of an element. That is the Hogwild bargain (updates are sparse or small enough that
//! lost ones do not matter), and the README says so.

use crate::storage::{Buffer, DType};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};

/// Atomic elements (see the module documentation).
#[derive(Debug)]
pub enum SharedBuffer {
    F32(Box<[AtomicU32]>),
    F64(Box<[AtomicU64]>),
}

impl SharedBuffer {
    /// A shared copy of `buffer`.
    pub fn from_buffer(buffer: &Buffer) -> SharedBuffer {
        match buffer {
            Buffer::F32(v) => {
                SharedBuffer::F32(v.iter().map(|x| AtomicU32::new(x.to_bits())).collect())
            }
            Buffer::F64(v) => {
                SharedBuffer::F64(v.iter().map(|x| AtomicU64::new(x.to_bits())).collect())
            }
        }
    }

    pub fn dtype(&self) -> DType {
        match self {
            SharedBuffer::F32(_) => DType::F32,
            SharedBuffer::F64(_) => DType::F64,
        }
    }

    pub fn len(&self) -> usize {
        match self {
            SharedBuffer::F32(v) => v.len(),
            SharedBuffer::F64(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Element `i` as a double (callers check `i < len`).
    pub fn get(&self, i: usize) -> f64 {
        match self {
            SharedBuffer::F32(v) => f32::from_bits(v[i].load(Relaxed)) as f64,
            SharedBuffer::F64(v) => f64::from_bits(v[i].load(Relaxed)),
        }
    }

    /// Sets element `i`, rounding to the buffer's type.
    pub fn set(&self, i: usize, x: f64) {
        match self {
            SharedBuffer::F32(v) => v[i].store((x as f32).to_bits(), Relaxed),
            SharedBuffer::F64(v) => v[i].store(x.to_bits(), Relaxed),
        }
    }
}

/// Element access of a shared buffer of one type, for the typed gather and scatter of
/// `tensor.rs`.
pub trait Cells<T> {
    fn load(&self, i: usize) -> T;
    fn store(&self, i: usize, x: T);
}

impl Cells<f32> for [AtomicU32] {
    fn load(&self, i: usize) -> f32 {
        f32::from_bits(self[i].load(Relaxed))
    }
    fn store(&self, i: usize, x: f32) {
        self[i].store(x.to_bits(), Relaxed)
    }
}

impl Cells<f64> for [AtomicU64] {
    fn load(&self, i: usize) -> f64 {
        f64::from_bits(self[i].load(Relaxed))
    }
    fn store(&self, i: usize, x: f64) {
        self[i].store(x.to_bits(), Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn racing_writers_see_each_others_writes() {
        // Four threads each own a quarter of the elements and also read everyone's:
        // after they join, every element holds its owner's last write.
        let buf = Arc::new(SharedBuffer::from_buffer(&Buffer::F32(vec![0.0; 400])));
        let handles: Vec<_> = (0..4)
            .map(|k| {
                let b = buf.clone();
                std::thread::spawn(move || {
                    let mut seen = 0.0;
                    for round in 1..=100 {
                        for i in (k * 100)..(k * 100 + 100) {
                            b.set(i, round as f64);
                        }
                        seen += b.get((k * 100 + 150) % 400);
                    }
                    seen
                })
            })
            .collect();
        for h in handles {
            assert!(h.join().unwrap() >= 0.0);
        }
        assert!((0..400).all(|i| buf.get(i) == 100.0));
    }
}
