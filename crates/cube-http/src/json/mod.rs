//! The Lua `json` library: a native JSON codec for every state cube-cli makes
//! (README "JSON"), modelled on lua-cjson's interface, which Lua programmers know.
//!
//! Why here: cube-lua's standard library is PUC's set only, and JSON is what HTTP
//! handlers speak, so the codec lives beside the `http` library. It touches no files
//! and no sockets, so it is opened on its own ([`open`]) and stays under `--sandbox`,
//! where `http` is not opened.
//!
//! - `json.encode(v [, {max_depth = n}])` -> string (`encode.rs`).
//! - `json.decode(s [, {max_depth = n}])` -> value (`decode.rs`).
//! - `json.null`: a light userdata that stands for JSON `null` (a Lua nil cannot sit in
//!   a table); `json.empty_array`: a light userdata that encodes as `[]`.
//! - `json.array_mt`: the metatable that marks a table as an array. Decoded arrays
//!   carry it, so `[]` and `{}` survive a decode/encode round trip; `json.array(t)`
//!   sets it on `t` and returns `t` (a new empty table without `t`).
//!
//! Hostile input: both directions run on an explicit stack (never Rust recursion), stop
//! past `max_depth` levels (default [`DEFAULT_MAX_DEPTH`], at most [`MAX_DEPTH_LIMIT`]),
//! charge reductions in proportion to the bytes and values they go through, and reserve
//! every allocation against the process's heap limit before making it. Neither calls
//! Lua code (no metamethods but the array marker's identity), so neither has side
//! effects, and a heap-limit retry (`Cx::reserve`) simply starts again.

mod decode;
mod encode;

use cube_lua::host::{Args, Cx, HostFn, HostResult, Ret, TableRef, Val};
use cube_lua::State;

/// Nesting accepted when the caller gives no `max_depth`.
pub const DEFAULT_MAX_DEPTH: usize = 1000;
/// The largest `max_depth` a caller may ask for: each level holds a frame of an explicit
/// stack outside the Lua heap, so the bound keeps that memory small (a few MB).
pub const MAX_DEPTH_LIMIT: usize = 100_000;

/// Values a native handles per reduction it charges (each value costs a table store or
/// a few dozen bytes of output, about what one VM instruction does).
pub(crate) const VALUES_PER_REDUCTION: u64 = 1;

// Light userdata need an address no other library hands out: the addresses of these
// statics are ours alone.
static NULL_TAG: u8 = 0;
static EMPTY_ARRAY_TAG: u8 = 0;

/// The light userdata `json.null`.
pub fn null_addr() -> usize {
    &NULL_TAG as *const u8 as usize
}

/// The light userdata `json.empty_array`.
pub fn empty_array_addr() -> usize {
    &EMPTY_ARRAY_TAG as *const u8 as usize
}

/// Installs the global `json` and `package.loaded.json` (a node's setup runs it once,
/// into the shared image).
pub fn open(st: &mut State) {
    st.cx(install)
}

fn install(cx: &mut Cx<'_>) {
    let module = cx.new_table();
    let array_mt = cx.new_table();
    let name = cx.new_str(b"json.array");
    cx.set_field(array_mt, "__name", name);
    // The natives find the marker in the registry, not as an upvalue: a native with
    // upvalues cannot travel to another process (`process.spawn` copies a handler's
    // upvalues, and `local json = require "json"` is one), a plain native can.
    let reg = cx.registry();
    cx.set_field(reg, MARKER_KEY, Val::Table(array_mt));
    let funcs: &[(&'static str, HostFn)] = &[
        ("encode", encode::encode),
        ("decode", decode::decode),
        ("array", array),
    ];
    cx.register(module, funcs);
    cx.set_field(module, "null", Val::LightUserData(null_addr()));
    cx.set_field(
        module,
        "empty_array",
        Val::LightUserData(empty_array_addr()),
    );
    cx.set_field(module, "array_mt", Val::Table(array_mt));
    cx.set_global("json", Val::Table(module));
    let loaded = cx.loaded_table();
    cx.set_field(loaded, "json", Val::Table(module));
}

/// The registry key of `json.array_mt`.
const MARKER_KEY: &str = "cube.json.array_mt";

/// The array marker: one registry lookup per call.
fn array_marker<'n>(cx: &mut Cx<'n>) -> Option<TableRef<'n>> {
    let reg = cx.registry();
    cx.get_field(reg, MARKER_KEY).as_table()
}

/// `json.array([t])`: `t` (or a new table) marked as an array.
fn array<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let t = match cx.arg(a, 1) {
        Val::Nil => {
            cx.reserve(64)?;
            cx.new_table()
        }
        Val::Table(t) => t,
        _ => return Err(cx.arg_type_error(a, 1, "table or nil")),
    };
    let mt = array_marker(cx);
    cx.set_table_meta(t, mt);
    cx.push(Val::Table(t));
    Ok(Ret::Values(1))
}

/// The `max_depth` of an options table (argument 2), checked.
fn max_depth<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, usize> {
    let opts = match cx.arg(a, 2) {
        Val::Nil => return Ok(DEFAULT_MAX_DEPTH),
        Val::Table(t) => t,
        _ => return Err(cx.arg_type_error(a, 2, "table or nil")),
    };
    let k = cx.new_str(b"max_depth");
    match cx.raw_get(opts, k) {
        Val::Nil => Ok(DEFAULT_MAX_DEPTH),
        Val::Num(n) if n.fract() == 0.0 && n >= 1.0 && n <= MAX_DEPTH_LIMIT as f64 => {
            Ok(n as usize)
        }
        _ => Err(cx.arg_error(
            2,
            &format!("max_depth must be an integer from 1 to {MAX_DEPTH_LIMIT}"),
        )),
    }
}

/// Charges for work counted in `pending` once it reaches a batch, so the hot loops pay
/// one compare per value.
pub(crate) struct Meter {
    pending: u64,
}

impl Meter {
    const BATCH: u64 = 256;

    pub(crate) fn new() -> Meter {
        Meter { pending: 0 }
    }

    #[inline]
    pub(crate) fn tick<'n>(&mut self, cx: &mut Cx<'n>, units: u64) -> HostResult<'n, ()> {
        self.pending += units;
        if self.pending >= Self::BATCH {
            self.flush(cx)?;
        }
        Ok(())
    }

    pub(crate) fn flush<'n>(&mut self, cx: &mut Cx<'n>) -> HostResult<'n, ()> {
        let n = self.pending / VALUES_PER_REDUCTION;
        self.pending = 0;
        cx.charge(n)
    }
}
