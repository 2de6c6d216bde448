//! The lexer: Lua 5.2 source bytes to tokens.
//!
//! It follows PUC-Rio Lua 5.2.4's `llex.c` closely, because error messages must read exactly
//! as the reference implementation prints them: every token keeps the text PUC keeps in its
//! buffer (`Token::text`), which is what `near '...'` shows, and the current line is the line
//! the scanner has reached (PUC's `ls->linenumber`), not the line where a token started.
//!
//! The lexer is pulled one token at a time by the parser ([`Lexer::next_token`]), so the line
//! it reports while the parser works is the same as PUC's at every point.

use crate::ast::Line;
use crate::chunkid::{chunk_id, SyntaxError};

/// PUC's `MAX_INT` (`INT_MAX - 2`): a chunk may not have more lines than this.
const MAX_LINES: u32 = i32::MAX as u32 - 2;

/// A token kind, with its semantic value for names, strings and numbers.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// A single-byte token (`+`, `(`, `~`, ... or any other byte that starts no token).
    Char(u8),
    And,
    Break,
    Do,
    Else,
    Elseif,
    End,
    False,
    For,
    Function,
    Goto,
    If,
    In,
    Local,
    Nil,
    Not,
    Or,
    Repeat,
    Return,
    Then,
    True,
    Until,
    While,
    /// `..`
    Concat,
    /// `...`
    Dots,
    /// `==`
    Eq,
    /// `>=`
    Ge,
    /// `<=`
    Le,
    /// `~=`
    Ne,
    /// `::`
    DbColon,
    /// End of input.
    Eos,
    Number(f64),
    Name(String),
    /// String literal contents after escape processing.
    Str(Vec<u8>),
}

/// Reserved words, in PUC's order.
const RESERVED: [(&str, Tok); 22] = [
    ("and", Tok::And),
    ("break", Tok::Break),
    ("do", Tok::Do),
    ("else", Tok::Else),
    ("elseif", Tok::Elseif),
    ("end", Tok::End),
    ("false", Tok::False),
    ("for", Tok::For),
    ("function", Tok::Function),
    ("goto", Tok::Goto),
    ("if", Tok::If),
    ("in", Tok::In),
    ("local", Tok::Local),
    ("nil", Tok::Nil),
    ("not", Tok::Not),
    ("or", Tok::Or),
    ("repeat", Tok::Repeat),
    ("return", Tok::Return),
    ("then", Tok::Then),
    ("true", Tok::True),
    ("until", Tok::Until),
    ("while", Tok::While),
];

impl Tok {
    /// The token as PUC's `luaX_token2str` shows it: quoted symbols and keywords, `char(N)`
    /// for unprintable bytes, and the bare class names `<eof>`, `<number>`, `<name>`,
    /// `<string>`.
    pub fn describe(&self) -> String {
        let word = match self {
            Tok::Char(c) if (0x20..0x7f).contains(c) => return format!("'{}'", *c as char),
            Tok::Char(c) => return format!("char({c})"),
            Tok::Eos => return "<eof>".to_string(),
            Tok::Number(_) => return "<number>".to_string(),
            Tok::Name(_) => return "<name>".to_string(),
            Tok::Str(_) => return "<string>".to_string(),
            Tok::Concat => "..",
            Tok::Dots => "...",
            Tok::Eq => "==",
            Tok::Ge => ">=",
            Tok::Le => "<=",
            Tok::Ne => "~=",
            Tok::DbColon => "::",
            reserved => RESERVED
                .iter()
                .find(|(_, t)| t == reserved)
                .map_or("?", |(w, _)| w),
        };
        format!("'{word}'")
    }
}

/// One token, with the text PUC would show for it in a `near` clause.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub tok: Tok,
    /// PUC's buffer contents after scanning a name, string or number (for strings: the
    /// delimiters plus the processed contents); empty for other tokens.
    pub text: Vec<u8>,
}

impl Token {
    /// The token as PUC's `txtToken` shows it after `near`.
    pub fn near_text(&self) -> String {
        match self.tok {
            Tok::Name(_) | Tok::Str(_) | Tok::Number(_) => quote_buffer(&self.text),
            _ => self.tok.describe(),
        }
    }
}

