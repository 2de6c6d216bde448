//! `cube-cli run prog.lfe`: an LFE script as the first process of a node
//! (cube-lfe's `process.rs`), so the processes it spawns run on the node's schedulers
//! beside Lua's. Output, the exit status (0, or `lfe`'s 127 after an uncaught
//! exception, reported on stderr as `lfe` reports it) and the module search path (the
//! script's directory, `LFE_PATH`, `--pa`) are those of `lfe prog.lfe`.
//!
//! Also the Lua `lfe` library ([`open_lua`]): Lua processes start LFE processes.

use crate::script::{start_node, Options};
use cube_lfe::process::{LfeProcess, World};
use cube_lua::host::{Cx, HostFn, HostResult, Ret, Val};
use cube_lua::{Args, State};
use std::sync::{Arc, OnceLock};

/// Runs `file` with `args`; returns the exit status.
pub fn run_file(file: &str, args: &[String], lfe_path: &[std::path::PathBuf], opts: Options) -> u8 {
    let source = match std::fs::read(file) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => {
            eprintln!("lfe: cannot read {file}: {e}");
            return cube_lfe::script::ERROR_STATUS as u8;
        }
    };
    let path = set_path(file, lfe_path);
    let (node, _dist) = match start_node(&opts) {
        Ok(n) => n,
        Err(msg) => {
            eprintln!("cube-cli: {msg}");
            return 1;
        }
    };
    let out = Box::new(node.stdout());
    let world = WORLD.get_or_init(|| World::new(out, path)).clone();
    let main = LfeProcess::script(world, source, file, args);
    let pid = match node.spawn_main_engine(Box::new(main)) {
        Ok(pid) => pid,
        Err(msg) => {
            eprintln!("cube-cli: {msg}");
            return 1;
        }
    };
    let reason = node.wait(pid);
    node.flush_stdout();
    if opts.stats {
        crate::script::print_stats(&node);
    }
    match reason {
        cube_vm::ExitReason::Normal => 0,
        // The runtime ended it (a limit, a kill): say why, as for a Lua script.
        cube_vm::ExitReason::Error { message, .. } => {
            eprintln!("cube-cli: {}", message.as_deref().unwrap_or("nil"));
            cube_lfe::script::ERROR_STATUS as u8
        }
        // An uncaught exception: the script's report is on stderr already
        // (`LfeProcess::script`).
        cube_vm::ExitReason::Term(_) => cube_lfe::script::ERROR_STATUS as u8,
    }
}

/// The node's LFE world (`cube_lfe::process::World`): made by the first LFE process
/// of the program (its main script, or the first `lfe.spawn` of a Lua process), shared
/// by all the others. One per OS process: the command line runs one node.
static WORLD: OnceLock<Arc<World>> = OnceLock::new();

/// The node's LFE world, made now with output to `out` and modules from `path` if no
/// LFE process made it yet (the LFE shell's, `lfe_shell.rs`).
pub(crate) fn world(
    out: Box<dyn std::io::Write + Send>,
    path: Vec<std::path::PathBuf>,
) -> Arc<World> {
    WORLD.get_or_init(|| World::new(out, path)).clone()
}

/// The module search path of the program's LFE code (set by `run` before the node
/// starts: the script's directory, `LFE_PATH`, `--pa`).
static PATH: OnceLock<Vec<std::path::PathBuf>> = OnceLock::new();

/// Sets where LFE modules are looked for (the first call wins).
pub fn set_path(script: &str, lfe_path: &[std::path::PathBuf]) -> Vec<std::path::PathBuf> {
    let dir = std::path::Path::new(script)
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let mut path = vec![dir.to_path_buf()];
    path.extend(cube_lfe::module::path_from_env());
    path.extend(lfe_path.iter().cloned());
    PATH.get_or_init(|| path).clone()
}

/// The Lua `lfe` library (in every process of a node the command line starts):
/// `lfe.spawn(module, fun, ...)` and `lfe.spawn_link(module, fun, ...)` start an LFE
/// process calling `module:fun(...)` (the module loaded from the search path), the
/// arguments crossing as messages do (DESIGN.md, "Erlang terms at the Lua boundary"),
/// and return its pid.
pub fn open_lua(st: &mut State) {
    st.cx(|cx| {
        let lib = cx.new_table();
        let funcs: &[(&'static str, HostFn)] = &[("spawn", spawn), ("spawn_link", spawn_link)];
        cx.register(lib, funcs);
        cx.set_global("lfe", Val::Table(lib));
        let loaded = cx.loaded_table();
        cx.set_field(loaded, "lfe", Val::Table(lib));
    });
}

fn spawn<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    spawn_impl(cx, a, false)
}

fn spawn_link<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    spawn_impl(cx, a, true)
}

fn spawn_impl<'n>(cx: &mut Cx<'n>, a: Args, link: bool) -> HostResult<'n, Ret> {
    let module = cx.check_str(a, 1)?.to_str_lossy().into_owned();
    let fun = cx.check_str(a, 2)?.to_str_lossy().into_owned();
    let mut args = Vec::new();
    for i in 3..=a.len {
        let v = cx.arg(a, i);
        match cube_vm::to_term(cx, v) {
            Ok(t) => args.push(t),
            Err(e) => return Err(cx.rt_error(&e)),
        }
    }
    let world = match WORLD.get() {
        Some(w) => w.clone(),
        None => {
            let Some(out) = cube_vm::node_stdout(cx) else {
                return Err(cx.rt_error("lfe.spawn: not in a process"));
            };
            let path = PATH.get().cloned().unwrap_or_else(|| set_path("x", &[]));
            WORLD
                .get_or_init(|| World::new(Box::new(out), path))
                .clone()
        }
    };
    let body = LfeProcess::call(world, &module, &fun, args);
    match cube_vm::spawn_engine(cx, Box::new(body), link) {
        Ok(pid) => {
            let v = cube_vm::from_term(cx, &cube_term::Term::Pid(pid));
            cx.push(v);
            Ok(Ret::Values(1))
        }
        Err(e) => Err(cx.rt_error(&format!("lfe.spawn: {e}"))),
    }
}
