//! The `table` library (Lua 5.2's `ltablib.c`), and the global `unpack` (5.2's
//! compatibility alias of `table.unpack`, which `luaopen_table` installs).
//!
//! Element access is raw, as in 5.2. The length of the table argument honours `__len`
//! (5.2's `luaL_len`), and `sort` compares through a comparator or `__lt`: these calls go
//! through `Ret::Call` and a continuation, never through a recursive VM entry, so a
//! comparator may yield. Positions are C `int`s in 5.2, and are wrapped the same way.

use super::bit32::c_int;
use crate::gc::Gc;
use crate::state::{Args, LResult, Ret, State};
use crate::table::Table;
use crate::thread::{Cont, Status};
use crate::tm::TM;
use crate::value::Value;

pub fn open(st: &mut State) {
    let t = super::new_lib(st, "table");
    st.register(
        t,
        &[
            ("concat", concat),
            ("insert", insert),
            ("maxn", maxn),
            ("pack", pack),
            ("remove", remove),
            ("sort", sort),
            ("unpack", unpack),
        ],
    );
    let u = st.get_field(t, "unpack");
    st.set_global("unpack", u);
}

/// The native frame's arguments, rebuilt inside a continuation.
fn frame_args(st: &State, len: usize) -> Args {
    let base = st.cur.frames.last().map_or(0, |f| f.base);
    Args { base, len }
}

/// The table in argument 1 (already checked by the entry point).
fn arg_table(st: &mut State, a: Args) -> LResult<Gc<Table>> {
    st.check_table(a, 1)
}

/// Argument 1 as a table this function will write: a shared image table is copied
/// first (and argument 1 re-pointed to the copy, see `crate::image`).
fn arg_table_to_write(st: &mut State, a: Args) -> LResult<Gc<Table>> {
    let t = st.check_table(a, 1)?;
    Ok(st.unshare(t))
}

// ----- the length of argument 1 (luaL_len) -----

/// A function body that runs once the length of its table is known.
type WithLen = fn(&mut State, Args, i64) -> LResult<Ret>;

/// The bodies that need a length, indexed by the continuation context.
const LEN_USERS: [WithLen; 5] = [
    concat_with,
    insert_with,
    remove_with,
    unpack_with,
    sort_with,
];
const CONCAT: usize = 0;
const INSERT: usize = 1;
const REMOVE: usize = 2;
const UNPACK: usize = 3;
const SORT: usize = 4;

/// Runs `LEN_USERS[user]` with `#t`: the border directly, or the result of `__len(t, t)`
/// called through the VM.
fn with_len(st: &mut State, a: Args, t: Gc<Table>, user: usize) -> LResult<Ret> {
    let Some(tm) = st.tm_of(t.meta, TM::Len) else {
        return LEN_USERS[user](st, a, t.length() as i32 as i64);
    };
    st.set_top(a.base + a.len);
    st.check_stack(3)?;
    st.push(tm);
    st.push(Value::Table(t));
    st.push(Value::Table(t));
    Ok(Ret::Call {
        nargs: 2,
        nresults: 1,
        cont: Cont::new(len_k, (a.len << 3) | user),
    })
}

/// Continuation of a `__len` call: converts the result as `luaL_len` does.
fn len_k(st: &mut State, status: Status, cont: &mut Cont) -> LResult<Ret> {
    let (first, n) = match status {
        Status::Ok { first, n } => (first, n),
        Status::Err(e) => return Err(e),
    };
    let v = st.first_result(first, n);
    let a = frame_args(st, cont.ctx >> 3);
    st.set_top(a.base + a.len);
    let Some(len) = State::to_num_coerce(&v) else {
        return Err(st.rt_error("object length is not a number"));
    };
    LEN_USERS[cont.ctx & 7](st, a, c_int(len))
}

// ----- concat -----

fn concat(st: &mut State, a: Args) -> LResult<Ret> {
    st.opt_str(a, 2)?;
    let t = arg_table(st, a)?;
    st.opt_int(a, 3, 1)?;
    if st.arg(a, 4).is_nil() {
        with_len(st, a, t, CONCAT)
    } else {
        let last = st.check_int(a, 4)?;
        concat_with(st, a, last)
    }
}

