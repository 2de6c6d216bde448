//! [`Term`] -> Lua value: the receiver's half of a message copy.
//!
//! Every table of a [`Term::Tables`] arena is created first, pre-sized from its array
//! and hash counts, and only then filled, so a [`Term::TableRef`] (a shared sub-table, a
//! cycle) always finds its table, and filling never triggers a rehash. Composite terms
//! are filled from an explicit job stack, never by recursion.
//!
//! Terms that Lua code cannot send have a provisional Lua view until the layers that
//! own them define theirs: lists and tuples become sequences, atoms other than
//! `nil`/`true`/`false` become strings of their name, pids and references go through the
//! [`Bridge`]. Entries that cannot exist in a Lua table (a `nil` or NaN key) are
//! dropped, and a `TableRef` outside its arena becomes nil; Lua senders never make
//! either.
//!
//! Everything happens in one context of the receiving state (`cube_lua::host`): no
//! collection runs in it, so the tables made along the way stay valid, and the result
//! cannot outlive the context: the caller roots it (pushes it, stores it in a rooted
//! table) before Lua runs again.

use crate::atom::Atom;
use crate::bridge::{Bridge, NoBridge};
use crate::number::int_to_number;
use crate::term::{TableGraph, TableKind, Term};
use cube_lua::host::{Cx, TableRef, Val};

/// Materialises `t` in `cx`'s state, with no process runtime (see [`from_term_with`]).
pub fn from_term<'n>(cx: &mut Cx<'n>, t: &Term) -> Val<'n> {
    from_term_with(cx, t, &NoBridge)
}

/// Materialises `t` as fresh values of `cx`'s state, with the same sharing graph. See
/// the module documentation for rooting the result.
pub fn from_term_with<'n>(cx: &mut Cx<'n>, t: &Term, bridge: &dyn Bridge) -> Val<'n> {
    let mut b = Builder {
        cx,
        bridge,
        jobs: Vec::new(),
        arenas: Vec::new(),
    };
    let root = b.value(t, None);
    while let Some(job) = b.jobs.pop() {
        b.run(job);
    }
    root
}

/// A table made but not yet filled. `arena` is the enclosing `Tables` term's index in
/// `Builder::arenas`, for resolving `TableRef`s.
enum Job<'t, 'n> {
    Arena {
        arena: usize,
        graph: &'t TableGraph,
    },
    Seq {
        dst: TableRef<'n>,
        items: &'t [Term],
        arena: Option<usize>,
    },
    Map {
        dst: TableRef<'n>,
        pairs: &'t [(Term, Term)],
        arena: Option<usize>,
    },
}

struct Builder<'s, 't, 'n> {
    cx: &'s mut Cx<'n>,
    bridge: &'s dyn Bridge,
    jobs: Vec<Job<'t, 'n>>,
    /// The tables made for each `Tables` term met so far.
    arenas: Vec<Vec<TableRef<'n>>>,
}

impl<'t, 'n> Builder<'_, 't, 'n> {
    /// The value for `t`; a composite one is made empty and queued for filling.
    fn value(&mut self, t: &'t Term, arena: Option<usize>) -> Val<'n> {
        match t {
            Term::Atom(a) => match *a {
                Atom::NIL => Val::Nil,
                Atom::TRUE => Val::Bool(true),
                Atom::FALSE => Val::Bool(false),
                other => self.bridge.atom_to_value(self.cx, other),
            },
            Term::Int(i) => Val::Num(int_to_number(*i)),
            Term::Float(f) => Val::Num(*f),
            Term::Binary(b) => self.cx.new_str(b),
            Term::List(items) | Term::Tuple(items) => {
                let dst = self.cx.new_table_with(items.len(), 0);
                let kind = match t {
                    Term::Tuple(_) => TableKind::Tuple,
                    _ => TableKind::List,
                };
                self.bridge.mark_table(self.cx, dst, kind);
                self.jobs.push(Job::Seq { dst, items, arena });
                Val::Table(dst)
            }
            Term::Map(pairs) => {
                let dst = self.cx.new_table_with(0, pairs.len());
                self.jobs.push(Job::Map { dst, pairs, arena });
                Val::Table(dst)
            }
            Term::Pid(p) => self.bridge.pid_to_value(self.cx, *p),
            Term::Ref(r) => self.bridge.reference_to_value(self.cx, *r),
            Term::Tables(graph) => {
                if graph.tables.is_empty() {
                    return Val::Table(self.cx.new_table());
                }
                let tables: Vec<TableRef<'n>> = graph
                    .tables
                    .iter()
                    .map(|tt| self.cx.new_table_with(tt.array.len(), tt.hash.len()))
                    .collect();
                let root = tables[0];
                for &(i, kind) in &graph.marks {
                    if let Some(&t) = tables.get(i as usize) {
                        self.bridge.mark_table(self.cx, t, kind);
                    }
                }
                self.arenas.push(tables);
                self.jobs.push(Job::Arena {
                    arena: self.arenas.len() - 1,
                    graph,
                });
                Val::Table(root)
            }
            Term::TableRef(i) => arena
                .and_then(|a| self.arenas[a].get(*i as usize))
                .map_or(Val::Nil, |t| Val::Table(*t)),
            Term::Foreign(f) => f.value().to_lua(self.cx),
        }
    }

    fn run(&mut self, job: Job<'t, 'n>) {
        match job {
            Job::Arena { arena, graph } => {
                for (i, tt) in graph.tables.iter().enumerate() {
                    let dst = self.arenas[arena][i];
                    self.fill_seq(dst, &tt.array, Some(arena));
                    self.fill_map(dst, &tt.hash, Some(arena));
                }
            }
            Job::Seq { dst, items, arena } => self.fill_seq(dst, items, arena),
            Job::Map { dst, pairs, arena } => self.fill_map(dst, pairs, arena),
        }
    }

    /// `dst[1..]` = `items` (the array part was sized for them: stores are direct).
    fn fill_seq(&mut self, dst: TableRef<'n>, items: &'t [Term], arena: Option<usize>) {
        for (i, item) in items.iter().enumerate() {
            if item.is_nil() {
                continue;
            }
            let v = self.value(item, arena);
            self.cx.raw_set_int(dst, i as i64 + 1, v);
        }
    }

    fn fill_map(&mut self, dst: TableRef<'n>, pairs: &'t [(Term, Term)], arena: Option<usize>) {
        for (k, v) in pairs {
            let key = self.value(k, arena);
            let val = self.value(v, arena);
            // A nil or NaN key has no place in a Lua table: drop the entry.
            let _ = self.cx.raw_set(dst, key, val);
        }
    }
}
