//! Code generation for one function: the counterpart of PUC-Rio's `lcode.c`.
//!
//! [`FuncState`] owns the prototype under construction and knows how to emit
//! instructions, manage the register stack, build and patch jump lists and turn
//! expression descriptors ([`ExpDesc`]) into registers, constants or jumps. Keeping the
//! same expression-descriptor machinery as PUC is what makes the generated code identical
//! to `luac`'s, instruction for instruction.

use super::CompileError;
use crate::opcode::{
    int_to_fb, rk_as_k, Instruction, OpCode, FIELDS_PER_FLUSH, MAXARG_AX, MAXARG_BX, MAXARG_C,
    MAXARG_SBX, MAXINDEXRK, MAX_REGISTERS,
};
use crate::proto::{Constant, Proto};
use std::collections::HashMap;
use std::sync::Arc;

/// "No register": used by jump patching to turn a TESTSET into a TEST.
pub(super) const NO_REG: u32 = crate::opcode::MAXARG_A;

/// Number of results meaning "all of them" (`LUA_MULTRET`).
pub(super) const MULTRET: i32 = -1;

/// A jump list: the pc of its most recent jump, the others chained through the jumps'
/// sBx fields (as in PUC); `None` is the empty list.
pub(super) type JumpList = Option<usize>;

/// Where the value of an expression currently is (PUC's `expkind` plus its payload).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum ExpKind {
    /// No value (empty expression list).
    Void,
    Nil,
    True,
    False,
    /// Constant `n` of the constant table.
    K(u32),
    /// A number not yet put in the constant table (so it can still be folded).
    KNum(f64),
    /// The value is in a fixed register.
    NonReloc(u32),
    /// A local variable, in its register.
    Local(u32),
    /// Upvalue `n`.
    Upval(u32),
    /// `t[idx]`: `t` is a register or (if `t_upval`) an upvalue; `idx` is an RK operand.
    Indexed {
        t: u32,
        idx: u32,
        t_upval: bool,
    },
    /// A comparison whose jump is at this pc.
    Jmp(usize),
    /// The instruction at this pc computes the value; its A operand is still free.
    Relocable(usize),
    /// A call instruction at this pc (possibly multiple results).
    Call(usize),
    /// A VARARG instruction at this pc (possibly multiple results).
    Vararg(usize),
}

/// An expression descriptor: where the value is, plus the pending "exit when true" and
/// "exit when false" jump lists of and/or/not/comparisons.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct ExpDesc {
    pub k: ExpKind,
    pub t: JumpList,
    pub f: JumpList,
}

impl ExpDesc {
    pub fn new(k: ExpKind) -> ExpDesc {
        ExpDesc {
            k,
            t: None,
            f: None,
        }
    }

    fn has_jumps(&self) -> bool {
        self.t.is_some() || self.f.is_some()
    }

    /// A numeral without pending jumps: the only thing constant folding touches.
    pub fn numeral(&self) -> Option<f64> {
        match self.k {
            ExpKind::KNum(n) if !self.has_jumps() => Some(n),
            _ => None,
        }
    }

    /// Calls and `...` can produce any number of values.
    pub fn has_multret(&self) -> bool {
        matches!(self.k, ExpKind::Call(_) | ExpKind::Vararg(_))
    }
}

/// Key of the constant-deduplication map. Numbers are keyed by their bits, which keeps
/// `0` and `-0` (and NaNs) apart exactly as PUC's raw-representation trick does.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum KKey {
    Nil,
    Bool(bool),
    Num(u64),
    Str(Vec<u8>),
}

/// A lexical block (PUC's `BlockCnt`).
#[derive(Debug, Clone)]
pub(super) struct Block {
    /// Index of the first label of this block in [`FuncState::labels`].
    pub first_label: usize,
    /// Index of the first pending goto of this block in [`FuncState::gotos`].
    pub first_goto: usize,
    /// Number of active locals outside the block.
    pub nactvar: u32,
    /// Some local of the block is captured as an upvalue.
    pub upval: bool,
    /// The block is a loop (so it owns a `break` label).
    pub is_loop: bool,
}

/// A label or a pending goto (PUC's `Labeldesc`).
#[derive(Debug, Clone)]
pub(super) struct LabelDesc {
    pub name: String,
    /// For a label, its pc; for a goto, its jump list (empty for a goto that can
    /// never be taken, as in `if false then goto l end`).
    pub pc: JumpList,
    pub line: u32,
    /// Number of active locals at that point.
    pub nactvar: u32,
}

