//! The per-state heap: allocation, string interning and a mark-and-sweep collector.
//!
//! Every state (later: every process) owns one `Heap` and collects it alone, so there is
//! no global pause and no lock (DESIGN.md decision 3). Objects are individually boxed and
//! recorded in the heap's object list; `Gc<T>` is a plain pointer to them.
//!
//! Collection is stop-the-world within the heap and happens only at *safe points* chosen
//! by the VM (allocation-heavy instructions and after native calls), where every live
//! value is reachable from the roots the state passes in. Native functions may therefore
//! hold `Value`s in Rust locals for the duration of their call.
//!
//! Weak tables (`__mode`) and finalizers (`__gc`, for tables and userdata, registered when
//! the metatable is set, as in 5.2) follow the reference semantics: weak values and keys
//! are cleared after marking, keys of ephemeron tables keep their values alive only while
//! the key is reachable, and objects with finalizers are resurrected once and queued.

use crate::proto::{Constant, Proto};
use crate::table::{Table, DEAD_KEY};
use crate::thread::Thread;
use crate::value::{
    hash_bytes, FnProto, LClosure, LuaStr, NClosure, UpState, UpVal, UserData, Value,
};
use std::cell::{Cell, UnsafeCell};
use std::ptr::NonNull;

/// Header + payload of every heap object.
pub struct GcBox<T> {
    marked: Cell<bool>,
    value: UnsafeCell<T>,
}

/// A pointer to a heap object. `Copy`, compared by address.
pub struct Gc<T> {
    ptr: NonNull<GcBox<T>>,
}

impl<T> Clone for Gc<T> {
    #[inline(always)]
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Gc<T> {}

impl<T> Gc<T> {
    #[inline(always)]
    pub fn ptr_eq(self, other: Gc<T>) -> bool {
        self.ptr == other.ptr
    }
    #[inline(always)]
    pub fn addr(self) -> usize {
        self.ptr.as_ptr() as usize
    }

    /// Mutable access to the object. Crate-private: other crates write objects only
    /// through `State` (`set_field`, `raw_set`, `raw_set_int`, `set_table_meta`,
    /// `userdata_mut`, ...), which borrow the state mutably.
    ///
    /// The VM is single-threaded per heap and never holds two mutable borrows of one
    /// object across a call that could reach it again; every use keeps the borrow short.
    #[allow(clippy::mut_from_ref)]
    #[inline(always)]
    pub(crate) fn get_mut(&self) -> &mut T {
        // SAFETY: the object is alive while reachable (GC only at safe points) and the
        // interpreter's borrows of one object never overlap (see above).
        unsafe { &mut *(*self.ptr.as_ptr()).value.get() }
    }

    #[inline(always)]
    fn header(&self) -> &GcBox<T> {
        // SAFETY: as for `get_mut`.
        unsafe { self.ptr.as_ref() }
    }

    #[inline(always)]
    fn is_marked(self) -> bool {
        self.header().marked.get()
    }

    #[inline(always)]
    fn set_marked(self, m: bool) {
        self.header().marked.set(m)
    }
}

impl<T> std::ops::Deref for Gc<T> {
    type Target = T;
    #[inline(always)]
    fn deref(&self) -> &T {
        // SAFETY: as for `get_mut`.
        unsafe { &*(*self.ptr.as_ptr()).value.get() }
    }
}

/// Any heap object other than a string, for the object list.
#[derive(Clone, Copy)]
enum Obj {
    Table(Gc<Table>),
    LFn(Gc<LClosure>),
    NFn(Gc<NClosure>),
    UpVal(Gc<UpVal>),
    Proto(Gc<FnProto>),
    UserData(Gc<UserData>),
    Thread(Gc<Thread>),
}

macro_rules! on_obj {
    ($o:expr, $g:ident => $e:expr) => {
        match $o {
            Obj::Table($g) => $e,
            Obj::LFn($g) => $e,
            Obj::NFn($g) => $e,
            Obj::UpVal($g) => $e,
            Obj::Proto($g) => $e,
            Obj::UserData($g) => $e,
            Obj::Thread($g) => $e,
        }
    };
}

impl Obj {
    #[inline(always)]
    fn is_marked(self) -> bool {
        on_obj!(self, g => g.is_marked())
    }

    #[inline(always)]
    fn set_marked(self, m: bool) {
        on_obj!(self, g => g.set_marked(m))
    }

    /// # Safety
    /// The object must be unreachable.
    unsafe fn free(self) {
        on_obj!(self, g => free_box(g))
    }
}

/// An [`Obj`] in one word, as the heap's object list keeps it: the list has an entry for
/// every object, and an idle process's three (its thread, its function and the
/// function's upvalue) fit a 32-byte allocation instead of 64. The variant is in the
/// pointer's low three bits, which are zero in it: every `GcBox` is 8-aligned (checked
/// below). `map_addr` keeps the pointer's provenance both ways.
#[derive(Clone, Copy)]
struct PackedObj(NonNull<u8>);

const _: () = {
    use std::mem::align_of;
    assert!(align_of::<GcBox<Table>>() >= 8);
    assert!(align_of::<GcBox<LClosure>>() >= 8);
    assert!(align_of::<GcBox<NClosure>>() >= 8);
    assert!(align_of::<GcBox<UpVal>>() >= 8);
    assert!(align_of::<GcBox<FnProto>>() >= 8);
    assert!(align_of::<GcBox<UserData>>() >= 8);
    assert!(align_of::<GcBox<Thread>>() >= 8);
};

impl PackedObj {
    /// The bits that hold the variant.
    const TAG: usize = 7;

    #[inline]
    fn pack(o: Obj) -> PackedObj {
        let (ptr, tag): (NonNull<u8>, usize) = match o {
            Obj::Table(g) => (g.ptr.cast(), 0),
            Obj::LFn(g) => (g.ptr.cast(), 1),
            Obj::NFn(g) => (g.ptr.cast(), 2),
            Obj::UpVal(g) => (g.ptr.cast(), 3),
            Obj::Proto(g) => (g.ptr.cast(), 4),
            Obj::UserData(g) => (g.ptr.cast(), 5),
            Obj::Thread(g) => (g.ptr.cast(), 6),
        };
        debug_assert_eq!(ptr.addr().get() & Self::TAG, 0, "a GcBox is 8-aligned");
        PackedObj(ptr.map_addr(|a| a | tag))
    }

