//! Golden tests of the evaluator: every `tests/lfe/programs/X.lfe` is run as a script
//! and its stdout, exit status and its stderr up to the stack trace (the exception
//! report; the trace's `  in ...` lines name the real LFE's own interpreter) must be
//! what the real `lfe` printed (`X.stdout`, `X.status`,
//! `X.stderr`, made by `scripts/regen-lfe-goldens`).

mod common;

use std::path::Path;

use cube_lfe::ScriptOptions;

/// Runs one program as `regen-lfe-goldens` runs it (arguments `one two`).
fn run(path: &Path) -> (String, String, i32) {
    let source = std::fs::read_to_string(path).expect("program readable");
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let args = ["one".to_string(), "two".to_string()];
    common::run_captured(&source, name, &args, &ScriptOptions::default())
}

#[test]
fn programs_match_lfe() {
    let paths = common::lfe_files(&common::lfe_dir("programs"));
    assert!(paths.len() >= 20, "too few programs: {}", paths.len());
    // Each program on its own thread (an evaluator is single-threaded; programs
    // share nothing but the atom table).
    let results: Vec<(String, String, i32)> = std::thread::scope(|s| {
        let handles: Vec<_> = paths.iter().map(|p| s.spawn(move || run(p))).collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("program ran"))
            .collect()
    });
    let mut failures = Vec::new();
    for (path, (out, err, status)) in paths.iter().zip(results) {
        let read = |ext: &str| common::golden(&path.with_extension(ext));
        let (want_out, want_err, want_status) = (read("stdout"), read("stderr"), read("status"));
        // The report without the stack trace (its lines start with "  in ").
        let first = |s: &str| {
            s.lines()
                .take_while(|l| !l.starts_with("  in "))
                .collect::<Vec<_>>()
                .join("\n")
        };
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("?")
            .to_string();
        if out != want_out {
            failures.push(format!(
                "{name}: stdout\n--- want\n{want_out}--- got\n{out}"
            ));
        }
        if status.to_string() != want_status.trim() {
            failures.push(format!(
                "{name}: status {status}, want {}",
                want_status.trim()
            ));
        }
        if first(&err) != first(&want_err) {
            failures.push(format!(
                "{name}: stderr {:?}, want {:?}",
                first(&err),
                first(&want_err)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
