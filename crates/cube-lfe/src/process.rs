//! LFE processes on cube's scheduler (DESIGN.md decision 7): an [`LfeProcess`] is a
//! [`cube_vm::Engine`], a [`Machine`] run by slices beside Lua processes, with the
//! same mailboxes, links, monitors, names and limits.
//!
//! # Why this is sound: one world per node, entered one slice at a time
//! LFE's terms, closures and compiled code share structure through `Rc`, which is not
//! `Send`. All LFE processes of a node live in one [`World`]: the runtime (top-level
//! functions, modules, macros, records, the prelude, natives) and, reachable from the
//! processes' machines, the terms they hold. Modules are node-wide, as on the BEAM: code
//! loaded by one process is called by the others without copying.
//!
//! Every use of anything in a world happens while its `lock` is held: a slice of an
//! LFE process takes the lock for the whole slice (`LfeProcess::resume`), spawns make
//! the new process's machine under it, messages are converted to and from LFE terms
//! under it, and a dead process's machine is dropped under it (`Drop` only *moves*
//! the machine into `graveyard`, a plain `Vec` behind its own lock, and the next slice
//! drops it; moving an `Rc` touches no count). The lock orders every access, so no two
//! threads ever touch one `Rc`'s count at once: that is the whole reason `Rc` is not
//! `Send`, and the `Send` impls below rest on it. Nothing else crosses: what leaves a
//! world is a copied [`cube_term::Term`] (`interop.rs`).
//!
//! The price: LFE processes of one node run one at a time (Lua processes still run
//! in parallel beside them), as if LFE had one scheduler. Per-process heaps with
//! `Arc`-shared code would lift it; that is a change of `Term` and the IR throughout.

use std::collections::VecDeque;
use std::io::Write;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicIsize, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use cube_vm::engine::{Engine, EngineCx, Step};
use cube_vm::ExitReason;

use crate::atom::Atom;
use crate::closure::{Fun, Scope};
use crate::exception::{Class, Exception};
use crate::machine::{Machine, Outcome};
use crate::runtime::Runtime;
use crate::sexpr::Sexpr;
use crate::term::Term;

/// The LFE code and data of a node (see the module doc).
pub struct World {
    lock: Mutex<Shared>,
    graveyard: Mutex<Vec<Owned>>,
}

/// What one process's code holds on the Rust heap, where LFE's terms live (`Rc`s):
/// the bytes its slices allocated and did not free, as the global allocator reports
/// them (`cube_vm::alloc_account`; every slice runs charged to its process). What a
/// slice loads for the whole world (a module's code) counts for the process that
/// loaded it; a message it sends leaves its account (`interop::to_msg`), one it takes
/// enters it.
pub struct ProcHeap {
    bytes: AtomicIsize,
    /// The process's heap limit (`usize::MAX`: none): above it its code stops at its
    /// next call and the process ends with "heap limit exceeded".
    limit: AtomicUsize,
    /// It went past `limit` in this slice (it may be back under by the slice's end,
    /// having freed what it held: it still ends, or it would be stopped again at the
    /// first call of every slice without getting anywhere).
    exceeded: AtomicBool,
}

impl Default for ProcHeap {
    fn default() -> Self {
        ProcHeap {
            bytes: AtomicIsize::new(0),
            limit: AtomicUsize::new(usize::MAX),
            exceeded: AtomicBool::new(false),
        }
    }
}

impl ProcHeap {
    /// Bytes held (0 when the program's allocator does not report them).
    pub fn bytes(&self) -> usize {
        self.bytes.load(Ordering::Relaxed).max(0) as usize
    }

    /// Whether it holds more than its limit (remembered for the end of the slice).
    pub fn over(&self) -> bool {
        let over = self.bytes() > self.limit.load(Ordering::Relaxed);
        if over {
            self.exceeded.store(true, Ordering::Relaxed);
        }
        over
    }
}

struct Shared(Runtime);

