//! `cube-cli supervise CONFIG` and `cube-cli ctl COMMAND`: the command-line side of
//! cube-sup (supervision of OS programs).

use serde_json::{json, Value as Json};
use std::os::fd::AsRawFd;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// Runs a supervisor until `ctl quit`, SIGTERM or SIGINT; SIGHUP reloads the
/// configuration. Exit status 0 after an orderly stop, 2 on a configuration error.
pub fn supervise(
    config: &Path,
    schedulers: usize,
    script: Option<&Path>,
    dist: &crate::dist::Flags,
    dashboard: Option<crate::dashboard::Config>,
) -> u8 {
    let cfg = match cube_sup::config::load(config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cube-cli: {e}");
            return 2;
        }
    };
    let n = cfg.programs.len();
    let exe = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "cube-cli".into());
    // `--sname`/`--name`: the node joins the cluster before the manager runs; the
    // distribution lives as long as the supervisor.
    let running = Arc::new(Mutex::new(None));
    let handle = Arc::new(Mutex::new(None));
    let on_node = {
        let (dist, running, handle) = (dist.clone(), running.clone(), handle.clone());
        cube_sup::NodeHook(Arc::new(move |node: &cube_vm::Node| {
            *handle.lock().unwrap_or_else(|e| e.into_inner()) = Some(node.handle());
            let r = crate::dist::start(node, &dist)?;
            *running.lock().unwrap_or_else(|e| e.into_inner()) = r;
            Ok(())
        }))
    };
    // `--http`: the dashboard's server and its connections are processes of this
    // node, so the node's image gets the `http` library.
    let setup = match &dashboard {
        Some(_) => match cube_http::Http::new() {
            Ok(http) => Some(cube_sup::StateHook(Arc::new(
                move |st: &mut cube_lua::State| http.open(st),
            ))),
            Err(e) => {
                eprintln!("cube-cli: {e}");
                return 1;
            }
        },
        None => None,
    };
    let opts = cube_sup::Options {
        schedulers,
        sentinel: Some(vec![exe, cube_sup::sentinel::ARG.to_string()]),
        script: script.map(Path::to_path_buf),
        on_node: Some(on_node),
        setup,
    };
    let sup = match cube_sup::Supervisor::start(cfg, opts) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cube-cli: {e}");
            return 1;
        }
    };
    // From here on, the supervisor's messages go through a bounded queue: a stderr
    // nobody reads must not hold up the signal thread (and so SIGTERM) or the exit.
    let (control, events) = sup.endpoints();
    say(&format!(
        "cube-cli: supervising {n} program(s); control at {control}; events at {events}"
    ));
    let node = handle.lock().unwrap_or_else(|e| e.into_inner()).take();
    let _dashboard = match (&dashboard, node) {
        (Some(cfg), Some(node)) => match crate::dashboard::start(
            &node,
            cfg,
            crate::dashboard::Mode::Supervise,
            Some(control.clone()),
        ) {
            Ok(r) => Some(r),
            Err(e) => {
                say(&format!("cube-cli: {e}; stopping all programs"));
                sup.quit();
                let _ = sup.wait();
                cube_sup::logs::stderr().flush(std::time::Duration::from_secs(1));
                return 1;
            }
        },
        _ => None,
    };
    watch_signals(sup.quit_handle(), control);
    let code = match sup.wait() {
        cube_vm::ExitReason::Normal => 0,
        cube_vm::ExitReason::Error { message, .. } => {
            say(&format!(
                "cube-cli: the manager ended: {}",
                message.unwrap_or_default()
            ));
            1
        }
        cube_vm::ExitReason::Term(t) => {
            say(&format!(
                "cube-cli: the manager ended: {}",
                cube_vm::engine::term_text(&t)
            ));
            1
        }
    };
    drop(running.lock().unwrap_or_else(|e| e.into_inner()).take());
    cube_sup::logs::stderr().flush(std::time::Duration::from_secs(1));
    code
}