/// `table.concat` once `last` is known: strings and numbers only, raw access.
/// `table.concat`'s error for an item that is neither a string nor a number.
fn concat_item_error(st: &mut State, v: Value, i: i64) -> Value {
    let msg = format!(
        "invalid value ({}) at index {i} in table for 'concat'",
        v.type_name()
    );
    st.rt_error(&msg)
}

fn concat_with(st: &mut State, a: Args, last: i64) -> LResult<Ret> {
    let sep = st.opt_str(a, 2)?;
    let t = arg_table(st, a)?;
    let first = st.opt_int(a, 3, 1)?;
    // First the size of the result (and the check of every item), so that it is
    // reserved and charged before anything is built: a program cannot make this
    // native build a string its heap limit does not allow.
    let sep_len = sep.map_or(0, |s| s.len());
    let mut total = 0usize;
    let mut i = first;
    while i <= last {
        if (i - first) % 1024 == 1023 {
            st.charge(1024)?;
        }
        match t.get_int(i) {
            Value::Str(s) => total = total.saturating_add(s.len()),
            Value::Num(_) => total = total.saturating_add(24),
            other => return Err(concat_item_error(st, other, i)),
        }
        if i < last {
            total = total.saturating_add(sep_len);
        }
        i += 1;
    }
    st.reserve(total)?;
    st.charge_bytes(total)?;
    let mut out = Vec::with_capacity(total);
    let mut i = first;
    while i <= last {
        st.budget -= 1;
        let v = t.get_int(i);
        match v {
            Value::Str(s) => out.extend_from_slice(s.as_bytes()),
            Value::Num(n) => crate::text::number::write_number(&mut out, n),
            other => return Err(concat_item_error(st, other, i)),
        }
        if i < last {
            if let Some(sep) = sep {
                out.extend_from_slice(sep.as_bytes());
            }
        }
        i += 1;
    }
    let s = st.new_string(out);
    st.push(s);
    Ok(Ret::Values(1))
}

// ----- insert / remove -----

fn insert(st: &mut State, a: Args) -> LResult<Ret> {
    let t = arg_table_to_write(st, a)?;
    with_len(st, a, t, INSERT)
}

/// `table.insert(t, [pos,] v)` once `#t` is known.
fn insert_with(st: &mut State, a: Args, len: i64) -> LResult<Ret> {
    let t = arg_table(st, a)?;
    let e = len + 1;
    let pos = match a.len {
        2 => e,
        3 => {
            let pos = st.check_int(a, 2)?;
            if !(1 <= pos && pos <= e) {
                return Err(st.arg_error(2, "position out of bounds"));
            }
            shift_up(st, t, pos, e);
            pos
        }
        _ => return Err(st.rt_error("wrong number of arguments to 'insert'")),
    };
    let v = st.arg(a, a.len);
    t.get_mut().set_int(pos, v);
    Ok(Ret::Values(0))
}

/// `t[i] = t[i-1]` for `i` from `e` down to `pos + 1`.
fn shift_up(st: &mut State, t: Gc<Table>, pos: i64, e: i64) {
    st.budget -= e - pos;
    let mut i = e;
    while i > pos {
        let v = t.get_int(i - 1);
        t.get_mut().set_int(i, v);
        i -= 1;
    }
}

fn remove(st: &mut State, a: Args) -> LResult<Ret> {
    let t = arg_table_to_write(st, a)?;
    with_len(st, a, t, REMOVE)
}

/// `table.remove(t [, pos])` once `#t` is known. 5.2.4 checks `pos` only when it differs
/// from `#t` (so `remove(t, #t)` works on an empty table) and reports it as argument 1.
fn remove_with(st: &mut State, a: Args, size: i64) -> LResult<Ret> {
    let t = arg_table(st, a)?;
    let mut pos = st.opt_int(a, 2, size)?;
    if pos != size && !(1 <= pos && pos <= size + 1) {
        return Err(st.arg_error(1, "position out of bounds"));
    }
    let v = t.get_int(pos);
    st.budget -= (size - pos).max(0);
    while pos < size {
        let next = t.get_int(pos + 1);
        t.get_mut().set_int(pos, next);
        pos += 1;
    }
    t.get_mut().set_int(pos, Value::Nil);
    st.push(v);
    Ok(Ret::Values(1))
}

