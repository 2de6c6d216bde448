//! The special forms' table: one small function per form (or family of forms), found
//! by name in [`Compiler::special_form`] and called from `form` through one call site.
//!
//! Why a table and not one `match` with the code in its arms: compiling recurses once
//! per level of source nesting through `form`, so `form`'s stack frame is paid per
//! level. A `match` holding every form's locals made that frame ~10 KB under
//! AddressSanitizer (which gives every local its own slot), so 500 levels overflowed a
//! 2 MB thread. Kept apart, each level pays only for the form it compiles.

use std::rc::Rc;

use super::{
    backquote, bad_form, clone_items, clone_sexpr, list, list_comp, lit, remote, split_remote, sym,
    Comp, Compiler, LEFT_FOLDED,
};
use crate::atom::Atom;
use crate::convert::sexpr_to_term;
use crate::exception::Result;
use crate::ir::{Expr, ExprRef, Fail, Op};
use crate::sexpr::Sexpr;
use crate::term::Term;

/// Compiles one special form: `(compiler, form name, arguments, depth)`.
pub(super) type FormFn<'a> = fn(&mut Compiler<'a>, &str, &[Sexpr], usize) -> Result<ExprRef>;

impl<'a> Compiler<'a> {
    /// The function compiling the special form `name`, if it is one.
    pub(super) fn special_form(name: &str) -> Option<FormFn<'a>> {
        Some(match name {
            "quote" => Self::quote,
            "backquote" => Self::backquote_form,
            "cons" => Self::cons,
            "car" | "cdr" => Self::car_cdr,
            "caar" | "cadr" | "cdar" | "cddr" => Self::cxxr,
            "list" | "list*" => Self::list_form,
            "tuple" => |c, _, args, d| c.op(Op::Tuple, args, d),
            "binary" => |c, _, args, d| c.binary(args, d),
            "map" => Self::map,
            "mset" | "map-set" | "mupd" | "map-update" => Self::map_set,
            "mref" | "map-get" | "msiz" | "map-size" | "tref" => Self::map_get,
            "lambda" => Self::lambda_form,
            "match-lambda" => {
                |c, _, args, d| Ok(Rc::new(Expr::Lambda(c.match_lambda(args, None, d)?)))
            }
            "let" => |c, _, args, d| c.let_form(args, d),
            "let*" | "flet*" => Self::sequential_let,
            "flet" | "let-function" => |c, _, args, d| c.let_fun(args, false, d),
            "fletrec" | "letrec-function" => |c, _, args, d| c.let_fun(args, true, d),
            "progn" => |c, _, args, d| c.body(args, d),
            "if" => Self::if_special,
            "cond" => |c, _, args, d| c.cond(args, d),
            "case" => Self::case,
            "andalso" | "orelse" => |c, name, args, d| c.andalso_orelse(name == "andalso", args, d),
            "catch" => |c, _, args, d| Ok(Rc::new(Expr::Catch(c.body(args, d)?))),
            "try" => |c, _, args, d| c.try_form(args, d),
            "receive" => Self::receive,
            "funcall" | "call" => Self::funcall,
            ":" => Self::remote_call,
            "function" | "fun" => Self::function_ref,
            "lc" | "list-comp" | "bc" | "binary-comp" => Self::list_comprehension,
            // Only at top level (the evaluator takes them there).
            "defun" | "defmacro" | "defrecord" | "defmodule" => |_, name, _, _| Err(bad_form(name)),
            _ => return None,
        })
    }

    fn quote(&mut self, _: &str, args: &[Sexpr], _: usize) -> Result<ExprRef> {
        match args {
            [x] => Ok(lit(sexpr_to_term(x))),
            _ => Err(bad_form("quote")),
        }
    }

    fn backquote_form(&mut self, _: &str, args: &[Sexpr], d: usize) -> Result<ExprRef> {
        match args {
            [x] => {
                let e = backquote(x, 1, d)?;
                self.expr_at(&e, d)
            }
            _ => Err(bad_form("backquote")),
        }
    }

    fn cons(&mut self, _: &str, args: &[Sexpr], d: usize) -> Result<ExprRef> {
        match args {
            [_, _] => self.op(Op::Cons, args, d),
            _ => Err(bad_form("cons")),
        }
    }

    fn car_cdr(&mut self, name: &str, args: &[Sexpr], d: usize) -> Result<ExprRef> {
        match args {
            [x] => {
                let bif = if name == "car" { "hd" } else { "tl" };
                Ok(remote("erlang", bif, vec![self.expr_at(x, d)?]))
            }
            _ => Err(bad_form(name)),
        }
    }

    /// `caar`, `cadr`, `cdar`, `cddr`: rewritten into nested `car`/`cdr`.
    fn cxxr(&mut self, name: &str, args: &[Sexpr], d: usize) -> Result<ExprRef> {
        match args {
            [x] => {
                let inner = if &name[2..3] == "a" { "car" } else { "cdr" };
                let outer = if &name[1..2] == "a" { "car" } else { "cdr" };
                let f = list(vec![sym(outer), list(vec![sym(inner), clone_sexpr(x)])]);
                self.expr_at(&f, d)
            }
            _ => Err(bad_form(name)),
        }
    }

    /// `list` and `list*`: flat, however long (the IR never nests per element).
    fn list_form(&mut self, name: &str, args: &[Sexpr], d: usize) -> Result<ExprRef> {
        if name == "list" {
            return self.op(Op::List { dotted: false }, args, d);
        }
        match args {
            [] => Err(bad_form("list*")),
            [one] => self.expr_at(one, d),
            _ => self.op(Op::List { dotted: true }, args, d),
        }
    }

    fn map(&mut self, _: &str, args: &[Sexpr], d: usize) -> Result<ExprRef> {
        if !args.len().is_multiple_of(2) {
            return Err(bad_form("map"));
        }
        self.op(Op::Map, args, d)
    }

    fn map_set(&mut self, name: &str, args: &[Sexpr], d: usize) -> Result<ExprRef> {
        if args.is_empty() || args.len() % 2 != 1 {
            return Err(bad_form(name));
        }
        let update = name == "mupd" || name == "map-update";
        self.op(Op::MapSet { update }, args, d)
    }

    /// `mref`/`map-get`, `msiz`/`map-size` and `tref`: calls of the matching BIFs.
    fn map_get(&mut self, name: &str, args: &[Sexpr], d: usize) -> Result<ExprRef> {
        match (name, args) {
            ("mref" | "map-get", [m, k]) => {
                let (m, k) = (self.expr_at(m, d)?, self.expr_at(k, d)?);
                Ok(remote("maps", "get", vec![k, m]))
            }
            ("msiz" | "map-size", [m]) => {
                Ok(remote("erlang", "map_size", vec![self.expr_at(m, d)?]))
            }
            ("tref", [t, i]) => {
                let (t, i) = (self.expr_at(t, d)?, self.expr_at(i, d)?);
                Ok(remote("erlang", "element", vec![i, t]))
            }
            _ => Err(bad_form(name)),
        }
    }

    fn lambda_form(&mut self, _: &str, args: &[Sexpr], d: usize) -> Result<ExprRef> {
        match args {
            [params, body @ ..] => Ok(Rc::new(Expr::Lambda(self.lambda(params, body, None, d)?))),
            _ => Err(bad_form("lambda")),
        }
    }

    /// `let*` and `flet*`: the first binding around the same form with the rest.
    fn sequential_let(&mut self, name: &str, args: &[Sexpr], d: usize) -> Result<ExprRef> {
        let single = if name == "let*" { "let" } else { "flet" };
        match args {
            [Sexpr::List(binds), body @ ..] => {
                if binds.len() <= 1 {
                    let mut f = vec![sym(single), list(clone_items(binds))];
                    f.extend(clone_items(body));
                    return self.expr_at(&list(f), d);
                }
                let mut inner = vec![sym(name), list(clone_items(&binds[1..]))];
                inner.extend(clone_items(body));
                let outer = list(vec![
                    sym(single),
                    list(vec![clone_sexpr(&binds[0])]),
                    list(inner),
                ]);
                self.expr_at(&outer, d)
            }
            _ => Err(bad_form(name)),
        }
    }

    fn if_special(&mut self, _: &str, args: &[Sexpr], d: usize) -> Result<ExprRef> {
        match args {
            [test, then] => self.if_form(test, then, None, "if", d),
            [test, then, els] => self.if_form(test, then, Some(els), "if", d),
            _ => Err(bad_form("if")),
        }
    }

    /// `(receive clause ... [(after timeout body ...)])`.
    fn receive(&mut self, _: &str, args: &[Sexpr], d: usize) -> Result<ExprRef> {
        let is_after = |s: &Sexpr| matches!(s, Sexpr::List(p) if matches!(p.first(), Some(Sexpr::Atom(a)) if &**a == "after"));
        let (clauses, after) = match args.split_last() {
            Some((last, rest)) if is_after(last) => (rest, Some(last)),
            _ => (args, None),
        };
        if clauses.iter().any(is_after) {
            return Err(bad_form("receive"));
        }
        let clauses = self.clauses(clauses, false, d)?;
        let after = match after {
            Some(Sexpr::List(parts)) => match &parts[1..] {
                [timeout, body @ ..] => Some((self.expr_at(timeout, d)?, self.body(body, d)?)),
                _ => return Err(bad_form("receive")),
            },
            _ => None,
        };
        Ok(Rc::new(Expr::Receive { clauses, after }))
    }

    fn case(&mut self, _: &str, args: &[Sexpr], d: usize) -> Result<ExprRef> {
        match args {
            [e, clauses @ ..] => {
                let e = self.expr_at(e, d)?;
                let clauses = self.clauses(clauses, false, d)?;
                Ok(Rc::new(Expr::Match {
                    args: vec![e],
                    clauses,
                    fail: Fail::CaseClause,
                }))
            }
            _ => Err(bad_form("case")),
        }
    }

    /// `(funcall f args...)` and `(call m f args...)`.
    fn funcall(&mut self, name: &str, args: &[Sexpr], d: usize) -> Result<ExprRef> {
        match (name, args) {
            ("funcall", [_, ..]) => self.op(Op::Funcall, args, d),
            ("call", [_, _, ..]) => self.op(Op::CallDynamic, args, d),
            _ => Err(bad_form(name)),
        }
    }

    /// `(: module function args...)`.
    fn remote_call(&mut self, _: &str, args: &[Sexpr], d: usize) -> Result<ExprRef> {
        match args {
            [Sexpr::Atom(m), Sexpr::Atom(f), rest @ ..] => {
                let a = self.exprs(rest, d)?;
                Ok(remote(m, f, a))
            }
            _ => Err(bad_form(":")),
        }
    }

    /// `(function name arity)` and `(function module name arity)`.
    fn function_ref(&mut self, name: &str, args: &[Sexpr], _: usize) -> Result<ExprRef> {
        match args {
            [Sexpr::Atom(f), Sexpr::Int(a)] if *a >= 0 => {
                Ok(Rc::new(Expr::FunRef(Atom::new(f), *a as usize)))
            }
            [Sexpr::Atom(m), Sexpr::Atom(f), Sexpr::Int(a)] if *a >= 0 => {
                Ok(lit(Term::Fun(Rc::new(crate::closure::Fun::Remote {
                    module: Atom::new(m),
                    name: Atom::new(f),
                    arity: *a as usize,
                }))))
            }
            _ => Err(bad_form(name)),
        }
    }

    fn list_comprehension(&mut self, name: &str, args: &[Sexpr], d: usize) -> Result<ExprRef> {
        match args {
            [Sexpr::List(quals), e] => {
                let kind = if matches!(name, "bc" | "binary-comp") {
                    Comp::Binary
                } else {
                    Comp::List
                };
                let form = list_comp(kind, quals, e)?;
                self.expr_at(&form, d)
            }
            _ => Err(bad_form(name)),
        }
    }

    /// Any other form: a record form, `(mod:fun args...)`, or a call of a local or
    /// BIF function, with LFE's left folding of arithmetic and comparison operators
    /// given more than two operands.
    pub(super) fn application(&mut self, name: &str, args: &[Sexpr], d: usize) -> Result<ExprRef> {
        if let Some(e) = self.record_form(name, args, d)? {
            return Ok(e);
        }
        if let Some((m, f)) = split_remote(name) {
            let a = self.exprs(args, d)?;
            return Ok(remote(m, f, a));
        }
        let ops = self.exprs(args, d)?;
        if ops.len() > 2 && (LEFT_FOLDED.contains(&name) || name == "++" || name == "--") {
            return self.fold_operands(name, ops, d);
        }
        Ok(self.call(name, ops))
    }

    /// `(op a b c ...)` for a left-folded operator, or `++`/`--` (folded from the
    /// right). Kept out of [`Self::application`], which every nested call goes
    /// through, so that its locals are not paid per level of nesting.
    #[inline(never)]
    fn fold_operands(&mut self, name: &str, mut ops: Vec<ExprRef>, d: usize) -> Result<ExprRef> {
        // Folding nests the IR once per operand.
        self.nest(d, ops.len())?;
        if LEFT_FOLDED.contains(&name) {
            let mut it = ops.into_iter();
            let first = it.next().ok_or_else(|| bad_form(name))?;
            return Ok(it.fold(first, |acc, x| self.call(name, vec![acc, x])));
        }
        let last = ops.pop().ok_or_else(|| bad_form(name))?;
        Ok(ops
            .into_iter()
            .rev()
            .fold(last, |acc, x| self.call(name, vec![x, acc])))
    }
}
