//! Running Lua snippets with the `torch` library, for the integration tests.
#![allow(dead_code)]

pub mod golden;

use cube_lua::host::Val;
use cube_lua::State;

/// A state with the standard libraries and `torch`.
pub fn state() -> State {
    let mut st = State::new_bare();
    cube_lua::stdlib::open_libs(&mut st);
    cube_torch::open(&mut st, cube_torch::Access::Full);
    st
}

/// Runs `src` in a fresh state: its first result as text (`tostring` of strings and
/// numbers; a type name otherwise), or the error message.
pub fn eval(src: &str) -> Result<String, String> {
    eval_in(&mut state(), src)
}

pub fn eval_in(st: &mut State, src: &str) -> Result<String, String> {
    st.push_chunk(src.as_bytes(), "=test")
        .map_err(|e| e.message)?;
    match st.pcall(0, 1) {
        Ok(_) => Ok(st.cx(|cx| {
            let v = cx.stack_at(cx.top() - 1);
            match v {
                Val::Str(_) | Val::Num(_) | Val::Nil | Val::Bool(_) => cx.describe(v),
                other => other.type_name().to_string(),
            }
        })),
        Err(_) => Err(st.pop_error_message().unwrap_or_default()),
    }
}

/// The error `src` raises (panics if it succeeds).
pub fn error_of(src: &str) -> String {
    match eval(src) {
        Ok(v) => panic!("expected an error from {src:?}, got {v:?}"),
        Err(e) => e,
    }
}