// ----- pack / unpack / maxn -----

/// `table.pack(...)`: the arguments in a new table, with `n` their count.
fn pack(st: &mut State, a: Args) -> LResult<Ret> {
    let t = st.new_table_with(a.len, 1);
    st.budget -= a.len as i64;
    for i in 1..=a.len {
        let v = st.arg(a, i);
        t.get_mut().set_int(i as i64, v);
    }
    st.set_field(t, "n", Value::Num(a.len as f64));
    st.push(Value::Table(t));
    Ok(Ret::Values(1))
}

fn unpack(st: &mut State, a: Args) -> LResult<Ret> {
    let t = arg_table(st, a)?;
    st.opt_int(a, 2, 1)?;
    if st.arg(a, 3).is_nil() {
        with_len(st, a, t, UNPACK)
    } else {
        let e = st.check_int(a, 3)?;
        unpack_with(st, a, e)
    }
}

/// `table.unpack(t, i, e)` once `e` is known; the count is computed in C `int`
/// arithmetic, so a wrapped (non-positive) count is "too many results".
fn unpack_with(st: &mut State, a: Args, e: i64) -> LResult<Ret> {
    let t = arg_table(st, a)?;
    let i = st.opt_int(a, 2, 1)?;
    if i > e {
        return Ok(Ret::Values(0));
    }
    let n = (e as i32).wrapping_sub(i as i32).wrapping_add(1);
    if n <= 0 || n as usize >= crate::thread::MAX_STACK {
        return Err(st.rt_error("too many results to unpack"));
    }
    st.charge(n as u64)?;
    st.reserve(n as usize * std::mem::size_of::<Value>())?;
    if st.check_stack(n as usize).is_err() {
        return Err(st.rt_error("too many results to unpack"));
    }
    for k in 0..n as i64 {
        let v = t.get_int(i + k);
        st.push(v);
    }
    Ok(Ret::Values(n as usize))
}

/// `table.maxn(t)`: the largest positive numeric key (0 if none).
fn maxn(st: &mut State, a: Args) -> LResult<Ret> {
    let t = arg_table(st, a)?;
    let mut max = 0.0;
    let mut k = Value::Nil;
    while let Ok(Some((key, _))) = t.next(&k) {
        st.budget -= 1;
        if let Value::Num(n) = key {
            if n > max {
                max = n;
            }
        }
        k = key;
    }
    st.push(Value::Num(max));
    Ok(Ret::Values(1))
}

// ----- sort -----

/// Stack slots (relative to the frame base) of the sort's working values, which PUC
/// keeps on its stack: two elements under comparison and the pivot.
const SLOT_X: usize = 2;
const SLOT_Y: usize = 3;
const SLOT_P: usize = 4;
const SLOTS: usize = 5;

/// The comparison the sort is waiting for, named after PUC's `auxsort` steps.
#[derive(Clone, Copy, Debug)]
enum Step {
    /// `a[u] < a[l]` (Y < X).
    UpperLower,
    /// `a[i] < a[l]` (X < Y), i the middle.
    MiddleLower,
    /// `a[u] < a[i]` (Y < X).
    UpperMiddle,
    /// `a[i] < P` (X < P), the scan up.
    ScanUp,
    /// `P < a[j]` (P < Y), the scan down.
    ScanDown,
}

/// PUC 5.2's `auxsort` as an explicit state machine. The recursion on the smaller half
/// becomes `pending`, which holds the larger halves still to do, innermost last.
struct Sorter {
    /// The sort's frame base (its stack slots are found from here: the frame stays
    /// where it is while the sort runs, and looking it up at each access was a good
    /// part of a comparison's cost).
    base: usize,
    l: i64,
    u: i64,
    i: i64,
    j: i64,
    step: Step,
    pending: Vec<(i64, i64)>,
}

/// Result of comparing two values without running Lua.
enum Less {
    Known(bool),
    /// Call this function (comparator or `__lt`) with the two values.
    Call(Value),
}

