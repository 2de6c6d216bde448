//! A Lua function as an Erlang term, for `node.spawn` between cube nodes (issue 12):
//! what `process.spawn` moves inside a node (cube-lua's `PortableFn`: shared
//! prototypes, upvalue cells with their sharing), written so another node can check it
//! before running it.
//!
//! The term is `{cube_fn, 1, Funcs, Cells}`:
//! - `Funcs`: one `{Bytecode, [CellIndex, ...]}` per closure, the spawned function
//!   first; `Bytecode` is cube-lua's binary chunk of its prototype (`dump`);
//! - `Cells`: one per upvalue cell: `{value, Term}`, `{func, Index}`, `env` (the
//!   globals) or `{native, Path}` (a native function by its global path, found again
//!   in the receiver's globals).
//!
//! The receiver trusts nothing: each chunk goes through `undump`, which verifies it
//! (`dump::verify`: operands in range, jumps inside the code, stack bounds), and every
//! index and upvalue count is checked before anything is made, so a hostile term gets
//! an error, never a crash. (Bytecode is the one thing Lua's own `load` refuses by
//! default; between cube nodes it is safe because of the verifier.)

use cube_lua::dump;
use cube_lua::host::{Cx, FuncRef, Val};
use cube_lua::portable::{Cell, ExportError, FuncDesc, PortableFn};
use cube_term::{Atom, Term};
use std::sync::Arc;

/// Most closures and cells one function may bring (a bound on what a peer can make
/// this node allocate before checking).
const MAX_PARTS: usize = 4096;

/// Most bytes of bytecode in all.
const MAX_CODE_BYTES: usize = 16 << 20;

/// `f` as a term (see the module documentation); an error names what cannot travel.
pub fn encode<'n>(cx: &Cx<'n>, f: FuncRef<'n>) -> Result<Term, String> {
    let p = cx
        .export_function(f, &mut |cx, _name, v| crate::external::to_term(cx, v))
        .map_err(|e| match e {
            ExportError::NotLua => "a Lua function expected".to_string(),
            ExportError::Native { upvalue } => {
                format!("cannot send a native function (upvalue '{upvalue}')")
            }
            ExportError::Value { upvalue, error } => format!("{error} (upvalue '{upvalue}')"),
        })?;
    let funcs = p
        .funcs
        .iter()
        .map(|f| {
            let cells = f.cells.iter().map(|&i| Term::Int(i as i64)).collect();
            tuple(vec![
                Term::Binary(Arc::from(dump::dump(&f.proto))),
                list(cells),
            ])
        })
        .collect();
    let cells = p
        .cells
        .into_iter()
        .map(|c| match c {
            Cell::Value(t) => tuple(vec![Term::atom("value"), t]),
            Cell::Func(i) => tuple(vec![Term::atom("func"), Term::Int(i as i64)]),
            Cell::Env => Term::atom("env"),
            Cell::Native(path) => tuple(vec![Term::atom("native"), Term::binary(path.as_bytes())]),
        })
        .collect();
    Ok(tuple(vec![
        Term::atom("cube_fn"),
        Term::Int(1),
        list(funcs),
        list(cells),
    ]))
}

/// The function a term made by [`encode`] stands for, made in `cx`'s state after
/// every check (see the module documentation).
pub fn decode<'n>(cx: &mut Cx<'n>, t: &Term) -> Result<Val<'n>, String> {
    let p = parse(t)?;
    Ok(cx.import_function(&p, &mut |cx, t| crate::external::from_term(cx, t)))
}

fn bad(what: &str) -> String {
    format!("bad function from another node: {what}")
}

