//! Logs (capture, rotation without loss, passthrough), health checks (tcp, http,
//! command), heartbeats (pipe and control socket), dependencies and the stop order.

mod common;

use common::*;
use serde_json::json;
use std::io::{Read, Write};

#[test]
fn output_is_captured_and_rotated_without_loss() {
    let f = Fixture::start(
        "logs",
        r#"[programs.talker]
command = "sh"
args = ["-c", "i=0; while [ $i -lt 500 ]; do echo line $i; i=$((i+1)); done; echo done >&2; exec sleep 1000"]
startsecs = 0.1
log_max_bytes = 1024
log_backups = 10
"#,
    );
    f.pid("talker:0");
    let log = f.dir.join("logs/talker.out.log");
    eventually(10.0, "stderr captured", || {
        std::fs::read_to_string(f.dir.join("logs/talker.err.log")).is_ok_and(|s| s == "done\n")
    });
    // 500 lines of 9-10 bytes: about 4.4 KB over files of at most 1 KB.
    let mut all = String::new();
    for n in (1..=10).rev() {
        if let Ok(s) = std::fs::read_to_string(cube_sup::logs::backup(&log, n)) {
            assert!(s.len() <= 1024);
            all.push_str(&s);
        }
    }
    all.push_str(&std::fs::read_to_string(&log).unwrap());
    let want: String = (0..500).map(|i| format!("line {i}\n")).collect();
    assert_eq!(all, want);
    let tail = f.ok("tail", json!({ "name": "talker", "lines": 3 }));
    assert_eq!(
        tail[0]["lines"],
        json!(["line 497", "line 498", "line 499"])
    );
}

#[test]
fn health_checks_restart_unhealthy_programs() {
    // A port nobody listens on: connect fails.
    let dead_port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let f = Fixture::start(
        "health",
        &format!(
            r#"[programs.tcp]
command = "sleep"
args = ["1000"]
startsecs = 0.1
[[programs.tcp.health]]
type = "tcp"
port = {dead_port}
interval = 0.1
failures = 2

[programs.cmd]
command = "sleep"
args = ["1000"]
startsecs = 0.1
[[programs.cmd.health]]
type = "command"
command = ["sh", "-c", "exit 1"]
interval = 0.1
failures = 3

[programs.fine]
command = "sleep"
args = ["1000"]
startsecs = 0.1
[[programs.fine.health]]
type = "command"
command = ["true"]
interval = 0.1
"#
        ),
    );
    let ev = f.subscribe();
    let e = ev.next("health_failure", "tcp:0", 10.0);
    assert!(
        e["reason"]
            .as_str()
            .unwrap()
            .contains(&format!("tcp 127.0.0.1:{dead_port}")),
        "{e}"
    );
    ev.next("restart", "tcp:0", 10.0);
    let e = ev.next("health_failure", "cmd:0", 10.0);
    assert!(
        e["reason"].as_str().unwrap().contains("exit status 1"),
        "{e}"
    );
    let s = f.status("fine:0");
    assert_eq!(s["restarts"], json!(0), "{s}");
}

/// A one-connection-at-a-time HTTP server answering `status` to every request.
fn http_server(status: u16) -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            let mut s = s;
            let mut req = Vec::new();
            let mut buf = [0u8; 1024];
            while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                match s.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => req.extend_from_slice(&buf[..n]),
                }
            }
            let _ = write!(s, "HTTP/1.0 {status} X\r\nContent-Length: 0\r\n\r\n");
        }
    });
    port
}

#[test]
fn http_checks_want_2xx() {
    let (good, bad) = (http_server(204), http_server(503));
    let f = Fixture::start(
        "http",
        &format!(
            r#"[programs.good]
command = "sleep"
args = ["1000"]
startsecs = 0.1
[[programs.good.health]]
type = "http"
url = "http://127.0.0.1:{good}/health"
interval = 0.1
failures = 1

[programs.bad]
command = "sleep"
args = ["1000"]
startsecs = 0.1
[[programs.bad.health]]
type = "http"
url = "http://127.0.0.1:{bad}/health"
interval = 0.1
failures = 1
"#
        ),
    );
    let ev = f.subscribe();
    let e = ev.next("health_failure", "bad:0", 10.0);
    assert!(e["reason"].as_str().unwrap().contains("status 503"), "{e}");
    assert_eq!(
        f.status("good:0")["restarts"],
        json!(0),
        "{}",
        f.status("good:0")
    );
}

