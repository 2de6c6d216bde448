//! Stress: many processes spawned, run and collected; nothing leaks (process table,
//! names, live count).

use cube_vm::{ExitReason, Node};

#[test]
fn a_hundred_thousand_processes_are_spawned_and_collected() {
    // Release builds do the full count; debug builds (CI's) a tenth, for time.
    let total: u64 = if cfg!(debug_assertions) {
        10_000
    } else {
        100_000
    };
    let node = Node::start(2, cube_lua::stdlib::open_libs);
    let src = format!(
        r#"
        local me = process.self()
        local total, batch = {total}, 1000
        local sum = 0
        for b = 0, total / batch - 1 do
            for i = 1, batch do
                process.spawn(function(n) process.send(me, n) end, b * batch + i)
            end
            for _ = 1, batch do sum = sum + process.receive(30000) end
        end
        assert(sum == total * (total + 1) / 2)
        -- wait until every child has exited
        for _ = 1, 1000 do
            if #process.list() == 1 then break end
            process.sleep(5)
        end
        assert(#process.list() == 1, #process.list())
    "#
    );
    let pid = node
        .spawn_main(move |st| {
            st.push_chunk(src.as_bytes(), "=stress")
                .map_err(|e| e.message)?;
            Ok(0)
        })
        .unwrap();
    assert_eq!(node.wait(pid), ExitReason::Normal);
    assert_eq!(node.stats().spawned, total + 1);
    assert_eq!(node.stats().messages, total);
    for _ in 0..100 {
        if node.process_count() == 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(node.process_count(), 0);
}
