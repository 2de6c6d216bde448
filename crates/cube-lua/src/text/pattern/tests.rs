//! Tests of the matcher: results against lua5.2's, preemption mid-search, the fast
//! paths against the plain ones. `text::crosscheck` replays recorded cases through the
//! helpers here.

use super::*;

/// Renders a capture as Lua prints it.
fn show(src: &[u8], c: Capture) -> String {
    match c {
        Capture::Span(a, b) => String::from_utf8_lossy(&src[a..b]).into_owned(),
        Capture::Position(p) => (p + 1).to_string(),
    }
}

/// Joins values Lua-style with " | ", or gives the error message.
fn render(r: Result<Vec<String>, PatternError>) -> String {
    match r {
        Ok(v) => v.join(" | "),
        Err(e) => format!("ERR {e}"),
    }
}

/// How a test runs a search: without pauses (`u64::MAX`), or paused every `n`
/// steps and resumed at once with a fresh meter, counting the pauses.
pub(crate) struct Pauser {
    pub(crate) every: u64,
    pub(crate) pauses: u64,
}

impl Pauser {
    pub(crate) fn never() -> Self {
        Pauser::every(u64::MAX)
    }

    pub(crate) fn every(n: u64) -> Self {
        Pauser {
            every: n,
            pauses: 0,
        }
    }

