//! [`Eterm`] <-> `cube_term::Term`, and the [`NodeTable`] that lets a `Pid` (which names
//! its node by a `u32` index) stand for a pid of any node.
//!
//! # Node indices
//! Index 0 is this node (cube-vm's own pids). Every other `(node name, creation)` pair
//! met on the wire gets the next index on first sight and keeps it: a node that restarts
//! has a new creation, so its new pids never equal the old ones, as in Erlang.
//!
//! # References
//! A `cube_term::Reference` is a node index and a `u64`; Erlang references are up to
//! five 32-bit words. This node's references are packed into three words that erl reads
//! back unchanged (18 + 32 + 14 bits, the first word within erl's 18-bit range). Another
//! node's reference is kept whole in the `Reference` itself: what erl makes (three words,
//! the first below 2^18) is its word count and first word in the reference's 32 extra
//! bits and its other two words in the `u64`, so receiving references costs nothing that
//! lasts. Only references outside that shape (four or five words, or a first word with
//! high bits set, which no BEAM makes today) are interned per node, at most
//! [`MAX_INTERNED_REFS`] of them; past that such a reference does not convert
//! ([`ConvertError::TooManyRefs`]) and its message is dropped with a warning, so a
//! hostile peer cannot grow the table without bound.
//!
//! # What does not fit a `Term`
//! Integers beyond `i64`, bitstrings, improper lists and ports have no `Term` form yet:
//! converting them is a [`ConvertError::Unrepresentable`], never a silent change. A Lua
//! table graph becomes a list when it is a sequence (keys exactly 1..n, or empty) and a
//! map otherwise (DESIGN.md, "Erlang terms at the Lua boundary"). A graph that is not a
//! tree of reasonable size (a cycle, or sharing that would expand past
//! `MAX_EXPANDED_TERMS`) goes whole instead, as `{'$cube_tables', Tables, Marks}`
//! (each table `{Array, Pairs}`, a table inside one `{'$cube_table', Index}`), which
//! another cube node turns back into the same graph (DESIGN.md decision 8: between
//! cube nodes a message keeps its whole table graph); an Erlang node sees that tuple.
//! To a node known to be a cube node ([`NodeTable::mark_cube`]: it registers with EPMD
//! under [`CUBE_EPMD_EXTRA`]) a graph with any sharing also goes whole, so a table
//! reached twice arrives as one table, as in a message between two local processes;
//! an Erlang node gets such a graph expanded into a tree, as Erlang has no sharing to
//! keep.

use crate::etf::{Eterm, ExtPid, ExtRef, MAX_DEPTH};
use cube_term::{Atom, Pid, Reference, TableGraph, TableKind, TableTerm, Term};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The `Extra` field a cube node registers with EPMD: how another cube node knows it
/// (Erlang nodes register an empty one).
pub const CUBE_EPMD_EXTRA: &[u8] = b"cube";

/// A node incarnation: its name and its creation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NodeId {
    pub name: Atom,
    pub creation: u32,
}

/// Node index <-> node incarnation, and the interned references of other nodes.
/// Shared by every connection of a node (`&self` methods, locked inside).
pub struct NodeTable {
    local: NodeId,
    inner: Mutex<Tables>,
}

#[derive(Default)]
struct Tables {
    /// `nodes[i - 1]` is node index `i`.
    nodes: Vec<NodeId>,
    /// Names of the nodes known to be cube nodes (see the module doc).
    cube_nodes: std::collections::HashSet<Atom>,
    index: HashMap<NodeId, u32>,
    /// Per node index: interned reference words and their positions.
    refs: HashMap<u32, RefIntern>,
}

#[derive(Default)]
struct RefIntern {
    words: Vec<Vec<u32>>,
    index: HashMap<Vec<u32>, u64>,
}

