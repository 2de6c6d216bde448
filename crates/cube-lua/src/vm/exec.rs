//! The interpreter loop: executes Lua frames of the running thread.
//!
//! Registers are accessed through a raw pointer into the thread's stack, reloaded
//! whenever something may have reallocated the stack or switched frames (every call,
//! metamethod or slow path that can run code). Lua-to-Lua calls and returns stay inside
//! this loop (`continue 'newframe`); it returns to the driver only when the top frame is
//! a native waiting in a continuation, when a Rust entry point's call returns, or when
//! the time slice is used up.

use crate::gc::Gc;
use crate::opcode::{index_k, is_k, Instruction, OpCode};
use crate::state::{LResult, State};
use crate::table::Table;
use crate::thread::{pop_frame, push_frame, CallKind, Frame, FrameKind, EXTRA_STACK};
use crate::tm::TM;
use crate::value::{copy_value, LClosure, LuaStr, Value};
use crate::vm::call::place_results;
use crate::vm::instr::Flow;
use crate::vm::ops::{arith_num, Got, Src};

impl State {
    /// `t[key]` for a string key through `__index` *tables* (the class-and-method
    /// pattern) into `dst`, without leaving the interpreter; `false` when an `__index`
    /// function must be called (the slow path does that). The value is written in
    /// place, not returned: an `Option<Value>` came back with its payload at an odd
    /// offset and was copied to the register in pieces, read back across the
    /// callee's stores (two store-forwarding stalls on every method lookup).
    #[inline]
    fn get_str_chain(&self, mut t: Gc<Table>, key: Gc<LuaStr>, dst: &mut Value) -> bool {
        for _ in 0..100 {
            let v = t.get_str(key);
            if !v.is_nil() {
                *dst = v;
                return true;
            }
            match self.tm_of(t.meta, TM::Index) {
                None => {
                    *dst = Value::Nil;
                    return true;
                }
                Some(Value::Table(next)) => t = next,
                Some(_) => return false,
            }
        }
        false
    }

