//! `cube-cli run prog.lfe` runs LFE through cube-lfe: output, arguments, and the exit
//! status and report of an uncaught error (the evaluator itself is tested in
//! crates/cube-lfe).

use std::process::Command;

fn run_lfe(name: &str, src: &str, args: &[&str]) -> (String, String, i32) {
    let dir = std::env::temp_dir().join(format!("cube-cli-lfe-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.lfe"));
    std::fs::write(&path, src).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_cube-cli"))
        .arg("run")
        .arg(&path)
        .args(args)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

#[test]
fn an_lfe_script_runs_with_its_arguments() {
    let src = "(defun fact ((0) 1) ((n) (* n (fact (- n 1)))))\n\
               (io:format \"~p ~p~n\" (list (fact 25) script-args))";
    let (out, err, status) = run_lfe("args", src, &["a", "b"]);
    assert_eq!(
        (out.as_str(), err.as_str(), status),
        ("15511210043330985984000000 [\"a\",\"b\"]\n", "", 0)
    );
}

#[test]
fn an_uncaught_lfe_error_exits_127_with_lfe_s_report() {
    let (out, err, status) = run_lfe(
        "err",
        "(io:format \"before~n\")\n(+ 1 'a)\n(io:format \"after~n\")",
        &[],
    );
    assert_eq!(
        (out.as_str(), err.as_str(), status),
        (
            "before\n",
            "exception error: error in arithmetic expression\n",
            127
        )
    );
}

/// Runs `tests/lfe/FOLDER/X.lfe` through `cube-cli run` as `scripts/regen-lfe-goldens`
/// runs it with the real LFE (from its own directory, arguments `one two`) and
/// compares stdout, the exit status and stderr up to the stack trace (whose `  in ...`
/// lines name the real LFE's interpreter).
fn goldens_match(folder: &str) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/lfe")
        .join(folder);
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "lfe"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty());
    let first = |s: &str| {
        s.lines()
            .take_while(|l| !l.starts_with("  in "))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let mut failures = Vec::new();
    for path in &paths {
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        let out = Command::new(env!("CARGO_BIN_EXE_cube-cli"))
            .current_dir(&dir)
            .args(["run", &name, "one", "two"])
            .output()
            .unwrap();
        let read =
            |ext: &str| std::fs::read_to_string(path.with_extension(ext)).unwrap_or_default();
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        let status = out.status.code().unwrap_or(-1);
        if stdout != read("stdout") {
            failures.push(format!(
                "{name}: stdout\n--- want\n{}--- got\n{stdout}",
                read("stdout")
            ));
        }
        if status.to_string() != read("status").trim() {
            failures.push(format!(
                "{name}: status {status}, want {}",
                read("status").trim()
            ));
        }
        if first(&stderr) != first(&read("stderr")) {
            failures.push(format!(
                "{name}: stderr {:?}, want {:?}",
                first(&stderr),
                first(&read("stderr"))
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

/// LFE programs with processes (ping-pong, a ring, selective receive, timeouts,
/// links and trap_exit, monitors, names), goldens from the real LFE.
#[test]
fn process_programs_match_lfe() {
    goldens_match("processes");
}

/// Every script golden of the evaluator, now run as the node's main process.
#[test]
fn script_programs_match_lfe_through_the_node() {
    goldens_match("programs");
}
