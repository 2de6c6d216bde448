//! Modules: `(defmodule name (export ...) (import ...))` and the forms after it,
//! compiled into a [`Module`] the runtime calls by `module:function`; and the search
//! path (`LFE_PATH`, `--pa`) that loads `name.lfe` the first time `name:f` is called,
//! as the BEAM's code server loads `name.beam`.
//!
//! A module's own functions are called from its code by name (local calls), exported
//! or not; from anywhere else only the exported ones are (`undef` otherwise, as in
//! Erlang). Imports (`(from m (f 1))`, `(rename m ((f 1) g))`) make `(f x)` in the
//! module call `m:f`. The module's macros and records are its own: they do not leak
//! into the script or other modules.
//!
//! Reloading a module (the shell's `(c ...)`/`(l ...)`, `code:load_file/1`,
//! `code:load_abs/1`) works as on the BEAM: the runtime keeps two versions of a
//! module, current and old. Code knows the version it belongs to (`Scope::version`):
//! a local call stays in that version, so a process looping on local calls keeps
//! running the code it started in, while a `name:f` call (and a spawn of `name:f`)
//! goes to the current version. Loading a third version purges the oldest; where the
//! BEAM kills the processes still in it at the purge, cube kills them (exit reason
//! `killed`, an `exit` exception) at their next local call in the purged code, so a
//! process of purged code that is waiting in `receive` dies when it next calls.
//! `#'f/1` funs of a module call its current version. Tested by `tests/processes.rs`.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::atom::Atom;
use crate::exception::{Exception, Result};
use crate::ir::Lambda;
use crate::runtime::Runtime;
use crate::sexpr::Sexpr;
use crate::term::Term;

/// The most modules the search path may load into one runtime (each load reads and
/// compiles a file: a program calling `m1:f` ... `mN:f` over generated names must not
/// exhaust memory).
pub const MAX_MODULES: usize = 10_000;

/// The largest module file the search path reads.
pub const MAX_MODULE_BYTES: u64 = 64 << 20;

/// Which functions other modules may call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Exports {
    All,
    Some(HashSet<(Atom, usize)>),
}

/// A compiled module.
pub struct Module {
    pub name: Atom,
    pub functions: HashMap<(Atom, usize), Rc<Lambda>>,
    pub exports: Exports,
    /// `(name, arity)` -> the module it is imported from, and its name there.
    pub imports: HashMap<(Atom, usize), (Atom, Atom)>,
    /// 1 for the first load of this name, then one more for each reload.
    pub version: u32,
}

impl Module {
    pub fn exported(&self, name: Atom, arity: usize) -> bool {
        match &self.exports {
            Exports::All => true,
            Exports::Some(set) => set.contains(&(name, arity)),
        }
    }
}

fn bad(what: &str) -> Exception {
    Exception::error_with("bad_form", Term::atom(what))
}

/// `(name arity)` as in export and import lists.
fn name_arity(s: &Sexpr) -> Option<(Atom, usize)> {
    match s {
        Sexpr::List(items) => match &items[..] {
            [Sexpr::Atom(n), Sexpr::Int(a)] if *a >= 0 => Some((Atom::new(n), *a as usize)),
            _ => None,
        },
        _ => None,
    }
}

/// Whether `form` is `(defmodule ...)`.
pub fn is_defmodule(form: &Sexpr) -> bool {
    matches!(form, Sexpr::List(items) if matches!(items.first(), Some(Sexpr::Atom(a)) if &**a == "defmodule"))
}

