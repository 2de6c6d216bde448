//! Shared images: the standard library built once and shared copy-on-write by many
//! states (DESIGN.md decision 3).
//!
//! A process runtime starts thousands of states that all begin with the same globals:
//! building `string`, `table`, `io`... for each one costs tens of kilobytes and tens of
//! microseconds. Instead, one state is set up once and frozen into an [`Image`]; each
//! new state made by [`State::from_image`] starts with an empty heap of its own whose
//! globals, library tables, metatables and interned strings are the image's, read in
//! place from any thread.
//!
//! Image objects are never written. Every path that writes a table (the VM's stores,
//! `rawset`, `setmetatable`, the table library, the embedding API, ...) first calls
//! `State::unshare`. The first such write *materializes* the image into the state:
//! private copies of all image tables, of the natives that have upvalues (their
//! upvalues may be image tables) and of the userdata that have per-state contents
//! (file handles, the random generator), after which every reference the state holds
//! to an image object is replaced by its copy ("become"). From then on the state sees
//! only its own copies, so the other states never notice its writes, identities stay
//! consistent (`string == getmetatable("").__index` still holds) and the hot paths pay
//! nothing beyond a flag test. Strings and natives without upvalues stay shared
//! forever: they are immutable.
//!
//! Materializing is all-or-nothing on purpose: image tables point at each other
//! (`_G.string`, `package.loaded.string`, the string metatable's `__index`), and
//! copying them one by one would need to copy every table that refers to a copied one.

use crate::gc::{Frozen, Gc, Heap};
use crate::state::{State, TmNames};
use crate::table::Table;
use crate::thread::Thread;
use crate::tm::TM_FAST;
use crate::value::{NClosure, UserData, Value};
use std::any::Any;
use std::collections::HashMap;
use std::sync::Arc;

/// Makes a state's own copy of an image userdata's payload, or `None` if the payload is
/// immutable and may stay shared.
pub type CloneUserData = fn(&dyn Any) -> Option<Box<dyn Any + Send>>;

/// A frozen, shareable starting point for new states (see the module docs).
pub struct Image {
    frozen: Arc<Frozen>,
    globals: Gc<Table>,
    /// The registry, shared like the rest: `registry[1]` (the main thread) is the image
    /// state's until a state takes its copy, which then gets its own main thread there.
    registry: Gc<Table>,
    type_meta: Arc<crate::state::TypeMetas>,
    tm_names: Arc<TmNames>,
    names: Arc<crate::state::Names>,
    clone_userdata: Vec<CloneUserData>,
    /// Settings of the image state that new states inherit.
    binary_chunks_allowed: bool,
    /// Addresses of the image's userdata and natives with upvalues, sorted: the
    /// objects besides tables that a state copies before writing.
    copied_on_write: Vec<usize>,
}

// SAFETY: everything an image points to is frozen: never collected, and never written
// by the states that share it (the invariant, and where it is kept, is at `Frozen`'s
// `Sync` impl in `gc.rs`); it lives as long as `frozen`, which the image and every state
// made from it keep alive. The cloners are plain `fn` pointers.
unsafe impl Send for Image {}
// SAFETY: as for `Send`: an image is only read once built.
unsafe impl Sync for Image {}

impl Image {
    /// Builds an image: a bare state prepared by `setup` (which opens the libraries),
    /// then frozen.
    ///
    /// Many threads read an image at once, so it may hold only objects that states
    /// read or copy before writing (see `Frozen`'s `Sync` impl in `gc.rs`). `setup` may
    /// run Lua code, but must leave reachable no Lua function, coroutine or
    /// `string.gmatch` iterator (the VM and natives write those in place): `new`
    /// panics if it does. A userdata payload that states write needs a cloner
    /// ([`Image::add_userdata_cloner`]); one that stays shared is read in place only
    /// if it was made `Sync` (`State::new_shared_userdata`): otherwise
    /// `State::userdata_get` does not hand it out and `State::userdata_mut` refuses
    /// it (both return `None`).
    pub fn new(setup: impl FnOnce(&mut State)) -> Arc<Image> {
        let mut st = State::new_bare();
        setup(&mut st);
        Arc::new(st.freeze())
    }

    /// Adds a way to copy payloads of a userdata type that a state must own privately
    /// once it writes the image (the standard library's own types are known already).
    /// A payload no cloner copies stays shared between threads and is only ever read
    /// (see [`Image::new`]).
    ///
    /// # Safety
    /// States on several threads call `f` at once on the same image payload, which may
    /// not be `Sync`: `f` must only read it (no interior mutability: no `Cell::set`,
    /// no `RefCell` borrow, ...).
    pub unsafe fn add_userdata_cloner(&mut self, f: CloneUserData) {
        self.clone_userdata.push(f);
    }

