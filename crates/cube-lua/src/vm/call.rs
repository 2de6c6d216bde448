//! Calls, returns, continuations, coroutine switches and error unwinding: the driver
//! around the interpreter loop.
//!
//! Nothing here recurses on the Rust stack per Lua call: a call pushes a `Frame`, a return
//! pops one, and natives that call Lua leave a continuation in their frame. The driver
//! (`run_until`) repeatedly executes the top frame of the running thread until the frame
//! depth drops back to where the Rust caller entered.

use crate::gc::Gc;
use crate::state::{Args, LResult, Ret, State, MAX_C_DEPTH};
use crate::thread::{
    CallKind, CoStatus, Cont, Frame, FrameKind, Status, Thread, EXTRA_STACK, HOOK_RUNNING,
    MASK_CALL, MASK_LINE, MASK_RET,
};
use crate::tm::TM;
use crate::value::{copy_value, FnProto, LClosure, UpState, UpVal, Value};

/// Result of starting a call.
pub(crate) enum PreCall {
    /// A Lua frame was pushed: execute it.
    Lua,
    /// A native ran to completion and its results are in place (or it left a frame
    /// with a continuation / switched threads: the driver takes over).
    Done,
}

/// Depth of nested message-handler calls before giving up (PUC reaches the same state
/// through its C-stack limit).
const MAX_HANDLER_DEPTH: u32 = 20;

/// Objects a collection visits per reduction charged.
const GC_OBJECTS_PER_REDUCTION: i64 = 64;

/// Reductions between two looks at the interrupt flag when the budget is not a limit.
const INTERRUPT_CHECK_EVERY: i64 = 10_000;

impl State {
    /// Calls `f` with `args` from Rust and returns all its results.
    pub(crate) fn call_function(&mut self, f: Value, args: &[Value]) -> LResult<Vec<Value>> {
        let func = self.cur.top;
        self.check_stack(args.len() + 1 + EXTRA_STACK)?;
        self.push(f);
        for &a in args {
            self.push(a);
        }
        let n = self.call_at(func, -1)?;
        let th = self.cur.get_mut();
        let out = th.stack[func..func + n].to_vec();
        th.top = func;
        Ok(out)
    }

    /// Calls the function at stack slot `func` with the values above it; returns the
    /// number of results, which are left at `func..`. Errors not caught inside are
    /// returned after the frames above the entry point are unwound.
    pub(crate) fn call_at(&mut self, func: usize, nresults: i32) -> LResult<usize> {
        if self.c_depth >= MAX_C_DEPTH {
            return Err(self.rt_error("C stack overflow"));
        }
        self.c_depth += 1;
        let entry = self.cur;
        let depth = entry.frames.len();
        let r = self.precall(func, nresults, CallKind::Boundary);
        let r = match r {
            Ok(_) => self.run_until(entry, depth),
            Err(e) => self.throw(e, entry, depth),
        };
        self.c_depth -= 1;
        r?;
        Ok(self.cur.top - func)
    }

    /// Runs until the entry thread is back at `depth` frames.
    pub(crate) fn run_until(&mut self, entry: Gc<Thread>, depth: usize) -> LResult<()> {
        loop {
            let th = self.cur;
            if th.ptr_eq(entry) && th.frames.len() <= depth {
                return Ok(());
            }
            if self.budget <= 0 {
                if self.interrupted() && self.kill_reason.is_none() {
                    self.kill_reason = Some("interrupted");
                }
                if self.heap.should_collect() && self.kill_reason.is_none() {
                    // Growth that is accounted but allocates no object (stacks and
                    // frames of a deep recursion) reaches no instruction's collection
                    // check: the driver looks at least once per budget.
                    let th = self.cur;
                    let limit = th.frames.last().map_or(0, |f| f.top).max(th.top);
                    if let Err(e) = self.collect_at_safe_point(limit) {
                        // A finalizer's error is raised here, as at an allocation.
                        self.throw(e, entry, depth)?;
                        continue;
                    }
                }
                if self.preemptible && self.c_depth == 1 && self.kill_reason.is_none() {
                    self.suspended = Some(crate::state::Suspend::Preempted);
                    return Ok(());
                }
                self.budget_exhausted(entry, depth)?;
            }
            if self.suspended.is_some() {
                return Ok(());
            }
            if let Some(req) = self.take_gc_request() {
                if let Err(e) = self.emergency_collection(*req) {
                    // A finalizer's error: raised where the native asked for memory.
                    self.throw(e, entry, depth)?;
                }
                continue;
            }
            let r = self.step();
            if let Err(e) = r {
                self.throw(e, entry, depth)?;
            }
        }
    }

    /// Executes the top frame of the running thread until it needs the driver again.
    fn step(&mut self) -> LResult<()> {
        let th = self.cur.get_mut();
        let Some(frame) = th.frames.last_mut() else {
            // A coroutine whose body returned: hand its results to the resumer.
            return self.finish_coroutine();
        };
        if frame.is_lua() {
            // The hooked loop only for a thread with hooks (`vm/hook.rs`).
            return if th.hook_on != 0 {
                self.execute::<true>()
            } else {
                self.execute::<false>()
            };
        }
        if frame.blocked {
            // A native that blocked the task runs again with the same arguments.
            frame.blocked = false;
            let FrameKind::Native(nc) = frame.kind else {
                unreachable!("blocked frames are native");
            };
            let args = Args {
                base: frame.base,
                len: th.top - frame.base,
            };
            let ret = self.call_native(nc, args);
            self.gc_retry = false;
            return self.native_ret(ret?, None);
        }
        // A native frame on top waits in a continuation: its callee has returned.
        let callee = frame.top;
        let mut cont = frame
            .cont
            .take()
            .expect("native frame on top without continuation");
        let n = th.top - callee;
        let ret = (cont.f)(self, Status::Ok { first: callee, n }, &mut cont);
        self.gc_retry = false;
        match ret {
            Err(_) if self.gc_request_pending() => {
                // The continuation asked for memory first (see `State::reserve`): it
                // runs again with the same results after the emergency collection.
                let th = self.cur.get_mut();
                th.top = callee + n;
                let frame = th.frames.last_mut().expect("continuation frame");
                frame.cont = Some(cont);
                Ok(())
            }
            Err(e) => Err(e),
            // (A native calling Lua in a loop, like sort's comparator: straight on.)
            Ok(Ret::Call {
                nargs,
                nresults,
                cont: next,
            }) => self.native_call(nargs, nresults, next, Some(cont)),
            Ok(ret) => self.native_ret(ret, Some(cont)),
        }
    }

    /// Calls native `nc` whose frame is on top with its arguments at `args`. A native
    /// that asked for memory that does not fit (`State::reserve`) is set to be called
    /// again, with the same arguments, after the driver's emergency collection.
    #[inline(always)]
    pub(crate) fn call_native(
        &mut self,
        nc: Gc<crate::value::NClosure>,
        args: Args,
    ) -> LResult<Ret> {
        match (nc.f)(self, args) {
            Err(e) => self.native_failed(e, args),
            ok => ok,
        }
    }

