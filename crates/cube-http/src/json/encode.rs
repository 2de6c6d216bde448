//! `json.encode`: a Lua value to JSON text.
//!
//! - A table whose keys are exactly `1..n` (n >= 1) is an array; a table marked with
//!   `json.array_mt` is an array of its items `1..#t` (other keys ignored, as lua-cjson's
//!   `array_mt`), `[]` when empty; every other table is an object, `{}` when empty.
//!   Object keys are strings, or numbers written as JSON numbers in quotes (`{"1":..}`,
//!   as lua-cjson); any other key is an error. Objects come out in `next` order.
//! - Numbers: integral values below 2^53 in magnitude as integers (`3`, `-0`), others in
//!   the shortest form that reads back to the same double (`0.1`, `1e+300` is written
//!   `1e300`); NaN and infinities are an error (JSON has no words for them).
//! - Strings: `"` `\` and control characters escaped (`\n`, `\t`... or `\u00XX`), valid
//!   UTF-8 passed through; a string that is not UTF-8 is an error (the output is always
//!   JSON, which is UTF-8 text: binary data must be encoded by the program first).
//! - `json.null` is `null`, `json.empty_array` is `[]`; functions, userdata, threads
//!   and other light userdata are an error.
//! - Depth: more than `max_depth` nested tables is an error ("cycle or depth"), which is
//!   also what a table that contains itself gives.

use super::{array_marker, empty_array_addr, max_depth, null_addr, Meter};
use cube_lua::host::{Args, Cx, HostResult, Ret, TableRef, Val};

/// Output bytes between two checks of the output buffer against the heap limit.
const RESERVE_STEP: usize = 64 * 1024;

/// A table being written, on the explicit stack.
enum Frame<'n> {
    /// An array: the next index and the last one.
    Array { t: TableRef<'n>, i: i64, n: i64 },
    /// An object: the last key written (nil before the first).
    Object { t: TableRef<'n>, key: Val<'n> },
}

pub(super) fn encode<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let depth = max_depth(cx, a)?;
    let v = cx.arg(a, 1);
    if a.len == 0 {
        return Err(cx.arg_error(1, "value expected"));
    }
    let mut enc = Encoder {
        out: Vec::new(),
        reserved: 0,
        meter: Meter::new(),
        marker: array_marker(cx),
        max_depth: depth,
    };
    enc.run(cx, v)?;
    enc.meter.tick(
        cx,
        (enc.out.len() / cube_lua::state::BYTES_PER_REDUCTION) as u64,
    )?;
    enc.meter.flush(cx)?;
    cx.reserve(enc.out.len())?;
    let s = cx.new_string(enc.out);
    cx.push(s);
    Ok(Ret::Values(1))
}

struct Encoder<'n> {
    out: Vec<u8>,
    /// Output length last checked against the heap limit.
    reserved: usize,
    meter: Meter,
    marker: Option<TableRef<'n>>,
    max_depth: usize,
}

impl<'n> Encoder<'n> {
    fn error(&self, cx: &mut Cx<'n>, msg: &str) -> Val<'n> {
        cx.rt_error(&format!("json.encode: {msg}"))
    }

    fn run(&mut self, cx: &mut Cx<'n>, v: Val<'n>) -> HostResult<'n, ()> {
        let mut stack: Vec<Frame<'n>> = Vec::new();
        if let Some(f) = self.value(cx, v, 0)? {
            stack.push(f);
        }
        while let Some(top) = stack.last_mut() {
            // The next item of the innermost table, or None when it is done.
            let item = match top {
                Frame::Array { t, i, n } => {
                    if *i > *n {
                        None
                    } else {
                        if *i > 1 {
                            self.out.push(b',');
                        }
                        let v = cx.raw_get_int(*t, *i);
                        *i += 1;
                        Some(v)
                    }
                }
                Frame::Object { t, key } => match cx.next(*t, *key) {
                    None => None,
                    Some((k, v)) => {
                        if !key.is_nil() {
                            self.out.push(b',');
                        }
                        *key = k;
                        self.key(cx, k)?;
                        self.out.push(b':');
                        Some(v)
                    }
                },
            };
            match item {
                Some(v) => {
                    let depth = stack.len();
                    if let Some(f) = self.value(cx, v, depth)? {
                        stack.push(f);
                    }
                }
                None => {
                    let close = match stack.pop() {
                        Some(Frame::Array { .. }) => b']',
                        _ => b'}',
                    };
                    self.out.push(close);
                }
            }
        }
        Ok(())
    }

    /// Writes a scalar, or opens a table and returns its frame (`depth` tables enclose
    /// `v`).
    fn value(
        &mut self,
        cx: &mut Cx<'n>,
        v: Val<'n>,
        depth: usize,
    ) -> HostResult<'n, Option<Frame<'n>>> {
        self.meter.tick(cx, 1)?;
        if self.out.len() >= self.reserved + RESERVE_STEP {
            // The buffer lives outside the Lua heap: count it before it grows further.
            cx.reserve(self.out.len())?;
            self.reserved = self.out.len();
        }
        match v {
            Val::Nil => self.out.extend_from_slice(b"null"),
            Val::Bool(true) => self.out.extend_from_slice(b"true"),
            Val::Bool(false) => self.out.extend_from_slice(b"false"),
            Val::Num(n) => self.number(cx, n)?,
            Val::Str(s) => {
                let bytes = s.as_bytes();
                self.meter.tick(
                    cx,
                    (bytes.len() / cube_lua::state::BYTES_PER_REDUCTION) as u64,
                )?;
                if let Err(at) = write_string(&mut self.out, bytes) {
                    return Err(
                        self.error(cx, &format!("invalid UTF-8 in string at byte {}", at + 1))
                    );
                }
            }
            Val::LightUserData(p) if p == null_addr() => self.out.extend_from_slice(b"null"),
            Val::LightUserData(p) if p == empty_array_addr() => self.out.extend_from_slice(b"[]"),
            Val::Table(t) => {
                if depth >= self.max_depth {
                    let msg = format!("nested deeper than {} tables (a cycle?)", self.max_depth);
                    return Err(self.error(cx, &msg));
                }
                return self.open(cx, t).map(Some);
            }
            other => {
                let msg = format!("cannot encode a {}", other.type_name());
                return Err(self.error(cx, &msg));
            }
        }
        Ok(None)
    }

