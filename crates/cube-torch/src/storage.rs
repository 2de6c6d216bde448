//! Storage: the flat, typed buffer that tensors view (Torch7's `Storage`).
//!
//! A buffer is shared by every view of it through an `Arc<RwLock<_>>`: a `narrow`,
//! `select` or `transpose` view writes through to the tensor it came from, as in Torch.
//! The lock is uncontended within a process (a process runs on one thread at a time);
//! it is there so that the buffer is `Send + Sync`, which a process's heap needs (it
//! migrates between schedulers) and which a later `torch.share` can build on.

use crate::error::TorchError;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

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

/// A buffer shared by the views of it.
#[derive(Clone, Debug)]
pub struct Storage(Arc<RwLock<Buffer>>);

impl Storage {
    pub fn new(buffer: Buffer) -> Storage {
        Storage(Arc::new(RwLock::new(buffer)))
    }

    /// Reads the buffer. A poisoned lock (a panic while it was held) still holds a
    /// buffer of the right length; its values are whatever was written.
    pub fn read(&self) -> RwLockReadGuard<'_, Buffer> {
        self.0.read().unwrap_or_else(|e| e.into_inner())
    }

    pub fn write(&self) -> RwLockWriteGuard<'_, Buffer> {
        self.0.write().unwrap_or_else(|e| e.into_inner())
    }

    /// True if both are the same buffer.
    pub fn same(&self, other: &Storage) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}
