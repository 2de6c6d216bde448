//! No wake-up is lost when schedulers go to sleep (the scheduler loop in `node.rs`): processes woken only from
//! another thread (the timer's), many times, while the schedulers keep running out of
//! work and sleeping. A lost wake-up leaves a process asleep for good: the main process
//! then sees its receive time out, and the test fails instead of hanging.

mod common;

#[test]
fn processes_woken_only_by_the_timer_thread_all_finish() {
    for schedulers in [1, 2, 3] {
        let r = common::run_with(
            schedulers,
            "local me = process.self()
             local n = 8
             for i = 1, n do
                 process.spawn(function()
                     for _ = 1, 300 do process.sleep(1 + i % 2) end
                     process.send(me, i)
                 end)
             end
             for _ = 1, n do
                 assert(process.receive(60000), 'a sleeping process was never woken')
             end",
        );
        assert_eq!(
            r,
            cube_vm::ExitReason::Normal,
            "with {schedulers} schedulers"
        );
    }
}

#[test]
fn a_burst_from_one_process_spreads_and_every_reply_comes() {
    // Waves of short-lived processes made by one scheduler while the others sleep: each
    // wave wakes sleepers (or a searcher takes the work), and every reply must come.
    common::ok(
        "local me = process.self()
         for wave = 1, 200 do
             for i = 1, 10 do
                 process.spawn(function() process.send(me, i) end)
             end
             for _ = 1, 10 do
                 assert(process.receive(60000), 'a spawned process never ran')
             end
             process.sleep(1)
         end",
    );
}