/// State of the function being compiled (PUC's `FuncState`, plus the parts of `Dyndata`
/// that belong to it: active locals, labels and pending gotos).
pub(super) struct FuncState {
    pub f: Proto,
    k_cache: HashMap<KKey, u32>,
    /// pc of the last jump target (no peephole across it).
    pub last_target: usize,
    /// Jumps that must go to the next instruction emitted.
    pub jpc: JumpList,
    pub nactvar: u32,
    pub free_reg: u32,
    max_stack: u32,
    /// Active local variables: indices into `f.loc_vars`, in register order.
    pub actvar: Vec<usize>,
    pub blocks: Vec<Block>,
    pub labels: Vec<LabelDesc>,
    pub gotos: Vec<LabelDesc>,
    /// Line of the last "consumed" token, as PUC's `ls->lastline`: every instruction
    /// gets it as its line.
    pub line: u32,
    /// For the head of a pending jump list, a jump known to be in that list near its end,
    /// so that appending to a long list (`x or 1 or 1 or ...` grows one list by one jump
    /// per operator) does not walk it from the head each time: without it a chain of n
    /// operators costs n^2/2 steps (PUC has that quadratic cost too; for a 10 MB source
    /// it would hang the compiler for hours).
    list_tails: HashMap<usize, usize>,
}

type CResult<T> = Result<T, CompileError>;

impl FuncState {
    pub fn new(source: Arc<str>, line_defined: u32) -> FuncState {
        let f = Proto {
            source,
            line_defined,
            ..Proto::default()
        };
        FuncState {
            f,
            k_cache: HashMap::new(),
            last_target: 0,
            jpc: None,
            nactvar: 0,
            free_reg: 0,
            max_stack: 2, // registers 0/1 are always valid
            actvar: Vec::new(),
            blocks: Vec::new(),
            labels: Vec::new(),
            gotos: Vec::new(),
            line: line_defined,
            list_tails: HashMap::new(),
        }
    }

    /// Finishes the prototype.
    pub fn into_proto(mut self) -> Proto {
        self.f.max_stack_size = self.max_stack.min(255) as u8;
        self.f
    }

    fn err(&self, msg: impl Into<String>) -> CompileError {
        CompileError::new(msg, self.line)
    }

    pub fn pc(&self) -> usize {
        self.f.code.len()
    }

    // ----- emitting -----

    /// Appends an instruction (after resolving jumps to "here").
    pub fn code(&mut self, i: Instruction) -> CResult<usize> {
        self.discharge_jpc()?;
        self.f.code.push(i);
        self.f.line_info.push(self.line);
        Ok(self.f.code.len() - 1)
    }

    pub fn code_abc(&mut self, op: OpCode, a: u32, b: u32, c: u32) -> CResult<usize> {
        self.code(Instruction::abc(op, a, b, c))
    }

    pub fn code_abx(&mut self, op: OpCode, a: u32, bx: u32) -> CResult<usize> {
        self.code(Instruction::abx(op, a, bx))
    }

    pub fn code_asbx(&mut self, op: OpCode, a: u32, sbx: i32) -> CResult<usize> {
        self.code(Instruction::asbx(op, a, sbx))
    }

    fn code_extra_arg(&mut self, a: u32) -> CResult<usize> {
        self.code(Instruction::ax_op(OpCode::ExtraArg, a))
    }

    /// Sets the line of the last instruction (binary operators and calls report the
    /// operator's / call's line rather than the last token's).
    pub fn fix_line(&mut self, line: u32) {
        if let Some(l) = self.f.line_info.last_mut() {
            *l = line;
        }
    }

    fn instr(&mut self, pc: usize) -> &mut Instruction {
        &mut self.f.code[pc]
    }

    /// Loads constant `k` into `reg` (LOADKX + EXTRAARG when `k` does not fit in Bx).
    pub fn code_k(&mut self, reg: u32, k: u32) -> CResult<usize> {
        if k <= MAXARG_BX {
            self.code_abx(OpCode::LoadK, reg, k)
        } else {
            let p = self.code_abx(OpCode::LoadKx, reg, 0)?;
            self.code_extra_arg(k)?;
            Ok(p)
        }
    }

    /// Sets `n` registers from `from` to nil, merging with a preceding LOADNIL when no
    /// jump targets the current position.
    pub fn code_nil(&mut self, mut from: u32, n: u32) -> CResult<()> {
        let mut l = from + n - 1;
        if self.pc() > self.last_target && self.pc() > 0 {
            let prev = self.f.code[self.pc() - 1];
            if prev.opcode() == OpCode::LoadNil {
                let pfrom = prev.a();
                let pl = pfrom + prev.b();
                if (pfrom <= from && from <= pl + 1) || (from <= pfrom && pfrom <= l + 1) {
                    from = from.min(pfrom);
                    l = l.max(pl);
                    let last = self.pc() - 1;
                    self.instr(last).set_a(from);
                    self.instr(last).set_b(l - from);
                    return Ok(());
                }
            }
        }
        self.code_abc(OpCode::LoadNil, from, n - 1, 0)?;
        Ok(())
    }

    pub fn ret(&mut self, first: u32, nret: i32) -> CResult<usize> {
        self.code_abc(OpCode::Return, first, (nret + 1) as u32, 0)
    }

