//! `cube-cli node --sname NAME [--script FILE]`: a distributed node that stays up until
//! SIGTERM or SIGINT, for clusters (issue 12). Unlike `run`, the script's end does not
//! end the node: the script starts servers (registers processes, links, supervisors)
//! and the node keeps them for the other nodes.
//!
//! The node says `cube-cli: node NAME up` on stderr once it is registered and the script
//! started, which is what a script or a test waiting for it reads.

use crate::dist;
use crate::script::{self, Options};
use std::path::Path;
use std::sync::Arc;

/// Runs the node; returns the exit status (0 after a stop signal).
pub fn run(flags: &dist::Flags, schedulers: usize, script_file: Option<&Path>) -> u8 {
    if flags.sname.is_none() && flags.name.is_none() {
        eprintln!("cube-cli node: --sname or --name is required");
        return 2;
    }
    // Before any thread exists, so the stop signals reach only `wait_for_stop`.
    cube_zmq::block_stop_signals();
    let opts = Options {
        schedulers,
        dist: flags.clone(),
        ..Default::default()
    };
    let (node, running) = match script::start_node(&opts) {
        Ok(n) => n,
        Err(msg) => {
            eprintln!("cube-cli: {msg}");
            return 1;
        }
    };
    node.set_stdout_line_buffered(true);
    let script_pid = match script_file {
        Some(f) => match node.spawn_main(script::load_file(&f.to_string_lossy(), &[])) {
            Ok(pid) => Some(pid),
            Err(msg) => {
                eprintln!("cube-cli: {msg}");
                return 1;
            }
        },
        None => None,
    };
    let name = running.as_ref().map(|r| r.name()).unwrap_or_default();
    eprintln!("cube-cli: node {name} up");
    let node = Arc::new(node);
    if let Some(pid) = script_pid {
        let node = node.clone();
        // Reports how the script ended (an uncaught error, as `run` does); the node
        // stays up. (Still waiting at the stop signal, it ends with the program.)
        let _ = std::thread::Builder::new()
            .name("cube-node-script".into())
            .spawn(move || {
                script::report_exit(node.wait(pid));
                node.flush_stdout();
            });
    }
    wait_for_stop();
    node.flush_stdout();
    drop(running);
    0
}

/// Waits for SIGTERM or SIGINT (blocked in every thread by `block_stop_signals`).
fn wait_for_stop() {
    // SAFETY: builds a signal set in a zeroed sigset_t, then waits for one of its
    // signals, which every thread of the process blocks.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGINT);
        libc::sigaddset(&mut set, libc::SIGTERM);
        let mut sig: libc::c_int = 0;
        while libc::sigwait(&set, &mut sig) != 0 {}
    }
}
