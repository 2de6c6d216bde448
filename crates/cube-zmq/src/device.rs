//! The forwarder, streamer and queue devices: libzmq's own proxy on a thread of its own
//! (so a device moves messages exactly as fast as libzmq's proxy), with an optional
//! capture socket. The command line's devices run plain `zmq_proxy` in a context of
//! their own and stop by shutting it down; devices started from Lua share the node's
//! context (inproc endpoints work) and run `zmq_proxy_steerable`, stopped through a
//! control socket.
//!
//! | device | frontend | backend |
//! |---|---|---|
//! | forwarder | XSUB (publishers connect) | XPUB (subscribers connect; their subscriptions go upstream) |
//! | streamer | PULL (pushers connect) | PUSH (pullers connect) |
//! | queue | ROUTER (clients connect) | DEALER (workers connect) |
//!
//! Endpoints are bound unless written `>tcp://...` (connect); `@tcp://...` binds
//! explicitly. The capture socket is a PUB that gets every message the proxy moves.

use crate::Context;
use std::ffi::{c_void, CString};
use std::sync::atomic::{AtomicU64, Ordering};

/// Which device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceKind {
    Forwarder,
    Streamer,
    Queue,
}

impl DeviceKind {
    pub fn parse(name: &str) -> Option<DeviceKind> {
        match name.to_ascii_lowercase().as_str() {
            "forwarder" => Some(DeviceKind::Forwarder),
            "streamer" => Some(DeviceKind::Streamer),
            "queue" => Some(DeviceKind::Queue),
            _ => None,
        }
    }

    fn sockets(self) -> (u32, u32) {
        use zmq_sys::*;
        match self {
            DeviceKind::Forwarder => (ZMQ_XSUB, ZMQ_XPUB),
            DeviceKind::Streamer => (ZMQ_PULL, ZMQ_PUSH),
            DeviceKind::Queue => (ZMQ_ROUTER, ZMQ_DEALER),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            DeviceKind::Forwarder => "forwarder",
            DeviceKind::Streamer => "streamer",
            DeviceKind::Queue => "queue",
        }
    }
}

/// A CURVE key pair, Z85-encoded (40 characters each).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyPair {
    pub public: String,
    pub secret: Option<String>,
}

/// What to run.
#[derive(Clone, Debug)]
pub struct DeviceSpec {
    pub kind: DeviceKind,
    pub frontend: Vec<String>,
    pub backend: Vec<String>,
    pub capture: Option<String>,
    /// With a secret key, the frontend and backend are CURVE servers.
    pub curve: Option<KeyPair>,
}

/// How a device is stopped.
enum Stop {
    /// `zmq_proxy_steerable` with this end of its control socket (a device sharing a
    /// context, e.g. a node's).
    Control(zmq::Socket),
    /// Plain `zmq_proxy` in a context of its own, stopped by shutting the context down
    /// (the command line's devices: exactly libzmq's proxy loop).
    Shutdown,
}

/// A running device. [`Device::stop`] ends it; so does dropping it.
pub struct Device {
    /// Keeps the context alive while the device's sockets live.
    ctx: Context,
    stop: Option<Stop>,
    thread: Option<std::thread::JoinHandle<Result<(), String>>>,
    frontend: String,
    backend: String,
}

fn zerr(what: &str, ep: &str) -> String {
    format!("{what} '{ep}': {}", crate::strerror(crate::errno()))
}

/// Binds or connects `s` to `ep` (`>` connects, `@` or nothing binds); returns the
/// endpoint as libzmq reports it (a bound `*` port resolved).
fn attach(s: &mut zmq::Socket, ep: &str) -> Result<String, String> {
    let (bind, addr) = match ep.as_bytes().first() {
        Some(b'>') => (false, &ep[1..]),
        Some(b'@') => (true, &ep[1..]),
        _ => (true, ep),
    };
    let c = CString::new(addr).map_err(|_| format!("endpoint '{addr}' contains a zero byte"))?;
    let raw = s.as_mut_ptr();
    // SAFETY: an open socket and a NUL-terminated endpoint.
    let rc = unsafe {
        if bind {
            zmq_sys::zmq_bind(raw, c.as_ptr())
        } else {
            zmq_sys::zmq_connect(raw, c.as_ptr())
        }
    };
    if rc != 0 {
        return Err(zerr(if bind { "bind" } else { "connect" }, addr));
    }
    if bind {
        if let Ok(Ok(last)) = s.get_last_endpoint() {
            return Ok(last);
        }
    }
    Ok(addr.to_string())
}

fn make_curve_server(s: &zmq::Socket, keys: &KeyPair) -> Result<(), String> {
    let Some(secret) = &keys.secret else {
        return Err("a CURVE server needs a secret key".into());
    };
    if !crate::has("curve") {
        return Err("CURVE is not available: the linked libzmq was built without it \
                    (the bundled libzmq has no libsodium; link Debian's libzmq3-dev, see the README)"
            .into());
    }
    s.set_curve_server(true)
        .and_then(|_| {
            s.set_curve_secretkey(&zmq::z85_decode(secret).map_err(|_| zmq::Error::EINVAL)?)
        })
        .map_err(|e| format!("CURVE setup: {e}"))
}

