//! Golden tests: every `tests/golden/**/X.lua` (outside `tests/golden/modules/`) is run as
//! `cube-cli run tests/golden/.../X.lua` from the workspace root and checked against the
//! output of the real PUC-Rio Lua 5.2 (regenerate with `scripts/regen-goldens`):
//!
//! * `X.out`: stdout, compared byte for byte;
//! * `X.status`: the expected exit status (absent means 0);
//! * `X.err`: expected stderr (only for programs that exit non-zero). stderr is normalised
//!   before comparing: the interpreter-name prefix (`lua5.2: `, `cube-cli: `, also with a
//!   path in front) is removed from the first line, and only the error message is compared, that is every line
//!   before the first line that reads `stack traceback:` (the traceback itself differs in
//!   its `[C]` frames between interpreters);
//! * `X.in`: fed to stdin when present (otherwise stdin is empty).
//!
//! `tests/golden/KNOWN_FAILURES` lists programs expected to fail. The test fails when an
//! unlisted program fails, and when a listed program passes (so the list stays honest).
//! It prints `golden: N passed, M failed, K known failures`.
//!
//! `GOLDEN_FILTER=substring` runs only the programs whose path contains the substring;
//! `GOLDEN_VERBOSE=1` also prints the diff of known failures.

use std::collections::BTreeSet;
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(10);

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

fn collect(dir: &Path, root: &Path, out: &mut Vec<String>) {
    let mut entries: Vec<_> = match fs::read_dir(dir) {
        Ok(rd) => rd.filter_map(|e| e.ok()).map(|e| e.path()).collect(),
        Err(_) => return,
    };
    entries.sort();
    for p in entries {
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n == "modules") {
                continue; // helper modules for require/dofile, not programs
            }
            collect(&p, root, out);
        } else if p.extension().is_some_and(|e| e == "lua") {
            let rel = p
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            out.push(rel);
        }
    }
}

fn read_known_failures(root: &Path) -> BTreeSet<String> {
    let text = fs::read_to_string(root.join("tests/golden/KNOWN_FAILURES")).unwrap_or_default();
    text.lines()
        .map(|l| l.split('#').next().unwrap().trim())
        .filter(|l| !l.is_empty())
        .map(|l| l.trim_start_matches("./").to_string())
        .collect()
}

/// Remove a leading `PROGNAME: ` where PROGNAME (possibly a path) is one of the Lua interpreters.
fn strip_progname(line: &str) -> &str {
    if let Some(idx) = line.find(": ") {
        let prog = &line[..idx];
        let base = prog.rsplit('/').next().unwrap_or(prog);
        if !prog.contains(' ') && matches!(base, "lua5.2" | "lua" | "cube-cli") {
            return &line[idx + 2..];
        }
    }
    line
}

/// Drop the interpreter-name prefix and the traceback: keep the error message lines.
fn normalise_stderr(s: &str) -> String {
    let mut out = String::new();
    for (i, line) in s.lines().enumerate() {
        if line == "stack traceback:" {
            break;
        }
        let line = if i == 0 { strip_progname(line) } else { line };
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// A short description of the first difference between two texts.
fn first_diff(what: &str, expected: &[u8], actual: &[u8]) -> String {
    let e = String::from_utf8_lossy(expected);
    let a = String::from_utf8_lossy(actual);
    let el: Vec<&str> = e.split('\n').collect();
    let al: Vec<&str> = a.split('\n').collect();
    for i in 0..el.len().max(al.len()) {
        let x = el.get(i);
        let y = al.get(i);
        if x != y {
            let show = |v: Option<&&str>| match v {
                Some(s) => {
                    let mut s = format!("{:?}", s);
                    if s.len() > 200 {
                        let mut cut = 200;
                        while !s.is_char_boundary(cut) {
                            cut -= 1;
                        }
                        s.truncate(cut);
                        s.push_str("...");
                    }
                    s
                }
                None => "<end of output>".to_string(),
            };
            return format!(
                "{what} differs at line {}:\n      expected: {}\n      actual:   {}",
                i + 1,
                show(x),
                show(y)
            );
        }
    }
    format!("{what} differs (trailing newline)")
}

enum Outcome {
    Pass,
    Fail(String),
}

fn run_one(root: &Path, bin: &Path, rel: &str) -> Outcome {
    let base = root.join(rel.trim_end_matches(".lua"));
    let with_ext = |ext: &str| {
        let mut p = base.clone().into_os_string();
        p.push(ext);
        PathBuf::from(p)
    };
    let expected_out = match fs::read(with_ext(".out")) {
        Ok(b) => b,
        Err(_) => return Outcome::Fail("missing .out file (run scripts/regen-goldens)".into()),
    };
    let expected_status: i32 = match fs::read_to_string(with_ext(".status")) {
        Ok(s) => s.trim().parse().unwrap_or(-1),
        Err(_) => 0,
    };
    let expected_err = fs::read_to_string(with_ext(".err")).ok();
    let input = fs::read(with_ext(".in")).unwrap_or_default();

    let mut cmd = Command::new(bin);
    #[cfg(unix)]
    {
        // Own process group, so that a timeout can kill any helper processes too.
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    let mut child = match cmd
        .arg("run")
        .arg(rel)
        .current_dir(root)
        .env("LC_ALL", "C")
        .env("TZ", "UTC")
        .env_remove("LUA_INIT")
        .env_remove("LUA_INIT_5_2")
        .env_remove("LUA_PATH")
        .env_remove("LUA_PATH_5_2")
        .env_remove("LUA_CPATH")
        .env_remove("LUA_CPATH_5_2")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => return Outcome::Fail(format!("cannot start {}: {e}", bin.display())),
    };

    let mut stdin = child.stdin.take().unwrap();
    let feeder = thread::spawn(move || {
        let _ = stdin.write_all(&input); // the program may not read it all
    });
    let mut so = child.stdout.take().unwrap();
    let mut se = child.stderr.take().unwrap();
    // Readers report through channels, so that a stray process keeping a pipe open cannot
    // hang the harness after a timeout.
    let (out_tx, out_rx) = mpsc::channel();
    let (err_tx, err_rx) = mpsc::channel();
    thread::spawn(move || {
        let mut v = Vec::new();
        let _ = so.read_to_end(&mut v);
        let _ = out_tx.send(v);
    });
    thread::spawn(move || {
        let mut v = Vec::new();
        let _ = se.read_to_end(&mut v);
        let _ = err_tx.send(v);
    });

    let start = Instant::now();
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(st)) => break Some(st),
            Ok(None) => {
                if start.elapsed() > TIMEOUT {
                    #[cfg(unix)]
                    let _ = Command::new("kill")
                        .args(["-KILL", "--", &format!("-{}", child.id())])
                        .stderr(Stdio::null())
                        .status();
                    let _ = child.kill();
                    let _ = child.wait();
                    timed_out = true;
                    break None;
                }
                thread::sleep(Duration::from_millis(5));
            }
            Err(e) => return Outcome::Fail(format!("wait failed: {e}")),
        }
    };
    if timed_out {
        return Outcome::Fail(format!("timed out after {} s (killed)", TIMEOUT.as_secs()));
    }
    let grace = Duration::from_secs(2);
    let actual_out = out_rx.recv_timeout(grace).unwrap_or_default();
    let actual_err = err_rx.recv_timeout(grace).unwrap_or_default();
    drop(feeder); // may still block on a stdin pipe held open by a stray process
    let status = status.unwrap();
    let code = status.code().unwrap_or(-1);

    let mut problems = Vec::new();
    if actual_out != expected_out {
        problems.push(first_diff("stdout", &expected_out, &actual_out));
    }
    if code != expected_status {
        let mut msg = format!("exit status: expected {expected_status}, got {code}");
        if code == -1 {
            msg.push_str(&format!(" ({status})"));
        }
        let first_err = String::from_utf8_lossy(&actual_err);
        if let Some(l) = first_err.lines().next() {
            msg.push_str(&format!("\n      stderr: {:?}", l));
        }
        problems.push(msg);
    }
    if let Some(exp) = expected_err {
        let e = normalise_stderr(&exp);
        let a = normalise_stderr(&String::from_utf8_lossy(&actual_err));
        if e != a {
            problems.push(first_diff(
                "stderr (normalised)",
                e.as_bytes(),
                a.as_bytes(),
            ));
        }
    }
    if problems.is_empty() {
        Outcome::Pass
    } else {
        Outcome::Fail(problems.join("\n    "))
    }
}

