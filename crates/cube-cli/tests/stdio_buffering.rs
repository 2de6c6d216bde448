//! `setvbuf` on standard output when it is a pipe, observed as a reader of the pipe
//! sees it: what arrives while the script is still running, before it exits. Each
//! case runs under `cube-cli run` and, when installed, under `lua5.2`, and both must
//! show the same thing (lua5.2 on glibc: "no" writes at once, "line" at each newline,
//! "full" and the default, for a pipe, only when the buffer fills or at exit).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_cube-cli");

/// Writes, then waits (without exiting, without reading stdin) until the file `go`
/// exists, then writes the end. `process.sleep` under cube, `sleep` under lua5.2 (whose
/// os.execute does not flush stdout).
const SCRIPT: &str = r#"
local how, go = ...
local sleep = process and process.sleep or function(s) os.execute("sleep " .. s) end
if how == "no" or how == "line" or how == "full" then
  assert(io.stdout:setvbuf(how))
elseif how == "output-line" then
  assert(io.output():setvbuf("line"))
elseif how == "print-line" then
  assert(io.stdout:setvbuf("line"))
  print("printed")
elseif how == "stderr-no" then
  assert(io.stderr:setvbuf("no"))
end
local out = io.stdout
if how:match("^err%-") then
  out = io.stderr
  if how ~= "err-default" then assert(out:setvbuf(how:sub(5))) end
end
out:write("first\n")
out:write("partial")
while not io.open(go) do sleep(0.05) end
out:write(" end\n")
"#;

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cube-cli-stdio-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// Runs the script with stdout a pipe; returns what the reader had seen while the
/// script waited (`expect_early`: how long to wait for it, as it may arrive at once
/// or never), and everything in the end.
fn observe(interp: &[&str], how: &str, early: &str) -> (String, String) {
    let dir = temp_dir();
    let script = dir.join("vbuf.lua");
    std::fs::write(&script, SCRIPT).unwrap();
    let go = dir.join(format!("go-{}-{how}", interp[0].replace('/', "_")));
    let _ = std::fs::remove_file(&go);
    let mut child = Command::new(interp[0])
        .args(&interp[1..])
        .arg(&script)
        .arg(how)
        .arg(&go)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    // The stream under test; the other one is left alone (nothing is written to it).
    let mut out: Box<dyn Read + Send> = if how.starts_with("err-") {
        Box::new(child.stderr.take().unwrap())
    } else {
        Box::new(child.stdout.take().unwrap())
    };
    let sink = seen.clone();
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        loop {
            match out.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => sink.lock().unwrap().extend_from_slice(&buf[..n]),
            }
        }
    });
    // Output expected early gets a generous bound; output expected never, a second
    // (the script is waiting for us, so it cannot have exited meanwhile).
    let wait = if early.is_empty() {
        Duration::from_secs(1)
    } else {
        Duration::from_secs(20)
    };
    let t = Instant::now();
    let text = |v: &Arc<Mutex<Vec<u8>>>| String::from_utf8_lossy(&v.lock().unwrap()).into_owned();
    while t.elapsed() < wait && text(&seen).len() < early.len().max(1) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let before = text(&seen);
    std::fs::write(&go, "").unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "{interp:?} {how}: did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
    reader.join().unwrap();
    let _ = std::fs::remove_file(&go);
    (before, text(&seen))
}

fn check(how: &str, early: &str) {
    let all = if how == "print-line" {
        "printed\nfirst\npartial end\n"
    } else {
        "first\npartial end\n"
    };
    let mut interps: Vec<Vec<&str>> = vec![vec![BIN, "run"]];
    if Path::new("/usr/bin/lua5.2").exists() {
        interps.push(vec!["/usr/bin/lua5.2"]);
    } else {
        eprintln!("lua5.2 not installed: checking cube-cli only");
    }
    for interp in interps {
        let (before, after) = observe(&interp, how, early);
        assert_eq!(before, early, "{interp:?} setvbuf {how}: seen before exit");
        assert_eq!(after, all, "{interp:?} setvbuf {how}: whole output");
    }
}

#[test]
fn unbuffered_stdout_reaches_a_pipe_at_once() {
    check("no", "first\npartial");
}

#[test]
fn line_buffered_stdout_reaches_a_pipe_at_each_newline() {
    check("line", "first\n");
    check("output-line", "first\n");
    check("print-line", "printed\nfirst\n");
}

#[test]
fn fully_buffered_stdout_waits_for_exit() {
    check("full", "");
    check("default", "");
    // Another stream's mode does not change stdout's.
    check("stderr-no", "");
}

#[test]
fn stderr_follows_its_mode_too() {
    // Unbuffered by default, as in C.
    check("err-default", "first\npartial");
    check("err-no", "first\npartial");
    check("err-line", "first\n");
    // Written at exit.
    check("err-full", "");
}
