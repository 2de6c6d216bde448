//! The evaluator: runs compiled code ([`crate::ir`]) on an explicit stack of frames.
//!
//! Nothing here recurses on the Rust stack per call or per level of nesting: a frame
//! records what to do with a value once it is computed, and the loop in
//! [`Machine::resume`] moves between computing values, returning them to the top
//! frame, and unwinding frames on an exception. A call in tail position (a body's
//! last form, a clause body, a function body) pushes no frame, so tail recursion runs
//! in constant space; body recursion grows the frame stack on the heap up to
//! [`Machine::max_frames`], past which it is a clean `system_limit` error.
//!
//! Work is counted in reductions, one per function call (as the BEAM counts them), and
//! [`Machine::resume`] stops after the budget it is given, so a scheduler can run an
//! LFE process in slices: `resume(budget)` -> finished / preempted / waiting in a
//! `receive` / error.

use std::rc::Rc;
use std::time::{Duration, Instant};

use crate::atom::Atom;
use crate::closure::{Fun, FunNode, Scope};
use crate::exception::{Class, Exception};
use crate::ir::{Clause, Expr, ExprRef, Fail, Lambda, Op};
use crate::module::Module;
use crate::pattern::match_pat;
use crate::runtime::{Native, Runtime};
use crate::term::Term;

/// The default bound on the frame stack: about a few hundred megabytes at most, and
/// deep enough for body recursion ten million calls deep.
pub const DEFAULT_MAX_FRAMES: usize = 10_000_000;

/// What [`Machine::resume`] ended with.
pub enum Outcome {
    /// The code returned this value.
    Finished(Term),
    /// The budget ran out; call `resume` again to go on.
    Preempted,
    /// An exception no `try` or `catch` handled.
    Error(Exception),
    /// A `receive` found no message it takes: resume when one arrives or at the
    /// deadline (`None`: no deadline).
    Wait(Option<Instant>),
}

/// A `receive` in progress: where its scan of the mailbox is.
struct Recv {
    node: ExprRef,
    scope: Scope,
    /// Its `after`'s timeout in milliseconds (`None`: none, or `infinity`).
    timeout: Option<u64>,
    deadline: Option<Instant>,
    /// Messages before this index were offered to the clauses and not taken.
    save: usize,
    /// The wait has not started yet (first step of this receive).
    fresh: bool,
}

/// The clauses still to try against some values.
struct Select {
    clauses: Rc<[Clause]>,
    next: usize,
    subjects: Vec<Term>,
    scope: Scope,
    on_fail: OnFail,
}

enum OnFail {
    Fail(Fail),
    FunctionClause,
    /// `try`'s catch clauses: an exception no clause takes goes on up.
    Reraise(Exception),
    /// A `receive`'s clauses against its message `save` (boxed: a `Select` is on
    /// every call's path, and small is fast): none takes it, try the next; a clause
    /// that takes it removes it from the queue.
    Receive(Box<Recv>),
}

enum Frame {
    /// Evaluating the operands of `node` (an `Op` or a `Match`); `vals` so far.
    Args {
        node: ExprRef,
        vals: Vec<Term>,
        scope: Scope,
    },
    /// In a `progn`, at form `next - 1`.
    Seq {
        node: ExprRef,
        next: usize,
        scope: Scope,
    },
    /// Evaluating guard test `test` of the clause `sel.next`; `bound` has the
    /// clause's bindings.
    Guard {
        sel: Box<Select>,
        bound: Scope,
        test: usize,
    },
    /// The body of the `try` `node` is running.
    Try { node: ExprRef, scope: Scope },
    /// The `after` of the `try` `node` is still to run.
    After { node: ExprRef, scope: Scope },
    /// An `after` is running; then this outcome carries on.
    Resume(Result<Term, Exception>),
    /// The timeout of the `receive` `node` is being evaluated.
    ReceiveAfter { node: ExprRef, scope: Scope },
    /// The body of a `catch` is running.
    Catch,
}

enum Ctrl {
    Eval(ExprRef, Scope),
    Value(Term),
    Raise(Exception),
    /// A call, counted as one reduction.
    Apply(Callee, Vec<Term>),
    /// Boxed (from `Machine::spare`), so the control moved through the loop each
    /// step stays small.
    Select(Box<Select>),
    Receive(Box<Recv>),
}

/// What a call calls.
enum Callee {
    Fun(Term),
    /// A name in scope, a top-level function or an auto-imported BIF.
    Local(Atom, Scope),
    Remote(Atom, Atom),
    /// An auto-imported BIF known to be what a local call of its name finds.
    Bif(Native),
}

