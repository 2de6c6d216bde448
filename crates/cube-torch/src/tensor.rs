//! The tensor: a strided view of a [`Storage`] (Torch7's geometry: sizes, strides and
//! an offset), so that `narrow`, `select`, `transpose`, `t` and `view` make views that
//! share the storage and write through to it, as in Torch.
//!
//! Candle's tensors are immutable values; they are made from a view when a kernel
//! runs ([`Tensor::to_candle`]) and their results are written back into a view
//! ([`Tensor::assign_candle`]) or become a new tensor ([`Tensor::from_candle`]).
//! The view model is kept apart from candle on purpose: autograd (candle's `Var`) and
//! copying tensors into messages both start from [`Tensor::to_candle`] /
//! [`Tensor::contiguous_values`] and need nothing else from this module.

use crate::error::{shape_text, TorchError};
use crate::shared::{Cells, SharedBuffer};
use crate::storage::{check_alloc, read, write, Buffer, DType, Data, Storage};

/// A strided view of a storage. Dimensions are 0-based here; the Lua layer converts
/// Torch's 1-based ones. A tensor with no dimension is empty (Torch7's
/// `torch.Tensor()`), not a scalar.
#[derive(Clone, Debug)]
pub struct Tensor {
    storage: Storage,
    /// The storage's element type, kept here so that asking for it takes no lock.
    dtype: DType,
    offset: usize,
    sizes: Vec<usize>,
    strides: Vec<usize>,
}

/// Row-major strides of a contiguous tensor of these sizes.
fn contiguous_strides(sizes: &[usize]) -> Vec<usize> {
    let mut strides = vec![0; sizes.len()];
    let mut acc = 1usize;
    for d in (0..sizes.len()).rev() {
        strides[d] = acc;
        acc = acc.saturating_mul(sizes[d].max(1));
    }
    strides
}

/// The number of elements of a tensor of these sizes (0 without dimensions), or an
/// error if it overflows.
pub fn element_count(sizes: &[usize]) -> Result<usize, TorchError> {
    if sizes.is_empty() {
        return Ok(0);
    }
    sizes
        .iter()
        .try_fold(1usize, |acc, &s| acc.checked_mul(s))
        .ok_or_else(|| TorchError::new(format!("tensor size {} overflows", shape_text(sizes))))
}

impl Tensor {
    /// A new contiguous tensor of zeros.
    pub fn zeros(dtype: DType, sizes: &[usize]) -> Result<Tensor, TorchError> {
        let n = element_count(sizes)?;
        Ok(Tensor::with_buffer(Buffer::zeros(dtype, n)?, sizes))
    }

    /// A new contiguous tensor holding `values` (in row-major order).
    pub fn from_values(
        dtype: DType,
        sizes: &[usize],
        values: Vec<f64>,
    ) -> Result<Tensor, TorchError> {
        let n = element_count(sizes)?;
        check_alloc(n, dtype)?;
        if n != values.len() {
            return Err(TorchError::new(format!(
                "{} values for a tensor of size {}",
                values.len(),
                shape_text(sizes)
            )));
        }
        Ok(Tensor::with_buffer(Buffer::from_f64(dtype, values), sizes))
    }

    /// Torch7's empty tensor: no dimension, no element.
    pub fn empty(dtype: DType) -> Tensor {
        Tensor::with_buffer(Buffer::from_f64(dtype, vec![]), &[])
    }

    /// A contiguous tensor over a whole buffer (whose length the caller made match).
    pub fn with_buffer(buffer: Buffer, sizes: &[usize]) -> Tensor {
        Tensor {
            dtype: buffer.dtype(),
            storage: Storage::new(buffer),
            offset: 0,
            sizes: sizes.to_vec(),
            strides: contiguous_strides(sizes),
        }
    }

    pub fn dtype(&self) -> DType {
        self.dtype
    }

    pub fn sizes(&self) -> &[usize] {
        &self.sizes
    }

    pub fn strides(&self) -> &[usize] {
        &self.strides
    }

    pub fn dim(&self) -> usize {
        self.sizes.len()
    }

