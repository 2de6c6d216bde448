//! Arithmetic in Torch7's forms, and the `+ - * /` operators.
//!
//! Every operation has a list of operand patterns (`add`: `(t, number)`, `(t1, t2)`,
//! `(t1, number, t2)`), and is reached three ways, as in Torch7:
//! - `torch.add(t, 1)`: the operands make a pattern; the result is a new tensor;
//! - `torch.add(res, t, 1)`: they do not, but all but the first do: the result goes
//!   into `res`, which is returned;
//! - `t:add(1)`: a method: the result goes into `t`; the operands are the arguments
//!   after `t` if they make a pattern (`res:add(t1, t2)`), else `t` and them (`t:add(1)`
//!   is `t = t + 1`).
//!
//! A result goes through the destination's view (so views see it) when it has the
//! destination's shape; otherwise the destination gets new storage of the result's
//! shape (Torch7 resizes it), which views of its old storage no longer see.
//!
//! Operators (Torch7's): `t + x`, `t - x`, `x - t` with a number or a tensor of as many
//! elements, `t * n`, `t / n`, `-t`; `t1 * t2` is `dot` (two vectors, a number), `mv`
//! (matrix, vector) or `mm` (two matrices).

use super::values::{adopt, fail, tensor_of, tensor_val};
use crate::error::{shape_text, TorchError};
use crate::ops::{self, Binary, Unary};
use crate::tensor::Tensor;
use candle_core::Tensor as Ct;
use cube_lua::host::{Cx, HostFn, HostResult, TableRef, Val};
use cube_lua::{Args, Ret};

/// An operand.
#[derive(Clone)]
enum Arg {
    T(Tensor),
    N(f64),
}

/// A result: a tensor, or a number (`dot`).
enum Out {
    T(Ct),
    N(f64),
}

/// An operation: its result for operands that make one of its patterns, `None` for
/// operands that do not.
type Apply = fn(&[Arg]) -> Option<Result<Out, TorchError>>;

fn t(r: Result<Ct, TorchError>) -> Option<Result<Out, TorchError>> {
    Some(r.map(Out::T))
}

fn add(args: &[Arg]) -> Option<Result<Out, TorchError>> {
    match args {
        [Arg::T(a), Arg::N(v)] => t(ops::affine(a, 1.0, *v)),
        [Arg::T(a), Arg::T(b)] => t(ops::binary(a, Binary::Add, 1.0, b)),
        [Arg::T(a), Arg::N(s), Arg::T(b)] => t(ops::binary(a, Binary::Add, *s, b)),
        _ => None,
    }
}

fn csub(args: &[Arg]) -> Option<Result<Out, TorchError>> {
    match args {
        [Arg::T(a), Arg::N(v)] => t(ops::affine(a, 1.0, -*v)),
        [Arg::T(a), Arg::T(b)] => t(ops::binary(a, Binary::Sub, 1.0, b)),
        [Arg::T(a), Arg::N(s), Arg::T(b)] => t(ops::binary(a, Binary::Sub, *s, b)),
        _ => None,
    }
}

fn mul(args: &[Arg]) -> Option<Result<Out, TorchError>> {
    match args {
        [Arg::T(a), Arg::N(v)] => t(ops::affine(a, *v, 0.0)),
        _ => None,
    }
}

fn div(args: &[Arg]) -> Option<Result<Out, TorchError>> {
    match args {
        [Arg::T(a), Arg::N(v)] => t(a.to_candle().and_then(|x| Ok((x / *v)?))),
        _ => None,
    }
}

fn cmul(args: &[Arg]) -> Option<Result<Out, TorchError>> {
    match args {
        [Arg::T(a), Arg::T(b)] => t(ops::binary(a, Binary::Mul, 1.0, b)),
        _ => None,
    }
}

fn cdiv(args: &[Arg]) -> Option<Result<Out, TorchError>> {
    match args {
        [Arg::T(a), Arg::T(b)] => t(ops::binary(a, Binary::Div, 1.0, b)),
        _ => None,
    }
}

fn mm(args: &[Arg]) -> Option<Result<Out, TorchError>> {
    match args {
        [Arg::T(a), Arg::T(b)] => t(ops::mm(a, b)),
        _ => None,
    }
}

fn mv(args: &[Arg]) -> Option<Result<Out, TorchError>> {
    match args {
        [Arg::T(a), Arg::T(b)] => t(ops::mv(a, b)),
        _ => None,
    }
}