fn say(msg: &str) {
    cube_sup::logs::say(msg)
}

static SIGNAL_FD: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(-1);

/// Writes the signal's number to the pipe that `watch_signals`' thread reads. It
/// runs between any two instructions of the interrupted code, which may be about to
/// read errno: a failed write(2) (a full pipe) must not change it, so errno is saved
/// and restored.
extern "C" fn on_signal(sig: libc::c_int) {
    // SAFETY: `__errno_location` returns this thread's errno, always valid; reading and
    // writing it is async-signal-safe.
    let saved = unsafe { *libc::__errno_location() };
    let fd = SIGNAL_FD.load(std::sync::atomic::Ordering::Relaxed);
    if fd >= 0 {
        let b = sig as u8;
        // SAFETY: write(2) is async-signal-safe; `b` outlives the call.
        unsafe { libc::write(fd, &b as *const u8 as *const libc::c_void, 1) };
    }
    // SAFETY: as above.
    unsafe { *libc::__errno_location() = saved };
}

/// SIGTERM/SIGINT: quit (stop every program, then exit); SIGHUP: reload.
fn watch_signals(quit: cube_sup::QuitHandle, control: String) {
    let Ok((r, w)) = cube_sup::proc::pipe() else {
        return;
    };
    SIGNAL_FD.store(w.as_raw_fd(), std::sync::atomic::Ordering::SeqCst);
    std::mem::forget(w);
    for sig in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
        // SAFETY: installing a handler that only writes to a pipe.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_signal as *const () as usize;
            sa.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(sig, &sa, std::ptr::null_mut());
        }
    }
    std::thread::spawn(move || {
        let mut b = [0u8; 1];
        loop {
            // SAFETY: reading one byte into a local buffer.
            let n = unsafe { libc::read(r.as_raw_fd(), b.as_mut_ptr().cast(), 1) };
            if n <= 0 {
                if n < 0
                    && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted
                {
                    continue;
                }
                return;
            }
            if b[0] as i32 == libc::SIGHUP {
                match cube_sup::control::request(&control, "reload", json!({}), 120_000) {
                    Ok(r) if r["ok"] == json!(true) => {
                        say(&format!("cube-cli: reloaded: {}", r["result"]))
                    }
                    Ok(r) => say(&format!(
                        "cube-cli: reload failed: {}",
                        r["error"].as_str().unwrap_or("?")
                    )),
                    Err(e) => say(&format!("cube-cli: reload failed: {e}")),
                }
            } else {
                say("cube-cli: stopping all programs");
                quit.quit();
            }
        }
    });
}

/// Where `ctl` connects: `--endpoint`, else the config file's control endpoint, else
/// `$CUBE_SUP_CONTROL`.
fn endpoint(endpoint: Option<&str>, config: Option<&Path>) -> Result<String, String> {
    if let Some(e) = endpoint {
        return Ok(e.to_string());
    }
    if let Some(c) = config {
        // A file being edited may not parse: the running supervisor is still reached.
        let (control, broken) = cube_sup::config::control_endpoint(c);
        if let Some(e) = broken {
            eprintln!("cube-cli: warning: {e}; trying the supervisor at {control}");
        }
        if control.ends_with(":*") {
            return Err(format!(
                "{}: the control endpoint {control} binds any free port: give --endpoint with \
                 the one `supervise` printed (or set CUBE_SUP_CONTROL)",
                c.display()
            ));
        }
        return Ok(control);
    }
    std::env::var("CUBE_SUP_CONTROL").map_err(|_| {
        "no control endpoint: give --endpoint, -c CONFIG or set CUBE_SUP_CONTROL".to_string()
    })
}

