//! Running a file of LFE the way `lfe prog.lfe` does: forms are read, then
//! evaluated one after another; a top-level `defun` or `defmacro` defines a function
//! or macro for the forms that follow; calls are resolved when they run. An uncaught
//! exception stops the script with a report on stderr in LFE's words and exit
//! status 127, as `lfe` exits.

use std::io::Write;

use crate::atom::Atom;
use crate::closure::Scope;
use crate::eprint;
use crate::exception::{Class, Exception, Result};
use crate::ir::ExprRef;
use crate::machine::{Machine, Outcome};
use crate::runtime::Runtime;
use crate::sexpr::Sexpr;
use crate::term::Term;

/// The exit status of a script that raised an uncaught exception (`lfe`'s).
pub const ERROR_STATUS: i32 = 127;

/// The reductions a form runs before the runner checks back (the runner then goes
/// on; a scheduler would switch processes here).
const SLICE: u64 = 100_000;

/// Where a script's output goes, and how much work it may do.
pub struct ScriptOptions {
    /// Stop with a `reduction_limit` error after this many reductions in all
    /// (`None`: no limit).
    pub max_reductions: Option<u64>,
    /// The deepest the frame stack may grow.
    pub max_frames: usize,
    /// Directories where modules are looked for (`name.lfe`), after `LFE_PATH`'s.
    pub path: Vec<std::path::PathBuf>,
}

impl Default for ScriptOptions {
    fn default() -> ScriptOptions {
        ScriptOptions {
            max_reductions: None,
            max_frames: crate::machine::DEFAULT_MAX_FRAMES,
            path: Vec::new(),
        }
    }
}

/// Runs the LFE source `source` (named `name`) with arguments `args`; output to
/// `out`, error reports to `err`. Returns the exit status.
pub fn run_script(
    source: &str,
    name: &str,
    args: &[String],
    out: Box<dyn Write>,
    err: &mut dyn Write,
    opts: &ScriptOptions,
) -> i32 {
    let mut rt = Runtime::new(out);
    let status = match run_forms(&mut rt, source, name, args, opts) {
        Ok(()) => 0,
        Err(ex) => {
            let _ = rt.out.flush();
            let _ = write!(err, "{}", report(&ex));
            ERROR_STATUS
        }
    };
    let _ = rt.out.flush();
    status
}

/// Reads `path` and runs it as [`run_script`] does, writing to stdout and stderr.
/// Modules are looked for in the script's directory, then in `LFE_PATH`'s, then in
/// `extra_path` (the command line's `--pa`).
pub fn run_file(path: &str, args: &[String], extra_path: &[std::path::PathBuf]) -> i32 {
    let source = match std::fs::read(path) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => {
            eprintln!("lfe: cannot read {path}: {e}");
            return ERROR_STATUS;
        }
    };
    let dir = std::path::Path::new(path)
        .parent()
        .map(|d| {
            if d.as_os_str().is_empty() {
                std::path::Path::new(".")
            } else {
                d
            }
        })
        .unwrap_or(std::path::Path::new("."));
    let mut search = vec![dir.to_path_buf()];
    search.extend(crate::module::path_from_env());
    search.extend(extra_path.iter().cloned());
    let opts = ScriptOptions {
        path: search,
        ..ScriptOptions::default()
    };
    let out = Box::new(std::io::BufWriter::new(std::io::stdout()));
    run_script(&source, path, args, out, &mut std::io::stderr(), &opts)
}

/// What a script's source comes to before its forms run.
pub(crate) enum Prepared {
    /// Top-level forms to run in order.
    Forms(Vec<Sexpr>),
    /// A module file: compiled and loaded; this fun is its `main/0`.
    Main(Term),
    /// A source that cannot be read: its error is printed (as `lfe`), nothing runs.
    Nothing,
}

/// Reads a script's source: a `#!` line is skipped; a file that starts with
/// `defmodule` is loaded as a module, to run as `(NAME:main)`.
pub(crate) fn prepare(rt: &mut Runtime, source: &str, name: &str) -> Result<Prepared> {
    // A `#!` line is skipped, as lfe does.
    let text = if source.starts_with("#!") {
        source.find('\n').map_or("", |i| &source[i..])
    } else {
        source
    };
    // Like lfe, a file that cannot be read runs nothing: the error is printed on
    // stdout as `FILE:LINE: MESSAGE` and the exit status is 0.
    let forms = match crate::read::read_all(text) {
        Ok(forms) => forms,
        Err(e) => {
            let _ = writeln!(rt.out, "{name}:{}: {}", e.line, e.message);
            return Ok(Prepared::Nothing);
        }
    };
    // A file that starts with `defmodule` is a module: compiled, then `(NAME:main)`.
    if forms.first().is_some_and(crate::module::is_defmodule) {
        let module = rt.load_module(&forms)?;
        let main = Term::Fun(std::rc::Rc::new(crate::closure::Fun::Remote {
            module,
            name: Atom::new("main"),
            arity: 0,
        }));
        return Ok(Prepared::Main(main));
    }
    Ok(Prepared::Forms(forms))
}

