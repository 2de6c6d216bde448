//! Bytecode instruction format: the register machine of Lua 5.2.
//!
//! An instruction is a `u32` laid out as in PUC-Rio Lua 5.2 (`lopcodes.h`):
//!
//! ```text
//!   iABC:  C(9) | B(9) | A(8) | Op(6)
//!   iABx:     Bx(18)   | A(8) | Op(6)
//!   iAsBx:   sBx(18)   | A(8) | Op(6)      sBx = Bx - MAXARG_SBX
//!   iAx:          Ax(26)      | Op(6)
//! ```
//!
//! `R(x)` is register `x` of the current frame; `Kst(x)` is constant `x`; `RK(x)` is
//! `Kst(x - 256)` when bit 8 of `x` is set (`is_k(x)`), else `R(x)`; `UpValue[x]` is
//! upvalue `x` of the running closure. Keeping PUC's format and semantics keeps the
//! compiler and the VM checkable against the reference and lets error messages name
//! variables by the same symbolic execution of the code (`debug_names.rs`).

/// Instruction opcodes with their semantics.
#[repr(u8)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpCode {
    /// A B     R(A) := R(B)
    Move = 0,
    /// A Bx    R(A) := Kst(Bx)
    LoadK,
    /// A       R(A) := Kst(extra arg)   (the next instruction is an ExtraArg)
    LoadKx,
    /// A B C   R(A) := (Bool)B; if (C) pc++
    LoadBool,
    /// A B     R(A), R(A+1), ..., R(A+B) := nil
    LoadNil,
    /// A B     R(A) := UpValue\[B\]
    GetUpval,
    /// A B C   R(A) := UpValue\[B\][RK(C)]
    GetTabUp,
    /// A B C   R(A) := R(B)[RK(C)]
    GetTable,
    /// A B C   UpValue\[A\][RK(B)] := RK(C)
    SetTabUp,
    /// A B     UpValue\[B\] := R(A)
    SetUpval,
    /// A B C   R(A)[RK(B)] := RK(C)
    SetTable,
    /// A B C   R(A) := {} (size hints B = array, C = hash, as "floating point bytes")
    NewTable,
    /// A B C   R(A+1) := R(B); R(A) := R(B)[RK(C)]
    SelfOp,
    /// A B C   R(A) := RK(B) + RK(C)
    Add,
    /// A B C   R(A) := RK(B) - RK(C)
    Sub,
    /// A B C   R(A) := RK(B) * RK(C)
    Mul,
    /// A B C   R(A) := RK(B) / RK(C)
    Div,
    /// A B C   R(A) := RK(B) % RK(C)
    Mod,
    /// A B C   R(A) := RK(B) ^ RK(C)
    Pow,
    /// A B     R(A) := -R(B)
    Unm,
    /// A B     R(A) := not R(B)
    Not,
    /// A B     R(A) := length of R(B)
    Len,
    /// A B C   R(A) := R(B).. ... ..R(C)
    Concat,
    /// A sBx   pc += sBx; if (A) close all upvalues >= R(A - 1)
    Jmp,
    /// A B C   if ((RK(B) == RK(C)) ~= A) then pc++
    Eq,
    /// A B C   if ((RK(B) <  RK(C)) ~= A) then pc++
    Lt,
    /// A B C   if ((RK(B) <= RK(C)) ~= A) then pc++
    Le,
    /// A C     if not (R(A) <=> C) then pc++
    Test,
    /// A B C   if (R(B) <=> C) then R(A) := R(B) else pc++
    TestSet,
    /// A B C   R(A), ... ,R(A+C-2) := R(A)(R(A+1), ... ,R(A+B-1))
    /// B = 0: arguments up to the stack top; C = 0: keep all results (sets top).
    Call,
    /// A B C   return R(A)(R(A+1), ... ,R(A+B-1))
    TailCall,
    /// A B     return R(A), ... ,R(A+B-2)   (B = 0: up to the stack top)
    Return,
    /// A sBx   R(A) += R(A+2); if R(A) <?= R(A+1) then { pc += sBx; R(A+3) := R(A) }
    ForLoop,
    /// A sBx   R(A) -= R(A+2); pc += sBx
    ForPrep,
    /// A C     R(A+3), ... ,R(A+2+C) := R(A)(R(A+1), R(A+2))
    TForCall,
    /// A sBx   if R(A+1) ~= nil then { R(A) := R(A+1); pc += sBx }
    TForLoop,
    /// A B C   R(A)[(C-1)*FPF+i] := R(A+i), 1 <= i <= B
    /// B = 0: up to the stack top; C = 0: the real C is the next ExtraArg instruction.
    SetList,
    /// A Bx    R(A) := closure(KPROTO\[Bx\])
    Closure,
    /// A B     R(A), R(A+1), ..., R(A+B-2) = vararg   (B = 0: all of them, sets top)
    Vararg,
    /// Ax      extra (larger) argument for the previous opcode
    ExtraArg,
}

