//! Model-predictive control in a learned model: the planner of `tsunami.mbrl`.
//!
//! The model is an ensemble of small networks (Linear layers with tanh between them,
//! the shape `tsunami._util.mlp` builds) that the Lua learner trains with `nn` on real
//! transitions; their weights are copied here after each training phase, because
//! planning runs the networks hundreds of thousands of times per second of real time,
//! which a tensor call per row could not do. A member maps `[normalised observation,
//! one-hot action]` to the normalised change of the observation; the predicted next
//! observation is `base + delta_mean + delta_std * output`, where `base` is the
//! observation itself, or what the user's physics prior predicts (a Lua function that
//! the network then only corrects; see [`Search`] for how it is called).
//!
//! Planning is the cross-entropy method over sequences of discrete actions: a
//! distribution per future step (warm-started from the previous plan, shifted by one),
//! `candidates` sequences sampled from it, each rolled out for `horizon` steps in
//! `particles` members of the ensemble (candidate `c`'s particle `p` uses member
//! `(c + p) mod E`, as PETS' trajectory sampling spreads particles over members) and
//! scored by the environment's reward for planning ([`Objective`]); the `elites` best
//! re-fit the distribution, `iterations` times. The first action of the best sequence
//! seen is taken.
//!
//! All sizes come from the Lua caller and are checked by [`Planner::new`] before anything
//! is allocated; a plan's work is bounded by `candidates * horizon * iterations *
//! particles` network evaluations, which the caller charges as reductions.

use crate::rng::Rng;

/// Upper bounds on what a program may ask of the planner (checked before allocating).
pub const MAX_MEMBERS: usize = 64;
pub const MAX_LAYER_UNITS: usize = 4096;
pub const MAX_LAYERS: usize = 16;
pub const MAX_HORIZON: usize = 1000;
pub const MAX_CANDIDATES: usize = 100_000;
pub const MAX_ITERATIONS: usize = 100;
/// Network evaluations one `act` may do.
pub const MAX_EVALS_PER_ACT: usize = 50_000_000;
/// Bytes a search's buffers may take.
pub const MAX_SEARCH_BYTES: usize = 256 << 20;

/// The bytes a search with `cfg` allocates (rollout states, flags, returns, the sampled
/// actions), or `None` above [`MAX_SEARCH_BYTES`]: what the caller reserves first.
pub fn search_bytes(cfg: &PlanConfig, obs_dim: usize) -> Option<usize> {
    let rows = cfg.candidates.checked_mul(cfg.particles)?;
    let per_row = obs_dim.checked_mul(8)?.checked_add(8 + 1 + 8)?;
    let bytes = rows
        .checked_mul(per_row)?
        .checked_add(cfg.candidates.checked_mul(cfg.horizon)?.checked_mul(2)?)?;
    (bytes <= MAX_SEARCH_BYTES).then_some(bytes)
}

/// One Linear layer: `w` is `n_out x n_in`, row-major (Torch's `weight` layout).
pub struct Layer {
    pub w: Vec<f32>,
    pub b: Vec<f32>,
    pub n_in: usize,
    pub n_out: usize,
}

/// A member of the ensemble: Linear layers with tanh between them.
pub struct Net {
    pub layers: Vec<Layer>,
}

impl Net {
    /// Checks that the layers chain from `n_in` inputs to `n_out` outputs.
    fn check(&self, n_in: usize, n_out: usize) -> Result<(), String> {
        let mut width = n_in;
        for (k, l) in self.layers.iter().enumerate() {
            if l.n_in != width || l.w.len() != l.n_in * l.n_out || l.b.len() != l.n_out {
                return Err(format!(
                    "layer {} takes {} inputs where {} arrive",
                    k + 1,
                    l.n_in,
                    width
                ));
            }
            width = l.n_out;
        }
        if self.layers.is_empty() || width != n_out {
            return Err(format!("the network gives {width} outputs, not {n_out}"));
        }
        Ok(())
    }

    /// Runs the network on `x`; the result is left in `buf[0]` (`buf` is scratch).
    fn forward(&self, x: &[f32], buf: &mut [Vec<f32>; 2]) {
        buf[0].clear();
        buf[0].extend_from_slice(x);
        let last = self.layers.len() - 1;
        for (k, l) in self.layers.iter().enumerate() {
            let [input, output] = buf;
            output.clear();
            for (row, &bias) in l.w.chunks_exact(l.n_in).zip(&l.b) {
                let y = dot(row, input) + bias;
                output.push(if k < last { tanh(y) } else { y });
            }
            buf.swap(0, 1);
        }
    }
}

