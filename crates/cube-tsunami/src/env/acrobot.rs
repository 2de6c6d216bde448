//! Acrobot-v1 (gymnasium `classic_control/acrobot.py`): two links, torque -1, 0 or +1 on
//! the joint between them, Sutton and Barto's ("book") dynamics integrated by one RK4
//! step of 0.2 s, angles wrapped to [-pi, pi], velocities bounded at 4pi and 9pi;
//! reward -1 per step (0 on the step that ends it), terminated when the tip rises above
//! the bar (`-cos(t1) - cos(t1 + t2) > 1`); initial state uniform in (-0.1, 0.1)^4,
//! rounded to float32 as gymnasium stores it; TimeLimit 500.

use super::{f32r, Action, Env, Space};
use crate::rng::Rng;
use std::f64::consts::PI;

const DT: f64 = 0.2;
const LINK_LENGTH_1: f64 = 1.0;
const LINK_MASS_1: f64 = 1.0;
const LINK_MASS_2: f64 = 1.0;
const LINK_COM_POS_1: f64 = 0.5;
const LINK_COM_POS_2: f64 = 0.5;
const LINK_MOI: f64 = 1.0;
const MAX_VEL_1: f64 = 4.0 * PI;
const MAX_VEL_2: f64 = 9.0 * PI;
const AVAIL_TORQUE: [f64; 3] = [-1.0, 0.0, 1.0];

pub struct Acrobot {
    /// theta1, theta2, dtheta1, dtheta2.
    state: [f64; 4],
}

impl Acrobot {
    pub fn new() -> Acrobot {
        Acrobot { state: [0.0; 4] }
    }
}

/// The derivative of (theta1, theta2, dtheta1, dtheta2) under torque `a`.
fn dsdt(s: [f64; 4], a: f64) -> [f64; 4] {
    let (m1, m2, l1) = (LINK_MASS_1, LINK_MASS_2, LINK_LENGTH_1);
    let (lc1, lc2) = (LINK_COM_POS_1, LINK_COM_POS_2);
    let (i1, i2) = (LINK_MOI, LINK_MOI);
    let g = 9.8;
    let [theta1, theta2, dtheta1, dtheta2] = s;
    let d1 = m1 * lc1 * lc1 + m2 * (l1 * l1 + lc2 * lc2 + 2.0 * l1 * lc2 * theta2.cos()) + i1 + i2;
    let d2 = m2 * (lc2 * lc2 + l1 * lc2 * theta2.cos()) + i2;
    let phi2 = m2 * lc2 * g * (theta1 + theta2 - PI / 2.0).cos();
    let phi1 = -m2 * l1 * lc2 * dtheta2 * dtheta2 * theta2.sin()
        - 2.0 * m2 * l1 * lc2 * dtheta2 * dtheta1 * theta2.sin()
        + (m1 * lc1 + m2 * l1) * g * (theta1 - PI / 2.0).cos()
        + phi2;
    // The "book" form (gymnasium's default), not the NIPS paper's.
    let ddtheta2 = (a + d2 / d1 * phi1 - m2 * l1 * lc2 * dtheta1 * dtheta1 * theta2.sin() - phi2)
        / (m2 * lc2 * lc2 + i2 - d2 * d2 / d1);
    let ddtheta1 = -(d2 * ddtheta2 + phi1) / d1;
    [dtheta1, dtheta2, ddtheta1, ddtheta2]
}

/// One fourth-order Runge-Kutta step of `dt` (gymnasium's `rk4` over `[0, dt]`).
fn rk4(y0: [f64; 4], a: f64, dt: f64) -> [f64; 4] {
    let add = |y: [f64; 4], k: [f64; 4], h: f64| std::array::from_fn(|i| y[i] + h * k[i]);
    let k1 = dsdt(y0, a);
    let k2 = dsdt(add(y0, k1, dt / 2.0), a);
    let k3 = dsdt(add(y0, k2, dt / 2.0), a);
    let k4 = dsdt(add(y0, k3, dt), a);
    std::array::from_fn(|i| y0[i] + dt / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]))
}

/// `x` wrapped into [m, M] by whole turns (gymnasium's `wrap`, one turn at a time as
/// it does, so results agree to the bit). A NaN or an infinity stays as it is and a
/// value many turns away is brought near first: gymnasium would loop for ever on
/// those, and a state can be set from Lua.
fn wrap(mut x: f64, m: f64, big_m: f64) -> f64 {
    let diff = big_m - m;
    if !x.is_finite() {
        return x;
    }
    if (x - m).abs() > 64.0 * diff {
        x -= diff * ((x - m) / diff).floor();
    }
    while x > big_m {
        x -= diff;
    }
    while x < m {
        x += diff;
    }
    x
}

impl Env for Acrobot {
    fn id(&self) -> &'static str {
        "Acrobot-v1"
    }

    fn observation_space(&self) -> Space {
        let high = [1.0, 1.0, 1.0, 1.0, MAX_VEL_1, MAX_VEL_2].map(f32r);
        Space::Box {
            low: high.iter().map(|h| -h).collect(),
            high: high.to_vec(),
        }
    }

    fn action_space(&self) -> Space {
        Space::Discrete(3)
    }

    fn max_episode_steps(&self) -> u32 {
        500
    }

    fn reset_bounds(&self) -> Option<(f64, f64)> {
        Some((-0.1, 0.1))
    }

    fn reset(&mut self, rng: &mut Rng, bounds: Option<(f64, f64)>) {
        let (low, high) = bounds.or(self.reset_bounds()).unwrap_or((-0.1, 0.1));
        for s in &mut self.state {
            *s = f32r(rng.uniform(low, high));
        }
    }

    fn state(&self) -> Vec<f64> {
        self.state.to_vec()
    }

    fn set_state(&mut self, state: &[f64]) -> Result<(), String> {
        self.state = state
            .try_into()
            .map_err(|_| format!("an Acrobot state has 4 numbers, not {}", state.len()))?;
        Ok(())
    }

    fn observation(&self) -> Vec<f64> {
        let [t1, t2, d1, d2] = self.state;
        [t1.cos(), t1.sin(), t2.cos(), t2.sin(), d1, d2]
            .map(f32r)
            .to_vec()
    }

    fn step(&mut self, action: &Action) -> (f64, bool) {
        let torque = match action {
            Action::Discrete(a) => AVAIL_TORQUE[(*a).clamp(0, 2) as usize],
            Action::Continuous(_) => 0.0,
        };
        let mut ns = rk4(self.state, torque, DT);
        ns[0] = wrap(ns[0], -PI, PI);
        ns[1] = wrap(ns[1], -PI, PI);
        ns[2] = ns[2].clamp(-MAX_VEL_1, MAX_VEL_1);
        ns[3] = ns[3].clamp(-MAX_VEL_2, MAX_VEL_2);
        self.state = ns;
        let terminated = -ns[0].cos() - (ns[1] + ns[0]).cos() > 1.0;
        (if terminated { 0.0 } else { -1.0 }, terminated)
    }
}