fn sort(st: &mut State, a: Args) -> LResult<Ret> {
    let t = arg_table_to_write(st, a)?;
    with_len(st, a, t, SORT)
}

/// `table.sort(t [, comp])` once `#t` is known.
fn sort_with(st: &mut State, a: Args, n: i64) -> LResult<Ret> {
    if !matches!(st.arg(a, 2), Value::Nil | Value::LFn(_) | Value::NFn(_)) {
        return Err(st.arg_type_error(a, 2, "function"));
    }
    if st.arg(a, 2).is_nil() {
        if let Value::Table(t) = st.arg(a, 1) {
            if let Some(r) = sort_direct(st, t, n) {
                return r.map(|()| Ret::Values(0));
            }
        }
    }
    st.set_top(a.base + 2);
    st.set_top(a.base + SLOTS);
    let mut s = Box::new(Sorter {
        base: frame_args(st, 0).base,
        l: 1,
        u: n,
        i: 0,
        j: 0,
        step: Step::UpperLower,
        pending: Vec::new(),
    });
    if !s.begin(st) {
        return Ok(Ret::Values(0));
    }
    sort_run(st, s)
}

/// The common case without Lua calls: no comparator, the elements 1..n all in the array
/// part and all numbers or all strings. Runs the same algorithm as [`Sorter`] (so equal
/// keys end up in the same places as with PUC) directly on the array. `None` when the
/// case does not apply.
fn sort_direct(st: &mut State, t: Gc<Table>, n: i64) -> Option<LResult<()>> {
    let n = usize::try_from(n).ok()?;
    let arr = &mut t.get_mut().arr;
    if n < 2 || n > arr.len() {
        return None;
    }
    let a = &mut arr[..n];
    if a.iter().all(|v| matches!(v, Value::Num(_))) {
        let lt = |x: &Value, y: &Value| match (x, y) {
            (Value::Num(p), Value::Num(q)) => p < q,
            _ => false,
        };
        st.budget -= (n as i64) * 8;
        return Some(auxsort_direct(a, lt).map_err(|m| st.rt_error(m)));
    }
    if a.iter().all(|v| matches!(v, Value::Str(_))) {
        let lt = |x: &Value, y: &Value| match (x, y) {
            (Value::Str(p), Value::Str(q)) => p.as_bytes() < q.as_bytes(),
            _ => false,
        };
        st.budget -= (n as i64) * 8;
        return Some(auxsort_direct(a, lt).map_err(|m| st.rt_error(m)));
    }
    None
}

/// PUC 5.2's `auxsort` on a slice (index `k` of Lua is `a[k - 1]`), with the recursion
/// on the smaller half turned into a loop over a small stack.
fn auxsort_direct(
    a: &mut [Value],
    lt: impl Fn(&Value, &Value) -> bool,
) -> Result<(), &'static str> {
    const BAD: &str = "invalid order function for sorting";
    let mut pending: Vec<(usize, usize)> = vec![(1, a.len())];
    while let Some((mut l, mut u)) = pending.pop() {
        while l < u {
            if lt(&a[u - 1], &a[l - 1]) {
                a.swap(l - 1, u - 1);
            }
            if u - l == 1 {
                break;
            }
            let mut i = (l + u) / 2;
            if lt(&a[i - 1], &a[l - 1]) {
                a.swap(i - 1, l - 1);
            } else if lt(&a[u - 1], &a[i - 1]) {
                a.swap(i - 1, u - 1);
            }
            if u - l == 2 {
                break;
            }
            let p = a[i - 1];
            a.swap(i - 1, u - 2);
            i = l;
            let mut j = u - 1;
            loop {
                i += 1;
                while lt(&a[i - 1], &p) {
                    if i >= u {
                        return Err(BAD);
                    }
                    i += 1;
                }
                j -= 1;
                while lt(&p, &a[j - 1]) {
                    if j <= l {
                        return Err(BAD);
                    }
                    j -= 1;
                }
                if j < i {
                    break;
                }
                a.swap(i - 1, j - 1);
            }
            a.swap(u - 2, i - 1);
            let (lo, hi);
            if i - l < u - i {
                lo = l;
                hi = i - 1;
                l = i + 1;
            } else {
                lo = i + 1;
                hi = u;
                u = i - 1;
            }
            pending.push((l, u));
            l = lo;
            u = hi;
        }
    }
    Ok(())
}

