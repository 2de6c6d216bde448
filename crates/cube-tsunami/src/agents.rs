//! The parts of the `tsunami` library written in Lua (the learners and their driver),
//! loaded per process on first use.
//!
//! The `tsunami` table is part of the node's frozen image, which cannot hold Lua
//! functions, so its metatable's `__index` is a native: a lookup of a key the natives do
//! not have (`tsunami.train`, `tsunami.ppo`, ...) runs the chunk that defines that key
//! into the process's own table (cube-vm's `lazy_module`, as the `supervisor` library
//! does) and answers from it. Each chunk runs once per process, and only when used:
//! a process that only steps environments never compiles a learner.
//!
//! The chunks (in `agents/`, one concern each):
//! - `common.lua`: `tsunami.train` (the driver: seeding, the learning curve, progress
//!   line, `--target`, the checkpoint), `tsunami.load`, `tsunami.eval`, and the
//!   helpers the learners share (`tsunami._util`).
//! - `ppo.lua`, `dqn.lua`, `a3c.lua`, `mbrl.lua`: the learners (mbrl plans with the
//!   Rust planner of `planner.rs`).
//! - `procenv.lua`: `tsunami.spawn_env` and `tsunami.make_async_vec`, environments
//!   as processes (one request, one reply per step, as gymnasium's AsyncVectorEnv).
//! - `remote.lua`: `tsunami.remote`, gymnasium environments through the bridge
//!   (`python/gym_server.py`) over the `zmq` library, with a small JSON codec.

use cube_lua::host::{Args, Cx, HostResult, Ret, TableRef, Val};
use cube_lua::proto::Proto;
use cube_vm::lazy_module;
use std::sync::{Arc, OnceLock};

struct Chunk {
    name: &'static str,
    source: &'static str,
    /// The keys of `tsunami` the chunk defines.
    keys: &'static [&'static str],
    proto: OnceLock<Result<Arc<Proto>, String>>,
}

static CHUNKS: [Chunk; 7] = [
    Chunk {
        name: "=tsunami/common.lua",
        source: include_str!("agents/common.lua"),
        keys: &["train", "load", "eval", "_util"],
        proto: OnceLock::new(),
    },
    Chunk {
        name: "=tsunami/ppo.lua",
        source: include_str!("agents/ppo.lua"),
        keys: &["ppo"],
        proto: OnceLock::new(),
    },
    Chunk {
        name: "=tsunami/dqn.lua",
        source: include_str!("agents/dqn.lua"),
        keys: &["dqn"],
        proto: OnceLock::new(),
    },
    Chunk {
        name: "=tsunami/a3c.lua",
        source: include_str!("agents/a3c.lua"),
        keys: &["a3c"],
        proto: OnceLock::new(),
    },
    Chunk {
        name: "=tsunami/mbrl.lua",
        source: include_str!("agents/mbrl.lua"),
        keys: &["mbrl"],
        proto: OnceLock::new(),
    },
    Chunk {
        name: "=tsunami/procenv.lua",
        source: include_str!("agents/procenv.lua"),
        keys: &["spawn_env", "make_async_vec"],
        proto: OnceLock::new(),
    },
    Chunk {
        name: "=tsunami/remote.lua",
        source: include_str!("agents/remote.lua"),
        keys: &["remote"],
        proto: OnceLock::new(),
    },
];

impl Chunk {
    fn proto(&self) -> Result<Arc<Proto>, String> {
        self.proto
            .get_or_init(|| {
                cube_lua::load::compile(self.source.as_bytes(), self.name)
                    .map_err(|e| format!("{} does not compile: {}", self.name, e.message))
            })
            .clone()
    }
}

/// Sets the metatable of `module` (the shared `tsunami` table) whose `__index` loads
/// the Lua parts on first use.
pub(crate) fn install<'n>(cx: &mut Cx<'n>, module: TableRef<'n>) {
    let meta = cx.new_table();
    let loader = cx.new_function("__index", load_on_first_use, &[]);
    cx.set_field(meta, "__index", loader);
    cx.set_table_meta(module, Some(meta));
}

/// `__index(tsunami, key)`: the process's own table answers; if it lacks the key and a
/// chunk defines it that has not run in this process yet, the chunk runs first.
fn load_on_first_use<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let (own, _) = lazy_module::private_table(cx, "tsunami");
    let key = cx.arg(a, 2);
    let found = cx.raw_get(own, key);
    if !matches!(found, Val::Nil) {
        cx.push(found);
        return Ok(Ret::Values(1));
    }
    let Some(name) = key.as_str().map(|s| s.to_str_lossy().into_owned()) else {
        cx.push(Val::Nil);
        return Ok(Ret::Values(1));
    };
    let Some(chunk) = CHUNKS.iter().find(|c| c.keys.contains(&name.as_str())) else {
        cx.push(Val::Nil);
        return Ok(Ret::Values(1));
    };
    // Marked before it runs: a chunk that fails (or looks up its own missing key) is
    // not run again, the lookup answers nil.
    let mark = format!("_loaded {}", chunk.name);
    if !matches!(cx.get_field(own, &mark), Val::Nil) {
        cx.push(Val::Nil);
        return Ok(Ret::Values(1));
    }
    cx.set_field(own, &mark, Val::Bool(true));
    if matches!(cx.get_field(own, "_now"), Val::Nil) {
        let now = cx.new_function("_now", now_seconds, &[]);
        cx.set_field(own, "_now", now);
    }
    let proto = chunk.proto().map_err(|e| cx.rt_error(&e))?;
    lazy_module::fill_then_index(cx, a, own, proto)
}

/// `tsunami._now()` -> seconds of a monotonic clock (the curve's `wall_s`, steps/s):
/// `os.clock` counts CPU time of every scheduler thread, `os.time` whole seconds.
fn now_seconds<'n>(cx: &mut Cx<'n>, _a: Args) -> HostResult<'n, Ret> {
    static START: OnceLock<std::time::Instant> = OnceLock::new();
    let start = START.get_or_init(std::time::Instant::now);
    cx.push(Val::Num(start.elapsed().as_secs_f64()));
    Ok(Ret::Values(1))
}
