//! An EPMD-compatible name server, for machines without Erlang: cube starts one when
//! nothing answers on the EPMD port (as erl starts `epmd`), and `erl` nodes started later
//! register with it and find cube nodes through it.
//!
//! One thread accepts; each connection gets a thread that reads one request (with a
//! timeout, so a silent client cannot hold a thread) and answers it. A registration's
//! thread then waits for its connection to close and unregisters the name. Anything
//! malformed closes the connection. Implemented requests: `ALIVE2_REQ`,
//! `PORT_PLEASE2_REQ`, `NAMES_REQ` (erl's `epmd -names` and `net_adm:names/0`); others
//! (`DUMP`, `KILL`, `STOP`) are refused by closing the connection.

use super::{
    parse_entry, put_entry_tail, NodeEntry, ALIVE2_REQ, ALIVE2_X_RESP, IO_TIMEOUT, NAMES_REQ,
    PORT2_RESP, PORT_PLEASE2_REQ,
};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

/// Most connections served at once; more are closed at once (a flood must not create
/// unbounded threads).
const MAX_CONNECTIONS: usize = 512;

/// A running name server; dropping it stops it and closes every connection.
pub struct EpmdServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<thread::JoinHandle<()>>,
}

struct Shared {
    stopping: AtomicBool,
    names: Mutex<HashMap<String, (NodeEntry, u32)>>,
    /// Open connections, to close them on stop.
    connections: Mutex<HashMap<u64, TcpStream>>,
    next_creation: AtomicU32,
}

impl EpmdServer {
    /// Serves on `addr` (port 0 picks a free port; see [`EpmdServer::addr`]).
    pub fn bind(addr: SocketAddr) -> std::io::Result<EpmdServer> {
        let listener = TcpListener::bind(addr)?;
        let addr = listener.local_addr()?;
        // Creations only need to differ between incarnations of a name; start from the
        // clock so a restarted server does not hand out the same ones again.
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(1);
        let shared = Arc::new(Shared {
            stopping: AtomicBool::new(false),
            names: Mutex::new(HashMap::new()),
            connections: Mutex::new(HashMap::new()),
            next_creation: AtomicU32::new(seed | 1),
        });
        let acceptor = {
            let shared = shared.clone();
            thread::Builder::new()
                .name("cube-epmd".into())
                .spawn(move || accept_loop(listener, shared))?
        };
        Ok(EpmdServer {
            addr,
            shared,
            acceptor: Some(acceptor),
        })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The registered names and ports.
    pub fn names(&self) -> Vec<(String, u16)> {
        lock(&self.shared.names)
            .values()
            .map(|(e, _)| (e.name.clone(), e.port))
            .collect()
    }
}

impl Drop for EpmdServer {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        // Wake the acceptor with a connection of our own.
        let _ = TcpStream::connect_timeout(&wake_addr(self.addr), IO_TIMEOUT);
        for s in lock(&self.shared.connections).values() {
            let _ = s.shutdown(Shutdown::Both);
        }
        if let Some(t) = self.acceptor.take() {
            let _ = t.join();
        }
    }
}

/// The address to connect to for reaching a listener bound to `addr` (an unspecified
/// address is reached through loopback).
fn wake_addr(addr: SocketAddr) -> SocketAddr {
    let mut a = addr;
    if a.ip().is_unspecified() {
        a.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    a
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut next_id = 0u64;
    for stream in listener.incoming() {
        if shared.stopping.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else { continue };
        let id = next_id;
        next_id += 1;
        {
            let mut conns = lock(&shared.connections);
            if conns.len() >= MAX_CONNECTIONS {
                continue; // dropping `stream` closes it
            }
            match stream.try_clone() {
                Ok(clone) => conns.insert(id, clone),
                Err(_) => continue,
            };
        }
        let shared2 = shared.clone();
        let spawned = thread::Builder::new()
            .name("cube-epmd-conn".into())
            .spawn(move || {
                let _ = serve(stream, &shared2);
                lock(&shared2.connections).remove(&id);
            });
        if spawned.is_err() {
            lock(&shared.connections).remove(&id);
        }
    }
}

/// Answers one connection's request.
fn serve(mut s: TcpStream, shared: &Shared) -> std::io::Result<()> {
    s.set_read_timeout(Some(IO_TIMEOUT))?;
    s.set_write_timeout(Some(IO_TIMEOUT))?;
    let mut len = [0u8; 2];
    s.read_exact(&mut len)?;
    let mut req = vec![0u8; u16::from_be_bytes(len) as usize];
    s.read_exact(&mut req)?;
    match req.split_first() {
        Some((&ALIVE2_REQ, body)) => alive(s, body, shared),
        Some((&PORT_PLEASE2_REQ, name)) => {
            let name = String::from_utf8_lossy(name);
            let found = lock(&shared.names)
                .get(name.as_ref())
                .map(|(e, _)| e.clone());
            let mut out = vec![PORT2_RESP];
            match found {
                Some(e) => {
                    out.push(0);
                    out.extend_from_slice(&e.port.to_be_bytes());
                    if put_entry_tail(&mut out, &e).is_err() {
                        return Ok(());
                    }
                }
                None => out.push(1),
            }
            s.write_all(&out)
        }
        Some((&NAMES_REQ, [])) => {
            let port = s.local_addr()?.port();
            let mut out = u32::from(port).to_be_bytes().to_vec();
            for (e, _) in lock(&shared.names).values() {
                out.extend_from_slice(format!("name {} at port {}\n", e.name, e.port).as_bytes());
            }
            s.write_all(&out)
        }
        _ => Ok(()), // unknown or malformed: close
    }
}

/// `ALIVE2_REQ`: register, answer, then hold the registration until the peer closes.
fn alive(mut s: TcpStream, body: &[u8], shared: &Shared) -> std::io::Result<()> {
    let Some(entry) = parse_entry(body).filter(|e| !e.name.is_empty()) else {
        return Ok(());
    };
    let name = entry.name.clone();
    let creation = loop {
        let c = shared.next_creation.fetch_add(1, Ordering::Relaxed);
        if c != 0 {
            break c;
        }
    };
    let accepted = {
        let mut names = lock(&shared.names);
        if names.contains_key(&name) {
            false
        } else {
            names.insert(name.clone(), (entry, creation));
            true
        }
    };
    if !accepted {
        // Result 1: the name is taken (erl then says "the name is in use").
        return s.write_all(&[ALIVE2_X_RESP, 1, 0, 0, 0, 0]);
    }
    let mut out = vec![ALIVE2_X_RESP, 0];
    out.extend_from_slice(&creation.to_be_bytes());
    let result = s.write_all(&out).and_then(|()| {
        // Wait for the close; whatever the node sends meanwhile is ignored.
        s.set_read_timeout(None)?;
        let mut sink = [0u8; 64];
        while s.read(&mut sink)? > 0 {}
        Ok(())
    });
    let mut names = lock(&shared.names);
    if names.get(&name).is_some_and(|(_, c)| *c == creation) {
        names.remove(&name);
    }
    result
}
