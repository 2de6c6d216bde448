//! Statements (the statement half of PUC-Rio's `lparser.c`).

use super::code::{ExpDesc, ExpKind, MULTRET};
use super::{CResult, CompileError, Compiler};
use crate::ast::{Block, Expr, FuncBody, Name, Stat};
use crate::opcode::OpCode;

/// Most variables on the left of one assignment, as PUC's C-levels limit allows.
const MAX_ASSIGN_TARGETS: u32 = 200;

impl Compiler {
    /// Compiles a statement list. `in_repeat`: the list is a `repeat` body, which ends in
    /// `until` rather than `end` (labels there do not count as "at the end of the block").
    pub(super) fn statlist(&mut self, stats: &[Stat], in_repeat: bool) -> CResult<()> {
        let mut i = 0;
        while i < stats.len() {
            if let Stat::Label { .. } = stats[i] {
                i += self.label_run(stats, i, in_repeat)?;
            } else {
                self.statement(&stats[i])?;
                i += 1;
            }
        }
        Ok(())
    }

    /// A block in its own scope (PUC's `block`).
    fn block(&mut self, b: &Block) -> CResult<()> {
        self.fs().enter_block(false);
        self.statlist(&b.stats, false)?;
        self.fs().leave_block()
    }

    fn statement(&mut self, s: &Stat) -> CResult<()> {
        self.enter_level()?;
        let r = self.statement_inner(s);
        self.leave_level();
        r?;
        let fs = self.fs();
        fs.free_reg = fs.nactvar; // free registers
        Ok(())
    }

    fn statement_inner(&mut self, s: &Stat) -> CResult<()> {
        match s {
            Stat::Call(e) => self.call_stat(e),
            Stat::Local { names, exprs, .. } => self.local_stat(names, exprs),
            Stat::Assign { targets, exprs, .. } => self.assign_stat(targets, exprs),
            Stat::Do(b) => {
                self.set_line(b.open_line); // `do` was read
                self.block(b)?;
                self.set_line(b.end_line); // `end` was read
                Ok(())
            }
            Stat::While { cond, body, line } => self.while_stat(cond, body, *line),
            Stat::Repeat { body, cond, line } => self.repeat_stat(body, cond, *line),
            Stat::If {
                arms, else_block, ..
            } => self.if_stat(arms, else_block.as_ref()),
            Stat::NumericFor {
                var,
                start,
                limit,
                step,
                body,
                line,
            } => self.for_stat(*line, body.end_line, |c| {
                c.for_num(var, start, limit, step.as_deref(), body, *line)
            }),
            Stat::GenericFor {
                names,
                exprs,
                body,
                line,
            } => self.for_stat(*line, body.end_line, |c| c.for_list(names, exprs, body)),
            Stat::Function {
                path,
                method,
                body,
                line,
            } => self.func_stat(path, method.as_ref(), body, *line),
            Stat::LocalFunction { name, body, .. } => self.local_func(name, body),
            Stat::Return { exprs, line } => self.ret_stat(exprs, *line),
            Stat::Break { line } => {
                let j = self.fs().jump()?;
                self.fs().goto_stat("break", *line, Some(j))
            }
            Stat::Goto { label, line } => {
                let j = self.fs().jump()?;
                self.set_line(label.line);
                self.fs().goto_stat(&label.name, *line, Some(j))
            }
            Stat::Label { .. } => self
                .label_run(std::slice::from_ref(s), 0, false)
                .map(|_| ()),
        }
    }

    /// A run of consecutive labels starting at `stats[i]`; returns how many it took.
    ///
    /// PUC reads a label, then (in `skipnoopstat`) the labels that follow it, and only
    /// then decides whether the label ends its block; the last label of the run is
    /// completed first.
    fn label_run(&mut self, stats: &[Stat], i: usize, in_repeat: bool) -> CResult<usize> {
        let run: Vec<(&Name, u32)> = stats[i..]
            .iter()
            .map_while(|s| match s {
                Stat::Label { name, line } => Some((name, *line)),
                _ => None,
            })
            .collect();
        let ends_block = i + run.len() == stats.len() && !in_repeat;
        let mut idx = Vec::with_capacity(run.len());
        for (name, line) in &run {
            self.set_line(name.line);
            self.fs().check_repeated_label(&name.name)?;
            idx.push(self.fs().add_label(&name.name, *line)?);
        }
        for &l in idx.iter().rev() {
            self.fs().finish_label(l, ends_block)?;
        }
        Ok(run.len())
    }

