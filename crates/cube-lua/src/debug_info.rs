//! Debug information derived from the bytecode: current lines, variable and function
//! names for error messages (by symbolic execution, as PUC-Rio's `ldebug.c`), the error
//! constructors of the VM and the libraries, and tracebacks.

use crate::opcode::{index_k, is_k, OpCode};
use crate::proto::{Constant, Proto};
use crate::state::{Args, State};
use crate::thread::{Frame, FrameKind};
use crate::value::Value;
use crate::vm::ops::Src;

/// Information about one active function (a subset of `lua_Debug`).
#[derive(Debug, Clone, Default)]
pub struct FrameInfo {
    pub source: String,
    pub short_src: String,
    pub what: &'static str,
    pub current_line: i64,
    pub line_defined: i64,
    pub last_line_defined: i64,
    pub name: Option<String>,
    pub namewhat: &'static str,
    pub nups: usize,
    pub nparams: usize,
    pub is_vararg: bool,
    pub is_tail_call: bool,
}

/// Fills the fields of `info` that describe a Lua function (as opposed to one of its
/// activations): source, lines, kind, upvalue and parameter counts.
pub(crate) fn fill_lua_function(info: &mut FrameInfo, cl: &crate::value::LClosure) {
    let p = &cl.p.proto;
    info.source = p.source.to_string();
    info.short_src = crate::chunkid::chunk_id(&p.source);
    info.line_defined = p.line_defined as i64;
    info.last_line_defined = p.last_line_defined as i64;
    info.what = if p.line_defined == 0 { "main" } else { "Lua" };
    info.nups = cl.upvals.len();
    info.nparams = p.num_params as usize;
    info.is_vararg = p.is_vararg;
}

/// pc of the instruction being executed by a Lua frame.
fn current_pc(f: &Frame) -> usize {
    f.pc.saturating_sub(1)
}

fn current_line(f: &Frame) -> i64 {
    match &f.kind {
        FrameKind::Lua(cl) => cl.p.proto.line_at(current_pc(f)) as i64,
        FrameKind::Native(_) => -1,
    }
}

fn upval_name(p: &Proto, i: usize) -> &str {
    p.upvalues.get(i).map(|u| u.name.as_str()).unwrap_or("?")
}

/// Which instruction last set register `reg` before `lastpc` (PUC's `findsetreg`).
fn find_set_reg(p: &Proto, lastpc: usize, reg: u32) -> Option<usize> {
    let mut setreg = None;
    let mut jmptarget = 0usize;
    let filter = |pc: usize, jt: usize| if pc < jt { None } else { Some(pc) };
    for pc in 0..lastpc.min(p.code.len()) {
        let i = p.code[pc];
        let a = i.a();
        match i.opcode() {
            OpCode::LoadNil => {
                if a <= reg && reg <= a + i.b() {
                    setreg = filter(pc, jmptarget);
                }
            }
            OpCode::TForCall => {
                if reg >= a + 2 {
                    setreg = filter(pc, jmptarget);
                }
            }
            OpCode::Call | OpCode::TailCall => {
                if reg >= a {
                    setreg = filter(pc, jmptarget);
                }
            }
            OpCode::Jmp => {
                let dest = pc as i64 + 1 + i.sbx() as i64;
                if (pc as i64) < dest && dest <= lastpc as i64 && dest as usize > jmptarget {
                    jmptarget = dest as usize;
                }
            }
            op => {
                if sets_a(op) && reg == a {
                    setreg = filter(pc, jmptarget);
                }
            }
        }
    }
    setreg
}

fn sets_a(op: OpCode) -> bool {
    !matches!(
        op,
        OpCode::SetTabUp
            | OpCode::SetUpval
            | OpCode::SetTable
            | OpCode::Jmp
            | OpCode::Eq
            | OpCode::Lt
            | OpCode::Le
            | OpCode::Test
            | OpCode::Return
            | OpCode::TForCall
            | OpCode::SetList
            | OpCode::ExtraArg
    )
}

fn const_str(p: &Proto, idx: usize) -> Option<String> {
    match p.constants.get(idx) {
        Some(Constant::Str(s)) => Some(String::from_utf8_lossy(s).into_owned()),
        _ => None,
    }
}

