//! Expressions (the expression half of PUC-Rio's `lparser.c`).
//!
//! Each function returns an [`ExpDesc`] describing where the value is, without forcing
//! it into a register: the caller decides (a register, an RK operand, a jump...). The
//! AST is visited in source order so that constants enter the constant table in the
//! same order as with PUC (strings when they are read, numbers when they are first
//! needed as constants).

use super::code::{ExpDesc, ExpKind, MULTRET};
use super::{CResult, CompileError, Compiler, FuncState};
use crate::ast::{Expr, ExprKind, FuncBody, TableField};
use crate::opcode::{OpCode, FIELDS_PER_FLUSH};
use std::sync::Arc;

impl Compiler {
    /// Compiles an expression (with a nesting-depth check).
    pub(super) fn expr(&mut self, e: &Expr) -> CResult<ExpDesc> {
        self.enter_level()?;
        let r = self.expr_inner(e);
        self.leave_level();
        r
    }

    fn expr_inner(&mut self, e: &Expr) -> CResult<ExpDesc> {
        let k = match &e.kind {
            ExprKind::Nil => self.leaf(e, ExpKind::Nil),
            ExprKind::True => self.leaf(e, ExpKind::True),
            ExprKind::False => self.leaf(e, ExpKind::False),
            ExprKind::Number(n) => self.leaf(e, ExpKind::KNum(*n)),
            ExprKind::Str(s) => {
                let k = self.fs().string_k(s);
                self.leaf(e, ExpKind::K(k))
            }
            ExprKind::Vararg => {
                self.set_line(e.line);
                let fs = self.fs();
                if !fs.f.is_vararg {
                    return Err(CompileError::new(
                        "cannot use '...' outside a vararg function near '...'",
                        e.line,
                    ));
                }
                ExpDesc::new(ExpKind::Vararg(fs.code_abc(OpCode::Vararg, 0, 1, 0)?))
            }
            ExprKind::Function(body) => self.body(body, body.line)?,
            ExprKind::Table(fields) => self.constructor(fields, e.line)?,
            ExprKind::Binary(..) => self.binary_chain(e)?,
            ExprKind::Unary(op, x) => {
                self.set_line(e.line);
                let mut v = self.expr(x)?;
                self.fs().prefix(*op, &mut v, e.line)?;
                v
            }
            ExprKind::Name(name) => {
                self.set_line(e.line);
                self.single_var(name)?
            }
            ExprKind::Index(..) | ExprKind::Call(..) | ExprKind::MethodCall(..) => {
                self.suffixed_chain(e)?
            }
            ExprKind::Paren(inner) => {
                let mut v = self.expr(inner)?;
                self.fs().discharge_vars(&mut v)?;
                v
            }
        };
        Ok(k)
    }

    /// A chain of binary operators `a op1 b op2 c ...` whose left operands nest in the
    /// AST. PUC parses such a chain in one loop of `subexpr`, with only the right
    /// operands one level deeper; doing the same keeps long chains off the Rust stack
    /// and the "C levels" limit identical.
    fn binary_chain(&mut self, e: &Expr) -> CResult<ExpDesc> {
        let mut spine = Vec::new();
        let mut cur = e;
        while let ExprKind::Binary(op, l, r) = &cur.kind {
            spine.push((*op, r, cur.line));
            cur = l;
        }
        let mut v = self.expr_inner(cur)?;
        for (op, r, line) in spine.into_iter().rev() {
            self.set_line(line); // the operator
            self.fs().infix(op, &mut v)?;
            let mut v2 = self.expr(r)?;
            self.fs().posfix(op, &mut v, &mut v2, line)?;
        }
        Ok(v)
    }

    /// A primary expression followed by field selections, indexing and calls
    /// (`a.b[c](d):e(f)`), compiled in one loop as PUC's `suffixedexp`.
    fn suffixed_chain(&mut self, e: &Expr) -> CResult<ExpDesc> {
        let mut spine = Vec::new();
        let mut cur = e;
        while let ExprKind::Index(obj, _) | ExprKind::Call(obj, _) | ExprKind::MethodCall(obj, ..) =
            &cur.kind
        {
            spine.push(cur);
            cur = obj;
        }
        // the grammar only allows a name or a parenthesized expression here
        let mut v = match cur.kind {
            ExprKind::Binary(..) => self.expr(cur)?,
            _ => self.expr_inner(cur)?,
        };
        for node in spine.into_iter().rev() {
            v = self.suffix(v, node)?;
        }
        Ok(v)
    }

