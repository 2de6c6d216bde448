//! Lua tables: an array part for keys 1..n and a hash part, as in PUC-Rio's `ltable.c`.
//!
//! The hash part is a chained scatter table with Brent's variation: nodes live in one
//! power-of-two vector, a colliding key is placed in a free node and linked from its main
//! position, and a key that sits in another key's main position is moved away. When no
//! free node is left the table is rehashed and integer keys are redistributed between the
//! array and hash parts so that the array part is more than half full. Keeping PUC's
//! algorithm keeps the border that `#t` finds, and the cost model, close to the reference.

use crate::gc::Gc;
use crate::value::Value;

#[derive(Clone, Copy)]
pub(crate) struct Node {
    pub(crate) key: Value,
    pub(crate) val: Value,
    /// Offset to the next node of the chain, 0 for the end.
    next: i32,
}

const EMPTY_NODE: Node = Node {
    key: Value::Nil,
    val: Value::Nil,
    next: 0,
};

/// Key stored in place of a collected dead key (its value was nil and the key object was
/// unreachable): it keeps the chain intact but can never be equal to a live key, because
/// Lua code cannot create light userdata.
pub(crate) const DEAD_KEY: Value = Value::LightUserData(usize::MAX);

/// `next` was given a key that is not in the table ("invalid key to 'next'").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidKey;

/// Errors for keys that cannot be stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyError {
    Nil,
    NaN,
}

impl KeyError {
    pub fn message(self) -> &'static str {
        match self {
            KeyError::Nil => "table index is nil",
            KeyError::NaN => "table index is NaN",
        }
    }
}

pub struct Table {
    pub(crate) arr: Vec<Value>,
    pub(crate) node: Vec<Node>,
    /// All nodes at index >= last_free are known to be in use (free search goes down).
    last_free: usize,
    pub meta: Option<Gc<Table>>,
    /// Cache of absent metamethods: bit `i` set means the metamethod `i` (see
    /// `crate::tm::TM`) is known absent when this table is used as a metatable. Cleared
    /// on every raw store into the table.
    pub(crate) tm_absent: u8,
    /// Part of a shared image (the standard library shared by many processes, DESIGN.md
    /// decision 3): read-only; a state that must write it first calls
    /// `State::unshare`, which gives it a private copy.
    pub(crate) shared: bool,
    /// The growth counter of the heap that owns this table (null until `Heap::new_table`
    /// adopts it): every resize adds its change in bytes there, so growth is accounted
    /// whatever path made it (a native, a metamethod path, the API), never forgotten.
    pub(crate) growth: *const std::cell::Cell<isize>,
}

#[inline]
fn mix(h: u64) -> u32 {
    let h = h.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (h >> 32) as u32
}

/// Hash of a key (never called for nil or NaN).
#[inline]
fn hash_key(k: &Value) -> u32 {
    match k {
        Value::Str(s) => s.hash,
        Value::Num(n) => {
            // +0.0 folds -0.0 into 0.0 so both hash alike (they are equal keys).
            let b = (*n + 0.0).to_bits();
            mix(b)
        }
        Value::Bool(b) => *b as u32,
        Value::Nil => 0,
        other => mix(other.addr() as u64),
    }
}

/// Integer value of a number key, if it is one that could live in the array part.
#[inline]
fn array_index(n: f64) -> Option<usize> {
    let i = n as i64;
    if i as f64 == n && (1..=(1 << 30)).contains(&i) {
        Some(i as usize)
    } else {
        None
    }
}

fn ceil_log2(x: usize) -> u32 {
    if x <= 1 {
        0
    } else {
        usize::BITS - (x - 1).leading_zeros()
    }
}

impl Default for Table {
    fn default() -> Self {
        Table::new(0, 0)
    }
}

impl Table {
    pub fn new(narr: usize, nhash: usize) -> Table {
        let mut t = Table {
            arr: Vec::new(),
            node: Vec::new(),
            last_free: 0,
            meta: None,
            tm_absent: 0,
            shared: false,
            growth: std::ptr::null(),
        };
        if narr > 0 {
            t.arr = vec![Value::Nil; narr];
        }
        if nhash > 0 {
            t.set_node_vector(nhash);
        }
        t
    }

