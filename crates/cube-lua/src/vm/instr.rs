//! The instructions too long for the interpreter loop's body (`exec.rs`): table stores
//! and constructors, concatenation, the general call paths, tail calls, the set-up of
//! numeric and generic `for`, closures and varargs.
//!
//! Each runs with the frame's pc saved (the loop's `savepc!`), so it may raise errors,
//! start calls and collect, and tells the loop whether the frame's registers are still
//! where they were (`Flow`). They are out of line on purpose: inlined, their locals
//! compete with the loop's hot state (pc, registers, constants) for machine registers,
//! and the loop spills that state to memory.

use crate::opcode::{fb_to_int, Instruction, FIELDS_PER_FLUSH};
use crate::state::{LResult, Ret, State};
use crate::table::Table;
use crate::thread::{CallKind, EXTRA_STACK};
use crate::tm::TM;
use crate::value::{LClosure, NClosure, UpState, Value};
use crate::vm::call::{place_results, PreCall};
use crate::vm::ops::{Got, Src};

/// The most slots a NEWTABLE size hint pre-allocates in each part (1M: 16 MB of array).
const MAX_SIZE_HINT: usize = 1 << 20;

/// What the interpreter loop does after an instruction run here.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Flow {
    /// Nothing moved: the next instruction.
    Next,
    /// The same frame goes on, but the stack may have been reallocated: the loop
    /// recomputes its registers pointer first.
    Restack,
    /// Another frame may run, or the frame's state changed: back to `'newframe`.
    Reload,
}

impl State {
    /// The top of the running frame: at a safe point every slot below it is kept.
    #[inline]
    fn frame_top(&self) -> usize {
        self.cur.frames.last().map_or(0, |f| f.top)
    }

    /// A collection if one is due, keeping the stack below `limit`.
    #[inline]
    pub(crate) fn safe_point(&mut self, limit: usize) -> LResult<Flow> {
        if self.heap.should_collect() {
            self.collect_at_safe_point(limit)?;
            return Ok(Flow::Reload);
        }
        Ok(Flow::Next)
    }

    /// `t[key] = val` for SETTABLE and SETTABUP, past the loop's array fast path.
    #[inline(never)]
    pub(crate) fn op_set(&mut self, t: Value, key: Value, val: Value, src: Src) -> LResult<Flow> {
        if let Value::Table(tab) = t {
            // Without `__newindex` a store is raw even when the table has a metatable
            // (objects of a class). Shared (image) tables take the slow path, which
            // copies them first.
            if (tab.meta.is_none() || self.tm_of(tab.meta, TM::NewIndex).is_none())
                && !tab.is_shared()
            {
                if let Err(e) = tab.get_mut().set(key, val) {
                    return Err(self.rt_error(e.message()));
                }
                // A growing table is allocation too (the heap counts it itself:
                // `Table::growth`): a safe point, every register of the frame kept.
                return self.safe_point(self.frame_top());
            }
        }
        if let Got::Called = self.setindex_slow(t, key, val, src)? {
            return Ok(Flow::Reload);
        }
        self.safe_point(self.frame_top())
    }

    /// NEWTABLE A B C: a table sized by the constructor's hints into register A.
    #[inline(never)]
    pub(crate) fn op_new_table(&mut self, i: Instruction, base: usize) -> LResult<Flow> {
        // A hint only sizes the table up front, so it is capped: the compiler's never
        // exceed the constructor's items, but a binary chunk's may say 3e9 (beyond the
        // cap, SETLIST grows the array).
        let mut narr = (fb_to_int(i.b()) as usize).min(MAX_SIZE_HINT);
        let mut nhash = (fb_to_int(i.c()) as usize).min(MAX_SIZE_HINT);
        // Under a heap limit, a hint that does not fit in what is left is dropped,
        // never a reason to end the program: SETLIST and stores reserve the real
        // growth.
        if narr + nhash > 64 {
            if let Some(max) = self.max_heap {
                let bytes = Table::bytes_for(narr, nhash);
                if self.heap.total_bytes().saturating_add(bytes) > max {
                    (narr, nhash) = (0, 0);
                }
            }
        }
        let t = self.heap.new_table(Table::new(narr, nhash));
        let a = base + i.a() as usize;
        self.cur.get_mut().stack[a] = Value::Table(t);
        self.safe_point(a + 1)
    }

