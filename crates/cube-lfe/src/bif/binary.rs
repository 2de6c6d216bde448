//! `binary`: Erlang's module for searching and slicing binaries (`split`, `match`,
//! `matches`, `replace`, `part`, `at`, `copy`, `encode_unsigned`, ...). Parts
//! returned are views into the binary they came from (`binview.rs`), as Erlang's
//! sub-binaries are; only `copy` and `replace` make new bytes.
//!
//! A pattern is a non-empty binary or a non-empty list of them; where several
//! match, the earliest position wins and, there, the longest pattern, as Erlang
//! defines it. Not here: the `{scope, ...}` option and `{insert_replaced, N}` of
//! `replace/4` (both `badarg`).

use std::rc::Rc;

use crate::bif::lists::MAX_MADE_LIST;
use crate::binview::Binary;
use crate::exception::{Exception, Result};
use crate::runtime::Runtime;
use crate::term::Term;

/// A whole-byte binary argument: the term's binary and its bytes.
fn bin_arg(t: &Term) -> Result<(&Rc<Binary>, Vec<u8>)> {
    match t {
        Term::Bin(b) if b.is_binary() => Ok((b, b.bytes().into_owned())),
        _ => Err(Exception::badarg()),
    }
}

/// A search pattern: one or more non-empty binaries.
fn patterns(t: &Term) -> Result<Vec<Vec<u8>>> {
    let items = match t {
        Term::Bin(_) => vec![t.clone()],
        Term::Cons(_) => crate::bif::list_arg(t)?,
        _ => return Err(Exception::badarg()),
    };
    let mut out = Vec::with_capacity(items.len());
    for p in &items {
        let (_, bytes) = bin_arg(p)?;
        if bytes.is_empty() {
            return Err(Exception::badarg());
        }
        out.push(bytes);
    }
    Ok(out)
}

/// The earliest match at or after `from` (the longest pattern there): `(pos, len)`.
fn find(hay: &[u8], pats: &[Vec<u8>], from: usize) -> Option<(usize, usize)> {
    (from..hay.len()).find_map(|i| {
        pats.iter()
            .filter(|p| hay[i..].starts_with(p))
            .map(|p| p.len())
            .max()
            .map(|len| (i, len))
    })
}

/// Every non-overlapping match, from the start.
fn find_all(hay: &[u8], pats: &[Vec<u8>]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some((i, len)) = find(hay, pats, from) {
        out.push((i, len));
        from = i + len;
    }
    out
}

/// The part `[pos, pos + len)` of `b`, as a view.
fn view(b: &Rc<Binary>, pos: usize, len: usize) -> Term {
    Term::Bin(Binary::view(b, pos as u64 * 8, len as u64 * 8))
}

/// A `{Pos, Len}` argument, as given (checked against the binary by [`part_range`]).
fn pos_len(t: &Term) -> Result<(i64, i64)> {
    match t {
        Term::Tuple(t) if t.0.len() == 2 => match (&t.0[0], &t.0[1]) {
            (Term::Int(p), Term::Int(l)) => Ok((*p, *l)),
            _ => Err(Exception::badarg()),
        },
        _ => Err(Exception::badarg()),
    }
}

/// `(pos, len)` with Erlang's negative lengths (the part before `pos`), within
/// `size` bytes, or `badarg`.
fn part_range(pos: i64, len: i64, size: usize) -> Result<(usize, usize)> {
    let (start, end) = if len >= 0 {
        (pos, pos.checked_add(len).ok_or_else(Exception::badarg)?)
    } else {
        (pos + len, pos)
    };
    if start < 0 || end as u64 > size as u64 {
        return Err(Exception::badarg());
    }
    Ok((start as usize, (end - start) as usize))
}

fn tuple_pos_len(p: usize, l: usize) -> Term {
    Term::tuple(vec![Term::Int(p as i64), Term::Int(l as i64)])
}

/// The options of `split/3` and `replace/4` this module knows.
#[derive(Default)]
struct Opts {
    global: bool,
    trim: bool,
    trim_all: bool,
}

fn options(t: &Term) -> Result<Opts> {
    let mut o = Opts::default();
    for x in crate::bif::list_arg(t)? {
        match x.as_atom().map(|a| a.name()) {
            Some("global") => o.global = true,
            Some("trim") => o.trim = true,
            Some("trim_all") => o.trim_all = true,
            _ => return Err(Exception::badarg()),
        }
    }
    Ok(o)
}

