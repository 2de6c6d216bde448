//! The Lua state: one heap, its globals and registry, its threads, and the native-function
//! interface (arguments, results, errors).
//!
//! # Native calling convention
//! A native function is `fn(&mut State, Args) -> LResult<Ret>`. Its arguments are stack
//! slots `args.base .. args.base + args.len` of the current thread (read them with
//! `State::arg` and the `check_*` helpers, 1-based like the C API). It pushes its
//! results with `State::push` and returns `Ret::Values(n)`: the top `n` stack values are
//! the results. To call back into Lua it pushes the function and its arguments and returns
//! `Ret::Call` with a continuation; it never calls the VM recursively.

use crate::gc::{Gc, Heap};
use crate::table::Table;
use crate::thread::{Cont, Thread};
use crate::tm::{TM, TM_COUNT, TM_FAST, TM_NAMES};
use crate::value::{LuaStr, NClosure, NativeFn, Value};
use std::io::Write;

/// The error side of every VM operation: the Lua error value.
pub type LResult<T> = Result<T, Value>;

/// Where a native's arguments are on the stack.
#[derive(Clone, Copy, Debug)]
pub struct Args {
    pub base: usize,
    pub len: usize,
}

/// What a native function asks the driver to do next.
pub enum Ret {
    /// The top `n` stack values are the results.
    Values(usize),
    /// Call the function at `top - nargs - 1` with the `nargs` values above it, wanting
    /// `nresults` (-1: all), then run `cont`.
    Call {
        nargs: usize,
        nresults: i32,
        cont: Cont,
    },
    /// Replace this native's frame by a call to the function at `top - nargs - 1`.
    TailCall { nargs: usize },
    /// `coroutine.yield`: the top `n` values go to the resumer.
    Yield(usize),
    /// `coroutine.resume`: run `thread` with the top `nargs` values; `cont` receives
    /// `Status::Ok` with the values it yielded or returned, or `Status::Err`.
    Resume {
        thread: Gc<Thread>,
        nargs: usize,
        cont: Cont,
    },
    /// Suspend the whole task (e.g. `process.receive` with an empty mailbox): `resume`
    /// returns `Outcome::Blocked`, and the next `resume` calls this native again with
    /// the same arguments, so it can look again at what it waits for.
    Block,
}

/// How a slice of a task started with `State::start` or `State::start_task` ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The task's function returned this many values: they are the top of the stack,
    /// where the host reads them in a context and pops them (`set_top`).
    Finished(usize),
    /// The budget ran out; `resume` continues where it stopped.
    Preempted,
    /// A native returned `Ret::Block`; `resume` retries it.
    Blocked,
    /// The task ended with an uncaught error: the error value is on the stack top
    /// ([`State::pop_error_message`] takes it as text).
    Error,
}

pub struct State {
    pub(crate) heap: Heap,
    pub(crate) globals: Gc<Table>,
    pub(crate) registry: Gc<Table>,
    pub(crate) main_thread: Gc<Thread>,
    /// The thread that is running.
    pub(crate) cur: Gc<Thread>,
    /// Threads that resumed the running one, innermost last.
    pub(crate) resumers: Resumers,
    /// Metatables of the non-table types (string, number, ...), by `LuaType` index:
    /// shared with the image and copied on the first write (`TypeMetas::set`), so a
    /// process pays 8 bytes for them, not 72.
    pub(crate) type_meta: std::sync::Arc<TypeMetas>,
    /// Metamethod names, interned (shared by all states of one image).
    pub(crate) tm_names: std::sync::Arc<TmNames>,
    /// Reductions left. The VM charges calls, backward jumps and the work of natives
    /// against it (DESIGN.md decision 2).
    pub budget: i64,
    /// When set, running out of `budget` ends the running code with the uncatchable
    /// error "reduction limit exceeded" (for untrusted code and fuzzing); otherwise the
    /// budget is refilled.
    pub reduction_limit_enabled: bool,
    /// What the state rarely uses, made on first use (see [`Cold`]): a process that
    /// has no limits, no embedding handles and no uncaught error does not pay for it.
    pub(crate) cold: Option<Box<Cold>>,
    /// Largest heap this state may keep (bytes, after a collection); beyond it the
    /// running code ends with the uncatchable "heap limit exceeded".
    pub max_heap: Option<usize>,
    /// Why the running code must end (set by a limit); raised uncatchably by the driver.
    pub(crate) kill_reason: Option<&'static str>,
    /// Set by the host from any thread (the process runtime's untrappable `kill`):
    /// the running code ends at its next check, uncatchably, as at a limit, with the
    /// error "interrupted" (the host knows its own reason). Checked where reductions
    /// are charged, so natives doing long work notice it too. See [`State::set_interrupt`].
    /// A pointer, not an `Arc`: the process runtime keeps the flag inside its process
    /// record, which outlives the state ([`State::set_interrupt_ref`]), so a process
    /// does not pay a separate allocation for it; a flag given as an `Arc`
    /// ([`State::set_interrupt`]) is kept alive by [`Cold::interrupt_owner`].
    pub(crate) interrupt: Option<std::ptr::NonNull<std::sync::atomic::AtomicBool>>,
    /// Set between an emergency collection and the re-call it was made for: a
    /// reservation that still does not fit then ends the code (no second collection).
    pub(crate) gc_retry: bool,
    /// `load` accepts binary chunks (a sandbox turns this off).
    pub binary_chunks_allowed: bool,
    /// Nesting of Rust-level entries into the VM (embedding calls from natives).
    pub(crate) c_depth: u32,
    /// Cached interned strings used by the libraries (shared with the image).
    pub(crate) names: std::sync::Arc<Names>,
    /// Record a traceback when an error leaves a Rust entry point uncaught (the CLI
    /// prints it, as `lua` does with its message handler).
    /// The traceback is kept until [`State::take_last_traceback`] takes it.
    pub traceback_on_error: bool,
    /// End tracebacks of the main thread with the host's frame, `[C]: in ?`, as the
    /// `lua` command shows (set by the command-line runner).
    pub host_frame_in_traceback: bool,
    /// Set while `resume` runs a task: running out of budget then returns
    /// `Outcome::Preempted` instead of refilling.
    pub(crate) preemptible: bool,
    /// Why the driver returned early: preempted or blocked.
    pub(crate) suspended: Option<Suspend>,
    /// Stack slot of the task's function (results land there).
    /// (`u32`: a stack index is below `MAX_STACK`, and this keeps the state small.)
    pub(crate) task_func: Option<u32>,
    pub(crate) task_started: bool,
    /// A slot for the host: the process runtime keeps the running process's context
    /// here, where its natives find it.
    pub ext: Option<Box<dyn std::any::Any + Send>>,
    /// A value the host keeps alive with the state (a GC root), e.g. the process
    /// runtime's pid cache: unlike the registry, setting it never copies a shared image.
    pub(crate) host_root: Value,
    /// Where `print` and `io.write` to standard output go (block-buffered; flushed by
    /// `io.flush`, at exit and before reading standard input).
    pub stdout: Box<dyn std::io::Write + Send>,
    /// The shared image this state started from (`State::from_image`), if any.
    pub(crate) image: Option<std::sync::Arc<crate::image::Image>>,
}

