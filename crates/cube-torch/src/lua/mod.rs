//! The Lua `torch` library: the module table, the metatables of tensors and size
//! storages, and the per-process settings. Built on cube-lua's host interface only
//! (`Cx`, `Val`, userdata with metatables), as cube-zmq's library is.
//!
//! - `construct.rs`: `torch.Tensor` and the other constructors, the default type,
//!   `manualSeed`;
//! - `methods.rs`: geometry and element access (`size`, `t[i]`, `narrow`, `view`...);
//! - `arith.rs`: arithmetic in Torch7's three forms (method in place, `torch.f` new,
//!   `torch.f(res, ...)` into `res`) and the operators;
//! - `reduce.rs`: `sum mean max min std var`;
//! - `size.rs`: the LongStorage of sizes that `t:size()` returns;
//! - `files.rs`: `torch.save`/`torch.load`;
//! - `share.rs`: tensors in messages (copied) and `torch.share` (Hogwild storage);
//! - `values.rs`: converting between Lua values and tensors, and errors.
//!
//! `open` also installs `nn` and `optim` (crate modules [`crate::nn`],
//! [`crate::optim`]), Lua sources each process loads on first use (`lazy.rs`), and
//! `torch.class`, which loads `nn`.

mod arith;
mod construct;
mod files;
mod methods;
mod reduce;
mod share;
mod size;
mod values;

pub(crate) use construct::with_rng;
pub(crate) use values::{adopt, check_tensor, fail, push_tensor, reserve_sizes, tensor_of};

use crate::rng::Rng;
use crate::storage::DType;
use cube_lua::host::{Cx, HostFn, TableRef, Val};
use cube_lua::State;

/// What the library may touch beyond memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Everything, `torch.save` and `torch.load` included.
    Full,
    /// No files (`cube-cli --sandbox`): no `torch.save`/`torch.load`.
    NoFiles,
}

pub(crate) const TENSOR_META: &str = "cube.torch.Tensor";
pub(crate) const SIZE_META: &str = "cube.torch.LongStorage";
const SETTINGS_KEY: &str = "cube.torch.settings";

/// A process's own settings: the default tensor type and the random generator.
pub(crate) struct Settings {
    pub default_type: DType,
    /// The bytes of the process's tensors (`crate::account`).
    pub account: crate::account::Account,
    /// Made on first use (seeded from the clock) unless `manualSeed` came first.
    pub rng: Option<Rng>,
}

/// Installs the `torch` library in a state: the global `torch` and
/// `package.loaded.torch`. A node's setup runs this once, into the image its
/// processes share; each process gets its own settings and generator when it first
/// needs them.
pub fn open(st: &mut State, access: Access) {
    st.cx(|cx| install(cx, access))
}

fn install(cx: &mut Cx<'_>, access: Access) {
    share::register();
    let module = cx.new_table();
    let mut funcs: Vec<(&'static str, HostFn)> = Vec::new();
    funcs.extend_from_slice(construct::FUNCTIONS);
    funcs.extend_from_slice(reduce::FUNCTIONS);
    funcs.extend_from_slice(methods::FUNCTIONS);
    funcs.extend_from_slice(share::FUNCTIONS);
    if access == Access::Full {
        funcs.extend_from_slice(files::FUNCTIONS);
    }
    cx.register(module, &funcs);
    arith::register_functions(cx, module);
    tensor_meta(cx);
    size_meta(cx);
    cx.register(module, &[("class", crate::lazy::torch_class)]);
    cx.set_global("torch", Val::Table(module));
    let loaded = cx.loaded_table();
    cx.set_field(loaded, "torch", Val::Table(module));
    crate::lazy::install(cx, "nn", crate::nn::HOOKS);
    crate::lazy::install(cx, "optim", crate::optim::HOOKS);
}

/// The metatable kept in the registry under `key`, made by `build` if this state's
/// registry lacks it.
fn registry_meta<'n>(
    cx: &mut Cx<'n>,
    key: &str,
    build: fn(&mut Cx<'n>, TableRef<'n>),
) -> TableRef<'n> {
    let reg = cx.registry();
    if let Val::Table(t) = cx.get_field(reg, key) {
        return t;
    }
    let t = cx.new_table();
    build(cx, t);
    let reg = cx.registry();
    cx.set_field(reg, key, Val::Table(t));
    t
}

pub(crate) fn tensor_meta<'n>(cx: &mut Cx<'n>) -> TableRef<'n> {
    registry_meta(cx, TENSOR_META, |cx, mt| {
        let methods = cx.new_table();
        let mut funcs: Vec<(&'static str, HostFn)> = Vec::new();
        funcs.extend_from_slice(methods::METHODS);
        funcs.extend_from_slice(reduce::FUNCTIONS);
        funcs.extend_from_slice(share::METHODS);
        cx.register(methods, &funcs);
        arith::register_methods(cx, methods);
        let index = cx.new_function("__index", methods::index, &[Val::Table(methods)]);
        cx.set_field(mt, "__index", index);
        cx.register(mt, methods::METAMETHODS);
        cx.register(mt, arith::METAMETHODS);
        let name = cx.new_str(b"torch.Tensor");
        cx.set_field(mt, "__name", name);
    })
}

pub(crate) fn size_meta<'n>(cx: &mut Cx<'n>) -> TableRef<'n> {
    registry_meta(cx, SIZE_META, |cx, mt| {
        let methods = cx.new_table();
        cx.register(methods, size::METHODS);
        let index = cx.new_function("__index", size::size_index, &[Val::Table(methods)]);
        cx.set_field(mt, "__index", index);
        cx.register(mt, size::METAMETHODS);
    })
}

/// Runs `f` on this process's settings (made on first use).
pub(crate) fn with_settings<'n, R>(cx: &mut Cx<'n>, f: impl FnOnce(&mut Settings) -> R) -> R {
    let reg = cx.registry();
    let mut v = cx.get_field(reg, SETTINGS_KEY);
    if cx.userdata_get::<Settings>(v).is_none() {
        let account = crate::account::Account::default();
        // The state reports the account's bytes with its heap (`State::memory_bytes`),
        // so a process's tensors count in its group's memory (`--max-heap` of a
        // program of many processes) and in `process.info`.
        cx.set_external_bytes(account.counter());
        v = cx.new_userdata(
            Settings {
                default_type: DType::F64,
                account,
                rng: None,
            },
            None,
        );
        let reg = cx.registry();
        cx.set_field(reg, SETTINGS_KEY, v);
    }
    match cx.userdata_mut::<Settings>(v) {
        Some(s) => f(s),
        // Unreachable: the userdata was just found or made; a fresh default keeps
        // this path panic-free all the same.
        None => f(&mut Settings {
            default_type: DType::F64,
            account: Default::default(),
            rng: None,
        }),
    }
}