pub const NUM_OPCODES: usize = OpCode::ExtraArg as usize + 1;

impl OpCode {
    #[inline(always)]
    pub fn from_u8(b: u8) -> OpCode {
        debug_assert!((b as usize) < NUM_OPCODES);
        // SAFETY: every instruction is built by `Instruction::new_*`, which only stores
        // valid opcodes, and the enum is `repr(u8)` with contiguous discriminants.
        unsafe { std::mem::transmute::<u8, OpCode>(b) }
    }

    pub fn name(self) -> &'static str {
        OPCODE_NAMES[self as usize]
    }
}

pub const OPCODE_NAMES: [&str; NUM_OPCODES] = [
    "MOVE", "LOADK", "LOADKX", "LOADBOOL", "LOADNIL", "GETUPVAL", "GETTABUP", "GETTABLE",
    "SETTABUP", "SETUPVAL", "SETTABLE", "NEWTABLE", "SELF", "ADD", "SUB", "MUL", "DIV", "MOD",
    "POW", "UNM", "NOT", "LEN", "CONCAT", "JMP", "EQ", "LT", "LE", "TEST", "TESTSET", "CALL",
    "TAILCALL", "RETURN", "FORLOOP", "FORPREP", "TFORCALL", "TFORLOOP", "SETLIST", "CLOSURE",
    "VARARG", "EXTRAARG",
];

pub const SIZE_OP: u32 = 6;
pub const SIZE_A: u32 = 8;
pub const SIZE_B: u32 = 9;
pub const SIZE_C: u32 = 9;
pub const SIZE_BX: u32 = SIZE_B + SIZE_C;
pub const SIZE_AX: u32 = SIZE_A + SIZE_B + SIZE_C;

pub const POS_A: u32 = SIZE_OP;
pub const POS_C: u32 = POS_A + SIZE_A;
pub const POS_B: u32 = POS_C + SIZE_C;
pub const POS_BX: u32 = POS_C;
pub const POS_AX: u32 = POS_A;

pub const MAXARG_A: u32 = (1 << SIZE_A) - 1;
pub const MAXARG_B: u32 = (1 << SIZE_B) - 1;
pub const MAXARG_C: u32 = (1 << SIZE_C) - 1;
pub const MAXARG_BX: u32 = (1 << SIZE_BX) - 1;
pub const MAXARG_SBX: i32 = (MAXARG_BX >> 1) as i32;
pub const MAXARG_AX: u32 = (1 << SIZE_AX) - 1;

/// Bit that marks an RK operand as a constant index.
pub const BITRK: u32 = 1 << (SIZE_B - 1);
/// Largest constant index usable directly as an RK operand.
pub const MAXINDEXRK: u32 = BITRK - 1;
/// Number of list items to accumulate before a SETLIST instruction.
pub const FIELDS_PER_FLUSH: u32 = 50;
/// Maximum number of registers in a Lua function (as PUC's `MAXSTACK`).
pub const MAX_REGISTERS: u32 = 250;

#[inline(always)]
pub fn is_k(x: u32) -> bool {
    x & BITRK != 0
}
#[inline(always)]
pub fn index_k(x: u32) -> u32 {
    x & !BITRK
}
#[inline(always)]
pub fn rk_as_k(x: u32) -> u32 {
    x | BITRK
}

/// One encoded instruction.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(transparent)]
pub struct Instruction(pub u32);

impl Instruction {
    #[inline(always)]
    pub fn opcode(self) -> OpCode {
        OpCode::from_u8((self.0 & ((1 << SIZE_OP) - 1)) as u8)
    }
    #[inline(always)]
    pub fn a(self) -> u32 {
        (self.0 >> POS_A) & MAXARG_A
    }
    #[inline(always)]
    pub fn b(self) -> u32 {
        (self.0 >> POS_B) & MAXARG_B
    }
    #[inline(always)]
    pub fn c(self) -> u32 {
        (self.0 >> POS_C) & MAXARG_C
    }
    #[inline(always)]
    pub fn bx(self) -> u32 {
        (self.0 >> POS_BX) & MAXARG_BX
    }
    #[inline(always)]
    pub fn sbx(self) -> i32 {
        self.bx() as i32 - MAXARG_SBX
    }
    #[inline(always)]
    pub fn ax(self) -> u32 {
        (self.0 >> POS_AX) & MAXARG_AX
    }