/// Why a value does not convert.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConvertError {
    #[error("{0} has no cube term form")]
    Unrepresentable(&'static str),
    #[error("term nests deeper than the limit")]
    TooDeep,
    #[error("table graph has a cycle")]
    Cycle,
    #[error("table graph expands past the size limit")]
    TooLarge,
    #[error("table reference outside a table graph")]
    StrayTableRef,
    #[error("pid or reference names an unknown node index {0}")]
    UnknownNode(u32),
    #[error("local pid number {0} does not fit Erlang's 32 bits")]
    PidOutOfRange(u64),
    #[error("reference names this node but was not made by it")]
    ForeignLocalRef,
    #[error("unknown reference")]
    UnknownRef,
    #[error("too many references of an unusual shape from one node")]
    TooManyRefs,
    #[error("a {0} cannot be sent to another node")]
    LocalOnly(&'static str),
}

/// Most terms one table graph may expand to (a graph sharing a table twice at each of
/// 40 levels would otherwise expand to 2^40 terms).
const MAX_EXPANDED_TERMS: usize = 16 << 20;

/// How many references of an unusual shape (see the module doc) one node incarnation
/// may leave interned.
pub const MAX_INTERNED_REFS: usize = 1 << 16;

/// Bits of a local reference id in each of the three words.
const REF_WORD0_BITS: u32 = 18;
const REF_WORD1_BITS: u32 = 32;

impl NodeTable {
    /// A table for the node `local` (its name and creation).
    pub fn new(local: NodeId) -> Self {
        NodeTable {
            local,
            inner: Mutex::new(Tables::default()),
        }
    }

    pub fn local(&self) -> NodeId {
        self.local
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Tables> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records that the node called `name` is a cube node: messages to it keep the
    /// sharing of their table graphs ([`NodeTable::to_eterm_for`]).
    pub fn mark_cube(&self, name: Atom) {
        self.lock().cube_nodes.insert(name);
    }

    /// Whether the node called `name` is known to be a cube node.
    pub fn is_cube(&self, name: Atom) -> bool {
        self.lock().cube_nodes.contains(&name)
    }

    /// The index of `node`, allocating one on first sight; 0 for this node.
    pub fn index_of(&self, node: NodeId) -> u32 {
        if node == self.local {
            return 0;
        }
        let mut t = self.lock();
        if let Some(&i) = t.index.get(&node) {
            return i;
        }
        t.nodes.push(node);
        let i = t.nodes.len() as u32;
        t.index.insert(node, i);
        i
    }

    /// The indices of every incarnation of the node called `name` met so far (not 0:
    /// this node is never another). What a `nodedown` applies to: links and monitors
    /// hold pids of whichever incarnation they were made with.
    pub fn indices_of_name(&self, name: Atom) -> Vec<u32> {
        let t = self.lock();
        t.nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.name == name)
            .map(|(i, _)| i as u32 + 1)
            .collect()
    }

    /// The node of index `i`.
    pub fn node(&self, i: u32) -> Option<NodeId> {
        if i == 0 {
            return Some(self.local);
        }
        self.lock().nodes.get(i as usize - 1).copied()
    }

    /// The `Pid` for a pid on the wire.
    pub fn pid_from_wire(&self, p: ExtPid) -> Pid {
        let node = self.index_of(NodeId {
            name: p.node,
            creation: p.creation,
        });
        Pid::new(node, p.id.into(), p.serial)
    }

    /// The wire form of a `Pid`.
    pub fn pid_to_wire(&self, p: Pid) -> Result<ExtPid, ConvertError> {
        let node = self
            .node(p.node())
            .ok_or(ConvertError::UnknownNode(p.node()))?;
        let id = u32::try_from(p.id()).map_err(|_| ConvertError::PidOutOfRange(p.id()))?;
        Ok(ExtPid {
            node: node.name,
            id,
            serial: p.serial(),
            creation: node.creation,
        })
    }

    /// The `Reference` for a reference on the wire.
    pub fn ref_from_wire(&self, r: &ExtRef) -> Result<Reference, ConvertError> {
        let node = self.index_of(NodeId {
            name: r.node,
            creation: r.creation,
        });
        if node == 0 {
            return unpack_local_ref(&r.words)
                .map(|id| Reference::new(0, id))
                .ok_or(ConvertError::ForeignLocalRef);
        }
        if let Some((ext, id)) = pack_remote_ref(&r.words) {
            return Ok(Reference::with_ext(node, ext, id));
        }
        let mut t = self.lock();
        let intern = t.refs.entry(node).or_default();
        let id = match intern.index.get(&r.words) {
            Some(&id) => id,
            None if intern.words.len() >= MAX_INTERNED_REFS => {
                return Err(ConvertError::TooManyRefs)
            }
            None => {
                let id = intern.words.len() as u64;
                intern.words.push(r.words.clone());
                intern.index.insert(r.words.clone(), id);
                id
            }
        };
        Ok(Reference::new(node, id))
    }

    /// The wire form of a `Reference`.
    pub fn ref_to_wire(&self, r: Reference) -> Result<ExtRef, ConvertError> {
        let node = self
            .node(r.node())
            .ok_or(ConvertError::UnknownNode(r.node()))?;
        let words = if r.node() == 0 {
            pack_local_ref(r.id()).to_vec()
        } else if r.ext() != 0 {
            unpack_remote_ref(r.ext(), r.id())
        } else {
            let t = self.lock();
            t.refs
                .get(&r.node())
                .and_then(|i| i.words.get(r.id() as usize))
                .cloned()
                .ok_or(ConvertError::UnknownRef)?
        };
        Ok(ExtRef {
            node: node.name,
            creation: node.creation,
            words,
        })
    }

    /// The `Term` for a decoded term.
    pub fn to_term(&self, t: &Eterm) -> Result<Term, ConvertError> {
        self.to_term_at(t, 0)
    }

    fn to_term_at(&self, t: &Eterm, depth: usize) -> Result<Term, ConvertError> {
        if depth > MAX_DEPTH {
            return Err(ConvertError::TooDeep);
        }
        let d = depth + 1;
        Ok(match t {
            Eterm::Atom(a) => Term::Atom(*a),
            Eterm::Int(i) => Term::Int(*i),
            Eterm::Float(f) => Term::Float(*f),
            Eterm::Binary(b) => Term::Binary(b.clone()),
            Eterm::List(items) => Term::List(self.terms(items, d)?.into()),
            Eterm::Tuple(items) => match graph_parts(items) {
                Some((tables, marks)) => self.graph_from_wire(tables, marks, d)?,
                None => Term::Tuple(self.terms(items, d)?.into()),
            },
            Eterm::Map(pairs) => Term::Map(
                pairs
                    .iter()
                    .map(|(k, v)| Ok((self.to_term_at(k, d)?, self.to_term_at(v, d)?)))
                    .collect::<Result<Vec<_>, ConvertError>>()?
                    .into(),
            ),
            Eterm::Pid(p) => Term::Pid(self.pid_from_wire(*p)),
            Eterm::Ref(r) => Term::Ref(self.ref_from_wire(r)?),
            Eterm::BigInt(_) => return Err(ConvertError::Unrepresentable("integer beyond i64")),
            Eterm::BitBinary { .. } => return Err(ConvertError::Unrepresentable("bitstring")),
            Eterm::ImproperList(..) => return Err(ConvertError::Unrepresentable("improper list")),
            Eterm::Port(_) => return Err(ConvertError::Unrepresentable("port")),
        })
    }

    fn terms(&self, items: &[Eterm], depth: usize) -> Result<Vec<Term>, ConvertError> {
        items.iter().map(|t| self.to_term_at(t, depth)).collect()
    }

    /// A table graph sent whole (see the module documentation), checked: every
    /// `{'$cube_table', I}` names one of its tables.
    fn graph_from_wire(
        &self,
        tables: &[Eterm],
        marks: &[Eterm],
        depth: usize,
    ) -> Result<Term, ConvertError> {
        let n = tables.len();
        if n == 0 {
            return Err(ConvertError::Unrepresentable("empty table graph"));
        }
        let value = |t: &Eterm| -> Result<Term, ConvertError> {
            match table_ref(t) {
                Some(i) if (i as usize) < n => Ok(Term::TableRef(i)),
                Some(_) => Err(ConvertError::StrayTableRef),
                None => self.to_term_at(t, depth),
            }
        };
        let mut out = Vec::with_capacity(n);
        for t in tables {
            let bad = || ConvertError::Unrepresentable("malformed table graph");
            let [Eterm::List(array), Eterm::List(pairs)] = t.as_tuple().ok_or_else(bad)? else {
                return Err(bad());
            };
            let array = array.iter().map(value).collect::<Result<Vec<_>, _>>()?;
            let mut hash = Vec::with_capacity(pairs.len());
            for kv in pairs {
                let [k, v] = kv.as_tuple().ok_or_else(bad)? else {
                    return Err(bad());
                };
                hash.push((value(k)?, value(v)?));
            }
            out.push(TableTerm { array, hash });
        }
        let mut kinds = Vec::with_capacity(marks.len());
        for m in marks {
            let bad = || ConvertError::Unrepresentable("malformed table graph mark");
            let [Eterm::Int(i), kind] = m.as_tuple().ok_or_else(bad)? else {
                return Err(bad());
            };
            let i = u32::try_from(*i)
                .ok()
                .filter(|&i| (i as usize) < n)
                .ok_or_else(bad)?;
            let kind = match kind {
                k if k.is_atom("tuple") => TableKind::Tuple,
                k if k.is_atom("list") => TableKind::List,
                _ => return Err(bad()),
            };
            kinds.push((i, kind));
        }
        kinds.sort_by_key(|(i, _)| *i);
        kinds.dedup_by_key(|(i, _)| *i);
        Ok(Term::Tables(Arc::new(TableGraph {
            tables: out,
            marks: kinds,
        })))
    }

    /// The wire term for a `Term`, for any node (a table graph with sharing but no
    /// cycle is expanded into a tree).
    pub fn to_eterm(&self, t: &Term) -> Result<Eterm, ConvertError> {
        self.to_eterm_keeping(t, false)
    }

    /// The wire term for a `Term` sent to the node called `dest`: a table graph with
    /// sharing goes whole when `dest` is a cube node (see the module doc).
    pub fn to_eterm_for(&self, t: &Term, dest: Atom) -> Result<Eterm, ConvertError> {
        let keep = matches!(t, Term::Tables(_)) && self.is_cube(dest);
        self.to_eterm_keeping(t, keep)
    }

    /// The wire term for a `Term` that only a cube node can take anyway (the function
    /// and arguments of `node.spawn`): table graphs keep their sharing.
    pub fn to_eterm_for_cube(&self, t: &Term) -> Result<Eterm, ConvertError> {
        self.to_eterm_keeping(t, true)
    }

    fn to_eterm_keeping(&self, t: &Term, keep_sharing: bool) -> Result<Eterm, ConvertError> {
        let mut cx = ToEterm {
            table: self,
            graph: None,
            on_path: Vec::new(),
            budget: MAX_EXPANDED_TERMS,
            whole: false,
            keep_sharing,
        };
        cx.term(t, 0)
    }
}

/// This node's reference id as three words erl accepts (first word below 2^18).
fn pack_local_ref(id: u64) -> [u32; 3] {
    [
        (id & ((1 << REF_WORD0_BITS) - 1)) as u32,
        (id >> REF_WORD0_BITS) as u32,
        (id >> (REF_WORD0_BITS + REF_WORD1_BITS)) as u32,
    ]
}

/// The id [`pack_local_ref`] packed, if `words` are its output.
fn unpack_local_ref(words: &[u32]) -> Option<u64> {
    let [w0, w1, w2] = *words else { return None };
    let high_bits = 64 - REF_WORD0_BITS - REF_WORD1_BITS;
    if u64::from(w0) >> REF_WORD0_BITS != 0 || u64::from(w2) >> high_bits != 0 {
        return None;
    }
    Some(
        u64::from(w0)
            | u64::from(w1) << REF_WORD0_BITS
            | u64::from(w2) << (REF_WORD0_BITS + REF_WORD1_BITS),
    )
}

/// Another node's reference words as a reference's extra bits and id, when they have
/// the shape every BEAM makes: one to three words, the first below 2^18. The extra bits
/// are the word count above the first word, so they are never 0 (0 marks an interned
/// reference).
fn pack_remote_ref(words: &[u32]) -> Option<(u32, u64)> {
    let (&w0, rest) = words.split_first()?;
    if rest.len() > 2 || w0 >> REF_WORD0_BITS != 0 {
        return None;
    }
    let ext = (words.len() as u32) << REF_WORD0_BITS | w0;
    let id = rest
        .iter()
        .enumerate()
        .fold(0u64, |id, (i, &w)| id | u64::from(w) << (32 * (1 - i)));
    Some((ext, id))
}

/// The words [`pack_remote_ref`] packed.
fn unpack_remote_ref(ext: u32, id: u64) -> Vec<u32> {
    let len = (ext >> REF_WORD0_BITS) as usize;
    let w0 = ext & ((1 << REF_WORD0_BITS) - 1);
    let rest = [(id >> 32) as u32, id as u32];
    std::iter::once(w0)
        .chain(rest.into_iter().take(len.saturating_sub(1)))
        .collect()
}

/// State of one `Term` -> `Eterm` conversion.
struct ToEterm<'a> {
    table: &'a NodeTable,
    /// The innermost table graph, for `TableRef`s.
    graph: Option<Arc<TableGraph>>,
    /// Tables being converted (a table met again while open is a cycle).
    on_path: Vec<u32>,
    /// Terms still allowed to be produced.
    budget: usize,
    /// Writing a graph whole: a `TableRef` is `{'$cube_table', I}`.
    whole: bool,
    /// The destination is a cube node: a graph with sharing goes whole too.
    keep_sharing: bool,
}

