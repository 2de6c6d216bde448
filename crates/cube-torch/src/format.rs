//! `tostring` of tensors and size storages in Torch7's exact layout.
//!
//! Matched from torch7's `Tensor.lua` (`Storage__printformat`, `Tensor__printMatrix`,
//! `Tensor__printTensor`, `__tostring__`), last version:
//! - one number format for the whole tensor, chosen from all its values: integers print
//!   as `%Nd` with N = digits of the largest magnitude + 1 (or `%11.4e` past 9 digits);
//!   other values as `%11.4e` when the magnitudes span more than 4 decades (`%12.4e`
//!   with three-digit exponents), else `%N.4f` with N = 7, or digits + 6; when the
//!   largest magnitude has more than 5 integer digits or is below 0.1, the values are
//!   divided by a power of ten shown first as `1e+06 *` (`%g`);
//! - a matrix prints as rows of columns separated by one space, split into blocks of
//!   `floor(80 / (width + 1))` columns headed `Columns i to j` when it is wider;
//! - a tensor of 3 or more dimensions prints each 2-d slice under `(i,j,.,.) = `, the
//!   first index varying fastest, rows indented by one space;
//! - the last line is `[torch.DoubleTensor of size 2x3]`, then a newline.
//!
//! NaN: Torch7's magnitude of a tensor holding NaN is NaN, its computed width is NaN,
//! and its format falls back to `%f` for every value in one block of columns; cube
//! does the same. Infinities follow the rules above as Lua computes them (`inf` is an
//! integer, so `%11.4e`).

/// How each number is written.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Style {
    /// `%Nd`.
    Int(usize),
    /// `%N.4f`.
    Fixed(usize),
    /// `%N.4e`.
    Exp(usize),
    /// `%f` (the NaN fallback).
    Plain,
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct Format {
    style: Style,
    /// The power of ten the values are divided by, if not 1.
    scale: Option<f64>,
    /// The column width that decides how many columns fit on a line (NaN: no limit).
    width: f64,
}

/// `floor(log10(x)) + 1` for a magnitude, with Torch7's 1 for zero.
fn exponent(x: f64) -> f64 {
    if x == 0.0 {
        1.0
    } else {
        x.log10().floor() + 1.0
    }
}

/// NaN-propagating min and max of the magnitudes (TH's `minall`/`maxall`).
fn magnitude_range(values: &[f64]) -> (f64, f64) {
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for &v in values {
        let a = v.abs();
        if a.is_nan() {
            return (f64::NAN, f64::NAN);
        }
        lo = lo.min(a);
        hi = hi.max(a);
    }
    (lo, hi)
}

/// `e > 5 or e < 0`, false for NaN as in Lua (`!(0.0..=5.0).contains(&e)` would be
/// true for NaN).
#[allow(clippy::manual_range_contains)]
fn outside_0_to_5(e: f64) -> bool {
    e > 5.0 || e < 0.0
}

fn choose_format(values: &[f64]) -> Format {
    let int_mode = values.iter().all(|v| *v == v.ceil());
    let (lo, hi) = magnitude_range(values);
    let (exp_min, exp_max) = (exponent(lo), exponent(hi));
    let mut scale = None;
    let (style, width) = if int_mode {
        if exp_max > 9.0 {
            (Style::Exp(11), 11.0)
        } else {
            let w = exp_max + 1.0;
            (Style::Int(w as usize), w)
        }
    } else if exp_max - exp_min > 4.0 {
        let w = if exp_max.abs() > 99.0 || exp_min.abs() > 99.0 {
            12.0
        } else {
            11.0
        };
        (Style::Exp(w as usize), w)
    } else if outside_0_to_5(exp_max) {
        scale = Some(10f64.powf(exp_max - 1.0));
        (Style::Fixed(7), 7.0)
    } else {
        let w = if exp_max == 0.0 { 7.0 } else { exp_max + 6.0 };
        if w.is_nan() {
            (Style::Plain, f64::NAN)
        } else {
            (Style::Fixed(w as usize), w)
        }
    };
    Format {
        style,
        scale: scale.filter(|s| *s != 1.0),
        width,
    }
}

/// C's text for a non-finite number (`nan`, `-nan`, `inf`, `-inf`).
fn non_finite(x: f64) -> String {
    let sign = if x.is_sign_negative() { "-" } else { "" };
    if x.is_nan() {
        format!("{sign}nan")
    } else {
        format!("{sign}inf")
    }
}