/// Name of an RK operand used as a key (PUC's `kname`).
fn kname(p: &Proto, pc: usize, c: u32) -> String {
    if is_k(c) {
        const_str(p, index_k(c) as usize).unwrap_or_else(|| "?".into())
    } else {
        match obj_name(p, pc, c) {
            Some(("constant", n)) => n,
            _ => "?".into(),
        }
    }
}

/// Kind and name of the value in register `reg` at `lastpc` (PUC's `getobjname`).
pub fn obj_name(p: &Proto, lastpc: usize, reg: u32) -> Option<(&'static str, String)> {
    if let Some(n) = p.local_name(reg + 1, lastpc as u32) {
        return Some(("local", n.to_string()));
    }
    let pc = find_set_reg(p, lastpc, reg)?;
    let i = p.code[pc];
    match i.opcode() {
        OpCode::Move => {
            let b = i.b();
            if b < i.a() {
                return obj_name(p, pc, b);
            }
            None
        }
        OpCode::GetTabUp | OpCode::GetTable => {
            let t = i.b();
            let vn = if i.opcode() == OpCode::GetTable {
                p.local_name(t + 1, pc as u32).map(|s| s.to_string())
            } else {
                Some(upval_name(p, t as usize).to_string())
            };
            let name = kname(p, pc, i.c());
            let kind = if vn.as_deref() == Some("_ENV") {
                "global"
            } else {
                "field"
            };
            Some((kind, name))
        }
        OpCode::GetUpval => Some(("upvalue", upval_name(p, i.b() as usize).to_string())),
        OpCode::LoadK | OpCode::LoadKx => {
            let b = if i.opcode() == OpCode::LoadK {
                i.bx() as usize
            } else {
                p.code.get(pc + 1).map(|x| x.ax() as usize).unwrap_or(0)
            };
            const_str(p, b).map(|s| ("constant", s))
        }
        OpCode::SelfOp => Some(("method", kname(p, pc, i.c()))),
        _ => None,
    }
}

/// Name of the function running in frame `idx`, from its caller's instruction.
fn func_name(frames: &[Frame], idx: usize) -> Option<(&'static str, String)> {
    let f = &frames[idx];
    if f.tail_calls > 0 || idx == 0 {
        return None;
    }
    let caller = &frames[idx - 1];
    let FrameKind::Lua(cl) = &caller.kind else {
        return None;
    };
    if f.call == crate::thread::CallKind::Boundary {
        return None;
    }
    let p = &cl.p.proto;
    let pc = current_pc(caller);
    let i = *p.code.get(pc)?;
    let tm = match i.opcode() {
        OpCode::Call | OpCode::TailCall => return obj_name(p, pc, i.a()),
        OpCode::TForCall => return Some(("for iterator", "for iterator".into())),
        OpCode::SelfOp | OpCode::GetTabUp | OpCode::GetTable => "__index",
        OpCode::SetTabUp | OpCode::SetTable => "__newindex",
        OpCode::Eq => "__eq",
        OpCode::Add => "__add",
        OpCode::Sub => "__sub",
        OpCode::Mul => "__mul",
        OpCode::Div => "__div",
        OpCode::Mod => "__mod",
        OpCode::Pow => "__pow",
        OpCode::Unm => "__unm",
        OpCode::Len => "__len",
        OpCode::Lt => "__lt",
        OpCode::Le => "__le",
        OpCode::Concat => "__concat",
        _ => return None,
    };
    Some(("metamethod", tm.to_string()))
}

impl State {
    pub(crate) fn frame_info_at(&self, frames: &[Frame], idx: usize) -> FrameInfo {
        let f = &frames[idx];
        let mut info = FrameInfo {
            current_line: current_line(f),
            is_tail_call: f.tail_calls > 0,
            ..Default::default()
        };
        match &f.kind {
            FrameKind::Lua(cl) => fill_lua_function(&mut info, cl),
            FrameKind::Native(_) => {
                info.source = "=[C]".into();
                info.short_src = "[C]".into();
                info.line_defined = -1;
                info.last_line_defined = -1;
                info.what = "C";
                // A native's upvalues are private (`stdlib/debug.rs`): none to report.
                info.nups = 0;
                info.is_vararg = true;
            }
        }
        if let Some((what, name)) = func_name(frames, idx) {
            info.namewhat = what;
            info.name = Some(name);
        } else {
            info.namewhat = "";
        }
        info
    }

