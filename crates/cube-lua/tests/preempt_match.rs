//! A long pattern match inside a task is preempted like any Lua code (issue 9: long
//! natives are interruptible): `string.find`, `match`, `gmatch` and `gsub` pause when
//! their search has used up the slice's budget, the task returns `Outcome::Preempted`,
//! and the next `resume` goes on with the search where it stopped.

use cube_lua::{Outcome, State};

fn new_state() -> State {
    let mut st = State::new_bare();
    cube_lua::stdlib::open_libs(&mut st);
    st
}

/// The `n` results a finished task left on the stack top, as `tostring` shows them;
/// popped.
fn results(st: &mut State, n: usize) -> Vec<String> {
    let top = st.top();
    let v = st.cx(|cx| {
        (top - n..top)
            .map(|i| cx.describe(cx.stack_at(i)))
            .collect()
    });
    st.set_top(top - n);
    v
}

/// The error a failed task left on the stack top, as text; popped.
fn error_text(st: &mut State) -> String {
    st.pop_error_message().unwrap_or_default()
}

/// Makes `src` the state's task.
fn start(st: &mut State, src: &str) {
    st.push_chunk(src.as_bytes(), "=task").unwrap();
    st.start_task(0).unwrap();
}

/// Runs `src` as a task in slices of `slice` reductions; returns its results (as text)
/// and how many times it was preempted. Each slice may overrun its budget only by a bounded
/// amount (a pause comes at most a few thousand matcher steps after the budget ran out).
fn run_in_slices(src: &str, slice: i64) -> (Vec<String>, usize) {
    run_with_overrun(src, slice, 1000)
}

/// [`run_in_slices`], allowing slices to overrun by `overrun` reductions.
fn run_with_overrun(src: &str, slice: i64, overrun: i64) -> (Vec<String>, usize) {
    let mut st = new_state();
    start(&mut st, src);
    let mut preempted = 0;
    loop {
        match st.resume(slice) {
            Outcome::Finished(n) => return (results(&mut st, n), preempted),
            Outcome::Preempted => {
                preempted += 1;
                assert!(st.budget > -overrun, "a slice overran by {}", -st.budget);
            }
            Outcome::Blocked => panic!("blocked"),
            Outcome::Error => panic!("task failed: {}", error_text(&mut st)),
        }
    }
}

/// About 2^20 matcher steps (65,536 reductions): the optional items are tried in all
/// their combinations before the one that leaves every `a` to the plain items.
const EXP20: &str =
    r#"local s, p = string.rep("a", 20), string.rep("a?", 20) .. string.rep("a", 20)"#;

#[test]
fn an_exponential_find_is_preempted_and_finishes_right() {
    let (r, preempted) = run_in_slices(&format!("{EXP20} return string.find(s, p)"), 4000);
    assert_eq!(r, ["1", "20"]);
    assert!(preempted >= 10, "preempted only {preempted} times");
}

#[test]
fn match_with_captures_inside_pcall_and_a_coroutine() {
    let src = format!(
        r#"{EXP20}
        local ok, a, b = pcall(string.match, s .. "!", "(" .. p .. ")(.)")
        local co = coroutine.wrap(function() return (s .. "b"):match("()" .. p .. "()b") end)
        local c, d = co()
        return ok, a, b, c, d"#
    );
    let (r, preempted) = run_in_slices(&src, 4000);
    assert_eq!(
        r,
        ["true", &"a".repeat(20), "!", "1", "21"].map(String::from)
    );
    assert!(preempted >= 20, "preempted only {preempted} times");
}

