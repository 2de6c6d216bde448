//! Storage: the flat, typed buffer that tensors view (Torch7's `Storage`).
//!
//! A buffer is shared by every view of it through an `Arc`: a `narrow`, `select` or
//! `transpose` view writes through to the tensor it came from, as in Torch. A
//! process's own buffer sits behind an `RwLock`, uncontended (a process runs on one
//! thread at a time); it is there so that the buffer is `Send + Sync`, which a
//! process's heap needs (it migrates between schedulers). A `torch.share`d buffer is
//! a [`SharedBuffer`] of atomics instead, written by several processes at once
//! without locks.

use crate::account::{Account, Charge};
use crate::error::TorchError;
pub use crate::shared::SharedBuffer;
use std::sync::{Arc, OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// The element types cube's tensors have: Torch7's `FloatTensor` and `DoubleTensor`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DType {
    F32,
    F64,
}

impl DType {
    /// Torch7's class name of a tensor of this type.
    pub fn tensor_name(self) -> &'static str {
        match self {
            DType::F32 => "torch.FloatTensor",
            DType::F64 => "torch.DoubleTensor",
        }
    }

    pub fn size_in_bytes(self) -> usize {
        match self {
            DType::F32 => 4,
            DType::F64 => 8,
        }
    }

    pub fn candle(self) -> candle_core::DType {
        match self {
            DType::F32 => candle_core::DType::F32,
            DType::F64 => candle_core::DType::F64,
        }
    }
}

/// The largest tensor cube allocates: 2^32 elements and 8 GiB. A size past it is an
/// error before anything is allocated (Torch7 would try, and the process would die
/// on the failed allocation or be killed by the OS).
pub const MAX_ELEMENTS: usize = 1 << 32;
pub const MAX_BYTES: usize = 8 << 30;

/// Checks that `n` elements of `dtype` may be allocated; returns their size in bytes.
pub fn check_alloc(n: usize, dtype: DType) -> Result<usize, TorchError> {
    let bytes = n.saturating_mul(dtype.size_in_bytes());
    if n > MAX_ELEMENTS || bytes > MAX_BYTES {
        return Err(TorchError::new(format!(
            "tensor of {n} elements ({bytes} bytes) is larger than the limit of {MAX_ELEMENTS} elements and {MAX_BYTES} bytes"
        )));
    }
    Ok(bytes)
}

/// A flat buffer of elements.
#[derive(Clone, Debug)]
pub enum Buffer {
    F32(Vec<f32>),
    F64(Vec<f64>),
}

impl Buffer {
    /// `n` zeros; an error (never an abort) if the size is over the limit or the
    /// allocation fails.
    pub fn zeros(dtype: DType, n: usize) -> Result<Buffer, TorchError> {
        check_alloc(n, dtype)?;
        let oom = |_| TorchError::new(format!("cannot allocate a tensor of {n} elements"));
        Ok(match dtype {
            DType::F32 => {
                let mut v = Vec::new();
                v.try_reserve_exact(n).map_err(oom)?;
                v.resize(n, 0.0);
                Buffer::F32(v)
            }
            DType::F64 => {
                let mut v = Vec::new();
                v.try_reserve_exact(n).map_err(oom)?;
                v.resize(n, 0.0);
                Buffer::F64(v)
            }
        })
    }

    /// A buffer holding `values` converted to `dtype`.
    pub fn from_f64(dtype: DType, values: Vec<f64>) -> Buffer {
        match dtype {
            DType::F64 => Buffer::F64(values),
            DType::F32 => Buffer::F32(values.into_iter().map(|x| x as f32).collect()),
        }
    }

    pub fn dtype(&self) -> DType {
        match self {
            Buffer::F32(_) => DType::F32,
            Buffer::F64(_) => DType::F64,
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Buffer::F32(v) => v.len(),
            Buffer::F64(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Element `i` as a double (callers check `i < len`).
    pub fn get(&self, i: usize) -> f64 {
        match self {
            Buffer::F32(v) => v[i] as f64,
            Buffer::F64(v) => v[i],
        }
    }

    /// Sets element `i`, rounding to the buffer's type.
    pub fn set(&mut self, i: usize, x: f64) {
        match self {
            Buffer::F32(v) => v[i] = x as f32,
            Buffer::F64(v) => v[i] = x,
        }
    }
}

/// A buffer shared by the views of it: a process's own (behind an uncontended lock),
/// or one that several processes update at once (`torch.share`, [`SharedBuffer`]).
#[derive(Clone, Debug)]
pub struct Storage(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    data: Data,
    /// The process account the bytes are counted in (`crate::account`), once a
    /// process holds the storage in a Lua value; released when the storage is dropped.
    charge: OnceLock<Charge>,
}

/// Where a storage's elements are.
#[derive(Debug)]
pub enum Data {
    Local(RwLock<Buffer>),
    Shared(SharedBuffer),
}

impl Storage {
    pub fn new(buffer: Buffer) -> Storage {
        Storage::of(Data::Local(RwLock::new(buffer)))
    }

    /// A storage that several processes may hold and write at once (Hogwild).
    pub fn shared(buffer: &Buffer) -> Storage {
        Storage::of(Data::Shared(SharedBuffer::from_buffer(buffer)))
    }

    fn of(data: Data) -> Storage {
        Storage(Arc::new(Inner {
            data,
            charge: OnceLock::new(),
        }))
    }

    pub fn data(&self) -> &Data {
        &self.0.data
    }

    pub fn is_shared(&self) -> bool {
        matches!(self.0.data, Data::Shared(_))
    }

    pub fn len(&self) -> usize {
        match &self.0.data {
            Data::Local(b) => read(b).len(),
            Data::Shared(s) => s.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Element `i` as a double (callers check `i < len`).
    pub fn get(&self, i: usize) -> f64 {
        match &self.0.data {
            Data::Local(b) => read(b).get(i),
            Data::Shared(s) => s.get(i),
        }
    }

    /// Sets element `i`, rounding to the storage's type.
    pub fn set(&self, i: usize, x: f64) {
        match &self.0.data {
            Data::Local(b) => write(b).set(i, x),
            Data::Shared(s) => s.set(i, x),
        }
    }

    /// True if both are the same buffer.
    pub fn same(&self, other: &Storage) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// Counts the storage's bytes in `account` unless it is counted already (in this
    /// process's account or another's: a shared storage counts where it was made).
    /// True if it was counted just now.
    pub fn charge_to(&self, account: &Account) -> bool {
        if self.0.charge.get().is_some() {
            return false;
        }
        let bytes = self.len().saturating_mul(self.dtype().size_in_bytes());
        let mut fresh = false;
        self.0.charge.get_or_init(|| {
            fresh = true;
            account.charge(bytes)
        });
        fresh
    }

    pub fn dtype(&self) -> DType {
        match &self.0.data {
            Data::Local(b) => read(b).dtype(),
            Data::Shared(s) => s.dtype(),
        }
    }
}

/// Reads a process's own buffer. A poisoned lock (a panic while it was held) still
/// holds a buffer of the right length; its values are whatever was written.
pub fn read(b: &RwLock<Buffer>) -> RwLockReadGuard<'_, Buffer> {
    b.read().unwrap_or_else(|e| e.into_inner())
}

pub fn write(b: &RwLock<Buffer>) -> RwLockWriteGuard<'_, Buffer> {
    b.write().unwrap_or_else(|e| e.into_inner())
}