/// The fields of a [`State`] that an idle process never touches, behind one box made on
/// first use (`State::cold_mut`), so every process's state is 80 bytes smaller.
#[derive(Default)]
pub(crate) struct Cold {
    /// Reductions the running code may still use past its budget where it cannot be
    /// preempted: calls nested in Rust (finalizers, xpcall message handlers, the
    /// embedding API's calls) and the finalizers run by [`State::close`]. When the budget runs out
    /// there, it is refilled from this reserve in small draws; once the reserve is
    /// spent the code ends, uncatchably, with "reduction limit exceeded". `None`: no
    /// bound (the budget refills endlessly, as before limits existed). The process
    /// runtime sets it before each slice to what the process's limits leave after the
    /// slice, so nested code cannot escape a reduction limit
    /// ([`State::set_reduction_reserve`]).
    pub reduction_reserve: Option<u64>,
    /// Reductions drawn from `reduction_reserve` into the budget since the host last
    /// took them ([`State::take_reductions_drawn`]): a slice used
    /// `slice - budget + reductions_drawn`.
    pub reductions_drawn: u64,
    /// Set by [`State::reserve`] when an allocation did not fit. The native's call is
    /// turned into a re-call after an emergency collection (see `vm/call.rs`); if
    /// nothing turns it so, the error becomes the heap limit's.
    pub gc_request: Option<Box<GcRequest>>,
    /// The traceback of the last error that left a Rust entry point uncaught, when
    /// `traceback_on_error` is set.
    pub last_traceback: Option<String>,
    /// Values kept alive for the embedding API's handles.
    pub pinned: Vec<Value>,
    /// This state's copies of its image's objects, once it wrote one (see `image.rs`).
    pub private_copies: Option<Box<crate::image::PrivateCopies>>,
    /// The next [`State::resume`] raises "interrupted!" ([`State::interrupt_next_resume`]).
    pub(crate) interrupt_pending: bool,
    /// The interrupt flag given to [`State::set_interrupt`], kept alive while
    /// `State::interrupt` points at it.
    pub interrupt_owner: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    /// Bytes this state's values hold outside its heap (a library's buffers, such as
    /// tensors), as that library counts them ([`State::set_external_bytes`]).
    pub external_bytes: Option<std::sync::Arc<std::sync::atomic::AtomicUsize>>,
}

/// The metatables of the non-table types, by `LuaType` index (see `State::type_meta`).
#[derive(Clone, Default)]
pub(crate) struct TypeMetas(pub [Option<Gc<Table>>; 9]);

// SAFETY: as for `TmNames`: an `Arc` of these is shared between states only as part of
// an image, whose tables are frozen; a state writes through `TypeMetas::set`, which
// copies a shared array first, so an array holding a state's own tables belongs to that
// state alone and moves with it.
unsafe impl Send for TypeMetas {}
// SAFETY: as for `Send`.
unsafe impl Sync for TypeMetas {}

impl TypeMetas {
    /// Sets the metatable of type index `ty`, copying the array first if it is shared.
    pub(crate) fn set(this: &mut std::sync::Arc<TypeMetas>, ty: usize, mt: Option<Gc<Table>>) {
        std::sync::Arc::make_mut(this).0[ty] = mt;
    }
}

/// The interned metamethod names, by `TM` index.
pub struct TmNames(pub [Gc<LuaStr>; TM_COUNT]);

// SAFETY: the names are strings of the state's heap or of its shared image; an `Arc` of
// them moves with the state (which is moved between threads as a whole) or is shared by
// states of one image, whose strings are frozen (immutable, never collected).
unsafe impl Send for TmNames {}
// SAFETY: as for `Send`: shared between threads only as part of an image (frozen).
unsafe impl Sync for TmNames {}

impl std::ops::Index<usize> for TmNames {
    type Output = Gc<LuaStr>;
    #[inline(always)]
    fn index(&self, i: usize) -> &Gc<LuaStr> {
        &self.0[i]
    }
}

impl TmNames {
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Gc<LuaStr>> {
        self.0.iter()
    }
}

pub(crate) struct Names {
    pub loaded: Gc<LuaStr>,
    pub n: Gc<LuaStr>,
}

// SAFETY: as for `TmNames`: strings of the state's heap or of its shared image, in an
// `Arc` that moves with the state or is shared by the states of one image (frozen).
unsafe impl Send for Names {}
// SAFETY: as for `Send`.
unsafe impl Sync for Names {}

/// `State::resumers` in one word: a stack made by the first coroutine resume (most
/// states, every idle process among them, never resume one), with the few operations
/// the driver uses.
#[derive(Default)]
#[allow(clippy::box_collection)] // the box is the point: one word in every state
pub(crate) struct Resumers(Option<Box<Vec<Gc<Thread>>>>);