fn split(b: &Term, pat: &Term, opts: Opts) -> Result<Term> {
    let (bin, hay) = bin_arg(b)?;
    let pats = patterns(pat)?;
    let cuts = if opts.global {
        find_all(&hay, &pats)
    } else {
        find(&hay, &pats, 0).into_iter().collect()
    };
    let mut parts = Vec::with_capacity(cuts.len() + 1);
    let mut at = 0;
    for (i, len) in cuts {
        parts.push((at, i - at));
        at = i + len;
    }
    parts.push((at, hay.len() - at));
    if opts.trim_all {
        parts.retain(|&(_, len)| len > 0);
    } else if opts.trim {
        while parts.len() > 1 && parts.last().is_some_and(|&(_, len)| len == 0) {
            parts.pop();
        }
        if parts.len() == 1 && parts[0].1 == 0 {
            parts.clear();
        }
    }
    Ok(Term::list(
        parts.into_iter().map(|(p, l)| view(bin, p, l)).collect(),
    ))
}

fn replace(b: &Term, pat: &Term, rep: &Term, opts: Opts) -> Result<Term> {
    let (_, hay) = bin_arg(b)?;
    let pats = patterns(pat)?;
    let (_, rep) = bin_arg(rep)?;
    if opts.trim || opts.trim_all {
        return Err(Exception::badarg());
    }
    let cuts = if opts.global {
        find_all(&hay, &pats)
    } else {
        find(&hay, &pats, 0).into_iter().collect()
    };
    let grown = (cuts.len() as u64).saturating_mul(rep.len() as u64);
    if grown.saturating_add(hay.len() as u64) > MAX_MADE_LIST as u64 {
        return Err(Exception::error(Term::atom("system_limit")));
    }
    let mut out = Vec::with_capacity(hay.len() + grown as usize);
    let mut at = 0;
    for (i, len) in cuts {
        out.extend_from_slice(&hay[at..i]);
        out.extend_from_slice(&rep);
        at = i + len;
    }
    out.extend_from_slice(&hay[at..]);
    Ok(Term::binary(out))
}

fn endian_little(t: &Term) -> Result<bool> {
    match t.as_atom().map(|a| a.name()) {
        Some("big") => Ok(false),
        Some("little") => Ok(true),
        _ => Err(Exception::badarg()),
    }
}

fn encode_unsigned(n: &Term, little: bool) -> Result<Term> {
    let n = match n {
        Term::Int(i) if *i >= 0 => num_bigint::BigInt::from(*i),
        Term::Big(b) if b.sign() != num_bigint::Sign::Minus => (**b).clone(),
        _ => return Err(Exception::badarg()),
    };
    let (_, mut bytes) = n.to_bytes_be();
    if little {
        bytes.reverse();
    }
    Ok(Term::binary(bytes))
}

fn decode_unsigned(b: &Term, little: bool) -> Result<Term> {
    let (_, bytes) = bin_arg(b)?;
    let n = if little {
        num_bigint::BigInt::from_bytes_le(num_bigint::Sign::Plus, &bytes)
    } else {
        num_bigint::BigInt::from_bytes_be(num_bigint::Sign::Plus, &bytes)
    };
    Ok(Term::big(n))
}

fn binaries(t: &Term) -> Result<Vec<Vec<u8>>> {
    let items = crate::bif::list_arg(t)?;
    if items.is_empty() {
        return Err(Exception::badarg());
    }
    items.iter().map(|x| bin_arg(x).map(|(_, b)| b)).collect()
}

