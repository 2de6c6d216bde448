//! `cube_vm::io_wait` without any I/O library: a native that waits for a flag another
//! thread sets, the way cube-zmq waits for a socket.

use cube_lua::host::{Args, Cx, HostResult, Ret, Val};
use cube_vm::io_wait;
use cube_vm::{ExitReason, Node};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

static FLAG: AtomicBool = AtomicBool::new(false);
static WAITER: Mutex<Option<io_wait::Waker>> = Mutex::new(None);

/// `wait_flag([timeout_ms])`: true once FLAG is set, false after the timeout.
fn wait_flag<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let retry = io_wait::take_retry(cx);
    if FLAG.load(Ordering::SeqCst) {
        cx.push(Val::Bool(true));
        return Ok(Ret::Values(1));
    }
    let deadline = match retry {
        Some(r) if r.expired() => {
            cx.push(Val::Bool(false));
            return Ok(Ret::Values(1));
        }
        Some(r) => r.deadline,
        None => match cx.arg(a, 1) {
            Val::Num(ms) => Some(Instant::now() + Duration::from_millis(ms as u64)),
            _ => None,
        },
    };
    let waker = io_wait::block(cx, deadline).expect("a process");
    *WAITER.lock().unwrap() = Some(waker);
    // Set after publishing the waker: a flag set meanwhile is seen by the re-run.
    if FLAG.load(Ordering::SeqCst) {
        WAITER.lock().unwrap().take().unwrap().wake();
    }
    Ok(Ret::Block)
}

/// `wake_later(ms)`: sets FLAG and wakes the waiter `ms` milliseconds from now, from
/// another thread.
fn wake_later_native<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let ms = cx.check_integer(a, 1)?;
    wake_later(ms.max(0) as u64);
    Ok(Ret::Values(0))
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
        st.cx(|cx| {
            let g = cx.globals();
            cx.register(
                g,
                &[("wait_flag", wait_flag), ("wake_later", wake_later_native)],
            );
        });
    });
    let src = src.to_string();
    let pid = node
        .spawn_main(move |st| {
            st.push_chunk(src.as_bytes(), "=t").map_err(|e| e.message)?;
            Ok(0)
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
    // messages are still queued, in order; the scheduler stayed free meanwhile. (The
    // wake-up is armed once the checks are done, so a slow machine cannot fire it early.)
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
        wake_later(10)
        local m = process.receive(5000)
        assert(m.ok == true and m.first == 1)
    "#);
    assert_eq!(r, ExitReason::Normal);
    // An interrupt (the shell's Ctrl-C) ends the wait with a catchable error, and the
    // next wait starts afresh (its own timeout, not a re-run of the abandoned one).
    FLAG.store(false, Ordering::SeqCst);
    let node = Node::start(1, |st| {
        cube_lua::stdlib::open_libs(st);
        st.cx(|cx| {
            let g = cx.globals();
            cx.register(g, &[("wait_flag", wait_flag)]);
        });
    });
    let pid = node
        .spawn_main(|st| {
            let src = r#"
                local ok, e = pcall(wait_flag)
                assert(not ok and tostring(e):find("interrupted!"), tostring(e))
                assert(wait_flag(20) == false)
            "#;
            st.push_chunk(src.as_bytes(), "=t").map_err(|e| e.message)?;
            Ok(0)
        })
        .unwrap();
    std::thread::sleep(Duration::from_millis(100));
    assert!(node.handle().interrupt(pid));
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(node.wait(pid)));
    let r = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("the interrupt did not end the I/O wait");
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