#[test]
fn gmatch_is_preempted_between_and_inside_matches() {
    // Each match costs 2^18 steps; the iterator's position survives the pauses.
    let src = r#"
        local s = (string.rep("a", 18) .. ","):rep(3)
        local p = string.rep("a?", 18) .. string.rep("a", 18)
        local out = {}
        for m in s:gmatch(p) do out[#out + 1] = #m end
        return table.concat(out, " ")"#;
    let (r, preempted) = run_in_slices(src, 4000);
    assert_eq!(r, ["18 18 18"]);
    assert!(preempted >= 6, "preempted only {preempted} times");
}

#[test]
fn gsub_is_preempted_with_string_and_function_replacements() {
    let src = r#"
        local s = string.rep("a", 18) .. "," .. string.rep("a", 18)
        local p = string.rep("a?", 18) .. string.rep("a", 18)
        local r1, n1 = s:gsub(p, "<%0>")
        local r2, n2 = s:gsub(p, function(m) return #m .. ("x"):rep(2):gsub("x", "y") end)
        local r3, n3 = s:gsub(p, {})
        return r1:gsub("a+", "A"), n1, r2, n2, r3 == s, n3"#;
    let (r, preempted) = run_in_slices(src, 4000);
    assert_eq!(
        r,
        ["<A>,<A>", "2", "18yy,18yy", "2", "true", "2"].map(String::from)
    );
    assert!(preempted >= 12, "preempted only {preempted} times");
}

#[test]
fn a_gsub_of_many_cheap_matches_is_preempted_too() {
    let src = r#"
        local r, n = string.rep("ab", 100000):gsub("a", "c")
        return #r, n, r:sub(1, 6)"#;
    // The copy of the 200 kB result is charged when it is made, past the slice's end.
    let (r, preempted) = run_with_overrun(src, 4000, 4000);
    assert_eq!(r, ["200000", "100000", "cbcbcb"]);
    assert!(preempted >= 10, "preempted only {preempted} times");
}

#[test]
fn searches_that_skip_starts_are_preempted_and_charged() {
    // Each search skips 40,000 starts where the pattern's first item cannot match (a
    // class, a frontier, a class after a capture, a set): each start skipped counts a
    // step, and the skipping stops for a pause at the slice's end like the attempts.
    // (The subject is small enough that making it overruns a slice by less than the
    // bound: `rep` charges it at once.)
    let src = r#"
        local s = (" "):rep(40000) .. "42x"
        local a, b = s:find("%d+")
        local c = s:match("()%f[%w]%w+")
        local r, n = s:gsub("(%a)", "<%1>")
        local words = 0
        for w in s:gmatch("[%w_]+") do words = words + 1 end
        return a, b, c, #r, n, words"#;
    let (r, preempted) = run_in_slices(src, 400);
    assert_eq!(
        r,
        ["40001", "40002", "40001", "40005", "1", "1"].map(String::from)
    );
    // 40,000 steps per search are 2,500 reductions: several slices each.
    assert!(preempted >= 16, "preempted only {preempted} times");
}

#[test]
fn a_match_that_would_take_years_ends_at_an_interrupt_after_one_slice() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let mut st = new_state();
    let flag = Arc::new(AtomicBool::new(false));
    st.set_interrupt(Some(flag.clone()));
    let src =
        r#"return string.find(string.rep("a", 40), string.rep("a?", 40) .. string.rep("a", 40))"#;
    start(&mut st, src);
    for _ in 0..3 {
        assert!(matches!(st.resume(4000), Outcome::Preempted));
    }
    flag.store(true, Ordering::Relaxed);
    match st.resume(4000) {
        Outcome::Error => assert_eq!(error_text(&mut st), "interrupted"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_reduction_limit_still_ends_a_long_match_in_a_task() {
    let mut st = new_state();
    st.reduction_limit_enabled = true;
    let src =
        r#"return string.find(string.rep("a", 40), string.rep("a?", 40) .. string.rep("a", 40))"#;
    start(&mut st, src);
    match st.resume(100_000) {
        Outcome::Error => assert_eq!(error_text(&mut st), "reduction limit exceeded"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_paused_gsub_whose_replacement_needs_a_collection_goes_on_after_it() {
    // The first match is found after pauses, in gsub's continuation; its replacement
    // does not fit until the garbage made before is collected. The continuation runs
    // again after the emergency collection and keeps the match it had found.
    let src = r#"
        collectgarbage("stop")
        local junk = string.rep("j", 4000000)
        junk = nil
        local repl = string.rep("r", 2000000)
        local s = string.rep("a", 18) .. "," .. string.rep("a", 18)
        local p = string.rep("a?", 18) .. string.rep("a", 18)
        local r, n = s:gsub(p, repl)
        return #r, n, r:sub(1999998, 2000003)"#;
    let mut st = new_state();
    st.set_max_heap(Some(8_000_000));
    start(&mut st, src);
    let mut preempted = 0;
    let r = loop {
        match st.resume(4000) {
            Outcome::Finished(n) => break results(&mut st, n),
            Outcome::Preempted => preempted += 1,
            Outcome::Blocked => panic!("blocked"),
            Outcome::Error => panic!("task failed: {}", error_text(&mut st)),
        }
    };
    assert_eq!(r, ["4000001", "2", "rrr,rr"]);
    assert!(preempted >= 8, "preempted only {preempted} times");
}
