//! `cube-cli`: the cube command line. Without a subcommand it is the `lua5.2` command
//! (`luacmd.rs`: its options, messages, `arg` table and exit statuses); `run`, `eval`
//! and the shell (`shell.rs`: a process on the node, with the Erlang shell's helpers)
//! follow the same conventions; `device` runs the ZeroMQ devices (cube-zmq);
//! `supervise` / `ctl` supervise OS programs (cube-sup); `completions` and `man` print
//! shell completions and the manual page from the same clap definitions.

mod alloc;
mod ctl;
mod dashboard;
mod device;
mod dist;
mod follow;
mod lfe;
mod lfe_shell;
mod luacmd;
mod node_cmd;
mod script;
mod shell;
mod sup;
mod tsunami_cmd;

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
    about = "cube: Lua 5.2 processes, supervisors and ZeroMQ",
    override_usage = "cube-cli [options] [script [args]]\n       cube-cli <COMMAND>",
    long_about = "cube: Lua 5.2 processes, supervisors and ZeroMQ.\n\n\
        Without a command, cube-cli is the lua command: cube-cli [options] [script [args]] \
        takes lua5.2's options (-e stat, -i, -l name, -v, -E, --, -), LUA_INIT_5_2 and \
        LUA_INIT, and runs the script as the first process of a node."
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
        /// An LFE program's module directory, searched for NAME.lfe when NAME:f is
        /// first called (after the script's directory and LFE_PATH); repeatable.
        #[arg(long = "pa", value_name = "DIR")]
        lfe_path: Vec<std::path::PathBuf>,
        /// Serve the observer page (the node's processes, schedulers' load, memory) on
        /// PORT (127.0.0.1) or IP:PORT, while the script runs (README "Dashboard").
        #[arg(long, value_name = "[IP:]PORT")]
        observer: Option<String>,
        /// The token the observer page requires (`?token=`, `Authorization: Bearer`
        /// or basic auth's password); generated and printed when the address is not
        /// loopback and none is given.
        #[arg(long, value_name = "TOKEN", requires = "observer")]
        http_token: Option<String>,
        #[command(flatten)]
        dist: dist::Flags,
        /// The script; `-` reads standard input.
        file: String,
        /// Arguments, visible to the script as `arg[1]`, `arg[2]`, ... and as `...`.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Run a string of Lua code (like `lua -e CODE`); ARGS are its `...`.
    Eval {
        #[command(flatten)]
        dist: dist::Flags,
        code: String,
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// A distributed node that stays up until SIGTERM or SIGINT (for clusters); needs
    /// --sname or --name. Prints `cube-cli: node NAME up` on stderr when ready.
    Node {
        #[command(flatten)]
        dist: dist::Flags,
        /// Scheduler threads (default: one per core).
        #[arg(long, default_value_t = 0)]
        schedulers: usize,
        /// A Lua script to run on the node (its end does not end the node).
        #[arg(long, value_name = "FILE")]
        script: Option<std::path::PathBuf>,
    },
    /// An interactive prompt (also the default with no command).
    Repl {
        #[command(flatten)]
        dist: dist::Flags,
        /// The LFE shell instead of Lua's (as `cube-cli lfe`).
        #[arg(long)]
        lfe: bool,
        /// With --lfe: a module directory, searched for NAME.lfe (after the current
        /// directory and LFE_PATH); repeatable.
        #[arg(long = "pa", value_name = "DIR", requires = "lfe")]
        lfe_path: Vec<std::path::PathBuf>,
    },
    /// The LFE shell (as `lfe` with no arguments): an LFE process on a node, with
    /// line editing and history (~/.lfe_history), (c "mod.lfe"), (l 'mod), (flush),
    /// (i), (regs), (help) and (exit).
    Lfe {
        #[command(flatten)]
        dist: dist::Flags,
        /// A module directory, searched for NAME.lfe when NAME:f is first called
        /// (after the current directory and LFE_PATH); repeatable.
        #[arg(long = "pa", value_name = "DIR")]
        lfe_path: Vec<std::path::PathBuf>,
    },
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
        /// Serve the dashboard (programs, logs, start/stop/restart/signal; the node's
        /// processes) on PORT (127.0.0.1) or IP:PORT (README "Dashboard").
        #[arg(long, value_name = "[IP:]PORT")]
        http: Option<String>,
        /// The token the dashboard requires (`?token=`, `Authorization: Bearer` or
        /// basic auth's password); generated and printed when the address is not
        /// loopback and none is given.
        #[arg(long, value_name = "TOKEN", requires = "http")]
        http_token: Option<String>,
        #[command(flatten)]
        dist: dist::Flags,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish or powershell), e.g.
    /// `cube-cli completions bash > ~/.local/share/bash-completion/completions/cube-cli`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `cube-cli man | man -l -`; `cube-cli man ctl`
    /// prints the page of a command (`cube-cli-ctl(1)`), `cube-cli man tsunami train`
    /// that of a subcommand.
    Man {
        /// The command (and subcommand) whose page to print.
        command: Vec<String>,
    },
    /// Tsunami, cube's learning agents: train, eval (see README "Tsunami").
    Tsunami {
        #[command(subcommand)]
        command: tsunami_cmd::TsunamiCommand,
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
        /// Without a command: an interactive `cube>` shell of these commands.
        #[command(subcommand)]
        command: Option<ctl::CtlCommand>,
    },
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