    /// CONCAT A B C: `R(A) := R(B) .. ... .. R(C)`.
    #[inline(never)]
    pub(crate) fn op_concat(&mut self, i: Instruction, base: usize) -> LResult<Flow> {
        let b = i.b() as usize;
        let c = i.c() as usize;
        self.cur.get_mut().top = base + c + 1;
        if let Got::Val(()) = self.concat(c - b + 1)? {
            let th = self.cur.get_mut();
            let a = i.a() as usize;
            th.stack[base + a] = th.stack[base + b];
            th.top = th.frames.last().expect("the concatenating frame").top;
            if self.heap.should_collect() {
                let limit = if a >= b { base + a + 1 } else { base + b };
                self.collect_at_safe_point(limit)?;
            }
        }
        Ok(Flow::Reload)
    }

    /// A call of native `nc` at `func` from the running Lua frame (its arguments up to
    /// the top). A native that returns its results is finished right here: they are
    /// placed and the caller goes on without leaving the loop.
    #[inline(never)]
    pub(crate) fn op_call_native(
        &mut self,
        nc: crate::gc::Gc<NClosure>,
        func: usize,
        nresults: i32,
    ) -> LResult<Flow> {
        let caller = self.cur;
        let depth = caller.frames.len();
        let args = self.enter_native(nc, func, nresults, CallKind::Normal)?;
        // The result is looked at in place: moving the whole `LResult<Ret>` out of the
        // slot the native wrote it in read it back with wider loads than the native's
        // stores (a store-forwarding stall on every native call).
        // (Called here, not through `call_native`, whose `match` moved the result too.)
        let ret = (nc.f)(self, args);
        if let Ok(Ret::Values(n)) = &ret {
            let n = *n;
            // Only if it came back to this frame, and did not set hooks (its return
            // is then an event).
            if self.cur.ptr_eq(caller) && caller.frames.len() == depth + 1 && caller.hook_on == 0 {
                let th = caller.get_mut();
                th.frames.pop();
                let first = th.top - n;
                place_results(th, func, first, n, nresults);
                if nresults >= 0 {
                    th.top = th.frames.last().expect("the calling frame").top;
                }
                if self.heap.should_collect() {
                    self.collect_at_safe_point(self.results_end(func, nresults))?;
                    return Ok(Flow::Reload);
                }
                if self.budget <= 0 || self.suspended.is_some() {
                    return Ok(Flow::Reload);
                }
                // The native may have grown (moved) the stack.
                return Ok(Flow::Restack);
            }
        }
        let ret = match ret {
            Ok(r) => r,
            Err(e) => self.native_failed(e, args)?,
        };
        self.native_ret(ret, None)?;
        Ok(Flow::Reload)
    }

    /// A call of the value at `func` (arguments up to the top) by the general path:
    /// hooks, varargs, a stack to grow, `__call`. The call is complete only if the
    /// thread is back in the calling frame: a native may have left its frame waiting
    /// in a continuation, or switched coroutines; then top and GC belong to others.
    #[inline(never)]
    pub(crate) fn op_call(&mut self, func: usize, nresults: i32) -> LResult<Flow> {
        let caller = self.cur;
        let depth = caller.frames.len();
        if let PreCall::Done = self.precall(func, nresults, CallKind::Normal)? {
            let completed = self.cur.ptr_eq(caller) && self.cur.frames.len() == depth;
            if completed {
                if nresults >= 0 {
                    self.restore_frame_top();
                }
                if self.heap.should_collect() {
                    self.collect_at_safe_point(self.results_end(func, nresults))?;
                }
            }
        }
        Ok(Flow::Reload)
    }

    /// One past the results of a call from a Lua frame just completed (at `func`,
    /// `nresults` wanted, or all of them up to the top): what a safe point keeps.
    #[inline]
    fn results_end(&self, func: usize, nresults: i32) -> usize {
        if nresults >= 0 {
            func + nresults as usize
        } else {
            self.cur.top
        }
    }