    /// `chunk:line:` of the function at `level`, or "" if it is not a Lua function.
    pub fn where_(&self, level: usize) -> String {
        let frames = &self.cur.frames;
        if level >= frames.len() {
            return String::new();
        }
        let f = &frames[frames.len() - 1 - level];
        match &f.kind {
            FrameKind::Lua(cl) => {
                let line = current_line(f);
                format!(
                    "{}:{}: ",
                    crate::chunkid::chunk_id(&cl.p.proto.source),
                    line
                )
            }
            FrameKind::Native(_) => String::new(),
        }
    }

    /// An error raised by the running code: prefixed with the position of the running
    /// Lua function (VM errors) or of the Lua function that called the running native
    /// (library errors, as `luaL_error`).
    pub(crate) fn rt_error(&mut self, msg: &str) -> Value {
        let lvl = match self.cur.frames.last() {
            Some(f) if f.is_lua() => 0,
            _ => 1,
        };
        let s = format!("{}{}", self.where_(lvl), msg);
        self.new_str(s.as_bytes())
    }

    /// An error raised by the VM itself (`luaG_runerror`): prefixed with the position
    /// of the running function only when that is a Lua function.
    pub(crate) fn vm_error(&mut self, msg: &str) -> Value {
        let s = format!("{}{}", self.where_(0), msg);
        self.new_str(s.as_bytes())
    }

    /// Name and kind of the variable an operand came from, for messages.
    fn var_info(&self, src: Src) -> Option<(&'static str, String)> {
        let f = self.cur.frames.last()?;
        let FrameKind::Lua(cl) = &f.kind else {
            return None;
        };
        let p = &cl.p.proto;
        match src {
            Src::Up(i) => Some(("upvalue", upval_name(p, i as usize).to_string())),
            Src::Reg(r) => obj_name(p, current_pc(f), r),
            Src::Other => None,
        }
    }

    /// "attempt to OP KIND 'NAME' (a TYPE value)".
    pub(crate) fn type_error(&mut self, v: &Value, src: Src, op: &str) -> Value {
        let t = v.type_name();
        let msg = match self.var_info(src) {
            Some((kind, name)) => format!("attempt to {op} {kind} '{name}' (a {t} value)"),
            None => format!("attempt to {op} a {t} value"),
        };
        self.vm_error(&msg)
    }

    pub(crate) fn order_error(&mut self, a: &Value, b: &Value) -> Value {
        let (t1, t2) = (a.type_name(), b.type_name());
        let msg = if t1 == t2 {
            format!("attempt to compare two {t1} values")
        } else {
            format!("attempt to compare {t1} with {t2}")
        };
        self.vm_error(&msg)
    }

    /// Error for calling a non-callable value at stack slot `func`.
    pub(crate) fn call_error(&mut self, func: usize, f: Value) -> Value {
        let src = self.stack_reg_of(func);
        self.type_error(&f, src, "call")
    }

    /// Name of the running native for argument errors (PUC's `luaL_argerror`).
    fn native_name(&self) -> (String, bool) {
        let frames = &self.cur.frames;
        if frames.is_empty() {
            return ("?".into(), false);
        }
        let idx = frames.len() - 1;
        match func_name(frames, idx) {
            Some((what, name)) => (name, what == "method"),
            None => match &frames[idx].kind {
                FrameKind::Native(nc) => (
                    self.global_func_name(Value::NFn(*nc))
                        .unwrap_or_else(|| "?".into()),
                    false,
                ),
                _ => ("?".into(), false),
            },
        }
    }

