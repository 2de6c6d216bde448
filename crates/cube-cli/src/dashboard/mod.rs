//! The web dashboard: `supervise CONFIG --http ADDR` (programs: state, pid, uptime,
//! restarts, CPU and memory sparklines, live log tails, start/stop/restart/signal) and
//! `run --observer ADDR FILE` (the node's processes as `process.i()` shows them,
//! schedulers' load and memory over time).
//!
//! Why it lives here, in cube-cli: it is glue between three libraries (the `http`
//! library serves it, cube-sup's control socket and `programs` library act and report,
//! cube-vm's `process` library lists processes), and only the binary has all three on
//! one node. The server is Lua on the `http` library (`dashboard.lua`, a process of
//! the node like any other: the dashboard is itself a user of the library), the page
//! is our own HTML, JavaScript and CSS compiled into the binary (`page.html`,
//! `app.js`, `app.css`: no CDN, nothing fetched), and what Lua cannot read (threads'
//! CPU time, the supervisor's per-program statistics and log files) comes from a Rust
//! thread as a message each second (`sampler.rs`; DESIGN.md decision 5).
//!
//! Access: off unless asked for; a bare port binds 127.0.0.1. On any address that is
//! not loopback a token is required (`--http-token`, or one generated and printed at
//! start); with `--http-token` it is required on loopback too. See README "Dashboard".

mod sampler;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const HUB_LUA: &str = include_str!("dashboard.lua");
const PAGE_HTML: &str = include_str!("page.html");
const APP_JS: &str = include_str!("app.js");
const APP_CSS: &str = include_str!("app.css");

/// The name the hub registers once its server listens.
pub const HUB_NAME: &str = "cube_dashboard";

/// Where the dashboard listens and who may use it.
#[derive(Clone, Debug)]
pub struct Config {
    pub addr: SocketAddr,
    /// Required on every request when set.
    pub token: Option<String>,
    /// The token was generated here (so it is printed; it is never logged otherwise).
    pub generated: bool,
}

/// What the page shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `supervise --http`: the programs (and the node's processes).
    Supervise,
    /// `run --observer`: the node's processes, schedulers and memory.
    Observer,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Supervise => "supervise",
            Mode::Observer => "observer",
        }
    }
}

/// `--http ADDR` / `--observer ADDR` and `--http-token TOKEN` as a configuration: a
/// bare port means 127.0.0.1; `localhost:PORT` too; otherwise `IP:PORT` (`[::1]:PORT`).
pub fn config(addr: &str, token: Option<&str>) -> Result<Config, String> {
    let addr = parse_addr(addr)?;
    let (token, generated) = match token {
        Some(t) => {
            check_token(t)?;
            (Some(t.to_string()), false)
        }
        None if addr.ip().is_loopback() => (None, false),
        None => (Some(new_token()?), true),
    };
    Ok(Config {
        addr,
        token,
        generated,
    })
}

fn parse_addr(s: &str) -> Result<SocketAddr, String> {
    let bad = || format!("bad dashboard address '{s}' (PORT, IP:PORT or localhost:PORT)");
    if let Ok(port) = s.parse::<u16>() {
        return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
    }
    if let Some(port) = s.strip_prefix("localhost:") {
        let port = port.parse::<u16>().map_err(|_| bad())?;
        return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
    }
    s.parse::<SocketAddr>().map_err(|_| bad())
}

/// Tokens travel in URLs (`?token=`): 8 to 256 of URL-safe characters.
fn check_token(t: &str) -> Result<(), String> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || "-._~".contains(c);
    if t.len() < 8 || t.len() > 256 || !t.chars().all(ok_char) {
        return Err("--http-token: 8 to 256 characters of A-Z a-z 0-9 - . _ ~".into());
    }
    Ok(())
}

/// 128 random bits from the kernel, as hex.
fn new_token() -> Result<String, String> {
    let mut b = [0u8; 16];
    std::io::Read::read_exact(
        &mut std::fs::File::open("/dev/urandom").map_err(|e| format!("/dev/urandom: {e}"))?,
        &mut b,
    )
    .map_err(|e| format!("/dev/urandom: {e}"))?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

/// The running dashboard: dropping it stops the sampler (the hub ends with its node).
pub struct Running {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Spawns the hub on the node (its image must have the `http` library) and waits until
/// it listens (it prints its URL then), then starts the sampler. `control`: the
/// supervisor's control endpoint (for `Mode::Supervise`).
pub fn start(
    node: &cube_vm::NodeHandle,
    cfg: &Config,
    mode: Mode,
    control: Option<String>,
) -> Result<Running, String> {
    let listen = cfg.addr.to_string();
    let token = cfg.token.clone();
    let generated = cfg.generated;
    let pid = node.spawn(move |st| {
        st.push_chunk(HUB_LUA.as_bytes(), "=dashboard")
            .map_err(|e| e.message)?;
        st.cx(|cx| {
            cx.push_str(listen.as_bytes());
            match &token {
                Some(t) => cx.push_str(t.as_bytes()),
                None => cx.push(cube_lua::host::Val::Nil),
            }
            cx.push_str(mode.name().as_bytes());
            cx.push(cube_lua::host::Val::Bool(generated));
            for s in [PAGE_HTML, APP_JS, APP_CSS] {
                cx.push_str(s.as_bytes());
            }
        });
        Ok(7)
    })?;
    // The hub registers its name once `http.server` has bound; if it ends first (the
    // port is taken), the node has already printed why.
    let deadline = Instant::now() + Duration::from_secs(30);
    while node.whereis(HUB_NAME).is_none() {
        if !node.is_alive(pid) {
            return Err(format!("the dashboard could not listen on {}", cfg.addr));
        }
        if Instant::now() > deadline {
            return Err("the dashboard did not start within 30 s".into());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let stop = Arc::new(AtomicBool::new(false));
    let thread = sampler::start(node.clone(), stop.clone(), control);
    Ok(Running {
        stop,
        thread: Some(thread),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert_eq!(
            config("9001", None).unwrap().addr.to_string(),
            "127.0.0.1:9001"
        );
        assert!(config("9001", None).unwrap().token.is_none());
        assert_eq!(
            config("localhost:80", None).unwrap().addr.to_string(),
            "127.0.0.1:80"
        );
        let c = config("0.0.0.0:9001", None).unwrap();
        assert!(c.generated && c.token.as_ref().unwrap().len() == 32);
        assert!(config("[::1]:9001", None).unwrap().token.is_none());
        assert!(config("nonsense", None).is_err());
        assert!(config("70000", None).is_err());
        assert!(config("9001", Some("short")).is_err());
        assert!(config("9001", Some("has space in it")).is_err());
        let c = config("9001", Some("abcdefgh")).unwrap();
        assert_eq!(c.token.as_deref(), Some("abcdefgh"));
    }
}
