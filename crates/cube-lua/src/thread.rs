//! Lua threads (coroutines): a value stack and a stack of call frames.
//!
//! Lua-to-Lua calls push a `Frame` here instead of recursing on the Rust stack
//! (DESIGN.md decision 1). A native function that needs to call back into Lua (pcall,
//! table.sort, gsub, metamethod-driven natives) leaves its frame here with a
//! continuation (`Cont`), which the driver invokes when the callee returns or an error
//! unwinds to it. A suspended coroutine is therefore nothing but its `Thread` object.

use crate::gc::Gc;
use crate::value::{LClosure, NClosure, UpState, UpVal, Value};
use std::any::Any;

/// Maximum number of stack slots of one thread (PUC's `LUAI_MAXSTACK`): deeper
/// recursion ends in a "stack overflow" Lua error.
pub const MAX_STACK: usize = 1_000_000;
/// Slots kept above a frame's top for metamethod calls and natives (PUC's
/// `EXTRA_STACK`). Every path that uses more asks for it (`ensure`, `check_stack`).
pub const EXTRA_STACK: usize = 5;
/// Stack slots a native may use without asking (`LUA_MINSTACK`).
pub const MIN_STACK: usize = 20;
/// Free slots made sure of when a native is called. Smaller than PUC's `LUA_MINSTACK`
/// because cube's natives grow the stack themselves (`push`, `set_top`, `check_stack`);
/// it keeps the stack of a process blocked in a native (e.g. `receive`) small: an idle
/// process's stack is 10 slots (160 bytes, one mimalloc class) rather than 13 (224).
pub const NATIVE_RESERVE: usize = 5;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CoStatus {
    /// Created, not yet started, or suspended in a yield.
    Suspended,
    /// The thread that is executing.
    Running,
    /// Resumed another coroutine and waits for it.
    Normal,
    /// Finished or died with an error.
    Dead,
}

/// How the caller consumes a frame's results when it returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallKind {
    /// An ordinary call: results are placed at the function slot.
    Normal,
    /// A metamethod called by a VM instruction: the instruction is finished by
    /// `finish_op` after the return (the same path a yield inside a metamethod takes).
    Meta,
    /// A call made from Rust through the embedding API: the driver stops here.
    Boundary,
    /// A debug hook called for an event of the frame below it (`vm/hook.rs`): its
    /// results are dropped and the event's pending work is done when it returns.
    Hook,
}

/// What a continuation learns about the call it waited for.
#[derive(Clone, Copy, Debug)]
pub enum Status {
    /// The callee returned; its results are on the stack from `first`, `n` of them.
    Ok { first: usize, n: usize },
    /// An error unwound to this frame (only for protected continuations).
    Err(Value),
}

/// A native function's continuation: called when the Lua function it called returns
/// (or, if `protected`, when an error unwinds to it).
pub type ContFn =
    fn(&mut crate::state::State, Status, &mut Cont) -> crate::state::LResult<crate::state::Ret>;

pub struct Cont {
    pub f: ContFn,
    /// Small state for the continuation (an index, a counter).
    pub ctx: usize,
    /// Larger state (never holds Lua values: those stay on the stack, where the GC
    /// sees them).
    pub data: Option<Box<dyn Any + Send>>,
    /// Catches errors raised by the callee (pcall / xpcall).
    pub protected: bool,
    /// For xpcall: stack index of the message handler.
    pub handler: Option<usize>,
    /// For a continuation made by `Cont::host`: the host function `f` calls.
    pub(crate) host: Option<crate::host::HostContFn>,
}

impl Cont {
    pub(crate) fn new(f: ContFn, ctx: usize) -> Cont {
        Cont {
            f,
            ctx,
            data: None,
            protected: false,
            handler: None,
            host: None,
        }
    }
}

pub enum FrameKind {
    Lua(Gc<LClosure>),
    Native(Gc<NClosure>),
}

