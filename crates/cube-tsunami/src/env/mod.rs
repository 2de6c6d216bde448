//! Environments in gymnasium's shape, and the episode bookkeeping gymnasium's
//! wrappers add (`TimeLimit`, and that `step` needs a `reset` first).

mod acrobot;
mod cartpole;
mod mountain_car;
mod pendulum;

use crate::rng::Rng;

/// A space, as gymnasium's `Discrete(n)` and `Box(low, high)`.
#[derive(Clone, Debug, PartialEq)]
pub enum Space {
    Discrete(u32),
    Box { low: Vec<f64>, high: Vec<f64> },
}

/// An action: an index into a `Discrete` space, or a point of a `Box`.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    Discrete(i64),
    Continuous(Vec<f64>),
}

/// What one `step` returns.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub observation: Vec<f64>,
    pub reward: f64,
    pub terminated: bool,
    pub truncated: bool,
}

/// One environment's dynamics (the unwrapped environment of gymnasium).
pub trait Env: Send {
    /// Its gymnasium id (`"CartPole-v1"`).
    fn id(&self) -> &'static str;
    fn observation_space(&self) -> Space;
    fn action_space(&self) -> Space;
    /// gymnasium's `max_episode_steps` for the id (the `TimeLimit` wrapper's bound).
    fn max_episode_steps(&self) -> u32;
    /// The default range of the initial state's random draw, where the environment
    /// takes `low`/`high` reset options (gymnasium's `maybe_parse_reset_bounds`).
    fn reset_bounds(&self) -> Option<(f64, f64)>;
    /// Draws an initial state (`bounds`: the range given as options, checked).
    fn reset(&mut self, rng: &mut Rng, bounds: Option<(f64, f64)>);
    /// The state in full precision (gymnasium's `env.unwrapped.state`).
    fn state(&self) -> Vec<f64>;
    /// Sets the state (for comparisons and model-based planning); the length is the
    /// state's.
    fn set_state(&mut self, state: &[f64]) -> Result<(), String>;
    /// The observation of the current state, as gymnasium returns it (float32 values).
    fn observation(&self) -> Vec<f64>;
    /// Advances one step: the reward and whether the episode terminated. The action
    /// has been checked against [`Env::action_space`].
    fn step(&mut self, action: &Action) -> (f64, bool);
}

/// The gymnasium ids [`make`] knows.
pub const IDS: &[&str] = &["CartPole-v1", "MountainCar-v0", "Acrobot-v1", "Pendulum-v1"];

/// The environment of gymnasium id `id`.
pub fn make(id: &str) -> Result<Box<dyn Env>, String> {
    Ok(match id {
        "CartPole-v1" => Box::new(cartpole::CartPole::new()),
        "MountainCar-v0" => Box::new(mountain_car::MountainCar::new()),
        "Acrobot-v1" => Box::new(acrobot::Acrobot::new()),
        "Pendulum-v1" => Box::new(pendulum::Pendulum::new()),
        other => {
            return Err(format!(
                "no environment '{other}' (built in: {})",
                IDS.join(", ")
            ))
        }
    })
}

/// A value as the float32 gymnasium's observations hold, given back as a double.
pub(crate) fn f32r(x: f64) -> f64 {
    x as f32 as f64
}

/// How an episode starts.
#[derive(Clone, Debug, Default)]
pub struct ResetOptions {
    /// Seeds the generator of initial states (reproducible episodes).
    pub seed: Option<u64>,
    /// The range of the initial draw, for environments that take one.
    pub bounds: Option<(f64, f64)>,
    /// Start from exactly this state instead of a random one.
    pub state: Option<Vec<f64>>,
}

/// An environment with gymnasium's `make` wrappers: `TimeLimit` (truncated once
/// `max_episode_steps` steps were taken) and the order check (no `step` before
/// `reset`), plus the generator of initial states.
pub struct Episode {
    env: Box<dyn Env>,
    rng: Option<Rng>,
    elapsed: u32,
    started: bool,
}

impl Episode {
    pub fn new(env: Box<dyn Env>) -> Episode {
        Episode {
            env,
            rng: None,
            elapsed: 0,
            started: false,
        }
    }

    pub fn env(&self) -> &dyn Env {
        self.env.as_ref()
    }

    /// Steps taken since the last reset.
    pub fn elapsed(&self) -> u32 {
        self.elapsed
    }

