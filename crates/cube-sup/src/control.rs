//! The control socket (a ZeroMQ ROUTER) and the event stream (a ZeroMQ PUB).
//!
//! Endpoints: `ipc://PATH` or `tcp://HOST:PORT` (see `config.rs` for the events
//! endpoint derived from the control one). `tcp://HOST:*` binds any free port.
//!
//! Nothing the control thread or the event stream does waits for a client: replies
//! and events are sent with `DONTWAIT` (ZeroMQ drops what a peer's high-water mark does
//! not take, as a PUB does for a slow subscriber), at most MAX_PENDING requests wait
//! for the manager (more get a `busy` error), and the manager's replies come back
//! through an inproc pipe without a high-water mark, so the manager never waits.
//!
//! Protocol, version 1 (circus style: one JSON object per message, last frame):
//!
//! ```text
//! request: {"v": 1, "id": ANY, "command": "status", "args": {"name": "web"}}
//! reply:   {"v": 1, "id": ANY, "ok": true, "result": ...}
//!          {"v": 1, "id": ANY, "ok": false, "error": "no such program or group 'x'"}
//! event:   two frames, the topic "event.KIND" and
//!          {"v": 1, "event": "spawn", "id": "web:0", "name": "web", "instance": 0,
//!           "time": 1764100000.5, "pid": 4242}
//! ```
//!
//! Commands: `status {name?}`, `start {name}`, `stop {name}`, `restart {name}`,
//! `reload {}` (re-reads the configuration file), `signal {name, signal}`, `stats {name?}`
//! (-> per running instance `{id, pid, processes, rss_bytes, cpu_seconds}`),
//! `tail {name, lines?, stream?: "out"|"err"}` (-> per instance `{id, file, lines,
//! offset}`, `offset` being where a follower of `file` goes on), `maintail {lines?}` (the
//! same for the supervisor's own log), `heartbeat {name}`, `quit {}`,
//! `version {}` (-> `{protocol, version, control, events, pid}`: the endpoints as bound, a
//! `*` port replaced by the one the system chose). A name is a program, `program:N`, a group, or `all`.
//! Event kinds: spawn, spawn_failed, running, exit, backoff, restart, fatal, stopping,
//! kill, stop, health_failure.
//!
//! One thread serves the ROUTER. Requests it can answer from the shared state (status,
//! signal, tail, heartbeat) are answered at once; the others become messages to the
//! manager process, whose reply comes back through an inproc PUSH/PULL pair, so a slow
//! `stop` does not hold up a `status`. The thread blocks in `zmq::poll` without a
//! timeout: it costs nothing while idle.
//!
//! For `ipc://` endpoints the socket file is created with mode 0600, and an endpoint
//! already served by a live supervisor is refused rather than taken over.

