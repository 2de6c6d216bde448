//! The shell at a real terminal (a pseudo-terminal, driven as a person would type):
//! banner, prompts, tab completion of the program's globals and fields, Ctrl-C at the
//! prompt and while a command runs, the history file written after every entry, Ctrl-D
//! and Ctrl-C twice to leave.

use rexpect::session::{spawn_command, PtySession};
use std::path::PathBuf;
use std::process::Command;

fn home(what: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cube-shell-pty-{what}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn shell(home: &PathBuf) -> PtySession {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cube-cli"));
    cmd.env("HOME", home).env("TERM", "xterm");
    // Generous: a loaded CI machine; nothing here waits for a timeout to pass.
    spawn_command(cmd, Some(30_000)).expect("cube-cli starts on a pty")
}

/// Sends a line, waits for `output` and then for the next prompt: input typed before
/// the prompt is drawn would be dropped by the line editor, as at a real terminal.
fn step(p: &mut PtySession, line: &str, output: &str) {
    p.send_line(line).unwrap();
    p.exp_string(output).unwrap();
    p.exp_string("> ").unwrap();
}

#[test]
fn the_shell_at_a_terminal() {
    let home = home("main");
    let mut p = shell(&home);
    p.exp_string("help() for the shell's helpers").unwrap();
    p.exp_string("> ").unwrap();
    step(&mut p, "x = 41 print('s' .. 'et')", "set");
    step(&mut p, "= x + 1", "42");
    // Saved already, while the shell runs on.
    let history = std::fs::read_to_string(home.join(".cube_history")).unwrap_or_default();
    assert!(history.contains("x = 41"), "{history:?}");
    // Tab completes a field of a library table...
    p.send("print(string.rev").unwrap();
    p.send("\t").unwrap();
    step(&mut p, "('abc'))", "cba");
    // ... a method of a value's type ...
    step(&mut p, "s = 'abc' print('s' .. 'et')", "set");
    p.send("print(s:up").unwrap();
    p.send("\t").unwrap();
    step(&mut p, "())", "ABC");
    // ... and a global of the program's own.
    step(&mut p, "my_long_name = 5 print('s' .. 'et')", "set");
    p.send("= my_lo").unwrap();
    p.send("\t").unwrap();
    step(&mut p, " * 2", "10");
    // Ctrl-C drops an unfinished statement: the next line starts afresh.
    p.send_line("t = {").unwrap();
    p.exp_string(">> ").unwrap();
    p.send_control('c').unwrap();
    p.exp_string("> ").unwrap();
    step(&mut p, "= 'fr' .. 'esh'", "fresh");
    // The shell is a process.
    step(&mut p, "= process.self() ~= nil", "true");
    // Ctrl-C while a command runs interrupts it, as in `lua -i`: a busy loop, a
    // receive that would wait for ever; the shell's globals stay.
    for (command, running) in [
        ("print('sp' .. 'in') while true do end", "spin"),
        ("print('wa' .. 'it') process.receive()", "wait"),
        (
            "s = zmq.socket(zmq.PULL) s:bind('inproc://ctrlc') print('re' .. 'cv') s:recv()",
            "recv",
        ),
    ] {
        p.send_line(command).unwrap();
        p.exp_string(running).unwrap();
        p.send_control('c').unwrap();
        p.exp_string("stdin:1: interrupted!").unwrap();
        p.exp_string("> ").unwrap();
    }
    step(&mut p, "= x * 2", "82");
    p.send_control('d').unwrap();
    p.exp_eof().unwrap();
    let status = p.process().wait().unwrap();
    // (WaitStatus is nix's, not re-exported: its Debug text says how it ended.)
    let status = format!("{status:?}");
    assert!(
        status.starts_with("Exited(") && status.ends_with(", 0)"),
        "{status}"
    );
    let _ = std::fs::remove_dir_all(&home);
}

#[test]
fn ctrl_c_twice_leaves() {
    let home = home("ctrlc");
    let mut p = shell(&home);
    p.exp_string("> ").unwrap();
    p.send_control('c').unwrap();
    p.exp_string("> ").unwrap();
    p.send_control('c').unwrap();
    p.exp_eof().unwrap();
    let _ = std::fs::remove_dir_all(&home);
}

#[test]
fn the_lfe_shell_at_a_terminal() {
    let home = home("lfe");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cube-cli"));
    cmd.arg("lfe").env("HOME", &home).env("TERM", "xterm");
    let mut p = spawn_command(cmd, Some(30_000)).expect("cube-cli lfe starts on a pty");
    p.exp_string("(help) for the shell's commands").unwrap();
    p.exp_string("lfe> ").unwrap();
    p.send_line("(tuple 'ok (+ 40 2))").unwrap();
    p.exp_string("#(ok 42)").unwrap();
    p.exp_string("lfe> ").unwrap();
    // Its own history file, written after every entry.
    let history = std::fs::read_to_string(home.join(".lfe_history")).unwrap_or_default();
    assert!(history.contains("(tuple 'ok (+ 40 2))"), "{history:?}");
    assert!(!home.join(".cube_history").exists());
    // A form over two lines.
    p.send_line("(list 1").unwrap();
    p.exp_string("lfe> ").unwrap();
    p.send_line("2)").unwrap();
    p.exp_string("(1 2)").unwrap();
    p.exp_string("lfe> ").unwrap();
    // Ctrl-C while a form runs abandons it; the shell stays.
    for (command, running) in [
        (
            "(progn (io:format \"sp~s~n\" '(\"in\")) (fletrec ((f () (f))) (f)))",
            "spin",
        ),
        (
            "(progn (io:format \"wa~s~n\" '(\"it\")) (receive (x x)))",
            "wait",
        ),
    ] {
        p.send_line(command).unwrap();
        p.exp_string(running).unwrap();
        p.send_control('c').unwrap();
        p.exp_string("** exception exit: interrupted").unwrap();
        p.exp_string("lfe> ").unwrap();
    }
    // Tab completes the session's functions.
    p.send_line("(defun my-long-name () 'completed)").unwrap();
    p.exp_string("my-long-name").unwrap();
    p.exp_string("lfe> ").unwrap();
    p.send("(my-long-na").unwrap();
    p.send("\t").unwrap();
    p.send_line(")").unwrap();
    p.exp_string("\r\ncompleted").unwrap();
    p.exp_string("lfe> ").unwrap();
    p.send_line("(* 6 7)").unwrap();
    p.exp_string("42").unwrap();
    p.exp_string("lfe> ").unwrap();
    p.send_control('d').unwrap();
    p.exp_eof().unwrap();
}
