//! The Lua `tsunami` library (environments so far), on cube-lua's host interface:
//!
//! ```lua
//! local env = tsunami.make("CartPole-v1")      -- tsunami.envs() lists the ids
//! local obs, info = env:reset(42)              -- or env:reset{seed=, low=, high=, state={...}}
//! local obs, reward, terminated, truncated, info = env:step(1)
//! env.action_space                             -- {kind="Discrete", n=2}
//! env.observation_space                        -- {kind="Box", low={...}, high={...}, shape={4}}
//! env.id, env.max_episode_steps, env:state(), env:elapsed()
//!
//! local venv = tsunami.make_vec("CartPole-v1", 8)  -- copies stepped together
//! local obs = venv:reset(1)                         -- copy i seeded 1 + i - 1
//! local obs, rewards, terminated, truncated = venv:step{0, 1, 1, 0, 1, 0, 0, 1}
//! ```
//!
//! A vector environment resets a copy whose episode ended on its next step, as
//! gymnasium's default (`NEXT_STEP`) autoreset does.
//!
//! Observations are Lua sequences of numbers (the float32 values gymnasium returns);
//! `info` is an empty table. An action is an integer for a `Discrete` space, a number or
//! a sequence of numbers for a `Box`. Errors (an unknown id, a step before reset, an
//! action outside the space, a malformed state) are Lua errors that say what was
//! expected.

use crate::env::{self, Action, Episode, ResetOptions, Space, VecEpisode};
use cube_lua::host::{Cx, HostFn, HostResult, Ret, TableRef, Val};
use cube_lua::{Args, State};

const ENV_META: &str = "cube.tsunami.Env";
const VEC_META: &str = "cube.tsunami.VecEnv";

/// Installs the global `tsunami` and `package.loaded.tsunami` (once per node image).
pub fn open(st: &mut State) {
    st.cx(install)
}

fn install(cx: &mut Cx<'_>) {
    let module = cx.new_table();
    let funcs: &[(&'static str, HostFn)] =
        &[("make", make), ("make_vec", make_vec), ("envs", envs)];
    cx.register(module, funcs);
    crate::planner_lua::register(cx, module);
    crate::agents::install(cx, module);
    env_meta(cx);
    vec_meta(cx);
    cx.set_global("tsunami", Val::Table(module));
    let loaded = cx.loaded_table();
    cx.set_field(loaded, "tsunami", Val::Table(module));
}

/// The metatable kept in the registry under `key` (made on first use): `__index`
/// answers the type's fields through `index` (its upvalue is the methods table), then
/// its methods; `tostring` is its `__tostring`, if it has one.
pub(crate) fn class_meta<'n>(
    cx: &mut Cx<'n>,
    key: &str,
    name: &str,
    methods: &[(&'static str, HostFn)],
    index: HostFn,
    tostring: Option<HostFn>,
) -> TableRef<'n> {
    let reg = cx.registry();
    if let Val::Table(t) = cx.get_field(reg, key) {
        return t;
    }
    let mt = cx.new_table();
    let table = cx.new_table();
    cx.register(table, methods);
    let index = cx.new_function("__index", index, &[Val::Table(table)]);
    cx.set_field(mt, "__index", index);
    if let Some(f) = tostring {
        let f = cx.new_function("__tostring", f, &[]);
        cx.set_field(mt, "__tostring", f);
    }
    let name = cx.new_str(name.as_bytes());
    cx.set_field(mt, "__name", name);
    let reg = cx.registry();
    cx.set_field(reg, key, Val::Table(mt));
    mt
}

fn env_meta<'n>(cx: &mut Cx<'n>) -> TableRef<'n> {
    let methods: &[(&'static str, HostFn)] = &[
        ("reset", reset),
        ("step", step),
        ("state", state),
        ("elapsed", elapsed),
    ];
    class_meta(cx, ENV_META, "tsunami.Env", methods, index, Some(tostring))
}

fn vec_meta<'n>(cx: &mut Cx<'n>) -> TableRef<'n> {
    let methods: &[(&'static str, HostFn)] = &[("reset", vec_reset), ("step", vec_step)];
    class_meta(cx, VEC_META, "tsunami.VecEnv", methods, vec_index, None)
}

/// `tsunami.make_vec(id, n)`: n copies stepped together (gymnasium's `SyncVectorEnv`).
fn make_vec<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let id = cx.check_str(a, 1)?.to_str_lossy().into_owned();
    let n = cx.check_integer(a, 2)?;
    let n = usize::try_from(n).unwrap_or(0);
    let v = VecEpisode::new(&id, n).map_err(|e| cx.rt_error(&e))?;
    let mt = vec_meta(cx);
    let ud = cx.new_userdata(v, Some(mt));
    cx.push(ud);
    Ok(Ret::Values(1))
}

