//! `cube-cli supervise` and `cube-cli ctl` as a user meets them: the real binary, real
//! child programs, the real control socket. Includes the fault that only the binary can
//! show: SIGKILL of the supervisor itself leaves nothing behind.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_cube-cli");

fn temp_dir(what: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cube-cli-sup-{what}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write_config(dir: &Path, programs: &str) -> PathBuf {
    let path = dir.join("sup.toml");
    std::fs::write(
        &path,
        format!("[supervisor]\nlog_dir = \"logs\"\n\n{programs}"),
    )
    .unwrap();
    path
}

fn supervise(config: &Path, extra: &[&str]) -> Child {
    Command::new(BIN)
        .arg("supervise")
        .arg(config)
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn ctl(config: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(["ctl", "--timeout", "30", "-c"])
        .arg(config)
        .args(args)
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Waits until `ctl status --json` says every instance is running; returns the reply.
fn wait_running(config: &Path, n: usize) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let out = ctl(config, &["--json", "status"]);
        if out.status.success() {
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            let all = v["result"].as_array().unwrap();
            if all.len() == n && all.iter().all(|s| s["state"] == "running") {
                return v;
            }
        }
        assert!(Instant::now() < deadline, "programs did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn wait_exit(child: &mut Child, secs: u64) -> std::process::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            return st;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("supervisor did not exit");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn alive(pid: i64) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(s) => !s[s.rfind(')').unwrap() + 2..].starts_with('Z'),
        Err(_) => false,
    }
}

fn with_env(var: &str) -> Vec<i64> {
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

fn eventually(secs: u64, what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(Instant::now() < deadline, "timed out: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn sigkill_of_the_supervisor_leaves_nothing() {
    let dir = temp_dir("sigkill");
    let mark = format!("CUBE_TEST_MARK=sk{}", std::process::id());
    let (k, v) = mark.split_once('=').unwrap();
    let config = write_config(
        &dir,
        &format!(
            r#"[programs.plain]
command = "sleep"
args = ["1000"]
startsecs = 0.1
env = {{ {k} = "{v}" }}

[programs.forker]
command = "sh"
args = ["-c", "setsid sleep 1001 & (sleep 1002 &) ; exec sleep 1000"]
startsecs = 0.3
env = {{ {k} = "{v}" }}
"#
        ),
    );
    let mut sup = supervise(&config, &[]);
    wait_running(&config, 2);
    eventually(10, "all four started", || with_env(&mark).len() == 4);
    // SAFETY: kill(2) takes plain integers; no memory is involved.
    unsafe { libc::kill(sup.id() as i32, libc::SIGKILL) };
    let _ = sup.wait();
    eventually(10, "nothing left after SIGKILL of the supervisor", || {
        with_env(&mark).is_empty()
    });
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn ctl_drives_a_supervisor_and_sigterm_stops_everything() {
    let dir = temp_dir("ctl");
    let config = write_config(
        &dir,
        r#"[programs.echo]
command = "sh"
args = ["-c", "echo hello from $CUBE_SUP_PROGRAM; echo oops >&2; exec sleep 1000"]
startsecs = 0.1

[programs.pair]
command = "sleep"
args = ["1000"]
numprocs = 2
startsecs = 0.1

[groups]
both = ["echo", "pair"]
"#,
    );
    let mut sup = supervise(&config, &[]);
    let st = wait_running(&config, 3);
    let pids: Vec<i64> = st["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["pid"].as_i64().unwrap())
        .collect();

    let out = ctl(&config, &["status"]);
    assert!(out.status.success());
    let table = text(&out.stdout);
    assert!(table.starts_with("PROGRAM"), "{table}");
    for id in ["echo:0", "pair:0", "pair:1"] {
        assert!(table.contains(id), "{table}");
    }

    eventually(10, "output captured", || {
        let out = ctl(&config, &["tail", "echo"]);
        text(&out.stdout) == "hello from echo\n"
    });
    let out = ctl(&config, &["tail", "echo", "--stderr"]);
    assert_eq!(text(&out.stdout), "oops\n");

    let out = ctl(&config, &["stop", "pair:1"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!alive(pids[2]));
    let out = ctl(&config, &["--json", "status", "pair:1"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["result"][0]["state"], "stopped");

    let out = ctl(&config, &["restart", "both"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let st = wait_running(&config, 3);
    for (i, s) in st["result"].as_array().unwrap().iter().enumerate() {
        assert_ne!(s["pid"].as_i64().unwrap(), pids[i]);
    }

    let out = ctl(&config, &["signal", "echo", "KILL"]);
    assert!(out.status.success());

    // Errors: a JSON error becomes exit status 1 and a message.
    let out = ctl(&config, &["stop", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("no such program or group 'nope'"));

    let live: Vec<i64> = wait_running(&config, 3)["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["pid"].as_i64().unwrap())
        .collect();
    // SAFETY: kill(2) takes plain integers; no memory is involved.
    unsafe { libc::kill(sup.id() as i32, libc::SIGTERM) };
    let status = wait_exit(&mut sup, 30);
    assert!(status.success(), "{status:?}");
    for p in live {
        assert!(!alive(p), "{p} survived");
    }
    assert!(!dir.join("sup.sock").exists(), "socket file left behind");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn config_errors_name_file_line_and_key() {
    let dir = temp_dir("badcfg");
    let config = dir.join("bad.toml");
    std::fs::write(
        &config,
        "[programs.web]\ncommand = \"x\"\nrestart = \"sometimes\"\n",
    )
    .unwrap();
    let out = Command::new(BIN)
        .arg("supervise")
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!(
            "{}:3: programs.web.restart: unknown variant `sometimes`",
            config.display()
        )),
        "{err}"
    );
    let out = Command::new(BIN)
        .arg("supervise")
        .arg(dir.join("missing.toml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn ctl_without_a_supervisor_fails_cleanly() {
    let dir = temp_dir("nosup");
    let out = Command::new(BIN)
        .args(["ctl", "--endpoint"])
        .arg(format!("ipc://{}/none.sock", dir.display()))
        .arg("status")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("no supervisor"),
        "{}",
        text(&out.stderr)
    );
    // A socket file that nothing listens on (its supervisor was killed) and a TCP port
    // that nothing listens on: a clear error at once, not after the 60 s reply timeout.
    let stale = dir.join("stale.sock");
    drop(std::os::unix::net::UnixListener::bind(&stale).unwrap());
    assert!(stale.exists());
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    for endpoint in [
        format!("ipc://{}", stale.display()),
        format!("tcp://127.0.0.1:{closed_port}"),
    ] {
        let start = std::time::Instant::now();
        let out = Command::new(BIN)
            .args(["ctl", "--endpoint", &endpoint, "status"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{endpoint}");
        let err = text(&out.stderr);
        assert!(err.contains("no supervisor at"), "{endpoint}: {err}");
        assert!(
            start.elapsed() < std::time::Duration::from_secs(30),
            "{endpoint}: it waited for the reply timeout"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn supervise_replaces_a_stale_control_socket() {
    let dir = temp_dir("stalesock");
    let config = write_config(
        &dir,
        "[programs.s]\ncommand = \"sleep\"\nargs = [\"1000\"]\n",
    );
    let mut sup = supervise(&config, &[]);
    wait_running(&config, 1);
    // SIGKILL leaves the control socket file behind.
    sup.kill().unwrap();
    let _ = sup.wait();
    let out = ctl(&config, &["status"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("no supervisor at"),
        "{}",
        text(&out.stderr)
    );
    let mut sup = supervise(&config, &[]);
    wait_running(&config, 1);
    assert!(ctl(&config, &["quit"]).status.success());
    wait_exit(&mut sup, 30);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn lua_scripts_start_and_watch_programs() {
    let dir = temp_dir("lua");
    let config = write_config(
        &dir,
        "[programs.base]\ncommand = \"sleep\"\nargs = [\"1000\"]\nstartsecs = 0.1\n",
    );
    let result = dir.join("result.txt");
    let script = dir.join("watch.lua");
    std::fs::write(
        &script,
        format!(
            r#"
programs.subscribe()
local ok, err = programs.start{{name = "extra", command = "sleep", args = {{"1000"}}, startsecs = 0.1}}
assert(ok, err)
-- Wait for the new program to run, seen as events.
while true do
  local m = process.receive(10000)
  assert(m, "no event")
  if m.event == "running" and m.name == "extra" then break end
end
local st = programs.status("extra")[1]
local bad, msg = programs.stop("nope")
local f = io.open({result:?}, "w")
f:write(st.state, " ", tostring(st.pid ~= nil), " ", tostring(bad), " ", msg, "\n")
f:close()
"#
        ),
    )
    .unwrap();
    let mut sup = supervise(&config, &["--script", script.to_str().unwrap()]);
    eventually(20, "script result", || {
        std::fs::read_to_string(&result).is_ok_and(|s| s.ends_with('\n'))
    });
    assert_eq!(
        std::fs::read_to_string(&result).unwrap(),
        "running true nil no such program or group 'nope'\n"
    );
    let st = wait_running(&config, 2);
    assert_eq!(st["result"][1]["id"], "extra:0");
    let out = ctl(&config, &["quit"]);
    assert!(out.status.success());
    assert!(wait_exit(&mut sup, 30).success());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn passthrough_output_is_prefixed_on_the_supervisors_stdout() {
    let dir = temp_dir("pass");
    let config = write_config(
        &dir,
        "[programs.loud]\ncommand = \"sh\"\nargs = [\"-c\", \"echo shout; echo whisper >&2; exec sleep 1000\"]\nlog = \"passthrough\"\nstartsecs = 0.1\n",
    );
    let sup = supervise(&config, &[]);
    wait_running(&config, 1);
    // A second supervisor on the same control endpoint refuses to start.
    let second = Command::new(BIN)
        .arg("supervise")
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(second.status.code(), Some(1));
    assert!(
        text(&second.stderr).contains("is in use"),
        "{}",
        text(&second.stderr)
    );
    // SIGHUP reloads the configuration.
    let mut cfg = std::fs::read_to_string(&config).unwrap();
    cfg.push_str("\n[programs.quiet]\ncommand = \"sleep\"\nargs = [\"1000\"]\nstartsecs = 0.1\n");
    std::fs::write(&config, cfg).unwrap();
    // SAFETY: kill(2) takes plain integers; no memory is involved.
    unsafe { libc::kill(sup.id() as i32, libc::SIGHUP) };
    wait_running(&config, 2);
    assert!(ctl(&config, &["quit"]).status.success());
    let out = sup.wait_with_output().unwrap();
    assert!(out.status.success());
    let stdout = text(&out.stdout);
    assert!(stdout.contains("[loud:0] shout\n"), "{stdout}");
    assert!(stdout.contains("[loud:0!] whisper\n"), "{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn tail_follow_keeps_printing_across_rotations() {
    use std::io::BufRead;
    let dir = temp_dir("follow");
    let config = write_config(
        &dir,
        "[programs.ticker]\ncommand = \"sh\"\nargs = [\"-c\", \"i=0; while :; do echo tick $i; i=$((i+1)); sleep 0.01; done\"]\nstartsecs = 0.1\nlog_max_bytes = 1024\nlog_backups = 2\n",
    );
    let mut sup = supervise(&config, &[]);
    wait_running(&config, 1);
    let mut tail = Command::new(BIN)
        .args(["ctl", "-c"])
        .arg(&config)
        .args(["tail", "ticker:0", "-n", "1", "-f"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = tail.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    // 250 lines of about 9 bytes cross the 1 KB rotation at least once; every number
    // must come in order, none missing.
    let first: u64 = rx.recv_timeout(Duration::from_secs(10)).unwrap()[5..]
        .parse()
        .unwrap();
    for want in first + 1..first + 250 {
        let line = rx
            .recv_timeout(Duration::from_secs(10))
            .expect("more lines");
        assert_eq!(line, format!("tick {want}"));
    }
    let _ = tail.kill();
    let _ = tail.wait();
    // SAFETY: kill(2) takes plain integers; no memory is involved.
    unsafe { libc::kill(sup.id() as i32, libc::SIGTERM) };
    assert!(wait_exit(&mut sup, 30).success());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Children of `parent` whose command line contains `needle`.
fn children_with(parent: u32, needle: &str) -> Vec<i64> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i64>().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let ppid: u32 = stat[stat.rfind(')').unwrap() + 2..]
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        if ppid == parent && String::from_utf8_lossy(&cmd).contains(needle) {
            out.push(pid);
        }
    }
    out
}

#[test]
fn without_the_sentinel_pdeathsig_still_takes_the_programs_down() {
    let dir = temp_dir("pdeath");
    let config = write_config(
        &dir,
        "[programs.lone]\ncommand = \"sleep\"\nargs = [\"1000\"]\nstartsecs = 0.1\nnumprocs = 2\n",
    );
    let mut sup = supervise(&config, &[]);
    let st = wait_running(&config, 2);
    let pids: Vec<i64> = st["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["pid"].as_i64().unwrap())
        .collect();
    let sentinel = children_with(sup.id(), "__cube-sup-sentinel");
    assert_eq!(sentinel.len(), 1, "one sentinel");
    // SAFETY: kill(2) takes plain integers; no memory is involved.
    unsafe { libc::kill(sentinel[0] as i32, libc::SIGKILL) };
    std::thread::sleep(Duration::from_millis(100));
    // SAFETY: kill(2) takes plain integers; no memory is involved.
    unsafe { libc::kill(sup.id() as i32, libc::SIGKILL) };
    let _ = sup.wait();
    eventually(10, "programs gone by PDEATHSIG", || {
        pids.iter().all(|&p| !alive(p))
    });
    let _ = std::fs::remove_dir_all(&dir);
}

/// Kills the supervisor `pid` if the test fails before it ended it (its sentinel then
/// takes its programs down), so a failing test leaves nothing running.
struct KillOnPanic(u32);

impl Drop for KillOnPanic {
    fn drop(&mut self) {
        if std::thread::panicking() {
            // SAFETY: kill(2) takes plain integers; no memory is involved.
            unsafe { libc::kill(self.0 as i32, libc::SIGKILL) };
        }
    }
}

/// `ctl` with its own reply timeout, checked against the wall clock too.
fn ctl_within(config: &Path, secs: u64, args: &[&str]) -> Output {
    let t = Instant::now();
    let out = Command::new(BIN)
        .args(["ctl", "--timeout", &secs.to_string(), "-c"])
        .arg(config)
        .args(args)
        .output()
        .unwrap();
    assert!(
        t.elapsed() < Duration::from_secs(secs + 5),
        "ctl {args:?} took {:?}",
        t.elapsed()
    );
    out
}

fn status_of(config: &Path, id: &str) -> serde_json::Value {
    let out = ctl_within(config, 10, &["--json", "status", id]);
    assert!(out.status.success(), "status: {}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["result"][0].clone()
}

/// Issue 9, item 9: the supervisor's stdout is a pipe nobody reads and a passthrough
/// program writes tens of MB. Forwarding output must not block supervision: a killed
/// program is restarted, `ctl restart` and `status` answer, the noisy program itself is
/// never blocked on its writes (its pipe is drained, the excess dropped and counted), and
/// once stdout drains again a line says how many bytes were dropped.
#[test]
fn a_stalled_stdout_never_blocks_supervision() {
    let dir = temp_dir("stall");
    let done = dir.join("noisy-done");
    let config = write_config(
        &dir,
        &format!(
            "[programs.noisy]\ncommand = \"sh\"\nargs = [\"-c\", \"head -c 30000000 /dev/zero | tr '\\\\0' x | fold -w 99; touch {done}; exec sleep 1000\"]\nlog = \"passthrough\"\nstartsecs = 0\n\n\
             [programs.victim]\ncommand = \"sleep\"\nargs = [\"1000\"]\nstartsecs = 0\nlog = \"passthrough\"\n",
            done = done.display()
        ),
    );
    let mut sup = Command::new(BIN)
        .arg("supervise")
        .arg(&config)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _guard = KillOnPanic(sup.id());
    // Nobody reads this pipe until the end.
    let mut stalled = sup.stdout.take().unwrap();
    // The noisy program runs to its end: the supervisor drains its pipe and drops what
    // its stdout cannot take.
    eventually(60, "the noisy program finished writing", || done.exists());
    let noisy = status_of(&config, "noisy:0");
    assert!(
        noisy["dropped_bytes"].as_u64().unwrap_or(0) > 1_000_000,
        "{noisy}"
    );
    // A crash is still seen and the program restarted.
    let victim = status_of(&config, "victim:0");
    let pid = victim["pid"].as_i64().expect("victim runs");
    // SAFETY: kill(2) takes plain integers; no memory is involved.
    unsafe { libc::kill(pid as i32, libc::SIGKILL) };
    eventually(15, "the killed program came back", || {
        let s = status_of(&config, "victim:0");
        s["state"] == "running" && s["pid"].as_i64().is_some_and(|p| p != pid)
    });
    // Commands through the manager still answer.
    let out = ctl_within(&config, 15, &["restart", "victim"]);
    assert!(out.status.success(), "restart: {}", text(&out.stderr));
    let out = ctl_within(&config, 10, &["status"]);
    assert!(out.status.success(), "status: {}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("noisy:0: ")
            && text(&out.stdout).contains("bytes of output dropped"),
        "{}",
        text(&out.stdout)
    );
    // stdout drains again: the count of dropped bytes is reported in it.
    let reader = std::thread::spawn(move || {
        use std::io::Read;
        let mut all = Vec::new();
        let _ = stalled.read_to_end(&mut all);
        all
    });
    std::thread::sleep(Duration::from_millis(500));
    let out = ctl_within(&config, 30, &["quit"]);
    assert!(out.status.success());
    assert!(wait_exit(&mut sup, 30).success());
    let all = text(&reader.join().unwrap());
    assert!(
        all.lines()
            .any(|l| l.starts_with("[cube-sup] ") && l.contains("bytes of program output dropped")),
        "no dropped-bytes line in {} bytes of output",
        all.len()
    );
    // Lines are whole: every forwarded line of the noisy program is intact.
    for l in all.lines().filter(|l| l.starts_with("[noisy:0] ")) {
        assert!(
            l == format!("[noisy:0] {}", "x".repeat(99)) || l.len() < 110,
            "{l}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A port P such that P and P + 1 are free now.
fn two_free_ports() -> u16 {
    loop {
        let a = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let p = a.local_addr().unwrap().port();
        if p < 65535 && std::net::TcpListener::bind(("127.0.0.1", p + 1)).is_ok() {
            return p;
        }
    }
}

/// Issue 9, item 10: a tcp control endpoint without `events` works; the events endpoint
/// is the next port (circus's convention), reported by `version`.
#[test]
fn a_tcp_control_endpoint_gets_the_next_port_for_events() {
    let dir = temp_dir("tcp");
    let port = two_free_ports();
    let config = dir.join("sup.toml");
    std::fs::write(
        &config,
        format!(
            "[supervisor]\ncontrol = \"tcp://127.0.0.1:{port}\"\nlog_dir = \"logs\"\n\n\
             [programs.s]\ncommand = \"sleep\"\nargs = [\"1000\"]\nstartsecs = 0\n"
        ),
    )
    .unwrap();
    let mut sup = supervise(&config, &[]);
    let _guard = KillOnPanic(sup.id());
    wait_running(&config, 1);
    let out = ctl(&config, &["--json", "version"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["result"]["control"], format!("tcp://127.0.0.1:{port}"));
    assert_eq!(
        v["result"]["events"],
        format!("tcp://127.0.0.1:{}", port + 1)
    );
    assert!(ctl(&config, &["quit"]).status.success());
    assert!(wait_exit(&mut sup, 30).success());
    let _ = std::fs::remove_dir_all(&dir);
}

/// `tcp://HOST:*`: both sockets get free ports, which `supervise` prints; `ctl -c` says
/// to use `--endpoint`.
#[test]
fn a_wildcard_tcp_port_is_reported() {
    use std::io::BufRead;
    let dir = temp_dir("tcpany");
    let config = dir.join("sup.toml");
    std::fs::write(
        &config,
        "[supervisor]\ncontrol = \"tcp://127.0.0.1:*\"\nlog_dir = \"logs\"\n\n\
         [programs.s]\ncommand = \"sleep\"\nargs = [\"1000\"]\nstartsecs = 0\n",
    )
    .unwrap();
    let mut sup = supervise(&config, &[]);
    let _guard = KillOnPanic(sup.id());
    let mut err = std::io::BufReader::new(sup.stderr.take().unwrap());
    // The supervisor also logs events on stderr (a spawn may come first): the
    // banner is the line that names the control endpoint.
    let mut line = String::new();
    while !line.contains("control at ") {
        line.clear();
        assert!(err.read_line(&mut line).unwrap() > 0, "no banner on stderr");
    }
    let at = |what: &str| -> String {
        let i = line.find(what).unwrap_or_else(|| panic!("{line}")) + what.len();
        line[i..].split([';', '\n']).next().unwrap().to_string()
    };
    let (control, events) = (at("control at "), at("events at "));
    assert!(
        control.starts_with("tcp://127.0.0.1:") && !control.ends_with('*'),
        "{line}"
    );
    assert!(
        events.starts_with("tcp://127.0.0.1:") && events != control,
        "{line}"
    );
    let out = ctl(&config, &["status"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--endpoint"),
        "{}",
        text(&out.stderr)
    );
    let by_endpoint = |args: &[&str]| {
        Command::new(BIN)
            .args(["ctl", "--timeout", "30", "--endpoint", &control])
            .args(args)
            .output()
            .unwrap()
    };
    let out = by_endpoint(&["--json", "version"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["result"]["events"], events);
    assert!(by_endpoint(&["quit"]).status.success());
    assert!(wait_exit(&mut sup, 30).success());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn ctl_replies_one_line_per_instance_and_json_on_request() {
    let dir = temp_dir("oneline");
    let config = write_config(
        &dir,
        "[programs.web]\ncommand = \"sleep\"\nargs = [\"1000\"]\nnumprocs = 2\n",
    );
    let mut sup = supervise(&config, &[]);
    wait_running(&config, 2);
    let out = ctl(&config, &["stop", "web:0"]);
    assert!(out.status.success());
    assert_eq!(text(&out.stdout), "web:0: stopped\n");
    let out = ctl(&config, &["start", "web:0"]);
    assert_eq!(text(&out.stdout), "web:0: started\n");
    let out = ctl(&config, &["heartbeat", "web"]);
    assert_eq!(text(&out.stdout), "web:0: beat\nweb:1: beat\n");
    let out = ctl(&config, &["reload"]);
    assert_eq!(text(&out.stdout), "no changes\n");
    let out = ctl(&config, &["version"]);
    assert!(
        text(&out.stdout).starts_with("cube-cli "),
        "{}",
        text(&out.stdout)
    );
    // While the file is being edited and does not parse, -c still reaches the supervisor.
    let good = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, format!("{good}\n[programs.half\ncommand = ")).unwrap();
    let out = ctl(&config, &["heartbeat", "web:0"]);
    assert_eq!(text(&out.stdout), "web:0: beat\n", "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("warning"),
        "{}",
        text(&out.stderr)
    );
    std::fs::write(&config, good).unwrap();
    let out = ctl(&config, &["--json", "stop", "web:1"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["result"]["stopped"][0], "web:1");
    let out = ctl(&config, &["quit"]);
    assert!(text(&out.stdout).ends_with("supervisor: shut down\n"));
    wait_exit(&mut sup, 30);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_supervisors_script_prints_line_by_line() {
    use std::io::BufRead;
    let dir = temp_dir("scriptout");
    let config = write_config(&dir, "");
    let script = dir.join("hello.lua");
    std::fs::write(
        &script,
        "print('hello from the script')\nprocess.receive()\n",
    )
    .unwrap();
    let mut sup = supervise(&config, &["--script", script.to_str().unwrap()]);
    let stdout = sup.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    // While the supervisor runs on (block-buffered, the line would wait for its exit).
    let line = rx.recv_timeout(std::time::Duration::from_secs(30));
    assert_eq!(line.as_deref(), Ok("hello from the script"));
    assert!(ctl(&config, &["quit"]).status.success());
    wait_exit(&mut sup, 30);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn ctl_pid_and_listen() {
    use std::io::BufRead;
    let dir = temp_dir("pidlisten");
    let config = write_config(
        &dir,
        "[programs.web]\ncommand = \"sleep\"\nargs = [\"1000\"]\nnumprocs = 2\n",
    );
    let mut sup = supervise(&config, &[]);
    let status = wait_running(&config, 2);
    let out = ctl(&config, &["pid"]);
    assert_eq!(text(&out.stdout).trim(), sup.id().to_string());
    let out = ctl(&config, &["pid", "web"]);
    let pids: Vec<i64> = text(&out.stdout)
        .lines()
        .map(|l| l.parse().unwrap())
        .collect();
    let expected: Vec<i64> = status["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["pid"].as_i64().unwrap())
        .collect();
    assert_eq!(pids, expected);
    let mut listener = Command::new(BIN)
        .args(["ctl", "listen", "-c"])
        .arg(&config)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = listener.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    // A subscription takes a moment to reach the publisher: restart until an event shows.
    let mut seen = None;
    for _ in 0..20 {
        assert!(ctl(&config, &["restart", "web:0"]).status.success());
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
        while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
            match rx.recv_timeout(left) {
                Ok(l) if l.contains(" web:0 spawn pid=") => {
                    seen = Some(l);
                    break;
                }
                Ok(_) => continue,
                Err(_) => break,
            }
        }
        if seen.is_some() {
            break;
        }
    }
    let line = seen.expect("a spawn event for web:0");
    assert!(
        line.starts_with("20") && line.contains("Z web:0 spawn"),
        "{line}"
    );
    let _ = listener.kill();
    let _ = listener.wait();
    assert!(ctl(&config, &["quit"]).status.success());
    wait_exit(&mut sup, 30);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_supervisor_logs_what_happens_to_programs() {
    let dir = temp_dir("suplog");
    let config = write_config(
        &dir,
        "[programs.web]\ncommand = \"sleep\"\nargs = [\"1000\"]\n",
    );
    let mut sup = supervise(&config, &[]);
    wait_running(&config, 1);
    assert!(ctl(&config, &["restart", "web"]).status.success());
    let restarted = |text: &str| {
        text.lines()
            .any(|l| l.starts_with("20") && l.contains("Z web:0 restart pid="))
    };
    // In its log file (ctl maintail) ...
    eventually(30, "the restart in the supervisor's log", || {
        restarted(&text(&ctl(&config, &["maintail", "-n", "50"]).stdout))
    });
    assert!(dir.join("logs/supervisor.log").exists());
    assert!(ctl(&config, &["quit"]).status.success());
    wait_exit(&mut sup, 30);
    // ... and on its stderr, with the time of each line.
    let mut err = String::new();
    std::io::Read::read_to_string(&mut sup.stderr.take().unwrap(), &mut err).unwrap();
    assert!(restarted(&err), "{err}");
    // Without a log file, maintail says so.
    let config = write_config(
        &dir,
        "[programs.web]\ncommand = \"sleep\"\nargs = [\"1000\"]\n",
    );
    let text_cfg = std::fs::read_to_string(&config)
        .unwrap()
        .replace("[supervisor]\n", "[supervisor]\nlog_file = \"\"\n");
    std::fs::write(&config, text_cfg).unwrap();
    let mut sup = supervise(&config, &[]);
    wait_running(&config, 1);
    let out = ctl(&config, &["maintail"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("no log file"),
        "{}",
        text(&out.stderr)
    );
    assert!(ctl(&config, &["quit"]).status.success());
    wait_exit(&mut sup, 30);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn ctl_adds_removes_and_resizes_programs_at_run_time() {
    let dir = temp_dir("addrm");
    let config = write_config(
        &dir,
        "[programs.base]\ncommand = \"sleep\"\nargs = [\"1000\"]\n\n\
         [programs.client]\ncommand = \"sleep\"\nargs = [\"1000\"]\ndepends_on = [\"base\"]\n",
    );
    let mut sup = supervise(&config, &[]);
    wait_running(&config, 2);
    let out = ctl(
        &config,
        &["add", "--numprocs", "2", "extra", "sleep", "1000"],
    );
    assert_eq!(text(&out.stdout), "extra: added\n", "{}", text(&out.stderr));
    wait_running(&config, 4);
    let out = ctl(&config, &["set", "extra", "numprocs", "3"]);
    assert_eq!(
        text(&out.stdout),
        "extra: changed\n",
        "{}",
        text(&out.stderr)
    );
    wait_running(&config, 5);
    let out = ctl(&config, &["set", "extra", "command", "true"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("cannot be set"),
        "{}",
        text(&out.stderr)
    );
    let out = ctl(&config, &["rm", "base"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("depends on"),
        "{}",
        text(&out.stderr)
    );
    let out = ctl(&config, &["rm", "extra"]);
    assert_eq!(
        text(&out.stdout),
        "extra: removed\n",
        "{}",
        text(&out.stderr)
    );
    eventually(30, "extra gone", || {
        let v: serde_json::Value =
            serde_json::from_slice(&ctl(&config, &["--json", "status"]).stdout).unwrap();
        v["result"].as_array().unwrap().len() == 2
    });
    assert!(ctl(&config, &["quit"]).status.success());
    wait_exit(&mut sup, 30);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn ctl_stats_measures_cpu_and_memory_of_each_instance() {
    let dir = temp_dir("stats");
    let config = write_config(
        &dir,
        "[programs.idle]\ncommand = \"sleep\"\nargs = [\"1000\"]\n\n\
         [programs.burn]\ncommand = \"sh\"\nargs = [\"-c\", \"while :; do :; done\"]\n",
    );
    let mut sup = supervise(&config, &[]);
    wait_running(&config, 2);
    let out = ctl(&config, &["--json", "stats", "--interval", "0.5"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let row = |id: &str| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("{id} in {rows}"))
    };
    let (burn, idle) = (row("burn:0"), row("idle:0"));
    // A busy loop uses a good share of a core even on a loaded machine; sleep, none.
    assert!(burn["cpu_percent"].as_f64().unwrap() > 5.0, "{burn}");
    assert!(idle["cpu_percent"].as_f64().unwrap() < 5.0, "{idle}");
    assert!(idle["rss_bytes"].as_u64().unwrap() > 0, "{idle}");
    let out = ctl(&config, &["stats", "idle", "--interval", "0.1"]);
    let table = text(&out.stdout);
    assert!(table.starts_with("PROGRAM"), "{table}");
    assert!(
        table.lines().nth(1).unwrap().starts_with("idle:0 "),
        "{table}"
    );
    assert_eq!(
        ctl(&config, &["stats", "--interval", "0"]).status.code(),
        Some(2)
    );
    assert!(ctl(&config, &["quit"]).status.success());
    wait_exit(&mut sup, 30);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_ctl_shell_at_a_terminal() {
    // A person at the `cube>` prompt: Ctrl-C ends `listen` (and the other commands
    // that run until Ctrl-C) and the prompt comes back, as in supervisorctl after
    // `tail -f`; history is written after every entry.
    use rexpect::session::spawn_command;
    let dir = temp_dir("ctlpty");
    let config = write_config(
        &dir,
        "[programs.web]\ncommand = \"sleep\"\nargs = [\"1000\"]\n",
    );
    let mut sup = supervise(&config, &[]);
    wait_running(&config, 1);
    let mut cmd = Command::new(BIN);
    cmd.args(["ctl", "-c"])
        .arg(&config)
        .env("HOME", &dir)
        .env("TERM", "xterm");
    let mut p = spawn_command(cmd, Some(30_000)).expect("ctl starts on a pty");
    p.exp_string("cube> ").unwrap();
    p.send_line("status").unwrap();
    p.exp_string("web:0").unwrap();
    p.exp_string("cube> ").unwrap();
    for streaming in ["listen", "maintail -f", "stats --watch"] {
        p.send_line(streaming).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(500));
        p.send_control('c').unwrap();
        p.exp_string("cube> ").unwrap();
    }
    // Still the same shell, talking to the same supervisor.
    p.send_line("stop web").unwrap();
    p.exp_string("web:0: stopped").unwrap();
    p.exp_string("cube> ").unwrap();
    let history = std::fs::read_to_string(dir.join(".cube_ctl_history")).unwrap_or_default();
    assert!(
        history.contains("listen") && history.contains("stop web"),
        "{history:?}"
    );
    p.send_line("exit").unwrap();
    p.exp_eof().unwrap();
    assert!(ctl(&config, &["shutdown"]).status.success());
    wait_exit(&mut sup, 30);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn ctl_without_a_command_is_an_interactive_shell() {
    use std::io::Write;
    let dir = temp_dir("ctlshell");
    let config = write_config(
        &dir,
        "[programs.web]\ncommand = \"sleep\"\nargs = [\"1000\"]\n",
    );
    let mut sup = supervise(&config, &[]);
    wait_running(&config, 1);
    let mut shell = Command::new(BIN)
        .args(["ctl", "-c"])
        .arg(&config)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    shell
        .stdin
        .take()
        .unwrap()
        .write_all(b"stop web\nbogus\nhelp\nstart web\nexit\nstop web\n")
        .unwrap();
    let out = shell.wait_with_output().unwrap();
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("web:0: stopped\n"), "{stdout}");
    assert!(
        stdout.contains("shutdown"),
        "help lists the commands: {stdout}"
    );
    assert!(
        stdout.ends_with("web:0: started\n"),
        "exit leaves: {stdout}"
    );
    assert!(text(&out.stderr).contains("unrecognized subcommand 'bogus'"));
    // `exit` left the shell: the supervisor still runs its program.
    wait_running(&config, 1);
    assert!(ctl(&config, &["shutdown"]).status.success());
    wait_exit(&mut sup, 30);
    let _ = std::fs::remove_dir_all(&dir);
}

/// An HTTP health check reads the whole response before it hangs up, so the checked
/// server never logs a broken pipe (Python's http.server prints a traceback for one).
#[test]
fn http_health_checks_leave_no_tracebacks_in_the_programs_log() {
    if Command::new("python3").arg("--version").output().is_err() {
        eprintln!("SKIPPED: python3 is not installed");
        return;
    }
    let dir = temp_dir("healthlog");
    let port = two_free_ports();
    // A response big enough not to fit in one read of the check.
    std::fs::write(dir.join("index.html"), "x".repeat(256 * 1024)).unwrap();
    let config = write_config(
        &dir,
        &format!(
            "[programs.web]\ncommand = \"python3\"\n\
             args = [\"-m\", \"http.server\", \"{port}\", \"--bind\", \"127.0.0.1\"]\n\
             cwd = \"{}\"\nenv = {{ PYTHONUNBUFFERED = \"1\" }}\n\
             [[programs.web.health]]\ntype = \"http\"\nurl = \"http://127.0.0.1:{port}/index.html\"\n\
             interval = 0.1\ntimeout = 5\nfailures = 1000\n",
            dir.display()
        ),
    );
    let mut sup = supervise(&config, &[]);
    wait_running(&config, 1);
    let log = dir.join("logs/web.err.log");
    // http.server logs every request on stderr: wait for a few checks.
    eventually(60, "20 checks answered", || {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        text.matches("\"GET /index.html HTTP/1.0\" 200").count() >= 20
    });
    assert!(ctl(&config, &["quit"]).status.success());
    wait_exit(&mut sup, 30);
    let text = std::fs::read_to_string(&log).unwrap();
    for bad in ["Traceback", "BrokenPipe", "ConnectionReset"] {
        assert!(!text.contains(bad), "{bad} in the program's log:\n{text}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
