//! Writing response heads: the status line, the handler's headers (checked: a name or
//! value with CR or LF would let a handler's input split the response), and the
//! framing and connection headers the server owns.

use cube_lua::host::{Cx, HostResult, TableRef, Val};

/// How the body of a response is delimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Framing {
    Length(usize),
    Chunked,
    /// Until the connection closes (HTTP/1.0 streaming).
    Close,
}

/// The reason phrase of a status.
pub(crate) fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        411 => "Length Required",
        413 => "Content Too Large",
        416 => "Range Not Satisfiable",
        422 => "Unprocessable Content",
        426 => "Upgrade Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    }
}

/// Headers the server sets itself; a handler's own are dropped.
fn owned_by_server(name: &str) -> bool {
    name.eq_ignore_ascii_case("content-length")
        || name.eq_ignore_ascii_case("transfer-encoding")
        || name.eq_ignore_ascii_case("connection")
}

/// A response head.
pub(crate) fn head(
    status: u16,
    headers: &[(String, Vec<u8>)],
    framing: Framing,
    keep: bool,
    minor: u8,
) -> Vec<u8> {
    let mut h = Vec::with_capacity(128 + headers.len() * 32);
    h.extend_from_slice(format!("HTTP/1.1 {status} {}\r\n", reason(status)).as_bytes());
    let mut has_date = false;
    for (n, v) in headers {
        if owned_by_server(n) {
            continue;
        }
        has_date |= n.eq_ignore_ascii_case("date");
        h.extend_from_slice(n.as_bytes());
        h.extend_from_slice(b": ");
        h.extend_from_slice(v);
        h.extend_from_slice(b"\r\n");
    }
    if !has_date {
        h.extend_from_slice(b"Date: ");
        h.extend_from_slice(httpdate::fmt_http_date(std::time::SystemTime::now()).as_bytes());
        h.extend_from_slice(b"\r\n");
    }
    match framing {
        Framing::Length(n) => {
            if status >= 200 && status != 204 && status != 304 {
                h.extend_from_slice(format!("Content-Length: {n}\r\n").as_bytes());
            }
        }
        Framing::Chunked => h.extend_from_slice(b"Transfer-Encoding: chunked\r\n"),
        Framing::Close => {}
    }
    if !keep {
        h.extend_from_slice(b"Connection: close\r\n");
    } else if minor == 0 {
        h.extend_from_slice(b"Connection: keep-alive\r\n");
    }
    h.extend_from_slice(b"\r\n");
    h
}

/// The whole answer to a request the server refuses, before closing.
pub(crate) fn error_response(status: u16) -> Vec<u8> {
    let body = format!("{status} {}\n", reason(status));
    let mut r = head(
        status,
        &[("Content-Type".into(), b"text/plain; charset=utf-8".to_vec())],
        Framing::Length(body.len()),
        false,
        1,
    );
    r.extend_from_slice(body.as_bytes());
    r
}

fn valid_name(n: &[u8]) -> bool {
    !n.is_empty()
        && n.iter()
            .all(|&b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

fn valid_value(v: &[u8]) -> bool {
    v.iter().all(|&b| b != b'\r' && b != b'\n' && b != 0)
}

/// A handler's `headers` table: string names to strings or numbers, or to a list of
/// them for a header sent several times (Set-Cookie). Anything else is a Lua error.
pub(crate) fn headers_from_lua<'n>(
    cx: &mut Cx<'n>,
    t: TableRef<'n>,
) -> HostResult<'n, Vec<(String, Vec<u8>)>> {
    let mut out = Vec::new();
    let mut k = Val::Nil;
    while let Some((key, v)) = cx.next(t, k) {
        k = key;
        cx.charge(1)?;
        let Val::Str(name) = key else {
            return Err(cx.rt_error("http: header names must be strings"));
        };
        let name_b = name.as_bytes();
        if !valid_name(name_b) {
            let m = format!("http: invalid header name '{}'", name.to_str_lossy());
            return Err(cx.rt_error(&m));
        }
        let name_s = name.to_str_lossy().into_owned();
        let mut push = |cx: &mut Cx<'n>, v: Val<'n>| -> HostResult<'n, ()> {
            let Some(s) = (match v {
                Val::Str(_) | Val::Num(_) => cx.to_str_coerce(v),
                _ => None,
            }) else {
                let m = format!(
                    "http: header '{name_s}' must be a string, number or list of them, got {}",
                    v.type_name()
                );
                return Err(cx.rt_error(&m));
            };
            if !valid_value(s.as_bytes()) {
                let m = format!("http: header '{name_s}' contains CR, LF or NUL");
                return Err(cx.rt_error(&m));
            }
            out.push((name_s.clone(), s.as_bytes().to_vec()));
            Ok(())
        };
        match v {
            Val::Table(list) => {
                let n = cx.raw_len(list);
                for i in 1..=n {
                    let item = cx.raw_get_int(list, i as i64);
                    push(cx, item)?;
                }
            }
            v => push(cx, v)?,
        }
    }
    Ok(out)
}
