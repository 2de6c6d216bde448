//! Torch7's `nn` library: modules and criteria with Torch7's protocol, differentiated
//! by candle's autograd.
//!
//! ## How forward and backward map onto candle's autograd
//!
//! Torch7's protocol is layer by layer: `Sequential:backward` hands each module the
//! `gradOutput` of the one after it, and users call `backward` on single modules. Candle's
//! autograd differentiates a whole expression at once. The two meet per module:
//! - `module:forward(x)` copies `x` and the module's parameters into candle `Var`s and
//!   runs the module's computation on them ([`layers::Layer::forward`], written only
//!   forward), keeping the recorded graph in the module (`module._graph`);
//! - `module:backward(x, gradOutput)` asks candle for the gradients of
//!   `sum(output * gradOutput)` on that graph ([`graph::Graph::grads`]). Its gradient
//!   with respect to the output is `gradOutput`, so the gradients with respect to `x`
//!   and to the parameters are exactly Torch7's `gradInput` and the increments of
//!   `gradWeight`/`gradBias`; the latter are added to the gradient tensors (scaled by
//!   `backward`'s `scale`), as Torch7 accumulates them until `zeroGradParameters`.
//! - A criterion's `forward(x, target)` records a scalar loss of `x`; its
//!   `backward(x, target)` is the gradient of that loss.
//!
//! If `backward` is given another input object than the last `forward` was, the
//! module records a forward pass on it first, so the gradients are always those of
//! the input given (Torch7 silently uses the state of the last forward). A module
//! whose input changed in place since `forward` must be run forward again, as in Torch7.
//!
//! Nothing here is hand-differentiated: no layer has backward code of its own.
//!
//! ## Where the rest lives
//!
//! The module classes, containers and the protocol (`parameters`, `getParameters`,
//! `training`, `updateParameters`...) are Lua (`nn.lua`), as Torch7's are: they are
//! plain tables a user may read and extend. Sequential runs its modules in a loop, so
//! nesting containers costs Lua frames, never Rust stack (20000 levels run; printing
//! one that deep, through `__tostring`, is a "C stack overflow" Lua error). Each
//! process loads `nn.lua` on first use (`lazy.rs`: a shared image holds no Lua
//! functions). The natives it calls are in `natives.rs`; the computations and their
//! shape checks in `layers.rs`.

pub mod graph;
pub mod layers;
mod natives;

use crate::lazy::{self, Library};
use cube_lua::host::{Cx, HostFn, HostResult};
use cube_lua::{Args, Ret};
use std::sync::OnceLock;

/// The library, loaded in each process on first use (see `lazy.rs`).
pub(crate) static LIBRARY: Library = Library {
    name: "nn",
    index: 0,
    chunk_name: "=nn",
    source: include_str!("nn.lua"),
    natives: natives::FUNCTIONS,
    proto: &PROTO,
};
static PROTO: OnceLock<Result<std::sync::Arc<cube_lua::proto::Proto>, String>> = OnceLock::new();

/// The metamethods of the shared `nn` table.
pub(crate) const HOOKS: &[(&str, HostFn)] = &[
    ("__index", index),
    ("__newindex", newindex),
    ("__pairs", pairs),
];

fn index<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    lazy::index(cx, a, &LIBRARY)
}

fn newindex<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    lazy::newindex(cx, a, &LIBRARY)
}

fn pairs<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    lazy::pairs(cx, a, &LIBRARY)
}