    /// Runs `f` (one call of a search) until it does not pause.
    pub(crate) fn run<T>(
        &mut self,
        mut f: impl FnMut(&mut Meter<'_>) -> Result<T, PatternError>,
    ) -> Result<T, PatternError> {
        loop {
            let mut meter = Meter::default().pausing(self.every);
            match f(&mut meter) {
                Err(PatternError::Paused) => {
                    assert!(meter.steps >= self.every.min(1), "a pause made no step");
                    self.pauses += 1;
                    assert!(self.pauses < 100_000_000, "no progress");
                }
                r => return r,
            }
        }
    }
}

/// `string.find(src, pat, init, plain)` rendered like `print`.
pub(crate) fn lua_find(src: &[u8], pat: &[u8], init: i64, plain: bool) -> String {
    lua_find_with(src, pat, init, plain, &mut Pauser::never())
}

/// [`lua_find`], run by `pauser`.
pub(crate) fn lua_find_with(
    src: &[u8],
    pat: &[u8],
    init: i64,
    plain: bool,
    pauser: &mut Pauser,
) -> String {
    render((|| {
        let Some(off) = start_offset(init, src.len()) else {
            return Ok(vec!["nil".into()]);
        };
        let found = if plain || !has_specials(pat) {
            find(src, pat, off, plain, &mut Meter::default())?
        } else {
            let mut f = Find::new(off);
            pauser.run(|m| f.next_match(src, pat, m))?
        };
        let Some(m) = found else {
            return Ok(vec!["nil".into()]);
        };
        let mut v = vec![(m.start + 1).to_string(), m.end.to_string()];
        for i in 0..m.num_captures() {
            v.push(show(src, m.capture(i)?));
        }
        Ok(v)
    })())
}

/// `string.match(src, pat, init)` rendered like `print`.
pub(crate) fn lua_match(src: &[u8], pat: &[u8], init: i64) -> String {
    lua_match_with(src, pat, init, &mut Pauser::never())
}

/// [`lua_match`], run by `pauser`.
pub(crate) fn lua_match_with(src: &[u8], pat: &[u8], init: i64, pauser: &mut Pauser) -> String {
    render((|| {
        let Some(off) = start_offset(init, src.len()) else {
            return Ok(vec!["nil".into()]);
        };
        let mut f = Find::new(off);
        let Some(m) = pauser.run(|m| f.next_match(src, pat, m))? else {
            return Ok(vec!["nil".into()]);
        };
        m.values().map(|c| c.map(|c| show(src, c))).collect()
    })())
}

/// All `string.gmatch(src, pat)` results (at most 100), each as "[v1,v2]".
pub(crate) fn lua_gmatch(src: &[u8], pat: &[u8]) -> String {
    lua_gmatch_with(src, pat, &mut Pauser::never())
}

/// [`lua_gmatch`], run by `pauser`.
pub(crate) fn lua_gmatch_with(src: &[u8], pat: &[u8], pauser: &mut Pauser) -> String {
    render((|| {
        let mut g = Gmatch::new();
        let mut out = Vec::new();
        while out.len() < 100 {
            let Some(m) = pauser.run(|m| g.next_match(src, pat, m))? else {
                break;
            };
            let vals: Result<Vec<String>, _> =
                m.values().map(|c| c.map(|c| show(src, c))).collect();
            out.push(format!("[{}]", vals?.join(",")));
        }
        Ok(vec![out.concat()])
    })())
}

/// `string.gsub(src, pat, repl, max_n)` with a string replacement, rendered like `print`.
pub(crate) fn lua_gsub(src: &[u8], pat: &[u8], repl: &[u8], max_n: Option<i64>) -> String {
    lua_gsub_with(src, pat, repl, max_n, &mut Pauser::never())
}

/// [`lua_gsub`], run by `pauser`.
pub(crate) fn lua_gsub_with(
    src: &[u8],
    pat: &[u8],
    repl: &[u8],
    max_n: Option<i64>,
    pauser: &mut Pauser,
) -> String {
    render((|| {
        let max_n = gsub_limit(max_n, src.len());
        let mut g = Gsub::new();
        let mut out = Vec::new();
        let mut last = 0;
        let mut n = 0;
        while n < max_n {
            let Some(m) = pauser.run(|m| g.next_match(src, pat, m))? else {
                break;
            };
            out.extend_from_slice(&src[last..m.start]);
            expand_replacement(&mut out, repl, src, &m)?;
            last = m.end;
            n += 1;
        }
        out.extend_from_slice(&src[last..]);
        Ok(vec![
            String::from_utf8_lossy(&out).into_owned(),
            n.to_string(),
        ])
    })())
}

#[test]
fn errors_match_lua52() {
    let cases: &[(&str, &str)] = &[
        ("%", "ERR malformed pattern (ends with '%')"),
        ("[a", "ERR malformed pattern (missing ']')"),
        ("[]", "ERR malformed pattern (missing ']')"),
        ("[^]", "ERR malformed pattern (missing ']')"),
        ("[%", "ERR malformed pattern (missing ']')"),
        ("[%a", "ERR malformed pattern (missing ']')"),
        ("[a%]", "ERR malformed pattern (missing ']')"),
        ("%b", "ERR malformed pattern (missing arguments to '%b')"),
        ("%ba", "ERR malformed pattern (missing arguments to '%b')"),
        ("%f", "ERR missing '[' after '%f' in pattern"),
        ("%fa", "ERR missing '[' after '%f' in pattern"),
        ("%1", "ERR invalid capture index %1"),
        ("(a)%2", "ERR invalid capture index %2"),
        ("(a%1)", "ERR invalid capture index %1"),
        ("%0", "ERR invalid capture index %0"),
        ("(a", "ERR unfinished capture"),
        ("a)", "nil"), // plain search: ')' is not special
        ("[a-]", "1 | 1"),
        ("[]]", "nil"),
    ];
    for (pat, want) in cases {
        assert_eq!(lua_find(b"abc", pat.as_bytes(), 1, false), *want, "{pat}");
    }
    assert_eq!(lua_match(b"abc", b"(()", 1), "ERR unfinished capture");
    assert_eq!(
        lua_match(b"abc", b"(()))", 1),
        "ERR invalid pattern capture"
    );
    assert_eq!(lua_find(b"a-c", b"[a-]", 2, false), "2 | 2");
    assert_eq!(lua_find(b"]", b"[]]", 1, false), "1 | 1");
}

#[test]
fn capture_limits_match_lua52() {
    let src = "a".repeat(40);
    assert_eq!(
        lua_match(src.as_bytes(), "(a)".repeat(33).as_bytes(), 1),
        "ERR too many captures"
    );
    assert_eq!(
        lua_match(src.as_bytes(), "(a)".repeat(32).as_bytes(), 1),
        vec!["a"; 32].join(" | ")
    );
}

#[test]
fn depth_limit_matches_lua52() {
    // lua5.2: ("a?"):rep(199) matches 199 a's; ("a?"):rep(200) is "pattern too complex".
    let src = "a".repeat(300);
    assert_eq!(
        lua_match(src.as_bytes(), "a?".repeat(199).as_bytes(), 1),
        "a".repeat(199)
    );
    assert_eq!(
        lua_match(src.as_bytes(), "a?".repeat(200).as_bytes(), 1),
        "ERR pattern too complex"
    );
    // One capture adds two levels: 195 "a?" fit after "(a)", 196 do not... as lua5.2 says:
    // 197 ok, 198 too complex.
    let p197 = format!("(a){}", "a?".repeat(197));
    let p198 = format!("(a){}", "a?".repeat(198));
    assert_eq!(lua_match(src.as_bytes(), p197.as_bytes(), 1), "a");
    assert_eq!(
        lua_match(src.as_bytes(), p198.as_bytes(), 1),
        "ERR pattern too complex"
    );
    // Huge inputs fail cleanly instead of overflowing the stack.
    let big = "a".repeat(300_000);
    let pat = format!("{}{}", "a?".repeat(300_000), "a".repeat(300_000));
    assert_eq!(
        lua_match(big.as_bytes(), pat.as_bytes(), 1),
        "ERR pattern too complex"
    );
    // Long greedy/lazy runs do not nest.
    let long = "a".repeat(2_000);
    assert_eq!(lua_match(long.as_bytes(), b".-b", 1), "nil");
    assert_eq!(lua_match(long.as_bytes(), b"a*$", 1), long);
}

#[test]
fn matches_from_lua52() {
    assert_eq!(lua_match(b"THE (quick) fox", b"%f[%a]%a+", 1), "THE");
    assert_eq!(lua_match(b"hello", b"()ll()", 1), "3 | 5");
    assert_eq!(lua_match(b"  x  ", b"^%s*(.-)%s*$", 1), "x");
    assert_eq!(lua_match(b"f(a(b)c)", b"%b()", 1), "(a(b)c)");
    assert_eq!(lua_match(b"key=val", b"(%w+)=(%w+)", 1), "key | val");
    assert_eq!(lua_match(b"\0abc", b"%z", 1), "\0");
    assert_eq!(lua_match(b"x\0", b"[%z]", 1), "\0");
    assert_eq!(lua_match(b"abc", b"%Z+", 1), "abc");
    assert_eq!(lua_match(b"aaa", b"(a)%1", 1), "a");
    assert_eq!(lua_match(b"abc", b"()", 1), "1");
    assert_eq!(lua_match(b"abc", b"%f[%w]", 1), "");
    assert_eq!(lua_match(b"abc", b"[a-%%]", 1), "nil");
    assert_eq!(lua_match(b"a-b", b"[%a-z]+", 1), "a-b");
    assert_eq!(lua_match(b"-", b"[z-a]", 1), "nil");
    assert_eq!(lua_match(b"b", b"[a-]", 1), "nil");
    assert_eq!(lua_match(b"aa", b"()%1", 1), "nil");
    assert_eq!(lua_match(b"abc", b"%g+", 1), "abc");
    assert_eq!(lua_match(b" \t", b"%G+", 1), " \t");
    assert_eq!(lua_match(b"\x0b", b"%s", 1), "\x0b");
    assert_eq!(lua_match(b"\xe9t\xe9", b"%a+", 1), "t");
    assert_eq!(lua_match(b"a.b", b"%.", 1), ".");
    assert_eq!(lua_match(b"x^y", b"x^", 1), "x^");
    assert_eq!(lua_match(b"a$b", b"$b", 1), "$b");
}

#[test]
fn find_from_lua52() {
    assert_eq!(lua_find(b"abc", b"b", -1, false), "nil");
    assert_eq!(lua_find(b"abc", b"b", -10, false), "2 | 2");
    assert_eq!(lua_find(b"abc", b"", 10, false), "nil");
    assert_eq!(lua_find(b"abc", b"", 4, false), "4 | 3");
    assert_eq!(lua_find(b"abc", b"", 5, false), "nil");
    assert_eq!(lua_find(b"", b"", 1, false), "1 | 0");
    assert_eq!(lua_find(b"abc", b"$", 1, false), "4 | 3");
    assert_eq!(lua_find(b"a$c", b"$c", 1, false), "2 | 3");
    assert_eq!(lua_find(b"a^c", b"a^", 1, false), "1 | 2");
    assert_eq!(lua_find(b"abc", b"c$", 1, false), "3 | 3");
    assert_eq!(lua_find(b"abc", b"%f[%z]", 1, false), "4 | 3");
    assert_eq!(lua_find(b"abc", b"%f[^a]", 2, false), "2 | 1");
    assert_eq!(lua_find(b"aXb", b"%f[%u]", 1, false), "2 | 1");
    assert_eq!(lua_find(b"abc", b"[^%a]", 1, false), "nil");
    assert_eq!(lua_find(b"abc", b"(a)", 1, false), "1 | 1 | a");
    assert_eq!(lua_find(b"abc", b"b()", 1, false), "2 | 2 | 3");
    assert_eq!(lua_find(b"a.c", b".", 1, true), "2 | 2");
    assert_eq!(lua_find(b"a+b", b"a+", 1, true), "1 | 2");
    assert_eq!(lua_find(b"abcabc", b"ca", 1, false), "3 | 4");
    assert_eq!(lua_find(b"abcabc", b"bc", 3, false), "5 | 6");
    assert_eq!(lua_find(b"ab", b"abc", 1, false), "nil");
    assert_eq!(lua_find(b"abc", b"^b", 1, false), "nil");
    assert_eq!(lua_find(b"abc", b"^b", 2, false), "2 | 2");
}

#[test]
fn gmatch_from_lua52() {
    assert_eq!(lua_gmatch(b"abc", b""), "[][][][]");
    assert_eq!(lua_gmatch(b"abc", b"()"), "[1][2][3][4]");
    // No anchor in gmatch: '^' is a literal.
    assert_eq!(lua_gmatch(b"abc", b"^a"), "");
    assert_eq!(lua_gmatch(b"x^ay^a", b"^a"), "[^a][^a]");
    assert_eq!(
        lua_gmatch(b"hello world from lua", b"(%w+) (%w+)"),
        "[hello,world][from,lua]"
    );
    assert_eq!(lua_gmatch(b"a1b22", b"%d*"), "[][1][][22][]");
}

#[test]
fn gsub_from_lua52() {
    assert_eq!(
        lua_gsub(b"abc", b"%w", b"%2", None),
        "ERR invalid capture index"
    );
    assert_eq!(
        lua_gsub(b"abc", b"%w", b"%", None),
        "ERR invalid use of '%' in replacement string"
    );
    assert_eq!(
        lua_gsub(b"abc", b"%w", b"%x", None),
        "ERR invalid use of '%' in replacement string"
    );
    assert_eq!(lua_gsub(b"abc", b"(%w)", b"%1%0%%", None), "aa%bb%cc% | 3");
    assert_eq!(lua_gsub(b"abc", b"", b"-", None), "-a-b-c- | 4");
    assert_eq!(lua_gsub(b"abc", b"^", b"-", None), "-abc | 1");
    assert_eq!(lua_gsub(b"abc", b"^a*", b"-", None), "-bc | 1");
    assert_eq!(
        lua_gsub(b"hello world", b"o*", b"X", None),
        "XhXeXlXlXX XwXXrXlXdX | 12"
    );
    assert_eq!(lua_gsub(b"abc", b"()", b"%1", None), "1a2b3c4 | 4");
    assert_eq!(lua_gsub(b"abc", b"b*", b"-", None), "-a--c- | 4");
    assert_eq!(
        lua_gsub(b"hello world", b"(o)", b"%2", None),
        "ERR invalid capture index"
    );
    assert_eq!(lua_gsub(b"abc", b"%w", b"%1", None), "abc | 3");
    assert_eq!(lua_gsub(b"abc", b"", b"%1", None), "abc | 4");
    assert_eq!(lua_gsub(b"abc", b"(a", b"x", None), "xbc | 1");
    assert_eq!(
        lua_gsub(b"abc", b"(a", b"%1", None),
        "ERR unfinished capture"
    );
    assert_eq!(lua_gsub(b"abc", b"%w", b"x", Some(2)), "xxc | 2");
    // The limit is converted to size_t: negative means unlimited.
    assert_eq!(lua_gsub(b"abc", b"%w", b"x", Some(-1)), "xxx | 3");
    assert_eq!(lua_gsub(b"abc", b"%w", b"x", Some(0)), "abc | 0");
    assert_eq!(lua_gsub(b"abc", b"", b"-", Some(2)), "-a-bc | 2");
}

/// One library call of a test, rendered by the helpers above.
enum Call {
    Find(String, String, i64),
    Match(String, String, i64),
    Gmatch(String, String),
    Gsub(String, String, &'static str, Option<i64>),
}

impl Call {
    fn run(&self, p: &mut Pauser) -> String {
        match self {
            Call::Find(s, pat, init) => {
                lua_find_with(s.as_bytes(), pat.as_bytes(), *init, false, p)
            }
            Call::Match(s, pat, init) => lua_match_with(s.as_bytes(), pat.as_bytes(), *init, p),
            Call::Gmatch(s, pat) => lua_gmatch_with(s.as_bytes(), pat.as_bytes(), p),
            Call::Gsub(s, pat, repl, n) => {
                lua_gsub_with(s.as_bytes(), pat.as_bytes(), repl.as_bytes(), *n, p)
            }
        }
    }
}

/// Backtracking-heavy calls: captures, back-references, `%b`, `%f`, anchors, lazy
/// and greedy runs that back off, empty matches, the depth and capture limits.
fn heavy_calls() -> Vec<Call> {
    let s = |x: &str| x.to_string();
    let a = |n: usize| "a".repeat(n);
    vec![
        Call::Match(s("  x  "), s("^%s*(.-)%s*$"), 1),
        Call::Match(format!("{}b", a(20)), s("(a*)(a*)(a*)b"), 1),
        Call::Match(format!("{}c", a(14)), s("(a-)(a-)(a-)b"), 1),
        Call::Find(a(14), format!("{}{}", "a?".repeat(14), a(14)), 1),
        Call::Find(a(12), format!("^{}{}", "a?".repeat(12), a(12)), 1),
        Call::Match(s("xyzabcabcabcq"), s("((a)(b)c)%1%1"), 1),
        Call::Match(s("hello hello world world"), s("(%w+) %1 (%w+) %2"), 1),
        Call::Match(s("aaa aa a"), s("(a+) %1"), 1),
        Call::Match(s("f(a(b)c) g(x)"), s("%b()"), 1),
        Call::Gmatch(s("(a)(b(c))((d)"), s("%b()")),
        Call::Gmatch(s("THE (quick) fox"), s("%f[%a]%a+")),
        Call::Find(s("THE (quick) fox"), s("%f[%l](%a+)()"), 1),
        Call::Gsub(s("hello world"), s("o*"), "X", None),
        Call::Gsub(s("abc"), s(""), "-", None),
        Call::Gsub(s("abc"), s("^"), "-", None),
        Call::Gsub(s("aaa"), s("^a-"), "<%0>", None),
        Call::Gsub(s("  trim  me  "), s("^%s*(.-)%s*$"), "[%1]", None),
        Call::Gsub(s("abcabcabc"), s("(a)(b)(c)"), "%3%2%1", Some(2)),
        Call::Gsub(s("x = 1, y = 22"), s("(%w+) = (%w+)"), "%2 = %1", None),
        Call::Gmatch(s("a1b22"), s("%d*")),
        Call::Gmatch(s("one two  three"), s("()(%S+)()")),
        Call::Gmatch(s("abab"), s("(a?)(b?)")),
        Call::Find(s("abc"), s("^b"), 2),
        Call::Find(s("abc"), s("c$"), 1),
        Call::Match(
            s("key = value ; k2 = v2"),
            s("(%w+)%s*=%s*(%w+)%s*;%s*(%w+)%s*=%s*(%w+)"),
            1,
        ),
        Call::Match(s("[==[nested [[x]] ]==]"), s("%[(=*)%[(.-)%]%1%]"), 1),
        Call::Match("ab".repeat(30), s("(.-)b(.-)b(.-)b(.-)x"), 1),
        Call::Match("ab".repeat(30), s("^(.-)b(.-)b(.*)b(.-)$"), 1),
        Call::Match(s("aaa"), s("a-$"), 1),
        Call::Match(a(300), "a?".repeat(199), 1),
        Call::Match(a(300), "a?".repeat(200), 1),
        Call::Match(a(300), format!("(a){}", "a?".repeat(197)), 1),
        Call::Match(a(300), format!("(a){}", "a?".repeat(198)), 1),
        Call::Match(a(40), "(a)".repeat(32), 1),
        Call::Match(a(40), "(a)".repeat(33), 1),
        Call::Match(s("abc"), s("(()"), 1),
        Call::Match(s("abc"), s("(()))"), 1),
        Call::Match(s("abc"), s("(a%2)"), 1),
        Call::Gsub(s("abc"), s("(a"), "%1", None),
        Call::Match(format!("{}{}", a(1000), "b"), s("(a*)%1b"), 1),
        Call::Gmatch(format!("x{}y{}z", a(50), a(30)), s("(a+)()")),
        // Searches that skip starts (see `Lead`): at a threshold of 0 nothing is
        // skipped, so these compare the skipping search with the one-by-one one.
        Call::Find(format!("{}42 7", s(" ab").repeat(20)), s("%d+"), 1),
        Call::Find(format!("{}42", s("ab ").repeat(20)), s("(()%d)(%d)"), 3),
        Call::Find(format!("{}(x)", a(30)), s("%b()"), 1),
        Call::Find(format!("{}(x", a(30)), s("%b()"), 1),
        Call::Find(
            s("aaa"),
            format!("{}%d{}", "(".repeat(33), ")".repeat(33)),
            1,
        ),
        Call::Find(
            s("aaa1"),
            format!("{}%d{}", "(".repeat(32), ")".repeat(32)),
            1,
        ),
        Call::Find(s("x\0y\0"), s("%z"), 1),
        Call::Find(s("\u{80}a\u{ff}"), s("[\u{80}-\u{ff}]"), 2),
        Call::Gmatch(s("THE (quick) fox"), s("%f[%l]%a")),
        Call::Gmatch(s("ab cd"), s("%f[%z]")),
        Call::Gmatch(s("ab cd"), s("%f[^%z]")),
        Call::Gmatch(s("[a][bb][]"), s("%[(%a*)%]")),
        Call::Gmatch(format!("{}=1 {}=22", a(20), a(5)), s("(%w+)=(%S+)")),
        Call::Gsub(s("id=12 name=x"), s("(%a+)=(%w+)"), "%2:%1", None),
        Call::Gsub(format!("{}  \n x  \n", a(10)), s("%s+$"), "", None),
        Call::Gsub(s("one two three"), s("%f[%a]%a"), "<%0>", None),
        Call::Gsub(s("a1b2c3"), s("%d"), "#", Some(2)),
        Call::Gsub(s("xyx"), s("[xy]"), "-", None),
        Call::Gmatch(s("xx)"), s("%a)")),
    ]
}

#[test]
fn paused_searches_give_the_same_results() {
    for call in heavy_calls() {
        let want = call.run(&mut Pauser::never());
        for every in [0, 1, 2, 3, 4, 5, 7, 11, 16, 100, 1000] {
            let mut p = Pauser::every(every);
            assert_eq!(call.run(&mut p), want, "paused every {every} steps");
        }
    }
    // The exponential find pauses about once per invocation at threshold 1.
    let call = &heavy_calls()[3];
    let mut p = Pauser::every(1);
    call.run(&mut p);
    assert!(p.pauses > 10_000, "{}", p.pauses);
    let mut p = Pauser::every(1000);
    call.run(&mut p);
    assert!((10..1000).contains(&p.pauses), "{}", p.pauses);
}

#[test]
fn a_pause_keeps_the_whole_search() {
    // Paused in the middle of a later attempt (find's loop over starts), and in
    // gmatch/gsub after earlier matches: the search goes on from there.
    let src = format!("{}b{}c", "a".repeat(30), "a".repeat(30));
    let pat = "(a-)(a-)c";
    let want = find_at(src.as_bytes(), pat.as_bytes(), 0, &mut Meter::default());
    let mut f = Find::new(0);
    let mut pauses = 0;
    let found = loop {
        let mut m = Meter::default().pausing(50);
        match f.next_match(src.as_bytes(), pat.as_bytes(), &mut m) {
            Err(PatternError::Paused) => {
                pauses += 1;
                assert!(m.steps >= 50);
            }
            r => break r,
        }
    };
    assert!(pauses > 10);
    assert_eq!(found, want);
    // The match starts after the `b`: the pauses came in attempts at many starts.
    assert_eq!(found.unwrap().unwrap().start, 31);
    // A meter that never pauses finishes in one call; a stop is still a stop.
    let mut m = Meter::new(10, None).pausing(5);
    let r = Find::new(0).next_match(src.as_bytes(), pat.as_bytes(), &mut m);
    assert_eq!(r, Err(PatternError::Paused));
    let mut m = Meter::new(100, None);
    let r = Find::new(0).next_match(src.as_bytes(), pat.as_bytes(), &mut m);
    assert_eq!(r, Err(PatternError::Stopped));
}

/// `match_class` before the lookup tables: the C-locale classes spelled out.
fn match_class_reference(c: u8, cl: u8) -> bool {
    let res = match cl.to_ascii_lowercase() {
        b'a' => c.is_ascii_alphabetic(),
        b'c' => c.is_ascii_control(),
        b'd' => c.is_ascii_digit(),
        b'g' => c.is_ascii_graphic(),
        b'l' => c.is_ascii_lowercase(),
        b'p' => c.is_ascii_punctuation(),
        b's' => crate::text::number::is_space(c),
        b'u' => c.is_ascii_uppercase(),
        b'w' => c.is_ascii_alphanumeric(),
        b'x' => c.is_ascii_hexdigit(),
        b'z' => c == 0,
        _ => return cl == c,
    };
    if cl.is_ascii_lowercase() {
        res
    } else {
        !res
    }
}

#[test]
fn class_tables_agree_with_ctype() {
    for cl in 0..=255u8 {
        let pat = [ESC, cl];
        for c in 0..=255u8 {
            let want = match_class_reference(c, cl);
            assert_eq!(match_class(c, cl), want, "{c} in %{}", cl as char);
            if cl != 0 {
                // The run and search loops' form of the same test.
                let t = Single::of(&pat, 0);
                assert_eq!(t.run_len(&[c], &pat, 0, 2), usize::from(want));
                assert_eq!(t.first_in(&[c], &pat, 0, 2), want.then_some(0));
            }
        }
    }
}

#[test]
fn byte_sets_agree_with_match_bracket_class() {
    let sets: &[&[u8]] = &[
        b"[abc]",
        b"[^abc]",
        b"[a-z]",
        b"[^a-z%d]",
        b"[%a_]",
        b"[%A]",
        b"[%c\"\\]",
        b"[]]",
        b"[^]]",
        b"[a-]",
        b"[-a]",
        b"[z-a]",
        b"[%]]",
        b"[%%]",
        b"[%z]",
        b"[%Z%s]",
        b"[\x80-\xff]",
        b"[^\x00-\x7f]",
        b"[%w%.]",
        b"[%-%d%.]",
        b"[a-%%]",
        b"[%a-z]",
        b"[^%]x]",
        b"[%x%p%g%l%u]",
    ];
    for &set in sets {
        let ec = class_end(set, 0).unwrap() - 1;
        let bs = ByteSet::of_bracket(set, 0, ec);
        for c in 0..=255u8 {
            let want = match_bracket_class(c, set, 0, ec);
            assert_eq!(bs.has(c), want, "{c} in {}", String::from_utf8_lossy(set));
        }
        // The loops that switch to the set after a few bytes.
        let bytes: Vec<u8> = (0..=255u8).chain(0..=255u8).collect();
        for from in 0..20 {
            let b = &bytes[from..];
            for want in [false, true] {
                assert_eq!(
                    position_in_set(b, set, 0, ec, want),
                    b.iter()
                        .position(|&c| match_bracket_class(c, set, 0, ec) == want)
                );
            }
        }
    }
}

#[test]
fn find_byte_finds_the_first() {
    let hay: Vec<u8> = (0..100u32).map(|i| (i * 37 % 256) as u8).collect();
    for from in 0..hay.len() {
        for b in [0u8, 1, 37, 74, 0x80, 0xff, 0x7f, 0x81] {
            let h = &hay[from..];
            assert_eq!(
                find_byte(h, b),
                h.iter().position(|&c| c == b),
                "{from} {b}"
            );
        }
    }
    // A byte right after one that borrows (0x01 before the needle 0x00 and so on).
    assert_eq!(find_byte(b"\x01\x00aaaaaa", 0), Some(1));
    assert_eq!(find_byte(b"aaaaaaa\x01\x00", 0), Some(8));
    assert_eq!(
        find_byte(b"\x81\x80\x80\x80\x80\x80\x80\x80", 0x80),
        Some(1)
    );
    assert_eq!(find_byte(b"", 0), None);
}

#[test]
fn a_skipping_search_is_bounded_by_the_meter() {
    // The starts skipped count one step each, and a search skips no further than
    // its meter allows: a limit stops it, a pause keeps its place.
    let src = format!("{}7", " ".repeat(10_000));
    let mut m = Meter::default();
    let r = find_at(src.as_bytes(), b"%d", 0, &mut m).unwrap().unwrap();
    assert_eq!((r.start, r.end), (10_000, 10_001));
    assert_eq!(m.steps, 10_001);
    let mut m = Meter::new(5_000, None);
    assert_eq!(
        find_at(src.as_bytes(), b"%d", 0, &mut m),
        Err(PatternError::Stopped)
    );
    assert!(m.steps <= 5_001, "{}", m.steps);
    let mut f = Find::new(0);
    let mut m = Meter::default().pausing(100);
    assert_eq!(
        f.next_match(src.as_bytes(), b"%d", &mut m),
        Err(PatternError::Paused)
    );
    assert_eq!(m.steps, 100);
    let mut pauses = 1;
    let found = loop {
        let mut m = Meter::default().pausing(100);
        match f.next_match(src.as_bytes(), b"%d", &mut m) {
            Err(PatternError::Paused) => pauses += 1,
            r => break r.unwrap().unwrap(),
        }
    };
    assert_eq!(found.start, 10_000);
    assert!((90..=110).contains(&pauses), "{pauses}");
}

#[test]
fn specials_and_offsets() {
    assert!(!has_specials(b"abc)]"));
    for c in b"^$*+?.([%-" {
        assert!(has_specials(&[b'x', *c]));
    }
    assert_eq!(start_offset(1, 3), Some(0));
    assert_eq!(start_offset(0, 3), Some(0));
    assert_eq!(start_offset(-1, 3), Some(2));
    assert_eq!(start_offset(-3, 3), Some(0));
    assert_eq!(start_offset(-4, 3), Some(0));
    assert_eq!(start_offset(i64::MIN, 3), Some(0));
    assert_eq!(start_offset(4, 3), Some(3));
    assert_eq!(start_offset(5, 3), None);
    assert_eq!(start_offset(i64::MAX, 3), None);
    assert_eq!(
        find_plain(b"abcabc", b"c", 3, &mut Meter::default()).unwrap(),
        Some(5)
    );
    assert_eq!(
        find_plain(b"abc", b"", 3, &mut Meter::default()).unwrap(),
        Some(3)
    );
    assert_eq!(
        find_plain(b"abc", b"", 4, &mut Meter::default()).unwrap(),
        None
    );
    assert_eq!(
        PatternError::InvalidCaptureIndex(3).to_string(),
        "invalid capture index %3"
    );
}
