//! The `io` library (`liolib.c` of Lua 5.2.4): file handles are full userdata holding an
//! [`LFile`] with the shared metatable `registry["FILE*"]`; the default input and output
//! files live in `registry._IO_input` / `registry._IO_output`, as in PUC.
//!
//! Standard output goes through `State::stdout` (the buffer `print` writes to) so the
//! order of `print` and `io.write` output is kept; reading standard input flushes it first,
//! as an interactive C program's line-buffered stdout would.

mod stream;

pub use stream::{Backend, LFile, VBuf};

use crate::gc::Gc;
use crate::state::{Args, LResult, Ret, State};
use crate::table::Table;
use crate::value::Value;
use std::io::{SeekFrom, Write};

const HANDLE: &str = "FILE*";
const IO_INPUT: &str = "_IO_input";
const IO_OUTPUT: &str = "_IO_output";
/// Most formats `lines` passes on (`LUA_MINSTACK - 3`).
const MAX_LINE_FORMATS: usize = 17;

pub fn open(st: &mut State) {
    let meta = st.new_table();
    st.register(
        meta,
        &[
            ("close", f_close),
            ("flush", f_flush),
            ("lines", f_lines),
            ("read", f_read),
            ("seek", f_seek),
            ("setvbuf", f_setvbuf),
            ("write", f_write),
            ("__gc", f_gc),
            ("__tostring", f_tostring),
        ],
    );
    st.set_field(meta, "__index", Value::Table(meta));
    let reg = st.registry;
    st.set_field(reg, HANDLE, Value::Table(meta));
    let t = super::new_lib(st, "io");
    st.register(
        t,
        &[
            ("close", io_close),
            ("flush", io_flush),
            ("input", io_input),
            ("lines", io_lines),
            ("open", io_open),
            ("output", io_output),
            ("popen", io_popen),
            ("read", io_read),
            ("tmpfile", io_tmpfile),
            ("type", io_type),
            ("write", io_write),
        ],
    );
    let stdin = new_file(st, Backend::Stdin);
    let stdout = new_file(st, Backend::Stdout);
    let stderr = new_file(st, Backend::Stderr);
    st.set_field(t, "stdin", stdin);
    st.set_field(t, "stdout", stdout);
    st.set_field(t, "stderr", stderr);
    st.set_field(reg, IO_INPUT, stdin);
    st.set_field(reg, IO_OUTPUT, stdout);
}

// ----- handles -----

fn handle_meta(st: &mut State) -> Option<Gc<Table>> {
    let reg = st.registry;
    st.get_field(reg, HANDLE).as_table()
}

/// A new file handle userdata.
pub(crate) fn new_file(st: &mut State, backend: Backend) -> Value {
    let meta = handle_meta(st);
    st.new_userdata(LFile::new(backend), meta)
}

/// A handle for a file opened with `mode` (which was checked by `valid_mode`).
fn new_file_mode(st: &mut State, f: std::fs::File, mode: &[u8]) -> Value {
    let plus = mode.contains(&b'+');
    let read = mode.first() == Some(&b'r') || plus;
    let write = mode.first() != Some(&b'r') || plus;
    let meta = handle_meta(st);
    st.new_userdata(LFile::with_access(Backend::File(f), read, write), meta)
}

/// The `LFile` of a value if it is a file handle (`luaL_testudata`).
///
/// # Safety
/// The reference is not tied to `st` (the natives use the file and the state at once).
/// For its whole lifetime `'a`, the caller must: keep the handle reachable (an
/// argument of the running native, an upvalue of the running `lines` iterator, or the
/// registry's default file, which the natives holding it do not replace), use it only
/// within the running native's call, and make no second reference to the same file
/// (no second call of these functions on the same handle, no Lua code run meanwhile).
unsafe fn as_file<'a>(st: &mut State, v: &Value) -> Option<&'a mut LFile> {
    // A standard handle of a shared image: use this state's own copy (crate::image).
    let v = &st.unshare_value(*v);
    let meta = handle_meta(st)?;
    match v {
        Value::UserData(u) if u.meta.is_some_and(|m| m.ptr_eq(meta)) => {
            // SAFETY: the caller's contract is `userdata_mut_unbound`'s (which also
            // makes this state's own copy of a standard handle of a shared image).
            unsafe { st.userdata_mut_unbound::<LFile>(v) }
        }
        _ => None,
    }
}

