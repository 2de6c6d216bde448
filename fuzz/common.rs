// Shared by the fuzz targets (fuzz/fuzz_targets/*.rs) and the randomized smoke test
// (crates/cube-lua/tests/fuzz_smoke.rs), through `include!`.
//
// Every program that compiles runs under a reduction limit
// (`State::reduction_limit_enabled`): loops, recursion and tail calls all end with
// "reduction limit exceeded", so a hang is a bug. Natives that allocate in one call
// (string.rep) are disarmed to keep memory bounded.

/// Largest program the runner executes.
pub const MAX_RUN_INPUT: usize = 2048;

/// The standard library with `string.rep` disarmed (it allocates arbitrary amounts in
/// one call), built once and shared by the runs (see `cube_lua::image`).
fn image() -> &'static std::sync::Arc<cube_lua::image::Image> {
    static IMAGE: std::sync::OnceLock<std::sync::Arc<cube_lua::image::Image>> =
        std::sync::OnceLock::new();
    IMAGE.get_or_init(|| {
        cube_lua::image::Image::new(|st| {
            cube_lua::stdlib::open_libs(st);
            disarm(st);
        })
    })
}

fn disarm(st: &mut cube_lua::State) {
    let string = st.get_global("string");
    if let cube_lua::Value::Table(t) = string {
        let len = st.get_field(t, "len");
        st.set_field(t, "rep", len);
    }
}

/// Compiles `src` and, if it compiles and has at most `MAX_RUN_INPUT` bytes, runs it in a
/// fresh state with the standard library under a reduction limit: every other input in
/// a state of its own, the others in a state started from the shared image, so that
/// the copy-on-write paths see arbitrary writes too.
/// Returns whether it ran. Lua errors are fine; only a panic (or a hang) is a bug.
pub fn compile_and_maybe_run(src: &[u8]) -> bool {
    let Ok(proto) = cube_lua::load::compile(src, "=fuzz") else {
        return false;
    };
    if src.len() > MAX_RUN_INPUT {
        return false;
    }
    let mut st = if src.len().is_multiple_of(2) {
        cube_lua::State::from_image(image())
    } else {
        let mut st = cube_lua::State::new_bare();
        cube_lua::stdlib::open_libs(&mut st);
        disarm(&mut st);
        st
    };
    st.stdout = Box::new(std::io::sink());
    st.reduction_limit_enabled = true;
    st.budget = 200_000;
    let env = cube_lua::Value::Table(st.globals);
    let f = st.closure_of(proto, env);
    let _ = st.call_function(f, &[]);
    let _ = st.close();
    true
}
