//! Foreign values: userdata of libraries above the runtime (tensors) that travel in
//! messages.
//!
//! This crate cannot know every library's userdata, and the runtime's [`crate::Bridge`]
//! only knows its own (pids, references). A library whose userdata may be sent
//! registers a [`Sender`] once ([`register_sender`]); [`crate::to_term_with`] asks the
//! bridge first, then each registered sender, and a userdata that none of them takes
//! is refused as before. The sender returns a [`Foreign`]: a self-contained,
//! `Send + Sync` value that owns (or shares, if the library chooses so and says so)
//! what the receiver needs, and makes the receiver's Lua value itself
//! ([`ForeignValue::to_lua`]).
//!
//! What a foreign value means is the library's decision and documentation: cube-torch
//! sends a copy of an ordinary tensor and the storage itself of a `torch.share`d one.
//! Other consumers of terms (Erlang distribution, JSON) have no counterpart for them
//! and refuse or print them by [`ForeignValue::type_name`].

use cube_lua::host::{Cx, Val};
use std::fmt;
use std::sync::{Arc, RwLock};

/// A library's value inside a message. See the module documentation.
pub trait ForeignValue: Send + Sync + fmt::Debug + 'static {
    /// The name its library gives the type (`torch.FloatTensor`): for errors and
    /// printing where the value cannot go.
    fn type_name(&self) -> &'static str;

    /// Bytes the value takes once received (what the receiver's heap limit is charged
    /// for the queued message).
    fn byte_size(&self) -> usize;

    /// The receiver's Lua value for it, made in the receiver's context. It must not
    /// run Lua code (the caller roots the result before Lua runs again).
    fn to_lua<'n>(&self, cx: &mut Cx<'n>) -> Val<'n>;
}

/// A [`ForeignValue`] in a [`crate::Term`]: shared by the clones of the term. Two
/// foreign terms are equal when they are the same value.
#[derive(Clone)]
pub struct Foreign(pub Arc<dyn ForeignValue>);

impl Foreign {
    pub fn new(v: impl ForeignValue) -> Foreign {
        Foreign(Arc::new(v))
    }

    pub fn value(&self) -> &dyn ForeignValue {
        &*self.0
    }
}

impl PartialEq for Foreign {
    fn eq(&self, other: &Foreign) -> bool {
        // Compare the data addresses only (vtable addresses of one type may differ
        // between codegen units).
        std::ptr::eq(
            Arc::as_ptr(&self.0) as *const u8,
            Arc::as_ptr(&other.0) as *const u8,
        )
    }
}

impl fmt::Debug for Foreign {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Maps a userdata of one library to a foreign value, or `None` if it is not one of
/// that library's sendable values.
pub type Sender = for<'n> fn(&Cx<'n>, Val<'n>) -> Option<Foreign>;

static SENDERS: RwLock<Vec<Sender>> = RwLock::new(Vec::new());

/// Makes a library's userdata sendable (see the module documentation). Call it once
/// per library (e.g. behind a `std::sync::Once` where the library is opened).
pub fn register_sender(sender: Sender) {
    SENDERS
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .push(sender);
}

/// The foreign value of a userdata, from the first registered sender that takes it.
pub(crate) fn userdata_to_foreign<'n>(cx: &Cx<'n>, v: Val<'n>) -> Option<Foreign> {
    let senders = SENDERS.read().unwrap_or_else(|e| e.into_inner());
    senders.iter().find_map(|send| send(cx, v))
}