    /// Heap bytes a table with these part sizes takes (what `Table::new` allocates):
    /// callers reserve it before making a table of a size a program chose.
    pub fn bytes_for(narr: usize, nhash: usize) -> usize {
        let nodes = if nhash == 0 {
            0
        } else {
            nhash.checked_next_power_of_two().unwrap_or(usize::MAX)
        };
        std::mem::size_of::<Table>()
            .saturating_add(narr.saturating_mul(std::mem::size_of::<Value>()))
            .saturating_add(nodes.saturating_mul(std::mem::size_of::<Node>()))
    }

    /// Approximate heap bytes used, for GC accounting.
    pub fn byte_size(&self) -> usize {
        std::mem::size_of::<Table>()
            + self.arr.capacity() * std::mem::size_of::<Value>()
            + self.node.capacity() * std::mem::size_of::<Node>()
    }

    fn set_node_vector(&mut self, size: usize) {
        if size == 0 {
            self.node = Vec::new();
            self.last_free = 0;
        } else {
            let lsize = ceil_log2(size);
            let n = 1usize << lsize;
            self.node = vec![EMPTY_NODE; n];
            self.last_free = n;
        }
    }

    #[inline]
    fn main_position(&self, k: &Value) -> usize {
        (hash_key(k) as usize) & (self.node.len() - 1)
    }

    #[inline]
    fn find_node(&self, key: &Value) -> Option<usize> {
        if self.node.is_empty() {
            return None;
        }
        let mut i = self.main_position(key);
        loop {
            let n = &self.node[i];
            if n.key.raw_eq(key) {
                return Some(i);
            }
            if n.next == 0 {
                return None;
            }
            i = (i as isize + n.next as isize) as usize;
        }
    }

    #[inline]
    fn find_str_node(&self, key: Gc<crate::value::LuaStr>) -> Option<usize> {
        if self.node.is_empty() {
            return None;
        }
        let mut i = (key.hash as usize) & (self.node.len() - 1);
        loop {
            debug_assert!(i < self.node.len(), "a chain stays inside the node vector");
            // SAFETY: `i` starts masked by the vector's length (a power of two) and
            // moves along a collision chain, whose links this module only ever sets
            // between two nodes of the vector (`new_key`) and rebuilds on a resize.
            // (The bounds checks were a tenth of a method lookup's instructions.)
            let n = unsafe { self.node.get_unchecked(i) };
            if let Value::Str(s) = n.key {
                if s.ptr_eq(key) {
                    return Some(i);
                }
            }
            if n.next == 0 {
                return None;
            }
            i = (i as isize + n.next as isize) as usize;
        }
    }

    /// `t[key]` without metamethods.
    #[inline]
    pub fn get(&self, key: &Value) -> Value {
        match key {
            Value::Str(s) => self.get_str(*s),
            Value::Num(n) => self.get_num(*n),
            Value::Nil => Value::Nil,
            _ => match self.find_node(key) {
                Some(i) => self.node[i].val,
                None => Value::Nil,
            },
        }
    }

    #[inline]
    pub fn get_str(&self, key: Gc<crate::value::LuaStr>) -> Value {
        match self.find_str_node(key) {
            // SAFETY: `find_str_node` returns indices of the node vector.
            Some(i) => unsafe { self.node.get_unchecked(i) }.val,
            None => Value::Nil,
        }
    }

    #[inline]
    pub fn get_num(&self, n: f64) -> Value {
        let i = n as i64;
        if i as f64 == n && i >= 1 && (i as u64) <= self.arr.len() as u64 {
            return self.arr[(i - 1) as usize];
        }
        if n.is_nan() {
            return Value::Nil;
        }
        match self.find_node(&Value::Num(n)) {
            Some(i) => self.node[i].val,
            None => Value::Nil,
        }
    }

    #[inline]
    pub fn get_int(&self, i: i64) -> Value {
        if i >= 1 && (i as u64) <= self.arr.len() as u64 {
            return self.arr[(i - 1) as usize];
        }
        match self.find_node(&Value::Num(i as f64)) {
            Some(n) => self.node[n].val,
            None => Value::Nil,
        }
    }

