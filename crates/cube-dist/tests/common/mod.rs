//! Helpers for the interop tests: real `erl` and `epmd` processes that never outlive a
//! test (killed on drop), unique names, private ports, and waits that always time out.
#![allow(dead_code)] // each test binary uses a different part

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// Generous: the tests run on a loaded two-core machine; no test asserts on timing.
pub const WAIT: Duration = Duration::from_secs(60);

/// A name no other test (or test run) uses.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}{}x{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

pub fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// This machine's short host name, as `erl -sname` uses it.
pub fn short_host() -> String {
    let out = Command::new("hostname")
        .arg("-s")
        .output()
        .expect("hostname");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A child process killed (and reaped) on drop, with its stdout as a channel of lines.
pub struct Proc {
    child: Child,
    lines: crossbeam_channel::Receiver<String>,
    pub what: String,
}

impl Proc {
    pub fn spawn(mut cmd: Command, what: &str) -> Proc {
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = cmd.spawn().unwrap_or_else(|e| {
            panic!("spawn {what}: {e} (these tests need erl, erlc and epmd: apt-get install erlang-base, as scripts/test does)")
        });
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = crossbeam_channel::unbounded();
        let tag = what.to_owned();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                eprintln!("[{tag}] {line}");
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Proc {
            child,
            lines,
            what: what.to_owned(),
        }
    }

    /// The first line containing `needle` (earlier lines are skipped); panics after
    /// [`WAIT`].
    pub fn expect(&self, needle: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return line,
                Ok(_) => continue,
                Err(_) => panic!("{}: no line with {needle:?} within {WAIT:?}", self.what),
            }
        }
    }
}

impl Proc {
    /// The OS pid of the child (to signal it).
    pub fn id(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `erl -sname NAME` with `cookie`, using the EPMD on `epmd_port` (never starting one),
/// running `eval` (Erlang expressions; print with `io:format`).
pub fn erl(sname: &str, cookie: &str, epmd_port: u16, eval: &str) -> Proc {
    let mut cmd = Command::new("erl");
    cmd.args([
        "-sname",
        sname,
        "-setcookie",
        cookie,
        "-noshell",
        "-start_epmd",
        "false",
    ])
    .args(["-kernel", "dist_auto_connect", "once"])
    .args(["-eval", eval])
    .env("ERL_EPMD_PORT", epmd_port.to_string())
    // No ~/.erlang.cookie is read or written with -setcookie, but keep HOME private.
    .env("HOME", std::env::temp_dir());
    Proc::spawn(cmd, &format!("erl {sname}"))
}

/// Polls `f` until it returns `Some`, or panics after [`WAIT`].
pub fn wait_for<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(v) = f() {
            return v;
        }
        if Instant::now() > deadline {
            panic!("timed out waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