    #[inline]
    fn unpack(self) -> Obj {
        let tag = self.0.addr().get() & Self::TAG;
        // SAFETY: the address is a `GcBox`'s, not zero, with the variant in three bits
        // that are zero in it: clearing them gives that address back.
        let ptr = self
            .0
            .map_addr(|a| unsafe { std::num::NonZero::new_unchecked(a.get() & !Self::TAG) });
        match tag {
            0 => Obj::Table(Gc { ptr: ptr.cast() }),
            1 => Obj::LFn(Gc { ptr: ptr.cast() }),
            2 => Obj::NFn(Gc { ptr: ptr.cast() }),
            3 => Obj::UpVal(Gc { ptr: ptr.cast() }),
            4 => Obj::Proto(Gc { ptr: ptr.cast() }),
            5 => Obj::UserData(Gc { ptr: ptr.cast() }),
            _ => {
                debug_assert_eq!(tag, 6, "a packed object's variant");
                Obj::Thread(Gc { ptr: ptr.cast() })
            }
        }
    }
}

/// Frees a heap's (or an image's) objects and strings.
///
/// # Safety
/// None of them may be reachable any more.
unsafe fn free_everything(objects: impl IntoIterator<Item = Obj>, strings: &mut StringSet) {
    for o in objects {
        o.free();
    }
    for &s in std::mem::take(&mut strings.slots).iter().flatten() {
        free_box(s);
    }
    strings.count = 0;
}

fn alloc_box<T>(v: T) -> Gc<T> {
    let b = Box::new(GcBox {
        marked: Cell::new(false),
        value: UnsafeCell::new(v),
    });
    Gc {
        ptr: NonNull::from(Box::leak(b)),
    }
}

/// # Safety
/// `g` must have been made by `alloc_box` and be unreachable.
unsafe fn free_box<T>(g: Gc<T>) {
    drop(Box::from_raw(g.ptr.as_ptr()));
}

/// Open-addressing set of all strings of the heap, keyed by content.
struct StringSet {
    /// A boxed slice, not a `Vec`: its length is its capacity (8 bytes of every
    /// process's state).
    slots: Box<[Option<Gc<LuaStr>>]>,
    count: usize,
}

impl StringSet {
    /// An empty set; its slots are allocated on the first insertion (an idle process
    /// may never make a string of its own).
    fn new() -> StringSet {
        StringSet {
            slots: Box::default(),
            count: 0,
        }
    }

    fn find(&self, bytes: &[u8], hash: u32) -> Result<Gc<LuaStr>, usize> {
        if self.slots.is_empty() {
            return Err(usize::MAX);
        }
        let mask = self.slots.len() - 1;
        let mut i = hash as usize & mask;
        loop {
            match self.slots[i] {
                None => return Err(i),
                Some(s) if s.hash == hash && *s.bytes == *bytes => return Ok(s),
                Some(_) => i = (i + 1) & mask,
            }
        }
    }

    fn insert_at(&mut self, i: usize, s: Gc<LuaStr>) {
        if self.slots.is_empty() {
            self.slots = vec![None; MIN_STRING_SLOTS].into_boxed_slice();
            let i = s.hash as usize & (MIN_STRING_SLOTS - 1);
            self.slots[i] = Some(s);
            self.count = 1;
            return;
        }
        debug_assert!(self.slots[i].is_none(), "string inserted over another");
        debug_assert!(!s.is_marked(), "a new string is unmarked");
        self.slots[i] = Some(s);
        self.count += 1;
        if self.count * 2 > self.slots.len() {
            self.rebuild(self.slots.len() * 2);
        }
    }

    fn rebuild(&mut self, size: usize) {
        debug_assert!(size.is_power_of_two() && size >= self.count * 2);
        let old = std::mem::replace(&mut self.slots, vec![None; size].into_boxed_slice());
        let mask = size - 1;
        for &s in old.iter().flatten() {
            let mut i = s.hash as usize & mask;
            while self.slots[i].is_some() {
                i = (i + 1) & mask;
            }
            self.slots[i] = Some(s);
        }
    }

    /// Frees unmarked strings, clears marks of the others; returns bytes freed.
    fn sweep(&mut self) -> usize {
        let mut freed = 0;
        let mut live = Vec::with_capacity(self.count);
        for &s in std::mem::take(&mut self.slots).iter().flatten() {
            if s.is_marked() {
                s.set_marked(false);
                live.push(s);
            } else {
                freed += str_size(s.len());
                // SAFETY: unmarked after a full mark phase means unreachable.
                unsafe { free_box(s) };
            }
        }
        if live.is_empty() {
            self.slots = Box::default();
            self.count = 0;
            return freed;
        }
        let mut size = MIN_STRING_SLOTS;
        while size < live.len() * 4 {
            size *= 2;
        }
        self.slots = vec![None; size].into_boxed_slice();
        self.count = live.len();
        let mask = size - 1;
        for s in live {
            let mut i = s.hash as usize & mask;
            while self.slots[i].is_some() {
                i = (i + 1) & mask;
            }
            self.slots[i] = Some(s);
        }
        self.debug_check();
        freed
    }

