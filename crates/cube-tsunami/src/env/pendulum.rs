//! Pendulum-v1 (gymnasium `classic_control/pendulum.py`): swing a pendulum up and keep
//! it upright with a torque in [-2, 2]; reward `-(angle^2 + 0.1 speed^2 + 0.001
//! torque^2)`, never terminated; initial angle uniform in (-pi, pi) and speed in
//! (-1, 1); TimeLimit 200. The torque is a float32 as gymnasium's action space makes
//! it, and the terms it enters are computed in float32 as NumPy 2 computes them (a
//! Python float times a float32 scalar stays float32).

use super::{f32r, Action, Env, Space};
use crate::rng::Rng;
use std::f64::consts::PI;

const MAX_SPEED: f64 = 8.0;
const MAX_TORQUE: f32 = 2.0;
const DT: f64 = 0.05;
const G: f64 = 10.0;
const M: f64 = 1.0;
const L: f64 = 1.0;

pub struct Pendulum {
    /// theta, theta_dot.
    state: [f64; 2],
}

impl Pendulum {
    pub fn new() -> Pendulum {
        Pendulum { state: [0.0; 2] }
    }
}

/// An angle into [-pi, pi) (gymnasium's `angle_normalize`, Python's modulo).
fn angle_normalize(x: f64) -> f64 {
    (x + PI).rem_euclid(2.0 * PI) - PI
}

impl Env for Pendulum {
    fn id(&self) -> &'static str {
        "Pendulum-v1"
    }

    fn observation_space(&self) -> Space {
        Space::Box {
            low: vec![-1.0, -1.0, -MAX_SPEED],
            high: vec![1.0, 1.0, MAX_SPEED],
        }
    }

    fn action_space(&self) -> Space {
        let t = f64::from(MAX_TORQUE);
        Space::Box {
            low: vec![-t],
            high: vec![t],
        }
    }

    fn max_episode_steps(&self) -> u32 {
        200
    }

    fn reset_bounds(&self) -> Option<(f64, f64)> {
        // gymnasium's Pendulum takes `x_init`/`y_init`, not `low`/`high`.
        None
    }

    fn reset(&mut self, rng: &mut Rng, _bounds: Option<(f64, f64)>) {
        self.state = [rng.uniform(-PI, PI), rng.uniform(-1.0, 1.0)];
    }

    fn state(&self) -> Vec<f64> {
        self.state.to_vec()
    }

    fn set_state(&mut self, state: &[f64]) -> Result<(), String> {
        self.state = state
            .try_into()
            .map_err(|_| format!("a Pendulum state has 2 numbers, not {}", state.len()))?;
        Ok(())
    }

    fn observation(&self) -> Vec<f64> {
        let [th, thdot] = self.state;
        [th.cos(), th.sin(), thdot].map(f32r).to_vec()
    }

    fn step(&mut self, action: &Action) -> (f64, bool) {
        let u = match action {
            Action::Continuous(v) => v.first().copied().unwrap_or(0.0),
            Action::Discrete(a) => *a as f64,
        } as f32;
        // np.clip keeps a NaN a NaN; f32::clamp does too.
        let u = u.clamp(-MAX_TORQUE, MAX_TORQUE);
        let [th, thdot] = self.state;
        let costs =
            angle_normalize(th).powi(2) + 0.1 * thdot * thdot + f64::from(0.001f32 * (u * u));
        let push = f64::from((3.0 / (M * L * L)) as f32 * u);
        let newthdot =
            (thdot + (3.0 * G / (2.0 * L) * th.sin() + push) * DT).clamp(-MAX_SPEED, MAX_SPEED);
        let newth = th + newthdot * DT;
        self.state = [newth, newthdot];
        (-costs, false)
    }
}
