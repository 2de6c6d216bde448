//! The LFE shell's evaluator (`lfe_shell`'s read-eval-print loop), run as an LFE
//! process (`process.rs`, `Run::Shell`) so that `(self)`, `(spawn ...)`, `(! ...)` and
//! `(receive ...)` at the prompt work as in the real shell.
//!
//! The terminal belongs to someone outside the node (cube-cli's line editor). The
//! protocol is the Lua shell's: the shell asks for a line by calling its `reply`
//! callback with [`ToTerminal::Prompt`]; the terminal answers with a message
//! `{Tag, <<"line">>, <<Text>>}` (also `<<"eof">>`, `<<"interrupt">>` and
//! `<<"complete">>`), `Tag` a binary no program can guess. Lines arrive only while the
//! shell waits at its prompt, so while a form runs the mailbox holds the program's
//! messages alone: `(flush)` and `(receive ...)` see nothing of the terminal's.
//!
//! Forms are read with the streaming [`Reader`] (a form may span lines; a line may hold
//! several); each is evaluated and its value printed as `lfe_io:prettyprint1(V, 30)`;
//! an uncaught exception is printed as the shell prints it (`** exception error: ...`)
//! and the shell goes on. A top-level `defun`, `defmacro` or `defrecord` defines for
//! the rest of the session. The shell commands (`c`, `l`, `flush`, `i`, `regs`,
//! `help`, `exit`, `q`) are top-level functions calling the `lfe_shell` natives below.

use std::io::Write;

use cube_vm::engine::{EngineCx, Step};
use cube_vm::ExitReason;

use crate::atom::Atom;
use crate::closure::Scope;
use crate::exception::{Class, Exception, Result};
use crate::machine::{Machine, Outcome};
use crate::read::{Read, Reader};
use crate::runtime::Runtime;
use crate::sexpr::Sexpr;
use crate::term::Term;

/// What the shell tells its terminal.
pub enum ToTerminal {
    /// Show this prompt and send the line typed.
    Prompt(String),
    /// The answer to a completion request.
    Completions(Vec<String>),
}

/// The shell's prompt (`lfe_shell:prompt/0` without `-prompt`).
pub const PROMPT: &str = "lfe> ";

/// The prompt of a distributed node's shell, as `lfe_shell:prompt/0` makes it:
/// `(NAME@HOST)lfe> `.
pub fn node_prompt(node: &str) -> String {
    format!("({node}){PROMPT}")
}

/// The shell commands, as top-level functions (LFE's `add_shell_functions`; `c` and
/// `l` are macros there, of one argument here).
const COMMANDS: &str = "
(defun c (file) (lfe_shell:c file))
(defun l (mod) (lfe_shell:l (list mod)))
(defun flush () (lfe_shell:flush))
(defun regs () (lfe_shell:regs))
(defun i () (lfe_shell:i))
(defun help () (lfe_shell:help))
(defun h () (lfe_shell:help))
(defun exit () (lfe_shell:exit))
(defun q () (lfe_shell:exit))
";

/// The text of `(help)`.
const HELP: &str = "
LFE shell built-in functions (an LFE process on a cube node)

