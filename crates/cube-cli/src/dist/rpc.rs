//! Spawn requests from other nodes: how `rpc:call`, `erpc:call`, `erpc:cast` and
//! `spawn(Node, M, F, A)` of an Erlang node (OTP 23+) reach Lua.
//!
//! Erlang's rpc no longer talks to a `rex` server: the caller sends a spawn request for
//! `erpc:execute_call(Ref, M, F, Args)` with a monitor, and reads the result from the
//! reason of the DOWN it gets when that process ends: `{Ref, return, Value}`, or
//! `{Ref, error, Reason, Stack}`. On cube the process is a Lua process running
//! [`WRAPPER`]: it finds `M.F` (the global table `M`, as `string` or `math`, else
//! `require(M)`) and calls it with `Args` converted as messages are (DESIGN.md, "Erlang
//! terms at the Lua boundary"). What it gives back is sent as that DOWN by
//! `reply`, a native only this process has; the monitor is dropped first, so the
//! process's own normal end sends nothing more. If it is killed before it answers, the
//! DOWN carries the kill reason, as on the BEAM (erpc then raises `{signal, Reason}`).
//!
//! Which request means what:
//! - `erpc:execute_call(Ref, M, F, Args)`: a call; a missing module or function
//!   answers `undef` as the BEAM does (`{badrpc, {'EXIT', {undef, [{M, F, Args, []}]}}}`
//!   from `rpc:call`), a Lua error `{Ref, error, Message, []}`;
//! - `erpc:execute_cast(M, F, Args)`: the same without an answer;
//! - `cube:spawn_fn(Function, Args)`: `node.spawn` from another cube node, the
//!   function as `cube_vm::remote_fn` writes it (verified bytecode), run with `Args`;
//! - any other `M:F(Args...)`: a plain spawn of the Lua function `M.F` (`spawn/4`,
//!   `spawn_link/4`, `spawn_monitor/4` from Erlang), which ends as its function ends.
//!
//! Each request gets its spawn reply before the process runs: the process waits for a
//! go message ([`GO`]) that is sent after the reply is queued, on the same ordered
//! lane as everything the process may send to the spawner (`outgoing.rs`).

use super::outgoing::Outgoing;
use cube_dist::etf::Eterm;
use cube_dist::DistNode;
use cube_lua::host::{Args, Cx, HostResult, Ret, Val};
use cube_lua::proto::Proto;
use cube_term::{Atom, Pid, Reference, Term};
use cube_vm::NodeHandle;
use std::sync::{Arc, OnceLock};

/// The first message of a spawned process: its spawn reply is on its way.
const GO: &[u8] = b"$cube-spawn-go";

/// Most arguments a spawn request may carry (Erlang's own limit is 255).
const MAX_ARGS: usize = 255;

/// The Lua side of a spawned request. Arguments: the go tag, the module and function
/// names, the reply native (nil for a cast or a plain spawn), the argument count, then
/// the arguments.
const WRAPPER: &str = r#"
local go, module, name, reply, n = ...
local args = table.pack(select(6, ...))
args.n = n
process.receive(function(m) return m == go end)
local function find()
  local m = _G[module]
  if type(m) ~= "table" then
    local ok, loaded = pcall(require, module)
    if not ok or type(loaded) ~= "table" then return nil end
    m = loaded
  end
  local f = m[name]
  if type(f) == "function" then return f end
  local mt = getmetatable(f)
  if mt and mt.__call then return f end
  return nil
end
local f = find()
if not f then
  if reply then return reply("undef") end
  error("undef: " .. module .. "." .. name .. "/" .. n, 0)
end
if not reply then return f(table.unpack(args, 1, n)) end
local results = table.pack(pcall(f, table.unpack(args, 1, n)))
if results[1] then
  reply("return", results[2])
else
  reply("error", results[2])
end
"#;

/// The Lua side of a `node.spawn` from another cube node: the go tag, the function
/// (`cube_vm::remote_fn`), then its arguments.
const FUNCTION_WRAPPER: &str = r#"
local go, f = ...
process.receive(function(m) return m == go end)
return f(select(3, ...))
"#;