/// The dot product of two rows of the same length, in eight running sums: one sum is
/// a chain of dependent additions the processor cannot overlap (floating-point
/// addition is not reassociated for us), eight independent ones vectorise.
#[inline]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (a8, a_rest) = a.split_at(a.len() - a.len() % 8);
    let (b8, b_rest) = b[..a.len()].split_at(a8.len());
    for (x, y) in a8.chunks_exact(8).zip(b8.chunks_exact(8)) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    let mut sum = acc.iter().sum::<f32>();
    for (x, y) in a_rest.iter().zip(b_rest) {
        sum += x * y;
    }
    sum
}

/// tanh through one `exp`: glibc's `tanhf` goes through `expm1f`, which was 43% of a
/// planning run's time (perf, `tsunami.train{algo="mbrl"}`), against 10% for the
/// networks' products. Computed in f64, so the result is `tanh` rounded to f32 within an
/// ulp or so (checked against f64's `tanh` in the tests); below 1/16 a Taylor polynomial
/// (its first left-out term, 17x^7/315, is under 3e-10 there) avoids the cancellation
/// of `1 - e`.
#[inline]
fn tanh(x: f32) -> f32 {
    let a = f64::from(x.abs());
    let t = if a < 0.0625 {
        let a2 = a * a;
        a * (1.0 + a2 * (-1.0 / 3.0 + a2 * (2.0 / 15.0)))
    } else if a > 20.0 {
        1.0
    } else {
        let e = (-2.0 * a).exp();
        (1.0 - e) / (1.0 + e)
    };
    (t as f32).copysign(x)
}

/// Buffers a prediction reuses (the input row and the layers' activations).
#[derive(Default)]
pub struct Scratch {
    input: Vec<f32>,
    buf: [Vec<f32>; 2],
}

/// The learned model: the ensemble and the normalisation it was trained with.
pub struct Model {
    pub members: Vec<Net>,
    pub obs_dim: usize,
    pub n_actions: usize,
    pub obs_mean: Vec<f64>,
    pub obs_std: Vec<f64>,
    pub delta_mean: Vec<f64>,
    pub delta_std: Vec<f64>,
}

impl Model {
    fn check(&self) -> Result<(), String> {
        if self.members.is_empty() || self.members.len() > MAX_MEMBERS {
            return Err(format!("an ensemble has 1 to {MAX_MEMBERS} members"));
        }
        for v in [
            &self.obs_mean,
            &self.obs_std,
            &self.delta_mean,
            &self.delta_std,
        ] {
            if v.len() != self.obs_dim || v.iter().any(|x| !x.is_finite()) {
                return Err(format!(
                    "normalisation vectors have {} finite numbers",
                    self.obs_dim
                ));
            }
        }
        for (m, net) in self.members.iter().enumerate() {
            net.check(self.obs_dim + self.n_actions, self.obs_dim)
                .map_err(|e| format!("member {}: {e}", m + 1))?;
        }
        Ok(())
    }

    /// Member `m`'s prediction of the observation after `action` from `obs`, added to
    /// `base` (the observation, or the prior's prediction) into `out`.
    pub fn predict(
        &self,
        m: usize,
        obs: &[f64],
        action: usize,
        base: &[f64],
        scratch: &mut Scratch,
        out: &mut [f64],
    ) {
        let Scratch { input, buf } = scratch;
        input.clear();
        for ((x, mean), std) in obs.iter().zip(&self.obs_mean).zip(&self.obs_std) {
            input.push(((x - mean) / std) as f32);
        }
        input.extend((0..self.n_actions).map(|a| if a == action { 1.0 } else { 0.0 }));
        self.members[m].forward(input, buf);
        for (i, o) in out.iter_mut().enumerate() {
            *o = base[i] + self.delta_mean[i] + self.delta_std[i] * f64::from(buf[0][i]);
        }
    }
}

