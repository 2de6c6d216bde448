//! # cube-torch: Torch7's `torch`, `nn` and `optim` libraries for cube's Lua processes
//!
//! Tensors with Torch7's names, behaviour and printing, computed by HuggingFace's
//! candle (CPU; the `cuda` feature builds candle's CUDA backend, which no kernel uses yet), saved and
//! loaded as safetensors files; Torch7's `nn` modules, differentiated by candle's
//! autograd, and `optim`'s optimisers, on the same tensor type.
//!
//! Module map (one concern each):
//! - [`storage`]: the flat typed buffer ([`storage::Buffer`], f32 or f64), shared by
//!   views through [`storage::Storage`]; the allocation limit.
//! - [`shared`]: the storage of `torch.share`, atomics that several processes write at
//!   once without locks (Hogwild): the one exception to "processes share nothing",
//!   sound because every element access is one relaxed atomic operation.
//! - [`account`]: each process's count of its live tensor bytes, which `--max-heap`
//!   adds to the Lua heap.
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
//! # Tensors and processes
//! - **Messages copy.** A tensor in a message becomes a `cube_term::Term::Foreign`
//!   holding a contiguous copy made at the send; each receiver materialises its own
//!   copy, counted in its heap limit (`lua/share.rs`). Copying, rather than sharing an
//!   immutable buffer, because Torch7 tensors are mutable (a shared read-only buffer
//!   would be copied on first write anyway) and because a copy belongs to exactly one
//!   process's limit.
//! - **`torch.share` shares.** Its storage ([`shared::SharedBuffer`]) travels as
//!   itself: every process holding it reads and writes the same elements.
//! - **Limits.** Tensor work is charged in reductions before it runs, in proportion to
//!   the bytes it passes over and, for products, to its multiply-adds. A storage is
//!   counted once in the [`account`] of the first process that holds it in a Lua value;
//!   every allocation checks the Lua heap plus that account against the heap limit.
//!
//! - **Threads.** Candle splits matrix products over rayon's global pool (one thread
//!   per physical core, or `RAYON_NUM_THREADS`), shared by all scheduler threads; a
//!   scheduler thread calling a product sleeps until the pool is done. Measured
//!   (BENCHMARKS.md, "Tensors"): on a busy 2-core machine, a 1024x1024 float32
//!   product takes 30.8 ms with the default pool and 27.6 ms with
//!   `RAYON_NUM_THREADS=1`, and two processes multiplying at once get 52.3 and 50.8
//!   GFLOP/s in all; over three runs one thread was as fast or faster in 5 of 6
//!   comparisons (the machine was shared). The default stays all the same: candle
//!   reads the variable itself and changing the environment once threads run is not
//!   sound, and on an idle many-core machine a lone process gets every core. The busy
//!   threads exceed the cores only when a product runs beside schedulers running Lua,
//!   by at most the pool's size; `RAYON_NUM_THREADS=1` keeps each product on its
//!   caller's thread and is the better setting on a small or shared machine.
//!
//! Autograd (candle's `Var`, used by [`nn`]) and message copying both start from
//! [`Tensor::to_candle`] / [`Tensor::contiguous_values`] and [`Tensor::from_candle`],
//! and never need the view geometry.

pub mod account;
pub mod error;
pub mod file;
pub mod format;
mod lazy;
mod lua;
pub mod nn;
pub mod ops;
pub mod optim;
pub mod rng;
pub mod shared;
pub mod storage;
pub mod tensor;

pub use error::TorchError;
pub use lua::{open, Access};
pub use tensor::Tensor;
