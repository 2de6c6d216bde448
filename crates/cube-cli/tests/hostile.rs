//! The hostile-input suite (issue 9): every `tests/hostile/*.lua` runs through
//! `cube-cli run` under the sandbox's limits, with a wall-clock bound and a peak-RSS
//! bound, and must end the way its header says: a limit error, a clear error or a clean
//! exit. Never a signal, a panic, a hang or memory beyond the bound.
//!
//! A case's header (leading `--` comment lines) says what to expect; see
//! `tests/hostile/README.md` for the format. The peak RSS of a case is read from the
//! kernel (`wait4`'s `ru_maxrss`) and is also watched while it runs, so a case that
//! runs away is killed long before it could hurt the machine.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The flags every case runs with unless its header says `-- args:`.
const DEFAULT_ARGS: &str = "--sandbox --max-heap 16000000 --max-reductions 1000000";
/// The wall-clock bound of a case: far above what any case takes (the slowest, the
/// pattern backtracking ones, take a few seconds on an idle machine in a debug build,
/// and took 27 s with the machine's load at 7 on 2 cores), so that it catches hangs,
/// never slowness.
const DEFAULT_TIMEOUT_S: u64 = 120;
/// Peak RSS allowed to a case that sets no heap limit and no `-- max-rss-mb:`.
const UNLIMITED_RSS_BOUND: u64 = 1 << 30;

#[derive(Debug, Clone, PartialEq)]
enum Expect {
    Heap,
    Reductions,
    Limit,
    Error(String),
    Ok(String),
}

#[derive(Debug)]
struct Case {
    path: PathBuf,
    expect: Expect,
    args: Vec<String>,
    timeout: Duration,
    max_rss: Option<u64>,
}

fn parse_case(path: &Path) -> Result<Case, String> {
    let src = std::fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))?;
    let mut expect = None;
    let mut args = DEFAULT_ARGS.to_string();
    let mut timeout = DEFAULT_TIMEOUT_S;
    let mut max_rss = None;
    for (n, line) in src.lines().enumerate() {
        let Some(rest) = line.strip_prefix("--") else {
            break;
        };
        let rest = rest.trim();
        let (key, value) = match rest.split_once(':') {
            Some((k, v)) => (k.trim(), v.trim()),
            None => continue,
        };
        let bad = |what: &str| format!("{}:{}: {what}", path.display(), n + 1);
        match key {
            "expect" => {
                expect = Some(match value.split_once(':') {
                    Some(("error", text)) => Expect::Error(text.trim().to_string()),
                    Some(("ok", text)) => Expect::Ok(text.trim().to_string()),
                    None if value == "heap" => Expect::Heap,
                    None if value == "reductions" => Expect::Reductions,
                    None if value == "limit" => Expect::Limit,
                    None if value == "ok" => Expect::Ok(String::new()),
                    _ => {
                        return Err(bad(
                            "expect: heap | reductions | limit | error: TEXT | ok: TEXT",
                        ))
                    }
                })
            }
            "args" => args = value.to_string(),
            "timeout" => timeout = value.parse().map_err(|_| bad("timeout: seconds"))?,
            "max-rss-mb" => {
                max_rss = Some(
                    value
                        .parse::<u64>()
                        .map_err(|_| bad("max-rss-mb: number"))?
                        << 20,
                )
            }
            _ => {}
        }
    }
    let expect = expect.ok_or_else(|| format!("{}: no `-- expect:` header", path.display()))?;
    Ok(Case {
        path: path.to_path_buf(),
        expect,
        args: args.split_whitespace().map(str::to_string).collect(),
        timeout: Duration::from_secs(timeout),
        max_rss,
    })
}

/// `--max-heap N` among the flags, if any.
fn max_heap(args: &[String]) -> Option<u64> {
    let i = args.iter().position(|a| a == "--max-heap")?;
    args.get(i + 1)?.parse().ok()
}