fn dot(args: &[Arg]) -> Option<Result<Out, TorchError>> {
    match args {
        [Arg::T(a), Arg::T(b)] => Some(ops::dot(a, b).map(Out::N)),
        _ => None,
    }
}

/// `[v1,] M, [v2,] m1, m2`: `v1 * M + v2 * (m1 * m2)`.
fn addmm(args: &[Arg]) -> Option<Result<Out, TorchError>> {
    match args {
        [Arg::T(m), Arg::T(a), Arg::T(b)] => t(ops::addmm(1.0, m, 1.0, a, b)),
        [Arg::N(v1), Arg::T(m), Arg::T(a), Arg::T(b)] => t(ops::addmm(*v1, m, 1.0, a, b)),
        [Arg::T(m), Arg::N(v2), Arg::T(a), Arg::T(b)] => t(ops::addmm(1.0, m, *v2, a, b)),
        [Arg::N(v1), Arg::T(m), Arg::N(v2), Arg::T(a), Arg::T(b)] => {
            t(ops::addmm(*v1, m, *v2, a, b))
        }
        _ => None,
    }
}

fn pow(args: &[Arg]) -> Option<Result<Out, TorchError>> {
    match args {
        [Arg::T(a), Arg::N(e)] => t(ops::pow(a, *e)),
        _ => None,
    }
}

fn clamp(args: &[Arg]) -> Option<Result<Out, TorchError>> {
    match args {
        [Arg::T(a), Arg::N(lo), Arg::N(hi)] if lo <= hi => t(ops::clamp(a, *lo, *hi)),
        [Arg::T(_), Arg::N(lo), Arg::N(hi)] => Some(Err(TorchError::new(format!(
            "clamp: min {lo} is greater than max {hi}"
        )))),
        _ => None,
    }
}

macro_rules! unary_ops {
    ($($name:ident => $op:expr),* $(,)?) => {
        $(fn $name(args: &[Arg]) -> Option<Result<Out, TorchError>> {
            match args {
                [Arg::T(a)] => t(ops::unary(a, $op)),
                _ => None,
            }
        })*
    };
}

unary_ops! {
    exp => Unary::Exp,
    log => Unary::Log,
    tanh => Unary::Tanh,
    sigmoid => Unary::Sigmoid,
    abs => Unary::Abs,
    sqrt => Unary::Sqrt,
    neg => Unary::Neg,
}

/// The operations, with the usage shown when no form fits.
const OPERATIONS: &[(&str, Apply, &str)] = &[
    (
        "add",
        add,
        "[res,] tensor, number | [res,] tensor1, [number,] tensor2",
    ),
    (
        "csub",
        csub,
        "[res,] tensor, number | [res,] tensor1, [number,] tensor2",
    ),
    ("mul", mul, "[res,] tensor, number"),
    ("div", div, "[res,] tensor, number"),
    ("cmul", cmul, "[res,] tensor1, tensor2"),
    ("cdiv", cdiv, "[res,] tensor1, tensor2"),
    ("mm", mm, "[res,] matrix1, matrix2"),
    ("mv", mv, "[res,] matrix, vector"),
    ("dot", dot, "tensor1, tensor2"),
    ("addmm", addmm, "[res,] [v1,] M, [v2,] matrix1, matrix2"),
    ("pow", pow, "[res,] tensor, number"),
    ("clamp", clamp, "[res,] tensor, min, max"),
    ("exp", exp, "[res,] tensor"),
    ("log", log, "[res,] tensor"),
    ("tanh", tanh, "[res,] tensor"),
    ("sigmoid", sigmoid, "[res,] tensor"),
    ("abs", abs, "[res,] tensor"),
    ("sqrt", sqrt, "[res,] tensor"),
    ("neg", neg, "[res,] tensor"),
];

/// Sets the method forms in the tensors' method table.
pub(crate) fn register_methods<'n>(cx: &mut Cx<'n>, methods: TableRef<'n>) {
    for (i, (name, _, _)) in OPERATIONS.iter().enumerate() {
        let f = cx.new_function(name, method_form, &[Val::Num(i as f64)]);
        cx.set_field(methods, name, f);
    }
}

/// Sets the `torch.f` forms in the module.
pub(crate) fn register_functions<'n>(cx: &mut Cx<'n>, module: TableRef<'n>) {
    for (i, (name, _, _)) in OPERATIONS.iter().enumerate() {
        let f = cx.new_function(name, function_form, &[Val::Num(i as f64)]);
        cx.set_field(module, name, f);
    }
}

