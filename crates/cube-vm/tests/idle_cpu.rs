//! An idle node uses no CPU: schedulers with nothing to run sleep (the scheduler loop in `node.rs`) instead of
//! spinning. Measured as CPU time (the kernel's account of the scheduler and timer
//! threads, from /proc/self/task/*/stat), not wall time: a loaded machine makes the test
//! slower, not wrong. Alone in its test binary, so no other test's node adds threads of
//! the same names.

#![cfg(target_os = "linux")]

mod common;

use cube_vm::{ExitReason, Limits};

/// CPU seconds (user + system) used so far by this process's threads whose name starts
/// with one of `prefixes`.
fn thread_cpu(prefixes: &[&str]) -> f64 {
    // /proc reports times in USER_HZ ticks, 100 per second on Linux.
    const TICKS_PER_SECOND: f64 = 100.0;
    let mut ticks = 0u64;
    for task in std::fs::read_dir("/proc/self/task").expect("/proc/self/task") {
        let dir = task.expect("task entry").path();
        let Ok(comm) = std::fs::read_to_string(dir.join("comm")) else {
            continue; // the thread ended meanwhile
        };
        if !prefixes.iter().any(|p| comm.starts_with(p)) {
            continue;
        }
        let Ok(stat) = std::fs::read_to_string(dir.join("stat")) else {
            continue;
        };
        // Fields after the command (which is in parentheses and may hold spaces):
        // state is field 3, utime 14, stime 15.
        let rest = &stat[stat.rfind(')').expect("stat format") + 2..];
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let utime: u64 = fields[11].parse().expect("utime");
        let stime: u64 = fields[12].parse().expect("stime");
        ticks += utime + stime;
    }
    ticks as f64 / TICKS_PER_SECOND
}

const NODE_THREADS: &[&str] = &["cube-sched-", "cube-timer"];

/// Runs `src` on a node with two schedulers and returns the CPU seconds its scheduler
/// and timer threads used while it ran (the threads exist from `start`, so the first
/// reading covers them all).
fn cpu_while(src: &str) -> f64 {
    let (node, pid) = common::start(2, Limits::default(), src);
    let before = thread_cpu(NODE_THREADS);
    assert_eq!(node.wait(pid), ExitReason::Normal);
    let after = thread_cpu(NODE_THREADS);
    drop(node);
    after - before
}

#[test]
fn an_idle_node_uses_almost_no_cpu() {
    // Every process waits: one sleeps, one waits in a receive with a timeout.
    let asleep = cpu_while(
        "local w = process.spawn(function() process.receive(2500) end)
         process.sleep(2000)",
    );
    assert!(
        asleep < 0.2,
        "the schedulers of a node whose processes all wait for 2 s used {asleep:.2} s of CPU"
    );
    eprintln!("scheduler CPU over 2 s of waiting: {asleep:.2} s");
    // A process woken by its timer 100 times a second: each wake-up runs it, the
    // schedulers look for work a few microseconds, then sleep again.
    let ticking = cpu_while(
        "for _ = 1, 200 do process.sleep(10) end
         local me = process.self()
         for _ = 1, 100 do
             process.spawn(function() process.sleep(5); process.send(me, 'tick') end)
             assert(process.receive(1000) == 'tick')
         end",
    );
    assert!(
        ticking < 0.2,
        "the schedulers of a node woken 100 times a second for 3 s used {ticking:.2} s of CPU"
    );
    eprintln!("scheduler CPU over 3 s of 300 timer wake-ups: {ticking:.2} s");
}
