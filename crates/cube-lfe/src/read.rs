//! The parser: tokens to [`Sexpr`]s, following LFE's grammar (`lfe_parse.spell1`):
//!
//! ```text
//! form  -> sexpr
//! sexpr -> symbol | number | string | binary | #'f/a
//!        | ' sexpr | ` sexpr | , sexpr | ,@ sexpr | #. sexpr
//!        | ( list ) | [ list ] | #( items ) | #B( items ) | #M( items )
//! list  -> sexpr* [. sexpr]        (the dot only after at least one sexpr)
//! ```
//!
//! Nesting is kept on an explicit stack (no recursion), so any depth reads. Errors are
//! LFE's: `illegal TOKEN` for a token the grammar does not allow there, `missing token`
//! when the input ends inside a form (both on the line where the form began), `bad
//! binary` / `bad map` for a `#B(...)` / `#M(...)` that cannot be built.

use crate::bits::make_bin;
use crate::error::ReadError;
use crate::lex::{Kind, Lexer, Stop, Token};
use crate::sexpr::Sexpr;

/// Reads every form of `src`, as `lfe_io:read_string/1` (and `lfe_io:read_file/1` on
/// a UTF-8 file) does: the whole text is scanned first, so a scan error anywhere wins
/// over a parse error before it.
pub fn read_all(src: &str) -> Result<Vec<Sexpr>, ReadError> {
    let cs: Vec<char> = src.chars().collect();
    let mut lx = Lexer::new(&cs, true);
    let mut toks = Vec::new();
    loop {
        match lx.next_token() {
            Ok(Some(t)) => toks.push(t),
            Ok(None) => break,
            Err(Stop::Error(e)) => return Err(e),
            Err(Stop::More) => unreachable!("the scanner asks for more only before eof"),
        }
    }
    let last_line = lx.line;
    let mut forms = Vec::new();
    let mut p = Parser::default();
    for t in toks {
        if let Some(form) = p.token(t)? {
            forms.push(form);
        }
    }
    if !p.stack.is_empty() {
        return Err(p.missing(last_line));
    }
    Ok(forms)
}

/// What [`Reader::read`] found.
#[derive(Debug, PartialEq)]
pub enum Read {
    /// One form; the reader has consumed its text.
    Form(Sexpr),
    /// The text so far ends inside a form: [`Reader::feed`] more, or
    /// [`Reader::finish`].
    More,
    /// No text left but blanks and comments (only after [`Reader::finish`]).
    Eof,
}

/// A streaming reader, for the shell: feed text as it arrives and take forms one at a
/// time (`lfe_io:read/1`'s behaviour). A form that is not complete yet is read again
/// from its start when more text comes, so feed whole lines.
pub struct Reader {
    buf: Vec<char>,
    /// Line number at `buf[0]`.
    line: u32,
    eof: bool,
}

impl Default for Reader {
    fn default() -> Reader {
        Reader::new()
    }
}

impl Reader {
    pub fn new() -> Reader {
        Reader {
            buf: Vec::new(),
            line: 1,
            eof: false,
        }
    }

    /// Adds text.
    pub fn feed(&mut self, text: &str) {
        self.buf.extend(text.chars());
    }

    /// Marks the end of the input: what is buffered must now read completely.
    pub fn finish(&mut self) {
        self.eof = true;
    }

    /// Reads the next form. After an error the buffered text is dropped.
    pub fn read(&mut self) -> Result<Read, ReadError> {
        let mut lx = Lexer::new(&self.buf, self.eof);
        lx.line = self.line;
        let mut p = Parser::default();
        let result = loop {
            match lx.next_token() {
                Ok(Some(t)) => match p.token(t) {
                    Ok(Some(form)) => break Ok(Read::Form(form)),
                    Ok(None) => {}
                    Err(e) => break Err(e),
                },
                Ok(None) if p.stack.is_empty() => break Ok(Read::Eof),
                Ok(None) => break Err(p.missing(lx.line)),
                Err(Stop::More) => return Ok(Read::More),
                Err(Stop::Error(e)) => break Err(e),
            }
        };
        let (pos, line) = (lx.pos, lx.line);
        match &result {
            Ok(_) => {
                self.buf.drain(..pos);
            }
            Err(_) => self.buf.clear(),
        }
        self.line = line;
        result
    }
}

/// Where a list is after its elements.
enum Dot {
    /// No dot yet.
    No,
    /// After `.`, waiting for the tail.
    Awaiting,
    /// The tail has been read: only the closing bracket may come.
    Tail(Sexpr),
    /// The tail was a list spliced into this one (`(a . (b c))`): only the closing
    /// bracket may come.
    Spliced,
}

