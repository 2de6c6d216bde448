//! OS processes: spawning a program so that nothing it starts can outlive it, signalling
//! its whole tree, and reaping.
//!
//! No orphans, by three means together:
//! - Each program runs in its own session (`setsid`), so it leads a process group;
//!   signals go to the group, which holds every descendant that did not leave it.
//! - Each program's environment carries a unique tag (`CUBE_SUP_TAG`). A descendant
//!   that left the group (`setsid`, a double fork) still carries it, and is found by
//!   scanning `/proc/*/environ` ([`members`]). The supervisor is a child subreaper
//!   (`PR_SET_CHILD_SUBREAPER`), so such orphans are reparented to it, not to init,
//!   and are reaped here.
//! - Each program gets `PR_SET_PDEATHSIG = SIGKILL`: if the supervisor dies (even by
//!   SIGKILL) the program dies with it; the sentinel (`sentinel.rs`) takes care of the
//!   descendants.
//!
//! Reaping is event-driven: a SIGCHLD handler writes a byte to a pipe, and one reaper
//! thread wakes on it, reaps every exited child with `waitpid(-1, WNOHANG)` and calls
//! the callback registered for that pid (which sends a message to the program's
//! process). No polling: an idle supervisor's reaper sleeps in `read`. Because it reaps
//! with `waitpid(-1)`, the supervisor owns all child processes of the OS process: other
//! code in it must not wait for its own children (health-check commands go through
//! [`Reaper::spawn_watched`] too).

use std::collections::HashMap;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};

/// How a child ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    Code(i32),
    Signal(i32),
}

impl ExitStatus {
    fn from_wait(status: libc::c_int) -> ExitStatus {
        if libc::WIFSIGNALED(status) {
            ExitStatus::Signal(libc::WTERMSIG(status))
        } else {
            ExitStatus::Code(libc::WEXITSTATUS(status))
        }
    }

    /// `exit status 3` / `killed by SIGKILL`.
    pub fn describe(self) -> String {
        match self {
            ExitStatus::Code(c) => format!("exit status {c}"),
            ExitStatus::Signal(s) => format!("killed by {}", crate::config::signal_name(s)),
        }
    }
}

/// Called on the reaper thread with the pid and how it ended.
type OnExit = Box<dyn FnOnce(i32, ExitStatus) + Send>;

/// The process-wide reaper (one per OS process, since SIGCHLD and `waitpid(-1)` are).
pub struct Reaper {
    watches: Mutex<HashMap<i32, OnExit>>,
}

static REAPER: OnceLock<Reaper> = OnceLock::new();
static WAKE_FD: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(-1);

extern "C" fn on_sigchld(_: libc::c_int) {
    let fd = WAKE_FD.load(std::sync::atomic::Ordering::Relaxed);
    if fd >= 0 {
        let saved = unsafe { *libc::__errno_location() };
        let b = 1u8;
        // SAFETY: write(2) is async-signal-safe; a full pipe just drops the byte (the
        // reaper is awake anyway then).
        unsafe { libc::write(fd, &b as *const u8 as *const libc::c_void, 1) };
        unsafe { *libc::__errno_location() = saved };
    }
}

/// The reaper, started on first use: makes this OS process a child subreaper, installs
/// the SIGCHLD handler and starts the reaper thread.
pub fn reaper() -> &'static Reaper {
    REAPER.get_or_init(|| {
        let (r, w) = pipe().expect("reaper pipe");
        set_nonblocking(w.as_raw_fd());
        WAKE_FD.store(w.as_raw_fd(), std::sync::atomic::Ordering::SeqCst);
        std::mem::forget(w);
        // SAFETY: plain prctl/sigaction calls; the handler only calls write(2).
        unsafe {
            libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_sigchld as *const () as usize;
            sa.sa_flags = libc::SA_RESTART | libc::SA_NOCLDSTOP;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(libc::SIGCHLD, &sa, std::ptr::null_mut());
        }
        std::thread::Builder::new()
            .name("cube-sup-reaper".into())
            .spawn(move || reap_loop(r))
            .expect("reaper thread");
        Reaper {
            watches: Mutex::new(HashMap::new()),
        }
    })
}