/// Writes `bytes` to standard output: 0, or 1 with a message; a reader that went away
/// (`| head`) is not an error.
fn write_stdout(bytes: &[u8]) -> u8 {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => 0,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
        Err(e) => {
            eprintln!("cube-cli: {e}");
            1
        }
    }
}

/// `cube-cli man [COMMAND...]`: the page of the program or of one of its commands,
/// named as clap_mangen names the pages it refers to (`cube-cli-ctl`).
fn man_page(path: &[String]) -> u8 {
    let mut cmd = <Cli as clap::CommandFactory>::command();
    cmd.build();
    let mut name = String::from("cube-cli");
    for word in path {
        let Some(sub) = cmd.find_subcommand(word).cloned() else {
            eprintln!("cube-cli: man: no command '{word}' in '{name}'");
            return 2;
        };
        name = format!("{name}-{}", sub.get_name());
        // `build` named it `cube-cli-ctl` (its display name), which the page's title
        // uses.
        cmd = sub;
    }
    let mut page = Vec::new();
    if let Err(e) = clap_mangen::Man::new(cmd).render(&mut page) {
        eprintln!("cube-cli: {e}");
        return 1;
    }
    write_stdout(&page)
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
        // LFE scripts run as the node's first process (`lfe.rs`).
        Some(Command::Run {
            schedulers,
            stats,
            max_heap,
            max_reductions,
            sandbox,
            dist,
            file,
            args,
            lfe_path,
            observer: None,
            ..
        }) if file.ends_with(".lfe") => lfe::run_file(
            &file,
            &args,
            &lfe_path,
            script::Options {
                schedulers,
                stats,
                max_heap,
                max_reductions,
                sandbox,
                dist,
                observer: None,
            },
        ),
        Some(Command::Run { file, .. }) if file.ends_with(".lfe") => {
            eprintln!("cube-cli: --observer serves Lua scripts' nodes, not LFE's");
            2
        }
        Some(Command::Run {
            schedulers,
            stats,
            max_heap,
            max_reductions,
            sandbox,
            dist,
            file,
            args,
            lfe_path,
            observer,
            http_token,
        }) => {
            lfe::set_path(&file, &lfe_path);
            let observer = match observer.map(|a| dashboard::config(&a, http_token.as_deref())) {
                Some(Err(e)) => {
                    eprintln!("cube-cli: {e}");
                    return ExitCode::from(2);
                }
                Some(Ok(_)) if sandbox => {
                    eprintln!(
                        "cube-cli: --observer needs the http library, which --sandbox removes"
                    );
                    return ExitCode::from(2);
                }
                other => other.and_then(Result::ok),
            };
            script::run_file(
                &file,
                &args,
                script::Options {
                    schedulers,
                    stats,
                    max_heap,
                    max_reductions,
                    sandbox,
                    dist,
                    observer,
                },
            )
        }
        Some(Command::Eval { code, args, dist }) => script::run_eval(
            &code,
            &args,
            script::Options {
                dist,
                ..Default::default()
            },
        ),
        Some(Command::Repl {
            dist,
            lfe: true,
            lfe_path,
        }) => lfe_shell::run(&dist, &lfe_path),
        Some(Command::Repl { dist, .. }) => shell::run(None, &dist),
        Some(Command::Lfe { dist, lfe_path }) => lfe_shell::run(&dist, &lfe_path),
        Some(Command::Node {
            dist,
            schedulers,
            script,
        }) => node_cmd::run(&dist, schedulers, script.as_deref()),
        // No arguments at all: as `lua` (a prompt at a terminal, else standard input
        // as a script).
        None => script::run_lua_command(
            luacmd::parse(&[]).expect("no arguments parse"),
            script::Options::default(),
        ),
        Some(Command::Completions { shell }) => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            // Made in memory: clap_complete panics when its writer fails, and
            // `cube-cli completions bash | head` closes the pipe early.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut cmd, "cube-cli", &mut script);
            write_stdout(&script)
        }
        Some(Command::Man { command }) => man_page(&command),
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
            http,
            http_token,
            dist,
        }) => match http.map(|a| dashboard::config(&a, http_token.as_deref())) {
            Some(Err(e)) => {
                eprintln!("cube-cli: {e}");
                2
            }
            dash => sup::supervise(
                &config,
                schedulers,
                script.as_deref(),
                &dist,
                dash.and_then(Result::ok),
            ),
        },
        Some(Command::Tsunami { command }) => tsunami_cmd::run(command),
        Some(Command::Ctl {
            endpoint,
            config,
            json,
            timeout,
            command,
        }) => {
            let target = ctl::Target {
                endpoint,
                config,
                json,
                timeout,
            };
            match command {
                Some(c) => ctl::run(&target, c),
                None => ctl::shell(&target),
            }
        }
    };
    ExitCode::from(code)
}
