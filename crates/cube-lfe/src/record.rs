//! Records (`defrecord`): a record is a tuple tagged with its name, one element per
//! field. LFE defines macros for each record (`make-R`, `match-R`, `is-R`, `set-R`,
//! `update-R`, `fields-R`, `size-R`, `R-F`, `set-R-F`, `update-R-F`); here the
//! compiler recognises those names for the records defined so far and compiles them
//! directly (see `Compiler::record_form`), which behaves the same.

use std::collections::HashMap;
use std::rc::Rc;

use crate::atom::Atom;
use crate::exception::{Exception, Result};
use crate::runtime::Runtime;
use crate::sexpr::Sexpr;
use crate::term::{Term, Tuple};

/// A record definition: its name and fields, each with an optional default value
/// expression (evaluated each time a record is made without that field).
pub struct RecordDef {
    pub name: Atom,
    pub fields: Vec<(Atom, Option<Sexpr>)>,
}

impl RecordDef {
    /// The record tuple's size (name and fields).
    pub fn size(&self) -> usize {
        self.fields.len() + 1
    }

    /// The tuple index (from 1, the name being at 1) of `field`.
    pub fn index(&self, field: &str) -> Option<usize> {
        self.fields
            .iter()
            .position(|(f, _)| f.name() == field)
            .map(|i| i + 2)
    }
}

pub type Records = HashMap<Atom, Rc<RecordDef>>;

/// Parses `(defrecord name field ...)`'s parts after `defrecord`: a field is `f`,
/// `(f)`, `(f default)` or `(f default type)`.
pub fn parse(parts: &[Sexpr]) -> Result<RecordDef> {
    let Some((Sexpr::Atom(name), fdefs)) = parts.split_first() else {
        return Err(Exception::error_with("bad_form", Term::atom("defrecord")));
    };
    let bad = || Exception::error_with("bad_record", Term::atom(name));
    let mut fields = Vec::new();
    for f in fdefs {
        let field = match f {
            Sexpr::Atom(a) => (Atom::new(a), None),
            Sexpr::List(p) => match &p[..] {
                [Sexpr::Atom(a)] => (Atom::new(a), None),
                [Sexpr::Atom(a), default] | [Sexpr::Atom(a), default, _] => {
                    (Atom::new(a), Some(crate::compile::clone_sexpr(default)))
                }
                _ => return Err(bad()),
            },
            _ => return Err(bad()),
        };
        fields.push(field);
    }
    Ok(RecordDef {
        name: Atom::new(name),
        fields,
    })
}

pub fn register(rt: &mut Runtime) {
    rt.register("erlang", "is_record", 3, |_, a| {
        Ok(Term::bool(is_record(&a[0], &a[1], &a[2])))
    });
    // (lfe_record:field rec name size index): the field, after checking the record.
    rt.register("lfe_record", "field", 4, |_, a| {
        if !is_record(&a[0], &a[1], &a[2]) {
            return Err(badrecord(&a[1], &a[0]));
        }
        let (Term::Tuple(t), Term::Int(i)) = (&a[0], &a[3]) else {
            return Err(Exception::badarg());
        };
        t.0.get((*i as usize).wrapping_sub(1))
            .cloned()
            .ok_or_else(Exception::badarg)
    });
    // (lfe_record:update rec name size indices values).
    rt.register("lfe_record", "update", 5, |_, a| {
        if !is_record(&a[0], &a[1], &a[2]) {
            return Err(badrecord(&a[1], &a[0]));
        }
        let Term::Tuple(t) = &a[0] else {
            return Err(Exception::badarg());
        };
        let (idx, vals) = (crate::bif::list_arg(&a[3])?, crate::bif::list_arg(&a[4])?);
        let mut items = t.0.clone();
        for (i, v) in idx.iter().zip(vals) {
            let i = crate::bif::index_arg(i)?;
            *items
                .get_mut(i.wrapping_sub(1))
                .ok_or_else(Exception::badarg)? = v;
        }
        Ok(Term::Tuple(Rc::new(Tuple(items))))
    });
}

fn is_record(t: &Term, name: &Term, size: &Term) -> bool {
    match (t, size) {
        (Term::Tuple(t), Term::Int(n)) => {
            t.0.len() as i64 == *n
                && t.0
                    .first()
                    .is_some_and(|x| crate::order::exact_equal(x, name))
        }
        _ => false,
    }
}

/// LFE's interpreter's error for a value that is not the record: `#(badrecord name value)`.
fn badrecord(name: &Term, value: &Term) -> Exception {
    Exception::error(Term::tuple(vec![
        Term::atom("badrecord"),
        name.clone(),
        value.clone(),
    ]))
}