/// What a request asks for, from its module, function and arguments.
enum Kind {
    /// `cube:spawn_fn(Function, Args)`: `node.spawn` from another cube node.
    Function { function: Term },
    /// `erpc:execute_call(Ref, M, F, Args)`: `Ref` is echoed in the result.
    Call { tag: Term },
    /// `erpc:execute_cast(M, F, Args)`.
    Cast,
    /// `M:F(Args...)`.
    Spawn,
}

/// A spawn request from another node (see the module documentation).
#[allow(clippy::too_many_arguments)]
pub fn serve(
    dist: &DistNode,
    handle: &NodeHandle,
    out: &Arc<Outgoing>,
    from: Pid,
    req_id: Reference,
    module: Atom,
    function: Atom,
    args: &Eterm,
    link: bool,
    monitor: bool,
) {
    let Some((kind, module, function, args)) = parse(dist, module, function, args) else {
        out.spawn_reply(from, req_id, Err("badarg"));
        return;
    };
    let reply = match &kind {
        Kind::Call { tag } => Some(Reply {
            out: out.clone(),
            handle: handle.clone(),
            caller: from,
            req_id,
            tag: tag.clone(),
            module: module.clone(),
            function: function.clone(),
            args: args.clone(),
        }),
        Kind::Cast | Kind::Spawn | Kind::Function { .. } => None,
    };
    let spawned = match &kind {
        Kind::Function { function } => spawn_function(handle, function, &args),
        _ => spawn_wrapped(handle, &module, &function, reply, &args),
    };
    let pid = match spawned {
        Ok(pid) => pid,
        Err(e) => {
            eprintln!("cube-cli: spawn request from {from} refused: {e}");
            out.spawn_reply(from, req_id, Err("badarg"));
            return;
        }
    };
    if monitor {
        handle.remote_monitor(from, pid, req_id);
    }
    if link {
        handle.remote_link(from, pid);
    }
    out.spawn_reply(from, req_id, Ok((pid, link, monitor)));
    handle.send(pid, Term::binary(GO));
}

/// A process running a function sent by `node.spawn` (checked by `remote_fn`).
fn spawn_function(handle: &NodeHandle, function: &Term, args: &[Term]) -> Result<Pid, String> {
    handle.spawn(|st| {
        st.cx(|cx| {
            push_wrapper(cx, &FUNCTION_WRAPPER_PROTO, FUNCTION_WRAPPER, "=spawn")?;
            cx.push_str(GO);
            let f = cube_vm::remote_fn::decode(cx, function)?;
            cx.push(f);
            for a in args {
                let v = cube_vm::from_term(cx, a);
                cx.push(v);
            }
            Ok(2 + args.len())
        })
    })
}

/// A process running [`WRAPPER`] for `module.function(args...)`.
fn spawn_wrapped(
    handle: &NodeHandle,
    module: &str,
    function: &str,
    reply: Option<Reply>,
    args: &[Term],
) -> Result<Pid, String> {
    handle.spawn(|st| {
        st.cx(|cx| {
            push_wrapper(cx, &WRAPPER_PROTO, WRAPPER, "=rpc")?;
            cx.push_str(GO);
            cx.push_str(module.as_bytes());
            cx.push_str(function.as_bytes());
            match reply {
                Some(r) => {
                    let data = cx.new_userdata(r, None);
                    let f = cx.new_function("reply", reply_native, &[data]);
                    cx.push(f);
                }
                None => cx.push(Val::Nil),
            }
            cx.push(Val::Num(args.len() as f64));
            for a in args {
                let v = cube_vm::from_term(cx, a);
                cx.push(v);
            }
            Ok(5 + args.len())
        })
    })
}

/// The compiled wrappers, made on first use: a request is answered without compiling.
static WRAPPER_PROTO: OnceLock<Result<Arc<Proto>, String>> = OnceLock::new();
static FUNCTION_WRAPPER_PROTO: OnceLock<Result<Arc<Proto>, String>> = OnceLock::new();

/// Pushes a closure of the wrapper `source` (compiled once into `cache`) with the
/// globals as `_ENV`.
fn push_wrapper(
    cx: &mut Cx<'_>,
    cache: &OnceLock<Result<Arc<Proto>, String>>,
    source: &str,
    name: &str,
) -> Result<(), String> {
    let proto = cache
        .get_or_init(|| cube_lua::load::compile(source.as_bytes(), name).map_err(|e| e.message))
        .clone()?;
    let env = Val::Table(cx.globals());
    let f = cx.closure_of(proto, env);
    cx.push(f);
    Ok(())
}

