//! # cube-zmq: ZeroMQ for cube processes
//!
//! The Lua `zmq` library (DESIGN.md "Public interfaces", in the shape of lzmq) and the
//! forwarder, streamer and queue devices, on libzmq through the `zmq` crate.
//!
//! - One [`Zmq`] runtime per node: one shared libzmq context (so `inproc://` works
//!   between the node's processes) and one reactor thread (`reactor.rs`).
//! - A socket belongs to the process that made it: it is a userdata in that process's
//!   heap, closed by `sock:close()`, by the garbage collector, or when the process ends
//!   (its heap is freed with it); libzmq's linger applies as usual.
//! - Blocking blocks the process only (DESIGN.md decision 5): every operation runs with
//!   `ZMQ_DONTWAIT`; when it would block, the process re-reads `ZMQ_EVENTS`, arms the
//!   socket's `ZMQ_FD` in the reactor and suspends through cube-vm's
//!   [`cube_vm::io_wait`]; the reactor wakes it when the descriptor signals. Receive
//!   and send timeouts (`rcvtimeo`, `sndtimeo`) become the wait's deadline.
//! - Socket monitors deliver their events as process messages (`monitor.rs`).
//! - Devices (`device.rs`) run libzmq's own `zmq_proxy_steerable` on a thread of their
//!   own, from the command line (`cube-cli device`) or from Lua (`zmq.device`).
//!
//! ```
//! let zmq = cube_zmq::Zmq::new().unwrap();
//! let node = cube_vm::Node::start(2, move |st| {
//!     cube_lua::stdlib::open_libs(st);
//!     zmq.open(st);
//! });
//! let pid = node.spawn_main(|st| {
//!     let src = br#"
//!         local pull = zmq.socket("PULL")
//!         local ep = pull:bind("inproc://doc")
//!         process.spawn(function(ep)
//!             local push = zmq.socket("PUSH")
//!             push:connect(ep)
//!             push:send("hello")
//!         end, ep)
//!         assert(pull:recv() == "hello")
//!     "#;
//!     st.push_chunk(src, "=doc").map_err(|e| e.message)?;
//!     Ok(0)
//! }).unwrap();
//! assert_eq!(node.wait(pid), cube_vm::ExitReason::Normal);
//! ```

mod context;
mod device;
mod library;
mod monitor;
mod options;
mod reactor;
mod socket;

pub use context::{Context, EXIT_LINGER_MS};
pub use device::{
    block_stop_signals, keys_from_env, read_key_file, run_until_signal, Device, DeviceKind,
    DeviceSpec, KeyPair,
};

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The ZeroMQ runtime of one node: its libzmq context and reactor thread. Clone it
/// into the node's setup function and call [`Zmq::open`] there (the setup runs once,
/// into the image the node's processes share).
#[derive(Clone)]
pub struct Zmq {
    shared: Arc<Shared>,
}

pub(crate) struct Shared {
    ctx: Context,
    pub(crate) reactor: Arc<reactor::Reactor>,
    next_id: AtomicU64,
}

impl Shared {
    pub(crate) fn ctx(&self) -> &Context {
        &self.ctx
    }

    pub(crate) fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn note_linger(&self, ms: i32) {
        self.ctx.note_linger(ms);
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        self.reactor.stop();
    }
}

impl Zmq {
    /// A new runtime: a libzmq context and the reactor thread.
    pub fn new() -> Result<Zmq, String> {
        let ctx = Context::new()?;
        let reactor = reactor::Reactor::start().map_err(|e| format!("zmq reactor: {e}"))?;
        Ok(Zmq {
            shared: Arc::new(Shared {
                ctx,
                reactor,
                next_id: AtomicU64::new(1),
            }),
        })
    }

    /// Installs the `zmq` library in a state (global `zmq`, `package.loaded.zmq` and
    /// `package.loaded.lzmq`). A node's setup function runs once, into the image its
    /// processes share, so the library costs a process nothing until it is used.
    pub fn open(&self, st: &mut cube_lua::State) {
        library::install(st, self.shared.clone());
    }
}

/// libzmq's text for error number `e`.
pub(crate) fn strerror(e: i32) -> String {
    // SAFETY: zmq_strerror returns a static NUL-terminated string for any number.
    unsafe { std::ffi::CStr::from_ptr(zmq_sys::zmq_strerror(e)) }
        .to_string_lossy()
        .into_owned()
}

/// The error number of the last failed libzmq call on this thread.
pub(crate) fn errno() -> i32 {
    // SAFETY: reads the calling thread's errno.
    unsafe { zmq_sys::zmq_errno() }
}

/// Whether the linked libzmq has `capability` ("curve", "ipc", "draft", ...).
pub fn has(capability: &str) -> bool {
    zmq::has(capability).unwrap_or(false)
}