(c file)       -- compile and load the module in <file>
(exit)         -- leave the shell (also (q) and Ctrl-D)
(flush)        -- print and remove the messages sent to the shell
(help)         -- this text
(i)            -- the node's processes
(l 'mod)       -- load the module <mod> again from the module path
(regs)         -- registered processes

The shell is a process: (self), (spawn ...), (! pid msg) and (receive ...) work
at the prompt. A top-level (defun ...) or (defmacro ...) defines for the rest of
the session.
";

/// The callback that talks to the terminal.
pub type Reply = Box<dyn FnMut(ToTerminal) + Send>;

/// The shell's state (see the module documentation).
pub struct Shell {
    tag: Vec<u8>,
    prompt: String,
    reply: Reply,
    reader: Reader,
    /// Whether the text fed to `reader` may hold a whole form yet.
    balance: Balance,
    /// The form being evaluated.
    machine: Option<Machine>,
    /// The variables bound by `set` so far, seen by every later form.
    scope: Scope,
    /// The variables the running form binds when it is a `set`.
    setting: Option<Vec<crate::atom::Atom>>,
    /// Whether a prompt is up (a line is awaited).
    asked: bool,
    started: bool,
}

// SAFETY: a `Shell` holds a `Machine` (with `Rc`s into its world); like every
// process's state it is used and dropped only under the world's lock (`process.rs`).
unsafe impl Send for Shell {}

impl Shell {
    /// A shell that answers messages tagged `tag`, prompts with `prompt` and talks
    /// back through `reply`.
    pub fn new(tag: &[u8], prompt: &str, reply: Reply) -> Shell {
        Shell {
            tag: tag.to_vec(),
            prompt: prompt.to_string(),
            reply,
            reader: Reader::new(),
            balance: Balance::default(),
            machine: None,
            scope: Scope::default(),
            setting: None,
            asked: false,
            started: false,
        }
    }

    /// One slice: runs the current form, reads the next, waits for a line.
    pub(crate) fn run(&mut self, rt: &mut Runtime, budget: u64, cx: &EngineCx) -> (Step, u64) {
        let mut used = 0u64;
        if !self.started {
            self.started = true;
            // As `lfe_shell:server/1`: a linked process's end is a message.
            if let Some(p) = rt.process.as_mut() {
                p.cx.set_trap_exit(true);
            }
            define_commands(rt);
        }
        // Ctrl-C while a form runs (also in a `receive` that waits): the form is
        // abandoned, as the real shell's evaluator is when its job is interrupted.
        if cx.interrupted() && self.machine.take().is_some() {
            self.setting = None;
            let _ = writeln!(rt.out, "** exception exit: interrupted\n");
        }
        loop {
            if let Some(m) = self.machine.as_mut() {
                let before = m.reductions;
                let outcome = m.resume(rt, budget.saturating_sub(used));
                used += m.reductions - before;
                match outcome {
                    Outcome::Finished(mut v) => {
                        self.machine = None;
                        // A `set`: its variables join the shell's, its value prints.
                        if let Some(vars) = self.setting.take() {
                            self.scope = crate::script::bind_set(&self.scope, vars, &v);
                            if let Term::Tuple(t) = &v {
                                v = t.0.first().cloned().unwrap_or_default();
                            }
                        }
                        let text = crate::eprint::lfe_pretty(&v, 30, 0, 80);
                        let _ = writeln!(rt.out, "{text}");
                    }
                    Outcome::Error(ex) => {
                        self.machine = None;
                        self.setting = None;
                        if ex.class == Class::Exit && ex.reason.is_atom_named(EXIT_TAG) {
                            let _ = rt.out.flush();
                            return (
                                Step::Exited {
                                    reason: ExitReason::Normal,
                                    report: None,
                                },
                                used,
                            );
                        }
                        report(rt, &ex);
                    }
                    Outcome::Preempted => return (Step::Preempted, used),
                    Outcome::Wait(d) => return (Step::Wait(d), used),
                }
                if rt.stop_requested() {
                    return (Step::Preempted, used);
                }
            }
            if used >= budget {
                return (Step::Preempted, used);
            }
            // The reader reads its whole buffer again on every try: it is tried only
            // when the brackets balance, so a form of many lines costs linear time.
            let result = if self.balance.may_be_complete() {
                self.reader.read()
            } else {
                Ok(Read::More)
            };
            match result {
                Ok(Read::Form(form)) => {
                    used += 1;
                    // As `lfe_io:read_line/1`: what follows a form on its line is
                    // dropped, and the next read counts lines from 1 again.
                    self.reader = Reader::new();
                    self.balance = Balance::default();
                    self.start(rt, &form);
                    continue;
                }
                Ok(Read::More) | Ok(Read::Eof) => {}
                Err(e) => {
                    self.reader = Reader::new();
                    self.balance = Balance::default();
                    let _ = writeln!(rt.out, "{}: {}", e.line, e.message);
                    continue;
                }
            }
            // Wait for a line.
            if !self.asked {
                let _ = rt.out.flush();
                self.asked = true;
                rt.start_wait();
                (self.reply)(ToTerminal::Prompt(self.prompt.clone()));
            }
            rt.pull_messages();
            let Some((kind, text)) = self.take_input(rt) else {
                return (Step::Wait(None), used);
            };
            match kind.as_str() {
                "line" => {
                    self.asked = false;
                    if self.balance.pending + text.len() > MAX_FORM_BYTES {
                        self.reader = Reader::new();
                        self.balance = Balance::default();
                        let _ = writeln!(rt.out, "** a form longer than {MAX_FORM_BYTES} bytes");
                        continue;
                    }
                    self.balance.scan(&text);
                    self.reader.feed(&text);
                    self.reader.feed("\n");
                }
                "eof" => {
                    let _ = rt.out.flush();
                    return (
                        Step::Exited {
                            reason: ExitReason::Normal,
                            report: None,
                        },
                        used,
                    );
                }
                "interrupt" => {
                    self.asked = false;
                    self.reader = Reader::new();
                    self.balance = Balance::default();
                }
                "complete" => {
                    let words = completions(rt, &text);
                    (self.reply)(ToTerminal::Completions(words));
                }
                _ => {}
            }
        }
    }

    /// Evaluates a form: a definition at once, an expression by a machine.
    fn start(&mut self, rt: &mut Runtime, form: &Sexpr) {
        let expanded = match crate::script::expand_top(rt, form) {
            Ok(e) => e,
            Err(ex) => return report(rt, &ex),
        };
        let form = expanded.as_ref().unwrap_or(form);
        if let Some(result) = crate::script::define(rt, form) {
            match result {
                // As the real shell, a definition's value is the name defined.
                Ok(()) => {
                    if let Some(name) = defined_name(form) {
                        let _ =
                            writeln!(rt.out, "{}", crate::eprint::lfe(&Term::atom(&name), false));
                    }
                }
                Err(ex) => report(rt, &ex),
            }
            return;
        }
        if let Some(set) = crate::script::set_form(rt, form) {
            match set {
                Ok((expr, vars)) => {
                    self.setting = Some(vars);
                    self.machine = Some(Machine::eval_in(expr, self.scope.clone()));
                }
                Err(ex) => report(rt, &ex),
            }
            return;
        }
        match rt.compile(form) {
            Ok(expr) => self.machine = Some(Machine::eval_in(expr, self.scope.clone())),
            Err(ex) => report(rt, &ex),
        }
    }

    /// The terminal's message, if one has come: `(kind, text)`.
    fn take_input(&self, rt: &mut Runtime) -> Option<(String, String)> {
        let mut i = 0;
        while let Some(m) = rt.message(i) {
            if let Term::Tuple(t) = &m {
                if let [Term::Bin(tag), Term::Bin(kind), Term::Bin(text)] = &t.0[..] {
                    if *tag.bytes() == *self.tag {
                        rt.take_message(i);
                        let s = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
                        return Some((s(&kind.bytes()), s(&text.bytes())));
                    }
                }
            }
            i += 1;
        }
        None
    }
}

/// The longest text one form may take at the prompt (what a pipe can send without
/// end is refused, not buffered without bound).
const MAX_FORM_BYTES: usize = 64 << 20;

/// A cheap running count of open brackets over the lines of a form, kept across
/// lines (strings, `|quoted symbols|`, comments and `#\c` characters skipped), so
/// the reader is tried only when a form may be complete.
#[derive(Default)]
struct Balance {
    depth: i64,
    /// Inside a string (`"`) or a quoted symbol (`|`).
    quote: Option<char>,
    block_comment: bool,
    /// Bytes fed since the last form.
    pending: usize,
}

impl Balance {
    fn may_be_complete(&self) -> bool {
        self.depth <= 0 && self.quote.is_none() && !self.block_comment
    }

    fn scan(&mut self, line: &str) {
        self.pending += line.len() + 1;
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            if self.block_comment {
                if c == '|' && chars.peek() == Some(&'#') {
                    chars.next();
                    self.block_comment = false;
                }
                continue;
            }
            if let Some(q) = self.quote {
                if c == '\\' {
                    chars.next();
                } else if c == q {
                    self.quote = None;
                }
                continue;
            }
            match c {
                ';' => break,
                '"' | '|' => self.quote = Some(c),
                '(' | '[' => self.depth += 1,
                ')' | ']' => self.depth -= 1,
                '#' => match chars.peek() {
                    Some('|') => {
                        chars.next();
                        self.block_comment = true;
                    }
                    Some('\\') => {
                        chars.next();
                        chars.next();
                    }
                    _ => {}
                },
                _ => {}
            }
        }
    }
}

