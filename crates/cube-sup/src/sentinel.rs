//! The sentinel: a small helper process that outlives a supervisor killed with SIGKILL
//! and kills what the supervisor had started.
//!
//! PDEATHSIG takes care of each program itself, but not of its descendants (the flag
//! is cleared on fork), and a SIGKILLed supervisor runs no code. So the supervisor
//! starts the sentinel (a separate executable image: `cube-cli` with a hidden argument,
//! see [`main`]) with a pipe as its stdin whose write end only the supervisor holds.
//! When the supervisor dies, however it dies, the kernel closes that end; the sentinel
//! reads EOF, then SIGKILLs every process whose environment carries a tag of this
//! supervisor (`CUBE_SUP_TAG=<supervisor pid>.<n>`), repeating the sweep until none is
//! left (a process may fork during the sweep). A supervisor that ends normally has
//! already stopped everything, so the sweep finds nothing.

use std::io::Read;
use std::os::fd::OwnedFd;
use std::process::{Command, Stdio};

/// The hidden argument that makes `cube-cli` run [`main`].
pub const ARG: &str = "__cube-sup-sentinel";

/// The running sentinel; dropping it (or the supervisor dying) closes its pipe.
pub struct Sentinel {
    _write: OwnedFd,
}

impl Sentinel {
    /// Starts `cmd` (argv; the supervisor's pid is appended) with the pipe as stdin.
    pub fn start(cmd: &[String]) -> Result<Sentinel, String> {
        let (r, w) = crate::proc::pipe().map_err(|e| e.to_string())?;
        let (prog, args) = cmd.split_first().ok_or("empty sentinel command")?;
        let mut c = Command::new(prog);
        c.args(args)
            .arg(std::process::id().to_string())
            .stdin(Stdio::from(r))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        // Its own process group: a Ctrl-C meant for the supervisor must not reach it
        // before the supervisor has stopped its programs.
        std::os::unix::process::CommandExt::process_group(&mut c, 0);
        crate::proc::reaper()
            .spawn_watched(&mut c, |_, _| {})
            .map_err(|e| format!("cannot start the sentinel: {e}"))?;
        Ok(Sentinel { _write: w })
    }
}

/// The sentinel's body: waits for EOF on stdin, then kills the tagged processes of
/// supervisor `sup_pid`. Returns the exit status.
pub fn main(sup_pid: &str) -> u8 {
    let mut buf = [0u8; 64];
    let mut stdin = std::io::stdin();
    loop {
        match stdin.read(&mut buf) {
            Ok(0) => break,
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        }
    }
    let prefix = format!("CUBE_SUP_TAG={sup_pid}.");
    for _ in 0..50 {
        let found = tagged(&prefix);
        if found.is_empty() {
            return 0;
        }
        for pid in found {
            crate::proc::signal_pid(pid, libc::SIGKILL);
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    1
}

/// Live processes whose environment has a variable starting with `prefix`.
fn tagged(prefix: &str) -> Vec<i32> {
    let me = std::process::id() as i32;
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return out;
    };
    for e in dir.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
            continue;
        };
        if pid == me {
            continue;
        }
        let zombie = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|s| s.rfind(')').map(|i| s[i + 2..].starts_with('Z')))
            .unwrap_or(true);
        if zombie {
            continue;
        }
        if let Ok(env) = std::fs::read(format!("/proc/{pid}/environ")) {
            if env
                .split(|&b| b == 0)
                .any(|var| var.starts_with(prefix.as_bytes()))
            {
                out.push(pid);
            }
        }
    }
    out
}
