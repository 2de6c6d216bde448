//! Tests of the `table`, `math`, `bit32` and `os` libraries. Expected strings were
//! produced by PUC-Rio Lua 5.2.4 (Debian's `lua5.2`, TZ=UTC) running the same snippets;
//! the cube-only tests (yields inside `table.sort`) check what 5.2 cannot do.

use cube_lua::host::Val;
use cube_lua::State;

/// Prelude of every snippet: `E(f, ...)` is the error message of a call ("ok" if none),
/// `P(...)` joins its arguments' `tostring`s with spaces.
const PRELUDE: &str = r###"local function E(...) local ok, e = pcall(...) if ok then return "ok" end return e end local function P(...) local t = table.pack(...) for i=1,t.n do t[i]=tostring(t[i]) end return table.concat(t, " ") end"###;

/// (name, snippet returning a string, lua5.2's result).
const CASES: &[(&str, &str, &str)] = &[
    (
        "concat_basic",
        r###"return P(table.concat({1,2.5,"x"}, ", "), table.concat({}, "x"), table.concat({1,2,3}, "", 3, 2), table.concat({1,2}, 3), table.concat({1,2,3,4}, "-", 2, 3))"###,
        r###"1, 2.5, x   132 2-3"###,
    ),
    (
        "concat_errors",
        r###"return P(E(table.concat, {1,{},3}), E(table.concat, {1,2}, {}), E(table.concat, {}, "", 2^31, 2^31+1))"###,
        r###"invalid value (table) at index 2 in table for 'concat' bad argument #2 to 'table.concat' (string expected, got table) invalid value (nil) at index -2147483648 in table for 'concat'"###,
    ),
    (
        "concat_error_position",
        r###"return P(E(function() table.concat({{}}) end))"###,
        r###"test:2: invalid value (table) at index 1 in table for 'concat'"###,
    ),
    (
        "insert_forms",
        r###"local t = {1,2} table.insert(t, 3) table.insert(t, 1, 0) table.insert(t, 5, 9) return table.concat(t, ",")"###,
        r###"0,1,2,3,9"###,
    ),
    (
        "insert_errors",
        r###"return P(E(table.insert, {}, 1, 2, 3), E(table.insert, {}, 5, 2), E(table.insert, {}, 0, 2), E(table.insert, nil, 2), E(table.insert, {}), E(function() table.insert({}, 1, 2, 3) end))"###,
        r###"wrong number of arguments to 'insert' bad argument #2 to 'table.insert' (position out of bounds) bad argument #2 to 'table.insert' (position out of bounds) bad argument #1 to 'table.insert' (table expected, got nil) wrong number of arguments to 'insert' test:2: wrong number of arguments to 'insert'"###,
    ),
    (
        "remove_semantics",
        r###"local t = {1,2,3} local a = table.remove(t, 1) local b = table.remove(t) local z = {[0]="z"} return P(a, b, #t, t[1], table.remove({}), table.remove({}, 0), table.remove(z, 0), z[0], table.remove({1,2,3}, 4))"###,
        r###"1 3 1 2 nil nil z nil nil"###,
    ),
    (
        "remove_errors",
        r###"return P(E(table.remove, {}, 5), E(table.remove, {1,2,3}, 7), E(table.remove, {1,2,3}, -1))"###,
        r###"bad argument #1 to 'table.remove' (position out of bounds) bad argument #1 to 'table.remove' (position out of bounds) bad argument #1 to 'table.remove' (position out of bounds)"###,
    ),
    (
        "pack_unpack",
        r###"local p = table.pack(1, nil, 3) return P(p.n, #table.pack(), table.pack().n, table.unpack({1,2,3}), select("#", table.unpack({}, 1, 3)), unpack == table.unpack, table.unpack({1,2,3}, "2", 3))"###,
        r###"3 0 0 1 3 true 2 3"###,
    ),
    (
        "unpack_limits",
        r###"return P(E(table.unpack, {}, 1, 1e8), E(table.unpack, {}, 1, 2^31), E(table.unpack, {}, -2^31, 2^31-1), select("#", table.unpack({}, 2^31, 2^31+2)), table.unpack({1,2,3}, -1, 1))"###,
        r###"too many results to unpack ok too many results to unpack 3 nil nil 1"###,
    ),
    (
        "len_metamethod",
        r###"local t = setmetatable({}, {__len=function(a, b) return "2" end}) table.insert(t, "v") local u = setmetatable({}, {__len=function() return "x" end}) return P(rawget(t, 3), select("#", table.unpack(t)), E(table.unpack, u), E(function() table.concat(u) end))"###,
        r###"v 2 object length is not a number test:2: object length is not a number"###,
    ),
    (
        "maxn",
        r###"return P(table.maxn({1,2,[7.5]=1,[-3]=1}), table.maxn({}), E(table.maxn))"###,
        r###"7.5 0 bad argument #1 to 'table.maxn' (table expected, got no value)"###,
    ),
    (
        "sort_numbers_strings",
        r###"local t = {5,1,4,2,3} table.sort(t) local s = {"b","a","c","ab"} table.sort(s) local r = {5,1,4,2,3} table.sort(r, function(a,b) return a > b end) return P(table.concat(t," "), table.concat(s," "), table.concat(r," "))"###,
        r###"1 2 3 4 5 a ab b c 5 4 3 2 1"###,
    ),
    (
        "sort_equal_keys",
        r###"local t = {} for i = 1, 40 do t[i] = {k = (i * 7) % 5, id = i} end table.sort(t, function(a, b) return a.k < b.k end) local o = {} for i = 1, 40 do o[i] = t[i].id end return table.concat(o, " ")"###,
        r###"40 25 15 30 35 10 20 5 8 23 28 18 13 3 33 38 31 26 36 21 1 16 11 6 29 39 14 24 4 9 19 34 37 2 12 27 32 7 17 22"###,
    ),
    (
        "sort_equal_keys_desc",
        r###"local t = {} for i = 1, 30 do t[i] = {k = (i * 13) % 4, id = i} end table.sort(t, function(a, b) return a.k > b.k end) local o = {} for i = 1, 30 do o[i] = t[i].id end return table.concat(o, " ")"###,
        r###"15 7 19 23 11 27 3 18 14 26 22 30 6 10 2 25 5 13 21 1 17 29 9 28 4 16 24 8 12 20"###,
    ),
    (
        "sort_comparison_count",
        r###"local n = 0 local t = {} for i = 1, 100 do t[i] = (i * 37) % 101 end table.sort(t, function(a,b) n = n + 1 return a < b end) return P(n, t[1], t[100])"###,
        r###"616 1 100"###,
    ),
    (
        "sort_lt_metamethod",
        r###"local mt = {__lt = function(a, b) return a.v < b.v end} local t = {} for i = 1, 10 do t[i] = setmetatable({v = (i * 3) % 10, id=i}, mt) end table.sort(t) local o = {} for i = 1, 10 do o[i] = t[i].id end return table.concat(o, " ")"###,
        r###"10 7 4 1 8 5 2 9 6 3"###,
    ),
    (
        "sort_nan",
        r###"local t = {3, 0/0, 1, 2, 0/0, 5} local ok = pcall(table.sort, t) local u = {5,3,0/0,1} pcall(table.sort, u) return P(ok, table.concat(t, " "), table.concat(u, " "))"###,
        r###"true 1 2 -nan 3 -nan 5 1 -nan 3 5"###,
    ),
    (
        "sort_invalid_order",
        r###"local t = {} for i=1,20 do t[i] = 21-i end local ok, e = pcall(table.sort, t, function(a,b) return true end) return P(ok, e, table.concat(t, " "), E(function() table.sort({1,2,3}, function() return true end) end))"###,
        r###"false invalid order function for sorting 11 19 18 17 16 15 14 13 12 2 10 9 8 7 6 5 4 3 1 20 ok"###,
    ),
    (
        "sort_le_comparator",
        r###"local t = {} for i=1,20 do t[i] = i end return P(E(table.sort, t, function(a,b) return a <= b end), table.concat(t, " "))"###,
        r###"ok 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20"###,
    ),
    (
        "sort_errors",
        r###"return P(E(table.sort, {1,nil,3}), E(table.sort, {3,"a",1}), E(table.sort, {{},{}}), E(table.sort, {3,2,1}, 5), E(table.sort, {3,2,1}, nil), E(function() local t = {} t.sort = table.sort t:sort(3) end), E(table.sort, {3,2,1}, function(a,b) error("boom") end))"###,
        r###"attempt to compare nil with number attempt to compare string with number attempt to compare two table values bad argument #2 to 'table.sort' (function expected, got number) ok test:2: bad argument #1 to 'sort' (function expected, got number) test:2: boom"###,
    ),
    (
        "sort_random_data",
        r###"math.randomseed(7) local t = {} for i = 1, 300 do t[i] = {k = math.random(1, 20), id = i} end table.sort(t, function(a, b) return a.k < b.k end) local o = {} for i = 1, 300 do o[i] = t[i].id end return table.concat(o, " ")"###,
        r###"232 28 144 221 24 233 71 294 192 225 60 87 267 7 124 4 229 243 186 249 292 299 51 29 120 181 128 281 21 137 9 141 19 93 82 95 167 11 261 101 187 223 149 220 176 210 152 257 160 252 161 286 273 276 264 30 199 200 15 260 155 272 227 253 119 263 256 138 133 214 166 178 59 56 295 16 293 68 3 174 298 248 90 89 36 156 284 77 25 64 78 206 135 204 44 22 217 173 211 269 76 235 58 268 244 139 193 159 230 277 278 26 83 182 165 171 130 134 265 168 146 164 216 195 207 169 72 73 224 105 239 20 251 290 240 194 70 287 270 285 213 215 279 188 190 280 170 100 31 222 198 111 23 125 246 5 10 47 41 49 208 65 157 61 209 172 226 266 218 175 255 154 254 131 297 74 104 96 275 97 67 43 55 148 52 54 2 127 115 94 212 8 50 234 129 116 202 147 288 283 106 191 88 91 85 98 48 118 179 136 177 151 296 37 46 228 250 75 108 34 197 203 242 17 33 12 258 238 27 40 18 92 158 196 143 62 180 153 145 132 291 184 13 247 189 271 117 262 80 99 84 102 112 274 1 150 241 123 142 107 122 114 81 110 163 103 45 236 14 219 231 205 39 66 86 69 282 53 32 289 109 113 183 259 237 162 185 300 79 35 121 6 63 38 42 140 201 126 245 57"###,
    ),
    (
        "math_basic",
        r###"return P(math.floor(-3.5), math.ceil(-3.5), math.abs(-2), math.sqrt(16), math.deg(math.pi), math.rad(180), math.atan2(1, -1), math.pow(2, 0.5), math.exp(1), math.log(0), math.log10(100), math.huge, -math.huge, math.pi, math.max(3, 9, 1), math.min(3, 9, 1), math.fmod(-7, 3), math.cosh(1), math.sinh(1), math.tanh(1))"###,
        r###"-4 -3 2 4 180 3.1415926535898 2.3561944901923 1.4142135623731 2.718281828459 -inf 2 inf -inf 3.1415926535898 9 1 -1 1.5430806348152 1.1752011936438 0.76159415595576"###,
    ),
    (
        "math_log_base",
        r###"return string.format("%.17g %.17g %.17g %.17g", math.log(8,2), math.log(2^29,2), math.log(1000,10), math.log(3^20,3))"###,
        r###"3 29.000000000000004 3 19.999999999999996"###,
    ),
    (
        "math_nan_results",
        r###"return P(math.sqrt(-1), math.log(-1), math.fmod(7, 0), math.fmod(7, math.huge))"###,
        r###"-nan -nan -nan 7"###,
    ),
    (
        "math_modf_frexp_ldexp",
        r###"return P(math.modf(3.7), math.modf(-3.7), math.modf(-3), math.modf(math.huge), math.modf(-math.huge), math.frexp(8), math.frexp(0), math.frexp(1e-310), math.ldexp(1, 1024), math.ldexp(1,-1074), math.ldexp(3, 2.7), math.ldexp(1, -1075))"###,
        r###"3 -3 -3 inf -inf 0.5 0 0.57526180315594 inf 4.9406564584125e-324 12 0"###,
    ),
    (
        "math_errors",
        r###"return P(E(math.max), E(math.min, 1, "x"), E(math.floor, "x"), E(math.floor), E(math.random, 0), E(math.random, 3, 1), E(math.random, 1, 2, 3), E(math.randomseed), E(function() math.random(1,2,3) end))"###,
        r###"bad argument #1 to 'math.max' (number expected, got no value) bad argument #2 to 'math.min' (number expected, got string) bad argument #1 to 'math.floor' (number expected, got string) bad argument #1 to 'math.floor' (number expected, got no value) bad argument #1 to 'math.random' (interval is empty) bad argument #2 to 'math.random' (interval is empty) wrong number of arguments bad argument #1 to 'math.randomseed' (number expected, got no value) test:2: wrong number of arguments"###,
    ),
    (
        "math_random_glibc",
        r###"math.randomseed(42) local a, b, c = math.random(), math.random(100), math.random(5, 10) math.randomseed(0) local d = math.random(1, 1000000) math.randomseed(-1.5) local e = math.random(1, 1000000) return P(a, b, c, d, e, math.random(1.5), math.random(2, 2.5))"###,
        r###"0.32996420763897 70 7 394383 145917 2 2"###,
    ),
    (
        "math_random_range",
        r###"math.randomseed(9) for i = 1, 1000 do local x = math.random(3, 5) if x < 3 or x > 5 or x % 1 ~= 0 then return "bad" end local y = math.random() if y < 0 or y >= 1 then return "bad" end end return "ok""###,
        r###"ok"###,
    ),
    (
        "bit32_conversions",
        r###"return P(bit32.band(1.5), bit32.band(2.5), bit32.band(-1), bit32.band(-1.5), bit32.band(2^32+3), bit32.band(2^53+1), bit32.band(1e300), bit32.band("7"))"###,
        r###"2 2 4294967295 4294967294 3 0 2281731484 7"###,
    ),
    (
        "bit32_ops",
        r###"return P(bit32.band(), bit32.bor(), bit32.bxor(), bit32.btest(), bit32.bnot(0), bit32.bnot(-1), bit32.bor(1, 2, 4), bit32.bxor(7, 2), bit32.btest(1, 2), bit32.btest(3, 2))"###,
        r###"4294967295 0 0 true 4294967295 0 7 5 false true"###,
    ),
    (
        "bit32_shifts",
        r###"return P(bit32.lshift(1, 31), bit32.lshift(1,32), bit32.lshift(3,-1), bit32.rshift(-1, 4), bit32.rshift(1,-2), bit32.arshift(-8, 1), bit32.arshift(-8, 40), bit32.arshift(8,-1), bit32.arshift(2^31, 2.9), bit32.lrotate(1, -1), bit32.rrotate(1, 1), bit32.lrotate(0x80000000, 33), bit32.lshift(1, 2^32+1), bit32.lshift(1, 1e300), bit32.lshift(1,-1e300))"###,
        r###"2147483648 0 1 268435455 4 4294967292 4294967295 16 3758096384 2147483648 2147483648 1 2 1 1"###,
    ),
    (
        "bit32_fields",
        r###"return P(bit32.extract(0xF0, 4, 4), bit32.extract(-1, 31), bit32.replace(0, 7, 4, 3), bit32.replace(-1, 0, 0, 32), bit32.replace(0, 1, 31))"###,
        r###"15 1 112 0 2147483648"###,
    ),
    (
        "bit32_errors",
        r###"return P(E(bit32.extract, 1, -1), E(bit32.extract, 1, 0, 0), E(bit32.extract, 1, 30, 3), E(bit32.band, 1, {}), E(bit32.replace, 1, 2, 31, 2), E(function() bit32.extract(1, 30, 3) end))"###,
        r###"bad argument #2 to 'bit32.extract' (field cannot be negative) bad argument #3 to 'bit32.extract' (width must be positive) trying to access non-existent bits bad argument #2 to 'bit32.band' (number expected, got table) trying to access non-existent bits test:2: trying to access non-existent bits"###,
    ),
    (
        "os_date_utc",
        r###"return P(os.date("!%Y-%m-%d %H:%M:%S %Ec|%Oy|%%|%C|%e|%D", 86400*365.7), os.date("!%c", 0), os.date("!%x %X %p %j %U %W %u %V %G %g %h|%r %R %T", 1e9), os.date("!%H", 3600.9), os.date("!%H", -1), os.date("!%Y\0%m", 0))"###,
        r###"1971-01-01 16:48:00 Fri Jan  1 16:48:00 1971|71|%|19| 1|01/01/71 Thu Jan  1 00:00:00 1970 09/09/01 01:46:40 AM 252 36 36 7 36 2001 01 Sep|01:46:40 AM 01:46 01:46:40 01 23 1970"###,
    ),
    (
        "os_date_table",
        r###"local t = os.date("!*t", 1e9) local s = "" for _,k in ipairs{"sec","min","hour","day","month","year","wday","yday","isdst"} do s = s .. k .. "=" .. tostring(t[k]) .. " " end return s .. type(os.date("!*t\0abc", 0))"###,
        r###"sec=40 min=46 hour=1 day=9 month=9 year=2001 wday=1 yday=252 isdst=false table"###,
    ),
    (
        "os_date_errors",
        r###"return P(E(os.date, "%Q abc"), E(os.date, "%"), E(os.date, "%Ez"), E(os.date, "%Y", "x"))"###,
        r###"bad argument #1 to 'os.date' (invalid conversion specifier '%Q abc') bad argument #1 to 'os.date' (invalid conversion specifier '%') bad argument #1 to 'os.date' (invalid conversion specifier '%Ez') bad argument #2 to 'os.date' (number expected, got string)"###,
    ),
    (
        "os_time",
        r###"local t = os.date("*t", 1e9) return P(os.time(t) == 1e9, type(os.time()), E(os.time, {year=2000, month=1}), E(os.time, {year=2000, day=1}), E(os.time, 5), E(function() os.time({}) end), os.time({year="2000", month="3", day="1.5"}) == os.time({year=2000, month=3, day=1}))"###,
        r###"true number field 'day' missing in date table field 'month' missing in date table bad argument #1 to 'os.time' (table expected, got number) test:2: field 'day' missing in date table true"###,
    ),
    (
        "os_time_normalises",
        r###"local a = os.time{year=2000, month=14, day=-3, hour=25, min=61, sec=-1} local b = os.time{year=2001, month=1, day=29, hour=2, min=0, sec=59} return P(a == b)"###,
        r###"true"###,
    ),
    (
        "os_misc",
        r###"return P(os.difftime(5.7, 1.2), os.difftime(10), E(os.difftime), os.getenv("NO_SUCH_VAR_CUBE_X"), E(os.getenv), type(os.clock()), os.setlocale(), os.setlocale("C"), os.setlocale("xx"), E(os.setlocale, nil, "bad"))"###,
        r###"4 10 bad argument #1 to 'os.difftime' (number expected, got no value) nil bad argument #1 to 'os.getenv' (string expected, got no value) number C C nil bad argument #2 to 'os.setlocale' (invalid option 'bad')"###,
    ),
    (
        "os_files",
        r###"local r1 = P(os.remove("/nonexistent/x")) local r2 = P(os.rename("/nonexistent/x", "/tmp/y")) local n = os.tmpname() local f = P(os.remove(n)) return P(r1, r2, f, n:sub(1, 9))"###,
        r###"nil /nonexistent/x: No such file or directory 2 nil No such file or directory 2 true /tmp/lua_"###,
    ),
    (
        "os_execute",
        r###"return P(os.execute(), os.execute("exit 3")) .. " " .. P(os.execute("true")) .. " " .. P(os.execute("kill -9 $$"))"###,
        r###"true nil exit 3 true exit 0 nil signal 9"###,
    ),
];

