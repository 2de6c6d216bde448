//! Health checks (monit style) and heartbeats (heart style), on one thread.
//!
//! Each running instance with checks or a heartbeat has a watch: per check, the time of
//! its next run and its failures in a row. The thread sleeps on a condition variable
//! until the earliest due time (forever when nothing is watched, so 1,000 programs
//! without checks cost nothing), runs the due checks, and when one has failed
//! `failures` times in a row, or a heartbeat is overdue, sends the instance's process a
//! `{tag="health", reason=...}` message; the process stops the program and ends, and
//! its supervisor restarts it. When every check of a fresh instance has passed once,
//! the instance counts as ready for the programs that depend on it.
//!
//! Checks: `tcp` (a connection is accepted), `http` (a GET answers 2xx), `command`
//! (exits 0), `memory` (resident bytes of everything the program started) and `cpu`
//! (percent of one core over the last interval). A heartbeat is a line written to fd
//! `CUBE_HEARTBEAT_FD`, or a `heartbeat` request on the control socket.
//! Checks run one after another on this thread, each bounded by its timeout.

use crate::config::{HealthKind, HealthSpec, Program};
use crate::core::Core;
use serde_json::json;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::{Duration, Instant};

struct Check {
    spec: HealthSpec,
    next: Instant,
    fails: u32,
    passed: bool,
    last_cpu: Option<(Instant, u64)>,
}

struct Watch {
    pid: i32,
    checks: Vec<Check>,
    beat: Option<(Duration, Arc<Mutex<Instant>>, Instant)>,
    ready_sent: bool,
}

pub struct Health {
    watches: Mutex<HashMap<String, Watch>>,
    cv: Condvar,
    core: Weak<Core>,
}

impl Health {
    pub fn start(core: &Arc<Core>) -> Arc<Health> {
        let h = Arc::new(Health {
            watches: Mutex::new(HashMap::new()),
            cv: Condvar::new(),
            core: Arc::downgrade(core),
        });
        let weak = Arc::downgrade(&h);
        std::thread::Builder::new()
            .name("cube-sup-health".into())
            .spawn(move || run(weak))
            .expect("health thread");
        h
    }

    /// Starts watching a freshly spawned instance (no-op without checks or heartbeat).
    pub fn watch(&self, id: &str, prog: &Program, pid: i32) {
        if prog.health.is_empty() && prog.heartbeat.is_none() {
            return;
        }
        let now = Instant::now();
        let beat = prog.heartbeat.and_then(|every| {
            let core = self.core.upgrade()?;
            let insts = core.instances.lock().expect("instances lock");
            let last = insts.get(id)?.last_beat.clone();
            Some((every, last, now + every))
        });
        let checks = prog
            .health
            .iter()
            .map(|s| Check {
                spec: s.clone(),
                // The first check comes once the program had time to start: after
                // startsecs (at least 0.2 s), or one interval if that is shorter.
                next: now
                    + Duration::from_secs_f64(
                        s.interval.min(prog.startsecs.as_secs_f64().max(0.2)),
                    ),
                fails: 0,
                passed: false,
                last_cpu: None,
            })
            .collect();
        self.watches.lock().expect("health lock").insert(
            id.to_string(),
            Watch {
                pid,
                checks,
                beat,
                ready_sent: false,
            },
        );
        self.cv.notify_all();
    }

    pub fn unwatch(&self, id: &str) {
        self.watches.lock().expect("health lock").remove(id);
    }
}

enum Due {
    Check(String, usize, HealthSpec, i32),
    Beat(String, Duration, Arc<Mutex<Instant>>),
}