    /// Emits SETLIST for `tostore` pending items ending at item `nelems`.
    pub fn set_list(&mut self, base: u32, nelems: u32, tostore: i32) -> CResult<()> {
        let c = (nelems.saturating_sub(1)) / FIELDS_PER_FLUSH + 1;
        let b = if tostore == MULTRET {
            0
        } else {
            tostore as u32
        };
        if c <= MAXARG_C {
            self.code_abc(OpCode::SetList, base, b, c)?;
        } else if c <= MAXARG_AX {
            self.code_abc(OpCode::SetList, base, b, 0)?;
            self.code_extra_arg(c)?;
        } else {
            return Err(self.err("constructor too long"));
        }
        self.free_reg = base + 1;
        Ok(())
    }

    /// Fills in NEWTABLE's size hints.
    pub fn set_table_size(&mut self, pc: usize, na: u32, nh: u32) {
        let i = self.instr(pc);
        i.set_b(int_to_fb(na));
        i.set_c(int_to_fb(nh));
    }

    // ----- registers -----

    /// Makes sure `n` more registers are available.
    pub fn check_stack(&mut self, n: u32) -> CResult<()> {
        let new_stack = self.free_reg + n;
        if new_stack > self.max_stack {
            if new_stack >= MAX_REGISTERS {
                return Err(self.err("function or expression too complex"));
            }
            self.max_stack = new_stack;
        }
        Ok(())
    }

    pub fn reserve_regs(&mut self, n: u32) -> CResult<()> {
        self.check_stack(n)?;
        self.free_reg += n;
        Ok(())
    }

    /// Frees a register if it is a temporary (not a constant, not a local).
    fn free_reg(&mut self, reg: u32) {
        if reg & crate::opcode::BITRK == 0 && reg >= self.nactvar {
            // PUC asserts reg == free_reg - 1 here; we trust the discipline.
            self.free_reg = self.free_reg.saturating_sub(1);
        }
    }

    fn free_exp(&mut self, e: &ExpDesc) {
        if let ExpKind::NonReloc(r) = e.k {
            self.free_reg(r);
        }
    }

    // ----- constants -----

    fn add_k(&mut self, key: KKey, value: Constant) -> u32 {
        if let Some(&i) = self.k_cache.get(&key) {
            return i;
        }
        let i = self.f.constants.len() as u32;
        self.f.constants.push(value);
        self.k_cache.insert(key, i);
        i
    }

    pub fn string_k(&mut self, s: &[u8]) -> u32 {
        self.add_k(KKey::Str(s.to_vec()), Constant::Str(Arc::from(s)))
    }

    pub fn number_k(&mut self, n: f64) -> u32 {
        self.add_k(KKey::Num(n.to_bits()), Constant::Number(n))
    }

    fn bool_k(&mut self, b: bool) -> u32 {
        self.add_k(KKey::Bool(b), Constant::Bool(b))
    }

    fn nil_k(&mut self) -> u32 {
        self.add_k(KKey::Nil, Constant::Nil)
    }

    // ----- jumps -----

    /// Emits a JMP that also carries the pending jumps to "here" (they now go where
    /// this jump goes).
    pub fn jump(&mut self) -> CResult<usize> {
        let jpc = self.jpc.take();
        let j = self.code_asbx(OpCode::Jmp, 0, -1)?;
        let mut list = Some(j);
        self.concat(&mut list, jpc)?;
        Ok(j)
    }

    /// Marks the current pc as a jump target and returns it.
    pub fn get_label(&mut self) -> usize {
        self.last_target = self.pc();
        self.pc()
    }

    fn get_jump(&self, pc: usize) -> JumpList {
        let off = self.f.code[pc].sbx();
        if off == -1 {
            None
        } else {
            Some((pc as i64 + 1 + off as i64) as usize)
        }
    }

    fn fix_jump(&mut self, pc: usize, dest: usize) -> CResult<()> {
        let off = dest as i64 - (pc as i64 + 1);
        if off.abs() > MAXARG_SBX as i64 {
            return Err(self.err("control structure too long"));
        }
        self.instr(pc).set_sbx(off as i32);
        Ok(())
    }

    /// Appends list `l2` to list `l1`.
    pub fn concat(&mut self, l1: &mut JumpList, l2: JumpList) -> CResult<()> {
        let Some(l2) = l2 else { return Ok(()) };
        match *l1 {
            None => *l1 = Some(l2),
            Some(head) => {
                let mut list = self.list_tails.get(&head).copied().unwrap_or(head);
                while let Some(next) = self.get_jump(list) {
                    list = next;
                }
                self.fix_jump(list, l2)?;
                // l2 is now part of head's list: its own hint moves to head
                let tail = self.list_tails.remove(&l2).unwrap_or(l2);
                self.list_tails.insert(head, tail);
            }
        }
        Ok(())
    }

