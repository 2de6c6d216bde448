//! Listings in the format of `luac5.2 -l`, so compiled code can be diffed against the
//! reference compiler's.

use crate::opcode::{index_k, is_k, Instruction, OpCode};
use crate::proto::{Constant, Proto};
use std::fmt::Write;

/// Lists a prototype and, recursively, its nested functions, as `luac -l` does.
pub fn disassemble(p: &Proto) -> String {
    let mut out = String::new();
    print_function(&mut out, p, false);
    out
}

/// Lists like `luac -l -l`: also constants, locals (with their pc ranges) and upvalues.
pub fn disassemble_full(p: &Proto) -> String {
    let mut out = String::new();
    print_function(&mut out, p, true);
    out
}

fn print_function(out: &mut String, p: &Proto, full: bool) {
    print_header(out, p);
    print_code(out, p);
    if full {
        print_debug(out, p);
    }
    for child in &p.protos {
        print_function(out, child, full);
    }
}

fn print_debug(out: &mut String, p: &Proto) {
    let addr = p as *const Proto;
    let _ = writeln!(out, "constants ({}) for {addr:p}:", p.constants.len());
    for i in 0..p.constants.len() {
        let _ = writeln!(out, "\t{}\t{}", i + 1, constant(p, i as u32));
    }
    let _ = writeln!(out, "locals ({}) for {addr:p}:", p.loc_vars.len());
    for (i, v) in p.loc_vars.iter().enumerate() {
        let _ = writeln!(
            out,
            "\t{i}\t{}\t{}\t{}",
            v.name,
            v.start_pc + 1,
            v.end_pc + 1
        );
    }
    let _ = writeln!(out, "upvalues ({}) for {addr:p}:", p.upvalues.len());
    for (i, u) in p.upvalues.iter().enumerate() {
        let _ = writeln!(out, "\t{i}\t{}\t{}\t{}", u.name, u.in_stack as u8, u.index);
    }
}

/// "s" unless exactly one.
fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn print_header(out: &mut String, p: &Proto) {
    let src = p.source.as_ref();
    let s = match src.as_bytes().first() {
        Some(b'@') | Some(b'=') => &src[1..],
        Some(0x1b) => "(bstring)",
        _ => "(string)",
    };
    let kind = if p.line_defined == 0 {
        "main"
    } else {
        "function"
    };
    let n = p.code.len();
    let _ = writeln!(
        out,
        "\n{kind} <{s}:{},{}> ({n} instruction{} at {:p})",
        p.line_defined,
        p.last_line_defined,
        plural(n),
        p as *const Proto
    );
    let np = p.num_params as usize;
    let slots = p.max_stack_size as usize;
    let nup = p.upvalues.len();
    let nloc = p.loc_vars.len();
    let nk = p.constants.len();
    let nf = p.protos.len();
    let _ = writeln!(
        out,
        "{np}{} param{}, {slots} slot{}, {nup} upvalue{}, {nloc} local{}, {nk} constant{}, {nf} function{}",
        if p.is_vararg { "+" } else { "" },
        plural(np),
        plural(slots),
        plural(nup),
        plural(nloc),
        plural(nk),
        plural(nf)
    );
}

/// How an operand is shown: not at all, as a register/number, or as an RK operand.
#[derive(Clone, Copy, PartialEq)]
enum Arg {
    N,
    U,
    R,
    K,
}

/// PUC's `luaP_opmodes` B and C argument kinds (only what the listing needs).
fn arg_modes(op: OpCode) -> (Arg, Arg) {
    use Arg::*;
    use OpCode::*;
    match op {
        Move | Unm | Not | Len | Jmp | ForLoop | ForPrep | TForLoop => (R, N),
        LoadK => (K, N),
        LoadKx => (N, N),
        LoadBool | NewTable | Call | TailCall | SetList | ExtraArg => (U, U),
        LoadNil | GetUpval | SetUpval | Return | Closure | Vararg => (U, N),
        GetTabUp => (U, K),
        GetTable | SelfOp => (R, K),
        SetTabUp | SetTable | Add | Sub | Mul | Div | Mod | Pow | Eq | Lt | Le => (K, K),
        Concat => (R, R),
        Test | TForCall => (N, U),
        TestSet => (R, U),
    }
}

