//! Debug hooks are ordinary frames: a task with hooks can be preempted anywhere (inside
//! a hook too) and gives the same events as in one slice; a hook is charged like any
//! code, so a reduction limit ends an endless hook; hooks cost nothing once cleared.

use cube_lua::{Outcome, State};

fn new_state() -> State {
    let mut st = State::new_bare();
    cube_lua::stdlib::open_libs(&mut st);
    st
}

/// Runs `src` as a task in slices of `slice` reductions; its results and slice count.
fn run_in_slices(src: &str, slice: i64) -> (Vec<String>, usize) {
    let mut st = new_state();
    st.push_chunk(src.as_bytes(), "=task").unwrap();
    st.start_task(0).unwrap();
    let mut slices = 0;
    loop {
        slices += 1;
        match st.resume(slice) {
            Outcome::Finished(n) => {
                let top = st.top();
                let out = st.cx(|cx| {
                    (top - n..top)
                        .map(|i| cx.describe(cx.stack_at(i)))
                        .collect()
                });
                st.set_top(top - n);
                return (out, slices);
            }
            Outcome::Preempted | Outcome::Blocked => continue,
            Outcome::Error => panic!("task failed: {:?}", st.pop_error_message()),
        }
    }
}

/// A program whose hooks see every kind of event, with work inside the hook (so that
/// small slices end inside hooks), coroutines and errors in hooks.
const EVENTS: &str = r#"
local ev = {}
local function hook(e, l)
  local s = 0
  for i = 1, 20 do s = s + i end   -- work inside the hook
  local info = debug.getinfo(2, "Sl")
  ev[#ev + 1] = e .. ":" .. tostring(l) .. ":" .. info.what .. ":" .. info.currentline
end
local function add(a, b) return a + b end
local function tail(x) return add(x, 1) end
debug.sethook(hook, "crl", 5)
local x = 0
for i = 1, 30 do x = tail(x) + #tostring(i) end
local co = coroutine.wrap(function(a)
  debug.sethook(hook, "crl")
  local b = coroutine.yield(a + 1)
  return b * 2
end)
co(1); co(2)
debug.sethook()
local fired = false
local ok, err = pcall(function()
  debug.sethook(function(e, l)
    if not fired then fired = true; error("boom " .. l, 0) end
  end, "l")
  local y = 1
  return y
end)
debug.sethook()
return table.concat(ev, " "), x, tostring(ok) .. " " .. err
"#;

#[test]
fn hooks_give_the_same_events_in_any_slices() {
    let (whole, n) = run_in_slices(EVENTS, i64::MAX / 4);
    assert_eq!(n, 1);
    assert!(whole[0].contains("tail call:nil:Lua"), "{}", whole[0]);
    assert!(whole[0].contains("count:nil:Lua"), "{}", whole[0]);
    assert!(whole[2].starts_with("false boom"), "{}", whole[2]);
    for slice in [1, 2, 3, 7, 50, 333] {
        let (sliced, n) = run_in_slices(EVENTS, slice);
        assert!(n > 1, "slice {slice} never preempted");
        assert_eq!(sliced, whole, "slice {slice}");
    }
}

#[test]
fn an_endless_hook_ends_at_the_reduction_limit() {
    let mut st = new_state();
    st.reduction_limit_enabled = true;
    st.budget = 100_000;
    st.push_chunk(
        b"debug.sethook(function() while true do end end, 'l')\nlocal a = 1",
        "=spin",
    )
    .unwrap();
    assert!(st.pcall(0, 0).is_err());
    assert_eq!(
        st.pop_error_message().as_deref(),
        Some("reduction limit exceeded")
    );
}

#[test]
fn a_hook_counts_instructions_of_lua_code_only_when_set() {
    let (r, _) = run_in_slices(
        r#"
        local n = 0
        debug.sethook(function() n = n + 1 end, "", 1)
        for i = 1, 100 do end
        debug.sethook()
        local before = n
        for i = 1, 100 do end
        return n - before, n > 100
        "#,
        i64::MAX / 4,
    );
    assert_eq!(r, vec!["0".to_string(), "true".to_string()]);
}
