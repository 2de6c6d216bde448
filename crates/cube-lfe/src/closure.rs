//! Scopes and function values: the variable and function environments that running
//! code sees, and [`Fun`], a function as a value.
//!
//! Both environments are persistent linked lists shared by the closures that capture
//! them, so capturing a scope is one `Rc` clone. Lookups walk the list: scopes are as
//! deep as the source's lexical nesting, not as the call depth.

use std::rc::Rc;

use crate::atom::Atom;
use crate::ir::Lambda;
use crate::term::{push_term, unique_compound, Garbage, Term};

/// The variables one match bound (a later one shadows an earlier one of the same
/// name) and the bindings they shadow. One node per match, not per variable: a
/// call's bindings are one allocation (the match's own vector), not one each.
pub struct VarNode {
    pub binds: Vec<(Atom, Term)>,
    pub next: Option<Rc<VarNode>>,
}

/// Local functions (`flet`, `fletrec`) and the ones they shadow.
pub struct FunNode {
    pub defs: Rc<[(Atom, Rc<Lambda>)]>,
    /// `fletrec`: the bodies see these definitions themselves.
    pub recursive: bool,
    /// The scope the definitions were made in.
    pub vars: Option<Rc<VarNode>>,
    pub next: Option<Rc<FunNode>>,
}

/// What code sees: variables, local functions and the module it is in.
#[derive(Clone, Default)]
pub struct Scope {
    pub vars: Option<Rc<VarNode>>,
    pub funs: Option<Rc<FunNode>>,
    /// The module whose code this is (`None` for a script's or the shell's): its
    /// functions and imports are what a local call finds after the local functions.
    pub module: Option<Atom>,
    /// Which version of `module` this code is (see `Runtime::load_module`): a local
    /// call stays in it, as on the BEAM, while `module:f` calls the current one.
    pub version: u32,
}

impl Scope {
    /// The empty scope of a function of `module`.
    pub fn in_module(module: Option<Atom>, version: u32) -> Scope {
        Scope {
            module,
            version,
            ..Scope::default()
        }
    }

    /// The value of the variable `name`.
    pub fn var(&self, name: Atom) -> Option<&Term> {
        let mut node = self.vars.as_deref();
        while let Some(n) = node {
            if let Some((_, v)) = n.binds.iter().rev().find(|(a, _)| *a == name) {
                return Some(v);
            }
            node = n.next.as_deref();
        }
        None
    }

    /// This scope with `binds` added (later ones shadow earlier ones).
    pub fn bind(&self, binds: Vec<(Atom, Term)>) -> Scope {
        let vars = if binds.is_empty() {
            self.vars.clone()
        } else {
            Some(Rc::new(VarNode {
                binds,
                next: self.vars.clone(),
            }))
        };
        Scope {
            vars,
            funs: self.funs.clone(),
            module: self.module,
            version: self.version,
        }
    }

    /// The local function `name/arity` as a closure, if one is in scope.
    pub fn local_fun(&self, name: Atom, arity: usize) -> Option<Fun> {
        let (lambda, scope) = self.local_target(name, arity)?;
        Some(Fun::Closure { lambda, scope })
    }

    /// Whether a local function `name/arity` is in scope.
    pub fn has_local(&self, name: Atom, arity: usize) -> bool {
        let mut node = self.funs.as_deref();
        while let Some(n) = node {
            if n.defs.iter().any(|(m, l)| *m == name && l.arity == arity) {
                return true;
            }
            node = n.next.as_deref();
        }
        false
    }

    /// The local function `name/arity`, if one is in scope: its code and the scope
    /// it runs in (what a call needs, without making a `Fun` value).
    pub fn local_target(&self, name: Atom, arity: usize) -> Option<(Rc<Lambda>, Scope)> {
        let mut node = self.funs.as_ref();
        while let Some(n) = node {
            if let Some((_, lambda)) = n.defs.iter().find(|(m, l)| *m == name && l.arity == arity) {
                let funs = if n.recursive {
                    Some(n.clone())
                } else {
                    n.next.clone()
                };
                let scope = Scope {
                    vars: n.vars.clone(),
                    funs,
                    module: self.module,
                    version: self.version,
                };
                return Some((lambda.clone(), scope));
            }
            node = n.next.as_ref();
        }
        None
    }
}