pub struct Frame {
    /// Stack index of the called function (results go here).
    pub func: usize,
    /// Lua: register 0; native: first argument.
    pub base: usize,
    /// Lua: one past the last register.
    pub top: usize,
    /// Lua: index of the next instruction.
    pub pc: usize,
    /// Results wanted by the caller; -1 for all.
    pub nresults: i32,
    pub kind: FrameKind,
    pub call: CallKind,
    /// A native waiting for a callee (boxed: rare, and it keeps frames small).
    pub cont: Option<Box<Cont>>,
    /// A Lua frame running `a <= b` as `not (b < a)` through `__lt` (5.2 fallback).
    pub le_via_lt: bool,
    /// Number of tail calls that replaced this frame (for tracebacks).
    pub tail_calls: u32,
    /// A native frame suspended by coroutine.yield (its results come from resume).
    pub yielded: bool,
    /// A native frame that returned `Ret::Block`: it is called again on resume.
    pub blocked: bool,
    /// A Lua frame whose next instruction already had its line and count hooks called
    /// (PUC's `CIST_HOOKED`/`CIST_HOOKYIELD`): the hooked loop runs it without tracing.
    pub hooked: bool,
    /// PUC's C levels (`nCcalls`) this frame runs at: the thread's base level plus one
    /// for every metamethod frame and every call made by a native (pcall, sort
    /// comparators, gsub callbacks, `__tostring`, load readers ...) below it. Kept per
    /// frame so that unwinding needs no bookkeeping. See [`MAX_C_LEVELS`].
    pub clevel: u16,
}

/// C levels allowed: PUC's `LUAI_MAXCCALLS` (200) less the two levels the `lua`
/// command itself uses (its pcall of the chunk), so that a chain of metamethods or of
/// calls from natives ends with "C stack overflow" at the depth lua5.2 reaches.
pub const MAX_C_LEVELS: u16 = 198;

impl Frame {
    /// The frame of a call of the function at stack index `func`, its registers (or a
    /// native's arguments) from `base`, `top` above them: the one place a call's frame
    /// is made (`push_lua_frame`, `enter_native` and the interpreter loop's fast call).
    #[inline(always)]
    pub(crate) fn new(
        func: usize,
        base: usize,
        top: usize,
        nresults: i32,
        kind: FrameKind,
        call: CallKind,
        clevel: u16,
    ) -> Frame {
        Frame {
            func,
            base,
            top,
            pc: 0,
            nresults,
            kind,
            call,
            cont: None,
            le_via_lt: false,
            tail_calls: 0,
            yielded: false,
            blocked: false,
            hooked: false,
            clevel,
        }
    }

    #[inline]
    pub fn is_lua(&self) -> bool {
        matches!(self.kind, FrameKind::Lua(_))
    }
}

pub struct Thread {
    pub stack: Vec<Value>,
    /// First free slot (meaningful for natives and after multi-result operations).
    pub top: usize,
    pub frames: Vec<Frame>,
    /// Open upvalues, sorted by stack index.
    pub open_upvals: Vec<Gc<UpVal>>,
    pub status: CoStatus,
    /// An error value kept across a driver step (rooted here for the GC).
    pub pending_error: Option<Value>,
    /// Depth of Rust-level calls into the VM when this coroutine was resumed; a yield
    /// across a deeper Rust call is an error.
    pub c_depth: u32,
    /// Current stack limit: `MAX_STACK`, raised by `ERROR_STACK_EXTRA` while a message
    /// handler runs so that a stack overflow can still be reported with a traceback.
    pub limit: usize,
    /// C level of this coroutine's first frame: its first resumer's level plus one (as
    /// PUC's `L->nCcalls = from->nCcalls + 1`).
    pub base_clevel: u16,
    /// The events the VM calls the hook for: `Hooks::mask` when the hook is a
    /// function, otherwise 0; plus [`HOOK_RUNNING`] while `Hooks::run` is set. The
    /// interpreter runs its hooked loop while this is not 0 (the one hook field every
    /// call and return looks at, so it stays here).
    pub hook_on: u8,
    /// The rest of the debug-hook state, made on first use (`hooks_mut`): most threads
    /// never have a hook, and every idle process has a thread (without it the thread
    /// object falls from mimalloc's 192-byte class to its 128-byte one).
    pub(crate) hooks: Option<Box<Hooks>>,
}

/// A thread's debug-hook state (`debug.sethook`).
#[derive(Clone)]
pub(crate) struct Hooks {
    /// The hook function (PUC keeps it in `registry._HKEY[thread]`), nil for none.
    pub hook: Value,
    /// PUC's `hookmask` ([`MASK_CALL`] ...), as `debug.gethook` reports it.
    pub mask: u8,
    /// `count` of `debug.sethook` (`basehookcount`) and the countdown to the next
    /// count event (`hookcount`).
    pub base_count: i32,
    pub count: i32,
    /// PUC's `oldpc`: the pc (index of the next instruction) of the last traced
    /// instruction, for line events.
    pub old_pc: u32,
    /// The hook running on this thread, if one is (hooks are then off: PUC's
    /// `allowhook`). Set only through `Thread::set_hook_run`.
    pub run: Option<crate::vm::hook::HookRun>,
}

