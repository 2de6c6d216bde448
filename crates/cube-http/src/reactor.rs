//! The reactor: one I/O thread per [`crate::Http`] runtime that watches the sockets
//! processes wait on (epoll, one-shot, level-triggered) and wakes the waiting process
//! (DESIGN.md decision 5). A process tries its operation without blocking; when the
//! kernel says `EAGAIN` it arms its descriptor here and suspends through
//! [`cube_vm::io_wait`]. Level-triggered one-shot registration reports readiness that
//! arrived between the failed attempt and the arming, so no wake-up is lost.
//!
//! The reactor never reads or writes a socket: it only learns readiness, so a socket
//! stays owned by exactly one process.

use cube_vm::io_wait::Waker;
use std::collections::HashMap;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The token of the reactor's own wake-up descriptor.
const STOP: u64 = 0;

/// What a process waits for on a descriptor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Interest {
    Read,
    Write,
}

pub(crate) struct Reactor {
    epfd: RawFd,
    stopfd: RawFd,
    next: AtomicU64,
    /// The waker of each armed descriptor, by token.
    armed: Mutex<HashMap<u64, Waker>>,
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
        let r = Arc::new(Reactor {
            epfd,
            stopfd,
            next: AtomicU64::new(STOP + 1),
            armed: Mutex::new(HashMap::new()),
            thread: Mutex::new(None),
        });
        r.ctl(libc::EPOLL_CTL_ADD, stopfd, libc::EPOLLIN as u32, STOP)?;
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
        self.armed
            .lock()
            .expect("reactor lock")
            .insert(token, waker);
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

    /// Forgets a descriptor before it closes; a process waiting on it is woken (it
    /// finds the socket gone).
    pub(crate) fn deregister(&self, fd: RawFd, token: u64) {
        let _ = self.ctl(libc::EPOLL_CTL_DEL, fd, 0, token);
        let w = self.armed.lock().expect("reactor lock").remove(&token);
        if let Some(w) = w {
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
                if let Some(w) = armed.remove(&token) {
                    due.push(w);
                }
            }
        }
        // Woken outside the lock: a wake-up may run code that deregisters.
        for w in due {
            w.wake();
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
            libc::close(self.stopfd);
            libc::close(self.epfd);
        }
    }
}