fn operation<'n>(cx: &mut Cx<'n>) -> HostResult<'n, (&'static str, Apply, &'static str)> {
    let i = cx.upvalue(0).as_num().unwrap_or(-1.0);
    match OPERATIONS.get(i as usize) {
        Some(op) if i >= 0.0 => Ok(*op),
        _ => Err(cx.rt_error("torch: unknown operation")),
    }
}

/// The arguments as operands.
fn operands<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Vec<Arg>> {
    let mut out = Vec::with_capacity(a.len);
    for i in 1..=a.len {
        let v = cx.arg(a, i);
        match v {
            Val::Num(x) => out.push(Arg::N(x)),
            other => match tensor_of(cx, other) {
                Some(t) => out.push(Arg::T(t)),
                None => return Err(cx.arg_type_error(a, i, "number or torch.Tensor")),
            },
        }
    }
    Ok(out)
}

/// Charges the work of an operation before it runs (DESIGN.md decision 2): one pass
/// over every operand's bytes, and for the products one unit per multiply-add (about
/// what a byte of copying costs; `cube_lua`'s `BYTES_PER_REDUCTION` units make one
/// reduction). The factors of `mm`, `mv` and `addmm` are always the last two operands.
fn charge_work<'n>(cx: &mut Cx<'n>, name: &str, args: &[Arg]) -> HostResult<'n, ()> {
    let bytes: usize = args
        .iter()
        .map(|x| match x {
            Arg::T(t) => t.numel().saturating_mul(t.dtype().size_in_bytes()),
            Arg::N(_) => 0,
        })
        .fold(0, usize::saturating_add);
    let macs = match (name, args) {
        ("mm" | "mv" | "addmm", [.., Arg::T(a), Arg::T(b)]) => {
            let cols = b.sizes().get(1).copied().unwrap_or(1);
            a.numel().saturating_mul(cols)
        }
        _ => 0,
    };
    cx.charge_bytes(bytes.saturating_add(macs))
}

fn usage<'n>(cx: &mut Cx<'n>, name: &str, usage: &str) -> Val<'n> {
    cx.rt_error(&format!("{name}: invalid arguments, expected ({usage})"))
}

/// Puts `result` into the tensor `dest` (the userdata `dest_val`), see the module doc.
fn store<'n>(cx: &mut Cx<'n>, dest_val: Val<'n>, dest: &Tensor, result: &Ct) -> HostResult<'n, ()> {
    if dest.sizes() == result.dims() {
        return dest.assign_candle(result).map_err(|e| fail(cx, e));
    }
    let fresh = Tensor::from_candle(result, dest.dtype()).map_err(|e| fail(cx, e))?;
    adopt(cx, &fresh)?;
    match cx.userdata_mut::<Tensor>(dest_val) {
        Some(slot) => {
            *slot = fresh;
            Ok(())
        }
        None => Err(cx.rt_error("torch: the result tensor is not writable")),
    }
}

/// `t:f(...)`.
fn method_form<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let (name, apply, use_) = operation(cx)?;
    let args = operands(cx, a)?;
    charge_work(cx, name, &args)?;
    let dest = match args.first() {
        Some(Arg::T(t)) => t.clone(),
        _ => return Err(cx.arg_type_error(a, 1, "torch.Tensor")),
    };
    let outcome = match apply(&args[1..]) {
        Some(r) => r,
        None => match apply(&args) {
            Some(r) => r,
            None => return Err(usage(cx, name, use_)),
        },
    };
    match outcome.map_err(|e| fail(cx, e))? {
        Out::N(x) => cx.push(Val::Num(x)),
        Out::T(r) => {
            let dest_val = cx.arg(a, 1);
            store(cx, dest_val, &dest, &r)?;
            cx.push(dest_val);
        }
    }
    Ok(Ret::Values(1))
}

/// `torch.f(...)` and `torch.f(res, ...)`.
fn function_form<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let (name, apply, use_) = operation(cx)?;
    let args = operands(cx, a)?;
    charge_work(cx, name, &args)?;
    if let Some(outcome) = apply(&args) {
        let dtype = args.iter().find_map(|x| match x {
            Arg::T(t) => Some(t.dtype()),
            Arg::N(_) => None,
        });
        match outcome.map_err(|e| fail(cx, e))? {
            Out::N(x) => cx.push(Val::Num(x)),
            Out::T(r) => {
                let dtype = dtype.unwrap_or(crate::storage::DType::F64);
                let fresh = Tensor::from_candle(&r, dtype).map_err(|e| fail(cx, e))?;
                let v = tensor_val(cx, fresh)?;
                cx.push(v);
            }
        }
        return Ok(Ret::Values(1));
    }
    let (Some(Arg::T(dest)), Some(Some(outcome))) = (args.first(), args.get(1..).map(apply)) else {
        return Err(usage(cx, name, use_));
    };
    match outcome.map_err(|e| fail(cx, e))? {
        Out::N(x) => cx.push(Val::Num(x)),
        Out::T(r) => {
            let dest_val = cx.arg(a, 1);
            store(cx, dest_val, dest, &r)?;
            cx.push(dest_val);
        }
    }
    Ok(Ret::Values(1))
}