    /// The instruction that controls the jump at `pc`: the test before it, if any.
    fn jump_control(&self, pc: usize) -> usize {
        if pc >= 1 && is_test_op(self.f.code[pc - 1].opcode()) {
            pc - 1
        } else {
            pc
        }
    }

    /// Does some jump of the list need a value produced (i.e. is not a TESTSET)?
    fn need_value(&self, mut list: JumpList) -> bool {
        while let Some(pc) = list {
            let i = self.f.code[self.jump_control(pc)];
            if i.opcode() != OpCode::TestSet {
                return true;
            }
            list = self.get_jump(pc);
        }
        false
    }

    /// Makes the TESTSET controlling jump `node` store into `reg`, or turns it into a
    /// TEST when no value is wanted (or it would be a self-move). Returns false when the
    /// jump is not controlled by a TESTSET.
    fn patch_test_reg(&mut self, node: usize, reg: u32) -> bool {
        let cpc = self.jump_control(node);
        let i = self.f.code[cpc];
        if i.opcode() != OpCode::TestSet {
            return false;
        }
        if reg != NO_REG && reg != i.b() {
            self.instr(cpc).set_a(reg);
        } else {
            *self.instr(cpc) = Instruction::abc(OpCode::Test, i.b(), 0, i.c());
        }
        true
    }

    fn remove_values(&mut self, mut list: JumpList) {
        while let Some(pc) = list {
            self.patch_test_reg(pc, NO_REG);
            list = self.get_jump(pc);
        }
    }

    /// Patches a list: value-producing tests go to `vtarget` (storing into `reg`),
    /// the others to `dtarget`.
    fn patch_list_aux(
        &mut self,
        mut list: JumpList,
        vtarget: usize,
        reg: u32,
        dtarget: usize,
    ) -> CResult<()> {
        if let Some(head) = list {
            self.list_tails.remove(&head); // the list ends here
        }
        while let Some(pc) = list {
            let next = self.get_jump(pc);
            if self.patch_test_reg(pc, reg) {
                self.fix_jump(pc, vtarget)?;
            } else {
                self.fix_jump(pc, dtarget)?;
            }
            list = next;
        }
        Ok(())
    }

    fn discharge_jpc(&mut self) -> CResult<()> {
        let jpc = self.jpc.take();
        let pc = self.pc();
        self.patch_list_aux(jpc, pc, NO_REG, pc)
    }

    /// Makes every jump of `list` go to `target`.
    pub fn patch_list(&mut self, list: JumpList, target: usize) -> CResult<()> {
        if target == self.pc() {
            self.patch_to_here(list)
        } else {
            self.patch_list_aux(list, target, NO_REG, target)
        }
    }

    /// Makes the jumps of `list` close upvalues from register `level` up.
    pub fn patch_close(&mut self, mut list: JumpList, level: u32) {
        while let Some(pc) = list {
            let next = self.get_jump(pc);
            self.instr(pc).set_a(level + 1);
            list = next;
        }
    }

    pub fn patch_to_here(&mut self, list: JumpList) -> CResult<()> {
        self.get_label();
        let mut jpc = self.jpc.take();
        self.concat(&mut jpc, list)?;
        self.jpc = jpc;
        Ok(())
    }

    /// Emits a backward jump to `target`.
    pub fn jump_to(&mut self, target: usize) -> CResult<()> {
        let j = self.jump()?;
        self.patch_list(Some(j), target)
    }

    fn cond_jump(&mut self, op: OpCode, a: u32, b: u32, c: u32) -> CResult<usize> {
        self.code_abc(op, a, b, c)?;
        self.jump()
    }

    // ----- expression discharge -----

    /// Sets the number of results of a multi-value expression.
    pub fn set_returns(&mut self, e: &ExpDesc, nresults: i32) -> CResult<()> {
        match e.k {
            ExpKind::Call(pc) => self.instr(pc).set_c((nresults + 1) as u32),
            ExpKind::Vararg(pc) => {
                let fr = self.free_reg;
                let i = self.instr(pc);
                i.set_b((nresults + 1) as u32);
                i.set_a(fr);
                self.reserve_regs(1)?;
            }
            _ => {}
        }
        Ok(())
    }

    pub fn set_multret(&mut self, e: &ExpDesc) -> CResult<()> {
        self.set_returns(e, MULTRET)
    }

    /// Truncates a multi-value expression to one value.
    pub fn set_one_ret(&mut self, e: &mut ExpDesc) {
        match e.k {
            ExpKind::Call(pc) => e.k = ExpKind::NonReloc(self.f.code[pc].a()),
            ExpKind::Vararg(pc) => {
                self.instr(pc).set_b(2);
                e.k = ExpKind::Relocable(pc);
            }
            _ => {}
        }
    }