/// One running computation: a script's form, a macro expansion, or an LFE process.
pub struct Machine {
    frames: Vec<Frame>,
    ctrl: Option<Ctrl>,
    /// The deepest the frame stack may grow.
    pub max_frames: usize,
    /// Reductions done so far.
    pub reductions: u64,
    /// The box of the last `Select` done with, reused by the next (one allocation
    /// per machine instead of one per call).
    spare: Option<Box<Select>>,
    /// Emptied operand vectors kept for the next call or constructor (most calls'
    /// operands are done with when the call returns: a BIF's, a matched clause's).
    vecs: Vec<Vec<Term>>,
    /// The reduction count at which the running `resume` stops.
    stop: u64,
}

/// How many operand vectors a machine keeps, and the largest it keeps: enough for
/// the nesting of ordinary code, small enough to be nothing next to a process.
const SPARE_VECS: usize = 16;
const SPARE_VEC_CAP: usize = 8;

impl Machine {
    /// A machine that will evaluate `expr` in an empty scope.
    pub fn eval(expr: ExprRef) -> Machine {
        Machine::with_ctrl(Ctrl::Eval(expr, Scope::default()))
    }

    /// A machine that will evaluate `expr` in `scope`.
    pub fn eval_in(expr: ExprRef, scope: Scope) -> Machine {
        Machine::with_ctrl(Ctrl::Eval(expr, scope))
    }

    /// A machine that will apply `fun` to `args`.
    pub fn apply(fun: Term, args: Vec<Term>) -> Machine {
        Machine::with_ctrl(Ctrl::Apply(Callee::Fun(fun), args))
    }

    fn with_ctrl(ctrl: Ctrl) -> Machine {
        Machine {
            frames: Vec::new(),
            ctrl: Some(ctrl),
            max_frames: DEFAULT_MAX_FRAMES,
            reductions: 0,
            spare: None,
            vecs: Vec::new(),
            stop: 0,
        }
    }

    /// Runs for at most `budget` reductions.
    pub fn resume(&mut self, rt: &mut Runtime, budget: u64) -> Outcome {
        let stop = self.reductions.saturating_add(budget);
        self.stop = stop;
        // The control lives in a local while running and goes back into `self.ctrl`
        // only when `resume` returns (moving it through `self` each step was costly).
        let Some(mut ctrl) = self.ctrl.take() else {
            return Outcome::Error(Exception::badarg());
        };
        loop {
            ctrl = match ctrl {
                Ctrl::Eval(e, scope) => self.eval_expr(rt, e, scope),
                Ctrl::Value(v) => match self.frames.pop() {
                    None => {
                        self.ctrl = Some(Ctrl::Value(v.clone()));
                        return Outcome::Finished(v);
                    }
                    Some(f) => self.ret(rt, f, v),
                },
                Ctrl::Raise(ex) => match self.unwind(ex) {
                    Ok(c) => c,
                    Err(ex) => {
                        self.ctrl = Some(Ctrl::Raise(ex.clone()));
                        return Outcome::Error(ex);
                    }
                },
                Ctrl::Apply(f, args) => {
                    if self.reductions >= stop {
                        self.ctrl = Some(Ctrl::Apply(f, args));
                        return Outcome::Preempted;
                    }
                    if rt.stop_requested() {
                        // A signal ended this process (`exit/2` to itself, its own
                        // message past its heap limit): the scheduler ends it now.
                        self.ctrl = Some(Ctrl::Apply(f, args));
                        return Outcome::Preempted;
                    }
                    self.reductions += 1;
                    if self.frames.len() >= self.max_frames {
                        Ctrl::Raise(Exception::error(Term::atom("system_limit")))
                    } else {
                        self.call(rt, f, args)
                    }
                }
                Ctrl::Select(sel) => self.select(rt, sel),
                Ctrl::Receive(r) => {
                    // Each message offered to the clauses is a reduction, so a long
                    // mailbox is scanned across slices.
                    if self.reductions >= stop {
                        self.ctrl = Some(Ctrl::Receive(r));
                        return Outcome::Preempted;
                    }
                    self.reductions += 1;
                    match self.receive(rt, r) {
                        Ok(c) => c,
                        Err(r) => {
                            // Going idle: an empty frame stack gives its buffer back
                            // (frames are 200 bytes; four of them were most of an idle
                            // process's memory).
                            if self.frames.is_empty() {
                                self.frames = Vec::new();
                            }
                            // The kept vectors are freed; the list of them keeps its
                            // (small) buffer, so a process that waits after every
                            // message does not grow it again each time.
                            self.vecs.clear();
                            let deadline = r.deadline;
                            self.ctrl = Some(Ctrl::Receive(r));
                            return Outcome::Wait(deadline);
                        }
                    }
                }
            };
        }
    }

