//! The interpreter loop: executes Lua frames of the running thread.
//!
//! Registers are accessed through a raw pointer into the thread's stack, reloaded
//! whenever something may have reallocated the stack or switched frames (every call,
//! metamethod or slow path that can run code). Lua-to-Lua calls and returns stay inside
//! this loop (`continue 'newframe`); it returns to the driver only when the top frame is
//! a native waiting in a continuation, when a Rust entry point's call returns, or when
//! the time slice is used up.

use crate::gc::Gc;
use crate::opcode::{fb_to_int, index_k, is_k, Instruction, OpCode, FIELDS_PER_FLUSH};
use crate::state::{LResult, State};
use crate::table::Table;
use crate::thread::{CallKind, FrameKind, EXTRA_STACK, MASK_COUNT, MASK_LINE};
use crate::tm::TM;
use crate::value::{LClosure, LuaStr, UpState, UpVal, Value};
use crate::vm::call::PreCall;
use crate::vm::ops::{arith_num, Got, Src};

/// The most slots a NEWTABLE size hint pre-allocates in each part (1M: 16 MB of array).
const MAX_SIZE_HINT: usize = 1 << 20;

#[inline(always)]
fn upval_get(uv: &UpVal) -> Value {
    match uv.state {
        UpState::Closed(v) => v,
        UpState::Open { thread, index } => thread.stack[index],
    }
}

#[inline(always)]
fn upval_set(uv: &mut UpVal, v: Value) {
    match uv.state {
        UpState::Closed(_) => uv.state = UpState::Closed(v),
        UpState::Open { thread, index } => thread.get_mut().stack[index] = v,
    }
}

