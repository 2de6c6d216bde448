//! Running scripts and code strings to completion.

use cube_lua::host::{Cx, Val};
use cube_lua::State;

/// How a script's node runs.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Scheduler threads; 0 for one per core.
    pub schedulers: usize,
    /// Print the node's counters at exit.
    pub stats: bool,
    pub max_heap: Option<usize>,
    pub max_reductions: Option<u64>,
    pub sandbox: bool,
    /// `--sname`/`--name`/`--cookie`: a distributed node (`dist/`).
    pub dist: crate::dist::Flags,
    /// `run --observer`: the dashboard's observer page while the script runs.
    pub observer: Option<crate::dashboard::Config>,
}

/// Opens the standard libraries, `torch`, `tsunami`, `json` and `lfe`, minus what untrusted code must
/// not have in a sandbox (`torch` stays, without `torch.save`/`torch.load`).
fn setup_state(st: &mut State, sandbox: bool) {
    cube_lua::stdlib::open_libs(st);
    let torch_access = if sandbox {
        cube_torch::Access::NoFiles
    } else {
        cube_torch::Access::Full
    };
    cube_torch::open(st, torch_access);
    cube_tsunami::lua::open(st);
    // JSON touches no files or sockets: it stays in a sandbox (unlike `http`).
    cube_http::json::open(st);
    if !sandbox {
        // Not in a sandbox: LFE code loads modules from files.
        crate::lfe::open_lua(st);
        return;
    }
    st.binary_chunks_allowed = false;
    st.cx(|cx| {
        for name in ["io", "require", "dofile", "loadfile", "package", "debug"] {
            cx.set_global(name, Val::Nil);
        }
        if let Val::Table(os) = cx.get_global("os") {
            for name in ["execute", "exit", "remove", "rename", "tmpname", "getenv"] {
                cx.set_field(os, name, Val::Nil);
            }
        }
        let loaded = cx.loaded_table();
        for name in ["io", "package", "debug"] {
            cx.set_field(loaded, name, Val::Nil);
        }
    });
}

pub fn print_stats(node: &cube_vm::Node) {
    let s = node.stats();
    eprintln!(
        "cube-cli stats: processes spawned {}, messages sent {}, reductions {}, peak processes {}",
        s.spawned, s.messages, s.reductions, s.peak_processes
    );
}

/// A node as the command line makes it: the standard libraries, `zmq` and `http` in every
/// process (not under `--sandbox`), the limits of `opts`, and distribution when its
/// flags ask for it (stopped when the returned `Running` is dropped).
pub fn start_node(opts: &Options) -> Result<(cube_vm::Node, Option<crate::dist::Running>), String> {
    let sandbox = opts.sandbox;
    let zmq = cube_zmq::Zmq::new()?;
    let http = cube_http::Http::new()?;
    let node = cube_vm::Node::start(opts.schedulers, move |st| {
        setup_state(st, sandbox);
        // Untrusted code gets no network, as it gets no files.
        if !sandbox {
            zmq.open(st);
            http.open(st);
        }
    });
    node.set_default_limits(cube_vm::Limits {
        max_heap: opts.max_heap,
        max_reductions: opts.max_reductions,
    });
    let dist = crate::dist::start(&node, &opts.dist)?;
    Ok((node, dist))
}