/// The reward the planner maximises and when a rolled-out episode ends: the
/// environment's own termination, and its reward shaped toward the goal so that
/// sequences that all survive the horizon are still told apart (the agent is scored,
/// and learns, on the environment's true reward).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Objective {
    /// Alive: 1 per step, less up to 0.2 for the cart's and the pole's distance from
    /// the centre; ends where CartPole-v1 terminates.
    CartPole,
    /// -1 per step plus a bonus for the tip's height; ends when the tip is above the
    /// bar, as Acrobot-v1.
    Acrobot,
}

const CARTPOLE_X: f64 = 2.4;
const CARTPOLE_THETA: f64 = 12.0 * 2.0 * std::f64::consts::PI / 360.0;

impl Objective {
    /// The objective of a built-in environment, by its id.
    pub fn for_env(id: &str) -> Result<Objective, String> {
        match id {
            "CartPole-v1" => Ok(Objective::CartPole),
            "Acrobot-v1" => Ok(Objective::Acrobot),
            _ => Err(format!(
                "tsunami.mbrl plans with the rewards of CartPole-v1 and Acrobot-v1 so far, not {id}"
            )),
        }
    }

    /// The planning reward of arriving at `obs`, and whether the episode ends there.
    fn score(self, obs: &[f64]) -> (f64, bool) {
        match self {
            Objective::CartPole => {
                let (x, theta) = (obs[0], obs[2]);
                if !(-CARTPOLE_X..=CARTPOLE_X).contains(&x)
                    || !(-CARTPOLE_THETA..=CARTPOLE_THETA).contains(&theta)
                {
                    return (0.0, true);
                }
                let dx = x / CARTPOLE_X;
                let dt = theta / CARTPOLE_THETA;
                (1.0 - 0.1 * dx * dx - 0.1 * dt * dt, false)
            }
            Objective::Acrobot => {
                // obs: cos t1, sin t1, cos t2, sin t2, ...; cos(t1 + t2) expanded.
                let (c1, s1, c2, s2) = (obs[0], obs[1], obs[2], obs[3]);
                let height = -c1 - (c1 * c2 - s1 * s2);
                if height > 1.0 {
                    (0.0, true)
                } else {
                    (-1.0 + 0.25 * (height + 2.0) / 3.0, false)
                }
            }
        }
    }

    /// The observation size the objective reads.
    fn obs_dim(self) -> usize {
        match self {
            Objective::CartPole => 4,
            Objective::Acrobot => 6,
        }
    }
}

/// How hard the planner searches.
#[derive(Clone, Copy, Debug)]
pub struct PlanConfig {
    pub horizon: usize,
    pub candidates: usize,
    pub iterations: usize,
    pub elites: usize,
    pub particles: usize,
    /// Weight of the old distribution when the elites re-fit it (0: none).
    pub smoothing: f64,
}

/// A model, an objective and the plan carried from one step to the next.
pub struct Planner {
    pub model: Model,
    objective: Objective,
    cfg: PlanConfig,
    /// `horizon x n_actions` probabilities: the warm start of the next search.
    probs: Vec<f64>,
    rng: Rng,
    /// Whether rollouts ask the caller for a prior's prediction at every step.
    pub with_prior: bool,
}

impl Planner {
    /// Checks every size before allocating anything.
    pub fn new(
        model: Model,
        objective: Objective,
        cfg: PlanConfig,
        seed: u64,
        with_prior: bool,
    ) -> Result<Planner, String> {
        model.check()?;
        if model.obs_dim != objective.obs_dim() {
            return Err(format!(
                "the model predicts {} numbers; the environment's observations have {}",
                model.obs_dim,
                objective.obs_dim()
            ));
        }
        if model.n_actions < 1 || model.n_actions > 256 {
            return Err("a model has 1 to 256 actions".into());
        }
        let c = cfg;
        let bad = |what: &str, max: usize| format!("{what} must be an integer in [1, {max}]");
        if c.horizon < 1 || c.horizon > MAX_HORIZON {
            return Err(bad("horizon", MAX_HORIZON));
        }
        if c.candidates < 1 || c.candidates > MAX_CANDIDATES {
            return Err(bad("candidates", MAX_CANDIDATES));
        }
        if c.iterations < 1 || c.iterations > MAX_ITERATIONS {
            return Err(bad("iterations", MAX_ITERATIONS));
        }
        if c.elites < 1 || c.elites > c.candidates {
            return Err("elites must be an integer in [1, candidates]".into());
        }
        if c.particles < 1 || c.particles > model.members.len() {
            return Err("particles must be an integer in [1, ensemble size]".into());
        }
        if !(0.0..1.0).contains(&c.smoothing) {
            return Err("smoothing must be a number in [0, 1)".into());
        }
        if search_bytes(&c, model.obs_dim).is_none() {
            return Err(format!(
                "candidates * particles and candidates * horizon need more than {MAX_SEARCH_BYTES} bytes"
            ));
        }
        let evals = c.candidates * c.horizon * c.iterations * c.particles;
        if evals > MAX_EVALS_PER_ACT {
            return Err(format!(
                "candidates * horizon * iterations * particles = {evals} is above {MAX_EVALS_PER_ACT}"
            ));
        }
        let n_actions = model.n_actions;
        Ok(Planner {
            model,
            objective,
            cfg,
            probs: vec![1.0 / n_actions as f64; c.horizon * n_actions],
            rng: Rng::new(seed),
            with_prior,
        })
    }