/// What every `ctl` command does first. Output into a closed pipe (`ctl status | head`)
/// ends the command quietly, as it does for other Unix tools, instead of failing on
/// EPIPE. Then the control endpoint, or the exit status (2) after saying why not.
fn begin(ep: Option<&str>, config: Option<&Path>) -> Result<String, u8> {
    // SAFETY: restoring the default disposition of SIGPIPE.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    endpoint(ep, config).map_err(|e| {
        eprintln!("cube-cli: {e}");
        2
    })
}

/// `--timeout` seconds as the milliseconds ZeroMQ takes.
fn timeout_ms(timeout_s: f64) -> i32 {
    (timeout_s * 1000.0).clamp(1.0, i32::MAX as f64) as i32
}

/// One `ctl` request; prints the reply. Exit status 0 on success, 1 on an error reply,
/// 2 when the supervisor cannot be reached.
pub fn ctl(
    ep: Option<&str>,
    config: Option<&Path>,
    as_json: bool,
    timeout_s: f64,
    command: &str,
    args: Json,
    follow: bool,
) -> u8 {
    let endpoint = match begin(ep, config) {
        Ok(e) => e,
        Err(code) => return code,
    };
    let timeout = timeout_ms(timeout_s);
    // `pid` is read from `status` (a program's) or `version` (the supervisor's).
    let request = match (command, args["name"].is_null()) {
        ("pid", true) => "version",
        ("pid", false) => "status",
        (c, _) => c,
    };
    let reply = match cube_sup::control::request(&endpoint, request, args, timeout) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cube-cli: {e}");
            return 2;
        }
    };
    if as_json {
        println!("{reply}");
    }
    if reply["ok"] != json!(true) {
        if !as_json {
            eprintln!("cube-cli: {}", reply["error"].as_str().unwrap_or("error"));
        }
        return 1;
    }
    if as_json {
        return 0;
    }
    let result = &reply["result"];
    match command {
        "status" => print_status(result),
        "tail" | "maintail" => {
            let parts = result.as_array().cloned().unwrap_or_default();
            if follow {
                if parts.len() != 1 {
                    eprintln!("cube-cli: --follow needs a single program instance (name:N)");
                    return 2;
                }
                for l in parts[0]["lines"].as_array().cloned().unwrap_or_default() {
                    println!("{}", l.as_str().unwrap_or(""));
                }
                return crate::follow::follow(
                    Path::new(parts[0]["file"].as_str().unwrap_or("")),
                    parts[0]["offset"].as_u64().unwrap_or(0),
                    parts[0]["inode"].as_u64(),
                );
            }
            let many = parts.len() > 1;
            for p in parts {
                for l in p["lines"].as_array().cloned().unwrap_or_default() {
                    let l = l.as_str().unwrap_or("");
                    if many {
                        println!("[{}] {l}", p["id"].as_str().unwrap_or("?"));
                    } else {
                        println!("{l}");
                    }
                }
            }
        }
        "pid" if result.is_array() => {
            for p in result.as_array().into_iter().flatten() {
                println!("{}", p["pid"].as_i64().unwrap_or(0));
            }
        }
        "pid" => println!("{}", result["pid"]),
        "version" => println!(
            "cube-cli {} (control protocol {}), control {}, events {}",
            result["version"].as_str().unwrap_or("?"),
            result["protocol"],
            result["control"].as_str().unwrap_or("?"),
            result["events"].as_str().unwrap_or("?"),
        ),
        _ => print_outcomes(command, result),
    }
    0
}