    #[cold]
    pub(crate) fn native_failed(&mut self, e: Value, args: Args) -> LResult<Ret> {
        if !self.gc_request_pending() {
            return Err(e);
        }
        // Natives reserve before any side effect, so the arguments are as they were.
        self.cur.get_mut().top = args.base + args.len;
        Ok(Ret::Block)
    }

    /// A native asked for `bytes` that do not fit under the heap limit: a full
    /// collection now (the driver is at a safe point: the native's frame holds only its
    /// arguments), then either the native's re-call (with `gc_retry` set, so that it
    /// cannot ask twice) or, if the bytes still do not fit, the heap limit error.
    fn emergency_collection(&mut self, req: crate::state::GcRequest) -> LResult<()> {
        let bytes = req.bytes;
        let top = self.cur.top;
        self.collect_at_safe_point(top)?;
        let limit = req.limit.or(self.max_heap);
        let max = limit.unwrap_or(usize::MAX);
        if self.heap.total_bytes().saturating_add(bytes) > max {
            self.kill_reason = Some("heap limit exceeded");
            self.budget = 0;
        } else {
            self.gc_retry = true;
        }
        Ok(())
    }

    /// Starts a call of the value at `func` with arguments up to the stack top.
    pub(crate) fn precall(
        &mut self,
        func: usize,
        nresults: i32,
        call: CallKind,
    ) -> LResult<PreCall> {
        let f = self.cur.stack[func];
        match f {
            Value::LFn(cl) => {
                self.push_lua_frame(cl, func, nresults, call)?;
                if self.cur.hook_on & MASK_CALL != 0 {
                    self.lua_call_hook(false)?;
                }
                Ok(PreCall::Lua)
            }
            Value::NFn(nc) => {
                let args = self.enter_native(nc, func, nresults, call)?;
                if self.cur.hook_on & MASK_CALL != 0 && self.native_call_hook()? {
                    // The native is called when its call hook returns.
                    return Ok(PreCall::Done);
                }
                match self.call_native(nc, args)? {
                    // (A `coroutine.wrap` function called by a generic `for`.)
                    Ret::Resume {
                        thread,
                        nargs,
                        cont,
                    } => self.do_resume(thread, nargs, cont)?,
                    ret => self.native_ret(ret, None)?,
                }
                Ok(PreCall::Done)
            }
            _ => {
                // __call: insert the metamethod below the arguments.
                let Some(tm) = self.tm_of_value(&f, TM::Call) else {
                    return Err(self.call_error(func, f));
                };
                self.check_stack(1)?;
                let th = self.cur.get_mut();
                let top = th.top;
                th.stack.copy_within(func..top, func + 1);
                th.stack[func] = tm;
                th.top += 1;
                self.precall(func, nresults, call)
            }
        }
    }

    /// A tail call of the Lua function at `func` (its frame replaces the caller's, which
    /// is already popped): as `precall`, with the callee marked as tail-called before
    /// its call hook ("tail call") sees it. (Out of line: inlined, it weighs on the
    /// interpreter loop's register allocation.)
    #[inline(never)]
    pub(crate) fn tail_precall(
        &mut self,
        func: usize,
        nresults: i32,
        call: CallKind,
        tail_calls: u32,
    ) -> LResult<()> {
        let Value::LFn(cl) = self.cur.stack[func] else {
            unreachable!("tail calls of Lua functions only")
        };
        self.push_lua_frame(cl, func, nresults, call)?;
        let th = self.cur.get_mut();
        th.frames.last_mut().expect("callee").tail_calls = tail_calls;
        if th.hook_on & MASK_CALL != 0 {
            self.lua_call_hook(true)?;
        }
        Ok(())
    }

    /// The error for a call one C level too deep (see `Frame::clevel`): PUC's
    /// `luaG_runerror(L, "C stack overflow")`, with the position of the calling Lua
    /// function when a metamethod is called from Lua, without one from a native.
    #[cold]
    pub(crate) fn c_stack_overflow(&mut self) -> Value {
        self.vm_error("C stack overflow")
    }

    /// Pushes the frame of a call of native `nc` at `func` (its arguments up to the
    /// top), makes sure of its free stack slots and charges the call; returns where its
    /// arguments are.
    #[inline(always)]
    pub(crate) fn enter_native(
        &mut self,
        nc: Gc<crate::value::NClosure>,
        func: usize,
        nresults: i32,
        call: CallKind,
    ) -> LResult<Args> {
        self.budget -= 1;
        let th = self.cur.get_mut();
        let nargs = th.top - func - 1;
        let clevel = th.next_clevel(call);
        if clevel >= crate::thread::MAX_C_LEVELS {
            return Err(self.c_stack_overflow());
        }
        crate::thread::push_frame(
            &mut th.frames,
            Frame::new(
                func,
                func + 1,
                0,
                nresults,
                FrameKind::Native(nc),
                call,
                clevel,
            ),
            &mut self.heap,
        );
        if th.stack.len() < th.top + crate::thread::NATIVE_RESERVE {
            self.check_stack(crate::thread::NATIVE_RESERVE)?;
        }
        Ok(Args {
            base: func + 1,
            len: nargs,
        })
    }

    /// (Inlined into its two callers, `precall` and `tail_precall`: out of line it
    /// costs a call on every Lua call that leaves the interpreter's fast path.)
    #[inline(always)]
    pub(crate) fn push_lua_frame(
        &mut self,
        cl: Gc<LClosure>,
        func: usize,
        nresults: i32,
        call: CallKind,
    ) -> LResult<()> {
        let p = &*cl.p;
        let nparams = p.num_params as usize;
        let maxstack = p.max_stack as usize;
        let th = self.cur.get_mut();
        let clevel = th.next_clevel(call);
        if clevel >= crate::thread::MAX_C_LEVELS {
            return Err(self.c_stack_overflow());
        }
        let th = self.cur.get_mut();
        let nargs = th.top - func - 1;
        let base = if p.is_vararg { th.top } else { func + 1 };
        let need = base + maxstack + EXTRA_STACK;
        if need > th.stack.len() {
            match th.ensure(need) {
                Ok(b) => self.heap.account(b),
                Err(_) => {
                    return Err(self.stack_overflow_error());
                }
            }
        }
        let th = self.cur.get_mut();
        debug_assert!(func < th.top, "the called function is on the stack");
        debug_assert!(
            th.stack.len() >= need,
            "the frame's registers fit in the stack"
        );
        if p.is_vararg {
            // Move the fixed parameters above the varargs (5.2 layout).
            for i in 0..nparams {
                if i < nargs {
                    th.stack[base + i] = th.stack[func + 1 + i];
                    th.stack[func + 1 + i] = Value::Nil;
                } else {
                    th.stack[base + i] = Value::Nil;
                }
            }
        } else {
            for i in nargs..nparams {
                th.stack[func + 1 + i] = Value::Nil;
            }
        }
        // Registers above the parameters are not cleared: the compiler writes every
        // register before reading it, and the GC keeps stale slots harmless (after each
        // collection every slot is nil or points to a live object).
        crate::thread::push_frame(
            &mut th.frames,
            Frame::new(
                func,
                base,
                base + maxstack,
                nresults,
                FrameKind::Lua(cl),
                call,
                clevel,
            ),
            &mut self.heap,
        );
        th.top = base + maxstack;
        self.budget -= 1;
        Ok(())
    }