    /// Network evaluations per `act` (what the caller charges).
    pub fn evals_per_act(&self) -> usize {
        let c = self.cfg;
        c.candidates * c.horizon * c.iterations * c.particles
    }

    /// Forgets the warm start (a new episode).
    pub fn reset(&mut self) {
        let u = 1.0 / self.model.n_actions as f64;
        self.probs.iter_mut().for_each(|p| *p = u);
    }

    /// Starts planning from `obs`: drive the returned search with [`Search::advance`].
    pub fn start(&mut self, obs: &[f64]) -> Result<Search, String> {
        if obs.len() != self.model.obs_dim || obs.iter().any(|x| !x.is_finite()) {
            return Err(format!(
                "an observation has {} finite numbers",
                self.model.obs_dim
            ));
        }
        // Warm start: the last plan shifted by one step, half-way back to uniform so
        // a confident but wrong plan can still be left.
        let a = self.model.n_actions;
        let h = self.cfg.horizon;
        let u = 1.0 / a as f64;
        self.probs.copy_within(a.., 0);
        self.probs[(h - 1) * a..].iter_mut().for_each(|p| *p = u);
        self.probs.iter_mut().for_each(|p| *p = 0.5 * *p + 0.5 * u);
        let rows = self.cfg.candidates * self.cfg.particles;
        let mut search = Search {
            obs: obs.to_vec(),
            iteration: 0,
            t: 0,
            actions: vec![0; self.cfg.candidates * h],
            states: Vec::with_capacity(rows * obs.len()),
            alive: vec![true; rows],
            returns: vec![0.0; rows],
            best: (f64::NEG_INFINITY, 0),
            scratch: Scratch::default(),
            next: vec![0.0; obs.len()],
        };
        search.begin_iteration(self);
        Ok(search)
    }
}

/// One plan in progress. Without a prior, [`Search::advance`] with `None` until it
/// answers an action. With one, before each step of the rollouts the caller reads
/// [`Search::batch`] (each rollout's state and the action it takes there; finished
/// rollouts included, their results are ignored), computes the prior's next
/// observation for every row, and passes them, concatenated, to `advance`. This is
/// how a Lua prior is called in batches from a native without recursion.
pub struct Search {
    obs: Vec<f64>,
    iteration: usize,
    t: usize,
    /// `candidates x horizon` sampled actions.
    actions: Vec<u16>,
    /// `(candidates * particles) x obs_dim` rollout states.
    states: Vec<f64>,
    alive: Vec<bool>,
    returns: Vec<f64>,
    /// Best return seen and its first action.
    best: (f64, usize),
    scratch: Scratch,
    next: Vec<f64>,
}

/// What [`Search::advance`] answers.
pub enum Progress {
    /// The caller must supply the prior's predictions for [`Search::batch`] next.
    NeedPrior,
    /// The plan is done: this action (0-based) and its planned return.
    Done(usize, f64),
}

impl Search {
    fn begin_iteration(&mut self, p: &mut Planner) {
        let a = p.model.n_actions;
        let h = p.cfg.horizon;
        for c in 0..p.cfg.candidates {
            for t in 0..h {
                let probs = &p.probs[t * a..(t + 1) * a];
                let u = p.rng.uniform(0.0, 1.0);
                let mut acc = 0.0;
                let mut pick = a - 1;
                for (k, &q) in probs.iter().enumerate() {
                    acc += q;
                    if u < acc {
                        pick = k;
                        break;
                    }
                }
                self.actions[c * h + t] = pick as u16;
            }
        }
        self.states.clear();
        for _ in 0..p.cfg.candidates * p.cfg.particles {
            self.states.extend_from_slice(&self.obs);
        }
        self.alive.iter_mut().for_each(|x| *x = true);
        self.returns.iter_mut().for_each(|x| *x = 0.0);
        self.t = 0;
    }