/// The tags of a table graph sent whole (see the module documentation).
const GRAPH_TAG: &str = "$cube_tables";
const TABLE_REF_TAG: &str = "$cube_table";

/// The tables and marks of `{'$cube_tables', Tables, Marks}`.
fn graph_parts(items: &[Eterm]) -> Option<(&[Eterm], &[Eterm])> {
    match items {
        [tag, Eterm::List(tables), Eterm::List(marks)] if tag.is_atom(GRAPH_TAG) => {
            Some((tables, marks))
        }
        _ => None,
    }
}

/// How many terms table 0 of `g` expands to as a tree (a table reached twice counts
/// twice), if that is at most `limit` and `g` has no cycle reachable from it (nor, if
/// `no_sharing`, a table reached twice). One walk over the graph, without recursion (a
/// depth-first search with an explicit stack: a table found again while it is still
/// open is a cycle, one found again after it was closed is shared).
fn tree_size(g: &TableGraph, limit: usize, no_sharing: bool) -> Option<usize> {
    const NEW: u8 = 0;
    const OPEN: u8 = 1;
    const DONE: u8 = 2;
    let n = g.tables.len();
    let mut state = vec![NEW; n];
    let mut size = vec![0usize; n];
    let children = |i: usize| {
        let t = &g.tables[i];
        t.array
            .iter()
            .chain(t.hash.iter().flat_map(|(k, v)| [k, v]))
            .filter_map(|v| match v {
                Term::TableRef(j) => Some(*j as usize),
                _ => None,
            })
    };
    let mut stack = vec![(0usize, false)];
    while let Some((i, closing)) = stack.pop() {
        if i >= n {
            return None;
        }
        if closing {
            let t = &g.tables[i];
            let mut total = 1 + t.array.len() + 2 * t.hash.len();
            for j in children(i) {
                total = total.saturating_add(size[j]);
            }
            if total > limit {
                return None;
            }
            size[i] = total;
            state[i] = DONE;
            continue;
        }
        match state[i] {
            DONE if no_sharing => return None,
            DONE => continue,
            OPEN => return None,
            _ => {}
        }
        state[i] = OPEN;
        stack.push((i, true));
        for j in children(i) {
            match state.get(j) {
                Some(&OPEN) | None => return None,
                Some(&DONE) if no_sharing => return None,
                Some(&NEW) => stack.push((j, false)),
                _ => {}
            }
        }
    }
    size.first().copied()
}