impl State {
    /// `t[key]` for a string key through `__index` *tables* (the class-and-method
    /// pattern), without leaving the interpreter; `None` when an `__index` function
    /// must be called (the slow path does that).
    #[inline]
    fn get_str_chain(&self, mut t: Gc<Table>, key: Gc<LuaStr>) -> Option<Value> {
        for _ in 0..100 {
            let v = t.get_str(key);
            if !v.is_nil() {
                return Some(v);
            }
            match self.tm_of(t.meta, TM::Index) {
                None => return Some(Value::Nil),
                Some(Value::Table(next)) => t = next,
                Some(_) => return None,
            }
        }
        None
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
            macro_rules! savepc {
                () => {
                    // SAFETY: pc points into (or one past an instruction of) the
                    // running function's code, which starts at `code`.
                    self.cur.get_mut().frames.last_mut().unwrap().pc =
                        unsafe { pc.offset_from(code) } as usize;
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
            macro_rules! do_jump {
                ($ins:expr) => {{
                    let j: Instruction = $ins;
                    let a = j.a();
                    if a != 0 {
                        self.close_upvals(base + a as usize - 1);
                    }
                    let off = j.sbx();
                    // SAFETY: jump targets are inside the code (the compiler's, or
                    // `dump::verify`'s for a loaded chunk).
                    pc = unsafe { pc.offset(off as isize) };
                    if off < 0 {
                        self.budget -= 1;
                        if self.budget <= 0 {
                            savepc!();
                            return Ok(());
                        }
                    }
                }};
            }
            // After a comparison: skip the following jump or take it.
            macro_rules! cond_jump {
                ($res:expr, $a:expr) => {{
                    // SAFETY: a comparison is always followed by a JMP (the
                    // compiler emits it; `dump::verify` checks it).
                    if ($res) != ($a != 0) {
                        pc = unsafe { pc.add(1) };
                    } else {
                        let j = unsafe { *pc };
                        pc = unsafe { pc.add(1) };
                        do_jump!(j);
                    }
                }};
            }
            macro_rules! arith {
                ($i:expr, $tm:expr, $op:tt) => {{
                    let i = $i;
                    if let (&Value::Num(x), &Value::Num(y)) = (rk_ref!(i.b()), rk_ref!(i.c())) {
                        *reg!(i.a()) = Value::Num(x $op y);
                    } else {
                        let b = rk!(i.b());
                        let c = rk!(i.c());
                        match protect!(self.arith_slow($tm, b, c, rk_src!(i.b()), rk_src!(i.c()))) {
                            Got::Val(v) => *reg!(i.a()) = v,
                            Got::Called => continue 'newframe,
                        }
                    }
                }};
            }
            macro_rules! arith_fn {
                ($i:expr, $tm:expr) => {{
                    let i = $i;
                    if let (&Value::Num(x), &Value::Num(y)) = (rk_ref!(i.b()), rk_ref!(i.c())) {
                        *reg!(i.a()) = Value::Num(arith_num($tm, x, y));
                    } else {
                        let b = rk!(i.b());
                        let c = rk!(i.c());
                        match protect!(self.arith_slow($tm, b, c, rk_src!(i.b()), rk_src!(i.c()))) {
                            Got::Val(v) => *reg!(i.a()) = v,
                            Got::Called => continue 'newframe,
                        }
                    }
                }};
            }

            loop {
                // SAFETY: every function ends with RETURN and every jump lands on an
                // instruction (the compiler's, or `dump::verify`'s for a loaded
                // chunk), so pc stays within the code.
                let i = unsafe { *pc };
                pc = unsafe { pc.add(1) };
                if HOOKED {
                    // `traceexec`: count and line events before the instruction runs.
                    let th = self.cur.get_mut();
                    let mask = th.hook_on;
                    if mask & (MASK_LINE | MASK_COUNT) != 0 {
                        let f = th.frames.last_mut().expect("running frame");
                        if f.hooked {
                            // Its hooks were called: it runs now.
                            f.hooked = false;
                        } else {
                            th.hook_count = th.hook_count.wrapping_sub(1);
                            if th.hook_count == 0 || mask & MASK_LINE != 0 {
                                // SAFETY: as in `savepc!`.
                                f.pc = unsafe { pc.offset_from(code) } as usize;
                                if self.trace_exec()? {
                                    continue 'newframe;
                                }
                            }
                        }
                    }
                }
                match i.opcode() {
                    OpCode::Move => *reg!(i.a()) = *reg!(i.b()),
                    OpCode::LoadK => *reg!(i.a()) = kst!(i.bx()),
                    OpCode::LoadKx => {
                        // SAFETY: an EXTRAARG follows every LOADKX (the compiler emits
                        // it; `dump::verify` checks it in a loaded chunk).
                        let ax = unsafe { *pc }.ax();
                        pc = unsafe { pc.add(1) };
                        *reg!(i.a()) = kst!(ax);
                    }
                    OpCode::LoadBool => {
                        *reg!(i.a()) = Value::Bool(i.b() != 0);
                        if i.c() != 0 {
                            // SAFETY: the compiler puts an instruction after a skipping
                            // LOADBOOL; `dump::verify` checks a loaded chunk's.
                            pc = unsafe { pc.add(1) };
                        }
                    }
                    OpCode::LoadNil => {
                        let a = i.a();
                        for j in 0..=i.b() {
                            *reg!(a + j) = Value::Nil;
                        }
                    }
                    OpCode::GetUpval => *reg!(i.a()) = upval_get(&cl.upvals[i.b() as usize]),
                    OpCode::GetTabUp => {
                        let t = upval_get(&cl.upvals[i.b() as usize]);
                        let key = rk!(i.c());
                        if let (Value::Table(tab), Value::Str(s)) = (t, key) {
                            if let Some(v) = self.get_str_chain(tab, s) {
                                *reg!(i.a()) = v;
                                continue;
                            }
                        }
                        match protect!(self.index_slow(t, key, Src::Up(i.b()))) {
                            Got::Val(v) => *reg!(i.a()) = v,
                            Got::Called => continue 'newframe,
                        }
                    }
                    OpCode::GetTable => {
                        let t = *reg!(i.b());
                        let key = rk!(i.c());
                        if let Value::Table(tab) = t {
                            let v = tab.get(&key);
                            if !v.is_nil() || self.tm_of(tab.meta, TM::Index).is_none() {
                                *reg!(i.a()) = v;
                                continue;
                            }
                        }
                        match protect!(self.index_slow(t, key, Src::Reg(i.b()))) {
                            Got::Val(v) => *reg!(i.a()) = v,
                            Got::Called => continue 'newframe,
                        }
                    }
                    OpCode::SetTabUp => {
                        let t = upval_get(&cl.upvals[i.a() as usize]);
                        let key = rk!(i.b());
                        let val = rk!(i.c());
                        if let (Value::Table(tab), Value::Str(s)) = (t, key) {
                            // Shared (image) tables take the slow path, which copies.
                            if tab.meta.is_none() && !tab.is_shared() {
                                tab.get_mut().set_str(s, val);
                                if self.heap.should_collect() {
                                    savepc!();
                                    let limit = self.cur.frames.last().map_or(0, |f| f.top);
                                    self.collect_at_safe_point(limit)?;
                                    continue 'newframe;
                                }
                                continue;
                            }
                        }
                        if let Got::Called =
                            protect!(self.setindex_slow(t, key, val, Src::Up(i.a())))
                        {
                            continue 'newframe;
                        }
                        if self.heap.should_collect() {
                            // The store grew a table: a safe point, as in the fast path.
                            let limit = self.cur.frames.last().map_or(0, |f| f.top);
                            self.collect_at_safe_point(limit)?;
                            continue 'newframe;
                        }
                    }
                    OpCode::SetUpval => {
                        let v = *reg!(i.a());
                        upval_set(cl.upvals[i.b() as usize].get_mut(), v);
                    }
                    OpCode::SetTable => {
                        let t = *reg!(i.a());
                        let key = rk!(i.b());
                        let val = rk!(i.c());
                        if let Value::Table(tab) = t {
                            // Without `__newindex` a store is raw even when the table has
                            // a metatable (objects of a class).
                            if (tab.meta.is_none() || self.tm_of(tab.meta, TM::NewIndex).is_none())
                                && !tab.is_shared()
                            {
                                if let Value::Num(n) = key {
                                    let idx = n as i64;
                                    if idx as f64 == n
                                        && idx >= 1
                                        && (idx as usize) <= tab.arr.len()
                                    {
                                        tab.get_mut().arr[idx as usize - 1] = val;
                                        tab.get_mut().tm_absent = 0;
                                        continue;
                                    }
                                }
                                let before = tab.byte_size();
                                if let Err(e) = tab.get_mut().set(key, val) {
                                    savepc!();
                                    return Err(self.rt_error(e.message()));
                                }
                                let after = tab.byte_size();
                                if after > before {
                                    // (The heap counts the growth itself: `Table::growth`.)
                                    // A growing table is allocation too: a safe point
                                    // (every register of the frame is kept).
                                    if self.heap.should_collect() {
                                        savepc!();
                                        let limit = self.cur.frames.last().map_or(0, |f| f.top);
                                        self.collect_at_safe_point(limit)?;
                                        continue 'newframe;
                                    }
                                }
                                continue;
                            }
                        }
                        if let Got::Called =
                            protect!(self.setindex_slow(t, key, val, Src::Reg(i.a())))
                        {
                            continue 'newframe;
                        }
                        if self.heap.should_collect() {
                            // The store grew a table: a safe point, as in the fast path.
                            let limit = self.cur.frames.last().map_or(0, |f| f.top);
                            self.collect_at_safe_point(limit)?;
                            continue 'newframe;
                        }
                    }
                    OpCode::NewTable => {
                        // A hint only sizes the table up front, so it is capped: the
                        // compiler's never exceed the constructor's items, but a binary
                        // chunk's may say 3e9 (beyond the cap, SETLIST grows the array).
                        let mut narr = (fb_to_int(i.b()) as usize).min(MAX_SIZE_HINT);
                        let mut nhash = (fb_to_int(i.c()) as usize).min(MAX_SIZE_HINT);
                        // Under a heap limit, a hint that does not fit in what is left is
                        // dropped, never a reason to end the program: SETLIST and stores
                        // reserve the real growth.
                        if narr + nhash > 64 {
                            if let Some(max) = self.max_heap {
                                let bytes = Table::bytes_for(narr, nhash);
                                if self.heap.total_bytes().saturating_add(bytes) > max {
                                    (narr, nhash) = (0, 0);
                                }
                            }
                        }
                        let t = Table::new(narr, nhash);
                        *reg!(i.a()) = Value::Table(self.heap.new_table(t));
                        if self.heap.should_collect() {
                            savepc!();
                            self.collect_at_safe_point(base + i.a() as usize + 1)?;
                            continue 'newframe;
                        }
                    }
                    OpCode::SelfOp => {
                        let t = *reg!(i.b());
                        let key = rk!(i.c());
                        *reg!(i.a() + 1) = t;
                        if let (Value::Table(tab), Value::Str(s)) = (t, key) {
                            if let Some(v) = self.get_str_chain(tab, s) {
                                *reg!(i.a()) = v;
                                continue;
                            }
                        }
                        match protect!(self.index_slow(t, key, Src::Reg(i.b()))) {
                            Got::Val(v) => *reg!(i.a()) = v,
                            Got::Called => continue 'newframe,
                        }
                    }
                    OpCode::Add => arith!(i, TM::Add, +),
                    OpCode::Sub => arith!(i, TM::Sub, -),
                    OpCode::Mul => arith!(i, TM::Mul, *),
                    OpCode::Div => arith!(i, TM::Div, /),
                    OpCode::Mod => arith_fn!(i, TM::Mod),
                    OpCode::Pow => arith_fn!(i, TM::Pow),
                    OpCode::Unm => {
                        let b = *reg!(i.b());
                        if let Value::Num(x) = b {
                            *reg!(i.a()) = Value::Num(-x);
                        } else {
                            match protect!(self.arith_slow(
                                TM::Unm,
                                b,
                                b,
                                Src::Reg(i.b()),
                                Src::Reg(i.b())
                            )) {
                                Got::Val(v) => *reg!(i.a()) = v,
                                Got::Called => continue 'newframe,
                            }
                        }
                    }
                    OpCode::Not => {
                        let b = *reg!(i.b());
                        *reg!(i.a()) = Value::Bool(!b.truthy());
                    }
                    OpCode::Len => {
                        let b = *reg!(i.b());
                        match b {
                            Value::Str(s) => *reg!(i.a()) = Value::Num(s.len() as f64),
                            Value::Table(t) if t.meta.is_none() => {
                                *reg!(i.a()) = Value::Num(t.length() as f64)
                            }
                            _ => match protect!(self.len_slow(b, Src::Reg(i.b()))) {
                                Got::Val(v) => *reg!(i.a()) = v,
                                Got::Called => continue 'newframe,
                            },
                        }
                    }
                    OpCode::Concat => {
                        let b = i.b() as usize;
                        let c = i.c() as usize;
                        savepc!();
                        self.cur.get_mut().top = base + c + 1;
                        match self.concat(c - b + 1)? {
                            Got::Val(()) => {
                                let th = self.cur.get_mut();
                                th.stack[base + i.a() as usize] = th.stack[base + b];
                                th.top = th.frames.last().unwrap().top;
                                if self.heap.should_collect() {
                                    let a = i.a() as usize;
                                    let limit = if a >= b { base + a + 1 } else { base + b };
                                    self.collect_at_safe_point(limit)?;
                                }
                                continue 'newframe;
                            }
                            Got::Called => continue 'newframe,
                        }
                    }
                    OpCode::Jmp => do_jump!(i),
                    OpCode::Eq => {
                        let res = if let (&Value::Num(x), &Value::Num(y)) =
                            (rk_ref!(i.b()), rk_ref!(i.c()))
                        {
                            x == y
                        } else {
                            let b = rk!(i.b());
                            let c = rk!(i.c());
                            match (b, c) {
                                (Value::Table(_), Value::Table(_))
                                | (Value::UserData(_), Value::UserData(_)) => {
                                    match protect!(self.equals(b, c)) {
                                        Got::Val(r) => r,
                                        Got::Called => continue 'newframe,
                                    }
                                }
                                _ => b.raw_eq(&c),
                            }
                        };
                        cond_jump!(res, i.a());
                    }
                    OpCode::Lt => {
                        let res = if let (&Value::Num(x), &Value::Num(y)) =
                            (rk_ref!(i.b()), rk_ref!(i.c()))
                        {
                            x < y
                        } else {
                            let b = rk!(i.b());
                            let c = rk!(i.c());
                            match protect!(self.less_than(b, c)) {
                                Got::Val(r) => r,
                                Got::Called => continue 'newframe,
                            }
                        };
                        cond_jump!(res, i.a());
                    }
                    OpCode::Le => {
                        let res = if let (&Value::Num(x), &Value::Num(y)) =
                            (rk_ref!(i.b()), rk_ref!(i.c()))
                        {
                            x <= y
                        } else {
                            let b = rk!(i.b());
                            let c = rk!(i.c());
                            match protect!(self.less_equal(b, c)) {
                                Got::Val(r) => r,
                                Got::Called => continue 'newframe,
                            }
                        };
                        cond_jump!(res, i.a());
                    }
                    OpCode::Test => {
                        // SAFETY: TEST and TESTSET are followed by a JMP (the
                        // compiler emits it; `dump::verify` checks it).
                        if reg!(i.a()).truthy() != (i.c() != 0) {
                            pc = unsafe { pc.add(1) };
                        } else {
                            let j = unsafe { *pc };
                            pc = unsafe { pc.add(1) };
                            do_jump!(j);
                        }
                    }
                    OpCode::TestSet => {
                        let v = *reg!(i.b());
                        // SAFETY: TEST and TESTSET are followed by a JMP (the
                        // compiler emits it; `dump::verify` checks it).
                        if v.truthy() != (i.c() != 0) {
                            pc = unsafe { pc.add(1) };
                        } else {
                            *reg!(i.a()) = v;
                            let j = unsafe { *pc };
                            pc = unsafe { pc.add(1) };
                            do_jump!(j);
                        }
                    }
                    OpCode::Call => {
                        let a = i.a() as usize;
                        let b = i.b() as usize;
                        let nresults = i.c() as i32 - 1;
                        let func = base + a;
                        // Fast path: a Lua function with fixed parameters and room on the
                        // stack is entered right here (the general path is `precall`).
                        if let (false, Value::LFn(ncl)) = (HOOKED, *reg!(a)) {
                            let np = &*ncl.p;
                            let th = self.cur.get_mut();
                            if b != 0 {
                                th.top = func + b;
                            }
                            let nbase = func + 1;
                            let ntop = nbase + np.max_stack as usize;
                            if !np.is_vararg && ntop + EXTRA_STACK <= th.stack.len() {
                                let nargs = th.top - nbase;
                                let nparams = np.num_params as usize;
                                if nargs < nparams {
                                    th.stack[nbase + nargs..nbase + nparams].fill(Value::Nil);
                                }
                                // The caller is the running Lua frame: save its pc and
                                // take its C level (a Lua-to-Lua call adds none).
                                let Some(parent) = th.frames.last_mut() else {
                                    unreachable!("a running Lua frame")
                                };
                                // SAFETY: as in `savepc!`.
                                parent.pc = unsafe { pc.offset_from(code) } as usize;
                                let clevel = parent.clevel;
                                crate::thread::push_frame(
                                    &mut th.frames,
                                    crate::thread::Frame {
                                        func,
                                        base: nbase,
                                        top: ntop,
                                        pc: 0,
                                        nresults,
                                        kind: FrameKind::Lua(ncl),
                                        call: CallKind::Normal,
                                        cont: None,
                                        le_via_lt: false,
                                        tail_calls: 0,
                                        yielded: false,
                                        blocked: false,
                                        hooked: false,
                                        clevel,
                                    },
                                    &mut self.heap,
                                );
                                th.top = ntop;
                                // The call is charged; an exhausted budget returns to
                                // the driver through 'newframe's check.
                                self.budget -= 1;
                                if self.budget <= 0 {
                                    continue 'newframe;
                                }
                                enter!(th, ncl, nbase, 0);
                                continue;
                            }
                        }
                        savepc!();
                        if b != 0 {
                            self.cur.get_mut().top = func + b;
                        }
                        // Fast path: a native that returns its results is called and
                        // finished right here, without leaving this frame's loop.
                        if let (false, Value::NFn(nc)) = (HOOKED, *reg!(a)) {
                            let caller = self.cur;
                            let depth = caller.frames.len();
                            let args = self.enter_native(nc, func, nresults, CallKind::Normal)?;
                            let ret = self.call_native(nc, args)?;
                            match ret {
                                // (Not if the native set hooks: its return is an event.)
                                crate::state::Ret::Values(n)
                                    if self.cur.ptr_eq(caller)
                                        && caller.frames.len() == depth + 1
                                        && caller.hook_on == 0 =>
                                {
                                    let th = caller.get_mut();
                                    th.frames.pop();
                                    let first = th.top - n;
                                    crate::vm::call::place_results(th, func, first, n, nresults);
                                    if nresults >= 0 {
                                        th.top = th.frames.last().expect("this frame").top;
                                    }
                                    // The native may have grown (moved) the stack.
                                    // SAFETY: this frame's registers are still on it.
                                    regs = unsafe { th.stack.as_mut_ptr().add(base) };
                                    if self.heap.should_collect() {
                                        let limit = if nresults >= 0 {
                                            func + nresults as usize
                                        } else {
                                            self.cur.top
                                        };
                                        self.collect_at_safe_point(limit)?;
                                        continue 'newframe;
                                    }
                                    if self.budget <= 0 || self.suspended.is_some() {
                                        continue 'newframe;
                                    }
                                    continue;
                                }
                                other => {
                                    self.native_ret(other, None)?;
                                    continue 'newframe;
                                }
                            }
                        }
                        // The call is complete only if we are back in this frame: a native
                        // may have left its frame waiting in a continuation, or switched
                        // coroutines; then top and GC belong to someone else.
                        let caller = self.cur;
                        let depth = caller.frames.len();
                        match self.precall(func, nresults, CallKind::Normal)? {
                            PreCall::Lua => continue 'newframe,
                            PreCall::Done => {
                                // (A coroutine switch may have happened: then the top
                                // belongs to the other thread and must stay.)
                                let completed =
                                    self.cur.ptr_eq(caller) && self.cur.frames.len() == depth;
                                if nresults >= 0 && completed {
                                    let th = self.cur.get_mut();
                                    if let Some(f) = th.frames.last() {
                                        if f.is_lua() {
                                            th.top = f.top;
                                        }
                                    }
                                }
                                if self.heap.should_collect() && completed {
                                    let limit = if nresults >= 0 {
                                        func + nresults as usize
                                    } else {
                                        self.cur.top
                                    };
                                    self.collect_at_safe_point(limit)?;
                                }
                                continue 'newframe;
                            }
                        }
                    }
                    OpCode::TailCall => {
                        let a = i.a() as usize;
                        let b = i.b() as usize;
                        let func = base + a;
                        savepc!();
                        if b != 0 {
                            self.cur.get_mut().top = func + b;
                        }
                        let f = self.cur.stack[func];
                        if HOOKED && matches!(f, Value::LFn(_)) && self.tail_call_hooked(func)? {
                            // Its "tail call" hook runs above both frames; the callee
                            // replaces the caller when it returns (`vm/hook.rs`).
                            continue 'newframe;
                        }
                        if let Value::LFn(_) = f {
                            if fnp.has_children {
                                self.close_upvals(base);
                            }
                            let th = self.cur.get_mut();
                            let frame = th.frames.pop().unwrap();
                            let dst = frame.func;
                            let top = th.top;
                            th.stack.copy_within(func..top, dst);
                            th.top = dst + (top - func);
                            self.tail_precall(
                                dst,
                                frame.nresults,
                                frame.call,
                                frame.tail_calls + 1,
                            )?;
                            continue 'newframe;
                        }
                        // Natives and __call values: an ordinary call; the RETURN A 0
                        // that the compiler puts after every TAILCALL passes the results
                        // on (as PUC does for C functions).
                        self.precall(func, -1, CallKind::Normal)?;
                        continue 'newframe;
                    }
                    OpCode::Return => {
                        let a = i.a() as usize;
                        let b = i.b() as usize;
                        let th = self.cur.get_mut();
                        let first = base + a;
                        let n = if b != 0 { b - 1 } else { th.top - first };
                        let nf = th.frames.len();
                        let frame = &th.frames[nf - 1];
                        let call = frame.call;
                        // Fast path: back into a calling Lua frame, nothing to close; the
                        // loop goes on in the caller without the driver.
                        if !HOOKED
                            && call == CallKind::Normal
                            && nf >= 2
                            && (!fnp.has_children || th.open_upvals.is_empty())
                        {
                            if let FrameKind::Lua(ccl) = th.frames[nf - 2].kind {
                                let res = frame.func;
                                let wanted = frame.nresults;
                                if wanted == 1 {
                                    // A 16-byte move: a `Value` picked by an `if` went
                                    // through the Rust stack byte-wise (a
                                    // store-forwarding stall on every return).
                                    if n >= 1 {
                                        th.stack.copy_within(first..first + 1, res);
                                    } else {
                                        th.stack[res] = Value::Nil;
                                    }
                                } else if wanted < 0 {
                                    th.stack.copy_within(first..first + n, res);
                                } else {
                                    let wanted = wanted as usize;
                                    let m = n.min(wanted);
                                    th.stack.copy_within(first..first + m, res);
                                    th.stack[res + m..res + wanted].fill(Value::Nil);
                                }
                                crate::thread::pop_frame(&mut th.frames);
                                let caller = &th.frames[nf - 2];
                                th.top = if wanted < 0 { res + n } else { caller.top };
                                if self.budget <= 0 {
                                    continue 'newframe;
                                }
                                let (cbase, cpc) = (caller.base, caller.pc);
                                enter!(th, ccl, cbase, cpc);
                                continue;
                            }
                            // One result to a native waiting in a continuation (a sort
                            // comparator, pcall): placed here; the driver takes over.
                            if frame.nresults == 1 && n >= 1 {
                                let res = frame.func;
                                th.stack.copy_within(first..first + 1, res);
                                crate::thread::pop_frame(&mut th.frames);
                                if !th.frames.is_empty() {
                                    th.top = res + 1;
                                }
                                continue 'newframe;
                            }
                        }
                        savepc!();
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
                                // SAFETY: jump targets are inside the code.
                                pc = unsafe { pc.offset(i.sbx() as isize) };
                                *reg!(a) = Value::Num(idx);
                                *reg!(a + 3) = Value::Num(idx);
                                self.budget -= 1;
                                if self.budget <= 0 {
                                    savepc!();
                                    return Ok(());
                                }
                            }
                        }
                    }
                    OpCode::ForPrep => {
                        let a = i.a();
                        let init = State::to_num_coerce(reg!(a));
                        let limit = State::to_num_coerce(reg!(a + 1));
                        let step = State::to_num_coerce(reg!(a + 2));
                        let Some(init) = init else {
                            savepc!();
                            return Err(self.rt_error("'for' initial value must be a number"));
                        };
                        let Some(limit) = limit else {
                            savepc!();
                            return Err(self.rt_error("'for' limit must be a number"));
                        };
                        let Some(step) = step else {
                            savepc!();
                            return Err(self.rt_error("'for' step must be a number"));
                        };
                        *reg!(a) = Value::Num(init - step);
                        *reg!(a + 1) = Value::Num(limit);
                        *reg!(a + 2) = Value::Num(step);
                        // SAFETY: jump targets are inside the code.
                        pc = unsafe { pc.offset(i.sbx() as isize) };
                    }
                    OpCode::TForCall => {
                        let a = base + i.a() as usize;
                        let cb = a + 3;
                        let th = self.cur.get_mut();
                        th.stack[cb + 2] = th.stack[a + 2];
                        th.stack[cb + 1] = th.stack[a + 1];
                        th.stack[cb] = th.stack[a];
                        th.top = cb + 3;
                        savepc!();
                        // The call is complete only if we are back in this frame: a native
                        // may have left its frame waiting in a continuation, or switched
                        // coroutines; then top and GC belong to someone else.
                        let caller = self.cur;
                        let depth = caller.frames.len();
                        match self.precall(cb, i.c() as i32, CallKind::Normal)? {
                            PreCall::Lua => continue 'newframe,
                            PreCall::Done => {
                                if self.cur.ptr_eq(caller) && self.cur.frames.len() == depth {
                                    let th = self.cur.get_mut();
                                    if let Some(f) = th.frames.last() {
                                        if f.is_lua() {
                                            th.top = f.top;
                                        }
                                    }
                                }
                                continue 'newframe;
                            }
                        }
                    }
                    OpCode::TForLoop => {
                        let a = i.a();
                        let v = *reg!(a + 1);
                        if !v.is_nil() {
                            *reg!(a) = v;
                            // SAFETY: jump targets are inside the code.
                            pc = unsafe { pc.offset(i.sbx() as isize) };
                            self.budget -= 1;
                            if self.budget <= 0 {
                                savepc!();
                                return Ok(());
                            }
                        }
                    }
                    OpCode::SetList => {
                        let a = i.a() as usize;
                        let mut n = i.b() as usize;
                        let mut c = i.c() as usize;
                        if n == 0 {
                            n = self.cur.top - (base + a) - 1;
                        }
                        if c == 0 {
                            // SAFETY: a SETLIST with C = 0 is followed by an EXTRAARG
                            // (the compiler emits it; `dump::verify` checks it).
                            c = unsafe { *pc }.ax() as usize;
                            pc = unsafe { pc.add(1) };
                        }
                        // The verifier cannot know register types: a binary chunk may
                        // put anything in A, where the compiler always puts the table
                        // NEWTABLE just made (so never one shared with other states,
                        // which this raw store would write into).
                        let t = match *reg!(a) {
                            Value::Table(t) if !t.is_shared() => t,
                            _ => {
                                savepc!();
                                return Err(self.rt_error(
                                    "SETLIST on a value that is not a new table (bad binary chunk)",
                                ));
                            }
                        };
                        let off = (c - 1) * FIELDS_PER_FLUSH as usize;
                        let last = off + n;
                        // Pre-size the array only to extend it contiguously (the compiler's
                        // batches come in order): a hostile C must not allocate beyond the
                        // at most 255 items this instruction stores.
                        if last > t.arr.len() && off <= t.arr.len() {
                            savepc!();
                            let th = self.cur.get_mut();
                            let limit = th.frames.last().map_or(0, |f| f.top).max(th.top);
                            let grow = (last - t.arr.len()) * std::mem::size_of::<Value>();
                            self.reserve_at_safe_point(grow, limit)?;
                            // (The heap counts the growth itself: `Table::growth`.)
                            t.get_mut().ensure_array(last);
                            // SAFETY: this frame's registers are still on the stack.
                            regs = unsafe { self.cur.get_mut().stack.as_mut_ptr().add(base) };
                        }
                        for j in 1..=n {
                            let v = *reg!(a + j);
                            t.get_mut().set_int((off + j) as i64, v);
                        }
                        let th = self.cur.get_mut();
                        th.top = th.frames.last().unwrap().top;
                    }
                    OpCode::Closure => {
                        let pinst = self.child_proto(fnp, i.bx() as usize);
                        let descs = &pinst.proto.upvalues;
                        if let Some(cached) = pinst.cache {
                            let cur = self.cur;
                            let same = descs.iter().zip(cached.upvals.iter()).all(|(d, uv)| {
                                if d.in_stack {
                                    matches!(uv.state, UpState::Open { thread, index }
                                        if thread.ptr_eq(cur) && index == base + d.index as usize)
                                } else {
                                    uv.ptr_eq(cl.upvals[d.index as usize])
                                }
                            });
                            if same {
                                *reg!(i.a()) = Value::LFn(cached);
                                continue;
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
                        *reg!(i.a()) = Value::LFn(ncl);
                        if self.heap.should_collect() {
                            savepc!();
                            self.collect_at_safe_point(base + i.a() as usize + 1)?;
                            continue 'newframe;
                        }
                    }
                    OpCode::Vararg => {
                        let a = i.a() as usize;
                        let b = i.b() as usize;
                        let th = self.cur.get_mut();
                        let frame = th.frames.last().unwrap();
                        let nparams = fnp.num_params as usize;
                        let nvar = (base - frame.func - 1).saturating_sub(nparams);
                        let vstart = base - nvar;
                        if b == 0 {
                            let need = base + a + nvar + EXTRA_STACK;
                            if need > th.stack.len() {
                                savepc!();
                                self.check_stack_at(need)?;
                            }
                            let th = self.cur.get_mut();
                            for j in 0..nvar {
                                th.stack[base + a + j] = th.stack[vstart + j];
                            }
                            th.top = base + a + nvar;
                            savepc!();
                            continue 'newframe;
                        } else {
                            for j in 0..b - 1 {
                                *reg!(a + j) = if j < nvar {
                                    th.stack[vstart + j]
                                } else {
                                    Value::Nil
                                };
                            }
                        }
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