    /// Runs to the end with a budget, for code run inside the compiler (macros).
    pub fn run_bounded(&mut self, rt: &mut Runtime, budget: u64) -> Result<Term, Exception> {
        match self.resume(rt, budget) {
            Outcome::Finished(v) => Ok(v),
            Outcome::Error(e) => Err(e),
            Outcome::Preempted => Err(Exception::error(Term::atom("reduction_limit"))),
            Outcome::Wait(_) => Err(Exception::error(Term::atom("receive_in_macro"))),
        }
    }

    fn eval_expr(&mut self, rt: &mut Runtime, e: ExprRef, scope: Scope) -> Ctrl {
        match &*e {
            Expr::Lit(t) => Ctrl::Value(t.clone()),
            Expr::Var(name) => match scope.var(*name) {
                Some(v) => Ctrl::Value(v.clone()),
                None => Ctrl::Raise(Exception::error_with("unbound_symbol", Term::Atom(*name))),
            },
            Expr::Op(_, args) | Expr::Match { args, .. } => {
                let mut vals = self.take_vec(args.len());
                match simple_operands(args, &mut vals, &scope) {
                    Err(ex) => Ctrl::Raise(ex),
                    Ok(None) => self.finish(rt, &e, vals, scope),
                    Ok(Some(next)) => {
                        self.frames.push(Frame::Args {
                            node: e.clone(),
                            vals,
                            scope: scope.clone(),
                        });
                        Ctrl::Eval(next, scope)
                    }
                }
            }
            Expr::Seq(items) => {
                let Some(first) = items.first().cloned() else {
                    return Ctrl::Value(Term::Nil);
                };
                if items.len() > 1 {
                    self.frames.push(Frame::Seq {
                        node: e.clone(),
                        next: 1,
                        scope: scope.clone(),
                    });
                }
                Ctrl::Eval(first, scope)
            }
            Expr::Lambda(l) => Ctrl::Value(Term::Fun(Rc::new(Fun::Closure {
                lambda: l.clone(),
                scope,
            }))),
            Expr::LetFun {
                defs,
                recursive,
                body,
            } => {
                let node = FunNode {
                    defs: defs.clone(),
                    recursive: *recursive,
                    vars: scope.vars.clone(),
                    next: scope.funs.clone(),
                };
                let inner = Scope {
                    vars: scope.vars,
                    funs: Some(Rc::new(node)),
                    module: scope.module,
                    version: scope.version,
                };
                Ctrl::Eval(body.clone(), inner)
            }
            Expr::Try { body, after, .. } => {
                if after.is_some() {
                    self.frames.push(Frame::After {
                        node: e.clone(),
                        scope: scope.clone(),
                    });
                }
                self.frames.push(Frame::Try {
                    node: e.clone(),
                    scope: scope.clone(),
                });
                Ctrl::Eval(body.clone(), scope)
            }
            Expr::Catch(body) => {
                self.frames.push(Frame::Catch);
                Ctrl::Eval(body.clone(), scope)
            }
            Expr::FunRef(name, arity) => {
                let (name, arity) = (*name, *arity);
                let f = scope
                    .local_fun(name, arity)
                    .unwrap_or_else(|| match scope.module {
                        Some(module) if module_function(rt, module, name, arity).is_some() => {
                            Fun::Local {
                                module,
                                name,
                                arity,
                            }
                        }
                        _ => Fun::Global { name, arity },
                    });
                Ctrl::Value(Term::Fun(Rc::new(f)))
            }
            Expr::Receive { after, .. } => match after {
                Some((timeout, _)) => {
                    let timeout = timeout.clone();
                    self.frames.push(Frame::ReceiveAfter {
                        node: e.clone(),
                        scope: scope.clone(),
                    });
                    Ctrl::Eval(timeout, scope)
                }
                None => Ctrl::Receive(Box::new(Recv {
                    node: e.clone(),
                    scope,
                    timeout: None,
                    deadline: None,
                    save: 0,
                    fresh: true,
                })),
            },
        }
    }