/// Compares until the sort is done or a comparison needs Lua.
fn sort_run(st: &mut State, mut s: Box<Sorter>) -> LResult<Ret> {
    loop {
        let (x, y) = s.operands(st);
        st.budget -= 1;
        let r = match less(st, s.base, x, y)? {
            Less::Known(r) => r,
            Less::Call(f) => {
                let top = s.base + SLOTS;
                st.set_top(top);
                st.check_stack(3)?;
                st.push(f);
                st.push(x);
                st.push(y);
                let mut c = Cont::new(sort_k, 0);
                c.data = Some(s);
                return Ok(Ret::Call {
                    nargs: 2,
                    nresults: 1,
                    cont: c,
                });
            }
        };
        if !s.advance(st, r)? {
            return Ok(Ret::Values(0));
        }
    }
}

/// Continuation of a comparison call: its truth value drives the next step.
fn sort_k(st: &mut State, status: Status, cont: &mut Cont) -> LResult<Ret> {
    let (first, n) = match status {
        Status::Ok { first, n } => (first, n),
        Status::Err(e) => return Err(e),
    };
    let r = n > 0 && st.stack_at(first).truthy();
    let Some(mut s) = cont.data.take().and_then(|d| d.downcast::<Sorter>().ok()) else {
        return Err(st.rt_error("table.sort: lost its state"));
    };
    st.set_top(s.base + SLOTS);
    if !s.advance(st, r)? {
        return Ok(Ret::Values(0));
    }
    sort_run(st, s)
}

/// `a < b` without a comparator: numbers and strings directly, else `__lt` (5.2 takes
/// it from either operand) or the VM's error, which 5.2 raises without a position.
fn less(st: &mut State, base: usize, a: Value, b: Value) -> LResult<Less> {
    let comp = st.stack_at(base + 1);
    if !comp.is_nil() {
        return Ok(Less::Call(comp));
    }
    match (a, b) {
        (Value::Num(x), Value::Num(y)) => Ok(Less::Known(x < y)),
        (Value::Str(x), Value::Str(y)) => Ok(Less::Known(x.as_bytes() < y.as_bytes())),
        _ => match st
            .tm_of_value(&a, TM::Lt)
            .or_else(|| st.tm_of_value(&b, TM::Lt))
        {
            Some(tm) => Ok(Less::Call(tm)),
            None => {
                let (t1, t2) = (a.type_name(), b.type_name());
                let msg = if t1 == t2 {
                    format!("attempt to compare two {t1} values")
                } else {
                    format!("attempt to compare {t1} with {t2}")
                };
                Err(st.new_str(msg.as_bytes()))
            }
        },
    }
}

impl Sorter {
    fn table(&self, st: &State) -> Option<Gc<Table>> {
        match st.stack_at(self.base) {
            Value::Table(t) => Some(t),
            _ => None,
        }
    }

    fn slot(&self, st: &State, k: usize) -> Value {
        st.stack_at(self.base + k)
    }

    /// Loads `a[idx]` into working slot `k`.
    fn load(&self, st: &mut State, k: usize, idx: i64) {
        let v = self.table(st).map_or(Value::Nil, |t| t.get_int(idx));
        st.set_stack(self.base + k, v);
    }

    /// `a[idx] = slot k`.
    fn store(&self, st: &mut State, idx: i64, k: usize) {
        let v = self.slot(st, k);
        if let Some(t) = self.table(st) {
            t.get_mut().set_int(idx, v);
        }
    }

    /// The two values the current step compares, in order.
    fn operands(&self, st: &State) -> (Value, Value) {
        let (p, q) = match self.step {
            Step::UpperLower | Step::UpperMiddle => (SLOT_Y, SLOT_X),
            Step::MiddleLower => (SLOT_X, SLOT_Y),
            Step::ScanUp => (SLOT_X, SLOT_P),
            Step::ScanDown => (SLOT_P, SLOT_Y),
        };
        (self.slot(st, p), self.slot(st, q))
    }

