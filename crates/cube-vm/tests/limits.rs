//! Issue 9: limits hold against hostile processes (spawn_opt cannot raise them, groups
//! of processes are bounded together, mailboxes and spawn packets count against the
//! receiver), timeouts of any size, kills that reach a running process, exit by name.

mod common;

use common::start;
use cube_vm::{ExitReason, Limits};
use std::time::{Duration, Instant};

const SANDBOX: Limits = Limits {
    max_heap: Some(16_000_000),
    max_reductions: Some(1_000_000),
};

/// Runs `src` as the first process under `limits`; fails the test after `secs`.
fn run(limits: Limits, src: &str, secs: u64) -> ExitReason {
    let (tx, rx) = std::sync::mpsc::channel();
    let src = src.to_string();
    std::thread::spawn(move || {
        for schedulers in [1, 2] {
            let (node, pid) = start(schedulers, limits, &src);
            let r = node.wait(pid);
            if tx.send(r).is_err() {
                return;
            }
        }
    });
    let first = rx
        .recv_timeout(Duration::from_secs(secs))
        .expect("the program did not end in time (1 scheduler)");
    let second = rx
        .recv_timeout(Duration::from_secs(secs))
        .expect("the program did not end in time (2 schedulers)");
    assert_eq!(first, second, "1 and 2 schedulers differ");
    first
}

fn ok(limits: Limits, src: &str) {
    assert_eq!(run(limits, src, 60), ExitReason::Normal);
}

fn err_text(r: &ExitReason) -> String {
    match r {
        ExitReason::Error { message, .. } => message.clone().unwrap_or_default(),
        ExitReason::Normal => "normal".into(),
        ExitReason::Term(t) => cube_vm::engine::term_text(t),
    }
}

const DOWN: &str = r#"
-- Monitor before the signal that ends the process: a monitor set after it has ended
-- gets "noproc", as in Erlang.
local function down(ref, ms)
  local m = process.receive(function(m) return type(m) == "table" and m.ref == ref end, ms or 20000)
  assert(m, "no DOWN in time")
  return m.reason
end
"#;

// ---- item 3: timeouts ----

#[test]
fn huge_timeouts_wait_for_ever_and_never_panic() {
    ok(
        Limits::default(),
        &format!(
            r#"{DOWN}
    local me = process.self()
    -- receive(math.huge) waits until a message comes
    local p = process.spawn(function()
      local m = process.receive(math.huge)
      process.send(me, {{"got", m}})
      local m2 = process.receive(function(x) return x == "two" end, 1e300)
      process.send(me, {{"got", m2}})
    end)
    process.send(p, "one")
    assert(process.receive(5000)[2] == "one")
    process.send(p, "two")
    assert(process.receive(5000)[2] == "two")
    -- sleep(1e300) and sleep(math.huge) sleep until killed
    for _, t in ipairs({{1e300, math.huge, 2^63}}) do
      local s = process.spawn(function() process.sleep(t) process.send(me, "woke") end)
      process.sleep(50)
      process.send(s, "a message does not end the sleep")
      process.sleep(50)
      assert(process.info(s).status == "waiting")
      local ref = process.monitor(s)
      process.exit(s, "kill")
      assert(down(ref) == "killed")
    end
    assert(process.receive(0) == nil)
    "#
        ),
    );
}

#[test]
fn nan_and_negative_timeouts_are_argument_errors() {
    ok(
        Limits::default(),
        r#"
    local function fails(f, want)
      local ok, e = pcall(f)
      assert(not ok, "no error")
      assert(e:find(want, 1, true), e)
    end
    local bad = "timeout must be a non-negative number"
    fails(function() process.receive(0/0) end, "bad argument #1 to 'receive' (" .. bad .. ")")
    fails(function() process.receive(-1) end, "bad argument #1 to 'receive' (" .. bad .. ")")
    fails(function() process.receive(-math.huge) end, "bad argument #1 to 'receive'")
    fails(function() process.receive(function() return true end, 0/0) end,
          "bad argument #2 to 'receive' (" .. bad .. ")")
    fails(function() process.receive(function() return true end, -5) end,
          "bad argument #2 to 'receive'")
    fails(function() process.sleep(0/0) end, "bad argument #1 to 'sleep' (" .. bad .. ")")
    fails(function() process.sleep(-1) end, "bad argument #1 to 'sleep' (" .. bad .. ")")
    -- still fine: 0 polls, fractions wait
    assert(process.receive(0) == nil)
    assert(process.receive(0.5) == nil)
    process.sleep(0)
    process.sleep(1.5)
    "#,
    );
}

