//! The supervisor's shared state: the configuration, one record per program instance,
//! the event stream, and the operations that the Lua natives (`lualib.rs`) and the
//! control socket (`control.rs`) call.
//!
//! Who decides what: the per-instance policy (when to spawn, when a start has
//! succeeded, when to stop) runs in the instance's cube process (`instance.lua`); this module
//! holds the facts (pids, states, failed starts in a row, timestamps), computes the
//! backoff, spawns and signals, and publishes events. Every mutation happens under the
//! `instances` lock, never across a blocking call.

use crate::config::{signal_name, Config, LogMode, Program, Restart};
use crate::logs::{Io, RotatingFile, Sink};
use crate::proc::{self, ExitStatus};
use cube_term::Pid;
use cube_vm::NodeHandle;
use serde_json::{json, Value as Json};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime};

/// Protocol version of control requests, replies and events.
pub const PROTOCOL_VERSION: u64 = 1;

/// Where an instance is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Not started yet: waiting for its dependencies.
    Pending,
    /// Waiting out the backoff before the next spawn.
    Backoff,
    /// Spawned, not yet up for `startsecs`.
    Starting,
    /// Up for `startsecs` (a successful start).
    Running,
    /// Being stopped (stop signal sent).
    Stopping,
    /// Stopped on request, or never started (autostart = false).
    Stopped,
    /// Ended and not restarted (by its restart policy).
    Exited,
    /// Gave up after `retries` failed starts in a row.
    Fatal,
}

impl State {
    pub fn name(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Backoff => "backoff",
            State::Starting => "starting",
            State::Running => "running",
            State::Stopping => "stopping",
            State::Stopped => "stopped",
            State::Exited => "exited",
            State::Fatal => "fatal",
        }
    }
}

/// One instance of a program (`name:idx`).
pub struct Instance {
    pub name: String,
    pub idx: u32,
    pub state: State,
    pub os_pid: Option<i32>,
    /// `CUBE_SUP_TAG` of the current (or last) spawn: finds its escaped descendants.
    pub tag: String,
    pub cube_pid: Option<Pid>,
    pub started_at: Option<Instant>,
    /// Failed starts in a row (an exit before `startsecs`, or a spawn error).
    pub failures: u32,
    /// Spawns after the first.
    pub restarts: u64,
    pub spawns: u64,
    pub last_exit: Option<String>,
    pub last_beat: Arc<Mutex<Instant>>,
    /// Bytes of output dropped because their destination did not take them (a stalled
    /// stdout, a full disk), over every spawn.
    pub dropped: Arc<AtomicU64>,
    /// When the last exit was seen (restart latency measurements).
    pub exited_at: Option<Instant>,
    pub ready_sent: bool,
}

/// A configuration change staged by the control socket or `programs.start{...}`, applied
/// by the manager after it stopped what the change removes.
pub struct Staged {
    pub config: Config,
    pub start: Vec<String>,
}

/// Publishes one event.
pub type Publisher = Box<dyn Fn(&Json) + Send>;
/// Delivers the manager's reply to one control request.
pub type ReplySink = Box<dyn Fn(u64, Json) + Send>;

pub struct Core {
    pub config: Mutex<Config>,
    pub instances: Mutex<BTreeMap<String, Instance>>,
    pub io: Arc<Io>,
    pub node: OnceLock<NodeHandle>,
    pub manager: OnceLock<Pid>,
    pub manager_ready: (Mutex<bool>, std::sync::Condvar),
    /// Publishes an event (the PUB socket, set by `control.rs`).
    pub events: Mutex<Option<Publisher>>,
    pub subscribers: Mutex<Vec<Pid>>,
    /// Delivers the manager's reply to control request `id` (set by `control.rs`).
    pub replies: Mutex<Option<ReplySink>>,
    pub staged: Mutex<Option<Staged>>,
    pub health: OnceLock<Arc<crate::health::Health>>,
    /// The control and events endpoints as bound (a `*` port replaced by the one the
    /// system chose), set by `control.rs`.
    pub bound: OnceLock<(String, String)>,
    rng: Mutex<u64>,
    pub start_time: Instant,
    /// The supervisor's log file (`eventlog.rs`), if the configuration keeps one. Opened
    /// once: a reload that changes `log_file` takes effect at the next start.
    pub sup_log: Option<crate::eventlog::SupLog>,
}