    /// Gives the value `v` to frame `f`.
    fn ret(&mut self, rt: &mut Runtime, f: Frame, v: Term) -> Ctrl {
        match f {
            Frame::Args {
                node,
                mut vals,
                scope,
            } => {
                vals.push(v);
                let args = match &*node {
                    Expr::Op(_, args) | Expr::Match { args, .. } => args,
                    _ => return Ctrl::Raise(Exception::badarg()),
                };
                match simple_operands(args, &mut vals, &scope) {
                    Err(ex) => Ctrl::Raise(ex),
                    Ok(None) => self.finish(rt, &node, vals, scope),
                    Ok(Some(next)) => {
                        self.frames.push(Frame::Args {
                            node: node.clone(),
                            vals,
                            scope: scope.clone(),
                        });
                        Ctrl::Eval(next, scope)
                    }
                }
            }
            Frame::Seq { node, next, scope } => {
                let Expr::Seq(items) = &*node else {
                    return Ctrl::Raise(Exception::badarg());
                };
                let e = items[next].clone();
                if next + 1 < items.len() {
                    self.frames.push(Frame::Seq {
                        node: node.clone(),
                        next: next + 1,
                        scope: scope.clone(),
                    });
                }
                Ctrl::Eval(e, scope)
            }
            Frame::Guard {
                mut sel,
                bound,
                test,
            } => {
                let clause = &sel.clauses[sel.next];
                if v.as_bool() == Some(true) {
                    if let Some(g) = clause.guard.get(test + 1).cloned() {
                        let body_scope = bound.clone();
                        self.frames.push(Frame::Guard {
                            sel,
                            bound,
                            test: test + 1,
                        });
                        return Ctrl::Eval(g, body_scope);
                    }
                    if let OnFail::Receive(r) = &sel.on_fail {
                        rt.take_message(r.save);
                    }
                    let body = clause.body.clone();
                    self.recycle(sel);
                    return Ctrl::Eval(body, bound);
                }
                sel.next += 1;
                Ctrl::Select(sel)
            }
            Frame::Try { node, scope } => match &*node {
                Expr::Try { of: Some(of), .. } => Ctrl::Select(self.boxed(Select {
                    clauses: of.clone(),
                    next: 0,
                    subjects: vec![v],
                    scope,
                    on_fail: OnFail::Fail(Fail::TryClause),
                })),
                _ => Ctrl::Value(v),
            },
            Frame::After { node, scope } => self.run_after(node, scope, Ok(v)),
            Frame::Resume(outcome) => match outcome {
                Ok(v) => Ctrl::Value(v),
                Err(e) => Ctrl::Raise(e),
            },
            Frame::Catch => Ctrl::Value(v),
            Frame::ReceiveAfter { node, scope } => {
                let timeout = match &v {
                    Term::Int(ms) if *ms >= 0 => Some(*ms as u64),
                    // Beyond 64 bits of milliseconds: as good as for ever.
                    Term::Big(b) if b.sign() == num_bigint::Sign::Plus => None,
                    Term::Atom(a) if a.name() == "infinity" => None,
                    _ => return Ctrl::Raise(Exception::error(Term::atom("timeout_value"))),
                };
                Ctrl::Receive(Box::new(Recv {
                    node,
                    scope,
                    timeout,
                    deadline: None,
                    save: 0,
                    fresh: true,
                }))
            }
        }
    }

    fn run_after(&mut self, node: ExprRef, scope: Scope, outcome: Result<Term, Exception>) -> Ctrl {
        let Expr::Try {
            after: Some(after), ..
        } = &*node
        else {
            return Ctrl::Raise(Exception::badarg());
        };
        self.frames.push(Frame::Resume(outcome));
        Ctrl::Eval(after.clone(), scope)
    }