/// A reply's outcome as one line per program instance, as supervisorctl prints them
/// (`web:0: stopped`): every list in the result names what happened to its entries
/// (`stopped`, `started`, `restarted`, `beat`, reload's `added`/`changed`/`removed`, a
/// signal's `sent`). `--json` gives the reply itself.
fn print_outcomes(command: &str, result: &Json) {
    let Some(fields) = result.as_object() else {
        println!("{result}");
        return;
    };
    let mut printed = false;
    for (what, entries) in fields {
        if what == "unchanged" {
            continue;
        }
        let Some(entries) = entries.as_array() else {
            continue;
        };
        for e in entries {
            printed = true;
            match (e.as_str(), e["id"].as_str()) {
                (Some(id), _) => println!("{id}: {what}"),
                (None, Some(id)) if what == "sent" => println!(
                    "{id}: signalled {} (pid {})",
                    result["signal"].as_str().unwrap_or("?"),
                    e["pid"]
                ),
                (None, Some(id)) => println!("{id}: {what}"),
                (None, None) => println!("{what}: {e}"),
            }
        }
    }
    match command {
        "quit" => println!("supervisor: shut down"),
        "reload" if !printed => println!("no changes"),
        _ => {}
    }
}

fn print_status(result: &Json) {
    println!(
        "{:<24} {:<9} {:>8} {:>10} {:>8}  LAST EXIT",
        "PROGRAM", "STATE", "PID", "UPTIME", "RESTARTS"
    );
    for s in result.as_array().cloned().unwrap_or_default() {
        let pid = s["pid"].as_i64().map_or("-".to_string(), |p| p.to_string());
        let up = s["uptime"]
            .as_f64()
            .map_or("-".to_string(), |u| format!("{u:.1}s"));
        println!(
            "{:<24} {:<9} {:>8} {:>10} {:>8}  {}",
            s["id"].as_str().unwrap_or("?"),
            s["state"].as_str().unwrap_or("?"),
            pid,
            up,
            s["restarts"],
            s["last_exit"].as_str().unwrap_or("-"),
        );
    }
    // Output lost to a stalled stdout or an unwritable log file is worth a line.
    for s in result.as_array().cloned().unwrap_or_default() {
        let n = s["dropped_bytes"].as_u64().unwrap_or(0);
        if n > 0 {
            println!(
                "{}: {n} bytes of output dropped (the supervisor's stdout did not keep up, or the log file could not be written)",
                s["id"].as_str().unwrap_or("?")
            );
        }
    }
}

/// `ctl listen`: the supervisor's event stream, one line per event as it happens
/// (`2026-12-04T18:30:00Z web:0 spawn pid=4242`), or each event's JSON with `--json`.
/// Runs until interrupted; exit status 2 when the supervisor cannot be reached.
pub fn listen(ep: Option<&str>, config: Option<&Path>, as_json: bool, timeout_s: f64) -> u8 {
    let endpoint = match begin(ep, config) {
        Ok(e) => e,
        Err(code) => return code,
    };
    let timeout = timeout_ms(timeout_s);
    let events = match cube_sup::control::request(&endpoint, "version", json!({}), timeout) {
        Ok(r) => r["result"]["events"].as_str().map(String::from),
        Err(e) => {
            eprintln!("cube-cli: {e}");
            return 2;
        }
    };
    let Some(events) = events else {
        eprintln!("cube-cli: the supervisor at {endpoint} named no events endpoint");
        return 2;
    };
    let stream = match cube_sup::control::EventStream::connect(&events) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cube-cli: {e}");
            return 2;
        }
    };
    let mut out = std::io::stdout();
    loop {
        let body = match stream.next_event() {
            Ok(b) => b,
            Err(e) => {
                eprintln!("cube-cli: {e}");
                return 2;
            }
        };
        let body = &body;
        let line = if as_json {
            String::from_utf8_lossy(body).into_owned()
        } else {
            match serde_json::from_slice::<Json>(body) {
                Ok(ev) => cube_sup::eventlog::line(&ev),
                Err(_) => continue,
            }
        };
        use std::io::Write;
        if writeln!(out, "{line}").and_then(|_| out.flush()).is_err() {
            return 0;
        }
    }
}

