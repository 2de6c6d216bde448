//! Debug hooks (`debug.sethook`), as PUC-Rio 5.2's `luaD_hook`, `callhook`,
//! `luaD_poscall` and `traceexec`.
//!
//! A hook is called as an ordinary frame (`CallKind::Hook`) pushed on top of the frame
//! whose event it reports, so it is preemptible and charged like any call, and inside
//! it `debug.getinfo(2)` / `debug.getlocal(2, i)` see that frame. The work the event
//! interrupted is recorded in the thread's `hook_run` ([`After`]) and done when the
//! hook returns (`after_hook`, from `post_call_hooked`):
//! - call of a Lua function: its pc, 1 while the hook runs (as PUC's `callhook`), goes
//!   back to 0;
//! - tail call of a Lua function: the callee's frame, pushed above its caller's (as
//!   PUC's OP_TAILCALL, so the hook sees both), then replaces the caller;
//! - call of a native: the native is called then (its frame is marked `blocked`, which
//!   makes the driver call it with its arguments);
//! - count and line events: the instruction runs then; its frame's pc is moved back
//!   to it and the frame marked `hooked`, so the hooked loop runs it once without
//!   tracing it again (PUC's `CIST_HOOKED` trick for yields, used here for every hook);
//!   a count event is followed by the line check of the same instruction, as in
//!   `traceexec`;
//! - return: the frame returns then (`post_call_plain`), its results kept below the
//!   hook.
//!
//! While a hook runs its thread calls no hook (`hook_run` is set: PUC's `allowhook`;
//! also while a finalizer runs, as PUC's GCTM); an error that unwinds past the hook
//! frame clears it (`throw`); a yield inside the hook is "attempt to yield across a
//! C-call boundary", as for PUC's Lua hooks (called through `lua_call` from the C
//! hook). An error raised by a hook propagates as if raised by the event's instruction
//! (or call, or return).
//!
//! A coroutine created while hooks are set inherits the mask and count but not the
//! function, as in 5.2, whose ldblib looks the function up per thread
//! (`_HKEY[thread]`); `debug.gethook` in it gives nil, the mask and the count.
//!
//! The interpreter pays (almost) nothing for this while no hook is set:
//! `execute::<false>` is the loop without any tracing, and the driver runs
//! `execute::<true>` only for a thread whose `hook_on` is not 0. What remains is one
//! byte test of `hook_on` at the loop's `'newframe`, in its native-call fast path and in
//! `precall`/`post_call`.

use crate::state::{LResult, State};
use crate::thread::{
    CallKind, FrameKind, EXTRA_STACK, HOOK_RUNNING, MASK_CALL, MASK_COUNT, MASK_LINE, MASK_RET,
};
use crate::value::Value;

/// The work an event interrupted, done when its hook returns.
#[derive(Clone, Copy, Debug)]
pub(crate) enum After {
    /// Call event of the Lua function in the frame below: restore its pc to 0.
    LuaCall,
    /// Call event of the native in the frame below: call it.
    NativeCall,
    /// Count event before the instruction at the frame's pc: the line check, then the
    /// instruction.
    Count,
    /// Line event: the instruction.
    Line,
    /// Return event: the frame below returns its `n` results at `first`.
    Return { first: usize, n: usize },
    /// "tail call" event of the Lua function in the frame below, called from the frame
    /// below it: the callee replaces its caller.
    TailCall,
}

/// A hook running on a thread.
#[derive(Clone, Copy, Debug)]
pub struct HookRun {
    /// Index of the hook's frame in the thread's frames.
    pub(crate) frame: usize,
    /// The thread's top when the event happened (restored afterwards).
    pub(crate) saved_top: usize,
    pub(crate) after: After,
}

impl HookRun {
    /// Hooks off without a hook frame (while a finalizer runs; the caller restores the
    /// previous state): "frame 0" is unwound only with the thread's last frame.
    pub(crate) const SUSPENDED: HookRun = HookRun {
        frame: 0,
        saved_top: 0,
        after: After::LuaCall,
    };
}

