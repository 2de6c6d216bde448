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
    st.cx(|cx| {
        if let cube_lua::host::Val::Table(t) = cx.get_global("string") {
            let len = cx.get_field(t, "len");
            cx.set_field(t, "rep", len);
        }
    });
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
    run_proto(&mut st, proto);
    true
}

fn run_proto(st: &mut cube_lua::State, proto: std::sync::Arc<cube_lua::proto::Proto>) {
    st.stdout = Box::new(std::io::sink());
    st.reduction_limit_enabled = true;
    st.budget = 200_000;
    st.cx(|cx| {
        let env = cube_lua::host::Val::Table(cx.globals());
        let f = cx.closure_of(proto, env);
        cx.push(f);
    });
    let _ = st.pcall(0, 0);
    let _ = st.close();
}

// ---------------------------------------------------------------------------------------
// Binary chunks
// ---------------------------------------------------------------------------------------

/// Loads a (possibly corrupt) binary chunk and, if the verifier accepts it, runs it in a
/// state with the standard library under the reduction limit. Returns whether it ran.
/// A rejected chunk and a Lua error are fine; a panic, a crash or a hang is a bug.
pub fn load_and_maybe_run_chunk(chunk: &[u8]) -> bool {
    let Ok(proto) = cube_lua::dump::undump(chunk, "=fuzz") else {
        return false;
    };
    let mut st = cube_lua::State::from_image(chunk_image());
    run_proto(&mut st, proto);
    true
}

/// The image chunk mutants run in: the seeds are real programs (the golden tests), so
/// the libraries that reach outside the process (files, `os.exit`, modules) are removed.
fn chunk_image() -> &'static std::sync::Arc<cube_lua::image::Image> {
    static IMAGE: std::sync::OnceLock<std::sync::Arc<cube_lua::image::Image>> =
        std::sync::OnceLock::new();
    IMAGE.get_or_init(|| {
        cube_lua::image::Image::new(|st| {
            cube_lua::stdlib::open_libs(st);
            disarm(st);
            st.cx(|cx| {
                for name in ["os", "io", "package", "require", "dofile", "loadfile", "print"] {
                    cx.set_global(name, cube_lua::host::Val::Nil);
                }
            });
        })
    })
}

/// Dumps of real programs (`srcs`), the starting points of chunk mutation.
pub fn dump_programs(srcs: &[Vec<u8>]) -> Vec<Vec<u8>> {
    srcs.iter()
        .filter_map(|s| cube_lua::load::compile(s, "=seed").ok())
        .map(|p| cube_lua::dump::dump(&p))
        .collect()
}

/// A structured mutation of a dumped chunk, driven by `ops` (arbitrary bytes, five per
/// mutation): each picks a prototype of the tree, an instruction or header field, and a
/// new value, so that most mutants still parse and many still pass the verifier, which
/// is where interpreter assumptions can be broken. Returns the mutated chunk.
pub fn mutate_chunk(chunk: &[u8], ops: &[u8]) -> Vec<u8> {
    use cube_lua::opcode::{Instruction, NUM_OPCODES};
    use cube_lua::proto::Proto;
    let Ok(mut root) = cube_lua::dump::undump(chunk, "=seed") else {
        return chunk.to_vec();
    };
    for op in ops.chunks_exact(5) {
        let [kind, which, at, v1, v2] = [op[0], op[1], op[2], op[3], op[4]];
        // pick a prototype: the root or one of its descendants, by a walk
        let mut p: &mut Proto = std::sync::Arc::make_mut(&mut root);
        let mut steps = which >> 4;
        while steps > 0 && !p.protos.is_empty() {
            let n = p.protos.len();
            p = std::sync::Arc::make_mut(&mut p.protos[(which as usize) % n]);
            steps -= 1;
        }
        let n = p.code.len();
        if n == 0 {
            continue;
        }
        let pc = (at as usize * 7 + v2 as usize) % n;
        let small = |x: u32| -> u32 {
            // mostly nearby values, sometimes anything
            match v2 % 4 {
                0 => x.wrapping_add(1 + (v1 % 4) as u32),
                1 => x.wrapping_sub(1 + (v1 % 4) as u32),
                2 => v1 as u32,
                _ => (v1 as u32) << (v2 % 16),
            }
        };
        let i = p.code[pc];
        let (o, a, b, c) = (i.0 & 0x3f, i.a(), i.b(), i.c());
        let abc = |o: u32, a: u32, b: u32, c: u32| {
            Instruction((o & 0x3f) | (a & 0xff) << 6 | (c & 0x1ff) << 14 | (b & 0x1ff) << 23)
        };
        match kind % 12 {
            0 => p.code[pc] = abc(o, small(a), b, c),
            1 => p.code[pc] = abc(o, a, small(b), c),
            2 => p.code[pc] = abc(o, a, b, small(c)),
            3 => p.code[pc] = abc(v1 as u32 % NUM_OPCODES as u32, a, b, c),
            4 => p.code[pc] = Instruction((i.0 & 0x3fff) | small(i.0 >> 14) << 14),
            5 => p.max_stack_size = small(p.max_stack_size as u32) as u8,
            6 => p.num_params = small(p.num_params as u32) as u8,
            7 => p.is_vararg = !p.is_vararg,
            8 => {
                let q = (v1 as usize) % n;
                p.code.swap(pc, q);
            }
            9 => {
                let q = (v1 as usize) % n;
                let ins = p.code[q];
                p.code.insert(pc, ins);
                if !p.line_info.is_empty() {
                    p.line_info.insert(pc, 0);
                }
            }
            10 => {
                if n > 1 {
                    p.code.remove(pc);
                    if !p.line_info.is_empty() {
                        p.line_info.remove(pc);
                    }
                }
            }
            _ => {
                let nu = p.upvalues.len().max(1);
                if let Some(u) = p.upvalues.get_mut(v1 as usize % nu) {
                    u.in_stack = !u.in_stack;
                    u.index = small(u.index as u32) as u8;
                }
            }
        }
    }
    cube_lua::dump::dump(&root)
}
