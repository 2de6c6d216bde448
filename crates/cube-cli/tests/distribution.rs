//! `cube-cli run --sname` against a real `erl` node (issue 12): pings, messages both
//! ways with every kind of term, registered names, links, monitors, a killed node,
//! and 100,000 messages in order.
//!
//! Each test has its own EPMD (cube-dist's server on a free port, given to both sides
//! as `ERL_EPMD_PORT`), unique node names and its own erl, which runs
//! tests/erl/cube_peer.erl (compiled with erlc here). The Lua scripts assert what they
//! receive and print `ok` lines; erl prints what it sees. Every wait ends after
//! `common::WAIT`; nothing sleeps and hopes.

#[path = "../../cube-dist/tests/common/mod.rs"]
mod common;

use common::{loopback, short_host, unique, Proc, WAIT};
use cube_dist::epmd::EpmdServer;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Instant;

const COOKIE: &str = "distsecret";

/// What every test script starts with: `erl` (the erl node's name), `peer` (its
/// registered `peer` process), `me`, `say` (print and flush, so the test sees the
/// line at once) and `recv` (a receive that fails after a minute).
const PRELUDE: &str = r#"
local erl = arg[1]
local peer = {"peer", erl}
local me = process.self()
local function say(...) print(...) io.stdout:flush() end
local function recv(match)
  local m
  if match then m = process.receive(match, 60000) else m = process.receive(60000) end
  assert(m ~= nil, "nothing received within a minute")
  return m
end
"#;

/// One erl node running the peer, with a private EPMD.
struct Cluster {
    _epmd: EpmdServer,
    port: u16,
    erl: Option<Proc>,
    erl_name: String,
    dir: PathBuf,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.erl.take();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Cluster {
    fn new() -> Cluster {
        Cluster::with_erl_args(&[])
    }

    /// With extra arguments for erl (`-kernel net_ticktime 4`, say).
    fn with_erl_args(extra: &[&str]) -> Cluster {
        let dir = std::env::temp_dir().join(unique("cube-dist-cli-"));
        std::fs::create_dir_all(&dir).unwrap();
        let src = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/erl/cube_peer.erl");
        let status = Command::new("erlc")
            .arg("-o")
            .arg(&dir)
            .arg(src)
            .status()
            .expect("erlc (these tests need Erlang: apt-get install erlang-base)");
        assert!(status.success(), "erlc failed");
        let epmd = EpmdServer::bind(loopback(0)).unwrap();
        let port = epmd.addr().port();
        let sname = unique("erlpeer");
        let mut cmd = Command::new("erl");
        cmd.args([
            "-sname",
            &sname,
            "-setcookie",
            COOKIE,
            "-noshell",
            "-start_epmd",
            "false",
        ])
        .args(extra)
        .arg("-pa")
        .arg(&dir)
        .args(["-s", "cube_peer", "start"])
        .env("ERL_EPMD_PORT", port.to_string())
        .env("HOME", &dir);
        let erl = Proc::spawn(cmd, &format!("erl {sname}"));
        erl.expect("up");
        Cluster {
            _epmd: epmd,
            port,
            erl: Some(erl),
            erl_name: format!("{sname}@{}", short_host()),
            dir,
        }
    }

    /// Only a private EPMD: for tests of cube nodes among themselves. The scripts'
    /// `erl` is then the name given to [`Cluster::cube_with`].
    fn without_erl() -> Cluster {
        let dir = std::env::temp_dir().join(unique("cube-dist-cli-"));
        std::fs::create_dir_all(&dir).unwrap();
        let epmd = EpmdServer::bind(loopback(0)).unwrap();
        let port = epmd.addr().port();
        Cluster {
            _epmd: epmd,
            port,
            erl: None,
            erl_name: String::new(),
            dir,
        }
    }

    fn erl(&self) -> &Proc {
        self.erl.as_ref().expect("erl is running")
    }

    /// `cube-cli run --sname NAME --cookie COOKIE script.lua ERLNAME`, with `PRELUDE`
    /// before `body`.
    fn cube(&self, body: &str) -> Cube {
        let script = self.script(body);
        self.cube_with(&["run"], &script, &self.erl_name)
    }

    /// [`Cluster::cube`] with `--net-ticktime SECONDS`.
    fn cube_ticktime(&self, seconds: u64, body: &str) -> Cube {
        let script = self.script(body);
        let t = seconds.to_string();
        self.cube_with(&["run", "--net-ticktime", &t], &script, &self.erl_name)
    }

    /// A script file of `PRELUDE` and `body`.
    fn script(&self, body: &str) -> PathBuf {
        let script = self.dir.join(format!("{}.lua", unique("script")));
        std::fs::write(&script, format!("{PRELUDE}\n{body}")).unwrap();
        script
    }

    /// `cube-cli COMMAND... --sname NAME --cookie COOKIE` then `script ARG` for `run`,
    /// `--script script` for `node`.
    fn cube_with(&self, command: &[&str], script: &std::path::Path, arg: &str) -> Cube {
        let sname = unique("cube");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_cube-cli"));
        cmd.args(command)
            .args(["--sname", &sname, "--cookie", COOKIE]);
        if command == ["node"] {
            cmd.arg("--script").arg(script);
        } else {
            cmd.arg(script).arg(arg);
        }
        let child = cmd
            .current_dir(&self.dir)
            .env("ERL_EPMD_PORT", self.port.to_string())
            .env("HOME", &self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("cube-cli");
        Cube::from_child(child, format!("{sname}@{}", short_host()))
    }
}

/// A `cube-cli run` child, killed on drop.
struct Cube {
    child: Child,
    lines: crossbeam_channel::Receiver<String>,
    name: String,
}

impl Cube {
    /// Takes over a spawned `cube-cli` whose stdout is piped.
    fn from_child(mut child: Child, name: String) -> Cube {
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = crossbeam_channel::unbounded();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                eprintln!("[cube] {line}");
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Cube { child, lines, name }
    }

    /// Waits for a line containing `needle`.
    fn expect(&self, needle: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return line,
                Ok(_) => continue,
                Err(_) => panic!("cube-cli: no line with {needle:?} within {WAIT:?}"),
            }
        }
    }