#[test]
fn a_program_that_misses_its_heartbeat_is_restarted() {
    let f = Fixture::start(
        "heart",
        r#"[programs.beating]
command = "sh"
args = ["-c", "while :; do echo beat >&$CUBE_HEARTBEAT_FD; sleep 0.1; done"]
startsecs = 0.1
heartbeat = 0.5

[programs.silent]
command = "sleep"
args = ["1000"]
startsecs = 0.1
heartbeat = 0.3

[programs.remote]
command = "sleep"
args = ["1000"]
startsecs = 0.1
heartbeat = 0.6
"#,
    );
    let ev = f.subscribe();
    let beating = f.pid("beating:0");
    let remote = f.pid("remote:0");
    let e = ev.next("health_failure", "silent:0", 10.0);
    assert!(
        e["reason"].as_str().unwrap().contains("missed heartbeat"),
        "{e}"
    );
    // Heartbeats through the control socket (what a ZeroMQ client sends) count too.
    for _ in 0..15 {
        f.ok("heartbeat", json!({ "name": "remote" }));
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(f.pid("beating:0"), beating);
    assert_eq!(f.pid("remote:0"), remote);
}

#[test]
fn dependencies_start_in_order_and_stop_in_reverse() {
    let f = Fixture::start(
        "deps",
        r#"[programs.web]
command = "sleep"
args = ["1000"]
startsecs = 0.1
depends_on = ["db"]

[programs.db]
command = "sleep"
args = ["1000"]
startsecs = 0.5
autostart = false
"#,
    );
    let ev = f.subscribe();
    // web waits for db, which is not started.
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(f.status("web:0")["state"], json!("pending"));
    f.ok("start", json!({ "name": "db" }));
    let running = ev.next("running", "db:0", 10.0)["time"].as_f64().unwrap();
    let spawned = ev.next("spawn", "web:0", 10.0)["time"].as_f64().unwrap();
    assert!(spawned >= running);
    f.pid("web:0");
    f.ok("stop", json!({ "name": "all" }));
    let web_stop = ev.next("stop", "web:0", 10.0)["time"].as_f64().unwrap();
    let db_stop = ev.next("stop", "db:0", 10.0)["time"].as_f64().unwrap();
    assert!(web_stop <= db_stop);
}

#[test]
fn memory_and_cpu_limits_restart_a_program() {
    let f = Fixture::start(
        "limits",
        r#"[programs.fat]
command = "python3"
args = ["-c", "import time\nx = bytearray(64 * 1024 * 1024)\ntime.sleep(1000)"]
startsecs = 0.1
[[programs.fat.health]]
type = "memory"
max_rss_mb = 32
interval = 0.2
failures = 2

[programs.busy]
command = "sh"
args = ["-c", "while :; do :; done"]
startsecs = 0.1
[[programs.busy.health]]
type = "cpu"
max_cpu_percent = 5
interval = 0.3
failures = 2
"#,
    );
    let ev = f.subscribe();
    let e = ev.next("health_failure", "fat:0", 20.0);
    assert!(e["reason"].as_str().unwrap().contains("above 32 MB"), "{e}");
    let e = ev.next("health_failure", "busy:0", 20.0);
    assert!(e["reason"].as_str().unwrap().contains("cpu"), "{e}");
    f.ok("stop", json!({ "name": "all" }));
}

#[test]
fn programs_get_their_cwd_env_and_user() {
    let work = temp_dir("cwd");
    // SAFETY: geteuid(2) has no arguments and cannot fail.
    let root = unsafe { libc::geteuid() } == 0;
    let user = if root { "user = \"nobody\"\n" } else { "" };
    let f = Fixture::start(
        "env",
        &format!(
            r#"[programs.show]
command = "sh"
args = ["-c", "echo $(pwd) $GREETING $CUBE_SUP_PROGRAM $CUBE_SUP_INSTANCE $(id -u); exec sleep 1000"]
cwd = "{}"
env = {{ GREETING = "hi" }}
{user}startsecs = 0.1
"#,
            work.display()
        ),
    );
    f.pid("show:0");
    let want_uid = if root {
        cube_sup::config::user_ids("nobody").unwrap().0
    } else {
        // SAFETY: geteuid(2) has no arguments and cannot fail.
        unsafe { libc::geteuid() }
    };
    let want = format!(
        "{} hi show 0 {want_uid}",
        std::fs::canonicalize(&work).unwrap().display()
    );
    eventually(10.0, "output", || {
        f.ok("tail", json!({ "name": "show" }))[0]["lines"] == json!([want.clone()])
    });
    let _ = std::fs::remove_dir_all(&work);
}
