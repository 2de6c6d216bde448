//! Mutated binary chunks of real programs: the golden programs and the luac snippets are
//! compiled and dumped once (the seeds); each input picks a seed and is either a list of
//! structured mutations of its prototypes (instruction operands, opcodes, header fields,
//! upvalue descriptors; see `common::mutate_chunk`) or byte patches of the dump. The
//! result is loaded and, when the verifier accepts it, run under a reduction limit. Must
//! never panic, crash or hang: the verifier must reject whatever would break the
//! interpreter.
#![no_main]

use libfuzzer_sys::fuzz_target;

mod common {
    include!("../common.rs");
}

fn seeds() -> &'static [Vec<u8>] {
    static SEEDS: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
    SEEDS.get_or_init(|| {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut dirs = vec![
            root.join("../crates/cube-lua/src/compiler/luac"),
            root.join("../tests/golden"),
        ];
        let mut srcs = Vec::new();
        while let Some(d) = dirs.pop() {
            let Ok(rd) = std::fs::read_dir(&d) else {
                continue;
            };
            for e in rd.flatten() {
                let p = e.path();
                if p.is_dir() {
                    dirs.push(p);
                } else if p.extension().is_some_and(|x| x == "lua") {
                    if let Ok(b) = std::fs::read(&p) {
                        srcs.push(b);
                    }
                }
            }
        }
        srcs.sort();
        let dumps = common::dump_programs(&srcs);
        assert!(!dumps.is_empty(), "no seed programs found");
        dumps
    })
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let seeds = seeds();
    let seed = &seeds[u16::from_le_bytes([data[1], data[2]]) as usize % seeds.len()];
    let rest = &data[3..];
    let chunk = match data[0] % 3 {
        // structured mutations (most inputs)
        0 | 1 => common::mutate_chunk(seed, rest),
        // byte patches: (offset, xor) pairs
        _ => {
            let mut c = seed.clone();
            for p in rest.chunks_exact(3) {
                let at = u16::from_le_bytes([p[0], p[1]]) as usize % c.len();
                c[at] ^= p[2];
            }
            c
        }
    };
    common::load_and_maybe_run_chunk(&chunk);
});