// SAFETY: a `Runtime` is not `Send` because of the `Rc`s it holds (code, terms, macro
// funs) and its output writer. The `Rc`s are touched only with the world's lock held
// (module doc), so moving the runtime's owner between threads never lets two threads
// use one count at once. The writer is `Send` by its type (`World::new` takes a
// `Box<dyn Write + Send>`).
unsafe impl Send for Shared {}

/// What one process owns in its world: its machine (or its script's state) and the
/// messages it took from its mailbox and has not received.
struct Owned {
    run: Run,
    pending: VecDeque<Term>,
    /// The process dictionary (`put`/`get`), made on its first `put`.
    dict: Option<Box<crate::map::Map>>,
}

enum Run {
    /// Not started: `module:fun` of these arguments (made into terms of the world
    /// at the first slice, under its lock).
    Start {
        module: String,
        fun: String,
        args: Vec<cube_term::Term>,
    },
    Machine(Machine),
    Script(Box<Script>),
    /// The LFE shell (`shell.rs`).
    Shell(Box<crate::shell::Shell>),
}

// SAFETY: an `Owned` holds `Rc`s into its world; it is used only with the world's lock
// held, and dropped there too (`LfeProcess`'s `Drop` moves it to the graveyard). See
// the module doc.
unsafe impl Send for Owned {}

/// The state of a process while it runs (lent to the runtime for a slice, where the
/// natives and `receive` find it).
pub struct ProcSlot {
    pub cx: EngineCx,
    /// Messages taken and not received, as LFE terms, in arrival order.
    pub pending: VecDeque<Term>,
    inbox: VecDeque<cube_term::Term>,
    pub world: Arc<World>,
    /// A signal ends this process: stop the slice now.
    pub stop: bool,
    /// What its code holds (for its heap limit).
    pub heap: Arc<ProcHeap>,
    /// The process dictionary, lent for the slice as `pending` is.
    pub dict: Option<Box<crate::map::Map>>,
}

impl ProcSlot {
    /// Converts what arrived to LFE terms at the end of `pending`; whether the
    /// current wait's deadline passed.
    pub fn pull(&mut self) -> bool {
        let timed_out = self.cx.take_messages(&mut self.inbox);
        for m in self.inbox.drain(..) {
            self.pending.push_back(crate::interop::from_msg(&m));
            // Made outside this world (by the sender): its bytes were never charged.
            cube_vm::alloc_account::uncharged(|| drop(m));
        }
        timed_out
    }
}

impl World {
    /// A world whose output goes to `out` (the node's standard output), with modules
    /// looked for in `path`.
    pub fn new(out: Box<dyn Write + Send>, path: Vec<std::path::PathBuf>) -> Arc<World> {
        let mut rt = Runtime::new(out);
        rt.path = path;
        Arc::new(World {
            lock: Mutex::new(Shared(rt)),
            graveyard: Mutex::new(Vec::new()),
        })
    }
}

/// An LFE process: a machine in a world (see the module doc).
pub struct LfeProcess {
    world: Arc<World>,
    own: Option<Owned>,
    heap: Arc<ProcHeap>,
}

impl LfeProcess {
    /// A process that applies `fun` to `args`. Call with the world's lock held (from
    /// a native), as the terms belong to it.
    pub(crate) fn apply(world: Arc<World>, fun: Term, args: Vec<Term>) -> LfeProcess {
        LfeProcess {
            heap: Arc::default(),
            world,
            own: Some(Owned {
                run: Run::Machine(Machine::apply(fun, args)),
                pending: VecDeque::new(),
                dict: None,
            }),
        }
    }

    /// A process that calls `module:fun` with `args` (messages' terms, converted at
    /// its first slice): how code outside the world (a Lua process's `lfe.spawn`)
    /// starts LFE code. Needs no lock.
    pub fn call(
        world: Arc<World>,
        module: &str,
        fun: &str,
        args: Vec<cube_term::Term>,
    ) -> LfeProcess {
        LfeProcess {
            heap: Arc::default(),
            world,
            own: Some(Owned {
                run: Run::Start {
                    module: module.to_string(),
                    fun: fun.to_string(),
                    args,
                },
                pending: VecDeque::new(),
                dict: None,
            }),
        }
    }

