//! `maps` functions that take no funs, and the map update used by `mset`/`mupd`.

use std::rc::Rc;

use crate::bif::list_arg;
use crate::convert::make_map;
use crate::exception::{Exception, Result};
use crate::order::cmp_exact;
use crate::runtime::Runtime;
use crate::term::{Map, Term};

pub fn register(rt: &mut Runtime) {
    rt.register("maps", "new", 0, |_, _| Ok(make_map(Vec::new())));
    rt.register("maps", "get", 2, |_, a| {
        lookup(&a[1], &a[0])?.ok_or_else(|| Exception::error_with("badkey", a[0].clone()))
    });
    rt.register("maps", "get", 3, |_, a| {
        Ok(lookup(&a[1], &a[0])?.unwrap_or_else(|| a[2].clone()))
    });
    rt.register("maps", "find", 2, |_, a| {
        Ok(match lookup(&a[1], &a[0])? {
            Some(v) => Term::tuple(vec![Term::atom("ok"), v]),
            None => Term::atom("error"),
        })
    });
    rt.register("maps", "is_key", 2, |_, a| {
        Ok(Term::bool(lookup(&a[1], &a[0])?.is_some()))
    });
    rt.register("maps", "put", 3, |_, a| {
        set_pairs(&a[2], vec![(a[0].clone(), a[1].clone())], false)
    });
    rt.register("maps", "update", 3, |_, a| {
        set_pairs(&a[2], vec![(a[0].clone(), a[1].clone())], true)
    });
    rt.register("maps", "remove", 2, |_, a| {
        let m = map_arg(&a[1])?;
        Ok(Term::Map(Rc::new(Map(m
            .0
            .iter()
            .filter(|(k, _)| cmp_exact(k, &a[0]).is_ne())
            .cloned()
            .collect()))))
    });
    rt.register("maps", "size", 1, |_, a| {
        Ok(Term::Int(map_arg(&a[0])?.0.len() as i64))
    });
    rt.register("maps", "keys", 1, |_, a| {
        Ok(Term::list(
            map_arg(&a[0])?.0.iter().map(|(k, _)| k.clone()).collect(),
        ))
    });
    rt.register("maps", "values", 1, |_, a| {
        Ok(Term::list(
            map_arg(&a[0])?.0.iter().map(|(_, v)| v.clone()).collect(),
        ))
    });
    rt.register("maps", "to_list", 1, |_, a| {
        Ok(Term::list(
            map_arg(&a[0])?
                .0
                .iter()
                .map(|(k, v)| Term::tuple(vec![k.clone(), v.clone()]))
                .collect(),
        ))
    });
    rt.register("maps", "from_list", 1, |_, a| {
        let mut pairs = Vec::new();
        for t in list_arg(&a[0])? {
            match &t {
                Term::Tuple(p) if p.0.len() == 2 => pairs.push((p.0[0].clone(), p.0[1].clone())),
                _ => return Err(Exception::badarg()),
            }
        }
        Ok(make_map(pairs))
    });
    rt.register("maps", "merge", 2, |_, a| {
        let extra = map_arg(&a[1])?.0.to_vec();
        set_pairs(&a[0], extra, false)
    });
}

fn map_arg(t: &Term) -> Result<&Map> {
    match t {
        Term::Map(m) => Ok(m),
        _ => Err(Exception::error_with("badmap", t.clone())),
    }
}

fn lookup(m: &Term, k: &Term) -> Result<Option<Term>> {
    let m = map_arg(m)?;
    Ok(m.0
        .binary_search_by(|(mk, _)| cmp_exact(mk, k))
        .ok()
        .map(|i| m.0[i].1.clone()))
}

/// `map` with `pairs` put in; with `update`, every key must already be there
/// (`#(badkey K)` otherwise).
pub fn set_pairs(map: &Term, pairs: Vec<(Term, Term)>, update: bool) -> Result<Term> {
    let m = map_arg(map)?;
    if update {
        for (k, _) in &pairs {
            if m.0.binary_search_by(|(mk, _)| cmp_exact(mk, k)).is_err() {
                return Err(Exception::error_with("badkey", k.clone()));
            }
        }
    }
    let mut all = m.0.to_vec();
    all.extend(pairs);
    Ok(make_map(all))
}
