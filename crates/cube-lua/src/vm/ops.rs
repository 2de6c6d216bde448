//! The slow paths of the instructions: metamethod dispatch for indexing, arithmetic,
//! comparison, length and concatenation, and the errors they raise.
//!
//! Each function either produces its result directly or starts a metamethod call as a
//! `CallKind::Meta` frame; the instruction is then completed by `finish_op` when that
//! call returns (immediately for a native metamethod, later for a Lua one, possibly after
//! a coroutine switch). This is what keeps metamethods off the Rust stack.

use crate::state::{LResult, State};
use crate::thread::{CallKind, EXTRA_STACK};
use crate::tm::TM;
use crate::value::Value;

/// Where an operand came from, to name it in error messages.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Src {
    Reg(u32),
    Up(u32),
    Other,
}

/// Outcome of a slow path: a value now, or a metamethod call in flight.
pub(crate) enum Got<T> {
    Val(T),
    Called,
}

/// Guard against `__index`/`__newindex` chains that loop (PUC's MAXTAGLOOP).
const MAX_TAG_LOOP: usize = 100;

impl State {
    /// Calls metamethod `f` with `args` on behalf of the running Lua instruction.
    pub(crate) fn call_meta(&mut self, f: Value, args: &[Value]) -> LResult<()> {
        let th = self.cur.get_mut();
        let func = th
            .frames
            .last()
            .map(|fr| if fr.is_lua() { fr.top } else { th.top })
            .unwrap_or(th.top);
        self.call_meta_at(func, f, args)
    }

    /// Calls a metamethod placed at stack slot `func` (concat places it right above its
    /// operands, where `finish_op` expects the result).
    pub(crate) fn call_meta_at(&mut self, func: usize, f: Value, args: &[Value]) -> LResult<()> {
        let th = self.cur.get_mut();
        let need = func + args.len() + 1 + EXTRA_STACK;
        if need > th.stack.len() && th.ensure(need).is_err() {
            return Err(self.stack_overflow_error());
        }
        let th = self.cur.get_mut();
        th.stack[func] = f;
        for (i, a) in args.iter().enumerate() {
            th.stack[func + 1 + i] = *a;
        }
        th.top = func + 1 + args.len();
        self.precall(func, 1, CallKind::Meta)?;
        Ok(())
    }

    /// `t[k]` with `__index`.
    pub(crate) fn index_slow(
        &mut self,
        mut t: Value,
        k: Value,
        mut src: Src,
    ) -> LResult<Got<Value>> {
        for _ in 0..MAX_TAG_LOOP {
            let tm = if let Value::Table(tab) = t {
                let v = tab.get(&k);
                if !v.is_nil() {
                    return Ok(Got::Val(v));
                }
                match self.tm_of(tab.meta, TM::Index) {
                    None => return Ok(Got::Val(Value::Nil)),
                    Some(tm) => tm,
                }
            } else {
                match self.tm_of_value(&t, TM::Index) {
                    None => return Err(self.type_error(&t, src, "index")),
                    Some(tm) => tm,
                }
            };
            if tm.is_function() {
                self.call_meta(tm, &[t, k])?;
                return Ok(Got::Called);
            }
            t = tm;
            // Past the first hop the value no longer comes from a named variable.
            src = Src::Other;
        }
        Err(self.vm_error("loop in gettable"))
    }

    /// `t[k] = v` with `__newindex`. Returns whether the store is complete.
    pub(crate) fn setindex_slow(
        &mut self,
        mut t: Value,
        k: Value,
        v: Value,
        mut src: Src,
    ) -> LResult<Got<()>> {
        for _ in 0..MAX_TAG_LOOP {
            let tm = if let Value::Table(tab) = t {
                let existing = tab.get(&k);
                let tm = if existing.is_nil() {
                    self.tm_of(tab.meta, TM::NewIndex)
                } else {
                    None
                };
                match tm {
                    None => {
                        let tab = self.unshare(tab);
                        if let Err(e) = tab.get_mut().set(k, v) {
                            return Err(self.vm_error(e.message()));
                        }
                        return Ok(Got::Val(()));
                    }
                    Some(tm) => tm,
                }
            } else {
                match self.tm_of_value(&t, TM::NewIndex) {
                    None => return Err(self.type_error(&t, src, "index")),
                    Some(tm) => tm,
                }
            };
            if tm.is_function() {
                self.call_meta(tm, &[t, k, v])?;
                return Ok(Got::Called);
            }
            t = tm;
            src = Src::Other;
        }
        Err(self.vm_error("loop in settable"))
    }

