//! A randomized smoke test that runs without cargo-fuzz or nightly: thousands of
//! generated programs (token soup, small random statement lists, and mutations of the
//! compiler's Lua test files) go through the compiler, and the loop-free ones that
//! compile run in a fresh state (see `fuzz/common.rs`). No input may panic or hang.
//!
//! The generator is a fixed-seed xorshift, so a failure reproduces exactly; set
//! `CUBE_FUZZ_SEED` / `CUBE_FUZZ_CASES` to explore further.

mod common {
    include!("../../../fuzz/common.rs");
}

use std::sync::mpsc;
use std::time::Duration;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
}

const TOKENS: &[&str] = &[
    "and",
    "break",
    "do",
    "else",
    "elseif",
    "end",
    "false",
    "for",
    "function",
    "goto",
    "if",
    "in",
    "local",
    "nil",
    "not",
    "or",
    "repeat",
    "return",
    "then",
    "true",
    "until",
    "while",
    "+",
    "-",
    "*",
    "/",
    "%",
    "^",
    "#",
    "==",
    "~=",
    "<=",
    ">=",
    "<",
    ">",
    "=",
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    "::",
    ";",
    ":",
    ",",
    ".",
    "..",
    "...",
    "x",
    "y",
    "t",
    "f",
    "print",
    "string",
    "pcall",
    "error",
    "0",
    "1",
    "2.5",
    "0x10",
    "1e308",
    "'s'",
    "\"q\\n\"",
    "[[long]]",
    "[==[x]==]",
    "--c\n",
    "--[[c]]",
    "\n",
    "self",
    "_ENV",
    "setmetatable",
    "coroutine",
];

const EXPRS: &[&str] = &[
    "1",
    "-0.5",
    "2^53",
    "1/0",
    "0/0",
    "'abc'",
    "\"%d\"",
    "nil",
    "true",
    "{}",
    "{1, 2, x = 3}",
    "x",
    "t",
    "f",
    "...",
    "#t",
    "t.x",
    "t[1]",
    "#'abc'",
    "string.format('%5.2f', 1)",
    "('x'):upper()",
    "tostring(x)",
    "select('#', ...)",
    "pcall(error)",
    "setmetatable({}, mt)",
    "coroutine.wrap(function(...) return coroutine.yield(...) end)",
    "function(a, ...) return a, ... end",
    "string.gsub('hello', 'l+', f)",
    "string.find('abc', '(b)(c)')",
];
const BINOPS: &[&str] = &[
    "+", "-", "*", "/", "%", "^", "..", "==", "~=", "<", "<=", "and", "or",
];
const STATS: &[&str] = &[
    "local x = E",
    "x = E",
    "t = E",
    "t[E] = E",
    "f = function(a, ...) return E end",
    "print(E)",
    "f(E)(E)",
    "local ok, e = pcall(f, E)",
    "mt = {__index = function(t, ...) return E end, __add = f, __call = f}",
    "if E then S else S end",
    "do local t = E S end",
    "x = f(E, E)",
    "do return E end",
    "x = select(2, E, E)",
    "error(E)",
    "x = coroutine.resume(coroutine.create(f), E)",
    "t = {E, E, [E] = E}",
];

fn gen_expr(r: &mut Rng, depth: usize) -> String {
    if depth > 3 || r.below(3) == 0 {
        return r.pick(EXPRS).to_string();
    }
    match r.below(4) {
        0 => format!(
            "({} {} {})",
            gen_expr(r, depth + 1),
            r.pick(BINOPS),
            gen_expr(r, depth + 1)
        ),
        1 => format!("not {}", gen_expr(r, depth + 1)),
        2 => format!("- {}", gen_expr(r, depth + 1)),
        _ => format!("f({})", gen_expr(r, depth + 1)),
    }
}

fn gen_stat(r: &mut Rng, depth: usize) -> String {
    let mut s = r.pick(STATS).to_string();
    while let Some(i) = s.find('E') {
        s.replace_range(i..i + 1, &gen_expr(r, depth));
    }
    while let Some(i) = s.find(" S ") {
        let inner = if depth < 3 {
            gen_stat(r, depth + 1)
        } else {
            ";".into()
        };
        s.replace_range(i + 1..i + 2, &inner);
    }
    s
}