    /// Debug builds: `count` is the number of strings held, the table is a power of
    /// two at most half full (so probing ends), and every string sits in its probe
    /// sequence (`find` reaches it) with its mark cleared between collections.
    fn debug_check(&self) {
        if !cfg!(debug_assertions) {
            return;
        }
        let held = self.slots.iter().flatten().count();
        debug_assert_eq!(held, self.count, "string count");
        if self.slots.is_empty() {
            return;
        }
        debug_assert!(self.slots.len().is_power_of_two() && self.count * 2 <= self.slots.len());
        for s in self.slots.iter().flatten() {
            debug_assert!(!s.is_marked(), "a string is marked outside a collection");
            debug_assert!(self.find(&s.bytes, s.hash).is_ok_and(|f| f.ptr_eq(*s)));
        }
    }
}

/// Marks a string. Strings of a shared image are permanently marked and read by many
/// threads at once, so a mark is written only where it changes something.
#[inline(always)]
fn mark_str(s: Gc<LuaStr>) {
    if !s.is_marked() {
        s.set_marked(true);
    }
}

/// Slots of a string set when it first gets a string.
const MIN_STRING_SLOTS: usize = 16;

fn str_size(len: usize) -> usize {
    std::mem::size_of::<GcBox<LuaStr>>() + len
}

/// The heap's finalizer queues and the collector's work lists, and its pacing settings
/// when a program changed them (`collectgarbage("setpause")` and the like): every
/// process pays for none of it until it collects, has a finalizer or stops the
/// collector.
struct GcLists {
    /// `"__mode"`, interned when the lists are made (the key of weak tables' mode).
    mode_key: Gc<LuaStr>,
    /// `collectgarbage("stop")` was called: the paced collections wait (the heap's
    /// `threshold` is then `usize::MAX`) until `restart`, which puts back
    /// `stopped_threshold`, the threshold they would have had meanwhile. The heap
    /// limit's collections still run (`Heap::limit`).
    stopped: bool,
    stopped_threshold: usize,
    /// GC pause in percent (`collectgarbage("setpause")`): next threshold = live * pause / 100.
    pause: usize,
    stepmul: usize,
    /// Work paid for by `collectgarbage("step")` calls since the last cycle (bytes).
    step_credit: usize,
    /// Objects whose metatable had `__gc` when it was set, in registration order.
    finobj: Vec<Value>,
    /// Unreachable finalizable objects, in the order their finalizers run: each
    /// collection appends its batch newest-registered first, as PUC's `tobefnz` list.
    tobefnz: std::collections::VecDeque<Value>,
    gray: Vec<Obj>,
    weak: Vec<(Gc<Table>, bool, bool)>,
}

const DEFAULT_PAUSE: usize = 200;
const DEFAULT_STEPMUL: usize = 200;

impl GcLists {
    fn new(mode_key: Gc<LuaStr>) -> Self {
        GcLists {
            mode_key,
            stopped: false,
            stopped_threshold: INITIAL_THRESHOLD,
            pause: DEFAULT_PAUSE,
            stepmul: DEFAULT_STEPMUL,
            step_credit: 0,
            finobj: Vec::new(),
            tobefnz: Default::default(),
            gray: Vec::new(),
            weak: Vec::new(),
        }
    }
}

pub struct Heap {
    strings: StringSet,
    /// The shared image this heap's state starts from: its strings are this heap's too
    /// (interning looks there first, so equal strings stay one object).
    shared: Option<std::sync::Arc<Frozen>>,
    objects: Vec<PackedObj>,
    /// Bytes currently allocated (estimate).
    pub(crate) bytes: usize,
    /// Collect when `bytes` exceeds this (`usize::MAX` while the collector is stopped,
    /// see `GcLists::stopped`).
    pub(crate) threshold: usize,
    /// Bytes added (or given back) by table resizes since they were last folded into
    /// `bytes` (boxed: tables keep a pointer to it; see `Table::growth`). Made with the
    /// heap's first table (an idle process has none) and never replaced, so that
    /// pointer stays valid as long as the heap.
    growth: Option<Box<Cell<isize>>>,
    /// The state's heap limit (`usize::MAX` when none): above it a collection is due at
    /// the next safe point even with the collector stopped, as PUC's emergency
    /// collection.
    pub(crate) limit: usize,
    /// Finalizer queues, the collector's work lists and the pacing settings, made on
    /// first need: a process that never collects, has no finalizers and keeps the
    /// default pacing does not pay for them.
    lists: Option<Box<GcLists>>,
}

const INITIAL_THRESHOLD: usize = 1 << 20;

impl Default for Heap {
    fn default() -> Self {
        Heap::new()
    }
}

impl Heap {
    pub(crate) fn new() -> Heap {
        Heap {
            strings: StringSet::new(),
            shared: None,
            objects: Vec::new(),
            bytes: 0,
            threshold: INITIAL_THRESHOLD,
            growth: None,
            limit: usize::MAX,
            lists: None,
        }
    }

    /// Objects in the heap (strings apart): what a collection visits.
    pub(crate) fn object_count(&self) -> usize {
        self.objects.len()
    }

    /// True when the allocation debt asks for a collection at the next safe point.
    #[inline(always)]
    pub(crate) fn should_collect(&self) -> bool {
        let bytes = self.total_bytes();
        bytes > self.threshold || bytes > self.limit
    }

    /// Bytes allocated (estimate), table growth included.
    #[inline(always)]
    pub(crate) fn total_bytes(&self) -> usize {
        let growth = self.growth.as_ref().map_or(0, |g| g.get());
        (self.bytes as isize).saturating_add(growth).max(0) as usize
    }

    /// Folds the table growth counted since the last time into `bytes`.
    fn fold_growth(&mut self) {
        self.bytes = self.total_bytes();
        if let Some(g) = &self.growth {
            g.set(0);
        }
    }

    /// The interned string with these bytes.
    pub(crate) fn intern(&mut self, bytes: &[u8]) -> Gc<LuaStr> {
        let hash = hash_bytes(bytes);
        match self.find_string(bytes, hash) {
            Ok(s) => s,
            Err(slot) => {
                let s = alloc_box(LuaStr {
                    hash,
                    bytes: bytes.into(),
                });
                self.bytes += str_size(bytes.len());
                self.strings.insert_at(slot, s);
                s
            }
        }
    }

    /// Interns an owned buffer without copying it when it is new.
    pub(crate) fn intern_vec(&mut self, bytes: Vec<u8>) -> Gc<LuaStr> {
        let hash = hash_bytes(&bytes);
        match self.find_string(&bytes, hash) {
            Ok(s) => s,
            Err(slot) => {
                self.bytes += str_size(bytes.len());
                let s = alloc_box(LuaStr {
                    hash,
                    bytes: bytes.into_boxed_slice(),
                });
                self.strings.insert_at(slot, s);
                s
            }
        }
    }

    fn lists(&mut self) -> &mut GcLists {
        if self.lists.is_none() {
            // Made before anything is marked (`collect` asks first), so the key is
            // never a string made during a collection. A heap of an image finds it
            // there without a look-up.
            let mode_key = match self.shared.as_ref().and_then(|f| f.mode_key) {
                Some(k) => k,
                None => self.intern(b"__mode"),
            };
            self.lists = Some(Box::new(GcLists::new(mode_key)));
        }
        self.lists.as_mut().expect("the lists were just made")
    }

    /// `collectgarbage("stop")`: no paced collections until [`Heap::restart`].
    pub(crate) fn stop(&mut self) {
        let threshold = self.threshold;
        let l = self.lists();
        if !l.stopped {
            l.stopped = true;
            l.stopped_threshold = threshold;
            self.threshold = usize::MAX;
        }
    }

    /// `collectgarbage("restart")`.
    pub(crate) fn restart(&mut self) {
        if let Some(l) = self.lists.as_mut().filter(|l| l.stopped) {
            l.stopped = false;
            self.threshold = l.stopped_threshold;
        }
    }

    /// `collectgarbage("isrunning")`.
    pub(crate) fn is_running(&self) -> bool {
        !self.lists.as_ref().is_some_and(|l| l.stopped)
    }