/// `I` of `{'$cube_table', I}`.
fn table_ref(t: &Eterm) -> Option<u32> {
    match t.as_tuple()? {
        [tag, Eterm::Int(i)] if tag.is_atom(TABLE_REF_TAG) => u32::try_from(*i).ok(),
        _ => None,
    }
}

impl ToEterm<'_> {
    fn term(&mut self, t: &Term, depth: usize) -> Result<Eterm, ConvertError> {
        if depth > MAX_DEPTH {
            return Err(ConvertError::TooDeep);
        }
        self.budget = self.budget.checked_sub(1).ok_or(ConvertError::TooLarge)?;
        let d = depth + 1;
        Ok(match t {
            Term::Atom(a) => Eterm::Atom(*a),
            Term::Int(i) => Eterm::Int(*i),
            Term::Float(f) => Eterm::Float(*f),
            Term::Binary(b) => Eterm::Binary(b.clone()),
            Term::List(items) => Eterm::List(self.terms(items, d)?),
            Term::Tuple(items) => Eterm::Tuple(self.terms(items, d)?),
            Term::Map(pairs) => Eterm::Map(
                pairs
                    .iter()
                    .map(|(k, v)| Ok((self.term(k, d)?, self.term(v, d)?)))
                    .collect::<Result<_, ConvertError>>()?,
            ),
            Term::Pid(p) => Eterm::Pid(self.table.pid_to_wire(*p)?),
            Term::Ref(r) => Eterm::Ref(self.table.ref_to_wire(*r)?),
            Term::Tables(g) => {
                let outer = self.graph.replace(g.clone());
                let outer_path = std::mem::take(&mut self.on_path);
                let outer_whole = std::mem::replace(&mut self.whole, false);
                // Not a tree of reasonable size: the whole graph instead.
                let out = if tree_size(g, self.budget, self.keep_sharing).is_some() {
                    self.table_at(0, d)
                } else {
                    self.whole = true;
                    self.whole_graph(g, d)
                };
                self.graph = outer;
                self.on_path = outer_path;
                self.whole = outer_whole;
                out?
            }
            Term::TableRef(i) if self.whole => {
                Eterm::Tuple(vec![Eterm::atom(TABLE_REF_TAG), Eterm::Int(i64::from(*i))])
            }
            Term::TableRef(i) => self.table_at(*i, d)?,
            // A library's userdata (a tensor) lives in this node's memory only.
            Term::Foreign(f) => return Err(ConvertError::LocalOnly(f.value().type_name())),
        })
    }

    fn terms(&mut self, items: &[Term], depth: usize) -> Result<Vec<Eterm>, ConvertError> {
        items.iter().map(|t| self.term(t, depth)).collect()
    }

    /// `{'$cube_tables', Tables, Marks}` (see the module documentation).
    fn whole_graph(&mut self, g: &TableGraph, depth: usize) -> Result<Eterm, ConvertError> {
        let mut tables = Vec::with_capacity(g.tables.len());
        for t in &g.tables {
            let array = self.terms(&t.array, depth)?;
            let mut pairs = Vec::with_capacity(t.hash.len());
            for (k, v) in &t.hash {
                pairs.push(Eterm::Tuple(vec![
                    self.term(k, depth)?,
                    self.term(v, depth)?,
                ]));
            }
            tables.push(Eterm::Tuple(vec![Eterm::List(array), Eterm::List(pairs)]));
        }
        let marks = g
            .marks
            .iter()
            .map(|(i, kind)| {
                let kind = match kind {
                    TableKind::Tuple => "tuple",
                    TableKind::List => "list",
                };
                Eterm::Tuple(vec![Eterm::Int(i64::from(*i)), Eterm::atom(kind)])
            })
            .collect();
        Ok(Eterm::Tuple(vec![
            Eterm::atom(GRAPH_TAG),
            Eterm::List(tables),
            Eterm::List(marks),
        ]))
    }

    /// Table `i` of the current graph: its array part as a tuple or a list if it is
    /// marked so (`term.tuple`, `term.list`; other keys are not sent), else a list if
    /// it is a sequence, else a map.
    fn table_at(&mut self, i: u32, depth: usize) -> Result<Eterm, ConvertError> {
        let graph = self.graph.clone().ok_or(ConvertError::StrayTableRef)?;
        let table = graph
            .tables
            .get(i as usize)
            .ok_or(ConvertError::StrayTableRef)?;
        if self.on_path.contains(&i) {
            return Err(ConvertError::Cycle);
        }
        self.on_path.push(i);
        let out = if let Some(kind) = graph.mark(i) {
            self.terms(&table.array, depth).map(|items| match kind {
                TableKind::Tuple => Eterm::Tuple(items),
                TableKind::List => Eterm::List(items),
            })
        } else if table.hash.is_empty() && !table.array.iter().any(Term::is_nil) {
            self.terms(&table.array, depth).map(Eterm::List)
        } else {
            let mut pairs = Vec::with_capacity(table.array.len() + table.hash.len());
            let mut fill = || -> Result<(), ConvertError> {
                for (k, v) in table.array.iter().enumerate() {
                    if !v.is_nil() {
                        pairs.push((Eterm::Int(k as i64 + 1), self.term(v, depth)?));
                    }
                }
                for (k, v) in &table.hash {
                    pairs.push((self.term(k, depth)?, self.term(v, depth)?));
                }
                Ok(())
            };
            fill().map(|()| Eterm::Map(pairs))
        };
        self.on_path.pop();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> NodeTable {
        NodeTable::new(NodeId {
            name: Atom::new("cube@test"),
            creation: 7,
        })
    }

    #[test]
    fn local_refs_pack_and_unpack() {
        for id in [0, 1, (1 << 18) - 1, 1 << 18, 1 << 50, u64::MAX] {
            assert_eq!(unpack_local_ref(&pack_local_ref(id)), Some(id), "{id}");
        }
        let t = table();
        let wire = t.ref_to_wire(Reference::new(0, 12345)).unwrap();
        assert_eq!(t.ref_from_wire(&wire).unwrap(), Reference::new(0, 12345));
    }

    #[test]
    fn remote_pids_and_refs_keep_their_identity() {
        let t = table();
        let p = ExtPid {
            node: Atom::new("erl@test"),
            id: 87,
            serial: 2,
            creation: 99,
        };
        let pid = t.pid_from_wire(p);
        assert_ne!(pid.node(), 0);
        assert_eq!(t.pid_to_wire(pid).unwrap(), p);
        // Same name, new creation: another node.
        let p2 = ExtPid { creation: 100, ..p };
        assert_ne!(t.pid_from_wire(p2), pid);
        let r = ExtRef {
            node: Atom::new("erl@test"),
            creation: 99,
            words: vec![1, 2, 3, 4, 5],
        };
        let local = t.ref_from_wire(&r).unwrap();
        assert_eq!(t.ref_from_wire(&r).unwrap(), local);
        assert_eq!(t.ref_to_wire(local).unwrap(), r);
    }

    #[test]
    fn remote_refs_of_the_beams_shape_are_packed_not_interned() {
        let t = table();
        let mut seen = std::collections::HashSet::new();
        for words in [
            vec![0],
            vec![5],
            vec![(1 << 18) - 1, u32::MAX],
            vec![0, 0, 0],
            vec![0, 0, 1],
            vec![0, 1, 0],
            vec![191_579, 1_992_294_402, 78_482],
            vec![(1 << 18) - 1, u32::MAX, u32::MAX],
        ] {
            let r = ExtRef {
                node: Atom::new("erl@test"),
                creation: 3,
                words,
            };
            let got = t.ref_from_wire(&r).unwrap();
            assert_ne!(got.ext(), 0, "{r:?} packed");
            assert!(seen.insert(got), "{r:?} is distinct from the others");
            assert_eq!(t.ref_to_wire(got).unwrap(), r);
        }
        assert!(t.lock().refs.is_empty(), "nothing interned");
    }

    #[test]
    fn unusual_remote_refs_are_interned_up_to_a_bound() {
        let t = table();
        let unusual = |i: u32| ExtRef {
            node: Atom::new("erl@test"),
            creation: 3,
            words: vec![1 << 18, i],
        };
        for i in 0..MAX_INTERNED_REFS as u32 {
            let r = t.ref_from_wire(&unusual(i)).unwrap();
            assert_eq!(r.ext(), 0);
        }
        // Ones already met still convert, both ways; a new one is refused.
        let first = t.ref_from_wire(&unusual(0)).unwrap();
        assert_eq!(t.ref_to_wire(first).unwrap(), unusual(0));
        let past = MAX_INTERNED_REFS as u32;
        assert_eq!(
            t.ref_from_wire(&unusual(past)),
            Err(ConvertError::TooManyRefs)
        );
    }

    #[test]
    fn table_graphs_become_lists_or_maps() {
        use cube_term::TableTerm;
        let g = TableGraph {
            marks: Vec::new(),
            tables: vec![
                TableTerm {
                    array: vec![Term::Int(1), Term::TableRef(1)],
                    hash: vec![],
                },
                TableTerm {
                    array: vec![],
                    hash: vec![(Term::binary(b"k"), Term::Int(2))],
                },
            ],
        };
        let got = table().to_eterm(&Term::Tables(Arc::new(g))).unwrap();
        assert_eq!(
            got,
            Eterm::List(vec![
                Eterm::Int(1),
                Eterm::Map(vec![(Eterm::binary(b"k"), Eterm::Int(2))])
            ])
        );
    }

    #[test]
    fn a_graph_with_a_cycle_or_big_sharing_goes_whole_and_comes_back_the_same() {
        use cube_term::TableTerm;
        // t = {t, x = {1, 2}} with t[1] == t, marks: table 1 is a tuple.
        let cyclic = TableGraph {
            marks: vec![(1, TableKind::Tuple)],
            tables: vec![
                TableTerm {
                    array: vec![Term::TableRef(0)],
                    hash: vec![(Term::binary(b"x"), Term::TableRef(1))],
                },
                TableTerm {
                    array: vec![Term::Int(1), Term::Int(2)],
                    hash: vec![],
                },
            ],
        };
        let t = table();
        let wire = t.to_eterm(&Term::Tables(Arc::new(cyclic.clone()))).unwrap();
        assert!(wire
            .as_tuple()
            .is_some_and(|items| items[0].is_atom("$cube_tables")));
        assert_eq!(t.to_term(&wire).unwrap(), Term::Tables(Arc::new(cyclic)));
        // 40 levels of a table holding the next twice: 2^40 as a tree, 40 tables whole.
        let n = 40u32;
        let mut tables: Vec<TableTerm> = (0..n - 1)
            .map(|i| TableTerm {
                array: vec![Term::TableRef(i + 1), Term::TableRef(i + 1)],
                hash: vec![],
            })
            .collect();
        tables.push(TableTerm::default());
        let shared = TableGraph {
            marks: Vec::new(),
            tables,
        };
        let wire = t.to_eterm(&Term::Tables(Arc::new(shared.clone()))).unwrap();
        assert_eq!(t.to_term(&wire).unwrap(), Term::Tables(Arc::new(shared)));
        // A graph from the wire that names a table it does not have is refused.
        let stray = Eterm::Tuple(vec![
            Eterm::atom("$cube_tables"),
            Eterm::List(vec![Eterm::Tuple(vec![
                Eterm::List(vec![Eterm::Tuple(vec![
                    Eterm::atom("$cube_table"),
                    Eterm::Int(3),
                ])]),
                Eterm::List(vec![]),
            ])]),
            Eterm::List(vec![]),
        ]);
        assert_eq!(t.to_term(&stray), Err(ConvertError::StrayTableRef));
    }

    #[test]
    fn unrepresentable_terms_are_errors() {
        let t = table();
        let improper = Eterm::ImproperList(vec![Eterm::Int(1)], Box::new(Eterm::Int(2)));
        assert!(matches!(
            t.to_term(&improper),
            Err(ConvertError::Unrepresentable(_))
        ));
    }
}