    /// Applies one suffix (`.name`, `[k]`, `(args)`, `:m(args)`) to `v`.
    fn suffix(&mut self, mut v: ExpDesc, node: &Expr) -> CResult<ExpDesc> {
        match &node.kind {
            ExprKind::Index(_, key) => {
                self.fs().exp_to_any_reg_up(&mut v)?;
                let mut k = match key.kind {
                    ExprKind::Str(_) => self.expr_inner(key)?, // `.name`: no new level
                    _ => self.expr(key)?,
                };
                self.fs().exp_to_val(&mut k)?;
                self.fs().indexed(&mut v, &mut k)?;
                Ok(v)
            }
            ExprKind::Call(_, args) => {
                self.fs().exp_to_next_reg(&mut v)?;
                self.func_args(v, args, node.line)
            }
            ExprKind::MethodCall(_, name, args) => {
                self.set_line(name.line);
                let k = self.fs().string_k(name.name.as_bytes());
                let mut key = ExpDesc::new(ExpKind::K(k));
                self.fs().self_op(&mut v, &mut key)?;
                self.func_args(v, args, node.line)
            }
            _ => Ok(v),
        }
    }

    /// A single-token expression: it moves the "last line" to its own.
    fn leaf(&mut self, e: &Expr, k: ExpKind) -> ExpDesc {
        self.set_line(e.line);
        ExpDesc::new(k)
    }

    /// A variable: local, upvalue, or `_ENV.name` (PUC's `singlevar`).
    pub(super) fn single_var(&mut self, name: &str) -> CResult<ExpDesc> {
        let top = self.funcs.len() - 1;
        if let Some(k) = self.single_var_aux(top, name, true)? {
            return Ok(ExpDesc::new(k));
        }
        let env = match self.single_var_aux(top, "_ENV", true)? {
            Some(k) => k,
            // unreachable for chunks compiled by `compile` (main has an _ENV upvalue)
            None => return Err(CompileError::new("no _ENV in scope", self.fs().line)),
        };
        let mut var = ExpDesc::new(env);
        let k = self.fs().string_k(name.as_bytes());
        let mut key = ExpDesc::new(ExpKind::K(k));
        self.fs().indexed(&mut var, &mut key)?;
        Ok(var)
    }

    /// Compiles an expression list; all but the last go to consecutive registers, the
    /// last is returned undischarged. Returns the number of expressions.
    pub(super) fn explist(&mut self, exprs: &[Expr]) -> CResult<(u32, ExpDesc)> {
        let mut v = ExpDesc::new(ExpKind::Void);
        for (i, e) in exprs.iter().enumerate() {
            if i > 0 {
                self.fs().exp_to_next_reg(&mut v)?;
            }
            v = self.expr(e)?;
        }
        Ok((exprs.len() as u32, v))
    }

    /// Arguments and CALL instruction; `f` is the function, already in its register.
    fn func_args(&mut self, f: ExpDesc, args: &[Expr], line: u32) -> CResult<ExpDesc> {
        let (_, mut a) = self.explist(args)?;
        let fs = self.fs();
        fs.set_multret(&a)?;
        let base = match f.k {
            ExpKind::NonReloc(r) => r,
            _ => {
                return Err(CompileError::new(
                    "internal compiler error: call base",
                    line,
                ))
            }
        };
        let nparams = if a.has_multret() {
            MULTRET
        } else {
            if a.k != ExpKind::Void {
                fs.exp_to_next_reg(&mut a)?;
            }
            fs.free_reg as i32 - (base as i32 + 1)
        };
        let pc = fs.code_abc(OpCode::Call, base, (nparams + 1) as u32, 2)?;
        fs.fix_line(line);
        fs.free_reg = base + 1;
        Ok(ExpDesc::new(ExpKind::Call(pc)))
    }

    /// Table constructor: NEWTABLE with size hints, hash fields stored one by one, list
    /// items flushed with SETLIST every `FIELDS_PER_FLUSH` items.
    fn constructor(&mut self, fields: &[TableField], line: u32) -> CResult<ExpDesc> {
        self.set_line(line);
        let fs = self.fs();
        let pc = fs.code_abc(OpCode::NewTable, 0, 0, 0)?;
        let mut t = ExpDesc::new(ExpKind::Relocable(pc));
        fs.exp_to_next_reg(&mut t)?;
        let treg = match t.k {
            ExpKind::NonReloc(r) => r,
            _ => 0,
        };
        let mut cc = ConsControl {
            v: ExpDesc::new(ExpKind::Void),
            na: 0,
            nh: 0,
            tostore: 0,
        };
        for field in fields {
            self.close_list_field(treg, &mut cc)?;
            match field {
                TableField::Keyed(k, v) => self.rec_field(treg, &mut cc, k, v)?,
                TableField::Positional(v) => {
                    cc.v = self.expr(v)?;
                    cc.na += 1;
                    cc.tostore += 1;
                }
            }
        }
        self.last_list_field(treg, &mut cc)?;
        self.fs().set_table_size(pc, cc.na, cc.nh);
        Ok(t)
    }

