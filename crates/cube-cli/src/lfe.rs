//! `cube-cli run prog.lfe`: an LFE script as the first process of a node
//! (cube-lfe's `process.rs`), so the processes it spawns run on the node's schedulers
//! beside Lua's. Output, the exit status (0, or `lfe`'s 127 after an uncaught
//! exception, reported on stderr as `lfe` reports it) and the module search path (the
//! script's directory, `LFE_PATH`, `--pa`) are those of `lfe prog.lfe`.

use crate::script::{start_node, Options};

/// Runs `file` with `args`; returns the exit status.
pub fn run_file(file: &str, args: &[String], lfe_path: &[std::path::PathBuf], opts: Options) -> u8 {
    let source = match std::fs::read(file) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => {
            eprintln!("lfe: cannot read {file}: {e}");
            return cube_lfe::script::ERROR_STATUS as u8;
        }
    };
    let dir = std::path::Path::new(file)
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let mut path = vec![dir.to_path_buf()];
    path.extend(cube_lfe::module::path_from_env());
    path.extend(lfe_path.iter().cloned());
    let (node, _dist) = match start_node(&opts) {
        Ok(n) => n,
        Err(msg) => {
            eprintln!("cube-cli: {msg}");
            return 1;
        }
    };
    let out = Box::new(node.stdout());
    let world = cube_lfe::process::World::new(out, path);
    let main = cube_lfe::process::LfeProcess::script(world, source, file, args);
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
        // The script's own report is on stderr already (`LfeProcess::script`).
        _ => cube_lfe::script::ERROR_STATUS as u8,
    }
}
