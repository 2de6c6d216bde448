//! `erlang` BIFs other than arithmetic: comparisons, boolean operators, type tests,
//! list and tuple operations, conversions, and raising exceptions.

use std::rc::Rc;

use crate::atom::Atom;
use crate::bif::{index_arg, list_arg};
use crate::exception::{Class, Exception, Result};
use crate::order::{cmp, equal, exact_equal};
use crate::runtime::Runtime;
use crate::sexpr::Bits;
use crate::term::{Term, Tuple};

pub fn register(rt: &mut Runtime) {
    rt.register("erlang", "==", 2, |_, a| {
        Ok(Term::bool(equal(&a[0], &a[1])))
    });
    rt.register("erlang", "/=", 2, |_, a| {
        Ok(Term::bool(!equal(&a[0], &a[1])))
    });
    rt.register("erlang", "=:=", 2, |_, a| {
        Ok(Term::bool(exact_equal(&a[0], &a[1])))
    });
    rt.register("erlang", "=/=", 2, |_, a| {
        Ok(Term::bool(!exact_equal(&a[0], &a[1])))
    });
    rt.register("erlang", "<", 2, |_, a| {
        Ok(Term::bool(cmp(&a[0], &a[1]).is_lt()))
    });
    rt.register("erlang", ">", 2, |_, a| {
        Ok(Term::bool(cmp(&a[0], &a[1]).is_gt()))
    });
    rt.register("erlang", "=<", 2, |_, a| {
        Ok(Term::bool(cmp(&a[0], &a[1]).is_le()))
    });
    rt.register("erlang", ">=", 2, |_, a| {
        Ok(Term::bool(cmp(&a[0], &a[1]).is_ge()))
    });
    rt.register("erlang", "min", 2, |_, a| {
        Ok(if cmp(&a[1], &a[0]).is_lt() {
            a[1].clone()
        } else {
            a[0].clone()
        })
    });
    rt.register("erlang", "max", 2, |_, a| {
        Ok(if cmp(&a[1], &a[0]).is_gt() {
            a[1].clone()
        } else {
            a[0].clone()
        })
    });

    rt.register("erlang", "and", 2, |_, a| {
        Ok(Term::bool(boolean(&a[0])? & boolean(&a[1])?))
    });
    rt.register("erlang", "or", 2, |_, a| {
        Ok(Term::bool(boolean(&a[0])? | boolean(&a[1])?))
    });
    rt.register("erlang", "xor", 2, |_, a| {
        Ok(Term::bool(boolean(&a[0])? ^ boolean(&a[1])?))
    });
    rt.register("erlang", "not", 1, |_, a| Ok(Term::bool(!boolean(&a[0])?)));

    rt.register("erlang", "is_atom", 1, |_, a| {
        Ok(Term::bool(matches!(a[0], Term::Atom(_))))
    });
    rt.register("erlang", "is_boolean", 1, |_, a| {
        Ok(Term::bool(a[0].as_bool().is_some()))
    });
    rt.register("erlang", "is_integer", 1, |_, a| {
        Ok(Term::bool(a[0].is_integer()))
    });
    rt.register("erlang", "is_float", 1, |_, a| {
        Ok(Term::bool(matches!(a[0], Term::Float(_))))
    });
    rt.register("erlang", "is_number", 1, |_, a| {
        Ok(Term::bool(a[0].is_number()))
    });
    rt.register("erlang", "is_list", 1, |_, a| {
        Ok(Term::bool(matches!(a[0], Term::Nil | Term::Cons(_))))
    });
    rt.register("erlang", "is_tuple", 1, |_, a| {
        Ok(Term::bool(matches!(a[0], Term::Tuple(_))))
    });
    rt.register("erlang", "is_map", 1, |_, a| {
        Ok(Term::bool(matches!(a[0], Term::Map(_))))
    });
    rt.register("erlang", "is_binary", 1, |_, a| {
        Ok(Term::bool(matches!(&a[0], Term::Bin(b) if b.is_binary())))
    });
    rt.register("erlang", "is_bitstring", 1, |_, a| {
        Ok(Term::bool(matches!(a[0], Term::Bin(_))))
    });
    rt.register("erlang", "is_function", 1, |_, a| {
        Ok(Term::bool(matches!(a[0], Term::Fun(_))))
    });
    rt.register("erlang", "is_function", 2, |_, a| {
        let n = index_arg(&a[1])?;
        Ok(Term::bool(matches!(&a[0], Term::Fun(f) if f.arity() == n)))
    });

    rt.register("erlang", "hd", 1, |_, a| match &a[0] {
        Term::Cons(c) => Ok(c.head.clone()),
        _ => Err(Exception::badarg()),
    });
    rt.register("erlang", "tl", 1, |_, a| match &a[0] {
        Term::Cons(c) => Ok(c.tail.clone()),
        _ => Err(Exception::badarg()),
    });
    rt.register("erlang", "length", 1, |_, a| {
        Ok(Term::Int(list_arg(&a[0])?.len() as i64))
    });
    rt.register("erlang", "tuple_size", 1, |_, a| match &a[0] {
        Term::Tuple(t) => Ok(Term::Int(t.0.len() as i64)),
        _ => Err(Exception::badarg()),
    });
    rt.register("erlang", "element", 2, |_, a| match &a[1] {
        Term::Tuple(t) => {
            let i = index_arg(&a[0])?;
            i.checked_sub(1)
                .and_then(|i| t.0.get(i))
                .cloned()
                .ok_or_else(Exception::badarg)
        }
        _ => Err(Exception::badarg()),
    });
    rt.register("erlang", "setelement", 3, |_, a| match &a[1] {
        Term::Tuple(t) => {
            let i = index_arg(&a[0])?;
            if i == 0 || i > t.0.len() {
                return Err(Exception::badarg());
            }
            let mut items = t.0.clone();
            items[i - 1] = a[2].clone();
            Ok(Term::Tuple(Rc::new(Tuple(items))))
        }
        _ => Err(Exception::badarg()),
    });
    rt.register("erlang", "append_element", 2, |_, a| match &a[0] {
        Term::Tuple(t) => {
            let mut items = t.0.clone();
            items.push(a[1].clone());
            Ok(Term::tuple(items))
        }
        _ => Err(Exception::badarg()),
    });
    rt.register("erlang", "delete_element", 2, |_, a| match &a[1] {
        Term::Tuple(t) => {
            let i = index_arg(&a[0])?;
            if i == 0 || i > t.0.len() {
                return Err(Exception::badarg());
            }
            let mut items = t.0.clone();
            items.remove(i - 1);
            Ok(Term::tuple(items))
        }
        _ => Err(Exception::badarg()),
    });
    rt.register("erlang", "insert_element", 3, |_, a| match &a[1] {
        Term::Tuple(t) => {
            let i = index_arg(&a[0])?;
            if i == 0 || i > t.0.len() + 1 {
                return Err(Exception::badarg());
            }
            let mut items = t.0.clone();
            items.insert(i - 1, a[2].clone());
            Ok(Term::tuple(items))
        }
        _ => Err(Exception::badarg()),
    });
    rt.register("erlang", "list_to_tuple", 1, |_, a| {
        Ok(Term::tuple(list_arg(&a[0])?))
    });
    rt.register("erlang", "tuple_to_list", 1, |_, a| match &a[0] {
        Term::Tuple(t) => Ok(Term::list(t.0.clone())),
        _ => Err(Exception::badarg()),
    });
    rt.register("erlang", "++", 2, |_, a| {
        let items = list_arg(&a[0])?;
        Ok(Term::list_with_tail(items, a[1].clone()))
    });
    rt.register("erlang", "--", 2, |_, a| {
        let mut items = list_arg(&a[0])?;
        for x in list_arg(&a[1])? {
            if let Some(i) = items.iter().position(|y| exact_equal(y, &x)) {
                items.remove(i);
            }
        }
        Ok(Term::list(items))
    });

    rt.register("erlang", "atom_to_list", 1, |_, a| match &a[0] {
        Term::Atom(x) => Ok(Term::string(x.name())),
        _ => Err(Exception::badarg()),
    });
    rt.register("erlang", "list_to_atom", 1, |_, a| {
        let s = a[0].as_string().ok_or_else(Exception::badarg)?;
        make_atom(&s)
    });
    rt.register("erlang", "atom_to_binary", 1, |_, a| match &a[0] {
        Term::Atom(x) => Ok(Term::binary(x.name().as_bytes().to_vec())),
        _ => Err(Exception::badarg()),
    });
    rt.register("erlang", "binary_to_atom", 1, |_, a| match &a[0] {
        Term::Bin(b) if b.is_binary() => {
            make_atom(std::str::from_utf8(&b.bytes()).map_err(|_| Exception::badarg())?)
        }
        _ => Err(Exception::badarg()),
    });
    // The /2 forms take the encoding: utf8 (or unicode) as the /1 forms, or latin1,
    // where a byte is a character and a character above 255 is badarg.
    rt.register("erlang", "atom_to_binary", 2, |_, a| {
        match (&a[0], encoding(&a[1])?) {
            (Term::Atom(x), true) => Ok(Term::binary(x.name().as_bytes().to_vec())),
            (Term::Atom(x), false) => x
                .name()
                .chars()
                .map(|c| u8::try_from(c as u32).map_err(|_| Exception::badarg()))
                .collect::<Result<Vec<u8>>>()
                .map(Term::binary),
            _ => Err(Exception::badarg()),
        }
    });
    rt.register("erlang", "binary_to_atom", 2, |_, a| {
        match (&a[0], encoding(&a[1])?) {
            (Term::Bin(b), true) if b.is_binary() => {
                make_atom(std::str::from_utf8(&b.bytes()).map_err(|_| Exception::badarg())?)
            }
            (Term::Bin(b), false) if b.is_binary() => {
                make_atom(&b.bytes().iter().map(|&c| c as char).collect::<String>())
            }
            _ => Err(Exception::badarg()),
        }
    });
    // fun_info/2 for `arity` (the item programs ask for); other items are badarg.
    rt.register("erlang", "fun_info", 2, |_, a| {
        match (&a[0], a[1].as_atom()) {
            (Term::Fun(f), Some(item)) if item.name() == "arity" => Ok(Term::tuple(vec![
                Term::Atom(item),
                Term::Int(f.arity() as i64),
            ])),
            _ => Err(Exception::badarg()),
        }
    });
    rt.register("erlang", "integer_to_list", 1, |_, a| {
        Ok(Term::string(&int_text(&a[0], 10)?))
    });
    rt.register("erlang", "integer_to_list", 2, |_, a| {
        Ok(Term::string(&int_text(&a[0], base(&a[1])?)?))
    });
    rt.register("erlang", "integer_to_binary", 1, |_, a| {
        Ok(Term::binary(int_text(&a[0], 10)?.into_bytes()))
    });
    rt.register("erlang", "list_to_integer", 1, |_, a| {
        let s = a[0].as_string().ok_or_else(Exception::badarg)?;
        parse_int(&s, 10)
    });
    rt.register("erlang", "list_to_integer", 2, |_, a| {
        let s = a[0].as_string().ok_or_else(Exception::badarg)?;
        parse_int(&s, base(&a[1])?)
    });
    rt.register("erlang", "binary_to_integer", 1, |_, a| {
        parse_int(&binary_text(&a[0])?, 10)
    });
    rt.register("erlang", "binary_to_integer", 2, |_, a| {
        parse_int(&binary_text(&a[0])?, base(&a[1])?)
    });
    rt.register("erlang", "float_to_list", 1, |_, a| match &a[0] {
        Term::Float(f) => Ok(Term::string(&float_to_list(*f))),
        _ => Err(Exception::badarg()),
    });
    rt.register("erlang", "list_to_float", 1, |_, a| {
        let s = a[0].as_string().ok_or_else(Exception::badarg)?;
        // Erlang requires digits on both sides of the point.
        let ok = s.contains('.') && !s.starts_with('.') && !s.contains(".e");
        match s.parse::<f64>() {
            Ok(f) if ok && f.is_finite() => Ok(Term::Float(f)),
            _ => Err(Exception::badarg()),
        }
    });
    rt.register("erlang", "binary_to_list", 1, |_, a| match &a[0] {
        Term::Bin(b) if b.is_binary() => Ok(Term::list(
            b.bytes().iter().map(|x| Term::Int(*x as i64)).collect(),
        )),
        _ => Err(Exception::badarg()),
    });
    rt.register("erlang", "list_to_binary", 1, |_, a| {
        iolist_to_binary(&a[0])
    });
    rt.register("erlang", "iolist_to_binary", 1, |_, a| {
        iolist_to_binary(&a[0])
    });
    rt.register("erlang", "list_to_bitstring", 1, |_, a| match &a[0] {
        Term::Nil | Term::Cons(_) => flatten_bits(&a[0], true),
        _ => Err(Exception::badarg()),
    });
    rt.register("erlang", "byte_size", 1, |_, a| match &a[0] {
        Term::Bin(b) => Ok(Term::Int(b.bits().div_ceil(8) as i64)),
        _ => Err(Exception::badarg()),
    });
    rt.register("erlang", "bit_size", 1, |_, a| match &a[0] {
        Term::Bin(b) => Ok(Term::Int(b.bits() as i64)),
        _ => Err(Exception::badarg()),
    });
    rt.register("erlang", "map_size", 1, |_, a| match &a[0] {
        Term::Map(m) => Ok(Term::Int(m.len() as i64)),
        t => Err(Exception::error_with("badmap", t.clone())),
    });

    // The bookkeeping of `send_after`/`cancel_timer` (prelude.lfe).
    rt.register("erlang", "timer-register", 3, |rt, a| {
        let (Term::Ref(r), Term::Int(ms)) = (&a[0], &a[2]) else {
            return Err(Exception::badarg());
        };
        if *ms < 0 {
            return Err(Exception::badarg());
        }
        // The helper may have fired already (it runs as soon as it is spawned).
        if rt.timers_fired.remove(&**r) {
            return Ok(Term::atom("ok"));
        }
        let now = std::time::Instant::now();
        let due = now
            .checked_add(std::time::Duration::from_millis(*ms as u64))
            .unwrap_or(now + std::time::Duration::from_secs(1 << 30));
        rt.timers.insert(**r, (a[1].clone(), due));
        Ok(Term::atom("ok"))
    });
    rt.register("erlang", "timer-done", 1, |rt, a| {
        if let Term::Ref(r) = &a[0] {
            if rt.timers.remove(&**r).is_none() {
                rt.timers_fired.insert(**r);
            }
        }
        Ok(Term::atom("ok"))
    });
    rt.register("erlang", "timer-take", 1, |rt, a| {
        let Term::Ref(r) = &a[0] else {
            return Err(Exception::badarg());
        };
        Ok(match rt.timers.remove(&**r) {
            Some((pid, due)) => Term::tuple(vec![pid, Term::Int(ms_left(due))]),
            None => Term::atom("false"),
        })
    });
    rt.register("erlang", "timer-left", 1, |rt, a| {
        let Term::Ref(r) = &a[0] else {
            return Err(Exception::badarg());
        };
        Ok(match rt.timers.get(&**r) {
            Some((_, due)) => Term::Int(ms_left(*due)),
            None => Term::atom("false"),
        })
    });
    // The process dictionary.
    rt.register("erlang", "put", 2, |rt, a| {
        let d = rt.dict();
        let old = d.get(&a[0]).cloned();
        *d = d.insert(a[0].clone(), a[1].clone());
        Ok(old.unwrap_or_else(|| Term::atom("undefined")))
    });
    rt.register("erlang", "get", 1, |rt, a| {
        Ok(rt
            .dict()
            .get(&a[0])
            .cloned()
            .unwrap_or_else(|| Term::atom("undefined")))
    });
    rt.register("erlang", "get", 0, |rt, _| {
        let pairs = rt
            .dict()
            .iter()
            .map(|(k, v)| Term::tuple(vec![k.clone(), v.clone()]));
        Ok(Term::list(pairs.collect()))
    });
    rt.register("erlang", "get_keys", 0, |rt, _| {
        Ok(Term::list(
            rt.dict().iter().map(|(k, _)| k.clone()).collect(),
        ))
    });
    rt.register("erlang", "get_keys", 1, |rt, a| {
        let keys = rt
            .dict()
            .iter()
            .filter(|(_, v)| exact_equal(v, &a[0]))
            .map(|(k, _)| k.clone());
        Ok(Term::list(keys.collect()))
    });
    rt.register("erlang", "erase", 1, |rt, a| {
        let d = rt.dict();
        let old = d.get(&a[0]).cloned();
        if old.is_some() {
            *d = d.remove(&a[0]);
        }
        Ok(old.unwrap_or_else(|| Term::atom("undefined")))
    });
    rt.register("erlang", "erase", 0, |rt, _| {
        let d = std::mem::take(rt.dict());
        let pairs = d
            .iter()
            .map(|(k, v)| Term::tuple(vec![k.clone(), v.clone()]));
        Ok(Term::list(pairs.collect()))
    });
    rt.register("erlang", "monotonic_time", 0, |_, _| {
        Ok(Term::Int(monotonic_ns()))
    });
    rt.register("erlang", "monotonic_time", 1, |_, a| {
        Ok(Term::Int(in_unit(monotonic_ns(), &a[0])?))
    });
    rt.register("erlang", "system_time", 0, |_, _| {
        Ok(Term::Int(system_ns()))
    });
    rt.register("erlang", "system_time", 1, |_, a| {
        Ok(Term::Int(in_unit(system_ns(), &a[0])?))
    });
    rt.register("erlang", "timestamp", 0, |_, _| Ok(timestamp()));
    rt.register("os", "timestamp", 0, |_, _| Ok(timestamp()));
    rt.register("os", "system_time", 0, |_, _| Ok(Term::Int(system_ns())));
    rt.register("os", "system_time", 1, |_, a| {
        Ok(Term::Int(in_unit(system_ns(), &a[0])?))
    });

    rt.register("erlang", "error", 1, |_, a| {
        Err(Exception::new(Class::Error, a[0].clone()))
    });
    rt.register("erlang", "error", 2, |_, a| {
        Err(Exception::new(Class::Error, a[0].clone()))
    });
    rt.register("erlang", "throw", 1, |_, a| {
        Err(Exception::new(Class::Throw, a[0].clone()))
    });
    rt.register("erlang", "exit", 1, |_, a| {
        Err(Exception::new(Class::Exit, a[0].clone()))
    });
}