/// The kind of a request, its Lua module and function names and its arguments;
/// `None` when malformed (not a proper list of arguments, terms without a cube form).
fn parse(
    dist: &DistNode,
    module: Atom,
    function: Atom,
    args: &Eterm,
) -> Option<(Kind, String, String, Vec<Term>)> {
    let Eterm::List(items) = args else {
        return None;
    };
    let terms = |items: &[Eterm]| -> Option<Vec<Term>> {
        if items.len() > MAX_ARGS {
            return None;
        }
        items.iter().map(|t| dist.to_term(t).ok()).collect()
    };
    let name = |a: Atom| a.name().to_owned();
    match (module.name(), function.name(), items.as_slice()) {
        ("cube", "spawn_fn", [f, Eterm::List(a)]) => {
            let function = dist.to_term(f).ok()?;
            Some((
                Kind::Function { function },
                String::new(),
                String::new(),
                terms(a)?,
            ))
        }
        ("erpc", "execute_call", [tag, Eterm::Atom(m), Eterm::Atom(f), Eterm::List(a)]) => {
            let tag = dist.to_term(tag).ok()?;
            Some((Kind::Call { tag }, name(*m), name(*f), terms(a)?))
        }
        ("erpc", "execute_cast", [Eterm::Atom(m), Eterm::Atom(f), Eterm::List(a)]) => {
            Some((Kind::Cast, name(*m), name(*f), terms(a)?))
        }
        _ => Some((Kind::Spawn, name(module), name(function), terms(items)?)),
    }
}

/// What the reply native of one call needs (the upvalue of [`reply_native`]).
struct Reply {
    out: Arc<Outgoing>,
    handle: NodeHandle,
    caller: Pid,
    req_id: Reference,
    /// erpc's `Ref`, echoed in the result.
    tag: Term,
    module: String,
    function: String,
    args: Vec<Term>,
}

impl Reply {
    /// `[{M, F, Args, []}]`: the stack of an `undef`, as the BEAM gives it.
    fn undef_stack(&self) -> Term {
        let frame = tuple(vec![
            Term::atom(&self.module),
            Term::atom(&self.function),
            list(self.args.clone()),
            list(Vec::new()),
        ]);
        list(vec![frame])
    }
}

/// `reply(kind, value)` in [`WRAPPER`]: sends the call's result as the DOWN erpc waits
/// for. Once only: the process ends right after.
fn reply_native<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let kind = cx.check_str(a, 1)?.to_str_lossy().into_owned();
    let value = cx.arg(a, 2);
    let Some(me) = cube_vm::current_pid(cx) else {
        return Err(cx.rt_error("reply outside a process"));
    };
    let converted = cube_vm::to_term(cx, value);
    let up = cx.upvalue(0);
    let Some(r) = cx.userdata_get::<Reply>(up) else {
        return Err(cx.rt_error("reply: not an rpc process"));
    };
    let error =
        |reason: Term, stack: Term| tuple(vec![r.tag.clone(), Term::atom("error"), reason, stack]);
    let reason = match (kind.as_str(), converted) {
        ("return", Ok(v)) => tuple(vec![r.tag.clone(), Term::atom("return"), v]),
        ("undef", _) => error(Term::atom("undef"), r.undef_stack()),
        ("error", Ok(Term::Binary(msg))) => error(Term::Binary(msg), list(Vec::new())),
        (_, Ok(other)) => error(other, list(Vec::new())),
        (_, Err(e)) => error(
            Term::binary(format!("result cannot be sent: {e}").as_bytes()),
            list(Vec::new()),
        ),
    };
    // The monitor goes first, so this process's own end sends no second DOWN.
    r.handle.remote_demonitor(me, r.req_id);
    r.out.monitor_exit_term(me, r.caller, r.req_id, reason);
    Ok(Ret::Values(0))
}

fn tuple(items: Vec<Term>) -> Term {
    Term::Tuple(Arc::from(items))
}

fn list(items: Vec<Term>) -> Term {
    Term::List(Arc::from(items))
}
