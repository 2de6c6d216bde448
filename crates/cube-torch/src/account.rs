//! Each process's account of the bytes its tensors hold, for `--max-heap`.
//!
//! A tensor's elements live outside the Lua heap (in a [`crate::storage::Storage`]),
//! which counts a tensor's userdata at a fixed size only. So each process keeps its
//! own count: a storage is charged once, to the first process that holds it in a Lua
//! value (views of it are free), and the charge is released when the storage is
//! dropped, i.e. when the last view of it is collected, whichever thread does it. The
//! Lua layer adds the count to every reservation it makes against the heap limit
//! (`lua::values`), so the Lua heap plus live tensors must fit the process's limit.

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;

/// A process's tensor bytes (shared with the charges of its storages).
#[derive(Clone, Debug, Default)]
pub struct Account(Arc<AtomicUsize>);

impl Account {
    /// Bytes of the storages charged here and still alive.
    pub fn bytes(&self) -> usize {
        self.0.load(Relaxed)
    }

    /// The counter itself, for the state to read (`State::set_external_bytes`).
    pub fn counter(&self) -> Arc<AtomicUsize> {
        self.0.clone()
    }

    pub(crate) fn charge(&self, bytes: usize) -> Charge {
        self.0.fetch_add(bytes, Relaxed);
        Charge {
            account: self.clone(),
            bytes,
        }
    }
}

/// `bytes` counted in `account` until this is dropped (with its storage).
#[derive(Debug)]
pub struct Charge {
    account: Account,
    bytes: usize,
}

impl Drop for Charge {
    fn drop(&mut self) {
        let _ = self
            .account
            .0
            .fetch_update(Relaxed, Relaxed, |b| Some(b.saturating_sub(self.bytes)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::{Buffer, Storage};

    #[test]
    fn a_storage_counts_once_until_dropped() {
        let account = Account::default();
        let s = Storage::new(Buffer::F32(vec![0.0; 100]));
        assert!(s.charge_to(&account));
        let view = s.clone();
        assert!(!view.charge_to(&account));
        assert_eq!(account.bytes(), 400);
        drop(s);
        assert_eq!(account.bytes(), 400);
        drop(view);
        assert_eq!(account.bytes(), 0);
    }
}