    /// `f(x)` as a statement: the call keeps no results.
    fn call_stat(&mut self, e: &Expr) -> CResult<()> {
        let v = self.expr(e)?;
        match v.k {
            ExpKind::Call(pc) => {
                self.fs().f.code[pc].set_c(1);
                Ok(())
            }
            _ => Err(CompileError::new("syntax error", e.line)),
        }
    }

    /// Adjusts `nexps` values (the last one `e`) to `nvars` registers: multi-value
    /// expressions provide the difference, missing values are nil.
    fn adjust_assign(&mut self, nvars: u32, nexps: u32, e: &mut ExpDesc) -> CResult<()> {
        let fs = self.fs();
        let mut extra = nvars as i32 - nexps as i32;
        if e.has_multret() {
            extra += 1; // includes the call itself
            if extra < 0 {
                extra = 0;
            }
            fs.set_returns(e, extra)?;
            if extra > 1 {
                fs.reserve_regs(extra as u32 - 1)?;
            }
        } else {
            if e.k != ExpKind::Void {
                fs.exp_to_next_reg(e)?;
            }
            if extra > 0 {
                let reg = fs.free_reg;
                fs.reserve_regs(extra as u32)?;
                fs.code_nil(reg, extra as u32)?;
            }
        }
        Ok(())
    }

    fn local_stat(&mut self, names: &[Name], exprs: &[Expr]) -> CResult<()> {
        for (i, n) in names.iter().enumerate() {
            self.set_line(n.line);
            // The token after a name: ',' before the next name, '=' before values.
            let next = if i + 1 < names.len() {
                Some(",")
            } else if !exprs.is_empty() {
                Some("=")
            } else {
                None
            };
            self.fs().new_local_var(&n.name).map_err(|e| match next {
                Some(t) => e.near(t),
                None => e,
            })?;
        }
        let (nexps, mut e) = self.explist(exprs)?;
        self.adjust_assign(names.len() as u32, nexps, &mut e)?;
        self.fs().adjust_local_vars(names.len() as u32);
        Ok(())
    }

    fn local_func(&mut self, name: &Name, body: &FuncBody) -> CResult<()> {
        self.set_line(name.line);
        let fs = self.fs();
        fs.new_local_var(&name.name).map_err(|e| e.near("("))?;
        fs.adjust_local_vars(1);
        let b = self.body(body, body.line)?;
        // debug information only sees the variable after the closure is made
        let fs = self.fs();
        let pc = fs.pc() as u32;
        if let ExpKind::NonReloc(r) = b.k {
            if let Some(v) = fs.loc_var_mut(r) {
                v.start_pc = pc;
            }
        }
        Ok(())
    }

    /// `function a.b:c() end`: the name path is resolved first, then the body.
    fn func_stat(
        &mut self,
        path: &[Name],
        method: Option<&Name>,
        body: &FuncBody,
        line: u32,
    ) -> CResult<()> {
        let Some((first, rest)) = path.split_first() else {
            return Err(CompileError::new("syntax error", line));
        };
        self.set_line(first.line);
        let mut v = self.single_var(&first.name)?;
        for field in rest.iter().chain(method) {
            self.field_sel(&mut v, field)?;
        }
        let mut b = self.body(body, line)?;
        let fs = self.fs();
        fs.store_var(&v, &mut b)?;
        fs.fix_line(line); // the definition "happens" on the first line
        Ok(())
    }