/// What the real shell prints for a definition: a `defun`'s or `defmacro`'s name; for
/// a `defrecord`, the name of the last macro its expansion defines (`set-REC-FIELD`
/// of the last field, or `size-REC` for a record without fields).
fn defined_name(form: &Sexpr) -> Option<String> {
    let Sexpr::List(items) = form else {
        return None;
    };
    let (Some(Sexpr::Atom(kind)), Some(Sexpr::Atom(name))) = (items.first(), items.get(1)) else {
        return None;
    };
    if &**kind != "defrecord" {
        return Some(name.to_string());
    }
    let last = items[2..].last().and_then(|f| match f {
        Sexpr::Atom(f) => Some(f.to_string()),
        Sexpr::List(v) => v.first().and_then(|a| a.as_atom()).map(|a| a.to_string()),
        _ => None,
    });
    Some(match last {
        Some(field) => format!("set-{name}-{field}"),
        None => format!("size-{name}"),
    })
}

/// The reason `(exit)` raises to leave the shell (an atom no program makes by chance).
const EXIT_TAG: &str = "$lfe_shell_exit";

/// An uncaught exception as the shell reports it (`lfe_shell:report_exception/3`,
/// without the stack trace, which names the real LFE's interpreter).
fn report(rt: &mut Runtime, ex: &Exception) {
    let _ = writeln!(rt.out, "** {}", crate::script::report(ex));
}

