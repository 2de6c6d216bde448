//! cube's environments against gymnasium's own: every episode of
//! `tests/goldens/envs.jsonl` (recorded from gymnasium by
//! `scripts/regen-tsunami-goldens`) is replayed from the same initial state with the
//! same actions, and every observation and reward must agree within 1e-6 and every
//! terminated/truncated flag exactly.

use cube_tsunami::env::{make, Action, Episode, ResetOptions};
use serde_json::Value;

const TOLERANCE: f64 = 1e-6;

fn numbers(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("a list")
        .iter()
        .map(|x| x.as_f64().expect("a number"))
        .collect()
}

fn close(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() <= TOLERANCE)
}

#[test]
fn episodes_replay_as_in_gymnasium() {
    let text = include_str!("goldens/envs.jsonl");
    let mut episodes = 0;
    let mut steps = 0;
    let mut ids = std::collections::BTreeSet::new();
    for (line_no, line) in text.lines().enumerate() {
        let rec: Value = serde_json::from_str(line).expect("a JSON line");
        let id = rec["id"].as_str().unwrap();
        ids.insert(id.to_string());
        let what = format!(
            "line {} ({id}, {}, seed {})",
            line_no + 1,
            rec["mode"],
            rec["seed"]
        );
        let mut ep = Episode::new(make(id).unwrap());
        let obs = ep
            .reset(&ResetOptions {
                state: Some(numbers(&rec["state"])),
                ..Default::default()
            })
            .unwrap();
        assert!(close(&obs, &numbers(&rec["obs"])), "{what}: reset {obs:?}");
        for (i, s) in rec["steps"].as_array().unwrap().iter().enumerate() {
            let action = match &s["a"] {
                Value::Number(n) if n.is_i64() => Action::Discrete(n.as_i64().unwrap()),
                n => Action::Continuous(vec![n.as_f64().unwrap()]),
            };
            let got = ep.step(&action).unwrap();
            let want_obs = numbers(&s["obs"]);
            assert!(
                close(&got.observation, &want_obs),
                "{what}: step {}: observation {:?}, gymnasium {want_obs:?}",
                i + 1,
                got.observation
            );
            let want_r = s["r"].as_f64().unwrap();
            assert!(
                (got.reward - want_r).abs() <= TOLERANCE,
                "{what}: step {}: reward {}, gymnasium {want_r}",
                i + 1,
                got.reward
            );
            assert_eq!(
                got.terminated,
                s["term"].as_bool().unwrap(),
                "{what}: step {}",
                i + 1
            );
            assert_eq!(
                got.truncated,
                s["trunc"].as_bool().unwrap(),
                "{what}: step {}",
                i + 1
            );
            steps += 1;
        }
        episodes += 1;
    }
    assert_eq!(ids.len(), 4, "every built-in environment is covered");
    assert!(
        episodes >= 15 && steps > 2000,
        "{episodes} episodes, {steps} steps"
    );
}