/// A traceback without the frames of the lua command's driver (`luacmd::DRIVER`),
/// which lua.c, running the same steps from C, does not have.
fn without_driver(traceback: &str) -> String {
    traceback
        .lines()
        .filter(|l| !l.trim_start().starts_with("(driver):"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The exit status for how the first process ended, reporting an error as `lua` does.
pub fn report_exit(reason: cube_vm::ExitReason) -> u8 {
    match reason {
        cube_vm::ExitReason::Normal => 0,
        cube_vm::ExitReason::Error { message, traceback } => {
            if let Some(m) = message {
                match traceback {
                    Some(t) => eprintln!("cube-cli: {m}\n{}", without_driver(&t)),
                    None => eprintln!("cube-cli: {m}"),
                }
            }
            1
        }
        cube_vm::ExitReason::Term(t) => {
            eprintln!("cube-cli: {}", cube_vm::engine::term_text(&t));
            1
        }
    }
}

/// Runs `load` (which pushes the main function and its arguments in the first
/// process's state, and returns how many arguments) as the node's first process, and
/// waits for it: the node ends when it ends, with exit status 0, or 1 after an uncaught
/// error reported as `lua` does.
fn run_node(opts: Options, load: impl FnOnce(&mut State) -> Result<usize, String>) -> u8 {
    let (node, _dist) = match start_node(&opts) {
        Ok(n) => n,
        Err(msg) => {
            eprintln!("cube-cli: {msg}");
            return 1;
        }
    };
    // The observer's hub first, so that it sees the script from its first step.
    let _observer = match &opts.observer {
        Some(cfg) => match crate::dashboard::start(
            &node.handle(),
            cfg,
            crate::dashboard::Mode::Observer,
            None,
        ) {
            Ok(r) => Some(r),
            Err(msg) => {
                eprintln!("cube-cli: {msg}");
                return 1;
            }
        },
        None => None,
    };
    let pid = match node.spawn_main(load) {
        Ok(pid) => pid,
        Err(msg) => {
            eprintln!("cube-cli: {msg}");
            return 1;
        }
    };
    let reason = node.wait(pid);
    node.flush_stdout();
    if opts.stats {
        print_stats(&node);
    }
    report_exit(reason)
}

pub fn run_file(file: &str, args: &[String], opts: Options) -> u8 {
    run_node(opts, load_file(file, args))
}

/// What `run FILE ARGS...` runs as the first process: the file (`-` is standard
/// input) with `arg` and `...` as `lua` sets them.
pub fn load_file(
    file: &str,
    args: &[String],
) -> impl FnOnce(&mut State) -> Result<usize, String> + use<> {
    let file = file.to_string();
    let args = args.to_vec();
    move |st| {
        let src = if file == "-" {
            let mut src = Vec::new();
            let _ = std::io::Read::read_to_end(&mut std::io::stdin(), &mut src);
            src
        } else {
            cube_lua::stdlib::base::read_source_file(&file)?
        };
        let name = if file == "-" {
            "=stdin".to_string()
        } else {
            format!("@{file}")
        };
        // arg[0] = script, arg[1..] = arguments, arg[-1] = interpreter.
        st.cx(|cx: &mut Cx<'_>| {
            let argt = cx.new_table();
            let interp = cx.new_str(b"cube-cli");
            cx.raw_set_int(argt, -1, interp);
            let script = cx.new_str(file.as_bytes());
            cx.raw_set_int(argt, 0, script);
            for (i, a) in args.iter().enumerate() {
                let v = cx.new_str(a.as_bytes());
                cx.raw_set_int(argt, i as i64 + 1, v);
            }
            cx.set_global("arg", Val::Table(argt));
        });
        st.push_chunk(&src, &name).map_err(|e| e.message)?;
        st.cx(|cx| {
            for a in &args {
                cx.push_str(a.as_bytes());
            }
        });
        Ok(args.len())
    }
}

/// `eval CODE ARGS...`: the code as a chunk named `(command line)`, ARGS as its `...`.
pub fn run_eval(code: &str, args: &[String], opts: Options) -> u8 {
    let code = code.to_string();
    let args = args.to_vec();
    run_node(opts, move |st| {
        st.push_chunk(code.as_bytes(), "=(command line)")
            .map_err(|e| e.message)?;
        if st.cx(|cx| cx.check_stack(args.len() + 1).is_err()) {
            return Err("too many arguments".into());
        }
        st.cx(|cx| {
            for a in &args {
                cx.push_str(a.as_bytes());
            }
        });
        Ok(args.len())
    })
}

/// `cube-cli [options] [script [args]]`: the `lua` command (see `luacmd.rs`), in lua.c's
/// order: `-v` prints the version; the init variable, `-e`/`-l` and the script run in one
/// state; `-i` then opens the prompt on that state. With neither a script nor `-e` nor
/// `-v`, a terminal gets the prompt and anything else is run as a script.
pub fn run_lua_command(inv: crate::luacmd::Invocation, opts: Options) -> u8 {
    use crate::luacmd::{init_step, push_driver, Script};
    use std::io::IsTerminal;
    if inv.version {
        println!("{}", crate::luacmd::VERSION_LINE);
    }
    let init = init_step(inv.ignore_env);
    if inv.interactive {
        return crate::shell::run(Some((&inv, init)), &opts.dist);
    }
    let mut inv = inv;
    if inv.script == Script::None && !inv.has_e && !inv.version {
        if std::io::stdin().is_terminal() {
            return crate::shell::run(None, &opts.dist);
        }
        // lua.c's `dofile(L, NULL)`: standard input as a script, with no `arg`.
        inv.steps.push(crate::luacmd::Step::Stdin);
    }
    run_node(opts, move |st| push_driver(st, &inv, init))
}
