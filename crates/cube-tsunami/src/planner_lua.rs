//! `tsunami._planner{...}`: the Lua face of [`crate::planner`], for the model-based
//! learner (`agents/mbrl.lua`); internal (the underscore), documented there.
//!
//! ```lua
//! local p = tsunami._planner{
//!   env = "CartPole-v1",                 -- the objective: reward and termination
//!   members = { { {weight=rows, bias=list}, ... }, ... },   -- Linear layers, tanh between
//!   obs_mean=, obs_std=, delta_mean=, delta_std=,           -- lists of obs_dim numbers
//!   horizon=, candidates=, iterations=, elites=, particles=, smoothing=, seed=,
//!   prior = false,                        -- true: act takes a batch prior function
//! }
//! local action, planned = p:act(obs [, prior_batch])   -- prior_batch(states, actions) -> rows
//! p:reset()                                          -- a new episode: forget the warm start
//! local next = p:predict(obs, action [, member [, base]])
//! ```
//!
//! With a prior, `act` calls `prior_batch` once per step of the rollouts (horizon x
//! iterations times) with every rollout's state (a list of lists) and action (a list of
//! 0-based actions), through a continuation: no Rust recursion, and the callee may be
//! preempted like any Lua code.

use crate::lua::{class_meta, number_list, numbers_of, seed_of};
use crate::planner::{self, Layer, Model, Net, Objective, PlanConfig, Planner, Progress, Search};
use cube_lua::host::{Cont, Cx, HostFn, HostResult, HostStatus, Ret, TableRef, Val};
use cube_lua::Args;

const PLANNER_META: &str = "cube.tsunami.Planner";
/// Numbers one model may hold in all (what `reserve` is asked for, at 4 bytes each).
const MAX_WEIGHTS: usize = 16 << 20;

pub(crate) fn register<'n>(cx: &mut Cx<'n>, module: TableRef<'n>) {
    let f = cx.new_function("_planner", new_planner, &[]);
    cx.set_field(module, "_planner", f);
}

fn meta<'n>(cx: &mut Cx<'n>) -> TableRef<'n> {
    let methods: &[(&'static str, HostFn)] =
        &[("act", act), ("reset", reset), ("predict", predict)];
    class_meta(cx, PLANNER_META, "tsunami.Planner", methods, index, None)
}

fn index<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let v = match cx.upvalue(0) {
        Val::Table(m) => {
            let k = cx.arg(a, 2);
            cx.raw_get(m, k)
        }
        _ => Val::Nil,
    };
    cx.push(v);
    Ok(Ret::Values(1))
}

/// A table field that must be a table.
fn table_field<'n>(cx: &mut Cx<'n>, t: TableRef<'n>, name: &str) -> HostResult<'n, TableRef<'n>> {
    match cx.get_field(t, name) {
        Val::Table(v) => Ok(v),
        other => {
            let msg = format!("{name} must be a table, not {}", other.type_name());
            Err(cx.arg_error(1, &msg))
        }
    }
}

/// An integer field in [1, max] (or `default` when absent).
fn count_field<'n>(
    cx: &mut Cx<'n>,
    t: TableRef<'n>,
    name: &str,
    default: usize,
    max: usize,
) -> HostResult<'n, usize> {
    match cx.get_field(t, name) {
        Val::Nil => Ok(default),
        Val::Num(x) if x.fract() == 0.0 && x >= 1.0 && x <= max as f64 => Ok(x as usize),
        _ => {
            let msg = format!("{name} must be an integer in [1, {max}]");
            Err(cx.arg_error(1, &msg))
        }
    }
}

