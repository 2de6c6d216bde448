//! The compiler: expands macros and turns LFE source ([`Sexpr`]) into the core IR
//! ([`crate::ir`]).
//!
//! It recurses on the Rust stack once per level of source nesting, bounded by
//! [`MAX_DEPTH`] levels and [`STACK_BUDGET`] bytes: deeper source is a clean
//! `#(bad_form deep_nesting)` error. User
//! macros (`defmacro`) are closures run by the evaluator through [`MacroHost`]; their
//! expansions are bounded by [`MAX_EXPANSIONS`] per top-level form, so a macro that
//! expands to itself forever is an error, not a hang.
//!
//! Errors are exceptions (`error` class) raised when the form runs, as LFE's
//! interpreter reports bad forms when it meets them.
//!
//! Here: the core forms, functions, clauses and patterns. `rewrite.rs`: backquote
//! and list comprehensions as source rewrites; `records.rs`: the record forms;
//! `segment.rs`: binary segment specifications; `guard.rs`: what guards may contain.

use std::collections::HashMap;
use std::rc::Rc;

use crate::atom::Atom;
use crate::convert::{sexpr_to_term, term_to_sexpr};
use crate::exception::{Exception, Result};
use crate::ir::{Clause, Expr, ExprRef, Fail, Lambda, Op, Pat, SegType, Segment, SizeFrom};
use crate::record::Records;

mod forms;
mod guard;
mod records;
mod rewrite;
mod segment;

use crate::sexpr::Sexpr;
use crate::term::Term;
use records::undefined_field;
use rewrite::{backquote, list_comp, Comp};
use segment::segment;

/// The deepest nesting of source forms the compiler accepts. Each level takes about
/// 1 KB of Rust stack in an optimised build, so compiling needs under 1 MB of stack
/// (`tests/hostile.rs` checks it on a 1 MB thread).
pub const MAX_DEPTH: usize = 500;

/// The most Rust stack one compilation may use, nested compilations (macros that
/// evaluate code) included; past it, deeper source is the same deep-nesting error
/// as past [`MAX_DEPTH`]. [`MAX_DEPTH`] is what users meet; this bound makes the
/// compiler safe whatever its frames cost (an unoptimised or sanitised build, a
/// form that nests through a costlier path) on any thread with 1 MB of stack.
pub const STACK_BUDGET: usize = 768 * 1024;

thread_local! {
    /// The address of the outermost live [`Compiler`]'s frame on this thread, or 0.
    static STACK_BASE: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// An address in the caller's stack frame.
#[inline(always)]
fn stack_address() -> usize {
    let marker = 0u8;
    std::hint::black_box(&marker) as *const u8 as usize
}

/// The most macro expansions one top-level form may make.
pub const MAX_EXPANSIONS: usize = 100_000;

/// Runs a user macro: calls the macro's fun with the list of its (unevaluated)
/// arguments and returns the expansion.
pub trait MacroHost {
    fn expand_macro(&mut self, mac: &Term, args: Term) -> Result<Term>;

    /// The auto-imported `erlang` BIF `name/arity`, if there is one, for a call
    /// compiled to call it directly ([`Op::CallBif`]).
    fn bif(&self, _name: Atom, _arity: usize) -> Option<crate::runtime::Native> {
        None
    }
}

/// Compiles forms, expanding the user macros in `macros` (name -> fun of one
/// argument, the argument list).
pub struct Compiler<'a> {
    pub macros: &'a HashMap<Atom, Term>,
    pub records: &'a Records,
    pub host: &'a mut dyn MacroHost,
    expansions: usize,
    /// Compiling a guard: only guard forms and guard BIFs are allowed (`guard.rs`).
    in_guard: bool,
    /// Compiling a module's code: its guards may also use `andalso` and `orelse`, as
    /// `lfe_lint` allows (LFE's interpreter, which runs scripts, does not).
    pub compiled: bool,
    _stack_base: StackBase,
}

/// Set by the outermost [`Compiler`] on a thread: it records [`STACK_BASE`] when
/// made and clears it when dropped. A field of its own, not a `Drop` of `Compiler`,
/// so that a compiler's borrows need not outlive it.
struct StackBase {
    owned: bool,
}