static NEXT_DEVICE: AtomicU64 = AtomicU64::new(1);

impl Device {
    /// Makes the sockets in `ctx` (binding or connecting them now, so errors come
    /// back here) and starts the proxy thread, steered through a control socket.
    pub fn start(ctx: &Context, spec: DeviceSpec) -> Result<Device, String> {
        Device::start_with(ctx, spec, true)
    }

    /// Like [`Device::start`], in a context of the device's own: the proxy loop is
    /// libzmq's plain `zmq_proxy`, and a stop shuts that context down.
    pub fn start_alone(spec: DeviceSpec) -> Result<Device, String> {
        Device::start_with(&Context::new()?, spec, false)
    }

    fn start_with(ctx: &Context, spec: DeviceSpec, steered: bool) -> Result<Device, String> {
        let (ft, bt) = spec.kind.sockets();
        let sock = |t| ctx.socket(t).map_err(|e| format!("socket: {e}"));
        let mut front = sock(ft)?;
        let mut back = sock(bt)?;
        if let Some(keys) = &spec.curve {
            make_curve_server(&front, keys)?;
            make_curve_server(&back, keys)?;
        }
        if spec.frontend.is_empty() || spec.backend.is_empty() {
            return Err("a device needs a frontend and a backend endpoint".into());
        }
        let mut fe = String::new();
        for ep in &spec.frontend {
            fe = attach(&mut front, ep).map_err(|e| format!("frontend: {e}"))?;
        }
        let mut be = String::new();
        for ep in &spec.backend {
            be = attach(&mut back, ep).map_err(|e| format!("backend: {e}"))?;
        }
        let mut capture = match &spec.capture {
            Some(ep) => {
                let mut c = sock(zmq_sys::ZMQ_PUB)?;
                attach(&mut c, ep).map_err(|e| format!("capture: {e}"))?;
                Some(c)
            }
            None => None,
        };
        let (mut ctl_in, stop) = if steered {
            let n = NEXT_DEVICE.fetch_add(1, Ordering::Relaxed);
            let ctl_ep = format!(
                "inproc://cube-zmq-device-control-{}-{n}",
                std::process::id()
            );
            let ctl_in = sock(zmq_sys::ZMQ_PAIR)?;
            ctl_in
                .bind(&ctl_ep)
                .map_err(|e| format!("control socket: {e}"))?;
            let ctl_out = sock(zmq_sys::ZMQ_PAIR)?;
            ctl_out
                .connect(&ctl_ep)
                .map_err(|e| format!("control socket: {e}"))?;
            (Some(ctl_in), Stop::Control(ctl_out))
        } else {
            (None, Stop::Shutdown)
        };
        let name = spec.kind.name();
        let thread = std::thread::Builder::new()
            .name(format!("cube-zmq-{name}"))
            .spawn(move || {
                let cap = capture
                    .as_mut()
                    .map(|c| c.as_mut_ptr())
                    .unwrap_or(std::ptr::null_mut::<c_void>());
                // SAFETY: open sockets, used by this thread only from now on.
                let rc = unsafe {
                    match ctl_in.as_mut() {
                        Some(ctl) => zmq_sys::zmq_proxy_steerable(
                            front.as_mut_ptr(),
                            back.as_mut_ptr(),
                            cap,
                            ctl.as_mut_ptr(),
                        ),
                        None => zmq_sys::zmq_proxy(front.as_mut_ptr(), back.as_mut_ptr(), cap),
                    }
                };
                let stopped = !steered && crate::errno() == zmq_sys::errno::ETERM;
                // Unsent messages must not hold the context open after a stop.
                for s in [&front, &back] {
                    let _ = s.set_linger(0);
                }
                if let Some(c) = &capture {
                    let _ = c.set_linger(0);
                }
                if rc != 0 && !stopped {
                    let e = crate::errno();
                    return Err(format!("{name}: {}", crate::strerror(e)));
                }
                Ok(())
            })
            .map_err(|e| format!("device thread: {e}"))?;
        Ok(Device {
            ctx: ctx.clone(),
            stop: Some(stop),
            thread: Some(thread),
            frontend: fe,
            backend: be,
        })
    }

    /// The frontend endpoint (the last one given, as bound).
    pub fn frontend_endpoint(&self) -> &str {
        &self.frontend
    }

    pub fn backend_endpoint(&self) -> &str {
        &self.backend
    }