/// One Linear layer from `{weight = {{...}, ...}, bias = {...}}`, adding its size to
/// `total` (checked against [`MAX_WEIGHTS`] before anything is copied).
fn layer_of<'n>(cx: &mut Cx<'n>, t: TableRef<'n>, total: &mut usize) -> HostResult<'n, Layer> {
    let w = table_field(cx, t, "weight")?;
    let b = table_field(cx, t, "bias")?;
    let n_out = cx.raw_len(w);
    let n_in = match cx.raw_get_int(w, 1) {
        Val::Table(r) => cx.raw_len(r),
        _ => 0,
    };
    if n_out == 0
        || n_in == 0
        || n_in > planner::MAX_LAYER_UNITS
        || n_out > planner::MAX_LAYER_UNITS
    {
        let msg = format!(
            "a layer's weight is a list of 1 to {} rows of 1 to {0} numbers",
            planner::MAX_LAYER_UNITS
        );
        return Err(cx.arg_error(1, &msg));
    }
    *total += n_in * n_out + n_out;
    if *total > MAX_WEIGHTS {
        return Err(cx.arg_error(1, &format!("the model has more than {MAX_WEIGHTS} weights")));
    }
    cx.reserve((n_in * n_out + n_out) * 4)?;
    cx.charge_bytes((n_in * n_out + n_out) * 8)?;
    let mut flat = Vec::with_capacity(n_in * n_out);
    for r in 1..=n_out {
        let row = match cx.raw_get_int(w, r as i64) {
            Val::Table(row) => row,
            _ => return Err(cx.arg_error(1, "a layer's weight rows must be tables")),
        };
        let row = numbers_of(cx, row, 1, "a weight row", n_in)?;
        if row.len() != n_in {
            return Err(cx.arg_error(1, "a layer's weight rows must have the same length"));
        }
        flat.extend(row.iter().map(|&x| x as f32));
    }
    let bias = numbers_of(cx, b, 1, "bias", n_out)?;
    if bias.len() != n_out {
        return Err(cx.arg_error(1, "a layer's bias has one number per row of its weight"));
    }
    if flat.iter().any(|x| !x.is_finite()) || bias.iter().any(|x| !x.is_finite()) {
        return Err(cx.arg_error(1, "a layer's weights must be finite"));
    }
    Ok(Layer {
        w: flat,
        b: bias.iter().map(|&x| x as f32).collect(),
        n_in,
        n_out,
    })
}

/// `tsunami._planner(spec)` -> planner.
fn new_planner<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let spec = cx.check_table(a, 1)?;
    let env = match cx.get_field(spec, "env") {
        Val::Str(s) => s.to_str_lossy().into_owned(),
        _ => return Err(cx.arg_error(1, "env must be an environment id")),
    };
    let objective = Objective::for_env(&env).map_err(|e| cx.rt_error(&e))?;
    let mut norms = Vec::new();
    for name in ["obs_mean", "obs_std", "delta_mean", "delta_std"] {
        let t = table_field(cx, spec, name)?;
        norms.push(numbers_of(cx, t, 1, name, 4096)?);
    }
    let obs_dim = norms[0].len();
    if norms.iter().any(|v| v.len() != obs_dim)
        || norms[1].iter().chain(&norms[3]).any(|&s| s <= 0.0)
    {
        return Err(cx.arg_error(
            1,
            "obs_mean, obs_std, delta_mean and delta_std are lists of the same length (stds > 0)",
        ));
    }
    let members_t = table_field(cx, spec, "members")?;
    let n_members = cx.raw_len(members_t);
    if n_members == 0 || n_members > planner::MAX_MEMBERS {
        let msg = format!("members must list 1 to {} networks", planner::MAX_MEMBERS);
        return Err(cx.arg_error(1, &msg));
    }
    let mut total = 0;
    let mut members = Vec::with_capacity(n_members);
    for m in 1..=n_members {
        let Val::Table(layers_t) = cx.raw_get_int(members_t, m as i64) else {
            return Err(cx.arg_error(1, "each member is a list of layers"));
        };
        let n_layers = cx.raw_len(layers_t);
        if n_layers == 0 || n_layers > planner::MAX_LAYERS {
            let msg = format!("a member has 1 to {} layers", planner::MAX_LAYERS);
            return Err(cx.arg_error(1, &msg));
        }
        let mut layers = Vec::with_capacity(n_layers);
        for k in 1..=n_layers {
            let Val::Table(lt) = cx.raw_get_int(layers_t, k as i64) else {
                return Err(cx.arg_error(1, "each layer is a table {weight=, bias=}"));
            };
            layers.push(layer_of(cx, lt, &mut total)?);
        }
        members.push(Net { layers });
    }
    let n_in = members[0].layers[0].n_in;
    if n_in <= obs_dim {
        return Err(cx.arg_error(
            1,
            "a member's input is the observation and a one-hot action",
        ));
    }
    let cfg = PlanConfig {
        horizon: count_field(cx, spec, "horizon", 25, planner::MAX_HORIZON)?,
        candidates: count_field(cx, spec, "candidates", 100, planner::MAX_CANDIDATES)?,
        iterations: count_field(cx, spec, "iterations", 3, planner::MAX_ITERATIONS)?,
        elites: count_field(cx, spec, "elites", 10, planner::MAX_CANDIDATES)?,
        particles: count_field(cx, spec, "particles", 1, planner::MAX_MEMBERS)?,
        smoothing: match cx.get_field(spec, "smoothing") {
            Val::Nil => 0.1,
            Val::Num(x) => x,
            _ => return Err(cx.arg_error(1, "smoothing must be a number")),
        },
    };
    let seed = match cx.get_field(spec, "seed") {
        Val::Nil => 0,
        Val::Num(x) => seed_of(cx, 1, x)?,
        _ => return Err(cx.arg_error(1, "seed must be a number")),
    };
    let with_prior = matches!(cx.get_field(spec, "prior"), Val::Bool(true));
    let model = Model {
        members,
        obs_dim,
        n_actions: n_in - obs_dim,
        obs_mean: norms[0].clone(),
        obs_std: norms[1].clone(),
        delta_mean: norms[2].clone(),
        delta_std: norms[3].clone(),
    };
    // The search's buffers, reserved before `Planner::new` allocates them.
    let search_bytes = planner::search_bytes(&cfg, obs_dim);
    match search_bytes {
        Some(bytes) => cx.reserve(bytes)?,
        None => return Err(cx.arg_error(1, "candidates * particles * horizon is too large")),
    }
    let p = Planner::new(model, objective, cfg, seed, with_prior).map_err(|e| cx.rt_error(&e))?;
    let mt = meta(cx);
    let ud = cx.new_userdata(p, Some(mt));
    cx.push(ud);
    Ok(Ret::Values(1))
}

