//! The buffered stream behind a Lua file handle: the part of C's `FILE` that `liolib.c`
//! relies on (a read buffer with one byte of push-back, a write buffer with the three
//! `setvbuf` modes, seeking that accounts for both buffers).
//!
//! Standard output is special: its bytes go through `State::stdout`, the buffer `print`
//! shares, so the library writes to it directly and this type only marks it. Its
//! `setvbuf` mode is applied to `State::stdout` itself by [`StdoutMode`], so `print` and
//! `io.write` both follow it, as they share C's `stdout` in PUC-Rio Lua.

use std::io::{self, Read, Seek, SeekFrom, Write};
use std::process::Child;

/// Size of read and full write buffers (C's `BUFSIZ`).
pub const BUF_SIZE: usize = 8192;

/// Where the bytes of a stream come from or go to.
pub enum Backend {
    File(std::fs::File),
    Stdin,
    /// Written through `State::stdout` by the library.
    Stdout,
    Stderr,
    /// `io.popen(cmd, "r")`: reads the child's standard output.
    PipeIn(Child),
    /// `io.popen(cmd, "w")`: writes the child's standard input.
    PipeOut(Child),
}

/// `setvbuf` modes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum VBuf {
    No,
    Full(usize),
    Line(usize),
}

/// A Lua file handle's payload (the `LStream` of `liolib.c`).
pub struct LFile {
    /// `None` once closed.
    pub backend: Option<Backend>,
    rbuf: Vec<u8>,
    rpos: usize,
    wbuf: Vec<u8>,
    pub vbuf: VBuf,
    /// Opened for reading / writing (C streams refuse the other direction at once).
    can_read: bool,
    can_write: bool,
    /// Standard output only: the mode of the `ModeOut` this handle installed around its
    /// state's `State::stdout` (installed by the first `setvbuf`, then only updated).
    pub stdout_mode: Option<std::sync::Arc<StdoutMode>>,
}

/// The `setvbuf` mode of a state's standard output, shared by its `io.stdout` handle
/// and the [`ModeOut`] around `State::stdout`.
#[derive(Debug)]
pub struct StdoutMode {
    /// 0 no, 1 full, 2 line.
    kind: std::sync::atomic::AtomicU8,
    size: std::sync::atomic::AtomicUsize,
}

impl StdoutMode {
    pub fn new(v: VBuf) -> StdoutMode {
        let m = StdoutMode {
            kind: 0.into(),
            size: 0.into(),
        };
        m.set(v);
        m
    }

    pub fn set(&self, v: VBuf) {
        use std::sync::atomic::Ordering::Relaxed;
        let (k, n) = match v {
            VBuf::No => (0, 0),
            VBuf::Full(n) => (1, n),
            VBuf::Line(n) => (2, n),
        };
        self.size.store(n.max(1), Relaxed);
        self.kind.store(k, Relaxed);
    }

    fn get(&self) -> VBuf {
        use std::sync::atomic::Ordering::Relaxed;
        let n = self.size.load(Relaxed);
        match self.kind.load(Relaxed) {
            0 => VBuf::No,
            1 => VBuf::Full(n),
            _ => VBuf::Line(n),
        }
    }
}

/// `State::stdout` under a `setvbuf` mode, as C's stdio applies it to `stdout`: "no"
/// writes every piece out at once, "line" at each newline, "full" when `size` bytes
/// are waiting (and at exit, `io.flush`, `os.execute`... as before). What it wraps
/// keeps its own buffer; this only decides when to flush it.
pub struct ModeOut {
    pub inner: Box<dyn Write + Send>,
    pub mode: std::sync::Arc<StdoutMode>,
    /// Bytes written since the last flush.
    pending: usize,
}

impl ModeOut {
    pub fn new(inner: Box<dyn Write + Send>, mode: std::sync::Arc<StdoutMode>) -> ModeOut {
        ModeOut {
            inner,
            mode,
            pending: 0,
        }
    }
}

