//! Maps: key/value pairs sorted by key in map key order ([`crate::order::cmp_exact`]),
//! keys unique by `=:=`, persistent (putting a key makes a new map and leaves the old
//! one as it was).
//!
//! Why chunks: a map held as one sorted vector must be copied whole on every
//! `maps:put`, so filling a map of n keys one by one costs n²/2 copies (a 50,000-key
//! map took minutes, `bench/lfe/mapops.lfe`). Here the pairs are cut into shared,
//! sorted chunks of at most [`CHUNK`] pairs, and the chunks into groups of at most
//! [`CHUNK`] chunks: a put copies one chunk, one group's table of chunk pointers and
//! the table of groups, O(CHUNK + CHUNK + n/CHUNK²), and a map of up to [`CHUNK`]
//! keys (nearly all of them) is one group of one chunk. Iteration is in key order,
//! as it always was.

use std::cmp::Ordering;
use std::rc::Rc;

use crate::order::cmp_exact;
use crate::term::{push_term, Garbage, Term};

/// The most pairs a chunk holds, and the most chunks a group holds; a fuller one is
/// split in two.
pub const CHUNK: usize = 64;

/// A map's pairs (see the module doc): groups of chunks of pairs, two levels, so a
/// put copies one chunk, one group's chunk pointers and the group table:
/// O(CHUNK + CHUNK + n/CHUNK²) (one level made it O(n/CHUNK), most of
/// `mapops`' time for a 50,000-key map).
#[derive(Clone, Default)]
pub struct Map {
    groups: Vec<Rc<Group>>,
    len: usize,
}

/// One run of pairs, sorted, never empty inside a map.
#[derive(Clone, Default)]
struct Chunk(Vec<(Term, Term)>);

/// Consecutive chunks, never empty inside a map.
#[derive(Clone, Default)]
struct Group(Vec<Rc<Chunk>>);

impl Chunk {
    fn last_key(&self) -> Option<&Term> {
        self.0.last().map(|(k, _)| k)
    }
}

impl Group {
    fn last_key(&self) -> Option<&Term> {
        self.0.last().and_then(|c| c.last_key())
    }
}

/// The item where `k` is or would go: the first whose last key is not below `k`,
/// else the last one.
fn find<T>(items: &[Rc<T>], k: &Term, last: impl Fn(&T) -> Option<&Term>) -> usize {
    let i = items.partition_point(|c| last(c).is_some_and(|l| cmp_exact(l, k).is_lt()));
    i.min(items.len().saturating_sub(1))
}

/// `items` with the one at `i` replaced by `new` (none, one, or two after a split).
fn splice<T: Clone>(items: &[T], i: usize, new: &mut Vec<T>) -> Vec<T> {
    let mut out = Vec::with_capacity(items.len() + 1);
    out.extend_from_slice(&items[..i]);
    out.append(new);
    out.extend_from_slice(&items[i + 1..]);
    out
}

/// `v` as it is, or as two halves once it has more than `CHUNK` items.
fn halves<T>(mut v: Vec<T>) -> Vec<Vec<T>> {
    if v.len() > CHUNK {
        let upper = v.split_off(v.len() / 2);
        vec![v, upper]
    } else {
        vec![v]
    }
}

