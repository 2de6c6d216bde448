//! `json.decode`: JSON text (RFC 8259) to a Lua value, built directly as Lua tables and
//! strings by a byte-level parser on an explicit stack.
//!
//! - Objects become tables (duplicate keys: the last wins), arrays become tables marked
//!   with `json.array_mt` (so an empty one encodes back as `[]`), `null` is `json.null`,
//!   numbers are Lua numbers (doubles, correctly rounded), strings are Lua strings with
//!   their escapes decoded (`\uXXXX` surrogate pairs to one UTF-8 sequence; a lone
//!   surrogate is an error).
//! - Strict: the input must be UTF-8; no comments, trailing commas, leading zeros,
//!   NaN/Infinity, single quotes or control characters inside strings; nothing but
//!   white space after the value.
//! - Errors are Lua errors naming the 1-based byte where the text stops making sense:
//!   `json.decode: expected value at byte 17`.
//! - Nesting deeper than `max_depth` arrays and objects is an error, found before any
//!   table of that level is made; the stack is a `Vec` (a frame per open level).

use super::{array_marker, max_depth, null_addr, Meter};
use cube_lua::host::{Args, Cx, HostResult, Ret, TableRef, Val};

/// Heap bytes reserved for each table made (its header and first slots).
const TABLE_BYTES: usize = 64;
/// Heap bytes reserved for each item stored in a table (a slot, or a node).
const SLOT_BYTES: usize = 32;
/// Heap bytes reserved for a string besides its bytes.
const STRING_BYTES: usize = 32;

/// An array or object being filled.
enum Frame<'n> {
    Array {
        t: TableRef<'n>,
        n: i64,
    },
    /// An object and the key whose value comes next.
    Object {
        t: TableRef<'n>,
        key: Val<'n>,
    },
}

pub(super) fn decode<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let s = cx.check_str(a, 1)?;
    let max_depth = max_depth(cx, a)?;
    let text = s.as_bytes();
    // The size is known: charge the scan before doing it (a reduction limit stops the
    // process here, before the work).
    cx.charge_bytes(text.len())?;
    let mut d = Decoder {
        s: text,
        pos: 0,
        meter: Meter::new(),
        marker: array_marker(cx),
        max_depth,
        scratch: Vec::new(),
    };
    if let Err(e) = std::str::from_utf8(text) {
        return Err(d.error_at(cx, "invalid UTF-8", e.valid_up_to()));
    }
    let v = d.run(cx)?;
    d.meter.flush(cx)?;
    cx.push(v);
    Ok(Ret::Values(1))
}

struct Decoder<'n> {
    s: &'n [u8],
    pos: usize,
    meter: Meter,
    marker: Option<TableRef<'n>>,
    max_depth: usize,
    /// The bytes of a string with escapes, reused.
    scratch: Vec<u8>,
}