fn with_vec<'n, R>(
    cx: &mut Cx<'n>,
    a: Args,
    f: impl FnOnce(&mut VecEpisode) -> R,
) -> HostResult<'n, R> {
    let v = cx.arg(a, 1);
    if let Some(e) = cx.userdata_mut::<VecEpisode>(v) {
        return Ok(f(e));
    }
    Err(cx.arg_type_error(a, 1, "tsunami.VecEnv"))
}

/// A list of lists of numbers.
fn nested_list<'n>(cx: &mut Cx<'n>, rows: &[Vec<f64>]) -> Val<'n> {
    let t = cx.new_table_with(rows.len(), 0);
    for (i, r) in rows.iter().enumerate() {
        let v = number_list(cx, r);
        cx.raw_set_int(t, i as i64 + 1, v);
    }
    Val::Table(t)
}

/// `venv:reset([seed])` -> observations (one list per copy), info.
fn vec_reset<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    with_vec(cx, a, |_| ())?;
    let seed = match cx.arg(a, 2) {
        Val::Nil => None,
        Val::Num(x) => Some(seed_of(cx, 2, x)?),
        _ => return Err(cx.arg_type_error(a, 2, "seed")),
    };
    let obs = with_vec(cx, a, |v| v.reset(seed))?;
    let obs = obs.map_err(|e| cx.rt_error(&e))?;
    let ov = nested_list(cx, &obs);
    cx.push(ov);
    let info = cx.new_table();
    cx.push(Val::Table(info));
    Ok(Ret::Values(2))
}

/// `venv:step(actions)` -> observations, rewards, terminated, truncated, info (lists).
fn vec_step<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let n = with_vec(cx, a, |v| v.len())?;
    let t = cx.check_table(a, 2)?;
    if cx.raw_len(t) != n {
        let msg = format!("{} actions for {n} environments", cx.raw_len(t));
        return Err(cx.arg_error(2, &msg));
    }
    let mut actions = Vec::with_capacity(n);
    for i in 1..=n {
        let v = cx.raw_get_int(t, i as i64);
        let Some(action) = action_of(cx, v, 2)? else {
            let msg = format!(
                "actions[{i}] must be a number or a table, not {}",
                v.type_name()
            );
            return Err(cx.arg_error(2, &msg));
        };
        actions.push(action);
    }
    let steps = with_vec(cx, a, |v| v.step(&actions))?;
    let steps = steps.map_err(|e| cx.rt_error(&e))?;
    let obs: Vec<Vec<f64>> = steps.iter().map(|s| s.observation.clone()).collect();
    let ov = nested_list(cx, &obs);
    cx.push(ov);
    let rewards: Vec<f64> = steps.iter().map(|s| s.reward).collect();
    let rv = number_list(cx, &rewards);
    cx.push(rv);
    for flag in [|s: &env::Step| s.terminated, |s: &env::Step| s.truncated] {
        let ft = cx.new_table_with(n, 0);
        for (i, s) in steps.iter().enumerate() {
            cx.raw_set_int(ft, i as i64 + 1, Val::Bool(flag(s)));
        }
        cx.push(Val::Table(ft));
    }
    let info = cx.new_table();
    cx.push(Val::Table(info));
    Ok(Ret::Values(5))
}

/// `num_envs`, `single_observation_space`, `single_action_space`, `id`; then methods.
fn vec_index<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let key = match cx.arg(a, 2) {
        Val::Str(s) => s.to_str_lossy().into_owned(),
        _ => String::new(),
    };
    let v = with_vec(cx, a, |v| match key.as_str() {
        "id" => Some(Field::Str(v.env().id())),
        "num_envs" => Some(Field::Num(v.len() as f64)),
        "single_observation_space" => Some(Field::Space(v.env().observation_space())),
        "single_action_space" => Some(Field::Space(v.env().action_space())),
        _ => None,
    })?;
    push_field_or_method(cx, a, v)
}

