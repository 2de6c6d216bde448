//! The interactive prompt: line editing and history (rustyline), `= expr` and bare
//! expressions print their values, incomplete statements continue on the next line.

use crate::script::{error_text, new_state};
use cube_lua::State;
use rustyline::error::ReadlineError;
use rustyline::DefaultEditor;
use std::io::Write;

/// Compiles a line and pushes it: first as `return <line>` (so expressions print), then
/// as a statement.
fn compile_line(st: &mut State, line: &str) -> Result<(), cube_lua::SyntaxError> {
    let expr = line.strip_prefix('=').unwrap_or(line);
    let as_return = format!("return {expr}");
    match st.push_chunk(as_return.as_bytes(), "=stdin") {
        Ok(()) => Ok(()),
        Err(_) => st.push_chunk(line.as_bytes(), "=stdin"),
    }
}

fn is_incomplete(e: &cube_lua::SyntaxError) -> bool {
    e.message.ends_with("<eof>")
}

/// Prints the `n` values on the stack top with the global `print`, and pops them.
fn print_results(st: &mut State, n: usize) {
    if n == 0 {
        return;
    }
    let first = st.top() - n;
    st.cx(|cx| {
        let print = cx.get_global("print");
        cx.push(print);
        for i in first..first + n {
            let v = cx.stack_at(i);
            cx.push(v);
        }
    });
    match st.pcall(n, 0) {
        Ok(_) => {}
        Err(_) => {
            if let Some(msg) = error_text(st) {
                eprintln!("{msg}");
            }
        }
    }
    st.set_top(first);
}

/// `cube-cli repl` (and `cube-cli` at a terminal): the prompt on a fresh state.
pub fn run() -> u8 {
    prompt(None)
}

/// `cube-cli -i ...`: the command's steps and script (see `luacmd.rs`) run in the
/// prompt's state first, as `lua -i` does; if one fails, the command ends with its error
/// and status 1, as lua.c's does.
pub fn run_after(inv: &crate::luacmd::Invocation, init: Option<crate::luacmd::Step>) -> u8 {
    prompt(Some((inv, init)))
}

fn prompt(first: Option<(&crate::luacmd::Invocation, Option<crate::luacmd::Step>)>) -> u8 {
    use std::io::IsTerminal;
    let mut st = new_state();
    // No processes here: a blocking zmq call waits on this thread (in zmq_poll).
    let _zmq = match cube_zmq::Zmq::new() {
        Ok(z) => {
            z.open(&mut st);
            Some(z)
        }
        Err(msg) => {
            eprintln!("cube-cli: zmq is not available: {msg}");
            None
        }
    };
    st.traceback_on_error = true;
    let banner = first.is_none();
    if let Some((inv, init)) = first {
        let nargs = match crate::luacmd::push_driver(&mut st, inv, init) {
            Ok(n) => n,
            Err(msg) => {
                eprintln!("cube-cli: {msg}");
                return 1;
            }
        };
        let failed = st.pcall(nargs, 0).is_err();
        let _ = st.stdout.flush();
        if failed {
            if let Some(msg) = error_text(&mut st) {
                eprintln!("cube-cli: {msg}");
            }
            return 1;
        }
    }
    // A banner for a person at a terminal; piped input gets none (`-i` printed the
    // version line already).
    if banner && std::io::stdin().is_terminal() {
        println!("cube {} (Lua 5.2)", env!("CARGO_PKG_VERSION"));
    }
    let Ok(mut rl) = DefaultEditor::new() else {
        eprintln!("cube-cli: cannot open the terminal");
        return 1;
    };
    let history =
        std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".cube_history"));
    if let Some(h) = &history {
        let _ = rl.load_history(h);
    }
    let mut pending = String::new();
    loop {
        let prompt = if pending.is_empty() { "> " } else { ">> " };
        let line = match rl.readline(prompt) {
            Ok(l) => l,
            Err(ReadlineError::Interrupted) => {
                pending.clear();
                continue;
            }
            Err(_) => break,
        };
        if pending.is_empty() {
            pending = line;
        } else {
            pending.push('\n');
            pending.push_str(&line);
        }
        match compile_line(&mut st, &pending) {
            Ok(()) => {}
            Err(e) if is_incomplete(&e) => continue,
            Err(e) => {
                eprintln!("{}", e.message);
                let _ = rl.add_history_entry(pending.as_str());
                pending.clear();
                continue;
            }
        };
        let _ = rl.add_history_entry(pending.as_str());
        pending.clear();
        match st.pcall(0, -1) {
            Ok(n) => print_results(&mut st, n),
            Err(_) => {
                if let Some(msg) = error_text(&mut st) {
                    eprintln!("{msg}");
                }
            }
        }
        let _ = st.stdout.flush();
    }
    if let Some(h) = &history {
        let _ = rl.save_history(h);
    }
    println!();
    0
}