impl Resumers {
    #[inline]
    pub fn push(&mut self, t: Gc<Thread>) {
        self.0.get_or_insert_with(Default::default).push(t);
    }

    #[inline]
    pub fn pop(&mut self) -> Option<Gc<Thread>> {
        self.0.as_mut()?.pop()
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.0.as_ref().map_or(0, |v| v.len())
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<'a> IntoIterator for &'a Resumers {
    type Item = &'a Gc<Thread>;
    type IntoIter = std::slice::Iter<'a, Gc<Thread>>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.as_deref().map_or(&[][..], |v| &v[..]).iter()
    }
}

/// An allocation that did not fit under a heap limit (`State::gc_request`).
pub(crate) struct GcRequest {
    /// The bytes asked for.
    pub bytes: usize,
    /// The limit they must fit under, when not `max_heap` (`reserve_within`).
    pub limit: Option<usize>,
}

/// Why a task's slice ended early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Suspend {
    Preempted,
    Blocked,
}

/// Rust-level VM re-entries allowed (PUC's `LUAI_MAXCCALLS`).
pub const MAX_C_DEPTH: u32 = 200;

impl State {
    /// A state with no libraries loaded (see `crate::stdlib::open_libs`).
    pub fn new_bare() -> State {
        let mut heap = Heap::new();
        let globals = heap.new_table(Table::new(0, 64));
        let registry = heap.new_table(Table::new(2, 8));
        let main_thread = heap.new_thread(Thread::new());
        main_thread.get_mut().status = crate::thread::CoStatus::Running;
        let tm_names = std::sync::Arc::new(TmNames(std::array::from_fn(|i| {
            heap.intern(TM_NAMES[i].as_bytes())
        })));
        let names = std::sync::Arc::new(Names {
            loaded: heap.intern(b"_LOADED"),
            n: heap.intern(b"n"),
        });
        let mut st = State::assemble(heap, globals, registry, main_thread, tm_names, names);
        st.stdout = Box::new(std::io::BufWriter::with_capacity(
            1 << 16,
            std::io::stdout(),
        ));
        // registry[1] = main thread, registry[2] = globals, as in PUC.
        registry.get_mut().set_int(1, Value::Thread(main_thread));
        registry.get_mut().set_int(2, Value::Table(globals));
        st
    }

    /// A state around a heap and its first objects, with default settings.
    pub(crate) fn assemble(
        heap: Heap,
        globals: Gc<Table>,
        registry: Gc<Table>,
        main_thread: Gc<Thread>,
        tm_names: std::sync::Arc<TmNames>,
        names: std::sync::Arc<Names>,
    ) -> State {
        State {
            heap,
            globals,
            registry,
            main_thread,
            cur: main_thread,
            resumers: Resumers::default(),
            type_meta: Default::default(),
            tm_names,
            budget: i64::MAX,
            reduction_limit_enabled: false,
            cold: None,
            max_heap: None,
            kill_reason: None,
            interrupt: None,
            gc_retry: false,
            binary_chunks_allowed: true,
            c_depth: 0,
            names,
            traceback_on_error: false,
            host_frame_in_traceback: false,
            ext: None,
            host_root: Value::Nil,
            preemptible: false,
            suspended: None,
            task_func: None,
            task_started: false,
            // Rust's stdout is line-buffered; `new_bare` gives a bigger buffer, and the
            // process runtime replaces this with the node's shared output.
            stdout: Box::new(std::io::stdout()),
            image: None,
        }
    }

    // ----- values -----

    #[inline]
    pub(crate) fn new_str(&mut self, bytes: &[u8]) -> Value {
        Value::Str(self.heap.intern(bytes))
    }

    #[inline]
    pub(crate) fn new_string(&mut self, bytes: Vec<u8>) -> Value {
        Value::Str(self.heap.intern_vec(bytes))
    }

    pub(crate) fn new_table(&mut self) -> Gc<Table> {
        self.heap.new_table(Table::new(0, 0))
    }

    pub(crate) fn new_table_with(&mut self, narr: usize, nhash: usize) -> Gc<Table> {
        self.heap.new_table(Table::new(narr, nhash))
    }

    pub(crate) fn new_native(
        &mut self,
        name: &'static str,
        f: NativeFn,
        upvals: Vec<Value>,
    ) -> Value {
        Value::NFn(self.heap.new_nclosure(NClosure {
            f,
            upvals: upvals.into_boxed_slice(),
            name,
            host: None,
        }))
    }

    /// Sets `t[name] = v` for a string name (raw).
    pub(crate) fn set_field(&mut self, t: Gc<Table>, name: &str, v: Value) {
        let k = self.heap.intern(name.as_bytes());
        let t = self.unshare(t);
        let v = self.own_copy(v);
        t.get_mut().set_str(k, v);
    }

    /// The globals table (`_G`, the `_ENV` of loaded chunks).
    ///
    /// The state's roots and heap are crate-private: another crate cannot point them
    /// at objects of another heap, nor replace or collect the heap itself.
    #[inline]
    pub(crate) fn globals(&self) -> Gc<Table> {
        self.globals
    }

    /// The registry (`LUA_REGISTRYINDEX`).
    #[inline]
    pub(crate) fn registry(&self) -> Gc<Table> {
        self.registry
    }

    /// Sets the metatable shared by all values of a basic type other than tables and
    /// full userdata (`debug.setmetatable` on a string, number, light userdata...).
    pub(crate) fn set_type_meta(&mut self, ty: crate::value::LuaType, mt: Option<Gc<Table>>) {
        let mt = mt.and_then(|m| self.own_copy(Value::Table(m)).as_table());
        TypeMetas::set(&mut self.type_meta, ty as usize, mt);
    }

    /// The stack base of the running native's frame: where its arguments start, for a
    /// continuation that rebuilds its `Args` (0 outside any call).
    #[inline]
    pub fn frame_base(&self) -> usize {
        self.cur.frames.last().map_or(0, |f| f.base)
    }