/// `tsunami.make(id)`.
fn make<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let id = cx.check_str(a, 1)?.to_str_lossy().into_owned();
    let env = env::make(&id).map_err(|e| cx.arg_error(1, &e))?;
    let mt = env_meta(cx);
    let v = cx.new_userdata(Episode::new(env), Some(mt));
    cx.push(v);
    Ok(Ret::Values(1))
}

/// `tsunami.envs()`: the built-in ids.
fn envs<'n>(cx: &mut Cx<'n>, _a: Args) -> HostResult<'n, Ret> {
    let t = cx.new_table_with(env::IDS.len(), 0);
    for (i, id) in env::IDS.iter().enumerate() {
        let s = cx.new_str(id.as_bytes());
        cx.raw_set_int(t, i as i64 + 1, s);
    }
    cx.push(Val::Table(t));
    Ok(Ret::Values(1))
}

/// Runs `f` on argument 1, which must be an environment.
fn with_episode<'n, R>(
    cx: &mut Cx<'n>,
    a: Args,
    f: impl FnOnce(&mut Episode) -> R,
) -> HostResult<'n, R> {
    let v = cx.arg(a, 1);
    if let Some(e) = cx.userdata_mut::<Episode>(v) {
        return Ok(f(e));
    }
    Err(cx.arg_type_error(a, 1, "tsunami.Env"))
}

pub(crate) fn number_list<'n>(cx: &mut Cx<'n>, xs: &[f64]) -> Val<'n> {
    let t = cx.new_table_with(xs.len(), 0);
    for (i, &x) in xs.iter().enumerate() {
        cx.raw_set_int(t, i as i64 + 1, Val::Num(x));
    }
    Val::Table(t)
}

/// A sequence of at most `max` numbers from table `t` (argument `arg`, field `what`).
pub(crate) fn numbers_of<'n>(
    cx: &mut Cx<'n>,
    t: TableRef<'n>,
    arg: usize,
    what: &str,
    max: usize,
) -> HostResult<'n, Vec<f64>> {
    let n = cx.raw_len(t);
    if n > max {
        return Err(cx.arg_error(arg, &format!("{what} has {n} values, more than {max}")));
    }
    let mut out = Vec::with_capacity(n);
    for i in 1..=n {
        match cx.raw_get_int(t, i as i64) {
            Val::Num(x) => out.push(x),
            other => {
                let msg = format!("{what}[{i}] must be a number, not {}", other.type_name());
                return Err(cx.arg_error(arg, &msg));
            }
        }
    }
    Ok(out)
}

/// A seed from a Lua number: an integer from 0 to 2^53.
pub(crate) fn seed_of<'n>(cx: &mut Cx<'n>, arg: usize, x: f64) -> HostResult<'n, u64> {
    if x.fract() == 0.0 && (0.0..=9_007_199_254_740_992.0).contains(&x) {
        Ok(x as u64)
    } else {
        Err(cx.arg_error(arg, "a seed is an integer from 0 to 2^53"))
    }
}

/// `env:reset([seed | {seed=, low=, high=, state=}])` -> observation, info.
fn reset<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    with_episode(cx, a, |_| ())?;
    let mut opts = ResetOptions::default();
    match cx.arg(a, 2) {
        Val::Nil => {}
        Val::Num(x) => opts.seed = Some(seed_of(cx, 2, x)?),
        Val::Table(t) => {
            match cx.get_field(t, "seed") {
                Val::Nil => {}
                Val::Num(x) => opts.seed = Some(seed_of(cx, 2, x)?),
                _ => return Err(cx.arg_error(2, "seed must be a number")),
            }
            let (low, high) = (cx.get_field(t, "low"), cx.get_field(t, "high"));
            opts.bounds = match (low, high) {
                (Val::Nil, Val::Nil) => None,
                (Val::Num(l), Val::Num(h)) => Some((l, h)),
                _ => return Err(cx.arg_error(2, "low and high must be numbers, given together")),
            };
            match cx.get_field(t, "state") {
                Val::Nil => {}
                Val::Table(s) => opts.state = Some(numbers_of(cx, s, 2, "state", 64)?),
                _ => return Err(cx.arg_error(2, "state must be a sequence of numbers")),
            }
        }
        _ => return Err(cx.arg_type_error(a, 2, "seed or options table")),
    }
    let obs = with_episode(cx, a, |e| e.reset(&opts))?;
    let obs = obs.map_err(|e| cx.rt_error(&e))?;
    let ov = number_list(cx, &obs);
    cx.push(ov);
    let info = cx.new_table();
    cx.push(Val::Table(info));
    Ok(Ret::Values(2))
}

