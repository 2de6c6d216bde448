//! The `os` library (Lua 5.2's `loslib.c`).
//!
//! Dates and times go through the C library (`localtime_r`, `gmtime_r`, `mktime`,
//! `strftime`, `clock`) so that time zones, normalisation of out-of-range fields and the
//! text of every conversion are exactly what `lua5.2` produces. Only the "C" locale
//! exists in cube: `os.setlocale` reports it and accepts nothing else.

use super::bit32::{c_int, c_integer};
use crate::gc::Gc;
use crate::state::{Args, LResult, Ret, State};
use crate::table::Table;
use crate::tm::TM;
use crate::value::Value;
use std::ffi::{CStr, CString};
use std::io::Write;

extern "C" {
    /// C's `clock()` (`clock_t` is `long` on Linux; the libc crate omits it there).
    fn clock() -> libc::c_long;
}

/// `CLOCKS_PER_SEC` as POSIX fixes it.
const CLOCKS_PER_SEC: f64 = 1_000_000.0;

pub fn open(st: &mut State) {
    let t = super::new_lib(st, "os");
    st.register(
        t,
        &[
            ("clock", os_clock),
            ("date", date),
            ("difftime", difftime),
            ("execute", execute),
            ("exit", exit),
            ("getenv", getenv),
            ("remove", remove),
            ("rename", rename),
            ("setlocale", setlocale),
            ("time", time),
            ("tmpname", tmpname),
        ],
    );
}

/// The bytes a C function sees for a Lua string: everything up to the first NUL.
fn c_string(bytes: &[u8]) -> CString {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    CString::new(&bytes[..end]).unwrap_or_default()
}

