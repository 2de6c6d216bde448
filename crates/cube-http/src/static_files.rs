//! `http.static(root)`: files under a directory, with the Content-Type of their
//! extension, Last-Modified and If-Modified-Since (304), single byte ranges (206, 416),
//! and no way out of the root: a `..` segment is refused (403), and the path is
//! resolved (symlinks included) and must stay under the resolved root (else 403).
//!
//! Regular files are read on the process's own thread: the kernel offers no readiness
//! for them, and a read of a local file is short; the body is bounded by the process's
//! heap limit, checked before reading.

use cube_lua::host::{Cx, HostResult, TableRef, Val};
use cube_lua::{Args, Ret};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The Content-Type of a file name.
pub fn content_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "txt" | "text" | "md" | "lua" | "lfe" => "text/plain; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "xml" => "application/xml",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "avif" => "image/avif",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        "wasm" => "application/wasm",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "gz" => "application/gzip",
        "tar" => "application/x-tar",
        "mp3" => "audio/mpeg",
        "ogg" => "audio/ogg",
        "wav" => "audio/wav",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        _ => "application/octet-stream",
    }
}

/// A byte range of a file of `size` bytes, from a Range header value: `Ok(None)` to
/// serve the whole file (no header, or one this server ignores: several ranges, other
/// units, bad syntax, as RFC 9110 14.2 allows), `Err(())` when unsatisfiable (416).
pub fn parse_range(value: &[u8], size: u64) -> Result<Option<(u64, u64)>, ()> {
    let Ok(v) = std::str::from_utf8(value) else {
        return Ok(None);
    };
    let Some(spec) = v.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return Ok(None);
    };
    let num = |s: &str| -> Option<u64> {
        if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
            None
        } else {
            s.parse().ok()
        }
    };
    let (start, end) = match (a.trim(), b.trim()) {
        ("", suffix) => {
            let Some(n) = num(suffix) else {
                return Ok(None);
            };
            if n == 0 || size == 0 {
                return Err(());
            }
            (size.saturating_sub(n), size - 1)
        }
        (first, "") => {
            let Some(s) = num(first) else { return Ok(None) };
            if s >= size {
                return Err(());
            }
            (s, size - 1)
        }
        (first, last) => {
            let (Some(s), Some(e)) = (num(first), num(last)) else {
                return Ok(None);
            };
            if s > e {
                return Ok(None);
            }
            if s >= size {
                return Err(());
            }
            (s, e.min(size - 1))
        }
    };
    Ok(Some((start, end)))
}

enum Outcome {
    Status(u16, &'static str),
    File(PathBuf, std::fs::Metadata),
}

/// Finds the file for `rel` under `root`.
fn resolve(root: &str, rel: &[u8]) -> Outcome {
    let Ok(rel) = std::str::from_utf8(rel) else {
        return Outcome::Status(404, "not found\n");
    };
    if rel.contains('\0') || rel.contains('\\') {
        return Outcome::Status(400, "bad path\n");
    }
    let mut p = PathBuf::new();
    for seg in rel.split('/') {
        match seg {
            "" | "." => {}
            ".." => return Outcome::Status(403, "forbidden\n"),
            s => p.push(s),
        }
    }
    let Ok(root) = std::fs::canonicalize(root) else {
        return Outcome::Status(404, "not found\n");
    };
    let Ok(mut full) = std::fs::canonicalize(root.join(&p)) else {
        return Outcome::Status(404, "not found\n");
    };
    // A symlink that points out of the root is as good as a "..".
    if !full.starts_with(&root) {
        return Outcome::Status(403, "forbidden\n");
    }
    let Ok(mut md) = std::fs::metadata(&full) else {
        return Outcome::Status(404, "not found\n");
    };
    if md.is_dir() {
        let Ok(index) = std::fs::canonicalize(full.join("index.html")) else {
            return Outcome::Status(404, "not found\n");
        };
        if !index.starts_with(&root) {
            return Outcome::Status(403, "forbidden\n");
        }
        match std::fs::metadata(&index) {
            Ok(m) if m.is_file() => {
                full = index;
                md = m;
            }
            _ => return Outcome::Status(404, "not found\n"),
        }
    }
    if !md.is_file() {
        return Outcome::Status(404, "not found\n");
    }
    Outcome::File(full, md)
}

fn header<'n>(cx: &mut Cx<'n>, headers: Option<TableRef<'n>>, name: &str) -> Option<Vec<u8>> {
    let t = headers?;
    match cx.get_field(t, name) {
        Val::Str(s) => Some(s.as_bytes().to_vec()),
        _ => None,
    }
}

