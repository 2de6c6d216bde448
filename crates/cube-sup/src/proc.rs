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
        // SAFETY: `__errno_location` returns this thread's errno, always valid; reading
        // it is async-signal-safe. It is restored below, so the interrupted code does
        // not see the handler's write(2) change it.
        let saved = unsafe { *libc::__errno_location() };
        let b = 1u8;
        // SAFETY: write(2) is async-signal-safe; a full pipe just drops the byte (the
        // reaper is awake anyway then).
        unsafe { libc::write(fd, &b as *const u8 as *const libc::c_void, 1) };
        // SAFETY: as above.
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
        // Reap first: children may have exited before the handler was installed. The
        // watches lock is held while reaping (not while calling back): a spawn holds it
        // from fork to registration, so a child is never reaped here while std's
        // `Command::spawn` may still wait for it itself (it does when exec fails).
        let mut done = Vec::new();
        {
            let mut watches = reaper().lock();
            loop {
                let mut status = 0;
                // SAFETY: plain waitpid.
                let pid = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
                if pid <= 0 {
                    break;
                }
                if let Some(cb) = watches.remove(&pid) {
                    done.push((cb, pid, ExitStatus::from_wait(status)));
                }
            }
        }
        for (cb, pid, status) in done {
            cb(pid, status);
        }
        // SAFETY: reading into a local buffer.
        let n = unsafe { libc::read(wake.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        if n == 0 {
            return;
        }
    }
}

