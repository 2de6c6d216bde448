//! What the socket tests share: a server process that prints its port on its first line
//! of output (a `cube-cli run` script, or a peer such as a Python server), killed when
//! the test drops it.

// Each test binary compiles this module and uses part of it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const CUBE: &str = env!("CARGO_BIN_EXE_cube-cli");

/// How long a server may take to print its port (a cold debug build on a busy machine).
const PORT_DEADLINE: Duration = Duration::from_secs(30);

/// A server process and the port it printed; killed when dropped.
pub struct Server {
    pub child: Child,
    pub port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `cmd` with its output piped; its first line ends with the port, bare or as
/// `host:port`. Panics (the test fails) if no port comes within the deadline.
pub fn spawn_printing_port(mut cmd: Command) -> Server {
    let mut child = cmd
        .stdout(Stdio::piped())
        .spawn()
        .expect("the server starts");
    let out = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    // A reader thread, so a server that never prints is a deadline, not a hang.
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(out).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(PORT_DEADLINE)
        .expect("the server prints its port");
    let port = line
        .trim()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("a port, got {line:?}"));
    Server { child, port }
}

/// `cube-cli run SCRIPT ARGS...`, its errors on the test's stderr.
pub fn serve_script(script: &str, args: &[&str]) -> Server {
    let mut cmd = Command::new(CUBE);
    cmd.arg("run")
        .arg(script)
        .args(args)
        .stderr(Stdio::inherit());
    spawn_printing_port(cmd)
}
