//! `cube-cli`: the cube command line (`run`, `eval`, `repl`, `device`), following the
//! conventions of the `lua` command: an `arg` table, chunk names as given, errors with a
//! traceback on stderr and exit status 1.

mod device;
mod repl;
mod script;

// Processes allocate on one scheduler thread and are freed on another; glibc's malloc
// serialises that on an arena lock, mimalloc does not (measured: spawn benchmark).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
        /// Heap limit of every process, in bytes (a process over it ends with
        /// "heap limit exceeded").
        #[arg(long, value_name = "BYTES")]
        max_heap: Option<usize>,
        /// Reductions every process may use in its life.
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
}

fn main() -> ExitCode {
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
        Some(Command::Eval { code }) => script::run_eval(&code, script::Options::default()),
        Some(Command::Repl) | None => repl::run(),
        Some(Command::Device {
            kind,
            frontend,
            backend,
            capture,
            curve_keys,
        }) => device::run(kind, frontend, backend, capture, curve_keys),
    };
    ExitCode::from(code)
}