impl<'n> Decoder<'n> {
    fn error_at(&self, cx: &mut Cx<'n>, what: &str, pos: usize) -> Val<'n> {
        let msg = if pos >= self.s.len() {
            format!("json.decode: {what} at byte {} (end of input)", pos + 1)
        } else {
            format!("json.decode: {what} at byte {}", pos + 1)
        };
        cx.rt_error(&msg)
    }

    fn error(&self, cx: &mut Cx<'n>, what: &str) -> Val<'n> {
        self.error_at(cx, what, self.pos)
    }

    #[inline]
    fn peek(&self) -> u8 {
        self.s.get(self.pos).copied().unwrap_or(0)
    }

    #[inline]
    fn skip_ws(&mut self) {
        while let Some(&b) = self.s.get(self.pos) {
            if !matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                break;
            }
            self.pos += 1;
        }
    }

    fn run(&mut self, cx: &mut Cx<'n>) -> HostResult<'n, Val<'n>> {
        let mut stack: Vec<Frame<'n>> = Vec::new();
        'value: loop {
            self.skip_ws();
            self.meter.tick(cx, 1)?;
            let mut v = match self.peek() {
                b'{' | b'[' => {
                    let array = self.peek() == b'[';
                    if stack.len() >= self.max_depth {
                        let msg = format!("nested deeper than {} levels", self.max_depth);
                        return Err(self.error(cx, &msg));
                    }
                    self.pos += 1;
                    cx.reserve(TABLE_BYTES)?;
                    let t = cx.new_table();
                    if array {
                        cx.set_table_meta(t, self.marker);
                    }
                    self.skip_ws();
                    let close = if array { b']' } else { b'}' };
                    if self.peek() == close {
                        self.pos += 1;
                        Val::Table(t)
                    } else if array {
                        stack.push(Frame::Array { t, n: 0 });
                        continue 'value;
                    } else {
                        let key = self.key(cx)?;
                        stack.push(Frame::Object { t, key });
                        continue 'value;
                    }
                }
                b'"' => self.string(cx)?,
                b'-' | b'0'..=b'9' => Val::Num(self.number(cx)?),
                b't' => self.literal(cx, b"true", Val::Bool(true))?,
                b'f' => self.literal(cx, b"false", Val::Bool(false))?,
                b'n' => self.literal(cx, b"null", Val::LightUserData(null_addr()))?,
                _ => return Err(self.error(cx, "expected value")),
            };
            // Store v in the enclosing table; close every table that ends after it.
            loop {
                let Some(top) = stack.last_mut() else {
                    self.skip_ws();
                    if self.pos < self.s.len() {
                        return Err(self.error(cx, "unexpected text after the value"));
                    }
                    return Ok(v);
                };
                cx.reserve(SLOT_BYTES)?;
                match top {
                    Frame::Array { t, n } => {
                        *n += 1;
                        cx.raw_set_int(*t, *n, v);
                        self.skip_ws();
                        match self.peek() {
                            b',' => {
                                self.pos += 1;
                                continue 'value;
                            }
                            b']' => {
                                self.pos += 1;
                                v = Val::Table(*t);
                                stack.pop();
                            }
                            _ => return Err(self.error(cx, "expected ',' or ']'")),
                        }
                    }
                    Frame::Object { t, key } => {
                        // The key is a string: the store cannot fail.
                        let _ = cx.raw_set(*t, *key, v);
                        self.skip_ws();
                        match self.peek() {
                            b',' => {
                                self.pos += 1;
                                *key = self.key(cx)?;
                                continue 'value;
                            }
                            b'}' => {
                                self.pos += 1;
                                v = Val::Table(*t);
                                stack.pop();
                            }
                            _ => return Err(self.error(cx, "expected ',' or '}'")),
                        }
                    }
                }
            }
        }
    }

    /// An object's key and its colon.
    fn key(&mut self, cx: &mut Cx<'n>) -> HostResult<'n, Val<'n>> {
        self.skip_ws();
        if self.peek() != b'"' {
            return Err(self.error(cx, "expected string key"));
        }
        let k = self.string(cx)?;
        self.skip_ws();
        if self.peek() != b':' {
            return Err(self.error(cx, "expected ':'"));
        }
        self.pos += 1;
        Ok(k)
    }

    fn literal(&mut self, cx: &mut Cx<'n>, word: &[u8], v: Val<'n>) -> HostResult<'n, Val<'n>> {
        if self.s[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(v)
        } else {
            Err(self.error(cx, "expected value"))
        }
    }