use crate::core::{Core, PROTOCOL_VERSION};
use serde_json::{json, Value as Json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Binds the control and events sockets and starts the control thread; returns it (see
/// [`shutdown`]).
pub fn start(core: &Arc<Core>, ctx: &zmq::Context) -> Result<std::thread::JoinHandle<()>, String> {
    let cfg = core.config.lock().expect("config lock").clone();
    let router = ctx.socket(zmq::ROUTER).map_err(|e| e.to_string())?;
    router.set_linger(0).ok();
    bind_private(&router, &cfg.control)?;
    let publisher = ctx.socket(zmq::PUB).map_err(|e| e.to_string())?;
    publisher.set_linger(1000).ok();
    bind_private(&publisher, &cfg.events)?;
    let bound = |s: &zmq::Socket, configured: &str| {
        s.get_last_endpoint()
            .ok()
            .and_then(Result::ok)
            .unwrap_or_else(|| configured.to_string())
    };
    // ipc endpoints were bound under a temporary name: they are where configured.
    let resolved = |s: &zmq::Socket, configured: &str| {
        if configured.starts_with("ipc://") {
            configured.to_string()
        } else {
            bound(s, configured)
        }
    };
    let _ = core.bound.set((
        resolved(&router, &cfg.control),
        resolved(&publisher, &cfg.events),
    ));
    let publisher = Mutex::new(publisher);
    *core.events.lock().expect("events lock") = Some(Box::new(move |ev: &Json| {
        let topic = format!("event.{}", ev["event"].as_str().unwrap_or("unknown"));
        let p = publisher.lock().expect("pub lock");
        let _ = p.send(topic.as_bytes(), zmq::SNDMORE | zmq::DONTWAIT);
        let _ = p.send(ev.to_string().as_bytes(), zmq::DONTWAIT);
    }));
    let inproc = format!("inproc://cube-sup-replies-{:p}", Arc::as_ptr(core));
    let pull = ctx.socket(zmq::PULL).map_err(|e| e.to_string())?;
    pull.set_rcvhwm(0).ok();
    pull.bind(&inproc).map_err(|e| e.to_string())?;
    let push = ctx.socket(zmq::PUSH).map_err(|e| e.to_string())?;
    push.set_linger(1000).ok();
    // No high-water mark: replies in flight are bounded by MAX_PENDING instead, and the
    // manager must never wait for the control thread.
    push.set_sndhwm(0).ok();
    push.connect(&inproc).map_err(|e| e.to_string())?;
    let push = Mutex::new(push);
    *core.replies.lock().expect("replies lock") = Some(Box::new(move |id: u64, body: Json| {
        let msg = json!({ "rid": id, "body": body }).to_string();
        let _ = push
            .lock()
            .expect("push lock")
            .send(msg.as_bytes(), zmq::DONTWAIT);
    }));
    let weak = Arc::downgrade(core);
    std::thread::Builder::new()
        .name("cube-sup-control".into())
        .spawn(move || serve(weak, router, pull))
        .map_err(|e| e.to_string())
}

/// Ends the control thread after it has passed on every reply already given (the one
/// to `quit` included), and closes the events socket. Sockets close with a linger of
/// 1 s, so dropping the ZeroMQ context afterwards delivers what is still queued.
pub fn shutdown(core: &Core, thread: std::thread::JoinHandle<()>) {
    if let Some(deliver) = core.replies.lock().expect("replies lock").take() {
        deliver(0, json!({ "shutdown": true }));
    }
    let _ = thread.join();
    core.events.lock().expect("events lock").take();
}

/// Binds `sock` to `endpoint`. An ipc socket file is private from the start, without
/// touching the process-wide umask: it is bound inside a fresh directory of mode 0700,
/// made 0600, then renamed to its place (connections go by path, so the move is
/// invisible to clients).
fn bind_private(sock: &zmq::Socket, endpoint: &str) -> Result<(), String> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    let Some(p) = endpoint.strip_prefix("ipc://") else {
        return sock
            .bind(endpoint)
            .map_err(|e| format!("cannot bind {endpoint}: {e}"));
    };
    if std::os::unix::net::UnixStream::connect(p).is_ok() {
        return Err(format!(
            "{endpoint} is in use (is another supervisor running?)"
        ));
    }
    let _ = std::fs::remove_file(p);
    let target = std::path::Path::new(p);
    let dir = target.parent().unwrap_or(std::path::Path::new("."));
    let _ = std::fs::create_dir_all(dir);
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let private = dir.join(format!(
        ".cs{}.{}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&private)
        .map_err(|e| format!("cannot bind {endpoint}: {}: {e}", private.display()))?;
    let tmp = private.join("s");
    let result = sock
        .bind(&format!("ipc://{}", tmp.display()))
        .map_err(|e| format!("cannot bind {endpoint}: {e}"))
        .and_then(|_| {
            std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))
                .and_then(|_| std::fs::rename(&tmp, target))
                .map_err(|e| format!("cannot bind {endpoint}: {e}"))
        });
    let _ = std::fs::remove_file(&tmp);
    let _ = std::fs::remove_dir(&private);
    result
}

/// Requests forwarded to the manager and not yet answered, at most.
const MAX_PENDING: usize = 10_000;

struct Pending {
    frames: Vec<Vec<u8>>,
    id: Json,
}

fn serve(core: std::sync::Weak<Core>, router: zmq::Socket, pull: zmq::Socket) {
    let mut pending: HashMap<u64, Pending> = HashMap::new();
    let mut next: u64 = 1;
    loop {
        let mut items = [
            router.as_poll_item(zmq::POLLIN),
            pull.as_poll_item(zmq::POLLIN),
        ];
        if zmq::poll(&mut items, -1).is_err() {
            continue;
        }
        let (req_ready, rep_ready) = (items[0].is_readable(), items[1].is_readable());
        let Some(core) = core.upgrade() else {
            return;
        };
        if rep_ready {
            while let Ok(msg) = pull.recv_bytes(zmq::DONTWAIT) {
                let Ok(v) = serde_json::from_slice::<Json>(&msg) else {
                    continue;
                };
                let rid = v["rid"].as_u64().unwrap_or(0);
                if rid == 0 && v["body"]["shutdown"] == json!(true) {
                    // Replies come through one PUSH in order: all earlier ones are out.
                    router.set_linger(1000).ok();
                    return;
                }
                if let Some(p) = pending.remove(&rid) {
                    let mut body = v["body"].clone();
                    body["v"] = json!(PROTOCOL_VERSION);
                    body["id"] = p.id;
                    send_reply(&router, &p.frames, &body);
                }
            }
        }
        if req_ready {
            while let Ok(frames) = router.recv_multipart(zmq::DONTWAIT) {
                if frames.len() < 2 {
                    continue;
                }
                let (head, body) = frames.split_at(frames.len() - 1);
                let room = pending.len() < MAX_PENDING;
                let (id, outcome) = handle(&core, &body[0], next, room);
                match outcome {
                    Outcome::Reply(r) => {
                        let mut reply = match r {
                            Ok(result) => json!({ "ok": true, "result": result }),
                            Err(error) => json!({ "ok": false, "error": error }),
                        };
                        reply["v"] = json!(PROTOCOL_VERSION);
                        reply["id"] = id;
                        send_reply(&router, head, &reply);
                    }
                    Outcome::Forwarded => {
                        pending.insert(
                            next,
                            Pending {
                                frames: head.to_vec(),
                                id,
                            },
                        );
                        next += 1;
                    }
                }
            }
        }
    }
}

fn send_reply(router: &zmq::Socket, head: &[Vec<u8>], body: &Json) {
    for f in head {
        let _ = router.send(&f[..], zmq::SNDMORE | zmq::DONTWAIT);
    }
    let _ = router.send(body.to_string().as_bytes(), zmq::DONTWAIT);
}

enum Outcome {
    Reply(Result<Json, String>),
    /// Sent to the manager as request `rid`; the reply comes later.
    Forwarded,
}

/// One request. `room`: whether one more may be forwarded to the manager.
fn handle(core: &Arc<Core>, body: &[u8], rid: u64, room: bool) -> (Json, Outcome) {
    let req: Json = match serde_json::from_slice(body) {
        Ok(v @ Json::Object(_)) => v,
        Ok(_) => {
            return (
                Json::Null,
                Outcome::Reply(Err("bad request: a JSON object expected".into())),
            )
        }
        Err(e) => return (Json::Null, Outcome::Reply(Err(format!("bad request: {e}")))),
    };
    let id = req.get("id").cloned().unwrap_or(Json::Null);
    let reply = |r| (id.clone(), Outcome::Reply(r));
    match req.get("v").and_then(Json::as_u64) {
        Some(PROTOCOL_VERSION) | None => {}
        Some(v) => {
            return reply(Err(format!(
                "unsupported protocol version {v} (this supervisor speaks {PROTOCOL_VERSION})"
            )))
        }
    }
    let Some(cmd) = req.get("command").and_then(Json::as_str) else {
        return reply(Err("bad request: no 'command'".into()));
    };
    let args = req.get("args").cloned().unwrap_or(json!({}));
    if !args.is_object() {
        return reply(Err("bad request: 'args' must be an object".into()));
    }
    let name = args.get("name").and_then(Json::as_str);
    let need_name = || name.ok_or_else(|| format!("'{cmd}' needs args.name"));
    match cmd {
        "version" => {
            let (control, events) = core.bound.get().cloned().unwrap_or_default();
            reply(Ok(json!({
                "protocol": PROTOCOL_VERSION,
                "version": env!("CARGO_PKG_VERSION"),
                "control": control,
                "events": events,
                "pid": std::process::id(),
            })))
        }
        "status" => reply(core.status(name)),
        "stats" => reply(core.stats(name)),
        "signal" => reply(need_name().and_then(|n| {
            let sig = match args.get("signal") {
                Some(Json::String(s)) => s.clone(),
                Some(Json::Number(n)) => n.to_string(),
                _ => return Err("'signal' needs args.signal".into()),
            };
            core.signal(n, &sig)
        })),
        "heartbeat" => reply(need_name().and_then(|n| core.heartbeat(n))),
        "tail" => reply(need_name().and_then(|n| tail(core, n, &args))),
        "maintail" => reply(maintail(core, &args)),
        "start" | "stop" | "restart" | "reload" | "quit" | "add" | "rm" | "set" if !room => {
            reply(Err(format!(
                "busy: {MAX_PENDING} requests are waiting for the manager; try again later"
            )))
        }
        "start" | "stop" | "restart" | "reload" | "quit" | "add" | "rm" | "set" => {
            let msg = if cmd == "quit" {
                Ok(json!({ "tag": "quit" }))
            } else {
                prepare(core, cmd, &args)
            };
            match msg {
                Err(e) => reply(Err(e)),
                Ok(mut m) => {
                    m["id"] = json!(rid);
                    match (core.manager.get(), core.node.get()) {
                        (Some(mgr), Some(node)) if node.send(*mgr, crate::json::to_term(&m)) => {
                            (id, Outcome::Forwarded)
                        }
                        _ => {
                            if cmd == "reload" {
                                core.staged.lock().expect("staged lock").take();
                            }
                            reply(Err("the manager process is not running".into()))
                        }
                    }
                }
            }
        }
        other => reply(Err(format!("unknown command '{other}'"))),
    }
}

fn tail(core: &Core, name: &str, args: &Json) -> Result<Json, String> {
    let lines = args
        .get("lines")
        .and_then(Json::as_u64)
        .unwrap_or(20)
        .min(100_000) as usize;
    let stream = match args.get("stream").and_then(Json::as_str).unwrap_or("out") {
        s @ ("out" | "err") => s,
        other => return Err(format!("unknown stream '{other}' (out or err)")),
    };
    let mut out = Vec::new();
    for id in core.resolve(name)? {
        let path = core.log_path(&id, stream).ok_or("no log")?;
        let mut reply =
            json!({ "id": id, "file": path.display().to_string(), "lines": [], "offset": 0 });
        if let Ok((text, offset, inode)) = crate::logs::tail(&path, lines) {
            reply["lines"] = json!(text);
            reply["offset"] = json!(offset);
            reply["inode"] = json!(inode);
        }
        out.push(reply);
    }
    Ok(Json::Array(out))
}

/// `maintail {lines?}`: the end of the supervisor's own log, in `tail`'s shape.
fn maintail(core: &Core, args: &Json) -> Result<Json, String> {
    let lines = args
        .get("lines")
        .and_then(Json::as_u64)
        .unwrap_or(20)
        .min(100_000) as usize;
    let log = core
        .sup_log
        .as_ref()
        .ok_or("this supervisor keeps no log file (supervisor.log_file is \"\")")?;
    let path = log.path();
    let mut reply = json!({ "id": "supervisor", "file": path.display().to_string(),
        "lines": [], "offset": 0 });
    if let Ok((text, offset, inode)) = crate::logs::tail(path, lines) {
        reply["lines"] = json!(text);
        reply["offset"] = json!(offset);
        reply["inode"] = json!(inode);
    }
    Ok(json!([reply]))
}

/// The manager message for a state-changing request (also used by the Lua
/// `programs` library): names resolved to instance ids, configuration changes staged.
pub fn prepare(core: &Arc<Core>, op: &str, arg: &Json) -> Result<Json, String> {
    let name = match arg {
        Json::String(s) => Some(s.as_str()),
        Json::Object(o) => o.get("name").and_then(Json::as_str),
        _ => None,
    };
    match op {
        "start" | "stop" | "restart" => {
            let n = name.ok_or_else(|| format!("'{op}' needs a program name"))?;
            let ids = core.resolve(n)?;
            Ok(json!({ "tag": "ctl", "op": op, "ids": ids }))
        }
        "reload" => {
            let path = core.config.lock().expect("config lock").path.clone();
            let new = crate::config::load(&path).map_err(|e| e.to_string())?;
            let (stop, summary) = core.stage_reload(new)?;
            Ok(json!({ "tag": "ctl", "op": "reload", "stop": stop, "summary": summary }))
        }
        // Run-time changes to the configuration in force (until the next reload re-reads
        // the file): they go through the reload machinery, which stops what changes.
        "rm" => {
            let n = name.ok_or("'rm' needs a program name")?;
            let mut new = core.config.lock().expect("config lock").clone();
            if new.program(n).is_none() {
                return Err(format!("no such program '{n}'"));
            }
            if let Some(p) = new
                .programs
                .iter()
                .find(|p| p.depends_on.iter().any(|d| d == n))
            {
                return Err(format!("program '{}' depends on '{n}'", p.name));
            }
            new.programs.retain(|p| p.name != n);
            for members in new.groups.values_mut() {
                members.retain(|m| m != n);
            }
            new.groups.retain(|_, members| !members.is_empty());
            let (stop, summary) = core.stage_reload(new)?;
            Ok(json!({ "tag": "ctl", "op": "reload", "stop": stop, "summary": summary }))
        }
        "set" => {
            let n = name.ok_or("'set' needs a program name")?;
            let key = arg.get("key").and_then(Json::as_str).unwrap_or("");
            if key != "numprocs" {
                return Err(format!("'{key}' cannot be set at run time (numprocs can)"));
            }
            let value = arg
                .get("value")
                .and_then(|v| {
                    v.as_u64()
                        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                })
                .filter(|v| (1..=u64::from(u32::MAX)).contains(v))
                .ok_or("numprocs needs a whole number from 1")?;
            let mut new = core.config.lock().expect("config lock").clone();
            let others: u64 = new
                .programs
                .iter()
                .filter(|p| p.name != n)
                .map(|p| u64::from(p.numprocs))
                .sum();
            if others + value > crate::config::MAX_INSTANCES {
                return Err(format!(
                    "more than {} program instances in all",
                    crate::config::MAX_INSTANCES
                ));
            }
            let prog = new
                .programs
                .iter_mut()
                .find(|p| p.name == n)
                .ok_or_else(|| format!("no such program '{n}'"))?;
            prog.numprocs = value as u32;
            let (stop, summary) = core.stage_reload(new)?;
            Ok(json!({ "tag": "ctl", "op": "reload", "stop": stop, "summary": summary }))
        }
        "add" => {
            let Json::Object(spec) = arg else {
                return Err("programs.start{...} needs a table".into());
            };
            let name = spec
                .get("name")
                .and_then(Json::as_str)
                .ok_or("programs.start{...} needs a name")?
                .to_string();
            let mut body = spec.clone();
            body.remove("name");
            let table: toml::Value =
                serde_json::from_value(Json::Object(body)).map_err(|e| e.to_string())?;
            let mut doc = toml::map::Map::new();
            let mut progs = toml::map::Map::new();
            progs.insert(name.clone(), table);
            doc.insert("programs".into(), toml::Value::Table(progs));
            let text = toml::to_string(&toml::Value::Table(doc)).map_err(|e| e.to_string())?;
            let base = core.config.lock().expect("config lock").path.clone();
            let dir = base
                .parent()
                .map(|d| d.join("(programs.start)"))
                .unwrap_or_default();
            let one = crate::config::parse(&text, &dir)
                .map_err(|e| format!("{}: {}", e.key, e.message))?;
            let prog = one.programs.into_iter().next().ok_or("no program")?;
            let summary = core.stage_add(prog)?;
            Ok(json!({ "tag": "ctl", "op": "add", "summary": summary }))
        }
        other => Err(format!("unknown operation '{other}'")),
    }
}

/// Sends one request to a supervisor's control endpoint and waits for the reply (the
/// client side, used by `cube-cli ctl`).
/// A subscription to a supervisor's events endpoint (`ctl listen`).
pub struct EventStream {
    sub: zmq::Socket,
    _ctx: zmq::Context,
}

impl EventStream {
    /// Subscribes to every event published at `events` (the `version` reply names it).
    pub fn connect(events: &str) -> Result<EventStream, String> {
        let ctx = zmq::Context::new();
        let sub = ctx.socket(zmq::SUB).map_err(|e| e.to_string())?;
        sub.set_linger(0).ok();
        sub.set_subscribe(b"event.").map_err(|e| e.to_string())?;
        sub.connect(events)
            .map_err(|e| format!("cannot listen at {events}: {e}"))?;
        Ok(EventStream { sub, _ctx: ctx })
    }

    /// The next event's JSON text, waiting for it.
    pub fn next_event(&self) -> Result<Vec<u8>, String> {
        loop {
            let mut frames = self.sub.recv_multipart(0).map_err(|e| e.to_string())?;
            if frames.len() == 2 {
                return Ok(frames.swap_remove(1));
            }
        }
    }
}

/// How long [`check_listening`] waits for a TCP connection.
const LISTEN_CHECK: std::time::Duration = std::time::Duration::from_secs(2);

/// Whether something listens at `endpoint`, asked of the operating system before any
/// ZeroMQ traffic: a ZeroMQ connect never fails, it retries in the background, so a
/// missing supervisor would otherwise cost the whole reply timeout (60 s by default),
/// and a socket file left by a supervisor that died looks like a live one. A live but
/// stalled supervisor still gets the timeout.
fn check_listening(endpoint: &str) -> Result<(), String> {
    if let Some(p) = endpoint.strip_prefix("ipc://") {
        return match std::os::unix::net::UnixStream::connect(p) {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(format!("no supervisor at {endpoint} (socket file missing)"))
            }
            Err(e) => Err(format!(
                "no supervisor at {endpoint}: {e} (a socket file left by a supervisor that is not running?)"
            )),
        };
    }
    if let Some(hp) = endpoint.strip_prefix("tcp://") {
        use std::net::ToSocketAddrs;
        let addrs: Vec<_> = hp
            .to_socket_addrs()
            .map_err(|e| format!("bad endpoint {endpoint}: {e}"))?
            .collect();
        let mut last = None;
        for a in addrs {
            match std::net::TcpStream::connect_timeout(&a, LISTEN_CHECK) {
                Ok(_) => return Ok(()),
                Err(e) => last = Some(e),
            }
        }
        if let Some(e) = last {
            return Err(format!("no supervisor at {endpoint}: {e}"));
        }
    }
    Ok(())
}

pub fn request(endpoint: &str, command: &str, args: Json, timeout_ms: i32) -> Result<Json, String> {
    let ctx = zmq::Context::new();
    let sock = ctx.socket(zmq::DEALER).map_err(|e| e.to_string())?;
    sock.set_linger(0).ok();
    sock.set_rcvtimeo(timeout_ms).ok();
    sock.set_sndtimeo(timeout_ms).ok();
    check_listening(endpoint)?;
    sock.connect(endpoint)
        .map_err(|e| format!("cannot connect to {endpoint}: {e}"))?;
    let req = json!({ "v": PROTOCOL_VERSION, "id": 1, "command": command, "args": args });
    sock.send(req.to_string().as_bytes(), 0)
        .map_err(|e| e.to_string())?;
    let reply = sock
        .recv_bytes(0)
        .map_err(|_| format!("no reply from {endpoint} within {} ms", timeout_ms))?;
    serde_json::from_slice(&reply).map_err(|e| format!("bad reply: {e}"))
}