    pub fn abc(op: OpCode, a: u32, b: u32, c: u32) -> Instruction {
        debug_assert!(a <= MAXARG_A && b <= MAXARG_B && c <= MAXARG_C);
        Instruction((op as u32) | (a << POS_A) | (b << POS_B) | (c << POS_C))
    }
    pub fn abx(op: OpCode, a: u32, bx: u32) -> Instruction {
        debug_assert!(a <= MAXARG_A && bx <= MAXARG_BX);
        Instruction((op as u32) | (a << POS_A) | (bx << POS_BX))
    }
    pub fn asbx(op: OpCode, a: u32, sbx: i32) -> Instruction {
        Instruction::abx(op, a, (sbx + MAXARG_SBX) as u32)
    }
    pub fn ax_op(op: OpCode, ax: u32) -> Instruction {
        debug_assert!(ax <= MAXARG_AX);
        Instruction((op as u32) | (ax << POS_AX))
    }

    pub fn set_a(&mut self, a: u32) {
        self.0 = (self.0 & !(MAXARG_A << POS_A)) | (a << POS_A);
    }
    pub fn set_b(&mut self, b: u32) {
        self.0 = (self.0 & !(MAXARG_B << POS_B)) | (b << POS_B);
    }
    pub fn set_c(&mut self, c: u32) {
        self.0 = (self.0 & !(MAXARG_C << POS_C)) | (c << POS_C);
    }
    pub fn set_bx(&mut self, bx: u32) {
        self.0 = (self.0 & !(MAXARG_BX << POS_BX)) | (bx << POS_BX);
    }
    pub fn set_sbx(&mut self, sbx: i32) {
        self.set_bx((sbx + MAXARG_SBX) as u32)
    }
}

impl std::fmt::Debug for Instruction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let op = self.opcode();
        match op {
            OpCode::LoadK | OpCode::Closure => {
                write!(f, "{} {} {}", op.name(), self.a(), self.bx())
            }
            OpCode::Jmp | OpCode::ForLoop | OpCode::ForPrep | OpCode::TForLoop => {
                write!(f, "{} {} {}", op.name(), self.a(), self.sbx())
            }
            OpCode::ExtraArg => write!(f, "{} {}", op.name(), self.ax()),
            _ => write!(f, "{} {} {} {}", op.name(), self.a(), self.b(), self.c()),
        }
    }
}

/// Converts an integer into a "floating point byte" (`eeeeexxx`), as NEWTABLE's size
/// hints are encoded: the value is `(1xxx) * 2^(eeeee-1)` when `eeeee != 0`, else `xxx`.
pub fn int_to_fb(mut x: u32) -> u32 {
    let mut e = 0;
    if x < 8 {
        return x;
    }
    while x >= 0x10 {
        x = (x + 1) >> 1;
        e += 1;
    }
    ((e + 1) << 3) | (x - 8)
}

/// Inverse of [`int_to_fb`].
pub fn fb_to_int(x: u32) -> u32 {
    let e = (x >> 3) & 0x1f;
    if e == 0 {
        x
    } else {
        ((x & 7) + 8) << (e - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_decode_roundtrip() {
        let i = Instruction::abc(OpCode::Add, 3, rk_as_k(7), 250);
        assert_eq!(i.opcode(), OpCode::Add);
        assert_eq!(i.a(), 3);
        assert!(is_k(i.b()));
        assert_eq!(index_k(i.b()), 7);
        assert_eq!(i.c(), 250);
        let j = Instruction::asbx(OpCode::Jmp, 0, -5);
        assert_eq!(j.sbx(), -5);
        let k = Instruction::ax_op(OpCode::ExtraArg, MAXARG_AX);
        assert_eq!(k.ax(), MAXARG_AX);
    }

    #[test]
    fn float_byte_roundtrip_is_an_upper_bound() {
        for x in 0..10_000u32 {
            let fb = int_to_fb(x);
            assert!(fb_to_int(fb) >= x, "{x}");
        }
        assert_eq!(fb_to_int(int_to_fb(7)), 7);
    }
}