fn run(health: Weak<Health>) {
    loop {
        let Some(h) = health.upgrade() else {
            return;
        };
        let mut due = Vec::new();
        {
            let mut w = h.watches.lock().expect("health lock");
            let now = Instant::now();
            let mut earliest: Option<Instant> = None;
            for (id, watch) in w.iter_mut() {
                for (i, c) in watch.checks.iter_mut().enumerate() {
                    if c.next <= now {
                        due.push(Due::Check(id.clone(), i, c.spec.clone(), watch.pid));
                        c.next = now + Duration::from_secs_f64(c.spec.interval);
                    }
                    earliest = Some(earliest.map_or(c.next, |e| e.min(c.next)));
                }
                if let Some((every, last, next)) = &mut watch.beat {
                    if *next <= now {
                        due.push(Due::Beat(id.clone(), *every, last.clone()));
                        *next = now + *every / 2;
                    }
                    earliest = Some(earliest.map_or(*next, |e| e.min(*next)));
                }
            }
            if due.is_empty() {
                match earliest {
                    None => drop(h.cv.wait(w).expect("health lock")),
                    Some(t) => drop(
                        h.cv.wait_timeout(w, t.saturating_duration_since(now))
                            .expect("health lock"),
                    ),
                }
                continue;
            }
        }
        let Some(core) = h.core.upgrade() else {
            return;
        };
        for d in due {
            match d {
                Due::Beat(id, every, last) => {
                    let late = last.lock().expect("beat lock").elapsed();
                    if late > every {
                        fail(
                            &h,
                            &core,
                            &id,
                            format!("missed heartbeat (none for {:.1}s)", late.as_secs_f64()),
                        );
                    }
                }
                Due::Check(id, i, spec, pid) => {
                    let result = run_check(&core, &h, &id, i, &spec, pid);
                    let mut w = h.watches.lock().expect("health lock");
                    let Some(watch) = w.get_mut(&id) else {
                        continue;
                    };
                    if watch.pid != pid {
                        continue;
                    }
                    let c = &mut watch.checks[i];
                    match result {
                        Ok(()) => {
                            c.fails = 0;
                            c.passed = true;
                            if !watch.ready_sent && watch.checks.iter().all(|c| c.passed) {
                                watch.ready_sent = true;
                                drop(w);
                                core.event("healthy", &id, json!({}));
                                core.mark_ready(&id);
                            }
                        }
                        Err(e) => {
                            c.fails += 1;
                            if c.fails >= spec.failures {
                                drop(w);
                                fail(&h, &core, &id, e);
                            }
                        }
                    }
                }
            }
        }
    }
}

fn fail(h: &Health, core: &Core, id: &str, reason: String) {
    h.unwatch(id);
    let cube = core
        .instances
        .lock()
        .expect("instances lock")
        .get(id)
        .and_then(|i| i.cube_pid);
    if let (Some(pid), Some(node)) = (cube, core.node.get()) {
        node.send(
            pid,
            crate::json::to_term(&json!({ "tag": "health", "reason": reason })),
        );
    }
}

fn run_check(
    core: &Core,
    h: &Health,
    id: &str,
    i: usize,
    spec: &HealthSpec,
    pid: i32,
) -> Result<(), String> {
    let timeout = Duration::from_secs_f64(spec.timeout);
    match spec.kind {
        HealthKind::Tcp => {
            let host = spec.host.as_deref().unwrap_or("127.0.0.1");
            let port = spec.port.unwrap_or(0);
            connect(host, port, timeout).map(|_| ())
        }
        HealthKind::Http => http_check(spec.url.as_deref().unwrap_or(""), timeout),
        HealthKind::Command => command_check(spec.command.as_deref().unwrap_or(&[]), timeout),
        HealthKind::Memory | HealthKind::Cpu => {
            let tag = core
                .instances
                .lock()
                .expect("instances lock")
                .get(id)
                .map(|i| i.tag.clone())
                .unwrap_or_default();
            let pids = crate::proc::members(&tag, pid);
            let (rss, ticks) = crate::proc::usage(&pids);
            if spec.kind == HealthKind::Memory {
                let max = spec.max_rss_mb.unwrap_or(f64::MAX) * 1024.0 * 1024.0;
                if rss as f64 > max {
                    return Err(format!(
                        "memory {:.1} MB above {} MB",
                        rss as f64 / 1048576.0,
                        spec.max_rss_mb.unwrap_or(0.0)
                    ));
                }
                return Ok(());
            }
            let now = Instant::now();
            let prev = {
                let mut w = h.watches.lock().expect("health lock");
                w.get_mut(id)
                    .and_then(|w| w.checks.get_mut(i))
                    .and_then(|c| c.last_cpu.replace((now, ticks)))
            };
            let Some((t0, ticks0)) = prev else {
                return Ok(());
            };
            // SAFETY: sysconf is a plain query.
            let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
            let secs = now.duration_since(t0).as_secs_f64().max(1e-3);
            let pct = ticks.saturating_sub(ticks0) as f64 / hz / secs * 100.0;
            let max = spec.max_cpu_percent.unwrap_or(f64::MAX);
            if pct > max {
                return Err(format!("cpu {pct:.0}% above {max}%"));
            }
            Ok(())
        }
    }
}

