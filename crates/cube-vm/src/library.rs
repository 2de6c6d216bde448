//! The Lua `process` library (DESIGN.md "Public interfaces"): spawn, self, send,
//! receive (with timeout and selective match), sleep, is_alive, list, info, register,
//! unregister, whereis, exit, and the failure semantics of `signals.rs`: link, unlink,
//! spawn_link, monitor, demonitor, trap_exit, exit(pid, reason).
//!
//! Each process's state carries a [`Ctx`] in `State::ext`. Blocking calls return
//! `Ret::Block`; the scheduler parks the process and the call runs again when a message
//! or its timer arrives. Selective receive keeps a save pointer: messages that did not
//! match stay queued in order and are not offered to the same match function again.

use crate::deadline::Deadline;
use crate::distribution::Destination;
use crate::limits::Limits;
use crate::node::{ExitReason, NodeInner, Wait};
use crate::process::{Process, Queued};
use crate::signals::{LinkResult, Origin};
use cube_lua::host::{
    Args, Cont, Cx, HostResult, HostSlot, HostStatus, LuaType, Ret, State, TableRef, Val,
};
use cube_term::{Bridge, Pid, Reference, Term};
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Per-process context kept in `State::ext`.
pub(crate) struct Ctx {
    pub(crate) node: Arc<NodeInner>,
    /// Messages taken from the mailbox and not yet received, in arrival order.
    private: VecDeque<Queued>,
    /// A receive is in progress (scanning or blocked).
    receiving: bool,
    /// Messages before this index were rejected by the current receive's match.
    /// (`u32`, as `nargs`: with the flags they share 16 bytes, which keeps the context
    /// in a smaller size class; a mailbox never holds 2^32 messages.)
    save: u32,
    /// The deadlines here are `Deadline`s (8 bytes, not an `Instant`'s 16), and what a
    /// blocked native waits for is `blocked` with the deadline it names: the context
    /// fits mimalloc's 96-byte class.
    deadline: Option<Deadline>,
    wait_seq: u32,
    /// The next call of a blocking native is the retry of a blocked one.
    retry: bool,
    /// What the last `Ret::Block` waits for (read by `after_slice` for the scheduler).
    pub(crate) blocked: Blocked,
    nargs: u32,
    /// Set while a native blocked through `io_wait::block` (see `io_wait.rs`), with
    /// the deadline it gave and the mailbox's wait sequence number of that wait.
    pub(crate) io_retry: bool,
    pub(crate) io_deadline: Option<Deadline>,
    pub(crate) io_seq: u32,
    /// The process whose state holds this context (set once it exists).
    process: ProcessPtr,
    /// The process this one last sent to: a process usually keeps talking to the same
    /// peer, and this spares the process table. (Holding it keeps at most its record
    /// alive, not its state; pids are never reused, so it cannot stand for another.)
    last_dest: Option<Arc<Process>>,
}

/// What a process's last `Ret::Block` waits for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Blocked {
    /// Nothing (it did not block since the scheduler last looked).
    No,
    /// A message, or the receive's (or sleep's) `Ctx::deadline`.
    Receive,
    /// Its `io_wait::Waker`, or `Ctx::io_deadline`.
    Io,
}

/// A pointer from a process's context to the process (`None` until `set_process`).
///
/// It is valid for as long as the context is: the context lives in the process's state
/// (`State::ext`), the state lives in the process (`Process::state`) or is taken out of
/// it only by code holding an `Arc` of the process (`run_slice`, `Node::exit`, which runs
/// its finalizers), and the process is behind an `Arc`, so it does not move. Dropping a
/// state runs no Lua code, so nothing reads the pointer while a process is dropped.
/// [`ProcessPtr::get`] ties the reference to a borrow of the pointer, hence of the
/// context, so no caller can keep it longer.
struct ProcessPtr(*const Process);

// SAFETY: `Process` is `Sync` (its mutable parts are behind locks and atomics); the
// pointer only gives shared access to it, for as long as the context holding it lives.
unsafe impl Send for ProcessPtr {}

impl ProcessPtr {
    fn get(&self) -> Option<&Process> {
        // SAFETY: null or an `Arc<Process>` allocation that outlives this pointer (see
        // `ProcessPtr`); the reference lives no longer than `&self`.
        unsafe { self.0.as_ref() }
    }
}

impl Ctx {
    /// This context's process; `None` only while it is being created. Borrows the
    /// context: copy out (or clone the `Arc`s) what must outlive the borrow.
    pub(crate) fn process(&self) -> Option<&Process> {
        self.process.get()
    }

    /// The pid of its process (read from the process record: all Lua code of a
    /// process runs after `set_process`).
    pub(crate) fn me(&self) -> Pid {
        self.process()
            .expect("a process's context has its process")
            .pid
    }
}

/// Records the process that `cx` belongs to (right after the process is made).
pub(crate) fn set_process(st: &mut impl HostSlot, p: &Arc<Process>) {
    ctx(st).process = ProcessPtr(Arc::as_ptr(p));
}

fn ctx(st: &mut impl HostSlot) -> &mut Ctx {
    st.ext_slot()
        .as_mut()
        .and_then(|e| e.downcast_mut::<Ctx>())
        .expect("process context")
}

/// The context in a state's `ext`, borrowing only that field (so the rest of the state
/// stays usable while the process it points to is).
fn ctx_in(ext: &Option<Box<dyn std::any::Any + Send>>) -> Option<&Ctx> {
    ext.as_ref().and_then(|e| e.downcast_ref::<Ctx>())
}

/// The context, if `cx` is a process's state.
pub(crate) fn ctx_opt(st: &mut impl HostSlot) -> Option<&mut Ctx> {
    st.ext_slot().as_mut().and_then(|e| e.downcast_mut::<Ctx>())
}

