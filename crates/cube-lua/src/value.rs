//! Lua values and the heap objects they point to.
//!
//! `Value` is a 16-byte `Copy` enum: numbers and booleans inline, everything else a raw
//! pointer (`Gc<T>`) into the owning state's heap (see `gc.rs`). Copying a value is a
//! register move, with no reference counting on the hot path. The price is that values are
//! only valid while the heap that made them is alive and keeps them reachable; the VM
//! guarantees that by collecting only at safe points where every live value is rooted
//! (stack, registry, globals), and the embedding API hands out rooted handles.

use crate::gc::Gc;
use crate::proto::Proto;
use crate::table::Table;
use crate::thread::Thread;
use std::any::Any;
use std::sync::Arc;

/// A native (Rust) function callable from Lua. See `crate::state` for the calling
/// convention: arguments are `Args`, results are pushed and counted in the returned
/// `Ret`.
pub type NativeFn =
    fn(&mut crate::state::State, crate::state::Args) -> crate::state::LResult<crate::state::Ret>;

/// The layout is fixed (`repr(C, u8)`): the tag is the first byte and every payload
/// starts at byte 8, so a value can be copied as a tag byte and a payload word
/// ([`copy_value`]). A value just computed is written that way (a byte store and a word
/// store); a whole 16-byte load of it right after cannot be forwarded from those two
/// stores and waits until they reach the cache, which `return a + b` met on every call.
#[derive(Clone, Copy)]
#[repr(C, u8)]
pub enum Value {
    Nil,
    Bool(bool),
    Num(f64),
    Str(Gc<LuaStr>),
    Table(Gc<Table>),
    /// A Lua closure.
    LFn(Gc<LClosure>),
    /// A native closure (Rust function with upvalues).
    NFn(Gc<NClosure>),
    UserData(Gc<UserData>),
    Thread(Gc<Thread>),
    LightUserData(usize),
}

/// The basic types of Lua, in the order of `lua_type` constants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LuaType {
    Nil,
    Boolean,
    LightUserData,
    Number,
    String,
    Table,
    Function,
    UserData,
    Thread,
}

impl LuaType {
    pub fn name(self) -> &'static str {
        match self {
            LuaType::Nil => "nil",
            LuaType::Boolean => "boolean",
            LuaType::LightUserData | LuaType::UserData => "userdata",
            LuaType::Number => "number",
            LuaType::String => "string",
            LuaType::Table => "table",
            LuaType::Function => "function",
            LuaType::Thread => "thread",
        }
    }
}

/// Copies the value at `src` to `dst` as its tag byte and its payload word, each a
/// load the processor can forward from the stores that wrote it (see [`Value`]'s
/// layout). Use it where a value is copied right after it was computed (results,
/// moves); a plain `*dst = *src` is one 16-byte load that waits.
///
/// # Safety
/// `src` and `dst` point to valid values (they may be the same).
#[inline(always)]
pub(crate) unsafe fn copy_value(dst: *mut Value, src: *const Value) {
    const _: () = assert!(std::mem::size_of::<Value>() == 16);
    // SAFETY: `repr(C, u8)` puts the tag in byte 0 and every payload (8 bytes at
    // most) at byte 8; the payload word of a variant with a smaller payload (or none)
    // holds padding, read and written as `MaybeUninit`. `dst` is a valid value, so
    // writing a valid tag with the payload that goes with it leaves a valid value.
    unsafe {
        let tag = (src as *const u8).read();
        let payload = (src as *const std::mem::MaybeUninit<u64>).add(1).read();
        (dst as *mut u8).write(tag);
        (dst as *mut std::mem::MaybeUninit<u64>)
            .add(1)
            .write(payload);
    }
}

impl Value {
    #[inline]
    pub fn type_of(&self) -> LuaType {
        match self {
            Value::Nil => LuaType::Nil,
            Value::Bool(_) => LuaType::Boolean,
            Value::Num(_) => LuaType::Number,
            Value::Str(_) => LuaType::String,
            Value::Table(_) => LuaType::Table,
            Value::LFn(_) | Value::NFn(_) => LuaType::Function,
            Value::UserData(_) => LuaType::UserData,
            Value::Thread(_) => LuaType::Thread,
            Value::LightUserData(_) => LuaType::LightUserData,
        }
    }