    /// Lowers the paced collections' threshold to `max` (a new heap limit), or, with
    /// the collector stopped, the one `restart` puts back.
    pub(crate) fn lower_threshold(&mut self, max: usize) {
        match self.lists.as_mut().filter(|l| l.stopped) {
            Some(l) => l.stopped_threshold = l.stopped_threshold.min(max),
            None => self.threshold = self.threshold.min(max),
        }
    }

    /// Whether any object is registered for finalization or waits for its finalizer.
    pub(crate) fn has_finalizers(&self) -> bool {
        self.lists
            .as_ref()
            .is_some_and(|l| !l.finobj.is_empty() || !l.tobefnz.is_empty())
    }

    /// Paces the collector by `bytes` a library just allocated outside the heap for
    /// values in it (a tensor's elements): the next collection comes that much sooner,
    /// as if the heap had grown by them, so that garbage holding large outside blocks
    /// is found in proportion to them and not only to the small heap objects that own
    /// them (PUC counts a full userdata's whole block the same way). The bytes are
    /// not added to `bytes`: they are not freed with the objects, and the heap limit
    /// counts them through the library's own account.
    pub(crate) fn pace_external_alloc(&mut self, bytes: usize) {
        match self.lists.as_mut().filter(|l| l.stopped) {
            Some(l) => l.stopped_threshold = l.stopped_threshold.saturating_sub(bytes),
            None => self.threshold = self.threshold.saturating_sub(bytes),
        }
    }

    /// After a collection: raises the next threshold by the pause's share of `live`
    /// bytes still held outside the heap, so that a program keeping large outside
    /// blocks alive is not collected after every small allocation.
    pub(crate) fn pace_external_live(&mut self, live: usize) {
        let extra = (live / 100).saturating_mul(self.pause());
        match self.lists.as_mut().filter(|l| l.stopped) {
            Some(l) => l.stopped_threshold = l.stopped_threshold.saturating_add(extra),
            None => self.threshold = self.threshold.saturating_add(extra),
        }
    }

    /// `collectgarbage("setpause")`'s setting, in percent.
    pub(crate) fn pause(&self) -> usize {
        self.lists.as_ref().map_or(DEFAULT_PAUSE, |l| l.pause)
    }

    /// Sets the pause; returns the previous one.
    pub(crate) fn set_pause(&mut self, pause: usize) -> usize {
        std::mem::replace(&mut self.lists().pause, pause)
    }

    /// `collectgarbage("setstepmul")`'s setting, in percent.
    pub(crate) fn stepmul(&self) -> usize {
        self.lists.as_ref().map_or(DEFAULT_STEPMUL, |l| l.stepmul)
    }

    /// Sets the step multiplier; returns the previous one.
    pub(crate) fn set_stepmul(&mut self, stepmul: usize) -> usize {
        std::mem::replace(&mut self.lists().stepmul, stepmul)
    }

    /// Work paid for by `collectgarbage("step")` calls since the last cycle (bytes).
    pub(crate) fn step_credit(&mut self) -> &mut usize {
        &mut self.lists().step_credit
    }

    /// The next object whose finalizer must run, if any.
    pub(crate) fn next_to_finalize(&mut self) -> Option<Value> {
        self.lists.as_mut()?.tobefnz.pop_front()
    }

    /// Whether finalizers are waiting to run.
    #[inline]
    pub(crate) fn has_pending_finalizers(&self) -> bool {
        self.lists.as_ref().is_some_and(|l| !l.tobefnz.is_empty())
    }

    /// The string with these bytes, from this heap's own strings or its image's, or
    /// the slot of this heap's set where a new one goes. This heap's set is searched
    /// first: a string found there cannot also be in the image (the image is frozen
    /// before any heap of it interns), and strings a program makes again and again
    /// (keys, field names) are found without a probe of the image's large, cold set.
    #[inline(always)]
    fn find_string(&self, bytes: &[u8], hash: u32) -> Result<Gc<LuaStr>, usize> {
        match self.strings.find(bytes, hash) {
            Ok(s) => Ok(s),
            Err(slot) => self.find_shared(bytes, hash).ok_or(slot),
        }
    }

    #[inline(always)]
    fn find_shared(&self, bytes: &[u8], hash: u32) -> Option<Gc<LuaStr>> {
        match &self.shared {
            Some(f) if bytes.len() <= f.longest_string => f.strings.find(bytes, hash).ok(),
            _ => None,
        }
    }