    /// Back in a Lua frame after a call with a fixed number of results: the top is
    /// the frame's again.
    fn restore_frame_top(&mut self) {
        let th = self.cur.get_mut();
        if let Some(f) = th.frames.last() {
            if f.is_lua() {
                th.top = f.top;
            }
        }
    }

    /// TAILCALL A B: the callee's frame replaces the running one when it is a Lua
    /// function; natives and `__call` values get an ordinary call, and the RETURN A 0
    /// the compiler puts after every TAILCALL passes their results on (as PUC does for
    /// C functions).
    #[inline(never)]
    pub(crate) fn op_tail_call(
        &mut self,
        i: Instruction,
        base: usize,
        hooked: bool,
        has_children: bool,
    ) -> LResult<Flow> {
        let func = base + i.a() as usize;
        let b = i.b() as usize;
        if b != 0 {
            self.cur.get_mut().top = func + b;
        }
        let f = self.cur.stack[func];
        if hooked && matches!(f, Value::LFn(_)) && self.tail_call_hooked(func)? {
            // Its "tail call" hook runs above both frames; the callee replaces the
            // caller when it returns (`vm/hook.rs`).
            return Ok(Flow::Reload);
        }
        if let Value::LFn(_) = f {
            if has_children {
                self.close_upvals(base);
            }
            let th = self.cur.get_mut();
            let frame = th.frames.pop().expect("the calling frame");
            let dst = frame.func;
            let top = th.top;
            th.stack.copy_within(func..top, dst);
            th.top = dst + (top - func);
            self.tail_precall(dst, frame.nresults, frame.call, frame.tail_calls + 1)?;
            return Ok(Flow::Reload);
        }
        self.precall(func, -1, CallKind::Normal)?;
        Ok(Flow::Reload)
    }

    /// FORPREP's coercions: `R(A) -= R(A+2)` after turning the three control values
    /// into numbers, or the error naming the first that is not one.
    #[inline(never)]
    pub(crate) fn op_for_prep(&mut self, ra: usize) -> LResult<()> {
        let th = self.cur.get_mut();
        let init = State::to_num_coerce(&th.stack[ra]);
        let limit = State::to_num_coerce(&th.stack[ra + 1]);
        let step = State::to_num_coerce(&th.stack[ra + 2]);
        let Some(init) = init else {
            return Err(self.rt_error("'for' initial value must be a number"));
        };
        let Some(limit) = limit else {
            return Err(self.rt_error("'for' limit must be a number"));
        };
        let Some(step) = step else {
            return Err(self.rt_error("'for' step must be a number"));
        };
        th.stack[ra] = Value::Num(init - step);
        th.stack[ra + 1] = Value::Num(limit);
        th.stack[ra + 2] = Value::Num(step);
        Ok(())
    }

    /// TFORCALL A C: `R(A+3), ..., R(A+2+C) := R(A)(R(A+1), R(A+2))`.
    #[inline(never)]
    pub(crate) fn op_tfor_call(&mut self, i: Instruction, base: usize) -> LResult<Flow> {
        let a = base + i.a() as usize;
        let cb = a + 3;
        let th = self.cur.get_mut();
        th.stack.copy_within(a..a + 3, cb);
        th.top = cb + 3;
        let caller = self.cur;
        let depth = caller.frames.len();
        if let PreCall::Done = self.precall(cb, i.c() as i32, CallKind::Normal)? {
            if self.cur.ptr_eq(caller) && self.cur.frames.len() == depth {
                self.restore_frame_top();
            }
        }
        Ok(Flow::Reload)
    }