    /// Acts on what a native returned. `cont` is the continuation object that just ran,
    /// reusable for another call without reallocating.
    /// (Every case but `Values` is out of line: the function stays small, and the
    /// coroutine switches that come through it pay for no saved registers of the others.)
    pub(crate) fn native_ret(&mut self, ret: Ret, old: Option<Box<Cont>>) -> LResult<()> {
        match ret {
            Ret::Values(n) => {
                let top = self.cur.top;
                self.post_call(top - n, n)
            }
            Ret::Call {
                nargs,
                nresults,
                cont,
            } => self.native_call(nargs, nresults, cont, old),
            Ret::TailCall { nargs } => self.native_tail_call(nargs),
            Ret::Yield(n) => self.do_yield(n),
            Ret::Block => self.native_block(),
            Ret::Resume {
                thread,
                nargs,
                cont,
            } => self.do_resume(thread, nargs, cont),
        }
    }

    /// `Ret::Call`: the native's frame waits in `cont` for the call of the function at
    /// `top - nargs - 1`.
    #[inline(never)]
    fn native_call(
        &mut self,
        nargs: usize,
        nresults: i32,
        cont: Cont,
        old: Option<Box<Cont>>,
    ) -> LResult<()> {
        let th = self.cur.get_mut();
        let func = th.top - nargs - 1;
        let frame = th.frames.last_mut().expect("native frame");
        frame.top = func;
        // Reuse the box of the continuation that just ran (a native calling Lua in a
        // loop, like sort's comparator, then allocates nothing per call).
        frame.cont = Some(match old {
            Some(mut b) => {
                *b = cont;
                b
            }
            None => Box::new(cont),
        });
        match self.precall(func, nresults, CallKind::Normal)? {
            PreCall::Lua | PreCall::Done => Ok(()),
        }
    }

    /// `Ret::TailCall`: the call of the function at `top - nargs - 1` replaces the
    /// native's frame.
    #[inline(never)]
    fn native_tail_call(&mut self, nargs: usize) -> LResult<()> {
        let th = self.cur.get_mut();
        let src = th.top - nargs - 1;
        let frame = th.frames.pop().expect("native frame");
        let dst = frame.func;
        th.stack.copy_within(src..th.top, dst);
        th.top = dst + nargs + 1;
        match self.precall(dst, frame.nresults, frame.call)? {
            PreCall::Lua | PreCall::Done => Ok(()),
        }
    }

    /// `Ret::Block`.
    #[inline(never)]
    fn native_block(&mut self) -> LResult<()> {
        if self.gc_request_pending() {
            // Not a real block: the native is called again after the emergency
            // collection the driver runs next (see `call_native`).
            let th = self.cur.get_mut();
            th.frames.last_mut().expect("native frame").blocked = true;
            return Ok(());
        }
        if !self.preemptible || self.c_depth != 1 {
            return Err(self.vm_error("attempt to block outside a resumable task"));
        }
        let th = self.cur.get_mut();
        th.frames.last_mut().expect("blocking frame").blocked = true;
        self.suspended = Some(crate::state::Suspend::Blocked);
        Ok(())
    }

    /// Pops the top frame and moves its `n` results (at `first`) to the function slot,
    /// adjusted to the number the caller wants. Finishes the caller's instruction for
    /// metamethod calls. With return hooks, the frame returns when its hook returns.
    /// (Inlined: the test at its callers, the body out of line as before hooks.)
    #[inline(always)]
    pub(crate) fn post_call(&mut self, first: usize, n: usize) -> LResult<()> {
        if self.cur.hook_on & (MASK_RET | MASK_LINE | HOOK_RUNNING) != 0 {
            return self.post_call_hooked(first, n);
        }
        self.post_call_plain(first, n);
        Ok(())
    }

    /// `post_call` without hooks (a hook frame's return takes `post_call_hooked`).
    pub(crate) fn post_call_plain(&mut self, first: usize, n: usize) {
        let th = self.cur.get_mut();
        let frame = th.frames.last().expect("frame to return from");
        let (res, wanted, call, base) = (frame.func, frame.nresults, frame.call, frame.base);
        debug_assert!(
            res < base && base <= first && first + n <= th.stack.len(),
            "results lie in the returning frame, above its function slot"
        );
        let close = match frame.kind {
            FrameKind::Lua(cl) => cl.p.has_children && !th.open_upvals.is_empty(),
            FrameKind::Native(_) => false,
        };
        // Frames hold no destructor-worthy data on this path but the (rare) boxed
        // continuation, which pop drops.
        crate::thread::pop_frame(&mut th.frames);
        if close {
            self.close_upvals(base);
        }
        place_results(self.cur.get_mut(), res, first, n, wanted);
        if call == CallKind::Meta {
            self.finish_op();
        }
    }

    /// Closes all open upvalues of the running thread at stack index `level` or above.
    pub(crate) fn close_upvals(&mut self, level: usize) {
        let th = self.cur.get_mut();
        debug_assert!(
            open_upvals_sorted(&th.open_upvals),
            "open upvalues are sorted by stack slot, one per slot"
        );
        // Slots are compared by address (`UpState::Open` holds the slot's address);
        // `wrapping_add` because `level` may be the stack's length.
        let level = th.stack.as_mut_ptr().wrapping_add(level);
        while let Some(&uv) = th.open_upvals.last() {
            if let Some(slot) = uv.open_slot() {
                if slot < level {
                    break;
                }
                let v = uv.get();
                uv.get_mut().state = UpState::Closed(v);
            }
            th.open_upvals.pop();
        }
    }

    /// The open upvalue for stack slot `index` of the running thread (made if needed).
    pub(crate) fn find_upval(&mut self, index: usize) -> Gc<UpVal> {
        let cur = self.cur;
        let th = cur.get_mut();
        assert!(
            index < th.stack.len(),
            "an upvalue's variable is on the stack"
        );
        // SAFETY: just asserted; the slot stays valid as `UpState::Open` says.
        let slot = unsafe { th.stack.as_mut_ptr().add(index) };
        // open_upvals is sorted by slot; search from the top (most recent locals).
        let mut pos = th.open_upvals.len();
        while pos > 0 {
            let uv = th.open_upvals[pos - 1];
            if let Some(s) = uv.open_slot() {
                if s == slot {
                    return uv;
                }
                if s < slot {
                    break;
                }
            }
            pos -= 1;
        }
        let uv = self.heap.new_upval(UpVal {
            state: UpState::Open { thread: cur, slot },
        });
        cur.get_mut().open_upvals.insert(pos, uv);
        debug_assert!(
            open_upvals_sorted(&cur.get_mut().open_upvals),
            "open upvalues are sorted by stack slot, one per slot"
        );
        uv
    }

