//! The Lua `zmq` library in a real node: socket types, blocking that suspends only the
//! process, ownership (a socket closes with its process), options, poll, monitors and
//! errors.

mod common;
use common::{error_of, ok, run_with};

#[test]
fn push_pull_over_tcp_and_inproc_in_order() {
    ok(r#"
        for _, ep in ipairs{"tcp://127.0.0.1:*", "inproc://pp", "ipc:///tmp/cube-zmq-test-" .. os.time() .. "-" .. math.random(1e9)} do
            local pull = zmq.socket("PULL")
            local bound = pull:bind(ep)
            local sender = process.spawn(function(ep)
                local push = zmq.context():socket(zmq.PUSH)
                push:connect(ep)
                for i = 1, 2000 do push:send("m" .. i) end
                -- Stay until everything arrived: libzmq may drop what an ipc
                -- socket closed right after sending still held.
                process.receive()
            end, bound)
            for i = 1, 2000 do
                local m, more = pull:recv()
                assert(m == "m" .. i, m)
                assert(more == false)
            end
            process.send(sender, "done")
            pull:close()
        end
    "#);
}

#[test]
fn recv_blocks_only_the_process_and_messages_do_not_wake_it() {
    // One scheduler: if the waiter held the thread, nothing below could run.
    let r = run_with(
        1,
        30,
        r#"
        local me = process.self()
        local waiter = process.spawn(function(me)
            local s = zmq.socket("PULL")
            s:bind("inproc://waiter")
            process.send(me, "ready")
            local m = s:recv()
            -- the mailbox messages sent meanwhile are still queued, in order
            local first = process.receive(0)
            process.send(me, "got " .. m .. " then " .. tostring(first))
        end, me)
        assert(process.receive(1000) == "ready")
        process.spawn(function(me) process.send(me, "helper ran") end, me)
        assert(process.receive(1000) == "helper ran")
        process.sleep(20)
        local r0 = process.info(waiter).reductions
        for i = 1, 200 do process.send(waiter, i) end
        process.sleep(50)
        local info = process.info(waiter)
        assert(info.status == "waiting", info.status)
        assert(info.message_queue_len == 200, info.message_queue_len)
        assert(info.reductions == r0, "woken by mailbox messages: " .. (info.reductions - r0))
        local push = zmq.socket("PUSH")
        push:connect("inproc://waiter")
        push:send("x")
        assert(process.receive(1000) == "got x then 1")
    "#,
    );
    assert_eq!(r, cube_vm::ExitReason::Normal);
}

#[test]
fn a_kill_ends_a_process_blocked_on_a_socket_and_closes_its_sockets() {
    ok(r#"
        local me = process.self()
        local w = process.spawn(function(me)
            local s = zmq.socket("REP")
            local ep = s:bind("tcp://127.0.0.1:*")
            local i = zmq.socket("PULL")
            i:bind("inproc://killed")
            process.send(me, ep)
            s:recv()
        end, me)
        local ep = process.receive(1000)
        local ref = process.monitor(w)
        process.exit(w, "kill")
        local down = process.receive(1000)
        assert(down.tag == "DOWN" and down.reason == "killed", tostring(down.reason))
        -- Its sockets closed with it: both endpoints can be bound again.
        for _, e in ipairs{ep, "inproc://killed"} do
            local s = zmq.socket("PULL")
            local bound = false
            for _ = 1, 100 do
                bound = pcall(s.bind, s, e)
                if bound then break end
                process.sleep(10)
            end
            assert(bound, "still bound: " .. e)
            s:close()
        end
    "#);
}

#[test]
fn thousands_of_processes_wait_on_sockets() {
    ok(r#"
        local N = 2000
        local me = process.self()
        for i = 1, N do
            process.spawn(function(me, i)
                local s = zmq.socket("PULL")
                s:bind("inproc://many-" .. i)
                process.send(me, "ready")
                -- Stay alive: a PUSH deals round-robin over its live peers only, so a
                -- peer that left early would shift the deal.
                while true do process.send(me, s:recv()) end
            end, me, i)
        end
        for i = 1, N do assert(process.receive(5000) == "ready") end
        local push = zmq.socket("PUSH")
        for i = 1, N do push:connect("inproc://many-" .. i) end
        for i = 1, N do push:send("job" .. i) end
        local seen, count = {}, 0
        for i = 1, N do
            local m = process.receive(5000)
            assert(m and not seen[m], tostring(m))
            seen[m] = true
            count = count + 1
        end
        assert(count == N)
        for i = 1, N do assert(seen["job" .. i]) end
    "#);
}

#[test]
fn pub_sub_prefix_filters_leak_nothing() {
    ok(r#"
        local me = process.self()
        local pub = zmq.socket("PUB")
        local ep = pub:bind("tcp://127.0.0.1:*")
        local function subscriber(me, ep, prefix)
            local s = zmq.socket{zmq.SUB, subscribe = prefix, connect = ep}
            s:subscribe("hello")
            local got = {}
            while true do
                local m = s:recv()
                if m == "hello" then
                    process.send(me, {hello = prefix})
                elseif m == prefix .. "end" then
                    break
                else
                    got[#got + 1] = m
                end
            end
            process.send(me, {prefix = prefix, got = got})
        end
        process.spawn(subscriber, me, ep, "a.")
        process.spawn(subscriber, me, ep, "b.")
        -- Publish "hello" until both subscribers are connected (slow joiners).
        local joined = {}
        while not (joined["a."] and joined["b."]) do
            pub:send("hello")
            local m = process.receive(20)
            if m then joined[m.hello] = true end
        end
        for i = 1, 300 do
            pub:send("a." .. i)
            pub:send("b." .. i)
            pub:send("c." .. i)
        end
        pub:send("end") -- nobody subscribed: dropped
        pub:send("a.end"); pub:send("b.end")
        local results = {}
        for _ = 1, 2 do
            local r = process.receive(function(m) return m.prefix end, 5000)
            results[r.prefix] = r.got
        end
        for _, p in ipairs{"a.", "b."} do
            local got = results[p]
            assert(#got == 300, p .. " got " .. #got)
            for i = 1, 300 do assert(got[i] == p .. i, got[i]) end
        end
    "#);
}

#[test]
fn router_dealer_and_req_rep_with_multipart_envelopes() {
    ok(r#"
        local me = process.self()
        local router = zmq.socket("ROUTER")
        local ep = router:bind("inproc://rd")
        for _, who in ipairs{"d1", "d2"} do
            process.spawn(function(me, ep, who)
                local d = zmq.socket{zmq.DEALER, identity = who, connect = ep}
                d:send_multipart{"", "hello", who}
                local reply = d:recv_multipart()
                process.send(me, {who = who, reply = reply})
            end, me, ep, who)
        end
        for _ = 1, 2 do
            local msg = router:recv_multipart()
            assert(#msg == 4 and msg[2] == "" and msg[3] == "hello" and msg[1] == msg[4], table.concat(msg, "|"))
            router:send(msg[1], zmq.SNDMORE)
            router:send_more("")
            router:send("reply-" .. msg[4])
        end
        for _ = 1, 2 do
            local r = process.receive(2000)
            assert(#r.reply == 2 and r.reply[1] == "" and r.reply[2] == "reply-" .. r.who)
        end
        -- REQ/REP, with the multipart request kept whole.
        local rep = zmq.socket("REP")
        local rep_ep = rep:bind("tcp://127.0.0.1:*")
        process.spawn(function(me, ep)
            local req = zmq.socket("REQ")
            req:connect(ep)
            for i = 1, 100 do
                req:send_multipart{"q", tostring(i)}
                local r = req:recv_multipart()
                assert(r[1] == "a" and r[2] == tostring(i * 2))
            end
            process.send(me, "done")
        end, me, rep_ep)
        for i = 1, 100 do
            local q = rep:recv_multipart()
            assert(q[1] == "q" and #q == 2)
            rep:send_multipart{"a", tostring(tonumber(q[2]) * 2)}
        end
        assert(process.receive(2000) == "done")
    "#);
}

#[test]
fn poll_over_several_sockets_with_a_timeout() {
    ok(r#"
        local a, b = zmq.socket("PULL"), zmq.socket("PULL")
        a:bind("inproc://poll-a"); b:bind("inproc://poll-b")
        local t0 = os.time()
        local ready = zmq.poll({a, b}, 50)
        assert(#ready == 0)
        assert(zmq.poll({a, {b, zmq.POLLIN}}, 0)[1] == nil)
        process.spawn(function()
            process.sleep(30)
            local p = zmq.socket("PUSH")
            p:connect("inproc://poll-b")
            p:send("to b")
        end)
        local ready = zmq.poll({a, b}, 5000)
        assert(#ready == 1 and ready[1] == b)
        assert(b:recv() == "to b")
        assert(a:poll(0) == false)
        local out = zmq.socket("PUSH")
        out:connect("inproc://poll-a")
        assert(out:poll(100, zmq.POLLOUT) == true)
        assert(zmq.poll({{out, zmq.POLLOUT}}, 0)[1] == out)
    "#);
}

#[test]
fn socket_monitor_events_arrive_as_messages() {
    ok(r#"
        local rep = zmq.socket("REP")
        local id = rep:monitor()
        local ep = rep:bind("tcp://127.0.0.1:*")
        local req = zmq.socket("REQ")
        req:connect(ep)
        local function event(name)
            return process.receive(function(m)
                return type(m) == "table" and m.tag == "zmq_event" and m.event == name
            end, 30000) -- a deadline, not a timing: a loaded CI machine (ASan) took over 5 s once
        end
        local l = event("LISTENING")
        assert(l and l.monitor == id and l.endpoint == ep, "no LISTENING")
        local a = event("ACCEPTED")
        assert(a and a.monitor == id and a.endpoint == ep, "no ACCEPTED")
        req:close(0)
        assert(event("DISCONNECTED"), "no DISCONNECTED")
        rep:close()
        assert(event("MONITOR_STOPPED"), "no MONITOR_STOPPED")
    "#);
}

#[test]
fn a_send_at_the_high_water_mark_blocks_only_the_process() {
    ok(r#"
        local me = process.self()
        -- No peer yet: a PUSH cannot queue anything, so a send waits.
        local push = zmq.socket{zmq.PUSH, sndtimeo = 50}
        local ep = push:bind("tcp://127.0.0.1:*")
        local ok, err = push:send("x")
        assert(ok == nil and err == "EAGAIN")
        push:set_sndtimeo(-1)
        process.spawn(function(me, ep)
            process.sleep(50)
            process.send(me, "still running")
            local pull = zmq.socket("PULL")
            pull:connect(ep)
            local got = {}
            for i = 1, 3 do got[i] = pull:recv() end
            process.send(me, table.concat(got, ","))
        end, me, ep)
        assert(push:send("a") == true)
        assert(push:send("b", zmq.DONTWAIT) or true)
        assert(process.receive(2000) == "still running")
        push:send("c")
        local r = process.receive(2000)
        assert(r == "a,b,c" or r == "a,c", r)
    "#);
}

#[test]
fn options_round_trip() {
    ok(r#"
        local s = zmq.socket("DEALER")
        s:set_linger(250); assert(s:get_linger() == 250)
        s:setopt("sndhwm", 7); assert(s:getopt("sndhwm") == 7)
        s:set_rcvhwm(9); assert(s:get_rcvhwm() == 9)
        s:set_identity("me"); assert(s:get_identity() == "me")
        s:set_routing_id("you"); assert(s:get_routing_id() == "you")
        s:set_rcvtimeo(10); assert(s:get_rcvtimeo() == 10)
        s:set_sndtimeo(20); assert(s:get_sndtimeo() == 20)
        s:set_heartbeat_ivl(100); assert(s:get_heartbeat_ivl() == 100)
        s:set_heartbeat_timeout(300); assert(s:get_heartbeat_timeout() == 300)
        s:set_heartbeat_ttl(500); assert(s:get_heartbeat_ttl() == 500)
        s:set_reconnect_ivl(50); assert(s:get_reconnect_ivl() == 50)
        s:set_reconnect_ivl_max(400); assert(s:get_reconnect_ivl_max() == 400)
        s:set_immediate(true); assert(s:get_immediate() == true)
        s:set_maxmsgsize(1024); assert(s:get_maxmsgsize() == 1024)
        assert(s:type() == "DEALER" and s:get_type() == zmq.DEALER)
        local sub = zmq.socket("SUB")
        assert(sub:set_subscribe("x") and sub:unsubscribe("x") and sub:subscribe(""))
        assert(tostring(s):match("^zmq socket %d+ %(DEALER%)$"))
        s:close(); assert(s:closed())
        assert(tostring(s):match("closed"))
        assert(s:close())
    "#);
}

#[test]
fn heartbeats_between_peers() {
    ok(r#"
        local opts = {heartbeat_ivl = 50, heartbeat_timeout = 200, heartbeat_ttl = 500}
        local rep = zmq.socket("REP", opts)
        local ep = rep:bind("tcp://127.0.0.1:*")
        local me = process.self()
        process.spawn(function(me, ep, opts)
            local req = zmq.socket("REQ", opts)
            req:connect(ep)
            for i = 1, 3 do
                req:send("ping" .. i)
                assert(req:recv() == "pong" .. i)
                process.sleep(120) -- idle across several heartbeats
            end
            process.send(me, "done")
        end, me, ep, opts)
        for i = 1, 3 do
            local m = rep:recv()
            rep:send((m:gsub("ping", "pong")))
        end
        assert(process.receive(5000) == "done")
    "#);
}

#[test]
fn garbage_on_a_bound_tcp_port_leaves_the_socket_working() {
    ok(r#"
        local rep = zmq.socket("REP")
        local ep = rep:bind("tcp://127.0.0.1:*")
        -- A STREAM socket speaks raw TCP: send bytes that are not ZMTP.
        local raw = zmq.socket("STREAM")
        raw:connect(ep)
        local id = raw:recv_multipart()[1] -- the connect notification
        for _, junk in ipairs{"\255\0\0\0\0\0\0\0\1\127garbage", string.rep("\0", 100), "GET / HTTP/1.0\r\n\r\n"} do
            raw:send_multipart{id, junk}
        end
        process.sleep(50)
        local req = zmq.socket("REQ")
        req:connect(ep)
        req:send("still there?")
        assert(rep:recv() == "still there?")
        rep:send("yes")
        assert(req:recv() == "yes")
    "#);
}

#[test]
fn clear_errors_for_bad_input() {
    let cases: &[(&str, &str)] = &[
        ("zmq.socket('FOO')", "unknown socket type 'FOO'"),
        ("zmq.socket(99)", "unknown socket type 99"),
        ("zmq.socket()", "socket type expected, got nil"),
        (
            "zmq.socket('PUB', {nope = 1})",
            "unknown socket option 'nope'",
        ),
        (
            "zmq.socket('PUB'):setopt('nope', 1)",
            "unknown socket option 'nope'",
        ),
        (
            "zmq.socket('PUB'):set_linger('x')",
            "socket option 'linger' expects a number",
        ),
        (
            "zmq.socket('PUB'):get_subscribe()",
            "attempt to call method 'get_subscribe'",
        ),
        (
            "zmq.socket('PUB'):getopt('subscribe')",
            "socket option 'subscribe' is write-only",
        ),
        (
            "zmq.socket('PUB'):bind('nonsense')",
            "zmq bind 'nonsense': Invalid argument",
        ),
        (
            "zmq.socket('PUB'):bind('bogus://x')",
            "zmq bind 'bogus://x': Protocol not supported",
        ),
        (
            "zmq.socket('PUB'):bind('tcp://127.0.0.1:abc')",
            "zmq bind 'tcp://127.0.0.1:abc': Invalid argument",
        ),
        (
            "zmq.socket('PUB'):bind('tcp://999.0.0.1:5555')",
            "zmq bind 'tcp://999.0.0.1:5555': No such device",
        ),
        (
            "zmq.socket('PUB'):connect('tcp://')",
            "zmq connect 'tcp://': Invalid argument",
        ),
        (
            "zmq.socket('REQ'):recv()",
            "zmq recv: Operation cannot be accomplished in current state",
        ),
        (
            "zmq.socket('PUB'):recv()",
            "zmq recv: Operation not supported",
        ),
        (
            "local s = zmq.socket('PUB'); s:close(); s:send('x')",
            "attempt to use a closed socket",
        ),
        ("zmq.poll({1}, 0)", "item 1 is not a zmq socket"),
        (
            "zmq.device('proxy', 'inproc://a', 'inproc://b')",
            "unknown device 'proxy'",
        ),
    ];
    for (code, want) in cases {
        let msg = error_of(code);
        assert!(msg.contains(want), "{code}: got {msg:?}, want {want:?}");
    }
    // The node survives all of it: errors are Lua errors, catchable with pcall.
    ok(r#"
        local ok, err = pcall(zmq.socket, "FOO")
        assert(not ok and err:match("unknown socket type"))
        local s = zmq.socket("PAIR")
        local ok2, err2 = pcall(s.bind, s, "tcp://256.0.0.1:1")
        assert(not ok2 and err2:match("zmq bind"))
        assert(s:bind("inproc://after-errors"))
    "#);
}

#[test]
fn curve_is_available_or_explains_itself() {
    ok(r#"
        if zmq.has("curve") then
            local spub, ssec = zmq.curve_keypair()
            local cpub, csec = zmq.curve_keypair()
            assert(#spub == 40 and #ssec == 40 and zmq.curve_public(ssec) == spub)
            local server = zmq.socket{zmq.REP, curve_server = true, curve_secretkey = ssec}
            local ep = server:bind("tcp://127.0.0.1:*")
            local client = zmq.socket{zmq.REQ, curve_serverkey = spub, curve_publickey = cpub, curve_secretkey = csec}
            client:connect(ep)
            client:send("secret")
            assert(server:recv() == "secret")
            server:send("ok")
            assert(client:recv() == "ok")
            assert(server:get_mechanism() == 2)
        else
            local ok, err = pcall(zmq.curve_keypair)
            assert(not ok and err:match("CURVE is not available") and err:match("libzmq3%-dev"), err)
        end
        assert(zmq.z85_decode(zmq.z85_encode("12345678")) == "12345678")
    "#);
}

#[test]
fn devices_from_lua() {
    ok(r#"
        local me = process.self()
        local dev = zmq.device("streamer", "tcp://127.0.0.1:*", "tcp://127.0.0.1:*")
        local front, back = dev:endpoints()
        for w = 1, 3 do
            process.spawn(function(me, back)
                local pull = zmq.socket("PULL")
                pull:connect(back)
                while true do
                    local m = pull:recv()
                    process.send(me, m)
                end
            end, me, back)
        end
        local push = zmq.socket("PUSH")
        push:connect(front)
        for i = 1, 300 do push:send("job" .. i) end
        local seen = {}
        for i = 1, 300 do
            local m = process.receive(5000)
            assert(m and not seen[m], tostring(m))
            seen[m] = true
        end
        assert(process.receive(100) == nil)
        dev:stop()
        local q = zmq.device{kind = "queue", frontend = "inproc://qf", backend = "inproc://qb"}
        process.spawn(function()
            local rep = zmq.socket("REP")
            rep:connect("inproc://qb")
            while true do rep:send("re:" .. rep:recv()) end
        end)
        local req = zmq.socket("REQ")
        req:connect("inproc://qf")
        req:send("x")
        assert(req:recv() == "re:x")
    "#);
}

#[test]
fn sockets_are_collected_with_their_userdata() {
    ok(r#"
        for i = 1, 3000 do
            local s = zmq.socket("PAIR")
            if i % 500 == 0 then collectgarbage() end
        end
        collectgarbage()
        local s = zmq.socket("PAIR")
        assert(s:bind("inproc://after-gc"))
    "#);
}

#[test]
fn blocking_in_a_plain_state_waits_on_the_thread() {
    let zmq = cube_zmq::Zmq::new().unwrap();
    let mut st = cube_lua::State::new_bare();
    cube_lua::stdlib::open_libs(&mut st);
    zmq.open(&mut st);
    let src = br#"
        local pull = zmq.socket{zmq.PULL, rcvtimeo = 30}
        local ep = pull:bind("inproc://plain")
        local m, err = pull:recv()
        assert(m == nil and err == "EAGAIN")
        local push = zmq.socket("PUSH")
        push:connect(ep)
        push:send("hi")
        pull:set_rcvtimeo(-1)
        return pull:recv()
    "#;
    st.push_chunk(src, "=plain").unwrap();
    let n = st.pcall(0, 1).expect("runs");
    assert_eq!(n, 1);
    let top = st.top();
    let got = st.cx(|cx| cx.stack_at(top - 1).as_str().map(|s| s.as_bytes().to_vec()));
    assert_eq!(got, Some(b"hi".to_vec()));
}

#[test]
fn unbind_and_disconnect() {
    ok(r#"
        local a = zmq.socket("PULL")
        local ep = a:bind("tcp://127.0.0.1:*")
        assert(a:unbind(ep))
        -- the port is free again: another socket can bind it
        local b = zmq.socket("PULL")
        local rebound = false
        for _ = 1, 100 do
            rebound = pcall(b.bind, b, ep)
            if rebound then break end
            process.sleep(10)
        end
        assert(rebound, "unbind left the port bound")
        local ok, err = pcall(a.unbind, a, "tcp://127.0.0.1:1")
        assert(not ok and err:match("zmq unbind"), err)
        -- disconnect: after it, a PUSH deals only to the peers still connected
        local c = zmq.socket("PULL")
        c:bind("inproc://disc-c")
        local d = zmq.socket("PULL")
        d:bind("inproc://disc-d")
        local push = zmq.socket("PUSH")
        push:connect("inproc://disc-c")
        push:connect("inproc://disc-d")
        assert(push:disconnect("inproc://disc-d"))
        for i = 1, 10 do push:send("m" .. i) end
        for i = 1, 10 do assert(c:recv() == "m" .. i) end
        assert(d:poll(100) == false)
        local ok2, err2 = pcall(push.disconnect, push, "inproc://never")
        assert(not ok2 and err2:match("zmq disconnect"), err2)
    "#);
}

#[test]
fn many_ping_pongs_lose_no_wake_up() {
    // Every round trip blocks and wakes both processes: a lost wake-up hangs here.
    ok(r#"
        local pairs_n, rounds = 20, 200
        local me = process.self()
        for p = 1, pairs_n do
            process.spawn(function(me, p, rounds)
                local rep = zmq.socket("REP")
                local ep = rep:bind(p % 2 == 0 and ("inproc://pingpong-" .. p) or "tcp://127.0.0.1:*")
                process.spawn(function(me, ep, rounds)
                    local req = zmq.socket("REQ")
                    req:connect(ep)
                    for i = 1, rounds do
                        req:send(tostring(i))
                        assert(req:recv() == tostring(i))
                    end
                    process.send(me, "done")
                end, me, ep, rounds)
                for i = 1, rounds do rep:send((rep:recv())) end
            end, me, p, rounds)
        end
        for p = 1, pairs_n do assert(process.receive(20000) == "done", "stuck after " .. (p - 1)) end
    "#);
}

#[test]
fn an_lzmq_style_poller() {
    ok(r#"
        local a, b = zmq.socket("PULL"), zmq.socket("PULL")
        a:bind("inproc://poller-a"); b:bind("inproc://poller-b")
        local got = {}
        local poller = zmq.poller(2)
        poller:add(a, zmq.POLLIN, function(s, ev)
            assert(ev == zmq.POLLIN)
            got[#got + 1] = "a:" .. s:recv()
        end)
        poller:add(b, zmq.POLLIN, function(s)
            local m = s:recv()
            got[#got + 1] = "b:" .. m
            if m == "stop" then poller:stop() end
        end)
        assert(poller:count() == 2)
        assert(poller:poll(20) == 0)
        process.spawn(function()
            local pa = zmq.socket{zmq.PUSH, connect = "inproc://poller-a"}
            local pb = zmq.socket{zmq.PUSH, connect = "inproc://poller-b"}
            pa:send("1"); process.sleep(10); pb:send("2"); process.sleep(10)
            pa:send("3"); process.sleep(10); pb:send("stop")
            process.sleep(100)
        end)
        poller:start()
        assert(table.concat(got, " ") == "a:1 b:2 a:3 b:stop", table.concat(got, " "))
        assert(poller:remove(a) and not poller:remove(a) and poller:count() == 1)
        local ok, err = pcall(poller.add, poller, a, zmq.POLLIN, 42)
        assert(not ok and err:match("function expected"))
        local ready, revents = zmq.poll({{a, zmq.POLLIN}, {zmq.socket{zmq.PUSH, connect = "inproc://poller-b"}, zmq.POLLOUT}}, 0)
        assert(#ready == 1 and revents[ready[1]] == zmq.POLLOUT)
    "#);
}

/// A socket method lends the socket's payload while it runs (`Cx::with_userdata`): the
/// socket given again as another argument is just a value of the wrong type, and
/// `zmq.poll` may list one socket several times.
#[test]
fn a_socket_as_its_own_argument_or_listed_twice() {
    ok(r#"
        local a = zmq.socket("PAIR")
        local b = zmq.socket("PAIR")
        a:bind("inproc://twice"); b:connect("inproc://twice")
        local okk, e = pcall(a.send, a, a)
        assert(not okk and e:find("string expected, got userdata"), e)
        okk, e = pcall(a.setopt, a, "identity", a)
        assert(not okk and e:find("expects a string, got userdata"), e)
        okk, e = pcall(a.send_multipart, a, {"x", a})
        assert(not okk and e:find("message part 2 is a userdata"), e)
        assert(tostring(a):find("zmq socket %d+ %(PAIR%)"))
        assert(b:send("hi"))
        local ready, ev = zmq.poll({a, {a, zmq.POLLIN}, b}, 1000)
        assert(#ready == 2 and ready[1] == a and ready[2] == a, #ready)
        assert(ev[a] == zmq.POLLIN)
        assert(a:recv() == "hi")
        assert(not a:closed())
        a:close()
        okk, e = pcall(a.recv, a)
        assert(not okk and e:find("attempt to use a closed socket"), e)
        assert(a:closed())
    "#);
}