    #[inline]
    pub fn type_name(&self) -> &'static str {
        self.type_of().name()
    }

    #[inline(always)]
    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Nil)
    }

    /// Lua truthiness: everything but `nil` and `false` is true.
    #[inline(always)]
    pub fn truthy(&self) -> bool {
        !matches!(self, Value::Nil | Value::Bool(false))
    }

    #[inline]
    pub fn as_table(&self) -> Option<Gc<Table>> {
        match self {
            Value::Table(t) => Some(*t),
            _ => None,
        }
    }

    #[inline]
    pub fn as_str(&self) -> Option<Gc<LuaStr>> {
        match self {
            Value::Str(s) => Some(*s),
            _ => None,
        }
    }

    #[inline]
    pub fn is_function(&self) -> bool {
        matches!(self, Value::LFn(_) | Value::NFn(_))
    }

    /// Raw equality (`rawequal`): no metamethods. Strings are interned, so pointer
    /// equality is string equality.
    #[inline]
    pub fn raw_eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Nil, Value::Nil) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Num(a), Value::Num(b)) => a == b,
            (Value::Str(a), Value::Str(b)) => a.ptr_eq(*b),
            (Value::Table(a), Value::Table(b)) => a.ptr_eq(*b),
            (Value::LFn(a), Value::LFn(b)) => a.ptr_eq(*b),
            (Value::NFn(a), Value::NFn(b)) => a.ptr_eq(*b),
            (Value::UserData(a), Value::UserData(b)) => a.ptr_eq(*b),
            (Value::Thread(a), Value::Thread(b)) => a.ptr_eq(*b),
            (Value::LightUserData(a), Value::LightUserData(b)) => a == b,
            _ => false,
        }
    }

    /// Address of the pointed-to object (for `%p`-like printing and hashing), 0 if none.
    pub fn addr(&self) -> usize {
        match self {
            Value::Str(p) => p.addr(),
            Value::Table(p) => p.addr(),
            Value::LFn(p) => p.addr(),
            Value::NFn(p) => p.addr(),
            Value::UserData(p) => p.addr(),
            Value::Thread(p) => p.addr(),
            Value::LightUserData(p) => *p,
            _ => 0,
        }
    }
}

impl std::fmt::Debug for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Nil => write!(f, "nil"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Num(n) => write!(f, "{n}"),
            Value::Str(s) => write!(f, "{:?}", String::from_utf8_lossy(s.as_bytes())),
            other => write!(f, "{}: {:#x}", other.type_name(), other.addr()),
        }
    }
}

/// An interned, immutable Lua string. Every string of a heap is interned, so equal
/// strings are the same object and compare by pointer.
pub struct LuaStr {
    pub(crate) hash: u32,
    pub(crate) bytes: Box<[u8]>,
}

impl LuaStr {
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }
    #[inline]
    pub fn len(&self) -> usize {
        self.bytes.len()
    }
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
    /// The string as UTF-8 text, lossily (for messages).
    pub fn to_str_lossy(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.bytes)
    }
}

/// Hash of a string's bytes as stored in `LuaStr::hash`. Long strings are sampled (at
/// most 32 bytes looked at), as Lua 5.1 did, so hashing a megabyte string is O(1).
pub fn hash_bytes(s: &[u8]) -> u32 {
    let len = s.len();
    let mut h: u32 = 0x9e37_79b9 ^ (len as u32);
    let step = (len >> 5) + 1;
    let mut i = len;
    while i >= step {
        h ^= (h << 5).wrapping_add(h >> 2).wrapping_add(s[i - 1] as u32);
        i -= step;
    }
    h
}

/// A prototype instantiated in one heap: the shared `Proto` plus its constants as values
/// of this heap. Made once per (heap, prototype) and shared by all closures of it.
pub struct FnProto {
    pub proto: Arc<Proto>,
    /// Copies of the prototype's call-time fields, one pointer hop closer to the
    /// closure (the call path reads them on every call).
    pub num_params: u8,
    pub is_vararg: bool,
    pub max_stack: u8,
    /// The function has nested functions: only then can its frame have open upvalues
    /// to close when it returns (PUC checks `p->sizep` for the same reason).
    pub has_children: bool,
    /// `proto.code.as_ptr()`: valid as long as `proto` is held here.
    pub code: *const crate::opcode::Instruction,
    pub k: Box<[Value]>,
    /// Instances of the nested prototypes, made on first use by CLOSURE.
    pub children: Box<[Option<Gc<FnProto>>]>,
    /// The last closure made of this prototype (a weak reference, as PUC's `p->cache`):
    /// CLOSURE reuses it when the new closure would have the very same upvalues, so
    /// `function() return x end` evaluated twice over the same `x` gives one value.
    pub cache: Option<Gc<LClosure>>,
}