/// `ctl stats`: two readings of the instances' CPU time `interval` seconds apart, and
/// a table of CPU percent (of one core), resident memory, processes and CPU time; with
/// `watch`, a new table every interval until interrupted.
pub fn stats(
    ep: Option<&str>,
    config: Option<&Path>,
    as_json: bool,
    timeout_s: f64,
    name: Option<&str>,
    watch: bool,
    interval: f64,
) -> u8 {
    let endpoint = match begin(ep, config) {
        Ok(e) => e,
        Err(code) => return code,
    };
    if !(0.05..=3600.0).contains(&interval) {
        eprintln!("cube-cli: --interval must be from 0.05 to 3600 seconds");
        return 2;
    }
    let timeout = timeout_ms(timeout_s);
    let reading = || -> Result<(std::time::Instant, Vec<Json>), (u8, String)> {
        let r = cube_sup::control::request(&endpoint, "stats", json!({ "name": name }), timeout)
            .map_err(|e| (2, e))?;
        if r["ok"] != json!(true) {
            return Err((1, r["error"].as_str().unwrap_or("error").to_string()));
        }
        Ok((
            std::time::Instant::now(),
            r["result"].as_array().cloned().unwrap_or_default(),
        ))
    };
    let mut before = match reading() {
        Ok(r) => r,
        Err((code, e)) => {
            eprintln!("cube-cli: {e}");
            return code;
        }
    };
    loop {
        std::thread::sleep(std::time::Duration::from_secs_f64(interval));
        let after = match reading() {
            Ok(r) => r,
            Err((code, e)) => {
                eprintln!("cube-cli: {e}");
                return code;
            }
        };
        let dt = after.0.duration_since(before.0).as_secs_f64().max(1e-3);
        let mut rows = Vec::new();
        for s in &after.1 {
            let cpu = s["cpu_seconds"].as_f64().unwrap_or(0.0);
            // An instance restarted between the readings starts from zero.
            let prev = before
                .1
                .iter()
                .find(|b| b["id"] == s["id"] && b["pid"] == s["pid"])
                .and_then(|b| b["cpu_seconds"].as_f64())
                .unwrap_or(0.0);
            let mut row = s.clone();
            row["cpu_percent"] = json!(((cpu - prev).max(0.0) / dt * 100.0 * 10.0).round() / 10.0);
            rows.push(row);
        }
        if as_json {
            println!("{}", Json::Array(rows));
        } else {
            println!(
                "{:<24} {:>8} {:>5} {:>6} {:>10} {:>10}",
                "PROGRAM", "PID", "PROCS", "CPU%", "MEMORY", "CPU TIME"
            );
            for r in &rows {
                println!(
                    "{:<24} {:>8} {:>5} {:>6.1} {:>10} {:>9.2}s",
                    r["id"].as_str().unwrap_or("?"),
                    r["pid"].to_string(),
                    r["processes"].to_string(),
                    r["cpu_percent"].as_f64().unwrap_or(0.0),
                    human_bytes(r["rss_bytes"].as_u64().unwrap_or(0)),
                    r["cpu_seconds"].as_f64().unwrap_or(0.0),
                );
            }
        }
        if !watch {
            return 0;
        }
        println!();
        before = after;
    }
}

/// Bytes as a short human figure (`12.3 MB`).
fn human_bytes(n: u64) -> String {
    let units = ["B", "KB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1000.0 && u + 1 < units.len() {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", units[u])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The handler leaves errno as it found it, even when its write fails (here: a
    /// descriptor that cannot be open, EBADF). It is called directly, as the kernel
    /// would between two instructions of code that just set errno.
    #[test]
    fn the_signal_handler_preserves_errno() {
        SIGNAL_FD.store(i32::MAX, std::sync::atomic::Ordering::SeqCst);
        // SAFETY: this thread's errno, as in the handler.
        unsafe { *libc::__errno_location() = libc::EINTR };
        on_signal(libc::SIGHUP);
        // SAFETY: as above.
        let after = unsafe { *libc::__errno_location() };
        SIGNAL_FD.store(-1, std::sync::atomic::Ordering::SeqCst);
        assert_eq!(after, libc::EINTR);
    }
}
