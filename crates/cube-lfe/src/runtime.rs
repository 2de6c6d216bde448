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
use crate::module::Module;
use crate::sexpr::Sexpr;
use crate::term::Term;

/// A BIF written in Rust. It cannot call back into LFE code (library functions
/// that take funs are written in LFE, in `prelude.lfe`).
pub type Native = fn(&mut Runtime, &[Term]) -> Result<Term>;

/// The reductions a macro expansion may use before it is an error.
pub const MACRO_BUDGET: u64 = 10_000_000;

/// A hasher for the function tables, whose keys are small integers (atom indices
/// and arities): one multiply per word instead of SipHash's rounds, which showed up
/// in profiles of call-heavy code. The keys are not attacker-chosen strings.
#[derive(Default, Clone, Copy)]
pub struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(*b as u64);
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(n as u64);
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

type Table<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<KeyHasher>>;

pub struct Runtime {
    functions: Table<(Atom, usize), Rc<Lambda>>,
    library: Table<(Atom, Atom, usize), Rc<Lambda>>,
    natives: Table<(Atom, Atom, usize), Native>,
    /// Set (for good) once a top-level function takes an `erlang` BIF's name and
    /// arity: calls compiled as [`crate::ir::Op::CallBif`] then look the name up.
    bif_shadowed: bool,
    /// User macros: name -> a fun of one argument, the list of the call's arguments.
    pub macros: HashMap<Atom, Term>,
    /// Records defined so far.
    pub records: crate::record::Records,
    /// Standard output of `io:format` and friends.
    pub out: Box<dyn Write>,
    /// Modules loaded (`module.rs`).
    modules: HashMap<Atom, Rc<Module>>,
    /// The version each module had before its last reload: code still running
    /// there (a process in a loop of local calls) keeps running it. Two versions at
    /// most, as on the BEAM: loading a third drops this one.
    old_modules: HashMap<Atom, Rc<Module>>,
    /// Set while `module::compile` runs (see `Compiler::compiled`).
    pub(crate) compiling_module: bool,
    /// Directories where a module not yet loaded is looked for (`name.lfe`).
    pub path: Vec<std::path::PathBuf>,
    /// The process running now (`process.rs`), lent for its slice; `None` for a
    /// script run outside a node.
    pub process: Option<Box<crate::process::ProcSlot>>,
    /// Timers of `send_after`/`start_timer` not yet fired or cancelled: the helper
    /// process that will send, and when (see `prelude.lfe`).
    pub(crate) timers: HashMap<cube_term::Reference, (Term, std::time::Instant)>,
    /// Timers whose helper fired before it was registered (each is registered
    /// right after, which removes it from here).
    pub(crate) timers_fired: std::collections::HashSet<cube_term::Reference>,
    /// The process dictionary of a script run outside a node (a process's own is
    /// in its slot).
    script_dict: Option<Box<crate::map::Map>>,
}

const PRELUDE: &str = include_str!("prelude.lfe");
/// More library functions in LFE (`lists`, `string`, `proplists`, `maps`, `timer`).
const LIBRARY: &str = include_str!("library.lfe");
/// HTTP for LFE (`http`, `httpc`) on the Lua `http` library, through processes.
const HTTP: &str = include_str!("http.lfe");

impl Runtime {
    /// A runtime with the BIFs and library, writing output to `out`.
    pub fn new(out: Box<dyn Write>) -> Runtime {
        let mut rt = Runtime {
            functions: Table::default(),
            library: Table::default(),
            natives: Table::default(),
            bif_shadowed: false,
            macros: HashMap::new(),
            records: HashMap::new(),
            out,
            modules: HashMap::new(),
            old_modules: HashMap::new(),
            compiling_module: false,
            path: Vec::new(),
            process: None,
            timers: HashMap::new(),
            timers_fired: Default::default(),
            script_dict: None,
        };
        crate::bif::register(&mut rt);
        crate::record::register(&mut rt);
        crate::process::register(&mut rt);
        crate::module::register(&mut rt);
        rt.load_prelude();
        rt
    }

    pub fn register(&mut self, module: &str, name: &str, arity: usize, f: Native) {
        let key = (Atom::new(module), Atom::new(name), arity);
        if key.0 == Atom::ERLANG && self.functions.contains_key(&(key.1, arity)) {
            self.bif_shadowed = true;
        }
        self.natives.insert(key, f);
    }

    /// Whether a top-level function has the name and arity of an `erlang` BIF (then
    /// an unqualified call of it finds the function, not the BIF).
    pub fn bif_shadowed(&self) -> bool {
        self.bif_shadowed
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
        if self
            .natives
            .contains_key(&(Atom::ERLANG, name, lambda.arity))
        {
            self.bif_shadowed = true;
        }
        self.functions.insert((name, lambda.arity), lambda);
    }

    /// The running process's dictionary (`put`/`get`), made on first use.
    pub(crate) fn dict(&mut self) -> &mut crate::map::Map {
        let slot = match self.process.as_deref_mut() {
            Some(p) => &mut p.dict,
            None => &mut self.script_dict,
        };
        slot.get_or_insert_with(Default::default)
    }

    /// Whether code runs in a process (`receive` can wait for messages).
    pub fn has_process(&self) -> bool {
        self.process.is_some()
    }

    /// A signal ends the running process: its slice must stop.
    #[inline]
    pub fn stop_requested(&self) -> bool {
        // Also past the heap limit: the slice ends and the process with it.
        self.process
            .as_ref()
            .is_some_and(|p| p.stop || p.heap.over())
    }