    pub fn numel(&self) -> usize {
        // The sizes were checked when the tensor was made, so this does not overflow.
        if self.sizes.is_empty() {
            0
        } else {
            self.sizes.iter().product()
        }
    }

    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    /// True if the elements are laid out row-major without gaps (Torch's
    /// `isContiguous`).
    pub fn is_contiguous(&self) -> bool {
        let mut expected = 1usize;
        for d in (0..self.sizes.len()).rev() {
            if self.sizes[d] != 1 && self.strides[d] != expected {
                return false;
            }
            expected *= self.sizes[d];
        }
        true
    }

    fn check_dim(&self, dim: usize, what: &str) -> Result<(), TorchError> {
        if dim >= self.dim() {
            return Err(TorchError::new(format!(
                "{what}: dimension {} out of range of {}D tensor",
                dim + 1,
                self.dim()
            )));
        }
        Ok(())
    }

    // ----- views -----

    /// The view of `len` elements from `start` along `dim` (0-based).
    pub fn narrow(&self, dim: usize, start: usize, len: usize) -> Result<Tensor, TorchError> {
        self.check_dim(dim, "narrow")?;
        let size = self.sizes[dim];
        if start >= size.max(1) || start.saturating_add(len) > size || len == 0 {
            return Err(TorchError::new(format!(
                "narrow: out of range: first index {}, size {} of dimension {} of size {}",
                start + 1,
                len,
                dim + 1,
                size
            )));
        }
        let mut v = self.clone();
        v.offset += start * self.strides[dim];
        v.sizes[dim] = len;
        Ok(v)
    }

    /// The view at `index` (0-based) along `dim`, one dimension less.
    pub fn select(&self, dim: usize, index: usize) -> Result<Tensor, TorchError> {
        self.check_dim(dim, "select")?;
        if index >= self.sizes[dim] {
            return Err(TorchError::new(format!(
                "index {} out of range for dimension {} of size {}",
                index + 1,
                dim + 1,
                self.sizes[dim]
            )));
        }
        let mut v = self.clone();
        v.offset += index * self.strides[dim];
        v.sizes.remove(dim);
        v.strides.remove(dim);
        Ok(v)
    }

    /// The view with dimensions `a` and `b` swapped.
    pub fn transpose(&self, a: usize, b: usize) -> Result<Tensor, TorchError> {
        self.check_dim(a, "transpose")?;
        self.check_dim(b, "transpose")?;
        let mut v = self.clone();
        v.sizes.swap(a, b);
        v.strides.swap(a, b);
        Ok(v)
    }

    /// The view of a contiguous tensor with other sizes and the same element count.
    pub fn view(&self, sizes: &[usize]) -> Result<Tensor, TorchError> {
        if !self.is_contiguous() {
            return Err(TorchError::new("view: expecting a contiguous tensor"));
        }
        if element_count(sizes)? != self.numel() {
            return Err(TorchError::new(format!(
                "wrong size for view: input size {}, output size {}",
                shape_text(&self.sizes),
                shape_text(sizes)
            )));
        }
        Ok(Tensor {
            storage: self.storage.clone(),
            dtype: self.dtype,
            offset: self.offset,
            sizes: sizes.to_vec(),
            strides: contiguous_strides(sizes),
        })
    }

    // ----- elements -----

    /// Calls `f` with the storage index of each element, in row-major order.
    fn for_each_index(&self, mut f: impl FnMut(usize)) {
        let n = self.numel();
        if n == 0 {
            return;
        }
        let nd = self.dim();
        let mut idx = vec![0usize; nd];
        let mut pos = self.offset;
        for _ in 0..n {
            f(pos);
            // Advance the odometer from the last dimension.
            for d in (0..nd).rev() {
                idx[d] += 1;
                pos += self.strides[d];
                if idx[d] < self.sizes[d] {
                    break;
                }
                pos -= self.strides[d] * self.sizes[d];
                idx[d] = 0;
            }
        }
    }

