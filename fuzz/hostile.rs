// Hostile sandboxed programs: random compositions of the standard library's natives with
// large, odd and recursive arguments, run in a state set up as `cube-cli run --sandbox
// --max-heap 16000000 --max-reductions 1000000` sets up a process (issue 9).
//
// Shared, through `include!`, by the fuzz target `fuzz_targets/hostile.rs` (libFuzzer's
// bytes drive the choices; run it with `-timeout` and `-rss_limit_mb` as the README
// says) and by the stable test `crates/cube-lua/tests/hostile_smoke.rs` (a seeded
// generator drives them and a counting allocator bounds memory). Any outcome of the Lua
// program is fine (errors, limits); a panic, a hang or memory beyond the bound is a bug.

/// The sandbox's limits, as in the hostile-input suite (`tests/hostile/`).
pub const HOSTILE_MAX_HEAP: usize = 16_000_000;
pub const HOSTILE_MAX_REDUCTIONS: i64 = 1_000_000;

/// A stream of choices read from bytes; zero once the bytes run out, so every input is
/// a finite program.
pub struct Choices<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Choices<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Choices { data, pos: 0 }
    }

    fn byte(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }

    fn exhausted(&self) -> bool {
        self.pos >= self.data.len()
    }

    fn below(&mut self, n: usize) -> usize {
        if n <= 256 {
            self.byte() as usize % n
        } else {
            (self.byte() as usize | (self.byte() as usize) << 8) % n
        }
    }

    fn pick<'s>(&mut self, xs: &[&'s str]) -> &'s str {
        xs[self.below(xs.len())]
    }
}

/// Numbers a program might pass as sizes, counts, indexes and timeouts.
const NUMBERS: &[&str] = &[
    "0", "1", "-1", "2", "7", "255", "1e3", "1e5", "1e6", "1e7", "3e7", "2^31", "2^31-1",
    "2^32", "2^53", "2^62", "2^63", "1e300", "math.huge", "-math.huge", "(0/0)", "-2^31",
    "0.5", "#v1", "#v2",
];

/// Strings, from empty to large, and patterns that backtrack.
const STRINGS: &[&str] = &[
    "\"\"",
    "\"a\"",
    "\"%s\"",
    "\"%d%d%d\"",
    "\"%099999999d\"",
    "\"%.99f\"",
    "(\"x\"):rep(1e3)",
    "(\"ab\"):rep(1e5)",
    "(\"a\"):rep(1e6)",
    "(\"z\"):rep(8e6)",
    "(\"a?\"):rep(32) .. (\"a\"):rep(32)",
    "(\"a\"):rep(32)",
    "\"(.-)%1\"",
    "\"%b()\"",
    "\"[%a-z]*.-$\"",
    "(\"(\"):rep(40)",
    "\"return 1\"",
    "(\"return \" .. (\"(\"):rep(300))",
    "(\"x=1 \"):rep(1e4)",
    "tostring(v1)",
    "tostring(v3)",
];

/// Tables, some with metatables that recurse, grow or fail.
const TABLES: &[&str] = &[
    "{}",
    "{1, 2, 3}",
    "{(\"a\"):rep(1e6), (\"b\"):rep(1e6)}",
    "setmetatable({}, {__index = function(t, k) return t[tostring(k) .. \"x\"] end})",
    "setmetatable({}, {__index = function(t, k) return t[k] end})",
    "setmetatable({}, {__newindex = function(t, k, v) t[k .. k] = v end})",
    "setmetatable({}, {__gc = function() error(\"gc\") end})",
    "setmetatable({}, {__gc = function() while true do end end})",
    "setmetatable({}, {__tostring = function(t) return tostring(t) end})",
    "setmetatable({}, {__concat = function(a, b) return a .. b end})",
    "setmetatable({}, {__lt = function(a, b) return a < b end})",
    "setmetatable({}, {__len = function(t) return #t end})",
    "setmetatable({}, {__call = function(self, ...) return self(...) end})",
    "setmetatable({}, {__mode = \"k\"})",
    "v4",
    "v5",
];

/// Functions: recursive, tail-recursive, allocating, yielding.
const FUNCTIONS: &[&str] = &[
    "function(...) return ... end",
    "function(a, b) return a < b end",
    "function(a) return a .. a end",
    "function() local function f() return f() end return f() end",
    "function() local function f() return 1 + f() end return f() end",
    "function() return (\"y\"):rep(1e6) end",
    "function() coroutine.yield(1) end",
    "function() error(setmetatable({}, {__tostring = function() return (\"e\"):rep(1e6) end})) end",
    "function() while true do end end",
    "v6",
];

fn number(c: &mut Choices) -> String {
    match c.below(8) {
        0 => format!("({} * {})", c.pick(NUMBERS), c.pick(NUMBERS)),
        1 => format!("-{}", c.pick(NUMBERS)),
        _ => c.pick(NUMBERS).to_string(),
    }
}

