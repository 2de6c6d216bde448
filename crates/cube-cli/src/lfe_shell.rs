//! `cube-cli lfe` (and `cube-cli repl --lfe`): the LFE shell, as `lfe` with no
//! arguments. The shell's loop is cube-lfe's (`cube_lfe::shell`), run as the node's
//! first process, an LFE process, so `(spawn ...)`, `(! pid msg)` and `(receive ...)`
//! work at the prompt; the terminal side is the Lua shell's (`shell.rs`: rustyline,
//! history, the tagged-message protocol), with its history in `~/.lfe_history`.
//! Piped input gets no banner and writes no history.

use crate::shell::Event;
use cube_lfe::process::LfeProcess;
use cube_lfe::shell::{Shell, ToTerminal};
use std::io::IsTerminal;
use std::sync::mpsc;

/// Runs the LFE shell; returns the exit status.
pub fn run(dist: &crate::dist::Flags, lfe_path: &[std::path::PathBuf]) -> u8 {
    let opts = crate::script::Options {
        dist: dist.clone(),
        ..Default::default()
    };
    let (node, dist) = match crate::script::start_node(&opts) {
        Ok(n) => n,
        Err(msg) => {
            eprintln!("cube-cli: {msg}");
            return 1;
        }
    };
    node.set_stdout_line_buffered(true);
    if std::io::stdin().is_terminal() {
        println!(
            "LFE on cube {} (an LFE process on a cube node; (help) for the shell's commands, (exit) or Ctrl-D to leave)",
            env!("CARGO_PKG_VERSION")
        );
    }
    // Modules are looked for in the current directory, LFE_PATH's, then --pa's.
    let path = crate::lfe::set_path("./shell", lfe_path);
    let world = crate::lfe::world(Box::new(node.stdout()), path);
    let (tx, rx) = mpsc::channel::<Event>();
    // A tag no program can guess (see `shell.rs`).
    let tag = format!(
        "cube-lfe-shell:{}:{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    );
    let to_terminal = tx.clone();
    let reply = Box::new(move |m: ToTerminal| {
        let event = match m {
            ToTerminal::Prompt(p) => Event::Prompt(p),
            ToTerminal::Completions(words) => Event::Completions(words),
        };
        // The terminal side is gone only when the command is ending.
        let _ = to_terminal.send(event);
    });
    let prompt = match &dist {
        Some(d) => cube_lfe::shell::node_prompt(&d.name()),
        None => cube_lfe::shell::PROMPT.to_string(),
    };
    let shell = LfeProcess::shell(world, Shell::new(tag.as_bytes(), &prompt, reply));
    let pid = match node.spawn_main_engine(Box::new(shell)) {
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
        crate::shell::terminal(&handle, pid, &tag, rx, ".lfe_history")
    });
    node.flush_stdout();
    code
}