impl Reaper {
    /// The watches; a poisoned lock (a panic elsewhere) is still usable: the map stays
    /// consistent, every change to it being a single insert or remove.
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i32, OnExit>> {
        self.watches.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Pids of the children spawned through the reaper that are still running.
    pub fn children(&self) -> std::collections::HashSet<i32> {
        self.lock().keys().copied().collect()
    }

    /// Spawns `cmd` and calls `on_exit` when it ends. The lock the reaper reaps under is
    /// held from before the fork until the watch is registered, so an exit right after
    /// the fork cannot be missed, and a failed exec is reaped by `spawn` itself.
    pub fn spawn_watched(
        &self,
        cmd: &mut Command,
        on_exit: impl FnOnce(i32, ExitStatus) + Send + 'static,
    ) -> io::Result<i32> {
        let mut watches = self.lock();
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

/// The soft limit of open files the supervisor started with (programs get it back).
static NOFILE_SOFT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(u64::MAX);

/// Raises this process's soft limit of open files to the hard limit: the supervisor
/// holds two or three pipe ends per program (1,000 programs pass the usual 1,024).
/// Programs are started with the original soft limit.
pub fn raise_nofile_limit() {
    // SAFETY: getrlimit/setrlimit on a local struct.
    unsafe {
        let mut rl: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut rl) == 0 && rl.rlim_cur < rl.rlim_max {
            let _ = NOFILE_SOFT.compare_exchange(
                u64::MAX,
                rl.rlim_cur,
                std::sync::atomic::Ordering::SeqCst,
                std::sync::atomic::Ordering::SeqCst,
            );
            rl.rlim_cur = rl.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &rl);
        }
    }
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
    let nofile = NOFILE_SOFT.load(std::sync::atomic::Ordering::SeqCst);
    // SAFETY: the closure runs in the child between fork and exec, where only
    // async-signal-safe calls are allowed: it makes only system calls (getrlimit,
    // setrlimit, setsid, prctl, getppid, _exit, fcntl, dup2) on values computed before the
    // fork, reads errno, and allocates nothing (`io::Error::last_os_error` is a code).
    unsafe {
        cmd.pre_exec(move || {
            if nofile != u64::MAX {
                let mut rl: libc::rlimit = std::mem::zeroed();
                if libc::getrlimit(libc::RLIMIT_NOFILE, &mut rl) == 0 {
                    rl.rlim_cur = nofile;
                    libc::setrlimit(libc::RLIMIT_NOFILE, &rl);
                }
            }
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

/// Everything a program started that is still alive (not a zombie): the members of
/// its process group `pgid`, and every descendant that left the group. The latter are
/// found without reading every process's environment: a descendant whose parent still
/// lives hangs below the group in the parent tree, and one whose parent died was
/// reparented to this supervisor (it is the child subreaper), where the few orphans
/// that are not programs of ours are told apart by `CUBE_SUP_TAG=tag`.
pub fn members(tag: &str, pgid: i32) -> Vec<i32> {
    members_in(&Snapshot::take(), tag, pgid)
}

/// The process table read once, for finding the members of many programs
/// ([`members_in`]; `ctl stats` over a thousand programs reads /proc once, not a
/// thousand times).
pub struct Snapshot {
    procs: Vec<ProcEntry>,
    ours: std::collections::HashSet<i32>,
}

impl Snapshot {
    pub fn take() -> Snapshot {
        Snapshot {
            procs: process_table(),
            ours: reaper().children(),
        }
    }
}

/// [`members`] in a snapshot of the process table.
pub fn members_in(snap: &Snapshot, tag: &str, pgid: i32) -> Vec<i32> {
    let me = std::process::id() as i32;
    let (procs, ours) = (&snap.procs, &snap.ours);
    let needle = format!("CUBE_SUP_TAG={tag}");
    let mut set = std::collections::HashSet::new();
    for p in procs {
        if pgid > 1 && p.pgrp == pgid {
            set.insert(p.pid);
        } else if p.ppid == me && !ours.contains(&p.pid) && !tag.is_empty() {
            if let Ok(env) = std::fs::read(format!("/proc/{}/environ", p.pid)) {
                if env.split(|&b| b == 0).any(|v| v == needle.as_bytes()) {
                    set.insert(p.pid);
                }
            }
        }
    }
    loop {
        let before = set.len();
        for p in procs {
            if p.pid != me && set.contains(&p.ppid) {
                set.insert(p.pid);
            }
        }
        if set.len() == before {
            break;
        }
    }
    set.into_iter().collect()
}

/// Whether a program whose main process has ended (process group `pgid`) may have left
/// anything alive, decided without scanning the process table in the common case. Once
/// the group is empty, a living descendant that escaped it has a topmost living
/// ancestor whose parent died, so that ancestor was reparented to this supervisor (the
/// subreaper): no child of ours beyond the programs and helpers the reaper knows means
/// nothing is left. Errs on the side of `true` (then [`members`] scans).
pub fn may_have_leftovers(pgid: i32) -> bool {
    if pgid > 1 {
        // SAFETY: signal 0 only checks for existence.
        let r = unsafe { libc::kill(-pgid, 0) };
        if r == 0 || io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH) {
            return true;
        }
    }
    let Some(children) = own_children() else {
        return true;
    };
    let known = reaper().children();
    children.iter().any(|c| !known.contains(c))
}

/// Children of this OS process (of all its threads), if the kernel tells
/// (`/proc/self/task/*/children`).
fn own_children() -> Option<Vec<i32>> {
    let mut out = Vec::new();
    for t in std::fs::read_dir("/proc/self/task").ok()?.flatten() {
        let s = std::fs::read_to_string(t.path().join("children")).ok()?;
        out.extend(s.split_whitespace().filter_map(|p| p.parse::<i32>().ok()));
    }
    Some(out)
}

struct ProcEntry {
    pid: i32,
    ppid: i32,
    pgrp: i32,
}

/// Live (non-zombie) processes with their parent and group, from `/proc/*/stat`.
fn process_table() -> Vec<ProcEntry> {
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return out;
    };
    for e in dir.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
            continue;
        };
        let Ok(s) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let Some(close) = s.rfind(')') else {
            continue;
        };
        let mut f = s[close + 2..].split(' ');
        let state = f.next().and_then(|x| x.chars().next()).unwrap_or('?');
        let ppid = f.next().and_then(|x| x.parse().ok()).unwrap_or(0);
        let pgrp = f.next().and_then(|x| x.parse().ok()).unwrap_or(0);
        if state != 'Z' && state != 'X' {
            out.push(ProcEntry { pid, ppid, pgrp });
        }
    }
    out
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