fn new_state() -> State {
    let mut st = State::new_bare();
    cube_lua::stdlib::open_libs(&mut st);
    st
}

/// Runs `body` after the prelude (so the body starts on line 2) and returns its first
/// result as text, or "error: MESSAGE".
fn run(st: &mut State, body: &str) -> String {
    let src = format!("{PRELUDE}\n{body}");
    if let Err(e) = st.push_chunk(src.as_bytes(), "=test") {
        panic!("syntax error: {e:?}");
    }
    let base = st.top() - 1;
    let ok = st.pcall(0, -1).is_ok();
    let top = st.top();
    let text = st.cx(|cx| {
        let first = if top > base {
            cx.stack_at(base)
        } else {
            Val::Nil
        };
        let shown = match first {
            Val::Str(s) => String::from_utf8_lossy(s.as_bytes()).into_owned(),
            other => format!("<{}>", other.type_name()),
        };
        match (ok, top > base) {
            (true, false) => "<none>".to_string(),
            (true, true) => shown,
            (false, _) => format!("error: {shown}"),
        }
    });
    st.set_top(base);
    text
}

#[test]
fn matches_lua52() {
    // Dates are formatted in UTC and os.time is only round-tripped, so the local zone
    // does not matter.
    let mut failures = Vec::new();
    for &(name, body, expected) in CASES {
        let mut st = new_state();
        let got = run(&mut st, body);
        if got != expected {
            failures.push(format!(
                "{name}:\n  expected: {expected}\n  got:      {got}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn sort_comparator_may_yield() {
    let mut st = new_state();
    let got = run(
        &mut st,
        r#"
        local co = coroutine.wrap(function()
          local t = {5, 2, 8, 1, 9, 3}
          local n = 0
          table.sort(t, function(a, b) n = n + 1; coroutine.yield(n); return a < b end)
          return "done " .. table.concat(t, " ") .. " after " .. n
        end)
        local last, yields = nil, 0
        repeat last = co() yields = yields + 1 until type(last) == "string"
        return last .. " " .. (yields - 1)
        "#,
    );
    // The same comparisons as without yields: one yield per comparison.
    let mut st2 = new_state();
    let n = run(
        &mut st2,
        "local n = 0 local t = {5, 2, 8, 1, 9, 3} \
         table.sort(t, function(a, b) n = n + 1 return a < b end) return tostring(n)",
    );
    assert_eq!(got, format!("done 1 2 3 5 8 9 after {n} {n}"));
}

#[test]
fn sort_lt_metamethod_may_yield() {
    let mut st = new_state();
    let got = run(
        &mut st,
        r#"
        local mt = {__lt = function(a, b) coroutine.yield() return a.v < b.v end}
        local co = coroutine.create(function()
          local t = {} for i = 1, 20 do t[i] = setmetatable({v = (i * 7) % 20}, mt) end
          table.sort(t)
          local o = {} for i = 1, 20 do o[i] = t[i].v end
          return table.concat(o, " ")
        end)
        local ok, r = coroutine.resume(co)
        while coroutine.status(co) ~= "dead" do ok, r = coroutine.resume(co) end
        return P(ok, r)
        "#,
    );
    assert_eq!(
        got,
        "true 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19"
    );
}

#[test]
fn sort_yield_inside_pcall() {
    let mut st = new_state();
    let got = run(
        &mut st,
        r#"
        local co = coroutine.wrap(function()
          local t = {3, 1, 2}
          local ok = pcall(table.sort, t, function(a, b) coroutine.yield("y") return a < b end)
          return P(ok, table.concat(t, ","))
        end)
        local out = {}
        repeat local v = co() out[#out + 1] = v until v ~= "y"
        return P(#out, out[#out])
        "#,
    );
    // Two comparisons (median of three suffices), so two yields before the result.
    assert_eq!(got, "3 true 1,2,3");
}

#[test]
fn sort_error_after_yield_propagates() {
    let mut st = new_state();
    let got = run(
        &mut st,
        r#"
        local co = coroutine.create(function()
          table.sort({3, 2, 1}, function(a, b) coroutine.yield() error("late") end)
        end)
        coroutine.resume(co)
        return P(coroutine.resume(co))
        "#,
    );
    assert_eq!(got, "false test:4: late");
}

#[test]
fn sort_charges_budget() {
    let mut st = new_state();
    st.budget = 1_000_000_000;
    run(
        &mut st,
        "local t = {} for i = 1, 1000 do t[i] = (i * 7919) % 1000 end table.sort(t) return 'x'",
    );
    assert!(
        st.budget < 1_000_000_000 - 5_000,
        "sort charged too little: {}",
        st.budget
    );
}

#[test]
fn large_sorts_are_ordered() {
    let mut st = new_state();
    let got = run(
        &mut st,
        r#"
        math.randomseed(1)
        local t, s = {}, {}
        for i = 1, 5000 do t[i] = math.random() s[i] = tostring(math.random(1, 1e6)) end
        table.sort(t) table.sort(s)
        for i = 2, 5000 do
          if t[i - 1] > t[i] or s[i - 1] > s[i] then return "unordered at " .. i end
        end
        return "ok"
        "#,
    );
    assert_eq!(got, "ok");
}
