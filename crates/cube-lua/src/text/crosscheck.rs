//! Randomised cross-check against outputs recorded from PUC-Rio Lua 5.2.4.
//!
//! `testdata/lua52_cases.txt` was produced once by `testdata/gen_lua52_cases.lua` (see its
//! header for the line format); these tests replay every case through the engines, so they
//! run without `lua5.2` installed.

use super::format::format;
use super::format::tests::{Arg, Args};
use super::number::{fmt_number, str_to_number, str_to_number_base};
use super::pattern::tests::{lua_find_with, lua_gsub_with, lua_match_with, Pauser};
use super::pattern::{Capture, Gmatch};

const CASES: &str = include_str!("testdata/lua52_cases.txt");

/// Undoes the generator's escaping (`\xHH` for bytes outside 0x20..0x7e and `\`).
fn unescape(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && b.get(i + 1) == Some(&b'x') && i + 4 <= b.len() {
            let hex = std::str::from_utf8(&b[i + 2..i + 4]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

/// A number written by the generator (`%a`, or inf/-inf/nan/-nan).
fn number(s: &[u8]) -> f64 {
    match s {
        b"inf" => f64::INFINITY,
        b"-inf" => f64::NEG_INFINITY,
        b"nan" => f64::NAN.copysign(1.0),
        b"-nan" => f64::NAN.copysign(-1.0),
        _ => str_to_number(s).unwrap_or_else(|| panic!("bad number {:?}", s)),
    }
}

/// Same value, same sign of zero.
fn same(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// The cases of one kind, as unescaped fields (the kind itself dropped).
fn cases(kind: &str) -> impl Iterator<Item = Vec<Vec<u8>>> + '_ {
    CASES.lines().filter_map(move |line| {
        let mut fields = line.split('\t');
        (fields.next() == Some(kind)).then(|| fields.map(unescape).collect())
    })
}

/// Fails with the first mismatches, if any.
fn report(kind: &str, total: usize, failures: Vec<String>) {
    assert!(total > 100, "too few {kind} cases");
    assert!(
        failures.is_empty(),
        "{} of {total} {kind} cases differ from lua5.2:\n{}",
        failures.len(),
        failures[..failures.len().min(25)].join("\n")
    );
}

fn lossy(b: &[u8]) -> String {
    format!("{:?}", String::from_utf8_lossy(b))
}

#[test]
fn tostring_matches_lua52() {
    let mut failures = Vec::new();
    let mut total = 0;
    for f in cases("T") {
        total += 1;
        let got = fmt_number(number(&f[0]));
        if got.as_bytes() != f[1].as_slice() {
            failures.push(format!(
                "{}: got {got}, want {}",
                lossy(&f[0]),
                lossy(&f[1])
            ));
        }
    }
    report("tostring", total, failures);
}

#[test]
fn tonumber_matches_lua52() {
    let mut failures = Vec::new();
    let mut total = 0;
    for f in cases("N") {
        total += 1;
        let want = (f[1] != b"nil").then(|| number(&f[1]));
        let got = str_to_number(&f[0]);
        let ok = match (got, want) {
            (Some(a), Some(b)) => same(a, b),
            (None, None) => true,
            _ => false,
        };
        if !ok {
            failures.push(format!("{}: got {got:?}, want {want:?}", lossy(&f[0])));
        }
    }
    for f in cases("B") {
        total += 1;
        let base: u32 = std::str::from_utf8(&f[1]).unwrap().parse().unwrap();
        let want = (f[2] != b"nil").then(|| number(&f[2]));
        let got = str_to_number_base(&f[0], base);
        let ok = match (got, want) {
            (Some(a), Some(b)) => same(a, b),
            (None, None) => true,
            _ => false,
        };
        if !ok {
            failures.push(format!(
                "{} base {base}: got {got:?}, want {want:?}",
                lossy(&f[0])
            ));
        }
    }
    report("tonumber", total, failures);
}

#[test]
fn format_matches_lua52() {
    let mut failures = Vec::new();
    let mut total = 0;
    for f in cases("F") {
        total += 1;
        let nargs: usize = std::str::from_utf8(&f[1]).unwrap().parse().unwrap();
        let args = f[2..2 + nargs]
            .iter()
            .map(|a| match a.split_at(2) {
                (b"n:", x) => Arg::Num(number(x)),
                (_, s) => Arg::Str(s.to_vec()),
            })
            .collect();
        let got = match format(&f[0], &mut Args(args)) {
            Ok(v) => [b"ok:".as_slice(), &v].concat(),
            Err(e) => [b"err:".as_slice(), &e.message()].concat(),
        };
        let want = &f[2 + nargs];
        if &got != want {
            failures.push(format!(
                "format({}, {:?}): got {}, want {}",
                lossy(&f[0]),
                &f[2..2 + nargs].iter().map(|a| lossy(a)).collect::<Vec<_>>(),
                lossy(&got),
                lossy(want)
            ));
        }
    }
    report("format", total, failures);
}

/// `gmatch` rendered as the generator does: up to 100 matches, up to 3 values each.
fn gmatch_rendered(src: &[u8], pat: &[u8], pauser: &mut Pauser) -> String {
    let mut g = Gmatch::new();
    let mut out = String::new();
    for _ in 0..100 {
        let m = match pauser.run(|m| g.next_match(src, pat, m)) {
            Ok(Some(m)) => m,
            Ok(None) => break,
            Err(e) => return format!("ERR {e}"),
        };
        let mut vals = Vec::new();
        for c in m.values().take(3) {
            match c {
                Ok(Capture::Span(a, b)) => {
                    vals.push(String::from_utf8_lossy(&src[a..b]).into_owned())
                }
                Ok(Capture::Position(p)) => vals.push((p + 1).to_string()),
                Err(e) => return format!("ERR {e}"),
            }
        }
        out.push_str(&format!("[{}]", vals.join(",")));
    }
    out
}

/// Replays the pattern cases, each search run by `pauser` (see `pattern::tests`).
fn replay_patterns(pauser: &mut Pauser) {
    let mut failures = Vec::new();
    let mut total = 0;
    for f in cases("P") {
        total += 1;
        let (func, src, pat, extra) = (&f[0][..], &f[1], &f[2], &f[3]);
        let extra = String::from_utf8_lossy(extra).into_owned();
        let got = match func {
            b"find" => {
                let mut parts = extra.split(' ');
                let init: i64 = parts.next().unwrap().parse().unwrap();
                lua_find_with(src, pat, init, parts.next() == Some("plain"), pauser)
            }
            b"match" => lua_match_with(src, pat, extra.parse().unwrap(), pauser),
            b"gmatch" => gmatch_rendered(src, pat, pauser),
            _ => {
                let (repl, lim) = extra.split_once('\t').unwrap();
                let lim = (lim != "nil").then(|| lim.parse().unwrap());
                lua_gsub_with(src, pat, repl.as_bytes(), lim, pauser)
            }
        };
        let want = String::from_utf8_lossy(&f[4]);
        if got != want {
            failures.push(format!(
                "{}({}, {}, {extra:?}) paused every {} steps: got {got:?}, want {want:?}",
                String::from_utf8_lossy(func),
                lossy(src),
                lossy(pat),
                pauser.every,
            ));
        }
    }
    report("pattern", total, failures);
}

#[test]
fn patterns_match_lua52() {
    replay_patterns(&mut Pauser::never());
}

/// A search paused every few steps and resumed gives what lua5.2 gives.
#[test]
fn paused_patterns_match_lua52() {
    for every in [0, 1, 2, 3, 7, 100] {
        let mut p = Pauser::every(every);
        replay_patterns(&mut p);
        assert!(
            p.pauses > 100,
            "only {} pauses every {every} steps",
            p.pauses
        );
    }
}

/// A small deterministic generator for the robustness tests (no external crates).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn bytes(&mut self, alphabet: &[u8], max_len: u64) -> Vec<u8> {
        let n = self.next() % (max_len + 1);
        (0..n)
            .map(|_| alphabet[(self.next() % alphabet.len() as u64) as usize])
            .collect()
    }
}

/// Arbitrary patterns, subjects, format strings and numerals never panic.
#[test]
fn engines_never_panic_on_random_input() {
    use super::pattern::{expand_replacement, find, find_at, Gsub, Meter};
    let mut rng = Lcg(0x5eed);
    let pat_alpha = b"ab()[]^$%*+-?.bfd1290\0\xff";
    let src_alpha = b"ab()[] \0\xff1";
    for _ in 0..20_000 {
        let pat = rng.bytes(pat_alpha, 12);
        let src = rng.bytes(src_alpha, 12);
        let init = (rng.next() % 16) as usize;
        let _ = find(
            &src,
            &pat,
            init.min(src.len()),
            rng.next() & 1 == 0,
            &mut Meter::default(),
        );
        if let Ok(Some(m)) = find_at(&src, &pat, init.min(src.len()), &mut Meter::default()) {
            let repl = rng.bytes(b"%01239ax", 6);
            let _ = expand_replacement(&mut Vec::new(), &repl, &src, &m);
            let _ = expand_replacement(&mut Vec::new(), &repl, b"", &m);
        }
        let mut g = Gmatch::new();
        while let Ok(Some(_)) = g.next_match(&src, &pat, &mut Meter::default()) {}
        let mut g = Gsub::new();
        while let Ok(Some(_)) = g.next_match(&src, &pat, &mut Meter::default()) {}
        let _ = g.next_match(b"", &pat, &mut Meter::default());
    }
    let fmt_alpha = b"%-+ #0123456789.diouxXcseEfgGaAq%z\0";
    for _ in 0..20_000 {
        let f = rng.bytes(fmt_alpha, 10);
        let x = f64::from_bits(rng.next() << 31 ^ rng.next());
        let args = vec![Arg::Num(x), Arg::Str(rng.bytes(src_alpha, 5)), Arg::Num(-x)];
        let _ = format(&f, &mut Args(args));
    }
    for _ in 0..20_000 {
        let s = rng.bytes(b"0123456789abcdefxXpPeE.+- \t\0", 12);
        let _ = str_to_number(&s);
        let _ = str_to_number_base(&s, (rng.next() % 40) as u32);
        let x = f64::from_bits(rng.next() << 31 ^ rng.next());
        let _ = fmt_number(x);
    }
}