    /// The instance of `proto` shared by every heap of this heap's image, if `proto`
    /// can have one: no nested prototypes (their instances are made per heap, on first
    /// use, into the parent's `children`) and only constants that are the same value in
    /// every such heap (numbers, booleans, nil, strings the image holds). A spawned
    /// function like `function(parent) process.send(parent, 1) process.receive() end`
    /// then costs its process no instance and no constants (80 + 64 bytes). Like the
    /// image's other objects it is permanently marked, in no heap's object list, and
    /// never written (see `Frozen`'s `Sync` impl); the image keeps it until it is
    /// dropped. At most `MAX_SHARED_PROTOS` prototypes are remembered per image (each
    /// keeps its `Proto` alive as long as the image), so code made at run time cannot
    /// grow the list without bound; past that, each heap makes its own instances.
    pub(crate) fn shared_instance(&self, proto: &std::sync::Arc<Proto>) -> Option<Gc<FnProto>> {
        let frozen = self.shared.as_ref()?;
        if !proto.protos.is_empty() {
            return None;
        }
        let mut protos = frozen.protos.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, inst)) = protos
            .iter()
            .find(|(p, _)| std::sync::Arc::ptr_eq(p, proto))
        {
            return *inst;
        }
        if protos.len() >= MAX_SHARED_PROTOS {
            return None;
        }
        let inst = frozen.instance(proto);
        protos.push((proto.clone(), inst));
        inst
    }

    /// An empty heap whose state starts from the shared image `frozen`.
    pub(crate) fn with_shared(frozen: std::sync::Arc<Frozen>) -> Heap {
        let mut h = Heap::new();
        h.shared = Some(frozen);
        // A process's first objects: its thread, the function it runs and that
        // function's `_ENV` upvalue (an idle process has no more): a list of exactly
        // three words, not the four a first push reserves.
        h.objects.reserve_exact(3);
        h
    }

    /// Turns every object and string of this heap into a [`Frozen`] image: permanently
    /// marked (so no other heap's collector ever writes or frees them), tables
    /// read-only. The heap is left empty. Finalizers of the image never run.
    pub(crate) fn freeze(&mut self) -> Frozen {
        let objects: Vec<Obj> = std::mem::take(&mut self.objects)
            .into_iter()
            .map(PackedObj::unpack)
            .collect();
        for &o in &objects {
            o.set_marked(true);
            if let Obj::Table(g) = o {
                g.get_mut().shared = true;
                // The image outlives this heap: its tables never grow anyway.
                g.get_mut().growth = std::ptr::null();
            }
        }
        let mut strings = std::mem::replace(&mut self.strings, StringSet::new());
        let mut longest_string = 0;
        for s in strings.slots.iter().flatten() {
            s.set_marked(true);
            longest_string = longest_string.max(s.len());
        }
        // Sparse, so that the look-up of a string that is not there (most strings a
        // program makes) ends at an empty slot at once.
        let sparse = (strings.count * 8)
            .next_power_of_two()
            .max(MIN_STRING_SLOTS);
        strings.rebuild(sparse);
        self.lists = None;
        self.bytes = 0;
        if let Some(g) = &self.growth {
            g.set(0);
        }
        let mode_key = strings.find(b"__mode", hash_bytes(b"__mode")).ok();
        Frozen {
            strings,
            longest_string,
            objects,
            mode_key,
            protos: Default::default(),
        }
    }

    /// Replaces every reference held by this heap's objects (and its finalizer lists)
    /// for which `map` gives a replacement: the "become" step that makes a state use its
    /// private copies of shared objects. Tables whose keys changed are rehashed.
    pub(crate) fn replace_refs(&mut self, map: &dyn Fn(Value) -> Option<Value>) {
        let swap = |v: &mut Value| -> bool {
            if let Some(n) = map(*v) {
                *v = n;
                true
            } else {
                false
            }
        };
        let swap_meta = |m: &mut Option<Gc<Table>>| {
            if let Some(t) = *m {
                if let Some(Value::Table(n)) = map(Value::Table(t)) {
                    *m = Some(n);
                }
            }
        };
        for o in self.objects.iter().map(|o| o.unpack()) {
            match o {
                Obj::Table(g) => {
                    let t = g.get_mut();
                    swap_meta(&mut t.meta);
                    for v in t.arr.iter_mut() {
                        swap(v);
                    }
                    let mut rekey = false;
                    for n in t.node.iter_mut() {
                        swap(&mut n.val);
                        rekey |= swap(&mut n.key);
                    }
                    if rekey {
                        t.rehash_in_place();
                    }
                }
                Obj::NFn(g) => {
                    for v in g.get_mut().upvals.iter_mut() {
                        swap(v);
                    }
                }
                Obj::UpVal(g) => {
                    if let UpState::Closed(v) = &mut g.get_mut().state {
                        swap(v);
                    }
                }
                Obj::UserData(g) => {
                    let u = g.get_mut();
                    swap_meta(&mut u.meta);
                    swap(&mut u.user_value);
                }
                Obj::Thread(g) => {
                    let t = g.get_mut();
                    for v in t.stack.iter_mut() {
                        swap(v);
                    }
                    if let Some(v) = &mut t.pending_error {
                        swap(v);
                    }
                    if let Some(h) = &mut t.hooks {
                        swap(&mut h.hook);
                    }
                }
                Obj::LFn(_) | Obj::Proto(_) => {}
            }
        }
        if let Some(l) = self.lists.as_mut() {
            for v in l.finobj.iter_mut().chain(l.tobefnz.iter_mut()) {
                swap(v);
            }
        }
    }

    pub(crate) fn new_table(&mut self, mut t: Table) -> Gc<Table> {
        self.bytes += t.byte_size();
        t.growth = &**self.growth.get_or_insert_with(Default::default);
        let g = alloc_box(t);
        self.objects.push(PackedObj::pack(Obj::Table(g)));
        g
    }

    pub(crate) fn new_lclosure(&mut self, c: LClosure) -> Gc<LClosure> {
        self.bytes += 32 + c.upvals.len() * 8;
        let g = alloc_box(c);
        self.objects.push(PackedObj::pack(Obj::LFn(g)));
        g
    }

    pub(crate) fn new_nclosure(&mut self, c: NClosure) -> Gc<NClosure> {
        self.bytes += 48 + c.upvals.len() * 16;
        let g = alloc_box(c);
        self.objects.push(PackedObj::pack(Obj::NFn(g)));
        g
    }

    pub(crate) fn new_upval(&mut self, u: UpVal) -> Gc<UpVal> {
        self.bytes += 40;
        let g = alloc_box(u);
        self.objects.push(PackedObj::pack(Obj::UpVal(g)));
        g
    }

    pub(crate) fn new_proto(&mut self, p: FnProto) -> Gc<FnProto> {
        self.bytes += 64 + p.k.len() * 16;
        let g = alloc_box(p);
        self.objects.push(PackedObj::pack(Obj::Proto(g)));
        g
    }

    pub(crate) fn new_userdata(&mut self, u: UserData) -> Gc<UserData> {
        self.bytes += 64;
        let g = alloc_box(u);
        self.objects.push(PackedObj::pack(Obj::UserData(g)));
        g
    }

    pub(crate) fn new_thread(&mut self, t: Thread) -> Gc<Thread> {
        self.bytes += t.byte_size();
        let g = alloc_box(t);
        self.objects.push(PackedObj::pack(Obj::Thread(g)));
        g
    }

    /// Records extra bytes used by an object that grew (a table resize, a stack growth).
    #[inline]
    pub(crate) fn account(&mut self, bytes: usize) {
        self.bytes += bytes;
    }

    /// Registers `v` (a table or userdata whose new metatable has `__gc`) for finalization.
    pub(crate) fn register_finalizer(&mut self, v: Value) {
        let l = self.lists();
        if !l.finobj.iter().any(|o| o.raw_eq(&v)) {
            l.finobj.push(v);
        }
    }

    /// Moves every object registered for finalization to the to-be-finalized queue
    /// (used when the state closes: all finalizers run, in reverse registration order).
    pub(crate) fn queue_all_finalizers(&mut self) {
        let l = self.lists();
        let all: Vec<Value> = std::mem::take(&mut l.finobj);
        l.tobefnz.extend(all.into_iter().rev());
    }

    // ----- marking -----

    #[inline]
    pub(crate) fn mark_value(&mut self, v: Value) {
        match v {
            Value::Str(s) => mark_str(s),
            Value::Table(t) => self.mark_obj(Obj::Table(t)),
            Value::LFn(c) => self.mark_obj(Obj::LFn(c)),
            Value::NFn(c) => self.mark_obj(Obj::NFn(c)),
            Value::UserData(u) => self.mark_obj(Obj::UserData(u)),
            Value::Thread(t) => self.mark_obj(Obj::Thread(t)),
            _ => {}
        }
    }

    fn mark_obj(&mut self, o: Obj) {
        if o.is_marked() {
            // Also every object of a shared image: never written, never traversed.
            return;
        }
        o.set_marked(true);
        self.lists().gray.push(o);
    }

    fn is_value_marked(v: &Value) -> bool {
        match v {
            Value::Str(s) => s.is_marked(),
            Value::Table(t) => t.is_marked(),
            Value::LFn(c) => c.is_marked(),
            Value::NFn(c) => c.is_marked(),
            Value::UserData(u) => u.is_marked(),
            Value::Thread(t) => t.is_marked(),
            _ => true,
        }
    }

    /// Weakness of a table according to its metatable's `__mode` (keys, values).
    fn weakness(&self, t: &Table) -> (bool, bool) {
        let Some(mt) = t.meta else {
            return (false, false);
        };
        let Some(key) = self.lists.as_ref().map(|l| l.mode_key) else {
            return (false, false);
        };
        match mt.get_str(key) {
            Value::Str(s) => {
                let b = s.as_bytes();
                (b.contains(&b'k'), b.contains(&b'v'))
            }
            _ => (false, false),
        }
    }

    fn traverse(&mut self, o: Obj) {
        match o {
            Obj::Table(t) => {
                if let Some(mt) = t.meta {
                    self.mark_obj(Obj::Table(mt));
                }
                let (wk, wv) = self.weakness(&t);
                if wk || wv {
                    self.lists().weak.push((t, wk, wv));
                    if !wk {
                        // weak values, strong keys
                        for n in t.node.iter() {
                            if !n.val.is_nil() {
                                self.mark_value(n.key);
                            }
                        }
                    }
                    // Strings are values, not objects, for weakness: keep them.
                    for v in t.arr.iter() {
                        if let Value::Str(s) = v {
                            mark_str(*s);
                        }
                    }
                    for n in t.node.iter() {
                        if let Value::Str(s) = n.val {
                            mark_str(s);
                        }
                        if let Value::Str(s) = n.key {
                            mark_str(s);
                        }
                    }
                    return;
                }
                for i in 0..t.arr.len() {
                    let v = t.arr[i];
                    self.mark_value(v);
                }
                for i in 0..t.node.len() {
                    let n = t.node[i];
                    if !n.val.is_nil() {
                        self.mark_value(n.key);
                        self.mark_value(n.val);
                    }
                }
            }
            Obj::LFn(c) => {
                self.mark_obj(Obj::Proto(c.p));
                for &u in c.upvals.iter() {
                    self.mark_obj(Obj::UpVal(u));
                }
            }
            Obj::NFn(c) => {
                for i in 0..c.upvals.len() {
                    self.mark_value(c.upvals[i]);
                }
            }
            Obj::UpVal(u) => match u.state {
                UpState::Closed(v) => self.mark_value(v),
                UpState::Open { thread, .. } => self.mark_obj(Obj::Thread(thread)),
            },
            Obj::Proto(p) => {
                for i in 0..p.k.len() {
                    self.mark_value(p.k[i]);
                }
                for c in p.children.iter().flatten() {
                    self.mark_obj(Obj::Proto(*c));
                }
            }
            Obj::UserData(u) => {
                if let Some(mt) = u.meta {
                    self.mark_obj(Obj::Table(mt));
                }
                self.mark_value(u.user_value);
            }
            Obj::Thread(t) => {
                // As in PUC-Rio, only the slots below the thread's top are roots: the VM
                // sets the top to the limit of live registers before it collects, so dead
                // locals and temporaries do not keep garbage alive.
                let th = t.get_mut();
                let live = th.top.min(th.stack.len());
                // Slots above the live area may hold stale values: clear them so they
                // neither keep garbage alive nor dangle after this collection.
                for slot in th.stack[live..].iter_mut() {
                    *slot = Value::Nil;
                }
                for i in 0..live {
                    let v = t.stack[i];
                    self.mark_value(v);
                }
                for &u in t.open_upvals.iter() {
                    self.mark_obj(Obj::UpVal(u));
                }
                if let Some(ret) = t.pending_error {
                    self.mark_value(ret);
                }
                self.mark_value(t.hooks().hook);
            }
        }
    }

    fn propagate(&mut self) {
        while let Some(o) = self.lists().gray.pop() {
            self.traverse(o);
        }
    }

    /// Ephemeron convergence: in tables with weak keys, a value is marked only once its
    /// key is marked; repeat until nothing changes.
    fn converge_ephemerons(&mut self) {
        loop {
            let mut changed = false;
            for idx in 0..self.lists().weak.len() {
                let (t, wk, wv) = self.lists().weak[idx];
                if !wk || wv {
                    continue;
                }
                for i in 0..t.arr.len() {
                    let v = t.arr[i];
                    if !Self::is_value_marked(&v) {
                        self.mark_value(v);
                        changed = true;
                    }
                }
                for i in 0..t.node.len() {
                    let n = t.node[i];
                    if !n.val.is_nil()
                        && Self::is_value_marked(&n.key)
                        && !Self::is_value_marked(&n.val)
                    {
                        self.mark_value(n.val);
                        changed = true;
                    }
                }
            }
            self.propagate();
            if !changed {
                break;
            }
        }
    }

    /// Removes entries whose weak value is unreachable.
    fn clear_values(&mut self) {
        for &(t, _, wv) in &self.lists().weak {
            if !wv {
                continue;
            }
            let tm = t.get_mut();
            for v in tm.arr.iter_mut() {
                if !Self::is_value_marked(v) {
                    *v = Value::Nil;
                }
            }
            for n in tm.node.iter_mut() {
                if !n.val.is_nil() && !Self::is_value_marked(&n.val) {
                    n.val = Value::Nil;
                }
            }
        }
    }

    /// Removes entries whose weak key is unreachable.
    fn clear_keys(&mut self) {
        for &(t, wk, _) in &self.lists().weak {
            if !wk {
                continue;
            }
            for n in t.get_mut().node.iter_mut() {
                if !n.val.is_nil() && !Self::is_value_marked(&n.key) {
                    n.val = Value::Nil;
                }
            }
        }
    }

    /// A full collection. `mark_roots` marks the state's roots (registry, globals, the
    /// running threads, ...). Returns the number of newly queued finalizers.
    pub(crate) fn collect(&mut self, mark_roots: &mut dyn FnMut(&mut Heap)) -> usize {
        self.debug_check_between_collections();
        self.fold_growth();
        // The lists (and the weak mode's key) exist before anything is marked.
        mark_str(self.lists().mode_key);
        mark_roots(self);
        for i in 0..self.lists().tobefnz.len() {
            let v = self.lists().tobefnz[i];
            self.mark_value(v);
        }
        self.propagate();
        self.converge_ephemerons();
        debug_assert!(self.lists().gray.is_empty(), "marking left gray objects");
        // Separate unreachable objects with finalizers and resurrect them.
        let mut newly = Vec::new();
        let mut keep = Vec::with_capacity(self.lists().finobj.len());
        for v in std::mem::take(&mut self.lists().finobj) {
            if Self::is_value_marked(&v) {
                keep.push(v);
            } else {
                newly.push(v);
            }
        }
        self.lists().finobj = keep;
        // As 5.2's atomic phase: weak values are cleared before the objects to be
        // finalized are resurrected (a finalizer sees them gone), weak keys after (a
        // finalizer still finds entries keyed by resurrected objects).
        self.clear_values();
        for v in &newly {
            self.mark_value(*v);
        }
        self.propagate();
        self.converge_ephemerons();
        self.clear_keys();
        self.clear_values();
        debug_assert!(self.lists().gray.is_empty(), "marking left gray objects");
        debug_assert!(
            self.lists().finobj.iter().all(Self::is_value_marked),
            "a finalizable object kept for later is unreachable"
        );
        debug_assert!(
            newly.iter().all(Self::is_value_marked),
            "a resurrected object is unmarked"
        );
        let queued = newly.len();
        let l = self.lists();
        l.tobefnz.extend(newly.into_iter().rev());
        l.weak.clear();
        self.sweep();
        let threshold = (self.bytes / 100)
            .saturating_mul(self.pause())
            .max(INITIAL_THRESHOLD / 4);
        match self.lists.as_mut().filter(|l| l.stopped) {
            Some(l) => l.stopped_threshold = threshold,
            None => self.threshold = threshold,
        }
        self.debug_check_between_collections();
        queued
    }

    /// Debug builds: the invariants that hold between two collections. Every mark of
    /// the heap's own objects and strings is clear (sweep clears them; an object
    /// frozen into an image, permanently marked, is in no heap's lists), the work lists
    /// are empty, and the byte count covers at least the objects' fixed sizes (what
    /// sweep subtracts when it frees them).
    fn debug_check_between_collections(&mut self) {
        if !cfg!(debug_assertions) {
            return;
        }
        self.strings.debug_check();
        let mut fixed = 0usize;
        for o in self.objects.iter().map(|o| o.unpack()) {
            debug_assert!(!o.is_marked(), "an object is marked outside a collection");
            fixed += match o {
                Obj::Table(_) => 0,
                Obj::LFn(g) => 32 + g.upvals.len() * 8,
                Obj::NFn(g) => 48 + g.upvals.len() * 16,
                Obj::UpVal(_) => 40,
                Obj::Proto(g) => 64 + g.k.len() * 16,
                Obj::UserData(_) => 64,
                Obj::Thread(_) => 0,
            };
        }
        debug_assert!(
            self.bytes >= fixed,
            "byte count {} under the objects' {fixed}",
            self.bytes
        );
        if let Some(l) = &self.lists {
            debug_assert!(
                l.gray.is_empty() && l.weak.is_empty(),
                "collector lists not empty"
            );
            debug_assert!(
                l.finobj
                    .iter()
                    .all(|v| matches!(v, Value::Table(_) | Value::UserData(_))),
                "only tables and userdata are finalizable"
            );
        }
    }

    fn sweep(&mut self) {
        // Dead keys must be recognised while their strings still exist: replace the keys
        // of nil-valued entries that are about to be freed before freeing anything.
        // Closure caches are weak: drop those whose closure is about to be freed.
        for o in self.objects.iter().map(|o| o.unpack()) {
            if let Obj::Proto(p) = o {
                if let Some(c) = p.cache {
                    if !c.is_marked() {
                        p.get_mut().cache = None;
                    }
                }
            }
            if let Obj::Table(g) = o {
                if g.is_marked() {
                    for n in g.get_mut().node.iter_mut() {
                        if n.val.is_nil() && !Self::is_value_marked(&n.key) {
                            n.key = DEAD_KEY;
                        }
                    }
                }
            }
        }
        let mut freed = self.strings.sweep();
        let mut live = Vec::with_capacity(self.objects.len());
        for packed in std::mem::take(&mut self.objects) {
            let o = packed.unpack();
            macro_rules! keep_or_free {
                ($g:expr, $size:expr) => {{
                    if $g.is_marked() {
                        $g.set_marked(false);
                        live.push(packed);
                    } else {
                        freed += $size;
                        // SAFETY: unmarked after a full mark phase means unreachable.
                        unsafe { free_box($g) };
                    }
                }};
            }
            match o {
                Obj::Table(g) => {
                    let size = g.byte_size();
                    keep_or_free!(g, size)
                }
                Obj::LFn(g) => keep_or_free!(g, 32 + g.upvals.len() * 8),
                Obj::NFn(g) => keep_or_free!(g, 48 + g.upvals.len() * 16),
                Obj::UpVal(g) => keep_or_free!(g, 40),
                Obj::Proto(g) => keep_or_free!(g, 64 + g.k.len() * 16),
                Obj::UserData(g) => keep_or_free!(g, 64),
                // A thread's stack growth is accounted as it happens (`Heap::account`):
                // give it back with the thread, or dead coroutines would count forever.
                Obj::Thread(g) => keep_or_free!(g, g.byte_size()),
            }
        }
        self.objects = live;
        debug_assert!(
            freed <= self.bytes,
            "freed {freed} bytes of a heap counting {}",
            self.bytes
        );
        self.bytes = self.bytes.saturating_sub(freed);
    }

    /// Frees everything (the state is closing).
    pub(crate) fn free_all(&mut self) {
        let objects = std::mem::take(&mut self.objects);
        // SAFETY: the state is being dropped; no value outlives it.
        unsafe {
            free_everything(
                objects.into_iter().map(PackedObj::unpack),
                &mut self.strings,
            )
        };
        self.lists = None;
        self.bytes = 0;
    }
}