    /// SETLIST A B C: stores `R(A+1) ... R(A+B)` at `R(A)[(C-1)*FPF+1 ...]`; `c` is C,
    /// or the EXTRAARG after a SETLIST whose C is 0.
    #[inline(never)]
    pub(crate) fn op_set_list(&mut self, i: Instruction, base: usize, c: usize) -> LResult<Flow> {
        let a = base + i.a() as usize;
        let mut n = i.b() as usize;
        if n == 0 {
            n = self.cur.top - a - 1;
        }
        // The verifier cannot know register types: a binary chunk may put anything in
        // A, where the compiler always puts the table NEWTABLE just made (so never one
        // shared with other states, which this raw store would write into).
        let t = match self.cur.stack[a] {
            Value::Table(t) if !t.is_shared() => t,
            _ => {
                return Err(
                    self.rt_error("SETLIST on a value that is not a new table (bad binary chunk)")
                );
            }
        };
        let off = (c - 1) * FIELDS_PER_FLUSH as usize;
        let last = off + n;
        // Pre-size the array only to extend it contiguously (the compiler's batches
        // come in order): a hostile C must not allocate beyond the at most 255 items
        // this instruction stores.
        if last > t.arr.len() && off <= t.arr.len() {
            let th = self.cur.get_mut();
            let limit = th.frames.last().map_or(0, |f| f.top).max(th.top);
            let grow = (last - t.arr.len()) * std::mem::size_of::<Value>();
            self.reserve_at_safe_point(grow, limit)?;
            // (The heap counts the growth itself: `Table::growth`.)
            t.get_mut().ensure_array(last);
        }
        let th = self.cur.get_mut();
        for j in 1..=n {
            t.get_mut().set_int((off + j) as i64, th.stack[a + j]);
        }
        th.top = th.frames.last().expect("the constructing frame").top;
        Ok(Flow::Restack)
    }

    /// CLOSURE A Bx: a closure of the running function's child prototype Bx. The
    /// prototype's last closure is reused when it would capture the same upvalues (as
    /// PUC's `getcached`).
    #[inline(never)]
    pub(crate) fn op_closure(
        &mut self,
        i: Instruction,
        base: usize,
        cl: crate::gc::Gc<LClosure>,
    ) -> LResult<Flow> {
        let a = base + i.a() as usize;
        let pinst = self.child_proto(cl.p, i.bx() as usize);
        let descs = &pinst.proto.upvalues;
        if let Some(cached) = pinst.cache {
            let cur = self.cur;
            let frame_base = cur.get_mut().stack.as_mut_ptr().wrapping_add(base);
            let same = descs.iter().zip(cached.upvals.iter()).all(|(d, uv)| {
                if d.in_stack {
                    matches!(uv.state, UpState::Open { thread, slot }
                        if thread.ptr_eq(cur)
                            && slot == frame_base.wrapping_add(d.index as usize))
                } else {
                    uv.ptr_eq(cl.upvals[d.index as usize])
                }
            });
            if same {
                self.cur.get_mut().stack[a] = Value::LFn(cached);
                return Ok(Flow::Next);
            }
        }
        let mut ups = Vec::with_capacity(descs.len());
        for d in descs.iter() {
            if d.in_stack {
                ups.push(self.find_upval(base + d.index as usize));
            } else {
                ups.push(cl.upvals[d.index as usize]);
            }
        }
        let ncl = self.heap.new_lclosure(LClosure {
            p: pinst,
            upvals: ups.into_boxed_slice(),
        });
        pinst.get_mut().cache = Some(ncl);
        self.cur.get_mut().stack[a] = Value::LFn(ncl);
        self.safe_point(a + 1)
    }

    /// VARARG A B: `R(A), ..., R(A+B-2)` := the frame's extra arguments (all of them,
    /// up to a new top, when B is 0).
    #[inline(never)]
    pub(crate) fn op_vararg(
        &mut self,
        i: Instruction,
        base: usize,
        nparams: usize,
    ) -> LResult<Flow> {
        let a = base + i.a() as usize;
        let b = i.b() as usize;
        let th = self.cur.get_mut();
        let func = th.frames.last().expect("the running frame").func;
        let nvar = (base - func - 1).saturating_sub(nparams);
        let vstart = base - nvar;
        if b == 0 {
            let need = a + nvar + EXTRA_STACK;
            if need > th.stack.len() {
                self.check_stack_at(need)?;
            }
            let th = self.cur.get_mut();
            th.stack.copy_within(vstart..vstart + nvar, a);
            th.top = a + nvar;
            return Ok(Flow::Reload);
        }
        for j in 0..b - 1 {
            th.stack[a + j] = if j < nvar {
                th.stack[vstart + j]
            } else {
                Value::Nil
            };
        }
        Ok(Flow::Next)
    }
}
