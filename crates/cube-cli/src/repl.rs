//! The interactive prompt: line editing and history (rustyline), `= expr` and bare
//! expressions print their values, incomplete statements continue on the next line.

use crate::script::{error_text, new_state};
use cube_lua::{State, Value};
use rustyline::error::ReadlineError;
use rustyline::DefaultEditor;
use std::io::Write;

/// Compiles a line: first as `return <line>` (so expressions print), then as a statement.
fn compile_line(st: &mut State, line: &str) -> Result<Value, cube_lua::SyntaxError> {
    let expr = line.strip_prefix('=').unwrap_or(line);
    let as_return = format!("return {expr}");
    match st.load_chunk(as_return.as_bytes(), "=stdin") {
        Ok(f) => Ok(f),
        Err(_) => st.load_chunk(line.as_bytes(), "=stdin"),
    }
}

fn is_incomplete(e: &cube_lua::SyntaxError) -> bool {
    e.message.ends_with("<eof>")
}

fn print_results(st: &mut State, values: &[Value]) {
    if values.is_empty() {
        return;
    }
    let print = st.get_global("print");
    if let Err(e) = st.call_function(print, values) {
        if let Some(msg) = error_text(st, e) {
            eprintln!("{msg}");
        }
    }
}

pub fn run() -> u8 {
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
    println!("cube {} (Lua 5.2)", env!("CARGO_PKG_VERSION"));
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
        let f = match compile_line(&mut st, &pending) {
            Ok(f) => f,
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
        match st.call_function(f, &[]) {
            Ok(values) => print_results(&mut st, &values),
            Err(e) => {
                if let Some(msg) = error_text(&mut st, e) {
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