/// PUC's `MYK`: constant `x` is shown as `-1 - x`.
fn myk(x: u32) -> i64 {
    -1 - x as i64
}

fn rk(x: u32) -> i64 {
    if is_k(x) {
        myk(index_k(x))
    } else {
        x as i64
    }
}

fn print_code(out: &mut String, p: &Proto) {
    let mut pc = 0;
    while pc < p.code.len() {
        let i = p.code[pc];
        let op = i.opcode();
        let line = p.line_at(pc);
        let _ = write!(out, "\t{}\t", pc + 1);
        if line > 0 {
            let _ = write!(out, "[{line}]\t");
        } else {
            out.push_str("[-]\t");
        }
        let _ = write!(out, "{:<9}\t", op.name());
        write_operands(out, i, op);
        pc = write_comment(out, p, pc, i, op);
        out.push('\n');
        pc += 1;
    }
}

fn write_operands(out: &mut String, i: Instruction, op: OpCode) {
    let (bm, cm) = arg_modes(op);
    match op {
        OpCode::LoadK | OpCode::LoadKx | OpCode::Closure => {
            let _ = write!(out, "{}", i.a());
            match bm {
                Arg::K => {
                    let _ = write!(out, " {}", myk(i.bx()));
                }
                Arg::U => {
                    let _ = write!(out, " {}", i.bx());
                }
                _ => {}
            }
        }
        OpCode::Jmp | OpCode::ForLoop | OpCode::ForPrep | OpCode::TForLoop => {
            let _ = write!(out, "{} {}", i.a(), i.sbx());
        }
        OpCode::ExtraArg => {
            let _ = write!(out, "{}", myk(i.ax()));
        }
        _ => {
            let _ = write!(out, "{}", i.a());
            if bm != Arg::N {
                let _ = write!(out, " {}", rk(i.b()));
            }
            if cm != Arg::N {
                let _ = write!(out, " {}", rk(i.c()));
            }
        }
    }
}

/// Writes the `; ...` comment; returns the pc of the last instruction consumed (SETLIST
/// with C = 0 swallows the following EXTRAARG, as luac does).
fn write_comment(out: &mut String, p: &Proto, pc: usize, i: Instruction, op: OpCode) -> usize {
    let k = |x: u32| constant(p, x);
    let up = |x: u32| {
        p.upvalues
            .get(x as usize)
            .map_or("-".to_string(), |u| u.name.clone())
    };
    let rk_or_dash = |x: u32| if is_k(x) { k(index_k(x)) } else { "-".into() };
    match op {
        OpCode::LoadK => {
            let _ = write!(out, "\t; {}", k(i.bx()));
        }
        OpCode::GetUpval | OpCode::SetUpval => {
            let _ = write!(out, "\t; {}", up(i.b()));
        }
        OpCode::GetTabUp => {
            let _ = write!(out, "\t; {}", up(i.b()));
            if is_k(i.c()) {
                let _ = write!(out, " {}", k(index_k(i.c())));
            }
        }
        OpCode::SetTabUp => {
            let _ = write!(out, "\t; {}", up(i.a()));
            if is_k(i.b()) {
                let _ = write!(out, " {}", k(index_k(i.b())));
            }
            if is_k(i.c()) {
                let _ = write!(out, " {}", k(index_k(i.c())));
            }
        }
        OpCode::GetTable | OpCode::SelfOp if is_k(i.c()) => {
            let _ = write!(out, "\t; {}", k(index_k(i.c())));
        }
        // luac 5.2 lists MOD without a comment; we reproduce that.
        OpCode::SetTable
        | OpCode::Add
        | OpCode::Sub
        | OpCode::Mul
        | OpCode::Div
        | OpCode::Pow
        | OpCode::Eq
        | OpCode::Lt
        | OpCode::Le
            if is_k(i.b()) || is_k(i.c()) =>
        {
            let _ = write!(out, "\t; {} {}", rk_or_dash(i.b()), rk_or_dash(i.c()));
        }
        OpCode::Jmp | OpCode::ForLoop | OpCode::ForPrep | OpCode::TForLoop => {
            let _ = write!(out, "\t; to {}", i.sbx() as i64 + pc as i64 + 2);
        }
        OpCode::Closure => {
            let addr = p
                .protos
                .get(i.bx() as usize)
                .map_or(std::ptr::null(), |c| c.as_ref() as *const Proto);
            let _ = write!(out, "\t; {addr:p}");
        }
        OpCode::SetList => {
            if i.c() == 0 {
                let raw = p.code.get(pc + 1).map_or(0, |n| n.0);
                let _ = write!(out, "\t; {raw}");
                return pc + 1;
            }
            let _ = write!(out, "\t; {}", i.c());
        }
        OpCode::ExtraArg => {
            let _ = write!(out, "\t; {}", k(i.ax()));
        }
        _ => {}
    }
    pc
}

