//! `examples/web/proxy.lua`, the reverse proxy that balances over Lua workers, against
//! a real client (Python's http.client) and two real failing backends: a port nobody
//! listens on, and a TCP server that drops every connection without answering.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const CUBE: &str = env!("CARGO_BIN_EXE_cube-cli");
const PROXY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/web/proxy.lua");

/// The proxy's `cube-cli run` process; killed when dropped.
struct Proxy {
    child: Child,
    port: u16,
    /// The backends in rotation order, as the proxy printed them.
    backends: Vec<String>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(args: &[&str]) -> Proxy {
    let mut child = Command::new(CUBE)
        .arg("run")
        .arg(PROXY)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("cube-cli runs");
    let out = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut r = BufReader::new(out);
        let (mut a, mut b) = (String::new(), String::new());
        let _ = r.read_line(&mut a);
        let _ = r.read_line(&mut b);
        let _ = tx.send((a, b));
    });
    let (listening, backends) = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the proxy prints its address and backends");
    let port = listening
        .trim()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("listening on ADDR, got {listening:?}"));
    let backends = backends
        .trim()
        .strip_prefix("backends: ")
        .unwrap_or_else(|| panic!("backends: ..., got {backends:?}"))
        .split(' ')
        .map(String::from)
        .collect();
    Proxy {
        child,
        port,
        backends,
    }
}

