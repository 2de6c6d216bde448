//! # cube-tsunami: learning agents as processes (issue 14)
//!
//! Tsunami is cube's learning engine: processes that interact with an environment and
//! learn by trial and error. This first layer is the environments, in gymnasium's shape
//! (`reset`, `step` -> observation, reward, terminated, truncated, info; observation
//! and action spaces), built in Rust to gymnasium's own definitions, and the Lua
//! library that gives them to processes.
//!
//! - [`mod@env`]: the [`env::Env`] trait, spaces, and [`env::Episode`], which adds
//!   gymnasium's `TimeLimit` (truncation) and the reset-before-step order to an
//!   environment. One module per environment, each a transcription of gymnasium 1.x's
//!   classic-control source (dynamics, rewards, termination, initial-state ranges):
//!   `cartpole.rs` (CartPole-v1), `mountain_car.rs` (MountainCar-v0), `acrobot.rs`
//!   (Acrobot-v1, RK4 over one 0.2 s step, the "book" dynamics), `pendulum.rs`
//!   (Pendulum-v1). [`env::make`] builds one by its gymnasium id.
//! - [`rng`]: the seeded generator of initial states (splitmix64). A seed gives the
//!   same episode every time, but not the numbers numpy's PCG64 gives gymnasium for the
//!   same seed: comparisons with gymnasium start both from the same state
//!   (`reset{state=...}`).
//! - [`lua`]: the `tsunami` Lua library (`tsunami.make(id)`, `env:reset`, `env:step`,
//!   the spaces as tables).
//!
//! Observations are what gymnasium returns, float32 values (given to Lua as the
//! doubles those float32 values are); the state is kept in f64, as gymnasium keeps it.
//! Tests replay fixed action sequences against gymnasium's own outputs, recorded by
//! `scripts/regen-tsunami-goldens` (`tests/gymnasium.rs`, within 1e-6).
//!
//! Learners, in Lua on cube-torch's `nn`/`optim` (`agents/`, loaded per process on
//! first use by `agents.rs`): `tsunami.train{algo="ppo"|"dqn"|"a3c", ...}` (the
//! driver: learning curve, progress line, target, checkpoint), `tsunami.load`,
//! `tsunami.eval`; A3C's workers are processes under an OTP supervisor, with the calling
//! process as parameter server. `tsunami.remote` reaches any gymnasium environment
//! through the bridge ([`GYM_SERVER_PY`], run by `cube-cli tsunami gym-server`).
//! `tsunami.train{algo="mbrl"}` is model-based: an ensemble of dynamics networks
//! trained in Lua and [`planner`], model-predictive control by the cross-entropy
//! method in Rust over their copied weights (with an optional Lua physics prior that
//! the networks correct). [`plot`] draws the learning curve. `cube-cli tsunami train/eval/gym-server` is the
//! command line over all this.

mod agents;
pub mod env;
pub mod lua;
pub mod planner;
mod planner_lua;
pub mod plot;
pub mod rng;

/// The gymnasium bridge's server (`cube-cli tsunami gym-server` runs it with
/// `python3 -c`): pyzmq and gymnasium behind one REP socket, JSON requests
/// `make`/`reset`/`step`/`close`; `tsunami.remote` is its client.
pub const GYM_SERVER_PY: &str = include_str!("../python/gym_server.py");