    /// The storage index of the element at `index` (0-based, one per dimension).
    fn index_of(&self, index: &[usize]) -> Result<usize, TorchError> {
        if index.len() != self.dim() {
            return Err(TorchError::new(format!(
                "{} indices for a {}D tensor",
                index.len(),
                self.dim()
            )));
        }
        let mut pos = self.offset;
        for (d, &i) in index.iter().enumerate() {
            if i >= self.sizes[d] {
                return Err(TorchError::new(format!(
                    "index {} out of range for dimension {} of size {}",
                    i + 1,
                    d + 1,
                    self.sizes[d]
                )));
            }
            pos += i * self.strides[d];
        }
        Ok(pos)
    }

    pub fn get(&self, index: &[usize]) -> Result<f64, TorchError> {
        let pos = self.index_of(index)?;
        Ok(self.storage.get(pos))
    }

    pub fn set(&self, index: &[usize], x: f64) -> Result<(), TorchError> {
        let pos = self.index_of(index)?;
        self.storage.set(pos, x);
        Ok(())
    }

    /// The elements in row-major order, as doubles.
    pub fn contiguous_values(&self) -> Vec<f64> {
        match self.storage.data() {
            Data::Local(b) => match &*read(b) {
                Buffer::F32(v) => self.gather(v).into_iter().map(f64::from).collect(),
                Buffer::F64(v) => self.gather(v),
            },
            Data::Shared(SharedBuffer::F32(c)) => {
                self.gather_cells(&**c).into_iter().map(f64::from).collect()
            }
            Data::Shared(SharedBuffer::F64(c)) => self.gather_cells(&**c),
        }
    }

    /// As `gather` from a shared buffer: one relaxed load per element.
    fn gather_cells<T, C: Cells<T> + ?Sized>(&self, cells: &C) -> Vec<T> {
        let mut out = Vec::with_capacity(self.numel());
        if self.is_contiguous() {
            out.extend((self.offset..self.offset + self.numel()).map(|i| cells.load(i)));
        } else {
            self.for_each_index(|i| out.push(cells.load(i)));
        }
        out
    }

    /// As `scatter` into a shared buffer: one relaxed store per element.
    fn scatter_cells<T: Copy, C: Cells<T> + ?Sized>(&self, cells: &C, values: &[T]) {
        let mut k = 0;
        self.for_each_index(|i| {
            cells.store(i, values[k]);
            k += 1;
        });
    }

    /// The view's elements of `buffer` (its storage's), row-major; one slice copy when
    /// the view is contiguous.
    fn gather<T: Copy>(&self, buffer: &[T]) -> Vec<T> {
        if self.is_contiguous() {
            return buffer[self.offset..self.offset + self.numel()].to_vec();
        }
        let mut out = Vec::with_capacity(self.numel());
        self.for_each_index(|i| out.push(buffer[i]));
        out
    }

    /// Writes `values` (row-major, as many as the view has) into the view's elements
    /// of `buffer`; one slice copy when the view is contiguous.
    fn scatter<T: Copy>(&self, buffer: &mut [T], values: &[T]) {
        if self.is_contiguous() {
            buffer[self.offset..self.offset + values.len()].copy_from_slice(values);
            return;
        }
        let mut k = 0;
        self.for_each_index(|i| {
            buffer[i] = values[k];
            k += 1;
        });
    }

    fn check_count(&self, n: usize) -> Result<(), TorchError> {
        if n != self.numel() {
            return Err(TorchError::new(format!(
                "inconsistent tensor size: {} values for a tensor of size {}",
                n,
                shape_text(&self.sizes)
            )));
        }
        Ok(())
    }

    /// Writes `values` (row-major) into the view's elements, rounding to its type.
    pub fn assign_values(&self, values: &[f64]) -> Result<(), TorchError> {
        self.check_count(values.len())?;
        let rounded = || -> Vec<f32> { values.iter().map(|x| *x as f32).collect() };
        match self.storage.data() {
            Data::Local(b) => match &mut *write(b) {
                Buffer::F64(v) => self.scatter(v, values),
                Buffer::F32(v) => self.scatter(v, &rounded()),
            },
            Data::Shared(SharedBuffer::F64(c)) => self.scatter_cells(&**c, values),
            Data::Shared(SharedBuffer::F32(c)) => self.scatter_cells(&**c, &rounded()),
        }
        Ok(())
    }