    /// Turns variables into values (emitting the loads they need).
    pub fn discharge_vars(&mut self, e: &mut ExpDesc) -> CResult<()> {
        match e.k {
            ExpKind::Local(r) => e.k = ExpKind::NonReloc(r),
            ExpKind::Upval(u) => {
                e.k = ExpKind::Relocable(self.code_abc(OpCode::GetUpval, 0, u, 0)?);
            }
            ExpKind::Indexed { t, idx, t_upval } => {
                self.free_reg(idx);
                let op = if t_upval {
                    OpCode::GetTabUp
                } else {
                    self.free_reg(t);
                    OpCode::GetTable
                };
                e.k = ExpKind::Relocable(self.code_abc(op, 0, t, idx)?);
            }
            ExpKind::Call(_) | ExpKind::Vararg(_) => self.set_one_ret(e),
            _ => {}
        }
        Ok(())
    }

    fn discharge_to_reg(&mut self, e: &mut ExpDesc, reg: u32) -> CResult<()> {
        self.discharge_vars(e)?;
        match e.k {
            ExpKind::Nil => self.code_nil(reg, 1)?,
            ExpKind::False | ExpKind::True => {
                self.code_abc(OpCode::LoadBool, reg, (e.k == ExpKind::True) as u32, 0)?;
            }
            ExpKind::K(k) => {
                self.code_k(reg, k)?;
            }
            ExpKind::KNum(n) => {
                let k = self.number_k(n);
                self.code_k(reg, k)?;
            }
            ExpKind::Relocable(pc) => self.instr(pc).set_a(reg),
            ExpKind::NonReloc(r) => {
                if r != reg {
                    self.code_abc(OpCode::Move, reg, r, 0)?;
                }
            }
            _ => return Ok(()), // Void or Jmp: nothing to do
        }
        e.k = ExpKind::NonReloc(reg);
        Ok(())
    }

    fn discharge_to_any_reg(&mut self, e: &mut ExpDesc) -> CResult<()> {
        if !matches!(e.k, ExpKind::NonReloc(_)) {
            self.reserve_regs(1)?;
            let r = self.free_reg - 1;
            self.discharge_to_reg(e, r)?;
        }
        Ok(())
    }

    /// Emits `R(reg) := bool; if skip then pc++` as a jump target of value-needing jumps.
    fn code_label(&mut self, reg: u32, b: u32, jump: u32) -> CResult<usize> {
        self.get_label();
        self.code_abc(OpCode::LoadBool, reg, b, jump)
    }

    /// Puts the value of `e` (including pending and/or jumps) into `reg`.
    fn exp_to_reg(&mut self, e: &mut ExpDesc, reg: u32) -> CResult<()> {
        self.discharge_to_reg(e, reg)?;
        if let ExpKind::Jmp(pc) = e.k {
            let mut t = e.t;
            self.concat(&mut t, Some(pc))?;
            e.t = t;
        }
        if e.has_jumps() {
            let mut p_f = None;
            let mut p_t = None;
            if self.need_value(e.t) || self.need_value(e.f) {
                let fj = if matches!(e.k, ExpKind::Jmp(_)) {
                    None
                } else {
                    Some(self.jump()?)
                };
                p_f = Some(self.code_label(reg, 0, 1)?);
                p_t = Some(self.code_label(reg, 1, 0)?);
                self.patch_to_here(fj)?;
            }
            let final_pc = self.get_label();
            // when no LOADBOOLs were emitted every jump is a TESTSET and dtarget is unused
            self.patch_list_aux(e.f, final_pc, reg, p_f.unwrap_or(final_pc))?;
            self.patch_list_aux(e.t, final_pc, reg, p_t.unwrap_or(final_pc))?;
        }
        e.t = None;
        e.f = None;
        e.k = ExpKind::NonReloc(reg);
        Ok(())
    }

    /// Puts the value of `e` into the next free register.
    pub fn exp_to_next_reg(&mut self, e: &mut ExpDesc) -> CResult<()> {
        self.discharge_vars(e)?;
        self.free_exp(e);
        self.reserve_regs(1)?;
        let r = self.free_reg - 1;
        self.exp_to_reg(e, r)
    }

    /// Puts the value of `e` into some register and returns it.
    pub fn exp_to_any_reg(&mut self, e: &mut ExpDesc) -> CResult<u32> {
        self.discharge_vars(e)?;
        if let ExpKind::NonReloc(r) = e.k {
            if !e.has_jumps() {
                return Ok(r);
            }
            if r >= self.nactvar {
                self.exp_to_reg(e, r)?;
                return Ok(r);
            }
        }
        self.exp_to_next_reg(e)?;
        match e.k {
            ExpKind::NonReloc(r) => Ok(r),
            _ => Err(self.err("internal compiler error: expression not in a register")),
        }
    }