fn run_forms(
    rt: &mut Runtime,
    source: &str,
    name: &str,
    args: &[String],
    opts: &ScriptOptions,
) -> Result<()> {
    rt.path.extend(opts.path.iter().cloned());
    let mut used = 0u64;
    let forms = match prepare(rt, source, name)? {
        Prepared::Nothing => return Ok(()),
        Prepared::Main(main) => {
            return run_machine(rt, Machine::apply(main, Vec::new()), opts, &mut used).map(|_| ())
        }
        Prepared::Forms(forms) => forms,
    };
    let mut scope = script_scope(name, args);
    for form in &forms {
        let expanded = expand_top(rt, form)?;
        let form = expanded.as_ref().unwrap_or(form);
        if let Some(result) = define(rt, form) {
            result?;
            continue;
        }
        if let Some(set) = set_form(rt, form) {
            let (expr, vars) = set?;
            let values = run_machine(rt, Machine::eval_in(expr, scope.clone()), opts, &mut used)?;
            scope = bind_set(&scope, vars, &values);
            continue;
        }
        let expr = rt.compile(form)?;
        run_machine(rt, Machine::eval_in(expr, scope.clone()), opts, &mut used)?;
    }
    Ok(())
}

/// A top-level `(set pattern [(when guard ...)] expr)`, as the LFE shell and `lfe`
/// scripts take it: code that matches the pattern and returns a tuple of the value
/// and the variables it binds (see [`bind_set`]), and those variables. `None` for
/// any other form.
pub(crate) fn set_form(rt: &mut Runtime, form: &Sexpr) -> Option<Result<(ExprRef, Vec<Atom>)>> {
    let Sexpr::List(items) = form else {
        return None;
    };
    if items.first().and_then(Sexpr::as_atom) != Some("set") {
        return None;
    }
    Some((|| {
        let (pat, guard, expr) = match &items[1..] {
            [pat, expr] => (pat, None, expr),
            [pat, g, expr] if crate::compile::is_when(g) => (pat, Some(g), expr),
            _ => return Err(Exception::error_with("bad_form", Term::atom("set"))),
        };
        let vars = rt.pattern_vars(pat)?;
        let value = Sexpr::atom("set value");
        let mut binding = vec![clone(pat)];
        if let Some(g) = guard {
            binding.push(clone(g));
        }
        binding.push(clone(expr));
        let mut result = vec![Sexpr::atom("tuple"), clone(&value)];
        result.extend(vars.iter().map(|v| Sexpr::atom(v.name())));
        // `(let (((= pat |set value|) expr)) (tuple |set value| v ...))`
        binding[0] = Sexpr::List(vec![Sexpr::atom("="), clone(pat), value]);
        let code = Sexpr::List(vec![
            Sexpr::atom("let"),
            Sexpr::List(vec![Sexpr::List(binding)]),
            Sexpr::List(result),
        ]);
        Ok((rt.compile(&code)?, vars))
    })())
}

/// The scope after a `set`: `values` is the tuple [`set_form`]'s code returned.
pub(crate) fn bind_set(scope: &Scope, vars: Vec<Atom>, values: &Term) -> Scope {
    let Term::Tuple(t) = values else {
        return scope.clone();
    };
    scope.bind(vars.into_iter().zip(t.0.iter().skip(1).cloned()).collect())
}

/// Runs `m` to the end in slices, counting its reductions into `used`; its value.
fn run_machine(
    rt: &mut Runtime,
    mut m: Machine,
    opts: &ScriptOptions,
    used: &mut u64,
) -> Result<Term> {
    m.max_frames = opts.max_frames;
    loop {
        let slice = match opts.max_reductions {
            Some(max) if *used >= max => {
                return Err(Exception::error(Term::atom("reduction_limit")));
            }
            Some(max) => SLICE.min(max - *used),
            None => SLICE,
        };
        let before = m.reductions;
        let outcome = m.resume(rt, slice);
        *used += m.reductions - before;
        match outcome {
            Outcome::Finished(v) => return Ok(v),
            Outcome::Error(e) => return Err(e),
            Outcome::Preempted => {}
            // `receive` outside a process waits only for its timeout (the machine
            // sleeps it); nothing else can make it wait.
            Outcome::Wait(_) => {}
        }
    }
}

