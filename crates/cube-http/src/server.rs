//! Listening sockets and the hand-over of accepted connections.
//!
//! `http.server` binds in the calling process (the *owner*), whose heap then holds the
//! [`Server`] userdata; a separate acceptor process accepts, and spawns one process
//! per connection. The acceptor reaches the listener by id through a weak reference,
//! so the owner alone keeps it open: `srv:stop()`, the collector, or the owner's end
//! close it, which wakes the acceptor (the reactor wakes whoever waits on a
//! descriptor it forgets) and ends it. An accepted socket waits, by id, in the
//! runtime until the connection's process claims it.

use crate::conn::Conn;
use crate::reactor::{Interest, Reactor};
use crate::request::Limits;
use crate::Shared;
use cube_lua::host::{Cx, HostResult, Val};
use cube_lua::{Args, Ret};
use cube_vm::io_wait;
use std::net::{SocketAddr, TcpListener};
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// An accepted connection no process claimed within this time is closed (its process
/// failed to start, or the node is overloaded past reason).
const CLAIM_WITHIN: Duration = Duration::from_secs(30);

pub(crate) struct Listener {
    sock: TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    token: u64,
    reactor: Arc<Reactor>,
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.reactor.deregister(self.sock.as_raw_fd(), self.token);
    }
}

/// The owner's handle on a listening socket.
pub(crate) struct Server {
    id: u64,
    addr: SocketAddr,
    listener: Option<Arc<Listener>>,
    shared: Arc<Shared>,
}

impl Server {
    pub(crate) fn id_num(&self) -> u64 {
        self.id
    }

    fn stop(&mut self) {
        if self.listener.take().is_some() {
            self.shared
                .listeners
                .lock()
                .expect("http lock")
                .remove(&self.id);
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Binds `addr`; the listening socket is non-blocking and registered in the reactor.
pub(crate) fn bind(
    shared: &Arc<Shared>,
    addr: &str,
    tls: Option<Arc<rustls::ServerConfig>>,
) -> Result<Server, String> {
    let sa: SocketAddr = addr
        .parse()
        .map_err(|_| format!("'{addr}' is not an address like \"127.0.0.1:8080\""))?;
    let sock = TcpListener::bind(sa).map_err(|e| e.to_string())?;
    sock.set_nonblocking(true).map_err(|e| e.to_string())?;
    let local = sock.local_addr().map_err(|e| e.to_string())?;
    let token = shared
        .reactor
        .register(sock.as_raw_fd())
        .map_err(|e| e.to_string())?;
    let l = Arc::new(Listener {
        sock,
        tls,
        token,
        reactor: shared.reactor.clone(),
    });
    let id = shared.next_id();
    shared
        .listeners
        .lock()
        .expect("http lock")
        .insert(id, Arc::downgrade(&l));
    Ok(Server {
        id,
        addr: local,
        listener: Some(l),
        shared: shared.clone(),
    })
}

pub(crate) fn with_server<'n, R>(
    cx: &mut Cx<'n>,
    a: Args,
    f: impl FnOnce(&mut Cx<'n>, &mut Server) -> HostResult<'n, R>,
) -> HostResult<'n, R> {
    let v = cx.arg(a, 1);
    match cx.with_userdata::<Server, _>(v, f) {
        Some(r) => r,
        None => Err(cx.arg_type_error(a, 1, "http server")),
    }
}

/// `srv:id()`, `srv:port()`, `srv:address()`, `srv:stop()`.
pub(crate) fn id<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    with_server(cx, a, |cx, s| {
        cx.push(Val::Num(s.id as f64));
        Ok(Ret::Values(1))
    })
}

pub(crate) fn port<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    with_server(cx, a, |cx, s| {
        cx.push(Val::Num(s.addr.port() as f64));
        Ok(Ret::Values(1))
    })
}

pub(crate) fn address<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    with_server(cx, a, |cx, s| {
        cx.push_str(s.addr.to_string().as_bytes());
        Ok(Ret::Values(1))
    })
}

pub(crate) fn stop<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    with_server(cx, a, |_cx, s| {
        s.stop();
        Ok(Ret::Values(0))
    })
}

/// `accept(id)` (acceptor process): the id of the next accepted connection, or nil
/// once the listener is closed. Blocks the process while nobody connects.
pub(crate) fn accept<'n>(cx: &mut Cx<'n>, a: Args, shared: &Arc<Shared>) -> HostResult<'n, Ret> {
    let _retry = io_wait::take_retry(cx);
    let id = cx.check_integer(a, 1)? as u64;
    let l = shared
        .listeners
        .lock()
        .expect("http lock")
        .get(&id)
        .and_then(|w| w.upgrade());
    let Some(l) = l else {
        cx.push(Val::Nil);
        return Ok(Ret::Values(1));
    };
    for _ in 0..64 {
        match l.sock.accept() {
            Ok((s, _)) => {
                let cid = shared.next_id();
                let mut p = shared.pending.lock().expect("http lock");
                let now = Instant::now();
                p.retain(|_, (_, at, _)| now.duration_since(*at) < CLAIM_WITHIN);
                p.insert(cid, (s, now, l.tls.clone()));
                drop(p);
                cx.push(Val::Num(cid as f64));
                return Ok(Ret::Values(1));
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                let Some(w) = io_wait::block(cx, None) else {
                    return Err(cx.rt_error("http: accept needs a process"));
                };
                if let Err(e) = l
                    .reactor
                    .arm(l.sock.as_raw_fd(), l.token, Interest::Read, w)
                {
                    return Err(cx.rt_error(&format!("http accept: {e}")));
                }
                return Ok(Ret::Block);
            }
            // A connection reset before it was accepted, or out of descriptors for
            // a moment: try again (EMFILE would spin, so wait a little then).
            Err(e)
                if e.raw_os_error() == Some(libc::EMFILE)
                    || e.raw_os_error() == Some(libc::ENFILE) =>
            {
                let deadline = Instant::now() + Duration::from_millis(100);
                if io_wait::block(cx, Some(deadline)).is_none() {
                    return Err(cx.rt_error("http: accept needs a process"));
                }
                return Ok(Ret::Block);
            }
            Err(_) => continue,
        }
    }
    Err(cx.rt_error("http accept: the listening socket keeps failing"))
}

/// `claim(id, limits)` (connection process): the accepted connection as this
/// process's userdata, or nil if it is gone.
pub(crate) fn claim(
    shared: &Arc<Shared>,
    cid: u64,
    limits: Limits,
) -> Option<std::io::Result<Conn>> {
    let (s, _, tls) = shared.pending.lock().expect("http lock").remove(&cid)?;
    Some(Conn::new(s, shared.reactor.clone(), limits, tls))
}