impl StackBase {
    fn enter() -> StackBase {
        let owned = STACK_BASE.with(|b| {
            let outermost = b.get() == 0;
            if outermost {
                b.set(stack_address());
            }
            outermost
        });
        StackBase { owned }
    }
}

impl Drop for StackBase {
    fn drop(&mut self) {
        if self.owned {
            STACK_BASE.with(|b| b.set(0));
        }
    }
}

pub(super) fn bad_form(name: &str) -> Exception {
    Exception::error_with("bad_form", Term::atom(name))
}

pub(super) fn lit(t: Term) -> ExprRef {
    Rc::new(Expr::Lit(t))
}

pub(super) fn atom_lit(name: &str) -> ExprRef {
    lit(Term::atom(name))
}

pub(super) fn sym(name: &str) -> Sexpr {
    Sexpr::atom(name)
}

pub(super) fn list(items: Vec<Sexpr>) -> Sexpr {
    Sexpr::List(items)
}

/// Whether compiling one more level at depth `d` would pass [`MAX_DEPTH`] or
/// [`STACK_BUDGET`]: every recursive path of the compiler asks before it recurses.
pub(super) fn too_deep(d: usize) -> bool {
    d > MAX_DEPTH || stack_used() > STACK_BUDGET
}

/// How much stack the compilations running on this thread use so far.
fn stack_used() -> usize {
    match STACK_BASE.with(|b| b.get()) {
        0 => 0,
        base => base.abs_diff(stack_address()),
    }
}

/// Clones a source form (macro expansion rewrites forms into new ones). Iterative
/// through [`sexpr_to_term`]/[`term_to_sexpr`] would lose nothing but be slower;
/// forms handled here are bounded by [`MAX_DEPTH`] already.
pub(crate) fn clone_sexpr(s: &Sexpr) -> Sexpr {
    term_to_sexpr(&sexpr_to_term(s)).unwrap_or(Sexpr::List(Vec::new()))
}

/// Operators that LFE folds left over their arguments when given more than two.
const LEFT_FOLDED: &[&str] = &[
    "+", "-", "*", "/", "div", "rem", "band", "bor", "bxor", "bsl", "bsr", "and", "or", "xor",
    "==", "/=", "=:=", "=/=", "<", ">", "=<", ">=",
];

