//! The reactor: one I/O thread per [`crate::Http`] runtime that watches the sockets
//! processes wait on (epoll, one-shot, level-triggered) and wakes the waiting process
//! (DESIGN.md decision 5). A process tries its operation without blocking; when the
//! kernel says `EAGAIN` it arms its descriptor here and suspends through
//! [`cube_vm::io_wait`]. Level-triggered one-shot registration reports readiness that
//! arrived between the failed attempt and the arming, so no wake-up is lost.
//!
//! The reactor never reads or writes an HTTP socket: it only learns readiness, so a
//! socket stays owned by exactly one process. A WebSocket (`ws.rs`) instead arms a
//! [`Ready`] callback: on readiness the reactor thread itself reads the frames and
//! turns them into messages to the socket's process (the "readiness into messages"
//! half of decision 5), bounded per wake-up so one socket cannot hold the thread.

use cube_vm::io_wait::Waker;
use std::collections::HashMap;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The token of the reactor's own wake-up descriptor.
const STOP: u64 = 0;
/// The token of the descriptor that says [`Reactor::call_soon`] queued work.
const SOON: u64 = 1;

/// What a process waits for on a descriptor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Interest {
    Read,
    Write,
}

/// What runs on the reactor thread when an armed descriptor is ready (instead of
/// waking a process). It re-arms itself if it wants more.
pub(crate) trait Ready: Send + Sync {
    fn ready(self: Arc<Self>, reactor: &Arc<Reactor>);
}

/// What an armed descriptor does when ready.
enum Armed {
    Wake(Waker),
    Call(Arc<dyn Ready>),
}

pub(crate) struct Reactor {
    epfd: RawFd,
    stopfd: RawFd,
    soonfd: RawFd,
    /// Callbacks to run on the reactor thread without waiting for readiness.
    soon: Mutex<Vec<Arc<dyn Ready>>>,
    next: AtomicU64,
    /// What each armed descriptor does when ready, by token.
    armed: Mutex<HashMap<u64, Armed>>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

fn errno() -> std::io::Error {
    std::io::Error::last_os_error()
}

impl Reactor {
    pub(crate) fn start() -> std::io::Result<Arc<Reactor>> {
        // SAFETY: plain system calls; the descriptors are owned by the reactor and
        // closed in Drop.
        let epfd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if epfd < 0 {
            return Err(errno());
        }
        // SAFETY: as above.
        let stopfd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if stopfd < 0 {
            let e = errno();
            // SAFETY: `epfd` was just opened here and nothing else holds it.
            unsafe { libc::close(epfd) };
            return Err(e);
        }
        // SAFETY: as above.
        let soonfd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if soonfd < 0 {
            let e = errno();
            // SAFETY: both were just opened here and nothing else holds them.
            unsafe {
                libc::close(stopfd);
                libc::close(epfd);
            }
            return Err(e);
        }
        let r = Arc::new(Reactor {
            epfd,
            stopfd,
            soonfd,
            soon: Mutex::new(Vec::new()),
            next: AtomicU64::new(SOON + 1),
            armed: Mutex::new(HashMap::new()),
            thread: Mutex::new(None),
        });
        r.ctl(libc::EPOLL_CTL_ADD, stopfd, libc::EPOLLIN as u32, STOP)?;
        r.ctl(libc::EPOLL_CTL_ADD, soonfd, libc::EPOLLIN as u32, SOON)?;
        // The thread holds only a weak reference, so the runtime's last handle going
        // away stops it (Drop writes the stop descriptor).
        let me = Arc::downgrade(&r);
        let (epfd, stop) = (r.epfd, r.stopfd);
        let h = std::thread::Builder::new()
            .name("cube-http-reactor".into())
            .spawn(move || run(epfd, stop, me))?;
        *r.thread.lock().expect("reactor lock") = Some(h);
        Ok(r)
    }

    fn ctl(&self, op: i32, fd: RawFd, events: u32, token: u64) -> std::io::Result<()> {
        let mut ev = libc::epoll_event { events, u64: token };
        // SAFETY: `ev` lives across the call; epoll copies it.
        if unsafe { libc::epoll_ctl(self.epfd, op, fd, &mut ev) } < 0 {
            return Err(errno());
        }
        Ok(())
    }

    /// Registers a socket, disarmed; returns its token.
    pub(crate) fn register(&self, fd: RawFd) -> std::io::Result<u64> {
        let token = self.next.fetch_add(1, Ordering::Relaxed);
        self.ctl(libc::EPOLL_CTL_ADD, fd, libc::EPOLLONESHOT as u32, token)?;
        Ok(token)
    }