/// Pids are light userdata: an immediate value (no allocation, equal by value, a table
/// key like any other) sharing the light-userdata metatable that gives them
/// `__tostring`. Lua code cannot make light userdata, so nothing else looks like a pid.
///
/// The bits: the node index (high 16); then, for this node's pids (index 0), the id
/// (low 48; the serial is always 0 here); for another node's, Erlang's serial (16) and
/// id (low 32), which is what the wire carries (`NEW_PID_EXT`: 32-bit id, serials
/// that stay small). A pid that does not fit (a node index of 0xFFFF or more, a serial
/// of 2^16 or more) reaches Lua as its printed form, a string: it cannot be sent to,
/// but nothing is silently changed into another pid.
const PID_NODE_SHIFT: u32 = 48;
const PID_SERIAL_SHIFT: u32 = 32;

/// Light userdata whose node field is this are atoms (`term.atom`; low 32 bits: the
/// atom's index in the node's table): interned, equal by value, table keys, printed
/// as their name, as DESIGN.md's table asks.
const ATOM_NODE: usize = 0xFFFF;
/// Light userdata whose node field is this are the marks that the tuple and list
/// metatables hold at `[1]` (`term_lib.rs`). No pid has these two node fields.
const MARK_NODE: usize = 0xFFFE;
pub(crate) const TUPLE_MARK: usize = (MARK_NODE << PID_NODE_SHIFT) | 1;
pub(crate) const LIST_MARK: usize = (MARK_NODE << PID_NODE_SHIFT) | 2;

/// The Lua value of an atom other than nil/true/false.
pub(crate) fn atom_value<'n>(a: cube_term::Atom) -> Val<'n> {
    Val::LightUserData((ATOM_NODE << PID_NODE_SHIFT) | a.index() as usize)
}

/// The atom a value stands for, if it is an atom value.
pub(crate) fn as_atom(v: Val<'_>) -> Option<cube_term::Atom> {
    match v {
        Val::LightUserData(bits) if bits >> PID_NODE_SHIFT == ATOM_NODE => {
            cube_term::Atom::from_index((bits & 0xFFFF_FFFF) as u32)
        }
        _ => None,
    }
}

/// The light-userdata bits of a pid, if it fits (see above).
fn pid_bits(pid: Pid) -> Option<usize> {
    let node = pid.node() as usize;
    if node == 0 {
        let id = usize::try_from(pid.id()).ok()?;
        (id < 1 << PID_NODE_SHIFT && pid.serial() == 0).then_some(id)
    } else {
        let id = u32::try_from(pid.id()).ok()? as usize;
        let serial = pid.serial() as usize;
        (node < MARK_NODE && serial < 1 << 16)
            .then_some((node << PID_NODE_SHIFT) | (serial << PID_SERIAL_SHIFT) | id)
    }
}

fn pid_value<'n>(pid: Pid) -> Val<'n> {
    Val::LightUserData(pid_bits(pid).unwrap_or(usize::MAX))
}

fn pid_value_in<'n>(cx: &mut Cx<'n>, pid: Pid) -> Val<'n> {
    match pid_bits(pid) {
        Some(bits) => Val::LightUserData(bits),
        None => cx.new_string(pid.to_string().into_bytes()),
    }
}

pub(crate) fn as_pid(v: Val<'_>) -> Option<Pid> {
    match v {
        Val::LightUserData(bits) if bits >> PID_NODE_SHIFT < MARK_NODE => {
            let node = (bits >> PID_NODE_SHIFT) as u32;
            Some(if node == 0 {
                Pid::new(0, (bits & ((1 << PID_NODE_SHIFT) - 1)) as u64, 0)
            } else {
                Pid::new(
                    node,
                    (bits & 0xFFFF_FFFF) as u64,
                    ((bits >> PID_SERIAL_SHIFT) & 0xFFFF) as u32,
                )
            })
        }
        _ => None,
    }
}

/// The error value of `process.exit(reason)`: ends the process with that reason.
struct ExitSignal(String);

/// Maps pid userdata to terms and back for this runtime.
pub(crate) struct VmBridge;

impl Bridge for VmBridge {
    fn userdata_to_term<'n>(&self, _cx: &Cx<'n>, v: Val<'n>) -> Option<Term> {
        as_pid(v)
            .map(Term::Pid)
            .or_else(|| as_atom(v).map(Term::Atom))
    }
    fn atom_to_value<'n>(&self, _cx: &mut Cx<'n>, a: cube_term::Atom) -> Val<'n> {
        atom_value(a)
    }
    fn table_kind<'n>(&self, cx: &Cx<'n>, t: TableRef<'n>) -> Option<cube_term::TableKind> {
        crate::term_lib::kind_of(cx, t)
    }
    fn mark_table<'n>(&self, cx: &mut Cx<'n>, t: TableRef<'n>, kind: cube_term::TableKind) {
        crate::term_lib::mark(cx, t, kind);
    }
    fn pid_to_value<'n>(&self, cx: &mut Cx<'n>, pid: Pid) -> Val<'n> {
        pid_value_in(cx, pid)
    }
    fn reference_to_value<'n>(&self, cx: &mut Cx<'n>, r: Reference) -> Val<'n> {
        cx.new_string(r.to_string().into_bytes())
    }
}

const PID_META: &str = "cube.pid";

pub(crate) fn registry_table<'n>(cx: &mut Cx<'n>, key: &str) -> TableRef<'n> {
    let reg = cx.registry();
    match cx.get_field(reg, key) {
        Val::Table(t) => t,
        _ => {
            let t = cx.new_table();
            cx.set_field(reg, key, Val::Table(t));
            t
        }
    }
}

fn check_pid<'n>(cx: &mut Cx<'n>, a: Args, n: usize) -> HostResult<'n, Pid> {
    match as_pid(cx.arg(a, n)) {
        Some(p) => Ok(p),
        None => Err(cx.arg_type_error(a, n, "pid")),
    }
}

/// Installs the context of process `me` into its new state.
pub(crate) fn install(st: &mut impl HostSlot, node: Arc<NodeInner>) {
    *st.ext_slot() = Some(Box::new(Ctx {
        node,
        private: VecDeque::new(),
        receiving: false,
        save: 0,
        deadline: None,
        wait_seq: 0,
        retry: false,
        blocked: Blocked::No,
        nargs: 0,
        io_retry: false,
        io_deadline: None,
        io_seq: 0,
        process: ProcessPtr(std::ptr::null()),
        last_dest: None,
    }));
}