    /// Pops frames until one handles `ex`; `Err` if none does.
    fn unwind(&mut self, ex: Exception) -> Result<Ctrl, Exception> {
        while let Some(f) = self.frames.pop() {
            match f {
                // An exception in a guard makes the guard false, except
                // `illegal_guard`, which is the program's error (as in LFE).
                Frame::Guard { mut sel, .. } => {
                    if ex.class != Class::Error || !ex.reason.is_atom_named("illegal_guard") {
                        sel.next += 1;
                        return Ok(Ctrl::Select(sel));
                    }
                }
                Frame::Try { node, scope } => {
                    if let Expr::Try {
                        catch: Some(catch), ..
                    } = &*node
                    {
                        let caught = Term::tuple(vec![
                            Term::atom(ex.class.name()),
                            ex.reason.clone(),
                            ex.stack.clone(),
                        ]);
                        return Ok(Ctrl::Select(self.boxed(Select {
                            clauses: catch.clone(),
                            next: 0,
                            subjects: vec![caught],
                            scope,
                            on_fail: OnFail::Reraise(ex),
                        })));
                    }
                }
                Frame::After { node, scope } => return Ok(self.run_after(node, scope, Err(ex))),
                Frame::Catch => {
                    return Ok(Ctrl::Value(match ex.class {
                        Class::Throw => ex.reason,
                        Class::Exit => Term::tuple(vec![Term::atom("EXIT"), ex.reason]),
                        Class::Error => Term::tuple(vec![
                            Term::atom("EXIT"),
                            Term::tuple(vec![ex.reason, ex.stack]),
                        ]),
                    }))
                }
                Frame::Args { .. }
                | Frame::Seq { .. }
                | Frame::Resume(_)
                | Frame::ReceiveAfter { .. } => {}
            }
        }
        Err(ex)
    }

    /// `sel` in a box, the spare one if there is one.
    fn boxed(&mut self, sel: Select) -> Box<Select> {
        match self.spare.take() {
            Some(mut b) => {
                *b = sel;
                b
            }
            None => Box::new(sel),
        }
    }

    /// An empty vector for `n` operands, a kept one if there is one.
    fn take_vec(&mut self, n: usize) -> Vec<Term> {
        match self.vecs.pop() {
            Some(mut v) => {
                v.reserve(n);
                v
            }
            None => Vec::with_capacity(n),
        }
    }

    /// Keeps `v` (emptied) for a later `take_vec`, if it is small and few are kept.
    fn give_vec(&mut self, mut v: Vec<Term>) {
        if v.capacity() <= SPARE_VEC_CAP && self.vecs.len() < SPARE_VECS {
            v.clear();
            self.vecs.push(v);
        }
    }

    /// A native's result as the machine's next step; its operands' vector is kept.
    fn native(&mut self, rt: &mut Runtime, native: Native, args: Vec<Term>) -> Ctrl {
        let r = native(rt, &args);
        self.give_vec(args);
        native_ctrl(r)
    }

    /// Keeps `sel`'s box for the next `Select`, emptied so it holds no values alive.
    fn recycle(&mut self, mut sel: Box<Select>) {
        let subjects = std::mem::take(&mut sel.subjects);
        self.give_vec(subjects);
        sel.scope = Scope::default();
        sel.on_fail = OnFail::FunctionClause;
        self.spare = Some(sel);
    }

    fn select(&mut self, rt: &mut Runtime, mut sel: Box<Select>) -> Ctrl {
        let clauses = sel.clauses.clone();
        while let Some(c) = clauses.get(sel.next) {
            let mut binds = Vec::new();
            if c.pats.len() == sel.subjects.len()
                && c.pats
                    .iter()
                    .zip(sel.subjects.iter())
                    .all(|(p, v)| match_pat(p, v, &mut binds, &sel.scope))
            {
                let bound = sel.scope.bind(binds);
                return match c.guard.first() {
                    None => {
                        if let OnFail::Receive(r) = &sel.on_fail {
                            rt.take_message(r.save);
                        }
                        let body = c.body.clone();
                        self.recycle(sel);
                        Ctrl::Eval(body, bound)
                    }
                    Some(g) => {
                        let g = g.clone();
                        let gscope = bound.clone();
                        self.frames.push(Frame::Guard {
                            sel,
                            bound,
                            test: 0,
                        });
                        Ctrl::Eval(g, gscope)
                    }
                };
            }
            sel.next += 1;
        }
        let subject = || sel.subjects.first().cloned().unwrap_or_default();
        Ctrl::Raise(match sel.on_fail {
            OnFail::Receive(mut r) => {
                r.save += 1;
                return Ctrl::Receive(r);
            }
            OnFail::Reraise(ex) => ex,
            OnFail::FunctionClause => Exception::error(Term::atom("function_clause")),
            OnFail::Fail(Fail::Badmatch) => {
                // A `let` of several bindings reports the first value that fails.
                let mut bad = subject();
                if let Some(c) = clauses.first() {
                    for (p, v) in c.pats.iter().zip(sel.subjects.iter()) {
                        if !match_pat(p, v, &mut Vec::new(), &sel.scope) {
                            bad = v.clone();
                            break;
                        }
                    }
                }
                Exception::error_with("badmatch", bad)
            }
            OnFail::Fail(Fail::CaseClause) => Exception::error_with("case_clause", subject()),
            OnFail::Fail(Fail::TryClause) => Exception::error_with("try_clause", subject()),
            OnFail::Fail(Fail::NonBool(kind)) => {
                Exception::error_with("nonbool_test", Term::Atom(kind))
            }
            OnFail::Fail(Fail::Badarg) => Exception::badarg(),
        })
    }