    /// The main process of `cube-cli run prog.lfe`: the script's forms in order, as
    /// `lfe prog.lfe` runs them (see `script.rs`); an uncaught exception is reported
    /// on stderr as `lfe` reports it and ends the process with a reason other than
    /// `normal` (the command line exits with `lfe`'s status 127).
    pub fn script(world: Arc<World>, source: String, name: &str, args: &[String]) -> LfeProcess {
        LfeProcess {
            heap: Arc::default(),
            world,
            own: Some(Owned {
                run: Run::Script(Box::new(Script {
                    source: Some(source),
                    forms: Vec::new(),
                    next: 0,
                    name: name.to_string(),
                    args: args.to_vec(),
                    machine: None,
                    scope: None,
                    setting: None,
                })),
                pending: VecDeque::new(),
                dict: None,
            }),
        }
    }
}

impl LfeProcess {
    /// The LFE shell as a process (`cube-cli lfe`): see `shell.rs`.
    pub fn shell(world: Arc<World>, shell: crate::shell::Shell) -> LfeProcess {
        LfeProcess {
            heap: Arc::default(),
            world,
            own: Some(Owned {
                run: Run::Shell(Box::new(shell)),
                pending: VecDeque::new(),
                dict: None,
            }),
        }
    }
}

impl Drop for LfeProcess {
    fn drop(&mut self) {
        if let Some(own) = self.own.take() {
            // Moved, not dropped: its `Rc`s are dropped under the world's lock.
            self.world
                .graveyard
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(own);
        }
    }
}

impl Engine for LfeProcess {
    fn resume(&mut self, cx: &mut EngineCx, budget: u64) -> (Step, u64) {
        let world = self.world.clone();
        let shared = world.lock.lock().unwrap_or_else(|e| e.into_inner());
        // Dead processes' terms go (their accounts with them), then the slice runs
        // charged to this process's heap, under its limit.
        let dead = std::mem::take(&mut *world.graveyard.lock().unwrap_or_else(|e| e.into_inner()));
        cube_vm::alloc_account::uncharged(|| drop(dead));
        let heap = self.heap.clone();
        heap.limit
            .store(cx.max_heap().unwrap_or(usize::MAX), Ordering::Relaxed);
        let r =
            cube_vm::alloc_account::charged(&heap.bytes, || self.slice(cx, budget, &world, shared));
        let exceeded = heap.exceeded.swap(false, Ordering::Relaxed) || heap.over();
        if exceeded && !matches!(r.0, Step::Exited { .. }) {
            return (exited(heap_limit_exceeded(), None), r.1);
        }
        r
    }

    fn pending_messages(&self) -> usize {
        self.own.as_ref().map_or(0, |o| o.pending.len())
    }

    fn heap_bytes(&self) -> usize {
        self.heap.bytes()
    }
}

/// The reason a process over its heap limit ends with, as the runtime gives it.
fn heap_limit_exceeded() -> ExitReason {
    ExitReason::Error {
        message: Some("heap limit exceeded".into()),
        traceback: None,
    }
}

impl LfeProcess {
    /// One slice, the world's lock held (`shared`).
    fn slice(
        &mut self,
        cx: &mut EngineCx,
        budget: u64,
        world: &Arc<World>,
        mut shared: std::sync::MutexGuard<'_, Shared>,
    ) -> (Step, u64) {
        let world = world.clone();
        let Some(own) = self.own.as_mut() else {
            return (exited(ExitReason::Normal, None), 0);
        };
        let rt = &mut shared.0;
        rt.process = Some(Box::new(ProcSlot {
            cx: cx.clone(),
            pending: std::mem::take(&mut own.pending),
            inbox: VecDeque::new(),
            world: world.clone(),
            stop: false,
            heap: self.heap.clone(),
            dict: own.dict.take(),
        }));
        if let Run::Start { module, fun, args } = &own.run {
            let args: Vec<Term> = args.iter().map(crate::interop::from_msg).collect();
            let f = Term::Fun(Rc::new(Fun::Remote {
                module: Atom::new(module),
                name: Atom::new(fun),
                arity: args.len(),
            }));
            own.run = Run::Machine(Machine::apply(f, args));
        }
        let r = match &mut own.run {
            Run::Start { .. } => (exited(ExitReason::Normal, None), 0),
            Run::Machine(m) => run_machine(rt, m, budget, cx),
            Run::Script(s) => s.run(rt, budget, cx),
            Run::Shell(s) => s.run(rt, budget, cx),
        };
        if let Some(slot) = rt.process.take() {
            own.pending = slot.pending;
            own.dict = slot.dict;
        }
        // No flush: the output is the node's shared buffer, flushed when the node
        // ends (or by line, as the node is set), as Lua processes' output is.
        r
    }
}