fn reap_loop(wake: OwnedFd) {
    let mut buf = [0u8; 256];
    loop {
        // Reap first: children may have exited before the handler was installed.
        loop {
            let mut status = 0;
            // SAFETY: plain waitpid.
            let pid = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
            if pid <= 0 {
                break;
            }
            let cb = reaper().watches.lock().expect("watches lock").remove(&pid);
            if let Some(cb) = cb {
                cb(pid, ExitStatus::from_wait(status));
            }
        }
        // SAFETY: reading into a local buffer.
        let n = unsafe { libc::read(wake.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        if n == 0 {
            return;
        }
    }
}

impl Reaper {
    /// Spawns `cmd` and calls `on_exit` when it ends. The watch is registered under the
    /// lock the reaper takes to look it up, so an exit right after the fork cannot be
    /// missed.
    pub fn spawn_watched(
        &self,
        cmd: &mut Command,
        on_exit: impl FnOnce(i32, ExitStatus) + Send + 'static,
    ) -> io::Result<i32> {
        let mut watches = self.watches.lock().expect("watches lock");
        let child = cmd.spawn()?;
        let pid = child.id() as i32;
        watches.insert(pid, Box::new(on_exit));
        Ok(pid)
    }
}

/// A pipe with both ends close-on-exec.
pub fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills two fds on success.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fresh fds owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

pub fn set_nonblocking(fd: RawFd) {
    // SAFETY: fcntl on an fd we own.
    unsafe {
        let fl = libc::fcntl(fd, libc::F_GETFL);
        libc::fcntl(fd, libc::F_SETFL, fl | libc::O_NONBLOCK);
    }
}

/// What to run and how.
pub struct SpawnSpec<'a> {
    pub command: &'a str,
    pub args: &'a [String],
    pub cwd: Option<&'a std::path::Path>,
    pub env: Vec<(String, String)>,
    pub user: Option<(u32, u32)>,
    pub stdout: Stdio,
    pub stderr: Stdio,
    /// Becomes fd 3 of the program (the heartbeat pipe's write end).
    pub fd3: Option<OwnedFd>,
}

/// Forks and execs a program in its own session with PDEATHSIG, watched by the reaper.
pub fn spawn_program(
    spec: SpawnSpec,
    on_exit: impl FnOnce(i32, ExitStatus) + Send + 'static,
) -> io::Result<i32> {
    let mut cmd = Command::new(spec.command);
    cmd.args(spec.args)
        .stdin(Stdio::null())
        .stdout(spec.stdout)
        .stderr(spec.stderr);
    if let Some(cwd) = spec.cwd {
        cmd.current_dir(cwd);
    }
    for (k, v) in &spec.env {
        cmd.env(k, v);
    }
    if let Some((uid, gid)) = spec.user {
        cmd.uid(uid).gid(gid);
    }
    // SAFETY: getpid before the fork; after it, only async-signal-safe syscalls.
    let parent = unsafe { libc::getpid() };
    let fd3 = spec.fd3.as_ref().map(|f| f.as_raw_fd());
    unsafe {
        cmd.pre_exec(move || {
            if libc::setsid() < 0 {
                return Err(io::Error::last_os_error());
            }
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0);
            // The supervisor may have died between fork and prctl.
            if libc::getppid() != parent {
                libc::_exit(1);
            }
            if let Some(fd) = fd3 {
                if fd == 3 {
                    libc::fcntl(3, libc::F_SETFD, 0);
                } else if libc::dup2(fd, 3) < 0 {
                    return Err(io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
    let pid = reaper().spawn_watched(&mut cmd, on_exit)?;
    drop(spec.fd3);
    Ok(pid)
}

/// Sends `sig` to process group `pgid` and to each pid in `others`.
pub fn signal_tree(pgid: i32, others: &[i32], sig: i32) {
    // SAFETY: kill(2) with checked-positive ids.
    unsafe {
        if pgid > 1 {
            libc::kill(-pgid, sig);
        }
        for &p in others {
            if p > 1 {
                libc::kill(p, sig);
            }
        }
    }
}

/// Sends `sig` to one process.
pub fn signal_pid(pid: i32, sig: i32) -> bool {
    // SAFETY: kill(2) on a positive pid.
    pid > 1 && unsafe { libc::kill(pid, sig) } == 0
}

/// Live processes (not zombies) whose environment carries `CUBE_SUP_TAG=tag`, or that
/// are in process group `pgid`: everything a program started.
pub fn members(tag: &str, pgid: i32) -> Vec<i32> {
    let needle = format!("CUBE_SUP_TAG={tag}\0");
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
        let Some((state, pg)) = stat_state(pid) else {
            continue;
        };
        if state == 'Z' || state == 'X' {
            continue;
        }
        if pg == pgid && pgid > 1 {
            out.push(pid);
            continue;
        }
        if let Ok(env) = std::fs::read(format!("/proc/{pid}/environ")) {
            let mut with_nul = env;
            with_nul.push(0);
            if with_nul
                .windows(needle.len())
                .any(|w| w == needle.as_bytes())
            {
                out.push(pid);
            }
        }
    }
    out
}

/// State letter and process group of `pid` from `/proc/PID/stat`.
fn stat_state(pid: i32) -> Option<(char, i32)> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &s[s.rfind(')')? + 2..];
    let mut f = rest.split(' ');
    let state = f.next()?.chars().next()?;
    let _ppid = f.next()?;
    let pgrp = f.next()?.parse().ok()?;
    Some((state, pgrp))
}

/// Resident memory (bytes) and total CPU time (clock ticks) of the given pids.
pub fn usage(pids: &[i32]) -> (u64, u64) {
    let page = 4096u64;
    let (mut rss, mut ticks) = (0, 0);
    for &pid in pids {
        if let Ok(s) = std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            if let Some(i) = s.rfind(')') {
                let f: Vec<&str> = s[i + 2..].split(' ').collect();
                // Fields after the name: state=0 ... utime=11 stime=12 ... rss=21.
                if f.len() > 21 {
                    ticks += f[11].parse::<u64>().unwrap_or(0) + f[12].parse::<u64>().unwrap_or(0);
                    rss += f[21].parse::<u64>().unwrap_or(0) * page;
                }
            }
        }
    }
    (rss, ticks)
}
