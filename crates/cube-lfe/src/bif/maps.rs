//! `maps` functions that take no funs, and the map update used by `mset`/`mupd`.

use std::rc::Rc;

use crate::bif::list_arg;
use crate::convert::make_map;
use crate::exception::{Exception, Result};
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
        Ok(Term::Map(Rc::new(map_arg(&a[1])?.remove(&a[0]))))
    });
    rt.register("maps", "size", 1, |_, a| {
        Ok(Term::Int(map_arg(&a[0])?.len() as i64))
    });
    rt.register("maps", "keys", 1, |_, a| {
        Ok(Term::list(
            map_arg(&a[0])?.iter().map(|(k, _)| k.clone()).collect(),
        ))
    });
    rt.register("maps", "values", 1, |_, a| {
        Ok(Term::list(
            map_arg(&a[0])?.iter().map(|(_, v)| v.clone()).collect(),
        ))
    });
    rt.register("maps", "to_list", 1, |_, a| {
        Ok(Term::list(
            map_arg(&a[0])?
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
        let extra = map_arg(&a[1])?.iter().cloned().collect();
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
    Ok(m.get(k).cloned())
}

/// `map` with `pairs` put in; with `update`, every key must already be there
/// (`#(badkey K)` otherwise).
pub fn set_pairs(map: &Term, pairs: Vec<(Term, Term)>, update: bool) -> Result<Term> {
    let m = map_arg(map)?;
    if update {
        for (k, _) in &pairs {
            if !m.contains_key(k) {
                return Err(Exception::error_with("badkey", k.clone()));
            }
        }
    }
    // A few keys go in one by one (each copies one chunk, map.rs); many are merged by
    // sorting everything once.
    if pairs.len() > 8 {
        let mut all: Vec<(Term, Term)> = m.iter().cloned().collect();
        all.extend(pairs);
        return Ok(make_map(all));
    }
    let mut out: Option<Map> = None;
    for (k, v) in pairs {
        out = Some(out.as_ref().unwrap_or(m).insert(k, v));
    }
    Ok(Term::Map(Rc::new(out.unwrap_or_else(|| m.clone()))))
}
