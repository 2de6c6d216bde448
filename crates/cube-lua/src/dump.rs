//! Binary chunks: `string.dump` and loading them back.
//!
//! The format is cube's own (PUC-Rio's binary chunks are tied to its C structures); it
//! starts with the same "\x1bLua" signature so `load`'s mode checks work as in Lua. Because
//! the VM trusts bytecode for speed, every loaded chunk is *verified* before it can run
//! (see [`verify`] for the full list of what the interpreter relies on and how each is
//! established): a corrupted or hostile binary chunk is rejected with an error, never
//! executed.

use crate::opcode::{index_k, is_k, Instruction, OpCode, NUM_OPCODES};
use crate::proto::{Constant, LocVar, Proto, UpvalDesc};
use std::sync::Arc;

const SIGNATURE: &[u8] = b"\x1bLua\x52\x00cube\x01";

/// Serialises a prototype tree.
pub fn dump(p: &Proto) -> Vec<u8> {
    let mut out = SIGNATURE.to_vec();
    dump_proto(p, &mut out);
    out
}

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_u32(out, b.len() as u32);
    out.extend_from_slice(b);
}

fn dump_proto(p: &Proto, out: &mut Vec<u8>) {
    put_bytes(out, p.source.as_bytes());
    put_u32(out, p.line_defined);
    put_u32(out, p.last_line_defined);
    out.push(p.num_params);
    out.push(p.is_vararg as u8);
    out.push(p.max_stack_size);
    put_u32(out, p.code.len() as u32);
    for i in &p.code {
        put_u32(out, i.0);
    }
    put_u32(out, p.constants.len() as u32);
    for c in &p.constants {
        match c {
            Constant::Nil => out.push(0),
            Constant::Bool(b) => {
                out.push(1);
                out.push(*b as u8);
            }
            Constant::Number(n) => {
                out.push(3);
                out.extend_from_slice(&n.to_bits().to_le_bytes());
            }
            Constant::Str(s) => {
                out.push(4);
                put_bytes(out, s);
            }
        }
    }
    put_u32(out, p.upvalues.len() as u32);
    for u in &p.upvalues {
        out.push(u.in_stack as u8);
        out.push(u.index);
        put_bytes(out, u.name.as_bytes());
    }
    put_u32(out, p.protos.len() as u32);
    for c in &p.protos {
        dump_proto(c, out);
    }
    put_u32(out, p.line_info.len() as u32);
    for l in &p.line_info {
        put_u32(out, *l);
    }
    put_u32(out, p.loc_vars.len() as u32);
    for v in &p.loc_vars {
        put_bytes(out, v.name.as_bytes());
        put_u32(out, v.start_pc);
        put_u32(out, v.end_pc);
    }
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

type R<T> = Result<T, String>;

fn truncated() -> String {
    "truncated precompiled chunk".to_string()
}

impl Reader<'_> {
    fn byte(&mut self) -> R<u8> {
        let b = *self.data.get(self.pos).ok_or_else(truncated)?;
        self.pos += 1;
        Ok(b)
    }
    fn u32(&mut self) -> R<u32> {
        let b = self
            .data
            .get(self.pos..self.pos + 4)
            .ok_or_else(truncated)?;
        self.pos += 4;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&mut self) -> R<u64> {
        let b = self
            .data
            .get(self.pos..self.pos + 8)
            .ok_or_else(truncated)?;
        self.pos += 8;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
    fn bytes(&mut self) -> R<&[u8]> {
        let n = self.u32()? as usize;
        let end = self.pos.checked_add(n).ok_or_else(truncated)?;
        let b = self.data.get(self.pos..end).ok_or_else(truncated)?;
        self.pos = end;
        Ok(b)
    }
    fn string(&mut self) -> R<String> {
        Ok(String::from_utf8_lossy(self.bytes()?).into_owned())
    }
    /// A count of items, each at least `min_size` bytes, that must fit in the rest.
    fn count(&mut self, min_size: usize) -> R<usize> {
        let n = self.u32()? as usize;
        if n.saturating_mul(min_size) > self.data.len() - self.pos {
            return Err(truncated());
        }
        Ok(n)
    }
}

/// Loads a binary chunk made by [`dump`]; `chunkname` prefixes errors.
pub fn undump(data: &[u8], chunkname: &str) -> Result<Arc<Proto>, String> {
    let id = crate::chunkid::chunk_id(chunkname);
    if !data.starts_with(SIGNATURE) {
        return Err(format!(
            "{id}: bad binary format (not a cube precompiled chunk)"
        ));
    }
    let mut r = Reader {
        data,
        pos: SIGNATURE.len(),
    };
    let p = read_proto(&mut r, 0).map_err(|m| format!("{id}: {m}"))?;
    if r.pos != data.len() {
        return Err(format!("{id}: bad binary format (trailing bytes)"));
    }
    Ok(Arc::new(p))
}

fn read_proto(r: &mut Reader, depth: usize) -> R<Proto> {
    if depth > 200 {
        return Err("bad binary format (nesting too deep)".into());
    }
    let mut p = Proto {
        source: Arc::from(r.string()?.as_str()),
        line_defined: r.u32()?,
        last_line_defined: r.u32()?,
        num_params: r.byte()?,
        is_vararg: r.byte()? != 0,
        max_stack_size: r.byte()?,
        ..Default::default()
    };
    let n = r.count(4)?;
    for _ in 0..n {
        p.code.push(Instruction(r.u32()?));
    }
    let n = r.count(1)?;
    for _ in 0..n {
        let c = match r.byte()? {
            0 => Constant::Nil,
            1 => Constant::Bool(r.byte()? != 0),
            3 => Constant::Number(f64::from_bits(r.u64()?)),
            4 => Constant::Str(Arc::from(r.bytes()?)),
            _ => return Err("bad binary format (bad constant)".into()),
        };
        p.constants.push(c);
    }
    let n = r.count(6)?;
    for _ in 0..n {
        p.upvalues.push(UpvalDesc {
            in_stack: r.byte()? != 0,
            index: r.byte()?,
            name: r.string()?,
        });
    }
    let n = r.count(16)?;
    for _ in 0..n {
        p.protos.push(Arc::new(read_proto(r, depth + 1)?));
    }
    let n = r.count(4)?;
    for _ in 0..n {
        p.line_info.push(r.u32()?);
    }
    let n = r.count(12)?;
    for _ in 0..n {
        p.loc_vars.push(LocVar {
            name: r.string()?,
            start_pc: r.u32()?,
            end_pc: r.u32()?,
        });
    }
    verify(&p).map_err(|m| format!("bad binary format ({m})"))?;
    Ok(p)
}

/// Whether `i` reads the stack top left by the instruction before it (B = 0 forms).
fn uses_top(i: Instruction) -> bool {
    match i.opcode() {
        OpCode::Call | OpCode::TailCall | OpCode::Return | OpCode::SetList => i.b() == 0,
        _ => false,
    }
}

/// Whether `i` leaves the stack top after a variable number of values ("open" results):
/// CALL with C = 0, VARARG with B = 0, and TAILCALL (whose results, when it calls a
/// native, are always placed as MULTRET for the RETURN after it).
fn sets_top(i: Instruction) -> bool {
    match i.opcode() {
        OpCode::Call => i.c() == 0,
        OpCode::Vararg => i.b() == 0,
        OpCode::TailCall => true,
        _ => false,
    }
}

/// Checks that executing `p` cannot break any assumption the interpreter makes about
/// bytecode. `vm/exec.rs` accesses registers and constants through raw pointers and
/// indexes upvalues, prototypes and code directly, so every property it relies on is
/// either proved here or checked by the interpreter itself:
///
/// * Opcodes are valid (decoding assumes it).
/// * The code is not empty and ends with RETURN: execution never runs off the end.
/// * `num_params <= max_stack_size` (the frame holds the parameters); the frame is
///   `max_stack_size` registers and `push_lua_frame` makes room for them plus
///   `EXTRA_STACK`; line information is absent or one entry per instruction.
/// * Register operands are below `max_stack_size` (RETURN's A at most that, even with no
///   values: the results are sliced from it), including the ranges an instruction
///   touches: LOADNIL `A..=A+B`, SELF `A+1`, CALL arguments `A+1..A+B-1` and results
///   `A..A+C-2`, RETURN `A..A+B-2`, VARARG `A..A+B-2`, SETLIST items `A+1..A+B`, FORLOOP
///   and FORPREP `A..A+3`, TFORCALL results `A+3..A+2+C`, TFORLOOP `A..A+1`, CONCAT
///   `B..=C` with `B < C` (at least two operands).
/// * Constant operands (LOADK Bx, LOADKX's EXTRAARG, RK operands) index the constants.
/// * Upvalue operands index the upvalues; CLOSURE's Bx indexes the child prototypes and
///   each of the child's upvalue descriptors names a register of this frame or one of
///   this function's upvalues.
/// * Control stays inside the code: JMP, FORLOOP, FORPREP and TFORLOOP targets are
///   instructions; comparisons and TEST/TESTSET are followed by a JMP (which the
///   interpreter reads without checking); LOADBOOL with C skips to an instruction;
///   TAILCALL is followed by a RETURN and TFORCALL by a TFORLOOP.
/// * SETLIST's batch number (C, or the following EXTRAARG's Ax when C = 0) is at least 1.
/// * EXTRAARG follows LOADKX or a SETLIST with C = 0 (which consume it), and no jump
///   lands on it: it is never executed.
/// * The stack top: between instructions the top is the frame's top, except right after
///   an "open" instruction (CALL with C = 0, VARARG with B = 0, TAILCALL of a native),
///   which leaves it after its variable number of values. Only the B = 0 forms of CALL,
///   TAILCALL, RETURN and SETLIST read that top, and the interpreter computes counts by
///   subtracting their base from it. So an open instruction must be followed by such a
///   reader, a reader must follow an open instruction and no jump may land on it, and the
///   open instruction's A must be at or above the reader's first value (the function's
///   argument or the first list item: A+1 for CALL, TAILCALL and SETLIST; A for RETURN).
///   Then the counts are never negative and the values read are inside the stack.
/// * VARARG only appears in vararg functions (where the frame layout has the extra
///   arguments below the base).
/// * Nesting of prototypes is at most 200 deep (checked by the reader: the recursive
///   verifier and loader stay bounded).
///
/// Assumptions the verifier does not prove, because they depend on values at run time,
/// are checked by the interpreter and raise errors: the type of SETLIST's table register
/// (it is a table when the code comes from the compiler, but a chunk may put anything
/// there), and the array size SETLIST's C asks for (only the items actually stored are
/// allocated). Register types elsewhere are never assumed: every other instruction checks
/// the tags of its operands and falls back to a metamethod or an error.
pub fn verify(p: &Proto) -> Result<(), String> {
    let code = &p.code;
    // Opcodes first: decoding an instruction assumes a valid opcode.
    if code.iter().any(|i| (i.0 & 0x3f) as usize >= NUM_OPCODES) {
        return Err("bad opcode".into());
    }
    let nk = p.constants.len() as u32;
    let nup = p.upvalues.len() as u32;
    let maxs = p.max_stack_size as u32;
    if code.is_empty() || code.last().map(|i| i.0 & 0x3f) != Some(OpCode::Return as u32) {
        return Err("code does not end with RETURN".into());
    }
    if (p.num_params as u32) > maxs {
        return Err("too many parameters".into());
    }
    if !p.line_info.is_empty() && p.line_info.len() != code.len() {
        return Err("bad line information".into());
    }
    let reg = |r: u32| {
        if r < maxs {
            Ok(())
        } else {
            Err(format!("register {r} out of range"))
        }
    };
    let rk = |x: u32| {
        if is_k(x) {
            if index_k(x) < nk {
                Ok(())
            } else {
                Err("constant out of range".to_string())
            }
        } else {
            reg(x)
        }
    };
    // Every place control can reach other than by falling through from the previous
    // instruction (jump targets and the instructions that skips land on).
    let mut entry = vec![false; code.len()];
    let mut target = |pc: usize, off: i64| {
        let t = pc as i64 + 1 + off;
        if t >= 0 && (t as usize) < code.len() {
            entry[t as usize] = true;
            Ok(())
        } else {
            Err("jump out of range".to_string())
        }
    };
    for (pc, i) in code.iter().enumerate() {
        let (a, b, c) = (i.a(), i.b(), i.c());
        let next = code.get(pc + 1).map(|n| n.opcode());
        let next_is_jmp = next == Some(OpCode::Jmp);
        let next_is_extra = next == Some(OpCode::ExtraArg);
        match i.opcode() {
            OpCode::Move | OpCode::Unm | OpCode::Not | OpCode::Len => {
                reg(a)?;
                reg(b)?;
            }
            OpCode::LoadK => {
                reg(a)?;
                if i.bx() >= nk {
                    return Err("constant out of range".into());
                }
            }
            OpCode::LoadKx => {
                reg(a)?;
                if !next_is_extra || code[pc + 1].ax() >= nk {
                    return Err("bad LOADKX".into());
                }
            }
            OpCode::LoadBool => {
                reg(a)?;
                if c != 0 {
                    target(pc, 1)?;
                }
            }
            OpCode::LoadNil => reg(a + b)?,
            OpCode::GetUpval | OpCode::SetUpval => {
                reg(a)?;
                if b >= nup {
                    return Err("upvalue out of range".into());
                }
            }
            OpCode::GetTabUp => {
                reg(a)?;
                if b >= nup {
                    return Err("upvalue out of range".into());
                }
                rk(c)?;
            }
            OpCode::SetTabUp => {
                if a >= nup {
                    return Err("upvalue out of range".into());
                }
                rk(b)?;
                rk(c)?;
            }
            OpCode::GetTable => {
                reg(a)?;
                reg(b)?;
                rk(c)?;
            }
            OpCode::SetTable => {
                reg(a)?;
                rk(b)?;
                rk(c)?;
            }
            OpCode::NewTable => reg(a)?,
            OpCode::SelfOp => {
                reg(a + 1)?;
                reg(b)?;
                rk(c)?;
            }
            OpCode::Add | OpCode::Sub | OpCode::Mul | OpCode::Div | OpCode::Mod | OpCode::Pow => {
                reg(a)?;
                rk(b)?;
                rk(c)?;
            }
            OpCode::Concat => {
                reg(a)?;
                reg(c)?;
                if b >= c {
                    return Err("bad CONCAT".into());
                }
            }
            OpCode::Jmp => target(pc, i.sbx() as i64)?,
            OpCode::Eq | OpCode::Lt | OpCode::Le | OpCode::Test | OpCode::TestSet => {
                match i.opcode() {
                    OpCode::Test => reg(a)?,
                    OpCode::TestSet => {
                        reg(a)?;
                        reg(b)?;
                    }
                    _ => {
                        rk(b)?;
                        rk(c)?;
                    }
                }
                if !next_is_jmp {
                    return Err("comparison or test without jump".into());
                }
                // skipping the jump lands after it
                target(pc, 1)?;
            }
            OpCode::Call | OpCode::TailCall => {
                reg(a)?;
                if b > 0 {
                    reg(a + b - 1)?;
                }
                if c > 1 {
                    reg(a + c - 2)?;
                }
                if i.opcode() == OpCode::TailCall && next != Some(OpCode::Return) {
                    return Err("TAILCALL without RETURN".into());
                }
            }
            OpCode::Return => {
                if b > 1 {
                    reg(a + b - 2)?;
                } else if a > maxs {
                    // no values, but the interpreter still slices the stack from A
                    return Err(format!("register {a} out of range"));
                }
            }
            OpCode::ForLoop | OpCode::ForPrep => {
                reg(a + 3)?;
                target(pc, i.sbx() as i64)?;
            }
            OpCode::TForCall => {
                reg(a + 2 + c.max(1))?;
                if next != Some(OpCode::TForLoop) {
                    return Err("TFORCALL without TFORLOOP".into());
                }
            }
            OpCode::TForLoop => {
                reg(a + 1)?;
                target(pc, i.sbx() as i64)?;
            }
            OpCode::SetList => {
                reg(a + b)?;
                // the batch number (C, or EXTRAARG's Ax when C = 0) counts from 1
                if c == 0 && (!next_is_extra || code[pc + 1].ax() == 0) {
                    return Err("bad SETLIST".into());
                }
            }
            OpCode::Closure => {
                reg(a)?;
                let child = p
                    .protos
                    .get(i.bx() as usize)
                    .ok_or("prototype out of range")?;
                for u in &child.upvalues {
                    let ok = if u.in_stack {
                        (u.index as u32) < maxs
                    } else {
                        (u.index as u32) < nup
                    };
                    if !ok {
                        return Err("upvalue out of range".into());
                    }
                }
            }
            OpCode::Vararg => {
                if !p.is_vararg {
                    return Err("VARARG in a non-vararg function".into());
                }
                if b > 1 {
                    reg(a + b - 2)?;
                } else {
                    reg(a)?;
                }
            }
            OpCode::ExtraArg => {
                let prev = pc.checked_sub(1).map(|q| code[q]);
                let consumed = prev.is_some_and(|q| {
                    q.opcode() == OpCode::LoadKx || (q.opcode() == OpCode::SetList && q.c() == 0)
                });
                if !consumed {
                    return Err("stray EXTRAARG".into());
                }
            }
        }
        // The stack-top discipline (see above).
        if sets_top(*i) {
            let reader = code.get(pc + 1).copied().filter(|n| uses_top(*n));
            let Some(reader) = reader else {
                return Err("open results not used".into());
            };
            let first = match reader.opcode() {
                OpCode::Return => reader.a(),
                _ => reader.a() + 1,
            };
            if a < first {
                return Err("open results below their user".into());
            }
        }
        if uses_top(*i) && !(pc > 0 && sets_top(code[pc - 1])) {
            return Err("B = 0 without open results".into());
        }
    }
    for (pc, &is_entry) in entry.iter().enumerate() {
        if is_entry && (code[pc].opcode() == OpCode::ExtraArg || uses_top(code[pc])) {
            return Err("jump into an instruction pair".into());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dump_roundtrip_and_corruption_is_rejected() {
        let src = b"local a, b = 1, 'x'\nlocal function f(n) if n < 2 then return n end return f(n-1) + f(n-2) end\nreturn f(10), a, b";
        let p = crate::load::compile(src, "=t").unwrap();
        let bytes = dump(&p);
        let q = undump(&bytes, "=t").unwrap();
        assert_eq!(*p, *q);
        // Every truncation and many single-byte corruptions must give an error, not a panic.
        for cut in 0..bytes.len() {
            assert!(undump(&bytes[..cut], "=t").is_err());
        }
        let mut seed = 0x1234_5678u32;
        for _ in 0..2000 {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            let mut b = bytes.clone();
            let i = SIGNATURE.len() + (seed as usize % (b.len() - SIGNATURE.len()));
            b[i] ^= (seed >> 8) as u8 | 1;
            if let Ok(p) = undump(&b, "=t") {
                verify(&p).unwrap();
            }
        }
    }

    /// Lua files of the repository's test programs (golden programs, luac snippets).
    pub(crate) fn test_programs() -> Vec<(String, Vec<u8>)> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut dirs = vec![
            root.join("src/compiler/luac"),
            root.join("../../tests/golden"),
        ];
        let mut out = Vec::new();
        while let Some(d) = dirs.pop() {
            let Ok(rd) = std::fs::read_dir(&d) else {
                continue;
            };
            for e in rd.flatten() {
                let path = e.path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|x| x == "lua") {
                    let src = std::fs::read(&path).unwrap();
                    out.push((path.display().to_string(), src));
                }
            }
        }
        out.sort();
        out
    }

    /// The compiler's output satisfies the verifier (the verifier is not stricter than
    /// the code it must accept): every test program round-trips through dump/undump.
    #[test]
    fn compiled_programs_pass_the_verifier() {
        let programs = test_programs();
        assert!(programs.len() > 40, "test programs not found");
        let mut n = 0;
        for (name, src) in programs {
            let Ok(p) = crate::load::compile(&src, "=t") else {
                continue;
            };
            let bytes = dump(&p);
            if let Err(e) = undump(&bytes, "=t") {
                panic!("{name}: {e}");
            }
            n += 1;
        }
        assert!(n > 40);
    }

    /// Compiles `src`, patches the first instruction with opcode `op` in the main
    /// function with `patch`, and round-trips it through dump/undump.
    fn patched(
        src: &str,
        op: OpCode,
        patch: impl Fn(&mut Proto, usize),
    ) -> Result<Arc<Proto>, String> {
        let p = crate::load::compile(src.as_bytes(), "=t").unwrap();
        let mut p = (*p).clone();
        let pc = p
            .code
            .iter()
            .position(|i| i.opcode() == op)
            .expect("opcode");
        patch(&mut p, pc);
        undump(&dump(&p), "=t")
    }

    fn run(p: Arc<Proto>) -> Result<(), String> {
        let mut st = crate::State::new_bare();
        crate::stdlib::open_libs(&mut st);
        let env = crate::value::Value::Table(st.globals);
        let f = st.closure_of(p, env);
        st.call_function(f, &[])
            .map(|_| ())
            .map_err(|e| format!("{e:?}"))
    }

    fn set_abc(p: &mut Proto, pc: usize, a: Option<u32>, b: Option<u32>, c: Option<u32>) {
        let i = p.code[pc];
        p.code[pc] = Instruction::abc(
            i.opcode(),
            a.unwrap_or(i.a()),
            b.unwrap_or(i.b()),
            c.unwrap_or(i.c()),
        );
    }

    /// Issue 9: SETLIST whose A names a non-table passed the verifier and hit
    /// `unreachable!`; it is now a runtime error.
    #[test]
    fn setlist_on_a_non_table_is_an_error() {
        let p = patched(
            "local x = 1 local t = {1, 2, 3}",
            OpCode::SetList,
            |p, pc| set_abc(p, pc, Some(0), None, None),
        )
        .expect("types are not the verifier's business");
        let e = run(p).unwrap_err();
        assert!(e.contains("SETLIST"), "{e}");
    }

    /// Issue 9: VARARG with B = 0 moved below its CALL made the argument count negative
    /// ("capacity overflow"); the verifier now rejects it.
    #[test]
    fn open_results_below_their_user_are_rejected() {
        let src = "local a, b = 1, 2 return print(...)";
        let e = patched(src, OpCode::Vararg, |p, pc| {
            set_abc(p, pc, Some(0), None, None)
        });
        assert!(e.unwrap_err().contains("open results below their user"));
        // a B = 0 reader without an open instruction before it
        let e = patched(src, OpCode::Vararg, |p, pc| {
            set_abc(p, pc, None, Some(2), None)
        });
        assert!(e.unwrap_err().contains("B = 0 without open results"));
        let e = patched("return f(g())", OpCode::Call, |p, pc| {
            set_abc(p, pc, None, None, Some(2))
        });
        assert!(e.is_err());
    }

    /// Found by fuzzing: RETURN with no values and A far beyond the frame sliced the
    /// stack out of bounds.
    #[test]
    fn return_beyond_the_frame_is_rejected() {
        let e = patched("local a = 1", OpCode::Return, |p, pc| {
            set_abc(p, pc, Some(76), Some(1), None)
        });
        assert!(e.unwrap_err().contains("out of range"));
    }

    /// LOADBOOL's skip and jumps must land on an instruction that is not the second half
    /// of a pair (EXTRAARG, or a B = 0 reader of open results).
    #[test]
    fn skips_and_jumps_into_pairs_are_rejected() {
        let e = patched("local a = 1 > 2 return a", OpCode::LoadBool, |p, pc| {
            let n = p.code.len();
            p.code[n - 2] = Instruction::abc(OpCode::LoadBool, 0, 1, 1);
            let _ = pc;
        });
        assert!(e.unwrap_err().contains("jump out of range"));
        // jump straight onto the RETURN B = 0 that reads VARARG's results
        let e = patched("if x then end return ...", OpCode::Jmp, |p, pc| {
            let ret = p
                .code
                .iter()
                .position(|i| i.opcode() == OpCode::Return)
                .unwrap();
            p.code[pc] = Instruction::asbx(OpCode::Jmp, 0, ret as i32 - pc as i32 - 1);
        });
        assert!(e.unwrap_err().contains("jump into an instruction pair"));
    }
}