    /// One step of a `receive`: offers the next message to the clauses, runs the
    /// `after` body once the timeout has passed with nothing taken, or `Err` (give
    /// the `Recv` back) to wait for a message or the deadline.
    fn receive(&mut self, rt: &mut Runtime, mut r: Box<Recv>) -> Result<Ctrl, Box<Recv>> {
        let node = r.node.clone();
        let Expr::Receive { clauses, after } = &*node else {
            return Ok(Ctrl::Raise(Exception::badarg()));
        };
        if r.fresh {
            r.fresh = false;
            r.save = 0;
            r.deadline = r
                .timeout
                .and_then(|ms| Instant::now().checked_add(Duration::from_millis(ms)));
            rt.start_wait();
        }
        // The mailbox is looked at (under its lock) only once the messages taken
        // before are all tried.
        let timed_out = rt.message(r.save).is_none() && rt.pull_messages();
        if let Some(msg) = rt.message(r.save) {
            return Ok(Ctrl::Select(self.boxed(Select {
                clauses: clauses.clone(),
                next: 0,
                subjects: vec![msg],
                scope: r.scope.clone(),
                on_fail: OnFail::Receive(r),
            })));
        }
        let passed =
            r.timeout == Some(0) || timed_out || r.deadline.is_some_and(|d| Instant::now() >= d);
        if let (true, Some((_, body))) = (passed, after) {
            return Ok(Ctrl::Eval(body.clone(), r.scope));
        }
        if !rt.has_process() {
            // Outside a process (a script run without a node) nothing can arrive.
            return Ok(match (r.deadline, after) {
                (Some(d), Some((_, body))) => {
                    std::thread::sleep(d.saturating_duration_since(Instant::now()));
                    Ctrl::Eval(body.clone(), r.scope)
                }
                _ => Ctrl::Raise(Exception::error_with("no_process", Term::atom("receive"))),
            });
        }
        Err(r)
    }

    /// All operands of `node` are evaluated: build, call or match.
    fn finish(&mut self, rt: &mut Runtime, node: &Expr, mut vals: Vec<Term>, scope: Scope) -> Ctrl {
        let op = match node {
            Expr::Match { clauses, fail, .. } => {
                return Ctrl::Select(self.boxed(Select {
                    clauses: clauses.clone(),
                    next: 0,
                    subjects: vals,
                    scope,
                    on_fail: OnFail::Fail(*fail),
                }))
            }
            Expr::Op(op, _) => op,
            _ => return Ctrl::Raise(Exception::badarg()),
        };
        let built = match op {
            Op::Cons => {
                let tail = vals.pop().unwrap_or_default();
                let head = vals.pop().unwrap_or_default();
                self.give_vec(vals);
                Ok(Term::cons(head, tail))
            }
            Op::List { dotted: false } => Ok(Term::list(vals)),
            Op::List { dotted: true } => {
                let tail = vals.pop().unwrap_or_default();
                Ok(Term::list_with_tail(vals, tail))
            }
            Op::Tuple => {
                // A kept vector may be larger than the tuple: the tuple keeps no spare room.
                vals.shrink_to_fit();
                Ok(Term::tuple(vals))
            }
            Op::Map => Ok(crate::convert::make_map(pairs(vals))),
            Op::MapSet { update } => {
                let rest = vals.split_off(1.min(vals.len()));
                let map = vals.pop().unwrap_or_default();
                crate::bif::maps::set_pairs(&map, pairs(rest), *update)
            }
            Op::Binary(specs) => {
                let built = crate::binary::build(specs, &vals);
                self.give_vec(vals);
                built
            }
            Op::CallLocal(name) => return Ctrl::Apply(Callee::Local(*name, scope), vals),
            Op::CallBif(name, native) => {
                // Script and shell code (no module) whose scope has no local function
                // of the name, with no top-level function of it: the BIF, as the
                // lookup in `call` would find it, without the lookup.
                if scope.module.is_some() || rt.bif_shadowed() || scope.has_local(*name, vals.len())
                {
                    return Ctrl::Apply(Callee::Local(*name, scope), vals);
                }
                // Called here, with the checks and the reduction of the loop's
                // `Ctrl::Apply` (which takes it when one of them stops the call),
                // saving the trip round the loop.
                if self.reductions >= self.stop
                    || rt.stop_requested()
                    || self.frames.len() >= self.max_frames
                {
                    return Ctrl::Apply(Callee::Bif(*native), vals);
                }
                self.reductions += 1;
                return self.native(rt, *native, vals);
            }
            Op::CallRemote(m, f) => return Ctrl::Apply(Callee::Remote(*m, *f), vals),
            Op::CallDynamic => {
                let args = vals.split_off(2.min(vals.len()));
                match (
                    vals.first().and_then(Term::as_atom),
                    vals.get(1).and_then(Term::as_atom),
                ) {
                    (Some(m), Some(f)) => return Ctrl::Apply(Callee::Remote(m, f), args),
                    _ => Err(Exception::badarg()),
                }
            }
            Op::Funcall => {
                let args = vals.split_off(1.min(vals.len()));
                let f = vals.pop().unwrap_or_default();
                return Ctrl::Apply(Callee::Fun(f), args);
            }
        };
        match built {
            Ok(v) => Ctrl::Value(v),
            Err(e) => Ctrl::Raise(e),
        }
    }