    /// Starts a `receive`'s wait (earlier timers no longer wake the process).
    pub fn start_wait(&mut self) {
        if let Some(p) = self.process.as_mut() {
            p.cx.start_wait();
        }
    }

    /// Takes what arrived into the process's queue; whether its wait timed out.
    pub fn pull_messages(&mut self) -> bool {
        self.process.as_mut().is_some_and(|p| p.pull())
    }

    /// Message `i` of the process's queue.
    pub fn message(&self, i: usize) -> Option<Term> {
        self.process.as_ref()?.pending.get(i).cloned()
    }

    /// Removes message `i` (a `receive` clause took it).
    pub fn take_message(&mut self, i: usize) {
        if let Some(p) = self.process.as_mut() {
            p.pending.remove(i);
        }
    }

    /// Compiles an expression, expanding macros.
    pub fn compile(&mut self, form: &Sexpr) -> Result<ExprRef> {
        let (macros, records) = (self.macros.clone(), self.records.clone());
        Compiler::new(&macros, &records, self).expr(form)
    }

    /// The variables a pattern binds, in order of first appearance.
    pub fn pattern_vars(&mut self, pattern: &Sexpr) -> Result<Vec<Atom>> {
        let (macros, records) = (self.macros.clone(), self.records.clone());
        let pat = Compiler::new(&macros, &records, self).pattern(pattern, 0)?;
        Ok(pat.vars())
    }

    /// Compiles the parts of a `defun` after its name.
    pub fn compile_function(&mut self, name: Atom, parts: &[Sexpr]) -> Result<Rc<Lambda>> {
        let (macros, records) = (self.macros.clone(), self.records.clone());
        let compiled = self.compiling_module;
        let mut c = Compiler::new(&macros, &records, self);
        c.compiled = compiled;
        c.function(parts, Some(name), 0)
    }

    /// Compiles a module (`forms` start with its `defmodule`) and loads it, replacing
    /// the code of a module of the same name. Returns the module's name.
    pub fn load_module(&mut self, forms: &[Sexpr]) -> Result<Atom> {
        let mut module = crate::module::compile(self, forms)?;
        let name = module.name;
        if !self.modules.contains_key(&name) && self.modules.len() >= crate::module::MAX_MODULES {
            return Err(Exception::error_with("system_limit", Term::atom("modules")));
        }
        if let Some(current) = self.modules.remove(&name) {
            module.version = current.version.wrapping_add(1);
            // The oldest version is purged: a process still in it is killed at its
            // next local call there (`module_version`).
            self.old_modules.insert(name, current);
        }
        self.modules.insert(name, Rc::new(module));
        Ok(name)
    }

    /// Names for the shell's tab completion: top-level functions and loaded modules.
    pub fn completion_names(&self) -> Vec<String> {
        let funs = self.functions.keys().map(|(n, _)| n.name().to_string());
        let mods = self.modules.keys().map(|m| format!("{}:", m.name()));
        funs.chain(mods).collect()
    }

    /// The loaded module `name`.
    pub fn loaded_module(&self, name: Atom) -> Option<Rc<Module>> {
        self.modules.get(&name).cloned()
    }

    /// Version `version` of module `name`: the current one or the one before it;
    /// `None` once it is purged.
    pub fn module_version(&self, name: Atom, version: u32) -> Option<Rc<Module>> {
        [self.modules.get(&name), self.old_modules.get(&name)]
            .into_iter()
            .flatten()
            .find(|m| m.version == version)
            .cloned()
    }

    /// The module `name`, loaded from the search path if it is not loaded yet:
    /// `Ok(None)` when no directory has it.
    pub fn autoload(&mut self, name: Atom) -> Result<Option<Rc<Module>>> {
        if let Some(m) = self.loaded_module(name) {
            return Ok(Some(m));
        }
        let Some(file) = crate::module::find(&self.path, name.name()) else {
            return Ok(None);
        };
        let forms = crate::module::read(&file)?;
        if !forms.first().is_some_and(crate::module::is_defmodule) {
            return Ok(None);
        }
        let loaded = self.load_module(&forms)?;
        // A file whose module has another name does not define `name`.
        Ok(if loaded == name {
            self.loaded_module(name)
        } else {
            None
        })
    }

    /// The prelude: `(module (defun name ...) ...)` blocks of library code.
    fn load_prelude(&mut self) {
        for source in [PRELUDE, LIBRARY, HTTP] {
            self.load_library_source(source);
        }
    }

    fn load_library_source(&mut self, source: &str) {
        let Ok(forms) = crate::read::read_all(source) else {
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

    fn bif(&self, name: Atom, arity: usize) -> Option<Native> {
        self.native(Atom::ERLANG, name, arity)
    }
}

/// `Ok` unless the output failed (a closed pipe): then `badarg`, as Erlang's io does.
pub fn write_out(rt: &mut Runtime, s: &str) -> Result<()> {
    rt.out
        .write_all(s.as_bytes())
        .map_err(|_| Exception::error_with("terminated", Term::Nil))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `defun` of the prelude compiles (loading skips one that does not, so a
    /// mistake there would otherwise only show as an `undef` at run time).
    #[test]
    fn the_whole_prelude_and_library_load() {
        let rt = Runtime::new(Box::new(std::io::sink()));
        let defuns = [PRELUDE, LIBRARY, HTTP]
            .iter()
            .flat_map(|s| s.lines())
            .filter(|l| l.trim_start().starts_with("(defun "))
            .count();
        assert!(defuns > 15);
        assert_eq!(rt.library.len(), defuns);
    }
}
