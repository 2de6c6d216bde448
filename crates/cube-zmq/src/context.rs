//! The libzmq context, owned directly (the `zmq` crate's `Context` does not let one set
//! `ZMQ_MAX_SOCKETS`, and thousands of processes may each own a socket).
//!
//! Terminating a context waits for the messages still queued in closed sockets
//! (libzmq's default linger is infinite); cube bounds that wait so a node never hangs
//! when it ends: at most the longest linger any socket asked for, and at least
//! [`EXIT_LINGER_MS`].

use std::ffi::c_void;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The shortest wait for lingering messages when a context ends.
pub const EXIT_LINGER_MS: i32 = 1000;

struct Raw {
    ctx: *mut c_void,
    max_linger: AtomicI32,
}

// SAFETY: a libzmq context is thread-safe (libzmq's documentation: contexts may be
// shared between threads, unlike sockets); `max_linger` is atomic.
unsafe impl Send for Raw {}
// SAFETY: as for `Send`: every use of `ctx` through `&Raw` is a thread-safe libzmq call.
unsafe impl Sync for Raw {}

impl Drop for Raw {
    fn drop(&mut self) {
        let ctx = self.ctx as usize;
        let wait = self.max_linger.load(Ordering::Relaxed).max(EXIT_LINGER_MS);
        let (tx, rx) = std::sync::mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("cube-zmq-term".into())
            .spawn(move || {
                // SAFETY: the last reference to the context; its sockets are closed.
                unsafe { zmq_sys::zmq_ctx_term(ctx as *mut c_void) };
                let _ = tx.send(());
            });
        if spawned.is_ok() {
            let _ = rx.recv_timeout(Duration::from_millis(wait as u64));
        }
    }
}

/// A libzmq context; clones share it.
#[derive(Clone)]
pub struct Context {
    raw: Arc<Raw>,
}

/// How many sockets a context may hold: as many as the process may open files
/// (libzmq's default is 1023).
fn socket_limit() -> i32 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: reads and raises this process's own file limit up to its hard limit.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return 1023;
        }
        if lim.rlim_cur < lim.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: lim.rlim_max,
                rlim_max: lim.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                lim.rlim_cur = lim.rlim_max;
            }
        }
    }
    lim.rlim_cur.clamp(1023, 1 << 20) as i32
}

impl Context {
    pub fn new() -> Result<Context, String> {
        // SAFETY: plain constructor; null on failure.
        let ctx = unsafe { zmq_sys::zmq_ctx_new() };
        if ctx.is_null() {
            return Err(format!(
                "cannot create a zmq context: {}",
                crate::strerror(crate::errno())
            ));
        }
        // SAFETY: a live context; sets an option before any socket exists.
        unsafe { zmq_sys::zmq_ctx_set(ctx, zmq_sys::ZMQ_MAX_SOCKETS as i32, socket_limit()) };
        Ok(Context {
            raw: Arc::new(Raw {
                ctx,
                max_linger: AtomicI32::new(0),
            }),
        })
    }

    /// A new socket of libzmq type `t` (`zmq_sys::ZMQ_PUB`, ...), closed when dropped.
    pub fn socket(&self, t: u32) -> Result<zmq::Socket, String> {
        let t = t as i32;
        // SAFETY: a live context.
        let s = unsafe { zmq_sys::zmq_socket(self.raw.ctx, t) };
        if s.is_null() {
            return Err(crate::strerror(crate::errno()));
        }
        // SAFETY: `s` is a new socket that the returned value owns and closes. It
        // does not keep the context alive: every holder of a socket made here also
        // holds a clone of this `Context` (cube's sockets and devices do).
        Ok(unsafe { zmq::Socket::from_raw(s) })
    }

    /// Makes every blocking call on the context's sockets fail with ETERM
    /// (`zmq_ctx_shutdown`); used to stop a device that owns its context.
    pub fn shutdown(&self) {
        // SAFETY: a live context; shutdown is thread-safe.
        unsafe { zmq_sys::zmq_ctx_shutdown(self.raw.ctx) };
    }

    /// Notes a socket's linger, which bounds the wait at termination.
    pub(crate) fn note_linger(&self, ms: i32) {
        self.raw.max_linger.fetch_max(ms, Ordering::Relaxed);
    }
}
