//! Benchmark client for a running `cube-cli supervise` (driven by `bench/run-sup`).
//!
//! `sup_bench latency EVENTS_ENDPOINT CONTROL_ENDPOINT ID N`: N times, SIGKILL the
//! program instance ID and take the time from just before the kill to the exec of its
//! replacement. The exec time is the `time` of the supervisor's `spawn` event, which it
//! takes when `fork`+`exec` has returned (Rust's spawn returns once the child has
//! exec'd). Prints p50, p90, p99 and max in milliseconds.
//!
//! `sup_bench spawn N`: the fork+exec part alone: N times, the time
//! `cube_sup::proc::spawn_program` takes to start `sleep` (own session, PDEATHSIG, stdout
//! and stderr to pipes, as the supervisor does), without the VM.
//!
//! `sup_bench idle PID SECONDS`: CPU time the process PID uses over SECONDS (percent
//! of one core) and its resident memory.

use serde_json::{json, Value as Json};
use std::time::{Duration, SystemTime};

fn now() -> f64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

fn next_event(sub: &zmq::Socket, kind: &str, id: &str) -> Json {
    loop {
        let frames = sub.recv_multipart(0).expect("event within the timeout");
        let ev: Json = serde_json::from_slice(frames.last().unwrap()).unwrap();
        if ev["event"] == json!(kind) && ev["id"] == json!(id) {
            return ev;
        }
    }
}

fn latency(events: &str, control: &str, id: &str, n: usize) {
    let ctx = zmq::Context::new();
    let sub = ctx.socket(zmq::SUB).unwrap();
    sub.set_subscribe(b"event.").unwrap();
    sub.set_rcvtimeo(10_000).unwrap();
    sub.connect(events).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let st = cube_sup::control::request(control, "status", json!({ "name": id }), 10_000).unwrap();
    let mut pid = st["result"][0]["pid"].as_i64().expect("running") as i32;
    let mut samples = Vec::with_capacity(n);
    let mut inside = Vec::with_capacity(n);
    for _ in 0..n {
        let t0 = now();
        // SAFETY: kill(2) takes plain integers; no memory is involved.
        unsafe { libc::kill(pid, libc::SIGKILL) };
        let spawn = next_event(&sub, "spawn", id);
        samples.push((spawn["time"].as_f64().unwrap() - t0) * 1000.0);
        if let Some(s) = spawn["since_exit"].as_f64() {
            inside.push(s * 1000.0);
        }
        pid = spawn["pid"].as_i64().unwrap() as i32;
        // Kill the next one only once it counts as started (startsecs), so no kill is
        // a failed start with a backoff.
        next_event(&sub, "running", id);
    }
    report(
        &format!("kill -> replacement exec over {n} kills"),
        &mut samples,
    );
    report(
        "  of which reaping -> exec (inside the supervisor)",
        &mut inside,
    );
}

fn report(what: &str, samples: &mut [f64]) {
    if samples.is_empty() {
        return;
    }
    samples.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let q =
        |p: f64| samples[((samples.len() as f64 * p).ceil() as usize).clamp(1, samples.len()) - 1];
    println!(
        "{what} (ms): p50 {:.3}  p90 {:.3}  p99 {:.3}  max {:.3}",
        q(0.50),
        q(0.90),
        q(0.99),
        samples[samples.len() - 1]
    );
}

fn spawn(n: usize) {
    let mut samples = Vec::with_capacity(n);
    let args = vec!["1000".to_string()];
    for _ in 0..n {
        let (_r1, w1) = cube_sup::proc::pipe().unwrap();
        let (_r2, w2) = cube_sup::proc::pipe().unwrap();
        let spec = cube_sup::proc::SpawnSpec {
            command: "sleep",
            args: &args,
            cwd: None,
            env: vec![("CUBE_SUP_TAG".into(), "bench".into())],
            user: None,
            stdout: std::process::Stdio::from(w1),
            stderr: std::process::Stdio::from(w2),
            fd3: None,
        };
        let t0 = std::time::Instant::now();
        let pid = cube_sup::proc::spawn_program(spec, |_, _| {}).unwrap();
        samples.push(t0.elapsed().as_secs_f64() * 1000.0);
        // SAFETY: kill(2) takes plain integers; no memory is involved.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
    report(&format!("fork+exec alone over {n} spawns"), &mut samples);
}

fn cpu_ticks(pid: &str) -> (u64, u64) {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let f: Vec<&str> = s[s.rfind(')').unwrap() + 2..].split(' ').collect();
    let ticks = f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap();
    let rss = f[21].parse::<u64>().unwrap() * 4096;
    (ticks, rss)
}

fn idle(pid: &str, secs: f64) {
    // SAFETY: sysconf(3) takes and returns plain integers.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    let (t0, _) = cpu_ticks(pid);
    std::thread::sleep(Duration::from_secs_f64(secs));
    let (t1, rss) = cpu_ticks(pid);
    let cpu = (t1 - t0) as f64 / hz;
    println!(
        "supervisor idle: {cpu:.2} s CPU in {secs} s ({:.2}% of one core), RSS {:.1} MB",
        cpu / secs * 100.0,
        rss as f64 / 1048576.0
    );
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    match a.get(1).map(String::as_str) {
        Some("latency") if a.len() == 6 => latency(&a[2], &a[3], &a[4], a[5].parse().unwrap()),
        Some("idle") if a.len() == 4 => idle(&a[2], a[3].parse().unwrap()),
        Some("spawn") if a.len() == 3 => spawn(a[2].parse().unwrap()),
        _ => {
            eprintln!("usage: sup_bench latency EVENTS CONTROL ID N | spawn N | idle PID SECONDS");
            std::process::exit(2);
        }
    }
}