    /// `v.name`
    fn field_sel(&mut self, v: &mut ExpDesc, field: &Name) -> CResult<()> {
        self.fs().exp_to_any_reg_up(v)?;
        self.set_line(field.line);
        let fs = self.fs();
        let k = fs.string_k(field.name.as_bytes());
        fs.indexed(v, &mut ExpDesc::new(ExpKind::K(k)))
    }

    /// Multiple assignment. Targets are evaluated left to right (their tables and keys
    /// go to registers), then the values, then the stores happen right to left.
    fn assign_stat(&mut self, targets: &[Expr], exprs: &[Expr]) -> CResult<()> {
        let mut lhs: Vec<ExpDesc> = Vec::with_capacity(targets.len());
        for t in targets {
            let v = self.expr(t)?;
            if !matches!(
                v.k,
                ExpKind::Local(_) | ExpKind::Upval(_) | ExpKind::Indexed { .. }
            ) {
                return Err(CompileError::new("syntax error", t.line));
            }
            if !lhs.is_empty() && !matches!(v.k, ExpKind::Indexed { .. }) {
                self.check_conflict(&mut lhs, &v)?;
            }
            if lhs.len() as u32 + self.depth > MAX_ASSIGN_TARGETS {
                return Err(self
                    .fs()
                    .error_limit(MAX_ASSIGN_TARGETS as usize, "C levels"));
            }
            lhs.push(v);
        }
        let nvars = lhs.len() as u32;
        let (nexps, mut e) = self.explist(exprs)?;
        let mut pending = lhs.len();
        if nexps != nvars {
            self.adjust_assign(nvars, nexps, &mut e)?;
            if nexps > nvars {
                self.fs().free_reg -= nexps - nvars; // remove extra values
            }
        } else {
            let fs = self.fs();
            fs.set_one_ret(&mut e);
            if let Some(last) = lhs.last() {
                fs.store_var(last, &mut e)?;
            }
            pending -= 1;
        }
        for v in lhs[..pending].iter().rev() {
            let fs = self.fs();
            let mut e = ExpDesc::new(ExpKind::NonReloc(fs.free_reg - 1));
            fs.store_var(v, &mut e)?;
        }
        Ok(())
    }

    /// If a previous target of this assignment indexes a table held by the local or
    /// upvalue `v` (or uses local `v` as key), that target must use a copy made now,
    /// because `v` is assigned before it (stores happen right to left).
    fn check_conflict(&mut self, lhs: &mut [ExpDesc], v: &ExpDesc) -> CResult<()> {
        let fs = self.fs();
        let extra = fs.free_reg;
        let mut conflict = false;
        for lh in lhs.iter_mut() {
            if let ExpKind::Indexed { t, idx, t_upval } = &mut lh.k {
                let same_table = match v.k {
                    ExpKind::Upval(u) => *t_upval && *t == u,
                    ExpKind::Local(r) => !*t_upval && *t == r,
                    _ => false,
                };
                if same_table {
                    conflict = true;
                    *t_upval = false;
                    *t = extra;
                }
                if let ExpKind::Local(r) = v.k {
                    if *idx == r {
                        conflict = true;
                        *idx = extra;
                    }
                }
            }
        }
        if conflict {
            match v.k {
                ExpKind::Local(r) => fs.code_abc(OpCode::Move, extra, r, 0)?,
                ExpKind::Upval(u) => fs.code_abc(OpCode::GetUpval, extra, u, 0)?,
                _ => 0,
            };
            fs.reserve_regs(1)?;
        }
        Ok(())
    }

    /// A loop condition: falls through when true, returns the exit jumps.
    fn cond(&mut self, e: &Expr) -> CResult<Option<usize>> {
        let mut v = self.expr(e)?;
        if v.k == ExpKind::Nil {
            v.k = ExpKind::False; // all falses are equal here
        }
        self.fs().go_if_true(&mut v)?;
        Ok(v.f)
    }