impl<'a> Compiler<'a> {
    pub fn new(
        macros: &'a HashMap<Atom, Term>,
        records: &'a Records,
        host: &'a mut dyn MacroHost,
    ) -> Compiler<'a> {
        Compiler {
            macros,
            records,
            host,
            expansions: 0,
            in_guard: false,
            compiled: false,
            _stack_base: StackBase::enter(),
        }
    }

    /// Compiles one expression.
    pub fn expr(&mut self, s: &Sexpr) -> Result<ExprRef> {
        self.expr_at(s, 0)
    }

    fn expr_at(&mut self, s: &Sexpr, depth: usize) -> Result<ExprRef> {
        if too_deep(depth) {
            return Err(bad_form("deep_nesting"));
        }
        let d = depth + 1;
        match s {
            Sexpr::Atom(a) => Ok(Rc::new(Expr::Var(Atom::new(a)))),
            Sexpr::List(items) if items.is_empty() => Ok(lit(Term::Nil)),
            Sexpr::List(items) => self.form(items, d),
            Sexpr::Dotted(..) => Err(bad_form("application")),
            // Numbers, binaries, tuple and map literals evaluate to themselves.
            _ => Ok(lit(sexpr_to_term(s))),
        }
    }

    fn exprs(&mut self, items: &[Sexpr], d: usize) -> Result<Vec<ExprRef>> {
        items.iter().map(|s| self.expr_at(s, d)).collect()
    }

    /// A body: the forms in sequence; `()` if there are none.
    fn body(&mut self, items: &[Sexpr], d: usize) -> Result<ExprRef> {
        match items {
            [] => Ok(lit(Term::Nil)),
            [one] => self.expr_at(one, d),
            _ => Ok(Rc::new(Expr::Seq(self.exprs(items, d)?))),
        }
    }

    fn op(&mut self, op: Op, args: &[Sexpr], d: usize) -> Result<ExprRef> {
        Ok(Rc::new(Expr::Op(op, self.exprs(args, d)?)))
    }

    /// The depth after nesting `n` more levels, or the deep-nesting error.
    fn nest(&self, d: usize, n: usize) -> Result<usize> {
        let d = d.saturating_add(n);
        if too_deep(d) {
            return Err(bad_form("deep_nesting"));
        }
        Ok(d)
    }

    fn call(&mut self, name: &str, args: Vec<ExprRef>) -> ExprRef {
        let name = Atom::new(name);
        let op = match self.host.bif(name, args.len()) {
            Some(native) => Op::CallBif(name, native),
            None => Op::CallLocal(name),
        };
        Rc::new(Expr::Op(op, args))
    }

    /// A list form `(head args ...)`.
    fn form(&mut self, items: &[Sexpr], d: usize) -> Result<ExprRef> {
        let head = &items[0];
        let args = &items[1..];
        let name = match head {
            Sexpr::Atom(a) => &**a,
            Sexpr::Int(_) => {
                // A string literal is a list of character codes.
                return if items.iter().all(|x| matches!(x, Sexpr::Int(i) if *i >= 0)) {
                    Ok(lit(sexpr_to_term(&Sexpr::List(clone_items(items)))))
                } else {
                    Err(bad_form("application"))
                };
            }
            _ => return Err(bad_form("application")),
        };
        if let Some(mac) = self.macros.get(&Atom::new(name)) {
            let mac = mac.clone();
            return self.expand_user(&mac, args, d);
        }
        if self.in_guard
            && !(self.compiled && matches!(name, "andalso" | "orelse"))
            && !guard::allowed(name, args, |n| self.is_record_form(n))
        {
            // Raised when the guard reaches it, and not a guard failure: it escapes
            // the guard (as in LFE's interpreter).
            return Ok(guard::illegal());
        }
        match Self::special_form(name) {
            Some(compile) => compile(self, name, args, d),
            None => self.application(name, args, d),
        }
    }

    fn expand_user(&mut self, mac: &Term, args: &[Sexpr], d: usize) -> Result<ExprRef> {
        self.expansions += 1;
        if self.expansions > MAX_EXPANSIONS {
            return Err(bad_form("macro_expansion_limit"));
        }
        let arg_list = sexpr_to_term(&Sexpr::List(clone_items(args)));
        let out = self.host.expand_macro(mac, arg_list)?;
        let form = term_to_sexpr(&out).ok_or_else(|| bad_form("macro"))?;
        self.expr_at(&form, d)
    }

    /// `(if test then [else])`, and `cond`'s tests: `true` and `false` choose, any
    /// other value is `#(nonbool_test kind)`.
    fn if_form(
        &mut self,
        test: &Sexpr,
        then: &Sexpr,
        els: Option<&Sexpr>,
        kind: &str,
        d: usize,
    ) -> Result<ExprRef> {
        let test = self.expr_at(test, d)?;
        let then = self.expr_at(then, d)?;
        let els = match els {
            Some(e) => self.expr_at(e, d)?,
            None => atom_lit("false"),
        };
        Ok(self.bool_choice(test, then, els, Fail::NonBool(Atom::new(kind))))
    }

    fn bool_choice(&self, test: ExprRef, then: ExprRef, els: ExprRef, fail: Fail) -> ExprRef {
        let clauses: Rc<[Clause]> = vec![
            Clause {
                pats: vec![Pat::Lit(Term::atom("true"))],
                guard: Vec::new(),
                body: then,
            },
            Clause {
                pats: vec![Pat::Lit(Term::atom("false"))],
                guard: Vec::new(),
                body: els,
            },
        ]
        .into();
        Rc::new(Expr::Match {
            args: vec![test],
            clauses,
            fail,
        })
    }

    fn andalso_orelse(&mut self, and: bool, args: &[Sexpr], d: usize) -> Result<ExprRef> {
        match args {
            [] => Ok(atom_lit(if and { "true" } else { "false" })),
            [one] => self.expr_at(one, d),
            [first, rest @ ..] => {
                let first = self.expr_at(first, d)?;
                let rest = self.andalso_orelse(and, rest, d + 1)?;
                Ok(if and {
                    self.bool_choice(first, rest, atom_lit("false"), Fail::Badarg)
                } else {
                    self.bool_choice(first, atom_lit("true"), rest, Fail::Badarg)
                })
            }
        }
    }

    fn cond(&mut self, clauses: &[Sexpr], d: usize) -> Result<ExprRef> {
        // The IR nests once per clause: that counts against the depth limit.
        let d = self.nest(d, clauses.len())?;
        // Built inside out so the nesting costs no Rust stack per clause.
        let mut acc = atom_lit("false");
        for c in clauses.iter().rev() {
            let Sexpr::List(parts) = c else {
                return Err(bad_form("cond"));
            };
            let Some((test, body)) = parts.split_first() else {
                return Err(bad_form("cond"));
            };
            let body = if body.is_empty() {
                atom_lit("true")
            } else {
                self.body(body, d)?
            };
            // `(?= pat [guard] expr)`: the clause is taken when `expr` matches, with
            // the pattern's variables bound in its body.
            if let Sexpr::List(m) = test {
                if m.first().and_then(Sexpr::as_atom) == Some("?=") {
                    let (pat, guard, e) = match &m[1..] {
                        [pat, e] => (pat, None, e),
                        [pat, g, e] if is_when(g) => (pat, Some(g), e),
                        _ => return Err(bad_form("cond")),
                    };
                    let taken = Clause {
                        pats: vec![self.pattern(pat, d)?],
                        guard: match guard {
                            Some(g) => self.guard(g, d)?,
                            None => Vec::new(),
                        },
                        body,
                    };
                    let rest = Clause {
                        pats: vec![Pat::Any],
                        guard: Vec::new(),
                        body: acc,
                    };
                    acc = Rc::new(Expr::Match {
                        args: vec![self.expr_at(e, d)?],
                        clauses: vec![taken, rest].into(),
                        fail: Fail::CaseClause,
                    });
                    continue;
                }
            }
            let test = self.expr_at(test, d)?;
            acc = self.bool_choice(test, body, acc, Fail::NonBool(Atom::new("cond")));
        }
        Ok(acc)
    }

    fn let_form(&mut self, args: &[Sexpr], d: usize) -> Result<ExprRef> {
        let [Sexpr::List(binds), body @ ..] = args else {
            return Err(bad_form("let"));
        };
        let mut pats = Vec::new();
        let mut guard = Vec::new();
        let mut exprs = Vec::new();
        for b in binds {
            match b {
                Sexpr::List(p) if p.len() == 2 => {
                    pats.push(self.pattern(&p[0], d)?);
                    exprs.push(self.expr_at(&p[1], d)?);
                }
                Sexpr::List(p) if p.len() == 3 && is_when(&p[1]) => {
                    pats.push(self.pattern(&p[0], d)?);
                    guard.extend(self.guard(&p[1], d)?);
                    exprs.push(self.expr_at(&p[2], d)?);
                }
                _ => return Err(bad_form("let")),
            }
        }
        let body = self.body(body, d)?;
        Ok(Rc::new(Expr::Match {
            args: exprs,
            clauses: vec![Clause { pats, guard, body }].into(),
            fail: Fail::Badmatch,
        }))
    }

    fn let_fun(&mut self, args: &[Sexpr], recursive: bool, d: usize) -> Result<ExprRef> {
        let [Sexpr::List(defs), body @ ..] = args else {
            return Err(bad_form(if recursive { "fletrec" } else { "flet" }));
        };
        let mut out = Vec::new();
        for def in defs {
            let Sexpr::List(parts) = def else {
                return Err(bad_form("flet"));
            };
            let [Sexpr::Atom(name), rest @ ..] = &parts[..] else {
                return Err(bad_form("flet"));
            };
            let name = Atom::new(name);
            // `let-function` style `(name (lambda ...))`, or `flet` style
            // `(name (args) body ...)` / `(name clause ...)`.
            let lambda = match rest {
                [Sexpr::List(l)] if matches!(l.first(), Some(Sexpr::Atom(k)) if &**k == "lambda" || &**k == "match-lambda") => {
                    match &*self.expr_at(&rest[0], d)? {
                        Expr::Lambda(l) => l.clone(),
                        _ => return Err(bad_form("flet")),
                    }
                }
                _ => self.function(rest, Some(name), d)?,
            };
            out.push((name, lambda));
        }
        let body = self.body(body, d)?;
        Ok(Rc::new(Expr::LetFun {
            defs: out.into(),
            recursive,
            body,
        }))
    }

    /// A function definition's parts after its name: `(args) body ...` or clauses
    /// `((pats) [guard] body ...) ...`; a leading doc string is skipped.
    pub fn function(
        &mut self,
        parts: &[Sexpr],
        name: Option<Atom>,
        d: usize,
    ) -> Result<Rc<Lambda>> {
        let lambda_form = match parts.first() {
            Some(Sexpr::List(ps)) => {
                !matches!(ps.first(), Some(Sexpr::List(_)) | Some(Sexpr::Dotted(..)))
            }
            Some(Sexpr::Atom(_)) => true,
            _ => return Err(bad_form("defun")),
        };
        if lambda_form {
            let body = skip_doc(&parts[1..]);
            self.lambda(&parts[0], body, name, d)
        } else {
            self.match_lambda(skip_doc(parts), name, d)
        }
    }

    fn lambda(
        &mut self,
        params: &Sexpr,
        body: &[Sexpr],
        name: Option<Atom>,
        d: usize,
    ) -> Result<Rc<Lambda>> {
        let Sexpr::List(params) = params else {
            return Err(bad_form("lambda"));
        };
        let mut pats = Vec::new();
        for p in params {
            match p {
                Sexpr::Atom(a) if &**a == "_" => pats.push(Pat::Any),
                Sexpr::Atom(a) => pats.push(Pat::Var(Atom::new(a))),
                _ => return Err(bad_form("lambda")),
            }
        }
        let body = self.body(body, d)?;
        Ok(Rc::new(Lambda {
            arity: pats.len(),
            clauses: vec![Clause {
                pats,
                guard: Vec::new(),
                body,
            }]
            .into(),
            name,
        }))
    }

    fn match_lambda(
        &mut self,
        clauses: &[Sexpr],
        name: Option<Atom>,
        d: usize,
    ) -> Result<Rc<Lambda>> {
        let clauses = self.clauses(clauses, true, d)?;
        let arity = clauses
            .first()
            .map(|c| c.pats.len())
            .ok_or_else(|| bad_form("match-lambda"))?;
        if clauses.iter().any(|c| c.pats.len() != arity) {
            return Err(bad_form("match-lambda"));
        }
        Ok(Rc::new(Lambda {
            arity,
            clauses,
            name,
        }))
    }

    /// Clauses `(pat [(when ...)] body ...)`; with `multi`, `pat` is a list of
    /// patterns (a function's arguments).
    fn clauses(&mut self, clauses: &[Sexpr], multi: bool, d: usize) -> Result<Rc<[Clause]>> {
        let mut out = Vec::new();
        for c in clauses {
            let Sexpr::List(parts) = c else {
                return Err(bad_form("clause"));
            };
            let Some((pat, rest)) = parts.split_first() else {
                return Err(bad_form("clause"));
            };
            let pats = if multi {
                let Sexpr::List(ps) = pat else {
                    return Err(bad_form("match-lambda"));
                };
                ps.iter()
                    .map(|p| self.pattern(p, d))
                    .collect::<Result<Vec<_>>>()?
            } else {
                vec![self.pattern(pat, d)?]
            };
            let (guard, body) = match rest.split_first() {
                Some((g, body)) if is_when(g) => (self.guard(g, d)?, body),
                _ => (Vec::new(), rest),
            };
            let body = self.body(body, d)?;
            out.push(Clause { pats, guard, body });
        }
        Ok(out.into())
    }

    fn guard(&mut self, when: &Sexpr, d: usize) -> Result<Vec<ExprRef>> {
        let Sexpr::List(parts) = when else {
            return Err(bad_form("when"));
        };
        let outer = std::mem::replace(&mut self.in_guard, true);
        let tests = self.exprs(&parts[1..], d);
        self.in_guard = outer;
        tests
    }

    fn try_form(&mut self, args: &[Sexpr], d: usize) -> Result<ExprRef> {
        let Some((body, sections)) = args.split_first() else {
            return Err(bad_form("try"));
        };
        let body = self.expr_at(body, d)?;
        let (mut of, mut catch, mut after) = (None, None, None);
        for s in sections {
            let Sexpr::List(parts) = s else {
                return Err(bad_form("try"));
            };
            match parts.split_first() {
                Some((Sexpr::Atom(k), cs)) if &**k == "case" => {
                    of = Some(self.clauses(cs, false, d)?)
                }
                Some((Sexpr::Atom(k), cs)) if &**k == "catch" => {
                    catch = Some(self.clauses(cs, false, d)?)
                }
                Some((Sexpr::Atom(k), b)) if &**k == "after" => after = Some(self.body(b, d)?),
                _ => return Err(bad_form("try")),
            }
        }
        Ok(Rc::new(Expr::Try {
            body,
            of,
            catch,
            after,
        }))
    }

    fn binary(&mut self, segs: &[Sexpr], d: usize) -> Result<ExprRef> {
        let mut specs = Vec::new();
        let mut vals = Vec::new();
        let mut sizes = Vec::new();
        for s in segs {
            let (val, mut spec, size) = segment(s)?;
            vals.push(self.expr_at(val, d)?);
            if let Some(size) = size {
                spec.size_from = SizeFrom::Operand;
                sizes.push(self.expr_at(size, d)?);
            }
            specs.push(spec);
        }
        vals.extend(sizes);
        Ok(Rc::new(Expr::Op(Op::Binary(specs.into()), vals)))
    }

    /// Compiles a pattern.
    pub fn pattern(&mut self, s: &Sexpr, d: usize) -> Result<Pat> {
        if too_deep(d) {
            return Err(bad_form("deep_nesting"));
        }
        let d = d + 1;
        Ok(match s {
            Sexpr::Atom(a) if &**a == "_" => Pat::Any,
            Sexpr::Atom(a) => Pat::Var(Atom::new(a)),
            Sexpr::List(items) if items.is_empty() => Pat::Lit(Term::Nil),
            Sexpr::List(items) => {
                let (head, args) = (&items[0], &items[1..]);
                match head.as_atom() {
                    Some("quote") if args.len() == 1 => Pat::Lit(sexpr_to_term(&args[0])),
                    Some("cons") if args.len() == 2 => Pat::Cons(
                        Box::new(self.pattern(&args[0], d)?),
                        Box::new(self.pattern(&args[1], d)?),
                    ),
                    Some("list") => self.list_pattern(args, None, d)?,
                    Some("list*") if !args.is_empty() => {
                        let (last, init) = args.split_last().ok_or_else(|| bad_form("list*"))?;
                        self.list_pattern(init, Some(last), d)?
                    }
                    Some("tuple") => Pat::Tuple(
                        args.iter()
                            .map(|p| self.pattern(p, d))
                            .collect::<Result<_>>()?,
                    ),
                    Some("=") if args.len() == 2 => Pat::Alias(
                        Box::new(self.pattern(&args[0], d)?),
                        Box::new(self.pattern(&args[1], d)?),
                    ),
                    Some("map") if args.len() % 2 == 0 => {
                        let mut pairs = Vec::new();
                        for kv in args.chunks(2) {
                            pairs.push((literal_key(&kv[0])?, self.pattern(&kv[1], d)?));
                        }
                        Pat::Map(pairs)
                    }
                    Some("binary") => {
                        let mut segs = Vec::new();
                        for s in args {
                            let (val, mut spec, size) = segment(s)?;
                            match size {
                                Some(Sexpr::Atom(v)) => {
                                    spec.size_from = SizeFrom::Var(Atom::new(v))
                                }
                                Some(_) => {
                                    return Err(Exception::error(Term::atom("illegal_bitsize")))
                                }
                                None => {}
                            }
                            if spec.ty == SegType::Chars {
                                // A string matches its characters as bytes.
                                let Sexpr::List(cs) = val else {
                                    return Err(bad_form("binary"));
                                };
                                for c in cs {
                                    let byte = Segment {
                                        ty: SegType::Integer,
                                        size: Some(8),
                                        ..spec
                                    };
                                    segs.push((Pat::Lit(sexpr_to_term(c)), byte));
                                }
                                continue;
                            }
                            segs.push((self.pattern(val, d)?, spec));
                        }
                        Pat::Binary(segs)
                    }
                    Some(kw) if self.record_pattern_name(kw, args).is_some() => {
                        let (rec, fields) = self
                            .record_pattern_name(kw, args)
                            .ok_or_else(|| bad_form("record"))?;
                        let mut pats: Vec<Pat> = (0..rec.size()).map(|_| Pat::Any).collect();
                        pats[0] = Pat::Lit(Term::Atom(rec.name));
                        for fp in fields.chunks(2) {
                            let [Sexpr::Atom(f), p] = fp else {
                                return Err(bad_form("record"));
                            };
                            let i = rec.index(f).ok_or_else(|| undefined_field(&rec, f))?;
                            pats[i - 1] = self.pattern(p, d)?;
                        }
                        Pat::Tuple(pats)
                    }
                    Some("backquote") if args.len() == 1 => {
                        let e = backquote(&args[0], 1, d)?;
                        self.pattern(&e, d)?
                    }
                    _ if items.iter().all(|x| matches!(x, Sexpr::Int(i) if *i >= 0)) => {
                        Pat::Lit(sexpr_to_term(s))
                    }
                    _ => return Err(Exception::error_with("illegal_pattern", sexpr_to_term(s))),
                }
            }
            Sexpr::Dotted(..) => {
                return Err(Exception::error_with("illegal_pattern", sexpr_to_term(s)))
            }
            _ => Pat::Lit(sexpr_to_term(s)),
        })
    }

    fn list_pattern(&mut self, items: &[Sexpr], tail: Option<&Sexpr>, d: usize) -> Result<Pat> {
        // A list pattern nests once per element.
        let d = self.nest(d, items.len())?;
        let mut acc = match tail {
            Some(t) => self.pattern(t, d)?,
            None => Pat::Lit(Term::Nil),
        };
        for p in items.iter().rev() {
            acc = Pat::Cons(Box::new(self.pattern(p, d)?), Box::new(acc));
        }
        Ok(acc)
    }
}