/// `luaL_checkudata(L, n, "FILE*")`.
///
/// # Safety
/// As for [`as_file`], for argument `n`.
unsafe fn check_handle<'a>(st: &mut State, a: Args, n: usize) -> LResult<&'a mut LFile> {
    let v = st.arg(a, n);
    // SAFETY: the caller's contract.
    match unsafe { as_file(st, &v) } {
        Some(f) => Ok(f),
        None => Err(st.arg_type_error(a, n, HANDLE)),
    }
}

/// `tofile`: a handle that is still open.
///
/// # Safety
/// As for [`as_file`], for argument `n`.
unsafe fn check_open<'a>(st: &mut State, a: Args, n: usize) -> LResult<&'a mut LFile> {
    // SAFETY: the caller's contract.
    let f = unsafe { check_handle(st, a, n) }?;
    if f.is_closed() {
        return Err(st.rt_error("attempt to use a closed file"));
    }
    Ok(f)
}

/// `getiofile`: the default input or output file, which must be open.
///
/// # Safety
/// As for [`as_file`], for the registry's default file `key`.
unsafe fn default_file<'a>(st: &mut State, key: &str) -> LResult<(Value, &'a mut LFile)> {
    let reg = st.registry;
    let v = st.get_field(reg, key);
    let v = st.unshare_value(v);
    // SAFETY: the caller's contract.
    match unsafe { as_file(st, &v) } {
        Some(f) if !f.is_closed() => Ok((v, f)),
        _ => {
            let msg = format!("standard {} file is closed", &key[4..]);
            Err(st.rt_error(&msg))
        }
    }
}

// ----- results -----

/// `luaL_fileresult` for a failure: nil, "[NAME: ]strerror", errno.
fn push_error(st: &mut State, e: &std::io::Error, name: Option<&[u8]>) -> Ret {
    let text = super::os_error_text(e);
    let mut msg = Vec::new();
    if let Some(n) = name {
        msg.extend_from_slice(n);
        msg.extend_from_slice(b": ");
    }
    msg.extend_from_slice(text.as_bytes());
    st.push(Value::Nil);
    let m = st.new_string(msg);
    st.push(m);
    st.push(Value::Num(e.raw_os_error().unwrap_or(0) as f64));
    Ret::Values(3)
}

/// `luaL_fileresult`: true on success.
fn file_result(st: &mut State, r: std::io::Result<()>) -> Ret {
    match r {
        Ok(()) => {
            st.push(Value::Bool(true));
            Ret::Values(1)
        }
        Err(e) => push_error(st, &e, None),
    }
}

/// `luaL_execresult` for a finished command.
fn exec_result(st: &mut State, status: std::process::ExitStatus) -> Ret {
    use std::os::unix::process::ExitStatusExt;
    let (what, code) = match (status.code(), status.signal()) {
        (Some(c), _) => ("exit", c),
        (None, Some(s)) => ("signal", s),
        _ => ("exit", 0),
    };
    if what == "exit" && code == 0 {
        st.push(Value::Bool(true));
    } else {
        st.push(Value::Nil);
    }
    st.push_str(what.as_bytes());
    st.push(Value::Num(code as f64));
    Ret::Values(3)
}

// ----- opening -----