    fn call(&mut self, rt: &mut Runtime, callee: Callee, args: Vec<Term>) -> Ctrl {
        match callee {
            Callee::Fun(t) => {
                let Term::Fun(f) = &t else {
                    return Ctrl::Raise(Exception::error_with("badfun", t));
                };
                if f.arity() != args.len() {
                    let info = Term::tuple(vec![t.clone(), Term::list(args)]);
                    return Ctrl::Raise(Exception::error_with("badarity", info));
                }
                match &**f {
                    Fun::Closure { lambda, scope } => {
                        self.enter(lambda.clauses.clone(), args, scope.clone())
                    }
                    // A top-level function, else an auto-imported BIF (`#'+/2`).
                    Fun::Global { name, .. } => match rt.function(*name, args.len()) {
                        Some(l) => self.enter(l.clauses.clone(), args, Scope::default()),
                        None => match rt.native(Atom::ERLANG, *name, args.len()) {
                            Some(native) => self.native(rt, native, args),
                            None => undefined_function(*name, args.len()),
                        },
                    },
                    Fun::Remote { module, name, .. } => self.call_remote(rt, *module, *name, args),
                    Fun::Local { module, name, .. } => match rt.loaded_module(*module) {
                        Some(m) if m.functions.contains_key(&(*name, args.len())) => {
                            let l = m.functions[&(*name, args.len())].clone();
                            self.enter(
                                l.clauses.clone(),
                                args,
                                Scope::in_module(Some(*module), m.version),
                            )
                        }
                        _ => Ctrl::Raise(Exception::error(Term::atom("undef"))),
                    },
                }
            }
            Callee::Local(name, scope) => {
                if let Some((lambda, scope)) = scope.local_target(name, args.len()) {
                    return self.enter(lambda.clauses.clone(), args, scope);
                }
                if let Some(m) = scope.module {
                    let Some(module) = rt.module_version(m, scope.version) else {
                        // The version this process runs was purged (a third version was
                        // loaded): the BEAM kills such processes.
                        return Ctrl::Raise(Exception::new(Class::Exit, Term::atom("killed")));
                    };
                    {
                        if let Some(l) = module.functions.get(&(name, args.len())) {
                            let scope = Scope::in_module(Some(m), scope.version);
                            return self.enter(l.clauses.clone(), args, scope);
                        }
                        if let Some(&(from, f)) = module.imports.get(&(name, args.len())) {
                            return self.call_remote(rt, from, f, args);
                        }
                    }
                }
                if let Some(l) = rt.function(name, args.len()) {
                    return self.enter(l.clauses.clone(), args, Scope::default());
                }
                if let Some(native) = rt.native(Atom::ERLANG, name, args.len()) {
                    return self.native(rt, native, args);
                }
                if is_apply(Atom::ERLANG, name, args.len())
                    || is_prelude_bif(name.name(), args.len())
                {
                    return self.call_remote(rt, Atom::ERLANG, name, args);
                }
                undefined_function(name, args.len())
            }
            Callee::Remote(m, f) => self.call_remote(rt, m, f, args),
            Callee::Bif(native) => self.native(rt, native, args),
        }
    }

    fn enter(&mut self, clauses: Rc<[Clause]>, args: Vec<Term>, scope: Scope) -> Ctrl {
        Ctrl::Select(self.boxed(Select {
            clauses,
            next: 0,
            subjects: args,
            scope,
            on_fail: OnFail::FunctionClause,
        }))
    }