    /// Wakes `waker` once `fd` (registered as `token`) is ready for `what` (or hung up).
    pub(crate) fn arm(
        &self,
        fd: RawFd,
        token: u64,
        what: Interest,
        waker: Waker,
    ) -> std::io::Result<()> {
        self.arm_with(fd, token, what, Armed::Wake(waker))
    }

    /// Runs `f` on the reactor thread once `fd` is ready for `what` (or hung up).
    pub(crate) fn arm_call(
        &self,
        fd: RawFd,
        token: u64,
        what: Interest,
        f: Arc<dyn Ready>,
    ) -> std::io::Result<()> {
        self.arm_with(fd, token, what, Armed::Call(f))
    }

    fn arm_with(&self, fd: RawFd, token: u64, what: Interest, a: Armed) -> std::io::Result<()> {
        self.armed.lock().expect("reactor lock").insert(token, a);
        let ev = match what {
            Interest::Read => libc::EPOLLIN | libc::EPOLLRDHUP,
            Interest::Write => libc::EPOLLOUT,
        };
        let r = self.ctl(
            libc::EPOLL_CTL_MOD,
            fd,
            (ev | libc::EPOLLONESHOT) as u32,
            token,
        );
        if r.is_err() {
            self.armed.lock().expect("reactor lock").remove(&token);
        }
        r
    }

    /// Runs `f` on the reactor thread soon, readiness or not (a WebSocket whose
    /// frames wait in its buffer, not in the socket).
    pub(crate) fn call_soon(&self, f: Arc<dyn Ready>) {
        self.soon.lock().expect("reactor lock").push(f);
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from a live u64 to our eventfd.
        unsafe { libc::write(self.soonfd, &one as *const u64 as *const libc::c_void, 8) };
    }

    /// Forgets a descriptor before it closes; a process waiting on it is woken (it
    /// finds the socket gone).
    pub(crate) fn deregister(&self, fd: RawFd, token: u64) {
        let _ = self.ctl(libc::EPOLL_CTL_DEL, fd, 0, token);
        let w = self.armed.lock().expect("reactor lock").remove(&token);
        if let Some(Armed::Wake(w)) = w {
            w.wake();
        }
    }
}

fn run(epfd: RawFd, stopfd: RawFd, me: std::sync::Weak<Reactor>) {
    let _ = stopfd;
    let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; 256];
    loop {
        // SAFETY: `events` has room for the count given; `epfd` stays open until this
        // thread has been joined (Drop joins before closing it).
        let n = unsafe { libc::epoll_wait(epfd, events.as_mut_ptr(), events.len() as i32, -1) };
        if n < 0 {
            if errno().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return;
        }
        let Some(r) = me.upgrade() else { return };
        let mut due = Vec::new();
        {
            let mut armed = r.armed.lock().expect("reactor lock");
            for ev in &events[..n as usize] {
                let token = ev.u64;
                if token == STOP {
                    return;
                }
                if token == SOON {
                    let mut count = 0u64;
                    // SAFETY: reads 8 bytes into a live u64 from our eventfd.
                    unsafe { libc::read(r.soonfd, &mut count as *mut u64 as *mut libc::c_void, 8) };
                    let queued = std::mem::take(&mut *r.soon.lock().expect("reactor lock"));
                    due.extend(queued.into_iter().map(Armed::Call));
                    continue;
                }
                if let Some(w) = armed.remove(&token) {
                    due.push(w);
                }
            }
        }
        // Woken outside the lock: a wake-up may run code that deregisters.
        for a in due {
            match a {
                Armed::Wake(w) => w.wake(),
                Armed::Call(f) => f.ready(&r),
            }
        }
        drop(r);
    }
}

impl Drop for Reactor {
    fn drop(&mut self) {
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from a live u64 to our eventfd.
        unsafe { libc::write(self.stopfd, &one as *const u64 as *const libc::c_void, 8) };
        if let Some(h) = self.thread.lock().expect("reactor lock").take() {
            if h.thread().id() != std::thread::current().id() {
                let _ = h.join();
            }
        }
        // SAFETY: the descriptors were opened by `start` and are closed once, after the
        // thread that polls them has ended.
        unsafe {
            libc::close(self.soonfd);
            libc::close(self.stopfd);
            libc::close(self.epfd);
        }
    }
}