/// Opens the `process` and `supervisor` libraries into a state: done once per node, into
/// the shared image every process starts from (`cube_lua::image`).
pub(crate) fn open(st: &mut State) {
    st.cx(open_in);
}

fn open_in(cx: &mut Cx<'_>) {
    let mt = registry_table(cx, PID_META);
    let tostring = cx.new_function("__tostring", light_tostring, &[]);
    cx.set_field(mt, "__tostring", tostring);
    cx.set_type_meta(LuaType::LightUserData, Some(mt));
    let lib = cx.new_table();
    cx.register(
        lib,
        &[
            ("spawn", spawn),
            ("spawn_opt", spawn_opt),
            ("self", self_),
            ("send", send),
            ("receive", receive),
            ("sleep", sleep),
            ("monotonic_time", monotonic_time),
            ("is_alive", is_alive),
            ("list", list),
            ("info", info),
            ("register", register),
            ("unregister", unregister),
            ("whereis", whereis),
            ("exit", exit),
            ("link", link),
            ("unlink", unlink),
            ("spawn_link", spawn_link),
            ("monitor", monitor),
            ("demonitor", demonitor),
            ("trap_exit", trap_exit),
            ("i", i),
        ],
    );
    cx.set_global("process", Val::Table(lib));
    let loaded = cx.loaded_table();
    cx.set_field(loaded, "process", Val::Table(lib));
    crate::node_lib::open(cx);
    crate::term_lib::open(cx);
    crate::supervisor::install(cx);
}

/// The node a process's state belongs to.
pub(crate) fn node_of(st: &mut impl HostSlot) -> Arc<NodeInner> {
    ctx(st).node.clone()
}

/// `process.i()`: prints the observer-style listing of the node's processes.
fn i<'n>(cx: &mut Cx<'n>, _a: Args) -> HostResult<'n, Ret> {
    let me = ctx(cx).me().id();
    let heap = cx.memory_bytes();
    let text = crate::observer::listing(&ctx(cx).node, me, heap);
    let _ = cx.stdout().write_all(text.as_bytes());
    Ok(Ret::Values(0))
}

/// The pid of the process owning `cx` (None before `install`).
pub(crate) fn self_pid(st: &mut impl HostSlot) -> Option<Pid> {
    st.ext_slot()
        .as_mut()
        .and_then(|e| e.downcast_mut::<Ctx>())
        .map(|c| c.me())
}

/// What the scheduler reads after a slice: what the last blocking native waits for
/// (taken), and how many messages the process took from its mailbox but has not
/// received yet (those a selective receive skipped).
pub(crate) fn after_slice(st: &mut impl HostSlot) -> (Wait, usize) {
    match st.ext_slot().as_mut().and_then(|e| e.downcast_mut::<Ctx>()) {
        Some(c) => (
            match std::mem::replace(&mut c.blocked, Blocked::No) {
                Blocked::No => None,
                Blocked::Receive => c.deadline.map(|d| (d.instant(), c.wait_seq)),
                Blocked::Io => c.io_deadline.map(|d| (d.instant(), c.io_seq)),
            },
            c.private.len(),
        ),
        None => (None, 0),
    }
}

/// The exit reason carried by a `process.exit` error value.
pub(crate) fn exit_reason_of<'n>(cx: &Cx<'n>, e: Val<'n>) -> Option<ExitReason> {
    cx.userdata_get::<ExitSignal>(e)
        .map(|s| crate::signals::reason_from_text(&s.0))
}

/// `tostring` of the runtime's light userdata: a pid as Erlang prints it, an atom as
/// its name.
fn light_tostring<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let v = cx.arg(a, 1);
    if let Some(atom) = as_atom(v) {
        cx.push_str(atom.name().as_bytes());
        return Ok(Ret::Values(1));
    }
    if matches!(v, Val::LightUserData(b) if b >> PID_NODE_SHIFT == MARK_NODE) {
        cx.push_str(b"term mark");
        return Ok(Ret::Values(1));
    }
    let pid = check_pid(cx, a, 1)?;
    cx.push_str(pid.to_string().as_bytes());
    Ok(Ret::Values(1))
}

fn spawn<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    spawn_impl(cx, a, false)
}

/// `spawn` and `link` in one step: the child cannot end before the link exists.
fn spawn_link<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    spawn_impl(cx, a, true)
}

fn spawn_impl<'n>(cx: &mut Cx<'n>, a: Args, link: bool) -> HostResult<'n, Ret> {
    spawn_from(cx, a, 1, link, Limits::default())
}

/// `process.spawn_opt(opts, f, ...)`: `opts` may set `max_heap` (bytes),
/// `max_reductions` and `link`. Limits can only be lowered: the child gets the smaller
/// of what is asked and what the spawner has (`limits.rs`). A limit must be a
/// non-negative number; a fraction is truncated, a huge number saturates.
fn spawn_opt<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let opts = cx.check_table(a, 1)?;
    let num = |cx: &mut Cx<'n>, name: &str| -> HostResult<'n, Option<u64>> {
        match cx.get_field(opts, name) {
            Val::Nil => Ok(None),
            Val::Num(n) => match crate::limits::limit_from_f64(n) {
                Some(n) => Ok(Some(n)),
                None => Err(cx.arg_error(1, &format!("'{name}' must be a non-negative number"))),
            },
            _ => Err(cx.arg_error(1, &format!("'{name}' must be a non-negative number"))),
        }
    };
    let requested = Limits {
        max_heap: num(cx, "max_heap")?.map(|n| n.min(usize::MAX as u64) as usize),
        max_reductions: num(cx, "max_reductions")?,
    };
    let link = cx.get_field(opts, "link").truthy();
    spawn_from(cx, a, 2, link, requested)
}

