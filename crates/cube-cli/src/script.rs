//! Running scripts and code strings to completion.

use cube_lua::host::{Cx, Val};
use cube_lua::State;

/// A state with the standard libraries, as the `lua` command makes it.
pub fn new_state() -> State {
    let mut st = State::new_bare();
    cube_lua::stdlib::open_libs(&mut st);
    st.traceback_on_error = true;
    st.host_frame_in_traceback = true;
    st
}

/// Text of the error value on the stack top (popped), as `lua.c`'s (5.2) message
/// handler produces it: strings and numbers get a traceback; other values are shown
/// through `__tostring` or as "(no error message)"; `nil` shows nothing.
pub fn error_text(st: &mut State) -> Option<String> {
    let traceback = st.take_last_traceback();
    let top = st.top();
    let plain = st.cx(|cx| matches!(cx.stack_at(top - 1), Val::Str(_) | Val::Num(_)));
    let text = st.pop_error_message()?;
    Some(match traceback {
        Some(t) if plain => format!("{text}\n{t}"),
        _ => text,
    })
}

/// How a script's node runs.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Scheduler threads; 0 for one per core.
    pub schedulers: usize,
    /// Print the node's counters at exit.
    pub stats: bool,
    pub max_heap: Option<usize>,
    pub max_reductions: Option<u64>,
    pub sandbox: bool,
}

/// Opens the standard libraries and `torch`, minus what untrusted code must not have in
/// a sandbox (`torch` stays, without `torch.save`/`torch.load`).
fn setup_state(st: &mut State, sandbox: bool) {
    cube_lua::stdlib::open_libs(st);
    let torch_access = if sandbox {
        cube_torch::Access::NoFiles
    } else {
        cube_torch::Access::Full
    };
    cube_torch::open(st, torch_access);
    if !sandbox {
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

fn print_stats(node: &cube_vm::Node) {
    let s = node.stats();
    eprintln!(
        "cube-cli stats: processes spawned {}, messages sent {}, reductions {}, peak processes {}",
        s.spawned, s.messages, s.reductions, s.peak_processes
    );
}

/// Runs `load` (which pushes the main function and its arguments in the first
/// process's state, and returns how many arguments) as the node's first process, and waits for it: the node ends when it
/// ends, with exit status 0, or 1 after an uncaught error reported as `lua` does.
fn run_node(opts: Options, load: impl FnOnce(&mut State) -> Result<usize, String>) -> u8 {
    let sandbox = opts.sandbox;
    let zmq = match cube_zmq::Zmq::new() {
        Ok(z) => z,
        Err(msg) => {
            eprintln!("cube-cli: {msg}");
            return 1;
        }
    };
    let node = cube_vm::Node::start(opts.schedulers, move |st| {
        setup_state(st, sandbox);
        // Untrusted code gets no network, as it gets no files.
        if !sandbox {
            zmq.open(st);
        }
    });
    node.set_default_limits(cube_vm::Limits {
        max_heap: opts.max_heap,
        max_reductions: opts.max_reductions,
    });
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
    match reason {
        cube_vm::ExitReason::Normal => 0,
        cube_vm::ExitReason::Error { message, traceback } => {
            if let Some(m) = message {
                match traceback {
                    Some(t) => eprintln!("cube-cli: {m}\n{t}"),
                    None => eprintln!("cube-cli: {m}"),
                }
            }
            1
        }
    }
}

pub fn run_file(file: &str, args: &[String], opts: Options) -> u8 {
    let file = file.to_string();
    let args = args.to_vec();
    run_node(opts, move |st| {
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
    })
}

pub fn run_eval(code: &str, opts: Options) -> u8 {
    let code = code.to_string();
    run_node(opts, move |st| {
        st.push_chunk(code.as_bytes(), "=(command line)")
            .map_err(|e| e.message)?;
        Ok(0)
    })
}