fn exited(reason: ExitReason, report: Option<String>) -> Step {
    Step::Exited { reason, report }
}

/// One slice of a machine.
fn run_machine(rt: &mut Runtime, m: &mut Machine, budget: u64, cx: &EngineCx) -> (Step, u64) {
    let before = m.reductions;
    let outcome = m.resume(rt, budget);
    let used = m.reductions - before;
    let step = match outcome {
        Outcome::Finished(_) => exited(ExitReason::Normal, None),
        Outcome::Preempted => Step::Preempted,
        Outcome::Wait(deadline) => Step::Wait(deadline),
        Outcome::Error(ex) => {
            let report = (ex.class != Class::Exit).then(|| {
                format!(
                    "Error in process {} with exit value:\n{}",
                    cx.pid(),
                    crate::script::report(&ex)
                )
            });
            exited(exit_reason(&ex), report)
        }
    };
    (step, used)
}

/// The exit reason of an uncaught exception, as Erlang makes it: an `exit`'s reason
/// as it is, an error's `{Reason, Stack}`, a throw's `{{nocatch, Value}, Stack}`.
pub fn exit_reason(ex: &Exception) -> ExitReason {
    let term = match ex.class {
        Class::Exit => ex.reason.clone(),
        Class::Error => Term::tuple(vec![ex.reason.clone(), ex.stack.clone()]),
        Class::Throw => Term::tuple(vec![
            Term::tuple(vec![Term::atom("nocatch"), ex.reason.clone()]),
            ex.stack.clone(),
        ]),
    };
    reason_of(&term)
}

/// A reason term as the runtime's reason (`normal` is `Normal`; a term that cannot
/// be a message, a fun say, crosses as a binary of its printed form). Always
/// `Normal` or `Term`: `ExitReason::Error` is left to the runtime's own reasons
/// (limits, kills), which is how `cube-cli` tells them apart.
pub fn reason_of(t: &Term) -> ExitReason {
    if t.is_atom_named("normal") {
        return ExitReason::Normal;
    }
    match crate::interop::to_msg(t) {
        Ok(m) => ExitReason::Term(m),
        Err(_) => ExitReason::Term(cube_term::Term::binary(
            crate::eprint::erlang(t, false).as_bytes(),
        )),
    }
}

/// The main process's script: forms read at its first slice, then run in order.
struct Script {
    source: Option<String>,
    forms: Vec<Sexpr>,
    next: usize,
    name: String,
    args: Vec<String>,
    machine: Option<(Machine, Scope)>,
    /// The variables of `script-name`, `script-args` and every `set` so far.
    scope: Option<Scope>,
    /// The variables the running form binds when it is a `set`.
    setting: Option<Vec<crate::atom::Atom>>,
}

impl Script {
    fn run(&mut self, rt: &mut Runtime, budget: u64, cx: &EngineCx) -> (Step, u64) {
        let mut used = 0u64;
        match self.step(rt, budget, &mut used) {
            Ok(step) => (step, used),
            Err(ex) => {
                let _ = rt.out.flush();
                eprint!("{}", crate::script::report(&ex));
                let _ = cx;
                let reason = match exit_reason(&ex) {
                    // `normal` from an uncaught exit still fails the script, as `lfe`.
                    ExitReason::Normal => ExitReason::Term(cube_term::Term::atom("normal")),
                    r => r,
                };
                (exited(reason, None), used)
            }
        }
    }

