//! `cube-cli ctl`: the commands of a running supervisor's control socket, one per
//! invocation, or (no command) an interactive `cube>` shell of the same commands with
//! line editing, history (`~/.cube_ctl_history`, written after every entry) and help,
//! as supervisorctl and circusctl have. Replies print through `sup.rs`.

use crate::sup;
use clap::{Parser, Subcommand};
use rustyline::error::ReadlineError;
use rustyline::DefaultEditor;

/// Where the commands go and how replies print (`ctl`'s global options).
pub struct Target {
    pub endpoint: Option<String>,
    pub config: Option<std::path::PathBuf>,
    pub json: bool,
    pub timeout: f64,
}

#[derive(Subcommand)]
pub enum CtlCommand {
    /// State, pid, uptime and restarts of every program (or of NAME).
    Status { name: Option<String> },
    /// Start a program, `program:N`, a group or `all`.
    Start { name: String },
    /// Stop (stop signal, then SIGKILL after the stop timeout; the whole tree).
    Stop { name: String },
    /// Stop, then start.
    Restart { name: String },
    /// Re-read the configuration: unchanged programs keep running, changed ones are
    /// restarted, removed ones stopped, new ones started.
    Reload,
    /// Last lines of a program's captured output.
    Tail {
        name: String,
        /// Number of lines.
        #[arg(short = 'n', long, default_value_t = 20)]
        lines: u64,
        /// stderr instead of stdout.
        #[arg(long)]
        stderr: bool,
        /// Keep printing what the program writes (one instance; Ctrl-C ends it).
        #[arg(short = 'f', long)]
        follow: bool,
    },
    /// Send a signal (name like HUP or number) to a program's process group.
    Signal { name: String, signal: String },
    /// Count a heartbeat for a program (ZeroMQ heartbeat).
    Heartbeat { name: String },
    /// Stop every program and end the supervisor.
    #[command(visible_alias = "shutdown")]
    Quit,
    /// Protocol and supervisor version.
    Version,
    /// The pid of each instance of a program (0 when not running), or without NAME the
    /// supervisor's own.
    Pid { name: Option<String> },
    /// Add a program at run time and start it (until the next reload re-reads the file);
    /// options go before NAME: `ctl add --numprocs 2 worker sleep 100`.
    Add {
        name: String,
        command: String,
        /// Its arguments.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
        /// Instances to run.
        #[arg(long, default_value_t = 1)]
        numprocs: u32,
    },
    /// Stop a program and remove it (until the next reload re-reads the file).
    Rm { name: String },
    /// Change a program's setting at run time: `set web numprocs 4` (its instances
    /// restart; until the next reload re-reads the file).
    Set {
        name: String,
        key: String,
        value: String,
    },
    /// CPU and memory of each running instance (everything it started), measured over
    /// an interval; with --watch, again and again until Ctrl-C.
    Stats {
        name: Option<String>,
        /// Print a new table every interval.
        #[arg(short = 'w', long)]
        watch: bool,
        /// Seconds between the two readings (and between tables).
        #[arg(long, default_value_t = 1.0)]
        interval: f64,
    },
    /// The end of the supervisor's own log (every event, with its time).
    Maintail {
        /// Number of lines.
        #[arg(short = 'n', long, default_value_t = 20)]
        lines: u64,
        /// Keep printing what the supervisor logs (Ctrl-C ends it).
        #[arg(short = 'f', long)]
        follow: bool,
    },
    /// Print the supervisor's events as they happen (spawn, exit, restart, backoff,
    /// fatal, ...), one line each (the JSON event with --json), until interrupted.
    Listen,
}

/// Runs one command; its exit status.
pub fn run(target: &Target, command: CtlCommand) -> u8 {
    let Target {
        endpoint,
        config,
        json,
        timeout,
    } = target;
    let (json, timeout) = (*json, *timeout);
    use serde_json::json;
    let follow = matches!(
        command,
        CtlCommand::Tail { follow: true, .. } | CtlCommand::Maintail { follow: true, .. }
    );
    let (cmd, args) = match command {
        CtlCommand::Status { name } => ("status", json!({ "name": name })),
        CtlCommand::Start { name } => ("start", json!({ "name": name })),
        CtlCommand::Stop { name } => ("stop", json!({ "name": name })),
        CtlCommand::Restart { name } => ("restart", json!({ "name": name })),
        CtlCommand::Reload => ("reload", json!({})),
        CtlCommand::Tail {
            name,
            lines,
            stderr,
            ..
        } => (
            "tail",
            json!({ "name": name, "lines": lines, "stream": if stderr { "err" } else { "out" } }),
        ),
        CtlCommand::Signal { name, signal } => {
            ("signal", json!({ "name": name, "signal": signal }))
        }
        CtlCommand::Heartbeat { name } => ("heartbeat", json!({ "name": name })),
        CtlCommand::Quit => ("quit", json!({})),
        CtlCommand::Version => ("version", json!({})),
        CtlCommand::Pid { name } => ("pid", json!({ "name": name })),
        CtlCommand::Add {
            name,
            command,
            args,
            numprocs,
        } => (
            "add",
            json!({ "name": name, "command": command, "args": args, "numprocs": numprocs }),
        ),
        CtlCommand::Rm { name } => ("rm", json!({ "name": name })),
        CtlCommand::Set { name, key, value } => {
            ("set", json!({ "name": name, "key": key, "value": value }))
        }
        CtlCommand::Maintail { lines, .. } => ("maintail", json!({ "lines": lines })),
        CtlCommand::Stats {
            name,
            watch,
            interval,
        } => {
            let (ep, cfg) = (endpoint.as_deref(), config.as_deref());
            let code = sup::stats(ep, cfg, json, timeout, name.as_deref(), watch, interval);
            return code;
        }
        CtlCommand::Listen => {
            let (ep, cfg) = (endpoint.as_deref(), config.as_deref());
            return sup::listen(ep, cfg, json, timeout);
        }
    };
    sup::ctl(
        endpoint.as_deref(),
        config.as_deref(),
        json,
        timeout,
        cmd,
        args,
        follow,
    )
}