    /// Starts an episode; its first observation.
    pub fn reset(&mut self, opts: &ResetOptions) -> Result<Vec<f64>, String> {
        if let Some((low, high)) = opts.bounds {
            if self.env.reset_bounds().is_none() {
                return Err(format!("{} takes no low/high reset options", self.env.id()));
            }
            if !(low.is_finite() && high.is_finite()) || low > high {
                return Err(format!(
                    "reset bounds must be finite with low <= high (got {low}, {high})"
                ));
            }
        }
        if let Some(seed) = opts.seed {
            self.rng = Some(Rng::new(seed));
        }
        match &opts.state {
            Some(s) => self.env.set_state(s)?,
            None => {
                let rng = self.rng.get_or_insert_with(Rng::from_entropy);
                self.env.reset(rng, opts.bounds);
            }
        }
        self.elapsed = 0;
        self.started = true;
        Ok(self.env.observation())
    }

    /// One step of the episode.
    pub fn step(&mut self, action: &Action) -> Result<Step, String> {
        if !self.started {
            return Err("call reset before step".into());
        }
        let action = check_action(&self.env.action_space(), action)?;
        let (reward, terminated) = self.env.step(&action);
        self.elapsed = self.elapsed.saturating_add(1);
        Ok(Step {
            observation: self.env.observation(),
            reward,
            terminated,
            truncated: self.elapsed >= self.env.max_episode_steps(),
        })
    }
}

/// `action` if it belongs to `space` (a `Box` action of one value may be a number).
fn check_action(space: &Space, action: &Action) -> Result<Action, String> {
    match (space, action) {
        (Space::Discrete(n), Action::Discrete(a)) if (0..i64::from(*n)).contains(a) => {
            Ok(action.clone())
        }
        (Space::Discrete(n), a) => Err(format!(
            "action must be an integer from 0 to {} (Discrete({n})), got {}",
            n - 1,
            describe(a)
        )),
        (Space::Box { low, .. }, Action::Continuous(v)) if v.len() == low.len() => {
            Ok(action.clone())
        }
        (Space::Box { low, .. }, Action::Discrete(a)) if low.len() == 1 => {
            Ok(Action::Continuous(vec![*a as f64]))
        }
        (Space::Box { low, .. }, a) => Err(format!(
            "action must be {} number(s) (a Box of shape ({},)), got {}",
            low.len(),
            low.len(),
            describe(a)
        )),
    }
}