fn set<'n>(cx: &mut Cx<'n>, t: TableRef<'n>, name: &str, value: &[u8]) {
    let v = cx.new_str(value);
    cx.set_field(t, name, v);
}

fn push_response<'n>(
    cx: &mut Cx<'n>,
    status: u16,
    headers: &[(&str, Vec<u8>)],
    body: Vec<u8>,
) -> HostResult<'n, Ret> {
    let t = cx.new_table();
    cx.set_field(t, "status", Val::Num(status as f64));
    let h = cx.new_table();
    for (n, v) in headers {
        set(cx, h, n, v);
    }
    cx.set_field(t, "headers", Val::Table(h));
    let b = cx.new_string(body);
    cx.set_field(t, "body", b);
    cx.push(Val::Table(t));
    Ok(Ret::Values(1))
}

/// `static(root, method, path, headers)`: the response table for a file request.
pub(crate) fn serve<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let root = cx.check_str(a, 1)?.to_str_lossy().into_owned();
    let method = cx.check_str(a, 2)?.to_str_lossy().into_owned();
    let rel = cx.check_str(a, 3)?.as_bytes().to_vec();
    let headers = match cx.arg(a, 4) {
        Val::Table(t) => Some(t),
        _ => None,
    };
    let text = ("Content-Type", b"text/plain; charset=utf-8".to_vec());
    if method != "GET" && method != "HEAD" {
        return push_response(
            cx,
            405,
            &[text, ("Allow", b"GET, HEAD".to_vec())],
            b"method not allowed\n".to_vec(),
        );
    }
    let (path, md) = match resolve(&root, &rel) {
        Outcome::Status(s, body) => return push_response(cx, s, &[text], body.as_bytes().to_vec()),
        Outcome::File(p, m) => (p, m),
    };
    let size = md.len();
    // HTTP dates have whole seconds: compare at that precision.
    let mtime = md
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| UNIX_EPOCH + Duration::from_secs(d.as_secs()));
    let mut hdrs: Vec<(&str, Vec<u8>)> = vec![
        ("Content-Type", content_type(&path).as_bytes().to_vec()),
        ("Accept-Ranges", b"bytes".to_vec()),
    ];
    if let Some(m) = mtime {
        hdrs.push(("Last-Modified", httpdate::fmt_http_date(m).into_bytes()));
        let ims = header(cx, headers, "if-modified-since")
            .and_then(|v| String::from_utf8(v).ok())
            .and_then(|v| httpdate::parse_http_date(v.trim()).ok());
        if ims.is_some_and(|ims: SystemTime| m <= ims) {
            return push_response(cx, 304, &hdrs, Vec::new());
        }
    }
    let range = match header(cx, headers, "range") {
        Some(v) => match parse_range(&v, size) {
            Ok(r) => r,
            Err(()) => {
                hdrs.push(("Content-Range", format!("bytes */{size}").into_bytes()));
                return push_response(cx, 416, &hdrs, Vec::new());
            }
        },
        None => None,
    };
    let (status, start, len) = match range {
        Some((s, e)) => {
            hdrs.push((
                "Content-Range",
                format!("bytes {s}-{e}/{size}").into_bytes(),
            ));
            (206, s, e - s + 1)
        }
        None => (200, 0, size),
    };
    let Ok(len) = usize::try_from(len) else {
        return Err(cx.heap_limit_error());
    };
    // HEAD reads the file too: the connection sends the head with this length and
    // drops the body.
    cx.reserve(len)?;
    cx.charge_bytes(len)?;
    let read = || -> std::io::Result<Vec<u8>> {
        let mut f = std::fs::File::open(&path)?;
        f.seek(SeekFrom::Start(start))?;
        let mut body = Vec::with_capacity(len);
        f.take(len as u64).read_to_end(&mut body)?;
        Ok(body)
    };
    match read() {
        Ok(body) => push_response(cx, status, &hdrs, body),
        Err(_) => push_response(cx, 404, &[text], b"not found\n".to_vec()),
    }
}