impl Map {
    /// A map of `pairs`, which are sorted by key and have no duplicate key.
    pub fn from_sorted(pairs: Vec<(Term, Term)>) -> Map {
        let len = pairs.len();
        if len == 0 {
            return Map::default();
        }
        if len <= CHUNK {
            let group = Group(vec![Rc::new(Chunk(pairs))]);
            return Map {
                groups: vec![Rc::new(group)],
                len,
            };
        }
        // Half-full chunks and groups, so the puts that follow split nothing at once.
        let mut chunks = Vec::with_capacity(len.div_ceil(CHUNK / 2));
        let mut it = pairs.into_iter();
        loop {
            let part: Vec<(Term, Term)> = it.by_ref().take(CHUNK / 2).collect();
            if part.is_empty() {
                break;
            }
            chunks.push(Rc::new(Chunk(part)));
        }
        let mut groups = Vec::with_capacity(chunks.len().div_ceil(CHUNK / 2));
        let mut it = chunks.into_iter();
        loop {
            let part: Vec<Rc<Chunk>> = it.by_ref().take(CHUNK / 2).collect();
            if part.is_empty() {
                break;
            }
            groups.push(Rc::new(Group(part)));
        }
        Map { groups, len }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The pairs in key order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &(Term, Term)> + Clone {
        self.groups
            .iter()
            .flat_map(|g| g.0.iter())
            .flat_map(|c| c.0.iter())
    }

    /// The group and chunk where `k` is or would go (the map is not empty).
    fn place(&self, k: &Term) -> (usize, usize) {
        let gi = find(&self.groups, k, Group::last_key);
        let ci = find(&self.groups[gi].0, k, Chunk::last_key);
        (gi, ci)
    }

    pub fn get(&self, k: &Term) -> Option<&Term> {
        if self.groups.is_empty() {
            return None;
        }
        let (gi, ci) = self.place(k);
        let chunk = &self.groups[gi].0[ci];
        let i = chunk.0.binary_search_by(|(mk, _)| cmp_exact(mk, k)).ok()?;
        Some(&chunk.0[i].1)
    }

    pub fn contains_key(&self, k: &Term) -> bool {
        self.get(k).is_some()
    }

    /// This map with `k` set to `v`.
    pub fn insert(&self, k: Term, v: Term) -> Map {
        if self.groups.is_empty() {
            return Map::from_sorted(vec![(k, v)]);
        }
        let (gi, ci) = self.place(&k);
        let group = &self.groups[gi];
        let mut pairs = group.0[ci].0.clone();
        let mut len = self.len;
        match pairs.binary_search_by(|(mk, _)| cmp_exact(mk, &k)) {
            Ok(i) => pairs[i].1 = v,
            Err(i) => {
                pairs.insert(i, (k, v));
                len += 1;
            }
        }
        let mut new_chunks: Vec<Rc<Chunk>> = halves(pairs)
            .into_iter()
            .map(|p| Rc::new(Chunk(p)))
            .collect();
        let chunks = splice(&group.0, ci, &mut new_chunks);
        let mut new_groups: Vec<Rc<Group>> = halves(chunks)
            .into_iter()
            .map(|c| Rc::new(Group(c)))
            .collect();
        Map {
            groups: splice(&self.groups, gi, &mut new_groups),
            len,
        }
    }

    /// This map without `k` (the same pairs if it has no `k`).
    pub fn remove(&self, k: &Term) -> Map {
        if self.groups.is_empty() {
            return self.clone();
        }
        let (gi, ci) = self.place(k);
        let group = &self.groups[gi];
        let chunk = &group.0[ci];
        let Ok(i) = chunk.0.binary_search_by(|(mk, _)| cmp_exact(mk, k)) else {
            return self.clone();
        };
        let mut pairs = chunk.0.clone();
        pairs.remove(i);
        let mut new_chunk = if pairs.is_empty() {
            Vec::new()
        } else {
            vec![Rc::new(Chunk(pairs))]
        };
        let chunks = splice(&group.0, ci, &mut new_chunk);
        let mut new_group = if chunks.is_empty() {
            Vec::new()
        } else {
            vec![Rc::new(Group(chunks))]
        };
        Map {
            groups: splice(&self.groups, gi, &mut new_group),
            len: self.len - 1,
        }
    }

    /// Compares two maps' pairs in key order: keys first, then values (Erlang's
    /// order for maps of one size), pushing the pairs still to compare on `stack`.
    pub(crate) fn ordering_work<'a>(
        x: &'a Map,
        y: &'a Map,
        stack: &mut Vec<(&'a Term, &'a Term)>,
    ) -> Ordering {
        match x.len.cmp(&y.len) {
            Ordering::Equal => {
                // Keys first (in order), then values: pushed in reverse.
                let pairs: Vec<_> = x.iter().zip(y.iter()).collect();
                stack.extend(pairs.iter().rev().map(|(p, q)| (&p.1, &q.1)));
                stack.extend(pairs.iter().rev().map(|(p, q)| (&p.0, &q.0)));
                Ordering::Equal
            }
            o => o,
        }
    }