/// `name:idx`.
pub fn instance_id(name: &str, idx: u32) -> String {
    format!("{name}:{idx}")
}

fn unix_time() -> f64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

impl Core {
    pub fn new(config: Config) -> Arc<Core> {
        let seed = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1)
            | 1;
        let sup_log = config.log_file.clone().map(crate::eventlog::SupLog::open);
        let core = Arc::new(Core {
            sup_log,
            config: Mutex::new(config),
            instances: Mutex::new(BTreeMap::new()),
            io: Io::start(),
            node: OnceLock::new(),
            manager: OnceLock::new(),
            manager_ready: (Mutex::new(false), std::sync::Condvar::new()),
            events: Mutex::new(None),
            subscribers: Mutex::new(Vec::new()),
            replies: Mutex::new(None),
            staged: Mutex::new(None),
            health: OnceLock::new(),
            bound: OnceLock::new(),
            rng: Mutex::new(seed),
            start_time: Instant::now(),
        });
        let cfg = core.config.lock().expect("config lock").clone();
        core.add_instances(&cfg.programs);
        core
    }

    fn add_instances(&self, programs: &[Program]) {
        let mut insts = self.instances.lock().expect("instances lock");
        for p in programs {
            for idx in 0..p.numprocs {
                insts.insert(
                    instance_id(&p.name, idx),
                    Instance {
                        name: p.name.clone(),
                        idx,
                        // Waiting to start (maybe for dependencies), or not to start.
                        state: if p.autostart {
                            State::Pending
                        } else {
                            State::Stopped
                        },
                        os_pid: None,
                        tag: String::new(),
                        cube_pid: None,
                        started_at: None,
                        failures: 0,
                        restarts: 0,
                        spawns: 0,
                        last_exit: None,
                        last_beat: Arc::new(Mutex::new(Instant::now())),
                        dropped: Arc::new(AtomicU64::new(0)),
                        exited_at: None,
                        ready_sent: false,
                    },
                );
            }
        }
    }

    pub fn program(&self, name: &str) -> Option<Program> {
        self.config
            .lock()
            .expect("config lock")
            .program(name)
            .cloned()
    }

    fn program_of(&self, id: &str) -> Option<Program> {
        let name = id.rsplit_once(':').map_or(id, |(n, _)| n);
        self.program(name)
    }

    /// A uniform random number in [0, 1) (xorshift; jitter needs no more).
    fn random(&self) -> f64 {
        let mut s = self.rng.lock().expect("rng lock");
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        (*s >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Publishes an event on the PUB socket and to Lua subscribers.
    pub fn event(&self, kind: &str, id: &str, extra: Json) {
        let (name, idx) = id.rsplit_once(':').unwrap_or((id, "0"));
        let mut ev = json!({
            "v": PROTOCOL_VERSION,
            "event": kind,
            "id": id,
            "name": name,
            "instance": idx.parse::<u32>().unwrap_or(0),
            "time": unix_time(),
        });
        if let (Json::Object(o), Json::Object(x)) = (&mut ev, extra) {
            o.extend(x);
        }
        // The supervisor's own log: its stderr, and its file.
        let line = crate::eventlog::line(&ev);
        crate::logs::say(&line);
        if let Some(log) = &self.sup_log {
            log.write(&line);
        }
        let subs = self.subscribers.lock().expect("subscribers lock").clone();
        if !subs.is_empty() {
            if let Some(node) = self.node.get() {
                let mut msg = ev.clone();
                msg["tag"] = json!("program_event");
                let t = crate::json::to_term(&msg);
                let mut dead = Vec::new();
                for s in subs {
                    if !node.send(s, t.clone()) {
                        dead.push(s);
                    }
                }
                if !dead.is_empty() {
                    self.subscribers
                        .lock()
                        .expect("subscribers lock")
                        .retain(|p| !dead.contains(p));
                }
            }
        }
        if let Some(publish) = self.events.lock().expect("events lock").as_ref() {
            publish(&ev);
        }
    }

    fn send_to(&self, pid: Pid, msg: Json) {
        if let Some(node) = self.node.get() {
            node.send(pid, crate::json::to_term(&msg));
        }
    }

    /// The instance process `cube` takes over instance `id`: what it should do first.
    pub fn begin(&self, id: &str, cube: Pid) -> Result<Json, String> {
        let prog = self
            .program_of(id)
            .ok_or_else(|| format!("unknown program instance '{id}'"))?;
        let jitter = self.random();
        let mut insts = self.instances.lock().expect("instances lock");
        let inst = insts
            .get_mut(id)
            .ok_or_else(|| format!("unknown program instance '{id}'"))?;
        inst.cube_pid = Some(cube);
        let fatal = inst.failures > prog.retries;
        let delay = if fatal || inst.failures == 0 {
            Duration::ZERO
        } else {
            let exp = prog.backoff.as_secs_f64() * 2f64.powi(inst.failures.min(60) as i32 - 1);
            let capped = exp.min(prog.backoff_max.as_secs_f64());
            let spread = 1.0 + prog.backoff_jitter * (2.0 * jitter - 1.0);
            Duration::from_secs_f64((capped * spread).max(0.0))
        };
        inst.state = if fatal {
            State::Fatal
        } else if delay > Duration::ZERO {
            State::Backoff
        } else {
            State::Starting
        };
        let failures = inst.failures;
        drop(insts);
        if fatal {
            self.event("fatal", id, json!({ "failures": failures }));
        } else if delay > Duration::ZERO {
            self.event(
                "backoff",
                id,
                json!({ "delay": delay.as_secs_f64(), "failures": failures }),
            );
        }
        Ok(json!({
            "fatal": fatal,
            "delay": delay.as_secs_f64() * 1000.0,
            "startsecs": prog.startsecs.as_secs_f64() * 1000.0,
        }))
    }

    /// Spawns instance `id`'s program; its exit becomes an `os_exit` message to the
    /// instance's cube process.
    pub fn spawn(self: &Arc<Self>, id: &str) -> Result<i32, String> {
        let prog = self
            .program_of(id)
            .ok_or_else(|| format!("unknown program instance '{id}'"))?;
        let (idx, cube, beat, dropped) = {
            let insts = self.instances.lock().expect("instances lock");
            let inst = insts.get(id).ok_or("unknown instance")?;
            (
                inst.idx,
                inst.cube_pid.ok_or("no process")?,
                inst.last_beat.clone(),
                inst.dropped.clone(),
            )
        };
        // Unique in this OS process (several supervisors may share it, e.g. in tests).
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let tag = format!(
            "{}.{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        );
        let log_dir = self.config.lock().expect("config lock").log_dir.clone();
        let mut env: Vec<(String, String)> = prog
            .env
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        env.push(("CUBE_SUP_TAG".into(), tag.clone()));
        env.push(("CUBE_SUP_PROGRAM".into(), prog.name.clone()));
        env.push(("CUBE_SUP_INSTANCE".into(), idx.to_string()));
        let user = match &prog.user {
            Some(u) => {
                Some(crate::config::user_ids(u).ok_or_else(|| format!("no such user '{u}'"))?)
            }
            None => None,
        };
        let mut fd3 = None;
        let mut beat_read = None;
        if prog.heartbeat.is_some() {
            let (r, w) = proc::pipe().map_err(|e| e.to_string())?;
            fd3 = Some(w);
            beat_read = Some(r);
            env.push(("CUBE_HEARTBEAT_FD".into(), "3".into()));
        }
        let mut pipes = Vec::new();
        let mut stdio = |stream: &str| -> Result<std::process::Stdio, String> {
            if prog.log == LogMode::Null {
                return Ok(std::process::Stdio::null());
            }
            let (r, w) = proc::pipe().map_err(|e| e.to_string())?;
            let sink = match prog.log {
                LogMode::File => Sink::File {
                    file: self.log_file(&log_dir, &prog, idx, stream),
                    dropped: dropped.clone(),
                },
                _ => Sink::Prefixed {
                    prefix: if stream == "out" {
                        format!("[{id}] ")
                    } else {
                        format!("[{id}!] ")
                    },
                    partial: Vec::new(),
                    dropped: dropped.clone(),
                },
            };
            pipes.push((r, sink));
            Ok(std::process::Stdio::from(w))
        };
        let stdout = stdio("out")?;
        let stderr = stdio("err")?;
        let spec = proc::SpawnSpec {
            command: &prog.command,
            args: &prog.args,
            cwd: prog.cwd.as_deref(),
            env,
            user,
            stdout,
            stderr,
            fd3,
        };
        let weak = Arc::downgrade(self);
        let idc = id.to_string();
        let result = proc::spawn_program(spec, move |pid, status| {
            if let Some(core) = weak.upgrade() {
                core.os_exited(&idc, cube, pid, status);
            }
        });
        for (r, sink) in pipes {
            self.io.add(r, sink);
        }
        let pid = match result {
            Ok(pid) => pid,
            Err(e) => {
                let mut insts = self.instances.lock().expect("instances lock");
                if let Some(inst) = insts.get_mut(id) {
                    inst.failures += 1;
                    inst.last_exit = Some(format!("spawn failed: {e}"));
                }
                drop(insts);
                let msg = format!("cannot run '{}': {e}", prog.command);
                self.event("spawn_failed", id, json!({ "error": msg }));
                return Err(msg);
            }
        };
        if let Some(r) = beat_read {
            *beat.lock().expect("beat lock") = Instant::now();
            self.io.add(r, Sink::Heartbeat(beat));
        }
        let restarted;
        let since_exit;
        {
            let mut insts = self.instances.lock().expect("instances lock");
            let inst = insts.get_mut(id).ok_or("unknown instance")?;
            since_exit = inst.exited_at.take().map(|t| t.elapsed().as_secs_f64());
            inst.os_pid = Some(pid);
            inst.tag = tag;
            inst.started_at = Some(Instant::now());
            inst.state = State::Starting;
            restarted = inst.spawns > 0;
            if restarted {
                inst.restarts += 1;
            }
            inst.spawns += 1;
        }
        // `since_exit`: seconds from reaping the previous program to this exec, the
        // supervisor's own share of the restart latency.
        self.event("spawn", id, json!({ "pid": pid, "since_exit": since_exit }));
        if restarted {
            self.event("restart", id, json!({ "pid": pid }));
        }
        if let Some(h) = self.health.get() {
            h.watch(id, &prog, pid);
        }
        Ok(pid)
    }

    fn log_file(
        &self,
        dir: &std::path::Path,
        prog: &Program,
        idx: u32,
        stream: &str,
    ) -> Arc<Mutex<RotatingFile>> {
        let file = if prog.numprocs > 1 {
            format!("{}.{idx}.{stream}.log", prog.name)
        } else {
            format!("{}.{stream}.log", prog.name)
        };
        Arc::new(Mutex::new(RotatingFile::new(
            dir.join(file),
            prog.log_max_bytes,
            prog.log_backups,
        )))
    }

    /// Path of an instance's log file.
    pub fn log_path(&self, id: &str, stream: &str) -> Option<PathBuf> {
        let prog = self.program_of(id)?;
        let idx: u32 = id.rsplit_once(':')?.1.parse().ok()?;
        let dir = self.config.lock().expect("config lock").log_dir.clone();
        Some(if prog.numprocs > 1 {
            dir.join(format!("{}.{idx}.{stream}.log", prog.name))
        } else {
            dir.join(format!("{}.{stream}.log", prog.name))
        })
    }

    /// Called on the reaper thread when instance `id`'s program ended.
    /// `pgid` is the program's pid (it leads its own process group).
    fn os_exited(&self, id: &str, cube: Pid, pgid: i32, status: ExitStatus) {
        if let Some(inst) = self.instances.lock().expect("instances lock").get_mut(id) {
            inst.exited_at = Some(Instant::now());
        }
        let (code, signal) = match status {
            ExitStatus::Code(c) => (json!(c), Json::Null),
            ExitStatus::Signal(s) => (Json::Null, json!(s)),
        };
        self.send_to(
            cube,
            json!({ "tag": "os_exit", "ospid": pgid, "code": code, "signal": signal }),
        );
        // The unit ends with its main process: whatever it left in its process group
        // goes too (systemd's control-group kill mode does the same).
        if pgid > 1 {
            proc::signal_tree(pgid, &[], libc::SIGKILL);
        }
    }

    /// The instance process reports the program's exit; returns the exit reason for
    /// its cube process ("normal" when the exit was expected).
    pub fn exited(&self, id: &str, code: Option<i32>, signal: Option<i32>) -> String {
        let Some(prog) = self.program_of(id) else {
            return "normal".into();
        };
        let desc = match (code, signal) {
            (_, Some(s)) => ExitStatus::Signal(s).describe(),
            (Some(c), _) => ExitStatus::Code(c).describe(),
            _ => "exited".into(),
        };
        let expected = signal.is_none() && code.is_some_and(|c| prog.exit_codes.contains(&c));
        let (failures, uptime) = {
            let mut insts = self.instances.lock().expect("instances lock");
            let Some(inst) = insts.get_mut(id) else {
                return "normal".into();
            };
            let uptime = inst.started_at.map(|t| t.elapsed()).unwrap_or_default();
            if inst.state != State::Running || uptime < prog.startsecs {
                inst.failures += 1;
            } else {
                inst.failures = 0;
            }
            inst.last_exit = Some(desc.clone());
            let restarting = match prog.restart {
                Restart::Always => true,
                Restart::OnFailure => !expected,
                Restart::Never => false,
            };
            inst.state = if restarting {
                State::Backoff
            } else {
                State::Exited
            };
            (inst.failures, uptime)
        };
        if let Some(h) = self.health.get() {
            h.unwatch(id);
        }
        self.event(
            "exit",
            id,
            json!({ "status": desc, "expected": expected, "uptime": uptime.as_secs_f64(), "failures": failures }),
        );
        if expected {
            "normal".into()
        } else {
            desc
        }
    }

    /// Marks a start successful (up for `startsecs`).
    pub fn running(&self, id: &str) {
        let has_checks = self.program_of(id).is_some_and(|p| !p.health.is_empty());
        {
            let mut insts = self.instances.lock().expect("instances lock");
            if let Some(inst) = insts.get_mut(id) {
                inst.state = State::Running;
                inst.failures = 0;
            }
        }
        self.event("running", id, json!({}));
        if !has_checks {
            self.mark_ready(id);
        }
    }

    /// Tells the manager (once) that instance `id` may be depended on.
    pub fn mark_ready(&self, id: &str) {
        let first = {
            let mut insts = self.instances.lock().expect("instances lock");
            match insts.get_mut(id) {
                Some(inst) if !inst.ready_sent => {
                    inst.ready_sent = true;
                    true
                }
                _ => false,
            }
        };
        if let (true, Some(m)) = (first, self.manager.get()) {
            self.send_to(*m, json!({ "tag": "ready", "id": id }));
        }
    }

    fn with_inst<R>(&self, id: &str, f: impl FnOnce(&mut Instance) -> R) -> Option<R> {
        self.instances
            .lock()
            .expect("instances lock")
            .get_mut(id)
            .map(f)
    }

    /// Starts stopping instance `id`: the stop signal to its process group (and to
    /// descendants that left it, see [`Core::signal_leftovers`]). Returns the stop
    /// timeout in milliseconds.
    pub fn stop_begin(&self, id: &str) -> f64 {
        let prog = self.program_of(id);
        let sig = prog.as_ref().map_or(libc::SIGTERM, |p| p.stop_signal);
        let pgid = self
            .with_inst(id, |i| {
                i.state = State::Stopping;
                i.os_pid.unwrap_or(0)
            })
            .unwrap_or(0);
        if let Some(h) = self.health.get() {
            h.unwatch(id);
        }
        proc::signal_tree(pgid, &[], sig);
        self.event("stopping", id, json!({ "signal": signal_name(sig) }));
        prog.map_or(10_000.0, |p| p.stop_timeout.as_secs_f64() * 1000.0)
    }

    /// Sends the stop signal to whatever instance `id` started that is still alive
    /// (after its main process ended); returns how many processes that is.
    pub fn signal_leftovers(&self, id: &str) -> usize {
        let sig = self.program_of(id).map_or(libc::SIGTERM, |p| p.stop_signal);
        let (pgid, tag) = self
            .with_inst(id, |i| (i.os_pid.unwrap_or(0), i.tag.clone()))
            .unwrap_or((0, String::new()));
        if tag.is_empty() || !proc::may_have_leftovers(pgid) {
            return 0;
        }
        let left = proc::members(&tag, pgid);
        proc::signal_tree(0, &left, sig);
        left.len()
    }

    /// SIGKILL to everything instance `id` started.
    pub fn kill(&self, id: &str) -> usize {
        let (pgid, tag) = self
            .with_inst(id, |i| (i.os_pid.unwrap_or(0), i.tag.clone()))
            .unwrap_or((0, String::new()));
        let others = if tag.is_empty() {
            vec![]
        } else {
            proc::members(&tag, pgid)
        };
        proc::signal_tree(pgid, &others, libc::SIGKILL);
        self.event("kill", id, json!({ "processes": others.len() }));
        others.len()
    }

    /// Processes of instance `id`'s last spawn still alive.
    pub fn leftovers(&self, id: &str) -> usize {
        let (pgid, tag) = self
            .with_inst(id, |i| (i.os_pid.unwrap_or(0), i.tag.clone()))
            .unwrap_or((0, String::new()));
        if tag.is_empty() || !proc::may_have_leftovers(pgid) {
            return 0;
        }
        proc::members(&tag, pgid).len()
    }

    /// The instance process ended on request (or never ran its program).
    pub fn stopped(&self, id: &str, why: &str) {
        let was_fatal = self
            .with_inst(id, |i| {
                let f = i.state == State::Fatal;
                i.state = State::Stopped;
                i.os_pid = None;
                f
            })
            .unwrap_or(false);
        if !was_fatal {
            self.event("stop", id, json!({ "reason": why }));
        }
    }

    /// The manager stopped `id` for good (terminate_child).
    pub fn mark_stopped(&self, id: &str) {
        self.with_inst(id, |i| {
            i.state = State::Stopped;
            i.os_pid = None;
        });
    }

    /// An explicit start forgets the failed starts.
    pub fn reset(&self, id: &str) {
        self.with_inst(id, |i| {
            i.failures = 0;
            i.ready_sent = false;
        });
    }

    pub fn is_fatal(&self, id: &str) -> bool {
        self.with_inst(id, |i| i.state == State::Fatal)
            .unwrap_or(false)
    }

    /// The plan of the manager: instances of `programs` (all when None) in dependency
    /// order.
    pub fn plan(&self, only: Option<&[String]>) -> Vec<Json> {
        let cfg = self.config.lock().expect("config lock");
        let mut out = Vec::new();
        for p in &cfg.programs {
            if only.is_some_and(|o| !o.contains(&p.name)) {
                continue;
            }
            let deps: Vec<String> = p
                .depends_on
                .iter()
                .filter_map(|d| cfg.program(d))
                .flat_map(|d| (0..d.numprocs).map(|i| instance_id(&d.name, i)))
                .collect();
            for idx in 0..p.numprocs {
                out.push(json!({
                    "id": instance_id(&p.name, idx),
                    "restart": match p.restart {
                        Restart::Always => "permanent",
                        Restart::OnFailure => "transient",
                        Restart::Never => "temporary",
                    },
                    // The OTP shutdown time: the program's stop timeout, then SIGKILL and
                    // the leftover sweep, with room to spare.
                    "shutdown": p.stop_timeout.as_millis() as u64 + 10_000,
                    "deps": deps,
                    "autostart": p.autostart,
                }));
            }
        }
        out
    }

    /// Instance ids a name refers to: `prog:i`, a program, a group, or `all`/`*`.
    pub fn resolve(&self, name: &str) -> Result<Vec<String>, String> {
        let cfg = self.config.lock().expect("config lock");
        let mut names: Vec<&str> = Vec::new();
        if name == "all" || name == "*" {
            names = cfg.programs.iter().map(|p| p.name.as_str()).collect();
        } else if let Some(members) = cfg.groups.get(name) {
            names = members.iter().map(String::as_str).collect();
        } else if let Some((n, i)) = name.rsplit_once(':') {
            let p = cfg
                .program(n)
                .ok_or_else(|| format!("no such program '{n}'"))?;
            let i: u32 = i
                .parse()
                .map_err(|_| format!("bad instance number in '{name}'"))?;
            if i >= p.numprocs {
                return Err(format!("program '{n}' has {} instance(s)", p.numprocs));
            }
            return Ok(vec![instance_id(n, i)]);
        } else if cfg.program(name).is_some() {
            names.push(name);
        } else {
            return Err(format!("no such program or group '{name}'"));
        }
        // Dependency order, as the configuration keeps programs.
        let mut ids = Vec::new();
        for p in &cfg.programs {
            if names.contains(&p.name.as_str()) {
                ids.extend((0..p.numprocs).map(|i| instance_id(&p.name, i)));
            }
        }
        Ok(ids)
    }

    /// Status of the instances `name` refers to (all when None).
    pub fn status(&self, name: Option<&str>) -> Result<Json, String> {
        let ids = self.resolve(name.unwrap_or("all"))?;
        let insts = self.instances.lock().expect("instances lock");
        let mut out = Vec::new();
        for id in ids {
            if let Some(i) = insts.get(&id) {
                let alive = matches!(i.state, State::Starting | State::Running | State::Stopping);
                out.push(json!({
                    "id": id,
                    "name": i.name,
                    "instance": i.idx,
                    "state": i.state.name(),
                    "pid": if alive { json!(i.os_pid) } else { Json::Null },
                    "uptime": if alive { json!(i.started_at.map(|t| t.elapsed().as_secs_f64())) } else { Json::Null },
                    "restarts": i.restarts,
                    "failures": i.failures,
                    "last_exit": i.last_exit,
                    "dropped_bytes": i.dropped.load(Ordering::Relaxed),
                }));
            }
        }
        Ok(Json::Array(out))
    }

    /// CPU time and resident memory of the running instances of `name` (all by
    /// default), each counted over everything it started (its process group and the
    /// descendants that left it), from one reading of the process table. CPU is
    /// cumulative seconds: `ctl stats` takes two readings for a percentage.
    pub fn stats(&self, name: Option<&str>) -> Result<Json, String> {
        let ids = self.resolve(name.unwrap_or("all"))?;
        let running: Vec<(String, i32, String)> = {
            let insts = self.instances.lock().expect("instances lock");
            ids.iter()
                .filter_map(|id| insts.get(id).map(|i| (id, i)))
                .filter(|(_, i)| {
                    matches!(i.state, State::Starting | State::Running | State::Stopping)
                })
                .filter_map(|(id, i)| i.os_pid.map(|p| (id.clone(), p, i.tag.clone())))
                .collect()
        };
        let snap = crate::proc::Snapshot::take();
        // SAFETY: sysconf has no preconditions.
        let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
        let out = running
            .into_iter()
            .map(|(id, pid, tag)| {
                let pids = crate::proc::members_in(&snap, &tag, pid);
                let (rss, ticks) = crate::proc::usage(&pids);
                json!({
                    "id": id,
                    "pid": pid,
                    "processes": pids.len(),
                    "rss_bytes": rss,
                    "cpu_seconds": ticks as f64 / hz,
                })
            })
            .collect();
        Ok(Json::Array(out))
    }

    /// Sends an OS signal to the programs of `name` (their process groups).
    pub fn signal(&self, name: &str, sig: &str) -> Result<Json, String> {
        let sig =
            crate::config::signal_number(sig).ok_or_else(|| format!("unknown signal '{sig}'"))?;
        let ids = self.resolve(name)?;
        let insts = self.instances.lock().expect("instances lock");
        let mut sent = Vec::new();
        for id in ids {
            if let Some(i) = insts.get(&id) {
                if let (Some(pid), State::Starting | State::Running | State::Stopping) =
                    (i.os_pid, i.state)
                {
                    proc::signal_tree(pid, &[], sig);
                    sent.push(json!({ "id": id, "pid": pid }));
                }
            }
        }
        Ok(json!({ "signal": signal_name(sig), "sent": sent }))
    }

    /// A heartbeat for `name`'s instances (ZeroMQ heartbeat through the control socket).
    pub fn heartbeat(&self, name: &str) -> Result<Json, String> {
        let ids = self.resolve(name)?;
        let insts = self.instances.lock().expect("instances lock");
        for id in &ids {
            if let Some(i) = insts.get(id) {
                *i.last_beat.lock().expect("beat lock") = Instant::now();
            }
        }
        Ok(json!({ "beat": ids }))
    }

    /// Stages `new` as the next configuration; returns (ids to stop, summary).
    pub fn stage_reload(&self, new: Config) -> Result<(Vec<String>, Json), String> {
        let mut staged = self.staged.lock().expect("staged lock");
        if staged.is_some() {
            return Err("another configuration change is in progress".into());
        }
        let old = self.config.lock().expect("config lock").clone();
        if new.control != old.control || new.events != old.events {
            return Err("the control and events endpoints cannot change on reload".into());
        }
        let (mut unchanged, mut changed, mut added, mut removed) = (vec![], vec![], vec![], vec![]);
        for p in &old.programs {
            match new.program(&p.name) {
                None => removed.push(p.name.clone()),
                Some(q) if q == p => unchanged.push(p.name.clone()),
                Some(_) => changed.push(p.name.clone()),
            }
        }
        for p in &new.programs {
            if old.program(&p.name).is_none() {
                added.push(p.name.clone());
            }
        }
        let mut stop = Vec::new();
        for p in &old.programs {
            if removed.contains(&p.name) || changed.contains(&p.name) {
                stop.extend((0..p.numprocs).map(|i| instance_id(&p.name, i)));
            }
        }
        let mut start = changed.clone();
        start.extend(added.iter().cloned());
        *staged = Some(Staged { config: new, start });
        Ok((
            stop,
            json!({ "unchanged": unchanged, "changed": changed, "added": added, "removed": removed }),
        ))
    }

    /// Stages one more program (Lua `programs.start{...}`).
    pub fn stage_add(&self, prog: Program) -> Result<Json, String> {
        let mut cfg = self.config.lock().expect("config lock").clone();
        if cfg.program(&prog.name).is_some() {
            return Err(format!("program '{}' exists already", prog.name));
        }
        let instances: u64 = cfg.programs.iter().map(|p| u64::from(p.numprocs)).sum();
        if instances + u64::from(prog.numprocs) > crate::config::MAX_INSTANCES {
            return Err(format!(
                "more than {} program instances in all",
                crate::config::MAX_INSTANCES
            ));
        }
        for d in &prog.depends_on {
            if cfg.program(d).is_none() {
                return Err(format!("unknown program '{d}' in depends_on"));
            }
        }
        let name = prog.name.clone();
        cfg.programs.push(prog);
        let mut staged = self.staged.lock().expect("staged lock");
        if staged.is_some() {
            return Err("another configuration change is in progress".into());
        }
        *staged = Some(Staged {
            config: cfg,
            start: vec![name.clone()],
        });
        Ok(json!({ "added": [name] }))
    }

    /// Applies the staged configuration (the manager has stopped what it replaces);
    /// returns the plan of the programs to start.
    pub fn apply_staged(&self) -> Vec<Json> {
        let Some(staged) = self.staged.lock().expect("staged lock").take() else {
            return vec![];
        };
        let new_programs: Vec<Program> = staged
            .config
            .programs
            .iter()
            .filter(|p| staged.start.contains(&p.name))
            .cloned()
            .collect();
        {
            let mut insts = self.instances.lock().expect("instances lock");
            insts.retain(|_, i| {
                staged.config.program(&i.name).is_some() && !staged.start.contains(&i.name)
            });
        }
        *self.config.lock().expect("config lock") = staged.config;
        self.add_instances(&new_programs);
        self.plan(Some(&staged.start))
    }

    /// Every OS process the supervisor still manages gets SIGKILL (last resort at exit).
    pub fn kill_everything(&self) {
        let targets: Vec<(i32, String)> = self
            .instances
            .lock()
            .expect("instances lock")
            .values()
            .filter(|i| !i.tag.is_empty())
            .map(|i| (i.os_pid.unwrap_or(0), i.tag.clone()))
            .collect();
        for (pgid, tag) in targets {
            let others = proc::members(&tag, pgid);
            proc::signal_tree(pgid, &others, libc::SIGKILL);
        }
    }
}
