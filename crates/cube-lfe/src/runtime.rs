//! The world code runs in: top-level functions and macros of a script, the library
//! written in LFE (`prelude.lfe`), the native BIFs, and where output goes.

use std::collections::HashMap;
use std::io::Write;
use std::rc::Rc;

use crate::atom::Atom;
use crate::compile::{Compiler, MacroHost};
use crate::exception::{Exception, Result};
use crate::ir::{ExprRef, Lambda};
use crate::machine::Machine;
use crate::sexpr::Sexpr;
use crate::term::Term;

/// A BIF written in Rust. It cannot call back into LFE code (library functions
/// that take funs are written in LFE, in `prelude.lfe`).
pub type Native = fn(&mut Runtime, &[Term]) -> Result<Term>;

/// The reductions a macro expansion may use before it is an error.
pub const MACRO_BUDGET: u64 = 10_000_000;

pub struct Runtime {
    functions: HashMap<(Atom, usize), Rc<Lambda>>,
    library: HashMap<(Atom, Atom, usize), Rc<Lambda>>,
    natives: HashMap<(Atom, Atom, usize), Native>,
    /// User macros: name -> a fun of one argument, the list of the call's arguments.
    pub macros: HashMap<Atom, Term>,
    /// Standard output of `io:format` and friends.
    pub out: Box<dyn Write>,
}

const PRELUDE: &str = include_str!("prelude.lfe");

impl Runtime {
    /// A runtime with the BIFs and library, writing output to `out`.
    pub fn new(out: Box<dyn Write>) -> Runtime {
        let mut rt = Runtime {
            functions: HashMap::new(),
            library: HashMap::new(),
            natives: HashMap::new(),
            macros: HashMap::new(),
            out,
        };
        crate::bif::register(&mut rt);
        rt.load_prelude();
        rt
    }

    pub fn register(&mut self, module: &str, name: &str, arity: usize, f: Native) {
        self.natives
            .insert((Atom::new(module), Atom::new(name), arity), f);
    }

    pub fn native(&self, m: Atom, f: Atom, arity: usize) -> Option<Native> {
        self.natives.get(&(m, f, arity)).copied()
    }

    /// The top-level function `name/arity`.
    pub fn function(&self, name: Atom, arity: usize) -> Option<Rc<Lambda>> {
        self.functions.get(&(name, arity)).cloned()
    }

    /// A library function written in LFE.
    pub fn library_function(&self, m: Atom, f: Atom, arity: usize) -> Option<Rc<Lambda>> {
        self.library.get(&(m, f, arity)).cloned()
    }

    /// Defines (or redefines) a top-level function.
    pub fn define(&mut self, name: Atom, lambda: Rc<Lambda>) {
        self.functions.insert((name, lambda.arity), lambda);
    }

    /// Compiles an expression, expanding macros.
    pub fn compile(&mut self, form: &Sexpr) -> Result<ExprRef> {
        let macros = self.macros.clone();
        Compiler::new(&macros, self).expr(form)
    }

    /// Compiles the parts of a `defun` after its name.
    pub fn compile_function(&mut self, name: Atom, parts: &[Sexpr]) -> Result<Rc<Lambda>> {
        let macros = self.macros.clone();
        Compiler::new(&macros, self).function(parts, Some(name), 0)
    }

    /// The prelude: `(module (defun name ...) ...)` blocks of library code.
    fn load_prelude(&mut self) {
        let Ok(forms) = crate::read::read_all(PRELUDE) else {
            return;
        };
        for form in &forms {
            let Sexpr::List(items) = form else { continue };
            let Some((Sexpr::Atom(module), defs)) = items.split_first() else {
                continue;
            };
            let module = Atom::new(module);
            for def in defs {
                let Sexpr::List(parts) = def else { continue };
                if let [Sexpr::Atom(kw), Sexpr::Atom(name), rest @ ..] = &parts[..] {
                    if &**kw != "defun" {
                        continue;
                    }
                    let name = Atom::new(name);
                    if let Ok(l) = self.compile_function(name, rest) {
                        self.library.insert((module, name, l.arity), l);
                    }
                }
            }
        }
    }
}

impl MacroHost for Runtime {
    fn expand_macro(&mut self, mac: &Term, args: Term) -> Result<Term> {
        let mut m = Machine::apply(mac.clone(), vec![args]);
        m.run_bounded(self, MACRO_BUDGET)
    }
}

/// `Ok` unless the output failed (a closed pipe): then `badarg`, as Erlang's io does.
pub fn write_out(rt: &mut Runtime, s: &str) -> Result<()> {
    rt.out
        .write_all(s.as_bytes())
        .map_err(|_| Exception::error_with("terminated", Term::Nil))
}