/// Event names as the hook function receives them.
const EV_CALL: &[u8] = b"call";
const EV_TAIL_CALL: &[u8] = b"tail call";
const EV_RETURN: &[u8] = b"return";
const EV_LINE: &[u8] = b"line";
const EV_COUNT: &[u8] = b"count";

impl State {
    /// Calls the running thread's hook for an event of its top frame (`luaD_hook`): a
    /// `CallKind::Hook` frame with `(event, line or nil)` above everything the frame
    /// uses. A native hook runs to completion here (and its `after` work with it).
    fn fire_hook(&mut self, event: &[u8], line: Option<u32>, after: After) -> LResult<()> {
        let th = self.cur.get_mut();
        let fidx = th.frames.len() - 1;
        let f = &th.frames[fidx];
        let saved_top = th.top;
        let slot = if f.is_lua() {
            saved_top.max(f.top)
        } else {
            saved_top
        };
        let hook = th.hooks().hook;
        self.check_stack_at(slot + 3 + EXTRA_STACK)?;
        let ev = self.new_str(event);
        let th = self.cur.get_mut();
        th.set_hook_run(Some(HookRun {
            frame: fidx + 1,
            saved_top,
            after,
        }));
        th.stack[slot] = hook;
        th.stack[slot + 1] = ev;
        th.stack[slot + 2] = line.map_or(Value::Nil, |l| Value::Num(l as f64));
        th.top = slot + 3;
        self.precall(slot, 0, CallKind::Hook)?;
        Ok(())
    }

    /// Whether hooks may be called on the running thread now (PUC's `allowhook`).
    #[inline]
    fn hooks_allowed(&self) -> bool {
        self.cur.hook_on & HOOK_RUNNING == 0
    }

    /// The call event of the Lua function whose frame was just pushed (`callhook`).
    #[cold]
    #[inline(never)]
    pub(crate) fn lua_call_hook(&mut self, tail: bool) -> LResult<()> {
        if !self.hooks_allowed() {
            return Ok(());
        }
        // Hooks see the pc past the first instruction (its line is the current one).
        self.cur
            .get_mut()
            .frames
            .last_mut()
            .expect("called frame")
            .pc = 1;
        let ev = if tail { EV_TAIL_CALL } else { EV_CALL };
        self.fire_hook(ev, None, After::LuaCall)
    }

    /// A tail call of the Lua function at `func` on a thread with call hooks, as PUC's
    /// OP_TAILCALL: the callee's frame is pushed above the caller's, its "tail call" hook
    /// runs with both in place (so `getinfo(3)` in it is the caller), and the callee then
    /// replaces the caller (`After::TailCall`). Returns false (nothing done) when hooks
    /// are off: the plain tail call follows.
    #[cold]
    #[inline(never)]
    pub(crate) fn tail_call_hooked(&mut self, func: usize) -> LResult<bool> {
        let th = self.cur.get_mut();
        if th.hook_on & MASK_CALL == 0 || !self.hooks_allowed() {
            return Ok(false);
        }
        let Value::LFn(cl) = th.stack[func] else {
            return Ok(false);
        };
        let tail_calls = th.frames.last().expect("caller").tail_calls + 1;
        self.push_lua_frame(cl, func, -1, CallKind::Normal)?;
        let th = self.cur.get_mut();
        let f = th.frames.last_mut().expect("callee");
        f.tail_calls = tail_calls;
        f.pc = 1;
        self.fire_hook(EV_TAIL_CALL, None, After::TailCall)?;
        Ok(true)
    }

    /// After a "tail call" hook: the callee's frame (top) replaces its caller's (below
    /// it), moved down to the caller's function slot, as the plain tail call does.
    fn finish_tail_call(&mut self) {
        let th = self.cur.get_mut();
        let k = th.frames.len() - 1;
        let (caller_base, caller_has_children) = match th.frames[k - 1].kind {
            FrameKind::Lua(ccl) => (th.frames[k - 1].base, ccl.p.has_children),
            FrameKind::Native(_) => (th.frames[k - 1].base, false),
        };
        if caller_has_children {
            self.close_upvals(caller_base);
        }
        let th = self.cur.get_mut();
        let caller = th.frames.remove(k - 1);
        let f = th.frames.last_mut().expect("callee");
        let delta = f.func - caller.func;
        let top = th.top;
        th.stack.copy_within(f.func..top, caller.func);
        th.top = top - delta;
        f.func -= delta;
        f.base -= delta;
        f.top -= delta;
        f.pc = 0;
        f.nresults = caller.nresults;
        f.call = caller.call;
        f.clevel = caller.clevel;
        f.tail_calls = caller.tail_calls + 1;
        if let Some(c) = caller.cont {
            drop(c);
        }
    }

