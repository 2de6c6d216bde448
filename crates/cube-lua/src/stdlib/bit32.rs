//! The `bit32` library (Lua 5.2's `lbitlib.c`), plus the C number conversions that
//! 5.2's library functions apply to their arguments on x86-64 Linux.
//!
//! Every argument goes through `luaL_checkunsigned`, which on this platform is the IEEE
//! "add 2^52 + 2^51" trick: the number is rounded to nearest (ties to even) and reduced
//! modulo 2^32. `luaL_checkint` truncates to a 64-bit integer (a C cast) and then keeps the
//! low 32 bits. Both are reproduced bit for bit so results match `lua5.2` for negative,
//! fractional and huge inputs too.

use crate::state::{Args, LResult, Ret, State};
use crate::value::Value;

/// Number of bits in a `bit32` value.
const NBITS: i64 = 32;

pub fn open(st: &mut State) {
    let t = super::new_lib(st, "bit32");
    st.register(
        t,
        &[
            ("arshift", arshift),
            ("band", band),
            ("bnot", bnot),
            ("bor", bor),
            ("btest", btest),
            ("bxor", bxor),
            ("extract", extract),
            ("lrotate", lrotate),
            ("lshift", lshift),
            ("replace", replace),
            ("rrotate", rrotate),
            ("rshift", rshift),
        ],
    );
}

// ----- C conversions shared by the 5.2 libraries -----

/// `(lua_Integer)x` as x86-64 computes it: truncation toward zero, and the "integer
/// indefinite" value `i64::MIN` for NaN and out-of-range inputs (Rust's `as` saturates).
pub(crate) fn c_integer(x: f64) -> i64 {
    const LIMIT: f64 = 9_223_372_036_854_775_808.0; // 2^63
    if x.is_nan() || !(-LIMIT..LIMIT).contains(&x) {
        i64::MIN
    } else {
        x as i64
    }
}

/// `(int)(lua_Integer)x`: what `luaL_checkint` yields for a number.
pub(crate) fn c_int(x: f64) -> i64 {
    c_integer(x) as i32 as i64
}

/// `lua_number2unsigned` with the IEEE trick: round to nearest even, keep the low 32 bits.
pub(crate) fn c_unsigned(x: f64) -> u32 {
    (x + 6_755_399_441_055_744.0).to_bits() as u32
}

impl State {
    /// `luaL_checkint`.
    pub(crate) fn check_int(&mut self, a: Args, n: usize) -> LResult<i64> {
        Ok(c_int(self.check_number(a, n)?))
    }

    /// `luaL_optint`.
    pub(crate) fn opt_int(&mut self, a: Args, n: usize, default: i64) -> LResult<i64> {
        if self.arg(a, n).is_nil() {
            Ok(default)
        } else {
            self.check_int(a, n)
        }
    }

    /// `luaL_checkunsigned`.
    pub(crate) fn check_unsigned(&mut self, a: Args, n: usize) -> LResult<u32> {
        Ok(c_unsigned(self.check_number(a, n)?))
    }
}

fn push_u32(st: &mut State, r: u32) -> LResult<Ret> {
    st.push(Value::Num(r as f64));
    Ok(Ret::Values(1))
}

/// Folds every argument with `op`, starting from `init`.
fn fold(st: &mut State, a: Args, init: u32, op: fn(u32, u32) -> u32) -> LResult<u32> {
    let mut r = init;
    for i in 1..=a.len {
        r = op(r, st.check_unsigned(a, i)?);
    }
    Ok(r)
}

fn band(st: &mut State, a: Args) -> LResult<Ret> {
    let r = fold(st, a, u32::MAX, |x, y| x & y)?;
    push_u32(st, r)
}

fn btest(st: &mut State, a: Args) -> LResult<Ret> {
    let r = fold(st, a, u32::MAX, |x, y| x & y)?;
    st.push(Value::Bool(r != 0));
    Ok(Ret::Values(1))
}

fn bor(st: &mut State, a: Args) -> LResult<Ret> {
    let r = fold(st, a, 0, |x, y| x | y)?;
    push_u32(st, r)
}

fn bxor(st: &mut State, a: Args) -> LResult<Ret> {
    let r = fold(st, a, 0, |x, y| x ^ y)?;
    push_u32(st, r)
}

fn bnot(st: &mut State, a: Args) -> LResult<Ret> {
    let r = !st.check_unsigned(a, 1)?;
    push_u32(st, r)
}

/// `b_shift`: negative `i` shifts right; shifts of 32 or more give 0.
fn shift(r: u32, i: i64) -> u32 {
    if i < 0 {
        let i = i.unsigned_abs();
        if i >= NBITS as u64 {
            0
        } else {
            r >> i
        }
    } else if i >= NBITS {
        0
    } else {
        r << i
    }
}

fn lshift(st: &mut State, a: Args) -> LResult<Ret> {
    let r = st.check_unsigned(a, 1)?;
    let i = st.check_int(a, 2)?;
    push_u32(st, shift(r, i))
}

fn rshift(st: &mut State, a: Args) -> LResult<Ret> {
    let r = st.check_unsigned(a, 1)?;
    let i = st.check_int(a, 2)?;
    push_u32(st, shift(r, -i))
}

fn arshift(st: &mut State, a: Args) -> LResult<Ret> {
    let r = st.check_unsigned(a, 1)?;
    let i = st.check_int(a, 2)?;
    if i < 0 || r & 0x8000_0000 == 0 {
        return push_u32(st, shift(r, -i));
    }
    let r = if i >= NBITS {
        u32::MAX
    } else {
        ((r as i32) >> i) as u32
    };
    push_u32(st, r)
}

/// `b_rot`: the count is taken modulo 32 (two's complement, as C's `i & 31`).
fn rotate(st: &mut State, a: Args, negate: bool) -> LResult<Ret> {
    let r = st.check_unsigned(a, 1)?;
    let i = st.check_int(a, 2)?;
    let i = if negate { i.wrapping_neg() } else { i };
    push_u32(st, r.rotate_left((i & (NBITS - 1)) as u32))
}

fn lrotate(st: &mut State, a: Args) -> LResult<Ret> {
    rotate(st, a, false)
}

fn rrotate(st: &mut State, a: Args) -> LResult<Ret> {
    rotate(st, a, true)
}

/// `fieldargs`: the field position at `farg` and its width at `farg + 1` (default 1).
fn field_args(st: &mut State, a: Args, farg: usize) -> LResult<(u32, u32)> {
    let f = st.check_int(a, farg)?;
    let w = st.opt_int(a, farg + 1, 1)?;
    if f < 0 {
        return Err(st.arg_error(farg, "field cannot be negative"));
    }
    if w <= 0 {
        return Err(st.arg_error(farg + 1, "width must be positive"));
    }
    if f + w > NBITS {
        return Err(st.rt_error("trying to access non-existent bits"));
    }
    Ok((f as u32, w as u32))
}

/// The low `w` bits set (1 <= w <= 32).
fn mask(w: u32) -> u32 {
    u32::MAX >> (32 - w)
}

fn extract(st: &mut State, a: Args) -> LResult<Ret> {
    let r = st.check_unsigned(a, 1)?;
    let (f, w) = field_args(st, a, 2)?;
    push_u32(st, (r >> f) & mask(w))
}

fn replace(st: &mut State, a: Args) -> LResult<Ret> {
    let r = st.check_unsigned(a, 1)?;
    let v = st.check_unsigned(a, 2)?;
    let (f, w) = field_args(st, a, 3)?;
    let m = mask(w);
    push_u32(st, (r & !(m << f)) | ((v & m) << f))
}