    /// Waits for the script to end and asserts that it succeeded.
    fn succeeds(mut self) {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "cube-cli failed: {status}");
                return;
            }
            assert!(Instant::now() < deadline, "cube-cli did not end");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}

impl Cube {
    /// Sends SIGTERM and asserts that the node stops with status 0.
    fn terminates(mut self) {
        // SAFETY: kill(2) on the pid of a child this test started and has not reaped.
        let rc = unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
        assert_eq!(rc, 0);
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "cube-cli node: {status}");
                return;
            }
            assert!(Instant::now() < deadline, "cube-cli node did not stop");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}

impl Drop for Cube {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn pings_both_ways() {
    let c = Cluster::new();
    let cube = c.cube(
        r#"
assert(node.self():match("^cube"), node.self())
assert(node.ping(erl) == "pong")
assert(node.ping("nobody@nohost") == "pang")
local listed = false
for _, n in ipairs(node.list()) do listed = listed or n == erl end
assert(listed, "erl not in node.list()")
process.send(peer, {cmd="ping", from=me, node=node.self()})
assert(recv() == "pong")
say("ok")
"#,
    );
    cube.expect("ok");
    assert!(!cube.name.is_empty());
    cube.succeeds();
}

#[test]
fn not_distributed_is_nonode() {
    let out = Command::new(env!("CARGO_BIN_EXE_cube-cli"))
        .args(["eval", "print(node.self(), #node.list(), node.ping('a@b'))"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "nonode@nohost\t0\tpang\n"
    );
}

#[test]
fn messages_both_ways_keep_their_types() {
    let c = Cluster::new();
    let cube = c.cube(
        r#"
-- Lua -> erl: erl matches the exact term it expects.
local A = term.atom
local x = {int=42, neg=-7, big=2^40, float=1.5, str="hé", list={1, 2, 3}, empty={},
           map={a=1}, yes=true, no=false, pid=me, atom=A"hello",
           tuple=term.tuple(A"ok", 1, "x"), marked=term.list{},
           nested=term.list{term.tuple(A"a", term.list{A"b"})}}
process.send(peer, {cmd="check", from=me, x=x})
assert(recv() == A"checked")

-- Lua -> erl -> Lua: the echo is the value sent, with its types.
process.send(peer, {cmd="echo", from=me, x=x})
local e = recv()
assert(e.int == 42 and e.neg == -7 and e.big == 2^40 and e.float == 1.5)
assert(e.str == "hé" and e.yes == true and e.no == false and e.pid == me)
assert(#e.list == 3 and e.list[3] == 3 and next(e.empty) == nil and e.map.a == 1)
assert(e.atom == A"hello" and term.type(e.atom) == "atom" and tostring(e.atom) == "hello")
assert(term.type(e.tuple) == "tuple" and #e.tuple == 3)
assert(e.tuple[1] == A"ok" and e.tuple[2] == 1 and e.tuple[3] == "x")
assert(term.type(e.marked) == "list" and term.type(e.list) == "list")
assert(term.type(e.nested[1]) == "tuple" and e.nested[1][2][1] == A"b")
-- A table reached twice goes to erl as a tree (Erlang keeps no sharing): the echo
-- has two equal tables, not the '$cube_tables' form.
local leaf = {7, 8}
process.send(peer, {cmd="echo", from=me, x={p = leaf, q = leaf}})
local d = recv()
assert(d.p ~= d.q and d.p[2] == 8 and d.q[2] == 8, "not expanded for erl")

-- erl -> Lua: every kind of Erlang term (the keys are atoms).
process.send(peer, {cmd="types", from=me})
local t = recv()
assert(t[A"int"] == 42 and t[A"neg"] == -7 and t[A"big"] == 2^40 and t[A"float"] == 1.5)
assert(t[A"bin"] == "hi" and t[A"yes"] == true and t[A"no"] == false)
assert(t[A"atom"] == A"hello")
local tu = t[A"tuple"]
assert(term.type(tu) == "tuple" and #tu == 2 and tu[1] == 1 and tu[2] == A"two")
local l = t[A"list"]
assert(term.type(l) == "list" and #l == 3 and l[2] == 2)
assert(term.type(t[A"map"]) == "table" and t[A"map"][A"a"] == 1)

-- A pid of the erl node prints as Erlang prints it, compares by value and is a key.
local p = t[A"pid"]
assert(tostring(p):match("^<[1-9]%d*%.%d+%.%d+>$"), tostring(p))
assert(p ~= me)
local seen = {[p] = true}
process.send(peer, {cmd="echo", from=me, x=p})
local p2 = recv()
assert(p2 == p and seen[p2] and tostring(p2) == tostring(p))
say("ok")
"#,
    );
    c.erl().expect("check ok");
    cube.expect("ok");
    cube.succeeds();
}

#[test]
fn registered_names_both_ways() {
    let c = Cluster::new();
    let cube = c.cube(
        r#"
process.register("lua_srv", me)
-- {name, node} to erl; erl sends to {lua_srv, cube}.
process.send(peer, {cmd="regsend", name="lua_srv", node=node.self(), x="via name"})
assert(recv() == "via name")
-- {name, this node} is a local send.
process.send({"lua_srv", node.self()}, "local")
assert(recv() == "local")
say("ok")
"#,
    );
    cube.expect("ok");
    cube.succeeds();
}

#[test]
fn links_across_nodes() {
    let c = Cluster::new();
    let cube = c.cube(
        r#"
process.trap_exit(true)
-- Lua links to an erl process, erl kills it: EXIT killed.
process.send(peer, {cmd="target", from=me})
local target = recv()
process.link(target)
-- The link must be in place on erl's side before the kill: a round trip through
-- the same connection orders it.
process.send(peer, {cmd="echo", from=me, x="sync"})
assert(recv() == "sync")
process.send(peer, {cmd="kill", pid=target})
local m = recv(function(m) return type(m) == "table" and m.tag == "EXIT" end)
assert(m.pid == target and m.reason == "killed", tostring(m.reason))

-- erl links to a Lua process, Lua kills it: erl sees the EXIT.
local victim = process.spawn(function() process.receive() end)
process.send(peer, {cmd="link", from=me, pid=victim})
assert(recv() == "linked")
-- Wait for its end: the script's end ends the node, and the victim's exit signal
-- must have been sent by then.
local ref = process.monitor(victim)
process.exit(victim, "kill")
recv(function(m) return type(m) == "table" and m.tag == "DOWN" and m.ref == ref end)
say("ok")
"#,
    );
    cube.expect("ok");
    c.erl().expect("exit killed");
    cube.succeeds();
}

#[test]
fn monitors_across_nodes() {
    let c = Cluster::new();
    let cube = c.cube(
        r#"
-- Lua monitors an erl process that ends with bye.
process.send(peer, {cmd="target", from=me})
local target = recv()
local ref = process.monitor(target)
process.send(peer, {cmd="echo", from=me, x="sync"})
assert(recv() == "sync")
process.send(peer, {cmd="die", pid=target})
local m = recv(function(m) return type(m) == "table" and m.tag == "DOWN" end)
assert(m.ref == ref and m.pid == target and m.reason == "bye", tostring(m.reason))

-- erl monitors a Lua process that ends with an error.
local victim = process.spawn(function() process.receive() error("crash", 0) end)
process.send(peer, {cmd="monitor", from=me, pid=victim})
assert(recv() == "monitoring")
local vref = process.monitor(victim)
process.send(victim, "go")
recv(function(m) return type(m) == "table" and m.tag == "DOWN" and m.ref == vref end)

-- A monitor of an erl process that is gone: DOWN noproc.
local gone = process.monitor(target)
local d = recv(function(m) return type(m) == "table" and m.tag == "DOWN" end)
assert(d.ref == gone and d.reason == "noproc", tostring(d.reason))
say("ok")
"#,
    );
    cube.expect("ok");
    c.erl().expect("down target bye");
    c.erl().expect("down <<\"crash\">>");
    cube.succeeds();
}

#[test]
fn a_killed_node_gives_noconnection() {
    let mut c = Cluster::new();
    let cube = c.cube(
        r#"
process.trap_exit(true)
process.send(peer, {cmd="target", from=me})
local linked = recv()
process.send(peer, {cmd="target", from=me})
local monitored = recv()
process.link(linked)
local ref = process.monitor(monitored)
node.monitor(erl)
process.send(peer, {cmd="echo", from=me, x="sync"})
assert(recv() == "sync")
say("ready")
local got = {}
for _ = 1, 3 do
  local m = recv()
  if m.tag == "EXIT" then
    assert(m.pid == linked and m.reason == "noconnection", tostring(m.reason))
  elseif m.tag == "DOWN" then
    assert(m.ref == ref and m.pid == monitored and m.reason == "noconnection", tostring(m.reason))
  else
    assert(m.tag == "nodedown" and m.node == erl, tostring(m.tag))
  end
  got[m.tag] = true
end
assert(got.EXIT and got.DOWN and got.nodedown)
assert(#node.list() == 0)
say("ok")
"#,
    );
    cube.expect("ready");
    drop(c.erl.take()); // SIGKILL
    cube.expect("ok");
    cube.succeeds();
}

#[test]
fn a_hundred_thousand_messages_in_order_both_ways() {
    let c = Cluster::new();
    let cube = c.cube(
        r#"
local n = 100000
process.send(peer, {cmd="flood", from=me, n=n})
for i = 1, n do
  local m = recv()
  if m ~= i then error("message " .. i .. " was " .. tostring(m)) end
end
process.send(peer, {cmd="count", from=me, n=n})
for i = 1, n do process.send(peer, i) end
assert(recv() == "counted")
say("ok")
"#,
    );
    cube.expect("ok");
    c.erl().expect("count ok");
    cube.succeeds();
}

/// Senders of [`concurrent_senders_keep_their_order_to_erl`] and its cube twin: eight
/// processes each send 3000 tuples `{S, I, Payload}` (I = 1..3000) to `peer` at the
/// same time, mostly small, some of a few KB, one in 200 of 100 KB (the socket fills,
/// writes are cut short, the back-pressure queue takes over), with a pause now and
/// then (the next send is a lone one again). Whatever way the writes are shared and
/// batched, each sender's messages must arrive in the order sent.
const STREAMS: &str = r#"
local senders, n = 8, 3000
process.send(peer, {cmd="streams", from=me, senders=senders, n=n})
local big = string.rep("x", 100000)
for s = 1, senders do
  process.spawn(function()
    local x = s
    for i = 1, n do
      x = (x * 48271) % 2147483647
      local r = x % 200
      local payload = ""
      if r == 0 then payload = big elseif r < 20 then payload = string.rep("y", x % 5000) end
      process.send(peer, term.tuple(s, i, payload))
      if r == 199 then process.sleep(1) end
    end
  end)
end
assert(recv() == "streamed")
say("ok")
"#;

#[test]
fn concurrent_senders_keep_their_order_to_erl() {
    let c = Cluster::new();
    let cube = c.cube(STREAMS);
    c.erl().expect("streams ok");
    cube.expect("ok");
    cube.succeeds();
}

#[test]
fn concurrent_senders_keep_their_order_between_cube_nodes() {
    let c = Cluster::without_erl();
    // The receiving node checks what the erl peer checks (`streams` in cube_peer.erl).
    let server = c.script(
        r#"
process.register("peer", me)
say("peer ready")
-- (Other processes' messages may come first: only each sender's order is promised.)
local m = recv(function(m) return term.type(m) ~= "tuple" end)
local next_, left, bad = {}, m.senders * m.n, nil
while left > 0 do
  local t = recv()
  local s, i = t[1], t[2]
  local want = next_[s] or 1
  if i ~= want and not bad then bad = s .. ": " .. i .. " where " .. want .. " was due" end
  next_[s] = i + 1
  left = left - 1
end
say(bad and ("streams out of order " .. bad) or "streams ok")
process.send(m.from, "streamed")
"#,
    );
    let srv = c.cube_with(&["node"], &server, "");
    srv.expect("peer ready");
    let client = c.cube_with(&["run"], &c.script(STREAMS), &srv.name);
    assert_eq!(srv.expect("streams"), "streams ok");
    client.expect("ok");
    client.succeeds();
    srv.terminates();
}

#[test]
fn cube_nodes_talk_without_erl() {
    let c = Cluster::without_erl();
    // `cube-cli node`: stays up after its script, until SIGTERM.
    let server = c.script(
        r#"
process.register("srv", me)
say("srv ready")
while true do
  local m = process.receive()
  process.send(m.from, {echo=m.x, node=node.self(), t=term.tuple(term.atom"ok", m.x[1])})
end
"#,
    );
    let srv = c.cube_with(&["node"], &server, "");
    srv.expect("srv ready");
    let client = c.cube_with(
        &["run"],
        &c.script(
            r#"
local srv = arg[1]
assert(node.ping(srv) == "pong")
process.send({"srv", srv}, {from=me, x={1, 2, {a="b"}}})
local m = recv()
assert(m.node == srv and m.echo[2] == 2 and m.echo[3].a == "b")
assert(term.type(m.t) == "tuple" and m.t[1] == term.atom"ok" and m.t[2] == 1)
assert(node.list()[1] == srv)
-- A table graph with a cycle and sharing crosses whole, both ways.
local g = {name = "root"}
g.self = g
local shared = {1, 2}
g.a, g.b = shared, shared
process.send({"srv", srv}, {from=me, x=g})
m = recv(function(m) return type(m) == "table" and type(m.echo) == "table" and m.echo.name == "root" end)
assert(m.echo.self == m.echo and m.echo.a == m.echo.b and m.echo.a[2] == 2)
-- Sharing without a cycle is kept too between cube nodes (each knows the other is
-- one from EPMD), as between two local processes.
local leaf = {3, 4}
process.send({"srv", srv}, {from=me, x={dag = true, p = leaf, q = {leaf}}})
m = recv(function(m) return type(m) == "table" and type(m.echo) == "table" and m.echo.dag end)
assert(m.echo.p == m.echo.q[1] and m.echo.p[2] == 4, "the shared table arrived twice")
-- node.call between cube nodes: a global table's function, a Lua error.
assert(node.call(srv, "string", "upper", {"abc"}) == "ABC")
local v, why = node.call(srv, "string", "rep", {})
assert(v == nil and term.type(why) == "tuple" and why[1] == term.atom"EXIT", tostring(why))
assert(tostring(why[2][1]):find("bad argument", 1, true), tostring(why[2][1]))
-- node.spawn: the function travels as verified bytecode, with its upvalues copied
-- (a recursive local function keeps its own cell).
local offset = 10
local function fact(n) if n <= 1 then return 1 end return n * fact(n - 1) end
local pid = node.spawn(srv, function(parent, x)
  process.send(parent, {spawned = x + offset, fact = fact(10), on = node.self(), up = string.upper("a")})
end, me, 5)
assert(term.type(pid) == "pid" and pid ~= me)
local m = recv(function(m) return type(m) == "table" and m.spawned end)
assert(m.spawned == 15 and m.fact == 3628800 and m.on == srv and m.up == "A")
assert(not pcall(node.spawn, srv, print), "a native function cannot travel")
local file = io.stdout
assert(not pcall(node.spawn, srv, function() return file end), "nor a file upvalue")
local gone, reason = node.spawn("nobody@nohost", function() end)
assert(gone == nil and reason == term.atom"nodedown")
say("ok")
"#,
        ),
        &srv.name,
    );
    client.expect("ok");
    client.succeeds();
    srv.terminates();
}

#[test]
fn a_silent_node_is_down_after_the_tick_time() {
    // erl stopped (SIGSTOP), not killed: its socket stays open, only ticks stop.
    let c = Cluster::with_erl_args(&["-kernel", "net_ticktime", "4"]);
    let cube = c.cube_ticktime(
        4,
        r#"
process.trap_exit(true)
process.send(peer, {cmd="target", from=me})
local target = recv()
process.link(target)
node.monitor(erl)
process.send(peer, {cmd="echo", from=me, x="sync"})
assert(recv() == "sync")
say("ready")
local got = {}
for _ = 1, 2 do
  local m = recv()
  assert(m.reason == "noconnection" or m.tag == "nodedown", tostring(m.tag))
  got[m.tag] = true
end
assert(got.EXIT and got.nodedown)
say("ok")
"#,
    );
    cube.expect("ready");
    let erl = c.erl().id() as libc::pid_t;
    // SAFETY: kill(2) on the pid of a child this test started and has not reaped.
    assert_eq!(unsafe { libc::kill(erl, libc::SIGSTOP) }, 0);
    cube.expect("ok");
    cube.succeeds();
    // SAFETY: as above; the stopped erl is killed (and reaped) when `c` drops.
    unsafe { libc::kill(erl, libc::SIGCONT) };
}

#[test]
fn the_repl_on_a_named_node_pings_erl() {
    use std::io::Write;
    let c = Cluster::new();
    let mut child = Command::new(env!("CARGO_BIN_EXE_cube-cli"))
        .args(["repl", "--sname", &unique("cuberepl"), "--cookie", COOKIE])
        .env("ERL_EPMD_PORT", c.port.to_string())
        .env("HOME", &c.dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("cube-cli repl");
    let input = format!(
        "print(node.ping('{}'), node.self():match('^cuberepl') ~= nil)\n",
        c.erl_name
    );
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    // End of input (stdin dropped above) ends the shell, as at a terminal.
    let repl = Cube::from_child(child, String::new());
    repl.expect("pong\ttrue");
    repl.succeeds();
}

#[test]
fn the_lfe_shell_on_a_named_node_pings_erl() {
    use std::io::Write;
    let c = Cluster::new();
    let mut child = Command::new(env!("CARGO_BIN_EXE_cube-cli"))
        .args(["lfe", "--sname", &unique("cubelfe"), "--cookie", COOKIE])
        .env("ERL_EPMD_PORT", c.port.to_string())
        .env("HOME", &c.dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("cube-cli lfe");
    // The shell's node is the named one: a Lua process it starts pings erl and
    // answers the shell, which receives at the prompt.
    let input = format!(
        "(let ((me (self))) (lua:spawn \"local me = ... process.send(me, tostring(node.ping('{}')) .. ' ' .. tostring(node.self():match('^cubelfe') ~= nil))\" (list me)) (receive (r r)))\n\
         (let ((me (self))) (lua:spawn \"process.send(..., node.self())\" (list me)) (receive (r (tuple 'node-is-self (=:= (node) (binary_to_atom r 'utf8))))))\n",
        c.erl_name
    );
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let shell = Cube::from_child(child, String::new());
    shell.expect("#\"pong true\"");
    // (node) is the node's name, as Lua's node.self() says.
    shell.expect("#(node-is-self true)");
    shell.succeeds();
}

#[test]
fn a_supervisor_node_joins_the_cluster() {
    let c = Cluster::new();
    let config = c.dir.join("sup.toml");
    std::fs::write(
        &config,
        "[supervisor]\nlog_dir = \"logs\"\n\n[programs.s]\ncommand = \"sleep\"\nargs = [\"1000\"]\n",
    )
    .unwrap();
    let script = c.dir.join("sup_script.lua");
    std::fs::write(
        &script,
        format!("print('supervised', node.ping({:?}))\n", c.erl_name),
    )
    .unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_cube-cli"))
        .arg("supervise")
        .arg(&config)
        .arg("--script")
        .arg(&script)
        .args(["--sname", &unique("cubesup"), "--cookie", COOKIE])
        .env("ERL_EPMD_PORT", c.port.to_string())
        .env("HOME", &c.dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("cube-cli supervise");
    let sup = Cube::from_child(child, String::new());
    sup.expect("supervised\tpong");
    sup.terminates();
}

#[test]
fn a_ten_megabyte_binary_both_ways() {
    let c = Cluster::new();
    let cube = c.cube(
        r#"
local big = string.rep("0123456789", 1024 * 1024)
process.send(peer, {cmd="echo", from=me, x=big})
local back = recv()
assert(#back == #big and back == big)
say("ok")
"#,
    );
    cube.expect("ok");
    cube.succeeds();
}

#[test]
fn three_cube_nodes_and_erl_in_one_cluster() {
    let c = Cluster::new();
    let member = c.script("process.register('m', me) say('member up') process.receive()");
    let a = c.cube_with(&["node"], &member, "");
    let b = c.cube_with(&["node"], &member, "");
    a.expect("member up");
    b.expect("member up");
    let cube = c.cube_with(
        &["run"],
        &c.script(&format!(
            r#"
local others = {{erl, {:?}, {:?}}}
for _, n in ipairs(others) do assert(node.ping(n) == "pong", n) end
local seen = {{}}
for _, n in ipairs(node.list()) do seen[n] = true end
for _, n in ipairs(others) do assert(seen[n], n .. " not in node.list()") end
-- erl sees this node too, and pings the two others.
for _, n in ipairs({{node.self(), others[2], others[3]}}) do
  process.send(peer, {{cmd="ping", from=me, node=n}})
  assert(recv() == "pong", n)
end
say("ok")
"#,
            a.name, b.name
        )),
        &c.erl_name,
    );
    cube.expect("ok");
    cube.succeeds();
    a.terminates();
    b.terminates();
}

#[test]
fn examples_cluster_workers_serve_an_erlang_shell() {
    let c = Cluster::without_erl();
    let script = std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/cluster/workers.lua"
    ));
    let cube = c.cube_with(&["node"], script, "");
    cube.expect("pool up on");
    let eval = format!(
        "Pool = {{pool, '{}'}}, \
         Ask = fun(Job, Arg) -> Pool ! {{self(), Job, Arg}}, \
               receive R -> io:format(\"~p~n\", [R]) after 60000 -> io:format(\"timeout~n\") end end, \
         Ask(square, 7), Ask(fib, 30), Ask(fail, <<\"no\">>), Ask(nosuch, 1), \
         io:format(\"done~n\"), halt().",
        cube.name
    );
    let erl = common::erl(&unique("erlshell"), COOKIE, c.port, &eval);
    erl.expect("{result,49}");
    erl.expect("{result,832040}");
    erl.expect("{error,<<\"no\">>}");
    erl.expect("{error,<<\"unknown job nosuch\">>}");
    erl.expect("done");
    cube.terminates();
}

#[test]
fn terms_without_a_lua_form_are_dropped_and_the_node_goes_on() {
    let c = Cluster::new();
    let cube = c.cube(
        r#"
process.send(peer, {cmd="odd", from=me})
local m = recv()
assert(m == "after", tostring(m))
-- The connection is still up and working.
process.send(peer, {cmd="echo", from=me, x="still here"})
assert(recv() == "still here")
say("ok")
"#,
    );
    cube.expect("ok");
    cube.succeeds();
}

#[test]
fn a_stopped_node_suspends_its_senders_and_loses_nothing() {
    // 600 messages of 100 KB (60 MB) to an erl that is stopped (SIGSTOP) after the
    // first: once the socket buffers, the connection's 1 MB and the worker's 1 MB
    // backlog are full, the sender is suspended (back-pressure, as Erlang's busy
    // distribution port) instead of queueing all 60 MB. When erl goes on, every
    // message arrives, in order.
    let c = Cluster::new();
    let cube = c.cube(
        r#"
local n, size = 600, 100000
local payload = string.rep("x", size)
process.send(peer, {cmd="echo", from=me, x="sync"})
assert(recv() == "sync")
process.send(peer, {cmd="count_sized", from=me, n=n, size=size})
say("ready")
local main = me
process.spawn(function()
  for i = 1, n do
    process.send(peer, term.tuple(i, payload))
    if i % 10 == 0 then process.send(main, {sent=i}) end
  end
end)
local sent = 0
while sent < n do
  local m = recv(function(m) return type(m) == "table" and m.sent end)
  sent = m.sent
  say("sent " .. sent)
end
assert(recv() == "counted")
say("ok")
"#,
    );
    cube.expect("ready");
    let erl = c.erl().id() as libc::pid_t;
    // SAFETY: kill(2) on the pid of a child this test started and has not reaped.
    assert_eq!(unsafe { libc::kill(erl, libc::SIGSTOP) }, 0);
    // (erl may take a few messages before the signal lands: the bound leaves room.)
    // Read the sender's progress until it stalls for two seconds.
    let mut sent_while_stopped = 0usize;
    while let Ok(line) = cube.lines.recv_timeout(std::time::Duration::from_secs(2)) {
        if let Some(n) = line.strip_prefix("sent ") {
            sent_while_stopped = n.parse().unwrap();
        }
        assert!(
            sent_while_stopped < 300,
            "{sent_while_stopped} messages of 100 KB queued for a stopped node"
        );
    }
    assert!(sent_while_stopped > 0, "the sender never started");
    // SAFETY: as above.
    assert_eq!(unsafe { libc::kill(erl, libc::SIGCONT) }, 0);
    cube.expect("ok");
    c.erl().expect("count_sized ok");
    cube.succeeds();
}

#[test]
fn erlang_calls_lua_functions_by_rpc_erpc_and_spawn() {
    // rpc:call, erpc:call/cast, spawn/4 and spawn_monitor/4 from erl run Lua functions
    // (the module m.lua in the node's working directory, or a global table such as
    // `string`): results, Lua errors and undef as the BEAM gives them.
    let c = Cluster::new();
    std::fs::write(
        c.dir.join("m.lua"),
        r#"
local M = {}
function M.add(a, b) return a + b end
function M.echo(x) return x end
function M.boom() error("boom!") end
function M.notify(pid, what) process.send(pid, term.tuple(term.atom"notified", what)) end
return M
"#,
    )
    .unwrap();
    let cube = c.cube(
        r#"
process.send(peer, {cmd="rpc", from=me})
assert(recv() == "rpc done")
say("ok")
"#,
    );
    let checks = [
        "add",
        "global_module",
        "round_trip",
        "undef",
        "undef_function",
        "lua_error",
        "erpc",
        "erpc_error",
        "cast",
        "spawn",
        "spawn_monitor",
    ];
    for name in checks {
        let line = c.erl().expect(&format!("rpc {name} "));
        assert_eq!(line, format!("rpc {name} ok"), "{line}");
    }
    c.erl().expect("rpc checks done");
    cube.expect("ok");
    cube.succeeds();
}

#[test]
fn lua_calls_erlang_functions_with_node_call() {
    // node.call is rpc:call: values come back converted, failures as nil and the
    // badrpc reason; output of the called function comes to this node's stdout.
    let c = Cluster::new();
    let cube = c.cube(
        r#"
local A = term.atom
assert(node.call(erl, "erlang", "node", {}) == A(erl))
local seq = node.call(erl, "lists", "seq", {1, 5})
assert(term.type(seq) == "list" and #seq == 5 and seq[5] == 5)
assert(node.call(erl, "lists", "reverse", {term.list{1, 2, 3}})[1] == 3)
assert(node.call(erl, "erlang", "throw", {42}) == 42)
local v, why = node.call(erl, "erlang", "error", {A"oops"})
assert(v == nil and why[1] == A"EXIT" and why[2][1] == A"oops", tostring(why))
v, why = node.call(erl, "nomod", "f", {1})
assert(v == nil and why[1] == A"EXIT" and why[2][1] == A"undef")
v, why = node.call(erl, "erlang", "exit", {A"bye"})
assert(v == nil and why[1] == A"EXIT" and why[2] == A"bye")
v, why = node.call(erl, "timer", "sleep", {60000}, 50)
assert(v == nil and why == A"timeout", tostring(why))
assert(node.call(erl, "io", "put_chars", {"output of erl\n"}) == A"ok")
-- io:format there is formatted here, as erl formats it (expected text from erl itself).
assert(node.call(erl, "io", "format", {"~p|~w|~s|~.3f|~.16B|~10.2e|~-6w|~n",
    {{k = {1, 2, term.tuple(A"x", "bin")}}, 1234567890123, "text", 3.14159, 255, 1234.5, A"ab"}}) == A"ok")
-- A bad format is badarg there, as with erl's own group leader.
v, why = node.call(erl, "io", "format", {"~d~n", {1}})
assert(v == nil and why[1] == A"EXIT" and why[2][1] == A"badarg", tostring(why))
v, why = node.call("nobody@nohost", "erlang", "node", {})
assert(v == nil and why == A"nodedown")
assert(not pcall(node.call, node.self(), "m", "f", {}))
assert(not pcall(node.call, erl, "m", "f", 42))
say("ok")
"#,
    );
    cube.expect("output of erl");
    cube.expect(
        r#"#{<<"k">> => [1,2,{x,<<"bin">>}]}|1234567890123|text|3.142|FF|    1.2e+3|ab    |"#,
    );
    cube.expect("ok");
    cube.succeeds();
}

#[test]
fn examples_cluster_remote_workers_are_restarted_across_nodes() {
    // examples/cluster/remote_workers.lua: a supervisor on one cube node, its workers
    // spawned on another; the bad job's worker crashes there and is restarted there.
    let c = Cluster::without_erl();
    let workers = c.cube_with(&["node"], &c.script(r#"say("workers up")"#), "");
    workers.expect("workers up");
    let example = std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/cluster/remote_workers.lua"
    ));
    let boss = c.cube_with(&["run"], example, &workers.name);
    boss.expect("job  5: 5 squared is 25");
    let failed = boss.expect("job  6:");
    assert!(
        failed.contains("nine failed (attempt to perform arithmetic on field 'input'"),
        "{failed}"
    );
    boss.expect("job 10: 3 squared is 9");
    boss.expect("3 workers under the supervisor, all on the other node; 4 started in all");
    boss.succeeds();
    workers.terminates();
}

#[test]
fn a_sandboxed_node_serves_rpc_without_the_dangerous_libraries() {
    // The cookie is the only protection (as in Erlang), but under --sandbox the
    // processes an rpc:call starts have no os.execute, io or require.
    let c = Cluster::without_erl();
    // No PRELUDE (its `say` flushes through io, which the sandbox lacks): erl waits
    // until the node answers instead.
    let script = c.dir.join("sandboxed.lua");
    std::fs::write(&script, "process.receive(60000)").unwrap();
    let cube = c.cube_with(&["run", "--sandbox"], &script, "");
    let eval = format!(
        "N = '{}', \
         Up = fun Up(0) -> down; Up(K) -> case net_adm:ping(N) of pong -> up; \
              pang -> timer:sleep(100), Up(K - 1) end end, \
         up = Up(600), \
         io:format(\"~p~n\", [rpc:call(N, os, execute, [<<\"true\">>])]), \
         io:format(\"~p~n\", [rpc:call(N, string, upper, [<<\"a\">>])]), \
         io:format(\"done~n\"), halt().",
        cube.name
    );
    let erl = common::erl(&unique("erlsbx"), COOKIE, c.port, &eval);
    erl.expect("{badrpc,{'EXIT',{undef,[{os,execute,[<<\"true\">>],[]}]}}}");
    erl.expect("<<\"A\">>");
    erl.expect("done");
}