/// The variables every script sees: `script-name` and `script-args`.
pub(crate) fn script_scope(name: &str, args: &[String]) -> Scope {
    let binds = vec![
        (Atom::new("script-name"), Term::string(name)),
        (
            Atom::new("script-args"),
            Term::list(args.iter().map(|a| Term::string(a)).collect()),
        ),
    ];
    Scope::default().bind(binds)
}

/// Handles a top-level `defun`, `defmacro`, `defrecord`, or an `eval-when-compile`
/// of them (as LFE's shell takes it in a script: its functions serve the macros and
/// the code after it); `None` for any other form.
pub(crate) fn define(rt: &mut Runtime, form: &Sexpr) -> Option<Result<()>> {
    let Sexpr::List(items) = form else {
        return None;
    };
    let kind = items.first()?.as_atom()?;
    if kind == "eval-when-compile" {
        return Some((|| {
            for f in &items[1..] {
                match define(rt, f) {
                    Some(r) => r?,
                    // Only definitions (LFE would also evaluate an expression there).
                    None => {
                        return Err(Exception::error_with(
                            "bad_form",
                            Term::atom("eval-when-compile"),
                        ))
                    }
                }
            }
            Ok(())
        })());
    }
    if kind == "defrecord" {
        return Some(crate::record::parse(&items[1..]).map(|r| {
            rt.records.insert(r.name, std::rc::Rc::new(r));
        }));
    }
    if kind != "defun" && kind != "defmacro" {
        return None;
    }
    let Some(Sexpr::Atom(name)) = items.get(1) else {
        return Some(Err(Exception::error_with("bad_form", Term::atom(kind))));
    };
    let name = Atom::new(name);
    let parts = &items[2..];
    Some(if kind == "defun" {
        rt.compile_function(name, parts).map(|l| rt.define(name, l))
    } else {
        macro_lambda(parts).and_then(|src| {
            let expr = rt.compile(&src)?;
            let fun = Machine::eval(expr).run_bounded(rt, 1)?;
            rt.macros.insert(name, fun);
            Ok(())
        })
    })
}

/// A top-level form that is a call of a user macro, expanded (again while the result
/// is one): so a macro that writes a `defun` defines it, as in LFE, and the expansion
/// is then compiled as it is, not expanded a second time. `None`: not a macro call.
/// Bounded, as the compiler's expansions are.
pub(crate) fn expand_top(rt: &mut Runtime, form: &Sexpr) -> Result<Option<Sexpr>> {
    use crate::compile::MacroHost;
    let mut out: Option<Sexpr> = None;
    for _ in 0..64 {
        let Sexpr::List(items) = out.as_ref().unwrap_or(form) else {
            break;
        };
        let Some(mac) = items
            .first()
            .and_then(Sexpr::as_atom)
            .and_then(|head| rt.macros.get(&Atom::new(head)))
            .cloned()
        else {
            break;
        };
        let args =
            crate::convert::sexpr_to_term(&Sexpr::List(items[1..].iter().map(clone).collect()));
        let expanded = rt.expand_macro(&mac, args)?;
        match crate::convert::term_to_sexpr(&expanded) {
            Some(f) => out = Some(f),
            None => return Err(Exception::error_with("bad_form", Term::atom("macro"))),
        }
    }
    Ok(out)
}