    /// Opens table `t`: `[` or `{`, and its frame.
    fn open(&mut self, cx: &mut Cx<'n>, t: TableRef<'n>) -> HostResult<'n, Frame<'n>> {
        let marked = match (cx.metatable(Val::Table(t)), self.marker) {
            (Some(mt), Some(m)) => mt.ptr_eq(m),
            _ => false,
        };
        let n = if marked {
            Some(cx.raw_len(t))
        } else {
            self.array_len(cx, t)?
        };
        Ok(match n {
            Some(n) => {
                self.out.push(b'[');
                Frame::Array {
                    t,
                    i: 1,
                    n: n as i64,
                }
            }
            None => {
                self.out.push(b'{');
                Frame::Object { t, key: Val::Nil }
            }
        })
    }

    /// `Some(n)` if the keys of `t` are exactly `1..n` with n >= 1.
    fn array_len(&mut self, cx: &mut Cx<'n>, t: TableRef<'n>) -> HostResult<'n, Option<usize>> {
        let n = cx.raw_len(t);
        if n == 0 {
            return Ok(None);
        }
        // The border n says t[n] is set and t[n+1] is not; the keys are exactly 1..n
        // when there are n of them and all are integers from 1 to n.
        let mut count = 0usize;
        let mut k = Val::Nil;
        while let Some((key, _)) = cx.next(t, k) {
            match key {
                Val::Num(x) if x >= 1.0 && x <= n as f64 && x.fract() == 0.0 => count += 1,
                _ => return Ok(None),
            }
            k = key;
        }
        self.meter.tick(cx, (count / 8) as u64)?;
        Ok((count == n).then_some(n))
    }

    fn key(&mut self, cx: &mut Cx<'n>, k: Val<'n>) -> HostResult<'n, ()> {
        match k {
            Val::Str(s) => {
                if let Err(at) = write_string(&mut self.out, s.as_bytes()) {
                    return Err(self.error(cx, &format!("invalid UTF-8 in key at byte {}", at + 1)));
                }
            }
            Val::Num(n) => {
                self.out.push(b'"');
                self.number(cx, n)?;
                self.out.push(b'"');
            }
            other => {
                let msg = format!("cannot encode a key of type {}", other.type_name());
                return Err(self.error(cx, &msg));
            }
        }
        Ok(())
    }

    fn number(&mut self, cx: &mut Cx<'n>, n: f64) -> HostResult<'n, ()> {
        if !write_number(&mut self.out, n) {
            let what = if n.is_nan() { "NaN" } else { "an infinity" };
            return Err(self.error(cx, &format!("cannot encode {what}")));
        }
        Ok(())
    }
}

/// Writes `n` as a JSON number; false for NaN and infinities.
pub(crate) fn write_number(out: &mut Vec<u8>, n: f64) -> bool {
    use std::io::Write;
    if !n.is_finite() {
        return false;
    }
    if n.fract() == 0.0 && n.abs() < 9_007_199_254_740_992.0 {
        if n == 0.0 && n.is_sign_negative() {
            out.extend_from_slice(b"-0");
        } else {
            let _ = write!(out, "{}", n as i64);
        }
    } else {
        // Rust's `Debug` for f64 is the shortest text that reads back to the same
        // double, with an exponent (`1e300`, `1.5e-7`) when it is very large or small:
        // always a valid JSON number once the integral case above is taken out.
        let start = out.len();
        let _ = write!(out, "{n:?}");
        // Integral doubles from 2^53 up to 1e16 come as `9007199254740992.0`.
        if out[start..].ends_with(b".0") {
            out.truncate(out.len() - 2);
        }
    }
    true
}

/// What each byte below 0x80 needs in a JSON string: 0 nothing, `u` a `\u00XX` escape,
/// another byte a two-character escape.
static ESCAPE: [u8; 128] = {
    let mut t = [0u8; 128];
    let mut i = 0;
    while i < 0x20 {
        t[i] = b'u';
        i += 1;
    }
    t[0x08] = b'b';
    t[0x09] = b't';
    t[0x0a] = b'n';
    t[0x0c] = b'f';
    t[0x0d] = b'r';
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t[0x7f] = 0;
    t
};

/// Writes `s` as a JSON string; `Err(index)` of the first byte that is not UTF-8.
pub(crate) fn write_string(out: &mut Vec<u8>, s: &[u8]) -> Result<(), usize> {
    if let Err(e) = std::str::from_utf8(s) {
        return Err(e.valid_up_to());
    }
    out.reserve(s.len() + 2);
    out.push(b'"');
    let mut start = 0;
    for (i, &b) in s.iter().enumerate() {
        if b >= 0x80 {
            continue;
        }
        let e = ESCAPE[b as usize];
        if e == 0 {
            continue;
        }
        out.extend_from_slice(&s[start..i]);
        if e == b'u' {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[(b >> 4) as usize],
                HEX[(b & 15) as usize],
            ]);
        } else {
            out.extend_from_slice(&[b'\\', e]);
        }
        start = i + 1;
    }
    out.extend_from_slice(&s[start..]);
    out.push(b'"');
    Ok(())
}