    /// Arithmetic with coercion of numeric strings and the arithmetic metamethods.
    pub(crate) fn arith_slow(
        &mut self,
        op: TM,
        a: Value,
        b: Value,
        sa: Src,
        sb: Src,
    ) -> LResult<Got<Value>> {
        if let (Some(x), Some(y)) = (State::to_num_coerce(&a), State::to_num_coerce(&b)) {
            return Ok(Got::Val(Value::Num(arith_num(op, x, y))));
        }
        let tm = self
            .tm_of_value(&a, op)
            .or_else(|| self.tm_of_value(&b, op));
        match tm {
            Some(tm) => {
                self.call_meta(tm, &[a, b])?;
                Ok(Got::Called)
            }
            None => {
                // Name the operand that is not a number.
                let (bad, src) = if State::to_num_coerce(&a).is_none() {
                    (a, sa)
                } else {
                    (b, sb)
                };
                Err(self.type_error(&bad, src, "perform arithmetic on"))
            }
        }
    }

    /// `#v`.
    pub(crate) fn len_slow(&mut self, v: Value, src: Src) -> LResult<Got<Value>> {
        match v {
            Value::Table(t) => match self.tm_of(t.meta, TM::Len) {
                None => Ok(Got::Val(Value::Num(t.length() as f64))),
                Some(tm) => {
                    self.call_meta(tm, &[v, v])?;
                    Ok(Got::Called)
                }
            },
            Value::Str(s) => Ok(Got::Val(Value::Num(s.len() as f64))),
            _ => match self.tm_of_value(&v, TM::Len) {
                Some(tm) => {
                    self.call_meta(tm, &[v, v])?;
                    Ok(Got::Called)
                }
                None => Err(self.type_error(&v, src, "get length of")),
            },
        }
    }

    /// `a == b` (for values of the same type that are not raw-equal).
    pub(crate) fn equals(&mut self, a: Value, b: Value) -> LResult<Got<bool>> {
        if a.raw_eq(&b) {
            return Ok(Got::Val(true));
        }
        let (ma, mb) = match (a, b) {
            (Value::Table(x), Value::Table(y)) => (x.meta, y.meta),
            (Value::UserData(x), Value::UserData(y)) => (x.meta, y.meta),
            _ => return Ok(Got::Val(false)),
        };
        let Some(tm1) = self.tm_of(ma, TM::Eq) else {
            return Ok(Got::Val(false));
        };
        let same_mt = match (ma, mb) {
            (Some(x), Some(y)) => x.ptr_eq(y),
            _ => false,
        };
        if !same_mt {
            match self.tm_of(mb, TM::Eq) {
                Some(tm2) if tm2.raw_eq(&tm1) => {}
                _ => return Ok(Got::Val(false)),
            }
        }
        self.call_meta(tm1, &[a, b])?;
        Ok(Got::Called)
    }

    /// `a < b`.
    pub(crate) fn less_than(&mut self, a: Value, b: Value) -> LResult<Got<bool>> {
        match (a, b) {
            (Value::Num(x), Value::Num(y)) => Ok(Got::Val(x < y)),
            (Value::Str(x), Value::Str(y)) => {
                self.charge_bytes(x.len().min(y.len()))?;
                Ok(Got::Val(x.as_bytes() < y.as_bytes()))
            }
            _ => {
                let tm = self
                    .tm_of_value(&a, TM::Lt)
                    .or_else(|| self.tm_of_value(&b, TM::Lt));
                match tm {
                    Some(tm) => {
                        self.call_meta(tm, &[a, b])?;
                        Ok(Got::Called)
                    }
                    None => Err(self.order_error(&a, &b)),
                }
            }
        }
    }

    /// `a <= b`, falling back to `not (b < a)` through `__lt` as 5.2 does.
    pub(crate) fn less_equal(&mut self, a: Value, b: Value) -> LResult<Got<bool>> {
        match (a, b) {
            (Value::Num(x), Value::Num(y)) => Ok(Got::Val(x <= y)),
            (Value::Str(x), Value::Str(y)) => {
                self.charge_bytes(x.len().min(y.len()))?;
                Ok(Got::Val(x.as_bytes() <= y.as_bytes()))
            }
            _ => {
                let tm = self
                    .tm_of_value(&a, TM::Le)
                    .or_else(|| self.tm_of_value(&b, TM::Le));
                if let Some(tm) = tm {
                    self.call_meta(tm, &[a, b])?;
                    return Ok(Got::Called);
                }
                let tm = self
                    .tm_of_value(&b, TM::Lt)
                    .or_else(|| self.tm_of_value(&a, TM::Lt));
                match tm {
                    Some(tm) => {
                        if let Some(f) = self.cur.get_mut().frames.last_mut() {
                            f.le_via_lt = true;
                        }
                        self.call_meta(tm, &[b, a])?;
                        Ok(Got::Called)
                    }
                    None => Err(self.order_error(&a, &b)),
                }
            }
        }
    }