// ----- operators -----

pub(crate) const METAMETHODS: &[(&str, HostFn)] = &[
    ("__add", op_add),
    ("__sub", op_sub),
    ("__mul", op_mul),
    ("__div", op_div),
    ("__unm", op_unm),
];

/// Pushes a new tensor made from a candle result, of the type of `like`.
fn push_new<'n>(cx: &mut Cx<'n>, r: Result<Ct, TorchError>, like: &Tensor) -> HostResult<'n, Ret> {
    let r = r.map_err(|e| fail(cx, e))?;
    let fresh = Tensor::from_candle(&r, like.dtype()).map_err(|e| fail(cx, e))?;
    let v = tensor_val(cx, fresh)?;
    cx.push(v);
    Ok(Ret::Values(1))
}

fn two_operands<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, (Arg, Arg)> {
    let mut args = operands(
        cx,
        Args {
            base: a.base,
            len: a.len.min(2),
        },
    )?;
    if args.len() != 2 {
        return Err(cx.rt_error("torch: an operator needs two operands"));
    }
    // `t1 * t2` may be a matrix product: charge it as `mm` (the others as one pass).
    charge_work(cx, "mm", &args)?;
    let y = args.pop();
    let x = args.pop();
    match (x, y) {
        (Some(x), Some(y)) => Ok((x, y)),
        _ => Err(cx.rt_error("torch: an operator needs two operands")),
    }
}

fn op_add<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    match two_operands(cx, a)? {
        (Arg::T(x), Arg::N(n)) | (Arg::N(n), Arg::T(x)) => {
            push_new(cx, ops::affine(&x, 1.0, n), &x)
        }
        (Arg::T(x), Arg::T(y)) => push_new(cx, ops::binary(&x, Binary::Add, 1.0, &y), &x),
        (Arg::N(_), Arg::N(_)) => Err(cx.rt_error("torch: no tensor operand")),
    }
}

fn op_sub<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    match two_operands(cx, a)? {
        (Arg::T(x), Arg::N(n)) => push_new(cx, ops::affine(&x, 1.0, -n), &x),
        (Arg::N(n), Arg::T(x)) => push_new(cx, ops::affine(&x, -1.0, n), &x),
        (Arg::T(x), Arg::T(y)) => push_new(cx, ops::binary(&x, Binary::Sub, 1.0, &y), &x),
        (Arg::N(_), Arg::N(_)) => Err(cx.rt_error("torch: no tensor operand")),
    }
}

fn op_mul<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    match two_operands(cx, a)? {
        (Arg::T(x), Arg::N(n)) | (Arg::N(n), Arg::T(x)) => {
            push_new(cx, ops::affine(&x, n, 0.0), &x)
        }
        (Arg::T(x), Arg::T(y)) => match (x.dim(), y.dim()) {
            (1, 1) => {
                let d = ops::dot(&x, &y).map_err(|e| fail(cx, e))?;
                cx.push(Val::Num(d));
                Ok(Ret::Values(1))
            }
            (2, 1) => push_new(cx, ops::mv(&x, &y), &x),
            (2, 2) => push_new(cx, ops::mm(&x, &y), &x),
            _ => Err(cx.rt_error(&format!(
                "multiplication between {} and {} is not defined (vectors and matrices only)",
                shape_text(x.sizes()),
                shape_text(y.sizes())
            ))),
        },
        (Arg::N(_), Arg::N(_)) => Err(cx.rt_error("torch: no tensor operand")),
    }
}

fn op_div<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    match two_operands(cx, a)? {
        (Arg::T(x), Arg::N(n)) => push_new(cx, x.to_candle().and_then(|c| Ok((c / n)?)), &x),
        _ => Err(
            cx.rt_error("tensor division is only by a number (use cdiv for elementwise division)")
        ),
    }
}

fn op_unm<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let v = cx.arg(a, 1);
    match tensor_of(cx, v) {
        Some(x) => push_new(cx, ops::unary(&x, Unary::Neg), &x),
        None => Err(cx.arg_type_error(a, 1, "torch.Tensor")),
    }
}