    /// The heap instance of a child prototype (constants materialised once).
    pub(crate) fn child_proto(&mut self, parent: Gc<FnProto>, i: usize) -> Gc<FnProto> {
        if let Some(p) = parent.children[i] {
            return p;
        }
        let proto = parent.proto.protos[i].clone();
        let inst = self.instantiate(proto);
        parent.get_mut().children[i] = Some(inst);
        inst
    }

    /// Makes the heap instance of a prototype: constants as values of this heap.
    pub(crate) fn instantiate(
        &mut self,
        proto: std::sync::Arc<crate::proto::Proto>,
    ) -> Gc<FnProto> {
        use crate::proto::Constant;
        let k: Vec<Value> = proto
            .constants
            .iter()
            .map(|c| match c {
                Constant::Nil => Value::Nil,
                Constant::Bool(b) => Value::Bool(*b),
                Constant::Number(n) => Value::Num(*n),
                Constant::Str(s) => Value::Str(self.heap.intern(s)),
            })
            .collect();
        self.heap
            .new_proto(FnProto::new(proto, k.into_boxed_slice()))
    }

    /// The reduction budget ran out. With a reduction limit set, the running code is
    /// abandoned down to the entry point, past every pcall (like an Erlang `kill`), and
    /// the entry point returns the error; without one, the budget is refilled.
    /// (Its only caller, `run_until`, has already turned a set interrupt flag into
    /// `kill_reason`.)
    fn budget_exhausted(&mut self, entry: Gc<Thread>, depth: usize) -> LResult<()> {
        if !self.reduction_limit_enabled && self.kill_reason.is_none() {
            if self.reduction_reserve().is_some() {
                // Where it cannot be preempted, the code runs on its reserve, in draws
                // small enough to look at the interrupt flag between them.
                if self.draw_from_reserve(INTERRUPT_CHECK_EVERY as u64) {
                    return Ok(());
                }
            } else {
                // With an interrupt flag installed, come back often enough to look at it.
                self.budget = if self.interrupt.is_some() {
                    INTERRUPT_CHECK_EVERY
                } else {
                    i64::MAX / 2
                };
                return Ok(());
            }
        }
        // Leave every coroutine resumed since the entry point, killing it.
        while !self.cur.ptr_eq(entry) {
            let co = self.cur;
            self.close_upvals(0);
            co.get_mut().status = CoStatus::Dead;
            match self.resumers.pop() {
                Some(r) => {
                    r.get_mut().status = CoStatus::Running;
                    self.cur = r;
                }
                None => break,
            }
        }
        let th = self.cur;
        let level = th.frames.get(depth).map(|f| f.func).unwrap_or(th.top);
        self.close_upvals(level);
        let thm = self.cur.get_mut();
        thm.frames.truncate(depth);
        thm.top = level;
        thm.forget_unwound_hook();
        let reason = self.kill_reason.unwrap_or("reduction limit exceeded");
        // Inside a nested call (a finalizer, a native's callback) the reason stays set
        // while the error goes out through the native that made the call, so that no
        // handler on the way (a pcall, `run_finalizers`' "error in __gc" wrapper) takes
        // it for an ordinary error; the outermost entry point clears it for the host.
        self.kill_reason = (self.c_depth > 1).then_some(reason);
        Err(self.new_str(reason.as_bytes()))
    }

    // ----- errors -----

    /// Unwinds after error `e`: to the nearest protected continuation of the running
    /// thread, or out of a coroutine into its resumer, or (returning `Err`) out of the
    /// entry point.
    pub(crate) fn throw(&mut self, mut e: Value, entry: Gc<Thread>, depth: usize) -> LResult<()> {
        if self.take_gc_request().is_some() {
            // A reservation that no driver path could turn into a collection and a
            // re-call: it ends the code as the limit does (never a false success).
            e = self.heap_limit_error();
        }
        loop {
            let th = self.cur;
            let lo = if th.ptr_eq(entry) { depth } else { 0 };
            let found = (lo..th.frames.len()).rev().find(|&i| {
                let f = &th.frames[i];
                f.cont.as_ref().is_some_and(|c| c.protected)
            });
            if let Some(i) = found {
                // xpcall: run the message handler on top of the failing frames first.
                let handler = th.frames[i].cont.as_ref().and_then(|c| c.handler);
                if let Some(h) = handler {
                    match self.run_handler(h, e, i) {
                        Ok(v) => e = v,
                        Err(v) => e = v,
                    }
                }
                let thm = self.cur.get_mut();
                let callee = thm.frames[i].top;
                self.close_upvals(callee);
                let thm = self.cur.get_mut();
                thm.frames.truncate(i + 1);
                thm.top = callee;
                thm.forget_unwound_hook();
                // Give back the reserve a message handler may have used, so the next
                // overflow is detected at the normal limit again (PUC shrinks too).
                if thm.stack.len() > crate::thread::MAX_STACK {
                    thm.stack.truncate(crate::thread::MAX_STACK);
                }
                match self.error_to_top_continuation(e) {
                    Ok(()) => return Ok(()),
                    Err(e2) => {
                        e = e2;
                        continue;
                    }
                }
            }
            if !th.ptr_eq(entry) && !self.resumers.is_empty() {
                // The coroutine dies; its resumer's continuation gets the error. Its
                // frames and stack stay, as in PUC, so debug.traceback can show where it
                // died (the stack keeps the frames' functions alive).
                self.close_upvals(0);
                let thm = self.cur.get_mut();
                thm.status = CoStatus::Dead;
                let resumer = self.resumers.pop().expect("resumer");
                resumer.get_mut().status = CoStatus::Running;
                self.cur = resumer;
                match self.error_to_top_continuation(e) {
                    Ok(()) => return Ok(()),
                    Err(e2) => {
                        e = e2;
                        continue;
                    }
                }
            }
            // Uncaught at this entry point.
            if self.traceback_on_error && !self.has_last_traceback() {
                self.cold_mut().last_traceback = Some(self.traceback_string(0));
            }
            let level = th.frames.get(depth).map(|f| f.func).unwrap_or(th.top);
            self.close_upvals(level);
            let thm = self.cur.get_mut();
            thm.frames.truncate(depth);
            thm.top = level;
            thm.forget_unwound_hook();
            return Err(e);
        }
    }