fn describe(a: &Action) -> String {
    match a {
        Action::Discrete(i) => i.to_string(),
        Action::Continuous(v) if v.len() == 1 => v[0].to_string(),
        Action::Continuous(v) => format!("{} numbers", v.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_id_makes_its_environment() {
        for id in IDS {
            let env = make(id).unwrap();
            assert_eq!(env.id(), *id);
        }
        let e = make("Nope-v0").err().unwrap();
        assert!(e.contains("CartPole-v1"), "{e}");
    }

    #[test]
    fn episodes_check_order_actions_and_options() {
        let mut ep = Episode::new(make("CartPole-v1").unwrap());
        assert!(ep.step(&Action::Discrete(0)).is_err());
        let obs = ep
            .reset(&ResetOptions {
                seed: Some(3),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(obs.len(), 4);
        assert!(obs.iter().all(|x| x.abs() < 0.05));
        assert!(ep.step(&Action::Discrete(2)).is_err());
        assert!(ep.step(&Action::Continuous(vec![0.5])).is_err());
        assert!(ep.step(&Action::Discrete(1)).is_ok());
        let bad = ResetOptions {
            bounds: Some((1.0, -1.0)),
            ..Default::default()
        };
        assert!(ep.reset(&bad).is_err());
        let mut pend = Episode::new(make("Pendulum-v1").unwrap());
        let bounds = ResetOptions {
            bounds: Some((0.0, 1.0)),
            ..Default::default()
        };
        assert!(
            pend.reset(&bounds).is_err(),
            "Pendulum takes x_init/y_init, not low/high"
        );
    }

    #[test]
    fn a_seed_repeats_its_episode() {
        let run = || {
            let mut ep = Episode::new(make("CartPole-v1").unwrap());
            let mut obs = ep
                .reset(&ResetOptions {
                    seed: Some(99),
                    ..Default::default()
                })
                .unwrap();
            for i in 0..20 {
                obs = ep.step(&Action::Discrete(i % 2)).unwrap().observation;
            }
            obs
        };
        assert_eq!(run(), run());
    }

    #[test]
    fn the_time_limit_truncates() {
        let mut ep = Episode::new(make("Pendulum-v1").unwrap());
        ep.reset(&ResetOptions::default()).unwrap();
        for i in 1..=200 {
            let s = ep.step(&Action::Continuous(vec![0.0])).unwrap();
            assert_eq!(s.truncated, i == 200);
            assert!(!s.terminated);
        }
    }
}

/// Several copies of one environment stepped together, as gymnasium's
/// `SyncVectorEnv` with its default autoreset mode (`NEXT_STEP`): a copy whose episode
/// ended is reset by the next `step`, which ignores its action and returns the new
/// episode's first observation with reward 0 and both flags false.
pub struct VecEpisode {
    copies: Vec<Episode>,
    /// Copies whose episode ended on the last step.
    ended: Vec<bool>,
}

/// At most this many copies in one vector environment.
pub const MAX_COPIES: usize = 4096;

impl VecEpisode {
    pub fn new(id: &str, n: usize) -> Result<VecEpisode, String> {
        if n == 0 || n > MAX_COPIES {
            return Err(format!(
                "a vector environment has 1 to {MAX_COPIES} copies, not {n}"
            ));
        }
        let copies = (0..n)
            .map(|_| make(id).map(Episode::new))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(VecEpisode {
            ended: vec![false; n],
            copies,
        })
    }

    pub fn len(&self) -> usize {
        self.copies.len()
    }

    pub fn is_empty(&self) -> bool {
        self.copies.is_empty()
    }

    pub fn env(&self) -> &dyn Env {
        self.copies[0].env()
    }

    /// Resets every copy; with a seed, copy `i` gets `seed + i` (as gymnasium).
    pub fn reset(&mut self, seed: Option<u64>) -> Result<Vec<Vec<f64>>, String> {
        self.ended.iter_mut().for_each(|e| *e = false);
        self.copies
            .iter_mut()
            .enumerate()
            .map(|(i, c)| {
                c.reset(&ResetOptions {
                    seed: seed.map(|s| s.wrapping_add(i as u64)),
                    ..Default::default()
                })
            })
            .collect()
    }

    /// One step of every copy (`actions[i]` for copy `i`).
    pub fn step(&mut self, actions: &[Action]) -> Result<Vec<Step>, String> {
        if actions.len() != self.copies.len() {
            return Err(format!(
                "{} actions for {} environments",
                actions.len(),
                self.copies.len()
            ));
        }
        // Check every action first: a bad one changes no copy.
        for (c, a) in self.copies.iter().zip(actions) {
            check_action(&c.env.action_space(), a)?;
        }
        let mut out = Vec::with_capacity(actions.len());
        for ((c, a), ended) in self.copies.iter_mut().zip(actions).zip(&mut self.ended) {
            let step = if *ended {
                let observation = c.reset(&ResetOptions::default())?;
                Step {
                    observation,
                    reward: 0.0,
                    terminated: false,
                    truncated: false,
                }
            } else {
                c.step(a)?
            };
            *ended = step.terminated || step.truncated;
            out.push(step);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod vec_tests {
    use super::*;

    #[test]
    fn copies_step_as_single_environments_and_reset_on_the_next_step() {
        let mut v = VecEpisode::new("CartPole-v1", 3).unwrap();
        let first = v.reset(Some(10)).unwrap();
        let mut singles: Vec<Episode> = (0..3)
            .map(|_| Episode::new(make("CartPole-v1").unwrap()))
            .collect();
        for (i, s) in singles.iter_mut().enumerate() {
            let o = s
                .reset(&ResetOptions {
                    seed: Some(10 + i as u64),
                    ..Default::default()
                })
                .unwrap();
            assert_eq!(o, first[i]);
        }
        let mut saw_autoreset = false;
        let mut ended = [false; 3];
        for t in 0..200 {
            let actions: Vec<Action> = (0..3).map(|i| Action::Discrete((t + i) % 2)).collect();
            let steps = v.step(&actions).unwrap();
            for i in 0..3 {
                if ended[i] {
                    // The copy restarted: reward 0, flags false, a fresh start.
                    assert_eq!(steps[i].reward, 0.0);
                    assert!(!steps[i].terminated && !steps[i].truncated);
                    assert!(steps[i].observation.iter().all(|x| x.abs() < 0.05));
                    saw_autoreset = true;
                    // Follow the copy from its new start.
                    let state = v.copies[i].env().state();
                    singles[i]
                        .reset(&ResetOptions {
                            state: Some(state),
                            ..Default::default()
                        })
                        .unwrap();
                    ended[i] = false;
                    continue;
                }
                let s = singles[i].step(&actions[i]).unwrap();
                assert_eq!(s, steps[i], "copy {i} at step {t}");
                ended[i] = s.terminated || s.truncated;
            }
        }
        assert!(saw_autoreset);
        assert!(v.step(&[Action::Discrete(0)]).is_err());
        let bad = [
            Action::Discrete(0),
            Action::Discrete(5),
            Action::Discrete(0),
        ];
        assert!(v.step(&bad).is_err());
        assert!(VecEpisode::new("CartPole-v1", 0).is_err());
        assert!(VecEpisode::new("CartPole-v1", MAX_COPIES + 1).is_err());
    }
}