/// A function value.
pub enum Fun {
    /// A `lambda` or `match-lambda` with the scope it was made in.
    Closure { lambda: Rc<Lambda>, scope: Scope },
    /// `#'name/arity` of a top-level function, resolved when called (as LFE's shell
    /// does, so redefining the function changes what the fun calls).
    Global { name: Atom, arity: usize },
    /// `#'module:name/arity`.
    Remote {
        module: Atom,
        name: Atom,
        arity: usize,
    },
    /// `#'name/arity` of a function of a module, made in that module's code: it calls
    /// the function whether the module exports it or not (Erlang's local fun).
    Local {
        module: Atom,
        name: Atom,
        arity: usize,
    },
}

impl Fun {
    pub fn arity(&self) -> usize {
        match self {
            Fun::Closure { lambda, .. } => lambda.arity,
            Fun::Global { arity, .. } | Fun::Remote { arity, .. } | Fun::Local { arity, .. } => {
                *arity
            }
        }
    }

    pub(crate) fn take_children(&mut self, into: &mut Vec<Garbage>) {
        if let Fun::Closure { scope, .. } = self {
            if let Some(v) = scope.vars.take() {
                into.push(Garbage::Env(v));
            }
            if let Some(f) = scope.funs.take() {
                into.push(Garbage::Funs(f));
            }
        }
    }
}

impl VarNode {
    pub(crate) fn take_children(&mut self, into: &mut Vec<Garbage>) {
        for (_, v) in self.binds.drain(..) {
            push_term(into, v);
        }
        if let Some(n) = self.next.take() {
            into.push(Garbage::Env(n));
        }
    }
}

impl FunNode {
    pub(crate) fn take_children(&mut self, into: &mut Vec<Garbage>) {
        if let Some(v) = self.vars.take() {
            into.push(Garbage::Env(v));
        }
        if let Some(n) = self.next.take() {
            into.push(Garbage::Funs(n));
        }
    }
}

impl Drop for VarNode {
    fn drop(&mut self) {
        // Only the last owner of the rest of the chain (or of a compound value) has
        // anything that could recurse.
        let next_unique = self.next.as_ref().is_some_and(|n| Rc::strong_count(n) == 1);
        if !next_unique && !self.binds.iter().any(|(_, v)| unique_compound(v)) {
            return;
        }
        // The chain of nodes only this one holds is walked here, so freeing a
        // call's bindings allocates no work list unless a value is compound.
        let mut stack = Vec::new();
        for (_, v) in self.binds.drain(..) {
            push_term(&mut stack, v);
        }
        let mut next = self.next.take();
        while let Some(n) = next {
            match Rc::try_unwrap(n) {
                Ok(mut node) => {
                    for (_, v) in node.binds.drain(..) {
                        push_term(&mut stack, v);
                    }
                    next = node.next.take();
                }
                Err(_) => break,
            }
        }
        if !stack.is_empty() {
            Garbage::collect(stack);
        }
    }
}

/// Whether `rc` holds the last reference to its node (only then can dropping it
/// free a chain).
fn last<T>(rc: &Option<Rc<T>>) -> bool {
    rc.as_ref().is_some_and(|r| Rc::strong_count(r) == 1)
}

impl Drop for FunNode {
    fn drop(&mut self) {
        if !last(&self.vars) && !last(&self.next) {
            return;
        }
        let mut stack = Vec::new();
        self.take_children(&mut stack);
        Garbage::collect(stack);
    }
}

impl Drop for Fun {
    fn drop(&mut self) {
        match self {
            Fun::Closure { scope, .. } if last(&scope.vars) || last(&scope.funs) => {}
            _ => return,
        }
        let mut stack = Vec::new();
        self.take_children(&mut stack);
        Garbage::collect(stack);
    }
}