/// Spawns the function at argument `fi` with the arguments after it, with the limits
/// `requested` capped by the spawner's own and the node's (`limits.rs`).
fn spawn_from<'n>(
    cx: &mut Cx<'n>,
    a: Args,
    fi: usize,
    link: bool,
    requested: Limits,
) -> HostResult<'n, Ret> {
    let f = cx.arg(a, fi);
    if !f.is_lua_function() {
        return Err(cx.arg_type_error(a, fi, "function"));
    }
    let node = ctx(cx).node.clone();
    let parent = ctx(cx).process();
    let own = parent.map(|p| p.limits()).unwrap_or_default();
    let limits = requested.min(own).min(node.default_limits());
    // A child joins its parent's group; a limited child of an unlimited parent starts
    // its own.
    let inherited = parent.and_then(|p| p.group().cloned());
    let new_group = inherited.is_none();
    let group = match inherited {
        Some(g) => Some(g),
        None => limits
            .is_limited()
            .then(|| Arc::new(crate::limits::Group::new(limits))),
    };
    // What the packet may take: the child's heap limit, and what the group has left.
    let child_budget = limits.max_heap;
    let group_budget = group.as_ref().filter(|g| g.max_heap.is_some()).map(|g| {
        g.memory_left()
            .saturating_sub(crate::limits::PROCESS_OVERHEAD)
    });
    let budget = crate::limits::min_opt(child_budget, group_budget);
    let args: Vec<Val<'n>> = (fi + 1..=a.len).map(|i| cx.arg(a, i)).collect();
    let mut doomed = None;
    let packet = match crate::transfer::pack(cx, f, &args, &VmBridge, budget) {
        Ok(p) => Some(p),
        Err(crate::transfer::PackError::Unsendable(m)) => return Err(cx.rt_error(&m)),
        Err(crate::transfer::PackError::TooBig) => {
            if new_group || child_budget == budget {
                // Too big for the child: it ends at once, as a BEAM process whose heap
                // crosses max_heap_size; the spawner is unharmed.
                doomed = Some(crate::node::heap_limit_reason());
                None
            } else {
                // The group cannot afford it: the spawner is the one allocating.
                return Err(cx.heap_limit_error());
            }
        }
    };
    let size = packet.as_ref().map_or(0, |p| p.size());
    // Reserve the child's cost in the group until `spawn_state_limited` charges it.
    let reserved = crate::limits::PROCESS_OVERHEAD + size;
    if let Some(g) = &group {
        if !g.try_charge(reserved) {
            return Err(cx.heap_limit_error());
        }
    }
    let link_to = link.then(|| ctx(cx).me());
    let mut st2 = crate::node::new_process_state(&node);
    let nargs = st2.cx(|cx2| match &packet {
        Some(p) => crate::transfer::unpack_onto_stack(cx2, p, &VmBridge),
        None => {
            cx2.push(Val::Nil);
            0
        }
    });
    let pid = node.spawn_state_limited(st2, nargs, link_to, limits, group.clone(), doomed);
    if let Some(g) = &group {
        g.release(reserved);
    }
    cx.set_budget(cx.budget() - 1 - (size as i64 >> 10));
    let v = pid_value(pid);
    cx.push(v);
    Ok(Ret::Values(1))
}

fn self_<'n>(cx: &mut Cx<'n>, _a: Args) -> HostResult<'n, Ret> {
    let me = ctx(cx).me();
    let v = pid_value(me);
    cx.push(v);
    Ok(Ret::Values(1))
}

/// A destination: a pid, or a registered name.
fn dest<'n>(cx: &mut Cx<'n>, a: Args, n: usize) -> HostResult<'n, Option<Pid>> {
    if let Some(p) = as_pid(cx.arg(a, n)) {
        return Ok(Some(p));
    }
    match cx.arg(a, n) {
        Val::Str(s) => {
            let name = s.to_str_lossy().into_owned();
            let node = ctx(cx).node.clone();
            let found = node.names.lock().expect("names lock").get(&name).copied();
            Ok(found)
        }
        _ => Err(cx.arg_type_error(a, n, "pid, name or {name, node}")),
    }
}

/// A `{name, node}` destination (a table whose `[1]` and `[2]` are strings), as
/// Erlang's `{Name, Node} ! Msg`.
fn named_dest<'n>(cx: &mut Cx<'n>, a: Args, n: usize) -> Option<(String, String)> {
    let Val::Table(t) = cx.arg(a, n) else {
        return None;
    };
    let name = cx.raw_get_int(t, 1);
    let node = cx.raw_get_int(t, 2);
    match (name, node) {
        (Val::Str(name), Val::Str(node)) => Some((
            name.to_str_lossy().into_owned(),
            node.to_str_lossy().into_owned(),
        )),
        _ => None,
    }
}

/// `process.send({name, node}, msg)`: a registered process of this node or, through
/// the distribution layer, of another one (a message to a name nobody has vanishes,
/// as in Erlang; without distribution, so does one to another node).
fn send_named<'n>(
    cx: &mut Cx<'n>,
    a: Args,
    name: String,
    node_name: String,
) -> HostResult<'n, Ret> {
    let msg = match cube_term::to_term_with(cx, cx.arg(a, 2), &VmBridge) {
        Ok(t) => t,
        Err(e) => return Err(cx.rt_error(&e.to_string())),
    };
    let c = ctx(cx);
    let (node, me) = (c.node.clone(), c.me());
    if node_name == crate::node_lib::self_name(&node) {
        let found = node.names.lock().expect("names lock").get(&name).copied();
        if let Some(to) = found {
            node.send(to, msg);
        }
    } else if let Some(d) = node.distribution() {
        d.reg_send(me, &name, &node_name, msg);
        if d.is_busy(Destination::Node(&node_name)) {
            return suspend_until_drained(cx, a, &**d, Destination::Node(&node_name));
        }
    }
    cx.set_budget(cx.budget() - 1);
    Ok(Ret::Values(0))
}

/// The re-run of a send that suspended the process (see [`suspend_until_drained`]):
/// the message went before, so this only returns, or waits again if the wake-up came
/// while the node is still busy (a spurious one).
fn resume_after_busy<'n>(cx: &mut Cx<'n>, a: Args, to: Destination<'_>) -> HostResult<'n, Ret> {
    let d = ctx(cx).node.distribution().cloned();
    match d {
        Some(d) if d.is_busy(to) => suspend_until_drained(cx, a, &*d, to),
        _ => {
            cx.set_budget(cx.budget() - 1);
            Ok(Ret::Values(0))
        }
    }
}