/// The checked `PortableFn` of a term.
fn parse(t: &Term) -> Result<PortableFn<Term>, String> {
    let Term::Tuple(items) = t else {
        return Err(bad("not a tuple"));
    };
    let [Term::Atom(tag), Term::Int(1), Term::List(funcs), Term::List(cells)] = &items[..] else {
        return Err(bad("not {cube_fn, 1, Funcs, Cells}"));
    };
    if tag.name() != "cube_fn" {
        return Err(bad("not {cube_fn, 1, Funcs, Cells}"));
    }
    if funcs.is_empty() || funcs.len() > MAX_PARTS || cells.len() > MAX_PARTS {
        return Err(bad("wrong number of closures or cells"));
    }
    let mut code_bytes = 0usize;
    let mut descs = Vec::with_capacity(funcs.len());
    for f in funcs.iter() {
        let Term::Tuple(parts) = f else {
            return Err(bad("closure is not {Bytecode, Cells}"));
        };
        let [Term::Binary(code), Term::List(refs)] = &parts[..] else {
            return Err(bad("closure is not {Bytecode, Cells}"));
        };
        code_bytes = code_bytes.saturating_add(code.len());
        if code_bytes > MAX_CODE_BYTES {
            return Err(bad("too much bytecode"));
        }
        let proto = dump::undump(code, "=remote")?;
        if proto.upvalues.len() != refs.len() {
            return Err(bad("upvalue count does not match the prototype"));
        }
        let mut idx = Vec::with_capacity(refs.len());
        for r in refs.iter() {
            match r {
                Term::Int(i) if *i >= 0 && (*i as usize) < cells.len() => idx.push(*i as usize),
                _ => return Err(bad("cell index out of range")),
            }
        }
        descs.push(FuncDesc { proto, cells: idx });
    }
    let mut out = Vec::with_capacity(cells.len());
    for c in cells.iter() {
        let cell = match c {
            Term::Atom(a) if a.name() == "env" => Cell::Env,
            Term::Tuple(kv) => match &kv[..] {
                [Term::Atom(k), v] if is(k, "value") => Cell::Value(v.clone()),
                [Term::Atom(k), Term::Int(i)] if is(k, "func") => {
                    if *i < 0 || *i as usize >= descs.len() {
                        return Err(bad("function index out of range"));
                    }
                    Cell::Func(*i as usize)
                }
                [Term::Atom(k), Term::Binary(path)] if is(k, "native") => {
                    Cell::Native(String::from_utf8_lossy(path).into_owned())
                }
                _ => return Err(bad("unknown cell")),
            },
            _ => return Err(bad("unknown cell")),
        };
        out.push(cell);
    }
    Ok(PortableFn {
        funcs: descs,
        cells: out,
    })
}

fn is(a: &Atom, name: &str) -> bool {
    a.name() == name
}

fn tuple(items: Vec<Term>) -> Term {
    Term::Tuple(Arc::from(items))
}

fn list(items: Vec<Term>) -> Term {
    Term::List(Arc::from(items))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cube_fn(funcs: Vec<Term>, cells: Vec<Term>) -> Term {
        tuple(vec![
            Term::atom("cube_fn"),
            Term::Int(1),
            list(funcs),
            list(cells),
        ])
    }

    #[test]
    fn hostile_terms_are_refused_before_anything_is_made() {
        let garbage = Term::binary(b"\x1bLua garbage");
        let cases = [
            Term::Int(1),
            cube_fn(vec![], vec![]),
            cube_fn(vec![Term::Int(3)], vec![]),
            cube_fn(vec![tuple(vec![garbage.clone(), list(vec![])])], vec![]),
        ];
        for t in &cases {
            assert!(parse(t).is_err(), "{t:?}");
        }
        // A real chunk with a wrong cell index, a wrong upvalue count, a bad cell.
        let proto =
            cube_lua::load::compile(b"local x = 1 return function() return x end", "=t").unwrap();
        let code = Term::Binary(Arc::from(dump::dump(&proto)));
        let main = |refs: Vec<Term>| tuple(vec![code.clone(), list(refs)]);
        assert!(parse(&cube_fn(
            vec![main(vec![Term::Int(5)])],
            vec![Term::atom("env")]
        ))
        .is_err());
        assert!(parse(&cube_fn(vec![main(vec![])], vec![])).is_err());
        let bad_cell = tuple(vec![Term::atom("func"), Term::Int(9)]);
        assert!(parse(&cube_fn(vec![main(vec![Term::Int(0)])], vec![bad_cell])).is_err());
        assert!(parse(&cube_fn(
            vec![main(vec![Term::Int(0)])],
            vec![Term::atom("env")]
        ))
        .is_ok());
    }
}
