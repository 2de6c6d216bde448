//! # cube-torch: Torch7's `torch` library for cube's Lua processes
//!
//! Tensors with Torch7's names, behaviour and printing, computed by HuggingFace's
//! candle (CPU; the `cuda` feature forwards to candle's CUDA backend), saved and
//! loaded as safetensors files. `nn` and `optim` come later on the same tensor type.
//!
//! Module map (one concern each):
//! - [`storage`]: the flat typed buffer ([`storage::Buffer`], f32 or f64), shared by
//!   views through [`storage::Storage`]; the allocation limit.
//! - [`tensor`]: the strided view (sizes, strides, offset) with Torch's views
//!   (`narrow`, `select`, `transpose`, `view`), element access, and the bridge to
//!   candle (a view is copied into a candle tensor to compute, and results are
//!   written back through the view).
//! - [`ops`]: the kernels (which run on candle and which here is said there) and
//!   their shape checks.
//! - [`mod@format`]: `tostring` in Torch7's exact layout.
//! - [`rng`]: the per-process generator of `rand`/`randn`/`manualSeed`.
//! - [`mod@file`]: `torch.save`/`torch.load` in safetensors.
//! - `lua`: the Lua library itself (`torch.*` functions, the tensor and size
//!   metatables, argument conversion), on cube-lua's host interface only.
//!
//! Errors are [`error::TorchError`] messages that become Lua errors naming the shapes;
//! no input makes this crate panic. The differences from Torch7 are listed in
//! README.md ("Tensors: `torch`").
//!
//! Later steps build on two seams: autograd (candle's `Var`) and message copying both
//! start from [`Tensor::to_candle`] / [`Tensor::contiguous_values`] and
//! [`Tensor::from_candle`], and never need the view geometry; `torch.share` can hand
//! several processes one [`storage::Storage`], which is already `Send + Sync`.

pub mod error;
pub mod file;
pub mod format;
mod lua;
pub mod ops;
pub mod rng;
pub mod storage;
pub mod tensor;

pub use error::TorchError;
pub use lua::{open, Access};
pub use tensor::Tensor;
