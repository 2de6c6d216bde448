//! TLS of the `http` library (cube-http's tls.rs, rustls) against real peers: curl and
//! Python's `ssl` (an https server, and `websockets` over wss) on the server side,
//! Python's https server and cube's own on the client side. Certificates are made at
//! test time with the openssl command: a test CA and a leaf for localhost and
//! 127.0.0.1 signed by it, and a second CA that signed nothing of ours.

use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::{spawn_printing_port, Server, CUBE};

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("cube-https-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// In `dir`: ca.pem (with ca.key), cert.pem/key.pem for `names` signed by it, and
/// other-ca.pem.
fn make_certs(dir: &Path, names: &str) {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    for (ca, cn) in [("ca", "cube test CA"), ("other-ca", "someone else")] {
        let (key, pem, subj) = (
            format!("{ca}.key"),
            format!("{ca}.pem"),
            format!("/CN={cn}"),
        );
        let mut a = vec![
            "req", "-x509", "-days", "2", "-subj", &subj, "-keyout", &key, "-out", &pem,
        ];
        a.extend(ec);
        openssl(dir, &a);
    }
    let mut a = vec![
        "req",
        "-subj",
        "/CN=cube test server",
        "-keyout",
        "key.pem",
        "-out",
        "req.csr",
    ];
    a.extend(ec);
    openssl(dir, &a);
    std::fs::write(
        dir.join("ext"),
        format!("subjectAltName={names}\nbasicConstraints=CA:FALSE\n"),
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "req.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "ext",
            "-out",
            "cert.pem",
        ],
    );
}

fn tls_server(dir: &Path) -> Server {
    let mut c = Command::new(CUBE);
    c.arg("run")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/http/tls_server.lua"
        ))
        .arg(dir);
    spawn_printing_port(c)
}

/// Runs a Lua script with `args`; its output.
fn lua(dir: &Path, src: &str, args: &[&str]) -> String {
    let p = dir.join("client.lua");
    std::fs::write(&p, src).unwrap();
    let out = Command::new("timeout")
        .arg("60")
        .arg(CUBE)
        .arg("run")
        .arg(&p)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn curl(args: &[&str]) -> (bool, String) {
    let out = Command::new("curl")
        .args(["-s", "-S", "--max-time", "10"])
        .args(args)
        .output()
        .expect("curl runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

#[test]
fn server_over_tls_with_curl() {
    let dir = scratch("server");
    make_certs(&dir, "DNS:localhost,IP:127.0.0.1");
    let srv = tls_server(&dir);
    let ca = dir.join("ca.pem");
    let ca = ca.to_str().unwrap();
    let base = format!("https://localhost:{}", srv.port);
    // Two requests on one kept-alive TLS connection: the second makes no new connect.
    let (ok, out) = curl(&[
        "--cacert",
        ca,
        "-w",
        " [%{num_connects}]\n",
        &format!("{base}/hi?n=1"),
        &format!("{base}/hi?n=2"),
    ]);
    assert!(ok, "{out}");
    assert_eq!(out, "hello over tls 1 [1]\nhello over tls 2 [0]\n");
    // Large bodies both ways (many TLS records).
    let (ok, out) = curl(&[
        "--cacert",
        ca,
        &format!("https://127.0.0.1:{}/big", srv.port),
    ]);
    assert!(
        ok && out.len() == 1_000_000 && out.starts_with("0123456789"),
        "{}",
        out.len()
    );
    let body = "x".repeat(300_000);
    std::fs::write(dir.join("body"), &body).unwrap();
    let at = format!("@{}", dir.join("body").to_str().unwrap());
    let (ok, out) = curl(&[
        "--cacert",
        ca,
        "--data-binary",
        &at,
        &format!("{base}/echo"),
    ]);
    assert!(ok && out == body, "{}", out.len());
    // HTTP/1.0 clients offer their own ALPN name.
    let (ok, out) = curl(&["--cacert", ca, "--http1.0", &format!("{base}/hi")]);
    assert!(ok, "{out}");
    assert_eq!(out, "hello over tls ");
    // A client that trusts another CA refuses us; plain HTTP to the TLS port gets no
    // answer; the server goes on serving.
    let other = dir.join("other-ca.pem");
    let (ok, out) = curl(&["--cacert", other.to_str().unwrap(), &format!("{base}/hi")]);
    assert!(!ok, "{out}");
    let (ok, _) = curl(&[&format!("http://127.0.0.1:{}/hi", srv.port)]);
    assert!(!ok);
    let (ok, out) = curl(&["--cacert", ca, &format!("{base}/hi?n=3")]);
    assert!(ok && out == "hello over tls 3", "{out}");
}

#[test]
fn wss_with_python_websockets() {
    let dir = scratch("wss");
    make_certs(&dir, "DNS:localhost,IP:127.0.0.1");
    let srv = tls_server(&dir);
    let code = format!(
        r#"
import ssl
from websockets.sync.client import connect
ctx = ssl.create_default_context(cafile={ca:?})
with connect("wss://localhost:{port}/echo", ssl=ctx, open_timeout=10) as ws:
    ws.send("over tls"); print(ws.recv(timeout=10))
    ws.send(b"\x00" * 5000); print(len(ws.recv(timeout=10)))
"#,
        ca = dir.join("ca.pem").to_str().unwrap(),
        port = srv.port
    );
    let out = Command::new("timeout")
        .args(["60", "python3", "-c", &code])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "over tls\n5000\n");
}

const PY_HTTPS: &str = r#"
import http.server, ssl, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        b = ("python saw " + self.path).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)
    def log_message(self, *a): pass
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1] + "/cert.pem", sys.argv[1] + "/key.pem")
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print(srv.server_address[1], flush=True)
srv.serve_forever()
"#;