    /// `t[key] = val` without metamethods.
    #[inline]
    pub fn set(&mut self, key: Value, val: Value) -> Result<(), KeyError> {
        debug_assert!(!self.shared, "write to a shared table");
        self.tm_absent = 0;
        match key {
            Value::Num(n) => {
                let i = n as i64;
                if i as f64 == n && i >= 1 && (i as u64) <= self.arr.len() as u64 {
                    self.arr[(i - 1) as usize] = val;
                    return Ok(());
                }
                if n.is_nan() {
                    return Err(KeyError::NaN);
                }
            }
            Value::Nil => return Err(KeyError::Nil),
            _ => {}
        }
        if let Some(i) = self.find_node(&key) {
            self.node[i].val = val;
            return Ok(());
        }
        if val.is_nil() {
            return Ok(());
        }
        self.new_key(key, val);
        Ok(())
    }

    #[inline]
    pub fn set_int(&mut self, i: i64, val: Value) {
        debug_assert!(!self.shared, "write to a shared table");
        if i >= 1 && (i as u64) <= self.arr.len() as u64 {
            self.arr[(i - 1) as usize] = val;
            return;
        }
        // Cannot fail: integer keys are neither nil nor NaN.
        let _ = self.set(Value::Num(i as f64), val);
    }

    pub fn set_str(&mut self, key: Gc<crate::value::LuaStr>, val: Value) {
        debug_assert!(!self.shared, "write to a shared table");
        self.tm_absent = 0;
        if let Some(i) = self.find_str_node(key) {
            self.node[i].val = val;
            return;
        }
        if !val.is_nil() {
            self.new_key(Value::Str(key), val);
        }
    }

    /// Stores `val` at string `key` if the key has a node already (so nothing grows,
    /// as PUC's `luaV_settable` writing into the slot `luaH_get` found); `false` when
    /// it has none, for the general path, which may add it.
    #[inline]
    pub(crate) fn set_existing_str(&mut self, key: Gc<crate::value::LuaStr>, val: Value) -> bool {
        match self.find_str_node(key) {
            Some(i) => {
                self.tm_absent = 0;
                self.node[i].val = val;
                true
            }
            None => false,
        }
    }

    fn free_position(&mut self) -> Option<usize> {
        while self.last_free > 0 {
            self.last_free -= 1;
            if self.node[self.last_free].key.is_nil() {
                return Some(self.last_free);
            }
        }
        None
    }

    /// Inserts a key known to be absent (and its non-nil value).
    fn new_key(&mut self, key: Value, val: Value) {
        if self.node.is_empty() {
            self.rehash(&key);
            return self.insert_after_resize(key, val);
        }
        let mp = self.main_position(&key);
        if !self.node[mp].val.is_nil() {
            let Some(f) = self.free_position() else {
                self.rehash(&key);
                return self.insert_after_resize(key, val);
            };
            let other_mp = self.main_position(&self.node[mp].key);
            if other_mp != mp {
                // The occupant is not in its main position: move it to the free node.
                let mut prev = other_mp;
                loop {
                    let nx = (prev as isize + self.node[prev].next as isize) as usize;
                    if nx == mp {
                        break;
                    }
                    prev = nx;
                }
                self.node[prev].next = (f as isize - prev as isize) as i32;
                self.node[f] = self.node[mp];
                if self.node[mp].next != 0 {
                    self.node[f].next += (mp as isize - f as isize) as i32;
                }
                self.node[mp] = Node { key, val, next: 0 };
            } else {
                // The occupant is in its own main position: chain the new key after it.
                let next = self.node[mp].next;
                self.node[f] = Node {
                    key,
                    val,
                    next: if next != 0 {
                        (mp as isize + next as isize - f as isize) as i32
                    } else {
                        0
                    },
                };
                self.node[mp].next = (f as isize - mp as isize) as i32;
            }
        } else {
            // Main position is free or holds a dead entry: a dead entry keeps its chain
            // link, so overwriting its key keeps every chain through it intact.
            self.node[mp].key = key;
            self.node[mp].val = val;
        }
    }

    fn insert_after_resize(&mut self, key: Value, val: Value) {
        if let Value::Num(n) = key {
            if let Some(i) = array_index(n) {
                if i <= self.arr.len() {
                    self.arr[i - 1] = val;
                    return;
                }
            }
        }
        if let Some(i) = self.find_node(&key) {
            self.node[i].val = val;
            return;
        }
        self.new_key(key, val);
    }

