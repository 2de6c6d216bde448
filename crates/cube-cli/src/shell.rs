//! The interactive shell (`cube-cli` at a terminal, `cube-cli repl`, `cube-cli -i`): a
//! process on a node, as the Erlang shell is, so `process.spawn`, `process.receive`,
//! `zmq` and the rest work at the prompt, with the Erlang shell's helpers (`flush()`,
//! `regs()`, `i()`, `help()`).
//!
//! Two sides: the shell's loop is Lua (`shell.lua`), run as the node's first process;
//! the terminal stays with the command's main thread (rustyline: line editing, history,
//! tab completion). They talk by message one way (each line typed, completion
//! requests, Ctrl-C, end of input) and through a native `reply` the other way (show the
//! prompt, here are the completions). The main thread shows a prompt only when the
//! shell asks for it, so output and prompts never interleave wrongly, and a program that
//! prints from other processes prints as it would in the Erlang shell.
//!
//! History is appended to `~/.cube_history` after every entry (nothing is lost when
//! the shell is killed); piped input is neither recorded nor greeted with a banner.
//!
//! Ctrl-C while a command runs (the terminal is then in its normal mode, so it is a
//! SIGINT) interrupts the command as `lua -i` does: the shell process gets a catchable
//! error "interrupted!" where it stands (`NodeHandle::interrupt`), also in a blocked
//! `process.receive` or `sleep`, and the prompt comes back with its globals intact.

use crate::luacmd::{Invocation, Step};
use cube_lua::host::{Args, Cx, HostResult, Ret, Val};
use cube_term::{Pid, Term};
use rustyline::completion::Completer;
use rustyline::error::ReadlineError;
use rustyline::history::FileHistory;
use rustyline::{Context, Editor, Helper};
use std::cell::RefCell;
use std::io::IsTerminal;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

/// Set by SIGINT while a command runs; the terminal side turns it into an interrupt of
/// the shell process.
static SIGINT_SEEN: AtomicBool = AtomicBool::new(false);

extern "C" fn on_sigint(_: libc::c_int) {
    // Only an atomic store: async-signal-safe, errno untouched.
    SIGINT_SEEN.store(true, Ordering::SeqCst);
}

/// Catches SIGINT for the shell's lifetime (at the prompt the line editor reads
/// Ctrl-C as a key; while a command runs it arrives as this signal).
fn catch_sigint() {
    // SAFETY: installs a handler that only stores to an atomic; `sa` is fully
    // initialised (zeroed, then the handler and an empty mask).
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_sigint as *const () as usize;
        libc::sigemptyset(&mut sa.sa_mask);
        sa.sa_flags = libc::SA_RESTART;
        libc::sigaction(libc::SIGINT, &sa, std::ptr::null_mut());
    }
}

/// The shell's loop (see the module documentation).
const SHELL_LUA: &str = include_str!("shell.lua");

/// What the shell process (or the node) tells the terminal side (also the LFE
/// shell's, `lfe_shell.rs`).
pub(crate) enum Event {
    /// Show this prompt and send what is typed.
    Prompt(String),
    /// The answer to a completion request.
    Completions(Vec<String>),
    /// The shell process ended (end of input, `process.exit`, an error in `-i`'s steps).
    Exited(cube_vm::ExitReason),
}

/// The payload of the `reply` native's upvalue.
struct Reply(mpsc::Sender<Event>);

/// `reply(kind, ...)` in the shell process: `"prompt", text` or `"completions", list`.
fn reply<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let kind = cx.check_str(a, 1)?.as_bytes().to_vec();
    let up = cx.upvalue(0);
    let Some(tx) = cx.userdata_get::<Reply>(up).map(|r| r.0.clone()) else {
        return Ok(Ret::Values(0));
    };
    let event = match kind.as_slice() {
        b"prompt" => {
            let text = cx.opt_str(a, 2)?.map(|s| s.to_str_lossy().into_owned());
            Event::Prompt(text.unwrap_or_else(|| "> ".into()))
        }
        b"completions" => {
            let list = cx.check_table(a, 2)?;
            let n = cx.raw_len(list);
            let words = (1..=n as i64)
                .filter_map(|i| match cx.raw_get_int(list, i) {
                    Val::Str(s) => Some(s.to_str_lossy().into_owned()),
                    _ => None,
                })
                .collect();
            Event::Completions(words)
        }
        _ => return Ok(Ret::Values(0)),
    };
    // The terminal side is gone only when the command is ending: nothing to tell.
    let _ = tx.send(event);
    Ok(Ret::Values(0))
}