const CLIENT: &str = r#"
local port, dir = ...
local function get(url, ca)
  local r, err = http.request{url = url, ca = ca, timeout = 10}
  if r then print(r.status, r.body) else print("error", err) end
end
get("https://localhost:" .. port .. "/a?b=1", dir .. "/ca.pem")
get("https://localhost:" .. port .. "/again", dir .. "/ca.pem")
get("https://localhost:" .. port .. "/", dir .. "/other-ca.pem")
get("https://localhost:" .. port .. "/", nil)
"#;

#[test]
fn client_against_python_https_server() {
    let dir = scratch("client-py");
    make_certs(&dir, "DNS:localhost");
    let mut c = Command::new("python3");
    c.args(["-c", PY_HTTPS]).arg(&dir);
    let py = spawn_printing_port(c);
    let out = lua(&dir, CLIENT, &[&py.port.to_string(), dir.to_str().unwrap()]);
    assert_eq!(
        out,
        "200\tpython saw /a?b=1\n200\tpython saw /again\n\
         error\tinvalid peer certificate: UnknownIssuer\n\
         error\tinvalid peer certificate: UnknownIssuer\n",
        "verified against the CA given, and by default against Mozilla's roots (which do not hold our test CA)"
    );
    // A certificate for another name is refused even from the right CA.
    let out = lua(
        &dir,
        "local port, dir = ...\nprint(http.request{url = 'https://127.0.0.1:' .. port .. '/', ca = dir .. '/ca.pem'})",
        &[&py.port.to_string(), dir.to_str().unwrap()],
    );
    assert!(out.starts_with("nil\tinvalid peer certificate: "), "{out}");
    assert!(out.contains("not valid for name \"127.0.0.1\""), "{out}");
}

#[test]
fn client_against_cube_tls_server_and_bad_options() {
    let dir = scratch("client-cube");
    make_certs(&dir, "DNS:localhost,IP:127.0.0.1");
    let srv = tls_server(&dir);
    let out = lua(
        &dir,
        r#"
local port, dir = ...
local ca = dir .. "/ca.pem"
for i = 1, 3 do
  local r = assert(http.request{url = "https://127.0.0.1:" .. port .. "/hi?n=" .. i, ca = ca})
  print(r.status, r.body)
end
local r = assert(http.request{method = "POST", url = "https://localhost:" .. port .. "/echo",
                              body = string.rep("y", 200000), ca = ca})
print(#r.body)
print(pcall(http.server, {listen = "127.0.0.1:0", tls = {cert = dir .. "/none.pem", key = dir .. "/key.pem"},
                          handler = function() end}))
print(pcall(http.server, {listen = "127.0.0.1:0", tls = {cert = dir .. "/ca.pem", key = dir .. "/key.pem"},
                          handler = function() end}))
print(pcall(http.server, {listen = "127.0.0.1:0", tls = "yes", handler = function() end}))
"#,
        &[&srv.port.to_string(), dir.to_str().unwrap()],
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[..4],
        [
            "200\thello over tls 1",
            "200\thello over tls 2",
            "200\thello over tls 3",
            "200000"
        ]
    );
    assert!(
        lines[4].starts_with("false\t") && lines[4].contains("cannot read certificates from"),
        "{}",
        lines[4]
    );
    assert!(
        lines[5].starts_with("false\t") && lines[5].contains("do not go together"),
        "{}",
        lines[5]
    );
    assert!(
        lines[6].contains("'tls' must be a table {cert = \"cert.pem\", key = \"key.pem\"}"),
        "{}",
        lines[6]
    );
}