    /// `[k] = v` / `name = v`: one SETTABLE.
    fn rec_field(&mut self, treg: u32, cc: &mut ConsControl, k: &Expr, v: &Expr) -> CResult<()> {
        let reg = self.fs().free_reg;
        let mut key = self.expr(k)?;
        self.fs().exp_to_val(&mut key)?;
        cc.nh += 1;
        let rkkey = self.fs().exp_to_rk(&mut key)?;
        let mut val = self.expr(v)?;
        let fs = self.fs();
        let rkval = fs.exp_to_rk(&mut val)?;
        fs.code_abc(OpCode::SetTable, treg, rkkey, rkval)?;
        fs.free_reg = reg;
        Ok(())
    }

    /// Puts the pending list item in its register, flushing a full batch.
    fn close_list_field(&mut self, treg: u32, cc: &mut ConsControl) -> CResult<()> {
        if cc.v.k == ExpKind::Void {
            return Ok(());
        }
        let fs = self.fs();
        fs.exp_to_next_reg(&mut cc.v)?;
        cc.v = ExpDesc::new(ExpKind::Void);
        if cc.tostore == FIELDS_PER_FLUSH as i32 {
            fs.set_list(treg, cc.na, cc.tostore)?;
            cc.tostore = 0;
        }
        Ok(())
    }

    /// Flushes the remaining list items; a trailing call or `...` adds all its values.
    fn last_list_field(&mut self, treg: u32, cc: &mut ConsControl) -> CResult<()> {
        if cc.tostore == 0 {
            return Ok(());
        }
        let fs = self.fs();
        if cc.v.has_multret() {
            fs.set_multret(&cc.v)?;
            fs.set_list(treg, cc.na, MULTRET)?;
            cc.na -= 1; // the last item's count is unknown
        } else {
            if cc.v.k != ExpKind::Void {
                fs.exp_to_next_reg(&mut cc.v)?;
            }
            fs.set_list(treg, cc.na, cc.tostore)?;
        }
        Ok(())
    }

    /// Compiles a function body into a child prototype and returns the CLOSURE
    /// expression (already in the next register), as PUC's `body` + `codeclosure`.
    /// (No nesting level of its own: the enclosing expression or statement has one.)
    pub(super) fn body(&mut self, b: &FuncBody, line: u32) -> CResult<ExpDesc> {
        let mut fs = FuncState::new(Arc::clone(&self.source), line);
        fs.line = self.fs().line.max(line);
        fs.f.is_vararg = b.is_vararg;
        fs.enter_block(false);
        self.funcs.push(fs);
        let fs = self.fs();
        for (i, p) in b.params.iter().enumerate() {
            fs.line = p.line;
            // After a parameter comes ',' (more, or '...') or the closing ')'.
            let next = if i + 1 < b.params.len() || b.is_vararg {
                ","
            } else {
                ")"
            };
            fs.new_local_var(&p.name).map_err(|e| e.near(next))?;
        }
        let n = b.params.len() as u32;
        fs.adjust_local_vars(n);
        fs.f.num_params = n as u8;
        fs.reserve_regs(n)?;
        self.statlist(&b.body.stats, false)?;
        let fs = self.fs();
        fs.f.last_line_defined = b.end_line;
        fs.line = b.end_line; // `end` was read
        let mut child = self.funcs.pop().expect("child function is open");
        // CLOSURE is emitted in the parent before the child's final RETURN
        let parent = self.fs();
        parent.line = child.line;
        let idx = parent.f.protos.len() as u32;
        let mut e = ExpDesc::new(ExpKind::Relocable(parent.code_abx(
            OpCode::Closure,
            0,
            idx,
        )?));
        parent.exp_to_next_reg(&mut e)?;
        child.ret(0, 0)?;
        child.leave_block()?;
        let proto = child.into_proto();
        self.fs().f.protos.push(Arc::new(proto));
        Ok(e)
    }
}

/// State of a table constructor (PUC's `ConsControl`).
struct ConsControl {
    /// Last list item read, not yet in a register.
    v: ExpDesc,
    /// Number of list items.
    na: u32,
    /// Number of hash items.
    nh: u32,
    /// List items waiting for a SETLIST.
    tostore: i32,
}