/// `l_checkmode`: `[rwa]+?b*`.
fn valid_mode(mode: &[u8]) -> bool {
    let Some((&first, rest)) = mode.split_first() else {
        return false;
    };
    let rest = rest.strip_prefix(b"+").unwrap_or(rest);
    b"rwa".contains(&first) && rest.iter().all(|&c| c == b'b')
}

/// `fopen` with a checked mode.
fn open_path(path: &[u8], mode: &[u8]) -> std::io::Result<std::fs::File> {
    use std::os::unix::ffi::OsStrExt;
    let plus = mode.contains(&b'+');
    let mut o = std::fs::OpenOptions::new();
    match mode[0] {
        b'r' => o.read(true).write(plus),
        b'w' => o.write(true).create(true).truncate(true).read(plus),
        _ => o.append(true).create(true).read(plus),
    };
    o.open(std::ffi::OsStr::from_bytes(path))
}

fn io_open(st: &mut State, a: Args) -> LResult<Ret> {
    let name = st.check_str(a, 1)?;
    let mode = match st.opt_str(a, 2)? {
        Some(m) => m.as_bytes().to_vec(),
        None => b"r".to_vec(),
    };
    if !valid_mode(&mode) {
        return Err(st.arg_error(2, "invalid mode"));
    }
    match open_path(name.as_bytes(), &mode) {
        Ok(f) => {
            let h = new_file_mode(st, f, &mode);
            st.push(h);
            Ok(Ret::Values(1))
        }
        Err(e) => Ok(push_error(st, &e, Some(name.as_bytes()))),
    }
}

/// `opencheckfile`: opens or raises "cannot open file".
fn open_or_error(st: &mut State, name: &[u8], mode: &[u8]) -> LResult<Value> {
    match open_path(name, mode) {
        Ok(f) => Ok(new_file_mode(st, f, mode)),
        Err(e) => {
            let msg = format!(
                "cannot open file '{}' ({})",
                String::from_utf8_lossy(name),
                super::os_error_text(&e)
            );
            Err(st.rt_error(&msg))
        }
    }
}

fn io_popen(st: &mut State, a: Args) -> LResult<Ret> {
    let cmd = st.check_str(a, 1)?;
    let mode = match st.opt_str(a, 2)? {
        Some(m) => m.as_bytes().to_vec(),
        None => b"r".to_vec(),
    };
    if mode != b"r" && mode != b"w" {
        // glibc's popen refuses other modes with EINVAL; liolib passes them on.
        let e = std::io::Error::from_raw_os_error(22);
        return Ok(push_error(st, &e, Some(cmd.as_bytes())));
    }
    let _ = st.stdout.flush();
    use std::os::unix::ffi::OsStrExt;
    let mut c = std::process::Command::new("/bin/sh");
    c.arg("-c").arg(std::ffi::OsStr::from_bytes(cmd.as_bytes()));
    if mode == b"r" {
        c.stdout(std::process::Stdio::piped());
    } else {
        c.stdin(std::process::Stdio::piped());
    }
    match c.spawn() {
        Ok(child) => {
            let b = if mode == b"r" {
                Backend::PipeIn(child)
            } else {
                Backend::PipeOut(child)
            };
            let h = new_file(st, b);
            st.push(h);
            Ok(Ret::Values(1))
        }
        Err(e) => Ok(push_error(st, &e, Some(cmd.as_bytes()))),
    }
}

/// A temporary file, removed from the directory at once (as `tmpfile` does).
fn io_tmpfile(st: &mut State, _a: Args) -> LResult<Ret> {
    let dir = std::env::temp_dir();
    let mut last = None;
    for i in 0..100u32 {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path = dir.join(format!("lua_{}_{}_{}", std::process::id(), nanos, i));
        match std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(f) => {
                let _ = std::fs::remove_file(&path);
                let h = new_file(st, Backend::File(f));
                st.push(h);
                return Ok(Ret::Values(1));
            }
            Err(e) => last = Some(e),
        }
    }
    let e = last.unwrap_or_else(|| std::io::Error::from_raw_os_error(17));
    Ok(push_error(st, &e, None))
}

