//! JSON <-> [`Term`]: the control protocol is JSON, messages inside the node are terms.
//! Objects and arrays become Lua tables (arrays 1-based), `null` becomes nil; a table
//! whose keys are exactly 1..n becomes an array, any other table an object with string
//! keys. Pids become their printed form.

use cube_term::term::{TableGraph, TableTerm};
use cube_term::Term;
use serde_json::{Map, Number, Value as Json};
use std::sync::Arc;

/// A JSON value as a message term.
pub fn to_term(v: &Json) -> Term {
    match v {
        Json::Object(_) | Json::Array(_) => {
            let mut g = TableGraph::default();
            build(v, &mut g);
            Term::Tables(Arc::new(g))
        }
        other => scalar(other),
    }
}

fn scalar(v: &Json) -> Term {
    match v {
        Json::Null => Term::NIL,
        Json::Bool(b) => {
            if *b {
                Term::TRUE
            } else {
                Term::FALSE
            }
        }
        Json::Number(n) => match n.as_i64() {
            Some(i) => Term::Int(i),
            None => Term::Float(n.as_f64().unwrap_or(0.0)),
        },
        Json::String(s) => Term::binary(s.as_bytes()),
        _ => unreachable!("containers handled by build"),
    }
}

/// Adds the table for `v` to `g` and returns its index.
fn build(v: &Json, g: &mut TableGraph) -> u32 {
    let at = g.tables.len();
    g.tables.push(TableTerm::default());
    let mut t = TableTerm::default();
    match v {
        Json::Array(items) => {
            for it in items {
                t.array.push(child(it, g));
            }
        }
        Json::Object(o) => {
            for (k, it) in o {
                if it.is_null() {
                    continue;
                }
                t.hash.push((Term::binary(k.as_bytes()), child(it, g)));
            }
        }
        _ => {}
    }
    g.tables[at] = t;
    at as u32
}

fn child(v: &Json, g: &mut TableGraph) -> Term {
    match v {
        Json::Object(_) | Json::Array(_) => Term::TableRef(build(v, g)),
        other => scalar(other),
    }
}

/// Tables a term may expand to in JSON: a table reached by several paths is written
/// out once per path, so a small graph (`t = {t, t}` forty times over) could otherwise
/// stand for more JSON than any memory holds.
pub const MAX_TABLES: usize = 100_000;

/// A message term as JSON (tables nested at most 64 deep and MAX_TABLES in all; cycles
/// and whatever lies beyond those bounds become null).
pub fn from_term(t: &Term) -> Json {
    match t {
        Term::Tables(g) => table(g, 0, 0, &mut { MAX_TABLES }),
        other => leaf(other),
    }
}

fn leaf(t: &Term) -> Json {
    match t {
        Term::Atom(a) => match a.name() {
            "true" => Json::Bool(true),
            "false" => Json::Bool(false),
            "nil" => Json::Null,
            other => Json::String(other.to_string()),
        },
        Term::Int(i) => Json::from(*i),
        Term::Float(f) => Number::from_f64(*f).map_or(Json::Null, Json::Number),
        Term::Binary(b) => Json::String(String::from_utf8_lossy(b).into_owned()),
        Term::Pid(p) => Json::String(p.to_string()),
        Term::Ref(r) => Json::String(r.to_string()),
        Term::List(items) | Term::Tuple(items) => {
            Json::Array(items.iter().map(from_term).collect())
        }
        Term::Map(kv) => {
            let mut o = Map::new();
            for (k, v) in kv.iter() {
                o.insert(key(k), from_term(v));
            }
            Json::Object(o)
        }
        Term::Tables(_) | Term::TableRef(_) => Json::Null,
        Term::Foreign(f) => Json::String(f.value().type_name().to_string()),
    }
}

fn key(k: &Term) -> String {
    match leaf(k) {
        Json::String(s) => s,
        other => other.to_string(),
    }
}

fn table(g: &TableGraph, i: u32, depth: usize, budget: &mut usize) -> Json {
    let Some(t) = g.tables.get(i as usize) else {
        return Json::Null;
    };
    if depth > 64 || *budget == 0 {
        return Json::Null;
    }
    *budget -= 1;
    let mut val = |v: &Term| match v {
        Term::TableRef(j) => table(g, *j, depth + 1, budget),
        other => leaf(other),
    };
    // Integer keys 1..n in the hash part still make an array.
    let mut array: Vec<Json> = t.array.iter().map(&mut val).collect();
    let mut rest = Vec::new();
    for (k, v) in &t.hash {
        match k {
            Term::Int(n) if *n == array.len() as i64 + 1 => array.push(val(v)),
            _ => rest.push((k, v)),
        }
    }
    if rest.is_empty() {
        return Json::Array(array);
    }
    let mut o = Map::new();
    for (i, v) in array.into_iter().enumerate() {
        o.insert((i + 1).to_string(), v);
    }
    for (k, v) in rest {
        o.insert(key(k), val(v));
    }
    Json::Object(o)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trip() {
        let v = json!({"a": 1, "b": [1, 2.5, "x", true], "c": {"d": false}});
        assert_eq!(from_term(&to_term(&v)), v);
        assert_eq!(from_term(&to_term(&json!([]))), json!([]));
        assert_eq!(from_term(&to_term(&json!("s"))), json!("s"));
    }

    #[test]
    fn a_shared_table_graph_expands_within_bounds() {
        // 50 tables, each referring twice to the next: 2^50 paths.
        let mut g = TableGraph::default();
        for i in 0..50u32 {
            let mut t = TableTerm::default();
            t.array.push(Term::TableRef(i + 1));
            t.array.push(Term::TableRef(i + 1));
            g.tables.push(t);
        }
        g.tables.push(TableTerm::default());
        let t = std::time::Instant::now();
        let v = from_term(&Term::Tables(Arc::new(g)));
        assert!(t.elapsed() < std::time::Duration::from_secs(20));
        assert!(v.to_string().len() < 100 * MAX_TABLES);
    }
}