impl Hooks {
    const NONE: Hooks = Hooks {
        hook: Value::Nil,
        mask: 0,
        base_count: 0,
        count: 0,
        old_pc: 0,
        run: None,
    };
}

/// Hook event masks (`LUA_MASKCALL` ...).
pub const MASK_CALL: u8 = 1;
pub const MASK_RET: u8 = 2;
pub const MASK_LINE: u8 = 4;
pub const MASK_COUNT: u8 = 8;
/// In `Thread::hook_on`: a hook is running (its frame's return, and any return on the
/// thread meanwhile, takes `post_call`'s hooked path).
pub const HOOK_RUNNING: u8 = 0x80;

/// A thread's stack would exceed its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StackOverflow;

/// Extra slots a message handler may use beyond `MAX_STACK` (PUC's `ERRORSTACKSIZE`).
pub const ERROR_STACK_EXTRA: usize = 10_000;

impl Thread {
    pub(crate) fn new() -> Thread {
        Thread {
            // Grown on first use to what the first call needs: an idle process's
            // thread stays small (see `grow`).
            stack: Vec::new(),
            top: 0,
            // A process blocked in `receive` has two frames: its function and the native.
            frames: Vec::with_capacity(2),
            open_upvals: Vec::new(),
            status: CoStatus::Suspended,
            pending_error: None,
            c_depth: 0,
            limit: MAX_STACK,
            base_clevel: 0,
            hook_on: 0,
            hooks: None,
        }
    }

    /// One past the highest slot any frame may use: everything below is live.
    pub fn live_top(&self) -> usize {
        self.frames
            .iter()
            .filter(|f| f.is_lua())
            .map(|f| f.top)
            .fold(self.top, usize::max)
    }

    /// Makes sure slots up to `needed` exist. Returns the bytes added (for GC
    /// accounting) or `Err` past the stack limit.
    #[inline]
    pub fn ensure(&mut self, needed: usize) -> Result<usize, StackOverflow> {
        if needed <= self.stack.len() {
            return Ok(0);
        }
        self.grow(needed)
    }

    #[cold]
    fn grow(&mut self, needed: usize) -> Result<usize, StackOverflow> {
        if needed > self.limit {
            return Err(StackOverflow);
        }
        let old = self.stack.len();
        // Small stacks grow to just what is needed (many processes never go deeper);
        // larger ones double, as in PUC.
        let new = if old < 2 * MIN_STACK {
            needed
        } else {
            (old * 2).max(needed)
        };
        let new = new.min(self.limit + EXTRA_STACK * 4);
        // Small stacks get exactly what is asked: `resize` alone would at least double
        // the capacity, and a process that blocks early (an idle one) would keep the
        // slack.
        self.resize_stack(new, old < 2 * MIN_STACK);
        Ok((new - old) * std::mem::size_of::<Value>())
    }

    /// Resizes the stack to `len` slots (new ones nil), reserving exactly that much
    /// when `exact`. The one place a stack may move: the slots of the thread's open
    /// upvalues move with it (`UpState::Open`'s invariant).
    pub(crate) fn resize_stack(&mut self, len: usize, exact: bool) {
        let old_base = self.stack.as_ptr();
        if exact && len > self.stack.len() {
            self.stack.reserve_exact(len - self.stack.len());
        }
        self.stack.resize(len, Value::Nil);
        let new_base = self.stack.as_mut_ptr();
        if std::ptr::eq(old_base, new_base) {
            return;
        }
        for uv in &self.open_upvals {
            if let UpState::Open { thread, slot } = uv.state {
                // The slot pointed into the old buffer (the invariant): its distance
                // from the old base, by address (that buffer is gone), is its index.
                let at = (slot as usize - old_base as usize) / std::mem::size_of::<Value>();
                assert!(at < len, "an open upvalue stays on the stack");
                // SAFETY: `at` is inside the new buffer (just asserted).
                let slot = unsafe { new_base.add(at) };
                uv.get_mut().state = UpState::Open { thread, slot };
            }
        }
    }

    /// Bytes this thread holds (its object and its stack), for the GC's accounting.
    pub fn byte_size(&self) -> usize {
        256 + self.stack.len() * std::mem::size_of::<Value>()
            + self.frames.capacity() * std::mem::size_of::<Frame>()
    }

