//! MountainCar-v0 (gymnasium `classic_control/mountain_car.py`): an underpowered car in
//! a valley, three actions (push left, none, right), reward -1 per step, terminated at
//! position >= 0.5 with velocity >= 0; initial position uniform in (-0.6, -0.4) at rest;
//! TimeLimit 200.

use super::{f32r, Action, Env, Space};
use crate::rng::Rng;

const MIN_POSITION: f64 = -1.2;
const MAX_POSITION: f64 = 0.6;
const MAX_SPEED: f64 = 0.07;
const GOAL_POSITION: f64 = 0.5;
const GOAL_VELOCITY: f64 = 0.0;
const FORCE: f64 = 0.001;
const GRAVITY: f64 = 0.0025;

pub struct MountainCar {
    /// position, velocity.
    state: [f64; 2],
}

impl MountainCar {
    pub fn new() -> MountainCar {
        MountainCar { state: [0.0; 2] }
    }
}

impl Env for MountainCar {
    fn id(&self) -> &'static str {
        "MountainCar-v0"
    }

    fn observation_space(&self) -> Space {
        Space::Box {
            low: vec![f32r(MIN_POSITION), f32r(-MAX_SPEED)],
            high: vec![f32r(MAX_POSITION), f32r(MAX_SPEED)],
        }
    }

    fn action_space(&self) -> Space {
        Space::Discrete(3)
    }

    fn max_episode_steps(&self) -> u32 {
        200
    }

    fn reset_bounds(&self) -> Option<(f64, f64)> {
        Some((-0.6, -0.4))
    }

    fn reset(&mut self, rng: &mut Rng, bounds: Option<(f64, f64)>) {
        let (low, high) = bounds.or(self.reset_bounds()).unwrap_or((-0.6, -0.4));
        self.state = [rng.uniform(low, high), 0.0];
    }

    fn state(&self) -> Vec<f64> {
        self.state.to_vec()
    }

    fn set_state(&mut self, state: &[f64]) -> Result<(), String> {
        self.state = state
            .try_into()
            .map_err(|_| format!("a MountainCar state has 2 numbers, not {}", state.len()))?;
        Ok(())
    }

    fn observation(&self) -> Vec<f64> {
        self.state.iter().map(|&x| f32r(x)).collect()
    }

    fn step(&mut self, action: &Action) -> (f64, bool) {
        let a = match action {
            Action::Discrete(a) => *a as f64,
            Action::Continuous(_) => 1.0,
        };
        let [mut position, mut velocity] = self.state;
        velocity += (a - 1.0) * FORCE + (3.0 * position).cos() * (-GRAVITY);
        velocity = velocity.clamp(-MAX_SPEED, MAX_SPEED);
        position += velocity;
        position = position.clamp(MIN_POSITION, MAX_POSITION);
        if position == MIN_POSITION && velocity < 0.0 {
            velocity = 0.0;
        }
        let terminated = position >= GOAL_POSITION && velocity >= GOAL_VELOCITY;
        self.state = [position, velocity];
        (-1.0, terminated)
    }
}