    fn call_remote(&mut self, rt: &mut Runtime, m: Atom, f: Atom, mut args: Vec<Term>) -> Ctrl {
        if is_apply(m, f, args.len()) {
            // `erlang:apply/2,3` calls through the machine, not as a native.
            let list = args.pop().unwrap_or_default();
            let Some(list) = list.list_to_vec() else {
                return Ctrl::Raise(Exception::badarg());
            };
            return match args.len() {
                1 => Ctrl::Apply(Callee::Fun(args.pop().unwrap_or_default()), list),
                _ => match (args[0].as_atom(), args[1].as_atom()) {
                    (Some(m), Some(f)) => Ctrl::Apply(Callee::Remote(m, f), list),
                    _ => Ctrl::Raise(Exception::badarg()),
                },
            };
        }
        if let Some(module) = rt.loaded_module(m) {
            return self.call_exported(&module, f, args);
        }
        if let Some(l) = rt.library_function(m, f, args.len()) {
            return self.enter(l.clauses.clone(), args, Scope::default());
        }
        if let Some(native) = rt.native(m, f, args.len()) {
            return self.native(rt, native, args);
        }
        match rt.autoload(m) {
            Ok(Some(module)) => self.call_exported(&module, f, args),
            Ok(None) => Ctrl::Raise(Exception::error(Term::atom("undef"))),
            Err(e) => Ctrl::Raise(e),
        }
    }

    /// A call of `module:f` from outside the module: only exported functions.
    fn call_exported(&mut self, module: &Module, f: Atom, args: Vec<Term>) -> Ctrl {
        match module.functions.get(&(f, args.len())) {
            Some(l) if module.exported(f, args.len()) => {
                let scope = Scope::in_module(Some(module.name), module.version);
                self.enter(l.clauses.clone(), args, scope)
            }
            _ => Ctrl::Raise(Exception::error(Term::atom("undef"))),
        }
    }
}

/// Evaluates the operands of `args` from `vals.len()` on while they are constants
/// or variables, which need no frame and no trip round the machine's loop (most
/// operands of arithmetic and calls); returns the first operand that does. An
/// unbound variable raises where the machine would have raised it, in order.
fn simple_operands(
    args: &[ExprRef],
    vals: &mut Vec<Term>,
    scope: &Scope,
) -> Result<Option<ExprRef>, Exception> {
    while let Some(a) = args.get(vals.len()) {
        match &**a {
            Expr::Lit(t) => vals.push(t.clone()),
            Expr::Var(name) => match scope.var(*name) {
                Some(v) => vals.push(v.clone()),
                None => return Err(Exception::error_with("unbound_symbol", Term::Atom(*name))),
            },
            _ => return Ok(Some(a.clone())),
        }
    }
    Ok(None)
}

/// A native's result as the machine's next step.
fn native_ctrl(r: Result<Term, Exception>) -> Ctrl {
    match r {
        Ok(v) => Ctrl::Value(v),
        Err(e) => Ctrl::Raise(e),
    }
}

/// The function `name/arity` of the loaded module `module`.
fn module_function(rt: &Runtime, module: Atom, name: Atom, arity: usize) -> Option<Rc<Lambda>> {
    rt.loaded_module(module)?
        .functions
        .get(&(name, arity))
        .cloned()
}

fn is_apply(m: Atom, f: Atom, arity: usize) -> bool {
    m == Atom::ERLANG && f == Atom::APPLY && (arity == 2 || arity == 3)
}

/// Auto-imported `erlang` BIFs that `prelude.lfe` defines in LFE (they call back
/// into LFE or spawn), so an unqualified call finds them as it finds the natives.
fn is_prelude_bif(name: &str, arity: usize) -> bool {
    matches!((name, arity), ("spawn_opt", 2 | 4))
}

fn undefined_function(name: Atom, arity: usize) -> Ctrl {
    let fa = Term::tuple(vec![Term::Atom(name), Term::Int(arity as i64)]);
    Ctrl::Raise(Exception::error_with("undefined_function", fa))
}

/// Alternate keys and values as pairs.
fn pairs(vals: Vec<Term>) -> Vec<(Term, Term)> {
    let mut out = Vec::with_capacity(vals.len() / 2);
    let mut it = vals.into_iter();
    while let (Some(k), Some(v)) = (it.next(), it.next()) {
        out.push((k, v));
    }
    out
}
