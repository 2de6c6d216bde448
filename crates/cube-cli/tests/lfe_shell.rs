//! `cube-cli lfe`, the LFE shell, driven through a pipe (no terminal: no prompt, no
//! banner, no history), its transcripts compared with the real LFE shell's
//! (tests/lfe/shell/X.out, made by scripts/regen-lfe-shell-goldens).

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn shell_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/lfe/shell")
}

/// Runs `cube-cli ARGS` in `dir` with `input` on its standard input.
fn lfe(args: &[&str], dir: &std::path::Path, input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cube-cli"))
        .args(args)
        .current_dir(dir)
        .env_remove("LFE_PATH")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cube-cli starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The real shell's transcript without what cube does not print: the stack trace
/// lines of an error report (`  in (erlang : hd 1)`: the real LFE's interpreter
/// frames) and the LFE version line.
fn expected(golden: &str) -> String {
    golden
        .lines()
        .filter(|l| !l.starts_with("  in ") && !l.starts_with("lfe: "))
        .map(|l| format!("{l}\n"))
        .collect()
}

fn golden(name: &str, args: &[&str]) {
    let dir = shell_dir();
    let input = std::fs::read_to_string(dir.join(format!("{name}.in"))).unwrap();
    let want = std::fs::read_to_string(dir.join(format!("{name}.out"))).unwrap();
    let out = lfe(args, &dir, &input);
    assert!(out.status.success(), "{name}: {}", text(&out.stderr));
    assert_eq!(text(&out.stdout), expected(&want), "{name}");
    assert_eq!(text(&out.stderr), "", "{name}");
}

#[test]
fn values_print_as_the_lfe_shell_prints_them() {
    golden("values", &["lfe"]);
}

#[test]
fn forms_span_lines() {
    golden("multiline", &["lfe"]);
}

#[test]
fn errors_are_reported_and_the_shell_goes_on() {
    golden("errors", &["lfe"]);
}

#[test]
fn set_binds_variables_for_the_session() {
    golden("set", &["lfe"]);
}

#[test]
fn defun_and_defmacro_define_for_the_session() {
    golden("defs", &["lfe"]);
}

#[test]
fn c_compiles_and_loads_a_module_and_l_reloads_it() {
    golden("modules", &["lfe"]);
}

#[test]
fn the_shell_is_a_process_flush_spawn_receive() {
    golden("processes", &["lfe"]);
}

#[test]
fn repl_dash_dash_lfe_is_the_same_shell() {
    golden("values", &["repl", "--lfe"]);
}

#[test]
fn self_regs_i_help_and_exit() {
    let input = "(self)\n(register 'worker (spawn (lambda () (receive (x x)))))\n(regs)\n(i)\n(help)\n(exit)\n(io:format \"never~n\")\n";
    let out = lfe(&["lfe"], &shell_dir(), input);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[0].starts_with("<0.") && lines[0].ends_with('>'),
        "{stdout}"
    );
    assert_eq!(lines[1], "true", "{stdout}");
    assert!(lines[2].starts_with("Name"), "{stdout}");
    assert!(lines[3].starts_with("worker "), "{stdout}");
    assert_eq!(lines[4], "ok", "{stdout}");
    assert!(lines[5].starts_with("Pid"), "{stdout}");
    assert!(stdout.contains("(c file)"), "{stdout}");
    assert!(!stdout.contains("never"), "{stdout}");
}

#[test]
fn a_linked_process_that_dies_is_a_message_not_the_shell_s_end() {
    let input = "(spawn_link (lambda () (exit 'boom)))\n(receive ((tuple 'EXIT _ r) r))\n(+ 1 1)\n";
    let out = lfe(&["lfe"], &shell_dir(), input);
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(&lines[1..], &["boom", "2"], "{stdout}");
}

#[test]
fn an_unfinished_form_at_the_end_of_input_is_left() {
    let out = lfe(&["lfe"], &shell_dir(), "(+ 1 2)\n(list 1\n");
    assert!(out.status.success());
    assert_eq!(text(&out.stdout), "3\n");
}

#[test]
fn hostile_input_gets_an_error_and_the_shell_goes_on() {
    let mut input = String::new();
    // Deep nesting, stray closing brackets (strings and comments across lines are in
    // the multiline golden).
    input.push_str(&"(".repeat(100_000));
    input.push_str(&")".repeat(100_000));
    input.push_str("\n)))\n");
    // A form of many lines is read in linear time (the reader is not run again on
    // every line).
    input.push_str("(length (list\n");
    for i in 0..50_000 {
        input.push_str(&format!("{i}\n"));
    }
    input.push_str("))\n(+ 1 1)\n");
    let out = lfe(&["lfe"], &shell_dir(), &input);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].starts_with("** exception error:"), "{stdout}");
    assert_eq!(lines[2], "1: illegal ')'", "{stdout}");
    assert_eq!(&lines[3..], &["50000", "2"], "{stdout}");
}
