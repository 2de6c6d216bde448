//! The coroutine library. Resuming and yielding are thread switches done by the driver
//! (`vm::call`), so a coroutine can yield from anywhere: inside pcall, metamethods,
//! iterators and sort comparators.

use crate::gc::Gc;
use crate::state::{Args, LResult, Ret, State};
use crate::thread::{CoStatus, Cont, Status, Thread};
use crate::value::Value;

pub fn open(st: &mut State) {
    let t = super::new_lib(st, "coroutine");
    st.register(
        t,
        &[
            ("create", create),
            ("resume", resume),
            ("running", running),
            ("status", status),
            ("wrap", wrap),
            ("yield", yield_),
        ],
    );
}

fn check_co(st: &mut State, a: Args, n: usize) -> LResult<Gc<Thread>> {
    match st.arg(a, n) {
        Value::Thread(t) => Ok(t),
        _ => Err(st.arg_error(n, "coroutine expected")),
    }
}

fn create(st: &mut State, a: Args) -> LResult<Ret> {
    let f = st.arg(a, 1);
    if !f.is_function() {
        return Err(st.arg_type_error(a, 1, "function"));
    }
    let co = st.new_coroutine(f);
    st.push(Value::Thread(co));
    Ok(Ret::Values(1))
}

/// `Cont::ctx` of the continuation of `coroutine.resume` (`pcall_k`'s results: true and
/// the values) and of a `coroutine.wrap` function (`wrap_k`'s: the values). The driver
/// (`vm::call`) recognises them and places those results itself when the coroutine
/// yields or returns (`return_to_resumer`); the continuations run in the other cases
/// (errors, hooks, a resume called as a metamethod).
pub(crate) const RESUME_CTX: usize = usize::MAX;
pub(crate) const WRAP_CTX: usize = usize::MAX - 1;

/// PUC's `LUAI_MAXCCALLS`: `lua_resume` fails with "C stack overflow" once the nested
/// C calls and resumes reach it.
const MAX_C_CALLS: usize = 200;

/// Why a coroutine cannot be resumed, if it cannot.
fn resume_problem(st: &State, co: Gc<Thread>) -> Option<&'static str> {
    if co.ptr_eq(st.cur) {
        return Some("cannot resume non-suspended coroutine");
    }
    let problem = match co.status {
        CoStatus::Suspended => {
            if co.frames.is_empty() && co.top == 0 {
                Some("cannot resume dead coroutine")
            } else {
                None
            }
        }
        CoStatus::Dead => Some("cannot resume dead coroutine"),
        _ => Some("cannot resume non-suspended coroutine"),
    };
    // Like `nCcalls`: one per nested resume and per Rust-level entry into the VM, plus
    // the host's own call, so that the depth reached matches lua5.2's.
    let c_calls = st.resumers.len() + st.c_depth as usize + 2;
    if problem.is_none() && c_calls >= MAX_C_CALLS {
        return Some("C stack overflow");
    }
    problem
}

fn resume(st: &mut State, a: Args) -> LResult<Ret> {
    let co = check_co(st, a, 1)?;
    if let Some(msg) = resume_problem(st, co) {
        st.push(Value::Bool(false));
        st.push_str(msg.as_bytes());
        return Ok(Ret::Values(2));
    }
    let mut cont = Cont::new(super::base::pcall_k, RESUME_CTX);
    cont.protected = true;
    Ok(Ret::Resume {
        thread: co,
        nargs: a.len - 1,
        cont,
    })
}

fn running(st: &mut State, _a: Args) -> LResult<Ret> {
    let cur = st.cur;
    st.push(Value::Thread(cur));
    st.push(Value::Bool(cur.ptr_eq(st.main_thread)));
    Ok(Ret::Values(2))
}

fn status(st: &mut State, a: Args) -> LResult<Ret> {
    let co = check_co(st, a, 1)?;
    let s: &[u8] = if co.ptr_eq(st.cur) {
        b"running"
    } else {
        match co.status {
            CoStatus::Suspended => {
                if co.frames.is_empty() && co.top == 0 {
                    b"dead"
                } else {
                    b"suspended"
                }
            }
            CoStatus::Normal => b"normal",
            CoStatus::Running => b"running",
            CoStatus::Dead => b"dead",
        }
    };
    st.push_str(s);
    Ok(Ret::Values(1))
}

fn wrap_k(st: &mut State, status: Status, _cont: &mut Cont) -> LResult<Ret> {
    match status {
        Status::Ok { n, .. } => Ok(Ret::Values(n)),
        Status::Err(e) => {
            // 5.2 adds the position of the caller to string errors.
            if let Value::Str(s) = e {
                let w = st.where_(1);
                let mut m = w.into_bytes();
                m.extend_from_slice(s.as_bytes());
                return Err(st.new_string(m));
            }
            Err(e)
        }
    }
}

fn wrap_aux(st: &mut State, a: Args) -> LResult<Ret> {
    let Value::Thread(co) = st.upvalue(0) else {
        return Err(st.rt_error("wrap without coroutine"));
    };
    if let Some(msg) = resume_problem(st, co) {
        return Err(st.rt_error(msg));
    }
    let mut cont = Cont::new(wrap_k, WRAP_CTX);
    cont.protected = true;
    Ok(Ret::Resume {
        thread: co,
        nargs: a.len,
        cont,
    })
}

fn wrap(st: &mut State, a: Args) -> LResult<Ret> {
    let f = st.arg(a, 1);
    if !f.is_function() {
        return Err(st.arg_type_error(a, 1, "function"));
    }
    let co = st.new_coroutine(f);
    let w = st.new_native("wrap", wrap_aux, vec![Value::Thread(co)]);
    st.push(w);
    Ok(Ret::Values(1))
}

fn yield_(_st: &mut State, a: Args) -> LResult<Ret> {
    Ok(Ret::Yield(a.len))
}