/// Suspends a process that just sent to a busy node (see [`Distribution::is_busy`])
/// until its backlog drains. The native runs again then, with the same arguments; the
/// message is already sent, so [`send`] does not send it again (`io_wait::take_retry`,
/// [`resume_after_busy`]).
fn suspend_until_drained<'n>(
    cx: &mut Cx<'n>,
    a: Args,
    d: &dyn crate::Distribution,
    to: Destination<'_>,
) -> HostResult<'n, Ret> {
    let Some(waker) = crate::io_wait::block(cx, None) else {
        return Ok(Ret::Values(0));
    };
    d.when_drained(to, Box::new(move || waker.wake()));
    cx.set_top(a.base + a.len);
    Ok(Ret::Block)
}

fn send<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    if let Some((name, node)) = named_dest(cx, a, 1) {
        if crate::io_wait::take_retry(cx).is_some() {
            return resume_after_busy(cx, a, Destination::Node(&node));
        }
        return send_named(cx, a, name, node);
    }
    let Some(to) = dest(cx, a, 1)? else {
        let name = cx.check_str(a, 1)?.to_str_lossy().into_owned();
        return Err(cx.arg_error(1, &format!("no process registered as '{name}'")));
    };
    if to.node() != 0 && crate::io_wait::take_retry(cx).is_some() {
        return resume_after_busy(cx, a, Destination::Pid(to));
    }
    let msg = match cube_term::to_term_with(cx, cx.arg(a, 2), &VmBridge) {
        Ok(t) => t,
        Err(e) => return Err(cx.rt_error(&e.to_string())),
    };
    // The copy just made is work in proportion to the message (DESIGN.md decision 2).
    cx.charge_bytes(crate::limits::copy_cost(&msg))?;
    let c = ctx(cx);
    if to.node() != 0 {
        if let Some(d) = c.node.distribution().cloned() {
            d.send(Some(c.me()), to, msg);
            if d.is_busy(Destination::Pid(to)) {
                return suspend_until_drained(cx, a, &*d, Destination::Pid(to));
            }
        }
        cx.set_budget(cx.budget() - 1);
        return Ok(Ret::Values(0));
    }
    match &c.last_dest {
        Some(p) if p.pid == to => c.node.send_to(p, msg),
        _ => {
            if let Some(p) = c.node.lookup(to) {
                c.node.send_to(&p, msg);
                c.last_dest = Some(p);
            }
        }
    }
    if to == c.me() && c.node.kill_pending(to) {
        // Its own message overflowed its heap limit: stop here, uncatchably; the
        // scheduler ends it with "heap limit exceeded".
        cx.set_top(a.base + a.len);
        return Ok(Ret::Block);
    }
    cx.set_budget(cx.budget() - 1);
    Ok(Ret::Values(0))
}

/// Moves newly arrived messages to the process's private queue and tells whether the
/// current wait timed out.
fn pull_mailbox<'n>(cx: &mut Cx<'n>) -> bool {
    pull_mailbox_starting(cx, None)
}

/// `pull_mailbox`, first starting a new wait with `new_timeout` if given (as
/// `new_wait`), under the same lock: a fresh receive takes the mailbox lock once.
fn pull_mailbox_starting<'n>(cx: &mut Cx<'n>, new_timeout: Option<Option<f64>>) -> bool {
    let c = ctx(cx);
    if let Some(timeout_ms) = new_timeout {
        c.deadline = deadline_after(timeout_ms).map(Deadline::new);
        c.save = 0;
    }
    let Some(p) = c.process.get() else {
        return false;
    };
    let mut mb = p.mailbox.lock().expect("mailbox lock");
    if new_timeout.is_some() {
        mb.wait_seq = mb.wait_seq.wrapping_add(1);
        mb.timed_out = false;
        c.wait_seq = mb.wait_seq;
    }
    if c.private.is_empty() {
        // Take the whole queue: no copy, and no second buffer as large as the first.
        std::mem::swap(&mut c.private, &mut mb.inbox);
    } else {
        c.private.extend(mb.inbox.drain(..));
    }
    std::mem::take(&mut mb.timed_out)
}

/// Starts a new wait (a fresh receive or sleep): a new sequence number, so timers of
/// earlier waits are ignored.
fn new_wait<'n>(cx: &mut Cx<'n>, timeout_ms: Option<f64>) {
    let c = ctx(cx);
    c.deadline = deadline_after(timeout_ms).map(Deadline::new);
    c.save = 0;
    if let Some(p) = c.process.get() {
        let mut mb = p.mailbox.lock().expect("mailbox lock");
        mb.wait_seq = mb.wait_seq.wrapping_add(1);
        mb.timed_out = false;
        c.wait_seq = mb.wait_seq;
    }
}

/// The deadline `timeout_ms` from now; `None` (no deadline: wait for ever) without a
/// timeout or when the deadline is past what a clock can represent.
fn deadline_after(timeout_ms: Option<f64>) -> Option<Instant> {
    let ms = timeout_ms?;
    let d = Duration::try_from_secs_f64(ms.max(0.0) / 1000.0).ok()?;
    Instant::now().checked_add(d)
}

/// Timeouts longer than this (about 31,700 years) mean "for ever", as Erlang's
/// `infinity`: `math.huge` or `1e300` wait without a deadline.
const FOREVER_MS: f64 = 1e15;

/// A timeout in milliseconds given as argument `n`: `Ok(None)` for "for ever" (a huge
/// number), an argument error for NaN or a negative number.
fn check_timeout<'n>(cx: &mut Cx<'n>, n: usize, ms: f64) -> HostResult<'n, Option<f64>> {
    if ms.is_nan() || ms < 0.0 {
        return Err(cx.arg_error(n, "timeout must be a non-negative number"));
    }
    Ok((ms <= FOREVER_MS).then_some(ms))
}

