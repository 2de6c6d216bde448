//! `node.call(nodename, module, function, args [, timeout_ms])`: Erlang's `rpc:call`
//! from Lua (issue 12), against an Erlang node or another cube node.
//!
//! The call goes through the node's [`Distribution`](crate::Distribution) and waits
//! for the network, so it suspends the calling process (`io_wait`), never the
//! scheduler thread, as `node.ping` does: the answer arrives on another thread, is put
//! in the process's [`CallSlot`] and wakes it. It returns the function's result, or
//! `nil` and the reason `rpc:call` gives in `{badrpc, Reason}`: the atom `nodedown`
//! (the node cannot be reached or went away), `timeout`, or the tuple
//! `{'EXIT', Why}` (the function raised; a Lua function's error is
//! `{'EXIT', {Message, {}}}`).

use crate::io_wait;
use crate::node::NodeInner;
use cube_lua::host::{Args, Cx, HostResult, Ret, Val};
use cube_term::{Atom, Term};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Most arguments a call may pass (Erlang's limit on a function's arity).
const MAX_ARGS: usize = 255;

/// The outcome of a call in flight, and the waker of the process waiting for it. One
/// lock covers both (see `node_lib::PingSlot`, the same pattern).
pub(crate) struct CallSlot {
    state: Mutex<(Option<Outcome>, Option<io_wait::Waker>)>,
}

/// A call's result, or its `badrpc` reason.
type Outcome = Result<Term, Term>;

impl CallSlot {
    fn answer(&self, outcome: Result<Term, Term>) {
        let waker = {
            let mut s = self.state.lock().expect("call slot lock");
            s.0 = Some(outcome);
            s.1.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

/// `nil, reason`.
fn push_failure<'n>(cx: &mut Cx<'n>, reason: &Term) -> HostResult<'n, Ret> {
    cx.push(Val::Nil);
    let v = crate::external::from_term(cx, reason);
    cx.push(v);
    Ok(Ret::Values(2))
}

fn push_outcome<'n>(cx: &mut Cx<'n>, outcome: Result<Term, Term>) -> HostResult<'n, Ret> {
    match outcome {
        Ok(v) => {
            let v = crate::external::from_term(cx, &v);
            cx.push(v);
            Ok(Ret::Values(1))
        }
        Err(reason) => push_failure(cx, &reason),
    }
}

/// See the module documentation. The first run starts the call and blocks; the
/// native runs again when the answer's waker fires, its deadline passes, or
/// spuriously, and returns once there is an outcome.
pub(crate) fn call<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let (node, me) = match begin(cx, "node.call")? {
        Begin::Fresh(node, me) => (node, me),
        Begin::Rerun(ret) => return Ok(ret),
    };
    let name = cx.check_str(a, 1)?.to_str_lossy().into_owned();
    let module = cx.check_str(a, 2)?.to_str_lossy().into_owned();
    let function = cx.check_str(a, 3)?.to_str_lossy().into_owned();
    let args = call_args(cx, a)?;
    let deadline = match cx.arg(a, 5) {
        Val::Nil => None,
        v => match cx.to_num_coerce(v) {
            Some(ms) if ms >= 0.0 && ms.is_finite() => {
                Some(Instant::now() + Duration::from_secs_f64(ms / 1000.0))
            }
            _ => return Err(cx.arg_error(5, "timeout in milliseconds (a number >= 0) expected")),
        },
    };
    let Some(dist) = node.distribution().cloned() else {
        return push_failure(cx, &Term::atom("nodedown"));
    };
    if name == dist.node_name() {
        return Err(cx.arg_error(1, "node.call to this node: call the function directly"));
    }
    let (Some(module), Some(function)) = (Atom::try_new(&module), Atom::try_new(&function)) else {
        return push_failure(cx, &Term::atom("system_limit"));
    };
    let Some(reply) = wait_for_answer(cx, &node, me, deadline) else {
        return push_failure(cx, &Term::atom("nodedown"));
    };
    dist.call(me, &name, module, function, args, reply);
    Ok(Ret::Block)
}