    /// "lib.name" of a function reachable from the global table (two levels deep).
    pub(crate) fn global_func_name(&self, f: Value) -> Option<String> {
        let g = self.globals;
        let mut k = Value::Nil;
        let mut found_nested = None;
        while let Ok(Some((key, v))) = g.next(&k) {
            k = key;
            if let Value::Str(name) = key {
                if v.raw_eq(&f) {
                    return Some(name.to_str_lossy().into_owned());
                }
                if let Value::Table(t) = v {
                    if found_nested.is_none() && !t.ptr_eq(g) {
                        let mut k2 = Value::Nil;
                        while let Ok(Some((key2, v2))) = t.next(&k2) {
                            k2 = key2;
                            if let Value::Str(n2) = key2 {
                                if v2.raw_eq(&f) {
                                    found_nested = Some(format!(
                                        "{}.{}",
                                        name.to_str_lossy(),
                                        n2.to_str_lossy()
                                    ));
                                    break;
                                }
                            }
                        }
                    }
                }
            }
        }
        found_nested
    }

    /// "bad argument #N to 'NAME' (MSG)".
    pub(crate) fn arg_error(&mut self, mut n: usize, msg: &str) -> Value {
        let (name, is_method) = self.native_name();
        if is_method {
            n -= 1;
            if n == 0 {
                let m = format!("calling '{name}' on bad self ({msg})");
                return self.rt_error(&m);
            }
        }
        let m = format!("bad argument #{n} to '{name}' ({msg})");
        self.rt_error(&m)
    }

    /// "bad argument #N to 'NAME' (EXPECTED expected, got TYPE)".
    pub(crate) fn arg_type_error(&mut self, a: Args, n: usize, expected: &str) -> Value {
        let got = if n > a.len {
            "no value"
        } else {
            self.arg(a, n).type_name()
        };
        let m = format!("{expected} expected, got {got}");
        self.arg_error(n, &m)
    }

    /// A traceback of the running thread from `level`, as `luaL_traceback`.
    pub fn traceback_string(&self, level: usize) -> String {
        self.traceback_of(&self.cur.frames, level)
    }

    pub(crate) fn traceback_of(&self, frames: &[Frame], level: usize) -> String {
        let mut out = String::from("stack traceback:");
        let n = frames.len();
        let levels: Vec<usize> = (0..n).rev().skip(level).collect();
        let total = levels.len();
        for (k, &idx) in levels.iter().enumerate() {
            if total > 22 && k == 12 {
                out.push_str("\n\t...");
            }
            if total > 22 && k >= 12 && k < total - 10 {
                continue;
            }
            let info = self.frame_info_at(frames, idx);
            out.push_str("\n\t");
            out.push_str(&info.short_src);
            out.push(':');
            if info.current_line > 0 {
                out.push_str(&format!("{}:", info.current_line));
            }
            out.push_str(" in ");
            if !info.namewhat.is_empty() {
                out.push_str(&format!("function '{}'", info.name.unwrap_or_default()));
            } else if info.what == "main" {
                out.push_str("main chunk");
            } else if info.what == "C" {
                let f = match &frames[idx].kind {
                    FrameKind::Native(nc) => Value::NFn(*nc),
                    FrameKind::Lua(cl) => Value::LFn(*cl),
                };
                match self.global_func_name(f) {
                    Some(name) => out.push_str(&format!("function '{name}'")),
                    None => out.push('?'),
                }
            } else {
                out.push_str(&format!(
                    "function <{}:{}>",
                    info.short_src, info.line_defined
                ));
            }
            if info.is_tail_call {
                out.push_str("\n\t(...tail calls...)");
            }
        }
        // The host program's own frame (lua.c's `pmain`) ends tracebacks of the main
        // thread when it asked for it.
        if self.host_frame_in_traceback && frames.as_ptr() == self.main_thread.frames.as_ptr() {
            out.push_str("\n\t[C]: in ?");
        }
        out
    }
}

impl State {
    /// The error for a full stack: "stack overflow" with the position, or, when the stack
    /// overflows again while a message handler runs on the reserve, "error in error
    /// handling" (PUC's LUA_ERRERR).
    pub(crate) fn stack_overflow_error(&mut self) -> Value {
        if self.cur.limit > crate::thread::MAX_STACK {
            return self.new_str(b"error in error handling");
        }
        self.vm_error("stack overflow")
    }
}