fn string(c: &mut Choices, depth: u32) -> String {
    if depth > 0 && c.below(4) == 0 {
        return format!("({} .. {})", string(c, depth - 1), string(c, depth - 1));
    }
    match c.below(6) {
        0 => format!("(\"q\"):rep({})", number(c)),
        1 => format!("tostring({})", value(c, depth.saturating_sub(1))),
        _ => c.pick(STRINGS).to_string(),
    }
}

fn table(c: &mut Choices) -> String {
    c.pick(TABLES).to_string()
}

fn function(c: &mut Choices) -> String {
    c.pick(FUNCTIONS).to_string()
}

fn value(c: &mut Choices, depth: u32) -> String {
    match c.below(6) {
        0 => number(c),
        1 => string(c, depth),
        2 => table(c),
        3 => function(c),
        4 => format!("v{}", 1 + c.below(6)),
        _ => call(c, depth),
    }
}

/// One call of a native (or an operator that runs native code) with chosen arguments.
fn call(c: &mut Choices, depth: u32) -> String {
    if depth == 0 {
        return number(c);
    }
    let d = depth - 1;
    let n = |c: &mut Choices| number(c);
    let s = |c: &mut Choices| string(c, d);
    let v = |c: &mut Choices| value(c, d);
    let t = |c: &mut Choices| table(c);
    let f = |c: &mut Choices| function(c);
    match c.below(44) {
        0 => format!("string.rep({}, {})", s(c), n(c)),
        1 => format!("string.rep({}, {}, {})", s(c), n(c), s(c)),
        2 => format!("string.format({}, {}, {})", s(c), v(c), v(c)),
        3 => format!("string.format(\"%\" .. {} .. \"d\", {})", n(c), n(c)),
        4 => format!("string.find({}, {})", s(c), s(c)),
        5 => format!("string.find({}, {}, {}, true)", s(c), s(c), n(c)),
        6 => format!("string.match({}, {})", s(c), s(c)),
        7 => format!("string.gsub({}, {}, {})", s(c), s(c), s(c)),
        8 => format!("string.gsub({}, \".\", {})", s(c), f(c)),
        9 => format!("select(2, string.gsub({}, \"\", {}, {}))", s(c), s(c), n(c)),
        10 => format!("string.upper({})", s(c)),
        11 => format!("string.reverse({})", s(c)),
        12 => format!("string.sub({}, {}, {})", s(c), n(c), n(c)),
        13 => format!("string.byte({}, {}, {})", s(c), n(c), n(c)),
        14 => format!("string.char(string.byte({}, 1, {}))", s(c), n(c)),
        15 => format!("({} .. {} .. {})", s(c), s(c), s(c)),
        16 => format!("({} < {})", s(c), s(c)),
        17 => format!("table.concat({}, {})", t(c), s(c)),
        18 => format!("table.concat({}, {}, {}, {})", t(c), s(c), n(c), n(c)),
        19 => format!("select(\"#\", table.unpack({}, {}, {}))", t(c), n(c), n(c)),
        20 => format!("table.insert({}, {})", t(c), v(c)),
        21 => format!("table.insert({}, {}, {})", t(c), n(c), v(c)),
        22 => format!("table.remove({}, {})", t(c), n(c)),
        23 => format!("table.sort({})", t(c)),
        24 => format!("table.sort({}, {})", t(c), f(c)),
        25 => format!("table.pack(table.unpack({}, 1, {}))", t(c), n(c)),
        26 => format!("load({})", s(c)),
        27 => format!("load(function() return {} end)", s(c)),
        28 => format!("select({}, {}, {})", n(c), v(c), v(c)),
        29 => format!("tostring({})", v(c)),
        30 => format!("tonumber({}, {})", s(c), n(c)),
        31 => format!("coroutine.resume(coroutine.create({}), {})", f(c), v(c)),
        32 => format!("coroutine.wrap({})", f(c)),
        33 => format!("collectgarbage({})", c.pick(&["\"stop\"", "\"restart\"", "\"collect\"", "\"step\"", "\"count\""])),
        34 => format!("collectgarbage(\"setpause\", {})", n(c)),
        35 => format!("collectgarbage(\"step\", {})", n(c)),
        36 => format!("rawset({}, {}, {})", t(c), v(c), v(c)),
        37 => format!("setmetatable({}, {})", t(c), t(c)),
        38 => format!("({})[{}]", t(c), v(c)),
        39 => format!("#{}", t(c)),
        40 => format!("bit32.lshift({}, {})", n(c), n(c)),
        41 => format!("math.fmod({}, {})", n(c), n(c)),
        42 => format!("os.date({}, {})", s(c), n(c)),
        _ => format!("({})({})", f(c), v(c)),
    }
}

