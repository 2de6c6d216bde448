//! The dashboard's sampler: a Rust thread that sends the hub (`dashboard.lua`) a
//! `dash_sample` message each second with what Lua cannot read:
//!
//! - each scheduler thread's load (its CPU time over the second, from
//!   `/proc/self/task/*/stat` of the threads named `cube-sched-N`: a scheduler sleeps
//!   when it has nothing to run, so its CPU time is its busy time) and the OS process's
//!   resident memory (`/proc/self/statm`);
//! - under `supervise`, per program instance: CPU% and RSS (the control socket's
//!   `stats`, the same numbers as `ctl stats`) and the last lines of its stdout log,
//!   taken once with the control socket's `tail` and then followed as `ctl tail -f`
//!   follows it (`follow.rs`, across rotations), so a second costs what was appended,
//!   not a re-read of the file's end. Only logs that changed are sent.
//!
//! It talks to the supervisor through its control socket (one DEALER, kept), the
//! versioned JSON protocol `ctl` speaks: the dashboard uses the supervisor's public
//! interface, nothing inside it.

use serde_json::{json, Value as Json};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Lines of each log the page shows.
const LOG_LINES: usize = 40;
/// A longer line is cut (the page is not a log viewer).
const MAX_LINE: usize = 2000;

pub fn start(
    node: cube_vm::NodeHandle,
    stop: Arc<AtomicBool>,
    control: Option<String>,
) -> std::thread::JoinHandle<()> {
    std::thread::Builder::new()
        .name("cube-dashboard".into())
        .spawn(move || {
            let mut s = Sampler {
                control: control.and_then(|ep| Control::connect(&ep).ok()),
                threads: HashMap::new(),
                cpu: HashMap::new(),
                logs: HashMap::new(),
                last: Instant::now(),
            };
            let _ = s.sched_loads(1.0);
            while !stop.load(Ordering::SeqCst) {
                // Sleep in short steps so that a stop is quick.
                let next = s.last + Duration::from_secs(1);
                while Instant::now() < next && !stop.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(50));
                }
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let msg = s.sample();
                // Fails only while the hub is gone (its node stopping): the owner's
                // drop of `Running` ends this loop.
                node.send_named(super::HUB_NAME, cube_sup::json::to_term(&msg));
            }
        })
        .expect("dashboard thread")
}

struct Sampler {
    control: Option<Control>,
    /// Scheduler index -> (tid, CPU ticks at the last sample).
    threads: HashMap<u32, (u32, u64)>,
    /// Instance id -> (OS pid, CPU seconds) at the last sample.
    cpu: HashMap<String, (i64, f64)>,
    logs: HashMap<String, LogTail>,
    last: Instant,
}