    /// Like [`Self::exp_to_any_reg`] but leaves a plain upvalue alone (GETTABUP can
    /// index it directly).
    pub fn exp_to_any_reg_up(&mut self, e: &mut ExpDesc) -> CResult<()> {
        if !matches!(e.k, ExpKind::Upval(_)) || e.has_jumps() {
            self.exp_to_any_reg(e)?;
        }
        Ok(())
    }

    /// Makes `e` a value: in a register if it has jumps, else discharged.
    pub fn exp_to_val(&mut self, e: &mut ExpDesc) -> CResult<()> {
        if e.has_jumps() {
            self.exp_to_any_reg(e)?;
            Ok(())
        } else {
            self.discharge_vars(e)
        }
    }

    /// Makes `e` an RK operand: a constant index (with the RK bit) when it fits, else a
    /// register.
    pub fn exp_to_rk(&mut self, e: &mut ExpDesc) -> CResult<u32> {
        self.exp_to_val(e)?;
        match e.k {
            ExpKind::True | ExpKind::False | ExpKind::Nil
                if self.f.constants.len() as u32 <= MAXINDEXRK =>
            {
                let k = match e.k {
                    ExpKind::Nil => self.nil_k(),
                    k => self.bool_k(k == ExpKind::True),
                };
                e.k = ExpKind::K(k);
                return Ok(rk_as_k(k));
            }
            ExpKind::KNum(n) => {
                let k = self.number_k(n);
                e.k = ExpKind::K(k);
                if k <= MAXINDEXRK {
                    return Ok(rk_as_k(k));
                }
            }
            ExpKind::K(k) if k <= MAXINDEXRK => return Ok(rk_as_k(k)),
            _ => {}
        }
        self.exp_to_any_reg(e)
    }

    /// Stores `ex` into the variable `var`.
    pub fn store_var(&mut self, var: &ExpDesc, ex: &mut ExpDesc) -> CResult<()> {
        match var.k {
            ExpKind::Local(r) => {
                self.free_exp(ex);
                return self.exp_to_reg(ex, r);
            }
            ExpKind::Upval(u) => {
                let e = self.exp_to_any_reg(ex)?;
                self.code_abc(OpCode::SetUpval, e, u, 0)?;
            }
            ExpKind::Indexed { t, idx, t_upval } => {
                let op = if t_upval {
                    OpCode::SetTabUp
                } else {
                    OpCode::SetTable
                };
                let e = self.exp_to_rk(ex)?;
                self.code_abc(op, t, idx, e)?;
            }
            _ => return Err(self.err("syntax error")),
        }
        self.free_exp(ex);
        Ok(())
    }

    /// `e:key(...)`: emits SELF, leaving the method and `self` in two fresh registers.
    pub fn self_op(&mut self, e: &mut ExpDesc, key: &mut ExpDesc) -> CResult<()> {
        let ereg = self.exp_to_any_reg(e)?;
        self.free_exp(e);
        let base = self.free_reg;
        e.k = ExpKind::NonReloc(base);
        self.reserve_regs(2)?;
        let k = self.exp_to_rk(key)?;
        self.code_abc(OpCode::SelfOp, base, ereg, k)?;
        self.free_exp(key);
        Ok(())
    }

    /// Negates the condition of the comparison/test controlling the jump of `e`.
    fn invert_jump(&mut self, pc: usize) {
        let cpc = self.jump_control(pc);
        let i = self.instr(cpc);
        let a = i.a();
        i.set_a((a == 0) as u32);
    }

    /// Emits a jump taken when `e` is `cond` (folding a preceding NOT into TEST).
    fn jump_on_cond(&mut self, e: &mut ExpDesc, cond: bool) -> CResult<usize> {
        if let ExpKind::Relocable(pc) = e.k {
            let ie = self.f.code[pc];
            if ie.opcode() == OpCode::Not && pc + 1 == self.pc() {
                self.f.code.pop();
                self.f.line_info.pop();
                return self.cond_jump(OpCode::Test, ie.b(), 0, (!cond) as u32);
            }
        }
        self.discharge_to_any_reg(e)?;
        self.free_exp(e);
        let r = match e.k {
            ExpKind::NonReloc(r) => r,
            _ => return Err(self.err("internal compiler error: test of a non-register")),
        };
        self.cond_jump(OpCode::TestSet, NO_REG, r, cond as u32)
    }

    /// Falls through when `e` is true; jumps (list `e.f`) when false.
    pub fn go_if_true(&mut self, e: &mut ExpDesc) -> CResult<()> {
        self.discharge_vars(e)?;
        let pc = match e.k {
            ExpKind::Jmp(pc) => {
                self.invert_jump(pc);
                Some(pc)
            }
            ExpKind::K(_) | ExpKind::KNum(_) | ExpKind::True => None,
            _ => Some(self.jump_on_cond(e, false)?),
        };
        let mut f = e.f;
        self.concat(&mut f, pc)?;
        e.f = f;
        self.patch_to_here(e.t)?;
        e.t = None;
        Ok(())
    }

