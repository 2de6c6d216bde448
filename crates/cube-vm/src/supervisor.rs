//! The Lua `supervisor` library (DESIGN.md "Public interfaces"): OTP supervisors written
//! in Lua on top of the `process` library, as Erlang's `supervisor.erl` is written in
//! Erlang. The Lua source (`supervisor.lua`) is compiled once per program and run in
//! a process the first time it uses the module (the global `supervisor`, also
//! `package.loaded.supervisor`).
//!
//! Functions cannot travel in messages (DESIGN.md decision 4), yet a child spec's
//! `start` function must reach the supervisor process, also after it started
//! (`start_child`). So this module adds two natives: `_parcel(f)` packs a Lua function
//! (its prototype shared, its upvalues deep-copied, exactly as `process.spawn` does)
//! into a node-wide store and returns a ticket string, which can travel in a message;
//! `_claim(ticket)` takes it out again and makes the function in the claiming process.
//! A ticket is claimed once; one that is never claimed (its receiver died first) stays
//! in the store until the node ends.

use crate::library::{node_of, VmBridge};
use crate::transfer::Packet;
use cube_lua::host::{Args, Cx, HostResult, Ret, Val};
use cube_lua::proto::Proto;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

const SOURCE: &str = include_str!("supervisor.lua");

/// Functions in transit between processes, by ticket number.
#[derive(Default)]
pub(crate) struct Parcels {
    next: AtomicU64,
    store: Mutex<HashMap<u64, Packet>>,
}

/// The compiled library, shared by every process (prototypes are immutable).
fn proto() -> Arc<Proto> {
    static PROTO: OnceLock<Arc<Proto>> = OnceLock::new();
    PROTO
        .get_or_init(|| {
            cube_lua::load::compile(SOURCE.as_bytes(), "=supervisor")
                .unwrap_or_else(|e| panic!("supervisor.lua does not compile: {}", e.message))
        })
        .clone()
}

/// Installs the module as the global `supervisor` and `package.loaded.supervisor`.
///
/// Most processes never supervise, so the chunk runs on first use, per process: the
/// module is an empty table of the shared image whose `__index` answers from the
/// process's own copy of the module, made on first use (see `lazy_module.rs`).
pub(crate) fn install<'n>(cx: &mut Cx<'n>) {
    let module = cx.new_table();
    let meta = cx.new_table();
    let loader = cx.new_function("__index", load_on_first_use, &[]);
    cx.set_field(meta, "__index", loader);
    cx.set_table_meta(module, Some(meta));
    cx.set_global("supervisor", Val::Table(module));
    let loaded = cx.loaded_table();
    cx.set_field(loaded, "supervisor", Val::Table(module));
}

/// `__index(module, key)`: answers from this process's own module table, which the
/// first lookup fills by running the chunk with it as the argument (`local M = ...`).
fn load_on_first_use<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let (module, new) = crate::lazy_module::private_table(cx, "supervisor");
    if !new {
        return crate::lazy_module::index(cx, a, module);
    }
    let parcel_fn = cx.new_function("_parcel", parcel, &[]);
    cx.set_field(module, "_parcel", parcel_fn);
    let claim_fn = cx.new_function("_claim", claim, &[]);
    cx.set_field(module, "_claim", claim_fn);
    let now_fn = cx.new_function("_now", now_seconds, &[]);
    cx.set_field(module, "_now", now_fn);
    crate::lazy_module::fill_then_index(cx, a, module, proto())
}

/// `_now()` -> whole seconds of a monotonic clock: restart intensity is counted in
/// seconds, as OTP does with `erlang:monotonic_time(second)` (a wall clock that jumps
/// would shift a period).
fn now_seconds<'n>(cx: &mut Cx<'n>, _a: Args) -> HostResult<'n, Ret> {
    static START: OnceLock<std::time::Instant> = OnceLock::new();
    let secs = START
        .get_or_init(std::time::Instant::now)
        .elapsed()
        .as_secs();
    cx.push(Val::Num(secs as f64));
    Ok(Ret::Values(1))
}

/// `_parcel(f)` -> ticket: packs Lua function `f` for another process of this node.
fn parcel<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let f = cx.arg(a, 1);
    if !f.is_lua_function() {
        return Err(cx.arg_type_error(a, 1, "Lua function"));
    }
    // Parcels wait in the node, outside any heap: bounded by the packer's heap limit.
    let budget = cx.max_heap();
    let packet = match crate::transfer::pack(cx, f, &[], &VmBridge, budget) {
        Ok(p) => p,
        Err(crate::transfer::PackError::Unsendable(m)) => return Err(cx.rt_error(&m)),
        Err(crate::transfer::PackError::TooBig) => return Err(cx.heap_limit_error()),
    };
    let node = node_of(cx);
    let id = node.parcels.next.fetch_add(1, Ordering::Relaxed);
    node.parcels
        .store
        .lock()
        .expect("parcels lock")
        .insert(id, packet);
    cx.push_str(format!("#Fun<{id}>").as_bytes());
    Ok(Ret::Values(1))
}

/// `_claim(ticket)` -> function: makes the parcelled function in this process.
fn claim<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let ticket = cx.check_str(a, 1)?.to_str_lossy().into_owned();
    let id = ticket
        .strip_prefix("#Fun<")
        .and_then(|s| s.strip_suffix('>'))
        .and_then(|s| s.parse::<u64>().ok());
    let node = node_of(cx);
    let packet = id.and_then(|id| node.parcels.store.lock().expect("parcels lock").remove(&id));
    let Some(packet) = packet else {
        return Err(cx.arg_error(1, "unknown or already claimed function ticket"));
    };
    let nargs = crate::transfer::unpack_onto_stack(cx, &packet, &VmBridge);
    cx.set_top(cx.top() - nargs);
    Ok(Ret::Values(1))
}