    /// A new closed upvalue holding `v`, for a closure a native builds
    /// ([`State::new_lua_closure`]).
    pub(crate) fn new_closed_upvalue(&mut self, v: Value) -> Gc<crate::value::UpVal> {
        self.heap.new_upval(crate::value::UpVal {
            state: crate::value::UpState::Closed(v),
        })
    }

    /// A new Lua closure of a prototype instantiated in this state
    /// ([`State::instantiate`]) over the given upvalues.
    pub(crate) fn new_lua_closure(
        &mut self,
        p: Gc<crate::value::FnProto>,
        upvals: Vec<Gc<crate::value::UpVal>>,
    ) -> Gc<crate::value::LClosure> {
        // (The interpreter loop relies on it: `LClosure`.)
        assert_eq!(
            upvals.len(),
            p.proto.upvalues.len(),
            "a closure has one upvalue per upvalue of its prototype"
        );
        self.heap.new_lclosure(crate::value::LClosure {
            p,
            upvals: upvals.into_boxed_slice(),
        })
    }

    /// Sets `t[i] = v` (raw, `lua_rawseti`).
    pub(crate) fn raw_set_int(&mut self, t: Gc<Table>, i: i64, v: Value) {
        let t = self.unshare(t);
        let v = self.own_copy(v);
        t.get_mut().set_int(i, v);
    }

    /// Sets `t[k] = v` (raw, `lua_rawset`); a nil or NaN key is an error (`KeyError`),
    /// which the caller turns into its message.
    pub(crate) fn raw_set(
        &mut self,
        t: Gc<Table>,
        k: Value,
        v: Value,
    ) -> Result<(), crate::table::KeyError> {
        let t = self.unshare(t);
        let (k, v) = (self.own_copy(k), self.own_copy(v));
        t.get_mut().set(k, v)
    }

    /// Raw `t[i]` (`lua_rawgeti`).
    pub(crate) fn raw_get_int(&self, t: Gc<Table>, i: i64) -> Value {
        t.get_int(i)
    }

    /// Sets the metatable of a table (raw, as `lua_setmetatable`: no `__metatable`
    /// check); a metatable with `__gc` registers the table for finalization.
    pub(crate) fn set_table_meta(&mut self, t: Gc<Table>, mt: Option<Gc<Table>>) {
        let t = self.unshare(t);
        let mt = mt.and_then(|m| self.own_copy(Value::Table(m)).as_table());
        t.get_mut().meta = mt;
        if let Some(m) = mt {
            if !m.get_str(self.tm_names[TM::Gc as usize]).is_nil() {
                self.heap.register_finalizer(Value::Table(t));
            }
        }
    }

    /// Sets the value of a closed upvalue (one a native built for a closure it makes,
    /// as cube-vm's spawn does); an open upvalue (a live local of a running function)
    /// is left alone.
    pub(crate) fn set_closed_upvalue(&mut self, u: Gc<crate::value::UpVal>, v: Value) {
        if let crate::value::UpState::Closed(slot) = &mut u.get_mut().state {
            *slot = v;
        }
    }

    /// Raw `t[name]` for a string name.
    pub(crate) fn get_field(&mut self, t: Gc<Table>, name: &str) -> Value {
        let k = self.heap.intern(name.as_bytes());
        t.get_str(k)
    }

    pub(crate) fn set_global(&mut self, name: &str, v: Value) {
        let g = self.globals;
        self.set_field(g, name, v);
    }

    pub(crate) fn get_global(&mut self, name: &str) -> Value {
        let g = self.globals;
        self.get_field(g, name)
    }

