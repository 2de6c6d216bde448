//! `nn` and `optim` against numpy (scripts/regen-torch-nn-goldens writes
//! goldens/nn.golden): forward outputs of the modules, the criteria's losses and
//! gradients, softmax's and tanh's gradients in closed form, and optimiser
//! trajectories (25 steps of numpy transcriptions of Torch7's update rules on a
//! quadratic).
//!
//! Tolerance: |cube - numpy| <= 1e-9 * max(1, |numpy|), all in f64. Sizes must match
//! exactly.

mod common;

const NN: &str = include_str!("goldens/nn.golden");

#[test]
fn modules_criteria_and_optimisers_match_numpy() {
    common::golden::check_cases(NN, 35, |_| 1e-9);
}