    /// Runs the running thread's Lua frames. `HOOKED` is the loop with debug hooks
    /// (`vm/hook.rs`), for a thread whose `hook_on` is not 0: it traces instructions
    /// for line and count events and takes no fast path that would skip a call or
    /// return event. The driver picks the loop; either returns to it when the thread
    /// (or its hooks) change under it.
    pub(crate) fn execute<const HOOKED: bool>(&mut self) -> LResult<()> {
        'newframe: loop {
            let th = self.cur.get_mut();
            if let Some(e) = th.pending_error.take() {
                return Err(e);
            }
            if (th.hook_on != 0) != HOOKED {
                return Ok(());
            }
            // Every call and return passes here: check the budget, so that recursion
            // without loops is preempted too.
            if self.budget <= 0 {
                return Ok(());
            }
            let Some(frame) = th.frames.last() else {
                return Ok(());
            };
            let FrameKind::Lua(cl) = frame.kind else {
                return Ok(());
            };
            // The loop's state, as in `luaV_execute`: the closure, its constants, the
            // frame's registers and the next instruction, as pointers (an index would
            // keep a base pointer live beside it; the hot loop has few registers to
            // spare). `base` and `code` are for the slower paths.
            let mut base = frame.base;
            let mut cl: Gc<LClosure> = cl;
            let mut fnp = cl.p;
            let mut code: *const Instruction = fnp.code;
            debug_assert!(
                frame.pc < fnp.proto.code.len(),
                "a Lua frame resumes inside its function's code"
            );
            // SAFETY: the frame's pc is inside its function's code (asserted above).
            let mut pc: *const Instruction = unsafe { code.add(frame.pc) };
            let mut k: *const Value = fnp.k.as_ptr();
            debug_assert!(
                base + fnp.max_stack as usize <= th.stack.len(),
                "a Lua frame's registers fit in its thread's stack"
            );
            // SAFETY: the frame's registers are inside the stack (asserted above).
            let mut regs: *mut Value = unsafe { th.stack.as_mut_ptr().add(base) };

            // Switches the loop's state to another Lua frame (a callee just pushed, or
            // the caller a RETURN goes back to) without the checks of 'newframe; the
            // stack must not have moved.
            macro_rules! enter {
                ($th:expr, $cl:expr, $base:expr, $pc:expr) => {{
                    cl = $cl;
                    fnp = cl.p;
                    code = fnp.code;
                    k = fnp.k.as_ptr();
                    base = $base;
                    let at: usize = $pc;
                    debug_assert!(at < fnp.proto.code.len(), "entered inside its code");
                    debug_assert!(
                        base + fnp.max_stack as usize <= $th.stack.len(),
                        "entered with its registers on the stack"
                    );
                    // SAFETY: both asserted just above.
                    unsafe {
                        pc = code.add(at);
                        regs = $th.stack.as_mut_ptr().add(base);
                    }
                }};
            }

            macro_rules! reg {
                ($i:expr) => {
                    // SAFETY: register operands are below max_stack_size (the
                    // compiler's, or `dump::verify`'s for a loaded chunk), and
                    // push_lua_frame made room for all of them.
                    unsafe { &mut *regs.add(($i) as usize) }
                };
            }
            // Upvalue `$n` of the running closure.
            macro_rules! upval {
                ($n:expr) => {{
                    let n = $n as usize;
                    debug_assert!(n < cl.upvals.len(), "upvalue index in range");
                    // SAFETY: upvalue indices are below the prototype's upvalue count
                    // (the compiler's, or `dump::verify`'s for a loaded chunk), and a
                    // closure has exactly that many (`LClosure`'s invariant).
                    unsafe { cl.upvals.get_unchecked(n) }
                }};
            }
            macro_rules! kst {
                ($i:expr) => {
                    // SAFETY: constant indices are in range (the compiler's, or
                    // `dump::verify`'s for a loaded chunk).
                    unsafe { *k.add(($i) as usize) }
                };
            }
            // A reference, not a copy: matching on the tag in place avoids moving the
            // 16-byte value through a vector register and back (a store-forwarding stall).
            macro_rules! rk_ref {
                ($x:expr) => {{
                    let x = $x;
                    if is_k(x) {
                        // SAFETY: RK constant indices are in range (the compiler's,
                        // or `dump::verify`'s for a loaded chunk).
                        unsafe { &*k.add(index_k(x) as usize) }
                    } else {
                        &*reg!(x)
                    }
                }};
            }
            macro_rules! rk {
                ($x:expr) => {
                    *rk_ref!($x)
                };
            }
            macro_rules! rk_src {
                ($x:expr) => {{
                    let x = $x;
                    if is_k(x) {
                        Src::Other
                    } else {
                        Src::Reg(x)
                    }
                }};
            }
            // The instruction at pc, with pc moved past it.
            macro_rules! fetch {
                () => {{
                    // SAFETY: every function ends with RETURN, every jump lands on an
                    // instruction, and the instructions that read the one after them
                    // (LOADKX and SETLIST's EXTRAARG, the JMP after a test or a
                    // comparison) have it: the compiler's, or `dump::verify`'s for a
                    // loaded chunk. So pc stays within the code.
                    let ins = unsafe { *pc };
                    // SAFETY: as above, at most one past the last instruction.
                    pc = unsafe { pc.add(1) };
                    ins
                }};
            }
            // The index of pc in the function's code (what frames keep).
            macro_rules! pc_index {
                () => {{
                    // SAFETY: pc points into the running function's code, which
                    // starts at `code`.
                    unsafe { pc.offset_from(code) as usize }
                }};
            }
            macro_rules! savepc {
                () => {
                    self.cur.get_mut().frames.last_mut().unwrap().pc = pc_index!();
                };
            }
            // Runs a fallible slow path with the pc saved for messages and
            // continuations; afterwards the frame must be reloaded.
            macro_rules! protect {
                ($e:expr) => {{
                    savepc!();
                    $e?
                }};
            }
            // The budget is charged for every backward jump: an exhausted one returns
            // to the driver.
            macro_rules! charge_loop {
                () => {
                    self.budget -= 1;
                    if self.budget <= 0 {
                        savepc!();
                        return Ok(());
                    }
                };
            }
            macro_rules! jump {
                ($off:expr) => {
                    // SAFETY: jump targets are inside the code (the compiler's, or
                    // `dump::verify`'s for a loaded chunk).
                    pc = unsafe { pc.offset($off as isize) }
                };
            }
            macro_rules! do_jump {
                ($ins:expr) => {{
                    let j: Instruction = $ins;
                    let a = j.a();
                    if a != 0 {
                        self.close_upvals(base + a as usize - 1);
                    }
                    let off = j.sbx();
                    jump!(off);
                    if off < 0 {
                        charge_loop!();
                    }
                }};
            }
            // TEST, TESTSET and the comparisons: when `$take`, `$then` and the JMP that
            // follows; else skip that JMP.
            macro_rules! test_jump {
                ($take:expr, $then:expr) => {{
                    // (These instructions are always followed by a JMP: the compiler
                    // emits it; `dump::verify` checks it.)
                    let j = fetch!();
                    if $take {
                        $then;
                        do_jump!(j);
                    }
                }};
            }
            // Acts on the `Flow` of an instruction run out of line (`vm/instr.rs`).
            macro_rules! flow {
                ($flow:expr) => {
                    match $flow {
                        Flow::Next => {}
                        Flow::Restack => {
                            // SAFETY: the running frame's registers are still on the
                            // stack, which may have moved.
                            regs = unsafe { self.cur.get_mut().stack.as_mut_ptr().add(base) }
                        }
                        Flow::Reload => continue 'newframe,
                    }
                };
            }
            // A slow path's value into R(A), or a reload when it started a metamethod
            // call (`finish_op` completes the instruction when that returns).
            macro_rules! got {
                ($a:expr, $e:expr) => {
                    match protect!($e) {
                        Got::Val(v) => *reg!($a) = v,
                        Got::Called => continue 'newframe,
                    }
                };
            }
            macro_rules! arith {
                ($i:expr, $tm:expr, $num:expr) => {{
                    let i = $i;
                    if let (&Value::Num(x), &Value::Num(y)) = (rk_ref!(i.b()), rk_ref!(i.c())) {
                        *reg!(i.a()) = Value::Num(($num)(x, y));
                    } else {
                        let (b, c) = (rk!(i.b()), rk!(i.c()));
                        got!(
                            i.a(),
                            self.arith_slow($tm, b, c, rk_src!(i.b()), rk_src!(i.c()))
                        );
                    }
                }};
            }
            macro_rules! compare {
                ($i:expr, $num:expr, $slow:expr) => {{
                    let i = $i;
                    let res = if let (&Value::Num(x), &Value::Num(y)) =
                        (rk_ref!(i.b()), rk_ref!(i.c()))
                    {
                        ($num)(x, y)
                    } else {
                        let (b, c) = (rk!(i.b()), rk!(i.c()));
                        match protect!(($slow)(b, c)) {
                            Got::Val(r) => r,
                            Got::Called => continue 'newframe,
                        }
                    };
                    test_jump!(res == (i.a() != 0), {});
                }};
            }
            // `t[key] = val`: in place into a slot the table has (its array part, or a
            // string key it holds) when it has no `__newindex` (objects of a class
            // included) and is not shared with other states; else out of line.
            macro_rules! store {
                ($t:expr, $key:expr, $val:expr, $src:expr) => {{
                    let (t, key, val) = ($t, $key, $val);
                    if let Value::Table(tab) = t {
                        if !tab.is_shared()
                            && (tab.meta.is_none() || self.tm_of(tab.meta, TM::NewIndex).is_none())
                        {
                            let stored = match key {
                                Value::Num(n) => {
                                    let idx = n as i64;
                                    if idx as f64 == n
                                        && idx >= 1
                                        && (idx as usize) <= tab.arr.len()
                                    {
                                        let tm = tab.get_mut();
                                        tm.arr[idx as usize - 1] = val;
                                        tm.tm_absent = 0;
                                        true
                                    } else {
                                        false
                                    }
                                }
                                Value::Str(s) => tab.get_mut().set_existing_str(s, val),
                                _ => false,
                            };
                            if stored {
                                continue;
                            }
                        }
                    }
                    savepc!();
                    flow!(self.op_set(t, key, val, $src)?);
                }};
            }

            loop {
                let i = fetch!();
                if HOOKED && self.trace_instruction(pc_index!())? {
                    // A hook ran: the instruction runs when it returns.
                    continue 'newframe;
                }
                match i.opcode() {
                    OpCode::Move => {
                        let (dst, src): (*mut Value, *const Value) = (reg!(i.a()), reg!(i.b()));
                        // SAFETY: both are registers of the frame (see `reg!`).
                        unsafe { copy_value(dst, src) }
                    }
                    OpCode::LoadK => *reg!(i.a()) = kst!(i.bx()),
                    OpCode::LoadKx => {
                        // (An EXTRAARG follows every LOADKX.)
                        let ax = fetch!().ax();
                        *reg!(i.a()) = kst!(ax);
                    }
                    OpCode::LoadBool => {
                        *reg!(i.a()) = Value::Bool(i.b() != 0);
                        if i.c() != 0 {
                            // (The compiler puts an instruction after a skipping
                            // LOADBOOL; `dump::verify` checks a loaded chunk's.)
                            fetch!();
                        }
                    }
                    OpCode::LoadNil => {
                        for j in 0..=i.b() {
                            *reg!(i.a() + j) = Value::Nil;
                        }
                    }
                    OpCode::GetUpval => *reg!(i.a()) = upval!(i.b()).get(),
                    OpCode::GetTabUp => {
                        let t = upval!(i.b()).get();
                        let key = rk!(i.c());
                        if let (Value::Table(tab), Value::Str(s)) = (t, key) {
                            if self.get_str_chain(tab, s, reg!(i.a())) {
                                continue;
                            }
                        }
                        got!(i.a(), self.index_slow(t, key, Src::Up(i.b())));
                    }
                    OpCode::GetTable => {
                        // (Operands read in place, tag and payload apart: copied whole,
                        // a value stored in two parts just before stalls the copy.)
                        if let Value::Table(tab) = *reg!(i.b()) {
                            let key = rk_ref!(i.c());
                            // (Field names, the common key, without `get`'s dispatch.)
                            let v = match *key {
                                Value::Str(s) => tab.get_str(s),
                                _ => tab.get(key),
                            };
                            if !v.is_nil() || self.tm_of(tab.meta, TM::Index).is_none() {
                                *reg!(i.a()) = v;
                                continue;
                            }
                        }
                        let (t, key) = (*reg!(i.b()), rk!(i.c()));
                        got!(i.a(), self.index_slow(t, key, Src::Reg(i.b())));
                    }
                    OpCode::SetTabUp => {
                        let t = upval!(i.a()).get();
                        store!(t, rk!(i.b()), rk!(i.c()), Src::Up(i.a()));
                    }
                    OpCode::SetUpval => {
                        let v = *reg!(i.a());
                        upval!(i.b()).get_mut().set(v);
                    }
                    OpCode::SetTable => {
                        store!(*reg!(i.a()), rk!(i.b()), rk!(i.c()), Src::Reg(i.a()))
                    }
                    OpCode::NewTable => {
                        savepc!();
                        flow!(self.op_new_table(i, base)?);
                    }
                    OpCode::SelfOp => {
                        let t = *reg!(i.b());
                        let key = rk!(i.c());
                        *reg!(i.a() + 1) = t;
                        if let (Value::Table(tab), Value::Str(s)) = (t, key) {
                            if self.get_str_chain(tab, s, reg!(i.a())) {
                                continue;
                            }
                        }
                        got!(i.a(), self.index_slow(t, key, Src::Reg(i.b())));
                    }
                    OpCode::Add => arith!(i, TM::Add, |x, y| x + y),
                    OpCode::Sub => arith!(i, TM::Sub, |x, y| x - y),
                    OpCode::Mul => arith!(i, TM::Mul, |x, y| x * y),
                    OpCode::Div => arith!(i, TM::Div, |x, y| x / y),
                    OpCode::Mod => arith!(i, TM::Mod, |x, y| arith_num(TM::Mod, x, y)),
                    OpCode::Pow => arith!(i, TM::Pow, |x, y| arith_num(TM::Pow, x, y)),
                    OpCode::Unm => {
                        let b = *reg!(i.b());
                        if let Value::Num(x) = b {
                            *reg!(i.a()) = Value::Num(-x);
                        } else {
                            let src = Src::Reg(i.b());
                            got!(i.a(), self.arith_slow(TM::Unm, b, b, src, src));
                        }
                    }
                    OpCode::Not => *reg!(i.a()) = Value::Bool(!reg!(i.b()).truthy()),
                    OpCode::Len => {
                        let b = *reg!(i.b());
                        match b {
                            Value::Str(s) => *reg!(i.a()) = Value::Num(s.len() as f64),
                            Value::Table(t) if t.meta.is_none() => {
                                *reg!(i.a()) = Value::Num(t.length() as f64)
                            }
                            _ => got!(i.a(), self.len_slow(b, Src::Reg(i.b()))),
                        }
                    }
                    OpCode::Concat => {
                        savepc!();
                        flow!(self.op_concat(i, base)?);
                    }
                    OpCode::Jmp => do_jump!(i),
                    OpCode::Eq => compare!(i, |x, y| x == y, |b: Value, c: Value| match (b, c) {
                        (Value::Table(_), Value::Table(_))
                        | (Value::UserData(_), Value::UserData(_)) => self.equals(b, c),
                        _ => Ok(Got::Val(b.raw_eq(&c))),
                    }),
                    OpCode::Lt => compare!(i, |x, y| x < y, |b, c| self.less_than(b, c)),
                    OpCode::Le => compare!(i, |x, y| x <= y, |b, c| self.less_equal(b, c)),
                    OpCode::Test => {
                        let v = *reg!(i.a());
                        test_jump!(v.truthy() == (i.c() != 0), {});
                    }
                    OpCode::TestSet => {
                        let v = *reg!(i.b());
                        test_jump!(v.truthy() == (i.c() != 0), *reg!(i.a()) = v);
                    }
                    OpCode::Call => {
                        let b = i.b() as usize;
                        let nresults = i.c() as i32 - 1;
                        let func = base + i.a() as usize;
                        if b != 0 {
                            self.cur.get_mut().top = func + b;
                        }
                        if let (false, Value::LFn(ncl)) = (HOOKED, *reg!(i.a())) {
                            let at = pc_index!();
                            if self.push_fixed_lua_frame(ncl, func, nresults, at) {
                                // The call is charged; an exhausted budget returns to
                                // the driver through 'newframe's check.
                                self.budget -= 1;
                                if self.budget <= 0 {
                                    continue 'newframe;
                                }
                                let th = self.cur.get_mut();
                                enter!(th, ncl, func + 1, 0);
                                continue;
                            }
                        }
                        savepc!();
                        flow!(match *reg!(i.a()) {
                            Value::NFn(nc) if !HOOKED => self.op_call_native(nc, func, nresults)?,
                            _ => self.op_call(func, nresults)?,
                        });
                    }
                    OpCode::TailCall => {
                        savepc!();
                        flow!(self.op_tail_call(i, base, HOOKED, fnp.has_children)?);
                    }
                    OpCode::Return => {
                        let first = base + i.a() as usize;
                        let b = i.b() as usize;
                        if !HOOKED {
                            match self.return_fast(first, b, fnp.has_children) {
                                Returned::ToLua(ccl, cbase, cpc) => {
                                    if self.budget <= 0 {
                                        continue 'newframe;
                                    }
                                    let th = self.cur.get_mut();
                                    enter!(th, ccl, cbase, cpc);
                                    continue;
                                }
                                Returned::Placed => continue 'newframe,
                                Returned::Slow => {}
                            }
                        }
                        savepc!();
                        let th = self.cur.get_mut();
                        let n = if b != 0 { b - 1 } else { th.top - first };
                        let call = th.frames.last().expect("the returning frame").call;
                        self.post_call(first, n)?;
                        // (After a hook, its event's frame may have returned too, to a
                        // boundary: the driver looks.)
                        if call == CallKind::Boundary || (HOOKED && call == CallKind::Hook) {
                            return Ok(());
                        }
                        continue 'newframe;
                    }
                    OpCode::ForLoop => {
                        let a = i.a();
                        if let (&Value::Num(idx), &Value::Num(limit), &Value::Num(step)) =
                            (&*reg!(a), &*reg!(a + 1), &*reg!(a + 2))
                        {
                            let idx = idx + step;
                            let go_on = if step > 0.0 {
                                idx <= limit
                            } else {
                                limit <= idx
                            };
                            if go_on {
                                jump!(i.sbx());
                                *reg!(a) = Value::Num(idx);
                                *reg!(a + 3) = Value::Num(idx);
                                charge_loop!();
                            }
                        }
                    }
                    OpCode::ForPrep => {
                        let a = i.a();
                        if let (&Value::Num(init), &Value::Num(_), &Value::Num(step)) =
                            (&*reg!(a), &*reg!(a + 1), &*reg!(a + 2))
                        {
                            *reg!(a) = Value::Num(init - step);
                        } else {
                            savepc!();
                            self.op_for_prep(base + a as usize)?;
                        }
                        jump!(i.sbx());
                    }
                    OpCode::TForCall => {
                        savepc!();
                        flow!(self.op_tfor_call(i, base)?);
                    }
                    OpCode::TForLoop => {
                        let v = *reg!(i.a() + 1);
                        if !v.is_nil() {
                            *reg!(i.a()) = v;
                            jump!(i.sbx());
                            charge_loop!();
                        }
                    }
                    OpCode::SetList => {
                        let mut c = i.c() as usize;
                        if c == 0 {
                            // (An EXTRAARG follows a SETLIST with C = 0.)
                            c = fetch!().ax() as usize;
                        }
                        savepc!();
                        flow!(self.op_set_list(i, base, c)?);
                    }
                    OpCode::Closure => {
                        savepc!();
                        flow!(self.op_closure(i, base, cl)?);
                    }
                    OpCode::Vararg => {
                        savepc!();
                        flow!(self.op_vararg(i, base, fnp.num_params as usize)?);
                    }
                    // The verifier rejects every chunk that could get here; still an
                    // error, not a panic (this arm costs nothing on the hot path).
                    OpCode::ExtraArg => {
                        savepc!();
                        return Err(self.rt_error("EXTRAARG executed (bad binary chunk)"));
                    }
                }
            }
        }
    }

    /// The fast path of a Lua-to-Lua call from the running Lua frame (paused at `pc`):
    /// a function with fixed parameters whose registers fit in the stack as it is gets
    /// its frame here; `false` leaves the call to the general path (`precall`, which
    /// also grows the stack, moves varargs, calls hooks).
    #[inline(always)]
    fn push_fixed_lua_frame(
        &mut self,
        cl: Gc<LClosure>,
        func: usize,
        nresults: i32,
        pc: usize,
    ) -> bool {
        let p = &*cl.p;
        let th = self.cur.get_mut();
        let base = func + 1;
        let top = base + p.max_stack as usize;
        if p.is_vararg || top + EXTRA_STACK > th.stack.len() {
            return false;
        }
        let nargs = th.top - base;
        let nparams = p.num_params as usize;
        if nargs < nparams {
            th.stack[base + nargs..base + nparams].fill(Value::Nil);
        }
        // The caller is the running Lua frame: it keeps its pc and lends its C level
        // (a Lua-to-Lua call adds none).
        let Some(parent) = th.frames.last_mut() else {
            unreachable!("a running Lua frame")
        };
        parent.pc = pc;
        let clevel = parent.clevel;
        let frame = Frame::new(
            func,
            base,
            top,
            nresults,
            FrameKind::Lua(cl),
            CallKind::Normal,
            clevel,
        );
        push_frame(&mut th.frames, frame, &mut self.heap);
        th.top = top;
        true
    }

    /// The fast path of RETURN (results from `first`, B as the instruction's): back
    /// into a calling Lua frame with nothing to close, the results placed as it wants
    /// them; or one result to a native waiting in a continuation (a sort comparator,
    /// pcall), placed for the driver.
    #[inline(always)]
    fn return_fast(&mut self, first: usize, b: usize, has_children: bool) -> Returned {
        let th = self.cur.get_mut();
        let nf = th.frames.len();
        let frame = &th.frames[nf - 1];
        if frame.call != CallKind::Normal || nf < 2 || (has_children && !th.open_upvals.is_empty())
        {
            return Returned::Slow;
        }
        let n = if b != 0 { b - 1 } else { th.top - first };
        let (res, wanted) = (frame.func, frame.nresults);
        let lua_caller = match th.frames[nf - 2].kind {
            FrameKind::Lua(ccl) => Some(ccl),
            _ => None,
        };
        if lua_caller.is_none() && (wanted != 1 || n == 0) {
            return Returned::Slow;
        }
        place_results(th, res, first, n, wanted);
        pop_frame(&mut th.frames);
        let Some(ccl) = lua_caller else {
            return Returned::Placed;
        };
        let caller = &th.frames[nf - 2];
        if wanted >= 0 {
            th.top = caller.top;
        }
        Returned::ToLua(ccl, caller.base, caller.pc)
    }
}