pub fn register(rt: &mut Runtime) {
    rt.register("binary", "split", 2, |_, a| {
        split(&a[0], &a[1], Opts::default())
    });
    rt.register("binary", "split", 3, |_, a| {
        split(&a[0], &a[1], options(&a[2])?)
    });
    rt.register("binary", "replace", 3, |_, a| {
        replace(&a[0], &a[1], &a[2], Opts::default())
    });
    rt.register("binary", "replace", 4, |_, a| {
        replace(&a[0], &a[1], &a[2], options(&a[3])?)
    });
    rt.register("binary", "match", 2, |_, a| {
        let (_, hay) = bin_arg(&a[0])?;
        Ok(match find(&hay, &patterns(&a[1])?, 0) {
            Some((p, l)) => tuple_pos_len(p, l),
            None => Term::atom("nomatch"),
        })
    });
    rt.register("binary", "matches", 2, |_, a| {
        let (_, hay) = bin_arg(&a[0])?;
        let all = find_all(&hay, &patterns(&a[1])?);
        Ok(Term::list(
            all.into_iter().map(|(p, l)| tuple_pos_len(p, l)).collect(),
        ))
    });
    rt.register("binary", "part", 2, |_, a| {
        let (bin, bytes) = bin_arg(&a[0])?;
        let (p, l) = pos_len(&a[1])?;
        let (p, l) = part_range(p, l, bytes.len())?;
        Ok(view(bin, p, l))
    });
    rt.register("binary", "part", 3, |_, a| {
        let (bin, bytes) = bin_arg(&a[0])?;
        let (Term::Int(p), Term::Int(l)) = (&a[1], &a[2]) else {
            return Err(Exception::badarg());
        };
        let (p, l) = part_range(*p, *l, bytes.len())?;
        Ok(view(bin, p, l))
    });
    rt.register("binary", "at", 2, |_, a| {
        let (_, bytes) = bin_arg(&a[0])?;
        match &a[1] {
            Term::Int(i) if *i >= 0 && (*i as u64) < bytes.len() as u64 => {
                Ok(Term::Int(bytes[*i as usize] as i64))
            }
            _ => Err(Exception::badarg()),
        }
    });
    rt.register("binary", "first", 1, |_, a| {
        let (_, bytes) = bin_arg(&a[0])?;
        bytes
            .first()
            .map(|&b| Term::Int(b as i64))
            .ok_or_else(Exception::badarg)
    });
    rt.register("binary", "last", 1, |_, a| {
        let (_, bytes) = bin_arg(&a[0])?;
        bytes
            .last()
            .map(|&b| Term::Int(b as i64))
            .ok_or_else(Exception::badarg)
    });
    rt.register("binary", "copy", 1, |_, a| {
        Ok(Term::binary(bin_arg(&a[0])?.1))
    });
    rt.register("binary", "copy", 2, |_, a| {
        let (_, bytes) = bin_arg(&a[0])?;
        let n = crate::bif::index_arg(&a[1])?;
        if (bytes.len() as u64).saturating_mul(n as u64) > MAX_MADE_LIST as u64 {
            return Err(Exception::error(Term::atom("system_limit")));
        }
        Ok(Term::binary(bytes.repeat(n)))
    });
    rt.register("binary", "bin_to_list", 1, |_, a| {
        let (_, bytes) = bin_arg(&a[0])?;
        Ok(Term::list(
            bytes.iter().map(|&b| Term::Int(b as i64)).collect(),
        ))
    });
    rt.register("binary", "bin_to_list", 2, |_, a| {
        let (_, bytes) = bin_arg(&a[0])?;
        let (p, l) = pos_len(&a[1])?;
        let (p, l) = part_range(p, l, bytes.len())?;
        Ok(Term::list(
            bytes[p..p + l]
                .iter()
                .map(|&b| Term::Int(b as i64))
                .collect(),
        ))
    });
    rt.register("binary", "bin_to_list", 3, |_, a| {
        let (_, bytes) = bin_arg(&a[0])?;
        let (Term::Int(p), Term::Int(l)) = (&a[1], &a[2]) else {
            return Err(Exception::badarg());
        };
        let (p, l) = part_range(*p, *l, bytes.len())?;
        Ok(Term::list(
            bytes[p..p + l]
                .iter()
                .map(|&b| Term::Int(b as i64))
                .collect(),
        ))
    });
    rt.register("binary", "list_to_bin", 1, |_, a| {
        crate::bif::erlang::iolist_to_binary(&a[0])
    });
    rt.register("binary", "referenced_byte_size", 1, |_, a| {
        Ok(Term::Int(bin_arg(&a[0])?.1.len() as i64))
    });
    rt.register("binary", "encode_unsigned", 1, |_, a| {
        encode_unsigned(&a[0], false)
    });
    rt.register("binary", "encode_unsigned", 2, |_, a| {
        encode_unsigned(&a[0], endian_little(&a[1])?)
    });
    rt.register("binary", "decode_unsigned", 1, |_, a| {
        decode_unsigned(&a[0], false)
    });
    rt.register("binary", "decode_unsigned", 2, |_, a| {
        decode_unsigned(&a[0], endian_little(&a[1])?)
    });
    rt.register("binary", "longest_common_prefix", 1, |_, a| {
        let bins = binaries(&a[0])?;
        let n = (0..)
            .take_while(|&i| bins.iter().all(|b| i < b.len() && b[i] == bins[0][i]))
            .count();
        Ok(Term::Int(n as i64))
    });
    rt.register("binary", "longest_common_suffix", 1, |_, a| {
        let bins = binaries(&a[0])?;
        let n = (0..)
            .take_while(|&i| {
                bins.iter()
                    .all(|b| i < b.len() && b[b.len() - 1 - i] == bins[0][bins[0].len() - 1 - i])
            })
            .count();
        Ok(Term::Int(n as i64))
    });
    rt.register("binary", "encode_hex", 1, |_, a| {
        let (_, bytes) = bin_arg(&a[0])?;
        let hex: String = bytes.iter().map(|b| format!("{b:02X}")).collect();
        Ok(Term::binary(hex.into_bytes()))
    });
    rt.register("binary", "decode_hex", 1, |_, a| {
        let (_, hex) = bin_arg(&a[0])?;
        if hex.len() % 2 != 0 {
            return Err(Exception::badarg());
        }
        let digit = |c: u8| (c as char).to_digit(16).ok_or_else(Exception::badarg);
        let mut out = Vec::with_capacity(hex.len() / 2);
        for pair in hex.chunks(2) {
            out.push((digit(pair[0])? * 16 + digit(pair[1])?) as u8);
        }
        Ok(Term::binary(out))
    });
}
