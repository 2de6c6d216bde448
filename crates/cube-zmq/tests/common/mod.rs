//! Shared by the zmq tests: run a Lua program as the first process of a node that has
//! the `zmq` library, with a deadline so nothing can hang.

use cube_vm::{ExitReason, Node};
use std::time::Duration;

/// Runs `src` with `schedulers` threads; panics if it has not ended within `secs`.
pub fn run_with(schedulers: usize, secs: u64, src: &str) -> ExitReason {
    let src = src.to_string();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let zmq = cube_zmq::Zmq::new().expect("zmq runtime");
        let node = Node::start(schedulers, move |st| {
            cube_lua::stdlib::open_libs(st);
            zmq.open(st);
        });
        let pid = node
            .spawn_main(move |st| {
                st.push_chunk(src.as_bytes(), "=test")
                    .map_err(|e| e.message)?;
                Ok(0)
            })
            .expect("spawn");
        let r = node.wait(pid);
        node.flush_stdout();
        let _ = tx.send(r);
    });
    match rx.recv_timeout(Duration::from_secs(secs)) {
        Ok(r) => r,
        Err(_) => panic!("the Lua program did not end within {secs} s"),
    }
}

/// Runs `src` with one and with two schedulers; it must end normally both times.
#[allow(dead_code)]
pub fn ok(src: &str) {
    for schedulers in [1, 2] {
        let r = run_with(schedulers, 30, src);
        assert_eq!(r, ExitReason::Normal, "with {schedulers} schedulers");
    }
}

/// The error message a program ended with.
#[allow(dead_code)]
pub fn error_of(src: &str) -> String {
    match run_with(2, 30, src) {
        ExitReason::Error { message, .. } => message.unwrap_or_default(),
        ExitReason::Normal => panic!("the program ended normally"),
        ExitReason::Term(t) => cube_vm::engine::term_text(&t),
    }
}