fn with_planner<'n, R>(
    cx: &mut Cx<'n>,
    a: Args,
    f: impl FnOnce(&mut Planner) -> R,
) -> HostResult<'n, R> {
    let v = cx.arg(a, 1);
    if let Some(p) = cx.userdata_mut::<Planner>(v) {
        return Ok(f(p));
    }
    Err(cx.arg_type_error(a, 1, "tsunami.Planner"))
}

fn obs_arg<'n>(cx: &mut Cx<'n>, a: Args, i: usize) -> HostResult<'n, Vec<f64>> {
    let t = cx.check_table(a, i)?;
    numbers_of(cx, t, i, "observation", 4096)
}

/// `planner:reset()`.
fn reset<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    with_planner(cx, a, |p| p.reset())?;
    Ok(Ret::Values(0))
}

/// `planner:predict(obs, action [, member [, base]])` -> the member's next observation.
fn predict<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let (d, n_actions, members) = with_planner(cx, a, |p| {
        (p.model.obs_dim, p.model.n_actions, p.model.members.len())
    })?;
    let obs = obs_arg(cx, a, 2)?;
    let action = cx.check_integer(a, 3)?;
    let member = cx.opt_integer(a, 4, 1)?;
    let base = match cx.arg(a, 5) {
        Val::Nil => obs.clone(),
        Val::Table(t) => numbers_of(cx, t, 5, "base", 4096)?,
        _ => return Err(cx.arg_type_error(a, 5, "table")),
    };
    if obs.len() != d || base.len() != d {
        return Err(cx.arg_error(2, &format!("an observation has {d} numbers")));
    }
    if action < 0 || action as usize >= n_actions {
        return Err(cx.arg_error(3, &format!("an action is in [0, {}]", n_actions - 1)));
    }
    if member < 1 || member as usize > members {
        return Err(cx.arg_error(4, &format!("a member is in [1, {members}]")));
    }
    let mut out = vec![0.0; d];
    with_planner(cx, a, |p| {
        let mut scratch = planner::Scratch::default();
        p.model.predict(
            member as usize - 1,
            &obs,
            action as usize,
            &base,
            &mut scratch,
            &mut out,
        );
    })?;
    let v = number_list(cx, &out);
    cx.push(v);
    Ok(Ret::Values(1))
}