/// Runs a Python client (timeouts inside); returns its standard output.
fn python(code: &str) -> String {
    let out = Command::new("python3")
        .args(["-c", code])
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "python failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        code
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `count` requests, one after the other on one kept-alive client connection (a POST
/// with a body last); one line each: status, X-Backend, body.
fn requests(port: u16, count: usize) -> Vec<(u16, String, String)> {
    let out = python(&format!(
        r#"
import http.client
c = http.client.HTTPConnection("127.0.0.1", {port}, timeout=30)
for i in range({count}):
    if i == {count} - 1:
        c.request("POST", "/submit", body=b"hello", headers={{"Content-Type": "text/plain"}})
    else:
        c.request("GET", "/page/%d?q=%d" % (i, i))
    r = c.getresponse()
    print(r.status, r.getheader("X-Backend"), r.read().decode().strip(), sep="\t")
"#
    ));
    out.lines()
        .map(|l| {
            let mut f = l.splitn(3, '\t');
            let status = f.next().unwrap().parse().unwrap();
            (
                status,
                f.next().unwrap().to_string(),
                f.next().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// "worker 2, connection <0.31.0>: GET /x" -> ("worker 2", "<0.31.0>", "GET /x").
fn parse_worker(body: &str) -> (String, String, String) {
    let (who, rest) = body.split_once(", connection ").expect(body);
    let (conn, req) = rest.split_once(": ").expect(body);
    (who.to_string(), conn.to_string(), req.to_string())
}

#[test]
fn the_proxy_balances_round_robin_and_gives_502_for_failing_backends() {
    // A backend that refuses: a port bound and closed again.
    let refused = TcpListener::bind("127.0.0.1:0").unwrap();
    let refused_port = refused.local_addr().unwrap().port();
    drop(refused);
    // A backend that takes the connection and closes it without a word.
    let dropper = TcpListener::bind("127.0.0.1:0").unwrap();
    let dropper_port = dropper.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for s in dropper.incoming() {
            drop(s);
        }
    });
    let refused_addr = format!("127.0.0.1:{refused_port}");
    let dropper_addr = format!("127.0.0.1:{dropper_port}");
    let proxy = start(&["127.0.0.1:0", "3", &refused_addr, &dropper_addr]);
    assert_eq!(proxy.backends.len(), 5, "{:?}", proxy.backends);
    assert_eq!(
        proxy.backends[3..],
        [refused_addr.clone(), dropper_addr.clone()]
    );

    let got = requests(proxy.port, 11);
    assert_eq!(got.len(), 11, "{got:?}");
    let mut seen = std::collections::HashMap::new();
    for (i, (status, backend, body)) in got.iter().enumerate() {
        // Round-robin: request i goes to backend i mod 5, whatever the others did.
        assert_eq!(backend, &proxy.backends[i % 5], "request {i}: {got:?}");
        match i % 5 {
            3 | 4 => {
                assert_eq!(*status, 502, "request {i}: {got:?}");
                assert!(
                    body.starts_with(&format!("bad gateway: backend {backend}: ")),
                    "{body}"
                );
            }
            w => {
                assert_eq!(*status, 200, "request {i}: {got:?}");
                let (who, conn, req) = parse_worker(body);
                assert_eq!(who, format!("worker {}", w + 1));
                if i == 10 {
                    assert_eq!(req, "POST /submit (5 bytes)");
                } else {
                    assert_eq!(req, format!("GET /page/{i}?q={i}"));
                }
                // The proxy pools its connections to a backend: the worker's second
                // request came on the connection (the process) of its first.
                if let Some(first) = seen.insert(w, conn.clone()) {
                    assert_eq!(first, conn, "request {i} took a new backend connection");
                }
            }
        }
    }
    // Three workers answered, each on its own port.
    let ports: std::collections::HashSet<_> = proxy.backends[..3].iter().collect();
    assert_eq!(ports.len(), 3);
}

#[test]
fn a_backend_that_does_not_answer_gives_504_after_the_timeout() {
    // A backend that takes the connection and the request and never says a word: the
    // proxy's request to it times out (10 s) and the client gets 504 naming it.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_addr = format!("127.0.0.1:{}", silent.local_addr().unwrap().port());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in silent.incoming() {
            held.push(s); // kept open, never written to
        }
    });
    let proxy = start(&["127.0.0.1:0", "0", &silent_addr]);
    assert_eq!(proxy.backends, std::slice::from_ref(&silent_addr));
    let got = requests(proxy.port, 1);
    assert_eq!(got.len(), 1, "{got:?}");
    let (status, backend, body) = &got[0];
    assert_eq!(*status, 504, "{got:?}");
    assert_eq!(backend, &silent_addr);
    assert!(
        body.starts_with(&format!("bad gateway: backend {silent_addr}: timeout")),
        "{body}"
    );
}

#[test]
fn parallel_clients_are_spread_evenly_over_the_workers() {
    let proxy = start(&["127.0.0.1:0", "4"]);
    // 4 client connections at once, 10 requests each: the balancer hands out the
    // backends in turn, so every worker gets exactly 10 whatever the interleaving.
    let out = python(&format!(
        r#"
import collections, http.client, threading
counts, lock = collections.Counter(), threading.Lock()
def client():
    c = http.client.HTTPConnection("127.0.0.1", {port}, timeout=30)
    for i in range(10):
        c.request("GET", "/")
        r = c.getresponse()
        body = r.read().decode()
        assert r.status == 200, (r.status, body)
        with lock:
            counts[body.split(",")[0]] += 1
ts = [threading.Thread(target=client) for _ in range(4)]
for t in ts: t.start()
for t in ts: t.join()
for k in sorted(counts): print(k, counts[k])
"#,
        port = proxy.port
    ));
    assert_eq!(
        out, "worker 1 10\nworker 2 10\nworker 3 10\nworker 4 10\n",
        "{out}"
    );
}

#[test]
fn bad_arguments_are_errors_not_hangs() {
    for (args, want) in [
        (&["127.0.0.1:0", "x"][..], "WORKERS must be a whole number"),
        (&["127.0.0.1:0", "0"][..], "no backends"),
        (
            &["127.0.0.1:0", "1", "nonsense"][..],
            "a backend is HOST:PORT",
        ),
    ] {
        let out = Command::new(CUBE)
            .arg("run")
            .arg(PROXY)
            .args(args)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want), "{args:?}: {err}");
    }
}
