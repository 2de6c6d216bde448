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