    /// Concatenates the top `total` stack values into one at `top - total`, as
    /// `luaV_concat`. Returns `Called` if a `__concat` metamethod call is in flight.
    pub(crate) fn concat(&mut self, mut total: usize) -> LResult<Got<()>> {
        while total > 1 {
            let th = self.cur.get_mut();
            let top = th.top;
            let a = th.stack[top - 2];
            let b = th.stack[top - 1];
            let a_ok = matches!(a, Value::Str(_) | Value::Num(_));
            let b_ok = matches!(b, Value::Str(_) | Value::Num(_));
            if !a_ok || !b_ok {
                let tm = self
                    .tm_of_value(&a, TM::Concat)
                    .or_else(|| self.tm_of_value(&b, TM::Concat));
                match tm {
                    Some(tm) => {
                        self.call_meta_at(top, tm, &[a, b])?;
                        return Ok(Got::Called);
                    }
                    None => {
                        let bad = if a_ok { b } else { a };
                        let reg = self.stack_reg_of(if a_ok { top - 1 } else { top - 2 });
                        return Err(self.type_error(&bad, reg, "concatenate"));
                    }
                }
            }
            // Gather as many string/number operands as possible from the top.
            let mut n = 0;
            let mut len = 0usize;
            while n < total {
                let v = th.stack[top - 1 - n];
                match v {
                    Value::Str(s) => len += s.len(),
                    Value::Num(_) => len += 24,
                    _ => break,
                }
                n += 1;
            }
            // The result's size is known: reserved (the VM is at a safe point: every
            // live value is below `top`) and charged before it is built.
            self.reserve_at_safe_point(len, top)?;
            self.charge_bytes(len)?;
            let mut buf = Vec::with_capacity(len);
            for i in (0..n).rev() {
                match self.cur.stack[top - 1 - i] {
                    Value::Str(s) => buf.extend_from_slice(s.as_bytes()),
                    Value::Num(x) => crate::text::number::write_number(&mut buf, x),
                    _ => unreachable!("checked above"),
                }
            }
            let s = self.new_string(buf);
            let th = self.cur.get_mut();
            th.stack[top - n] = s;
            th.top = top - n + 1;
            total -= n - 1;
        }
        Ok(Got::Val(()))
    }

    /// The register number of stack slot `i` in the running Lua frame, for naming.
    pub(crate) fn stack_reg_of(&self, i: usize) -> Src {
        match self.cur.frames.last() {
            Some(f) if f.is_lua() && i >= f.base => Src::Reg((i - f.base) as u32),
            _ => Src::Other,
        }
    }
}

/// Number arithmetic with Lua 5.2's definitions (`%` is floored, `^` is `pow`).
#[inline]
pub(crate) fn arith_num(op: TM, x: f64, y: f64) -> f64 {
    match op {
        TM::Add => x + y,
        TM::Sub => x - y,
        TM::Mul => x * y,
        TM::Div => x / y,
        TM::Mod => lua_mod(x, y),
        TM::Pow => lua_pow(x, y),
        TM::Unm => -x,
        _ => f64::NAN,
    }
}

#[inline]
fn lua_mod(a: f64, b: f64) -> f64 {
    a - floor(a / b) * b
}

/// `floor` without a libm call on the common path (baseline x86-64 has no `roundsd`).
#[inline(always)]
pub fn floor(x: f64) -> f64 {
    if x.abs() < 4_503_599_627_370_496.0 {
        let t = x as i64 as f64;
        if t > x {
            t - 1.0
        } else if t == 0.0 && x.is_sign_negative() {
            -0.0
        } else {
            t
        }
    } else {
        x.floor()
    }
}

#[inline]
fn lua_pow(a: f64, b: f64) -> f64 {
    if b == 2.0 {
        a * a
    } else {
        a.powf(b)
    }
}
