//! Issue 9: timeouts of any size, and a process's heap limit bounds what `recv` brings
//! into its heap.

mod common;
use common::{error_of, ok};

#[test]
fn nan_timeouts_are_errors_and_huge_ones_wait_for_ever() {
    ok(r#"
        local s = zmq.socket("PULL")
        s:bind("inproc://timeouts")
        local function fails(f, want)
            local ok, e = pcall(f)
            assert(not ok, "no error")
            assert(e:find(want, 1, true), e)
        end
        fails(function() zmq.poll({s}, 0/0) end, "bad argument #2 to 'poll' (timeout must be a number, not NaN)")
        fails(function() s:poll(0/0) end, "timeout must be a number, not NaN")
        fails(function() s:set_rcvtimeo(0/0) end, "expects a number, got NaN")
        fails(function() s:set_sndhwm(0/0) end, "expects a number, got NaN")
        fails(function() s:set_sndhwm(2^40) end, "value out of range")
        -- huge timeouts are "for ever" (-1), fractions truncate
        s:set_rcvtimeo(math.huge)
        assert(s:get_rcvtimeo() == -1)
        s:set_rcvtimeo(1e300)
        assert(s:get_rcvtimeo() == -1)
        s:set_rcvtimeo(2.7)
        assert(s:get_rcvtimeo() == 2)
        -- a poll with a huge timeout waits (here: until a message comes)
        local me = process.self()
        local p = process.spawn(function()
            local q = zmq.socket("PULL")
            q:bind("inproc://timeouts2")
            process.send(me, "bound")
            local ready = zmq.poll({q}, math.huge)
            process.send(me, #ready)
            assert(q:poll(1e300) == true)
        end)
        assert(process.receive(5000) == "bound")
        process.sleep(50)
        assert(process.receive(0) == nil)
        local push = zmq.socket("PUSH")
        push:connect("inproc://timeouts2")
        push:send("x")
        assert(process.receive(5000) == 1)
        s:close(0)
    "#);
}

#[test]
fn recv_of_a_message_bigger_than_the_heap_left_ends_the_process() {
    ok(r#"
        process.trap_exit(true)
        local pull = zmq.socket("PULL")
        pull:bind("inproc://big")
        local push = zmq.socket("PUSH")
        push:connect("inproc://big")
        local c = process.spawn_opt({max_heap = 1000000, link = true}, function()
            local s = zmq.socket("PULL")
            s:connect("inproc://big2")
            local m = s:recv()
            error("received " .. #m)
        end)
        local out = zmq.socket("PUSH")
        out:bind("inproc://big2")
        out:send(string.rep("b", 8000000))
        local m = process.receive(function(m) return type(m) == "table" and m.pid == c end, 10000)
        assert(m and m.reason == "heap limit exceeded", m and m.reason)
        -- multipart: the parts together
        local c2 = process.spawn_opt({max_heap = 1000000, link = true}, function()
            local s = zmq.socket("PULL")
            s:connect("inproc://big3")
            local parts = s:recv_multipart()
            error("received " .. #parts)
        end)
        local out3 = zmq.socket("PUSH")
        out3:bind("inproc://big3")
        local part = string.rep("p", 400000)
        out3:send_multipart({part, part, part, part})
        m = process.receive(function(m) return type(m) == "table" and m.pid == c2 end, 10000)
        assert(m and m.reason == "heap limit exceeded", m and m.reason)
    "#);
}

#[test]
fn garbage_does_not_count_against_recv() {
    ok(r#"
        local me = process.self()
        local out = zmq.socket("PUSH")
        out:bind("inproc://garbage")
        process.spawn_opt({max_heap = 4000000}, function()
            local keep = string.rep("k", 1800000)   -- live: the heap stays near the limit
            local s = zmq.socket("PULL")
            s:connect("inproc://garbage")
            local total = 0
            for i = 1, 30 do
                local m = s:recv()
                total = total + #m
                local copy = m .. "!"
            end
            process.send(me, total)
        end)
        for i = 1, 30 do out:send(string.rep("r", 1000000)) end
        local total = process.receive(20000)
        assert(total == 30000000, tostring(total))
    "#);
}

#[test]
fn sockets_of_a_limited_process_refuse_messages_past_its_limit() {
    ok(r#"
        local me = process.self()
        process.spawn_opt({max_heap = 1000000}, function()
            local s = zmq.socket("PULL")
            local a = s:get_maxmsgsize()
            s:set_maxmsgsize(-1)
            local b = s:get_maxmsgsize()
            s:set_maxmsgsize(1000)
            process.send(me, {a, b, s:get_maxmsgsize()})
        end)
        local r = process.receive(5000)
        assert(r[1] == 1000000 and r[2] == 1000000 and r[3] == 1000, table.concat(r, " "))
        -- an unlimited process keeps libzmq's default
        assert(zmq.socket("PULL"):get_maxmsgsize() == -1)
    "#);
}

#[test]
fn a_nan_linger_at_close_is_an_error() {
    let e = error_of(r#"zmq.socket("PUSH"):close(0/0)"#);
    assert!(e.contains("linger must be a number, not NaN"), "{e}");
}

/// As `garbage_does_not_count_against_recv` for `recv_multipart`: a part that found no
/// room waits in the socket (`Sock::held`) while the driver collects and calls again,
/// so every part of every message arrives, in order.
#[test]
fn garbage_does_not_count_against_recv_multipart() {
    ok(r#"
        local me = process.self()
        local out = zmq.socket("PUSH")
        out:bind("inproc://garbage-multi")
        process.spawn_opt({max_heap = 4000000}, function()
            local keep = string.rep("k", 1800000)   -- live: the heap stays near the limit
            local s = zmq.socket("PULL")
            s:connect("inproc://garbage-multi")
            local total, parts = 0, 0
            for i = 1, 20 do
                local m = s:recv_multipart()
                assert(#m == 3 and m[1] == "head" .. i and m[3] == "tail" .. i)
                for _, p in ipairs(m) do total = total + #p end
                parts = parts + #m
                local copy = m[2] .. "!"
            end
            process.send(me, {total, parts})
        end)
        for i = 1, 20 do
            out:send_multipart({"head" .. i, string.rep("r", 1000000), "tail" .. i})
        end
        local r = process.receive(20000)
        assert(r[2] == 60, tostring(r[2]))
        local want = 20 * 1000000
        for i = 1, 20 do want = want + #("head" .. i) + #("tail" .. i) end
        assert(r[1] == want, tostring(r[1]))
    "#);
}