    fn private_payload(&self, data: &dyn Any) -> Option<Box<dyn Any + Send>> {
        self.clone_userdata.iter().find_map(|f| f(data))
    }
}

/// The private copies a state made of its image's objects, by image address.
#[derive(Default)]
pub(crate) struct PrivateCopies {
    map: HashMap<usize, Value>,
}

impl PrivateCopies {
    fn get(&self, v: &Value) -> Option<Value> {
        let addr = match v {
            Value::Table(t) => t.addr(),
            Value::NFn(c) => c.addr(),
            Value::UserData(u) => u.addr(),
            _ => return None,
        };
        self.map.get(&addr).copied()
    }

    pub(crate) fn values(&self) -> impl Iterator<Item = Value> + '_ {
        self.map.values().copied()
    }
}

impl State {
    /// Freezes this state into an image. Every table gets its "absent metamethod" bits
    /// computed now, because an image table is never written, not even by that cache.
    fn freeze(mut self) -> Image {
        let tm_names = self.tm_names.clone();
        // What setup left behind unreachable (its chunks) is not frozen, and nothing
        // that states would write in place may be (see `Frozen::unshareable`).
        self.full_gc();
        let frozen = self.heap.freeze();
        if let Some(what) = frozen.unshareable(self.main_thread) {
            panic!("an image cannot hold {what}: the states sharing it would write it");
        }
        for t in frozen.tables() {
            let mut absent = 0u8;
            for (bit, name) in tm_names.iter().enumerate().take(TM_FAST as usize) {
                if t.get_str(*name).is_nil() {
                    absent |= 1 << bit;
                }
            }
            t.get_mut().tm_absent = absent;
        }
        let mut copied_on_write: Vec<usize> = frozen
            .userdata()
            .map(|u| u.addr())
            .chain(frozen.natives_with_upvalues().map(|c| c.addr()))
            .collect();
        copied_on_write.sort_unstable();
        let image = Image {
            copied_on_write,
            binary_chunks_allowed: self.binary_chunks_allowed,
            frozen: Arc::new(frozen),
            globals: self.globals,
            registry: self.registry,
            type_meta: self.type_meta.clone(),
            tm_names,
            names: self.names.clone(),
            clone_userdata: vec![crate::stdlib::clone_userdata],
        };
        // The objects now belong to the image: the state must not free them.
        self.heap = Heap::new();
        image
    }

    /// A new state that starts from `image`: the image's globals, libraries and registry,
    /// an empty heap of its own and its own main thread.
    pub fn from_image(image: &Arc<Image>) -> State {
        let mut heap = Heap::with_shared(image.frozen.clone());
        let main_thread = heap.new_thread(Thread::new());
        main_thread.get_mut().status = crate::thread::CoStatus::Running;
        let mut st = State::assemble(
            heap,
            image.globals,
            image.registry,
            main_thread,
            image.tm_names.clone(),
            image.names.clone(),
        );
        st.type_meta = image.type_meta.clone();
        st.binary_chunks_allowed = image.binary_chunks_allowed;
        st.image = Some(image.clone());
        st
    }

    /// The table to write instead of `t`: `t` itself, or — if `t` belongs to the image
    /// this state started from — this state's private copy (made now if needed).
    #[inline(always)]
    pub(crate) fn unshare(&mut self, t: Gc<Table>) -> Gc<Table> {
        if t.is_shared() {
            self.unshare_slow(Value::Table(t))
                .as_table()
                .expect("private copy of a table is a table")
        } else {
            t
        }
    }

    /// As [`State::unshare`] for any value: the state's own copy of an image table,
    /// native with upvalues or userdata; other values unchanged.
    pub(crate) fn unshare_value(&mut self, v: Value) -> Value {
        match v {
            Value::Table(t) if !t.is_shared() => v,
            Value::Table(_) => self.unshare_slow(v),
            Value::NFn(_) | Value::UserData(_) => {
                let addr = match v {
                    Value::NFn(c) => c.addr(),
                    Value::UserData(u) => u.addr(),
                    _ => unreachable!(),
                };
                match &self.image {
                    Some(img) if img.copied_on_write.binary_search(&addr).is_ok() => {
                        self.unshare_slow(v)
                    }
                    _ => v,
                }
            }
            _ => v,
        }
    }

