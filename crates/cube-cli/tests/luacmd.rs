//! The `lua` command's own command line (`cube-cli [options] [script [args]]`), case by
//! case against the real `lua5.2`: every `tests/luacmd/NAME.args` is run from the
//! workspace root with its `NAME.in` and `NAME.env`, and stdout, the exit status and
//! stderr are compared with what `lua5.2` printed (`scripts/regen-luacmd-goldens`).
//! stderr is compared whole, tracebacks included, except in the cases of
//! [`TRACEBACK_DIFFERS`], compared up to their `stack traceback:` line.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

/// Cases whose traceback differs from lua5.2's, and why. `l_missing`: lua.c calls
/// `require` from C, so its traceback names the function by where it is found
/// (`[C]: in function '_G.require'`); cube's driver calls it through `pcall` (so the
/// message has no position, as lua.c's) and raises the error again from `error`.
const TRACEBACK_DIFFERS: &[&str] = &["l_missing"];

fn before_traceback(s: &str) -> String {
    s.lines()
        .take_while(|l| *l != "stack traceback:")
        .map(|l| format!("{l}\n"))
        .collect()
}

/// Runs one case; the differences found, if any.
fn run_case(root: &Path, name: &str) -> Option<String> {
    let dir = root.join("tests/luacmd");
    let read = |ext: &str| fs::read_to_string(dir.join(format!("{name}.{ext}"))).ok();
    let args: Vec<String> = read("args")
        .unwrap_or_default()
        .lines()
        .map(String::from)
        .collect();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cube-cli"));
    cmd.args(&args).current_dir(root).env("LC_ALL", "C");
    for v in [
        "LUA_INIT",
        "LUA_INIT_5_2",
        "LUA_PATH",
        "LUA_PATH_5_2",
        "LUA_CPATH",
        "LUA_CPATH_5_2",
    ] {
        cmd.env_remove(v);
    }
    for line in read("env").unwrap_or_default().lines() {
        if let Some((k, v)) = line.split_once('=') {
            cmd.env(k, v);
        }
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cube-cli starts");
    let input = read("in").unwrap_or_default();
    let mut stdin = child.stdin.take().unwrap();
    // Ignore a closed pipe: a case may end without reading its input.
    let _ = stdin.write_all(input.as_bytes());
    drop(stdin);
    let out = child.wait_with_output().expect("cube-cli ends");
    let mut diffs = String::new();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let want_out = read("out").unwrap_or_default();
    if stdout != want_out {
        diffs += &format!("stdout:\n  got  {stdout:?}\n  want {want_out:?}\n");
    }
    let status = out.status.code().unwrap_or(-1);
    let want_status: i32 = read("status").map_or(0, |s| s.trim().parse().unwrap());
    if status != want_status {
        diffs += &format!("status: got {status}, want {want_status}\n");
    }
    let (mut stderr, mut want_err) = (
        String::from_utf8_lossy(&out.stderr).into_owned(),
        read("err").unwrap_or_default(),
    );
    if TRACEBACK_DIFFERS.contains(&name) {
        (stderr, want_err) = (before_traceback(&stderr), before_traceback(&want_err));
    }
    if stderr != want_err {
        diffs += &format!("stderr:\n  got  {stderr:?}\n  want {want_err:?}\n");
    }
    (!diffs.is_empty()).then(|| format!("{name} ({args:?}):\n{diffs}"))
}

#[test]
fn the_lua_command_line_behaves_as_lua5_2() {
    let root = workspace_root();
    let mut names: Vec<String> = fs::read_dir(root.join("tests/luacmd"))
        .expect("tests/luacmd")
        .filter_map(|e| {
            let n = e.ok()?.file_name().to_string_lossy().into_owned();
            n.strip_suffix(".args").map(String::from)
        })
        .collect();
    names.sort();
    assert!(names.len() >= 30, "the cases are there");
    let failures: Vec<String> = names.iter().filter_map(|n| run_case(&root, n)).collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from lua5.2:\n{}",
        failures.len(),
        names.len(),
        failures.join("\n")
    );
}