    /// Moves the pairs of chunks only this map holds onto `stack` (iterative drop).
    pub(crate) fn take_children(&mut self, stack: &mut Vec<Garbage>) {
        for g in self.groups.drain(..) {
            if let Ok(mut g) = Rc::try_unwrap(g) {
                for c in g.0.drain(..) {
                    if let Ok(mut c) = Rc::try_unwrap(c) {
                        for (k, v) in c.0.drain(..) {
                            push_term(stack, k);
                            push_term(stack, v);
                        }
                    }
                }
            }
        }
        self.len = 0;
    }
}

impl Drop for Chunk {
    fn drop(&mut self) {
        if self.0.is_empty() {
            return;
        }
        let mut stack = Vec::new();
        for (k, v) in self.0.drain(..) {
            push_term(&mut stack, k);
            push_term(&mut stack, v);
        }
        Garbage::collect(stack);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(m: &Map) -> Vec<i64> {
        m.iter()
            .map(|(k, _)| match k {
                Term::Int(i) => *i,
                _ => unreachable!(),
            })
            .collect()
    }

    #[test]
    fn puts_and_removes_across_chunks_keep_order_and_old_versions() {
        // Keys in a scrambled order, many more than one chunk holds.
        let n = 3 * (CHUNK * CHUNK) as i64;
        let mut m = Map::default();
        let mut versions = Vec::new();
        for i in 0..n {
            let k = (i * 7919) % n;
            m = m.insert(Term::Int(k), Term::Int(k * 2));
            if i % 97 == 0 {
                versions.push((i + 1, m.clone()));
            }
        }
        assert_eq!(m.len(), n as usize);
        assert_eq!(keys(&m), (0..n).collect::<Vec<_>>());
        assert!(m.groups.iter().all(|g| !g.0.is_empty()
            && g.0.len() <= CHUNK
            && g.0.iter().all(|c| !c.0.is_empty() && c.0.len() <= CHUNK)));
        for k in 0..n {
            assert!(matches!(m.get(&Term::Int(k)), Some(Term::Int(v)) if *v == k * 2));
        }
        assert!(m.get(&Term::Int(n)).is_none());
        // Earlier versions are untouched.
        for (count, v) in &versions {
            assert_eq!(v.len(), *count as usize);
            assert_eq!(v.iter().count(), *count as usize);
        }
        // Overwriting keeps the size; removing every other key keeps the order.
        let m = m.insert(Term::Int(5), Term::Int(-1));
        assert_eq!(m.len(), n as usize);
        assert!(matches!(m.get(&Term::Int(5)), Some(Term::Int(-1))));
        let mut r = m.clone();
        for k in (0..n).step_by(2) {
            r = r.remove(&Term::Int(k));
        }
        assert_eq!(keys(&r), (0..n).filter(|k| k % 2 == 1).collect::<Vec<_>>());
        assert_eq!(r.remove(&Term::Int(0)).len(), r.len());
        assert_eq!(m.len(), n as usize);
    }

    #[test]
    fn from_sorted_cuts_large_maps_into_chunks() {
        let pairs: Vec<(Term, Term)> = (0..10_000).map(|i| (Term::Int(i), Term::Nil)).collect();
        let m = Map::from_sorted(pairs);
        assert_eq!(m.len(), 10_000);
        assert_eq!(keys(&m), (0..10_000).collect::<Vec<_>>());
        assert!(m.groups.len() > 1);
        let m = m
            .insert(Term::Int(-5), Term::Nil)
            .insert(Term::Int(50_000), Term::Nil);
        assert_eq!(keys(&m).first(), Some(&-5));
        assert_eq!(keys(&m).last(), Some(&50_000));
    }
}
