//! The dashboard (`supervise --http`, `run --observer`) as its users meet it: the real
//! binary supervising real programs, its page and API over real HTTP and WebSocket
//! (raw sockets and tungstenite), access control off loopback, bad requests, and the
//! page itself in a real browser: headless Chromium driven over its DevTools protocol
//! loads the page and clicks stop, then start, on a program and sees its state change
//! (scripts/test installs Debian's chromium; without it that test says so and skips).

use serde_json::{json, Value as Json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_cube-cli");

fn temp_dir(what: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cube-dash-{what}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A running `cube-cli`, killed (its whole process group) when dropped.
struct Running {
    child: Child,
    _lines: mpsc::Receiver<String>,
    /// host:port the dashboard listens on, and its token if it printed one.
    addr: String,
    token: Option<String>,
}

impl Drop for Running {
    fn drop(&mut self) {
        // SAFETY: signalling the process group the child leads.
        unsafe { libc::kill(-(self.child.id() as i32), libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `cube-cli ARGS` and waits for its `dashboard at http://...` line.
fn start(args: &[&str], dir: &Path) -> Running {
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let err = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for l in BufReader::new(err).lines().map_while(Result::ok) {
            let _ = tx.send(l);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(line) = rx.recv_timeout(left) else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("no 'dashboard at' line within 60 s");
        };
        if let Some(rest) = line.strip_prefix("cube-cli: dashboard at http://") {
            let (addr, rest) = rest.split_once('/').unwrap();
            let token = rest
                .strip_prefix("?token=")
                .map(|t| t.split_whitespace().next().unwrap().to_string());
            // A wildcard address is reached on loopback.
            let port = addr.rsplit_once(':').unwrap().1;
            let addr = if addr.starts_with("0.0.0.0") {
                format!("127.0.0.1:{port}")
            } else {
                addr.to_string()
            };
            return Running {
                child,
                _lines: rx,
                addr,
                token,
            };
        }
    }
}

struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    fn json(&self) -> Json {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }
}

/// One request on its own connection (`Connection: close`), raw bytes in and out.
fn raw(addr: &str, request: &[u8]) -> Resp {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.write_all(request).unwrap();
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    let end = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no response head: {:?}", String::from_utf8_lossy(&buf)));
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = buf[end + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if chunked {
        body = dechunk(&body);
    }
    Resp {
        status,
        headers,
        body,
    }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(i) = b.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let n = usize::from_str_radix(std::str::from_utf8(&b[..i]).unwrap().trim(), 16).unwrap();
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&b[i + 2..i + 2 + n]);
        b = &b[i + 4 + n..];
    }
}

fn request(addr: &str, method: &str, path: &str, extra: &str) -> Resp {
    raw(
        addr,
        format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\n{extra}Connection: close\r\n\r\n")
            .as_bytes(),
    )
}

type Ws = tungstenite::WebSocket<TcpStream>;

fn websocket(addr: &str, query: &str) -> Result<Ws, tungstenite::Error> {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    tungstenite::client(format!("ws://{addr}/ws{query}"), s)
        .map(|(ws, _)| ws)
        .map_err(|e| match e {
            tungstenite::HandshakeError::Failure(e) => e,
            tungstenite::HandshakeError::Interrupted(_) => panic!("interrupted handshake"),
        })
}

/// Reads state updates until `f` holds for one (within `secs`); returns it.
fn until(ws: &mut Ws, secs: u64, what: &str, f: impl Fn(&Json) -> bool) -> Json {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        match ws.read().unwrap() {
            tungstenite::Message::Text(t) => {
                let v: Json = serde_json::from_str(t.as_str()).unwrap();
                if f(&v) {
                    return v;
                }
            }
            tungstenite::Message::Close(c) => panic!("closed: {c:?}"),
            _ => {}
        }
    }
}

fn program<'a>(state: &'a Json, id: &str) -> Option<&'a Json> {
    state["programs"].as_array()?.iter().find(|p| p["id"] == id)
}