    /// Sets every element to `x`.
    pub fn fill(&self, x: f64) {
        match self.storage.data() {
            Data::Local(b) => {
                let mut buf = write(b);
                self.for_each_index(|i| buf.set(i, x));
            }
            Data::Shared(c) => self.for_each_index(|i| c.set(i, x)),
        }
    }

    /// True if the storage is a `torch.share`d one.
    pub fn is_shared(&self) -> bool {
        self.storage.is_shared()
    }

    /// A tensor with this one's values in a new storage that several processes may
    /// write at once (`torch.share`; see `crate::shared`). A shared tensor is its own
    /// share.
    pub fn share(&self) -> Tensor {
        if self.is_shared() {
            return self.clone();
        }
        let values = self.contiguous_copy();
        let buffer = match values.storage.data() {
            Data::Local(b) => Storage::shared(&read(b)),
            Data::Shared(_) => return values,
        };
        Tensor {
            storage: buffer,
            ..values
        }
    }

    /// A new contiguous tensor of this one's type and values, in a process's own
    /// storage: one typed copy (no pass through doubles).
    pub fn contiguous_copy(&self) -> Tensor {
        let buffer = match self.storage.data() {
            Data::Local(b) => match &*read(b) {
                Buffer::F32(v) => Buffer::F32(self.gather(v)),
                Buffer::F64(v) => Buffer::F64(self.gather(v)),
            },
            Data::Shared(SharedBuffer::F32(c)) => Buffer::F32(self.gather_cells(&**c)),
            Data::Shared(SharedBuffer::F64(c)) => Buffer::F64(self.gather_cells(&**c)),
        };
        Tensor::with_buffer(buffer, &self.sizes)
    }

    /// A new contiguous tensor with the same values (of type `dtype`).
    pub fn clone_as(&self, dtype: DType) -> Result<Tensor, TorchError> {
        Tensor::from_values(dtype, &self.sizes, self.contiguous_values())
    }

    // ----- candle -----

    /// A candle tensor with this view's values, in its own type and shape (a copy:
    /// candle's tensors are immutable). A tensor with no dimension becomes an empty
    /// 1-d one.
    pub fn to_candle(&self) -> Result<candle_core::Tensor, TorchError> {
        let dev = &candle_core::Device::Cpu;
        let shape: Vec<usize> = if self.sizes.is_empty() {
            vec![0]
        } else {
            self.sizes.clone()
        };
        let t = match self.storage.data() {
            Data::Local(b) => match &*read(b) {
                Buffer::F32(v) => candle_core::Tensor::from_vec(self.gather(v), shape, dev)?,
                Buffer::F64(v) => candle_core::Tensor::from_vec(self.gather(v), shape, dev)?,
            },
            Data::Shared(SharedBuffer::F32(c)) => {
                candle_core::Tensor::from_vec(self.gather_cells(&**c), shape, dev)?
            }
            Data::Shared(SharedBuffer::F64(c)) => {
                candle_core::Tensor::from_vec(self.gather_cells(&**c), shape, dev)?
            }
        };
        Ok(t)
    }

    /// A new tensor holding a candle tensor's values, of type `dtype`. A result with
    /// no elements is a tensor with no dimension, the only empty tensor Torch7 has.
    pub fn from_candle(t: &candle_core::Tensor, dtype: DType) -> Result<Tensor, TorchError> {
        let sizes = if t.elem_count() == 0 {
            vec![]
        } else {
            t.dims().to_vec()
        };
        let flat = t.flatten_all()?;
        let buffer = match dtype {
            DType::F32 => Buffer::F32(flat.to_dtype(candle_core::DType::F32)?.to_vec1()?),
            DType::F64 => Buffer::F64(flat.to_dtype(candle_core::DType::F64)?.to_vec1()?),
        };
        if buffer.len() != element_count(&sizes)? {
            return Err(TorchError::new(
                "candle returned a tensor of the wrong length",
            ));
        }
        Ok(Tensor::with_buffer(buffer, &sizes))
    }