fn io_type(st: &mut State, a: Args) -> LResult<Ret> {
    let v = st.check_any(a, 1)?;
    // SAFETY: the reference does not outlive this expression.
    match unsafe { as_file(st, &v) } {
        None => st.push(Value::Nil),
        Some(f) if f.is_closed() => st.push_str(b"closed file"),
        Some(_) => st.push_str(b"file"),
    }
    Ok(Ret::Values(1))
}

// ----- closing, flushing -----

/// `aux_close`: standard files stay open; pipes return the command's status.
fn close_file(st: &mut State, f: &mut LFile) -> Ret {
    if f.is_std() {
        st.push(Value::Nil);
        st.push_str(b"cannot close standard file");
        return Ret::Values(2);
    }
    match f.close() {
        Ok(Some(status)) => exec_result(st, status),
        Ok(None) => file_result(st, Ok(())),
        Err(e) => push_error(st, &e, None),
    }
}

fn f_close(st: &mut State, a: Args) -> LResult<Ret> {
    // SAFETY: argument of this native, used only within this call (no Lua code
    // runs meanwhile).
    let f = unsafe { check_open(st, a, 1) }?;
    Ok(close_file(st, f))
}

fn io_close(st: &mut State, a: Args) -> LResult<Ret> {
    if a.len == 0 {
        let reg = st.registry;
        let v = st.get_field(reg, IO_OUTPUT);
        st.push(v);
        let a = Args {
            base: st.top() - 1,
            len: 1,
        };
        return f_close(st, a);
    }
    f_close(st, a)
}

fn f_gc(st: &mut State, a: Args) -> LResult<Ret> {
    // SAFETY: argument of this native, used only within this call (no Lua code
    // runs meanwhile).
    let f = unsafe { check_handle(st, a, 1) }?;
    if !f.is_closed() && !f.is_std() {
        let _ = f.close();
    }
    Ok(Ret::Values(0))
}

fn f_tostring(st: &mut State, a: Args) -> LResult<Ret> {
    // SAFETY: argument of this native, used only within this call (no Lua code
    // runs meanwhile).
    let f = unsafe { check_handle(st, a, 1) }?;
    let s = if f.is_closed() {
        "file (closed)".to_string()
    } else {
        format!("file ({:#x})", st.arg(a, 1).addr())
    };
    st.push_str(s.as_bytes());
    Ok(Ret::Values(1))
}

fn flush_file(st: &mut State, f: &mut LFile) -> Ret {
    let r = if f.is_stdout() {
        st.stdout.flush()
    } else {
        f.flush()
    };
    file_result(st, r)
}

fn f_flush(st: &mut State, a: Args) -> LResult<Ret> {
    // SAFETY: argument of this native, used only within this call (no Lua code
    // runs meanwhile).
    let f = unsafe { check_open(st, a, 1) }?;
    Ok(flush_file(st, f))
}

fn io_flush(st: &mut State, _a: Args) -> LResult<Ret> {
    // SAFETY: the registry's default file, used only within this call (no Lua
    // code runs and the default is not replaced meanwhile).
    let (_, f) = unsafe { default_file(st, IO_OUTPUT) }?;
    Ok(flush_file(st, f))
}

// ----- default files -----

/// `g_iofile`: sets the default file from a name or a handle, returns the current one.
fn io_file(st: &mut State, a: Args, key: &str, mode: &[u8]) -> LResult<Ret> {
    let reg = st.registry;
    match st.arg(a, 1) {
        Value::Nil => {}
        Value::Str(_) | Value::Num(_) => {
            let name = st.check_str(a, 1)?;
            let h = open_or_error(st, name.as_bytes(), mode)?;
            st.set_field(reg, key, h);
        }
        v => {
            // SAFETY: argument of this native, used only within this call (no Lua code
            // runs meanwhile).
            unsafe { check_open(st, a, 1) }?;
            st.set_field(reg, key, v);
        }
    }
    let cur = st.get_field(reg, key);
    st.push(cur);
    Ok(Ret::Values(1))
}