struct RunResult {
    status: libc::c_int,
    stdout: String,
    stderr: String,
    /// Peak resident set size in bytes.
    peak_rss: u64,
    elapsed: Duration,
    /// Why the watchdog killed it, if it did.
    killed: Option<String>,
}

fn drain(mut r: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = r.read_to_end(&mut buf);
        // Keep reports readable when a case prints megabytes.
        buf.truncate(64 << 10);
        String::from_utf8_lossy(&buf).into_owned()
    })
}

fn current_rss(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb << 10)
}

/// Runs `cube-cli run ARGS FILE` and waits for it with `wait4`, killing it if it
/// outlives `timeout` or its RSS passes `rss_kill`.
fn run(args: &[String], file: &Path, timeout: Duration, rss_kill: u64) -> RunResult {
    let start = Instant::now();
    let mut child: Child = Command::new(env!("CARGO_BIN_EXE_cube-cli"))
        .arg("run")
        .args(args)
        .arg(file)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cube-cli starts");
    let pid = child.id();
    let out = drain(child.stdout.take().unwrap());
    let err = drain(child.stderr.take().unwrap());
    let mut killed = None;
    let (status, rusage) = loop {
        let mut status = 0;
        // SAFETY: an all-zero rusage is a valid value; wait4 fills it in.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: `pid` is our own child, not yet reaped (only this loop reaps it).
        let r = unsafe { libc::wait4(pid as libc::pid_t, &mut status, libc::WNOHANG, &mut ru) };
        if r == pid as libc::pid_t {
            break (status, ru);
        }
        assert!(r == 0, "wait4 failed: {}", std::io::Error::last_os_error());
        if killed.is_none() {
            if start.elapsed() > timeout {
                killed = Some(format!("still running after {timeout:?}"));
            } else if let Some(rss) = current_rss(pid).filter(|&r| r > rss_kill) {
                killed = Some(format!("RSS {} MB while running", rss >> 20));
            }
            if killed.is_some() {
                let _ = child.kill();
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    // The child is reaped; `Child`'s drop does not wait, so nothing else touches it.
    std::mem::forget(child);
    RunResult {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
        peak_rss: (rusage.ru_maxrss as u64) << 10,
        elapsed: start.elapsed(),
        killed,
    }
}

/// Peak RSS varies between runs of the same script by a few MB (malloc's per-thread
/// arenas, which scheduler thread ran what): the bound allows this much over
/// `4 x heap + baseline`, small beside the allocations the bound exists to catch.
const RSS_NOISE: u64 = 8 << 20;

/// Peak RSS of an empty script under the default flags: the node's own footprint.
fn baseline_rss(dir: &Path) -> u64 {
    let empty = std::env::temp_dir().join(format!("cube-hostile-empty-{}.lua", std::process::id()));
    std::fs::write(&empty, "").unwrap();
    let args: Vec<String> = DEFAULT_ARGS
        .split_whitespace()
        .map(str::to_string)
        .collect();
    let r = run(&args, &empty, Duration::from_secs(30), u64::MAX);
    let _ = std::fs::remove_file(&empty);
    assert_eq!(
        r.status,
        0,
        "an empty script fails in {}: {}",
        dir.display(),
        r.stderr
    );
    r.peak_rss
}

/// Checks one case; `Err` says what went wrong.
fn check(case: &Case, baseline: u64) -> Result<String, String> {
    let rss_bound = match (case.max_rss, max_heap(&case.args)) {
        (Some(b), _) => b,
        (None, Some(h)) => 4 * h + baseline + RSS_NOISE,
        (None, None) => UNLIMITED_RSS_BOUND,
    };
    // The watchdog kills at twice the bound: the exact check is on the final peak.
    let r = run(
        &case.args,
        &case.path,
        case.timeout,
        rss_bound.saturating_mul(2),
    );
    let summary = format!(
        "{:.2} s, peak RSS {:.1} MB (bound {:.1} MB)",
        r.elapsed.as_secs_f64(),
        r.peak_rss as f64 / 1e6,
        rss_bound as f64 / 1e6
    );
    let detail = || {
        let tail = |s: &str| {
            s.chars()
                .rev()
                .take(1500)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<String>()
        };
        format!(
            "{summary}\n--- stdout (end) ---\n{}\n--- stderr (end) ---\n{}",
            tail(&r.stdout),
            tail(&r.stderr)
        )
    };
    if let Some(why) = &r.killed {
        return Err(format!("killed by the harness: {why}; {}", detail()));
    }
    if libc::WIFSIGNALED(r.status) {
        return Err(format!(
            "died by signal {}; {}",
            libc::WTERMSIG(r.status),
            detail()
        ));
    }
    let code = libc::WEXITSTATUS(r.status);
    if r.stderr.contains("panicked") {
        return Err(format!("panicked; {}", detail()));
    }
    if r.peak_rss > rss_bound {
        return Err(format!("peak RSS over the bound; {}", detail()));
    }
    let (want_code, found) = match &case.expect {
        Expect::Heap => (1, r.stderr.contains("heap limit exceeded")),
        Expect::Reductions => (1, r.stderr.contains("reduction limit exceeded")),
        Expect::Limit => (
            1,
            r.stderr.contains("heap limit exceeded")
                || r.stderr.contains("reduction limit exceeded"),
        ),
        Expect::Error(t) => (1, r.stderr.contains(t.as_str())),
        Expect::Ok(t) => (0, r.stdout.contains(t.as_str())),
    };
    if code != want_code || !found {
        return Err(format!(
            "expected {:?} (exit {want_code}), got exit {code}; {}",
            case.expect,
            detail()
        ));
    }
    Ok(summary)
}

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/hostile")
}

#[test]
fn hostile_cases_stay_bounded() {
    let dir = cases_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/hostile exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "lua"))
        .collect();
    files.sort();
    // `CUBE_HOSTILE=substring` runs only the matching cases.
    if let Ok(only) = std::env::var("CUBE_HOSTILE") {
        files.retain(|p| p.to_string_lossy().contains(&only));
    }
    assert!(!files.is_empty(), "no cases in {}", dir.display());
    let baseline = baseline_rss(&dir);
    eprintln!(
        "baseline RSS of an empty script: {:.1} MB",
        baseline as f64 / 1e6
    );

    let queue = Mutex::new(files.clone());
    let failures = Mutex::new(Vec::new());
    // Two at a time: the cases are mostly single-threaded and CI has two cores.
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let Some(path) = queue.lock().unwrap().pop() else {
                    break;
                };
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                let result = parse_case(&path).and_then(|c| check(&c, baseline));
                match result {
                    Ok(summary) => eprintln!("ok   {name}: {summary}"),
                    Err(why) => {
                        eprintln!("FAIL {name}: {why}");
                        failures.lock().unwrap().push(format!("{name}: {why}"));
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "{} of {} hostile cases failed:\n\n{}",
        failures.len(),
        files.len(),
        failures.join("\n\n")
    );
}

#[test]
fn headers_are_parsed() {
    let p = std::env::temp_dir().join(format!("cube-hostile-hdr-{}.lua", std::process::id()));
    std::fs::write(
        &p,
        "-- a comment without a key\n-- expect: error: attempt to call\n-- args: --sandbox\n-- timeout: 5\n-- max-rss-mb: 100\nprint(1)\n-- expect: heap\n",
    )
    .unwrap();
    let c = parse_case(&p).unwrap();
    let _ = std::fs::remove_file(&p);
    assert_eq!(c.expect, Expect::Error("attempt to call".into()));
    assert_eq!(c.args, vec!["--sandbox".to_string()]);
    assert_eq!(c.timeout, Duration::from_secs(5));
    assert_eq!(c.max_rss, Some(100 << 20));
    assert_eq!(
        max_heap(&["--max-heap".into(), "16000000".into()]),
        Some(16_000_000)
    );
}