    /// Registers native functions into a table.
    pub(crate) fn register(&mut self, t: Gc<Table>, funcs: &[(&'static str, NativeFn)]) {
        for &(name, f) in funcs {
            let v = self.new_native(name, f, Vec::new());
            self.set_field(t, name, v);
        }
    }

    // ----- metatables -----

    /// The metatable of any value.
    #[inline]
    pub(crate) fn metatable(&self, v: &Value) -> Option<Gc<Table>> {
        match v {
            Value::Table(t) => t.meta,
            Value::UserData(u) => u.meta,
            other => self.type_meta.0[other.type_of() as usize],
        }
    }

    /// Looks up metamethod `tm` in metatable `mt`, using the absent-cache bits.
    #[inline]
    pub(crate) fn tm_of(&self, mt: Option<Gc<Table>>, tm: TM) -> Option<Value> {
        let mt = mt?;
        let bit = tm as u8;
        if bit < TM_FAST && mt.tm_absent & (1 << bit) != 0 {
            return None;
        }
        let v = mt.get_str(self.tm_names[tm as usize]);
        if v.is_nil() {
            if bit < TM_FAST {
                mt.get_mut().tm_absent |= 1 << bit;
            }
            None
        } else {
            Some(v)
        }
    }

    /// Metamethod `tm` of value `v`, if any.
    #[inline]
    pub(crate) fn tm_of_value(&self, v: &Value, tm: TM) -> Option<Value> {
        self.tm_of(self.metatable(v), tm)
    }

    // ----- the stack, for natives -----

    /// The running thread (crate-private: a `&mut` from `&self`, which the
    /// interpreter's short, non-overlapping uses keep sound).
    #[inline]
    #[allow(clippy::mut_from_ref)]
    pub(crate) fn thread(&self) -> &mut Thread {
        self.cur.get_mut()
    }

    /// Argument `i` (1-based) of a native call; nil when absent.
    #[inline]
    pub(crate) fn arg(&self, a: Args, i: usize) -> Value {
        if i >= 1 && i <= a.len {
            self.cur.stack[a.base + i - 1]
        } else {
            Value::Nil
        }
    }

    #[inline]
    pub(crate) fn push(&mut self, v: Value) {
        self.cur.get_mut().push(v)
    }

    #[inline]
    pub fn top(&self) -> usize {
        self.cur.top
    }

    /// Truncates or extends (with nil) the current thread's stack top.
    pub fn set_top(&mut self, top: usize) {
        let th = self.cur.get_mut();
        if top > th.stack.len() {
            th.resize_stack(top + crate::thread::MIN_STACK, false);
        }
        for i in th.top..top {
            th.stack[i] = Value::Nil;
        }
        th.top = top;
    }

    /// The first of `n` results a continuation received at `first`, or nil if none:
    /// what Lua makes of a call adjusted to one value.
    #[inline]
    pub(crate) fn first_result(&self, first: usize, n: usize) -> Value {
        if n > 0 {
            self.stack_at(first)
        } else {
            Value::Nil
        }
    }

    #[inline]
    pub(crate) fn stack_at(&self, i: usize) -> Value {
        self.cur.stack[i]
    }

    #[inline]
    pub(crate) fn set_stack(&mut self, i: usize, v: Value) {
        self.cur.get_mut().stack[i] = v;
    }

    /// Makes room for `n` more pushes; errors with "stack overflow" past the limit. A
    /// large growth is reserved against the heap limit first ([`State::reserve`]).
    pub(crate) fn check_stack(&mut self, n: usize) -> LResult<()> {
        let top = self.cur.top;
        let len = self.cur.stack.len();
        if top + n > len && n > 1024 {
            // (The stack may double beyond this: bounded by what it already holds.)
            self.reserve((top + n - len) * std::mem::size_of::<Value>())?;
        }
        match self.cur.get_mut().ensure(top + n) {
            Ok(bytes) => {
                self.heap.account(bytes);
                Ok(())
            }
            Err(_) => Err(self.stack_overflow_error()),
        }
    }

    // ----- conversions used everywhere -----

    /// `tostring` for numbers and strings without metamethods (`lua_tolstring`).
    pub(crate) fn coerce_to_str(&mut self, v: &Value) -> Option<Gc<LuaStr>> {
        match v {
            Value::Str(s) => Some(*s),
            Value::Num(n) => {
                let mut buf = Vec::with_capacity(24);
                crate::text::number::write_number(&mut buf, *n);
                Some(self.heap.intern_vec(buf))
            }
            _ => None,
        }
    }

    /// Number coercion of strings (`lua_tonumber`).
    pub(crate) fn to_num_coerce(v: &Value) -> Option<f64> {
        match v {
            Value::Num(n) => Some(*n),
            Value::Str(s) => crate::text::number::str_to_number(s.as_bytes()),
            _ => None,
        }
    }

    /// Number of live bytes in the heap (estimate).
    pub fn heap_bytes(&self) -> usize {
        self.heap.total_bytes()
    }

    /// Installs the counter of the bytes this state's values hold outside the heap
    /// (a library keeps it: cube-torch's tensors), so that [`State::memory_bytes`]
    /// counts them. One counter per state; a later call replaces it.
    pub fn set_external_bytes(&mut self, counter: std::sync::Arc<std::sync::atomic::AtomicUsize>) {
        self.cold_mut().external_bytes = Some(counter);
    }

    /// The heap ([`State::heap_bytes`]) plus what the counter of
    /// [`State::set_external_bytes`] says: the memory a process's limits account.
    pub fn memory_bytes(&self) -> usize {
        self.heap_bytes().saturating_add(self.external_bytes())
    }

    /// What the counter of [`State::set_external_bytes`] says (0 without one).
    pub(crate) fn external_bytes(&self) -> usize {
        self.cold
            .as_ref()
            .and_then(|c| c.external_bytes.as_ref())
            .map_or(0, |n| n.load(std::sync::atomic::Ordering::Relaxed))
    }

    /// Tells the collector that a library just allocated `bytes` outside the heap for
    /// a value in it (a tensor's elements), so the next collection comes that much
    /// sooner: garbage holding large outside blocks is then found before it piles up,
    /// as if those bytes were heap bytes. Their size for the heap limit is the
    /// library's counter ([`State::set_external_bytes`]).
    pub fn pace_external_alloc(&mut self, bytes: usize) {
        self.heap.pace_external_alloc(bytes);
    }
}

impl Drop for State {
    fn drop(&mut self) {
        let _ = self.stdout.flush();
        self.heap.free_all();
    }
}

impl State {
    /// A full userdata holding `data`, with an optional metatable. A metatable with
    /// `__gc` registers the userdata for finalization.
    pub(crate) fn new_userdata<T: std::any::Any + Send>(
        &mut self,
        data: T,
        meta: Option<Gc<Table>>,
    ) -> Value {
        self.userdata_with(Box::new(data), meta, false)
    }

    /// As [`State::new_userdata`] for a `Sync` payload: in a shared image
    /// (`crate::image`), every state may read it in place ([`State::userdata_get`]),
    /// where a payload that is not `Sync` must first be copied into the reading state.
    pub(crate) fn new_shared_userdata<T: std::any::Any + Send + Sync>(
        &mut self,
        data: T,
        meta: Option<Gc<Table>>,
    ) -> Value {
        self.userdata_with(Box::new(data), meta, true)
    }

    fn userdata_with(
        &mut self,
        data: Box<dyn std::any::Any + Send>,
        meta: Option<Gc<Table>>,
        sync: bool,
    ) -> Value {
        let u = self.heap.new_userdata(crate::value::UserData {
            data,
            meta,
            user_value: Value::Nil,
            sync,
        });
        if let Some(m) = meta {
            if !m.get_str(self.tm_names[TM::Gc as usize]).is_nil() {
                self.heap.register_finalizer(Value::UserData(u));
            }
        }
        Value::UserData(u)
    }

    /// The payload of a userdata value if it holds a `T`, for reading (`luaL_testudata`).
    ///
    /// The reference borrows the state, so no native of this state can write the
    /// payload meanwhile. `None` if `v` is not a full userdata holding a `T`, and also for
    /// a userdata of this state's shared image whose payload is not `Sync` (other
    /// threads may be reading it; [`State::userdata_mut`] first copies such a payload
    /// into this state, when its type has a cloner).
    ///
    /// The reference cannot outlive the state (the payload is freed with it):
    pub(crate) fn userdata_get<T: std::any::Any>(&self, v: &Value) -> Option<&T> {
        let data: *const T = match v {
            Value::UserData(u) if u.sync || !self.in_image(u.addr()) => u.data.downcast_ref()?,
            _ => return None,
        };
        // SAFETY: the payload is a separate allocation that lives as long as the
        // userdata, a value of this state (`Value`'s contract); the reference borrows the
        // state, so no `&mut` to the payload can be made through it meanwhile, and a
        // payload other threads may read at once (the image's) is `Sync`.
        Some(unsafe { &*data })
    }

    /// The payload of a userdata value if it holds a `T`, for writing.
    ///
    /// The reference borrows the state mutably, so it cannot alias another reference
    /// to the payload handed out by the state (one `&mut`, or any number of
    /// [`State::userdata_get`] readers, at a time):
    ///
    /// A userdata of this state's shared image is first copied into the state (its
    /// type's cloner, `Image::add_userdata_cloner`; every reference the state holds is
    /// re-pointed to the copy), since other states read it in place; without a cloner
    /// it cannot be written: `None`. A payload lent out by [`State::with_userdata`] is
    /// not there meanwhile: `None`.
    pub(crate) fn userdata_mut<T: std::any::Any>(&mut self, v: &Value) -> Option<&mut T> {
        let u = self.own_userdata(v)?;
        let data: *mut T = u.get_mut().data.downcast_mut::<T>()?;
        // SAFETY: the payload is a separate allocation that lives as long as the
        // userdata, a value of this state (`Value`'s contract); the reference borrows the
        // state mutably, so nothing else can reach the payload through the state while
        // it lives (every way to it, `userdata_get`, `userdata_mut`, `with_userdata`,
        // borrows the state).
        Some(unsafe { &mut *data })
    }

    /// Runs `f` with the state and the payload of a userdata holding a `T`, both
    /// mutable at once (a file and the stack it reads into): the safe form of using a
    /// payload and the state together.
    ///
    /// The payload is moved out of the userdata while `f` runs (it holds a zero-size
    /// placeholder meanwhile, no allocation), so nothing `f` does through the state can
    /// reach it a second time: `userdata_mut`, `userdata_get` and `with_userdata` on the
    /// same userdata find no `T` and return `None`. It is put back when `f` returns (or
    /// unwinds).
    ///
    /// Same rules as [`State::userdata_mut`]: a userdata of this state's shared image is
    /// first copied into the state, and one that stays the image's gives `None`, as does
    /// a `v` that is not a userdata holding a `T`.
    ///
    /// `v` is a value of this state (`Value`'s contract): if `f` enters the VM (where a
    /// collection may run), it must stay reachable meanwhile, as every value a native
    /// holds across such a call.
    pub(crate) fn with_userdata<T: std::any::Any, R>(
        &mut self,
        v: &Value,
        f: impl FnOnce(&mut State, &mut T) -> R,
    ) -> Option<R> {
        let mut lent = self.lend_userdata::<T>(v)?;
        Some(f(self, lent.payload()))
    }

    /// Moves the payload of a userdata holding a `T` out of it, for
    /// [`State::with_userdata`] and `Cx::with_userdata`: it goes back when the
    /// [`LentPayload`] is dropped. `None` as for [`State::userdata_mut`].
    pub(crate) fn lend_userdata<T: std::any::Any>(&mut self, v: &Value) -> Option<LentPayload<T>> {
        let u = self.own_userdata(v)?;
        if !u.data.is::<T>() {
            return None;
        }
        let data = std::mem::replace(&mut u.get_mut().data, Box::new(Lent));
        Some(LentPayload {
            u,
            data,
            _payload: std::marker::PhantomData,
        })
    }

    /// The userdata of `v` if this state may write its payload: a standard userdata of
    /// a shared image is first copied into the state (`unshare_value`); one that stays
    /// the image's (no cloner) is refused, since other states read it in place.
    fn own_userdata(&mut self, v: &Value) -> Option<Gc<crate::value::UserData>> {
        let Value::UserData(_) = v else {
            return None;
        };
        let Value::UserData(u) = self.unshare_value(*v) else {
            return None;
        };
        (!self.in_image(u.addr())).then_some(u)
    }
}

/// What a userdata holds while its payload is lent out ([`State::with_userdata`]): a
/// zero-size type, so putting it in place allocates nothing, and no `T` of any caller.
struct Lent;

/// A userdata payload, a `T`, moved out of its userdata by [`State::lend_userdata`];
/// dropping it puts the payload back.
pub(crate) struct LentPayload<T> {
    u: Gc<crate::value::UserData>,
    data: Box<dyn std::any::Any + Send>,
    _payload: std::marker::PhantomData<fn() -> T>,
}

impl<T: std::any::Any> LentPayload<T> {
    pub(crate) fn payload(&mut self) -> &mut T {
        self.data
            .downcast_mut::<T>()
            .expect("lent as a T by lend_userdata")
    }
}

impl<T> Drop for LentPayload<T> {
    fn drop(&mut self) {
        // The userdata is still allocated: it is a value of its state that stays
        // reachable while its payload is lent (`State::with_userdata`).
        let data = std::mem::replace(&mut self.data, Box::new(Lent));
        self.u.get_mut().data = data;
    }
}

impl State {
    /// Marks the running code to be ended by the heap limit and returns the error to
    /// raise now (it is re-raised uncatchably by the driver if a pcall catches it).
    pub(crate) fn heap_limit_error(&mut self) -> Value {
        self.kill_reason = Some("heap limit exceeded");
        self.budget = 0;
        self.new_str(b"heap limit exceeded")
    }
}

/// Bytes of work that cost one reduction in natives that copy, scan or compare memory
/// (`string.rep`, `upper`, `..`, `<` on strings, `table.concat` ...).
pub const BYTES_PER_REDUCTION: usize = 64;

/// Steps of the pattern matcher that cost one reduction.
pub const MATCH_STEPS_PER_REDUCTION: u64 = 16;

impl State {
    /// Makes sure that `bytes` more bytes fit under the heap limit, BEFORE they are
    /// allocated (a string, a buffer, a table's parts, a stack) and before the caller
    /// has any side effect. `bytes` is what the caller is about to hold beyond what the
    /// heap already counts (e.g. the length of the string it will build).
    ///
    /// Contract: call it from a native (or a continuation) before anything the native
    /// does is visible: it may return an `Err` that the driver turns into a full
    /// collection at a safe point followed by a call of the same native with the same
    /// arguments (a continuation: the same status), exactly as `Ret::Block` re-calls.
    /// Only if the bytes still do not fit after that collection does the running code
    /// end, uncatchably, with "heap limit exceeded" (as PUC's emergency collection
    /// before "not enough memory"). Natives must propagate the error with `?` and
    /// never catch it. Without a heap limit it always succeeds.
    ///
    /// From code that is not a native's body (the VM's own instructions), use
    /// `reserve_at_safe_point`; from the host (mailboxes, spawn arguments), this works
    /// too: an unhandled request is the heap limit error.
    pub(crate) fn reserve(&mut self, bytes: usize) -> LResult<()> {
        match self.max_heap {
            Some(max) => self.reserve_within(bytes, max),
            None => Ok(()),
        }
    }

    /// [`State::reserve`] under `max` rather than `max_heap` (e.g. a process's own
    /// limit, where `max_heap` is a slice's tighter cap).
    pub(crate) fn reserve_within(&mut self, bytes: usize, max: usize) -> LResult<()> {
        if self.heap.total_bytes().saturating_add(bytes) <= max {
            return Ok(());
        }
        if self.gc_retry || self.kill_reason.is_some() || bytes > max {
            // Already collected for this call, or it cannot fit even in an empty heap.
            return Err(self.heap_limit_error());
        }
        let limit = (Some(max) != self.max_heap).then_some(max);
        self.cold_mut().gc_request = Some(Box::new(GcRequest { bytes, limit }));
        Err(self.new_str(b"heap limit exceeded"))
    }

    /// `reserve` for the VM's instructions, which run at a safe point: every live value
    /// is below stack slot `limit` of the running thread. Collects right away if the
    /// bytes do not fit, then ends the code if they still do not.
    pub(crate) fn reserve_at_safe_point(&mut self, bytes: usize, limit: usize) -> LResult<()> {
        let Some(max) = self.max_heap else {
            return Ok(());
        };
        if self.heap.total_bytes().saturating_add(bytes) <= max {
            return Ok(());
        }
        if bytes <= max {
            self.collect_at_safe_point(limit)?;
            if self.heap.total_bytes().saturating_add(bytes) <= max {
                return Ok(());
            }
        }
        Err(self.heap_limit_error())
    }

    /// Charges `n` reductions for work a native does or is about to do (DESIGN.md
    /// decision 2: in proportion to the work). Charge before long work when its size is
    /// known: if the budget runs out and it must not be refilled (a reduction limit, a
    /// limit already hit, an interrupt), this returns the uncatchable error at once and
    /// the work is never done. Otherwise the driver preempts or refills at its next
    /// check, as after any instruction.
    #[inline]
    pub(crate) fn charge(&mut self, n: u64) -> LResult<()> {
        self.budget = self.budget.saturating_sub(n.min(i64::MAX as u64) as i64);
        if self.budget <= 0 {
            return self.budget_check();
        }
        Ok(())
    }

    /// `charge` for work over `bytes` bytes of memory ([`BYTES_PER_REDUCTION`]).
    #[inline]
    pub(crate) fn charge_bytes(&mut self, bytes: usize) -> LResult<()> {
        self.charge((bytes / BYTES_PER_REDUCTION) as u64)
    }

    /// Whether the host has asked the running code to stop (see `set_interrupt`).
    #[inline]
    pub fn interrupted(&self) -> bool {
        self.interrupt_flag()
            .is_some_and(|f| f.load(std::sync::atomic::Ordering::Relaxed))
    }

    /// The host's interrupt flag, if one is installed.
    #[inline]
    pub(crate) fn interrupt_flag(&self) -> Option<&std::sync::atomic::AtomicBool> {
        // SAFETY: the flag outlives the state's hold on it: either `Cold::interrupt_owner`
        // keeps it alive (`set_interrupt`), or the host promised so (`set_interrupt_ref`).
        self.interrupt.map(|f| unsafe { &*f.as_ptr() })
    }

    /// The budget is used up (or the host may have interrupted): the error that ends
    /// the running code if it must end now, `Ok` if the driver may simply preempt or
    /// refill. For natives in the middle of long work (the pattern matcher).
    pub(crate) fn budget_check(&mut self) -> LResult<()> {
        if self.interrupted() && self.kill_reason.is_none() {
            self.kill_reason = Some("interrupted");
        }
        if let Some(reason) = self.kill_reason {
            self.budget = 0;
            return Err(self.new_str(reason.as_bytes()));
        }
        if self.reduction_limit_enabled && self.budget <= 0 {
            self.kill_reason = Some("reduction limit exceeded");
            return Err(self.new_str(b"reduction limit exceeded"));
        }
        Ok(())
    }

    /// Moves reductions from the reserve into the budget: enough to cover what the
    /// budget is overdrawn by, plus up to `more`. Returns whether the budget is then
    /// positive (false: the reserve is spent, or there is none).
    pub(crate) fn draw_from_reserve(&mut self, more: u64) -> bool {
        let Some(cold) = self.cold.as_deref_mut() else {
            return false;
        };
        let Some(reserve) = cold.reduction_reserve.as_mut() else {
            return false;
        };
        let owed = self.budget.min(0).unsigned_abs();
        let take = owed.saturating_add(more).min(*reserve);
        *reserve -= take;
        cold.reductions_drawn = cold.reductions_drawn.saturating_add(take);
        self.budget = self.budget.saturating_add(take.min(i64::MAX as u64) as i64);
        self.budget > 0
    }

    /// How many steps a long native (the pattern matcher) may take: the remaining
    /// budget when the budget is a limit; the budget and the reserve when there is a
    /// reduction reserve (a match that cannot be preempted, in a nested call, may run
    /// past its slice, but not past the process's limit; one that can be preempted
    /// pauses near the end of its slice anyway, see `stdlib/string.rs`); otherwise no
    /// bound (it still watches the interrupt flag). The caller charges the steps it took.
    pub fn steps_allowed(&self, per_reduction: u64) -> u64 {
        let left = (self.budget.max(0) as u64).saturating_mul(per_reduction);
        if self.reduction_limit_enabled {
            left
        } else if let Some(reserve) = self.reduction_reserve() {
            left.saturating_add(reserve.saturating_mul(per_reduction))
        } else {
            u64::MAX
        }
    }

    /// Whether running out of budget now would preempt the task (`resume` is running
    /// it and no Rust-level call is nested): a native may then stop its work at a step
    /// boundary and go on in a continuation after the preemption.
    #[inline]
    pub(crate) fn can_preempt(&self) -> bool {
        self.preemptible && self.c_depth == 1
    }
}

impl State {
    /// Installs (or removes) the interrupt flag: once another thread stores `true` in it,
    /// the running code ends at its next reduction check with the uncatchable error
    /// "interrupted", even inside a native doing long work.
    /// The rarely used fields, made now if they were not yet.
    pub(crate) fn cold_mut(&mut self) -> &mut Cold {
        self.cold.get_or_insert_with(Default::default)
    }

    /// The request of a native's allocation that waits for an emergency collection.
    pub(crate) fn take_gc_request(&mut self) -> Option<Box<GcRequest>> {
        self.cold.as_mut()?.gc_request.take()
    }

    /// Whether an uncaught error's traceback waits to be taken.
    pub(crate) fn has_last_traceback(&self) -> bool {
        self.cold
            .as_ref()
            .is_some_and(|c| c.last_traceback.is_some())
    }

    /// The values the embedding API's handles keep alive.
    pub(crate) fn pinned(&self) -> &[Value] {
        self.cold.as_ref().map_or(&[], |c| &c.pinned)
    }

    /// Whether a native's allocation waits for an emergency collection.
    pub(crate) fn gc_request_pending(&self) -> bool {
        self.cold.as_ref().is_some_and(|c| c.gc_request.is_some())
    }

    /// The reduction reserve: reductions the running code may still use past its
    /// budget where it cannot be preempted (calls nested in Rust: finalizers, xpcall
    /// message handlers, the embedding API's calls); once spent, the code ends with
    /// "reduction limit exceeded". `None`: no bound.
    pub fn reduction_reserve(&self) -> Option<u64> {
        self.cold.as_ref().and_then(|c| c.reduction_reserve)
    }

    /// Sets the reduction reserve (see [`State::reduction_reserve`]; `None`: no bound).
    pub fn set_reduction_reserve(&mut self, reserve: Option<u64>) {
        if reserve.is_some() || self.cold.is_some() {
            self.cold_mut().reduction_reserve = reserve;
        }
    }

    /// Reductions drawn from the reserve since the last call (zeroes the count).
    pub fn take_reductions_drawn(&mut self) -> u64 {
        self.cold
            .as_mut()
            .map_or(0, |c| std::mem::take(&mut c.reductions_drawn))
    }

    /// The traceback of the last uncaught error, when `traceback_on_error` is set.
    pub fn take_last_traceback(&mut self) -> Option<String> {
        self.cold.as_mut().and_then(|c| c.last_traceback.take())
    }

    /// Whether closing the state may run finalizers (Lua code).
    pub fn has_finalizers(&self) -> bool {
        self.heap.has_finalizers()
    }

    /// Installs (or, with `None`, removes) the host's interrupt flag: once it is set,
    /// from any thread, the running code ends at its next check with "interrupted".
    pub fn set_interrupt(&mut self, flag: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>) {
        let ptr = flag.as_ref().map(|f| std::ptr::NonNull::from(&**f));
        self.install_interrupt(ptr);
        if flag.is_some() || self.cold.is_some() {
            self.cold_mut().interrupt_owner = flag;
        }
    }

    /// As [`State::set_interrupt`], with a flag the host keeps elsewhere (the process
    /// runtime keeps it in its process record, saving an allocation per process).
    ///
    /// # Safety
    /// `flag` must stay valid until the state is dropped or its flag is replaced by
    /// another call of `set_interrupt`/`set_interrupt_ref`; the state reads it
    /// (atomically) from whichever thread runs the state.
    pub unsafe fn set_interrupt_ref(&mut self, flag: &std::sync::atomic::AtomicBool) {
        self.install_interrupt(Some(std::ptr::NonNull::from(flag)));
        if let Some(c) = self.cold.as_mut() {
            c.interrupt_owner = None;
        }
    }

    fn install_interrupt(
        &mut self,
        flag: Option<std::ptr::NonNull<std::sync::atomic::AtomicBool>>,
    ) {
        if flag.is_some() && !self.reduction_limit_enabled {
            // Come back to the driver's check soon even with an endless budget.
            self.budget = self.budget.min(10_000);
        }
        self.interrupt = flag;
    }
}

impl State {
    /// Sets (or clears) the heap limit; collections then run before it is crossed,
    /// even with the collector stopped (`collectgarbage("stop")` stops only the paced
    /// collections), and `State::reserve` checks big allocations before they happen.
    pub fn set_max_heap(&mut self, max: Option<usize>) {
        self.max_heap = max;
        self.heap.limit = max.unwrap_or(usize::MAX);
        if let Some(m) = max {
            self.heap.lower_threshold(m);
        }
    }
}

#[cfg(test)]
mod size_tests {
    /// Every process holds a state: what an idle process never touches lives in
    /// `State::cold` (see cube-vm's `process_record_fits_the_448_byte_class`).
    #[test]
    fn state_stays_small() {
        assert!(
            std::mem::size_of::<super::State>() <= 296,
            "{}",
            std::mem::size_of::<super::State>()
        );
        assert!(std::mem::size_of::<crate::gc::Heap>() <= 96);
    }
}