/// Reads the `defmodule` form's name and attributes into an empty module.
fn header(form: &Sexpr) -> Result<Module> {
    let Sexpr::List(items) = form else {
        return Err(bad("defmodule"));
    };
    let Some(Sexpr::Atom(name)) = items.get(1) else {
        return Err(bad("defmodule"));
    };
    let mut module = Module {
        name: Atom::new(name),
        functions: HashMap::new(),
        exports: Exports::Some(HashSet::new()),
        imports: HashMap::new(),
        version: 1,
    };
    for attr in &items[2..] {
        let Sexpr::List(parts) = attr else {
            return Err(bad("defmodule"));
        };
        // A module doc string (a string is a list of character codes).
        if parts.iter().all(|p| matches!(p, Sexpr::Int(_))) {
            continue;
        }
        let Some(Sexpr::Atom(kind)) = parts.first() else {
            return Err(bad("defmodule"));
        };
        match &**kind {
            "export" => export(&mut module, &parts[1..])?,
            "import" => {
                for spec in &parts[1..] {
                    import(&mut module, spec)?;
                }
            }
            // Documentation and other attributes (behaviour, vsn, author...) change
            // nothing here.
            _ => {}
        }
    }
    Ok(module)
}

fn export(module: &mut Module, specs: &[Sexpr]) -> Result<()> {
    if let [Sexpr::Atom(all)] = specs {
        if &**all == "all" {
            module.exports = Exports::All;
            return Ok(());
        }
    }
    for spec in specs {
        let fa = name_arity(spec).ok_or_else(|| bad("export"))?;
        if let Exports::Some(set) = &mut module.exports {
            set.insert(fa);
        }
    }
    Ok(())
}

/// `(from m (f 1) ...)` or `(rename m ((f 1) g) ...)`.
fn import(module: &mut Module, spec: &Sexpr) -> Result<()> {
    let Sexpr::List(parts) = spec else {
        return Err(bad("import"));
    };
    match &parts[..] {
        [Sexpr::Atom(kind), Sexpr::Atom(from), fs @ ..] if &**kind == "from" => {
            let from = Atom::new(from);
            for f in fs {
                let (name, arity) = name_arity(f).ok_or_else(|| bad("import"))?;
                module.imports.insert((name, arity), (from, name));
            }
        }
        [Sexpr::Atom(kind), Sexpr::Atom(from), fs @ ..] if &**kind == "rename" => {
            let from = Atom::new(from);
            for f in fs {
                let Sexpr::List(pair) = f else {
                    return Err(bad("import"));
                };
                let [orig, Sexpr::Atom(local)] = &pair[..] else {
                    return Err(bad("import"));
                };
                let (name, arity) = name_arity(orig).ok_or_else(|| bad("import"))?;
                module
                    .imports
                    .insert((Atom::new(local), arity), (from, name));
            }
        }
        _ => return Err(bad("import")),
    }
    Ok(())
}

/// Compiles `forms`, the first of which is `(defmodule ...)`, into a module. Its
/// macros and records are visible to its own forms only: the runtime's are restored
/// afterwards.
pub fn compile(rt: &mut Runtime, forms: &[Sexpr]) -> Result<Module> {
    rt.compiling_module = true;
    let out = compile_forms(rt, forms);
    rt.compiling_module = false;
    out
}

fn compile_forms(rt: &mut Runtime, forms: &[Sexpr]) -> Result<Module> {
    let (first, rest) = forms.split_first().ok_or_else(|| bad("defmodule"))?;
    let mut module = header(first)?;
    let saved = (rt.macros.clone(), rt.records.clone());
    let result = compile_body(rt, &mut module, rest);
    (rt.macros, rt.records) = saved;
    result.map(|()| module)
}

fn compile_body(rt: &mut Runtime, module: &mut Module, forms: &[Sexpr]) -> Result<()> {
    for form in forms {
        let Sexpr::List(items) = form else {
            return Err(bad("module"));
        };
        let Some(Sexpr::Atom(kind)) = items.first() else {
            return Err(bad("module"));
        };
        match &**kind {
            "defun" => {
                let Some(Sexpr::Atom(name)) = items.get(1) else {
                    return Err(bad("defun"));
                };
                let name = Atom::new(name);
                let lambda = rt.compile_function(name, &items[2..])?;
                module.functions.insert((name, lambda.arity), lambda);
            }
            "defmacro" | "defrecord" => {
                if let Some(r) = crate::script::define(rt, form) {
                    r?;
                }
            }
            // Functions for the macros of the rest of the module: top-level
            // functions of the runtime, as a script's are.
            "eval-when-compile" => {
                for f in &items[1..] {
                    if let Some(r) = crate::script::define(rt, f) {
                        r?;
                    }
                }
            }
            "extend-module" => {}
            _ => return Err(bad(kind)),
        }
    }
    Ok(())
}

