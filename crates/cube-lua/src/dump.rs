//! Binary chunks: `string.dump` and loading them back.
//!
//! The format is cube's own (PUC-Rio's binary chunks are tied to its C structures); it
//! starts with the same "\x1bLua" signature so `load`'s mode checks work as in Lua. Because
//! the VM trusts bytecode for speed, every loaded chunk is *verified* (register, constant,
//! upvalue and prototype operands in range, jumps inside the code, a final RETURN) before it
//! can run: a corrupted or hostile binary chunk is rejected with an error, never executed.

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

/// Checks that executing `p` cannot index outside its registers, constants, upvalues,
/// child prototypes or code.
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
    let jump = |pc: usize, off: i32| {
        let t = pc as i64 + 1 + off as i64;
        if t >= 0 && (t as usize) < code.len() {
            Ok(())
        } else {
            Err("jump out of range".to_string())
        }
    };
    for (pc, i) in code.iter().enumerate() {
        if (i.0 & 0x3f) as usize >= NUM_OPCODES {
            return Err("bad opcode".into());
        }
        let (a, b, c) = (i.a(), i.b(), i.c());
        let next_is_jmp = code.get(pc + 1).is_some_and(|n| n.opcode() == OpCode::Jmp);
        let next_is_extra = code
            .get(pc + 1)
            .is_some_and(|n| n.opcode() == OpCode::ExtraArg);
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
                if c != 0 && pc + 2 > code.len() {
                    return Err("jump out of range".into());
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
            OpCode::Jmp => jump(pc, i.sbx())?,
            OpCode::Eq | OpCode::Lt | OpCode::Le => {
                rk(b)?;
                rk(c)?;
                if !next_is_jmp {
                    return Err("comparison without jump".into());
                }
            }
            OpCode::Test | OpCode::TestSet => {
                reg(a)?;
                reg(b)?;
                if !next_is_jmp {
                    return Err("test without jump".into());
                }
            }
            OpCode::Call | OpCode::TailCall => {
                reg(a)?;
                if b > 0 {
                    reg(a + b - 1)?;
                }
                if c > 1 {
                    reg(a + c - 2)?;
                }
                if i.opcode() == OpCode::TailCall
                    && code.get(pc + 1).map(|n| n.opcode()) != Some(OpCode::Return)
                {
                    return Err("TAILCALL without RETURN".into());
                }
            }
            OpCode::Return => {
                if b > 1 {
                    reg(a + b - 2)?;
                }
            }
            OpCode::ForLoop | OpCode::ForPrep => {
                reg(a + 3)?;
                jump(pc, i.sbx())?;
            }
            OpCode::TForCall => {
                reg(a + 2 + c.max(1))?;
                if code.get(pc + 1).map(|n| n.opcode()) != Some(OpCode::TForLoop) {
                    return Err("TFORCALL without TFORLOOP".into());
                }
            }
            OpCode::TForLoop => {
                reg(a + 1)?;
                jump(pc, i.sbx())?;
            }
            OpCode::SetList => {
                reg(a + b)?;
                if c == 0 && !next_is_extra {
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
                if b > 1 {
                    reg(a + b - 2)?;
                } else {
                    reg(a)?;
                }
            }
            OpCode::ExtraArg => {
                let prev = pc.checked_sub(1).map(|q| code[q].opcode());
                if !matches!(prev, Some(OpCode::LoadKx) | Some(OpCode::SetList)) {
                    return Err("stray EXTRAARG".into());
                }
            }
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
}