    /// Writes a candle tensor's values (same element count) into this view.
    pub fn assign_candle(&self, t: &candle_core::Tensor) -> Result<(), TorchError> {
        self.check_count(t.elem_count())?;
        let flat = t.flatten_all()?.to_dtype(self.dtype.candle())?;
        // Candle's own buffer, borrowed when it is a contiguous CPU one (a result
        // usually is): one copy into the view rather than two.
        let (storage, layout) = flat.storage_and_layout();
        if let (candle_core::Storage::Cpu(cpu), Some((s, e))) =
            (&*storage, layout.contiguous_offsets())
        {
            match self.storage.data() {
                Data::Local(b) => match &mut *write(b) {
                    Buffer::F32(v) => self.scatter(v, slice_of::<f32>(cpu, s, e)?),
                    Buffer::F64(v) => self.scatter(v, slice_of::<f64>(cpu, s, e)?),
                },
                Data::Shared(SharedBuffer::F32(c)) => {
                    self.scatter_cells(&**c, slice_of::<f32>(cpu, s, e)?)
                }
                Data::Shared(SharedBuffer::F64(c)) => {
                    self.scatter_cells(&**c, slice_of::<f64>(cpu, s, e)?)
                }
            }
            return Ok(());
        }
        drop(storage);
        match self.storage.data() {
            Data::Local(b) => match &mut *write(b) {
                Buffer::F32(v) => self.scatter(v, &flat.to_vec1::<f32>()?),
                Buffer::F64(v) => self.scatter(v, &flat.to_vec1::<f64>()?),
            },
            Data::Shared(SharedBuffer::F32(c)) => self.scatter_cells(&**c, &flat.to_vec1::<f32>()?),
            Data::Shared(SharedBuffer::F64(c)) => self.scatter_cells(&**c, &flat.to_vec1::<f64>()?),
        }
        Ok(())
    }
}

/// Elements `start..end` of a candle CPU buffer of element type `T`.
fn slice_of<T: candle_core::WithDType>(
    cpu: &candle_core::CpuStorage,
    start: usize,
    end: usize,
) -> Result<&[T], TorchError> {
    cpu.as_slice::<T>()?
        .get(start..end)
        .ok_or_else(|| TorchError::new("candle returned a tensor of the wrong length"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iota(sizes: &[usize]) -> Tensor {
        let n = element_count(sizes).unwrap();
        Tensor::from_values(DType::F64, sizes, (0..n).map(|i| i as f64).collect()).unwrap()
    }

    #[test]
    fn views_write_through() {
        let t = iota(&[3, 4]);
        let col = t.select(1, 2).unwrap();
        assert_eq!(col.contiguous_values(), vec![2.0, 6.0, 10.0]);
        col.fill(-1.0);
        assert_eq!(t.get(&[1, 2]).unwrap(), -1.0);
        let tt = t.transpose(0, 1).unwrap();
        assert!(!tt.is_contiguous());
        assert_eq!(tt.get(&[2, 0]).unwrap(), -1.0);
        let block = t.narrow(0, 1, 2).unwrap().narrow(1, 1, 2).unwrap();
        block.assign_values(&[7.0, 8.0, 9.0, 10.0]).unwrap();
        assert_eq!(t.get(&[2, 2]).unwrap(), 10.0);
    }

    #[test]
    fn bad_views_are_errors() {
        let t = iota(&[2, 3]);
        assert!(t.select(2, 0).is_err());
        assert!(t.select(0, 2).is_err());
        assert!(t.narrow(1, 2, 2).is_err());
        assert!(t.view(&[4]).is_err());
        assert!(t.transpose(0, 1).unwrap().view(&[6]).is_err());
        assert!(Tensor::zeros(DType::F64, &[1 << 40]).is_err());
        assert!(Tensor::zeros(DType::F64, &[usize::MAX, 3]).is_err());
    }
}