    fn while_stat(&mut self, cond: &Expr, body: &Block, line: u32) -> CResult<()> {
        self.set_line(line);
        let init = self.fs().get_label();
        let exit = self.cond(cond)?;
        self.fs().enter_block(true);
        self.block(body)?;
        let fs = self.fs();
        fs.jump_to(init)?;
        fs.line = body.end_line; // `end` was read
        fs.leave_block()?;
        fs.patch_to_here(exit)
    }

    fn repeat_stat(&mut self, body: &Block, cond: &Expr, line: u32) -> CResult<()> {
        self.set_line(line);
        let fs = self.fs();
        let init = fs.get_label();
        fs.enter_block(true); // loop block
        fs.enter_block(false); // scope block
        self.statlist(&body.stats, true)?;
        let exit = self.cond(cond)?; // inside the scope block: sees the body's locals
        let fs = self.fs();
        let scope = fs.blocks.last().cloned();
        if let Some(bl) = scope.filter(|b| b.upval) {
            fs.patch_close(exit, bl.nactvar);
        }
        fs.leave_block()?;
        fs.patch_list(exit, init)?;
        fs.leave_block()
    }

    fn if_stat(&mut self, arms: &[(Expr, Block)], else_block: Option<&Block>) -> CResult<()> {
        let mut escape = None;
        for (i, (cond, block)) in arms.iter().enumerate() {
            let followed = i + 1 < arms.len() || else_block.is_some();
            self.test_then_block(cond, block, followed, &mut escape)?;
        }
        if let Some(b) = else_block {
            self.block(b)?;
        }
        // `end` was read: the line of what follows until the next statement's
        let last = else_block.or(arms.last().map(|(_, b)| b));
        if let Some(b) = last {
            self.set_line(b.end_line);
        }
        self.fs().patch_to_here(escape)
    }

    /// `[else]if cond then block`. A block that starts with `goto`/`break` jumps
    /// straight from the condition to the label (PUC's special case).
    fn test_then_block(
        &mut self,
        cond: &Expr,
        block: &Block,
        followed: bool,
        escape: &mut Option<usize>,
    ) -> CResult<()> {
        let mut v = self.expr(cond)?;
        // The test is coded after `then` was read (at its line).
        if block.open_line != 0 {
            self.set_line(block.open_line);
        }
        let stats = &block.stats;
        let jf;
        let rest;
        match stats.first() {
            Some(Stat::Goto { .. }) | Some(Stat::Break { .. }) => {
                self.fs().go_if_false(&mut v)?;
                self.fs().enter_block(false);
                let (name, line) = match &stats[0] {
                    Stat::Goto { label, line } => (label.name.as_str(), *line),
                    Stat::Break { line } => ("break", *line),
                    _ => unreachable!("matched above"),
                };
                if let Stat::Goto { label, .. } = &stats[0] {
                    self.set_line(label.line);
                }
                self.fs().goto_stat(name, line, v.t)?;
                let mut i = 1;
                if matches!(stats.get(1), Some(Stat::Label { .. })) {
                    i += self.label_run(stats, 1, false)?;
                }
                if i == stats.len() {
                    // the goto is the whole block
                    return self.fs().leave_block();
                }
                jf = Some(self.fs().jump()?);
                rest = &stats[i..];
            }
            _ => {
                self.fs().go_if_true(&mut v)?;
                self.fs().enter_block(false);
                jf = v.f;
                rest = &stats[..];
            }
        }
        self.statlist(rest, false)?;
        let fs = self.fs();
        fs.leave_block()?;
        if followed {
            let j = fs.jump()?;
            fs.concat(escape, Some(j))?;
        }
        fs.patch_to_here(jf)
    }

    /// `for`: a loop block holding the control variables.
    fn for_stat(
        &mut self,
        line: u32,
        end_line: u32,
        inner: impl FnOnce(&mut Compiler) -> CResult<()>,
    ) -> CResult<()> {
        self.set_line(line);
        self.fs().enter_block(true);
        inner(self)?;
        self.set_line(end_line); // `end` was read
        self.fs().leave_block()
    }

    /// An expression into the next register (for loop bounds).
    fn exp1(&mut self, e: &Expr) -> CResult<()> {
        let mut v = self.expr(e)?;
        self.fs().exp_to_next_reg(&mut v)
    }

