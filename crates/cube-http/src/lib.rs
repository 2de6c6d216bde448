//! # cube-http: HTTP for cube processes
//!
//! The Lua `http` library (README "HTTP"): a server whose connections (and
//! WebSockets) are processes, a client that blocks only the calling process, and a
//! static-file handler.
//!
//! - **I/O** (DESIGN.md decision 5): one reactor thread per [`Http`] runtime
//!   (`reactor.rs`, epoll) learns readiness and wakes the process that waits; sockets
//!   are non-blocking and owned by one process each, so a slow client suspends its own
//!   process and never a scheduler thread. The client (`client.rs`) runs each
//!   exchange on an I/O thread and wakes the caller with the result.
//! - **Parsing**: `httparse` for request heads and chunk sizes; `request.rs` frames
//!   bodies and enforces the limits (head bytes -> 431, body bytes -> 413, header and
//!   body timeouts -> 408, idle keep-alive timeout -> quiet close, malformed -> 400 and
//!   close), checking every size a client sends before allocating for it.
//! - **A process per connection, not per request.** `http.server` binds in the calling
//!   process, an acceptor process accepts, and every connection gets a process that
//!   reads its requests, calls the handler and writes the responses, in order (so
//!   keep-alive and pipelined requests are answered in the order they came, as
//!   HTTP/1.1 requires, without a per-request hand-off). Why not a process per
//!   request: responses on one connection must go out in request order, so the
//!   connection's process would wait for each request's process anyway, and every
//!   request would pay a spawn (prototype import, handler upvalues copied) and a message
//!   round trip; per connection, a kept-alive client pays one spawn in all. Isolation
//!   stays: a handler runs under pcall, so its error is a 500 for that request and the
//!   connection goes on; a crash of the process ends only that client's connection.
//!   Requests that should run in parallel come on separate connections, as browsers
//!   and load generators send them. (Only the per-connection design was built and
//!   measured, by `bench/run-http`; a per-request variant was reasoned about, not run.)
//! - **Handlers cross into those processes as `process.spawn` carries functions**
//!   (DESIGN.md decision 4): handler functions travel with their upvalues copied, so a
//!   handler's upvalues must be values a message can hold (or functions).
//! - **WebSocket** (`ws.rs`, on `tungstenite`): a route's `websocket` handler (or
//!   Tornado's WebSocketHandler methods) runs in the connection's process after the
//!   101; the reactor thread reads the frames and sends each message to that process,
//!   at most [`ws::WINDOW`] ahead of it, so a socket's frames and any other messages
//!   meet in one mailbox, as Erlang's active sockets do.
//! - **TLS** (`tls.rs`, rustls with ring): `http.server{tls = {cert=, key=}}` wraps
//!   each accepted socket (connections and WebSockets alike read and write a
//!   `tls::Stream`); `http.request` speaks https, verifying against Mozilla's roots
//!   (webpki-roots) or the CA file given as `ca=`.
//! - **Streamed request bodies** (`stream_body = true`, or a route table's
//!   `stream_request_body = true`): the handler runs once the head is parsed and
//!   reads the body with `req:read([max])` (or Tornado's `data_received`), each
//!   read blocking only the connection's process. With such a route on a server,
//!   `conn:read` stops every request with a body at its head (`Limits::stream`) and
//!   routes that do not stream take theirs whole (`conn:body`, `max_body_bytes`)
//!   before they run, so a server without streaming routes reads exactly as before.
//!   `100 Continue` goes out at the first read; a body over `max_stream_bytes` is a
//!   413 (mid-stream for chunked: the read raises), bad chunk framing a 400, no byte
//!   for `body_timeout` (per read) a 408, each closing the connection. What a
//!   handler leaves unread is drained after its response if it is a known length of
//!   at most 256 KiB, else the response says `Connection: close` (also when a 100
//!   was owed and not sent).
//! - Not yet: client certificates; HTTP/2.
//!
//! ```
//! let http = cube_http::Http::new().unwrap();
//! let node = cube_vm::Node::start(2, move |st| {
//!     cube_lua::stdlib::open_libs(st);
//!     http.open(st);
//! });
//! let pid = node.spawn_main(|st| {
//!     let src = br#"
//!         local srv = http.server{listen = "127.0.0.1:0",
//!             handler = function(req) return {body = "hi " .. req.query.name} end}
//!         local r = assert(http.request{url = "http://127.0.0.1:" .. srv:port() .. "/?name=cube"})
//!         assert(r.status == 200 and r.body == "hi cube", r.body)
//!         srv:stop()
//!     "#;
//!     st.push_chunk(src, "=doc").map_err(|e| e.message)?;
//!     Ok(0)
//! }).unwrap();
//! assert_eq!(node.wait(pid), cube_vm::ExitReason::Normal);
//! ```

mod client;
mod conn;
pub mod json;
mod library;
mod reactor;
pub mod request;
mod response;
mod server;
mod static_files;
mod tls;
pub mod ws;

use std::collections::HashMap;
use std::net::TcpStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Instant;

/// The HTTP runtime of one node: its reactor thread, listeners, accepted connections
/// waiting for their process, and the client's connection pool. Clone it into the
/// node's setup function and call [`Http::open`] there.
#[derive(Clone)]
pub struct Http {
    shared: Arc<Shared>,
}

pub(crate) struct Shared {
    pub(crate) reactor: Arc<reactor::Reactor>,
    next_id: AtomicU64,
    pub(crate) listeners: Mutex<HashMap<u64, Weak<server::Listener>>>,
    pub(crate) pending: Mutex<HashMap<u64, Accepted>>,
    pub(crate) pool: client::Pool,
}

/// An accepted connection waiting for its process: the socket, when it came, and the
/// listener's TLS settings if it serves https.
pub(crate) type Accepted = (TcpStream, Instant, Option<Arc<rustls::ServerConfig>>);

impl Shared {
    pub(crate) fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }
}

impl Http {
    /// A new runtime and its reactor thread.
    pub fn new() -> Result<Http, String> {
        let reactor = reactor::Reactor::start().map_err(|e| format!("http reactor: {e}"))?;
        Ok(Http {
            shared: Arc::new(Shared {
                reactor,
                next_id: AtomicU64::new(1),
                listeners: Mutex::new(HashMap::new()),
                pending: Mutex::new(HashMap::new()),
                pool: client::Pool::default(),
            }),
        })
    }

    /// Installs the `http` library in a state (global `http` and
    /// `package.loaded.http`); a node's setup runs it once, into the shared image.
    pub fn open(&self, st: &mut cube_lua::State) {
        library::install(st, self.shared.clone());
    }
}