    /// After unwinding: a hook whose frame is gone is over (hooks are allowed again).
    #[inline]
    pub(crate) fn forget_unwound_hook(&mut self) {
        if self.hook_on & HOOK_RUNNING != 0
            && self
                .hook_run()
                .is_some_and(|r| r.frame >= self.frames.len())
        {
            self.set_hook_run(None);
        }
    }

    /// The thread's hook state, if it ever had any.
    #[inline]
    pub(crate) fn hooks(&self) -> &Hooks {
        self.hooks.as_deref().unwrap_or(&Hooks::NONE)
    }

    /// The thread's hook state, made if it had none.
    pub(crate) fn hooks_mut(&mut self) -> &mut Hooks {
        self.hooks.get_or_insert_with(|| Box::new(Hooks::NONE))
    }

    /// The hook running on this thread, if one is.
    #[inline]
    pub(crate) fn hook_run(&self) -> Option<crate::vm::hook::HookRun> {
        self.hooks.as_ref().and_then(|h| h.run)
    }

    /// Sets or clears the running hook, keeping [`HOOK_RUNNING`] in step.
    #[inline]
    pub(crate) fn set_hook_run(&mut self, run: Option<crate::vm::hook::HookRun>) {
        if run.is_some() || self.hooks.is_some() {
            self.hooks_mut().run = run;
        }
        if run.is_some() {
            self.hook_on |= HOOK_RUNNING;
        } else {
            self.hook_on &= !HOOK_RUNNING;
        }
    }

    /// The C level a new frame called with `call` starts at (see [`Frame::clevel`]).
    #[inline(always)]
    pub fn next_clevel(&self, call: CallKind) -> u16 {
        match self.frames.last() {
            None => self.base_clevel,
            Some(parent) => {
                let up = matches!(call, CallKind::Meta | CallKind::Hook) || !parent.is_lua();
                parent.clevel + up as u16
            }
        }
    }

    #[inline]
    pub(crate) fn push(&mut self, v: Value) {
        if self.top >= self.stack.len() {
            // Room for the function and arguments a host usually pushes next; a call
            // grows the stack to what the callee needs.
            let _ = self.grow(self.top + 1 + EXTRA_STACK);
            if self.top >= self.stack.len() {
                self.resize_stack(self.top + 1, false);
            }
        }
        self.stack[self.top] = v;
        self.top += 1;
    }
}

/// Pushes a call frame. `Vec::push` of a frame-sized value is not inlined and showed
/// as a sixth of the time of call-heavy code; this is, with the growth kept out of line.
/// The growth is accounted to `heap` (deep recursion holds as much in frames as in
/// stack slots, and both count against the heap limit).
#[inline(always)]
pub(crate) fn push_frame(frames: &mut Vec<Frame>, f: Frame, heap: &mut crate::gc::Heap) {
    if frames.len() == frames.capacity() {
        heap.account(grow_frames(frames));
    }
    // SAFETY: there is room for one more element (checked above); writing it and then
    // raising the length by one is what `push` does.
    unsafe {
        frames.as_mut_ptr().add(frames.len()).write(f);
        frames.set_len(frames.len() + 1);
    }
}

/// Pops the top call frame. Only a native's frame can hold a continuation: dropping it is
/// kept out of line, so that a Lua return does not call `drop_in_place` of a frame.
#[inline(always)]
pub(crate) fn pop_frame(frames: &mut Vec<Frame>) {
    if let Some(f) = frames.pop() {
        if let Some(c) = f.cont {
            drop_cont(c);
        }
    }
}

#[cold]
#[inline(never)]
fn drop_cont(c: Box<Cont>) {
    drop(c);
}

#[cold]
#[inline(never)]
fn grow_frames(frames: &mut Vec<Frame>) -> usize {
    let old = frames.capacity();
    frames.reserve(old.max(4));
    (frames.capacity() - old) * std::mem::size_of::<Frame>()
}

impl Default for Thread {
    fn default() -> Self {
        Thread::new()
    }
}

#[cfg(test)]
mod size_tests {
    /// Every process has a thread: with its collector header it fits mimalloc's
    /// 128-byte class (the hook state lives behind `Thread::hooks`).
    #[test]
    fn thread_fits_the_128_byte_class() {
        let n = std::mem::size_of::<crate::gc::GcBox<super::Thread>>();
        assert!(n <= 128, "{n}");
    }
}