/// C's `%.{prec}e`: at least two exponent digits, with a sign.
fn c_exp(x: f64, prec: usize) -> String {
    if !x.is_finite() {
        return non_finite(x);
    }
    let s = format!("{x:.prec$e}");
    match s.split_once('e') {
        Some((mantissa, exp)) => {
            let (sign, digits) = match exp.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', exp),
            };
            format!("{mantissa}e{sign}{digits:0>2}")
        }
        None => s,
    }
}

/// C's `%g` of a power of ten `10^k` (the only numbers Torch7 prints with `%g`).
fn c_g_pow10(scale: f64) -> String {
    let k = scale.log10().round() as i64;
    if (-4..6).contains(&k) {
        if k >= 0 {
            format!("1{}", "0".repeat(k as usize))
        } else {
            format!("0.{}1", "0".repeat((-k - 1) as usize))
        }
    } else {
        let sign = if k < 0 { '-' } else { '+' };
        format!("1e{sign}{:02}", k.abs())
    }
}

fn write_number(out: &mut String, x: f64, style: Style) {
    let text = match style {
        // Lua 5.1's `%d` truncates the double to an integer.
        Style::Int(w) if x.is_finite() => format!("{:>w$}", x as i64),
        Style::Int(w) => format!("{:>w$}", non_finite(x)),
        Style::Fixed(w) if x.is_finite() => format!("{x:>w$.4}"),
        Style::Fixed(w) => format!("{:>w$}", non_finite(x)),
        Style::Exp(w) => format!("{:>w$}", c_exp(x, 4)),
        Style::Plain if x.is_finite() => format!("{x:.6}"),
        Style::Plain => non_finite(x),
    };
    out.push_str(&text);
}

/// The lines of a 1-d sequence (a 1-d tensor or a storage): one number per line.
fn write_column(out: &mut String, values: &[f64]) {
    let f = choose_format(values);
    let scale = f.scale.unwrap_or(1.0);
    if let Some(s) = f.scale {
        out.push_str(&c_g_pow10(s));
        out.push_str(" *\n");
    }
    for &v in values {
        write_number(out, v / scale, f.style);
        out.push('\n');
    }
}

/// One matrix (`rows` x `cols`, row-major `values`) with the tensor-wide format `f`.
fn write_matrix(
    out: &mut String,
    values: &[f64],
    rows: usize,
    cols: usize,
    f: Format,
    indent: &str,
) {
    let scale = f.scale.unwrap_or(1.0);
    out.push_str(indent);
    let per_line = ((80 - indent.len()) as f64 / (f.width + 1.0)).floor();
    // With a NaN width, Torch7's comparisons are all false: one block, no header.
    let per_line = if per_line.is_nan() {
        cols
    } else {
        (per_line as usize).max(1)
    };
    let mut first = 0;
    while first < cols {
        let last = (first + per_line).min(cols);
        if per_line < cols {
            if first != 0 {
                out.push('\n');
            }
            out.push_str(&format!("Columns {} to {}\n{indent}", first + 1, last));
        }
        if let Some(s) = f.scale {
            out.push_str(&format!("{} *\n {indent}", c_g_pow10(s)));
        }
        for r in 0..rows {
            for c in first..last {
                write_number(out, values[r * cols + c] / scale, f.style);
                if c + 1 == last {
                    out.push('\n');
                    if r + 1 != rows {
                        out.push_str(indent);
                        if f.scale.is_some() {
                            out.push(' ');
                        }
                    }
                } else {
                    out.push(' ');
                }
            }
        }
        first = last;
    }
}

/// `tostring(t)` for a tensor of class `name`, sizes `sizes` and row-major `values`.
pub fn tensor_text(name: &str, sizes: &[usize], values: &[f64]) -> String {
    let mut out = String::new();
    if sizes.is_empty() || values.is_empty() {
        out.push_str(&format!("[{name} with no dimension]\n"));
        return out;
    }
    match sizes.len() {
        1 => write_column(&mut out, values),
        2 => write_matrix(
            &mut out,
            values,
            sizes[0],
            sizes[1],
            choose_format(values),
            "",
        ),
        nd => {
            let f = choose_format(values);
            let (rows, cols) = (sizes[nd - 2], sizes[nd - 1]);
            let outer = &sizes[..nd - 2];
            let mut counter = vec![0usize; outer.len()];
            let slices = values.len() / (rows * cols);
            for k in 0..slices {
                if k > 0 {
                    out.push('\n');
                }
                out.push('(');
                for c in &counter {
                    out.push_str(&format!("{},", c + 1));
                }
                out.push_str(".,.) = \n");
                // Row-major offset of the slice at `counter`.
                let mut slice = 0;
                for (d, c) in counter.iter().enumerate() {
                    slice = slice * outer[d] + c;
                }
                let start = slice * rows * cols;
                write_matrix(
                    &mut out,
                    &values[start..start + rows * cols],
                    rows,
                    cols,
                    f,
                    " ",
                );
                // Torch7 advances the first index fastest.
                for d in 0..counter.len() {
                    counter[d] += 1;
                    if counter[d] < outer[d] {
                        break;
                    }
                    counter[d] = 0;
                }
            }
        }
    }
    let dims: Vec<String> = sizes.iter().map(|s| s.to_string()).collect();
    out.push_str(&format!("[{name} of size {}]\n", dims.join("x")));
    out
}

