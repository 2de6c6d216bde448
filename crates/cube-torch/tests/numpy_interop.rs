//! safetensors round trips with numpy: Python (`safetensors.numpy`) reads the files cube
//! writes, and cube reads the files Python writes. Skipped, loudly, only when python3
//! itself is missing; numpy and safetensors are installed by `scripts/test`.

mod common;

use std::process::Command;

/// Whether Python can run: false (with a loud message) without python3; a panic if
/// python3 exists but numpy or safetensors do not.
fn python() -> bool {
    match Command::new("python3")
        .args(["-c", "import numpy, safetensors.numpy"])
        .output()
    {
        Err(_) => {
            eprintln!("\n*** SKIPPED: python3 is not available; the numpy round trips did not run ***\n");
            false
        }
        Ok(o) if o.status.success() => true,
        Ok(o) => panic!(
            "numpy or safetensors is not importable (scripts/test installs them: python3 -m pip install numpy safetensors): {}",
            String::from_utf8_lossy(&o.stderr)
        ),
    }
}

fn python_run(script: &str, args: &[&str]) -> String {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "python failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn numpy_reads_what_cube_writes() {
    if !python() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("torch-numpy-w-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (table, single) = (
        dir.join("table.safetensors"),
        dir.join("single.safetensors"),
    );
    let src = format!(
        "local a = torch.range(1, 6):view(2, 3):t()   -- a transposed view: saved row-major
         torch.save('{}', {{a = a, b = torch.linspace(0, 1, 5):float(), n = torch.Tensor{{0/0, math.huge}}}})
         torch.save('{}', torch.range(1, 24):view(2, 3, 4))
         return 'ok'",
        table.display(),
        single.display()
    );
    assert_eq!(common::eval(&src).unwrap(), "ok");
    let check = r#"
import sys, numpy as np
from safetensors.numpy import load_file
t = load_file(sys.argv[1])
assert t["a"].dtype == np.float64 and t["a"].shape == (3, 2), t["a"]
assert np.array_equal(t["a"], np.arange(1, 7, dtype=np.float64).reshape(2, 3).T), t["a"]
assert t["b"].dtype == np.float32 and np.allclose(t["b"], np.linspace(0, 1, 5)), t["b"]
assert np.isnan(t["n"][0]) and np.isinf(t["n"][1]), t["n"]
s = load_file(sys.argv[2])
assert list(s) == ["tensor"], list(s)
assert np.array_equal(s["tensor"], np.arange(1, 25, dtype=np.float64).reshape(2, 3, 4))
print("ok")
"#;
    let out = python_run(check, &[table.to_str().unwrap(), single.to_str().unwrap()]);
    assert_eq!(out.trim(), "ok");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn cube_reads_what_numpy_writes() {
    if !python() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("torch-numpy-r-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("from_numpy.safetensors");
    // Python writes seeded arrays and prints numpy's sums and one element of each.
    let write = r#"
import sys, numpy as np
from safetensors.numpy import save_file
rng = np.random.default_rng(7)
x = rng.standard_normal((3, 4, 5))
y = rng.standard_normal((6,)).astype(np.float32)
save_file({"x": x, "y": y}, sys.argv[1])
print(repr(float(x.sum())), repr(float(x[2, 1, 3])), repr(float(y.astype(np.float64).sum())))
"#;
    let out = python_run(write, &[path.to_str().unwrap()]);
    let want: Vec<f64> = out.split_whitespace().map(|s| s.parse().unwrap()).collect();
    let src = format!(
        "local t = torch.load('{}')
         assert(torch.type(t.x) == 'torch.DoubleTensor' and torch.type(t.y) == 'torch.FloatTensor')
         assert(t.x:dim() == 3 and t.x:size(3) == 5)
         return string.format('%.17g %.17g %.17g', t.x:sum(), t.x[3][2][4], t.y:double():sum())",
        path.display()
    );
    let got: Vec<f64> = common::eval(&src)
        .unwrap()
        .split_whitespace()
        .map(|s| s.parse().unwrap())
        .collect();
    assert_eq!(got.len(), 3);
    // The element is bit-exact; sums may be added in another order (1e-9, relative).
    assert_eq!(got[1], want[1]);
    for (g, w) in [(got[0], want[0]), (got[2], want[2])] {
        assert!((g - w).abs() <= 1e-9 * w.abs().max(1.0), "{g} vs {w}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