    /// A number (at `-` or a digit), by JSON's grammar.
    fn number(&mut self, cx: &mut Cx<'n>) -> HostResult<'n, f64> {
        let s = self.s;
        let start = self.pos;
        let mut i = start;
        let neg = s[i] == b'-';
        if neg {
            i += 1;
        }
        let int_start = i;
        match s.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => {
                while matches!(s.get(i), Some(b'0'..=b'9')) {
                    i += 1;
                }
            }
            _ => return Err(self.error_at(cx, "expected digit", i)),
        }
        let int_end = i;
        let mut simple = true;
        if s.get(i) == Some(&b'.') {
            i += 1;
            if !matches!(s.get(i), Some(b'0'..=b'9')) {
                return Err(self.error_at(cx, "expected digit", i));
            }
            while matches!(s.get(i), Some(b'0'..=b'9')) {
                i += 1;
            }
            simple = false;
        }
        if matches!(s.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(s.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            if !matches!(s.get(i), Some(b'0'..=b'9')) {
                return Err(self.error_at(cx, "expected digit", i));
            }
            while matches!(s.get(i), Some(b'0'..=b'9')) {
                i += 1;
            }
            simple = false;
        }
        self.pos = i;
        // Up to 15 digits is below 2^53: exact as an integer, no float parsing needed.
        if simple && int_end - int_start <= 15 {
            let mut n: u64 = 0;
            for &b in &s[int_start..int_end] {
                n = n * 10 + u64::from(b - b'0');
            }
            let x = n as f64;
            return Ok(if neg { -x } else { x });
        }
        // ASCII by the grammar above; Rust's parser rounds correctly (and gives
        // infinity for a magnitude beyond the doubles, as strtod).
        let text = std::str::from_utf8(&s[start..i]).unwrap_or("0");
        Ok(text.parse::<f64>().unwrap_or(0.0))
    }

    /// A string (at its opening quote).
    fn string(&mut self, cx: &mut Cx<'n>) -> HostResult<'n, Val<'n>> {
        let s = self.s;
        let start = self.pos + 1;
        let mut i = start;
        // The common case: no escapes, one copy into the heap.
        loop {
            match s.get(i) {
                None => return Err(self.error_at(cx, "unterminated string", i)),
                Some(b'"') => {
                    let bytes = &s[start..i];
                    self.pos = i + 1;
                    cx.reserve(bytes.len() + STRING_BYTES)?;
                    self.meter.tick(cx, (bytes.len() / 64) as u64)?;
                    return Ok(cx.new_str(bytes));
                }
                Some(b'\\') => break,
                Some(&b) if b < 0x20 => {
                    return Err(self.error_at(cx, "control character in string", i))
                }
                Some(_) => i += 1,
            }
        }
        let mut out = std::mem::take(&mut self.scratch);
        out.clear();
        out.extend_from_slice(&s[start..i]);
        let r = self.escaped(cx, &mut out, i);
        let r = r.and_then(|()| {
            cx.reserve(out.len() + STRING_BYTES)?;
            self.meter.tick(cx, (out.len() / 64) as u64)?;
            Ok(cx.new_str(&out))
        });
        self.scratch = out;
        r
    }

    /// The rest of a string from `i` (at a backslash), into `out`.
    fn escaped(&mut self, cx: &mut Cx<'n>, out: &mut Vec<u8>, mut i: usize) -> HostResult<'n, ()> {
        let s = self.s;
        loop {
            let run = i;
            while let Some(&b) = s.get(i) {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                i += 1;
            }
            out.extend_from_slice(&s[run..i]);
            match s.get(i) {
                None => return Err(self.error_at(cx, "unterminated string", i)),
                Some(b'"') => {
                    self.pos = i + 1;
                    return Ok(());
                }
                Some(b'\\') => {}
                Some(_) => return Err(self.error_at(cx, "control character in string", i)),
            }
            let esc = i;
            let c = match s.get(i + 1) {
                Some(b'"') => b'"',
                Some(b'\\') => b'\\',
                Some(b'/') => b'/',
                Some(b'b') => 0x08,
                Some(b'f') => 0x0c,
                Some(b'n') => b'\n',
                Some(b'r') => b'\r',
                Some(b't') => b'\t',
                Some(b'u') => {
                    let hi = self.hex4(cx, i + 2)?;
                    i += 6;
                    let cp = match hi {
                        0xD800..=0xDBFF => {
                            if s.get(i) != Some(&b'\\') || s.get(i + 1) != Some(&b'u') {
                                return Err(self.error_at(cx, "lone surrogate", esc));
                            }
                            let lo = self.hex4(cx, i + 2)?;
                            if !(0xDC00..=0xDFFF).contains(&lo) {
                                return Err(self.error_at(cx, "lone surrogate", esc));
                            }
                            i += 6;
                            0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                        }
                        0xDC00..=0xDFFF => return Err(self.error_at(cx, "lone surrogate", esc)),
                        _ => hi,
                    };
                    // Not a surrogate, so a char.
                    let ch = char::from_u32(cp).unwrap_or('\u{FFFD}');
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                    continue;
                }
                _ => return Err(self.error_at(cx, "bad escape", esc)),
            };
            out.push(c);
            i += 2;
        }
    }

    /// The four hex digits at `i`.
    fn hex4(&self, cx: &mut Cx<'n>, i: usize) -> HostResult<'n, u32> {
        let mut v = 0u32;
        for k in 0..4 {
            let d = match self.s.get(i + k) {
                Some(&b @ b'0'..=b'9') => b - b'0',
                Some(&b @ b'a'..=b'f') => b - b'a' + 10,
                Some(&b @ b'A'..=b'F') => b - b'A' + 10,
                _ => return Err(self.error_at(cx, "bad \\u escape", i + k)),
            };
            v = v * 16 + u32::from(d);
        }
        Ok(v)
    }
}