    /// Whether the proxy thread has ended (only after a stop or an error).
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(|t| t.is_finished())
    }

    /// Stops the proxy and waits for its thread; the proxy's error, if it failed.
    pub fn stop(mut self) -> Result<(), String> {
        self.stop_inner()
    }

    fn stop_inner(&mut self) -> Result<(), String> {
        match self.stop.take() {
            Some(Stop::Control(c)) => {
                let _ = c.send("TERMINATE", 0);
                let _ = c.set_linger(0);
            }
            Some(Stop::Shutdown) => self.ctx.shutdown(),
            None => {}
        }
        match self.thread.take() {
            Some(t) => t
                .join()
                .unwrap_or_else(|_| Err("device thread panicked".into())),
            None => Ok(()),
        }
    }
}

impl Drop for Device {
    fn drop(&mut self) {
        let _ = self.stop_inner();
    }
}

/// Runs a device until SIGINT or SIGTERM, then stops it cleanly. Call
/// [`block_stop_signals`] first, before any thread (libzmq's included) exists, so the
/// signals reach this thread only. `ready` is called once the device runs.
pub fn run_until_signal(spec: DeviceSpec, ready: impl FnOnce(&Device)) -> Result<(), String> {
    let dev = Device::start_alone(spec)?;
    ready(&dev);
    let set = stop_signals();
    loop {
        let ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 200_000_000,
        };
        // SAFETY: waits for one of the blocked signals in `set`.
        let sig = unsafe { libc::sigtimedwait(&set, std::ptr::null_mut(), &ts) };
        if sig == libc::SIGINT || sig == libc::SIGTERM {
            break;
        }
        if dev.is_finished() {
            break;
        }
    }
    dev.stop()
}

fn stop_signals() -> libc::sigset_t {
    // SAFETY: builds a signal set in a zeroed sigset_t.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGINT);
        libc::sigaddset(&mut set, libc::SIGTERM);
        set
    }
}

/// Blocks SIGINT and SIGTERM in the calling thread and every thread it starts later,
/// so [`run_until_signal`] can wait for them.
pub fn block_stop_signals() {
    let set = stop_signals();
    // SAFETY: changes this thread's signal mask.
    unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) };
}

/// Reads CURVE keys from a file: either czmq's certificate format (lines
/// `public-key = "..."` and `secret-key = "..."`) or the public key on the first line
/// and, optionally, the secret key on the second (Z85, 40 characters each).
pub fn read_key_file(path: &str) -> Result<KeyPair, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    parse_keys(&text).map_err(|m| format!("{path}: {m}"))
}

fn parse_keys(text: &str) -> Result<KeyPair, String> {
    let field = |name: &str| -> Option<String> {
        text.lines().find_map(|l| {
            let (k, v) = l.trim().split_once('=')?;
            (k.trim() == name).then(|| v.trim().trim_matches('"').to_string())
        })
    };
    let (public, secret) = match field("public-key") {
        Some(p) => (p, field("secret-key")),
        None => {
            let mut lines = text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'));
            let p = lines.next().ok_or("no key found")?.to_string();
            (p, lines.next().map(str::to_string))
        }
    };
    for k in std::iter::once(&public).chain(secret.iter()) {
        if k.len() != 40 || zmq::z85_decode(k).is_err() {
            return Err(format!("'{k}' is not a 40-character Z85 key"));
        }
    }
    Ok(KeyPair { public, secret })
}

/// CURVE keys from the environment: `CUBE_ZMQ_CURVE_SECRET` (Z85) and, optionally,
/// `CUBE_ZMQ_CURVE_PUBLIC`.
pub fn keys_from_env() -> Option<Result<KeyPair, String>> {
    let secret = std::env::var("CUBE_ZMQ_CURVE_SECRET").ok()?;
    let public = std::env::var("CUBE_ZMQ_CURVE_PUBLIC").unwrap_or_default();
    let text = format!("{public}\n{secret}\n");
    if public.is_empty() {
        if secret.len() != 40 {
            return Some(Err(
                "CUBE_ZMQ_CURVE_SECRET is not a 40-character Z85 key".into()
            ));
        }
        return Some(Ok(KeyPair {
            public: String::new(),
            secret: Some(secret),
        }));
    }
    Some(parse_keys(&text))
}

#[cfg(test)]
mod tests {
    use super::*;

    const K1: &str = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
    const K2: &str = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6";

    #[test]
    fn key_files_in_both_formats() {
        let cert =
            format!("metadata\ncurve\n    public-key = \"{K1}\"\n    secret-key = \"{K2}\"\n");
        let k = parse_keys(&cert).unwrap();
        assert_eq!(k.public, K1);
        assert_eq!(k.secret.as_deref(), Some(K2));
        let plain = format!("# comment\n{K1}\n");
        let k = parse_keys(&plain).unwrap();
        assert_eq!((k.public.as_str(), k.secret), (K1, None));
        assert!(parse_keys("short\n").is_err());
    }

    #[test]
    fn device_names() {
        assert_eq!(DeviceKind::parse("Queue"), Some(DeviceKind::Queue));
        assert_eq!(DeviceKind::parse("proxy"), None);
    }
}