/// A constant as luac prints it: numbers with `%.14g`, strings quoted with C escapes.
fn constant(p: &Proto, x: u32) -> String {
    match p.constants.get(x as usize) {
        None => "?".into(),
        Some(Constant::Nil) => "nil".into(),
        Some(Constant::Bool(b)) => b.to_string(),
        Some(Constant::Number(n)) => fmt_g14(*n),
        Some(Constant::Str(s)) => quote(s),
    }
}

fn quote(s: &[u8]) -> String {
    let mut out = String::from("\"");
    for &c in s {
        match c {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            7 => out.push_str("\\a"),
            8 => out.push_str("\\b"),
            12 => out.push_str("\\f"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            11 => out.push_str("\\v"),
            0x20..=0x7e => out.push(c as char),
            _ => {
                let _ = write!(out, "\\{c:03}");
            }
        }
    }
    out.push('"');
    out
}

/// C's `printf("%.14g", n)` (Lua 5.2's `LUA_NUMBER_FMT`).
pub(crate) fn fmt_g14(n: f64) -> String {
    const P: i32 = 14;
    if n.is_nan() {
        return if n.is_sign_negative() { "-nan" } else { "nan" }.into();
    }
    if n.is_infinite() {
        return if n < 0.0 { "-inf" } else { "inf" }.into();
    }
    // rounding to P significant digits decides the exponent
    let sci = format!("{:.*e}", (P - 1) as usize, n);
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let x: i32 = exp.parse().unwrap_or(0);
    if (-4..P).contains(&x) {
        let s = format!("{:.*}", (P - 1 - x) as usize, n);
        strip_zeros(&s).to_string()
    } else {
        let m = strip_zeros(mant);
        let sign = if x < 0 { '-' } else { '+' };
        format!("{m}e{sign}{:02}", x.abs())
    }
}

/// Removes trailing zeros of a fraction (and the point if nothing is left after it).
fn strip_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::fmt_g14;

    #[test]
    fn g14_matches_printf() {
        assert_eq!(fmt_g14(1.0), "1");
        assert_eq!(fmt_g14(-0.0), "-0");
        assert_eq!(fmt_g14(0.5), "0.5");
        assert_eq!(fmt_g14(1e15), "1e+15");
        assert_eq!(fmt_g14(123456789012345.0), "1.2345678901234e+14");
        assert_eq!(fmt_g14(0.0001), "0.0001");
        assert_eq!(fmt_g14(0.00001), "1e-05");
        assert_eq!(fmt_g14(1.234567890123456), "1.2345678901235");
        assert_eq!(fmt_g14(1e100), "1e+100");
        assert_eq!(fmt_g14(f64::INFINITY), "inf");
    }
}