fn io_input(st: &mut State, a: Args) -> LResult<Ret> {
    io_file(st, a, IO_INPUT, b"r")
}

fn io_output(st: &mut State, a: Args) -> LResult<Ret> {
    io_file(st, a, IO_OUTPUT, b"w")
}

// ----- reading -----

/// One read format, decoded.
enum Format {
    Number,
    Line { keep_nl: bool },
    All,
    Count(usize),
}

/// Decodes argument `n` as a read format (errors as `g_read`).
fn parse_format(st: &mut State, v: Value, n: usize) -> LResult<Format> {
    if let Value::Num(x) = v {
        return Ok(Format::Count(super::num_to_int(x).max(0) as usize));
    }
    let s = match v {
        Value::Str(s) => s.as_bytes().to_vec(),
        _ => Vec::new(),
    };
    if s.first() != Some(&b'*') {
        return Err(st.arg_error(n, "invalid option"));
    }
    match s.get(1) {
        Some(b'n') => Ok(Format::Number),
        Some(b'l') => Ok(Format::Line { keep_nl: false }),
        Some(b'L') => Ok(Format::Line { keep_nl: true }),
        Some(b'a') => Ok(Format::All),
        _ => Err(st.arg_error(n, "invalid format")),
    }
}

/// Reads one format: `Ok(None)` is a failed read (nil result, stop).
fn read_one(st: &mut State, f: &mut LFile, fmt: &Format) -> std::io::Result<Option<Value>> {
    Ok(match fmt {
        Format::Number => f.read_number()?.map(Value::Num),
        Format::Line { keep_nl } => f.read_line(*keep_nl)?.map(|l| st.new_string(l)),
        Format::All => Some(f.read_all()?).map(|l| st.new_string(l)),
        Format::Count(0) => {
            let more = f.not_eof()?;
            let e = st.new_str(b"");
            more.then_some(e)
        }
        Format::Count(n) => f.read_chars(*n)?.map(|l| st.new_string(l)),
    })
}

/// `g_read`: reads the formats in `formats` (argument values numbered from `first_arg`
/// for messages); no formats means one line.
fn g_read(st: &mut State, f: &mut LFile, formats: &[Value], first_arg: usize) -> LResult<Ret> {
    if f.is_stdin() {
        let _ = st.stdout.flush();
    }
    let mut parsed = Vec::with_capacity(formats.len().max(1));
    for (i, v) in formats.iter().enumerate() {
        parsed.push(parse_format(st, *v, first_arg + i)?);
    }
    if parsed.is_empty() {
        parsed.push(Format::Line { keep_nl: false });
    }
    st.check_stack(parsed.len() + 2)?;
    let mut n = 0;
    for fmt in &parsed {
        match read_one(st, f, fmt) {
            Ok(Some(v)) => {
                st.push(v);
                n += 1;
            }
            Ok(None) => {
                st.push(Value::Nil);
                return Ok(Ret::Values(n + 1));
            }
            Err(e) => {
                st.set_top(st.top() - n);
                return Ok(push_error(st, &e, None));
            }
        }
    }
    Ok(Ret::Values(n))
}

fn args_from(st: &State, a: Args, from: usize) -> Vec<Value> {
    (from..=a.len).map(|i| st.arg(a, i)).collect()
}

fn f_read(st: &mut State, a: Args) -> LResult<Ret> {
    // SAFETY: argument of this native, used only within this call (no Lua code
    // runs meanwhile).
    let f = unsafe { check_open(st, a, 1) }?;
    let formats = args_from(st, a, 2);
    g_read(st, f, &formats, 2)
}

