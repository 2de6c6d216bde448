//! # cube-torch: Torch7's `torch`, `nn` and `optim` libraries for cube's Lua processes
//!
//! Tensors with Torch7's names, behaviour and printing, computed by HuggingFace's
//! candle (CPU; the `cuda` feature forwards to candle's CUDA backend), saved and
//! loaded as safetensors files; Torch7's `nn` modules, differentiated by candle's
//! autograd, and `optim`'s optimisers, on the same tensor type.
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
//!   metatables, argument conversion), on cube-lua's host interface only; opening it
//!   opens `nn` and `optim` too.
//! - [`nn`]: Torch7's modules and criteria (protocol in Lua, computation recorded on
//!   candle `Var`s, gradients from candle's autograd).
//! - [`optim`]: `optim.sgd`, `optim.adam`, `optim.rmsprop`.
//!
//! Errors are [`error::TorchError`] messages that become Lua errors naming the shapes;
//! no input makes this crate panic. The differences from Torch7 are listed in
//! README.md ("Tensors: `torch`").
//!
//! Two seams: autograd (candle's `Var`, used by [`nn`]) and message copying both
//! start from [`Tensor::to_candle`] / [`Tensor::contiguous_values`] and
//! [`Tensor::from_candle`], and never need the view geometry; `torch.share` can hand
//! several processes one [`storage::Storage`], which is already `Send + Sync`.

pub mod error;
pub mod file;
pub mod format;
mod lazy;
mod lua;
pub mod nn;
pub mod ops;
pub mod optim;
pub mod rng;
pub mod storage;
pub mod tensor;

pub use error::TorchError;
pub use lua::{open, Access};
pub use tensor::Tensor;