    /// Recomputes the sizes of both parts to fit all keys plus `extra`.
    fn rehash(&mut self, extra: &Value) {
        // nums[i] = number of integer keys k with 2^(i-1) < k <= 2^i
        let mut nums = [0usize; 32];
        let mut na = 0usize; // integer keys that could go to the array part
                             // array part
        let mut lim = 1usize;
        let mut i = 1usize;
        for (lg, slot) in nums.iter_mut().enumerate() {
            let mut count = 0;
            let upper = lim.min(self.arr.len());
            while i <= upper {
                if !self.arr[i - 1].is_nil() {
                    count += 1;
                }
                i += 1;
            }
            *slot += count;
            na += count;
            if lim >= self.arr.len() || lg >= 31 {
                break;
            }
            lim *= 2;
        }
        let mut total = na;
        for n in &self.node {
            if !n.val.is_nil() {
                total += 1;
                if let Value::Num(x) = n.key {
                    if let Some(k) = array_index(x) {
                        nums[ceil_log2(k) as usize] += 1;
                        na += 1;
                    }
                }
            }
        }
        if let Value::Num(x) = extra {
            if let Some(k) = array_index(*x) {
                nums[ceil_log2(k) as usize] += 1;
                na += 1;
            }
        }
        total += 1;
        let (array_size, in_array) = compute_sizes(&nums, na);
        self.resize(array_size, total - in_array);
    }

    /// Resizes the array part to `narr` and the hash part to fit `nhash` keys.
    pub fn resize(&mut self, narr: usize, nhash: usize) {
        debug_assert!(!self.shared, "write to a shared table");
        let before = self.byte_size() as isize;
        self.resize_parts(narr, nhash);
        if !self.growth.is_null() {
            // SAFETY: `growth` points into the heap that owns this table, which outlives
            // every object it holds.
            let g = unsafe { &*self.growth };
            g.set(g.get() + (self.byte_size() as isize - before));
        }
    }

    fn resize_parts(&mut self, narr: usize, nhash: usize) {
        let old_nodes = std::mem::take(&mut self.node);
        let old_arr_len = self.arr.len();
        let mut moved: Vec<(usize, Value)> = Vec::new();
        if narr < old_arr_len {
            for (i, v) in self.arr.iter().enumerate().skip(narr) {
                if !v.is_nil() {
                    moved.push((i + 1, *v));
                }
            }
            self.arr.truncate(narr);
            self.arr.shrink_to_fit();
        } else {
            self.arr.resize(narr, Value::Nil);
        }
        self.set_node_vector(nhash);
        for (i, v) in moved {
            self.insert_after_resize(Value::Num(i as f64), v);
        }
        for n in old_nodes {
            if !n.val.is_nil() {
                self.insert_after_resize(n.key, n.val);
            }
        }
    }

    /// The border `#t` as PUC-Rio computes it.
    pub fn length(&self) -> usize {
        let mut j = self.arr.len();
        if j > 0 && self.arr[j - 1].is_nil() {
            let mut i = 0;
            while j - i > 1 {
                let m = (i + j) / 2;
                if self.arr[m - 1].is_nil() {
                    j = m;
                } else {
                    i = m;
                }
            }
            return i;
        }
        if self.node.is_empty() {
            return j;
        }
        self.unbound_search(j)
    }

    fn unbound_search(&self, mut j: usize) -> usize {
        let mut i = j;
        j += 1;
        while !self.get_int(j as i64).is_nil() {
            i = j;
            if j > (i64::MAX as usize) / 2 {
                // Pathological table: fall back to a linear search.
                let mut k = 1;
                while !self.get_int(k).is_nil() {
                    k += 1;
                }
                return (k - 1) as usize;
            }
            j *= 2;
        }
        while j - i > 1 {
            let m = (i + j) / 2;
            if self.get_int(m as i64).is_nil() {
                j = m;
            } else {
                i = m;
            }
        }
        i
    }

