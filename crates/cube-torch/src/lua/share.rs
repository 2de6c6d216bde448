//! Tensors between processes: tensors in messages, and `torch.share`.
//!
//! A tensor in a message (`process.send(pid, t)`, a tensor inside a sent table, a
//! spawn argument) arrives as a tensor of the same type and sizes, **copied**: the
//! sender's view is copied into the message when it is sent (so the sender may go on
//! writing its tensor), and the receiver gets its own copy when it takes the message,
//! counted in its own heap limit. Copying keeps "processes share nothing" for ordinary
//! tensors, whose Torch7 semantics are mutable (a shared read-only tensor would have
//! to be copied on its first write anyway, and could not be counted in one process's
//! limit).
//!
//! The exception is a tensor made by `torch.share(t)`: its storage is a
//! [`crate::shared::SharedBuffer`] that every process it is sent to holds itself, not
//! a copy, and writes in place at the same time as the others, without locks
//! (Hogwild). Its bytes count in the limit of the process that made it.

use super::values::{
    account, check_tensor, push_tensor, reserve_sizes, storage_bytes, tensor_userdata,
};
use crate::tensor::Tensor;
use cube_lua::host::{Cx, HostFn, HostResult, Val};
use cube_lua::{Args, Ret};
use cube_term::{Foreign, ForeignValue};

pub(crate) const FUNCTIONS: &[(&str, HostFn)] = &[("share", share), ("isShared", is_shared)];
pub(crate) const METHODS: &[(&str, HostFn)] = &[("share", share), ("isShared", is_shared)];

/// `torch.share(t)` / `t:share()`: a tensor with `t`'s values in a storage that the
/// processes it is sent to update in place, all at once (see the module doc). A
/// shared tensor is returned as it is.
fn share<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let t = check_tensor(cx, a, 1)?;
    if !t.is_shared() {
        reserve_sizes(cx, t.sizes(), t.dtype())?;
        cx.charge_bytes(t.numel().saturating_mul(t.dtype().size_in_bytes()))?;
    }
    push_tensor(cx, t.share())?;
    Ok(Ret::Values(1))
}

/// `t:isShared()`: whether `t` views a `torch.share`d storage.
fn is_shared<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let t = check_tensor(cx, a, 1)?;
    cx.push(Val::Bool(t.is_shared()));
    Ok(Ret::Values(1))
}

/// A tensor inside a message (see the module documentation).
#[derive(Debug)]
enum Sent {
    /// A contiguous copy that no process holds; each receiver copies it again.
    Copy(Tensor),
    /// A view of a shared storage, handed over as it is.
    Shared(Tensor),
}

impl Sent {
    fn tensor(&self) -> &Tensor {
        match self {
            Sent::Copy(t) | Sent::Shared(t) => t,
        }
    }
}

impl ForeignValue for Sent {
    fn type_name(&self) -> &'static str {
        self.tensor().dtype().tensor_name()
    }

    fn byte_size(&self) -> usize {
        const HEADER: usize = 128;
        match self {
            Sent::Copy(t) => HEADER + t.numel().saturating_mul(t.dtype().size_in_bytes()),
            Sent::Shared(_) => HEADER,
        }
    }

    fn to_lua<'n>(&self, cx: &mut Cx<'n>) -> Val<'n> {
        let t = match self {
            // A message may be materialised more than once (a term is shared by its
            // clones): each receiver gets a storage of its own. Its size was counted
            // against the receiver's limit when it took the message.
            Sent::Copy(t) => t.contiguous_copy(),
            Sent::Shared(t) => t.clone(),
        };
        // Counted without a check: taking the message was the check.
        if t.storage().charge_to(&account(cx)) {
            cx.pace_external_alloc(storage_bytes(&t));
        }
        tensor_userdata(cx, t)
    }
}

/// The message form of a tensor userdata (cube-term's foreign sender).
fn send_tensor<'n>(cx: &Cx<'n>, v: Val<'n>) -> Option<Foreign> {
    let t = cx.userdata_get::<Tensor>(v)?;
    let sent = if t.is_shared() {
        Sent::Shared(t.clone())
    } else {
        Sent::Copy(t.contiguous_copy())
    };
    Some(Foreign::new(sent))
}

/// Makes tensors sendable, once per program.
pub(crate) fn register() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| cube_term::register_sender(send_tensor));
}