/// What `return_fast` did.
enum Returned {
    /// Back in this calling Lua function, with these registers, at this pc.
    ToLua(Gc<LClosure>, usize, usize),
    /// The result is placed for a native's continuation: the driver goes on.
    Placed,
    /// Neither: the general path (`post_call`).
    Slow,
}

impl State {
    /// Completes the instruction of the running Lua frame whose metamethod call just
    /// returned (its single result is at the stack top), as PUC's `luaV_finishOp`.
    pub(crate) fn finish_op(&mut self) {
        let th = self.cur.get_mut();
        let Some(frame) = th.frames.last_mut() else {
            return;
        };
        let FrameKind::Lua(cl) = frame.kind else {
            return;
        };
        let base = frame.base;
        let inst = cl.p.proto.code[frame.pc - 1];
        let result = th.stack[th.top - 1];
        match inst.opcode() {
            OpCode::GetTabUp
            | OpCode::GetTable
            | OpCode::SelfOp
            | OpCode::Add
            | OpCode::Sub
            | OpCode::Mul
            | OpCode::Div
            | OpCode::Mod
            | OpCode::Pow
            | OpCode::Unm
            | OpCode::Len => {
                th.stack[base + inst.a() as usize] = result;
                th.top = frame.top;
            }
            OpCode::Eq | OpCode::Lt | OpCode::Le => {
                let mut res = result.truthy();
                if frame.le_via_lt {
                    res = !res;
                    frame.le_via_lt = false;
                }
                if res != (inst.a() != 0) {
                    frame.pc += 1; // skip the jump
                }
                th.top = frame.top;
            }
            OpCode::Concat => {
                // The metamethod's result replaces the two operands it consumed.
                let top = th.top - 1;
                let b = inst.b() as usize;
                let total = top - 1 - (base + b);
                th.stack[top - 2] = result;
                th.top = top - 1;
                if total > 1 {
                    match self.concat(total) {
                        Ok(Got::Val(())) => {}
                        Ok(Got::Called) => return,
                        Err(e) => {
                            // Surface the error through the frame: re-run raises it.
                            self.cur.get_mut().pending_error = Some(e);
                            return;
                        }
                    }
                }
                let th = self.cur.get_mut();
                let frame = th.frames.last().expect("frame");
                th.stack[base + inst.a() as usize] = th.stack[th.top - 1];
                th.top = frame.top;
            }
            _ => {
                th.top = frame.top;
            }
        }
    }
}
