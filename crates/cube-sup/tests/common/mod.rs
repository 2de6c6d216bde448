//! Shared helpers of the cube-sup integration tests: a supervisor on a temp dir, its
//! real control socket, an events subscriber, and process-table checks.
#![allow(dead_code)]

use serde_json::{json, Value as Json};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

pub struct Fixture {
    pub dir: PathBuf,
    pub control: String,
    pub events: String,
    pub config: PathBuf,
    sup: Option<cube_sup::Supervisor>,
}

static N: AtomicU32 = AtomicU32::new(0);

/// A fresh temp dir.
pub fn temp_dir(what: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "cube-sup-{what}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The `[supervisor]` table for a temp dir.
pub fn header(dir: &std::path::Path) -> String {
    format!(
        "[supervisor]\ncontrol = \"ipc://{d}/c.sock\"\nevents = \"ipc://{d}/e.sock\"\nlog_dir = \"{d}/logs\"\n\n",
        d = dir.display()
    )
}

impl Fixture {
    /// Starts a supervisor on `programs` (TOML of the [programs.*] tables).
    pub fn start(what: &str, programs: &str) -> Fixture {
        let dir = temp_dir(what);
        let config = dir.join("sup.toml");
        std::fs::write(&config, format!("{}{programs}", header(&dir))).unwrap();
        let cfg = cube_sup::config::load(&config).unwrap();
        let (control, events) = (cfg.control.clone(), cfg.events.clone());
        let sup = cube_sup::Supervisor::start(
            cfg,
            cube_sup::Options {
                schedulers: 2,
                ..Default::default()
            },
        )
        .unwrap();
        Fixture {
            dir,
            control,
            events,
            config,
            sup: Some(sup),
        }
    }

    /// A request through the control socket; the whole reply.
    pub fn request(&self, command: &str, args: Json) -> Json {
        cube_sup::control::request(&self.control, command, args, 30_000).unwrap()
    }

    /// A request that must succeed; its result.
    pub fn ok(&self, command: &str, args: Json) -> Json {
        let r = self.request(command, args);
        assert_eq!(r["ok"], json!(true), "{command}: {r}");
        r["result"].clone()
    }

    pub fn status(&self, id: &str) -> Json {
        self.ok("status", json!({ "name": id }))[0].clone()
    }

    /// Waits until instance `id` is in `state`; returns its status.
    pub fn wait_state(&self, id: &str, state: &str, secs: f64) -> Json {
        let deadline = Instant::now() + Duration::from_secs_f64(secs);
        loop {
            let s = self.status(id);
            if s["state"] == json!(state) {
                return s;
            }
            assert!(Instant::now() < deadline, "{id} never became {state}: {s}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until `id` runs with a pid other than `old`; returns the new pid.
    pub fn wait_new_pid(&self, id: &str, old: i64, secs: f64) -> i64 {
        let deadline = Instant::now() + Duration::from_secs_f64(secs);
        loop {
            let s = self.status(id);
            if let Some(p) = s["pid"].as_i64() {
                if p != old && s["state"] == json!("running") {
                    return p;
                }
            }
            assert!(Instant::now() < deadline, "{id} did not come back: {s}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn pid(&self, id: &str) -> i64 {
        self.wait_state(id, "running", 10.0)["pid"]
            .as_i64()
            .unwrap()
    }

    /// Writes a new configuration (same header) for `reload`.
    pub fn rewrite(&self, programs: &str) {
        std::fs::write(&self.config, format!("{}{programs}", header(&self.dir))).unwrap();
    }

    pub fn subscribe(&self) -> Events {
        let ctx = zmq::Context::new();
        let sub = ctx.socket(zmq::SUB).unwrap();
        sub.set_subscribe(b"").unwrap();
        sub.connect(&self.events).unwrap();
        // PUB/SUB joins asynchronously.
        std::thread::sleep(Duration::from_millis(200));
        Events { _ctx: ctx, sub }
    }

    /// Stops everything (quit) and waits for the supervisor to end.
    pub fn quit(mut self) {
        if let Some(sup) = self.sup.take() {
            sup.quit();
            sup.wait();
        }
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        if let Some(sup) = self.sup.take() {
            sup.quit();
            sup.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub struct Events {
    _ctx: zmq::Context,
    sub: zmq::Socket,
}

impl Events {
    /// The next event of kind `kind` for `id` within `secs`.
    pub fn next(&self, kind: &str, id: &str, secs: f64) -> Json {
        let deadline = Instant::now() + Duration::from_secs_f64(secs);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "no {kind} event for {id}");
            self.sub
                .set_rcvtimeo(left.as_millis().max(1) as i32)
                .unwrap();
            let Ok(frames) = self.sub.recv_multipart(0) else {
                continue;
            };
            let ev: Json = serde_json::from_slice(frames.last().unwrap()).unwrap();
            assert_eq!(
                frames[0],
                format!("event.{}", ev["event"].as_str().unwrap()).as_bytes()
            );
            if ev["event"] == json!(kind) && ev["id"] == json!(id) {
                return ev;
            }
        }
    }
}

/// Whether `pid` is a live process (not a zombie).
pub fn alive(pid: i64) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(s) => !s[s.rfind(')').unwrap() + 2..].starts_with('Z'),
        Err(_) => false,
    }
}

/// Live processes whose environment contains `KEY=VALUE` exactly.
pub fn with_env(var: &str) -> Vec<i64> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i64>().ok()) else {
            continue;
        };
        if let Ok(env) = std::fs::read(format!("/proc/{pid}/environ")) {
            if env.split(|&b| b == 0).any(|v| v == var.as_bytes()) && alive(pid) {
                out.push(pid);
            }
        }
    }
    out
}

/// Waits until `f` holds, at most `secs`.
pub fn eventually(secs: f64, what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    while !f() {
        assert!(Instant::now() < deadline, "timed out: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub fn kill(pid: i64, sig: i32) {
    // SAFETY: kill(2) takes plain integers; no memory is involved.
    unsafe { libc::kill(pid as i32, sig) };
}
