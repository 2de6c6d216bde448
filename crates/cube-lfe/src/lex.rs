//! The scanner: characters to tokens, following `lfe_scan.erl` (LFE 2.2) rule for rule,
//! including its error messages and the lines it reports them on.
//!
//! The scanner works on a slice of characters that may not be the whole input: when
//! `eof` is false and a token might go on past the end, it stops with `Stop::More`
//! (the streaming reader then waits for more text). Nothing here recurses.

use crate::error::ReadError;
use crate::sexpr::{Bits, Sexpr, MAX_ATOM_CHARS};
use num_bigint::BigInt;
use num_traits::Num;

/// The longest number literal read, in characters (a bound on bignum parsing time).
pub const MAX_NUMBER_CHARS: usize = 100_000;

/// Token kinds. Those the grammar never accepts are `Other`, named as LFE's parser
/// names them in `illegal ...` messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Open,
    Close,
    OpenBracket,
    CloseBracket,
    Dot,
    Quote,
    Backquote,
    Comma,
    CommaAt,
    HashOpen,
    HashB,
    HashM,
    HashDot,
    Fun,
    Symbol,
    Number,
    Str,
    Binary,
    Other,
}

#[derive(Debug)]
pub(crate) struct Token {
    pub kind: Kind,
    /// The value of a `Fun`, `Symbol`, `Number`, `Str` or `Binary` token (`None` for a
    /// `Fun` without an arity, whose error message is then in `other`).
    pub value: Option<Sexpr>,
    /// The name of an `Other` token, as Erlang's `~p` prints the token type.
    pub other: String,
    pub line: u32,
    pub col: u32,
}

impl Kind {
    /// The token type as `~p` prints it in `illegal ~p`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Open => "'('",
            Kind::Close => "')'",
            Kind::OpenBracket => "'['",
            Kind::CloseBracket => "']'",
            Kind::Dot => "'.'",
            Kind::Quote => "'\\''",
            Kind::Backquote => "'`'",
            Kind::Comma => "','",
            Kind::CommaAt => "',@'",
            Kind::HashOpen => "'#('",
            Kind::HashB => "'#B('",
            Kind::HashM => "'#M('",
            Kind::HashDot => "'#.'",
            Kind::Fun => "'#\\''",
            Kind::Symbol => "symbol",
            Kind::Number => "number",
            Kind::Str => "string",
            Kind::Binary => "binary",
            Kind::Other => "",
        }
    }
}

/// Why the scanner stopped without a token.
#[derive(Debug)]
pub(crate) enum Stop {
    /// The text ends inside a token (or where one may still go on); only when `!eof`.
    More,
    Error(ReadError),
}

type Scan<T> = Result<T, Stop>;

/// `lfe_scan:symbol_char/1`.
pub fn symbol_char(c: char) -> bool {
    !matches!(c, '(' | ')' | '[' | ']' | '{' | '}' | '"' | ';')
        && ((c > ' ' && c <= '~') || c > '\u{a0}')
}

/// `lfe_scan:start_symbol_char/1`.
pub fn start_symbol_char(c: char) -> bool {
    !matches!(c, '#' | '`' | '\'' | ',' | '|') && symbol_char(c)
}

pub(crate) struct Lexer<'a> {
    cs: &'a [char],
    pub pos: usize,
    pub line: u32,
    pub col: u32,
    eof: bool,
}

