//! The compiler's part of records: the forms LFE's record macros name
//! (`make-R`, `match-R`, `is-R`, `set-R`, `update-R`, `fields-R`, `size-R`, `R-F`,
//! `set-R-F`, `update-R-F`) and the core record forms, for the records defined so far.

use std::rc::Rc;

use super::{atom_lit, bad_form, clone_sexpr, lit, remote, Compiler};
use crate::atom::Atom;
use crate::exception::{Exception, Result};
use crate::ir::{Expr, ExprRef, Op};
use crate::record::RecordDef;
use crate::sexpr::Sexpr;
use crate::term::Term;

impl Compiler<'_> {
    /// `(match-R f p ...)` or `(record R f p ...)` in a pattern: the record and the
    /// field/pattern pairs.
    pub(super) fn record_pattern_name<'s>(
        &self,
        kw: &str,
        args: &'s [Sexpr],
    ) -> Option<(Rc<RecordDef>, &'s [Sexpr])> {
        let (rec, fields) = if kw == "record" {
            let (name, rest) = args.split_first()?;
            (self.records.get(&Atom::new(name.as_atom()?))?, rest)
        } else {
            (
                self.records.get(&Atom::new(kw.strip_prefix("match-")?))?,
                args,
            )
        };
        (fields.len() % 2 == 0).then(|| (rec.clone(), fields))
    }

    /// Whether `name` is one of the record macros of a record defined so far.
    pub(super) fn is_record_form(&self, name: &str) -> bool {
        let prefixes = [
            "make-", "is-", "set-", "update-", "fields-", "size-", "match-",
        ];
        let found = |n: &str| self.records.contains_key(&Atom::new(n));
        prefixes
            .iter()
            .any(|p| name.strip_prefix(p).is_some_and(found))
            || self.records.values().any(|r| {
                let rest = name
                    .strip_prefix("set-")
                    .or_else(|| name.strip_prefix("update-"))
                    .unwrap_or(name);
                rest.strip_prefix(r.name.name())
                    .and_then(|f| f.strip_prefix('-'))
                    .is_some_and(|f| r.index(f).is_some())
            })
    }

    /// The record forms of the records defined so far (see `record.rs`); `None` if
    /// `name` is not one.
    // Not inlined: every call form asks it first, and its locals would otherwise be
    // paid per level of nesting (see `forms.rs`).
    #[inline(never)]
    pub(super) fn record_form(
        &mut self,
        name: &str,
        args: &[Sexpr],
        d: usize,
    ) -> Result<Option<ExprRef>> {
        let find = |n: &str| self.records.get(&Atom::new(n)).cloned();
        // Core forms naming the record in an argument.
        match (name, args) {
            ("record", [Sexpr::Atom(r), fields @ ..]) => {
                if let Some(rec) = find(r) {
                    return self.make_record(&rec, fields, d).map(Some);
                }
            }
            ("is-record", [e, Sexpr::Atom(r)]) => {
                if let Some(rec) = find(r) {
                    return self.is_record(&rec, e, d).map(Some);
                }
            }
            ("record-index", [Sexpr::Atom(r), Sexpr::Atom(f)]) => {
                if let Some(rec) = find(r) {
                    let i = rec.index(f).ok_or_else(|| undefined_field(&rec, f))?;
                    return Ok(Some(lit(Term::Int(i as i64))));
                }
            }
            ("record-field", [e, Sexpr::Atom(r), Sexpr::Atom(f)]) => {
                if let Some(rec) = find(r) {
                    return self.record_field(&rec, e, f, d).map(Some);
                }
            }
            ("record-update", [e, Sexpr::Atom(r), fields @ ..]) => {
                if let Some(rec) = find(r) {
                    return self.record_update(&rec, e, fields, d).map(Some);
                }
            }
            _ => {}
        }
        // The per-record macros.
        for (prefix, kind) in [
            ("make-", 0),
            ("is-", 1),
            ("set-", 2),
            ("update-", 2),
            ("fields-", 3),
            ("size-", 4),
        ] {
            let Some(rec) = name.strip_prefix(prefix).and_then(find) else {
                continue;
            };
            return match (kind, args) {
                (0, fields) => self.make_record(&rec, fields, d),
                (1, [e]) => self.is_record(&rec, e, d),
                (2, [e, fields @ ..]) => self.record_update(&rec, e, fields, d),
                (3, []) => Ok(lit(Term::list(
                    rec.fields.iter().map(|(f, _)| Term::Atom(*f)).collect(),
                ))),
                (4, []) => Ok(lit(Term::Int(rec.size() as i64))),
                _ => Err(bad_form(name)),
            }
            .map(Some);
        }
        // R-F (get or index), set-R-F and update-R-F.
        let (setter, rest) = match name
            .strip_prefix("set-")
            .or_else(|| name.strip_prefix("update-"))
        {
            Some(rest) => (true, rest),
            None => (false, name),
        };
        for rec in self.records.values() {
            let Some(f) = rest
                .strip_prefix(rec.name.name())
                .and_then(|r| r.strip_prefix('-'))
            else {
                continue;
            };
            let Some(i) = rec.index(f) else { continue };
            let rec = rec.clone();
            return match (setter, args) {
                (false, []) => Ok(lit(Term::Int(i as i64))),
                (false, [e]) => self.record_field(&rec, e, f, d),
                (true, [e, v]) => {
                    let fields = [Sexpr::atom(f), clone_sexpr(v)];
                    self.record_update(&rec, e, &fields, d)
                }
                _ => Err(bad_form(name)),
            }
            .map(Some);
        }
        Ok(None)
    }

    fn make_record(&mut self, rec: &RecordDef, fields: &[Sexpr], d: usize) -> Result<ExprRef> {
        let mut given: Vec<Option<&Sexpr>> = vec![None; rec.fields.len()];
        if !fields.len().is_multiple_of(2) {
            return Err(bad_form("record"));
        }
        for fv in fields.chunks(2) {
            let Sexpr::Atom(f) = &fv[0] else {
                return Err(bad_form("record"));
            };
            let i = rec.index(f).ok_or_else(|| undefined_field(rec, f))?;
            given[i - 2] = Some(&fv[1]);
        }
        let mut items = vec![lit(Term::Atom(rec.name))];
        for (g, (_, default)) in given.iter().zip(rec.fields.iter()) {
            items.push(match (*g, default.as_ref()) {
                (Some(e), _) | (None, Some(e)) => self.expr_at(e, d)?,
                (None, None) => atom_lit("undefined"),
            });
        }
        Ok(Rc::new(Expr::Op(Op::Tuple, items)))
    }

    fn is_record(&mut self, rec: &RecordDef, e: &Sexpr, d: usize) -> Result<ExprRef> {
        let e = self.expr_at(e, d)?;
        Ok(remote(
            "erlang",
            "is_record",
            vec![
                e,
                lit(Term::Atom(rec.name)),
                lit(Term::Int(rec.size() as i64)),
            ],
        ))
    }

    fn record_field(&mut self, rec: &RecordDef, e: &Sexpr, f: &str, d: usize) -> Result<ExprRef> {
        let i = rec.index(f).ok_or_else(|| undefined_field(rec, f))?;
        let e = self.expr_at(e, d)?;
        Ok(remote(
            "lfe_record",
            "field",
            vec![
                e,
                lit(Term::Atom(rec.name)),
                lit(Term::Int(rec.size() as i64)),
                lit(Term::Int(i as i64)),
            ],
        ))
    }

    fn record_update(
        &mut self,
        rec: &RecordDef,
        e: &Sexpr,
        fields: &[Sexpr],
        d: usize,
    ) -> Result<ExprRef> {
        if !fields.len().is_multiple_of(2) {
            return Err(bad_form("record"));
        }
        let e = self.expr_at(e, d)?;
        let mut idx = Vec::new();
        let mut vals = Vec::new();
        for fv in fields.chunks(2) {
            let Sexpr::Atom(f) = &fv[0] else {
                return Err(bad_form("record"));
            };
            idx.push(Term::Int(
                rec.index(f).ok_or_else(|| undefined_field(rec, f))? as i64,
            ));
            vals.push(self.expr_at(&fv[1], d)?);
        }
        let vals = Rc::new(Expr::Op(Op::List { dotted: false }, vals));
        Ok(remote(
            "lfe_record",
            "update",
            vec![
                e,
                lit(Term::Atom(rec.name)),
                lit(Term::Int(rec.size() as i64)),
                lit(Term::list(idx)),
                vals,
            ],
        ))
    }
}

pub(super) fn undefined_field(rec: &RecordDef, f: &str) -> Exception {
    Exception::error(Term::tuple(vec![
        Term::atom("undefined_record_field"),
        Term::Atom(rec.name),
        Term::atom(f),
    ]))
}