/// Names that start the word before the cursor: the session's functions and the
/// loaded modules. The terminal replaces only the word's last run of letters, digits
/// and `_` (the Lua shell's notion of a word), so each name is given from there.
fn completions(rt: &Runtime, text: &str) -> Vec<String> {
    let symbol = |c: char| !c.is_whitespace() && !"()[]'`,#\"".contains(c);
    let word_start = text
        .char_indices()
        .rev()
        .take_while(|(_, c)| symbol(*c))
        .last()
        .map_or(text.len(), |(i, _)| i);
    let word = &text[word_start..];
    let tail: usize = word
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .map(char::len_utf8)
        .sum();
    let head = word.len() - tail;
    let mut found: Vec<String> = rt
        .completion_names()
        .into_iter()
        .filter(|n| n.starts_with(word))
        .map(|n| n[head..].to_string())
        .collect();
    found.sort();
    found.dedup();
    found.truncate(500);
    found
}

fn define_commands(rt: &mut Runtime) {
    rt.register("lfe_shell", "c", 1, compile_file);
    rt.register("lfe_shell", "l", 1, reload);
    rt.register("lfe_shell", "flush", 0, flush);
    rt.register("lfe_shell", "regs", 0, regs);
    rt.register("lfe_shell", "i", 0, processes);
    rt.register("lfe_shell", "help", 0, |rt, _| {
        crate::runtime::write_out(rt, HELP)?;
        Ok(Term::atom("ok"))
    });
    rt.register("lfe_shell", "exit", 0, |_, _| {
        Err(Exception::new(Class::Exit, Term::atom(EXIT_TAG)))
    });
    if let Ok(forms) = crate::read::read_all(COMMANDS) {
        for form in &forms {
            if let Some(Err(_)) = crate::script::define(rt, form) {
                debug_assert!(false, "a shell command does not compile");
            }
        }
    }
}