/// `node.spawn(nodename, f, ...)`: runs `f(...)` in a new process of another cube
/// node, as `process.spawn` does here; `f` travels as verified bytecode with its
/// upvalues copied (`remote_fn.rs`). Returns the new pid, or nil and why (`nodedown`,
/// `notsup` from an Erlang node, the receiver's error). Blocks only the caller until
/// the other node answers.
pub(crate) fn spawn<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let (node, me) = match begin(cx, "node.spawn")? {
        Begin::Fresh(node, me) => (node, me),
        Begin::Rerun(ret) => return Ok(ret),
    };
    let name = cx.check_str(a, 1)?.to_str_lossy().into_owned();
    let Val::Function(f) = cx.arg(a, 2) else {
        return Err(cx.arg_type_error(a, 2, "function"));
    };
    let function = crate::remote_fn::encode(cx, f).map_err(|e| cx.arg_error(2, &e))?;
    if a.len > 2 + MAX_ARGS {
        return Err(cx.rt_error(&format!("more than {MAX_ARGS} arguments")));
    }
    let mut args = Vec::new();
    for i in 3..=a.len {
        let v = cx.arg(a, i);
        args.push(crate::external::to_term(cx, v).map_err(|e| cx.arg_error(i, &e))?);
    }
    let Some(dist) = node.distribution().cloned() else {
        return push_failure(cx, &Term::atom("nodedown"));
    };
    if name == dist.node_name() {
        return Err(cx.arg_error(1, "node.spawn on this node: use process.spawn"));
    }
    let Some(reply) = wait_for_answer(cx, &node, me, None) else {
        return push_failure(cx, &Term::atom("nodedown"));
    };
    dist.spawn(me, &name, function, args, reply);
    Ok(Ret::Block)
}

/// How a `node.call`/`node.spawn` native starts.
enum Begin {
    /// A new request, from this process on this node.
    Fresh(Arc<NodeInner>, cube_term::Pid),
    /// The re-run of a request that blocked: what to return now.
    Rerun(Ret),
}

/// The common start of [`call`] and [`spawn`]: the re-run of a blocked request gives
/// its outcome (or waits again, [`resume`]); otherwise the caller's node and pid.
fn begin<'n>(cx: &mut Cx<'n>, what: &str) -> HostResult<'n, Begin> {
    let retry = io_wait::take_retry(cx);
    let node = crate::library::node_of(cx);
    let Some(me) = crate::library::self_pid(cx) else {
        return Err(cx.rt_error(&format!("{what} outside a process")));
    };
    if let Some(r) = retry {
        // (A statement of its own: the lock must be released before `resume`.)
        let slot = node.calls.lock().expect("calls lock").get(&me).cloned();
        if let Some(slot) = slot {
            return resume(cx, &node, me, &slot, r).map(Begin::Rerun);
        }
    }
    Ok(Begin::Fresh(node, me))
}

/// Blocks the process until its request's answer (or `deadline`): records a slot for
/// it and returns the reply that fills the slot and wakes it. `None` if this state
/// cannot block (it is not a process's).
fn wait_for_answer(
    cx: &mut Cx<'_>,
    node: &NodeInner,
    me: cube_term::Pid,
    deadline: Option<Instant>,
) -> Option<crate::distribution::CallReply> {
    let slot = Arc::new(CallSlot {
        state: Mutex::new((None, None)),
    });
    let waker = io_wait::block(cx, deadline)?;
    slot.state.lock().expect("call slot lock").1 = Some(waker);
    node.calls
        .lock()
        .expect("calls lock")
        .insert(me, slot.clone());
    Some(Box::new(move |outcome| slot.answer(outcome)))
}

/// The re-run of a call that blocked: its outcome, a timeout, or another wait.
fn resume<'n>(
    cx: &mut Cx<'n>,
    node: &Arc<NodeInner>,
    me: cube_term::Pid,
    slot: &Arc<CallSlot>,
    r: io_wait::Retry,
) -> HostResult<'n, Ret> {
    let mut s = slot.state.lock().expect("call slot lock");
    if let Some(outcome) = s.0.take() {
        drop(s);
        node.calls.lock().expect("calls lock").remove(&me);
        return push_outcome(cx, outcome);
    }
    if r.expired() {
        drop(s);
        // A late answer finds no slot and is dropped.
        node.calls.lock().expect("calls lock").remove(&me);
        return push_failure(cx, &Term::atom("timeout"));
    }
    // Spurious wake-up: wait again, under the slot's lock.
    match io_wait::block(cx, r.deadline) {
        Some(w) => {
            s.1 = Some(w);
            Ok(Ret::Block)
        }
        None => push_failure(cx, &Term::atom("nodedown")),
    }
}

/// The argument list (argument 4, a sequence `{a1, a2, ...}`), copied as messages are.
fn call_args<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Vec<Term>> {
    let t = match cx.arg(a, 4) {
        Val::Nil => return Ok(Vec::new()),
        v => v
            .as_table()
            .ok_or_else(|| cx.arg_error(4, "table of arguments expected"))?,
    };
    let n = cx.raw_len(t);
    if n > MAX_ARGS {
        return Err(cx.arg_error(4, &format!("more than {MAX_ARGS} arguments")));
    }
    let mut args = Vec::with_capacity(n);
    for i in 1..=n {
        let v = cx.raw_get_int(t, i as i64);
        match crate::external::to_term(cx, v) {
            Ok(t) => args.push(t),
            Err(e) => return Err(cx.arg_error(4, &e)),
        }
    }
    Ok(args)
}