pub(super) fn remote(m: &str, f: &str, args: Vec<ExprRef>) -> ExprRef {
    Rc::new(Expr::Op(Op::CallRemote(Atom::new(m), Atom::new(f)), args))
}

pub(super) fn clone_items(items: &[Sexpr]) -> Vec<Sexpr> {
    items.iter().map(clone_sexpr).collect()
}

pub(crate) fn is_when(s: &Sexpr) -> bool {
    matches!(s, Sexpr::List(p) if matches!(p.first(), Some(Sexpr::Atom(a)) if &**a == "when"))
}

/// A body without its leading doc string (a string followed by more forms).
fn skip_doc(body: &[Sexpr]) -> &[Sexpr] {
    match body {
        [Sexpr::List(s), _, ..]
            if !s.is_empty() && s.iter().all(|x| matches!(x, Sexpr::Int(_))) =>
        {
            &body[1..]
        }
        _ => body,
    }
}

/// `mod:fun` as a symbol.
fn split_remote(name: &str) -> Option<(&str, &str)> {
    if LEFT_FOLDED.contains(&name) {
        return None;
    }
    let (m, f) = name.split_once(':')?;
    (!m.is_empty() && !f.is_empty() && !f.contains(':')).then_some((m, f))
}

fn literal_key(s: &Sexpr) -> Result<Term> {
    match s {
        Sexpr::Atom(_) => Err(Exception::error_with("illegal_mapkey", sexpr_to_term(s))),
        Sexpr::List(p)
            if matches!(p.first(), Some(Sexpr::Atom(a)) if &**a == "quote") && p.len() == 2 =>
        {
            Ok(sexpr_to_term(&p[1]))
        }
        _ => Ok(sexpr_to_term(s)),
    }
}