    /// Starts the next segment that has at least two elements; false when none is left.
    fn begin(&mut self, st: &mut State) -> bool {
        loop {
            if self.l < self.u {
                self.load(st, SLOT_X, self.l);
                self.load(st, SLOT_Y, self.u);
                self.step = Step::UpperLower;
                return true;
            }
            match self.pending.pop() {
                Some((l, u)) => {
                    self.l = l;
                    self.u = u;
                }
                None => return false,
            }
        }
    }

    /// Ends the current segment (PUC's `break` out of `auxsort`).
    fn finish_segment(&mut self, st: &mut State) -> bool {
        self.l = 1;
        self.u = 0;
        self.begin(st)
    }

    /// Applies the answer `r` of the current comparison and sets up the next one.
    /// Returns false when the sort is complete.
    fn advance(&mut self, st: &mut State, r: bool) -> LResult<bool> {
        match self.step {
            Step::UpperLower => {
                if r {
                    self.store(st, self.l, SLOT_Y);
                    self.store(st, self.u, SLOT_X);
                }
                if self.u - self.l == 1 {
                    return Ok(self.finish_segment(st));
                }
                self.i = (self.l + self.u) / 2;
                self.load(st, SLOT_X, self.i);
                self.load(st, SLOT_Y, self.l);
                self.step = Step::MiddleLower;
                Ok(true)
            }
            Step::MiddleLower => {
                if r {
                    self.store(st, self.i, SLOT_Y);
                    self.store(st, self.l, SLOT_X);
                    return Ok(self.pivot(st));
                }
                self.load(st, SLOT_Y, self.u);
                self.step = Step::UpperMiddle;
                Ok(true)
            }
            Step::UpperMiddle => {
                if r {
                    self.store(st, self.i, SLOT_Y);
                    self.store(st, self.u, SLOT_X);
                }
                Ok(self.pivot(st))
            }
            Step::ScanUp => {
                if !r {
                    self.scan_down(st);
                    return Ok(true);
                }
                if self.i >= self.u {
                    return Err(st.rt_error("invalid order function for sorting"));
                }
                self.scan_up(st);
                Ok(true)
            }
            Step::ScanDown => {
                if r {
                    if self.j <= self.l {
                        return Err(st.rt_error("invalid order function for sorting"));
                    }
                    self.scan_down(st);
                    return Ok(true);
                }
                if self.j < self.i {
                    return Ok(self.end_partition(st));
                }
                self.store(st, self.i, SLOT_Y);
                self.store(st, self.j, SLOT_X);
                self.scan_up(st);
                Ok(true)
            }
        }
    }

    /// After the median of three: P = a[i], swapped with a[u-1]; then partition.
    fn pivot(&mut self, st: &mut State) -> bool {
        if self.u - self.l == 2 {
            return self.finish_segment(st);
        }
        self.load(st, SLOT_P, self.i);
        self.load(st, SLOT_Y, self.u - 1);
        self.store(st, self.i, SLOT_Y);
        self.store(st, self.u - 1, SLOT_P);
        self.i = self.l;
        self.j = self.u - 1;
        self.scan_up(st);
        true
    }

    fn scan_up(&mut self, st: &mut State) {
        self.i += 1;
        self.load(st, SLOT_X, self.i);
        self.step = Step::ScanUp;
    }

    fn scan_down(&mut self, st: &mut State) {
        self.j -= 1;
        self.load(st, SLOT_Y, self.j);
        self.step = Step::ScanDown;
    }

    /// Puts the pivot in place, then sorts the smaller half first (the larger waits).
    fn end_partition(&mut self, st: &mut State) -> bool {
        self.load(st, SLOT_X, self.u - 1);
        self.load(st, SLOT_Y, self.i);
        self.store(st, self.u - 1, SLOT_Y);
        self.store(st, self.i, SLOT_X);
        let (l, u, i) = (self.l, self.u, self.i);
        let (small, large) = if i - l < u - i {
            ((l, i - 1), (i + 1, u))
        } else {
            ((i + 1, u), (l, i - 1))
        };
        self.pending.push(large);
        self.l = small.0;
        self.u = small.1;
        self.begin(st)
    }
}