/// A string argument (a list of character codes or a binary) as text.
fn text_arg(t: &Term) -> Result<String> {
    if let Term::Bin(b) = t {
        return Ok(String::from_utf8_lossy(&b.bytes()).into_owned());
    }
    let codes = crate::bif::list_arg(t)?;
    codes
        .iter()
        .map(|c| match c {
            Term::Int(i) => u32::try_from(*i).ok().and_then(char::from_u32),
            _ => None,
        })
        .collect::<Option<String>>()
        .ok_or_else(Exception::badarg)
}

/// `(c "mod.lfe")`: compiles and loads the module of a file (`.lfe` may be left
/// out, as `lfe_comp:file/2` allows); `(#(module NAME))`, as the real shell's `c`
/// (which returns what it loaded from the file: a list).
fn compile_file(rt: &mut Runtime, a: &[Term]) -> Result<Term> {
    let name = text_arg(&a[0])?;
    let mut path = std::path::PathBuf::from(&name);
    if !path.exists() && !name.ends_with(".lfe") {
        path = std::path::PathBuf::from(format!("{name}.lfe"));
    }
    let forms = crate::module::read(&path)?;
    if !forms.first().is_some_and(crate::module::is_defmodule) {
        return Err(Exception::error_with("no_module", Term::string(&name)));
    }
    let module = rt.load_module(&forms)?;
    Ok(Term::list(vec![module_tuple(module)]))
}

fn module_tuple(m: Atom) -> Term {
    Term::tuple(vec![Term::atom("module"), Term::Atom(m)])
}

/// `(l 'mod)`: loads each module of the list again from the search path (`c:l/1`:
/// `#(module NAME)`, or `#(error nofile)`).
fn reload(rt: &mut Runtime, a: &[Term]) -> Result<Term> {
    let mods = crate::bif::list_arg(&a[0])?;
    let mut out = Vec::with_capacity(mods.len());
    for m in &mods {
        let name = m.as_atom().ok_or_else(Exception::badarg)?;
        out.push(crate::module::load_file(rt, name)?);
    }
    Ok(Term::list(out))
}

/// `(flush)`: prints and removes every message waiting, as `c:flush/0` (`Shell got
/// ~p`, in Erlang's syntax).
fn flush(rt: &mut Runtime, _: &[Term]) -> Result<Term> {
    rt.pull_messages();
    while let Some(m) = rt.message(0) {
        rt.take_message(0);
        let line = format!("Shell got {}\n", crate::epretty::pretty(&m, 10));
        crate::runtime::write_out(rt, &line)?;
    }
    Ok(Term::atom("ok"))
}

/// `(regs)`: the registered processes, as the Lua shell's `regs()`.
fn regs(rt: &mut Runtime, _: &[Term]) -> Result<Term> {
    let mut text = format!("{:<24} {}\n", "Name", "Pid");
    if let Some(p) = rt.process.as_ref() {
        for (name, pid) in p.cx.registered() {
            text.push_str(&format!("{name:<24} {pid}\n"));
        }
    }
    crate::runtime::write_out(rt, &text)?;
    Ok(Term::atom("ok"))
}

/// `(i)`: the node's processes, as the Lua shell's `process.i()`.
fn processes(rt: &mut Runtime, _: &[Term]) -> Result<Term> {
    let text = match rt.process.as_ref() {
        Some(p) => p.cx.processes_text(0),
        None => String::new(),
    };
    crate::runtime::write_out(rt, &text)?;
    Ok(Term::atom("ok"))
}