impl<'a> Lexer<'a> {
    pub(crate) fn new(cs: &'a [char], eof: bool) -> Lexer<'a> {
        Lexer {
            cs,
            pos: 0,
            line: 1,
            col: 1,
            eof,
        }
    }

    fn peek(&self, k: usize) -> Option<char> {
        self.cs.get(self.pos + k).copied()
    }

    /// Consumes one character, keeping line and column.
    fn bump(&mut self) -> char {
        let c = self.cs[self.pos];
        self.pos += 1;
        if c == '\n' {
            self.line += 1;
            self.col = 1;
        } else {
            self.col += 1;
        }
        c
    }

    /// Consumes one character without counting a newline (LFE does not, after `\`).
    fn bump_raw(&mut self) -> char {
        let c = self.cs[self.pos];
        self.pos += 1;
        self.col += 1;
        c
    }

    fn more<T>(&self) -> Scan<T> {
        Err(Stop::More)
    }

    /// Appends the symbol characters that follow to `to`; asks for more input when
    /// they may go on past what has come so far.
    fn symbol_chars(&mut self, to: &mut String) -> Scan<()> {
        loop {
            match self.peek(0) {
                Some(c) if symbol_char(c) => {
                    self.bump();
                    to.push(c);
                }
                None if !self.eof => return self.more(),
                _ => return Ok(()),
            }
        }
    }

    fn err<T>(&self, message: impl Into<String>) -> Scan<T> {
        Err(Stop::Error(ReadError::new(
            self.line,
            (self.line, self.col),
            message,
        )))
    }

    /// The end of the available text: `More` if more may come, else `at_eof`.
    fn end<T>(&self, at_eof: impl FnOnce(&Self) -> Scan<T>) -> Scan<T> {
        if self.eof {
            at_eof(self)
        } else {
            self.more()
        }
    }

    fn token(&self, kind: Kind, value: Option<Sexpr>, line: u32, col: u32) -> Token {
        Token {
            kind,
            value,
            other: String::new(),
            line,
            col,
        }
    }

    /// The next token, `None` at the end of the input (only when `eof`).
    pub(crate) fn next_token(&mut self) -> Scan<Option<Token>> {
        loop {
            let Some(c) = self.peek(0) else {
                return self.end(|_| Ok(None));
            };
            let (line, col) = (self.line, self.col);
            let simple = |me: &mut Self, kind: Kind, n: usize| {
                for _ in 0..n {
                    me.bump();
                }
                Ok(Some(me.token(kind, None, line, col)))
            };
            match c {
                '"' => {
                    self.bump();
                    return self.string(false, line, col).map(Some);
                }
                c if c <= ' ' => {
                    self.bump();
                }
                ';' => loop {
                    match self.peek(0) {
                        None => return self.end(|_| Ok(None)),
                        Some('\n') => {
                            self.bump();
                            break;
                        }
                        Some(_) => {
                            self.bump();
                        }
                    }
                },
                '|' => {
                    self.bump();
                    return self.quoted_symbol(line, col).map(Some);
                }
                '#' => {
                    self.bump();
                    match self.hash(line, col)? {
                        Some(t) => return Ok(Some(t)),
                        None => continue, // a block comment
                    }
                }
                '\'' => return simple(self, Kind::Quote, 1),
                '`' => return simple(self, Kind::Backquote, 1),
                '.' => return simple(self, Kind::Dot, 1),
                ',' => match self.peek(1) {
                    Some('@') => return simple(self, Kind::CommaAt, 2),
                    None if !self.eof => return self.more(),
                    _ => return simple(self, Kind::Comma, 1),
                },
                c if start_symbol_char(c) => {
                    return self.symbol(String::new(), line, col).map(Some)
                }
                c => {
                    self.bump();
                    let kind = match c {
                        '(' => Kind::Open,
                        ')' => Kind::Close,
                        '[' => Kind::OpenBracket,
                        ']' => Kind::CloseBracket,
                        _ => Kind::Other,
                    };
                    let mut t = self.token(kind, None, line, col);
                    t.other = erlang_quoted_atom(&c.to_string());
                    return Ok(Some(t));
                }
            }
        }
    }

    /// After `#`. `None` for a block comment.
    fn hash(&mut self, line: u32, col: u32) -> Scan<Option<Token>> {
        let mut digits = String::new();
        while let Some(c) = self.peek(0).filter(char::is_ascii_digit) {
            self.bump();
            digits.push(c);
        }
        let Some(c) = self.peek(0) else {
            return self.end(|me| me.err("illegal token #"));
        };
        let other = |me: &mut Self, name: &str, n: usize| {
            for _ in 0..n {
                me.bump();
            }
            let mut t = me.token(Kind::Other, None, line, col);
            t.other = format!("'{name}'");
            Ok(Some(t))
        };
        if digits.is_empty() {
            let based = |me: &mut Self, base: u32| {
                me.bump();
                me.based_number(base, line, col).map(Some)
            };
            match c {
                '(' => {
                    self.bump();
                    return Ok(Some(self.token(Kind::HashOpen, None, line, col)));
                }
                '.' => {
                    self.bump();
                    return Ok(Some(self.token(Kind::HashDot, None, line, col)));
                }
                '`' => return other(self, "#`", 1),
                ';' => return other(self, "#;", 1),
                '|' => {
                    self.bump();
                    self.block_comment()?;
                    return Ok(None);
                }
                '"' => {
                    self.bump();
                    return self.string(true, line, col).map(Some);
                }
                '\'' => {
                    self.bump();
                    return self.fun(line, col).map(Some);
                }
                '*' => return based(self, 2),
                'o' | 'O' => return based(self, 8),
                'd' | 'D' => return based(self, 10),
                'x' | 'X' => return based(self, 16),
                'e' | 'E' => {
                    self.bump();
                    return self.symbol("Elixir.".to_string(), line, col).map(Some);
                }
                _ => {}
            }
        }
        if c == 'r' || c == 'R' {
            let significant = digits.trim_start_matches('0');
            let base = if significant.len() > 2 {
                0
            } else {
                significant.parse::<u32>().unwrap_or(0)
            };
            if (2..=36).contains(&base) {
                self.bump();
                return self.based_number(base, line, col).map(Some);
            }
            return self.err("bad of format of #r");
        }
        // The forms that need two characters.
        let Some(c1) = self.peek(1) else {
            if !self.eof {
                return self.more();
            }
            if c == ',' && digits.is_empty() {
                return other(self, "#,", 1);
            }
            return self.err(format!("illegal token #{c}"));
        };
        if digits.is_empty() {
            match (c, c1) {
                ('\\', c1) => {
                    self.bump_raw();
                    self.bump_raw();
                    let v = Sexpr::Int(c1 as i64);
                    return Ok(Some(self.token(Kind::Number, Some(v), line, col)));
                }
                (',', '@') => return other(self, "#,@", 2),
                (',', _) => return other(self, "#,", 1),
                ('m' | 'M', '(') => {
                    self.bump();
                    self.bump();
                    return Ok(Some(self.token(Kind::HashM, None, line, col)));
                }
                ('s' | 'S', '(') => return other(self, "#S(", 2),
                ('b' | 'B', '(') => {
                    self.bump();
                    self.bump();
                    return Ok(Some(self.token(Kind::HashB, None, line, col)));
                }
                ('b' | 'B', _) => {
                    self.bump();
                    return self.based_number(2, line, col).map(Some);
                }
                _ => {}
            }
        }
        self.err(format!("illegal token #{c}"))
    }

    fn block_comment(&mut self) -> Scan<()> {
        loop {
            match (self.peek(0), self.peek(1)) {
                (None, _) => return self.end(|me| me.err("bad of format of block comment")),
                (Some('|' | '#'), None) if !self.eof => return self.more(),
                (Some('|'), Some('#')) => {
                    self.bump();
                    self.bump();
                    return Ok(());
                }
                (Some('#'), Some('|')) => return self.err("illegal nested block comment"),
                _ => {
                    self.bump();
                }
            }
        }
    }

    /// A based number after its prefix (`#x`, `#36r` ...): a sign, then symbol
    /// characters that must all be digits of the base.
    fn based_number(&mut self, base: u32, line: u32, col: u32) -> Scan<Token> {
        let negative = match self.peek(0) {
            None => return self.end(|me| me.err("bad of format of based number")),
            Some('+') => {
                self.bump();
                false
            }
            Some('-') => {
                self.bump();
                true
            }
            Some(_) => false,
        };
        let mut digits = String::new();
        self.symbol_chars(&mut digits)?;
        if digits.is_empty() {
            return self.err("bad of format of based number");
        }
        if !digits.chars().all(|c| c.is_digit(base)) {
            return self.err("illegal characters in based number");
        }
        // As many bits as MAX_NUMBER_CHARS decimal digits hold, so that every number
        // read also prints in fewer than MAX_NUMBER_CHARS digits and reads back.
        let bits_per_digit = (32 - (base - 1).leading_zeros()) as usize;
        if digits.len().saturating_mul(bits_per_digit) > MAX_NUMBER_CHARS * 3 {
            return self.err("number too long");
        }
        let Ok(mut n) = BigInt::from_str_radix(&digits, base) else {
            return self.err("illegal characters in based number");
        };
        if negative {
            n = -n;
        }
        Ok(self.token(Kind::Number, Some(Sexpr::int(n)), line, col))
    }

    /// `#'name/arity` or `#'mod:name/arity` after `#'`.
    fn fun(&mut self, line: u32, col: u32) -> Scan<Token> {
        let mut cs = String::new();
        self.symbol_chars(&mut cs)?;
        let bad = |me: &Self| me.err(format!("bad of format of #'{cs}"));
        let Some(slash) = cs.find('/') else {
            return bad(self);
        };
        let (pre, arity) = (&cs[..slash], &cs[slash + 1..]);
        if !arity.chars().all(|c| c.is_ascii_digit()) {
            return bad(self);
        }
        if arity.is_empty() {
            // LFE scans this and then crashes when it parses it; the parser reports it
            // (so that a scan error later in the text still comes first, as in LFE).
            let mut t = self.token(Kind::Fun, None, line, col);
            t.other = format!("bad of format of #'{cs}");
            return Ok(t);
        }
        if arity.len() > MAX_NUMBER_CHARS {
            return self.err("number too long");
        }
        let Ok(a) = arity.parse::<BigInt>() else {
            return bad(self);
        };
        let mut items = vec![Sexpr::atom("function")];
        let names: Vec<&str> = match (pre, pre.find(':')) {
            ("=:=", _) if arity == "2" => vec![pre],
            (_, None) => vec![pre],
            (_, Some(i)) => vec![&pre[..i], &pre[i + 1..]],
        };
        for n in names {
            items.push(self.make_atom(n)?);
        }
        items.push(Sexpr::int(a));
        Ok(self.token(Kind::Fun, Some(Sexpr::List(items)), line, col))
    }

    fn make_atom(&self, name: &str) -> Scan<Sexpr> {
        if name.chars().count() > MAX_ATOM_CHARS {
            return self.err("atom too long (more than 255 characters)");
        }
        Ok(Sexpr::atom(name))
    }

    /// An unquoted symbol or number; `prefix` is already part of it (`Elixir.`).
    fn symbol(&mut self, mut cs: String, line: u32, col: u32) -> Scan<Token> {
        self.symbol_chars(&mut cs)?;
        if let Some(n) = parse_number(&cs) {
            if cs.len() > MAX_NUMBER_CHARS {
                return self.err("number too long");
            }
            return Ok(self.token(Kind::Number, Some(n), line, col));
        }
        let a = self.make_atom(&cs)?;
        Ok(self.token(Kind::Symbol, Some(a), line, col))
    }

    /// `|...|` after the first `|`.
    fn quoted_symbol(&mut self, line: u32, col: u32) -> Scan<Token> {
        let mut cs = String::new();
        loop {
            match (self.peek(0), self.peek(1)) {
                (Some('\\'), Some(_)) => {
                    self.bump_raw();
                    cs.push(self.bump_raw());
                }
                (Some('|'), _) => {
                    self.bump();
                    let a = self.make_atom(&cs)?;
                    return Ok(self.token(Kind::Symbol, Some(a), line, col));
                }
                (Some('\\'), None) | (None, _) if !self.eof => return self.more(),
                (None, _) | (Some('\\'), None) => {
                    return self.err(format!("illegal characters in |{cs}"))
                }
                (Some(_), _) => cs.push(self.bump()),
            }
        }
    }

    /// A string after its first `"`; `binary` for `#"..."`.
    fn string(&mut self, binary: bool, line: u32, col: u32) -> Scan<Token> {
        let text = match (self.peek(0), self.peek(1), self.peek(2)) {
            (None, _, _) => return self.end(|me| me.err("illegal characters in \"")),
            (Some('"'), None, _) if !self.eof => return self.more(),
            (Some('"'), None, _) => return self.err("illegal characters in \""),
            (Some('"'), Some('"'), _) => {
                self.bump();
                self.bump();
                self.triple_quoted()?
            }
            _ => self.single_quoted()?,
        };
        let (kind, value) = if binary {
            let bytes = text.into_iter().collect::<String>().into_bytes();
            (Kind::Binary, Sexpr::Bits(Bits::from_bytes(bytes)))
        } else {
            let v = text.into_iter().map(|c| Sexpr::Int(c as i64)).collect();
            (Kind::Str, Sexpr::List(v))
        };
        Ok(self.token(kind, Some(value), line, col))
    }

    fn single_quoted(&mut self) -> Scan<Vec<char>> {
        let mut cs = Vec::new();
        loop {
            match (self.peek(0), self.peek(1)) {
                (Some('\\'), Some(_)) => {
                    self.bump_raw();
                    cs.push(escape_char(self.bump_raw()));
                }
                (Some('\\'), None) if !self.eof => return self.more(),
                (Some('"'), _) => {
                    self.bump();
                    return Ok(cs);
                }
                (Some(_), _) => cs.push(self.bump()),
                (None, _) => {
                    return self.end(|me| {
                        let s: String = cs.iter().collect();
                        me.err(format!("illegal characters in \"{s}"))
                    })
                }
            }
        }
    }

    /// After `"""`: the rest of the first line must be blank; the string is the lines
    /// up to a line holding only blanks and `"""`, with those blanks taken off each.
    fn triple_quoted(&mut self) -> Scan<Vec<char>> {
        const BAD: &str = "bad format of triple-quoted string";
        loop {
            match self.peek(0) {
                Some(' ') => {
                    self.bump();
                }
                Some('\n') => {
                    self.bump();
                    break;
                }
                None if !self.eof => return self.more(),
                _ => return self.err(BAD),
            }
        }
        let mut lines: Vec<Vec<char>> = Vec::new();
        let mut cur: Vec<char> = Vec::new();
        loop {
            match self.peek(0) {
                None => return self.end(|me| me.err(BAD)),
                Some('\n') => {
                    self.bump();
                    lines.push(std::mem::take(&mut cur));
                }
                Some('"') => {
                    self.bump();
                    match (self.peek(0), self.peek(1)) {
                        (Some('"'), Some('"')) => {
                            self.bump();
                            self.bump();
                            if cur.iter().all(|&c| c == ' ') {
                                return self.tq_end(lines, &cur);
                            }
                            cur.extend(['"', '"', '"']);
                        }
                        (Some('"'), Some(_)) => {
                            // LFE keeps one of these two quotes.
                            self.bump();
                            cur.push('"');
                        }
                        (Some('"'), None) | (None, _) if !self.eof => return self.more(),
                        (None, _) | (Some('"'), None) => return self.err(BAD),
                        (Some(_), _) => cur.push('"'),
                    }
                }
                Some(_) => cur.push(self.bump()),
            }
        }
    }

    fn tq_end(&self, lines: Vec<Vec<char>>, prefix: &[char]) -> Scan<Vec<char>> {
        let mut out = Vec::new();
        for (i, l) in lines.iter().enumerate() {
            if !l.starts_with(prefix) {
                return self.err("bad format of triple-quoted string");
            }
            if i > 0 {
                out.push('\n');
            }
            out.extend_from_slice(&l[prefix.len()..]);
        }
        Ok(out)
    }
}

/// `lfe_scan`'s string escapes; any other escaped character stands for itself.
fn escape_char(c: char) -> char {
    match c {
        'b' => '\u{8}',
        't' => '\t',
        'n' => '\n',
        'v' => '\u{b}',
        'f' => '\u{c}',
        'r' => '\r',
        'e' => '\u{1b}',
        's' => ' ',
        'd' => '\u{7f}',
        c => c,
    }
}

/// What `list_to_integer/1`, then `list_to_float/1`, make of a symbol's characters:
/// `[+-]digits`, or `[+-]digits.digits[(e|E)[+-]digits]` that is finite.
pub(crate) fn parse_number(s: &str) -> Option<Sexpr> {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if digits(body) {
        if s.len() > MAX_NUMBER_CHARS {
            // Still a number: the caller reports it as too long.
            return Some(Sexpr::Int(0));
        }
        return s.parse::<BigInt>().ok().map(Sexpr::int);
    }
    let (int, rest) = body.split_once('.')?;
    let (frac, exp) = match rest.find(['e', 'E']) {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    if !digits(int) || !digits(frac) {
        return None;
    }
    if let Some(e) = exp {
        if !digits(e.strip_prefix(['+', '-']).unwrap_or(e)) {
            return None;
        }
    }
    match s.parse::<f64>() {
        Ok(f) if f.is_finite() => Some(Sexpr::Float(f)),
        _ => None,
    }
}

/// An atom as Erlang's `~p` writes it: bare if it is `[a-z][a-zA-Z0-9_@]*`, else in
/// single quotes with Erlang's escapes.
pub(crate) fn erlang_quoted_atom(name: &str) -> String {
    let mut cs = name.chars();
    let bare = matches!(cs.next(), Some('a'..='z'))
        && cs.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '@');
    if bare {
        return name.to_string();
    }
    let mut out = String::from("'");
    for c in name.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\u{7f}' => out.push_str("\\d"),
            c if (c as u32) < 32 || (0x80..0xa0).contains(&(c as u32)) => {
                out.push_str(&format!("\\{:o}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}