    fn step(&mut self, rt: &mut Runtime, budget: u64, used: &mut u64) -> Result<Step, Exception> {
        if let Some(source) = self.source.take() {
            // `lfe prog.lfe` runs the script in the shell's evaluator process, which
            // traps exits: a linked process's end is a message, not the script's end.
            if let Some(p) = rt.process.as_mut() {
                p.cx.set_trap_exit(true);
            }
            match crate::script::prepare(rt, &source, &self.name)? {
                crate::script::Prepared::Forms(forms) => self.forms = forms,
                crate::script::Prepared::Main(main) => {
                    let m = Machine::apply(main, Vec::new());
                    self.machine = Some((m, Scope::default()));
                }
                crate::script::Prepared::Nothing => return Ok(exited(ExitReason::Normal, None)),
            }
        }
        let mut scope = match self.scope.take() {
            Some(s) => s,
            None => crate::script::script_scope(&self.name, &self.args),
        };
        let step = self.forms_step(rt, budget, used, &mut scope);
        self.scope = Some(scope);
        step
    }

    fn forms_step(
        &mut self,
        rt: &mut Runtime,
        budget: u64,
        used: &mut u64,
        scope: &mut Scope,
    ) -> Result<Step, Exception> {
        loop {
            if let Some((m, _)) = self.machine.as_mut() {
                let before = m.reductions;
                let outcome = m.resume(rt, budget.saturating_sub(*used));
                *used += m.reductions - before;
                match outcome {
                    Outcome::Finished(v) => {
                        self.machine = None;
                        if let Some(vars) = self.setting.take() {
                            *scope = crate::script::bind_set(scope, vars, &v);
                        }
                    }
                    Outcome::Preempted => return Ok(Step::Preempted),
                    Outcome::Wait(d) => return Ok(Step::Wait(d)),
                    Outcome::Error(ex) => return Err(ex),
                }
            }
            if *used >= budget {
                return Ok(Step::Preempted);
            }
            let Some(form) = self.forms.get(self.next) else {
                return Ok(exited(ExitReason::Normal, None));
            };
            self.next += 1;
            let expanded = crate::script::expand_top(rt, form)?;
            let form = expanded.as_ref().unwrap_or(form);
            if let Some(result) = crate::script::define(rt, form) {
                result?;
                continue;
            }
            if let Some(set) = crate::script::set_form(rt, form) {
                let (expr, vars) = set?;
                self.setting = Some(vars);
                self.machine = Some((Machine::eval_in(expr, scope.clone()), scope.clone()));
                continue;
            }
            let expr = rt.compile(form)?;
            self.machine = Some((Machine::eval_in(expr, scope.clone()), scope.clone()));
        }
    }
}

/// The running process's slot, or `badarg` outside a process.
fn slot(rt: &mut Runtime) -> Result<&mut ProcSlot, Exception> {
    rt.process
        .as_deref_mut()
        .ok_or_else(|| Exception::error_with("no_process", Term::Nil))
}

fn pid_arg(t: &Term) -> Result<cube_term::Pid, Exception> {
    match t {
        Term::Pid(p) => Ok(**p),
        _ => Err(Exception::badarg()),
    }
}

fn pid_term(p: cube_term::Pid) -> Term {
    Term::Pid(Rc::new(p))
}

/// The pid a destination names: a pid, or a registered name (`badarg` if nobody has
/// it, as Erlang's `!`).
fn dest(rt: &mut Runtime, t: &Term) -> Result<cube_term::Pid, Exception> {
    match t {
        Term::Pid(p) => Ok(**p),
        Term::Atom(a) => slot(rt)?.cx.whereis(a.name()).ok_or_else(Exception::badarg),
        _ => Err(Exception::badarg()),
    }
}

fn send(rt: &mut Runtime, a: &[Term]) -> Result<Term, Exception> {
    let to = dest(rt, &a[0])?;
    let msg = crate::interop::to_msg(&a[1])?;
    let s = slot(rt)?;
    s.cx.send(to, msg);
    if to == s.cx.pid() && s.cx.killed() {
        s.stop = true;
    }
    Ok(a[1].clone())
}