/// Objects and strings frozen out of a heap by `Heap::freeze`: a shared image that many
/// heaps (one per process) read at once, from any thread. Nothing in it is ever written
/// again: tables are flagged `shared` (writers take private copies), every object is
/// permanently marked (collectors of other heaps skip it). Freed when the last heap
/// using it is gone.
pub struct Frozen {
    strings: StringSet,
    /// Length of the longest string: longer ones are not looked up.
    longest_string: usize,
    objects: Vec<Obj>,
    /// `"__mode"`, if the image has it (the key `Heap::lists` needs).
    mode_key: Option<Gc<LuaStr>>,
    /// Prototype instances shared by the heaps of this image (`Heap::shared_instance`),
    /// by prototype; `None` for a prototype that cannot be shared.
    protos: std::sync::Mutex<Vec<SharedProto>>,
}

/// A prototype an image remembers, with its shared instance (`None`: not shareable).
type SharedProto = (std::sync::Arc<Proto>, Option<Gc<FnProto>>);

// SAFETY: `Frozen` is read from many threads at once: each state made from its image
// (`State::from_image`) reads its objects in place through `Gc` pointers, possibly while
// being moved between threads. That is sound while no thread writes a frozen object, or
// any part of one, and that is an invariant of the code, not of the types (a `Gc` hands
// out `&mut` to any object inside this crate: `Gc::get_mut`). Where it is kept:
// - Tables: every write path calls `State::unshare` (or `own_image`) first, which
//   makes the state's private copies (`image.rs`); `Table`'s mutators assert
//   `!shared` in debug builds only. Their absent-metamethod bits are computed at
//   freezing, so `State::tm_of` never has to set one on a frozen metatable.
// - Marks: frozen objects are permanently marked and are in no heap's object list, so
//   collectors, which set a mark only where it is unset, never write or free them.
// - Natives with upvalues and userdata: copied on the first write (`materialize`),
//   and natives that change such an object go through `State::unshare_value` first
//   (`math.random`'s generator, io handles); the debug library cannot reach a native's
//   upvalues at all. A userdata payload that no cloner copies stays shared: other
//   crates reach payloads only through `State::userdata_get` (a shared reference, and
//   only to a payload made `Sync` by `State::new_shared_userdata`, such as cube-zmq's
//   `Runtime`, when it is the image's) and `State::userdata_mut`/`with_userdata`, which copy
//   an image userdata first and refuse one that stays the image's. The cloners that
//   make those copies only read the payload (`Image::add_userdata_cloner`'s contract).
// - Objects that the VM or natives write in place without unsharing are never in an
//   image: Lua functions (with their `FnProto`s and upvalues), coroutines and
//   `string.gmatch` iterators. `Image::new` refuses them (`Frozen::unshareable`).
// - Strings are immutable; interning only looks them up.
// - Shared prototype instances (`Frozen::protos`, made by `Heap::shared_instance`): an
//   instance is written only through its `children` (CLOSURE instantiating a nested
//   prototype, `State::child_proto`) and its `cache` (CLOSURE, on an instance it got
//   from its parent's `children`). A shared instance has no nested prototypes, and no
//   instance's `children` holds it (only `import_function` hands it out), so neither
//   happens; its constants are numbers, booleans, nil and the image's own strings.
//   Made and read under the `protos` lock; its address never changes.
// `Send`: the last `Arc` drops it, on one thread, when no heap can reach it any more.
unsafe impl Send for Frozen {}
// SAFETY: see above: no state writes a frozen object.
unsafe impl Sync for Frozen {}