    /// Hands error `e` to the continuation waiting in the running thread's top frame (a
    /// protected call, or the resume that started a coroutine that died).
    fn error_to_top_continuation(&mut self, e: Value) -> LResult<()> {
        let frame = self
            .cur
            .get_mut()
            .frames
            .last_mut()
            .expect("frame with a continuation");
        let mut cont = frame.cont.take().expect("continuation");
        let ret = (cont.f)(self, Status::Err(e), &mut cont)?;
        self.native_ret(ret, None)
    }

    /// Calls an xpcall message handler with the error value, at the error point (the
    /// frames above the protected one are still there, so it can see the traceback).
    fn run_handler(&mut self, h: usize, e: Value, protected: usize) -> LResult<Value> {
        let th = self.cur.get_mut();
        let saved_limit = th.limit;
        th.limit = crate::thread::MAX_STACK + crate::thread::ERROR_STACK_EXTRA;
        let r = self.run_handler_inner(h, e, protected);
        self.cur.get_mut().limit = saved_limit;
        r
    }

    fn run_handler_inner(&mut self, h: usize, e: Value, _protected: usize) -> LResult<Value> {
        let mut e = e;
        for _ in 0..MAX_HANDLER_DEPTH {
            let hf = self.cur.stack[h];
            let th = self.cur.get_mut();
            let top = th.live_top();
            th.top = top;
            self.check_stack(2 + EXTRA_STACK)?;
            self.push(hf);
            self.push(e);
            let saved = self.traceback_on_error;
            self.traceback_on_error = false;
            let r = self.call_at(top, 1);
            self.traceback_on_error = saved;
            match r {
                Ok(_) => {
                    let v = self.cur.stack[top];
                    self.cur.get_mut().top = top;
                    return Ok(v);
                }
                Err(e2) => {
                    self.cur.get_mut().top = top;
                    e = e2;
                }
            }
        }
        Ok(self.new_str(b"error in error handling"))
    }

    // ----- coroutines -----

    #[inline(never)]
    fn do_yield(&mut self, n: usize) -> LResult<()> {
        let co = self.cur;
        if self.resumers.is_empty() || co.ptr_eq(self.main_thread) {
            return Err(self.vm_error("attempt to yield from outside a coroutine"));
        }
        // (A hook is called as `lua_call` from a C hook in PUC: no yield across it.)
        if co.c_depth != self.c_depth || co.hook_on & HOOK_RUNNING != 0 {
            return Err(self.vm_error("attempt to yield across a C-call boundary"));
        }
        let cth = co.get_mut();
        debug_assert!(
            cth.status == CoStatus::Running,
            "only a running coroutine yields"
        );
        debug_assert!(n <= cth.top, "yielded values are on the stack");
        let first = cth.top - n;
        let frame = cth.frames.last_mut().expect("yield frame");
        debug_assert!(
            !frame.is_lua() && frame.cont.is_none(),
            "a yield leaves a native frame without continuation"
        );
        frame.yielded = true;
        frame.top = first;
        cth.status = CoStatus::Suspended;
        let resumer = self.resumers.pop().expect("resumer");
        if let Some(b) = self.return_to_resumer(co, resumer, first, n) {
            // Keep the continuation's box for the next resume (see `do_resume`).
            let frame = co.get_mut().frames.last_mut().expect("yield frame");
            if let Some(old) = frame.cont.replace(b) {
                drop_unexpected(old);
            }
            return Ok(());
        }
        self.hand_back(co, resumer, first, n)
    }

    /// The direct way back from a coroutine (a yield or the end of its body) into the
    /// resumer that waits in `coroutine.wrap`'s function or in `coroutine.resume`: the
    /// `n` values at `first` of `co`'s stack are placed as the resume's results, as a
    /// Lua RETURN places its results (what `wrap_k` or `pcall_k` and `post_call` would do
    /// after `hand_back`'s `transfer`, without the copy in between). Returns the box of
    /// the resume's continuation, or `None` (nothing done) where the general path is
    /// needed: hooks on the resumer, a resume called as a metamethod, results that do
    /// not fit (the general path reports those errors).
    #[inline(always)]
    fn return_to_resumer(
        &mut self,
        co: Gc<Thread>,
        resumer: Gc<Thread>,
        first: usize,
        n: usize,
    ) -> Option<Box<Cont>> {
        debug_assert!(!co.ptr_eq(resumer), "a coroutine never resumes itself");
        let rt = resumer.get_mut();
        if rt.hook_on != 0 || rt.top + n + EXTRA_STACK >= crate::thread::MAX_STACK {
            return None;
        }
        let frame = rt.frames.last().expect("resume frame");
        let tag = match &frame.cont {
            Some(c) if frame.call == CallKind::Normal => c.ctx,
            _ => return None,
        };
        let lead = match tag {
            crate::stdlib::coroutine::WRAP_CTX => None,
            crate::stdlib::coroutine::RESUME_CTX => Some(Value::Bool(true)),
            _ => return None,
        };
        let (res, wanted) = (frame.func, frame.nresults);
        let m = n + lead.is_some() as usize;
        match rt.ensure(res + m + EXTRA_STACK) {
            Ok(b) => self.heap.account(b),
            Err(_) => return None,
        }
        let rt = resumer.get_mut();
        let mut frame = rt.frames.pop().expect("resume frame");
        debug_assert!(
            !frame.is_lua() && frame.top > res,
            "the resume frame is a native's, its arguments gone"
        );
        let b = frame.cont.take();
        place_moved(rt, res, lead, &co.stack[first..first + n], wanted);
        rt.status = CoStatus::Running;
        co.get_mut().top = first;
        self.cur = resumer;
        b
    }

    /// Moves `n` values from `co` to `resumer`, makes the resumer run and calls its
    /// resume continuation; values that do not fit give "too many results to resume".
    #[cold]
    #[inline(never)]
    fn hand_back(
        &mut self,
        co: Gc<Thread>,
        resumer: Gc<Thread>,
        first: usize,
        n: usize,
    ) -> LResult<()> {
        let fits = resumer.top + n + EXTRA_STACK < crate::thread::MAX_STACK;
        if fits {
            self.transfer(co, resumer, first, n)?;
        } else {
            co.get_mut().top = first;
        }
        resumer.get_mut().status = CoStatus::Running;
        self.cur = resumer;
        if fits {
            return self.resume_cont(n);
        }
        let e = self.new_str(b"too many results to resume");
        let rt = self.cur.get_mut();
        let frame = rt.frames.last_mut().expect("resume frame");
        let mut cont = frame.cont.take().expect("resume continuation");
        let ret = (cont.f)(self, Status::Err(e), &mut cont)?;
        self.native_ret(ret, None)
    }

    /// Runs the resumer's continuation with the `n` values just transferred to its top.
    fn resume_cont(&mut self, n: usize) -> LResult<()> {
        let rt = self.cur.get_mut();
        let first = rt.top - n;
        let frame = rt.frames.last_mut().expect("resume frame");
        let mut cont = frame.cont.take().expect("resume continuation");
        let ret = (cont.f)(self, Status::Ok { first, n }, &mut cont)?;
        self.native_ret(ret, None)
    }

