//! Fault injection through the real control socket: programs killed by SIGKILL and
//! SIGSEGV come back with a new pid; a program ignoring SIGTERM is killed after its
//! stop timeout; a flapping program backs off, longer each time, then is given up; a
//! double-forking program leaves nothing behind when stopped; reload keeps unchanged
//! programs' pids. Timing bounds are only correctness bounds, generous for a loaded
//! machine (measurements are in bench/run-sup).

mod common;

use common::*;
use serde_json::json;
use std::time::{Duration, Instant};

#[test]
fn sigkill_and_sigsegv_come_back_with_a_new_pid() {
    let f = Fixture::start(
        "kill",
        "[programs.s]\ncommand = \"sleep\"\nargs = [\"1000\"]\nstartsecs = 0.1\n",
    );
    let p1 = f.pid("s:0");
    kill(p1, libc::SIGKILL);
    let p2 = f.wait_new_pid("s:0", p1, 10.0);
    assert_eq!(f.status("s:0")["last_exit"], json!("killed by SIGKILL"));
    kill(p2, libc::SIGSEGV);
    let p3 = f.wait_new_pid("s:0", p2, 10.0);
    let s = f.status("s:0");
    assert_eq!(s["last_exit"], json!("killed by SIGSEGV"));
    assert_eq!(s["restarts"], json!(2));
    assert!(alive(p3) && !alive(p1) && !alive(p2));
    f.quit();
    assert!(!alive(p3));
}

#[test]
fn a_program_ignoring_sigterm_is_killed_after_the_stop_timeout() {
    let f = Fixture::start(
        "term",
        r#"[programs.stubborn]
command = "python3"
args = ["-c", "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nprint('ready', flush=True)\ntime.sleep(1000)"]
startsecs = 0.1
stop_timeout = 1.0
"#,
    );
    let pid = f.pid("stubborn:0");
    // Let python install its handler (it prints once it has).
    let log = f.dir.join("logs/stubborn.out.log");
    eventually(10.0, "python ready", || {
        std::fs::read_to_string(&log).is_ok_and(|s| s.contains("ready"))
    });
    let t0 = Instant::now();
    f.ok("stop", json!({ "name": "stubborn" }));
    let took = t0.elapsed();
    assert!(!alive(pid), "still alive after stop");
    assert!(
        took >= Duration::from_millis(900),
        "stopped too early: {took:?}"
    );
    assert!(
        took < Duration::from_secs(6),
        "escalation too slow: {took:?}"
    );
    let s = f.status("stubborn:0");
    assert_eq!(s["state"], json!("stopped"));
}

#[test]
fn a_flapping_program_backs_off_longer_each_time_then_is_given_up() {
    let f = Fixture::start(
        "flap",
        r#"[programs.flap]
command = "sh"
args = ["-c", "exit 3"]
startsecs = 1
retries = 3
backoff = 0.1
backoff_max = 10
backoff_jitter = 0
autostart = false
"#,
    );
    let ev = f.subscribe();
    f.ok("start", json!({ "name": "flap" }));
    let mut delays = Vec::new();
    for _ in 0..3 {
        let e = ev.next("backoff", "flap:0", 10.0);
        delays.push(e["delay"].as_f64().unwrap());
    }
    ev.next("fatal", "flap:0", 10.0);
    assert_eq!(delays, vec![0.1, 0.2, 0.4]);
    let s = f.wait_state("flap:0", "fatal", 5.0);
    assert_eq!(s["last_exit"], json!("exit status 3"));
    // An explicit start forgets the failures and tries again.
    f.ok("start", json!({ "name": "flap" }));
    let e = ev.next("spawn", "flap:0", 5.0);
    assert!(e["pid"].as_i64().is_some());
}

#[test]
fn stopping_a_double_forking_program_leaves_nothing() {
    let mark = format!("CUBE_TEST_MARK=df{}", std::process::id());
    let (k, v) = mark.split_once('=').unwrap();
    let f = Fixture::start(
        "dfork",
        &format!(
            r#"[programs.df]
command = "sh"
args = ["-c", "setsid sleep 1001 & (sleep 1002 &) ; sleep 1003 & exec sleep 1000"]
env = {{ {k} = "{v}" }}
startsecs = 0.3
stop_timeout = 2
"#
        ),
    );
    f.pid("df:0");
    eventually(10.0, "four processes", || with_env(&mark).len() == 4);
    f.ok("stop", json!({ "name": "df" }));
    eventually(5.0, "nothing left after stop", || {
        with_env(&mark).is_empty()
    });
    // Started again, then the supervisor quits: nothing left either.
    f.ok("start", json!({ "name": "df" }));
    eventually(10.0, "four processes again", || with_env(&mark).len() == 4);
    f.quit();
    eventually(5.0, "nothing left after quit", || {
        with_env(&mark).is_empty()
    });
}

#[test]
fn a_crashed_program_takes_its_process_group_with_it() {
    let mark = format!("CUBE_TEST_MARK=grp{}", std::process::id());
    let (k, v) = mark.split_once('=').unwrap();
    let f = Fixture::start(
        "group",
        &format!(
            "[programs.g]\ncommand = \"sh\"\nargs = [\"-c\", \"sleep 1004 & sleep 1005\"]\nenv = {{ {k} = \"{v}\" }}\nstartsecs = 0.1\n"
        ),
    );
    let p = f.pid("g:0");
    eventually(10.0, "two sleeps and sh", || with_env(&mark).len() == 3);
    kill(p, libc::SIGKILL);
    f.wait_new_pid("g:0", p, 10.0);
    // Old group gone, new one complete.
    eventually(10.0, "one generation only", || with_env(&mark).len() == 3);
}