/// Directories searched for `name.lfe`: those of `LFE_PATH` (separated by `:`), in
/// order. The command line adds `--pa` directories and the script's own.
pub fn path_from_env() -> Vec<PathBuf> {
    std::env::var_os("LFE_PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default()
}

/// The file `name.lfe` in the first directory of `path` that has one. Only plain
/// module names are looked up: a name with a path separator or a dot finds nothing.
pub fn find(path: &[PathBuf], name: &str) -> Option<PathBuf> {
    if name.is_empty() || name.contains(['/', '\\', '.', '\0']) {
        return None;
    }
    path.iter()
        .map(|dir| dir.join(format!("{name}.lfe")))
        .find(|f| f.is_file())
}

/// Reads and parses a module file (bounded by [`MAX_MODULE_BYTES`]).
pub fn read(file: &Path) -> Result<Vec<Sexpr>> {
    let error = |what: &str| {
        Exception::error_with(
            "load_error",
            Term::tuple(vec![
                Term::string(&file.display().to_string()),
                Term::string(what),
            ]),
        )
    };
    match std::fs::metadata(file) {
        Ok(m) if m.len() > MAX_MODULE_BYTES => return Err(error("file too large")),
        Ok(_) => {}
        Err(e) => return Err(error(&e.to_string())),
    }
    let bytes = std::fs::read(file).map_err(|e| error(&e.to_string()))?;
    let text = String::from_utf8_lossy(&bytes);
    crate::read::read_all(&text).map_err(|e| error(&format!("{}: {}", e.line, e.message)))
}

/// `code:load_file/1` and `code:load_abs/1`, the natives of module loading.
pub fn register(rt: &mut Runtime) {
    rt.register("code", "load_file", 1, |rt, a| {
        load_file(rt, a[0].as_atom().ok_or_else(Exception::badarg)?)
    });
    // `code:load_abs("dir/name")`: the module of `dir/name.lfe`.
    rt.register("code", "load_abs", 1, |rt, a| {
        let name = a[0].as_string().ok_or_else(Exception::badarg)?;
        let file = PathBuf::from(format!("{name}.lfe"));
        if !file.is_file() {
            return Ok(Term::tuple(vec![Term::atom("error"), Term::atom("nofile")]));
        }
        let forms = read(&file)?;
        if !forms.first().is_some_and(is_defmodule) {
            return Ok(Term::tuple(vec![
                Term::atom("error"),
                Term::atom("badfile"),
            ]));
        }
        let loaded = rt.load_module(&forms)?;
        Ok(Term::tuple(vec![Term::atom("module"), Term::Atom(loaded)]))
    });
}

/// Loads module `name` again from the search path (`code:load_file/1`, the shell's
/// `l`): `#(module NAME)`, or `#(error nofile)`. The version that was current becomes
/// the old one, which processes running in it keep running until their next
/// `name:f` call; the version before that is purged (`Runtime::load_module`).
pub fn load_file(rt: &mut Runtime, name: Atom) -> Result<Term> {
    let Some(file) = find(&rt.path, name.name()) else {
        return Ok(Term::tuple(vec![Term::atom("error"), Term::atom("nofile")]));
    };
    let forms = read(&file)?;
    let loaded = rt.load_module(&forms)?;
    Ok(Term::tuple(vec![Term::atom("module"), Term::Atom(loaded)]))
}
