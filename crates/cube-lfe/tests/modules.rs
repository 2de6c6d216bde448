//! Golden tests of modules: every `tests/lfe/modules/X.lfe` starts with
//! `(defmodule X ...)` and is run as `cube-cli run X.lfe` runs it (compiled, then
//! `(X:main)`), with the modules of `tests/lfe/modules/lib/` on the search path. Its
//! stdout and exit status must be what the real LFE printed when the same modules
//! were compiled with `lfe_comp` and `X:main()` called (`X.stdout`, `X.status`, made
//! by `scripts/regen-lfe-goldens`).

mod common;

use std::path::PathBuf;

use cube_lfe::ScriptOptions;

fn modules_dir() -> PathBuf {
    common::lfe_dir("modules")
}

fn run_with_path(source: &str, path: Vec<PathBuf>) -> (String, String, i32) {
    let opts = ScriptOptions {
        path,
        ..ScriptOptions::default()
    };
    common::run_captured(source, "main.lfe", &[], &opts)
}

#[test]
fn module_programs_match_lfe() {
    let paths = common::lfe_files(&modules_dir());
    assert!(paths.len() >= 4, "too few module programs: {}", paths.len());
    let mut failures = Vec::new();
    for path in &paths {
        let source = std::fs::read_to_string(path).expect("readable");
        let (out, err, status) = run_with_path(&source, vec![modules_dir().join("lib")]);
        let read = |ext: &str| common::golden(&path.with_extension(ext));
        let want_status: i32 = read("status").trim().parse().expect("status file");
        if out != read("stdout") || status != want_status {
            failures.push(format!(
                "{}: status {status} (want {want_status})\n--- got\n{out}{err}--- want\n{}",
                path.display(),
                read("stdout")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A module that is not on the path, or whose file does not compile, is an error
/// when called, never a crash; a module file with a hostile name is never looked up.
#[test]
fn missing_broken_and_hostile_modules_are_errors() {
    let dir = std::env::temp_dir().join(format!("cube-lfe-modules-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(
        dir.join("broken.lfe"),
        "(defmodule broken (export all))\n(defun f (",
    )
    .expect("write");
    std::fs::write(
        dir.join("notamodule.lfe"),
        "(io:format \"side effect~n\")\n",
    )
    .expect("write");
    let src = "(defmodule main (export (main 0)))\n\
               (defun main ()\n\
                 (io:format \"~p~n\" (list (try (absent:f) (catch ((tuple c r _) (tuple c r))))))\n\
                 (io:format \"~p~n\" (list (try (notamodule:f) (catch ((tuple c r _) (tuple c r))))))\n\
                 (io:format \"~p~n\" (list (try (call '|../broken| 'f) (catch ((tuple c r _) (tuple c r))))))\n\
                 (broken:f))";
    let (out, err, status) = run_with_path(src, vec![dir.clone()]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(
        out,
        "#(error undef)\n#(error undef)\n#(error undef)\n"
            .replace("#(error undef)", "{error,undef}")
    );
    assert_eq!(status, 127);
    assert!(
        err.contains("load_error") && err.contains("broken.lfe"),
        "{err}"
    );
}

/// Without a `defmodule` first, a file is a script: a later `defmodule` is an error,
/// as in `lfe`.
#[test]
fn defmodule_after_the_first_form_is_a_bad_form() {
    let (_, err, status) = run_with_path("(io:format \"hi~n\")\n(defmodule m)", Vec::new());
    assert_eq!(status, 127);
    assert!(err.contains("bad defmodule form"), "{err}");
}