    /// The rows a prior must predict for: (state, action) of every rollout at the
    /// current step, rollout `r` being candidate `r / particles`.
    pub fn batch<'a>(&'a self, p: &'a Planner) -> impl Iterator<Item = (&'a [f64], usize)> + 'a {
        let d = p.model.obs_dim;
        let h = p.cfg.horizon;
        let particles = p.cfg.particles;
        let t = self.t;
        self.states
            .chunks_exact(d)
            .enumerate()
            .map(move |(r, s)| (s, self.actions[(r / particles) * h + t] as usize))
    }

    /// Runs rollouts until the plan is done, or until the prior is needed (when the
    /// planner has one and `prior` is `None`). `prior` holds the prior's predictions
    /// for the current [`Search::batch`], row after row.
    pub fn advance(
        &mut self,
        p: &mut Planner,
        mut prior: Option<&[f64]>,
    ) -> Result<Progress, String> {
        let d = p.model.obs_dim;
        let h = p.cfg.horizon;
        let particles = p.cfg.particles;
        let members = p.model.members.len();
        loop {
            if p.with_prior && prior.is_none() {
                return Ok(Progress::NeedPrior);
            }
            if let Some(base) = prior {
                if base.len() != self.states.len() || base.iter().any(|x| !x.is_finite()) {
                    return Err(format!(
                        "the prior must give {d} finite numbers for each of the {} rows",
                        self.alive.len()
                    ));
                }
            }
            // One step of every live rollout.
            for r in 0..self.alive.len() {
                if !self.alive[r] {
                    continue;
                }
                let c = r / particles;
                let member = (c + r % particles) % members;
                let action = self.actions[c * h + self.t] as usize;
                let state = &self.states[r * d..(r + 1) * d];
                let base = prior.map_or(state, |b| &b[r * d..(r + 1) * d]);
                p.model.predict(
                    member,
                    state,
                    action,
                    base,
                    &mut self.scratch,
                    &mut self.next,
                );
                let (reward, done) = p.objective.score(&self.next);
                self.returns[r] += reward;
                if done || self.next.iter().any(|x| !x.is_finite()) {
                    self.alive[r] = false;
                }
                self.states[r * d..(r + 1) * d].copy_from_slice(&self.next);
            }
            prior = None;
            self.t += 1;
            if self.t < h {
                continue;
            }
            // The horizon is reached: score the candidates, re-fit the distribution.
            self.refit(p);
            self.iteration += 1;
            if self.iteration == p.cfg.iterations {
                return Ok(Progress::Done(self.best.1, self.best.0));
            }
            self.begin_iteration(p);
        }
    }

    fn refit(&mut self, p: &mut Planner) {
        let particles = p.cfg.particles;
        let h = p.cfg.horizon;
        let a = p.model.n_actions;
        let scores: Vec<f64> = self
            .returns
            .chunks_exact(particles)
            .map(|r| r.iter().sum::<f64>() / particles as f64)
            .collect();
        let mut order: Vec<usize> = (0..scores.len()).collect();
        order.sort_by(|&x, &y| scores[y].total_cmp(&scores[x]));
        let top = order[0];
        if scores[top] > self.best.0 {
            self.best = (scores[top], self.actions[top * h] as usize);
        }
        let elites = &order[..p.cfg.elites];
        let keep = p.cfg.smoothing;
        let share = (1.0 - keep) / elites.len() as f64;
        for t in 0..h {
            let probs = &mut p.probs[t * a..(t + 1) * a];
            probs.iter_mut().for_each(|q| *q *= keep);
            for &c in elites {
                probs[self.actions[c * h + t] as usize] += share;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tanh_is_within_an_ulp_or_two_of_tanh() {
        let mut worst = 0f64;
        for i in -240_000..=240_000 {
            let x = i as f32 * 1e-4;
            let want = f64::from(x).tanh();
            let got = f64::from(tanh(x));
            let ulp = f64::from(f32::EPSILON) * want.abs().max(f64::from(f32::MIN_POSITIVE));
            worst = worst.max((got - want).abs() / ulp);
        }
        assert!(worst <= 2.0, "worst error {worst} ulps");
        assert_eq!(tanh(0.0), 0.0);
        assert_eq!(tanh(1e30), 1.0);
        assert_eq!(tanh(-1e30), -1.0);
        assert!(tanh(f32::NAN).is_nan());
        assert_eq!(tanh(1e-30), 1e-30);
    }

    /// A member whose output is zero: the model predicts "nothing changes".
    fn still_model(obs_dim: usize, n_actions: usize, members: usize) -> Model {
        let net = || Net {
            layers: vec![Layer {
                w: vec![0.0; obs_dim * (obs_dim + n_actions)],
                b: vec![0.0; obs_dim],
                n_in: obs_dim + n_actions,
                n_out: obs_dim,
            }],
        };
        Model {
            members: (0..members).map(|_| net()).collect(),
            obs_dim,
            n_actions,
            obs_mean: vec![0.0; obs_dim],
            obs_std: vec![1.0; obs_dim],
            delta_mean: vec![0.0; obs_dim],
            delta_std: vec![1.0; obs_dim],
        }
    }

    fn cfg() -> PlanConfig {
        PlanConfig {
            horizon: 10,
            candidates: 50,
            iterations: 3,
            elites: 5,
            particles: 1,
            smoothing: 0.1,
        }
    }

    /// A model whose one Linear layer moves the pole by +0.05 rad under action 1 and
    /// -0.05 under action 0: the planner must push the pole back toward upright.
    #[test]
    fn the_planner_steers_a_linear_model_toward_the_objective() {
        let mut m = still_model(4, 2, 2);
        for net in &mut m.members {
            // Output row 2 (theta): inputs 4 and 5 are the one-hot action.
            net.layers[0].w[2 * 6 + 4] = -0.05;
            net.layers[0].w[2 * 6 + 5] = 0.05;
        }
        let mut p = Planner::new(m, Objective::CartPole, cfg(), 7, false).unwrap();
        for (theta, want) in [(0.15, 0), (-0.15, 1)] {
            p.reset();
            let mut s = p.start(&[0.0, 0.0, theta, 0.0]).unwrap();
            match s.advance(&mut p, None).unwrap() {
                Progress::Done(a, ret) => {
                    assert_eq!(a, want, "theta {theta}");
                    assert!(ret > 0.0);
                }
                Progress::NeedPrior => panic!("no prior was configured"),
            }
        }
    }

    #[test]
    fn a_prior_is_asked_for_every_step_and_checked() {
        let m = still_model(4, 2, 1);
        let mut c = cfg();
        c.iterations = 1;
        let mut p = Planner::new(m, Objective::CartPole, c, 1, true).unwrap();
        let mut s = p.start(&[0.0; 4]).unwrap();
        let mut asks = 0;
        loop {
            match s.advance(&mut p, None).unwrap() {
                Progress::NeedPrior => {}
                Progress::Done(..) => panic!("finished without the prior"),
            }
            asks += 1;
            let rows: Vec<f64> = s.batch(&p).flat_map(|(st, _)| st.to_vec()).collect();
            assert_eq!(rows.len(), 50 * 4);
            if let Progress::Done(..) = s.advance(&mut p, Some(&rows)).unwrap() {
                break;
            }
        }
        assert_eq!(asks, 10, "once per step of the horizon");
        let mut s = p.start(&[0.0; 4]).unwrap();
        assert!(
            s.advance(&mut p, Some(&[1.0])).is_err(),
            "a short prior is refused"
        );
    }

    #[test]
    fn sizes_are_checked_before_allocating() {
        let mut c = cfg();
        c.candidates = usize::MAX;
        assert!(Planner::new(still_model(4, 2, 1), Objective::CartPole, c, 1, false).is_err());
        let mut c = cfg();
        c.candidates = 100_000;
        c.horizon = 1000;
        let err = Planner::new(still_model(4, 2, 1), Objective::CartPole, c, 1, false).err();
        assert!(err.unwrap().contains("above"));
        let mut bad = still_model(4, 2, 1);
        bad.members[0].layers[0].n_in = 5;
        assert!(Planner::new(bad, Objective::CartPole, cfg(), 1, false).is_err());
        assert!(Planner::new(still_model(6, 3, 1), Objective::CartPole, cfg(), 1, false).is_err());
    }
}