/// A `defmacro`'s parts as a `match-lambda` of one argument, the list of the macro
/// call's arguments, as LFE reads them: `(defmacro m (a b) ...)` matches `(list a b)`,
/// `(defmacro m args ...)` binds the whole list, and in the clause form
/// `(defmacro m ((list a b) ...) ((cons a rest) ...))` each clause's first element is
/// a pattern for the whole argument list.
fn macro_lambda(parts: &[Sexpr]) -> Result<Sexpr> {
    let bad = || Exception::error_with("bad_form", Term::atom("defmacro"));
    let first = parts.first().ok_or_else(bad)?;
    let clause_form = matches!(first, Sexpr::List(ps) if matches!(ps.first(), Some(Sexpr::List(_)) | Some(Sexpr::Dotted(..))));
    let mut clauses = Vec::new();
    if clause_form {
        for c in parts {
            let Sexpr::List(cs) = c else {
                return Err(bad());
            };
            let (pat, body) = cs.split_first().ok_or_else(bad)?;
            let mut clause = vec![Sexpr::List(vec![clone(pat)])];
            clause.extend(body.iter().map(clone));
            clauses.push(Sexpr::List(clause));
        }
    } else {
        let pat = match first {
            Sexpr::List(ps) if ps.iter().all(|p| matches!(p, Sexpr::Atom(_))) => {
                let mut v = vec![Sexpr::atom("list")];
                v.extend(ps.iter().map(clone));
                Sexpr::List(v)
            }
            Sexpr::Atom(_) => clone(first),
            _ => return Err(bad()),
        };
        let mut clause = vec![Sexpr::List(vec![pat])];
        clause.extend(skip_doc(&parts[1..]).iter().map(clone));
        clauses.push(Sexpr::List(clause));
    }
    let mut ml = vec![Sexpr::atom("match-lambda")];
    ml.extend(clauses);
    Ok(Sexpr::List(ml))
}

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

fn clone(s: &Sexpr) -> Sexpr {
    crate::convert::term_to_sexpr(&crate::convert::sexpr_to_term(s))
        .unwrap_or(Sexpr::List(Vec::new()))
}

/// The report of an uncaught exception, as `lfe` prints it (without the stack
/// trace lines, which name the real LFE's interpreter functions).
pub fn report(ex: &Exception) -> String {
    let class = match ex.class {
        Class::Error => "error",
        Class::Exit => "exit",
        Class::Throw => "throw",
    };
    let prefix = format!("exception {class}: ");
    format!("{prefix}{}\n", reason_text(&ex.reason, prefix.len()))
}

/// LFE's words for an error reason (`lfe_error:format_reason`, then
/// `lfe_eval:format_error`), printed from column `indent`: a value after a message is
/// pretty-printed to depth 10 and indented under itself; any other reason is
/// pretty-printed whole from column 0.
pub fn reason_text(r: &Term, indent: usize) -> String {
    let w = |t: &Term| eprint::lfe(t, false);
    let value =
        |msg: &str, t: &Term| format!("{msg}{}", eprint::lfe_pretty(t, 10, indent + msg.len(), 80));
    if let Term::Atom(a) = r {
        match a.name() {
            "badarg" => return "bad argument".into(),
            "badarith" => return "error in arithmetic expression".into(),
            "function_clause" => return "no function clause matching".into(),
            "if_clause" => return "no if clause matching".into(),
            "undef" => return "undefined function".into(),
            "system_limit" => return "a system limit has been reached".into(),
            "illegal_guard" => return "illegal guard expression".into(),
            "noproc" => return "no such process or port".into(),
            _ => {}
        }
    }
    if let Term::Tuple(t) = r {
        if let [Term::Atom(tag), v] = &t.0[..] {
            match tag.name() {
                "badarg" => return value("bad argument ", v),
                "badmatch" => return value("no match of value ", v),
                "case_clause" => return value("no case clause matching ", v),
                "try_clause" => return value("no try clause matching ", v),
                "badfun" => return value("bad function ", v),
                "badarity" => {
                    if let Term::Tuple(fa) = v {
                        if let [Term::Fun(f), args] = &fa.0[..] {
                            let n = args.list_to_vec().map_or(0, |a| a.len());
                            let args = match n {
                                0 => "no arguments".to_string(),
                                1 => "one argument".to_string(),
                                2 => "two arguments".to_string(),
                                n => format!("{n} arguments"),
                            };
                            return format!(
                                "interpreted function with arity {} called with {args}",
                                f.arity()
                            );
                        }
                    }
                }
                "unbound_symbol" => return format!("symbol {} is unbound", w(v)),
                "nonbool_test" => return format!("non-boolean {} test", w(v)),
                "bad_form" => return format!("bad {} form", w(v)),
                "illegal_pattern" => return value("illegal pattern ", v),
                "illegal_mapkey" => return format!("illegal map key {}", w(v)),
                "undefined_function" => {
                    if let Term::Tuple(fa) = v {
                        if let [f, a] = &fa.0[..] {
                            return format!("function {}/{} undefined", w(f), w(a));
                        }
                    }
                }
                _ => {}
            }
        }
    }
    if let Term::Tuple(t) = r {
        if let [Term::Atom(tag), a, b] = &t.0[..] {
            if tag.name() == "undefined_record_field" {
                return format!("field {} undefined in record {}", w(b), w(a));
            }
        }
    }
    eprint::lfe(r, true)
}