// A line of the interactive shell, parsed by the same definitions as the command line.
#[derive(Parser)]
#[command(
    name = "",
    about = "The commands of the supervisor:",
    no_binary_name = true,
    disable_version_flag = true,
    override_usage = "COMMAND [ARGS]   (exit, quit or Ctrl-D leaves; shutdown stops the supervisor)"
)]
struct ShellLine {
    #[command(subcommand)]
    command: CtlCommand,
}

/// `ctl` without a command: a `cube>` prompt. `exit`, `quit` and Ctrl-D leave the shell
/// (as in supervisorctl); `shutdown` is the command that stops the supervisor.
pub fn shell(target: &Target) -> u8 {
    use std::io::IsTerminal;
    let interactive = std::io::stdin().is_terminal();
    let Ok(mut rl) = DefaultEditor::new() else {
        eprintln!("cube-cli: cannot open the terminal");
        return 2;
    };
    let history = std::env::var_os("HOME")
        .filter(|_| interactive)
        .map(|h| std::path::PathBuf::from(h).join(".cube_ctl_history"));
    if let Some(h) = &history {
        let _ = rl.load_history(h);
    }
    if interactive {
        println!("cube-cli ctl: help lists the commands; exit or Ctrl-D leaves");
    }
    let mut status = 0;
    loop {
        let line = match rl.readline("cube> ") {
            Ok(l) => l,
            Err(ReadlineError::Interrupted) => continue,
            Err(_) => break,
        };
        let words = match shlex::split(&line) {
            Some(w) => w,
            None => {
                eprintln!("cube-cli: unbalanced quotes");
                continue;
            }
        };
        if words.is_empty() {
            continue;
        }
        if let Some(h) = &history {
            let _ = rl.add_history_entry(line.as_str());
            let _ = rl.append_history(h);
        }
        match words[0].as_str() {
            "exit" | "quit" => break,
            "help" | "?" if words.len() == 1 => {
                let _ = <ShellLine as clap::CommandFactory>::command().print_help();
                continue;
            }
            _ => {}
        }
        status = match ShellLine::try_parse_from(&words) {
            Ok(l) if runs_until_interrupted(&l.command) => run_child(target, &words),
            Ok(l) => run(target, l.command),
            Err(e) => {
                let _ = e.print();
                2
            }
        };
    }
    status
}

/// The commands that go on until Ctrl-C (`listen`, `tail -f`, `maintail -f`,
/// `stats --watch`).
fn runs_until_interrupted(c: &CtlCommand) -> bool {
    matches!(
        c,
        CtlCommand::Listen
            | CtlCommand::Tail { follow: true, .. }
            | CtlCommand::Maintail { follow: true, .. }
            | CtlCommand::Stats { watch: true, .. }
    )
}

/// Runs `ctl WORDS` in a child process, as a shell runs a command: Ctrl-C at the
/// terminal ends the child (SIGINT goes to the whole foreground group) while this
/// shell ignores it and comes back to its prompt, as supervisorctl does after `tail -f`.
fn run_child(target: &Target, words: &[String]) -> u8 {
    use std::os::unix::process::CommandExt;
    let Ok(exe) = std::env::current_exe() else {
        eprintln!("cube-cli: cannot find this program to run the command");
        return 2;
    };
    let mut cmd = std::process::Command::new(exe);
    cmd.arg("ctl")
        .arg("--timeout")
        .arg(target.timeout.to_string());
    if let Some(e) = &target.endpoint {
        cmd.arg("--endpoint").arg(e);
    }
    if let Some(c) = &target.config {
        cmd.arg("--config").arg(c);
    }
    if target.json {
        cmd.arg("--json");
    }
    cmd.args(words);
    // SAFETY: between fork and exec the child only calls signal(2), which is
    // async-signal-safe; it puts back the default action this shell's SIG_IGN would
    // otherwise leave to the child across exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::signal(libc::SIGINT, libc::SIG_DFL);
            Ok(())
        });
    }
    // SAFETY: setting a signal's disposition to SIG_IGN and back; no handler runs.
    let before = unsafe { libc::signal(libc::SIGINT, libc::SIG_IGN) };
    let status = cmd.status();
    // SAFETY: as above, the disposition this shell had.
    unsafe { libc::signal(libc::SIGINT, before) };
    match status {
        Ok(s) if s.success() => 0,
        // Ended by Ctrl-C: back to the prompt, as after any interrupted command.
        Ok(s) if std::os::unix::process::ExitStatusExt::signal(&s) == Some(libc::SIGINT) => {
            println!();
            130
        }
        Ok(s) => s.code().map_or(1, |c| u8::try_from(c).unwrap_or(1)),
        Err(e) => {
            eprintln!("cube-cli: cannot run the command: {e}");
            2
        }
    }
}
