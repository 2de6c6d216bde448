//! Golden tests of the evaluator: every `tests/lfe/programs/X.lfe` is run as a script
//! and its stdout, exit status and its stderr up to the stack trace (the exception
//! report; the trace's `  in ...` lines name the real LFE's own interpreter) must be
//! what the real `lfe` printed (`X.stdout`, `X.status`,
//! `X.stderr`, made by `scripts/regen-lfe-goldens`).

use std::cell::RefCell;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use cube_lfe::{run_script, ScriptOptions};

/// An output sink the test can read back.
#[derive(Clone, Default)]
pub struct Shared(Rc<RefCell<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn programs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/lfe/programs")
}

/// Runs one program as `regen-lfe-goldens` runs it (arguments `one two`).
fn run(path: &Path) -> (String, String, i32) {
    let source = std::fs::read_to_string(path).expect("program readable");
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let out = Shared::default();
    let mut err = Vec::new();
    let status = run_script(
        &source,
        name,
        &["one".to_string(), "two".to_string()],
        Box::new(out.clone()),
        &mut err,
        &ScriptOptions::default(),
    );
    let stdout = String::from_utf8_lossy(&out.0.borrow()).into_owned();
    (stdout, String::from_utf8_lossy(&err).into_owned(), status)
}

#[test]
fn programs_match_lfe() {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(programs_dir())
        .expect("tests/lfe/programs")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "lfe"))
        .collect();
    paths.sort();
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
        let read =
            |ext: &str| std::fs::read_to_string(path.with_extension(ext)).unwrap_or_default();
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