    /// Falls through when `e` is false; jumps (list `e.t`) when true.
    pub fn go_if_false(&mut self, e: &mut ExpDesc) -> CResult<()> {
        self.discharge_vars(e)?;
        let pc = match e.k {
            ExpKind::Jmp(pc) => Some(pc),
            ExpKind::Nil | ExpKind::False => None,
            _ => Some(self.jump_on_cond(e, true)?),
        };
        let mut t = e.t;
        self.concat(&mut t, pc)?;
        e.t = t;
        self.patch_to_here(e.f)?;
        e.f = None;
        Ok(())
    }

    /// `not e`: folds constants, inverts comparisons, else emits NOT.
    fn code_not(&mut self, e: &mut ExpDesc) -> CResult<()> {
        self.discharge_vars(e)?;
        match e.k {
            ExpKind::Nil | ExpKind::False => e.k = ExpKind::True,
            ExpKind::K(_) | ExpKind::KNum(_) | ExpKind::True => e.k = ExpKind::False,
            ExpKind::Jmp(pc) => self.invert_jump(pc),
            ExpKind::Relocable(_) | ExpKind::NonReloc(_) => {
                self.discharge_to_any_reg(e)?;
                self.free_exp(e);
                let r = match e.k {
                    ExpKind::NonReloc(r) => r,
                    _ => 0,
                };
                e.k = ExpKind::Relocable(self.code_abc(OpCode::Not, 0, r, 0)?);
            }
            _ => {}
        }
        std::mem::swap(&mut e.f, &mut e.t);
        self.remove_values(e.f);
        self.remove_values(e.t);
        Ok(())
    }

    /// Turns `t` (a register or upvalue holding a table) into `t[k]`.
    pub fn indexed(&mut self, t: &mut ExpDesc, k: &mut ExpDesc) -> CResult<()> {
        let (treg, t_upval) = match t.k {
            ExpKind::Upval(u) => (u, true),
            ExpKind::Local(r) | ExpKind::NonReloc(r) => (r, false),
            _ => return Err(self.err("internal compiler error: bad indexed table")),
        };
        let idx = self.exp_to_rk(k)?;
        t.k = ExpKind::Indexed {
            t: treg,
            idx,
            t_upval,
        };
        Ok(())
    }

    // ----- operators -----

    /// Unary operators. Negation of a numeral is folded.
    pub fn prefix(&mut self, op: crate::ast::UnOp, e: &mut ExpDesc, line: u32) -> CResult<()> {
        use crate::ast::UnOp;
        match op {
            UnOp::Neg => {
                if let Some(n) = e.numeral() {
                    e.k = ExpKind::KNum(-n);
                } else {
                    self.exp_to_any_reg(e)?;
                    self.code_arith(OpCode::Unm, e, &mut ExpDesc::new(ExpKind::KNum(0.0)), line)?;
                }
            }
            UnOp::Not => self.code_not(e)?,
            UnOp::Len => {
                self.exp_to_any_reg(e)?;
                self.code_arith(OpCode::Len, e, &mut ExpDesc::new(ExpKind::KNum(0.0)), line)?;
            }
        }
        Ok(())
    }

    /// Prepares the left operand of a binary operator, before the right one is compiled.
    pub fn infix(&mut self, op: crate::ast::BinOp, v: &mut ExpDesc) -> CResult<()> {
        use crate::ast::BinOp::*;
        match op {
            And => self.go_if_true(v),
            Or => self.go_if_false(v),
            Concat => self.exp_to_next_reg(v),
            Add | Sub | Mul | Div | Mod | Pow => {
                if v.numeral().is_none() {
                    self.exp_to_rk(v)?;
                }
                Ok(())
            }
            _ => self.exp_to_rk(v).map(|_| ()),
        }
    }