    /// The entry after `key` in traversal order (`next`): `Ok(None)` at the end,
    /// `Err(InvalidKey)` when `key` is not in the table.
    pub fn next(&self, key: &Value) -> Result<Option<(Value, Value)>, InvalidKey> {
        let mut start = match key {
            Value::Nil => 0,
            Value::Num(n) => match array_index(*n) {
                Some(i) if i <= self.arr.len() => i,
                _ => self.arr.len() + 1 + self.find_node(key).ok_or(InvalidKey)?,
            },
            _ => self.arr.len() + 1 + self.find_node(key).ok_or(InvalidKey)?,
        };
        while start < self.arr.len() {
            let v = self.arr[start];
            if !v.is_nil() {
                return Ok(Some((Value::Num((start + 1) as f64), v)));
            }
            start += 1;
        }
        let mut h = start - self.arr.len();
        while h < self.node.len() {
            let n = &self.node[h];
            if !n.val.is_nil() {
                return Ok(Some((n.key, n.val)));
            }
            h += 1;
        }
        Ok(None)
    }

    /// Makes room for `n` items in the array part (SETLIST / table.insert fast paths).
    pub fn ensure_array(&mut self, n: usize) {
        if n > self.arr.len() {
            let nh = self.node.iter().filter(|n| !n.val.is_nil()).count();
            self.resize(n, nh);
        }
    }

    /// Whether this table belongs to a shared image (see [`Table::shared`]).
    #[inline(always)]
    pub fn is_shared(&self) -> bool {
        self.shared
    }

    /// A private copy of a shared table: same entries, same layout (so `next` visits
    /// them in the same order), same metatable.
    pub(crate) fn private_copy(&self) -> Table {
        Table {
            arr: self.arr.clone(),
            node: self.node.clone(),
            last_free: self.last_free,
            meta: self.meta,
            tm_absent: self.tm_absent,
            shared: false,
            growth: std::ptr::null(),
        }
    }

    /// Re-inserts every hash entry: needed after keys were replaced by other objects
    /// (their hashes, which are addresses, changed).
    pub(crate) fn rehash_in_place(&mut self) {
        let na = self.arr.len();
        let nh = self.node.len();
        self.resize(na, nh);
    }

    /// Number of entries (array and hash) with non-nil values; used for GC accounting.
    pub fn array_len(&self) -> usize {
        self.arr.len()
    }
}

/// PUC's `computesizes`: the largest power of two `n` such that more than half of the
/// slots 1..n would be in use; returns (n, number of keys that go to the array).
fn compute_sizes(nums: &[usize; 32], total_int: usize) -> (usize, usize) {
    let mut a = 0usize;
    let mut na = 0usize;
    let mut n = 0usize;
    let mut twotoi = 1usize;
    for &count in nums.iter() {
        if twotoi / 2 >= total_int {
            break;
        }
        if count > 0 {
            a += count;
            if a > twotoi / 2 {
                n = twotoi;
                na = a;
            }
        }
        twotoi *= 2;
    }
    (n, na)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_and_hash_roundtrip() {
        let mut t = Table::new(0, 0);
        for i in 1..=100 {
            t.set_int(i, Value::Num(i as f64 * 2.0));
        }
        for i in 1..=100 {
            assert!(t.get_int(i).raw_eq(&Value::Num(i as f64 * 2.0)));
        }
        assert_eq!(t.length(), 100);
        assert!(
            t.arr.len() >= 64,
            "integer keys should migrate to the array part"
        );
        t.set(Value::Num(0.5), Value::Bool(true)).unwrap();
        assert!(t.get(&Value::Num(0.5)).truthy());
        assert_eq!(t.set(Value::Nil, Value::Nil), Err(KeyError::Nil));
        assert_eq!(t.set(Value::Num(f64::NAN), Value::Nil), Err(KeyError::NaN));
    }

    #[test]
    fn next_visits_everything_once() {
        let mut t = Table::new(0, 0);
        for i in 1..=50 {
            t.set_int(i * 3, Value::Num(i as f64));
        }
        let mut k = Value::Nil;
        let mut count = 0;
        while let Some((nk, _)) = t.next(&k).unwrap() {
            count += 1;
            k = nk;
        }
        assert_eq!(count, 50);
    }

    #[test]
    fn deleting_during_traversal_keeps_next_working() {
        let mut t = Table::new(0, 0);
        for i in 1..=40 {
            t.set(Value::Num(i as f64 + 0.5), Value::Num(1.0)).unwrap();
        }
        let mut k = Value::Nil;
        let mut count = 0;
        while let Some((nk, _)) = t.next(&k).unwrap() {
            t.set(nk, Value::Nil).unwrap();
            count += 1;
            k = nk;
        }
        assert_eq!(count, 40);
        assert!(t.next(&Value::Nil).unwrap().is_none());
    }
}