fn prog_state(state: &Json, id: &str) -> String {
    program(state, id)
        .and_then(|p| p["state"].as_str())
        .unwrap_or("")
        .to_string()
}

/// What `ctl status` says of one instance: the supervisor's own account.
fn ctl_state(config: &Path, id: &str) -> String {
    let out = Command::new(BIN)
        .args(["ctl", "--json", "--timeout", "30", "-c"])
        .arg(config)
        .args(["status", id])
        .output()
        .unwrap();
    let v: Json = serde_json::from_slice(&out.stdout).unwrap_or(Json::Null);
    v["result"][0]["state"].as_str().unwrap_or("").to_string()
}

fn write_config(dir: &Path) -> PathBuf {
    let path = dir.join("sup.toml");
    std::fs::write(
        &path,
        "[supervisor]\nlog_dir = \"logs\"\n\n\
         [programs.sleeper]\ncommand = \"sleep\"\nargs = [\"1000\"]\nstartsecs = 0\nstop_timeout = 5\n\n\
         [programs.talker]\ncommand = \"sh\"\n\
         args = [\"-c\", \"i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.2; done\"]\n\
         startsecs = 0\nstop_timeout = 2\n",
    )
    .unwrap();
    path
}

#[test]
fn supervise_api_stops_and_starts_and_pushes_state() {
    let dir = temp_dir("api");
    let config = write_config(&dir);
    let cfg = config.to_str().unwrap();
    let d = start(
        &[
            "supervise",
            cfg,
            "--schedulers",
            "2",
            "--http",
            "127.0.0.1:0",
        ],
        &dir,
    );
    assert!(d.token.is_none(), "no token on loopback unless asked for");
    let a = d.addr.as_str();

    // The page and its assets, from the binary.
    let page = request(a, "GET", "/", "");
    assert_eq!(page.status, 200);
    assert!(page
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    let html = String::from_utf8_lossy(&page.body);
    assert!(html.contains("<title>cube dashboard</title>"), "{html}");
    assert!(html.contains("src=\"app.js\""), "{html}");
    let js = request(a, "GET", "/app.js", "");
    assert_eq!(js.status, 200);
    assert!(js
        .header("content-type")
        .unwrap()
        .starts_with("text/javascript"));
    assert!(String::from_utf8_lossy(&js.body).contains("new WebSocket"));
    assert_eq!(request(a, "GET", "/app.css", "").status, 200);

    // Live state over the WebSocket: both programs run; samples bring CPU, memory,
    // schedulers and the talker's log as it grows.
    let mut ws = websocket(a, "").unwrap();
    let s = until(&mut ws, 30, "both running", |s| {
        prog_state(s, "sleeper:0") == "running" && prog_state(s, "talker:0") == "running"
    });
    assert_eq!(s["mode"], "supervise");
    let pid = program(&s, "sleeper:0").unwrap()["pid"].as_i64().unwrap();
    assert!(pid > 0);
    let s = until(&mut ws, 30, "talker's log and samples", |s| {
        let t = program(s, "talker:0").unwrap();
        t["log"].as_array().is_some_and(|l| l.len() >= 3)
            && t["rss"].as_array().is_some_and(|r| r.len() >= 2)
            && s["node"]["sched"].as_array().is_some_and(|x| x.len() == 2)
    });
    let t = program(&s, "talker:0").unwrap();
    let log: Vec<&str> = t["log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert!(log.iter().all(|l| l.starts_with("tick ")), "{log:?}");
    let n0: u64 = log.last().unwrap()[5..].parse().unwrap();
    assert!(
        t["rss"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()
            .as_u64()
            .unwrap()
            > 0
    );
    // The tail follows: later updates carry later lines.
    until(&mut ws, 30, "newer log lines", |s| {
        program(s, "talker:0").unwrap()["log"]
            .as_array()
            .and_then(|l| l.last())
            .and_then(|l| l.as_str())
            .and_then(|l| l[5..].parse::<u64>().ok())
            .is_some_and(|n| n > n0 + 2)
    });

    // A stop through the API stops the program (the supervisor says so too), and the
    // WebSocket shows it; a start brings it back with a new pid.
    let r = request(a, "POST", "/api/programs/sleeper:0/stop", "");
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["ok"], true);
    until(&mut ws, 30, "sleeper stopped", |s| {
        prog_state(s, "sleeper:0") == "stopped"
    });
    assert_eq!(ctl_state(&config, "sleeper:0"), "stopped");
    let r = request(a, "POST", "/api/programs/sleeper/start", "");
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let s = until(&mut ws, 30, "sleeper running again", |s| {
        prog_state(s, "sleeper:0") == "running"
    });
    let pid2 = program(&s, "sleeper:0").unwrap()["pid"].as_i64().unwrap();
    assert_ne!(pid, pid2);
    assert_eq!(ctl_state(&config, "sleeper:0"), "running");

    // A signal: SIGTERM ends `sleep`, and the supervisor restarts it.
    let r = request(a, "POST", "/api/programs/sleeper:0/signal?signal=TERM", "");
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    until(&mut ws, 30, "sleeper restarted after TERM", |s| {
        let p = program(s, "sleeper:0").unwrap();
        p["state"] == "running"
            && p["pid"].as_i64() != Some(pid2)
            && p["restarts"].as_u64() >= Some(1)
    });

    // The same state as one JSON document.
    let st = request(a, "GET", "/api/state", "");
    assert_eq!(st.status, 200);
    assert_eq!(st.header("content-type"), Some("application/json"));
    assert_eq!(st.json()["programs"].as_array().unwrap().len(), 2);

    // Bad requests: 4xx with a reason, and the dashboard and the supervisor go on.
    let r = request(a, "POST", "/api/programs/nosuch/stop", "");
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["ok"], false);
    assert!(
        r.json()["error"].as_str().unwrap().contains("nosuch"),
        "{}",
        r.json()
    );
    assert_eq!(
        request(a, "POST", "/api/programs/sleeper/explode", "").status,
        404
    );
    assert_eq!(
        request(a, "GET", "/api/programs/sleeper/stop", "").status,
        405
    );
    assert_eq!(
        request(a, "POST", "/api/programs/sleeper/signal", "").status,
        400
    );
    assert_eq!(
        request(a, "POST", "/api/programs/sleeper/signal?signal=NOPE", "").status,
        400
    );
    assert_eq!(
        request(a, "POST", "/api/programs/sleeper/signal?signal=%0aX", "").status,
        400
    );
    assert_eq!(request(a, "GET", "/nothing/here", "").status, 404);
    assert_eq!(request(a, "DELETE", "/api/state", "").status, 405);
    assert_eq!(raw(a, b"\x00\x01garbage\r\n\r\n").status, 400);
    let big =
        "POST /api/programs/sleeper/stop HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n";
    assert_eq!(raw(a, big.as_bytes()).status, 413);
    let long = "x".repeat(5000);
    assert_eq!(
        request(a, "POST", &format!("/api/programs/{long}/stop"), "").status,
        400
    );
    // A WebSocket client that talks garbage is closed; the others carry on.
    ws.send(tungstenite::Message::Text("hello?".into()))
        .unwrap();
    let r = request(a, "GET", "/api/state", "");
    assert_eq!(r.status, 200);
    assert_eq!(prog_state(&r.json(), "sleeper:0"), "running");
    until(&mut ws, 30, "updates continue", |s| {
        prog_state(s, "talker:0") == "running"
    });
    assert_eq!(ctl_state(&config, "talker:0"), "running");
    drop(d);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_token_is_required_off_loopback() {
    let dir = temp_dir("auth");
    let config = write_config(&dir);
    let cfg = config.to_str().unwrap();
    // 0.0.0.0 is not loopback: a token is generated and printed.
    let d = start(&["supervise", cfg, "--http", "0.0.0.0:0"], &dir);
    let token = d.token.clone().expect("a generated token in the URL");
    assert_eq!(token.len(), 32);
    let a = d.addr.as_str();
    for path in ["/", "/app.js", "/api/state", "/nothing"] {
        let r = request(a, "GET", path, "");
        assert_eq!(r.status, 401, "{path}");
        assert!(r.header("www-authenticate").unwrap().starts_with("Basic "));
    }
    let r = request(a, "POST", "/api/programs/sleeper/stop", "");
    assert_eq!(r.status, 401);
    match websocket(a, "") {
        Err(tungstenite::Error::Http(resp)) => assert_eq!(resp.status(), 401),
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("an unauthenticated WebSocket was accepted"),
    }
    let wrong = request(a, "GET", "/api/state?token=0123456789abcdef", "");
    assert_eq!(wrong.status, 401);
    let r = request(
        a,
        "GET",
        "/api/state",
        "Authorization: Bearer wrongwrongwrong\r\n",
    );
    assert_eq!(r.status, 401);

    // With it: in the query, as a bearer token, as basic auth's password.
    let r = request(a, "GET", &format!("/?token={token}"), "");
    assert_eq!(r.status, 200);
    assert!(String::from_utf8_lossy(&r.body).contains(&format!("app.js?token={token}")));
    let r = request(
        a,
        "GET",
        "/api/state",
        &format!("Authorization: Bearer {token}\r\n"),
    );
    assert_eq!(r.status, 200);
    let basic = base64(format!("anyone:{token}").as_bytes());
    let r = request(
        a,
        "GET",
        "/app.js",
        &format!("Authorization: Basic {basic}\r\n"),
    );
    assert_eq!(r.status, 200);
    let mut ws = websocket(a, &format!("?token={token}")).unwrap();
    until(&mut ws, 30, "sleeper running", |s| {
        prog_state(s, "sleeper:0") == "running"
    });
    // The unauthenticated stop above did nothing.
    assert_eq!(ctl_state(&config, "sleeper:0"), "running");
    let r = request(
        a,
        "POST",
        &format!("/api/programs/sleeper/stop?token={token}"),
        "",
    );
    assert_eq!(r.status, 200);
    until(&mut ws, 30, "sleeper stopped", |s| {
        prog_state(s, "sleeper:0") == "stopped"
    });
    drop(d);

    // --http-token: required on loopback too, and not printed.
    let d = start(
        &[
            "supervise",
            cfg,
            "--http",
            "0",
            "--http-token",
            "sekrit-token-42",
        ],
        &dir,
    );
    assert!(d.token.is_none());
    let a = d.addr.clone();
    assert_eq!(request(&a, "GET", "/api/state", "").status, 401);
    let r = request(&a, "GET", "/api/state?token=sekrit-token-42", "");
    assert_eq!(r.status, 200);
    drop(d);
    let _ = std::fs::remove_dir_all(&dir);
}

fn base64(b: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in b.chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= c.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn observer_shows_the_nodes_processes() {
    let dir = temp_dir("observer");
    let script = dir.join("busy.lua");
    std::fs::write(
        &script,
        "local w = process.spawn_link(function() process.receive(function() return false end) end)\n\
         process.register('worker_one', w)\n\
         for i = 1, 5 do process.send(w, i) end\n\
         local t = os.time()\n\
         while os.time() - t < 120 do local x = 0; for i = 1, 1e5 do x = x + i end end\n",
    )
    .unwrap();
    let d = start(
        &[
            "run",
            "--schedulers",
            "2",
            "--observer",
            "127.0.0.1:0",
            script.to_str().unwrap(),
        ],
        &dir,
    );
    let mut ws = websocket(&d.addr, "").unwrap();
    let s = until(
        &mut ws,
        30,
        "the worker with its mailbox and a busy scheduler",
        |s| {
            let procs = s["node"]["processes"].as_array();
            let worker = procs.and_then(|p| p.iter().find(|p| p["name"] == "worker_one"));
            let busy = s["node"]["sched"].as_array().is_some_and(|x| {
                x.iter()
                    .any(|l| l.as_array().and_then(|v| v.last()).and_then(Json::as_f64) > Some(0.0))
            });
            worker.is_some_and(|w| w["msgs"].as_u64() == Some(5))
                && busy
                && s["node"]["rss"].as_array().is_some_and(|r| r.len() >= 2)
        },
    );
    assert_eq!(s["mode"], "observer");
    let procs = s["node"]["processes"].as_array().unwrap();
    let w = procs.iter().find(|p| p["name"] == "worker_one").unwrap();
    assert_eq!(w["links"].as_array().unwrap().len(), 1);
    assert!(w["heap"].as_u64().unwrap() > 0);
    // The script's process is running and has done work.
    assert!(procs
        .iter()
        .any(|p| p["reductions"].as_u64() > Some(100_000)));
    assert!(
        s["node"]["heap"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()
            .as_u64()
            > Some(0)
    );
    // No programs here: actions are refused, not crashed on.
    let r = request(&d.addr, "POST", "/api/programs/x/stop", "");
    assert_eq!(r.status, 404);
    assert_eq!(request(&d.addr, "GET", "/api/state", "").status, 200);
    drop(d);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_flags_are_refused_with_a_reason() {
    let dir = temp_dir("flags");
    let config = write_config(&dir);
    let cfg = config.to_str().unwrap();
    for (args, msg) in [
        (
            vec!["supervise", cfg, "--http", "nonsense"],
            "bad dashboard address",
        ),
        (
            vec!["supervise", cfg, "--http", "99999"],
            "bad dashboard address",
        ),
        (
            vec!["supervise", cfg, "--http", "1", "--http-token", "short"],
            "--http-token",
        ),
        (
            vec!["run", "--observer", "1", "--sandbox", "x.lua"],
            "--sandbox",
        ),
    ] {
        let out = Command::new(BIN)
            .args(&args)
            .current_dir(&dir)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(msg), "{args:?}: {err}");
    }
    let out = Command::new(BIN)
        .args(["supervise", cfg, "--http-token", "abcdefghij"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "--http-token needs --http");
    // A port already taken: the supervisor says so and stops its programs.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = Command::new(BIN)
        .args(["supervise", cfg, "--http", &port])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("could not listen"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

// --- The page in a real browser -----------------------------------------------------

fn find_chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser"].into_iter().find(|c| {
        Command::new(c)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// Headless Chromium with its DevTools endpoint, killed with its process group.
struct Browser {
    child: Child,
    profile: PathBuf,
    devtools: String,
}

impl Drop for Browser {
    fn drop(&mut self) {
        // SAFETY: signalling the process group the child leads.
        unsafe { libc::kill(-(self.child.id() as i32), libc::SIGKILL) };
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

fn launch(exe: &str, url: &str, profile: PathBuf) -> Browser {
    let mut child = Command::new(exe)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--remote-debugging-port=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(url)
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let err = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for l in BufReader::new(err).lines().map_while(Result::ok) {
            if let Some(i) = l.find("ws://") {
                let _ = tx.send(l[i..].trim().to_string());
            }
        }
    });
    let Ok(ws) = rx.recv_timeout(Duration::from_secs(60)) else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("chromium printed no DevTools endpoint");
    };
    let hostport = ws["ws://".len()..].split('/').next().unwrap().to_string();
    Browser {
        child,
        profile,
        devtools: hostport,
    }
}

/// One DevTools session on the page target, evaluating JavaScript in it.
struct Page {
    ws: Ws,
    next: u64,
}

impl Page {
    fn attach(b: &Browser, url_prefix: &str) -> Page {
        let deadline = Instant::now() + Duration::from_secs(30);
        let target = loop {
            let r = request(&b.devtools, "GET", "/json/list", "");
            let list = r.json();
            let page = list.as_array().unwrap().iter().find(|t| {
                t["type"] == "page" && t["url"].as_str().is_some_and(|u| u.starts_with(url_prefix))
            });
            if let Some(p) = page {
                break p["webSocketDebuggerUrl"].as_str().unwrap().to_string();
            }
            assert!(Instant::now() < deadline, "no page target: {list}");
            std::thread::sleep(Duration::from_millis(100));
        };
        let s = TcpStream::connect(&b.devtools).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let (ws, _) = tungstenite::client(target, s).unwrap_or_else(|e| panic!("{e:?}"));
        Page { ws, next: 1 }
    }

    /// `Runtime.evaluate` of `expr`; its value (awaited when it is a promise).
    fn eval(&mut self, expr: &str) -> Json {
        let id = self.next;
        self.next += 1;
        let msg = json!({"id": id, "method": "Runtime.evaluate",
            "params": {"expression": expr, "returnByValue": true, "awaitPromise": true}});
        self.ws
            .send(tungstenite::Message::Text(msg.to_string().into()))
            .unwrap();
        loop {
            if let tungstenite::Message::Text(t) = self.ws.read().unwrap() {
                let v: Json = serde_json::from_str(t.as_str()).unwrap();
                if v["id"] == id {
                    if let Some(ex) = v["result"].get("exceptionDetails") {
                        panic!("{expr}: {ex}");
                    }
                    return v["result"]["result"]["value"].clone();
                }
            }
        }
    }

    fn wait_for(&mut self, secs: u64, expr: &str, want: &Json) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let got = self.eval(expr);
            if &got == want {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{expr}: wanted {want}, still {got}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

#[test]
fn chromium_clicks_stop_then_start() {
    let Some(exe) = find_chromium() else {
        eprintln!(
            "SKIPPED chromium_clicks_stop_then_start: no chromium \
             (scripts/test installs Debian's chromium package)"
        );
        return;
    };
    let dir = temp_dir("chromium");
    let config = write_config(&dir);
    let d = start(
        &["supervise", config.to_str().unwrap(), "--http", "0.0.0.0:0"],
        &dir,
    );
    let token = d.token.clone().unwrap();
    let url = format!("http://{}/?token={token}", d.addr);
    let browser = launch(exe, &url, dir.join("profile"));
    let mut page = Page::attach(&browser, &format!("http://{}/", d.addr));
    let state =
        r#"(document.querySelector('tr[data-id="sleeper:0"] td.state') || {}).textContent || """#;
    // The page loaded, its script ran, its WebSocket (with the token) brought the state.
    page.wait_for(
        60,
        "document.querySelector('#conn').textContent",
        &json!("live"),
    );
    page.wait_for(60, state, &json!("running"));
    page.wait_for(
        30,
        r#"document.querySelector('div.log[data-id="talker:0"] pre').textContent.includes("tick")"#,
        &json!(true),
    );
    // Click stop: the supervisor stops the program, the page shows it.
    let clicked = page.eval(
        r#"(() => { const b = document.querySelector('button[data-action="stop"][data-id="sleeper:0"]');
                    b.click(); return b.textContent; })()"#,
    );
    assert_eq!(clicked, json!("stop"));
    page.wait_for(30, state, &json!("stopped"));
    assert_eq!(ctl_state(&config, "sleeper:0"), "stopped");
    // Click start: running again.
    page.eval(
        r#"document.querySelector('button[data-action="start"][data-id="sleeper:0"]').click()"#,
    );
    page.wait_for(30, state, &json!("running"));
    assert_eq!(ctl_state(&config, "sleeper:0"), "running");
    page.wait_for(
        30,
        "document.querySelector('#msg').textContent",
        &json!("sleeper:0: start done"),
    );
    drop(page);
    drop(browser);
    drop(d);
    let _ = std::fs::remove_dir_all(&dir);
}