// ---- item 4: spawn_opt cannot raise limits; groups are bounded together ----

#[test]
fn spawn_opt_cannot_raise_the_sandbox_limits() {
    // Reductions: the child's busy loop ends at the sandbox's budget (which it shares
    // with the main process, so the whole program ends), not after 2^50.
    let t = Instant::now();
    let r = run(
        SANDBOX,
        r#"
    local p = process.spawn_opt({max_heap = 2^40, max_reductions = 2^50, link = true},
      function() while true do end end)
    process.receive()
    "#,
        60,
    );
    assert_eq!(err_text(&r), "reduction limit exceeded");
    assert!(t.elapsed() < Duration::from_secs(30));
    // Heap: the child asks for 1 TB and gets the node's 16 MB.
    let r = run(
        Limits {
            max_heap: Some(16_000_000),
            max_reductions: None,
        },
        &format!(
            r#"{DOWN}
    process.trap_exit(true)
    local q = process.spawn_opt({{max_heap = 2^40, link = true}}, function()
      local t = {{}}
      for i = 1, 1e7 do t[i] = i end
    end)
    local m = process.receive(20000)
    assert(m and m.tag == "EXIT" and m.pid == q, "no EXIT")
    assert(m.reason == "heap limit exceeded", m.reason)
    "#
        ),
        60,
    );
    assert_eq!(r, ExitReason::Normal);
}

#[test]
fn a_child_gets_no_more_than_its_parent() {
    // No node limits: the parent is limited by spawn_opt; its child asks for nothing
    // (or for more) and is limited all the same.
    ok(
        Limits::default(),
        &format!(
            r#"{DOWN}
    local me = process.self()
    local parent = process.spawn_opt({{max_reductions = 200000}}, function()
      local c1 = process.spawn(function() process.receive() while true do end end)
      local c2 = process.spawn_opt({{max_reductions = 1e12}},
        function() process.receive() while true do end end)
      process.send(me, {{c1, c2}})
      process.receive()
    end)
    local kids = process.receive(5000)
    local r1, r2 = process.monitor(kids[1]), process.monitor(kids[2])
    process.send(kids[1], "go")
    process.send(kids[2], "go")
    for _, ref in ipairs({{r1, r2}}) do
      local m = process.receive(function(m) return type(m) == "table" and m.ref == ref end, 20000)
      assert(m and m.reason == "reduction limit exceeded", m and m.reason)
    end
    process.exit(parent, "kill")
    -- an unlimited process may still grant what it wants
    local free = process.spawn_opt({{max_reductions = 1e300, max_heap = 1e300}}, function()
      process.receive()
      for i = 1, 100000 do end
    end)
    local ref = process.monitor(free)
    process.send(free, "go")
    local m = process.receive(function(m) return type(m) == "table" and m.ref == ref end, 20000)
    assert(m.reason == "normal", m.reason)
    "#
        ),
    );
}

#[test]
fn spawn_opt_numbers_are_checked() {
    ok(
        Limits::default(),
        r#"
    local f = function() end
    for _, bad in ipairs({ 0/0, -1, -math.huge, "x" }) do
      for _, key in ipairs({ "max_heap", "max_reductions" }) do
        local ok, e = pcall(function() process.spawn_opt({ [key] = bad }, f) end)
        assert(not ok and e:find("bad argument #1 to 'spawn_opt' ('" .. key .. "' must be a non-negative number)", 1, true), e)
      end
    end
    -- fractions truncate, huge values saturate: no error
    process.spawn_opt({ max_heap = 1e6 + 0.5, max_reductions = 1000.7 }, f)
    process.spawn_opt({ max_heap = 1e300, max_reductions = math.huge }, f)
    "#,
    );
}