impl FnProto {
    /// The instance of `proto` with constants `k` (as values of the heap, or image,
    /// that will hold it): the call-time fields copied, no nested instance made yet.
    pub(crate) fn new(proto: Arc<Proto>, k: Box<[Value]>) -> FnProto {
        FnProto {
            num_params: proto.num_params,
            is_vararg: proto.is_vararg,
            max_stack: proto.max_stack_size,
            has_children: !proto.protos.is_empty(),
            code: proto.code.as_ptr(),
            children: vec![None; proto.protos.len()].into_boxed_slice(),
            k,
            proto,
            cache: None,
        }
    }
}

/// A Lua function value: a prototype instance and its upvalues, exactly one per
/// upvalue of its prototype (every constructor keeps this; the interpreter loop reads
/// upvalues without bounds checks because of it).
pub struct LClosure {
    pub p: Gc<FnProto>,
    pub upvals: Box<[Gc<UpVal>]>,
}

/// An upvalue: while the variable's function is active it lives in a stack slot of its
/// thread ("open"); when the block ends it moves into the upvalue itself ("closed").
pub struct UpVal {
    pub state: UpState,
}

#[derive(Clone, Copy)]
pub enum UpState {
    /// A stack slot of `thread`, by address, as PUC's `UpVal::v`: reading a variable of
    /// an enclosing function is one load, not a walk through the thread to its stack.
    ///
    /// Invariant: `slot` points into `thread`'s stack, at the variable's index. Every
    /// move of a stack goes through [`Thread::resize_stack`], which moves the slots
    /// of the thread's open upvalues with it; an open upvalue keeps its thread alive
    /// (the collector marks it), and is closed before its slot leaves the stack.
    Open {
        thread: Gc<Thread>,
        slot: *mut Value,
    },
    Closed(Value),
}

impl UpVal {
    /// The variable's value, open or closed.
    #[inline(always)]
    pub(crate) fn get(&self) -> Value {
        match self.state {
            // SAFETY: an open upvalue's slot is a live slot of its thread's stack
            // (`UpState::Open`'s invariant).
            UpState::Open { slot, .. } => unsafe { *slot },
            UpState::Closed(v) => v,
        }
    }

    /// Assigns the variable, open or closed.
    #[inline(always)]
    pub(crate) fn set(&mut self, v: Value) {
        match self.state {
            // SAFETY: as in `get`.
            UpState::Open { slot, .. } => unsafe { *slot = v },
            UpState::Closed(_) => self.state = UpState::Closed(v),
        }
    }

    /// The stack slot of an open upvalue, `None` once closed. It reads only the
    /// upvalue, never its thread: callers compare it with slots of a stack they hold
    /// mutably.
    #[inline(always)]
    pub(crate) fn open_slot(&self) -> Option<*mut Value> {
        match self.state {
            UpState::Open { slot, .. } => Some(slot),
            UpState::Closed(_) => None,
        }
    }
}

/// A native function with its upvalues.
pub struct NClosure {
    pub f: NativeFn,
    /// The native's private state: only the native itself (through `State::upvalue` or
    /// its frame) reads or writes it; the debug library does not show it to Lua (unlike
    /// PUC-Rio, see `stdlib/debug.rs`), so a native may trust what it put here.
    pub upvals: Box<[Value]>,
    /// Name used in `bad argument` messages when the call site does not name it.
    pub name: &'static str,
    /// For a native made by the host interface (`host::Cx::new_function`): the host
    /// function that `f` (its trampoline) calls.
    pub(crate) host: Option<crate::host::HostFn>,
}

/// Full userdata: an arbitrary Rust value with an optional metatable and user value.
///
/// The payload is `Send` because a process's state, userdata included, moves between
/// scheduler threads (cube-vm's `SendState`).
pub struct UserData {
    /// The payload; other crates reach it through `State::userdata_get` /
    /// `userdata_mut`, which know whether other threads may be reading it.
    pub(crate) data: Box<dyn Any + Send>,
    pub meta: Option<Gc<Table>>,
    /// The value set by `debug.setuservalue` (5.2 "environment"); nil by default.
    pub user_value: Value,
    /// The payload is `Sync` (made by `State::new_shared_userdata`): a shared image may
    /// let several threads read it in place.
    pub(crate) sync: bool,
}