/// `luaL_checkstring` converted for a C call.
fn check_cstr(st: &mut State, a: Args, n: usize) -> LResult<CString> {
    let s = st.check_str(a, n)?;
    Ok(c_string(s.as_bytes()))
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// `luaL_fileresult`: `true`, or `nil, "[NAME: ]strerror", errno`.
fn file_result(st: &mut State, ok: bool, name: Option<&[u8]>) -> LResult<Ret> {
    if ok {
        st.push(Value::Bool(true));
        return Ok(Ret::Values(1));
    }
    let en = errno();
    let text = super::os_error_text(&std::io::Error::from_raw_os_error(en));
    let mut msg = Vec::new();
    if let Some(name) = name {
        msg.extend_from_slice(name);
        msg.extend_from_slice(b": ");
    }
    msg.extend_from_slice(text.as_bytes());
    st.push(Value::Nil);
    let m = st.new_string(msg);
    st.push(m);
    st.push(Value::Num(en as f64));
    Ok(Ret::Values(3))
}

fn os_clock(st: &mut State, _a: Args) -> LResult<Ret> {
    // SAFETY: clock() has no preconditions.
    let c = unsafe { clock() };
    st.push(Value::Num(c as f64 / CLOCKS_PER_SEC));
    Ok(Ret::Values(1))
}

/// Flushes cube's buffered standard output before the shell writes to the same stream,
/// so output appears in program order.
fn flush_stdout(st: &mut State) {
    let _ = st.stdout.flush();
}

/// `os.execute([cmd])`: `system(3)`; with a command, `true|nil, "exit"|"signal", code`.
fn execute(st: &mut State, a: Args) -> LResult<Ret> {
    let cmd = st.opt_str(a, 1)?.map(|s| c_string(s.as_bytes()));
    flush_stdout(st);
    let ptr = cmd.as_ref().map_or(std::ptr::null(), |c| c.as_ptr());
    // SAFETY: `ptr` is null or a NUL-terminated string that outlives the call.
    let stat = unsafe { libc::system(ptr) };
    if cmd.is_none() {
        st.push(Value::Bool(stat != 0));
        return Ok(Ret::Values(1));
    }
    if stat == -1 {
        return file_result(st, false, None);
    }
    let (what, code) = if libc::WIFEXITED(stat) {
        ("exit", libc::WEXITSTATUS(stat))
    } else if libc::WIFSIGNALED(stat) {
        ("signal", libc::WTERMSIG(stat))
    } else {
        ("exit", stat)
    };
    st.push(if what == "exit" && code == 0 {
        Value::Bool(true)
    } else {
        Value::Nil
    });
    st.push_str(what.as_bytes());
    st.push(Value::Num(code as f64));
    Ok(Ret::Values(3))
}

/// `os.exit([code [, close]])`: `true`/`false` are success/failure; buffered output is
/// flushed as C's `exit` flushes stdio.
fn exit(st: &mut State, a: Args) -> LResult<Ret> {
    let status = match st.arg(a, 1) {
        Value::Bool(b) => {
            if b {
                0
            } else {
                1
            }
        }
        _ => st.opt_int(a, 1, 0)?,
    };
    flush_stdout(st);
    std::process::exit(status as i32)
}

fn getenv(st: &mut State, a: Args) -> LResult<Ret> {
    let name = check_cstr(st, a, 1)?;
    // SAFETY: `name` is NUL-terminated; the result is copied before any other libc call.
    let v = unsafe {
        let p = libc::getenv(name.as_ptr());
        if p.is_null() {
            None
        } else {
            Some(CStr::from_ptr(p).to_bytes().to_vec())
        }
    };
    match v {
        Some(bytes) => {
            let s = st.new_string(bytes);
            st.push(s);
        }
        None => st.push(Value::Nil),
    }
    Ok(Ret::Values(1))
}

/// `os.remove(name)`: C's `remove`, which also removes empty directories.
fn remove(st: &mut State, a: Args) -> LResult<Ret> {
    let s = st.check_str(a, 1)?;
    let name = c_string(s.as_bytes());
    // SAFETY: NUL-terminated path.
    let ok = unsafe { libc::remove(name.as_ptr()) } == 0;
    file_result(st, ok, Some(name.as_bytes()))
}

/// `os.rename(from, to)`: 5.2.4's error message carries no file name.
fn rename(st: &mut State, a: Args) -> LResult<Ret> {
    let from = check_cstr(st, a, 1)?;
    let to = check_cstr(st, a, 2)?;
    // SAFETY: NUL-terminated paths.
    let ok = unsafe { libc::rename(from.as_ptr(), to.as_ptr()) } == 0;
    file_result(st, ok, None)
}

/// `os.setlocale([locale [, category]])`: only the "C" locale (also spelled "" and
/// "POSIX") is available.
fn setlocale(st: &mut State, a: Args) -> LResult<Ret> {
    const CATEGORIES: [&str; 6] = ["all", "collate", "ctype", "monetary", "numeric", "time"];
    let l = st.opt_str(a, 1)?;
    st.check_option(a, 2, Some("all"), &CATEGORIES)?;
    let known = match l {
        None => true,
        Some(s) => matches!(s.as_bytes(), b"C" | b"" | b"POSIX"),
    };
    if known {
        st.push_str(b"C");
    } else {
        st.push(Value::Nil);
    }
    Ok(Ret::Values(1))
}

/// `os.tmpname()`: creates the file with `mkstemp`, as 5.2 does on POSIX systems.
fn tmpname(st: &mut State, _a: Args) -> LResult<Ret> {
    let mut template = *b"/tmp/lua_XXXXXX\0";
    // SAFETY: the template is writable and NUL-terminated.
    let fd = unsafe { libc::mkstemp(template.as_mut_ptr() as *mut libc::c_char) };
    if fd == -1 {
        return Err(st.rt_error("unable to generate a unique filename"));
    }
    // SAFETY: `fd` was just opened by mkstemp.
    unsafe { libc::close(fd) };
    st.push_str(&template[..template.len() - 1]);
    Ok(Ret::Values(1))
}

/// `os.difftime(t2 [, t1])`: both are converted to `time_t` (truncated) first.
fn difftime(st: &mut State, a: Args) -> LResult<Ret> {
    let t2 = c_integer(st.check_number(a, 1)?);
    let t1 = c_integer(st.opt_number(a, 2, 0.0)?);
    st.push(Value::Num(t2 as f64 - t1 as f64));
    Ok(Ret::Values(1))
}

// ----- os.time -----

/// `t[key]` as `lua_getfield` would see it, following `__index` tables (an `__index`
/// function is not called: a documented difference from 5.2).
fn get_field(st: &mut State, t: Gc<Table>, key: &str) -> Value {
    let mut cur = t;
    for _ in 0..100 {
        let v = st.get_field(cur, key);
        if !v.is_nil() {
            return v;
        }
        match st.tm_of(cur.meta, TM::Index) {
            Some(Value::Table(next)) => cur = next,
            _ => return Value::Nil,
        }
    }
    Value::Nil
}

/// `getfield` of loslib: an integer field, its default, or an error if it has none.
fn int_field(st: &mut State, t: Gc<Table>, key: &str, default: Option<i64>) -> LResult<i32> {
    let v = get_field(st, t, key);
    match (State::to_num_coerce(&v), default) {
        (Some(x), _) => Ok(c_int(x) as i32),
        (None, Some(d)) => Ok(d as i32),
        (None, None) => Err(st.rt_error(&format!("field '{key}' missing in date table"))),
    }
}

/// `os.time([t])`: now, or the table's local time normalised by `mktime`.
fn time(st: &mut State, a: Args) -> LResult<Ret> {
    let t = if st.arg(a, 1).is_nil() {
        // SAFETY: time(NULL) has no preconditions.
        unsafe { libc::time(std::ptr::null_mut()) }
    } else {
        let tab = st.check_table(a, 1)?;
        // SAFETY: an all-zero `tm` is a valid value (null tm_zone included).
        let mut ts: libc::tm = unsafe { std::mem::zeroed() };
        ts.tm_sec = int_field(st, tab, "sec", Some(0))?;
        ts.tm_min = int_field(st, tab, "min", Some(0))?;
        ts.tm_hour = int_field(st, tab, "hour", Some(12))?;
        ts.tm_mday = int_field(st, tab, "day", None)?;
        ts.tm_mon = int_field(st, tab, "month", None)?.wrapping_sub(1);
        ts.tm_year = int_field(st, tab, "year", None)?.wrapping_sub(1900);
        ts.tm_isdst = match get_field(st, tab, "isdst") {
            Value::Nil => -1,
            v => v.truthy() as i32,
        };
        // SAFETY: `ts` is a valid, exclusively borrowed `tm`.
        unsafe { libc::mktime(&mut ts) }
    };
    st.push(if t == -1 {
        Value::Nil
    } else {
        Value::Num(t as f64)
    });
    Ok(Ret::Values(1))
}

// ----- os.date -----

/// Conversions `strftime` accepts on POSIX systems (5.2.4's `LUA_STRFTIMEOPTIONS`):
/// pairs of (first characters, allowed second characters; empty for one-character ones).
const STRFTIME_OPTIONS: [(&[u8], &[u8]); 3] = [
    (b"aAbBcCdDeFgGhHIjmMnprRStTuUVwWxXyYzZ%", b""),
    (b"E", b"cCxXyY"),
    (b"O", b"deHImMSuUVwWy"),
];

/// Length of the conversion specifier at the start of `conv` (after the `%`), if valid.
fn conversion_len(conv: &[u8]) -> Option<usize> {
    let c = *conv.first()?;
    for (first, second) in STRFTIME_OPTIONS {
        if !first.contains(&c) {
            continue;
        }
        if second.is_empty() {
            return Some(1);
        }
        if let Some(c2) = conv.get(1) {
            if second.contains(c2) {
                return Some(2);
            }
        }
    }
    None
}

/// Broken-down time of `t`, in UTC or local time; `None` if the C library cannot.
fn broken_down(t: libc::time_t, utc: bool) -> Option<libc::tm> {
    // SAFETY: an all-zero `tm` is valid; both pointers are valid for the call.
    unsafe {
        let mut out: libc::tm = std::mem::zeroed();
        let p = if utc {
            libc::gmtime_r(&t, &mut out)
        } else {
            libc::localtime_r(&t, &mut out)
        };
        if p.is_null() {
            None
        } else {
            Some(out)
        }
    }
}

/// `os.date("*t")`: the fields of a broken-down time.
fn push_date_table(st: &mut State, tm: &libc::tm) {
    let t = st.new_table_with(0, 9);
    let fields = [
        ("sec", tm.tm_sec),
        ("min", tm.tm_min),
        ("hour", tm.tm_hour),
        ("day", tm.tm_mday),
        ("month", tm.tm_mon + 1),
        ("year", tm.tm_year + 1900),
        ("wday", tm.tm_wday + 1),
        ("yday", tm.tm_yday + 1),
    ];
    for (k, v) in fields {
        st.set_field(t, k, Value::Num(v as f64));
    }
    if tm.tm_isdst >= 0 {
        st.set_field(t, "isdst", Value::Bool(tm.tm_isdst != 0));
    }
    st.push(Value::Table(t));
}

/// Expands a format with `strftime`, one conversion at a time, as 5.2 does (each
/// conversion's output is limited to 199 bytes, like its 200-byte buffer).
fn format_date(st: &mut State, fmt: &[u8], tm: &libc::tm) -> LResult<Vec<u8>> {
    let mut out = Vec::with_capacity(fmt.len() * 2);
    let mut i = 0;
    while i < fmt.len() {
        if fmt[i] != b'%' {
            out.push(fmt[i]);
            i += 1;
            continue;
        }
        let conv = &fmt[i + 1..];
        let Some(n) = conversion_len(conv) else {
            let msg = format!(
                "invalid conversion specifier '%{}'",
                String::from_utf8_lossy(conv)
            );
            return Err(st.arg_error(1, &msg));
        };
        let mut spec = vec![b'%'];
        spec.extend_from_slice(&conv[..n]);
        spec.push(0);
        let mut buf = [0u8; 200];
        // SAFETY: `buf` is writable for its length, `spec` is NUL-terminated and `tm` valid.
        let len = unsafe {
            libc::strftime(
                buf.as_mut_ptr() as *mut libc::c_char,
                buf.len(),
                spec.as_ptr() as *const libc::c_char,
                tm,
            )
        };
        out.extend_from_slice(&buf[..len.min(buf.len())]);
        i += 1 + n;
    }
    Ok(out)
}

/// `os.date([format [, time]])`.
fn date(st: &mut State, a: Args) -> LResult<Ret> {
    let fmt = match st.opt_str(a, 1)? {
        Some(s) => s.as_bytes().to_vec(),
        None => b"%c".to_vec(),
    };
    let t = if st.arg(a, 2).is_nil() {
        // SAFETY: time(NULL) has no preconditions.
        unsafe { libc::time(std::ptr::null_mut()) }
    } else {
        c_integer(st.check_number(a, 2)?)
    };
    // C sees the format only up to its first NUL.
    let end = fmt.iter().position(|&b| b == 0).unwrap_or(fmt.len());
    let mut fmt = &fmt[..end];
    let utc = fmt.first() == Some(&b'!');
    if utc {
        fmt = &fmt[1..];
    }
    let Some(tm) = broken_down(t, utc) else {
        st.push(Value::Nil);
        return Ok(Ret::Values(1));
    };
    if fmt == b"*t" {
        push_date_table(st, &tm);
    } else {
        let out = format_date(st, fmt, &tm)?;
        let s = st.new_string(out);
        st.push(s);
    }
    Ok(Ret::Values(1))
}
