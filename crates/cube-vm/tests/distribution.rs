//! The distribution hook (`Distribution`, DESIGN.md decision 8) without a network: a
//! fake layer records what the node asks of it, and the test plays the other node
//! through `NodeHandle`'s `remote_*` calls. (cube-cli's tests/distribution.rs runs the
//! real thing against erl.)

use cube_term::{Pid, Reference, Term};
use cube_vm::{Destination, Distribution, ExitReason, Node, NodeHandle, PingReply};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The pid of a process of "erl@h", index 5349 as the node table might give it.
const REMOTE: Pid = Pid::new(5349, 87, 0);

#[derive(Default)]
struct Fake {
    log: Mutex<Vec<String>>,
    /// What `is_busy` answers, and the wake-ups `when_drained` was given meanwhile.
    busy: AtomicBool,
    drained: Mutex<Vec<Box<dyn FnOnce() + Send>>>,
}

impl Fake {
    fn note(&self, s: String) {
        self.log.lock().unwrap().push(s);
    }

    /// Waits until a logged line contains `needle`; returns that line.
    fn wait_for(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(l) = self.log.lock().unwrap().iter().find(|l| l.contains(needle)) {
                return l.clone();
            }
            assert!(Instant::now() < deadline, "no {needle:?} in {:?}", self.log);
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

fn text(r: &ExitReason) -> String {
    match r {
        ExitReason::Normal => "normal".into(),
        ExitReason::Error { message, .. } => message.clone().unwrap_or_default(),
        ExitReason::Term(t) => cube_vm::engine::term_text(t),
    }
}

impl Distribution for Fake {
    fn node_name(&self) -> String {
        "cube@h".into()
    }
    fn nodes(&self) -> Vec<String> {
        vec!["erl@h".into()]
    }
    fn send(&self, from: Option<Pid>, to: Pid, msg: Term) {
        let from = from.map_or("none".into(), |p| p.to_string());
        self.note(format!("send {from} {to} {msg:?}"));
    }
    fn reg_send(&self, from: Pid, name: &str, node: &str, msg: Term) {
        self.note(format!("reg_send {from} {name} {node} {msg:?}"));
    }
    fn link(&self, from: Pid, to: Pid) {
        self.note(format!("link {from} {to}"));
    }
    fn unlink(&self, from: Pid, to: Pid) {
        self.note(format!("unlink {from} {to}"));
    }
    fn exit(&self, from: Pid, to: Pid, reason: &ExitReason) {
        self.note(format!("exit {from} {to} {}", text(reason)));
    }
    fn exit2(&self, from: Pid, to: Pid, reason: &ExitReason) {
        self.note(format!("exit2 {from} {to} {}", text(reason)));
    }
    fn monitor(&self, from: Pid, target: Pid, r: Reference) {
        self.note(format!("monitor {from} {target} {r}"));
    }
    fn demonitor(&self, from: Pid, target: Pid, r: Reference) {
        self.note(format!("demonitor {from} {target} {r}"));
    }
    fn monitor_exit(&self, from: Pid, watcher: Pid, r: Reference, reason: &ExitReason) {
        self.note(format!(
            "monitor_exit {from} {watcher} {r} {}",
            text(reason)
        ));
    }
    fn ping(&self, node: &str, reply: PingReply) {
        let pong = node == "erl@h";
        // Answer from another thread, as a network would.
        std::thread::spawn(move || reply(pong));
    }
    fn connect(&self, node: &str) {
        self.note(format!("connect {node}"));
    }
    fn is_busy(&self, _to: Destination<'_>) -> bool {
        self.busy.load(Ordering::SeqCst)
    }
    fn when_drained(&self, _to: Destination<'_>, wake: Box<dyn FnOnce() + Send>) {
        if self.busy.load(Ordering::SeqCst) {
            self.drained.lock().unwrap().push(wake);
        } else {
            wake();
        }
    }
}

fn start(src: &str, fake: Option<Arc<Fake>>) -> (Node, Pid, NodeHandle) {
    let node = Node::start(2, cube_lua::stdlib::open_libs);
    if let Some(f) = fake {
        assert!(node.set_distribution(f.clone()));
        assert!(!node.set_distribution(f), "installed once only");
    }
    let src = src.to_owned();
    let pid = node
        .spawn_main(move |st| {
            st.push_chunk(src.as_bytes(), "=test")
                .map_err(|e| e.message)?;
            Ok(0)
        })
        .unwrap();
    let h = node.handle();
    // The first message of every test program: a pid of another node.
    assert!(h.send(pid, Term::Pid(REMOTE)));
    (node, pid, h)
}

#[test]
fn without_distribution_other_nodes_are_unreachable() {
    let (node, pid, _h) = start(
        r#"
local p = process.receive(5000)
assert(node.self() == "nonode@nohost" and #node.list() == 0)
assert(node.ping("erl@h") == "pang")
local v, why = node.call("erl@h", "erlang", "node", {})
assert(v == nil and why == term.atom"nodedown")
process.send(p, "vanishes")
process.send({"srv", "erl@h"}, "vanishes")
process.trap_exit(true)
process.link(p)
local m = process.receive(5000)
assert(m.tag == "EXIT" and m.pid == p and m.reason == "noconnection", m.reason)
local r = process.monitor(p)
m = process.receive(5000)
assert(m.tag == "DOWN" and m.ref == r and m.reason == "noconnection", m.reason)
node.monitor("erl@h")
m = process.receive(5000)
assert(m.tag == "nodedown" and m.node == "erl@h")
"#,
        None,
    );
    assert_eq!(node.wait(pid), ExitReason::Normal);
}

#[test]
fn remote_pids_go_through_the_hook() {
    let fake = Arc::new(Fake::default());
    let (node, pid, h) = start(
        r#"
local p = process.receive(5000)
assert(tostring(p) == "<5349.87.0>", tostring(p))
local again = process.receive(5000)
assert(again == p and rawequal(again, p))
local t = {[p] = "remote"}
assert(t[again] == "remote")
assert(not process.is_alive(p))
assert(node.self() == "cube@h" and node.list()[1] == "erl@h")
assert(node.ping("erl@h") == "pong" and node.ping("x@y") == "pang")
process.send(p, "hello")
process.send({"srv", "erl@h"}, "named")
process.trap_exit(true)
process.link(p)
local ref = process.monitor(p)
node.monitor("erl@h")
process.exit(p, "kill")
process.send(p, "ready")
local got = {}
for _ = 1, 3 do
  local m = process.receive(60000)
  got[m.tag] = m
end
assert(got.EXIT.pid == p and got.EXIT.reason == "noconnection")
assert(got.DOWN.ref == ref and got.DOWN.reason == "noconnection")
assert(got.nodedown.node == "erl@h")
"#,
        Some(fake.clone()),
    );
    assert!(h.send(pid, Term::Pid(REMOTE)));
    fake.wait_for("Binary([114, 101, 97, 100, 121])"); // "ready"
    let me = pid.to_string();
    let log = fake.log.lock().unwrap().clone();
    let expected = [
        format!("send {me} <5349.87.0> Binary([104, 101, 108, 108, 111])"),
        format!("reg_send {me} srv erl@h"),
        format!("link {me} <5349.87.0>"),
        format!("monitor {me} <5349.87.0>"),
        format!("exit2 {me} <5349.87.0> kill"),
    ];
    for (e, l) in expected.iter().zip(&log) {
        assert!(l.starts_with(e.as_str()), "{l:?} should start with {e:?}");
    }
    h.node_down("erl@h", &[5349]);
    assert_eq!(node.wait(pid), ExitReason::Normal);
}

#[test]
fn signals_from_another_node() {
    let fake = Arc::new(Fake::default());
    let (node, pid, h) = start(
        r#"
local p = process.receive(5000)
process.register("srv", process.self())
local m = process.receive(60000)
assert(m == "linked and monitored")
error("bye", 0)
"#,
        Some(fake.clone()),
    );
    let r = Reference::new(5349, 3);
    h.remote_link(REMOTE, pid);
    h.remote_monitor(REMOTE, pid, r);
    assert!(h.send_named_eventually("srv", Term::binary(b"linked and monitored")));
    let reason = node.wait(pid);
    assert_eq!(text(&reason), "bye");
    fake.wait_for(&format!("exit {pid} <5349.87.0> bye"));
    fake.wait_for(&format!("monitor_exit {pid} <5349.87.0> {r} bye"));
    // Signals for a process that is gone are answered with noproc.
    h.remote_link(REMOTE, pid);
    fake.wait_for(&format!("exit {pid} <5349.87.0> noproc"));
    let r2 = Reference::new(5349, 4);
    h.remote_monitor(REMOTE, pid, r2);
    fake.wait_for(&format!("monitor_exit {pid} <5349.87.0> {r2} noproc"));
}

#[test]
fn an_exit_signal_from_another_node_kills() {
    let fake = Arc::new(Fake::default());
    let (node, pid, h) = start(
        r#"
process.trap_exit(true)
local p = process.receive(5000)
process.register("srv", process.self())
process.receive()
process.receive()
"#,
        Some(fake),
    );
    assert!(h.send_named_eventually("srv", Term::binary(b"sync")));
    h.remote_exit(REMOTE, pid, "kill", false);
    assert_eq!(text(&node.wait(pid)), "killed");
}

/// Sending to a name the test program registers when it gets there.
trait SendNamed {
    fn send_named_eventually(&self, name: &str, msg: Term) -> bool;
}

impl SendNamed for NodeHandle {
    fn send_named_eventually(&self, name: &str, msg: Term) -> bool {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if self.whereis(name).is_some() {
                return self.send_named(name, msg);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        false
    }
}

#[test]
fn atoms_tuples_and_lists_keep_their_kind_between_processes() {
    let (node, pid, _h) = start(
        r#"
process.receive(5000)
local A = term.atom
assert(A"ok" == A"ok" and A"ok" ~= A"error" and A"ok" ~= "ok")
assert(tostring(A"ok") == "ok" and term.type(A"ok") == "atom")
assert(A"true" == true and A"false" == false and A"nil" == nil)
local t = {[A"key"] = term.tuple(A"ok", 1, term.list{2, 3}), plain = {1, 2}}
local me = process.self()
local child = process.spawn(function(parent)
  local m = process.receive(5000)
  process.send(parent, m)
end, me)
process.send(child, t)
local back = process.receive(5000)
local tu = back[A"key"]
assert(term.type(tu) == "tuple" and tu[1] == A"ok" and tu[2] == 1)
assert(term.type(tu[3]) == "list" and tu[3][2] == 3)
assert(term.type(back.plain) == "table" and term.type(me) == "pid")
assert(term.type(term.list()) == "list" and term.type(1) == "number")
"#,
        None,
    );
    assert_eq!(node.wait(pid), ExitReason::Normal);
}

#[test]
fn a_send_to_a_busy_node_suspends_the_sender_until_the_node_drains() {
    let fake = Arc::new(Fake::default());
    fake.busy.store(true, Ordering::SeqCst);
    let (node, pid, _h) = start(
        r#"
local p = process.receive(5000)
process.send(p, "first")
process.send({"srv", "erl@h"}, "second")
process.send(p, "third")
"#,
        Some(fake.clone()),
    );
    let suspended = |n: usize| {
        let deadline = Instant::now() + Duration::from_secs(60);
        while fake.drained.lock().unwrap().len() < n {
            assert!(Instant::now() < deadline, "the sender was not suspended");
            std::thread::sleep(Duration::from_millis(5));
        }
    };
    let sends = || {
        let log = fake.log.lock().unwrap();
        log.iter()
            .filter(|l| l.contains("send"))
            .cloned()
            .collect::<Vec<_>>()
    };
    suspended(1);
    assert_eq!(sends().len(), 1, "{:?}", sends());
    // A wake-up while the node is still busy: the sender waits again, sends nothing.
    let spurious = fake.drained.lock().unwrap().pop().unwrap();
    spurious();
    suspended(1);
    assert_eq!(sends().len(), 1, "{:?}", sends());
    // Drained: it goes on; each message was sent once, in order.
    fake.busy.store(false, Ordering::SeqCst);
    for wake in std::mem::take(&mut *fake.drained.lock().unwrap()) {
        wake();
    }
    assert_eq!(node.wait(pid), ExitReason::Normal);
    let bytes = |w: &str| format!("{:?}", w.as_bytes());
    let sends = sends();
    assert_eq!(sends.len(), 3, "{sends:?}");
    assert!(sends[0].starts_with("send ") && sends[0].contains(&bytes("first")));
    assert!(sends[1].starts_with("reg_send ") && sends[1].contains(&bytes("second")));
    assert!(sends[2].starts_with("send ") && sends[2].contains(&bytes("third")));
}

#[test]
fn node_monitors_are_bounded_per_process() {
    let fake = Arc::new(Fake::default());
    let (node, pid, _h) = start(
        r#"
process.receive(5000)
for i = 1, 4096 do node.monitor("n" .. i % 7 .. "@h") end
local ok, err = pcall(node.monitor, "n1@h")
assert(not ok and err:find("too many node monitors", 1, true), err)
node.monitor("n1@h", false)
node.monitor("n1@h")
"#,
        Some(fake),
    );
    assert_eq!(node.wait(pid), ExitReason::Normal);
}