fn statement(c: &mut Choices, out: &mut String, depth: u32) {
    let target = 1 + c.below(6);
    match c.below(10) {
        0 => {
            let count = number(c);
            out.push_str(&format!("for _ = 1, {count} do\n"));
            if depth > 0 {
                statement(c, out, depth - 1);
            }
            out.push_str("end\n");
        }
        1 => {
            out.push_str(&format!(
                "do local t = {{}} for i = 1, {} do t[i] = {} end v{target} = t end\n",
                number(c),
                value(c, 1)
            ));
        }
        2 => {
            out.push_str(&format!("v{target} = {}\n", call(c, 3)));
        }
        _ => {
            let e = call(c, 3);
            out.push_str(&format!("pcall(function() v{target} = {e} end)\n"));
        }
    }
}

/// A whole program: six variables initialised with samples, then statements.
pub fn program(c: &mut Choices) -> String {
    let mut out = String::new();
    for i in 1..=6 {
        let init = match i {
            4 | 5 => table(c),
            6 => function(c),
            _ => value(c, 1),
        };
        out.push_str(&format!("local v{i} = {init}\n"));
    }
    let n = 1 + c.below(8);
    for _ in 0..n {
        if c.exhausted() {
            break;
        }
        statement(c, &mut out, 2);
    }
    out
}

/// The sandbox's libraries (as `cube-cli run --sandbox`), built once and shared.
fn hostile_image() -> &'static std::sync::Arc<cube_lua::image::Image> {
    static IMAGE: std::sync::OnceLock<std::sync::Arc<cube_lua::image::Image>> =
        std::sync::OnceLock::new();
    IMAGE.get_or_init(|| {
        cube_lua::image::Image::new(|st| {
            cube_lua::stdlib::open_libs(st);
            st.binary_chunks_allowed = false;
            st.cx(|cx| {
                use cube_lua::host::Val;
                for name in ["io", "require", "dofile", "loadfile", "package", "debug", "print"] {
                    cx.set_global(name, Val::Nil);
                }
                if let Val::Table(os) = cx.get_global("os") {
                    for name in ["execute", "exit", "remove", "rename", "tmpname", "getenv"] {
                        cx.set_field(os, name, Val::Nil);
                    }
                }
            });
        })
    })
}

/// Runs `src` as a task in a fresh state from the sandbox's image under the sandbox's
/// limits, in slices as a process runs, then closes the state (finalizers run).
/// Returns the task's outcome as text, for reports.
pub fn run_hostile(src: &str) -> String {
    let proto = match cube_lua::load::compile(src.as_bytes(), "=hostile") {
        Ok(p) => p,
        Err(e) => return format!("does not compile: {e:?}"),
    };
    let mut st = cube_lua::State::from_image(hostile_image());
    st.stdout = Box::new(std::io::sink());
    st.binary_chunks_allowed = false;
    st.set_max_heap(Some(HOSTILE_MAX_HEAP));
    st.cx(|cx| {
        let env = cube_lua::host::Val::Table(cx.globals());
        let f = cx.closure_of(proto, env);
        cx.push(f);
    });
    if st.start_task(0).is_err() {
        return "cannot start".into();
    }
    // Slices of 4,000 reductions, as the scheduler runs a process (cube-vm's
    // `slice_limits`): what the limit leaves after a slice is the state's reserve, on
    // which code that cannot be preempted runs; past the limit the task ends.
    let mut used: u64 = 0;
    let limit = HOSTILE_MAX_REDUCTIONS as u64;
    let outcome = loop {
        if used >= limit {
            break "reduction limit exceeded".to_string();
        }
        let left = limit - used;
        let slice = 4_000.min(left) as i64;
        st.set_reduction_reserve(Some(left - slice as u64));
        st.take_reductions_drawn();
        let r = st.resume(slice);
        used += ((slice - st.budget).max(0) as u64).saturating_add(st.take_reductions_drawn());
        match r {
            cube_lua::Outcome::Preempted => {}
            cube_lua::Outcome::Blocked => break "blocked".to_string(),
            cube_lua::Outcome::Finished(_) => break "finished".to_string(),
            cube_lua::Outcome::Error => {
                let top = st.top();
                let text = st.cx(|cx| {
                    let e = cx.stack_at(top - 1);
                    cx.to_str_coerce(e).map(|s| s.to_str_lossy().into_owned())
                });
                st.set_top(top - 1);
                break match text {
                    Some(s) => format!("error: {s}"),
                    None => "error (not a string)".to_string(),
                };
            }
        }
    };
    // The process runtime closes an ended process's state with what is left.
    st.budget = 0;
    st.set_reduction_reserve(Some(limit.saturating_sub(used)));
    let _ = st.close();
    outcome
}