fn connect(host: &str, port: u16, timeout: Duration) -> Result<TcpStream, String> {
    let addrs = (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("tcp {host}:{port}: {e}"))?;
    let mut last = format!("tcp {host}:{port}: no address");
    for a in addrs {
        match TcpStream::connect_timeout(&a, timeout) {
            Ok(s) => return Ok(s),
            Err(e) => last = format!("tcp {host}:{port}: {e}"),
        }
    }
    Err(last)
}

/// What an HTTP check reads of a response at most before closing.
const MAX_HTTP_RESPONSE: usize = 1 << 20;

fn http_check(url: &str, timeout: Duration) -> Result<(), String> {
    let rest = url.strip_prefix("http://").ok_or("only http:// URLs")?;
    let (hostport, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) => (
            h,
            p.parse::<u16>().map_err(|_| format!("bad port in {url}"))?,
        ),
        None => (hostport, 80),
    };
    let mut s = connect(host, port, timeout)?;
    s.set_read_timeout(Some(timeout)).ok();
    s.set_write_timeout(Some(timeout)).ok();
    // One write: a server may answer (and close) as soon as it has the request line.
    let req = format!("GET {path} HTTP/1.0\r\nHost: {hostport}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes())
        .map_err(|e| format!("http {url}: {e}"))?;
    let mut head = [0u8; 64];
    let mut n = 0;
    while n < 12 {
        match s.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) => return Err(format!("http {url}: {e}")),
        }
    }
    // Read the whole response (the server closes: `Connection: close`) before closing
    // our end: a client that hangs up mid-response makes many servers log a broken
    // pipe, with a traceback, into the very log the program's user reads. Bounded by
    // the timeout and by MAX_HTTP_RESPONSE bytes.
    let mut rest = [0u8; 4096];
    let mut total = n;
    while total < MAX_HTTP_RESPONSE {
        match s.read(&mut rest) {
            Ok(0) | Err(_) => break,
            Ok(k) => total += k,
        }
    }
    let _ = s.shutdown(std::net::Shutdown::Both);
    let line = String::from_utf8_lossy(&head[..n]);
    let code = line.split_whitespace().nth(1).unwrap_or("");
    if code.starts_with('2') && code.len() == 3 {
        Ok(())
    } else {
        Err(format!(
            "http {url}: status {}",
            if code.is_empty() { "none" } else { code }
        ))
    }
}

fn command_check(argv: &[String], timeout: Duration) -> Result<(), String> {
    let Some((cmd, args)) = argv.split_first() else {
        return Err("empty command".into());
    };
    let (tx, rx) = std::sync::mpsc::channel();
    let mut c = std::process::Command::new(cmd);
    c.args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    std::os::unix::process::CommandExt::process_group(&mut c, 0);
    let pid = crate::proc::reaper()
        .spawn_watched(&mut c, move |_, st| {
            let _ = tx.send(st);
        })
        .map_err(|e| format!("command {cmd}: {e}"))?;
    match rx.recv_timeout(timeout) {
        Ok(crate::proc::ExitStatus::Code(0)) => Ok(()),
        Ok(st) => Err(format!("command {cmd}: {}", st.describe())),
        Err(_) => {
            crate::proc::signal_tree(pid, &[], libc::SIGKILL);
            Err(format!(
                "command {cmd}: no answer within {:.1}s",
                timeout.as_secs_f64()
            ))
        }
    }
}