    fn for_num(
        &mut self,
        var: &Name,
        start: &Expr,
        limit: &Expr,
        step: Option<&Expr>,
        body: &Block,
        line: u32,
    ) -> CResult<()> {
        self.set_line(var.line);
        let fs = self.fs();
        let base = fs.free_reg;
        fs.new_local_var("(for index)")?;
        fs.new_local_var("(for limit)")?;
        fs.new_local_var("(for step)")?;
        fs.new_local_var(&var.name)?;
        self.exp1(start)?;
        self.exp1(limit)?;
        match step {
            Some(s) => self.exp1(s)?,
            None => {
                let fs = self.fs();
                let k = fs.number_k(1.0);
                let r = fs.free_reg;
                fs.code_k(r, k)?;
                fs.reserve_regs(1)?;
            }
        }
        self.for_body(base, line, 1, true, body)
    }

    fn for_list(&mut self, names: &[Name], exprs: &[Expr], body: &Block) -> CResult<()> {
        let fs = self.fs();
        let base = fs.free_reg;
        fs.new_local_var("(for generator)")?;
        fs.new_local_var("(for state)")?;
        fs.new_local_var("(for control)")?;
        for n in names {
            self.set_line(n.line);
            self.fs().new_local_var(&n.name)?;
        }
        let line = exprs.first().map_or(self.fs().line, |e| e.line);
        let (nexps, mut e) = self.explist(exprs)?;
        self.adjust_assign(3, nexps, &mut e)?;
        self.fs().check_stack(3)?; // extra space to call the generator
        self.for_body(base, line, names.len() as u32, false, body)
    }

    /// The loop proper: FORPREP/JMP, the body in its own scope, FORLOOP or
    /// TFORCALL+TFORLOOP jumping back.
    fn for_body(
        &mut self,
        base: u32,
        line: u32,
        nvars: u32,
        is_num: bool,
        body: &Block,
    ) -> CResult<()> {
        if body.open_line != 0 {
            self.set_line(body.open_line); // FORPREP is coded after `do` was read
        }
        let fs = self.fs();
        fs.adjust_local_vars(3); // control variables
        let prep = if is_num {
            fs.code_asbx(OpCode::ForPrep, base, -1)?
        } else {
            fs.jump()?
        };
        fs.enter_block(false); // scope for declared variables
        fs.adjust_local_vars(nvars);
        fs.reserve_regs(nvars)?;
        self.block(body)?;
        let fs = self.fs();
        fs.leave_block()?;
        fs.patch_to_here(Some(prep))?;
        let endfor = if is_num {
            fs.code_asbx(OpCode::ForLoop, base, -1)?
        } else {
            fs.code_abc(OpCode::TForCall, base, 0, nvars)?;
            fs.fix_line(line);
            fs.code_asbx(OpCode::TForLoop, base + 2, -1)?
        };
        fs.patch_list(Some(endfor), prep + 1)?;
        fs.fix_line(line);
        Ok(())
    }

    fn ret_stat(&mut self, exprs: &[Expr], line: u32) -> CResult<()> {
        self.set_line(line);
        let (first, nret) = if exprs.is_empty() {
            (0, 0)
        } else {
            let (n, mut e) = self.explist(exprs)?;
            let fs = self.fs();
            if e.has_multret() {
                fs.set_multret(&e)?;
                if let (ExpKind::Call(pc), 1) = (e.k, n) {
                    let i = fs.f.code[pc];
                    fs.f.code[pc] =
                        crate::opcode::Instruction::abc(OpCode::TailCall, i.a(), i.b(), i.c());
                }
                (fs.nactvar, MULTRET)
            } else if n == 1 {
                (fs.exp_to_any_reg(&mut e)?, 1)
            } else {
                fs.exp_to_next_reg(&mut e)?;
                (fs.nactvar, n as i32)
            }
        };
        self.fs().ret(first, nret)?;
        Ok(())
    }
}
