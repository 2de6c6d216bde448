//! The reactor: one I/O thread per [`crate::Zmq`] runtime that watches the `ZMQ_FD`
//! of every socket a blocked process waits on (epoll, one-shot, level-triggered) and
//! wakes that process; it also reads socket monitors and turns their events into
//! process messages.
//!
//! The reactor never touches a socket of a process (libzmq sockets are not
//! thread-safe): it only polls the notification descriptor, which is safe from any
//! thread. The protocol that makes this race-free: a process that would block first
//! reads `ZMQ_EVENTS` (which processes pending commands and clears the descriptor),
//! and only if the socket is still not ready it arms the descriptor here. `ZMQ_FD`
//! becomes readable again whenever new commands arrive after that, and a one-shot
//! level-triggered registration reports it even if it came before the arming.

use cube_vm::io_wait::Waker;
use std::collections::HashMap;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The token of the reactor's own wake-up descriptor.
const STOP: u64 = 0;

/// What a registered descriptor is for.
enum Entry {
    /// A process socket: wake this waker when its descriptor becomes readable.
    Armed(Waker),
    /// Registered but nobody waits.
    Idle,
    /// A monitor socket owned by the reactor thread.
    Monitor(Box<crate::monitor::Monitor>),
}

/// Wake-ups and messages collected under the entries lock, delivered after it.
#[derive(Default)]
struct Due {
    wakers: Vec<Waker>,
    messages: Vec<(cube_vm::io_wait::ProcessRef, cube_term::Term)>,
    closed: Vec<crate::monitor::Monitor>,
}

impl Due {
    fn deliver(self) {
        for w in self.wakers {
            w.wake();
        }
        for (to, msg) in self.messages {
            to.send(msg);
        }
        drop(self.closed);
    }
}

pub(crate) struct Reactor {
    epfd: RawFd,
    stopfd: RawFd,
    next: AtomicU64,
    entries: Mutex<HashMap<u64, Entry>>,
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
            entries: Mutex::new(HashMap::new()),
            thread: Mutex::new(None),
        });
        r.ctl(libc::EPOLL_CTL_ADD, stopfd, libc::EPOLLIN as u32, STOP)?;
        let me = r.clone();
        let h = std::thread::Builder::new()
            .name("cube-zmq-reactor".into())
            .spawn(move || me.run())?;
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

    /// Registers a socket's notification descriptor, disarmed; returns its token.
    pub(crate) fn register(&self, fd: RawFd) -> std::io::Result<u64> {
        let token = self.next.fetch_add(1, Ordering::Relaxed);
        self.entries
            .lock()
            .expect("reactor lock")
            .insert(token, Entry::Idle);
        if let Err(e) = self.ctl(libc::EPOLL_CTL_ADD, fd, libc::EPOLLONESHOT as u32, token) {
            self.entries.lock().expect("reactor lock").remove(&token);
            return Err(e);
        }
        Ok(token)
    }

    /// Wakes `waker` once `fd` (registered as `token`) becomes readable.
    pub(crate) fn arm(&self, fd: RawFd, token: u64, waker: Waker) -> std::io::Result<()> {
        self.entries
            .lock()
            .expect("reactor lock")
            .insert(token, Entry::Armed(waker));
        self.ctl(
            libc::EPOLL_CTL_MOD,
            fd,
            (libc::EPOLLIN | libc::EPOLLONESHOT) as u32,
            token,
        )
    }

    /// Forgets a descriptor before its socket closes.
    pub(crate) fn deregister(&self, fd: RawFd, token: u64) {
        let _ = self.ctl(libc::EPOLL_CTL_DEL, fd, 0, token);
        self.entries.lock().expect("reactor lock").remove(&token);
    }

    /// Hands a monitor socket to the reactor thread, which reads it from now on.
    pub(crate) fn add_monitor(&self, m: crate::monitor::Monitor) -> std::io::Result<()> {
        let fd = m.fd()?;
        let token = self.next.fetch_add(1, Ordering::Relaxed);
        self.entries
            .lock()
            .expect("reactor lock")
            .insert(token, Entry::Monitor(Box::new(m)));
        if let Err(e) = self.ctl(libc::EPOLL_CTL_ADD, fd, libc::EPOLLIN as u32, token) {
            self.entries.lock().expect("reactor lock").remove(&token);
            return Err(e);
        }
        // Events may already be queued: the descriptor only signals new ones.
        self.poke(token);
        Ok(())
    }

    fn poke(&self, token: u64) {
        let mut due = Due::default();
        {
            let mut entries = self.entries.lock().expect("reactor lock");
            self.service(&mut entries, token, &mut due);
        }
        due.deliver();
    }

    /// Handles readiness of `token` (entries locked); what reaches processes is put in
    /// `due` and delivered after the lock is released (a wake-up may end the node's
    /// last reference and close sockets, which takes this lock).
    fn service(&self, entries: &mut HashMap<u64, Entry>, token: u64, due: &mut Due) {
        match entries.get_mut(&token) {
            Some(Entry::Armed(_)) => {
                if let Some(Entry::Armed(w)) = entries.insert(token, Entry::Idle) {
                    due.wakers.push(w);
                }
            }
            Some(Entry::Monitor(m)) => {
                if m.drain(&mut due.messages) {
                    if let Some(Entry::Monitor(m)) = entries.remove(&token) {
                        if let Ok(fd) = m.fd() {
                            let _ = self.ctl(libc::EPOLL_CTL_DEL, fd, 0, token);
                        }
                        due.closed.push(*m);
                    }
                }
            }
            Some(Entry::Idle) | None => {}
        }
    }

    fn run(self: Arc<Self>) {
        let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; 256];
        loop {
            // SAFETY: `events` has room for the count given.
            let n = unsafe {
                libc::epoll_wait(self.epfd, events.as_mut_ptr(), events.len() as i32, -1)
            };
            if n < 0 {
                if errno().kind() == std::io::ErrorKind::Interrupted {
                    continue;
                }
                return;
            }
            let mut due = Due::default();
            let mut entries = self.entries.lock().expect("reactor lock");
            for ev in &events[..n as usize] {
                let token = ev.u64;
                if token == STOP {
                    // Monitors close on this thread, which owns them.
                    let all = std::mem::take(&mut *entries);
                    drop(entries);
                    drop(all);
                    return;
                }
                self.service(&mut entries, token, &mut due);
            }
            drop(entries);
            due.deliver();
        }
    }

    /// Stops the thread and waits for it.
    pub(crate) fn stop(&self) {
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from a live u64 to our eventfd.
        unsafe { libc::write(self.stopfd, &one as *const u64 as *const libc::c_void, 8) };
        if let Some(h) = self.thread.lock().expect("reactor lock").take() {
            if h.thread().id() != std::thread::current().id() {
                let _ = h.join();
            }
        }
    }
}

impl Drop for Reactor {
    fn drop(&mut self) {
        // SAFETY: the descriptors were opened by `start` and are closed once.
        unsafe {
            libc::close(self.stopfd);
            libc::close(self.epfd);
        }
    }
}
