//! The Lua `node` library, in every process: this node and the others it talks to.
//!
//! | call | meaning |
//! |---|---|
//! | `node.self()` | this node's name, `"nonode@nohost"` when not distributed |
//! | `node.list()` | names of the connected nodes, sorted |
//! | `node.ping(name)` | `"pong"` or `"pang"`, connecting on demand (`net_adm:ping/1`) |
//! | `node.monitor(name [, false])` | `{tag="nodedown", node=name}` arrives when the connection is lost |
//!
//! Everything goes through the node's [`Distribution`](crate::Distribution). A ping
//! waits for the network, so it suspends the calling process (`io_wait`), never the
//! scheduler thread: the answer arrives on another thread, is put in the process's
//! [`PingSlot`] and wakes it.

use crate::io_wait;
use crate::node::NodeInner;
use cube_lua::host::{Args, Cx, HostResult, Ret, Val};
use std::sync::{Arc, Mutex};

/// The name of a node that is not distributed, as erl's.
pub const NONODE: &str = "nonode@nohost";

/// The answer of a ping in flight, and the waker of the process waiting for it. One
/// lock covers both, so an answer that comes while the process is blocking again is
/// never missed: either the process sees the answer, or the answerer sees its waker.
pub(crate) struct PingSlot {
    /// The node pinged: a call that finds another name here is not the re-run of
    /// this ping (the one that blocked was abandoned, by an interrupt say).
    node: String,
    state: Mutex<(Option<bool>, Option<io_wait::Waker>)>,
}

impl PingSlot {
    fn answer(&self, pong: bool) {
        let waker = {
            let mut s = self.state.lock().expect("ping slot lock");
            s.0 = Some(pong);
            s.1.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

/// This node's name.
pub(crate) fn self_name(node: &NodeInner) -> String {
    node.distribution()
        .map_or_else(|| NONODE.to_owned(), |d| d.node_name())
}

/// Adds the `node` table to the state every process starts from.
pub(crate) fn open(cx: &mut Cx<'_>) {
    let lib = cx.new_table();
    cx.register(
        lib,
        &[
            ("self", self_),
            ("list", list),
            ("ping", ping),
            ("monitor", monitor),
            ("call", crate::node_call::call),
            ("spawn", crate::node_call::spawn),
        ],
    );
    cx.set_global("node", Val::Table(lib));
    let loaded = cx.loaded_table();
    cx.set_field(loaded, "node", Val::Table(lib));
}

fn self_<'n>(cx: &mut Cx<'n>, _a: Args) -> HostResult<'n, Ret> {
    let node = crate::library::node_of(cx);
    let name = self_name(&node);
    cx.push_str(name.as_bytes());
    Ok(Ret::Values(1))
}

fn list<'n>(cx: &mut Cx<'n>, _a: Args) -> HostResult<'n, Ret> {
    let node = crate::library::node_of(cx);
    let mut names = node.distribution().map(|d| d.nodes()).unwrap_or_default();
    names.sort();
    let t = cx.new_table_with(names.len(), 0);
    for (i, n) in names.iter().enumerate() {
        let v = cx.new_str(n.as_bytes());
        cx.raw_set_int(t, i as i64 + 1, v);
    }
    cx.push(Val::Table(t));
    Ok(Ret::Values(1))
}

fn push_answer<'n>(cx: &mut Cx<'n>, pong: bool) -> HostResult<'n, Ret> {
    cx.push_str(if pong { b"pong" } else { b"pang" });
    Ok(Ret::Values(1))
}

/// `node.ping(name)`. The first call starts the ping and blocks; the call runs again
/// when the answer's waker fires (or spuriously) and returns the answer once there.
fn ping<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let retry = io_wait::take_retry(cx);
    let name = cx.check_str(a, 1)?.to_str_lossy().into_owned();
    let node = crate::library::node_of(cx);
    let Some(me) = crate::library::self_pid(cx) else {
        return push_answer(cx, false);
    };
    let slot = retry.and_then(|_| node.pings.lock().expect("pings lock").get(&me).cloned());
    if let Some(slot) = slot.filter(|s| s.node == name) {
        let mut s = slot.state.lock().expect("ping slot lock");
        if let Some(pong) = s.0 {
            drop(s);
            node.pings.lock().expect("pings lock").remove(&me);
            return push_answer(cx, pong);
        }
        // Spurious wake-up: wait again, under the slot's lock (see `PingSlot`).
        match io_wait::block(cx, None) {
            Some(w) => {
                s.1 = Some(w);
                return Ok(Ret::Block);
            }
            None => return push_answer(cx, false),
        }
    }
    let Some(dist) = node.distribution().cloned() else {
        return push_answer(cx, false);
    };
    if name == dist.node_name() {
        return push_answer(cx, true);
    }
    let slot = Arc::new(PingSlot {
        node: name.clone(),
        state: Mutex::new((None, None)),
    });
    let Some(waker) = io_wait::block(cx, None) else {
        return push_answer(cx, false);
    };
    slot.state.lock().expect("ping slot lock").1 = Some(waker);
    node.pings
        .lock()
        .expect("pings lock")
        .insert(me, slot.clone());
    dist.ping(&name, Box::new(move |pong| slot.answer(pong)));
    Ok(Ret::Block)
}

/// `node.monitor(name [, flag])`: flag true (the default) adds a node monitor, false
/// removes one (as erlang:monitor_node/2).
fn monitor<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let name = cx.check_str(a, 1)?.to_str_lossy().into_owned();
    let on = a.len < 2 || cx.arg(a, 2).truthy();
    let node = crate::library::node_of(cx);
    let Some(me) = crate::library::self_pid(cx) else {
        return Err(cx.rt_error("node.monitor outside a process"));
    };
    if on {
        if let Err(e) = node.monitor_node(me, &name) {
            return Err(cx.rt_error(&e));
        }
    } else {
        node.demonitor_node(me, &name);
    }
    cx.push(Val::Bool(true));
    Ok(Ret::Values(1))
}