    /// Completes a binary operator once both operands are compiled.
    pub fn posfix(
        &mut self,
        op: crate::ast::BinOp,
        e1: &mut ExpDesc,
        e2: &mut ExpDesc,
        line: u32,
    ) -> CResult<()> {
        use crate::ast::BinOp::*;
        match op {
            And => {
                self.discharge_vars(e2)?;
                let mut f = e2.f;
                self.concat(&mut f, e1.f)?;
                e2.f = f;
                *e1 = *e2;
            }
            Or => {
                self.discharge_vars(e2)?;
                let mut t = e2.t;
                self.concat(&mut t, e1.t)?;
                e2.t = t;
                *e1 = *e2;
            }
            Concat => {
                self.exp_to_val(e2)?;
                let chained = match e2.k {
                    ExpKind::Relocable(pc) if self.f.code[pc].opcode() == OpCode::Concat => {
                        Some(pc)
                    }
                    _ => None,
                };
                if let Some(pc) = chained {
                    // `a .. (b .. c)`: extend the existing CONCAT downwards
                    self.free_exp(e1);
                    if let ExpKind::NonReloc(r) = e1.k {
                        self.instr(pc).set_b(r);
                    }
                    e1.k = ExpKind::Relocable(pc);
                } else {
                    self.exp_to_next_reg(e2)?;
                    self.code_arith(OpCode::Concat, e1, e2, line)?;
                }
            }
            Add => self.code_arith(OpCode::Add, e1, e2, line)?,
            Sub => self.code_arith(OpCode::Sub, e1, e2, line)?,
            Mul => self.code_arith(OpCode::Mul, e1, e2, line)?,
            Div => self.code_arith(OpCode::Div, e1, e2, line)?,
            Mod => self.code_arith(OpCode::Mod, e1, e2, line)?,
            Pow => self.code_arith(OpCode::Pow, e1, e2, line)?,
            Eq => self.code_comp(OpCode::Eq, true, e1, e2)?,
            Lt => self.code_comp(OpCode::Lt, true, e1, e2)?,
            Le => self.code_comp(OpCode::Le, true, e1, e2)?,
            Ne => self.code_comp(OpCode::Eq, false, e1, e2)?,
            Gt => self.code_comp(OpCode::Lt, false, e1, e2)?,
            Ge => self.code_comp(OpCode::Le, false, e1, e2)?,
        }
        Ok(())
    }

    /// Emits an arithmetic instruction, or folds it when both operands are numerals.
    fn code_arith(
        &mut self,
        op: OpCode,
        e1: &mut ExpDesc,
        e2: &mut ExpDesc,
        line: u32,
    ) -> CResult<()> {
        if let Some(r) = const_fold(op, e1, e2) {
            e1.k = ExpKind::KNum(r);
            return Ok(());
        }
        let o2 = if op != OpCode::Unm && op != OpCode::Len {
            self.exp_to_rk(e2)?
        } else {
            0
        };
        let o1 = self.exp_to_rk(e1)?;
        if o1 > o2 {
            self.free_exp(e1);
            self.free_exp(e2);
        } else {
            self.free_exp(e2);
            self.free_exp(e1);
        }
        e1.k = ExpKind::Relocable(self.code_abc(op, 0, o1, o2)?);
        self.fix_line(line);
        Ok(())
    }

    /// Emits a comparison and its jump; `~=`, `>` and `>=` swap or negate as PUC does.
    fn code_comp(
        &mut self,
        op: OpCode,
        mut cond: bool,
        e1: &mut ExpDesc,
        e2: &mut ExpDesc,
    ) -> CResult<()> {
        let mut o1 = self.exp_to_rk(e1)?;
        let mut o2 = self.exp_to_rk(e2)?;
        self.free_exp(e2);
        self.free_exp(e1);
        if !cond && op != OpCode::Eq {
            std::mem::swap(&mut o1, &mut o2);
            cond = true;
        }
        e1.k = ExpKind::Jmp(self.cond_jump(op, cond as u32, o1, o2)?);
        Ok(())
    }
}

/// Opcodes that are followed by a jump (PUC's "test mode").
fn is_test_op(op: OpCode) -> bool {
    matches!(
        op,
        OpCode::Eq | OpCode::Lt | OpCode::Le | OpCode::Test | OpCode::TestSet
    )
}

/// Constant folding exactly as Lua 5.2's `constfolding`: both operands must be numerals,
/// and division or modulo by zero is left to run time. (5.2 does fold results such as
/// `-0` or NaN from other operations, e.g. `(1/0) - (1/0)` is not folded only because its
/// operands are not numerals.)
fn const_fold(op: OpCode, e1: &ExpDesc, e2: &ExpDesc) -> Option<f64> {
    let (a, b) = (e1.numeral()?, e2.numeral()?);
    let r = match op {
        OpCode::Add => a + b,
        OpCode::Sub => a - b,
        OpCode::Mul => a * b,
        OpCode::Div if b != 0.0 => a / b,
        OpCode::Mod if b != 0.0 => a - (a / b).floor() * b,
        OpCode::Pow => a.powf(b),
        OpCode::Unm => -a,
        _ => return None,
    };
    Some(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_refuses_division_by_zero() {
        let a = ExpDesc::new(ExpKind::KNum(1.0));
        let z = ExpDesc::new(ExpKind::KNum(0.0));
        assert_eq!(const_fold(OpCode::Div, &a, &z), None);
        assert_eq!(const_fold(OpCode::Mod, &a, &z), None);
        assert_eq!(const_fold(OpCode::Sub, &a, &z), Some(1.0));
    }

    #[test]
    fn loadnil_merges() {
        let mut fs = FuncState::new(Arc::from("t"), 0);
        fs.code_abc(OpCode::Move, 0, 1, 0).unwrap();
        fs.code_nil(0, 2).unwrap();
        fs.code_nil(2, 1).unwrap();
        assert_eq!(fs.f.code.len(), 2);
        assert_eq!(fs.f.code[1].b(), 2);
    }
}
