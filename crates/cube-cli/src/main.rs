//! `cube-cli`: the cube command line. Without a subcommand it is the `lua5.2` command
//! (`luacmd.rs`: its options, messages, `arg` table and exit statuses); `run`, `eval`
//! and the shell (`shell.rs`: a process on the node, with the Erlang shell's helpers)
//! follow the same conventions; `device` runs the ZeroMQ devices (cube-zmq);
//! `supervise` / `ctl` supervise OS programs (cube-sup); `completions` and `man` print
//! shell completions and the manual page from the same clap definitions.

mod alloc;
mod device;
mod follow;
mod luacmd;
mod script;
mod shell;
mod sup;

// Processes allocate on one scheduler thread and are freed on another; glibc's malloc
// serialises that on an arena lock, mimalloc does not (measured: spawn benchmark).
// Built without transparent huge pages (feature `no_thp`): with THP, pages mimalloc
// purged and reuses fault in again as 2 MiB huge pages zeroed whole, and a run spent up
// to 0.7 s of 2.3 s in the kernel zeroing them (coroutines benchmark, bimodal from run
// to run); without, 0.05 s. `MIMALLOC_ALLOW_THP=1` turns it back on.
// `alloc.rs` says why it asks mimalloc for plain blocks, not aligned ones.
#[global_allocator]
static GLOBAL: alloc::MiMalloc = alloc::MiMalloc;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "cube-cli",
    version,
    about = "cube: Lua 5.2 processes, supervisors and ZeroMQ"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run a Lua script (like `lua FILE ARGS...`).
    Run {
        /// Scheduler threads (default: one per core).
        #[arg(long, default_value_t = 0)]
        schedulers: usize,
        /// At exit, print processes spawned, messages sent, reductions and the peak
        /// process count on stderr.
        #[arg(long)]
        stats: bool,
        /// Heap limit in bytes, of every process (its heap and queued messages) and of
        /// all the program's processes together; over it, a process ends with "heap
        /// limit exceeded". No process can raise it (spawn_opt only lowers limits).
        #[arg(long, value_name = "BYTES")]
        max_heap: Option<usize>,
        /// Reductions every process may use in its life, and all the program's
        /// processes together; then "reduction limit exceeded".
        #[arg(long, value_name = "N")]
        max_reductions: Option<u64>,
        /// Untrusted code: no io library, os.execute, os.exit, require, dofile,
        /// loadfile, nor binary chunks in load.
        #[arg(long)]
        sandbox: bool,
        /// The script; `-` reads standard input.
        file: String,
        /// Arguments, visible to the script as `arg[1]`, `arg[2]`, ... and as `...`.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Run a string of Lua code (like `lua -e CODE`); ARGS are its `...`.
    Eval {
        code: String,
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// An interactive prompt (also the default with no command).
    Repl,
    /// Run a ZeroMQ device until SIGINT or SIGTERM: forwarder (XSUB frontend for
    /// publishers, XPUB backend for subscribers), streamer (PULL -> PUSH) or queue
    /// (ROUTER <-> DEALER). Endpoints are bound, or connected when written `>EP`.
    Device {
        #[arg(value_enum)]
        kind: device::Kind,
        /// Frontend endpoint(s), e.g. tcp://*:5559.
        #[arg(long, required = true, value_name = "ENDPOINT")]
        frontend: Vec<String>,
        /// Backend endpoint(s), e.g. tcp://*:5560.
        #[arg(long, required = true, value_name = "ENDPOINT")]
        backend: Vec<String>,
        /// A PUB socket that gets a copy of every message the device moves.
        #[arg(long, value_name = "ENDPOINT")]
        capture: Option<String>,
        /// CURVE server keys (frontend and backend): a key file with the public and
        /// secret key. Without it, CUBE_ZMQ_CURVE_SECRET (and CUBE_ZMQ_CURVE_PUBLIC)
        /// are used when set. Needs a libzmq with CURVE (see the README).
        #[arg(long, value_name = "FILE")]
        curve_keys: Option<String>,
    },
    /// Supervise OS programs described by a TOML config (see README "Supervising
    /// programs"); runs until `ctl quit`, SIGTERM or SIGINT; SIGHUP reloads.
    Supervise {
        /// The configuration file.
        config: std::path::PathBuf,
        /// Scheduler threads (default: one per core).
        #[arg(long, default_value_t = 0)]
        schedulers: usize,
        /// Also run this Lua script on the node (it can use the `programs` library).
        #[arg(long, value_name = "FILE")]
        script: Option<std::path::PathBuf>,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish or powershell), e.g.
    /// `cube-cli completions bash > ~/.local/share/bash-completion/completions/cube-cli`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `cube-cli man | man -l -`.
    Man,
    /// Control a running supervisor.
    Ctl {
        /// Control endpoint (default: from -c CONFIG, else $CUBE_SUP_CONTROL).
        #[arg(long, global = true)]
        endpoint: Option<String>,
        /// Read the control endpoint from this configuration file.
        #[arg(short = 'c', long = "config", global = true)]
        config: Option<std::path::PathBuf>,
        /// Print the raw JSON reply.
        #[arg(long, global = true)]
        json: bool,
        /// Seconds to wait for the reply.
        #[arg(long, default_value_t = 60.0, global = true)]
        timeout: f64,
        #[command(subcommand)]
        command: CtlCommand,
    },
}

#[derive(Subcommand)]
enum CtlCommand {
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

/// Whether the first word of a command line is for clap (a subcommand of ours, or help
/// and version): everything else is the `lua` command's (a script or lua's options).
fn is_cube_word(word: &str) -> bool {
    let cmd = <Cli as clap::CommandFactory>::command();
    matches!(word, "-h" | "--help" | "-V" | "--version" | "help")
        || cmd
            .get_subcommands()
            .any(|c| c.get_name() == word || c.get_all_aliases().any(|a| a == word))
}

fn main() -> ExitCode {
    // The supervisor's sentinel is this binary with a hidden first argument.
    let argv: Vec<String> = std::env::args().collect();
    if argv.len() == 3 && argv[1] == cube_sup::sentinel::ARG {
        return ExitCode::from(cube_sup::sentinel::main(&argv[2]));
    }
    // `cube-cli [options] [script [args]]`: the `lua` command's own command line, for
    // every first word that is not one of ours (a script, or one of lua's options).
    if let Some(first) = argv.get(1) {
        if !is_cube_word(first) {
            return match luacmd::parse(&argv[1..]) {
                Ok(inv) => ExitCode::from(script::run_lua_command(inv, script::Options::default())),
                Err(text) => {
                    eprint!("{text}");
                    ExitCode::from(1)
                }
            };
        }
    }
    let cli = Cli::parse();
    let code = match cli.command {
        Some(Command::Run {
            schedulers,
            stats,
            max_heap,
            max_reductions,
            sandbox,
            file,
            args,
        }) => script::run_file(
            &file,
            &args,
            script::Options {
                schedulers,
                stats,
                max_heap,
                max_reductions,
                sandbox,
            },
        ),
        Some(Command::Eval { code, args }) => {
            script::run_eval(&code, &args, script::Options::default())
        }
        Some(Command::Repl) => shell::run(None),
        // No arguments at all: as `lua` (a prompt at a terminal, else standard input
        // as a script).
        None => script::run_lua_command(
            luacmd::parse(&[]).expect("no arguments parse"),
            script::Options::default(),
        ),
        Some(Command::Completions { shell }) => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "cube-cli", &mut std::io::stdout());
            0
        }
        Some(Command::Man) => {
            let cmd = <Cli as clap::CommandFactory>::command();
            match clap_mangen::Man::new(cmd).render(&mut std::io::stdout()) {
                Ok(()) => 0,
                // `cube-cli man | head` is not an error.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
                Err(e) => {
                    eprintln!("cube-cli: {e}");
                    1
                }
            }
        }
        Some(Command::Device {
            kind,
            frontend,
            backend,
            capture,
            curve_keys,
        }) => device::run(kind, frontend, backend, capture, curve_keys),
        Some(Command::Supervise {
            config,
            schedulers,
            script,
        }) => sup::supervise(&config, schedulers, script.as_deref()),
        Some(Command::Ctl {
            endpoint,
            config,
            json,
            timeout,
            command,
        }) => {
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
                    return ExitCode::from(code);
                }
                CtlCommand::Listen => {
                    let (ep, cfg) = (endpoint.as_deref(), config.as_deref());
                    return ExitCode::from(sup::listen(ep, cfg, json, timeout));
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
    };
    ExitCode::from(code)
}