/// Runs the shell; `first` is `-i`'s command (its steps and script run first, in the
/// shell's process). Returns the exit status.
pub fn run(first: Option<(&Invocation, Option<Step>)>, dist: &crate::dist::Flags) -> u8 {
    let opts = crate::script::Options {
        dist: dist.clone(),
        ..Default::default()
    };
    let (node, _dist) = match crate::script::start_node(&opts) {
        Ok(n) => n,
        Err(msg) => {
            eprintln!("cube-cli: {msg}");
            return 1;
        }
    };
    node.set_stdout_line_buffered(true);
    if first.is_none() && std::io::stdin().is_terminal() {
        println!(
            "cube {} (Lua 5.2 on a cube node; help() for the shell's helpers)",
            env!("CARGO_PKG_VERSION")
        );
    }
    let (tx, rx) = mpsc::channel::<Event>();
    // Messages from the terminal carry a tag no program can guess, so the shell's
    // receive never takes a message of the program's for input, nor the reverse.
    let tag = format!(
        "cube-shell:{}:{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    );
    let first = first.map(|(inv, init)| (inv.clone(), init));
    let (tag_for_shell, tx_for_shell) = (tag.clone(), tx.clone());
    let spawned = node.spawn_main(move |st| {
        st.push_chunk(SHELL_LUA.as_bytes(), "=(shell)")
            .map_err(|e| e.message)?;
        st.cx(|cx| {
            let ud = cx.new_userdata(Reply(tx_for_shell), None);
            let f = cx.new_function("reply", reply, &[ud]);
            cx.push(f);
            cx.push_str(tag_for_shell.as_bytes());
        });
        // The driver itself is one more argument of the shell's chunk.
        let more = match &first {
            Some((inv, init)) => 1 + crate::luacmd::push_driver(st, inv, init.clone())?,
            None => {
                st.cx(|cx| cx.push(Val::Nil));
                1
            }
        };
        Ok(2 + more)
    });
    let pid = match spawned {
        Ok(pid) => pid,
        Err(msg) => {
            eprintln!("cube-cli: {msg}");
            return 1;
        }
    };
    let handle = node.handle();
    let code = std::thread::scope(|s| {
        let node = &node;
        s.spawn(move || {
            let reason = node.wait(pid);
            let _ = tx.send(Event::Exited(reason));
        });
        terminal(&handle, pid, &tag, rx, ".cube_history")
    });
    node.flush_stdout();
    code
}

/// The terminal side: prompts when the shell asks, sends what is typed, until the
/// shell process has ended (it always ends: at end of input it returns). History is
/// kept in `history` under `$HOME` when the input is a terminal.
pub(crate) fn terminal(
    handle: &cube_vm::NodeHandle,
    shell: Pid,
    tag: &str,
    rx: mpsc::Receiver<Event>,
    history: &str,
) -> u8 {
    let to_shell = ToShell {
        handle: handle.clone(),
        pid: shell,
        tag: tag.to_string(),
    };
    let state = Rc::new(Shared {
        rx,
        exited: RefCell::new(None),
        prompt: RefCell::new(None),
    });
    let interactive = std::io::stdin().is_terminal();
    let mut rl = match Editor::<ShellHelper, FileHistory>::new() {
        Ok(rl) => rl,
        Err(e) => {
            eprintln!("cube-cli: cannot open the terminal: {e}");
            to_shell.send("eof", "");
            return crate::script::report_exit(wait_exit(&state));
        }
    };
    rl.set_helper(Some(ShellHelper {
        to_shell: to_shell.clone(),
        state: state.clone(),
    }));
    let history = std::env::var_os("HOME")
        .filter(|_| interactive)
        .map(|h| std::path::PathBuf::from(h).join(history));
    if let Some(h) = &history {
        let _ = rl.load_history(h);
    }
    catch_sigint();
    let mut ctrl_c = false;
    loop {
        if let Some(reason) = state.exited.borrow_mut().take() {
            return crate::script::report_exit(reason);
        }
        let stashed = state.prompt.borrow_mut().take();
        let prompt = match stashed
            .map(Event::Prompt)
            .map_or_else(|| next_event(&state, &to_shell), Ok)
        {
            Ok(Event::Prompt(p)) => p,
            Ok(Event::Completions(_)) => continue,
            Ok(Event::Exited(reason)) => return crate::script::report_exit(reason),
            Err(_) => return 1,
        };
        match rl.readline(&prompt) {
            Ok(line) => {
                ctrl_c = false;
                if let Some(h) = &history {
                    if !line.trim().is_empty() {
                        let _ = rl.add_history_entry(line.as_str());
                        // Appended at once: a shell killed later keeps its history.
                        let _ = rl.append_history(h);
                    }
                }
                SIGINT_SEEN.store(false, Ordering::SeqCst);
                to_shell.send("line", &line);
            }
            // Ctrl-C clears the line; twice in a row leaves, as in erl's and node's shells.
            Err(ReadlineError::Interrupted) if !ctrl_c => {
                ctrl_c = true;
                to_shell.send("interrupt", "");
            }
            Err(_) => {
                if interactive {
                    println!();
                }
                to_shell.send("eof", "");
            }
        }
    }
}

/// The shell's next event, interrupting the running command on each SIGINT meanwhile.
fn next_event(state: &Shared, to_shell: &ToShell) -> Result<Event, mpsc::RecvError> {
    loop {
        match state.rx.recv_timeout(Duration::from_millis(50)) {
            Ok(e) => return Ok(e),
            Err(mpsc::RecvTimeoutError::Disconnected) => return Err(mpsc::RecvError),
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if SIGINT_SEEN.swap(false, Ordering::SeqCst) {
                    to_shell.handle.interrupt(to_shell.pid);
                }
            }
        }
    }
}