fn io_read(st: &mut State, a: Args) -> LResult<Ret> {
    // SAFETY: the registry's default file, used only within this call (no Lua
    // code runs and the default is not replaced meanwhile).
    let (_, f) = unsafe { default_file(st, IO_INPUT) }?;
    let formats = args_from(st, a, 1);
    g_read(st, f, &formats, 1)
}

/// The iterator of `lines`: upvalues are the file, whether to close it at the end, and
/// the formats.
fn io_readline(st: &mut State, _a: Args) -> LResult<Ret> {
    let fv = st.upvalue(0);
    // SAFETY: the running iterator's upvalue, used only within this call (no Lua
    // code runs meanwhile).
    let f = unsafe { as_file(st, &fv) };
    let Some(f) = f else {
        return Err(st.rt_error("file is already closed"));
    };
    if f.is_closed() {
        return Err(st.rt_error("file is already closed"));
    }
    let to_close = st.upvalue(1).truthy();
    let formats: Vec<Value> = match st.cur.frames.last().map(|fr| &fr.kind) {
        Some(crate::thread::FrameKind::Native(nc)) => nc.upvals[2..].to_vec(),
        _ => Vec::new(),
    };
    let base = st.top();
    let ret = g_read(st, f, &formats, 2)?;
    let Ret::Values(n) = ret else { return Ok(ret) };
    let first = st.stack_at(base);
    if !first.is_nil() {
        return Ok(Ret::Values(n));
    }
    if n > 1 {
        let msg = st.stack_at(base + 1);
        let m = st
            .coerce_to_str(&msg)
            .map(|s| s.to_str_lossy().into_owned())
            .unwrap_or_default();
        return Err(st.rt_error(&m));
    }
    if to_close {
        let _ = f.close();
    }
    st.set_top(base);
    Ok(Ret::Values(0))
}

/// `aux_lines`: the iterator closure over `file` and the formats from argument 2 on.
fn push_lines(st: &mut State, a: Args, file: Value, to_close: bool) -> LResult<Ret> {
    let formats = args_from(st, a, 2);
    if formats.len() > MAX_LINE_FORMATS {
        return Err(st.arg_error(MAX_LINE_FORMATS, "too many options"));
    }
    let mut ups = vec![file, Value::Bool(to_close)];
    ups.extend(formats);
    let it = st.new_native("lines", io_readline, ups);
    st.push(it);
    Ok(Ret::Values(1))
}

fn f_lines(st: &mut State, a: Args) -> LResult<Ret> {
    // SAFETY: argument of this native, used only within this call (no Lua code
    // runs meanwhile).
    unsafe { check_open(st, a, 1) }?;
    let file = st.arg(a, 1);
    push_lines(st, a, file, false)
}

fn io_lines(st: &mut State, a: Args) -> LResult<Ret> {
    if st.arg(a, 1).is_nil() {
        let reg = st.registry;
        let v = st.get_field(reg, IO_INPUT);
        // SAFETY: the reference does not outlive this expression.
        if unsafe { as_file(st, &v) }.is_none_or(|f| f.is_closed()) {
            return Err(st.rt_error("attempt to use a closed file"));
        }
        return push_lines(st, a, v, false);
    }
    let name = st.check_str(a, 1)?;
    let h = open_or_error(st, name.as_bytes(), b"r")?;
    push_lines(st, a, h, true)
}

// ----- writing -----

/// `g_write`: numbers as `%.14g`, strings as they are; returns the file or an error.
fn g_write(st: &mut State, file: Value, f: &mut LFile, a: Args, from: usize) -> LResult<Ret> {
    let mut result = Ok(());
    for i in from..=a.len {
        let bytes: Vec<u8> = match st.arg(a, i) {
            Value::Num(x) => {
                let mut b = Vec::with_capacity(24);
                crate::text::number::write_number(&mut b, x);
                b
            }
            _ => st.check_str(a, i)?.as_bytes().to_vec(),
        };
        if result.is_ok() {
            result = if f.is_stdout() {
                st.stdout.write_all(&bytes)
            } else {
                f.write(&bytes)
            };
        }
    }
    match result {
        Ok(()) => {
            st.push(file);
            Ok(Ret::Values(1))
        }
        Err(e) => Ok(push_error(st, &e, None)),
    }
}

