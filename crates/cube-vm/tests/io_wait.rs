//! `cube_vm::io_wait` without any I/O library: a native that waits for a flag another
//! thread sets, the way cube-zmq waits for a socket.

use cube_lua::{Args, LResult, Ret, State, Value};
use cube_vm::io_wait;
use cube_vm::{ExitReason, Node};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

static FLAG: AtomicBool = AtomicBool::new(false);
static WAITER: Mutex<Option<io_wait::Waker>> = Mutex::new(None);

/// `wait_flag([timeout_ms])`: true once FLAG is set, false after the timeout.
fn wait_flag(st: &mut State, a: Args) -> LResult<Ret> {
    let retry = io_wait::take_retry(st);
    if FLAG.load(Ordering::SeqCst) {
        st.push(Value::Bool(true));
        return Ok(Ret::Values(1));
    }
    let deadline = match retry {
        Some(r) if r.expired() => {
            st.push(Value::Bool(false));
            return Ok(Ret::Values(1));
        }
        Some(r) => r.deadline,
        None => match st.arg(a, 1) {
            Value::Num(ms) => Some(Instant::now() + Duration::from_millis(ms as u64)),
            _ => None,
        },
    };
    let waker = io_wait::block(st, deadline).expect("a process");
    *WAITER.lock().unwrap() = Some(waker);
    // Set after publishing the waker: a flag set meanwhile is seen by the re-run.
    if FLAG.load(Ordering::SeqCst) {
        WAITER.lock().unwrap().take().unwrap().wake();
    }
    Ok(Ret::Block)
}

fn wake_later(ms: u64) {
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(ms));
        FLAG.store(true, Ordering::SeqCst);
        if let Some(w) = WAITER.lock().unwrap().take() {
            w.wake();
        }
    });
}

fn run(src: &str) -> ExitReason {
    let node = Node::start(1, |st| {
        cube_lua::stdlib::open_libs(st);
        let f = st.new_native("wait_flag", wait_flag, vec![]);
        st.set_global("wait_flag", f);
    });
    let src = src.to_string();
    let pid = node
        .spawn_main(move |st| {
            Ok((
                st.load_chunk(src.as_bytes(), "=t").map_err(|e| e.message)?,
                vec![],
            ))
        })
        .unwrap();
    node.wait(pid)
}

// One test, so the statics are not shared between threads of the test harness.
#[test]
fn a_process_waits_for_an_outside_wake_up_only() {
    FLAG.store(false, Ordering::SeqCst);
    // A deadline ends the wait.
    assert_eq!(run("assert(wait_flag(30) == false)"), ExitReason::Normal);
    // Mailbox messages do not wake the waiter; the outside wake-up does; the
    // messages are still queued, in order; the scheduler stayed free meanwhile.
    wake_later(200);
    let r = run(r#"
        local me = process.self()
        local w = process.spawn(function(me)
            local ok = wait_flag()
            process.send(me, {ok = ok, first = process.receive(0)})
        end, me)
        process.sleep(20)
        local r0 = process.info(w).reductions
        for i = 1, 50 do process.send(w, i) end
        process.sleep(50)
        local info = process.info(w)
        assert(info.status == "waiting" and info.reductions == r0, "woken by messages")
        local m = process.receive(5000)
        assert(m.ok == true and m.first == 1)
    "#);
    assert_eq!(r, ExitReason::Normal);
    // A kill ends a waiting process.
    FLAG.store(false, Ordering::SeqCst);
    let r = run(r#"
        local w = process.spawn(function() wait_flag() end)
        process.sleep(10)
        process.monitor(w)
        process.exit(w, "kill")
        local down = process.receive(1000)
        assert(down and down.reason == "killed")
    "#);
    assert_eq!(r, ExitReason::Normal);
}