/// Whole milliseconds from now until `due` (0 once it has passed).
fn ms_left(due: std::time::Instant) -> i64 {
    due.saturating_duration_since(std::time::Instant::now())
        .as_millis() as i64
}

/// Nanoseconds since a fixed point of this OS process (Erlang's native unit here).
fn monotonic_ns() -> i64 {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    let start = *START.get_or_init(std::time::Instant::now);
    start.elapsed().as_nanos() as i64
}

/// Nanoseconds since the Unix epoch.
fn system_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64)
}

/// `{MegaSecs, Secs, MicroSecs}` of now, as `erlang:timestamp/0`.
fn timestamp() -> Term {
    let us = system_ns() / 1000;
    Term::tuple(vec![
        Term::Int(us / 1_000_000_000_000),
        Term::Int(us / 1_000_000 % 1_000_000),
        Term::Int(us % 1_000_000),
    ])
}

/// Nanoseconds in a time unit: `second`, `millisecond`, `microsecond`,
/// `nanosecond`, `native` (nanoseconds), or parts per second as an integer.
fn in_unit(ns: i64, unit: &Term) -> Result<i64> {
    let per_second: i64 = match unit {
        Term::Int(n) if *n > 0 => *n,
        t => match t.as_atom().map(|a| a.name()) {
            Some("second" | "seconds") => 1,
            Some("millisecond" | "milli_seconds") => 1_000,
            Some("microsecond" | "micro_seconds") => 1_000_000,
            Some("nanosecond" | "nano_seconds" | "native" | "perf_counter") => 1_000_000_000,
            _ => return Err(Exception::badarg()),
        },
    };
    Ok(((ns as i128 * per_second as i128).div_euclid(1_000_000_000)) as i64)
}