/// An open construct waiting for its elements.
enum Frame {
    /// `(` or `[`.
    List(ListFrame),
    Tuple(Vec<Sexpr>),
    Binary(Vec<Sexpr>, u32),
    Map(Vec<Sexpr>, u32),
    /// `'`, `` ` ``, `,`, `,@` (the symbol to wrap in) or `#.` (`None`).
    Prefix(Option<&'static str>, u32),
}

/// An open list. A list that is the tail of another (`(a . (b . (c)))`) is read into
/// the same vector, so right-nested dotted lists read in linear time: `spliced` holds,
/// for each such inner list still open, its closing bracket and where its elements
/// start.
struct ListFrame {
    close: Kind,
    items: Vec<Sexpr>,
    dot: Dot,
    spliced: Vec<(Kind, usize)>,
}

impl ListFrame {
    /// The bracket that closes the innermost open list.
    fn expected_close(&self) -> Kind {
        self.spliced.last().map_or(self.close, |s| s.0)
    }

    /// Whether a dot may come: after at least one element of the innermost list.
    fn dot_allowed(&self) -> bool {
        matches!(self.dot, Dot::No) && self.items.len() > self.spliced.last().map_or(0, |s| s.1)
    }
}

fn closer(open: Kind) -> Kind {
    if open == Kind::Open {
        Kind::Close
    } else {
        Kind::CloseBracket
    }
}

#[derive(Default)]
struct Parser {
    stack: Vec<Frame>,
    /// The line of the first token of the current form.
    start: u32,
}

impl Parser {
    fn illegal(&self, t: &Token) -> ReadError {
        let name = if t.kind == Kind::Other {
            t.other.clone()
        } else {
            t.kind.name().to_string()
        };
        ReadError::new(self.start, (t.line, t.col), format!("illegal {name}"))
    }

    fn missing(&self, line: u32) -> ReadError {
        ReadError::new(self.start, (line, 0), "missing token")
    }

    /// Takes one token; a complete form when this token ends one.
    fn token(&mut self, mut t: Token) -> Result<Option<Sexpr>, ReadError> {
        if self.stack.is_empty() {
            self.start = t.line;
        }
        if let Some(Frame::List(l)) = self.stack.last_mut() {
            match l.dot {
                // After `. sexpr` only the closing bracket may come.
                Dot::Tail(_) | Dot::Spliced if t.kind != l.expected_close() => {
                    return Err(self.illegal(&t));
                }
                // A list after the dot: read on into the same vector.
                Dot::Awaiting if matches!(t.kind, Kind::Open | Kind::OpenBracket) => {
                    l.spliced.push((closer(t.kind), l.items.len()));
                    l.dot = Dot::No;
                    return Ok(None);
                }
                _ => {}
            }
        }
        let frame = match t.kind {
            Kind::Fun | Kind::Symbol | Kind::Number | Kind::Str | Kind::Binary => {
                let Some(v) = t.value.take() else {
                    return Err(ReadError::new(t.line, (t.line, t.col), t.other));
                };
                return self.complete(v);
            }
            Kind::Open | Kind::OpenBracket => Frame::List(ListFrame {
                close: closer(t.kind),
                items: Vec::new(),
                dot: Dot::No,
                spliced: Vec::new(),
            }),
            Kind::HashOpen => Frame::Tuple(Vec::new()),
            Kind::HashB => Frame::Binary(Vec::new(), t.line),
            Kind::HashM => Frame::Map(Vec::new(), t.line),
            Kind::Quote => Frame::Prefix(Some("quote"), t.line),
            Kind::Backquote => Frame::Prefix(Some("backquote"), t.line),
            Kind::Comma => Frame::Prefix(Some("comma"), t.line),
            Kind::CommaAt => Frame::Prefix(Some("comma-at"), t.line),
            Kind::HashDot => Frame::Prefix(None, t.line),
            Kind::Dot => {
                match self.stack.last_mut() {
                    Some(Frame::List(l)) if l.dot_allowed() => l.dot = Dot::Awaiting,
                    _ => return Err(self.illegal(&t)),
                }
                return Ok(None);
            }
            Kind::Close | Kind::CloseBracket => {
                if let Some(Frame::List(l)) = self.stack.last_mut() {
                    if !l.spliced.is_empty() {
                        // The end of a spliced list: the list it is the tail of is done.
                        match l.dot {
                            Dot::Awaiting => return Err(self.illegal(&t)),
                            _ if t.kind != l.expected_close() => return Err(self.illegal(&t)),
                            Dot::No => l.dot = Dot::Spliced,
                            Dot::Tail(_) | Dot::Spliced => {}
                        }
                        l.spliced.pop();
                        return Ok(None);
                    }
                }
                let v = match self.stack.pop() {
                    Some(Frame::List(l)) if l.close == t.kind => match l.dot {
                        Dot::No | Dot::Spliced => Sexpr::List(l.items),
                        Dot::Tail(tail) => Sexpr::dotted(l.items, tail),
                        Dot::Awaiting => return Err(self.illegal(&t)),
                    },
                    Some(Frame::Tuple(items)) if t.kind == Kind::Close => Sexpr::Tuple(items),
                    Some(Frame::Binary(items, line)) if t.kind == Kind::Close => {
                        match make_bin(&items) {
                            Some(b) => Sexpr::Bits(b),
                            None => return Err(ReadError::new(line, (line, 0), "bad binary")),
                        }
                    }
                    Some(Frame::Map(items, line)) if t.kind == Kind::Close => {
                        if items.len() % 2 != 0 {
                            return Err(ReadError::new(line, (line, 0), "bad map"));
                        }
                        let mut pairs = Vec::with_capacity(items.len() / 2);
                        let mut it = items.into_iter();
                        while let (Some(k), Some(v)) = (it.next(), it.next()) {
                            pairs.push((k, v));
                        }
                        Sexpr::map(pairs)
                    }
                    _ => return Err(self.illegal(&t)),
                };
                return self.complete(v);
            }
            Kind::Other => return Err(self.illegal(&t)),
        };
        self.stack.push(frame);
        Ok(None)
    }