    /// The call event of the native whose frame was just pushed; returns whether the
    /// hook was called (the native is then called when it returns, by the driver).
    #[cold]
    #[inline(never)]
    pub(crate) fn native_call_hook(&mut self) -> LResult<bool> {
        if !self.hooks_allowed() {
            return Ok(false);
        }
        self.fire_hook(EV_CALL, None, After::NativeCall)?;
        Ok(true)
    }

    /// `post_call` on a thread with return or line hooks, or with a hook running: the
    /// return event, the caller's pc as `oldpc` (as `luaD_poscall`), and the end of a
    /// hook when its frame returns.
    #[cold]
    #[inline(never)]
    pub(crate) fn post_call_hooked(&mut self, first: usize, n: usize) -> LResult<()> {
        let th = self.cur.get_mut();
        let mask = th.hook_on;
        if mask & MASK_RET != 0 && self.hooks_allowed() {
            return self.fire_hook(EV_RETURN, None, After::Return { first, n });
        }
        if mask & (MASK_RET | MASK_LINE) != 0 {
            self.set_old_pc_to_caller();
        }
        let th = self.cur.get_mut();
        let hook_returns = th.frames.last().is_some_and(|f| f.call == CallKind::Hook);
        self.post_call_plain(first, n);
        if hook_returns {
            self.after_hook()?;
        }
        Ok(())
    }

    /// `L->oldpc = ci->previous->u.l.savedpc`.
    fn set_old_pc_to_caller(&mut self) {
        let th = self.cur.get_mut();
        let nf = th.frames.len();
        if nf >= 2 && th.frames[nf - 2].is_lua() {
            th.hooks_mut().old_pc = th.frames[nf - 2].pc as u32;
        }
    }

    /// The hook frame just returned (its frame is popped): restore the thread and do
    /// the work the event interrupted.
    #[cold]
    #[inline(never)]
    pub(crate) fn after_hook(&mut self) -> LResult<()> {
        let th = self.cur.get_mut();
        let Some(run) = th.hook_run() else {
            return Ok(());
        };
        th.set_hook_run(None);
        th.top = run.saved_top;
        let Some(f) = th.frames.last_mut() else {
            return Ok(());
        };
        match run.after {
            After::LuaCall => {
                f.pc = 0;
                Ok(())
            }
            After::TailCall => {
                self.finish_tail_call();
                Ok(())
            }
            After::NativeCall => {
                f.blocked = true;
                Ok(())
            }
            After::Count => {
                if !self.trace_line()? {
                    self.instruction_traced();
                }
                Ok(())
            }
            After::Line => {
                self.instruction_traced();
                Ok(())
            }
            After::Return { first, n } => {
                self.set_old_pc_to_caller();
                self.post_call_plain(first, n);
                Ok(())
            }
        }
    }

    /// The hooks of the instruction before the top frame's pc are done: run it next,
    /// without tracing it again.
    fn instruction_traced(&mut self) {
        let th = self.cur.get_mut();
        let pc = th.frames.last().expect("traced frame").pc;
        th.hooks_mut().old_pc = pc as u32;
        let f = th.frames.last_mut().expect("traced frame");
        f.pc -= 1;
        f.hooked = true;
    }

    /// The hooked loop's look before each instruction (`pc` is the index after it):
    /// counts it and calls the count and line hooks due. Returns whether a hook was
    /// called (the instruction then runs when it returns).
    pub(crate) fn trace_instruction(&mut self, pc: usize) -> LResult<bool> {
        let th = self.cur.get_mut();
        let mask = th.hook_on;
        if mask & (MASK_LINE | MASK_COUNT) == 0 {
            return Ok(false);
        }
        let f = th.frames.last_mut().expect("running frame");
        if f.hooked {
            // Its hooks were called: it runs now.
            f.hooked = false;
            return Ok(false);
        }
        f.pc = pc;
        let h = th.hooks_mut();
        h.count = h.count.wrapping_sub(1);
        if h.count == 0 || mask & MASK_LINE != 0 {
            return self.trace_exec();
        }
        Ok(false)
    }

