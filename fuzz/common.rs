// Shared by the fuzz targets (fuzz/fuzz_targets/*.rs) and the randomized smoke test
// (crates/cube-lua/tests/fuzz_smoke.rs), through `include!`.
//
// Why a filter: cube's VM cannot yet be stopped from outside. `State::budget` is
// charged at calls and backward jumps, but when it runs out the interpreter only
// returns to the driver (`run_until`), which resumes it at once: there is no
// "out of budget" outcome for `call_function`. So the runner executes only programs
// that have no loop at all (no backward jump, no `for`, no tail call); recursion then
// ends at the stack limit. Programs that still run long (exponential recursion,
// doubling strings) are legitimate Lua and show up as timeouts / OOM in libFuzzer.

/// Largest program the runner executes.
pub const MAX_RUN_INPUT: usize = 2048;

/// True if no function of the chunk contains a loop or a tail call.
pub fn is_loop_free(p: &cube_lua::proto::Proto) -> bool {
    use cube_lua::opcode::OpCode;
    p.code.iter().all(|i| match i.opcode() {
        OpCode::ForLoop | OpCode::TForLoop | OpCode::TailCall => false,
        OpCode::Jmp => i.sbx() >= 0,
        _ => true,
    }) && p.protos.iter().all(|c| is_loop_free(c))
}

/// Compiles `src` and, if it compiles to a loop-free program of at most
/// `MAX_RUN_INPUT` bytes, runs it in a fresh state with the standard library.
/// Returns whether it ran. Lua errors are fine; only a panic (or a hang) is a bug.
pub fn compile_and_maybe_run(src: &[u8]) -> bool {
    let Ok(proto) = cube_lua::load::compile(src, "=fuzz") else {
        return false;
    };
    if src.len() > MAX_RUN_INPUT || !is_loop_free(&proto) {
        return false;
    }
    let mut st = cube_lua::State::new_bare();
    cube_lua::stdlib::open_libs(&mut st);
    st.stdout = Box::new(std::io::sink());
    // Not a bound yet (see above), but the charge paths run with a small budget.
    st.budget = 10_000;
    // Disarm the one native that allocates arbitrary amounts in one call. (Replaced,
    // not removed: a removed key is a dead key, which the collector mishandles; see
    // fuzz/README.md.)
    let string = st.get_global("string");
    if let cube_lua::Value::Table(t) = string {
        let len = st.get_field(t, "len");
        st.set_field(t, "rep", len);
    }
    let env = cube_lua::Value::Table(st.globals);
    let f = st.closure_of(proto, env);
    let _ = st.call_function(f, &[]);
    let _ = st.close();
    true
}