    /// Copies `n` values from `from`'s stack at `first` to the top of `to`'s stack.
    fn transfer(
        &mut self,
        from: Gc<Thread>,
        to: Gc<Thread>,
        first: usize,
        n: usize,
    ) -> LResult<()> {
        let tt = to.get_mut();
        let need = tt.top + n + EXTRA_STACK;
        match tt.ensure(need) {
            Ok(b) => self.heap.account(b),
            Err(_) => return Err(self.stack_overflow_error()),
        }
        for i in 0..n {
            let v = from.stack[first + i];
            let tt = to.get_mut();
            let t = tt.top;
            tt.stack[t] = v;
            tt.top += 1;
        }
        from.get_mut().top = first;
        Ok(())
    }

    #[inline(never)]
    fn do_resume(&mut self, co: Gc<Thread>, nargs: usize, cont: Cont) -> LResult<()> {
        let me = self.cur;
        debug_assert!(!co.ptr_eq(me), "a coroutine never resumes itself");
        // The common case first, with nothing else inlined here: a coroutine suspended
        // in a yield that kept the box of its last resume's continuation.
        let level = me.frames.last().map_or(me.base_clevel, |f| f.clevel) + 1;
        if level < crate::thread::MAX_C_LEVELS {
            let kept = match co.get_mut().frames.last_mut() {
                Some(f) if f.yielded => f.cont.take(),
                _ => None,
            };
            if let Some(mut b) = kept {
                let first = me.top - nargs;
                if self.enter_yielded(me, co, first, nargs) {
                    *b = cont;
                    let frame = me.get_mut().frames.last_mut().expect("resume frame");
                    frame.top = first;
                    // (Not an assignment: that calls the old value's drop.)
                    if let Some(old) = frame.cont.replace(b) {
                        drop_unexpected(old);
                    }
                    return Ok(());
                }
                co.get_mut().frames.last_mut().expect("yield frame").cont = Some(b);
            }
        }
        self.resume_general(co, nargs, cont)
    }

    /// `do_resume`'s general path: a first resume, a coroutine with hooks, a resume
    /// too deep.
    #[inline(never)]
    fn resume_general(&mut self, co: Gc<Thread>, nargs: usize, cont: Cont) -> LResult<()> {
        let me = self.cur;
        // A resume is a C level, and the coroutine runs above its resumer's levels
        // (PUC: `L->nCcalls = from->nCcalls + 1`); too deep a nest of resumes fails as
        // in PUC: the resume returns false, "C stack overflow".
        let level = me.frames.last().map_or(me.base_clevel, |f| f.clevel) + 1;
        if level >= crate::thread::MAX_C_LEVELS {
            me.get_mut().top -= nargs;
            let e = self.new_str(b"C stack overflow");
            let mut cont = cont;
            let ret = (cont.f)(self, Status::Err(e), &mut cont)?;
            return self.native_ret(ret, None);
        }
        let cth = co.get_mut();
        if cth.frames.is_empty() {
            cth.base_clevel = level;
        }
        // The continuation goes into the box the coroutine's last yield kept (see
        // `do_yield`): a resume allocates only on a coroutine's first resume.
        let boxed = match cth.frames.last_mut() {
            Some(f) if f.yielded => f.cont.take(),
            _ => None,
        };
        let boxed = match boxed {
            Some(mut b) => {
                *b = cont;
                b
            }
            None => Box::new(cont),
        };
        let frame = me.get_mut().frames.last_mut().expect("resume frame");
        frame.cont = Some(boxed);
        let first = me.top - nargs;
        frame.top = first;
        if self.enter_yielded(me, co, first, nargs) {
            return Ok(());
        }
        self.transfer(me, co, first, nargs)?;
        me.get_mut().status = CoStatus::Normal;
        self.resumers.push(me);
        self.cur = co;
        let cth = co.get_mut();
        cth.status = CoStatus::Running;
        cth.c_depth = self.c_depth;
        if cth.frames.is_empty() {
            // First resume: the body function is at slot 0, the arguments above it.
            match self.precall(0, -1, CallKind::Normal) {
                Ok(_) => Ok(()),
                Err(e) => Err(e),
            }
        } else {
            // Resumed from a yield: the resume arguments are the yield's results.
            let cth = co.get_mut();
            let first = cth.top - nargs;
            self.post_call(first, nargs)
        }
    }

    /// The direct way into a coroutine suspended in a yield: the `nargs` resume
    /// arguments at `first` of the resumer's stack become the results of the yield's
    /// call, placed as a Lua RETURN places results (what `transfer` and `post_call`
    /// would do, without the copy in between), and the coroutine runs. Returns false
    /// (nothing done) where the general path is needed: a coroutine not in a yield or
    /// with hooks, a yield called as a metamethod, a stack that cannot grow.
    #[inline(always)]
    fn enter_yielded(
        &mut self,
        me: Gc<Thread>,
        co: Gc<Thread>,
        first: usize,
        nargs: usize,
    ) -> bool {
        let cth = co.get_mut();
        if cth.hook_on != 0 {
            return false;
        }
        let Some(frame) = cth.frames.last() else {
            return false;
        };
        if !frame.yielded || frame.call != CallKind::Normal {
            return false;
        }
        let (res, wanted) = (frame.func, frame.nresults);
        match cth.ensure(res + nargs + EXTRA_STACK) {
            Ok(b) => self.heap.account(b),
            Err(_) => return false,
        }
        let cth = co.get_mut();
        debug_assert!(
            cth.frames.len() >= 2 && cth.frames[cth.frames.len() - 2].is_lua(),
            "a yield called by Lua code"
        );
        debug_assert!(
            wanted < 0 || res + wanted as usize <= cth.stack.len(),
            "the yield's caller has room for the results it wants"
        );
        crate::thread::pop_frame(&mut cth.frames);
        place_moved(cth, res, None, &me.stack[first..first + nargs], wanted);
        cth.status = CoStatus::Running;
        cth.c_depth = self.c_depth;
        let mt = me.get_mut();
        mt.top = first;
        mt.status = CoStatus::Normal;
        self.resumers.push(me);
        self.cur = co;
        true
    }

    /// The running coroutine's body returned: its results go to the resumer.
    fn finish_coroutine(&mut self) -> LResult<()> {
        let co = self.cur;
        let cth = co.get_mut();
        cth.status = CoStatus::Dead;
        let n = cth.top;
        let resumer = self
            .resumers
            .pop()
            .expect("resumer of a finished coroutine");
        if self.return_to_resumer(co, resumer, 0, n).is_some() {
            return Ok(());
        }
        self.hand_back(co, resumer, 0, n)
    }