impl Write for ModeOut {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write_all(buf)?;
        self.pending = self.pending.saturating_add(buf.len());
        let now = match self.mode.get() {
            VBuf::No => true,
            VBuf::Line(n) => buf.contains(&b'\n') || self.pending >= n,
            VBuf::Full(n) => self.pending >= n,
        };
        if now {
            self.flush()?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.pending = 0;
        self.inner.flush()
    }
}

fn ebadf() -> io::Error {
    io::Error::from_raw_os_error(9)
}

impl LFile {
    /// A stream allowing the directions its backend supports.
    pub fn new(backend: Backend) -> LFile {
        let (r, w) = match backend {
            Backend::File(_) => (true, true),
            Backend::Stdin | Backend::PipeIn(_) => (true, false),
            Backend::Stdout | Backend::Stderr | Backend::PipeOut(_) => (false, true),
        };
        LFile::with_access(backend, r, w)
    }

    /// A stream of a file opened with a mode that allows only some directions.
    pub fn with_access(backend: Backend, can_read: bool, can_write: bool) -> LFile {
        let vbuf = match backend {
            Backend::Stderr => VBuf::No,
            _ => VBuf::Full(BUF_SIZE),
        };
        LFile {
            backend: Some(backend),
            rbuf: Vec::new(),
            rpos: 0,
            wbuf: Vec::new(),
            vbuf,
            can_read,
            can_write,
            stdout_mode: None,
        }
    }

    /// A fresh handle on the same standard stream, for a state's private copy of a
    /// shared image (`None` for other streams, which an image never holds).
    pub fn std_copy(&self) -> Option<LFile> {
        let backend = match self.backend {
            Some(Backend::Stdin) => Backend::Stdin,
            Some(Backend::Stdout) => Backend::Stdout,
            Some(Backend::Stderr) => Backend::Stderr,
            _ => return None,
        };
        let mut f = LFile::with_access(backend, self.can_read, self.can_write);
        f.vbuf = self.vbuf;
        Some(f)
    }

    pub fn is_closed(&self) -> bool {
        self.backend.is_none()
    }

    pub fn is_stdout(&self) -> bool {
        matches!(self.backend, Some(Backend::Stdout))
    }

    pub fn is_stdin(&self) -> bool {
        matches!(self.backend, Some(Backend::Stdin))
    }

    /// Standard files refuse to close (`io_noclose`).
    pub fn is_std(&self) -> bool {
        matches!(
            self.backend,
            Some(Backend::Stdin | Backend::Stdout | Backend::Stderr)
        )
    }

    // ----- raw access -----

