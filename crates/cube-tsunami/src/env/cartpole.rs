//! CartPole-v1 (gymnasium `classic_control/cartpole.py`): Barto, Sutton and Anderson's
//! cart-pole, Euler integration every 0.02 s, reward 1 on every step including the one
//! that ends the episode (0 on steps taken after it, as gymnasium), terminated when
//! the cart leaves +-2.4 or the pole passes +-12 degrees; initial state uniform in
//! (-0.05, 0.05)^4; TimeLimit 500.

use super::{f32r, Action, Env, Space};
use crate::rng::Rng;

const GRAVITY: f64 = 9.8;
const MASS_CART: f64 = 1.0;
const MASS_POLE: f64 = 0.1;
const TOTAL_MASS: f64 = MASS_POLE + MASS_CART;
/// Half the pole's length.
const LENGTH: f64 = 0.5;
const POLEMASS_LENGTH: f64 = MASS_POLE * LENGTH;
const FORCE_MAG: f64 = 10.0;
const TAU: f64 = 0.02;
const THETA_THRESHOLD: f64 = 12.0 * 2.0 * std::f64::consts::PI / 360.0;
const X_THRESHOLD: f64 = 2.4;

pub struct CartPole {
    /// x, x_dot, theta, theta_dot.
    state: [f64; 4],
    /// Steps taken since the episode terminated (gymnasium's `steps_beyond_terminated`).
    beyond_terminated: Option<u32>,
}

impl CartPole {
    pub fn new() -> CartPole {
        CartPole {
            state: [0.0; 4],
            beyond_terminated: None,
        }
    }
}

impl Env for CartPole {
    fn id(&self) -> &'static str {
        "CartPole-v1"
    }

    fn observation_space(&self) -> Space {
        let high = [
            X_THRESHOLD * 2.0,
            f64::INFINITY,
            THETA_THRESHOLD * 2.0,
            f64::INFINITY,
        ]
        .map(f32r);
        Space::Box {
            low: high.iter().map(|h| -h).collect(),
            high: high.to_vec(),
        }
    }

    fn action_space(&self) -> Space {
        Space::Discrete(2)
    }

    fn max_episode_steps(&self) -> u32 {
        500
    }

    fn reset_bounds(&self) -> Option<(f64, f64)> {
        Some((-0.05, 0.05))
    }

    fn reset(&mut self, rng: &mut Rng, bounds: Option<(f64, f64)>) {
        let (low, high) = bounds.or(self.reset_bounds()).unwrap_or((-0.05, 0.05));
        for s in &mut self.state {
            *s = rng.uniform(low, high);
        }
        self.beyond_terminated = None;
    }

    fn state(&self) -> Vec<f64> {
        self.state.to_vec()
    }

    fn set_state(&mut self, state: &[f64]) -> Result<(), String> {
        self.state = state
            .try_into()
            .map_err(|_| format!("a CartPole state has 4 numbers, not {}", state.len()))?;
        self.beyond_terminated = None;
        Ok(())
    }

    fn observation(&self) -> Vec<f64> {
        self.state.iter().map(|&x| f32r(x)).collect()
    }

    fn step(&mut self, action: &Action) -> (f64, bool) {
        let [x, x_dot, theta, theta_dot] = self.state;
        let force = if *action == Action::Discrete(1) {
            FORCE_MAG
        } else {
            -FORCE_MAG
        };
        let (sintheta, costheta) = theta.sin_cos();
        let temp = (force + POLEMASS_LENGTH * theta_dot * theta_dot * sintheta) / TOTAL_MASS;
        let thetaacc = (GRAVITY * sintheta - costheta * temp)
            / (LENGTH * (4.0 / 3.0 - MASS_POLE * costheta * costheta / TOTAL_MASS));
        let xacc = temp - POLEMASS_LENGTH * thetaacc * costheta / TOTAL_MASS;
        // gymnasium's default integrator, "euler".
        self.state = [
            x + TAU * x_dot,
            x_dot + TAU * xacc,
            theta + TAU * theta_dot,
            theta_dot + TAU * thetaacc,
        ];
        let [x, _, theta, _] = self.state;
        let terminated = !(-X_THRESHOLD..=X_THRESHOLD).contains(&x)
            || !(-THETA_THRESHOLD..=THETA_THRESHOLD).contains(&theta);
        let reward = if !terminated {
            1.0
        } else if let Some(n) = &mut self.beyond_terminated {
            *n += 1;
            0.0
        } else {
            self.beyond_terminated = Some(0);
            1.0
        };
        (reward, terminated)
    }
}