fn token_soup(r: &mut Rng) -> Vec<u8> {
    let n = 1 + r.below(40);
    let mut out = String::new();
    for _ in 0..n {
        out.push_str(r.pick(TOKENS));
        out.push(if r.below(4) == 0 { '\n' } else { ' ' });
    }
    out.into_bytes()
}

fn statements(r: &mut Rng) -> Vec<u8> {
    let n = 1 + r.below(12);
    let mut out = String::from("local t, x, f, mt = {}, 1, function(...) return ... end, {}\n");
    for _ in 0..n {
        out.push_str(&gen_stat(r, 0));
        out.push('\n');
    }
    out.into_bytes()
}

fn mutate(r: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..1 + r.below(4) {
        if v.is_empty() {
            v.extend_from_slice(r.pick(TOKENS).as_bytes());
            continue;
        }
        let i = r.below(v.len());
        let j = (i + r.below(16)).min(v.len());
        match r.below(5) {
            0 => {
                v.drain(i..j);
            }
            1 => {
                let chunk = v[i..j].to_vec();
                v.splice(i..i, chunk);
            }
            2 => {
                let tok = format!(" {} ", r.pick(TOKENS));
                v.splice(i..i, tok.into_bytes());
            }
            3 => v[i] = (r.next() & 0xff) as u8,
            _ => {
                let tok = format!(" {} ", gen_expr(r, 2));
                v.splice(i..j, tok.into_bytes());
            }
        }
    }
    v
}

fn seeds() -> Vec<Vec<u8>> {
    lua_files(&["src/compiler/luac"])
}

/// The seeds of chunk mutation: the luac snippets and the golden programs.
fn chunk_seeds() -> Vec<Vec<u8>> {
    lua_files(&["src/compiler/luac", "../../tests/golden"])
}

/// The `.lua` files under `dirs` (relative to this crate), recursively, sorted.
fn lua_files(dirs: &[&str]) -> Vec<Vec<u8>> {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut dirs: Vec<_> = dirs.iter().map(|d| root.join(d)).collect();
    let mut out = Vec::new();
    while let Some(dir) = dirs.pop() {
        let Ok(rd) = std::fs::read_dir(dir) else {
            continue;
        };
        for e in rd.flatten() {
            if e.path().is_dir() {
                dirs.push(e.path());
            } else if e.path().extension().is_some_and(|x| x == "lua") {
                if let Ok(b) = std::fs::read(e.path()) {
                    out.push(b);
                }
            }
        }
    }
    out.sort();
    out
}

fn describe(p: &[u8]) -> String {
    // a binary chunk is shown as the listing of what the verifier accepted
    if let Ok(proto) = cube_lua::dump::undump(p, "=chunk") {
        return cube_lua::compiler::disassemble_full(&proto);
    }
    String::from_utf8_lossy(p).into_owned()
}

