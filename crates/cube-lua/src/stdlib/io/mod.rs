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

/// Runs `f` with the state and the `LFile` of `v` if `v` is a file handle
/// (`luaL_testudata`); `None` if it is not.
///
/// The file is lent to `f` (`State::with_userdata`): while `f` runs, the handle holds no
/// file, so `f` must not look for the same handle again. The natives take what they need
/// from the file in `f` and do the rest (setting default files, building iterators,
/// pushing results) after it.
fn with_file<R>(
    st: &mut State,
    v: Value,
    f: impl FnOnce(&mut State, &mut LFile) -> R,
) -> Option<R> {
    // A standard handle of a shared image: use this state's own copy (crate::image).
    let v = st.unshare_value(v);
    let meta = handle_meta(st)?;
    match v {
        Value::UserData(u) if u.meta.is_some_and(|m| m.ptr_eq(meta)) => st.with_userdata(&v, f),
        _ => None,
    }
}

/// `luaL_checkudata(L, n, "FILE*")`, then `f` with the file (see [`with_file`]).
fn with_handle<R>(
    st: &mut State,
    a: Args,
    n: usize,
    f: impl FnOnce(&mut State, &mut LFile) -> LResult<R>,
) -> LResult<R> {
    let v = st.arg(a, n);
    match with_file(st, v, f) {
        Some(r) => r,
        None => Err(st.arg_type_error(a, n, HANDLE)),
    }
}

/// `tofile`: argument `n` is a handle that is still open; then `f` with its file (see
/// [`with_file`]).
fn with_open<R>(
    st: &mut State,
    a: Args,
    n: usize,
    f: impl FnOnce(&mut State, &mut LFile) -> LResult<R>,
) -> LResult<R> {
    let r = with_handle(st, a, n, |st, file| {
        Ok((!file.is_closed()).then(|| f(st, file)))
    })?;
    match r {
        Some(r) => r,
        None => Err(st.rt_error("attempt to use a closed file")),
    }
}

/// `tofile` alone: argument `n` is a handle that is still open.
fn check_open(st: &mut State, a: Args, n: usize) -> LResult<()> {
    with_open(st, a, n, |_, _| Ok(()))
}

