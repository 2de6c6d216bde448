//! Running scripts and code strings to completion.

use cube_lua::{State, Value};
use std::io::Write;

/// A state with the standard libraries, as the `lua` command makes it.
pub fn new_state() -> State {
    let mut st = State::new_bare();
    cube_lua::stdlib::open_libs(&mut st);
    st.traceback_on_error = true;
    st.host_frame_in_traceback = true;
    st
}

/// Text of an error value, as `lua.c`'s (5.2) message handler produces it: strings and
/// numbers get a traceback; other values are shown through `__tostring` or as
/// "(no error message)"; `nil` shows nothing.
pub fn error_text(st: &mut State, e: Value) -> Option<String> {
    let traceback = st.last_traceback.take();
    let text = match e {
        Value::Str(s) => s.to_str_lossy().into_owned(),
        Value::Num(n) => cube_lua::text::number::fmt_number(n),
        Value::Nil => return None,
        other => {
            let has_tostring = st
                .metatable(&other)
                .is_some_and(|mt| !st.get_field(mt, "__tostring").is_nil());
            if has_tostring {
                let tostring = st.get_global("tostring");
                return match st.call_function(tostring, &[other]) {
                    Ok(v) => match v.first() {
                        Some(Value::Str(s)) => Some(s.to_str_lossy().into_owned()),
                        _ => Some("(error object is not a string)".to_string()),
                    },
                    Err(_) => Some("(error object is not a string)".to_string()),
                };
            }
            return Some("(no error message)".to_string());
        }
    };
    Some(match traceback {
        Some(t) => format!("{text}\n{t}"),
        None => text,
    })
}

/// Reports an uncaught error on stderr as `lua` does and returns exit status 1.
pub fn report(st: &mut State, e: Value) -> u8 {
    let _ = st.stdout.flush();
    if let Some(msg) = error_text(st, e) {
        eprintln!("cube-cli: {msg}");
    }
    1
}

/// Calls `f` with `args`, reporting an uncaught error. Returns the exit status.
fn call_main(st: &mut State, f: Value, args: &[Value]) -> u8 {
    match st.call_function(f, args) {
        Ok(_) => match st.close() {
            Ok(()) => 0,
            Err(e) => report(st, e),
        },
        Err(e) => {
            let code = report(st, e);
            let _ = st.close();
            code
        }
    }
}

pub fn run_file(file: &str, args: &[String]) -> u8 {
    let mut st = new_state();
    // arg[0] = script, arg[1..] = arguments, arg[-1] = interpreter.
    let argt = st.new_table();
    let interp = st.new_str(b"cube-cli");
    argt.get_mut().set_int(-1, interp);
    let script = st.new_str(file.as_bytes());
    argt.get_mut().set_int(0, script);
    let mut argv = Vec::new();
    for (i, a) in args.iter().enumerate() {
        let v = st.new_str(a.as_bytes());
        argt.get_mut().set_int(i as i64 + 1, v);
        argv.push(v);
    }
    st.set_global("arg", Value::Table(argt));
    let loaded = if file == "-" {
        let mut src = Vec::new();
        let _ = std::io::Read::read_to_end(&mut std::io::stdin(), &mut src);
        st.load_chunk(&src, "=stdin")
    } else {
        match cube_lua::stdlib::base::read_source_file(file) {
            Ok(src) => st.load_chunk(&src, &format!("@{file}")),
            Err(msg) => {
                eprintln!("cube-cli: {msg}");
                return 1;
            }
        }
    };
    match loaded {
        Ok(f) => call_main(&mut st, f, &argv),
        Err(e) => {
            eprintln!("cube-cli: {}", e.message);
            1
        }
    }
}

pub fn run_eval(code: &str) -> u8 {
    let mut st = new_state();
    match st.load_chunk(code.as_bytes(), "=(command line)") {
        Ok(f) => call_main(&mut st, f, &[]),
        Err(e) => {
            eprintln!("cube-cli: {}", e.message);
            1
        }
    }
}
