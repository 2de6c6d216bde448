//! The node's process table: pid number -> process, read on every send.
//!
//! Sharded by pid number so that schedulers sending to different processes touch
//! different locks (one lock word written by every send on every core was the largest
//! cost of message passing after the message itself), and hashed with one
//! multiplication: the keys are sequential numbers, and there is no untrusted input to
//! defend against with SipHash.

use crate::process::Process;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// Number of shards (a power of two).
const SHARDS: usize = 64;

#[derive(Default, Clone, Copy)]
pub(crate) struct PidHasher(u64);

impl std::hash::Hasher for PidHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ b as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

type Shard = RwLock<HashMap<u64, Arc<Process>, std::hash::BuildHasherDefault<PidHasher>>>;

pub(crate) struct ProcessTable {
    shards: Box<[Shard]>,
}

impl Default for ProcessTable {
    fn default() -> Self {
        ProcessTable {
            shards: (0..SHARDS).map(|_| Shard::default()).collect(),
        }
    }
}

impl ProcessTable {
    fn shard(&self, id: u64) -> &Shard {
        // Consecutive pids go to consecutive shards.
        &self.shards[id as usize & (SHARDS - 1)]
    }

    pub(crate) fn get(&self, id: u64) -> Option<Arc<Process>> {
        self.shard(id)
            .read()
            .expect("process table lock")
            .get(&id)
            .cloned()
    }

    pub(crate) fn insert(&self, id: u64, p: Arc<Process>) {
        self.shard(id)
            .write()
            .expect("process table lock")
            .insert(id, p);
    }

    pub(crate) fn remove(&self, id: u64) {
        self.shard(id)
            .write()
            .expect("process table lock")
            .remove(&id);
    }

    /// Every process in the table (a snapshot; unordered).
    pub(crate) fn all(&self) -> Vec<Arc<Process>> {
        let mut out = Vec::new();
        for s in self.shards.iter() {
            out.extend(s.read().expect("process table lock").values().cloned());
        }
        out
    }
}