/// `env:step(action)` -> observation, reward, terminated, truncated, info.
fn step<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    with_episode(cx, a, |_| ())?;
    let v = cx.arg(a, 2);
    let Some(action) = action_of(cx, v, 2)? else {
        return Err(cx.arg_type_error(a, 2, "number or table"));
    };
    let s = with_episode(cx, a, |e| e.step(&action))?;
    let s = s.map_err(|e| cx.rt_error(&e))?;
    let ov = number_list(cx, &s.observation);
    cx.push(ov);
    cx.push(Val::Num(s.reward));
    cx.push(Val::Bool(s.terminated));
    cx.push(Val::Bool(s.truncated));
    let info = cx.new_table();
    cx.push(Val::Table(info));
    Ok(Ret::Values(5))
}

/// `env:state()`: the state in full precision (a copy).
fn state<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let s = with_episode(cx, a, |e| e.env().state())?;
    let v = number_list(cx, &s);
    cx.push(v);
    Ok(Ret::Values(1))
}

/// `env:elapsed()`: steps since the last reset.
fn elapsed<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let n = with_episode(cx, a, |e| e.elapsed())?;
    cx.push(Val::Num(f64::from(n)));
    Ok(Ret::Values(1))
}

fn space_table<'n>(cx: &mut Cx<'n>, space: &Space) -> Val<'n> {
    let t = cx.new_table();
    match space {
        Space::Discrete(n) => {
            let kind = cx.new_str(b"Discrete");
            cx.set_field(t, "kind", kind);
            cx.set_field(t, "n", Val::Num(f64::from(*n)));
        }
        Space::Box { low, high } => {
            let kind = cx.new_str(b"Box");
            cx.set_field(t, "kind", kind);
            let (l, h) = (number_list(cx, low), number_list(cx, high));
            cx.set_field(t, "low", l);
            cx.set_field(t, "high", h);
            let shape = number_list(cx, &[low.len() as f64]);
            cx.set_field(t, "shape", shape);
        }
    }
    Val::Table(t)
}

/// Fields (`id`, the spaces, `max_episode_steps`) and then methods.
fn index<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let key = match cx.arg(a, 2) {
        Val::Str(s) => s.to_str_lossy().into_owned(),
        _ => String::new(),
    };
    let v = with_episode(cx, a, |ep| {
        let env = ep.env();
        match key.as_str() {
            "id" => Some(Field::Str(env.id())),
            "observation_space" => Some(Field::Space(env.observation_space())),
            "action_space" => Some(Field::Space(env.action_space())),
            "max_episode_steps" => Some(Field::Num(f64::from(env.max_episode_steps()))),
            _ => None,
        }
    })?;
    push_field_or_method(cx, a, v)
}

enum Field {
    Str(&'static str),
    Space(Space),
    Num(f64),
}

/// The end of an `__index`: the field's value if the key named one, else the method
/// of that name (the methods table is the upvalue).
fn push_field_or_method<'n>(cx: &mut Cx<'n>, a: Args, field: Option<Field>) -> HostResult<'n, Ret> {
    let v = match field {
        Some(Field::Str(s)) => cx.new_str(s.as_bytes()),
        Some(Field::Space(sp)) => space_table(cx, &sp),
        Some(Field::Num(x)) => Val::Num(x),
        None => match cx.upvalue(0) {
            Val::Table(m) => {
                let k = cx.arg(a, 2);
                cx.raw_get(m, k)
            }
            _ => Val::Nil,
        },
    };
    cx.push(v);
    Ok(Ret::Values(1))
}

/// An action given as a Lua value: an integer for a `Discrete` space, a number or a
/// sequence of numbers for a `Box`; `None` for another type.
fn action_of<'n>(cx: &mut Cx<'n>, v: Val<'n>, arg: usize) -> HostResult<'n, Option<Action>> {
    Ok(Some(match v {
        Val::Num(x) if x.fract() == 0.0 && x.abs() < 9.0e15 => Action::Discrete(x as i64),
        Val::Num(x) => Action::Continuous(vec![x]),
        Val::Table(t) => Action::Continuous(numbers_of(cx, t, arg, "action", 64)?),
        _ => return Ok(None),
    }))
}

fn tostring<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let id = with_episode(cx, a, |e| e.env().id())?;
    cx.push_str(format!("tsunami.Env({id})").as_bytes());
    Ok(Ret::Values(1))
}