#[test]
fn reload_keeps_unchanged_programs_and_their_pids() {
    let prog = |name: &str, arg: &str| {
        format!("[programs.{name}]\ncommand = \"sleep\"\nargs = [\"{arg}\"]\nstartsecs = 0.1\n")
    };
    let f = Fixture::start(
        "reload",
        &format!(
            "{}{}{}",
            prog("a", "1000"),
            prog("b", "1000"),
            prog("c", "1000")
        ),
    );
    let (a, b, c) = (f.pid("a:0"), f.pid("b:0"), f.pid("c:0"));
    f.rewrite(&format!(
        "{}{}{}",
        prog("a", "1000"),
        prog("b", "1001"),
        prog("d", "1000")
    ));
    let r = f.ok("reload", json!({}));
    assert_eq!(r["unchanged"], json!(["a"]));
    assert_eq!(r["changed"], json!(["b"]));
    assert_eq!(r["removed"], json!(["c"]));
    assert_eq!(r["added"], json!(["d"]));
    assert_eq!(f.pid("a:0"), a);
    let b2 = f.pid("b:0");
    assert_ne!(b2, b);
    assert!(!alive(b) && !alive(c) && alive(a));
    f.pid("d:0");
    let all = f.ok("status", json!({}));
    let ids: Vec<_> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, ["a:0", "b:0", "d:0"]);
    assert!(f.request("status", json!({ "name": "c" }))["error"]
        .as_str()
        .unwrap()
        .contains("no such program"));
    // A broken config is refused and changes nothing.
    std::fs::write(&f.config, "[programs.x]\nnumprocs = 'many'\n").unwrap();
    let r = f.request("reload", json!({}));
    assert_eq!(r["ok"], json!(false));
    assert!(
        r["error"]
            .as_str()
            .unwrap()
            .contains("sup.toml:2: programs.x.numprocs"),
        "{r}"
    );
    assert_eq!(f.pid("a:0"), a);
}

#[test]
fn bad_requests_get_json_errors() {
    let f = Fixture::start(
        "bad",
        "[programs.s]\ncommand = \"sleep\"\nargs = [\"1000\"]\n",
    );
    let ctx = zmq::Context::new();
    let s = ctx.socket(zmq::DEALER).unwrap();
    s.set_rcvtimeo(10_000).unwrap();
    s.connect(&f.control).unwrap();
    for (req, want) in [
        ("not json", "bad request"),
        ("[1,2]", "JSON object"),
        (r#"{"v":1,"id":7}"#, "no 'command'"),
        (
            r#"{"v":99,"command":"status"}"#,
            "unsupported protocol version",
        ),
        (r#"{"v":1,"command":"explode"}"#, "unknown command"),
        (
            r#"{"v":1,"command":"stop","args":{"name":"nope"}}"#,
            "no such program",
        ),
        (r#"{"v":1,"command":"stop"}"#, "needs a program name"),
        (
            r#"{"v":1,"command":"signal","args":{"name":"s","signal":"NOPE"}}"#,
            "unknown signal",
        ),
        (
            r#"{"v":1,"command":"status","args":[]}"#,
            "must be an object",
        ),
    ] {
        s.send(req.as_bytes(), 0).unwrap();
        let reply: serde_json::Value = serde_json::from_slice(&s.recv_bytes(0).unwrap()).unwrap();
        assert_eq!(reply["ok"], json!(false), "{req}: {reply}");
        assert_eq!(reply["v"], json!(1));
        assert!(
            reply["error"].as_str().unwrap().contains(want),
            "{req}: {reply}"
        );
    }
    // The id comes back.
    s.send(r#"{"v":1,"id":"abc","command":"version"}"#.as_bytes(), 0)
        .unwrap();
    let reply: serde_json::Value = serde_json::from_slice(&s.recv_bytes(0).unwrap()).unwrap();
    assert_eq!(reply["id"], json!("abc"));
    assert_eq!(reply["result"]["protocol"], json!(1));
    // The socket file is private.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(f.control.strip_prefix("ipc://").unwrap())
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn a_missing_command_is_given_up_and_every_state_takes_every_command() {
    let f = Fixture::start(
        "states",
        r#"[programs.missing]
command = "/nonexistent/program"
retries = 1
backoff = 0.05
backoff_jitter = 0

[programs.slow]
command = "sh"
args = ["-c", "exit 1"]
startsecs = 1
backoff = 30
backoff_jitter = 0

[programs.dependent]
command = "sleep"
args = ["1000"]
depends_on = ["missing"]
"#,
    );
    let s = f.wait_state("missing:0", "fatal", 10.0);
    assert!(
        s["last_exit"].as_str().unwrap().contains("spawn failed"),
        "{s}"
    );
    f.wait_state("slow:0", "backoff", 10.0);
    // The dependency never came up: the dependent waits.
    assert_eq!(f.status("dependent:0")["state"], json!("pending"));
    // Every command in every state answers (no hang), and ends in a sane state.
    for name in ["missing", "slow", "dependent"] {
        f.ok("restart", json!({ "name": name }));
        f.ok("stop", json!({ "name": name }));
        f.ok("stop", json!({ "name": name }));
        assert_eq!(f.status(&format!("{name}:0"))["state"], json!("stopped"));
        f.ok("start", json!({ "name": name }));
        f.ok("start", json!({ "name": name }));
    }
    f.pid("dependent:0");
    f.ok("signal", json!({ "name": "all", "signal": "CONT" }));
    f.ok("tail", json!({ "name": "all" }));
}
