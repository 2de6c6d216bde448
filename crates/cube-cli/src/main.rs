//! `cube-cli`: the cube command line (`run`, `eval`, `repl`), following the conventions of
//! the `lua` command: an `arg` table, chunk names as given, errors with a traceback on
//! stderr and exit status 1; `device` for the ZeroMQ devices (cube-zmq); and
//! `supervise` / `ctl` for OS programs (cube-sup).

mod alloc;
mod device;
mod follow;
mod repl;
mod script;
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
    /// Run a string of Lua code (like `lua -e CODE`).
    Eval { code: String },
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
}

fn main() -> ExitCode {
    // The supervisor's sentinel is this binary with a hidden first argument.
    let argv: Vec<String> = std::env::args().collect();
    if argv.len() == 3 && argv[1] == cube_sup::sentinel::ARG {
        return ExitCode::from(cube_sup::sentinel::main(&argv[2]));
    }
    let cli = Cli::parse();
    let code = match cli.command {
        // LFE scripts run on cube-lfe's evaluator (not yet as a scheduled process).
        Some(Command::Run { file, args, .. }) if file.ends_with(".lfe") => {
            cube_lfe::run_file(&file, &args).clamp(0, 255) as u8
        }
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
        Some(Command::Eval { code }) => script::run_eval(&code, script::Options::default()),
        Some(Command::Repl) | None => repl::run(),
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
            let follow = matches!(command, CtlCommand::Tail { follow: true, .. });
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