fn f_write(st: &mut State, a: Args) -> LResult<Ret> {
    // SAFETY: argument of this native, used only within this call (no Lua code
    // runs meanwhile).
    let f = unsafe { check_open(st, a, 1) }?;
    let file = st.arg(a, 1);
    g_write(st, file, f, a, 2)
}

fn io_write(st: &mut State, a: Args) -> LResult<Ret> {
    // SAFETY: the registry's default file, used only within this call (no Lua
    // code runs and the default is not replaced meanwhile).
    let (file, f) = unsafe { default_file(st, IO_OUTPUT) }?;
    g_write(st, file, f, a, 1)
}

// ----- seek, setvbuf -----

fn f_seek(st: &mut State, a: Args) -> LResult<Ret> {
    // SAFETY: argument of this native, used only within this call (no Lua code
    // runs meanwhile).
    let f = unsafe { check_open(st, a, 1) }?;
    let op = st.check_option(a, 2, Some("cur"), &["set", "cur", "end"])?;
    let off = st.opt_number(a, 3, 0.0)?;
    if off.fract() != 0.0 || !off.is_finite() || off.abs() >= 9.2e18 {
        return Err(st.arg_error(3, "not an integer in proper range"));
    }
    let off = off as i64;
    let pos = match op {
        0 if off < 0 => return Ok(push_error(st, &std::io::Error::from_raw_os_error(22), None)),
        0 => SeekFrom::Start(off as u64),
        1 => SeekFrom::Current(off),
        _ => SeekFrom::End(off),
    };
    if f.is_stdout() {
        let _ = st.stdout.flush();
    }
    match f.seek(pos) {
        Ok(p) => {
            st.push(Value::Num(p as f64));
            Ok(Ret::Values(1))
        }
        Err(e) => Ok(push_error(st, &e, None)),
    }
}

fn f_setvbuf(st: &mut State, a: Args) -> LResult<Ret> {
    // SAFETY: argument of this native, used only within this call (no Lua code
    // runs meanwhile).
    let f = unsafe { check_open(st, a, 1) }?;
    let op = st.check_option(a, 2, None, &["no", "full", "line"])?;
    // Checked as liolib does, then ignored as glibc ignores it when no buffer is given
    // (liolib passes NULL): the buffer is BUFSIZ whatever the program asks, so a size
    // cannot make the stream hold more memory than that, nor flush sooner than lua5.2.
    st.opt_integer(a, 3, stream::BUF_SIZE as i64)?;
    let size = stream::BUF_SIZE;
    f.vbuf = match op {
        0 => VBuf::No,
        1 => VBuf::Full(size),
        _ => VBuf::Line(size),
    };
    // glibc's setvbuf with no buffer flushes what is buffered only when switching to
    // unbuffered; "full" and "line" keep it (it goes out at the next flush).
    let unbuffered = op == 0;
    let r = if f.is_stdout() {
        let r = if unbuffered {
            st.stdout.flush()
        } else {
            Ok(())
        };
        match &f.stdout_mode {
            Some(m) => m.set(f.vbuf),
            None => {
                let m = std::sync::Arc::new(stream::StdoutMode::new(f.vbuf));
                let inner = std::mem::replace(&mut st.stdout, Box::new(std::io::sink()));
                st.stdout = Box::new(stream::ModeOut::new(inner, m.clone()));
                f.stdout_mode = Some(m);
            }
        }
        r
    } else if unbuffered {
        f.flush()
    } else {
        Ok(())
    };
    Ok(file_result(st, r))
}
