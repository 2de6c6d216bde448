//! Golden tests against the real LFE: each `tests/lfe/reader/X.lfe` is read with
//! cube-lfe and every form printed as `scripts/regen-lfe-goldens` made LFE print it
//! into `X.out` (plain, pretty, and as the shell prints it), or the read error.

use cube_lfe::{pretty, read_all, shell, write};
use std::path::{Path, PathBuf};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/lfe/reader")
}

/// What the regen script writes for `src`, without the closing `lfe: VERSION` line.
fn render(src: &str) -> String {
    match read_all(src) {
        Ok(forms) => forms
            .iter()
            .map(|f| {
                format!(
                    "write: {}\npretty: {}\nshell: {}\n",
                    write(f),
                    pretty(f),
                    shell(f)
                )
            })
            .collect(),
        Err(e) => format!("error: {}: {}\n", e.line, e.message),
    }
}

#[test]
fn reader_and_printers_match_lfe() {
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(corpus())
        .expect("tests/lfe/reader")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "lfe"))
        .collect();
    inputs.sort();
    assert!(inputs.len() >= 40, "corpus missing: {}", inputs.len());
    let mut failures = Vec::new();
    for input in &inputs {
        let src = std::fs::read_to_string(input).expect("input");
        let expected = std::fs::read_to_string(input.with_extension("out")).expect("golden");
        // Drop the "lfe: VERSION" line the generator appends.
        let expected = match expected.rfind("lfe: ") {
            Some(i) => &expected[..i],
            None => &expected[..],
        };
        let got = render(&src);
        if got != expected {
            let line = got
                .lines()
                .zip(expected.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(got.lines().count().min(expected.lines().count()));
            let show = |s: &str| s.lines().skip(line).take(3).collect::<Vec<_>>().join("\n");
            failures.push(format!(
                "{}: first difference at output line {}\n  got:      {}\n  expected: {}",
                input.display(),
                line + 1,
                show(&got),
                show(expected)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} goldens differ:\n{}",
        failures.len(),
        inputs.len(),
        failures.join("\n")
    );
}