/// Quotes a scanner buffer as PUC's `'%s'` does: the text ends at the first NUL byte.
fn quote_buffer(buf: &[u8]) -> String {
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    format!("'{}'", String::from_utf8_lossy(&buf[..end]))
}

/// Builds a complete message `chunkid:line: msg [near token]`, as PUC's `lexerror`.
pub fn format_error(chunkid: &str, line: Line, msg: &str, near: Option<&str>) -> SyntaxError {
    let message = match near {
        Some(near) => format!("{chunkid}:{line}: {msg} near {near}"),
        None => format!("{chunkid}:{line}: {msg}"),
    };
    SyntaxError { message }
}

/// `isspace` in the C locale.
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn is_alpha(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

fn is_alnum(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

fn is_newline(c: Option<u8>) -> bool {
    matches!(c, Some(b'\n') | Some(b'\r'))
}

type LexResult<T> = Result<T, SyntaxError>;

/// The scanner state: a cursor over the source, the current line and PUC's token buffer.
pub struct Lexer<'a> {
    src: &'a [u8],
    pos: usize,
    line: Line,
    chunkid: String,
    buf: Vec<u8>,
}

impl<'a> Lexer<'a> {
    pub fn new(src: &'a [u8], chunk_name: &str) -> Self {
        Lexer {
            src,
            pos: 0,
            line: 1,
            chunkid: chunk_id(chunk_name),
            buf: Vec::new(),
        }
    }

    /// The line the scanner has reached (PUC's `ls->linenumber`).
    pub fn line(&self) -> Line {
        self.line
    }

    /// The formatted chunk name used in messages.
    pub fn chunkid(&self) -> &str {
        &self.chunkid
    }

    /// The current byte, `None` at the end of input (PUC's `EOZ`).
    fn current(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn advance(&mut self) {
        if self.pos < self.src.len() {
            self.pos += 1;
        }
    }

    fn save_and_next(&mut self) {
        if let Some(c) = self.current() {
            self.buf.push(c);
        }
        self.advance();
    }

    /// If the current byte is one of `set`, saves it, advances and returns true.
    fn check_next(&mut self, set: &[u8]) -> bool {
        match self.current() {
            Some(c) if set.contains(&c) => {
                self.save_and_next();
                true
            }
            _ => false,
        }
    }

    /// An error at the current line; `near` is the text shown after `near`, if any.
    fn error(&self, msg: &str, near: Option<&str>) -> SyntaxError {
        format_error(&self.chunkid, self.line, msg, near)
    }

    /// An error whose `near` clause shows the buffer (PUC passes TK_STRING/TK_NUMBER).
    fn error_buf(&self, msg: &str) -> SyntaxError {
        self.error(msg, Some(&quote_buffer(&self.buf)))
    }

    /// An error reported `near <eof>`.
    fn error_eof(&self, msg: &str) -> SyntaxError {
        self.error(msg, Some("<eof>"))
    }

    /// Skips one line break (`\n`, `\r`, `\r\n` or `\n\r`) and counts it.
    fn inc_line(&mut self) -> LexResult<()> {
        let old = self.current();
        self.advance();
        if is_newline(self.current()) && self.current() != old {
            self.advance();
        }
        self.line += 1;
        if self.line >= MAX_LINES {
            return Err(self.error("chunk has too many lines", None));
        }
        Ok(())
    }

    /// Scans the next token.
    pub fn next_token(&mut self) -> LexResult<Token> {
        self.buf.clear();
        let tok = self.scan()?;
        let text = match tok {
            Tok::Name(_) | Tok::Str(_) | Tok::Number(_) => std::mem::take(&mut self.buf),
            _ => Vec::new(),
        };
        Ok(Token { tok, text })
    }

    /// PUC's `llex`: skips blanks and comments, then reads one token.
    fn scan(&mut self) -> LexResult<Tok> {
        loop {
            let Some(c) = self.current() else {
                return Ok(Tok::Eos);
            };
            match c {
                b'\n' | b'\r' => self.inc_line()?,
                b' ' | b'\t' | 0x0b | 0x0c => self.advance(),
                b'-' => {
                    self.advance();
                    if self.current() != Some(b'-') {
                        return Ok(Tok::Char(b'-'));
                    }
                    self.advance();
                    self.skip_comment()?;
                }
                b'[' => {
                    let sep = self.skip_sep();
                    if sep >= 0 {
                        return self.read_long_string(sep as usize, true);
                    } else if sep == -1 {
                        return Ok(Tok::Char(b'['));
                    }
                    return Err(self.error_buf("invalid long string delimiter"));
                }
                b'=' => return Ok(self.one_or_two(b'=', Tok::Char(b'='), Tok::Eq)),
                b'<' => return Ok(self.one_or_two(b'=', Tok::Char(b'<'), Tok::Le)),
                b'>' => return Ok(self.one_or_two(b'=', Tok::Char(b'>'), Tok::Ge)),
                b'~' => return Ok(self.one_or_two(b'=', Tok::Char(b'~'), Tok::Ne)),
                b':' => return Ok(self.one_or_two(b':', Tok::Char(b':'), Tok::DbColon)),
                b'"' | b'\'' => return self.read_string(c),
                b'.' => return self.read_dot(),
                b'0'..=b'9' => return self.read_numeral(),
                c if is_alpha(c) => return Ok(self.read_name()),
                c => {
                    self.advance();
                    return Ok(Tok::Char(c));
                }
            }
        }
    }

    /// After the first byte of a possibly two-byte operator: returns `two` if the next
    /// byte is `second`, else `one`.
    fn one_or_two(&mut self, second: u8, one: Tok, two: Tok) -> Tok {
        self.advance();
        if self.current() == Some(second) {
            self.advance();
            two
        } else {
            one
        }
    }

    /// Skips a comment; the `--` has been consumed.
    fn skip_comment(&mut self) -> LexResult<()> {
        if self.current() == Some(b'[') {
            let sep = self.skip_sep();
            self.buf.clear();
            if sep >= 0 {
                self.read_long_string(sep as usize, false)?;
                self.buf.clear();
                return Ok(());
            }
        }
        while !is_newline(self.current()) && self.current().is_some() {
            self.advance();
        }
        Ok(())
    }

    /// Reads `[` or `]` followed by `=`s. Returns the level if the same bracket follows,
    /// otherwise `-(level) - 1` (so `-1` means a lone bracket).
    fn skip_sep(&mut self) -> i64 {
        let bracket = self.current();
        self.save_and_next();
        let mut count: i64 = 0;
        while self.current() == Some(b'=') {
            self.save_and_next();
            count += 1;
        }
        if self.current() == bracket {
            count
        } else {
            -count - 1
        }
    }

    /// Reads a long string or long comment body; the opening `[==` has been read and the
    /// current byte is the second `[`.
    fn read_long_string(&mut self, sep: usize, is_string: bool) -> LexResult<Tok> {
        self.save_and_next();
        if is_newline(self.current()) {
            self.inc_line()?;
        }
        loop {
            match self.current() {
                None => {
                    let what = if is_string {
                        "unfinished long string"
                    } else {
                        "unfinished long comment"
                    };
                    return Err(self.error_eof(what));
                }
                Some(b']') => {
                    if self.skip_sep() == sep as i64 {
                        self.save_and_next();
                        break;
                    }
                }
                Some(b'\n') | Some(b'\r') => {
                    self.buf.push(b'\n');
                    self.inc_line()?;
                    if !is_string {
                        self.buf.clear();
                    }
                }
                Some(_) => {
                    if is_string {
                        self.save_and_next();
                    } else {
                        self.advance();
                    }
                }
            }
        }
        let delim = 2 + sep;
        let contents = self
            .buf
            .get(delim..self.buf.len().saturating_sub(delim))
            .unwrap_or_default();
        Ok(Tok::Str(contents.to_vec()))
    }

    /// Reads a quoted string with escapes; the current byte is the delimiter.
    fn read_string(&mut self, delim: u8) -> LexResult<Tok> {
        self.save_and_next();
        loop {
            match self.current() {
                None => return Err(self.error_eof("unfinished string")),
                Some(b'\n') | Some(b'\r') => return Err(self.error_buf("unfinished string")),
                Some(c) if c == delim => break,
                Some(b'\\') => self.read_escape()?,
                Some(_) => self.save_and_next(),
            }
        }
        self.save_and_next();
        let contents = self
            .buf
            .get(1..self.buf.len().saturating_sub(1))
            .unwrap_or_default();
        Ok(Tok::Str(contents.to_vec()))
    }

    /// Reads one escape sequence; the current byte is the backslash.
    fn read_escape(&mut self) -> LexResult<()> {
        self.advance();
        let simple = match self.current() {
            None => return Ok(()), // the string loop reports the unfinished string
            Some(b'a') => 0x07,
            Some(b'b') => 0x08,
            Some(b'f') => 0x0c,
            Some(b'n') => b'\n',
            Some(b'r') => b'\r',
            Some(b't') => b'\t',
            Some(b'v') => 0x0b,
            Some(b'x') => self.read_hex_escape()?,
            Some(c @ (b'\\' | b'"' | b'\'')) => c,
            Some(b'\n') | Some(b'\r') => {
                self.inc_line()?;
                self.buf.push(b'\n');
                return Ok(());
            }
            Some(b'z') => {
                self.advance();
                while let Some(c) = self.current().filter(|&c| is_space(c)) {
                    if c == b'\n' || c == b'\r' {
                        self.inc_line()?;
                    } else {
                        self.advance();
                    }
                }
                return Ok(());
            }
            Some(c) if c.is_ascii_digit() => {
                let value = self.read_decimal_escape()?;
                self.buf.push(value);
                return Ok(());
            }
            Some(c) => return Err(self.escape_error(&[c], "invalid escape sequence")),
        };
        self.advance();
        self.buf.push(simple);
        Ok(())
    }

    /// PUC's `escerror`: the `near` text is the backslash and the escape bytes read.
    fn escape_error(&mut self, seq: &[u8], msg: &str) -> SyntaxError {
        self.buf.clear();
        self.buf.push(b'\\');
        self.buf.extend_from_slice(seq);
        self.error_buf(msg)
    }

    /// `\xXX`: exactly two hexadecimal digits. Leaves the cursor on the second digit.
    fn read_hex_escape(&mut self) -> LexResult<u8> {
        let mut seen = vec![b'x'];
        let mut value = 0u8;
        for _ in 0..2 {
            self.advance();
            let digit = self.current().and_then(|c| (c as char).to_digit(16));
            if let Some(c) = self.current() {
                seen.push(c);
            }
            match digit {
                Some(d) => value = (value << 4) | d as u8,
                None => return Err(self.escape_error(&seen, "hexadecimal digit expected")),
            }
        }
        Ok(value)
    }

    /// `\ddd`: up to three decimal digits, at most 255. Leaves the cursor after them.
    fn read_decimal_escape(&mut self) -> LexResult<u8> {
        let mut seen = Vec::new();
        let mut value: u32 = 0;
        while seen.len() < 3 {
            match self.current() {
                Some(c) if c.is_ascii_digit() => {
                    seen.push(c);
                    value = value * 10 + u32::from(c - b'0');
                    self.advance();
                }
                _ => break,
            }
        }
        u8::try_from(value).map_err(|_| self.escape_error(&seen, "decimal escape too large"))
    }

    /// `.`, `..`, `...` or a number starting with a dot.
    fn read_dot(&mut self) -> LexResult<Tok> {
        self.save_and_next();
        if self.check_next(b".") {
            if self.check_next(b".") {
                return Ok(Tok::Dots);
            }
            return Ok(Tok::Concat);
        }
        match self.current() {
            Some(c) if c.is_ascii_digit() => self.read_numeral(),
            _ => Ok(Tok::Char(b'.')),
        }
    }

    /// Reads a numeral as PUC 5.2.4 does: hex digits, dots and exponent marks (`e`/`E`, or
    /// `p`/`P` after `0x`) with an optional sign, then converts the whole text; any text
    /// that does not convert completely is a "malformed number".
    fn read_numeral(&mut self) -> LexResult<Tok> {
        let first = self.current();
        self.save_and_next();
        let expo: &[u8] = if first == Some(b'0') && self.check_next(b"xX") {
            b"Pp"
        } else {
            b"Ee"
        };
        loop {
            if self.check_next(expo) {
                self.check_next(b"+-");
            }
            match self.current() {
                Some(c) if c.is_ascii_hexdigit() || c == b'.' => self.save_and_next(),
                _ => break,
            }
        }
        match str_to_number(&self.buf) {
            Some(n) => Ok(Tok::Number(n)),
            None => Err(self.error_buf("malformed number")),
        }
    }

    fn read_name(&mut self) -> Tok {
        while self.current().is_some_and(is_alnum) {
            self.save_and_next();
        }
        let word = String::from_utf8_lossy(&self.buf).into_owned();
        match RESERVED.iter().find(|(w, _)| *w == word) {
            Some((_, tok)) => tok.clone(),
            None => Tok::Name(word),
        }
    }
}

/// Converts a numeral as PUC's `luaO_str2d` with C99 `strtod` does: decimal or `0x` hex
/// (with optional fraction and binary exponent); the whole text must be used.
pub fn str_to_number(text: &[u8]) -> Option<f64> {
    match text {
        [b'0', b'x' | b'X', rest @ ..] => hex_to_number(rest),
        _ => decimal_to_number(text),
    }
}

/// Splits `digits [. digits]` off the front, by the given digit class.
fn split_mantissa(text: &[u8], is_digit: fn(&u8) -> bool) -> (&[u8], &[u8], &[u8]) {
    let int_len = text.iter().take_while(|c| is_digit(c)).count();
    let (int, rest) = text.split_at(int_len);
    match rest.split_first() {
        Some((b'.', after)) => {
            let frac_len = after.iter().take_while(|c| is_digit(c)).count();
            let (frac, rest) = after.split_at(frac_len);
            (int, frac, rest)
        }
        _ => (int, &[], rest),
    }
}

/// Parses an exponent `[+-]digits` (after the marker), saturating huge values.
fn parse_exponent(text: &[u8]) -> Option<i64> {
    let (negative, digits) = match text.split_first() {
        Some((b'-', d)) => (true, d),
        Some((b'+', d)) => (false, d),
        _ => (false, text),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let value = digits.iter().fold(0i64, |acc, &d| {
        (acc * 10 + i64::from(d - b'0')).min(1 << 40)
    });
    Some(if negative { -value } else { value })
}

fn decimal_to_number(text: &[u8]) -> Option<f64> {
    let (int, frac, rest) = split_mantissa(text, u8::is_ascii_digit);
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    match rest.split_first() {
        None => {}
        Some((b'e' | b'E', exp)) => {
            parse_exponent(exp)?;
        }
        Some(_) => return None,
    }
    std::str::from_utf8(text).ok()?.parse().ok()
}

fn hex_to_number(text: &[u8]) -> Option<f64> {
    let (int, frac, rest) = split_mantissa(text, u8::is_ascii_hexdigit);
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let exp = match rest.split_first() {
        None => 0,
        Some((b'p' | b'P', exp)) => parse_exponent(exp)?,
        Some(_) => return None,
    };
    let mut mantissa: u64 = 0;
    let mut sticky = false;
    let mut exp2: i64 = exp;
    let digit = |c: u8| u64::from((c as char).to_digit(16).unwrap_or(0));
    for &c in int {
        if mantissa >> 60 == 0 {
            mantissa = (mantissa << 4) | digit(c);
        } else {
            sticky |= digit(c) != 0;
            exp2 += 4;
        }
    }
    for &c in frac {
        if mantissa >> 60 == 0 {
            mantissa = (mantissa << 4) | digit(c);
            exp2 -= 4;
        } else {
            sticky |= digit(c) != 0;
        }
    }
    Some(scale_rounded(mantissa, sticky, exp2))
}

/// `2^k` for `k` in the normal range.
fn pow2(k: i64) -> f64 {
    f64::from_bits(((k + 1023) as u64) << 52)
}

/// Computes `(mantissa + ε) * 2^exp2` rounded to nearest-even, where `sticky` says whether
/// nonzero digits were dropped beyond the mantissa (the ε); handles subnormals and overflow.
fn scale_rounded(mantissa: u64, sticky: bool, exp2: i64) -> f64 {
    if mantissa == 0 {
        return 0.0;
    }
    let lz = i64::from(mantissa.leading_zeros());
    let m = mantissa << lz;
    let e = exp2 - lz; // value = m * 2^e, with m in [2^63, 2^64)
    let top = e + 63; // unbiased binary exponent of the value
    if top > 1023 {
        return f64::INFINITY;
    }
    let keep = if top >= -1022 { 53 } else { 53 - (-1022 - top) };
    if keep < 0 {
        return 0.0;
    }
    let shift = (64 - keep) as u32; // 11..=64
    let (mut q, half, rest) = if shift == 64 {
        (0u64, m >> 63, (m << 1) != 0 || sticky)
    } else {
        let rest_mask = (1u64 << (shift - 1)) - 1;
        (
            m >> shift,
            (m >> (shift - 1)) & 1,
            (m & rest_mask) != 0 || sticky,
        )
    };
    if half == 1 && (rest || q & 1 == 1) {
        q += 1;
    }
    let k = e + i64::from(shift);
    // q <= 2^53, so `q as f64` is exact; k is in -1074..=971 and the scaling is exact
    // (or overflows to infinity when rounding carried past the largest finite value).
    if k < -1022 {
        q as f64 * pow2(k + 200) * pow2(-200)
    } else {
        q as f64 * pow2(k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// All tokens of `src`, or the error message.
    fn lex(src: &str) -> Result<Vec<Tok>, String> {
        let mut lexer = Lexer::new(src.as_bytes(), "=t");
        let mut out = Vec::new();
        loop {
            let token = lexer.next_token().map_err(|e| e.message)?;
            if token.tok == Tok::Eos {
                return Ok(out);
            }
            out.push(token.tok);
        }
    }

    fn one(src: &str) -> Tok {
        let toks = lex(src).unwrap();
        assert_eq!(toks.len(), 1, "{toks:?}");
        toks[0].clone()
    }

    fn num(src: &str) -> f64 {
        match one(src) {
            Tok::Number(n) => n,
            other => panic!("not a number: {other:?}"),
        }
    }

    fn string(src: &str) -> Vec<u8> {
        match one(src) {
            Tok::Str(s) => s,
            other => panic!("not a string: {other:?}"),
        }
    }

    #[test]
    fn operators_and_keywords() {
        use Tok::*;
        assert_eq!(
            lex("a.b..c...==~=<=>=::goto while ~ = < > : #").unwrap(),
            vec![
                Name("a".into()),
                Char(b'.'),
                Name("b".into()),
                Concat,
                Name("c".into()),
                Dots,
                Eq,
                Ne,
                Le,
                Ge,
                DbColon,
                Goto,
                While,
                Char(b'~'),
                Char(b'='),
                Char(b'<'),
                Char(b'>'),
                Char(b':'),
                Char(b'#'),
            ]
        );
    }

    #[test]
    fn numbers() {
        assert_eq!(num("3"), 3.0);
        assert_eq!(num("3.25"), 3.25);
        assert_eq!(num(".5"), 0.5);
        assert_eq!(num("5."), 5.0);
        assert_eq!(num("1e3"), 1000.0);
        assert_eq!(num("1E-2"), 0.01);
        assert_eq!(num("2.5e+2"), 250.0);
        assert_eq!(num("1e400"), f64::INFINITY);
        assert_eq!(num("1e-400"), 0.0);
        assert_eq!(num("0xff"), 255.0);
        assert_eq!(num("0XA"), 10.0);
        assert_eq!(num("0x1p4"), 16.0);
        assert_eq!(num("0xA.8p0"), 10.5);
        assert_eq!(num("0x.8"), 0.5);
        assert_eq!(num("0x1P-2"), 0.25);
        assert_eq!(num("0x1e"), 30.0);
        assert_eq!(num("0x1p99999999999999"), f64::INFINITY);
        assert_eq!(num("0x1p-1074"), f64::from_bits(1));
        assert_eq!(num("0x1p-1076"), 0.0);
        assert_eq!(num("0x1.8p-1074"), f64::from_bits(2));
        assert_eq!(num("0xffffffffffffffffff"), 4722366482869645213696.0);
        assert_eq!(num("0x1fffffffffffff8"), 144115188075855870.0);
        assert_eq!(num("0x1.fffffffffffff8p1023"), f64::INFINITY);
        assert_eq!(num("0x1.fffffffffffffp1023"), f64::MAX);
        assert_eq!(num("08"), 8.0);
        // Rounding cases checked against lua5.2's `string.format("%a", x)`.
        assert_eq!(num("0x1.8p-1075"), f64::from_bits(1));
        assert_eq!(num("0x1.000000000000081p0"), 1.0000000000000002);
        assert_eq!(num("0x1.00000000000008p0"), 1.0);
        assert_eq!(num("0x1.00000000000018p0"), 1.0000000000000004);
        assert_eq!(num("0x.00000000000000000000001p100"), 256.0);
    }

    #[test]
    fn numeral_stops_at_non_hex_letters() {
        // Lua 5.2.4 reads `3x` as the number 3 followed by the name x.
        assert_eq!(
            lex("3x").unwrap(),
            vec![Tok::Number(3.0), Tok::Name("x".into())]
        );
        assert_eq!(lex("0x1e+5").unwrap().len(), 3);
    }

    #[test]
    fn strings_and_escapes() {
        assert_eq!(string(r#""a\tb\n\\\"\'""#), b"a\tb\n\\\"'");
        assert_eq!(string(r"'\a\b\f\v\r'"), b"\x07\x08\x0c\x0b\r");
        assert_eq!(string(r"'\x41\x7a\65\0665\255'"), b"Az\x41\x425\xff");
        assert_eq!(string(r"'\0'"), b"\0");
        assert_eq!(string("'a\\\nb'"), b"a\nb");
        assert_eq!(string("'a\\\r\nb'"), b"a\nb");
        assert_eq!(string("'ab\\z  \n\t  cd'"), b"abcd");
        assert_eq!(string("[[\nabc]]"), b"abc");
        assert_eq!(string("[==[\r\na]]b\r\n\n\rc]=]]==]"), b"a]]b\n\nc]=]");
        assert_eq!(string("[[a\rb\n\rc]]"), b"a\nb\nc");
    }

    #[test]
    fn lines_are_counted() {
        let mut lexer = Lexer::new(b"a\r\nb\n\rc\rd\ne --[[x\ny]] f [[\n\n]] g", "=t");
        let mut lines = Vec::new();
        while lexer.next_token().unwrap().tok != Tok::Eos {
            lines.push(lexer.line());
        }
        assert_eq!(lines, vec![1, 2, 3, 4, 5, 6, 8, 8]);
    }

    #[test]
    fn comments() {
        assert_eq!(lex("-- x\n--[==[ ]] ]==] 1 --[ 2\n 3").unwrap().len(), 2);
        assert_eq!(lex("--[==x\n1").unwrap(), vec![Tok::Number(1.0)]);
    }

    #[test]
    fn token_descriptions() {
        assert_eq!(Tok::Char(b'+').describe(), "'+'");
        assert_eq!(Tok::Char(1).describe(), "char(1)");
        assert_eq!(Tok::Char(200).describe(), "char(200)");
        assert_eq!(Tok::Eos.describe(), "<eof>");
        assert_eq!(Tok::Name("x".into()).describe(), "<name>");
        assert_eq!(Tok::Elseif.describe(), "'elseif'");
        assert_eq!(Tok::DbColon.describe(), "'::'");
    }
}