#[test]
fn golden() {
    let root = workspace_root();
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_cube-cli"));
    let mut files = Vec::new();
    collect(&root.join("tests/golden"), &root, &mut files);
    if let Ok(f) = std::env::var("GOLDEN_FILTER") {
        files.retain(|p| p.contains(&f));
    }
    let verbose = std::env::var_os("GOLDEN_VERBOSE").is_some();
    let known = read_known_failures(&root);
    let all: BTreeSet<String> = files.iter().cloned().collect();

    let queue = Arc::new(Mutex::new(files.clone()));
    let results = Arc::new(Mutex::new(Vec::new()));
    let workers = thread::available_parallelism()
        .map_or(4, |n| n.get())
        .clamp(2, 8);
    let mut handles = Vec::new();
    for _ in 0..workers {
        let (queue, results, root, bin) =
            (queue.clone(), results.clone(), root.clone(), bin.clone());
        handles.push(thread::spawn(move || loop {
            let next = queue.lock().unwrap().pop();
            let Some(rel) = next else { break };
            let outcome = run_one(&root, &bin, &rel);
            results.lock().unwrap().push((rel, outcome));
        }));
    }
    for h in handles {
        h.join().expect("golden worker panicked");
    }
    let mut results = Arc::try_unwrap(results).ok().unwrap().into_inner().unwrap();
    results.sort_by(|a, b| a.0.cmp(&b.0));

    let (mut passed, mut failed, mut known_failed) = (0, 0, 0);
    let mut errors = Vec::new();
    for (rel, outcome) in &results {
        let listed = known.contains(rel);
        match (outcome, listed) {
            (Outcome::Pass, false) => passed += 1,
            (Outcome::Pass, true) => {
                passed += 1;
                errors.push(format!(
                    "PASS {rel}: listed in tests/golden/KNOWN_FAILURES but passes now; remove it from KNOWN_FAILURES"
                ));
            }
            (Outcome::Fail(why), false) => {
                failed += 1;
                errors.push(format!("FAIL {rel}\n    {why}"));
            }
            (Outcome::Fail(why), true) => {
                known_failed += 1;
                if verbose {
                    eprintln!("known failure {rel}\n    {why}");
                }
            }
        }
    }
    // Stale entries only matter for a full run.
    if std::env::var_os("GOLDEN_FILTER").is_none() {
        for k in &known {
            if !all.contains(k) {
                errors.push(format!(
                    "KNOWN_FAILURES lists {k}, which does not exist; remove it"
                ));
            }
        }
    }
    for e in &errors {
        eprintln!("{e}");
    }
    println!("golden: {passed} passed, {failed} failed, {known_failed} known failures");
    assert!(
        errors.is_empty(),
        "golden test: {} problem(s), see above",
        errors.len()
    );
}