fn boolean(t: &Term) -> Result<bool> {
    t.as_bool().ok_or_else(Exception::badarg)
}

fn make_atom(name: &str) -> Result<Term> {
    if name.chars().count() > crate::sexpr::MAX_ATOM_CHARS {
        return Err(Exception::error(Term::atom("system_limit")));
    }
    Atom::try_new(name)
        .map(Term::Atom)
        .ok_or_else(|| Exception::error(Term::atom("system_limit")))
}

fn base(t: &Term) -> Result<u32> {
    match t {
        Term::Int(b) if (2..=36).contains(b) => Ok(*b as u32),
        _ => Err(Exception::badarg()),
    }
}

/// An integer in `base`, upper-case digits, as `integer_to_list/2`.
pub fn int_text(t: &Term, base: u32) -> Result<String> {
    let n = match t {
        Term::Int(i) => num_bigint::BigInt::from(*i),
        Term::Big(b) => (**b).clone(),
        _ => return Err(Exception::badarg()),
    };
    Ok(n.to_str_radix(base).to_uppercase())
}

fn parse_int(s: &str, base: u32) -> Result<Term> {
    let (neg, digits) = match s.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if digits.is_empty() || digits.len() > 100_000 {
        return Err(Exception::badarg());
    }
    let n =
        num_bigint::BigInt::parse_bytes(digits.as_bytes(), base).ok_or_else(Exception::badarg)?;
    Ok(Term::big(if neg { -n } else { n }))
}

