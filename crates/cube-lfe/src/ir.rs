//! The core IR that the compiler ([`crate::compile`]) makes from expanded LFE and the
//! evaluator ([`crate::machine`]) runs.
//!
//! Every child expression is an `Rc<Expr>` so the evaluator's frames can hold on to
//! the node they are working through without borrowing from the code.

use std::rc::Rc;

use crate::atom::Atom;
use crate::runtime::Native;
use crate::term::Term;

pub type ExprRef = Rc<Expr>;

pub enum Expr {
    /// A constant (quoted data, numbers, strings ...).
    Lit(Term),
    Var(Atom),
    /// Evaluate the operands left to right, then build or call.
    Op(Op, Vec<ExprRef>),
    /// `progn`: the value of the last (never empty).
    Seq(Vec<ExprRef>),
    Lambda(Rc<Lambda>),
    /// Evaluate `args`, then run the first clause whose patterns match them and whose
    /// guard holds (`let`, `case`, `if`); `fail` says which error when none does.
    Match {
        args: Vec<ExprRef>,
        clauses: Rc<[Clause]>,
        fail: Fail,
    },
    /// `flet` (`recursive` false) and `fletrec`.
    LetFun {
        defs: Rc<[(Atom, Rc<Lambda>)]>,
        recursive: bool,
        body: ExprRef,
    },
    /// `try`: `of` clauses see the body's value, `catch` clauses the tuple
    /// `#(class reason stack)`, `after` runs last whatever happened.
    Try {
        body: ExprRef,
        of: Option<Rc<[Clause]>>,
        catch: Option<Rc<[Clause]>>,
        after: Option<ExprRef>,
    },
    /// `catch`: the value, or the exception as a value.
    Catch(ExprRef),
    /// `#'name/arity`: a local function if one is in scope, else the top-level one.
    FunRef(Atom, usize),
    /// `receive`: the first message (in arrival order) that a clause takes is removed
    /// from the mailbox and runs that clause; `after`: the timeout (milliseconds or
    /// `infinity`) and the body run when it passes with no message taken.
    Receive {
        clauses: Rc<[Clause]>,
        after: Option<(ExprRef, ExprRef)>,
    },
}

/// What an [`Expr::Op`] does with its evaluated operands.
pub enum Op {
    Cons,
    /// `(list a b ...)`, or with `dotted` `(list* a b ... tail)`.
    List {
        dotted: bool,
    },
    Tuple,
    /// `(map k v ...)`: operands are keys and values alternately.
    Map,
    /// `(mset m k v ...)` / `(mupd m k v ...)`: the map first; `mupd` requires the keys.
    MapSet {
        update: bool,
    },
    /// `(binary seg ...)`: one operand per segment value, then one per size that is
    /// not a constant ([`SizeFrom::Operand`]), in segment order.
    Binary(Rc<[Segment]>),
    /// A call of a function in scope, a top-level function or an auto-imported BIF.
    CallLocal(Atom),
    /// A [`Op::CallLocal`] whose name and arity were an auto-imported `erlang` BIF
    /// when compiled: the BIF's function, called directly when nothing in scope
    /// (a local function, the module's own, a top-level one) takes the name.
    CallBif(Atom, Native),
    /// `mod:fun`.
    CallRemote(Atom, Atom),
    /// `(call m f args ...)`: the first two operands are the module and function.
    CallDynamic,
    /// `(funcall f args ...)`: the first operand is the fun.
    Funcall,
}

/// A binary segment's type and size.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SegType {
    Integer,
    Float,
    Binary,
    Utf8,
    /// A string literal: each character code as an 8-bit integer.
    Chars,
}

#[derive(Clone, Copy, Debug)]
pub struct Segment {
    pub ty: SegType,
    /// Size in units; `None` for the type's default (all of a binary, 8 for an
    /// integer, 64 for a float).
    pub size: Option<u64>,
    /// Where a size that is not a constant comes from.
    pub size_from: SizeFrom,
    pub unit: u64,
    pub signed: bool,
    pub little: bool,
}

/// The source of a segment's size when it is not a constant.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SizeFrom {
    /// `size` is the constant (or the type's default).
    Spec,
    /// In a `binary` expression: an extra operand, after the segment values.
    Operand,
    /// In a pattern: a variable bound earlier in the pattern or in scope.
    Var(Atom),
}

/// A function: one or more clauses of the same arity.
pub struct Lambda {
    pub arity: usize,
    pub clauses: Rc<[Clause]>,
    /// The name of a `defun` (for error messages).
    pub name: Option<Atom>,
}

/// One clause: patterns (one per argument), a guard (all tests must be `true`) and
/// a body.
pub struct Clause {
    pub pats: Vec<Pat>,
    pub guard: Vec<ExprRef>,
    pub body: ExprRef,
}

/// The error raised when no clause of an [`Expr::Match`] applies.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Fail {
    /// `{badmatch, V}` (`let`).
    Badmatch,
    /// `{case_clause, V}`.
    CaseClause,
    /// `#(nonbool_test kind)`: `if` or `cond` on a value that is not a boolean.
    NonBool(Atom),
    /// `{try_clause, V}`.
    TryClause,
    /// `badarg` (`andalso`, `orelse` on a non-boolean).
    Badarg,
}

/// A pattern.
pub enum Pat {
    /// `_`.
    Any,
    /// A variable: binds, or if already bound in the same pattern, must be `=:=`.
    Var(Atom),
    /// A constant, matched with `=:=`.
    Lit(Term),
    Cons(Box<Pat>, Box<Pat>),
    Tuple(Vec<Pat>),
    /// `(map k p ...)`: constant keys that must be present, values matched.
    Map(Vec<(Term, Pat)>),
    /// `(= p q)`: both must match.
    Alias(Box<Pat>, Box<Pat>),
    /// `(binary seg ...)`.
    Binary(Vec<(Pat, Segment)>),
}

impl Pat {
    /// The variables this pattern binds, in order of first appearance; iterative.
    pub fn vars(&self) -> Vec<Atom> {
        let mut out: Vec<Atom> = Vec::new();
        let mut stack = vec![self];
        while let Some(p) = stack.pop() {
            match p {
                Pat::Any | Pat::Lit(_) => {}
                Pat::Var(v) => {
                    if !out.contains(v) {
                        out.push(*v);
                    }
                }
                Pat::Cons(h, t) | Pat::Alias(h, t) => {
                    stack.push(t);
                    stack.push(h);
                }
                Pat::Tuple(ps) => stack.extend(ps.iter().rev()),
                Pat::Map(kvs) => stack.extend(kvs.iter().rev().map(|(_, v)| v)),
                Pat::Binary(segs) => stack.extend(segs.iter().rev().map(|(v, _)| v)),
            }
        }
        out
    }
}