    /// `traceexec` for the instruction before the top frame's (saved) pc, whose count
    /// was just decremented: calls the count and line hooks due. Returns whether a
    /// hook was called (the instruction then runs when it returns).
    #[cold]
    #[inline(never)]
    pub(crate) fn trace_exec(&mut self) -> LResult<bool> {
        let th = self.cur.get_mut();
        let mask = th.hook_on;
        let h = th.hooks_mut();
        let counthook = mask & MASK_COUNT != 0 && h.count == 0;
        if counthook {
            h.count = h.base_count;
        }
        if !self.hooks_allowed() {
            let th = self.cur.get_mut();
            th.hooks_mut().old_pc = th.frames.last().expect("traced frame").pc as u32;
            return Ok(false);
        }
        if counthook {
            self.fire_hook(EV_COUNT, None, After::Count)?;
            return Ok(true);
        }
        self.trace_line()
    }

    /// The line part of `traceexec`: a line event when the instruction is the
    /// function's first, or reached by a backward jump, or on a new line.
    fn trace_line(&mut self) -> LResult<bool> {
        let th = self.cur.get_mut();
        let f = th.frames.last().expect("traced frame");
        let pc = f.pc;
        if th.hook_on & MASK_LINE != 0 {
            let FrameKind::Lua(cl) = f.kind else {
                return Ok(false);
            };
            let p = &cl.p.proto;
            let npc = pc - 1;
            let newline = p.line_at(npc);
            let old_pc = th.hooks().old_pc as usize;
            let old_line = old_pc
                .checked_sub(1)
                .and_then(|o| p.line_info.get(o).copied());
            if npc == 0 || pc <= old_pc || old_line != Some(newline) {
                self.fire_hook(EV_LINE, Some(newline), After::Line)?;
                return Ok(true);
            }
        }
        self.cur.get_mut().hooks_mut().old_pc = pc as u32;
        Ok(false)
    }

    /// Sets the hook of thread `th` (`lua_sethook` plus ldblib's `_HKEY[th] = hook`):
    /// `hook` is what `gethook` reports; events are called only for a function with a
    /// non-empty mask.
    pub(crate) fn set_hook(
        &mut self,
        th: crate::gc::Gc<crate::thread::Thread>,
        hook: Value,
        mask: u8,
        count: i32,
    ) {
        let t = th.get_mut();
        let h = t.hooks_mut();
        h.hook = hook;
        h.mask = mask;
        h.base_count = count;
        h.count = count;
        let on = if hook.is_function() { mask } else { 0 };
        t.hook_on = on | (t.hook_on & HOOK_RUNNING);
        // A frame marked while other hooks were set (and then cleared before it ran
        // its instruction untraced) must not skip a trace of the new ones. (No frame is
        // marked between a hook's return and its instruction, where no code runs.)
        for f in t.frames.iter_mut() {
            f.hooked = false;
        }
    }
}

/// `makemask`: the event mask of a `sethook` mask string and count.
pub(crate) fn make_mask(smask: &[u8], count: i64) -> u8 {
    let mut mask = 0;
    if smask.contains(&b'c') {
        mask |= MASK_CALL;
    }
    if smask.contains(&b'r') {
        mask |= MASK_RET;
    }
    if smask.contains(&b'l') {
        mask |= MASK_LINE;
    }
    if count > 0 {
        mask |= MASK_COUNT;
    }
    mask
}

/// `unmakemask`: the mask string `gethook` returns.
pub(crate) fn unmake_mask(mask: u8) -> Vec<u8> {
    let mut s = Vec::new();
    if mask & MASK_CALL != 0 {
        s.push(b'c');
    }
    if mask & MASK_RET != 0 {
        s.push(b'r');
    }
    if mask & MASK_LINE != 0 {
        s.push(b'l');
    }
    s
}
