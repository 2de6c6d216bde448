//! Throughput of a 1024x1024 float32 matrix product through the Lua library (the
//! speed check of issue 13 compares it with numpy's `a @ b`):
//!
//! ```sh
//! cargo run --profile sanitize -p cube-torch --example matmul
//! python3 -c 'import numpy as np, time; a = np.ones((1024, 1024), np.float32); a @ a; t = time.perf_counter(); [a @ a for _ in range(10)]; print(2 * 1024**3 * 10 / (time.perf_counter() - t) / 1e9, "GFLOP/s")'
//! ```
//!
//! (`sanitize` is the workspace's optimised profile without fat LTO; `--release` works
//! too and takes longer to build.)

use cube_lua::State;

fn run(st: &mut State, src: &str) {
    st.push_chunk(src.as_bytes(), "=matmul").expect("compiles");
    if st.pcall(0, 0).is_err() {
        panic!("{:?}", st.pop_error_message());
    }
}

fn main() {
    let mut st = State::new_bare();
    cube_lua::stdlib::open_libs(&mut st);
    cube_torch::open(&mut st, cube_torch::Access::Full);
    run(
        &mut st,
        "torch.setdefaulttensortype('torch.FloatTensor')
         a, b = torch.rand(1024, 1024), torch.rand(1024, 1024)
         c = torch.mm(a, b) -- warm up",
    );
    let reps = 10;
    let t0 = std::time::Instant::now();
    run(
        &mut st,
        &format!("for _ = 1, {reps} do c = torch.mm(a, b) end"),
    );
    let wall = t0.elapsed().as_secs_f64();
    let flops = 2.0 * 1024f64.powi(3) * reps as f64;
    println!(
        "{reps} products of 1024x1024 float32: {:.1} ms each, {:.1} GFLOP/s",
        wall / reps as f64 * 1e3,
        flops / wall / 1e9
    );
}
