//! Numeric goldens against numpy (scripts/regen-torch-goldens writes goldens/*.golden):
//! every case runs through cube's `torch` and is compared with numpy's result.
//!
//! Tolerance: for doubles, |cube - numpy| <= 1e-9 * max(1, |numpy|) (absolute below 1,
//! relative above); the float32 cases (named `float_...`) are computed by numpy in
//! float32 and compared within 1e-5. NaN must match NaN, and infinities the same infinity. Sizes must match
//! exactly.
//!
//! print.golden holds tensors and the text Torch7's printing rules give for them
//! (a transcription of Tensor.lua formatting with C's printf); cube's `tostring` must
//! give exactly that text.

mod common;

use common::golden::{check_cases, lua_tensor, parse_tensor};

const OPS: &str = include_str!("goldens/ops.golden");
const PRINTS: &str = include_str!("goldens/print.golden");

#[test]
fn operations_match_numpy() {
    check_cases(OPS, 70, |name| {
        if name.starts_with("float_") {
            1e-5
        } else {
            1e-9
        }
    });
}

#[test]
fn printing_matches_torch7_rules() {
    let mut lines = PRINTS.lines().filter(|l| !l.starts_with('#'));
    let mut st = common::state();
    let mut n = 0;
    while let Some(line) = lines.next() {
        let (dims, values) = parse_tensor(line.strip_prefix("tensor ").expect("tensor line"));
        let count: usize = lines
            .next()
            .and_then(|l| l.strip_prefix("text "))
            .and_then(|c| c.parse().ok())
            .expect("text line");
        let want: String = (0..count)
            .map(|_| format!("{}\n", lines.next().expect("text")))
            .collect();
        let src = format!("return tostring({})", lua_tensor(&dims, &values));
        let got = common::eval_in(&mut st, &src).expect("tostring");
        assert_eq!(got, want, "printing a {dims:?} tensor");
        n += 1;
    }
    assert!(n >= 15);
}