#[test]
fn random_programs_never_panic_or_hang() {
    let seed: u64 = std::env::var("CUBE_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_cafe);
    let cases: usize = std::env::var("CUBE_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3000);
    let seeds = seeds();
    let mut r = Rng(seed | 1);
    let mut programs = Vec::with_capacity(cases);
    for i in 0..cases {
        programs.push(match i % 3 {
            0 => token_soup(&mut r),
            1 => statements(&mut r),
            _ if !seeds.is_empty() => {
                let s = &seeds[r.below(seeds.len())];
                mutate(&mut r, s)
            }
            _ => statements(&mut r),
        });
    }
    let (ran, failures) = run_all(programs, common::compile_and_maybe_run);
    eprintln!("fuzz_smoke: {cases} programs, {ran} ran");
    assert!(ran > cases / 10, "too few programs compiled and ran: {ran}");
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// Runs `f` on every input in a worker thread; returns how many ran and the failures
/// (panics, with their message, and a hang, which stops the run) with their input.
fn run_all(inputs: Vec<Vec<u8>>, f: fn(&[u8]) -> bool) -> (usize, Vec<String>) {
    let (to_worker, work) = mpsc::channel::<Vec<u8>>();
    let (report, results) = mpsc::channel::<Result<bool, String>>();
    // Quiet the default hook: panics are collected and reported with their input and
    // where they happened.
    static WHERE: std::sync::Mutex<String> = std::sync::Mutex::new(String::new());
    std::panic::set_hook(Box::new(|info| {
        if let (Some(l), Ok(mut w)) = (info.location(), WHERE.lock()) {
            *w = format!("{}:{}", l.file(), l.line());
            // a panic inside the standard library: name the cube-lua code that called it
            if l.file().starts_with("/rustc") {
                let bt = std::backtrace::Backtrace::force_capture().to_string();
                let here: Vec<&str> = bt
                    .lines()
                    .filter(|l| l.contains("/src/") && !l.contains("/rustc/"))
                    .map(str::trim)
                    .take(6)
                    .collect();
                w.push_str(&format!(" (from {})", here.join(" <- ")));
            }
        }
    }));
    std::thread::Builder::new()
        .stack_size(16 << 20)
        .spawn(move || {
            for p in work {
                let r = std::panic::catch_unwind(|| f(&p));
                let msg = r.map_err(|e| {
                    e.downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| e.downcast_ref::<String>().cloned())
                        .unwrap_or_default()
                        + " at "
                        + &WHERE.lock().map(|w| w.clone()).unwrap_or_default()
                });
                if report.send(msg).is_err() {
                    return;
                }
            }
        })
        .expect("worker thread");
    let mut failures = Vec::new();
    let mut ran = 0;
    for (case, p) in inputs.into_iter().enumerate() {
        to_worker.send(p.clone()).expect("worker alive");
        match results.recv_timeout(Duration::from_secs(10)) {
            Ok(Ok(true)) => ran += 1,
            Ok(Ok(false)) => {}
            Ok(Err(msg)) => failures.push(format!(
                "PANIC {msg}\n--- input {case} ---\n{}",
                describe(&p)
            )),
            Err(_) => {
                // The worker is stuck; it cannot be stopped, so stop here.
                failures.push(format!("HANG (>10s)\n--- input ---\n{}", describe(&p)));
                break;
            }
        }
    }
    let _ = std::panic::take_hook();
    (ran, failures)
}

/// Dumped chunks of the test programs, mutated (structured operand mutations and byte
/// flips), loaded and, when the verifier accepts them, run: the verifier must reject
/// whatever would break the interpreter, so no mutant may panic or hang.
#[test]
fn mutated_binary_chunks_never_panic_or_hang() {
    let seed: u64 = std::env::var("CUBE_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0xc4a2_11ed);
    let cases: usize = std::env::var("CUBE_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3000);
    let dumps = common::dump_programs(&chunk_seeds());
    assert!(dumps.len() > 20, "too few seed programs");
    let mut r = Rng(seed | 1);
    let mut chunks = Vec::with_capacity(cases);
    for _ in 0..cases {
        let base = &dumps[r.below(dumps.len())];
        let mut ops = vec![0u8; 5 * (1 + r.below(3))];
        for b in ops.iter_mut() {
            *b = r.next() as u8;
        }
        let mut chunk = common::mutate_chunk(base, &ops);
        if r.below(4) == 0 {
            let i = r.below(chunk.len());
            chunk[i] ^= (r.next() as u8) | 1;
        }
        chunks.push(chunk);
    }
    let (ran, failures) = run_all(chunks, common::load_and_maybe_run_chunk);
    eprintln!("fuzz_smoke: {cases} chunks, {ran} passed the verifier and ran");
    assert!(ran > cases / 20, "too few mutants ran: {ran}");
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
#[ignore]
fn show_statement_compile_errors() {
    let mut r = Rng(7);
    for _ in 0..20 {
        let p = statements(&mut r);
        if let Err(e) = cube_lua::load::compile(&p, "=g") {
            eprintln!("{e}\n{}\n", describe(&p));
        }
    }
}