impl Sampler {
    fn sample(&mut self) -> Json {
        let now = Instant::now();
        let dt = now.duration_since(self.last).as_secs_f64().max(0.001);
        self.last = now;
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0);
        let mut msg = json!({
            "tag": "dash_sample",
            "t": t,
            "sched": self.sched_loads(dt),
            "rss": rss_bytes(),
        });
        if self.control.is_some() {
            let (stats, logs) = self.programs(dt);
            msg["stats"] = Json::Array(stats);
            msg["logs"] = Json::Array(logs);
        }
        msg
    }

    /// Each scheduler's busy fraction (0..1 per thread) since the last sample.
    fn sched_loads(&mut self, dt: f64) -> Vec<Json> {
        let hz = clock_ticks();
        let mut now: HashMap<u32, (u32, u64)> = HashMap::new();
        if let Ok(dir) = std::fs::read_dir("/proc/self/task") {
            for e in dir.flatten() {
                let Some(tid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
                    continue;
                };
                let comm = std::fs::read_to_string(e.path().join("comm")).unwrap_or_default();
                let Some(i) = comm
                    .trim_end()
                    .strip_prefix("cube-sched-")
                    .and_then(|n| n.parse::<u32>().ok())
                else {
                    continue;
                };
                let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
                if let Some(ticks) = cpu_ticks(&stat) {
                    now.insert(i, (tid, ticks));
                }
            }
        }
        let n = now.keys().max().map_or(0, |m| *m as usize + 1);
        let mut loads = vec![json!(0.0); n];
        for (i, (tid, ticks)) in &now {
            if let Some((ptid, pticks)) = self.threads.get(i) {
                if ptid == tid {
                    let busy = ticks.saturating_sub(*pticks) as f64 / hz / dt;
                    loads[*i as usize] = json!((busy.min(1.0) * 1000.0).round() / 1000.0);
                }
            }
        }
        self.threads = now;
        loads
    }

    /// Per instance: CPU% and RSS, and the logs that changed.
    fn programs(&mut self, dt: f64) -> (Vec<Json>, Vec<Json>) {
        let Some(ctl) = self.control.as_mut() else {
            return (vec![], vec![]);
        };
        let Ok(Json::Array(list)) = ctl.request("stats", json!({})) else {
            return (vec![], vec![]);
        };
        let mut stats = Vec::new();
        let mut seen = Vec::new();
        let mut cpu = HashMap::new();
        for s in &list {
            let Some(id) = s["id"].as_str() else { continue };
            seen.push(id.to_string());
            let pid = s["pid"].as_i64().unwrap_or(0);
            let secs = s["cpu_seconds"].as_f64().unwrap_or(0.0);
            let percent = match self.cpu.get(id) {
                Some((p, before)) if *p == pid && pid != 0 => {
                    ((secs - before).max(0.0) / dt * 1000.0).round() / 10.0
                }
                _ => 0.0,
            };
            cpu.insert(id.to_string(), (pid, secs));
            stats.push(
                json!({"id": id, "cpu": percent, "rss": s["rss_bytes"].as_u64().unwrap_or(0)}),
            );
        }
        self.cpu = cpu;
        self.logs.retain(|id, _| seen.contains(id));
        let mut logs = Vec::new();
        for id in seen {
            if !self.logs.contains_key(&id) {
                let t = LogTail::open(ctl, &id);
                self.logs.insert(id.clone(), t);
                let t = &self.logs[&id];
                logs.push(t.json(&id));
                continue;
            }
            let t = self.logs.get_mut(&id).expect("present");
            if t.poll() {
                logs.push(t.json(&id));
            }
        }
        (stats, logs)
    }
}

/// The last lines of one instance's stdout log, kept up to date.
struct LogTail {
    follower: Option<crate::follow::Follower>,
    lines: VecDeque<String>,
    partial: Vec<u8>,
    error: Option<String>,
}

impl LogTail {
    fn open(ctl: &mut Control, id: &str) -> LogTail {
        let mut t = LogTail {
            follower: None,
            lines: VecDeque::new(),
            partial: Vec::new(),
            error: None,
        };
        match ctl.request("tail", json!({"name": id, "lines": LOG_LINES})) {
            Ok(Json::Array(r)) if !r.is_empty() => {
                let r = &r[0];
                for l in r["lines"].as_array().into_iter().flatten() {
                    t.push_line(l.as_str().unwrap_or("").as_bytes());
                }
                if let Some(file) = r["file"].as_str() {
                    t.follower = Some(crate::follow::Follower::new(
                        std::path::Path::new(file),
                        r["offset"].as_u64().unwrap_or(0),
                        r["inode"].as_u64(),
                    ));
                }
            }
            Ok(_) => t.error = Some("no log".into()),
            Err(e) if e == "no log" => {
                t.error = Some("no log file (log = \"passthrough\" or \"null\")".into())
            }
            Err(e) => t.error = Some(e),
        }
        t
    }

    fn push_line(&mut self, l: &[u8]) {
        let l = &l[..l.len().min(MAX_LINE)];
        self.lines
            .push_back(String::from_utf8_lossy(l).into_owned());
        while self.lines.len() > LOG_LINES {
            self.lines.pop_front();
        }
    }