/// `spawn` and `spawn_link` of a fun of no arguments or of `mod fun args`.
fn spawn(rt: &mut Runtime, a: &[Term], link: bool) -> Result<Term, Exception> {
    let (fun, args) = match a {
        [f @ Term::Fun(_)] => (f.clone(), Vec::new()),
        [m, f, args] => {
            let (Some(m), Some(f)) = (m.as_atom(), f.as_atom()) else {
                return Err(Exception::badarg());
            };
            let args = crate::bif::list_arg(args)?;
            let fun = Term::Fun(Rc::new(Fun::Remote {
                module: m,
                name: f,
                arity: args.len(),
            }));
            (fun, args)
        }
        _ => return Err(Exception::badarg()),
    };
    let s = slot(rt)?;
    let body = LfeProcess::apply(s.world.clone(), fun, args);
    match s.cx.spawn(Box::new(body), link) {
        Ok(pid) => Ok(pid_term(pid)),
        Err(_) => Err(Exception::error(Term::atom("system_limit"))),
    }
}

/// `(lua:spawn source args)` / `(lua:spawn_link source args)`: a Lua process running
/// the chunk `source` (a binary or a string) with the elements of `args` as its `...`
/// (crossing as messages do). A chunk that does not compile is `#(badarg message)`.
fn spawn_lua(rt: &mut Runtime, a: &[Term], link: bool) -> Result<Term, Exception> {
    let source: Vec<u8> = match &a[0] {
        Term::Bin(b) if b.is_binary() => b.bytes().into_owned(),
        t => {
            let codes = crate::bif::list_arg(t)?;
            let text: Option<String> = codes
                .iter()
                .map(|c| match c {
                    Term::Int(i) => u32::try_from(*i).ok().and_then(char::from_u32),
                    _ => None,
                })
                .collect();
            text.ok_or_else(Exception::badarg)?.into_bytes()
        }
    };
    let args = crate::bif::list_arg(&a[1])?
        .iter()
        .map(crate::interop::to_msg)
        .collect::<Result<Vec<_>, _>>()?;
    let s = slot(rt)?;
    match s.cx.spawn_lua(&source, "=lua:spawn", &args, link) {
        Ok(pid) => Ok(pid_term(pid)),
        Err(m) if m.starts_with("too many processes") => {
            Err(Exception::error(Term::atom("system_limit")))
        }
        Err(m) => Err(Exception::error_with("badarg", Term::string(&m))),
    }
}

fn exit2(rt: &mut Runtime, a: &[Term]) -> Result<Term, Exception> {
    let to = pid_arg(&a[0])?;
    let reason = reason_of(&a[1]);
    let s = slot(rt)?;
    s.cx.exit_signal(to, &reason);
    if s.cx.killed() {
        s.stop = true;
    }
    Ok(Term::bool(true))
}

