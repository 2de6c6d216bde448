//! `cube-cli`: the cube command line (`run`, `eval`, `repl`), following the conventions of
//! the `lua` command: an `arg` table, chunk names as given, errors with a traceback on
//! stderr and exit status 1.

mod repl;
mod script;

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Some(Command::Run {
            schedulers,
            stats,
            file,
            args,
        }) => script::run_file(&file, &args, script::Options { schedulers, stats }),
        Some(Command::Eval { code }) => script::run_eval(&code, script::Options::default()),
        Some(Command::Repl) | None => repl::run(),
    };
    ExitCode::from(code)
}