    fn raw_read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if !self.can_read {
            return Err(ebadf());
        }
        match self.backend.as_mut() {
            Some(Backend::File(f)) => f.read(buf),
            Some(Backend::Stdin) => io::stdin().read(buf),
            Some(Backend::PipeIn(c)) => match c.stdout.as_mut() {
                Some(out) => out.read(buf),
                None => Err(ebadf()),
            },
            _ => Err(ebadf()),
        }
    }

    fn raw_write(&mut self, data: &[u8]) -> io::Result<()> {
        match self.backend.as_mut() {
            Some(Backend::File(f)) => f.write_all(data),
            Some(Backend::Stderr) => io::stderr().write_all(data),
            Some(Backend::PipeOut(c)) => match c.stdin.as_mut() {
                Some(inp) => inp.write_all(data),
                None => Err(ebadf()),
            },
            _ => Err(ebadf()),
        }
    }

    /// Writes out the write buffer.
    pub fn flush(&mut self) -> io::Result<()> {
        if self.wbuf.is_empty() {
            return Ok(());
        }
        let data = std::mem::take(&mut self.wbuf);
        self.raw_write(&data)
    }

    /// Gives unread buffered input back to the file (so writes and `seek` land where
    /// the reader is).
    fn drop_read_buffer(&mut self) -> io::Result<()> {
        let unread = (self.rbuf.len() - self.rpos) as i64;
        self.rbuf.clear();
        self.rpos = 0;
        if unread > 0 {
            if let Some(Backend::File(f)) = self.backend.as_mut() {
                f.seek(SeekFrom::Current(-unread))?;
            }
        }
        Ok(())
    }

    // ----- reading -----

    /// Makes sure unread bytes are buffered; `false` at end of file.
    fn fill(&mut self) -> io::Result<bool> {
        if self.rpos < self.rbuf.len() {
            return Ok(true);
        }
        self.flush()?;
        self.rbuf.resize(BUF_SIZE, 0);
        self.rpos = 0;
        let mut buf = std::mem::take(&mut self.rbuf);
        let r = loop {
            match self.raw_read(&mut buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => break other,
            }
        };
        let n = match r {
            Ok(n) => n,
            Err(e) => {
                buf.clear();
                self.rbuf = buf;
                return Err(e);
            }
        };
        buf.truncate(n);
        self.rbuf = buf;
        Ok(n > 0)
    }

    /// The next byte without consuming it.
    pub fn peek(&mut self) -> io::Result<Option<u8>> {
        Ok(if self.fill()? {
            Some(self.rbuf[self.rpos])
        } else {
            None
        })
    }

    /// Reads a line; the newline is kept if `keep_nl`. `None` at end of file with
    /// nothing read (`read_line` of liolib).
    pub fn read_line(&mut self, keep_nl: bool) -> io::Result<Option<Vec<u8>>> {
        let mut out = Vec::new();
        loop {
            if !self.fill()? {
                return Ok(if out.is_empty() { None } else { Some(out) });
            }
            let avail = &self.rbuf[self.rpos..];
            if let Some(i) = avail.iter().position(|&c| c == b'\n') {
                let end = if keep_nl { i + 1 } else { i };
                out.extend_from_slice(&avail[..end]);
                self.rpos += i + 1;
                return Ok(Some(out));
            }
            out.extend_from_slice(avail);
            self.rpos = self.rbuf.len();
        }
    }

    /// Reads up to `n` bytes; `None` if none could be read.
    pub fn read_chars(&mut self, n: usize) -> io::Result<Option<Vec<u8>>> {
        let mut out = Vec::new();
        while out.len() < n && self.fill()? {
            let take = (n - out.len()).min(self.rbuf.len() - self.rpos);
            out.extend_from_slice(&self.rbuf[self.rpos..self.rpos + take]);
            self.rpos += take;
        }
        Ok(if out.is_empty() && n > 0 {
            None
        } else {
            Some(out)
        })
    }

    pub fn read_all(&mut self) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        while self.fill()? {
            out.extend_from_slice(&self.rbuf[self.rpos..]);
            self.rpos = self.rbuf.len();
        }
        Ok(out)
    }

    /// Takes the next byte if `accept` likes it.
    fn take_if(&mut self, out: &mut Vec<u8>, accept: impl Fn(u8) -> bool) -> io::Result<bool> {
        match self.peek()? {
            Some(c) if accept(c) => {
                self.rpos += 1;
                out.push(c);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// `fscanf(f, "%lf")`, as Lua 5.2's `read_number` uses: skips white space, takes the
    /// longest prefix that can continue a numeral (one byte of look-ahead, so a failed
    /// numeral stays consumed, as with glibc), then converts it.
    pub fn read_number(&mut self) -> io::Result<Option<f64>> {
        while self.take_if(&mut Vec::new(), crate::text::number::is_space)? {}
        let mut s = Vec::new();
        self.take_if(&mut s, |c| c == b'+' || c == b'-')?;
        let mut hex = false;
        if self.take_if(&mut s, |c| c == b'0')?
            && self.take_if(&mut s, |c| c == b'x' || c == b'X')?
        {
            hex = true;
        }
        if !hex && self.take_if(&mut s, |c| matches!(c, b'i' | b'I' | b'n' | b'N'))? {
            while self.take_if(&mut s, |c| c.is_ascii_alphabetic())? {}
            return Ok(parse_special(&s));
        }
        let digit = move |c: u8| {
            if hex {
                c.is_ascii_hexdigit()
            } else {
                c.is_ascii_digit()
            }
        };
        while self.take_if(&mut s, digit)? {}
        if self.take_if(&mut s, |c| c == b'.')? {
            while self.take_if(&mut s, digit)? {}
        }
        let exp = move |c: u8| {
            if hex {
                c == b'p' || c == b'P'
            } else {
                c == b'e' || c == b'E'
            }
        };
        if self.take_if(&mut s, exp)? {
            self.take_if(&mut s, |c| c == b'+' || c == b'-')?;
            while self.take_if(&mut s, |c| c.is_ascii_digit())? {}
        }
        Ok(crate::text::number::str_to_number(&s).filter(|_| valid_numeral(&s, hex)))
    }

    /// `true` if at least one more byte can be read (`test_eof`).
    pub fn not_eof(&mut self) -> io::Result<bool> {
        self.fill()
    }

    // ----- writing -----

    /// Buffered write, honouring the `setvbuf` mode.
    pub fn write(&mut self, data: &[u8]) -> io::Result<()> {
        if !self.can_write {
            return Err(ebadf());
        }
        if !self.rbuf.is_empty() {
            self.drop_read_buffer()?;
        }
        match self.vbuf {
            VBuf::No => {
                self.flush()?;
                self.raw_write(data)
            }
            VBuf::Full(size) => {
                self.wbuf.extend_from_slice(data);
                if self.wbuf.len() >= size.max(1) {
                    self.flush()?;
                }
                Ok(())
            }
            VBuf::Line(size) => {
                self.wbuf.extend_from_slice(data);
                if data.contains(&b'\n') || self.wbuf.len() >= size.max(1) {
                    self.flush()?;
                }
                Ok(())
            }
        }
    }

    /// `fseek` + `ftell`.
    pub fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.flush()?;
        let unread = (self.rbuf.len() - self.rpos) as i64;
        let pos = match pos {
            SeekFrom::Current(off) => SeekFrom::Current(off - unread),
            other => other,
        };
        self.rbuf.clear();
        self.rpos = 0;
        match self.backend.as_mut() {
            Some(Backend::File(f)) => f.seek(pos),
            _ => Err(io::Error::from_raw_os_error(29)),
        }
    }

    /// Closes the stream. For a pipe, waits for the command and returns its status.
    pub fn close(&mut self) -> io::Result<Option<std::process::ExitStatus>> {
        let flushed = self.flush();
        let backend = self.backend.take();
        self.rbuf = Vec::new();
        let status = match backend {
            Some(Backend::PipeIn(mut c)) | Some(Backend::PipeOut(mut c)) => {
                drop(c.stdin.take());
                drop(c.stdout.take());
                Some(c.wait()?)
            }
            _ => None,
        };
        flushed?;
        Ok(status)
    }
}

impl Drop for LFile {
    /// A handle collected without `close` still writes its buffered output (C's
    /// `fclose` at `lua_close`) and reaps its command; a standard one writes what it
    /// buffered (a `setvbuf("full")` stderr), as C's `exit` flushes every stream.
    fn drop(&mut self) {
        if self.is_std() {
            let _ = self.flush();
        } else {
            let _ = self.close();
        }
    }
}

/// `inf`, `infinity`, `nan` (any case, optional sign), as `strtod` accepts them.
fn parse_special(s: &[u8]) -> Option<f64> {
    let (neg, body) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let body = body.to_ascii_lowercase();
    let v = match body.as_slice() {
        b"inf" | b"infinity" => f64::INFINITY,
        b"nan" => f64::NAN,
        _ => return None,
    };
    Some(if neg { -v } else { v })
}

/// Rejects what `str_to_number` would accept but `%lf` would not (nothing to convert).
fn valid_numeral(s: &[u8], hex: bool) -> bool {
    let digits = s.iter().filter(|c| c.is_ascii_digit()).count();
    hex || digits > 0
}
