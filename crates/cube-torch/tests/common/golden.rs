//! The golden files' notation (written by scripts/regen-torch-goldens and
//! scripts/regen-torch-nn-goldens with numpy) and the runner of their cases.

use std::collections::BTreeMap;

/// A value as the goldens write it: `number X` or `tensor DIMS V...`.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Number(f64),
    Tensor(Vec<usize>, Vec<f64>),
}

pub fn parse_num(s: &str) -> f64 {
    match s {
        "nan" | "-nan" => f64::NAN,
        "inf" => f64::INFINITY,
        "-inf" => f64::NEG_INFINITY,
        _ => s.parse().unwrap_or_else(|_| panic!("bad number {s:?}")),
    }
}

pub fn parse_tensor(s: &str) -> (Vec<usize>, Vec<f64>) {
    let mut parts = s.split_whitespace();
    let dims = parts.next().expect("dims");
    let dims = dims.split('x').map(|d| d.parse().expect("dim")).collect();
    (dims, parts.map(parse_num).collect())
}

pub fn parse_value(line: &str) -> Value {
    if let Some(n) = line.strip_prefix("number ") {
        Value::Number(parse_num(n.trim()))
    } else if let Some(t) = line.strip_prefix("tensor ") {
        let (d, v) = parse_tensor(t);
        Value::Tensor(d, v)
    } else {
        panic!("bad value line {line:?}")
    }
}

/// Lua that builds an input tensor exactly (numbers written with 17 digits).
pub fn lua_tensor(dims: &[usize], values: &[f64]) -> String {
    let vals: Vec<String> = values.iter().map(|v| lua_number(*v)).collect();
    let dims: Vec<String> = dims.iter().map(|d| d.to_string()).collect();
    format!(
        "torch.Tensor({{{}}}):view({})",
        vals.join(", "),
        dims.join(", ")
    )
}

pub fn lua_number(v: f64) -> String {
    if v.is_nan() {
        // A positive NaN, as numpy's (0/0 is a negative one on x86).
        "math.abs(0/0)".into()
    } else if v.is_infinite() {
        if v > 0.0 {
            "math.huge".into()
        } else {
            "(-math.huge)".into()
        }
    } else {
        format!("{v:?}")
    }
}

/// Lua that returns a value in the goldens' notation.
pub const DUMP: &str = r#"
local function dump(r)
  if type(r) == 'number' then return 'number ' .. string.format('%.17g', r) end
  local flat = r:contiguous():view(r:nElement())
  local parts = {}
  for i = 1, flat:nElement() do parts[i] = string.format('%.17g', flat[i]) end
  return 'tensor ' .. table.concat(r:size():totable(), 'x') .. ' ' .. table.concat(parts, ' ')
end
"#;

pub fn close(got: f64, want: f64, tol: f64) -> bool {
    if want.is_nan() {
        return got.is_nan();
    }
    if want.is_infinite() {
        return got == want;
    }
    (got - want).abs() <= tol * want.abs().max(1.0)
}

pub fn matches(got: &Value, want: &Value, tol: f64) -> bool {
    match (got, want) {
        (Value::Number(g), Value::Number(w)) => close(*g, *w, tol),
        (Value::Tensor(gd, gv), Value::Tensor(wd, wv)) => {
            gd == wd && gv.len() == wv.len() && gv.iter().zip(wv).all(|(g, w)| close(*g, *w, tol))
        }
        _ => false,
    }
}

/// Runs every case of a golden file (`input NAME DIMS V...` lines, `prelude LUA`
/// lines of Lua run before each case, and `case NAME` / `lua EXPR` / value triples)
/// through cube and compares with the recorded result within `tol(name)`. Fails
/// listing every differing case; `min_cases` guards against a truncated file.
pub fn check_cases(text: &str, min_cases: usize, tol: impl Fn(&str) -> f64) {
    let mut inputs = BTreeMap::new();
    let mut cases = Vec::new();
    let mut extra = String::new();
    let mut lines = text.lines().filter(|l| !l.starts_with('#'));
    while let Some(line) = lines.next() {
        if let Some(rest) = line.strip_prefix("input ") {
            let (name, t) = rest.split_once(' ').expect("input name");
            inputs.insert(name.to_string(), parse_tensor(t));
        } else if let Some(lua) = line.strip_prefix("prelude ") {
            extra.push_str(lua);
            extra.push('\n');
        } else if let Some(name) = line.strip_prefix("case ") {
            let lua = lines
                .next()
                .and_then(|l| l.strip_prefix("lua "))
                .expect("lua line");
            let want = parse_value(lines.next().expect("value line"));
            cases.push((name.to_string(), lua.to_string(), want));
        }
    }
    assert!(cases.len() >= min_cases, "only {} cases", cases.len());
    let mut prelude = String::from(DUMP);
    for (name, (dims, values)) in &inputs {
        prelude.push_str(&format!("local {name} = {}\n", lua_tensor(dims, values)));
    }
    prelude.push_str(&extra);
    let mut st = super::state();
    let mut failures = Vec::new();
    for (name, lua, want) in &cases {
        let tol = tol(name);
        let src = format!("{prelude}\nreturn dump({lua})");
        match super::eval_in(&mut st, &src) {
            Ok(text) => {
                let got = parse_value(&text);
                if !matches(&got, want, tol) {
                    failures.push(format!(
                        "{name}: {lua}\n  cube:  {got:?}\n  numpy: {want:?}"
                    ));
                }
            }
            Err(e) => failures.push(format!("{name}: {lua}\n  error: {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