/// `planner:act(obs [, prior_batch])` -> action (0-based), planned return.
fn act<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let obs = obs_arg(cx, a, 2)?;
    let (with_prior, evals, weights) = with_planner(cx, a, |p| {
        let weights: usize = p.model.members[0]
            .layers
            .iter()
            .map(|l| l.w.len() + l.b.len())
            .sum();
        (p.with_prior, p.evals_per_act(), weights)
    })?;
    if with_prior && !matches!(cx.arg(a, 3), Val::Function(_)) {
        return Err(cx.arg_type_error(a, 3, "prior function"));
    }
    // A network evaluation reads every weight once: charged as that many bytes scanned.
    cx.charge_bytes(evals.saturating_mul(weights))?;
    let search = with_planner(cx, a, |p| p.start(&obs))?.map_err(|e| cx.rt_error(&e))?;
    drive(cx, a.base, a.len, search, None)
}

/// Advances `search` with the prior's rows (if any) and either answers or calls the
/// prior for the next batch with a continuation that comes back here.
fn drive<'n>(
    cx: &mut Cx<'n>,
    base: usize,
    nargs: usize,
    mut search: Search,
    prior_rows: Option<Vec<f64>>,
) -> HostResult<'n, Ret> {
    let a = Args { base, len: nargs };
    let progress = with_planner(cx, a, |p| search.advance(p, prior_rows.as_deref()))?;
    match progress.map_err(|e| cx.rt_error(&e))? {
        Progress::Done(action, planned) => {
            cx.set_top(base + nargs);
            cx.push(Val::Num(action as f64));
            cx.push(Val::Num(planned));
            Ok(Ret::Values(2))
        }
        Progress::NeedPrior => {
            let rows: Vec<(Vec<f64>, usize)> = with_planner(cx, a, |p| {
                search.batch(p).map(|(s, act)| (s.to_vec(), act)).collect()
            })?;
            cx.set_top(base + nargs);
            cx.check_stack(4)?;
            let f = cx.arg(a, 3);
            cx.push(f);
            let states = cx.new_table_with(rows.len(), 0);
            let actions = cx.new_table_with(rows.len(), 0);
            for (i, (s, act)) in rows.iter().enumerate() {
                let row = number_list(cx, s);
                cx.raw_set_int(states, i as i64 + 1, row);
                cx.raw_set_int(actions, i as i64 + 1, Val::Num(*act as f64));
            }
            cx.push(Val::Table(states));
            cx.push(Val::Table(actions));
            let mut cont = Cont::host(after_prior, nargs);
            cont.data = Some(Box::new(search));
            Ok(Ret::Call {
                nargs: 2,
                nresults: 1,
                cont,
            })
        }
    }
}

/// The prior answered a batch: its rows, flattened, go to the search.
fn after_prior<'n>(
    cx: &mut Cx<'n>,
    status: HostStatus<'n>,
    cont: &mut Cont,
) -> HostResult<'n, Ret> {
    let base = cx.frame_base();
    let nargs = cont.ctx;
    let Some(search) = cont.data.take().and_then(|d| d.downcast::<Search>().ok()) else {
        return Err(cx.rt_error("tsunami.Planner: the plan in progress was lost"));
    };
    let result = match status {
        HostStatus::Ok { first, n } => cx.first_result(first, n),
        HostStatus::Err(e) => return Err(e),
    };
    let Val::Table(rows) = result else {
        let msg = format!(
            "the prior must return a list of rows, not {}",
            result.type_name()
        );
        return Err(cx.rt_error(&msg));
    };
    let n = cx.raw_len(rows);
    cx.charge_bytes(n.saturating_mul(64))?;
    let mut flat = Vec::new();
    for i in 1..=n {
        let Val::Table(row) = cx.raw_get_int(rows, i as i64) else {
            return Err(cx.rt_error("the prior's rows must be lists of numbers"));
        };
        flat.extend(numbers_of(cx, row, 3, "a prior row", 4096)?);
    }
    drive(cx, base, nargs, *search, Some(flat))
}
