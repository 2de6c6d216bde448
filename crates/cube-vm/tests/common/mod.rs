//! Shared by the process tests: run a Lua program as the first process of a node.

use cube_term::Pid;
use cube_vm::{ExitReason, Limits, Node};

/// Starts a node with `schedulers` threads and `limits` as its default limits, running
/// `src` as its first process.
#[allow(dead_code)]
pub fn start(schedulers: usize, limits: Limits, src: &str) -> (Node, Pid) {
    let node = Node::start(schedulers, cube_lua::stdlib::open_libs);
    node.set_default_limits(limits);
    let src = src.to_string();
    let pid = node
        .spawn_main(move |st| {
            st.push_chunk(src.as_bytes(), "=test")
                .map_err(|e| e.message)?;
            Ok(0)
        })
        .expect("spawn");
    (node, pid)
}

/// Runs `src` as the first process of a node with `schedulers` threads; returns how it
/// ended.
#[allow(dead_code)]
pub fn run_with(schedulers: usize, src: &str) -> ExitReason {
    let (node, pid) = start(schedulers, Limits::default(), src);
    node.wait(pid)
}

/// Runs `src` with one and with two schedulers; it must end normally both times.
#[allow(dead_code)]
pub fn ok(src: &str) {
    for schedulers in [1, 2] {
        let r = run_with(schedulers, src);
        assert_eq!(r, ExitReason::Normal, "with {schedulers} schedulers");
    }
}

/// Runs `prelude` followed by `src` with one and with two schedulers; it must end
/// normally both times.
#[allow(dead_code)]
pub fn ok_with(prelude: &str, src: &str) {
    ok(&format!("{prelude}\n{src}"));
}