    #[cold]
    fn unshare_slow(&mut self, v: Value) -> Value {
        if self.private_copies().is_none() {
            self.materialize();
        }
        self.private_copies().and_then(|p| p.get(&v)).unwrap_or(v)
    }

    /// Makes this state own every object of its image now (nothing if it has no image or
    /// owns them already). For rare library paths that write several tables reached in
    /// several ways (`require`, `module`, the debug library); call it before reading the
    /// values to write, since it re-points every reference the state holds.
    pub fn own_image(&mut self) {
        if self.image.is_some() && self.private_copies().is_none() {
            self.materialize();
        }
    }

    /// `v`, or this state's private copy of it if the state has copied its image:
    /// for values a caller read before a write that made the copies (`unshare`
    /// re-points the references the state holds, not those in the caller's locals).
    #[inline]
    pub(crate) fn own_copy(&self, v: Value) -> Value {
        match self.private_copies() {
            Some(p) if !matches!(v, Value::Nil | Value::Bool(_) | Value::Num(_)) => {
                p.get(&v).unwrap_or(v)
            }
            _ => v,
        }
    }

    /// Whether `addr` is one of the image's userdata or natives with upvalues (an
    /// object the state reads in place until it writes it).
    pub(crate) fn in_image(&self, addr: usize) -> bool {
        self.image
            .as_ref()
            .is_some_and(|img| img.copied_on_write.binary_search(&addr).is_ok())
    }

    /// Whether this state still uses its image in place (nothing written yet).
    pub fn uses_shared_image(&self) -> bool {
        self.image.is_some() && self.private_copies().is_none()
    }

    /// This state's copies of its image's objects, once it wrote one.
    #[inline]
    pub(crate) fn private_copies(&self) -> Option<&PrivateCopies> {
        self.cold.as_ref()?.private_copies.as_deref()
    }

    /// Copies the image's mutable objects into this heap and makes every reference to
    /// them point to the copies (see the module docs).
    fn materialize(&mut self) {
        let Some(image) = self.image.clone() else {
            self.cold_mut().private_copies = Some(Box::default());
            return;
        };
        let mut copies = PrivateCopies::default();
        for t in image.frozen.tables() {
            let p = self.heap.new_table(t.private_copy());
            copies.map.insert(t.addr(), Value::Table(p));
        }
        for c in image.frozen.natives_with_upvalues() {
            let p = self.heap.new_nclosure(NClosure {
                f: c.f,
                upvals: c.upvals.clone(),
                name: c.name,
                host: c.host,
            });
            copies.map.insert(c.addr(), Value::NFn(p));
        }
        let mut finalizable = Vec::new();
        for u in image.frozen.userdata() {
            if let Some(data) = image.private_payload(&*u.data) {
                let p = self.heap.new_userdata(UserData {
                    data,
                    meta: u.meta,
                    user_value: u.user_value,
                    sync: false,
                });
                copies.map.insert(u.addr(), Value::UserData(p));
                finalizable.push(Value::UserData(p));
            }
        }
        let lookup = |v: Value| copies.get(&v);
        self.heap.replace_refs(&lookup);
        let swap_table = |t: &mut Gc<Table>| {
            if let Some(Value::Table(p)) = lookup(Value::Table(*t)) {
                *t = p;
            }
        };
        swap_table(&mut self.globals);
        swap_table(&mut self.registry);
        // The copied registry holds the image state's main thread: this state's own.
        let main = Value::Thread(self.main_thread);
        self.registry.get_mut().set_int(1, main);
        let mut metas = (*self.type_meta).clone();
        for m in metas.0.iter_mut().flatten() {
            swap_table(m);
        }
        self.type_meta = Arc::new(metas);
        if let Some(p) = lookup(self.host_root) {
            self.host_root = p;
        }
        for v in self.cold.iter_mut().flat_map(|c| c.pinned.iter_mut()) {
            if let Some(p) = lookup(*v) {
                *v = p;
            }
        }
        // Copied userdata whose metatable has __gc are finalized like any other.
        let gc_key = self.tm_names[crate::tm::TM::Gc as usize];
        for v in finalizable {
            if let Value::UserData(u) = v {
                if u.meta.is_some_and(|m| !m.get_str(gc_key).is_nil()) {
                    self.heap.register_finalizer(v);
                }
            }
        }
        self.cold_mut().private_copies = Some(Box::new(copies));
    }
}