/// Forgets the receive, sleep or I/O wait the process was blocked in (an interrupt
/// unwinds it): its next receive or I/O call starts afresh. Messages a selective
/// receive set aside stay, in order, for the next one.
pub(crate) fn abandon_wait(st: &mut impl HostSlot) {
    if let Some(c) = st.ext_slot().as_mut().and_then(|e| e.downcast_mut::<Ctx>()) {
        c.retry = false;
        c.receiving = false;
        c.blocked = Blocked::No;
        c.deadline = None;
        c.io_retry = false;
        c.io_deadline = None;
    }
}

fn block<'n>(cx: &mut Cx<'n>, base: usize, nargs: usize) -> HostResult<'n, Ret> {
    let c = ctx(cx);
    c.retry = true;
    c.blocked = Blocked::Receive;
    cx.set_top(base + nargs);
    Ok(Ret::Block)
}

fn finish_receive<'n>(cx: &mut Cx<'n>) {
    let c = ctx(cx);
    c.receiving = false;
    c.deadline = None;
}

/// An optional timeout argument: nil or a huge number waits for ever (`None`).
fn timeout_arg<'n>(cx: &mut Cx<'n>, a: Args, n: usize) -> HostResult<'n, Option<f64>> {
    match cx.arg(a, n) {
        Val::Nil => Ok(None),
        _ => {
            let ms = cx.check_number(a, n)?;
            check_timeout(cx, n, ms)
        }
    }
}

fn receive<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let matcher = cx.arg(a, 1);
    let has_match = matcher.is_function();
    let timeout = timeout_arg(cx, a, if has_match { 2 } else { 1 })?;
    let fresh = !std::mem::take(&mut ctx(cx).retry);
    let c = ctx(cx);
    let start = if fresh || !c.receiving {
        c.receiving = true;
        Some(timeout)
    } else {
        None
    };
    c.nargs = a.len as u32; // below the stack limit, far under 2^32
    let timed_out = pull_mailbox_starting(cx, start);
    // If scan's reservation fails, the driver collects and calls `receive` again: that
    // call continues this receive (same wait, same save pointer).
    ctx(cx).retry = true;
    let r = scan(cx, a, timed_out, timeout);
    if !matches!(r, Ok(Ret::Block) | Err(_)) {
        ctx(cx).retry = false;
    }
    r
}

/// Before a queued message of `size` bytes is materialised: reserves it under the
/// process's own heap limit (`Cx::reserve_within`). One that does not fit even after
/// the collection this brings ends the process with "heap limit exceeded", before any
/// of it is copied (`limits.rs`). Call it before any side effect of the native or
/// continuation: a failure runs it again after the collection.
fn check_fits<'n>(cx: &mut Cx<'n>, size: usize) -> HostResult<'n, ()> {
    // Against its own limit: the slice's cap already set this message's bytes aside.
    match ctx(cx).process().and_then(Process::max_heap) {
        Some(max) => cx.reserve_within(size, max),
        None => Ok(()),
    }
}

/// A message of `size` bytes leaves the queue (it is being materialised, and its heap
/// will be counted at the end of the slice).
fn unqueue<'n>(cx: &mut Cx<'n>, size: usize) {
    if size == 0 {
        return;
    }
    let cap = cx.max_heap();
    let mut new_cap = None;
    if let Some(p) = ctx_in(cx.ext()).and_then(Ctx::process) {
        // The slice's heap cap set these bytes aside (own limit minus queue, group's
        // room): now they are the heap's to take.
        new_cap = cap.map(|cap| {
            let cap = cap.saturating_add(size);
            p.max_heap().map_or(cap, |own| cap.min(own))
        });
        let _ = p.queued_bytes.fetch_update(
            std::sync::atomic::Ordering::Relaxed,
            std::sync::atomic::Ordering::Relaxed,
            |q| Some(q.saturating_sub(size)),
        );
        if let Some(g) = p.group() {
            g.release(size);
        }
    }
    if new_cap.is_some() {
        cx.set_max_heap(new_cap);
    }
}

/// Offers queued messages to the receive (from the save pointer on).
fn scan<'n>(
    cx: &mut Cx<'n>,
    a: Args,
    timed_out: bool,
    timeout: Option<f64>,
) -> HostResult<'n, Ret> {
    let matcher = cx.arg(a, 1);
    if !matcher.is_function() {
        if let Some(size) = ctx(cx).private.front().map(|q| q.size) {
            // Reserve before any side effect: a failed reservation may re-call this.
            check_fits(cx, size)?;
            let q = ctx(cx).private.pop_front().expect("checked above");
            finish_receive(cx);
            unqueue(cx, q.size);
            let v = cube_term::from_term_with(cx, &q.term, &VmBridge);
            // Making the message's values is a copy in proportion to its size.
            cx.charge_bytes(crate::limits::copy_cost(&q.term))?;
            cx.push(v);
            return Ok(Ret::Values(1));
        }
    } else {
        let save = ctx(cx).save as usize;
        if save < ctx(cx).private.len() {
            let (t, size) = {
                let q = &ctx(cx).private[save];
                (q.term.clone(), q.size)
            };
            check_fits(cx, size)?;
            let v = cube_term::from_term_with(cx, &t, &VmBridge);
            cx.charge_bytes(crate::limits::copy_cost(&t))?;
            cx.set_top(a.base + a.len);
            cx.push(v);
            cx.push(matcher);
            cx.push(v);
            let mut c = Cont::host(receive_k, 0);
            c.data = Some(Box::new(timed_out));
            return Ok(Ret::Call {
                nargs: 1,
                nresults: 1,
                cont: c,
            });
        }
    }
    if timed_out || timeout == Some(0.0) {
        finish_receive(cx);
        cx.push(Val::Nil);
        return Ok(Ret::Values(1));
    }
    block(cx, a.base, a.len)
}