    /// Reads what was appended; true if a line was completed.
    fn poll(&mut self) -> bool {
        let Some(mut f) = self.follower.take() else {
            return false;
        };
        let mut sink = LineSink {
            tail: self,
            changed: false,
        };
        let _ = f.poll(&mut sink);
        let changed = sink.changed;
        self.follower = Some(f);
        changed
    }

    fn json(&self, id: &str) -> Json {
        match &self.error {
            Some(e) => json!({"id": id, "error": e, "lines": []}),
            None => json!({"id": id, "lines": self.lines.iter().collect::<Vec<_>>()}),
        }
    }
}

/// Takes the follower's bytes, keeping only the last lines (a burst of gigabytes costs
/// reading it, not memory).
struct LineSink<'a> {
    tail: &'a mut LogTail,
    changed: bool,
}

impl std::io::Write for LineSink<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut rest = buf;
        while let Some(i) = rest.iter().position(|&b| b == b'\n') {
            let mut line = std::mem::take(&mut self.tail.partial);
            line.extend_from_slice(&rest[..i]);
            self.tail.push_line(&line);
            self.changed = true;
            rest = &rest[i + 1..];
        }
        let room = MAX_LINE.saturating_sub(self.tail.partial.len());
        self.tail
            .partial
            .extend_from_slice(&rest[..rest.len().min(room)]);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// One DEALER on the control socket, kept for the dashboard's life.
struct Control {
    sock: zmq::Socket,
    _ctx: zmq::Context,
    next: u64,
}

impl Control {
    fn connect(endpoint: &str) -> Result<Control, String> {
        let ctx = zmq::Context::new();
        let sock = ctx.socket(zmq::DEALER).map_err(|e| e.to_string())?;
        sock.set_linger(0).ok();
        // Short: a request in flight when the supervisor quits delays `supervise`'s
        // exit (the sampler is joined) by at most this.
        sock.set_rcvtimeo(2000).ok();
        sock.set_sndtimeo(2000).ok();
        sock.connect(endpoint).map_err(|e| e.to_string())?;
        Ok(Control {
            sock,
            _ctx: ctx,
            next: 1,
        })
    }

    /// The result of one command, or its error; replies to earlier requests that timed
    /// out are skipped by id.
    fn request(&mut self, command: &str, args: Json) -> Result<Json, String> {
        let id = self.next;
        self.next += 1;
        let req = json!({"v": 1, "id": id, "command": command, "args": args});
        self.sock
            .send(req.to_string().as_bytes(), 0)
            .map_err(|e| e.to_string())?;
        loop {
            let b = self
                .sock
                .recv_bytes(0)
                .map_err(|_| "no reply from the supervisor".to_string())?;
            let r: Json = serde_json::from_slice(&b).map_err(|e| e.to_string())?;
            if r["id"].as_u64() != Some(id) {
                continue;
            }
            return if r["ok"] == json!(true) {
                Ok(r["result"].clone())
            } else {
                Err(r["error"].as_str().unwrap_or("error").to_string())
            };
        }
    }
}

/// utime + stime (fields 14 and 15) of a `/proc/.../stat` line; the command name in
/// parentheses may hold spaces, so fields count from the last ')'.
fn cpu_ticks(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // After ')': state is field 3, so utime (14) is index 11.
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

fn clock_ticks() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if hz > 0 {
        hz as f64
    } else {
        100.0
    }
}

fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(4096) as u64;
    pages * page
}

#[cfg(test)]
mod tests {
    #[test]
    fn cpu_ticks_skip_a_name_with_spaces() {
        let stat = "42 (a b) c) S 1 42 42 0 -1 4194560 100 0 0 0 7 5 0 0 20 0 1 0 10 0 0";
        assert_eq!(super::cpu_ticks(stat), Some(12));
    }
}