/// Prototypes an image remembers for [`Heap::shared_instance`].
const MAX_SHARED_PROTOS: usize = 64;

impl Frozen {
    /// A permanently marked instance of `proto` whose constants are all the same value
    /// in every heap of this image, or `None` if one is a string the image lacks.
    fn instance(&self, proto: &std::sync::Arc<Proto>) -> Option<Gc<FnProto>> {
        let mut k = Vec::with_capacity(proto.constants.len());
        for c in &proto.constants {
            k.push(match c {
                Constant::Nil => Value::Nil,
                Constant::Bool(b) => Value::Bool(*b),
                Constant::Number(n) => Value::Num(*n),
                Constant::Str(s) if s.len() <= self.longest_string => {
                    Value::Str(self.strings.find(s, hash_bytes(s)).ok()?)
                }
                Constant::Str(_) => return None,
            });
        }
        debug_assert!(proto.protos.is_empty(), "a shared instance has no children");
        let inst = alloc_box(FnProto::new(proto.clone(), k.into_boxed_slice()));
        inst.set_marked(true);
        Some(inst)
    }

    /// The image's tables.
    pub(crate) fn tables(&self) -> impl Iterator<Item = Gc<Table>> + '_ {
        self.objects.iter().filter_map(|o| match o {
            Obj::Table(t) => Some(*t),
            _ => None,
        })
    }

    /// The image's native closures that have upvalues.
    pub(crate) fn natives_with_upvalues(&self) -> impl Iterator<Item = Gc<NClosure>> + '_ {
        self.objects.iter().filter_map(|o| match o {
            Obj::NFn(c) if !c.upvals.is_empty() => Some(*c),
            _ => None,
        })
    }

    /// The first object of the image that the states sharing it would write in place,
    /// described, or `None`. Such objects cannot be in an image (see the `Sync` impl):
    /// Lua functions, their prototype instances and upvalues (the VM writes them without
    /// unsharing: SETUPVAL, CLOSURE's caches, and a function's `_ENV` would keep reading
    /// the frozen globals after the state copied them), threads other than `main` (a
    /// resume writes the stack) and `string.gmatch` iterators (the one native that
    /// writes its own upvalues, its position).
    pub(crate) fn unshareable(&self, main: Gc<Thread>) -> Option<&'static str> {
        self.objects.iter().find_map(|o| match o {
            Obj::LFn(_) | Obj::Proto(_) | Obj::UpVal(_) => Some("a Lua function"),
            Obj::Thread(t) if !t.ptr_eq(main) => Some("a coroutine"),
            Obj::NFn(c) if c.name == "gmatch_aux" => Some("a string.gmatch iterator"),
            _ => None,
        })
    }

    /// The image's full userdata.
    pub(crate) fn userdata(&self) -> impl Iterator<Item = Gc<UserData>> + '_ {
        self.objects.iter().filter_map(|o| match o {
            Obj::UserData(u) => Some(*u),
            _ => None,
        })
    }
}

impl Drop for Frozen {
    fn drop(&mut self) {
        let protos = self.protos.get_mut().unwrap_or_else(|e| e.into_inner());
        for (_, inst) in protos.drain(..) {
            if let Some(inst) = inst {
                // SAFETY: every heap that could reach it keeps this `Frozen` alive
                // (`Heap::shared`), and the last one is gone.
                unsafe { free_box(inst) };
            }
        }
        // SAFETY: the last heap that could reach these objects is gone.
        unsafe { free_everything(std::mem::take(&mut self.objects), &mut self.strings) };
    }
}

impl Drop for Heap {
    fn drop(&mut self) {
        self.free_all();
    }
}