/// The process BIFs (`erlang`'s and `timer:sleep`'s friends are in `prelude.lfe`).
pub fn register(rt: &mut Runtime) {
    rt.register("erlang", "self", 0, |rt, _| {
        Ok(pid_term(slot(rt)?.cx.pid()))
    });
    rt.register("erlang", "!", 2, send);
    rt.register("erlang", "send", 2, send);
    rt.register("erlang", "spawn", 1, |rt, a| spawn(rt, a, false));
    rt.register("erlang", "spawn", 3, |rt, a| spawn(rt, a, false));
    rt.register("erlang", "spawn_link", 1, |rt, a| spawn(rt, a, true));
    rt.register("erlang", "spawn_link", 3, |rt, a| spawn(rt, a, true));
    rt.register("erlang", "exit", 2, exit2);
    rt.register("lua", "spawn", 2, |rt, a| spawn_lua(rt, a, false));
    rt.register("lua", "spawn_link", 2, |rt, a| spawn_lua(rt, a, true));
    rt.register("erlang", "link", 1, |rt, a| {
        let p = pid_arg(&a[0])?;
        if slot(rt)?.cx.link(p) {
            Ok(Term::bool(true))
        } else {
            Err(Exception::error(Term::atom("noproc")))
        }
    });
    rt.register("erlang", "unlink", 1, |rt, a| {
        let p = pid_arg(&a[0])?;
        slot(rt)?.cx.unlink(p);
        Ok(Term::bool(true))
    });
    rt.register("erlang", "monitor", 2, |rt, a| {
        if !a[0].is_atom_named("process") {
            return Err(Exception::badarg());
        }
        let p = dest(rt, &a[1])?;
        let r = slot(rt)?.cx.monitor(p);
        Ok(Term::Ref(Rc::new(r)))
    });
    rt.register("erlang", "demonitor", 1, |rt, a| {
        demonitor(rt, &a[0], false)
    });
    rt.register("erlang", "demonitor", 2, |rt, a| {
        let opts = crate::bif::list_arg(&a[1])?;
        let flush = opts.iter().any(|o| o.is_atom_named("flush"));
        demonitor(rt, &a[0], flush)
    });
    rt.register("erlang", "process_flag", 2, |rt, a| {
        if !a[0].is_atom_named("trap_exit") {
            return Err(Exception::badarg());
        }
        let on = a[1].as_bool().ok_or_else(Exception::badarg)?;
        Ok(Term::bool(slot(rt)?.cx.set_trap_exit(on)))
    });
    rt.register("erlang", "register", 2, |rt, a| {
        let name = a[0].as_atom().ok_or_else(Exception::badarg)?;
        let p = pid_arg(&a[1])?;
        if name.name() == "undefined" {
            return Err(Exception::badarg());
        }
        match slot(rt)?.cx.register(name.name(), p) {
            Ok(()) => Ok(Term::bool(true)),
            Err(_) => Err(Exception::badarg()),
        }
    });
    rt.register("erlang", "unregister", 1, |rt, a| {
        let name = a[0].as_atom().ok_or_else(Exception::badarg)?;
        if slot(rt)?.cx.unregister(name.name()) {
            Ok(Term::bool(true))
        } else {
            Err(Exception::badarg())
        }
    });
    rt.register("erlang", "whereis", 1, |rt, a| {
        let name = a[0].as_atom().ok_or_else(Exception::badarg)?;
        Ok(match slot(rt)?.cx.whereis(name.name()) {
            Some(p) => pid_term(p),
            None => Term::atom("undefined"),
        })
    });
    rt.register("erlang", "is_process_alive", 1, |rt, a| {
        let p = pid_arg(&a[0])?;
        Ok(Term::bool(slot(rt)?.cx.is_alive(p)))
    });
    rt.register("erlang", "make_ref", 0, |rt, _| {
        Ok(Term::Ref(Rc::new(slot(rt)?.cx.make_ref())))
    });
    rt.register("erlang", "node", 0, |rt, _| {
        Ok(Term::atom(&match slot(rt) {
            Ok(s) => s.cx.node_name(),
            Err(_) => "nonode@nohost".to_owned(),
        }))
    });
    rt.register("erlang", "is_pid", 1, |_, a| {
        Ok(Term::bool(matches!(a[0], Term::Pid(_))))
    });
    rt.register("erlang", "is_reference", 1, |_, a| {
        Ok(Term::bool(matches!(a[0], Term::Ref(_))))
    });
}

/// `demonitor/1,2`; with `flush`, a DOWN of that monitor already queued is removed.
fn demonitor(rt: &mut Runtime, r: &Term, flush: bool) -> Result<Term, Exception> {
    let Term::Ref(r) = r else {
        return Err(Exception::badarg());
    };
    let s = slot(rt)?;
    s.cx.demonitor(**r);
    if flush {
        s.pull();
        let down = Atom::new("DOWN");
        s.pending.retain(|m| match m {
            Term::Tuple(t) => {
                !matches!(&t.0[..], [Term::Atom(d), Term::Ref(x), ..] if *d == down && **x == **r)
            }
            _ => true,
        });
    }
    Ok(Term::bool(true))
}