/// `getiofile`: runs `f` with the default input or output file `key` (the handle and its
/// file, see [`with_file`]), which must be open.
fn with_default<R>(
    st: &mut State,
    key: &str,
    f: impl FnOnce(&mut State, Value, &mut LFile) -> R,
) -> LResult<R> {
    let reg = st.registry;
    let v = st.get_field(reg, key);
    let v = st.unshare_value(v);
    match with_file(st, v, |st, file| {
        (!file.is_closed()).then(|| f(st, v, file))
    }) {
        Some(Some(r)) => Ok(r),
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
    match with_file(st, v, |_, f| f.is_closed()) {
        None => st.push(Value::Nil),
        Some(true) => st.push_str(b"closed file"),
        Some(false) => st.push_str(b"file"),
    }
    Ok(Ret::Values(1))
}

// ----- closing, flushing -----

/// What `aux_close` did to a file.
enum Closed {
    /// A standard file, which stays open (`io_noclose`).
    Std,
    /// Closed: for a pipe, the command's status.
    Done(std::io::Result<Option<std::process::ExitStatus>>),
}

/// `aux_close` on the file itself.
fn close_file(f: &mut LFile) -> Closed {
    if f.is_std() {
        Closed::Std
    } else {
        Closed::Done(f.close())
    }
}

/// `aux_close`'s results: pipes return the command's status.
fn close_result(st: &mut State, c: Closed) -> Ret {
    match c {
        Closed::Std => {
            st.push(Value::Nil);
            st.push_str(b"cannot close standard file");
            Ret::Values(2)
        }
        Closed::Done(Ok(Some(status))) => exec_result(st, status),
        Closed::Done(Ok(None)) => file_result(st, Ok(())),
        Closed::Done(Err(e)) => push_error(st, &e, None),
    }
}

fn f_close(st: &mut State, a: Args) -> LResult<Ret> {
    let c = with_open(st, a, 1, |_, f| Ok(close_file(f)))?;
    Ok(close_result(st, c))
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
    with_handle(st, a, 1, |_, f| {
        if !f.is_closed() && !f.is_std() {
            let _ = f.close();
        }
        Ok(())
    })?;
    Ok(Ret::Values(0))
}

fn f_tostring(st: &mut State, a: Args) -> LResult<Ret> {
    let closed = with_handle(st, a, 1, |_, f| Ok(f.is_closed()))?;
    let s = if closed {
        "file (closed)".to_string()
    } else {
        format!("file ({:#x})", st.arg(a, 1).addr())
    };
    st.push_str(s.as_bytes());
    Ok(Ret::Values(1))
}

/// `fflush`: standard output's bytes wait in `State::stdout`.
fn flush_file(st: &mut State, f: &mut LFile) -> std::io::Result<()> {
    if f.is_stdout() {
        st.stdout.flush()
    } else {
        f.flush()
    }
}

fn f_flush(st: &mut State, a: Args) -> LResult<Ret> {
    let r = with_open(st, a, 1, |st, f| Ok(flush_file(st, f)))?;
    Ok(file_result(st, r))
}

fn io_flush(st: &mut State, _a: Args) -> LResult<Ret> {
    let r = with_default(st, IO_OUTPUT, |st, _, f| flush_file(st, f))?;
    Ok(file_result(st, r))
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
            // Checked, and the file released, before the registry changes.
            check_open(st, a, 1)?;
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
/// for messages); no formats means one line. As liolib, each format is checked when its
/// turn comes, after the reads before it (which an invalid one does not undo), and none
/// after a failed read.
fn g_read(st: &mut State, f: &mut LFile, formats: &[Value], first_arg: usize) -> LResult<Ret> {
    if f.is_stdin() {
        let _ = st.stdout.flush();
    }
    st.check_stack(formats.len() + 2)?;
    let mut n = 0;
    for i in 0..formats.len().max(1) {
        let fmt = match formats.get(i) {
            Some(v) => parse_format(st, *v, first_arg + i)?,
            None => Format::Line { keep_nl: false },
        };
        match read_one(st, f, &fmt) {
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
    let formats = args_from(st, a, 2);
    with_open(st, a, 1, |st, f| g_read(st, f, &formats, 2))
}

fn io_read(st: &mut State, a: Args) -> LResult<Ret> {
    let formats = args_from(st, a, 1);
    with_default(st, IO_INPUT, |st, _, f| g_read(st, f, &formats, 1))?
}

/// The iterator of `lines`: upvalues are the file, whether to close it at the end, and
/// the formats.
fn io_readline(st: &mut State, _a: Args) -> LResult<Ret> {
    let fv = st.upvalue(0);
    let to_close = st.upvalue(1).truthy();
    let formats: Vec<Value> = match st.cur.frames.last().map(|fr| &fr.kind) {
        Some(crate::thread::FrameKind::Native(nc)) => nc.upvals[2..].to_vec(),
        _ => Vec::new(),
    };
    let base = st.top();
    let read = with_file(st, fv, |st, f| {
        (!f.is_closed()).then(|| g_read(st, f, &formats, 2))
    });
    let Some(Some(ret)) = read else {
        return Err(st.rt_error("file is already closed"));
    };
    let ret = ret?;
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
        with_file(st, fv, |_, f| {
            let _ = f.close();
        });
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
    check_open(st, a, 1)?;
    let file = st.arg(a, 1);
    push_lines(st, a, file, false)
}

fn io_lines(st: &mut State, a: Args) -> LResult<Ret> {
    if st.arg(a, 1).is_nil() {
        let reg = st.registry;
        let v = st.get_field(reg, IO_INPUT);
        // Checked, and the file released, before the iterator is made over it.
        if with_file(st, v, |_, f| f.is_closed()) != Some(false) {
            return Err(st.rt_error("attempt to use a closed file"));
        }
        return push_lines(st, a, v, false);
    }
    let name = st.check_str(a, 1)?;
    let h = open_or_error(st, name.as_bytes(), b"r")?;
    push_lines(st, a, h, true)
}

// ----- writing -----

/// `g_write`: writes arguments `from..` (numbers as `%.14g`, strings as they are),
/// checking each as it comes; after a failed write the rest are only checked.
fn g_write(st: &mut State, f: &mut LFile, a: Args, from: usize) -> LResult<std::io::Result<()>> {
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
    Ok(result)
}

/// `g_write`'s results: the file, or the error.
fn write_result(st: &mut State, file: Value, r: std::io::Result<()>) -> Ret {
    match r {
        Ok(()) => {
            st.push(file);
            Ret::Values(1)
        }
        Err(e) => push_error(st, &e, None),
    }
}

fn f_write(st: &mut State, a: Args) -> LResult<Ret> {
    let r = with_open(st, a, 1, |st, f| g_write(st, f, a, 2))?;
    let file = st.arg(a, 1);
    Ok(write_result(st, file, r))
}

fn io_write(st: &mut State, a: Args) -> LResult<Ret> {
    let (file, r) = with_default(st, IO_OUTPUT, |st, file, f| {
        g_write(st, f, a, 1).map(|r| (file, r))
    })??;
    Ok(write_result(st, file, r))
}

// ----- seek, setvbuf -----

fn f_seek(st: &mut State, a: Args) -> LResult<Ret> {
    check_open(st, a, 1)?;
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
    let r = with_open(st, a, 1, |st, f| {
        if f.is_stdout() {
            let _ = st.stdout.flush();
        }
        Ok(f.seek(pos))
    })?;
    match r {
        Ok(p) => {
            st.push(Value::Num(p as f64));
            Ok(Ret::Values(1))
        }
        Err(e) => Ok(push_error(st, &e, None)),
    }
}

fn f_setvbuf(st: &mut State, a: Args) -> LResult<Ret> {
    check_open(st, a, 1)?;
    let op = st.check_option(a, 2, None, &["no", "full", "line"])?;
    // Checked as liolib does, then ignored as glibc ignores it when no buffer is given
    // (liolib passes NULL): the buffer is BUFSIZ whatever the program asks, so a size
    // cannot make the stream hold more memory than that, nor flush sooner than lua5.2.
    st.opt_integer(a, 3, stream::BUF_SIZE as i64)?;
    let size = stream::BUF_SIZE;
    let vbuf = match op {
        0 => VBuf::No,
        1 => VBuf::Full(size),
        _ => VBuf::Line(size),
    };
    let r = with_open(st, a, 1, |st, f| Ok(set_vbuf(st, f, vbuf)))?;
    Ok(file_result(st, r))
}

/// `setvbuf` on the file; for standard output, on `State::stdout` too.
fn set_vbuf(st: &mut State, f: &mut LFile, vbuf: VBuf) -> std::io::Result<()> {
    f.vbuf = vbuf;
    // glibc's setvbuf with no buffer flushes what is buffered only when switching to
    // unbuffered; "full" and "line" keep it (it goes out at the next flush).
    let unbuffered = vbuf == VBuf::No;
    if f.is_stdout() {
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A state with the io library and its default output, `io.stdout`.
    fn state_and_stdout() -> (State, Value) {
        let mut st = State::new_bare();
        open(&mut st);
        let reg = st.registry;
        let out = st.get_field(reg, IO_OUTPUT);
        (st, out)
    }

    #[test]
    fn a_lent_file_cannot_be_reached_again_and_comes_back() {
        let (mut st, out) = state_and_stdout();
        let inside = with_file(&mut st, out, |st, f| {
            assert!(f.is_stdout());
            (
                with_file(st, out, |_, _| ()).is_none(),
                st.userdata_mut::<LFile>(&out).is_none(),
                st.userdata_get::<LFile>(&out).is_none(),
            )
        });
        assert_eq!(inside, Some((true, true, true)));
        assert_eq!(with_file(&mut st, out, |_, f| f.is_stdout()), Some(true));
        assert!(st
            .userdata_mut::<LFile>(&out)
            .is_some_and(|f| f.is_stdout()));
        assert!(with_file(&mut st, Value::Nil, |_, _| ()).is_none());
    }

    #[test]
    fn a_panic_while_the_file_is_lent_puts_it_back() {
        let (mut st, out) = state_and_stdout();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            with_file(&mut st, out, |_, _| panic!("inside"))
        }));
        assert!(r.is_err());
        assert_eq!(with_file(&mut st, out, |_, f| f.is_stdout()), Some(true));
    }
}