fn receive_k<'n>(cx: &mut Cx<'n>, status: HostStatus<'n>, cont: &mut Cont) -> HostResult<'n, Ret> {
    let HostStatus::Ok { first, n } = status else {
        unreachable!("unprotected continuation got an error");
    };
    let matched = n > 0 && cx.stack_at(first).truthy();
    let frame_base = cx.frame_base();
    let nargs = ctx(cx).nargs as usize;
    let a = Args {
        base: frame_base,
        len: nargs,
    };
    if matched {
        let msg = cx.stack_at(first - 1);
        let c = ctx(cx);
        let save = c.save as usize;
        let size = c.private.remove(save).map_or(0, |q| q.size);
        unqueue(cx, size);
        finish_receive(cx);
        cx.set_top(first - 1);
        cx.push(msg);
        return Ok(Ret::Values(1));
    }
    // Reserve for the next message before any side effect: a failed reservation runs
    // this continuation again, with the same results, after a collection.
    let next = ctx(cx).save as usize + 1;
    if let Some(size) = ctx(cx).private.get(next).map(|q| q.size) {
        check_fits(cx, size)?;
    }
    ctx(cx).save += 1;
    cx.set_top(frame_base + nargs);
    let timed_out = cont
        .data
        .as_ref()
        .and_then(|d| d.downcast_ref::<bool>())
        .copied()
        .unwrap_or(false);
    let has_match = cx.arg(a, 1).is_function();
    let timeout = timeout_arg(cx, a, if has_match { 2 } else { 1 })?;
    scan(cx, a, timed_out, timeout)
}

/// `process.monotonic_time([unit])`: Erlang's `erlang:monotonic_time/0,1`, a clock that
/// never jumps, for measuring durations: in `"second"`, `"millisecond"`,
/// `"microsecond"` or `"nanosecond"` (the default, Erlang's `native` here), counted
/// from an arbitrary start that is the same for every process of the node (the
/// first call). An integer while it fits a double exactly (over 100 days in
/// nanoseconds).
fn monotonic_time<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    let per_second = match cx.arg(a, 1) {
        Val::Nil => 1e9,
        _ => match cx.check_str(a, 1)?.as_bytes() {
            b"second" => 1.0,
            b"millisecond" => 1e3,
            b"microsecond" => 1e6,
            b"nanosecond" | b"native" => 1e9,
            _ => {
                return Err(cx.arg_error(
                    1,
                    "unit expected: 'second', 'millisecond', 'microsecond' or 'nanosecond'",
                ))
            }
        },
    };
    let elapsed = START.get_or_init(Instant::now).elapsed();
    let units = (elapsed.as_secs_f64() * per_second).floor();
    cx.push(Val::Num(units));
    Ok(Ret::Values(1))
}

/// `process.sleep(ms)`: a huge `ms` sleeps for ever (until killed); NaN or a negative
/// number is an argument error.
fn sleep<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let ms = cx.check_number(a, 1)?;
    let ms = check_timeout(cx, 1, ms)?;
    let fresh = !std::mem::take(&mut ctx(cx).retry);
    if fresh {
        new_wait(cx, ms);
    }
    // Keep arriving messages queued, in order, for a later receive.
    pull_mailbox(cx);
    let deadline = ctx(cx).deadline;
    if ms.is_some() && deadline.is_none_or(Deadline::passed) {
        ctx(cx).deadline = None;
        return Ok(Ret::Values(0));
    }
    block(cx, a.base, a.len)
}

fn is_alive<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let pid = check_pid(cx, a, 1)?;
    let node = ctx(cx).node.clone();
    let alive = node.lookup(pid).is_some_and(|p| p.is_alive());
    cx.push(Val::Bool(alive));
    Ok(Ret::Values(1))
}

fn list<'n>(cx: &mut Cx<'n>, _a: Args) -> HostResult<'n, Ret> {
    let node = ctx(cx).node.clone();
    let mut pids: Vec<Pid> = node.procs.all().iter().map(|p| p.pid).collect();
    pids.sort_by_key(|p| p.id());
    let t = cx.new_table_with(pids.len(), 0);
    for (i, p) in pids.into_iter().enumerate() {
        let v = pid_value(p);
        cx.raw_set_int(t, i as i64 + 1, v);
    }
    cx.push(Val::Table(t));
    Ok(Ret::Values(1))
}

fn info<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let pid = check_pid(cx, a, 1)?;
    let node = ctx(cx).node.clone();
    let Some(p) = node.lookup(pid) else {
        cx.push(Val::Nil);
        return Ok(Ret::Values(1));
    };
    let t = cx.new_table();
    let status = format!("{:?}", p.status()).to_lowercase();
    let sv = cx.new_string(status.into_bytes());
    cx.set_field(t, "status", sv);
    cx.set_field(
        t,
        "message_queue_len",
        Val::Num(p.message_queue_len() as f64),
    );
    cx.set_field(t, "reductions", Val::Num(p.reductions() as f64));
    // Another process's heap belongs to the thread running it: report the size it had
    // at the end of its last slice (exact for a waiting process).
    let bytes = if pid == ctx(cx).me() {
        cx.memory_bytes()
    } else {
        p.heap_bytes.load(std::sync::atomic::Ordering::Relaxed)
    };
    cx.set_field(t, "heap_size", Val::Num(bytes as f64));
    let name = p
        .mailbox
        .lock()
        .expect("mailbox lock")
        .sig
        .name()
        .map(String::from);
    if let Some(name) = name {
        let nv = cx.new_string(name.into_bytes());
        cx.set_field(t, "registered_name", nv);
    }
    info_signals(cx, t, &p);
    cx.push(Val::Table(t));
    Ok(Ret::Values(1))
}

fn register<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let name = cx.check_str(a, 1)?.to_str_lossy().into_owned();
    let pid = check_pid(cx, a, 2)?;
    let node = ctx(cx).node.clone();
    let Some(p) = node.lookup(pid) else {
        return Err(cx.arg_error(2, "process is not alive"));
    };
    let mut names = node.names.lock().expect("names lock");
    if names.contains_key(&name) {
        drop(names);
        return Err(cx.rt_error(&format!("name '{name}' is already registered")));
    }
    let mut mb = p.mailbox.lock().expect("mailbox lock");
    if mb.sig.name().is_some() {
        drop(mb);
        drop(names);
        return Err(cx.rt_error("process already has a name"));
    }
    mb.sig.rel().name = Some(name.clone().into_boxed_str());
    drop(mb);
    names.insert(name, pid);
    drop(names);
    cx.push(Val::Bool(true));
    Ok(Ret::Values(1))
}