    /// Creates a coroutine running `f`. It inherits the running thread's hook mask and
    /// count, as `lua_newthread` does in 5.2; the hook function itself is per thread
    /// (PUC's ldblib keeps it in `_HKEY[thread]`, where the new thread has none), so
    /// none is called in it until `debug.sethook` gives it one.
    pub(crate) fn new_coroutine(&mut self, f: Value) -> Gc<Thread> {
        let mut t = Thread::new();
        let (mask, count) = (self.cur.hooks().mask, self.cur.hooks().base_count);
        if mask != 0 || count != 0 {
            let h = t.hooks_mut();
            h.mask = mask;
            h.base_count = count;
            h.count = count;
        }
        // A coroutine's stack starts with room for a first call, in one allocation (a
        // host push alone leaves just `EXTRA_STACK` slots: see `Thread::push`).
        let _ = t.ensure(1 + crate::thread::MIN_STACK);
        t.push(f);
        self.heap.new_thread(t)
    }

    /// Runs all pending finalizers (`__gc`), e.g. after a collection. As in PUC-Rio 5.2,
    /// the first one that fails ends the run with "error in __gc metamethod (MSG)"
    /// ("no message" for a non-string error), raised where the collection happened;
    /// the others stay queued for the next run.
    pub(crate) fn run_finalizers(&mut self) -> LResult<()> {
        while let Some(obj) = self.heap.next_to_finalize() {
            if let Some(gc) = self.tm_of_value(&obj, TM::Gc) {
                if gc.is_function() {
                    let func = self.cur.get_mut().live_top();
                    self.cur.get_mut().top = func;
                    self.check_stack(2 + EXTRA_STACK)?;
                    self.push(gc);
                    self.push(obj);
                    // No hooks inside a finalizer (PUC's GCTM clears `allowhook`); a
                    // thread without hooks keeps its unhooked loop.
                    let th = self.cur.get_mut();
                    let suspend = th.hook_on != 0 && th.hook_run().is_none();
                    if suspend {
                        th.set_hook_run(Some(crate::vm::hook::HookRun::SUSPENDED));
                    }
                    let r = self.call_at(func, 0);
                    if suspend {
                        self.cur.get_mut().set_hook_run(None);
                    }
                    if let Err(e) = r {
                        self.cur.get_mut().top = func;
                        if self.kill_reason.is_some() {
                            // A limit or an interrupt ended the finalizer: it ends the
                            // code that ran it too, with its own message.
                            return Err(e);
                        }
                        let msg = match e {
                            Value::Str(s) => s.to_str_lossy().into_owned(),
                            _ => "no message".to_string(),
                        };
                        let m = format!("error in __gc metamethod ({msg})");
                        return Err(self.new_str(m.as_bytes()));
                    }
                    self.cur.get_mut().top = func;
                }
            }
        }
        Ok(())
    }

    /// A full collection now, with the state's roots. Its work (in proportion to the
    /// objects it visits) is charged to the budget, so a program cannot make the
    /// collector work for free (`collectgarbage()` in a loop, a heap kept at its limit).
    pub fn full_gc(&mut self) {
        let objects = self.heap.object_count() as i64;
        self.budget = self
            .budget
            .saturating_sub(1 + objects / GC_OBJECTS_PER_REDUCTION);
        let roots = self.gc_roots();
        self.heap.collect(&mut |h| {
            for v in &roots {
                h.mark_value(*v);
            }
        });
        let external = self.external_bytes();
        if external > 0 {
            self.heap.pace_external_live(external);
        }
    }

    fn gc_roots(&self) -> Vec<Value> {
        let mut roots = vec![
            Value::Table(self.globals),
            Value::Table(self.registry),
            Value::Thread(self.main_thread),
            Value::Thread(self.cur),
        ];
        for t in &self.resumers {
            roots.push(Value::Thread(*t));
        }
        for m in self.type_meta.0.iter().flatten() {
            roots.push(Value::Table(*m));
        }
        for s in self.tm_names.iter() {
            roots.push(Value::Str(*s));
        }
        roots.push(Value::Str(self.names.loaded));
        roots.push(Value::Str(self.names.n));
        roots.extend(self.pinned().iter().copied());
        roots.push(self.host_root);
        if let Some(p) = self.private_copies() {
            roots.extend(p.values());
        }
        roots
    }

    /// A collection at a VM safe point, then the finalizers it queued.
    /// `limit` is one past the last live slot of the running thread (PUC's "limit of
    /// live values"); the top is restored to the running Lua frame's top afterwards.
    pub(crate) fn collect_at_safe_point(&mut self, limit: usize) -> LResult<()> {
        let th = self.cur.get_mut();
        let saved = th.top;
        th.top = limit;
        self.full_gc();
        self.cur.get_mut().top = saved;
        if self.heap.has_pending_finalizers() {
            self.run_finalizers()?;
        }
        self.check_heap_limit();
        Ok(())
    }

    /// Enforces `max_heap`: a heap still over the limit after a collection ends the
    /// running code with the uncatchable "heap limit exceeded" at the next check.
    pub(crate) fn check_heap_limit(&mut self) {
        if let Some(max) = self.max_heap {
            if self.heap.total_bytes() > max {
                self.kill_reason = Some("heap limit exceeded");
                self.budget = 0;
            } else {
                // Collect again before the limit is crossed, not only at the pause.
                self.heap.threshold = self.heap.threshold.min(max);
            }
        }
    }

    /// Makes the running thread's stack at least `need` slots long.
    pub(crate) fn check_stack_at(&mut self, need: usize) -> LResult<()> {
        match self.cur.get_mut().ensure(need) {
            Ok(b) => {
                self.heap.account(b);
                Ok(())
            }
            Err(_) => Err(self.stack_overflow_error()),
        }
    }

    /// The current native frame's upvalue `i` (0-based).
    pub(crate) fn upvalue(&self, i: usize) -> Value {
        match self.cur.frames.last().map(|f| &f.kind) {
            Some(FrameKind::Native(nc)) => nc.upvals.get(i).copied().unwrap_or(Value::Nil),
            _ => Value::Nil,
        }
    }
}

impl State {
    /// Prepares `f(args)` as the state's task, run by [`State::resume`] in slices
    /// (DESIGN.md decisions 1 and 2: execution is `resume(budget)`).
    #[cfg(test)]
    pub(crate) fn start(&mut self, f: Value, args: &[Value]) -> LResult<()> {
        if self.task_func.is_some() {
            return Err(self.new_str(b"a task is already running"));
        }
        let func = self.cur.top;
        self.check_stack(args.len() + 1 + EXTRA_STACK)?;
        self.push(f);
        for &a in args {
            self.push(a);
        }
        self.begin_task(func);
        Ok(())
    }

    /// Whether a task was started and has not ended.
    pub(crate) fn task_running(&self) -> bool {
        self.task_func.is_some()
    }

    /// Makes the function at stack slot `func`, with the values above it, the task.
    pub(crate) fn begin_task(&mut self, func: usize) {
        self.task_func = Some(u32::try_from(func).expect("a stack index fits in u32"));
        self.task_started = false;
    }