/// Waits for the shell's end, whatever else arrives first.
fn wait_exit(state: &Shared) -> cube_vm::ExitReason {
    if let Some(r) = state.exited.borrow_mut().take() {
        return r;
    }
    loop {
        match state.rx.recv() {
            Ok(Event::Exited(r)) => return r,
            Ok(_) => continue,
            Err(_) => return cube_vm::ExitReason::Normal,
        }
    }
}

/// Sends the terminal's messages to the shell process.
#[derive(Clone)]
struct ToShell {
    handle: cube_vm::NodeHandle,
    pid: Pid,
    tag: String,
}

impl ToShell {
    fn send(&self, kind: &str, text: &str) {
        let bin = |s: &str| Term::Binary(Arc::from(s.as_bytes()));
        let msg = Term::Tuple(Arc::from(vec![bin(&self.tag), bin(kind), bin(text)]));
        self.handle.send(self.pid, msg);
    }
}

/// What the terminal loop and the completer share on the main thread.
struct Shared {
    rx: mpsc::Receiver<Event>,
    /// The shell's end, when the completer received it (the loop reports it).
    exited: RefCell<Option<cube_vm::ExitReason>>,
    /// A prompt the completer received (the loop shows it next).
    prompt: RefCell<Option<String>>,
}

/// rustyline's helper: tab completion asked of the shell process, which knows the
/// program's globals and tables.
struct ShellHelper {
    to_shell: ToShell,
    state: Rc<Shared>,
}

impl Completer for ShellHelper {
    type Candidate = String;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<String>)> {
        let before = &line[..pos];
        let word: usize = before
            .chars()
            .rev()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .map(char::len_utf8)
            .sum();
        if self.state.exited.borrow().is_some() {
            return Ok((pos, Vec::new()));
        }
        self.to_shell.send("complete", before);
        // The shell is waiting at its prompt: it answers at once. (A bound all the
        // same: a completion never hangs the terminal.)
        loop {
            match self.state.rx.recv_timeout(Duration::from_secs(5)) {
                Ok(Event::Completions(words)) => return Ok((pos - word, words)),
                Ok(Event::Exited(r)) => {
                    *self.state.exited.borrow_mut() = Some(r);
                    return Ok((pos, Vec::new()));
                }
                Ok(Event::Prompt(p)) => *self.state.prompt.borrow_mut() = Some(p),
                Err(_) => return Ok((pos, Vec::new())),
            }
        }
    }
}

impl rustyline::hint::Hinter for ShellHelper {
    type Hint = String;
}
impl rustyline::highlight::Highlighter for ShellHelper {}
impl rustyline::validate::Validator for ShellHelper {}
impl Helper for ShellHelper {}