fn unregister<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let name = cx.check_str(a, 1)?.to_str_lossy().into_owned();
    let node = ctx(cx).node.clone();
    let removed = node.names.lock().expect("names lock").remove(&name);
    if let Some(pid) = removed {
        if let Some(p) = node.lookup(pid) {
            p.mailbox.lock().expect("mailbox lock").sig.take_name();
        }
    }
    cx.push(Val::Bool(removed.is_some()));
    Ok(Ret::Values(1))
}

fn whereis<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let name = cx.check_str(a, 1)?.to_str_lossy().into_owned();
    let node = ctx(cx).node.clone();
    let found = node.names.lock().expect("names lock").get(&name).copied();
    let v = match found {
        Some(pid) => pid_value(pid),
        None => Val::Nil,
    };
    cx.push(v);
    Ok(Ret::Values(1))
}

/// `links`, `monitors` (how many this process holds) and `trap_exit` for `info`.
fn info_signals<'n>(cx: &mut Cx<'n>, t: TableRef<'n>, p: &crate::process::Process) {
    let (links, monitors, trapping) = {
        let mb = p.mailbox.lock().expect("mailbox lock");
        (
            mb.sig.links().to_vec(),
            mb.sig.monitoring_len(),
            mb.sig.trap_exit,
        )
    };
    let lt = cx.new_table_with(links.len(), 0);
    for (i, pid) in links.into_iter().enumerate() {
        let v = pid_value_in(cx, pid);
        cx.raw_set_int(lt, i as i64 + 1, v);
    }
    cx.set_field(t, "links", Val::Table(lt));
    cx.set_field(t, "monitors", Val::Num(monitors as f64));
    cx.set_field(t, "trap_exit", Val::Bool(trapping));
}

/// A reason argument: a string (or number), nil meaning "normal".
fn reason_arg<'n>(cx: &mut Cx<'n>, a: Args, n: usize) -> HostResult<'n, String> {
    match cx.arg(a, n) {
        Val::Nil => Ok("normal".to_string()),
        v => match cx.to_str_coerce(v) {
            Some(s) => Ok(s.to_str_lossy().into_owned()),
            None => Err(cx.arg_type_error(a, n, "string")),
        },
    }
}

/// `process.exit(reason)` ends the caller; `process.exit(pid, reason)` sends an exit
/// signal (Erlang's exit/1 and exit/2).
///
/// With two arguments the first may also be a registered name, which is signalled as
/// its pid would be; a name nobody has is an error, as for `process.send`.
fn exit<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    if let Some(to) = as_pid(cx.arg(a, 1)) {
        return exit_pid(cx, a, to);
    }
    if a.len >= 2 && matches!(cx.arg(a, 1), Val::Str(_)) {
        let Some(to) = dest(cx, a, 1)? else {
            let name = cx.check_str(a, 1)?.to_str_lossy().into_owned();
            return Err(cx.arg_error(1, &format!("no process registered as '{name}'")));
        };
        return exit_pid(cx, a, to);
    }
    let reason = reason_arg(cx, a, 1)?;
    Err(cx.new_userdata(ExitSignal(reason), None))
}

fn exit_pid<'n>(cx: &mut Cx<'n>, a: Args, to: Pid) -> HostResult<'n, Ret> {
    let reason = crate::signals::reason_from_text(&reason_arg(cx, a, 2)?);
    let c = ctx(cx);
    let (node, me) = (c.node.clone(), c.me());
    node.exit_signal(me, to, &reason, Origin::Exit);
    if to == me && node.kill_pending(me) {
        // The signal killed the caller: stop here, uncatchably; the scheduler ends it.
        cx.set_top(a.base + a.len);
        return Ok(Ret::Block);
    }
    cx.push(Val::Bool(true));
    Ok(Ret::Values(1))
}

/// Erlang's link/1: a dead or unknown pid raises `noproc`, or gives an EXIT message
/// with reason "noproc" when trapping exits.
fn link<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let other = check_pid(cx, a, 1)?;
    let c = ctx(cx);
    let (node, me) = (c.node.clone(), c.me());
    match node.link(me, other) {
        LinkResult::Linked => {
            cx.push(Val::Bool(true));
            Ok(Ret::Values(1))
        }
        LinkResult::NoProc => Err(cx.new_str(b"noproc")),
    }
}

fn unlink<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let other = check_pid(cx, a, 1)?;
    let c = ctx(cx);
    let (node, me) = (c.node.clone(), c.me());
    node.unlink(me, other);
    cx.push(Val::Bool(true));
    Ok(Ret::Values(1))
}

/// Returns the monitor reference: a string unique in the node (refs arrive in DOWN
/// messages the same way, through `VmBridge`, so they compare with `==`).
fn monitor<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let target = check_pid(cx, a, 1)?;
    let c = ctx(cx);
    let (node, me) = (c.node.clone(), c.me());
    let r = node.monitor(me, target);
    let v = VmBridge.reference_to_value(cx, r);
    cx.push(v);
    Ok(Ret::Values(1))
}

/// The id of a reference printed as `#Ref<0.N>`.
fn parse_ref(s: &str) -> Option<u64> {
    s.strip_prefix("#Ref<0.")?.strip_suffix('>')?.parse().ok()
}

fn demonitor<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let text = cx.check_str(a, 1)?.to_str_lossy().into_owned();
    let Some(id) = parse_ref(&text) else {
        return Err(cx.arg_error(1, "monitor reference expected"));
    };
    let c = ctx(cx);
    let (node, me) = (c.node.clone(), c.me());
    let was_active = node.demonitor(me, id);
    cx.push(Val::Bool(was_active));
    Ok(Ret::Values(1))
}

fn trap_exit<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let on = cx.arg(a, 1).truthy();
    let c = ctx(cx);
    let (node, me) = (c.node.clone(), c.me());
    let previous = node.set_trap_exit(me, on);
    cx.push(Val::Bool(previous));
    Ok(Ret::Values(1))
}