#[test]
fn a_chain_of_spawns_shares_one_reduction_budget() {
    // Each process works well under its own limit and hands over to a new one: without
    // a group budget this never ends.
    let (node, pid) = start(
        2,
        SANDBOX,
        r#"
    local function work(n)
      local x = 0
      for i = 1, 20000 do x = x + i end
      process.spawn(work, n + 1)
    end
    work(0)
    "#,
    );
    assert_eq!(node.wait(pid), ExitReason::Normal);
    let t = Instant::now();
    while node.process_count() > 0 {
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "the chain is still running"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // about 1e6 reductions of ~40,000 each: a few dozen processes, not thousands
    assert!(node.stats().spawned < 200, "{:?}", node.stats());
}

#[test]
fn a_chain_of_live_spawns_shares_one_memory_budget() {
    // Each process keeps 1 MB (well under 16 MB) and waits: together they must stop.
    let r = run(
        Limits {
            max_heap: Some(16_000_000),
            max_reductions: None,
        },
        r#"
    local function grow(n)
      local keep = string.rep("x", 1000000) .. n
      process.spawn_link(grow, n + 1)
      process.receive()
      return keep
    end
    grow(0)
    "#,
        60,
    );
    assert_eq!(err_text(&r), "heap limit exceeded");
}

#[test]
fn a_group_cannot_make_endless_empty_processes() {
    let r = run(
        Limits {
            max_heap: Some(4_000_000),
            max_reductions: None,
        },
        r#"
    local n = 0
    while true do
      process.spawn(function() process.receive() end)
      n = n + 1
    end
    "#,
        60,
    );
    assert_eq!(err_text(&r), "heap limit exceeded");
}

// ---- item 6: mailboxes and spawn packets count against the receiver ----

#[test]
fn flooding_ones_own_mailbox_hits_the_heap_limit() {
    let r = run(
        Limits {
            max_heap: Some(16_000_000),
            max_reductions: None,
        },
        r#"
    local me = process.self()
    local s = string.rep("x", 100000)
    local t = {}
    for i = 1, 100 do t[i] = {i} end
    while true do process.send(me, s) process.send(me, t) end
    "#,
        60,
    );
    assert_eq!(err_text(&r), "heap limit exceeded");
}

#[test]
fn flooding_another_mailbox_kills_the_receiver_not_the_sender() {
    ok(
        Limits {
            max_heap: Some(16_000_000),
            max_reductions: None,
        },
        &format!(
            r#"{DOWN}
    local victim = process.spawn(function() process.sleep(math.huge) end)
    local ref = process.monitor(victim)
    local function down()
      local m = process.receive(function(m) return type(m) == "table" and m.ref == ref end, 20000)
      return m and m.reason
    end
    local s = string.rep("y", 100000)
    local sent = 0
    while process.is_alive(victim) and sent < 10000 do
      process.send(victim, s .. sent)   -- distinct strings: each counts
      sent = sent + 1
    end
    assert(sent < 10000, "the victim took 1 GB of messages")
    assert(down() == "heap limit exceeded")
    "#
        ),
    );
}

#[test]
fn a_message_bigger_than_the_receiver_limit_is_never_materialised() {
    ok(
        Limits::default(),
        &format!(
            r#"{DOWN}
    local small = process.spawn_opt({{max_heap = 1000000}}, function()
      local m = process.receive()
      error("received " .. #m)
    end)
    -- Monitor before the send: the receiver may be gone before a later monitor
    -- ("noproc").
    local ref = process.monitor(small)
    process.send(small, string.rep("z", 2000000))
    assert(down(ref) == "heap limit exceeded")
    -- a limit of a limited parent: the same through spawn without options
    local p = process.spawn_opt({{max_heap = 1000000}}, function(parent)
      local c = process.spawn(function() process.receive() end)
      process.send(parent, c)
      process.receive()
    end, process.self())
    local c = process.receive(5000)
    ref = process.monitor(c)
    process.send(c, string.rep("w", 2000000))
    assert(down(ref) == "heap limit exceeded")
    process.exit(p, "kill")
    "#
        ),
    );
}

#[test]
fn garbage_does_not_count_when_a_message_is_materialised() {
    // Each 1 MB message becomes garbage after use: a 4 MB process keeping 1.5 MB live
    // can take many of them, one at a time (the heap published at its slice ends is
    // mostly garbage: a collection runs before the limit is declared crossed).
    ok(
        Limits::default(),
        r#"
    local me = process.self()
    local p = process.spawn_opt({max_heap = 4000000}, function()
      local keep = string.rep("k", 1500000)   -- live: the heap stays near the limit
      local total = 0
      for i = 1, 40 do
        local m = process.receive()
        total = total + #m
        local copy = m .. "!"   -- more garbage
        process.send(me, "ack")
      end
      process.send(me, total)
    end)
    for i = 1, 40 do
      process.send(p, string.rep("q", 1000000 - 20) .. i)
      assert(process.receive(20000) == "ack")
    end
    local total = process.receive(20000)
    assert(total and total > 39000000, tostring(total))
    "#,
    );
}

#[test]
fn a_selective_receive_that_needs_a_collection_skips_and_loses_nothing() {
    // Each offered message is materialised for the match function; near the heap limit
    // that needs a collection first, which re-runs the receive's step: the skipped
    // messages must stay skipped (the match function sees each once) and none is lost.
    ok(
        Limits::default(),
        r#"
    local me = process.self()
    local p = process.spawn_opt({max_heap = 4000000}, function()
      local keep = string.rep("k", 1500000)   -- live: the heap stays near the limit
      local offered, total = 0, 0
      for i = 1, 20 do
        local m = process.receive(function(m)
          offered = offered + 1
          return m:sub(1, 4) == "take"
        end)
        total = total + #m
        local copy = m .. "!"                   -- garbage
        process.send(me, "ack")
      end
      local rest = 0
      while process.receive(0) do rest = rest + 1 end
      process.send(me, {total = total, offered = offered, rest = rest})
    end)
    for i = 1, 20 do
      process.send(p, "skip" .. string.rep("s", 1000))
      process.send(p, "take" .. string.rep("t", 900000))
      assert(process.receive(20000) == "ack")
    end
    local r = process.receive(20000)
    assert(r and r.total == 20 * 900004, tostring(r and r.total))
    assert(r.rest == 20, "skipped messages kept: " .. tostring(r.rest))
    -- Receive i offers the i skip messages queued so far, then its take message, each
    -- once: 210 + 20 offers in all (a re-run step offering again would add more).
    assert(r.offered == 20 * 21 / 2 + 20, "offers: " .. tostring(r.offered))
    "#,
    );
}

#[test]
fn spawn_arguments_and_upvalues_too_big_for_the_child() {
    ok(
        Limits::default(),
        r#"
    process.trap_exit(true)
    local function exit_of(pid)
      local m = process.receive(function(m) return type(m) == "table" and m.pid == pid end, 20000)
      assert(m and m.tag == "EXIT", "no EXIT")
      return m.reason
    end
    local small = {max_heap = 1000000, link = true}
    local big = string.rep("b", 2000000)
    local a = process.spawn_opt(small, function(s) error("ran " .. #s) end, big)
    assert(exit_of(a) == "heap limit exceeded")
    local u = process.spawn_opt(small, function() error("ran " .. #big) end)
    assert(exit_of(u) == "heap limit exceeded")
    -- the same string as many arguments: each copy counts
    local s = string.rep("m", 100000)
    local many = process.spawn_opt(small, function(...) error("ran") end,
      s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s)
    assert(exit_of(many) == "heap limit exceeded")
    -- small enough: runs
    local fine = process.spawn_opt(small, function(x) assert(#x == 1000) end,
      string.rep("f", 1000))
    assert(exit_of(fine) == "normal")
    "#,
    );
}

#[test]
fn spawn_arguments_the_group_cannot_afford_end_the_spawner() {
    let r = run(
        Limits {
            max_heap: Some(16_000_000),
            max_reductions: None,
        },
        r#"
    local s = string.rep("g", 4000000)
    local ok = pcall(process.spawn, function() end, s, s, s, s, s)
    error("spawn returned " .. tostring(ok))
    "#,
        60,
    );
    assert_eq!(err_text(&r), "heap limit exceeded");
}

// ---- item 7: a kill reaches a running process ----

#[test]
fn a_kill_ends_a_busy_loop() {
    ok(
        Limits::default(),
        &format!(
            r#"{DOWN}
    local p = process.spawn(function() while true do end end)
    process.sleep(20)
    local ref = process.monitor(p)
    process.exit(p, "kill")
    assert(down(ref, 5000) == "killed")
    "#
        ),
    );
}

/// Needs the cube-lua side (natives and the driver honouring `State::set_interrupt`):
/// without it one long native (an exponential pattern match) holds its scheduler
/// until it returns, and the kill is seen only at the end of the slice.
#[test]
fn a_kill_ends_a_process_inside_a_long_native() {
    ok(
        Limits::default(),
        &format!(
            r#"{DOWN}
    local p = process.spawn(function()
      local s = string.rep("a", 40)
      string.find(s, string.rep("a?", 40) .. string.rep("a", 40))
      while true do end
    end)
    local ref = process.monitor(p)
    process.sleep(100)
    process.exit(p, "kill")
    local m = process.receive(function(m) return type(m) == "table" and m.ref == ref end, 5000)
    assert(m and m.reason == "killed", "not killed within 5 s")
    "#
        ),
    );
}

/// A loop of natives that charge for their work ends at the next slice after a kill.
#[test]
fn a_kill_ends_a_loop_of_big_natives() {
    ok(
        Limits::default(),
        &format!(
            r#"{DOWN}
    local p = process.spawn(function()
      while true do local s = string.rep("x", 2^20) end
    end)
    local ref = process.monitor(p)
    process.sleep(100)
    process.exit(p, "kill")
    local m = process.receive(function(m) return type(m) == "table" and m.ref == ref end, 10000)
    assert(m and m.reason == "killed", "not killed within 10 s")
    "#
        ),
    );
}

// ---- item 11: exit by registered name ----

#[test]
fn exit_signals_a_registered_name() {
    ok(
        Limits::default(),
        &format!(
            r#"{DOWN}
    local v = process.spawn(function() process.receive() end)
    process.register("victim", v)
    local ref = process.monitor(v)
    assert(process.exit("victim", "kill") == true)
    assert(down(ref) == "killed")
    local w = process.spawn(function() process.receive() end)
    process.register("w", w)
    ref = process.monitor(w)
    process.exit("w", "shutdown")
    assert(down(ref) == "shutdown")
    local ok, e = pcall(function() process.exit("nobody", "kill") end)
    assert(not ok and e:find("bad argument #1 to 'exit' (no process registered as 'nobody')", 1, true), e)
    -- one argument: still the caller's own reason
    local me = process.spawn(function() process.receive() process.exit("victim") end)
    ref = process.monitor(me)
    process.send(me, "go")
    assert(down(ref) == "victim")
    "#
        ),
    );
}

#[test]
fn sending_and_receiving_a_big_message_costs_reductions_by_its_size() {
    // A send copies the message and a receive makes its values again: both are work
    // in proportion to the message, so a loop of big sends is preempted and runs out
    // of a reduction limit like any other loop. 100,000 slots are about 1.6 MB: 25,000
    // reductions each way at 64 bytes a reduction.
    ok(
        Limits {
            max_heap: None,
            max_reductions: None,
        },
        r#"
    local me = process.self()
    local big = {}
    for i = 1, 100000 do big[i] = i end
    local function spent(f)
      local before = process.info(me).reductions
      f()
      return process.info(me).reductions - before
    end
    local small = spent(function() process.send(me, 1) end)
    local sent = spent(function() process.send(me, big) end)
    assert(small < 10, "a small send costs " .. small)
    assert(sent > 20000, "a 1.6 MB send costs only " .. sent)
    assert(spent(function() assert(process.receive() == 1) end) < 10)
    local got
    local received = spent(function() got = process.receive() end)
    assert(#got == 100000 and received > 20000, "receiving it costs only " .. received)
    "#,
    );
    // With a reduction limit, such a loop ends with the limit.
    let r = run(
        Limits {
            max_heap: None,
            max_reductions: Some(200_000),
        },
        r#"
    local me, big = process.self(), {}
    for i = 1, 100000 do big[i] = i end
    for i = 1, 1000 do process.send(me, big) process.receive() end
    "#,
        60,
    );
    assert_eq!(err_text(&r), "reduction limit exceeded");
}