/// Flattens an iolist (bytes, binaries, nested lists) into a binary; iterative.
pub fn iolist_to_binary(t: &Term) -> Result<Term> {
    if let Term::Bin(_) = t {
        return Ok(t.clone());
    }
    flatten_bits(t, false)
}

/// Flattens nested lists of bytes and binaries (and bitstrings of any length when
/// `bits`, as `list_to_bitstring`) into one bitstring; iterative.
fn flatten_bits(t: &Term, bits: bool) -> Result<Term> {
    let mut out = Bits::default();
    let mut stack = vec![t.clone()];
    while let Some(x) = stack.pop() {
        match x {
            Term::Nil => {}
            Term::Cons(c) => {
                stack.push(c.tail.clone());
                stack.push(c.head.clone());
            }
            Term::Int(i) if (0..=255).contains(&i) => out.push_bits(i as u64, 8),
            Term::Bin(b) if bits || b.is_binary() => b.append_to(&mut out),
            _ => return Err(Exception::badarg()),
        }
    }
    Ok(Term::bitstring(out))
}

/// `float_to_list/1`: 21 significant digits and an exponent of at least two digits,
/// as C's `%.20e` (`5.00000000000000000000e-01`).
fn float_to_list(f: f64) -> String {
    let s = crate::bif::io::float_sci(f, 21);
    match s.split_once('e') {
        Some((mant, exp)) => {
            let (sign, digits) = exp.split_at(1);
            format!("{mant}e{sign}{digits:0>2}")
        }
        None => s,
    }
}

/// An encoding argument: `true` for utf8/unicode, `false` for latin1.
fn encoding(t: &Term) -> Result<bool> {
    match t.as_atom().map(|a| a.name()) {
        Some("utf8" | "unicode") => Ok(true),
        Some("latin1") => Ok(false),
        _ => Err(Exception::badarg()),
    }
}

/// A binary argument's bytes as text (ASCII digits and signs for the number parsers);
/// anything else is badarg.
fn binary_text(t: &Term) -> Result<String> {
    match t {
        Term::Bin(b) if b.is_binary() => {
            String::from_utf8(b.bytes().into_owned()).map_err(|_| Exception::badarg())
        }
        _ => Err(Exception::badarg()),
    }
}