    /// Runs the task for about `budget` reductions. Returns when it finishes, fails,
    /// blocks or uses up the budget; in the last two cases call `resume` again later.
    /// A finished task leaves its results on the stack top, a failed one its error
    /// value (see [`crate::state::Outcome`]).
    pub fn resume(&mut self, budget: i64) -> crate::state::Outcome {
        use crate::state::Outcome;
        let Some(func) = self.task_func.map(|f| f as usize) else {
            self.push_str(b"no task to resume");
            return Outcome::Error;
        };
        self.budget = budget;
        self.suspended = None;
        self.preemptible = true;
        self.c_depth += 1;
        let entry = self.main_thread;
        let interrupt = self
            .cold
            .as_mut()
            .is_some_and(|c| std::mem::take(&mut c.interrupt_pending));
        let r = if !self.task_started {
            self.task_started = true;
            match self.precall(func, -1, CallKind::Boundary) {
                Ok(_) => self.run_until(entry, 0),
                Err(e) => self.throw(e, entry, 0),
            }
        } else if interrupt {
            let e = self.interrupted_error();
            match self.throw(e, entry, 0) {
                Ok(()) => self.run_until(entry, 0),
                Err(e) => Err(e),
            }
        } else {
            self.run_until(entry, 0)
        };
        self.c_depth -= 1;
        self.preemptible = false;
        match r {
            Err(e) => {
                self.task_func = None;
                self.cur.get_mut().top = func;
                self.push(e);
                Outcome::Error
            }
            Ok(()) => match self.suspended.take() {
                Some(crate::state::Suspend::Preempted) => Outcome::Preempted,
                Some(crate::state::Suspend::Blocked) => Outcome::Blocked,
                None => {
                    self.task_func = None;
                    Outcome::Finished(self.cur.top - func)
                }
            },
        }
    }

    /// Makes the next [`State::resume`] raise the error "interrupted!" where the task
    /// stands, as `lua`'s Ctrl-C does (`laction`): an ordinary error, which `pcall`
    /// catches, positioned at the running Lua function (or at the caller of a native
    /// the task was blocked in). The host calls it between slices; a task blocked in a
    /// native is unwound out of it, so the host forgets what that native waited for.
    pub fn interrupt_next_resume(&mut self) {
        if self.task_started && self.task_func.is_some() {
            self.cold_mut().interrupt_pending = true;
        }
    }

    /// The value of an interrupt: `where: interrupted!`, `where` being the topmost Lua
    /// function's position.
    fn interrupted_error(&mut self) -> Value {
        let top_is_lua = self.cur.frames.last().is_some_and(|f| f.is_lua());
        let place = self.where_(if top_is_lua { 0 } else { 1 });
        self.new_str(format!("{place}interrupted!").as_bytes())
    }

    /// Closes the state as `lua_close` does: runs every pending finalizer, then
    /// flushes standard output. As in PUC-Rio 5.2, a finalizer that fails does not stop
    /// the others (errors at close are ignored, `callallpendingfinalizers(L, 0)`); only
    /// a limit or an interrupt stops them. Returns the first such error, if any
    /// (`State::close` is the host's form).
    pub(crate) fn close_with_error(&mut self) -> LResult<()> {
        self.full_gc();
        self.heap.queue_all_finalizers();
        // Close is the host's entry here: counted as a level, so that a limit ending a
        // finalizer keeps `kill_reason` set until it gets back here (`budget_exhausted`
        // clears it only at the outermost entry).
        self.c_depth += 1;
        let mut first = Ok(());
        loop {
            match self.run_finalizers() {
                Ok(()) => break,
                Err(e) => {
                    if self.kill_reason.is_some() {
                        first = Err(e);
                        break;
                    }
                }
            }
        }
        self.c_depth -= 1;
        self.kill_reason = None;
        let _ = std::io::Write::flush(&mut self.stdout);
        first
    }
}

/// Moves `n` results from `first` to `res`, adjusted to `wanted` (-1: all), and sets the
/// top after them: the end of every return.
#[inline(always)]
pub(crate) fn place_results(th: &mut Thread, res: usize, first: usize, n: usize, wanted: i32) {
    debug_assert!(
        res <= first && first + n <= th.stack.len(),
        "results move down into the stack"
    );
    debug_assert!(
        wanted < 0 || res + wanted as usize <= th.stack.len(),
        "the caller's frame has room for the results it wants"
    );
    if wanted == 1 && n >= 1 {
        let stack = th.stack.as_mut_ptr();
        // SAFETY: both indices are inside the stack (asserted above); by parts, as
        // the result was often computed just before (`return a + b`).
        unsafe { copy_value(stack.add(res), stack.add(first)) };
        th.top = res + 1;
    } else if wanted < 0 {
        th.stack.copy_within(first..first + n, res);
        th.top = res + n;
    } else {
        let wanted = wanted as usize;
        let k = n.min(wanted);
        th.stack.copy_within(first..first + k, res);
        for i in k..wanted {
            th.stack[res + i] = Value::Nil;
        }
        th.top = res + wanted;
    }
}

/// Drops a continuation found where none was expected (a native frame calling
/// `coroutine.resume`, a yield's frame): not expected to happen; out of line.
#[cold]
#[inline(never)]
fn drop_unexpected(c: Box<Cont>) {
    debug_assert!(false, "a continuation where none is expected");
    drop(c);
}

/// Writes `lead` (if any) and the values of `src` (another thread's stack) at `res` of
/// `dst`, adjusted to `wanted` (-1: all), and sets the top after them: a coroutine
/// switch's `place_results`. The stack has room for all of them (the caller made sure).
#[inline(always)]
fn place_moved(dst: &mut Thread, res: usize, lead: Option<Value>, src: &[Value], wanted: i32) {
    let all = src.len() + lead.is_some() as usize;
    debug_assert!(
        res + all <= dst.stack.len() && (wanted < 0 || res + wanted as usize <= dst.stack.len()),
        "the caller's frame has room for the results"
    );
    let end = if wanted < 0 {
        res + all
    } else {
        res + wanted as usize
    };
    let mut at = res;
    if let Some(v) = lead {
        if at < end {
            dst.stack[at] = v;
            at += 1;
        }
    }
    // One by one: there are few, and `copy_from_slice` would call `memcpy`.
    for &v in src {
        if at >= end {
            break;
        }
        dst.stack[at] = v;
        at += 1;
    }
    while at < end {
        dst.stack[at] = Value::Nil;
        at += 1;
    }
    dst.top = end;
}

/// Debug builds: the open upvalues of a thread are sorted by stack slot, with at most
/// one per slot, and all still open (`find_upval` and `close_upvals` rely on it).
fn open_upvals_sorted(open: &[Gc<UpVal>]) -> bool {
    let slots: Vec<Option<*mut Value>> = open.iter().map(|u| u.open_slot()).collect();
    slots.iter().all(Option::is_some) && slots.windows(2).all(|w| w[0] < w[1])
}
