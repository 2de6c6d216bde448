//! Coroutine switches (resume, yield, wrap) inside a task: each is charged to the
//! budget, a task that does nothing but switch is preempted and resumes where it
//! stopped, and values kept alive across switches count against the heap limit.

use cube_lua::{Outcome, State};

fn new_state() -> State {
    let mut st = State::new_bare();
    cube_lua::stdlib::open_libs(&mut st);
    st
}

fn start(st: &mut State, src: &str) {
    st.push_chunk(src.as_bytes(), "=task").unwrap();
    st.start_task(0).unwrap();
}

/// The single result a finished task left on the stack, as text; popped.
fn result(st: &mut State, n: usize) -> String {
    assert_eq!(n, 1, "one result");
    let top = st.top();
    let v = st.cx(|cx| cx.describe(cx.stack_at(top - 1)));
    st.set_top(top - 1);
    v
}

/// A generator and a two-way accumulator: 3 * 20,000 switches and no other loop body.
const PING_PONG: &str = r#"
    local gen = coroutine.wrap(function()
        local i = 0
        while true do i = i + 1; coroutine.yield(i) end
    end)
    local acc = coroutine.create(function(v)
        local s = 0
        while true do s = s + v; v = coroutine.yield(s) end
    end)
    local last, ok, s
    for _ = 1, 20000 do
        last = gen()
        ok, s = coroutine.resume(acc, last)
    end
    return last .. " " .. s
"#;

#[test]
fn switching_coroutines_is_preempted_and_finishes_right() {
    let mut st = new_state();
    start(&mut st, PING_PONG);
    let mut preempted = 0;
    loop {
        match st.resume(2000) {
            Outcome::Finished(n) => {
                assert_eq!(result(&mut st, n), "20000 200010000");
                break;
            }
            Outcome::Preempted => {
                preempted += 1;
                assert!(st.budget > -1000, "a slice overran by {}", -st.budget);
            }
            Outcome::Blocked => panic!("blocked"),
            Outcome::Error => panic!("task failed: {:?}", st.pop_error_message()),
        }
    }
    // Every resume and yield is a native call, charged: at least 4 reductions per
    // iteration (two resumes, two yields).
    assert!(
        preempted >= 4 * 20000 / 2000,
        "preempted only {preempted} times"
    );
}

#[test]
fn switching_coroutines_uses_reductions() {
    let mut st = new_state();
    start(&mut st, PING_PONG);
    let budget = 1_000_000_000;
    match st.resume(budget) {
        Outcome::Finished(n) => assert_eq!(result(&mut st, n), "20000 200010000"),
        _ => panic!("not finished in one slice"),
    }
    let used = budget - st.budget;
    assert!(used >= 4 * 20000, "only {used} reductions used");
}

#[test]
fn values_kept_across_switches_count_against_the_heap_limit() {
    let mut st = new_state();
    st.set_max_heap(Some(4 << 20));
    start(
        &mut st,
        r#"
        local keep = {}
        local gen = coroutine.wrap(function()
            while true do coroutine.yield({ string.rep("x", 100) .. #keep }) end
        end)
        while true do keep[#keep + 1] = gen() end
        "#,
    );
    let mut slices = 0;
    loop {
        slices += 1;
        assert!(slices < 100_000, "never stopped");
        match st.resume(10_000) {
            Outcome::Preempted => continue,
            Outcome::Error => {
                let msg = st.pop_error_message().unwrap_or_default();
                assert!(msg.contains("heap limit exceeded"), "{msg}");
                break;
            }
            Outcome::Finished(_) => panic!("an endless loop finished"),
            Outcome::Blocked => panic!("blocked"),
        }
    }
}