/// `tostring` of a storage of class `name` (`torch.LongStorage` for sizes).
pub fn storage_text(name: &str, values: &[f64]) -> String {
    let mut out = String::from("\n");
    if !values.is_empty() {
        write_column(&mut out, values);
    }
    out.push_str(&format!("[{name} of size {}]\n", values.len()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c_formats() {
        assert_eq!(c_exp(12345.678, 4), "1.2346e+04");
        assert_eq!(c_exp(1e-120, 4), "1.0000e-120");
        assert_eq!(c_g_pow10(1e6), "1e+06");
        assert_eq!(c_g_pow10(1e5), "100000");
        assert_eq!(c_g_pow10(1e-4), "0.0001");
        assert_eq!(c_g_pow10(1e-5), "1e-05");
    }

    #[test]
    fn integer_matrix() {
        let s = tensor_text("torch.DoubleTensor", &[2, 3], &[0.0; 6]);
        assert_eq!(s, " 0  0  0\n 0  0  0\n[torch.DoubleTensor of size 2x3]\n");
        let s = tensor_text("torch.DoubleTensor", &[2, 2], &[1.0, -20.0, 3.0, 4.0]);
        assert_eq!(s, "  1 -20\n  3   4\n[torch.DoubleTensor of size 2x2]\n");
    }

    #[test]
    fn fractions_and_scale() {
        let s = tensor_text("torch.DoubleTensor", &[2], &[0.5, 1.25]);
        assert_eq!(s, " 0.5000\n 1.2500\n[torch.DoubleTensor of size 2]\n");
        let s = tensor_text("torch.DoubleTensor", &[2], &[1234567.5, 2.0e6]);
        assert_eq!(
            s,
            "1e+06 *\n 1.2346\n 2.0000\n[torch.DoubleTensor of size 2]\n"
        );
        let s = tensor_text("torch.DoubleTensor", &[1, 2], &[0.01, 0.02]);
        assert_eq!(
            s,
            "0.01 *\n  1.0000  2.0000\n[torch.DoubleTensor of size 1x2]\n"
        );
        let s = tensor_text("torch.DoubleTensor", &[2], &[1e-3, 100.5]);
        assert_eq!(
            s,
            " 1.0000e-03\n 1.0050e+02\n[torch.DoubleTensor of size 2]\n"
        );
    }

    #[test]
    fn wide_matrix_and_3d() {
        let v: Vec<f64> = (0..30).map(|i| i as f64).collect();
        let s = tensor_text("torch.DoubleTensor", &[1, 30], &v);
        assert!(s.starts_with("Columns 1 to 20\n  0   1"), "{s}");
        assert!(s.contains("\nColumns 21 to 30\n 20  21"), "{s}");
        let v: Vec<f64> = (1..=8).map(|i| i as f64).collect();
        let s = tensor_text("torch.FloatTensor", &[2, 2, 2], &v);
        assert_eq!(
            s,
            "(1,.,.) = \n  1  2\n  3  4\n\n(2,.,.) = \n  5  6\n  7  8\n[torch.FloatTensor of size 2x2x2]\n"
        );
    }

    #[test]
    fn nan_and_empty() {
        let s = tensor_text("torch.DoubleTensor", &[2], &[f64::NAN, 1.0]);
        assert_eq!(s, "nan\n1.000000\n[torch.DoubleTensor of size 2]\n");
        let s = tensor_text("torch.DoubleTensor", &[], &[]);
        assert_eq!(s, "[torch.DoubleTensor with no dimension]\n");
        assert_eq!(
            storage_text("torch.LongStorage", &[2.0, 3.0]),
            "\n 2\n 3\n[torch.LongStorage of size 2]\n"
        );
    }
}