    /// A value is complete: give it to the innermost open construct.
    fn complete(&mut self, mut v: Sexpr) -> Result<Option<Sexpr>, ReadError> {
        loop {
            match self.stack.last_mut() {
                None => return Ok(Some(v)),
                Some(Frame::Prefix(Some(name), _)) => {
                    v = Sexpr::List(vec![Sexpr::atom(name), v]);
                    self.stack.pop();
                }
                Some(Frame::Prefix(None, line)) => {
                    let line = *line;
                    self.stack.pop();
                    v = eval_literal(v).map_err(|m| ReadError::new(line, (line, 0), m))?;
                }
                Some(Frame::List(l)) => {
                    match l.dot {
                        Dot::Awaiting => l.dot = Dot::Tail(v),
                        _ => l.items.push(v),
                    }
                    return Ok(None);
                }
                Some(Frame::Tuple(items) | Frame::Binary(items, _) | Frame::Map(items, _)) => {
                    items.push(v);
                    return Ok(None);
                }
            }
        }
    }
}

/// `#.`: LFE evaluates the form that follows at read time. Without an evaluator this
/// takes the forms that evaluate to themselves (numbers, strings, binaries, tuples,
/// maps, `()`) and `(quote x)`; a symbol is an unbound variable, as in LFE. Any other
/// form (a call) is refused.
fn eval_literal(mut v: Sexpr) -> Result<Sexpr, &'static str> {
    const BAD: &str = "bad #. expression";
    let items = match &mut v {
        Sexpr::Atom(_) | Sexpr::Dotted(..) => return Err(BAD),
        Sexpr::List(items) => items,
        _ => return Ok(v),
    };
    if items.len() == 2 && items[0].as_atom() == Some("quote") {
        return Ok(items.pop().unwrap_or(Sexpr::List(Vec::new())));
    }
    let posint = |e: &Sexpr| match e {
        Sexpr::Int(n) => *n >= 0,
        Sexpr::BigInt(n) => n.sign() != num_bigint::Sign::Minus,
        _ => false,
    };
    if items.iter().all(posint) {
        return Ok(v);
    }
    if items.first().is_some_and(|h| h.as_atom().is_some()) {
        Err("bad #. expression (read-time evaluation of calls is not supported)")
    } else {
        Err(BAD)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::write;

    fn err(src: &str) -> (u32, (u32, u32), String) {
        let e = read_all(src).unwrap_err();
        (e.line, e.at, e.message)
    }

    #[test]
    fn errors_name_the_line_of_the_form_and_the_exact_place() {
        assert_eq!(err("a\n(b\n c\n ]"), (2, (4, 2), "illegal ']'".to_string()));
        assert_eq!(err("(a\n\n"), (1, (3, 0), "missing token".to_string()));
    }

    #[test]
    fn read_time_evaluation_of_literals() {
        let forms = read_all("#.1 #.\"ab\" #.'x #.#(a b) #.#.'(1 2)").expect("reads");
        let printed: Vec<String> = forms.iter().map(write).collect();
        assert_eq!(printed, ["1", "(97 98)", "x", "#(a b)", "(1 2)"]);
        assert_eq!(err("#.a").2, "bad #. expression");
        assert!(err("#.(+ 1 2)").2.contains("not supported"));
    }

    #[test]
    fn function_references() {
        let forms = read_all("#'f/1 #'m:f/2 #'=:=/2").expect("reads");
        let printed: Vec<String> = forms.iter().map(write).collect();
        assert_eq!(
            printed,
            ["(function f 1)", "(function m f 2)", "(function =:= 2)"]
        );
        assert!(err("#'f/").2.contains("bad of format"));
    }

    #[test]
    fn characters_and_radix_numbers() {
        let forms = read_all("#\\a #\\x41; comment\n#x1F #36rZZ #b-101 2#101").expect("reads");
        let printed: Vec<String> = forms.iter().map(write).collect();
        // `#\x41;` is the character x, then 41 and a comment (LFE 2.2 has no `#\x`
        // escapes), and `2#101` is a symbol.
        assert_eq!(printed, ["97", "120", "41", "31", "1295", "-5", "2#101"]);
    }
}
