//! Lua 5.2 pattern matching over bytes, with the semantics of lstrlib.c's matcher.
//!
//! The matcher is the classic backtracking one: `%` classes use the C locale's `ctype`
//! (bytes >= 128 belong to no class), sets support ranges, classes and `^`, items take the
//! suffixes `* + - ?`, and `( )`, `()`, `%1`-`%9`, `%bxy` and `%f[set]` work as in Lua 5.2.
//! Errors carry Lua's exact messages.
//!
//! Where lstrlib.c's `match` recurses (captures, `?`, the backing off of `*`/`+`, `-`),
//! this matcher pushes a frame on an explicit stack of plain data instead and pops it
//! on failure, so the Rust stack stays flat and a match in progress can stop between
//! two steps and go on later. The stack's depth is lstrlib's nesting of `match` calls:
//! at most 200 ("pattern too complex"), in exactly the same situations as in Lua. Once
//! a thread has matched, matching allocates nothing (the frame stack is reused).
//!
//! The entry points mirror the library functions:
//! * [`find`] for `string.find` (plain search when asked or when the pattern has no
//!   specials), [`find_at`] / [`Find`] for `string.match` (and the pattern path of `find`);
//! * [`Gmatch`] for `string.gmatch`, where `^` is *not* an anchor (Lua 5.2 quirk);
//! * [`Gsub`] plus [`expand_replacement`] for `string.gsub`;
//! * [`start_offset`] turns the `init` argument into a byte offset.
//!
//! Every entry point takes a [`Meter`]: the matcher counts its steps there (a call of
//! the matcher, a start skipped because the pattern's first item cannot match there,
//! a byte scanned by a repetition, `%b` or a back-reference, 16 bytes compared by a
//! plain search), stops with [`PatternError::Stopped`] past the meter's
//! limit, and looks at the meter's interrupt flag every few thousand steps. This is
//! what lets the library charge reductions in proportion to the work and end a
//! backtracking match that would run for years.
//!
//! A meter may also *pause* a search ([`Meter::pausing`]): once its steps reach the
//! threshold, the search returns [`PatternError::Paused`] at the entry of the next
//! matcher invocation, keeping its whole state (position, the attempt's frames and
//! captures) in its [`Find`], [`Gmatch`] or [`Gsub`]; called again with the same
//! subject and pattern, it goes on from there, and the first invocation it enters
//! never pauses, so every resumption makes progress. The string library uses this to
//! let the scheduler preempt a long match like any Lua code.
//!
//! Offsets are 0-based byte indices; ends are exclusive. Lua's 1-based values are
//! `start + 1` / `end` for `find`, and `offset + 1` for position captures.

use std::fmt;

use super::float::push_decimal;

/// `LUA_MAXCAPTURES`.
pub const MAX_CAPTURES: usize = 32;

/// `MAXCCALLS` in lstrlib.c: how deeply the matcher may nest before "pattern too complex".
const MAX_MATCH_CALLS: usize = 200;

/// The escape character, `L_ESC`.
const ESC: u8 = b'%';

/// Characters that make `string.find` use the matcher instead of a plain search.
const SPECIALS: &[u8] = b"^$*+?.([%-";

/// One capture of a successful match.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Capture {
    /// A substring capture: byte range `start..end` of the subject.
    Span(usize, usize),
    /// A position capture `()`: 0-based offset (Lua's value is `offset + 1`).
    Position(usize),
}

/// A pattern error, with Lua's exact message from [`fmt::Display`] / [`PatternError::message`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PatternError {
    /// `malformed pattern (ends with '%')`
    EndsWithEscape,
    /// `malformed pattern (missing ']')`
    MissingBracket,
    /// `malformed pattern (missing arguments to '%b')`
    MissingBalanceArgs,
    /// `missing '[' after '%f' in pattern`
    MissingFrontierSet,
    /// `invalid capture index %N` (a back-reference in the pattern; N may be 0)
    InvalidCaptureIndex(i32),
    /// `invalid capture index` (a capture asked for by a replacement or by gsub)
    InvalidReplacementIndex,
    /// `invalid pattern capture` (a `)` with no open capture)
    InvalidPatternCapture,
    /// `unfinished capture` (a capture still open when its value is asked for)
    UnfinishedCapture,
    /// `too many captures` (more than 32)
    TooManyCaptures,
    /// `pattern too complex` (more than 200 nested matcher calls)
    TooComplex,
    /// `invalid use of '%' in replacement string`
    InvalidReplacementEscape,
    /// The [`Meter`] stopped the match (its limit was reached or its interrupt flag set);
    /// the caller turns this into its own error (a reduction limit, an interrupt).
    Stopped,
    /// The [`Meter`] paused the match ([`Meter::pausing`]): not an error, the search
    /// goes on at its next call with the same subject and pattern.
    Paused,
}

/// Steps between two looks at a meter's interrupt flag.
const CHECK_EVERY: u64 = 4096;

/// The step counter of a match (see the module docs).
#[derive(Debug)]
pub struct Meter<'i> {
    /// Steps taken so far (the caller charges them).
    pub steps: u64,
    /// Stop once `steps` exceeds this.
    pub limit: u64,
    /// Stop as soon as this is set (looked at every `CHECK_EVERY` steps).
    pub interrupt: Option<&'i std::sync::atomic::AtomicBool>,
    /// Pause ([`PatternError::Paused`]) once `steps` reached this, at the entry of a
    /// matcher invocation (see [`Meter::pausing`]). `u64::MAX`: never.
    pub pause: u64,
    next_check: u64,
}

impl Default for Meter<'_> {
    fn default() -> Self {
        Meter::new(u64::MAX, None)
    }
}

impl<'i> Meter<'i> {
    /// A meter that allows `limit` steps and watches `interrupt`.
    pub fn new(limit: u64, interrupt: Option<&'i std::sync::atomic::AtomicBool>) -> Self {
        Meter {
            steps: 0,
            limit,
            interrupt,
            pause: u64::MAX,
            next_check: CHECK_EVERY.min(limit.saturating_add(1)),
        }
    }

    /// This meter, pausing the match once `steps` reached `threshold`.
    ///
    /// A pause happens only where the matcher is about to enter an invocation (a call
    /// of `match` in lstrlib.c): work measured after it is done (a repetition's scan,
    /// `%b`, a back-reference, a plain search) is only counted. The search returns
    /// [`PatternError::Paused`] and keeps its state ([`Find`], [`Gmatch`], [`Gsub`]);
    /// the next call with the same subject and pattern goes on from there, and its
    /// first invocation never pauses, so a match makes progress even with a threshold
    /// of 0. Since a meter counts from 0, a fresh meter for each call pauses after
    /// `threshold` steps of that call.
    pub fn pausing(mut self, threshold: u64) -> Self {
        self.pause = threshold;
        self
    }

    /// Counts `n` steps; `Err(Stopped)` past the limit or once interrupted.
    #[inline(always)]
    pub fn tick(&mut self, n: u64) -> Result<(), PatternError> {
        self.steps = self.steps.saturating_add(n);
        if self.steps >= self.next_check {
            return self.check_in();
        }
        Ok(())
    }

    /// Below this many steps, one more step can neither pause nor need a look at the
    /// limit and the interrupt flag (the matcher's fast path).
    #[inline(always)]
    fn quiet_until(&self) -> u64 {
        self.pause.min(self.next_check.saturating_sub(1))
    }

    #[cold]
    fn check_in(&mut self) -> Result<(), PatternError> {
        if self.steps > self.limit
            || self
                .interrupt
                .is_some_and(|f| f.load(std::sync::atomic::Ordering::Relaxed))
        {
            return Err(PatternError::Stopped);
        }
        self.next_check = self
            .steps
            .saturating_add(CHECK_EVERY)
            .min(self.limit.saturating_add(1));
        Ok(())
    }
}

impl PatternError {
    /// Lua's message for this error.
    pub fn message(&self) -> String {
        match self {
            Self::EndsWithEscape => "malformed pattern (ends with '%')".into(),
            Self::MissingBracket => "malformed pattern (missing ']')".into(),
            Self::MissingBalanceArgs => "malformed pattern (missing arguments to '%b')".into(),
            Self::MissingFrontierSet => "missing '[' after '%f' in pattern".into(),
            Self::InvalidCaptureIndex(n) => format!("invalid capture index %{n}"),
            Self::InvalidReplacementIndex => "invalid capture index".into(),
            Self::InvalidPatternCapture => "invalid pattern capture".into(),
            Self::UnfinishedCapture => "unfinished capture".into(),
            Self::TooManyCaptures => "too many captures".into(),
            Self::TooComplex => "pattern too complex".into(),
            Self::InvalidReplacementEscape => "invalid use of '%' in replacement string".into(),
            Self::Stopped => "pattern matching stopped".into(),
            Self::Paused => "pattern matching paused".into(),
        }
    }
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for PatternError {}

/// The length of a capture slot still open (`CAP_UNFINISHED` in lstrlib.c).
const CAP_UNFINISHED: usize = usize::MAX;
/// The length of a position capture (`CAP_POSITION`).
const CAP_POSITION: usize = usize::MAX - 1;

/// One capture slot: where it starts and its length, or [`CAP_UNFINISHED`] /
/// [`CAP_POSITION`] (lstrlib.c's `len`). Two words, as in C: a [`Match`] holds 32 of
/// them and is zeroed whenever one is made, so every byte counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct RawCapture {
    start: usize,
    len: usize,
}

/// A match: the matched range and the captures recorded.
///
/// The matcher records the captures straight into the caller's `Match` (the `search`
/// methods of [`Find`], [`Gmatch`], [`Gsub`] take it by `&mut`), as lstrlib keeps them
/// in its `MatchState`: the 32 slots (512 bytes) are never copied on the way out.
#[derive(Clone, Debug)]
pub struct Match {
    /// Offset of the first matched byte.
    pub start: usize,
    /// Offset just past the match.
    pub end: usize,
    level: usize,
    caps: [RawCapture; MAX_CAPTURES],
}

impl Default for Match {
    fn default() -> Self {
        Match {
            start: 0,
            end: 0,
            level: 0,
            caps: [RawCapture::default(); MAX_CAPTURES],
        }
    }
}

/// Two matches are equal when their ranges and the captures that took part are: the
/// slots past `level` hold whatever earlier attempts left there.
impl PartialEq for Match {
    fn eq(&self, other: &Self) -> bool {
        self.start == other.start
            && self.end == other.end
            && self.level == other.level
            && self.caps[..self.level] == other.caps[..other.level]
    }
}

impl Eq for Match {}

impl Match {
    /// An empty match, for a search to fill in.
    pub fn new() -> Self {
        Match::default()
    }

    /// A match without captures (what a plain search finds).
    fn plain(start: usize, end: usize) -> Self {
        Match {
            start,
            end,
            ..Match::default()
        }
    }

    /// Number of captures in the pattern that took part in the match (`ms->level`).
    ///
    /// `string.find` returns exactly these after the two positions.
    pub fn num_captures(&self) -> usize {
        self.level
    }

    /// Number of values `string.match`, `gmatch` and a gsub function receive: the captures,
    /// or the whole match when the pattern has none.
    pub fn num_values(&self) -> usize {
        self.level.max(1)
    }

    /// Capture `i` (0-based), as lstrlib's `push_onecapture` sees it: with no captures,
    /// index 0 is the whole match; an index beyond the captures is "invalid capture index";
    /// a capture never closed is "unfinished capture".
    pub fn capture(&self, i: usize) -> Result<Capture, PatternError> {
        if i >= self.level {
            return if i == 0 {
                Ok(Capture::Span(self.start, self.end))
            } else {
                Err(PatternError::InvalidReplacementIndex)
            };
        }
        let c = self.caps[i];
        match c.len {
            CAP_UNFINISHED => Err(PatternError::UnfinishedCapture),
            CAP_POSITION => Ok(Capture::Position(c.start)),
            len => Ok(Capture::Span(c.start, c.start + len)),
        }
    }

    /// The values `string.match`/`gmatch` return, in order (see [`Match::num_values`]).
    pub fn values(&self) -> impl Iterator<Item = Result<Capture, PatternError>> + '_ {
        (0..self.num_values()).map(move |i| self.capture(i))
    }
}

/// The byte at `i`, or NUL past the end: C reads the string's terminator there, and Lua's
/// matcher relies on that in a few places (`%f` at the end, `[` scanning, suffix checks).
#[inline(always)]
fn byte_at(s: &[u8], i: usize) -> u8 {
    s.get(i).copied().unwrap_or(0)
}

// The C locale's `ctype` classes, one bit each, looked up in a table (lstrlib.c calls
// `isalpha` and friends, which are table lookups too): a class test is one load and
// one `and` instead of a comparison chain per byte.
const C_ALPHA: u16 = 1 << 0;
const C_CNTRL: u16 = 1 << 1;
const C_DIGIT: u16 = 1 << 2;
const C_GRAPH: u16 = 1 << 3;
const C_LOWER: u16 = 1 << 4;
const C_PUNCT: u16 = 1 << 5;
const C_SPACE: u16 = 1 << 6;
const C_UPPER: u16 = 1 << 7;
const C_ALNUM: u16 = 1 << 8;
const C_XDIGIT: u16 = 1 << 9;
const C_ZERO: u16 = 1 << 10;

/// The classes of each byte (bytes >= 128 belong to none).
static CTYPE: [u16; 256] = CTYPE_TABLE;

/// [`CTYPE`] as a constant, to build [`CLASS_SETS`] from.
const CTYPE_TABLE: [u16; 256] = {
    let mut t = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        let mut f = 0;
        if c.is_ascii_alphabetic() {
            f |= C_ALPHA;
        }
        if c.is_ascii_control() {
            f |= C_CNTRL;
        }
        if c.is_ascii_digit() {
            f |= C_DIGIT;
        }
        if c.is_ascii_graphic() {
            f |= C_GRAPH;
        }
        if c.is_ascii_lowercase() {
            f |= C_LOWER;
        }
        if c.is_ascii_punctuation() {
            f |= C_PUNCT;
        }
        // `is_space`: C's isspace, with \v.
        if matches!(c, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r') {
            f |= C_SPACE;
        }
        if c.is_ascii_uppercase() {
            f |= C_UPPER;
        }
        if c.is_ascii_alphanumeric() {
            f |= C_ALNUM;
        }
        if c.is_ascii_hexdigit() {
            f |= C_XDIGIT;
        }
        if c == 0 {
            f |= C_ZERO;
        }
        t[i] = f;
        i += 1;
    }
    t
};

/// For a class letter after `%` (either case), the [`CTYPE`] bit it selects; 0 for any
/// other byte (which then stands for itself). `%z` is deprecated in 5.2, still accepted.
static CLASS_BITS: [u16; 256] = {
    let mut t = [0u16; 256];
    let pairs: [(u8, u16); 11] = [
        (b'a', C_ALPHA),
        (b'c', C_CNTRL),
        (b'd', C_DIGIT),
        (b'g', C_GRAPH),
        (b'l', C_LOWER),
        (b'p', C_PUNCT),
        (b's', C_SPACE),
        (b'u', C_UPPER),
        (b'w', C_ALNUM),
        (b'x', C_XDIGIT),
        (b'z', C_ZERO),
    ];
    let mut i = 0;
    while i < pairs.len() {
        let (l, bit) = pairs[i];
        t[l as usize] = bit;
        t[l.to_ascii_uppercase() as usize] = bit;
        i += 1;
    }
    t
};

/// For each class bit of [`CTYPE`] (by its index), the bytes that have it.
static CLASS_SETS: [ByteSet; 11] = {
    let mut t = [ByteSet([0; 4]); 11];
    let mut c = 0;
    while c < 256 {
        let mut b = 0;
        while b < 11 {
            if CTYPE_TABLE[c] & (1 << b) != 0 {
                t[b].0[c >> 6] |= 1 << (c & 63);
            }
            b += 1;
        }
        c += 1;
    }
    t
};

/// A set of bytes as 256 bits: a `[set]` worked out once for a loop over many bytes,
/// where [`match_bracket_class`] would walk the set's items again for each byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct ByteSet([u64; 4]);

impl ByteSet {
    #[inline(always)]
    fn has(&self, c: u8) -> bool {
        self.0[usize::from(c >> 6)] >> (c & 63) & 1 != 0
    }

    fn add(&mut self, c: u8) {
        self.0[usize::from(c >> 6)] |= 1 << (c & 63);
    }

    fn union(&mut self, other: &ByteSet, complement: bool) {
        for (w, o) in self.0.iter_mut().zip(other.0) {
            *w |= if complement { !o } else { o };
        }
    }

    /// The bytes `match_bracket_class(c, pat, p, ec)` holds: its walk over the items,
    /// adding each item's bytes instead of testing one.
    fn of_bracket(pat: &[u8], p: usize, ec: usize) -> ByteSet {
        let mut set = ByteSet([0; 4]);
        let mut q = p;
        let mut sig = true;
        if byte_at(pat, q + 1) == b'^' {
            sig = false;
            q += 1;
        }
        loop {
            q += 1;
            if q >= ec {
                break;
            }
            let pc = pat[q];
            if pc == ESC {
                q += 1;
                let cl = byte_at(pat, q);
                match CLASS_BITS[usize::from(cl)] {
                    0 => set.add(cl),
                    bits => set.union(
                        &CLASS_SETS[bits.trailing_zeros() as usize],
                        !cl.is_ascii_lowercase(),
                    ),
                }
            } else if byte_at(pat, q + 1) == b'-' && q + 2 < ec {
                q += 2;
                for c in pc..=pat[q] {
                    set.add(c);
                }
            } else {
                set.add(pc);
            }
        }
        if !sig {
            for w in &mut set.0 {
                *w = !*w;
            }
        }
        set
    }
}

/// Bytes a loop over a `[set]` tests with [`match_bracket_class`] before it builds
/// the set's [`ByteSet`] (which costs about as much as testing a few bytes).
const SET_DIRECT: usize = 8;

/// The offset of the first byte of `bytes` that is (`want`) or is not in the set
/// `pat[p..=ec]`.
fn position_in_set(bytes: &[u8], pat: &[u8], p: usize, ec: usize, want: bool) -> Option<usize> {
    let head = bytes.len().min(SET_DIRECT);
    if let Some(i) = bytes[..head]
        .iter()
        .position(|&c| match_bracket_class(c, pat, p, ec) == want)
    {
        return Some(i);
    }
    if head == bytes.len() {
        return None;
    }
    let set = ByteSet::of_bracket(pat, p, ec);
    bytes[head..]
        .iter()
        .position(|&c| set.has(c) == want)
        .map(|i| head + i)
}

/// Whether `c` belongs to class letter `cl` (`match_class`): lower-case letters select the
/// C-locale class, upper-case ones its complement, and any other byte stands for itself.
#[inline]
fn match_class(c: u8, cl: u8) -> bool {
    let bits = CLASS_BITS[usize::from(cl)];
    if bits == 0 {
        return cl == c;
    }
    (CTYPE[usize::from(c)] & bits != 0) == cl.is_ascii_lowercase()
}

/// Whether `c` is in the set `pat[p..=ec]`, where `pat[p]` is `[` and `pat[ec]` its `]`
/// (`matchbracketclass`). A `-` forms a range only when a byte follows it before `]`.
fn match_bracket_class(c: u8, pat: &[u8], p: usize, ec: usize) -> bool {
    let mut q = p;
    let mut sig = true;
    if byte_at(pat, q + 1) == b'^' {
        sig = false;
        q += 1;
    }
    loop {
        q += 1;
        if q >= ec {
            return !sig;
        }
        let pc = pat[q];
        if pc == ESC {
            q += 1;
            if match_class(c, byte_at(pat, q)) {
                return sig;
            }
        } else if byte_at(pat, q + 1) == b'-' && q + 2 < ec {
            q += 2;
            if pc <= c && c <= pat[q] {
                return sig;
            }
        } else if pc == c {
            return sig;
        }
    }
}

/// Index just past the single-character class at `p` (`classEnd`).
fn class_end(pat: &[u8], p: usize) -> Result<usize, PatternError> {
    let mut q = p + 1;
    match pat[p] {
        ESC => {
            if q >= pat.len() {
                return Err(PatternError::EndsWithEscape);
            }
            Ok(q + 1)
        }
        b'[' => {
            if byte_at(pat, q) == b'^' {
                q += 1;
            }
            // The first byte is never the closing `]`, so `[]]` is the set of `]`.
            loop {
                if q >= pat.len() {
                    return Err(PatternError::MissingBracket);
                }
                let c = pat[q];
                q += 1;
                if c == ESC && q < pat.len() {
                    q += 1;
                }
                if byte_at(pat, q) == b']' {
                    return Ok(q + 1);
                }
            }
        }
        _ => Ok(q),
    }
}

/// How a single-character class tests a byte, worked out once for a loop over many
/// bytes (a repetition, or the search for where a match can start) instead of once
/// per byte as `singlematch` does.
#[derive(Clone, Copy, Debug)]
enum Single {
    /// `.`
    Any,
    /// A literal byte, or `%` before a byte that is not a class letter.
    Byte(u8),
    /// `%a` and the like: the byte's [`CTYPE`] has `bits` (or has not, for `want == false`).
    Class { bits: u16, want: bool },
    /// `[set]`, tested by [`match_bracket_class`].
    Set,
}

impl Single {
    /// The test for the class at `pat[p]`.
    fn of(pat: &[u8], p: usize) -> Single {
        match pat[p] {
            b'.' => Single::Any,
            ESC => {
                let cl = byte_at(pat, p + 1);
                match CLASS_BITS[usize::from(cl)] {
                    0 => Single::Byte(cl),
                    bits => Single::Class {
                        bits,
                        want: cl.is_ascii_lowercase(),
                    },
                }
            }
            b'[' => Single::Set,
            c => Single::Byte(c),
        }
    }

    /// The length of the run of bytes at the start of `bytes` in the class `pat[p..ep]`
    /// (which this test was made for).
    #[inline]
    fn run_len(self, bytes: &[u8], pat: &[u8], p: usize, ep: usize) -> usize {
        let stop = match self {
            Single::Any => None,
            Single::Byte(b) => bytes.iter().position(|&c| c != b),
            Single::Class { bits, want } => bytes
                .iter()
                .position(|&c| (CTYPE[usize::from(c)] & bits != 0) != want),
            Single::Set => position_in_set(bytes, pat, p, ep - 1, false),
        };
        stop.unwrap_or(bytes.len())
    }

    /// The offset of the first byte of `bytes` in the class `pat[p..ep]`.
    #[inline]
    fn first_in(self, bytes: &[u8], pat: &[u8], p: usize, ep: usize) -> Option<usize> {
        match self {
            Single::Any => (!bytes.is_empty()).then_some(0),
            Single::Byte(b) => find_byte(bytes, b),
            Single::Class { bits, want } => bytes
                .iter()
                .position(|&c| (CTYPE[usize::from(c)] & bits != 0) == want),
            Single::Set => position_in_set(bytes, pat, p, ep - 1, true),
        }
    }
}

/// The offset of the first `b` in `hay` (`memchr`), eight bytes at a time.
fn find_byte(hay: &[u8], b: u8) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let splat = LO * u64::from(b);
    let mut chunks = hay.chunks_exact(8);
    let mut off = 0;
    for chunk in &mut chunks {
        let x = u64::from_le_bytes(chunk.try_into().expect("8 bytes")) ^ splat;
        // A zero byte of `x` is a `b`; the lowest flagged byte is always a true one
        // (a false flag needs a borrow from a true zero below it).
        let zero = x.wrapping_sub(LO) & !x & HI;
        if zero != 0 {
            return Some(off + (zero.trailing_zeros() / 8) as usize);
        }
        off += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&c| c == b)
        .map(|i| off + i)
}

/// What the start of a match must look like, when the pattern (after a `^` anchor is
/// split off) begins with an item that tests the subject before anything else can
/// happen: leading captures (they consume nothing), then a single-character class
/// without `*`, `?` or `-` after it, `%bxy` (which needs an `x`), or a frontier
/// `%f[set]`. A search uses it to go straight to the next start where an attempt can
/// get past its first item, instead of running an attempt at every byte (each of
/// which would fail there, with no error, as lstrlib's would).
#[derive(Clone, Copy, Debug)]
struct Lead {
    test: LeadTest,
    /// The class or set: `pat[p..ep]`.
    p: usize,
    ep: usize,
}

#[derive(Clone, Copy, Debug)]
enum LeadTest {
    /// The byte at the start is in a class.
    Byte(Single),
    /// The set `pat[p..ep]` holds the byte at the start but not the one before it.
    Frontier,
}

impl Lead {
    fn of(pat: &[u8]) -> Option<Lead> {
        let mut q = 0;
        let mut opened = 0;
        while byte_at(pat, q) == b'(' {
            opened += 1;
            q += if byte_at(pat, q + 1) == b')' { 2 } else { 1 };
        }
        // One capture too many fails ("too many captures") before the first class is
        // looked at, at every start: no start may be skipped then.
        if opened > MAX_CAPTURES || q >= pat.len() {
            return None;
        }
        let p = q;
        match pat[p] {
            b')' => return None,
            b'$' if p + 1 == pat.len() => return None,
            ESC => match byte_at(pat, p + 1) {
                b'b' if p + 3 < pat.len() => {
                    return Some(Lead {
                        test: LeadTest::Byte(Single::Byte(pat[p + 2])),
                        p,
                        ep: p + 4,
                    });
                }
                b'f' if byte_at(pat, p + 2) == b'[' => {
                    let ep = class_end(pat, p + 2).ok()?;
                    return Some(Lead {
                        test: LeadTest::Frontier,
                        p: p + 2,
                        ep,
                    });
                }
                b'b' | b'f' | b'0'..=b'9' => return None,
                _ => {}
            },
            _ => {}
        }
        // A malformed class is reported by the attempt, at the first start.
        let ep = class_end(pat, p).ok()?;
        if matches!(byte_at(pat, ep), b'*' | b'?' | b'-') {
            return None;
        }
        match Single::of(pat, p) {
            Single::Any => None,
            test => Some(Lead {
                test: LeadTest::Byte(test),
                p,
                ep,
            }),
        }
    }

    /// The first start in `from..end` that gets past the lead, or `end` (`end` is at
    /// most the subject's length).
    #[inline]
    fn seek(self, src: &[u8], pat: &[u8], from: usize, end: usize) -> usize {
        let (p, ec) = (self.p, self.ep - 1);
        match self.test {
            LeadTest::Byte(test) => test
                .first_in(&src[from..end], pat, p, self.ep)
                .map_or(end, |off| from + off),
            LeadTest::Frontier => {
                let set = (end - from > SET_DIRECT).then(|| ByteSet::of_bracket(pat, p, ec));
                let in_set = |c: u8| match &set {
                    Some(set) => set.has(c),
                    None => match_bracket_class(c, pat, p, ec),
                };
                // As the attempt tests it: the byte before the subject is NUL.
                let mut before = in_set(from.checked_sub(1).map_or(0, |i| src[i]));
                for (s, &c) in src.iter().enumerate().take(end).skip(from) {
                    let here = in_set(c);
                    if here && !before {
                        return s;
                    }
                    before = here;
                }
                end
            }
        }
    }
}

/// A matcher invocation waiting for the one it started (a call of `match` in lstrlib.c
/// that has not returned): what to do if that one fails. A success ends the whole
/// attempt at once (every invocation returns the end it is given), so only failures
/// come back to a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Frame {
    /// `x?` matched one byte and tried the rest after it: on failure, go on with the
    /// rest at `s`, skipping the item (in the same invocation, `pat[p..]`).
    Optional { s: usize, p: usize },
    /// Greedy repetition (`max_expand`): the rest `pat[ep + 1..]` was tried after `i`
    /// repetitions from `s`; on failure back off by one, or fail at zero.
    Greedy { s: usize, ep: usize, i: usize },
    /// Lazy repetition (`min_expand`) of the class `pat[p..ep]`: the rest was tried at
    /// `s`; on failure take one more repetition if the byte at `s` matches, or fail.
    Lazy { s: usize, p: usize, ep: usize },
    /// `start_capture` opened the last capture: on failure, drop it.
    Open,
    /// `end_capture` closed capture `l`: on failure, reopen it.
    Close { l: usize },
}

/// What the matcher does next.
enum Flow {
    /// Enter a new invocation: match `pat[p..]` against `src[s..]` (a frame for the
    /// invocation that asks for it has been pushed).
    Enter(usize, usize),
    /// The current invocation failed: back to the innermost frame.
    Fail,
    /// The current invocation matched up to `end`: so does the whole attempt.
    Done(usize),
}

/// A match attempt stopped at a pause ([`Meter::pause`]): everything needed to go on,
/// as plain data. The subject and pattern are not kept: the caller passes the same
/// ones again.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Suspended {
    /// Where the attempt started.
    start: usize,
    /// The invocation to enter when the attempt goes on: `pat[p..]` against `src[s..]`.
    s: usize,
    p: usize,
    /// The invocations waiting (innermost last).
    frames: Vec<Frame>,
    level: usize,
    caps: [RawCapture; MAX_CAPTURES],
    /// Lengths of the subject and pattern, to notice a caller that changed them.
    src_len: usize,
    pat_len: usize,
}

/// The matcher state for one search (`MatchState`), over several attempts.
///
/// lstrlib.c's `match` recurses at each place where it may have to come back (`?`,
/// `max_expand`'s backing off, `min_expand`, `start_capture`, `end_capture`); here
/// those places push a [`Frame`] on an explicit stack instead, and a failure pops the
/// innermost one. Each frame stands for one invocation waiting for another, so the
/// stack's depth is exactly lstrlib's nesting of `match` calls, and its limit of 200
/// ("pattern too complex") applies unchanged. Since the whole state of an attempt is
/// plain data, it can stop between two invocations and go on later ([`Suspended`]).
///
/// The captures are recorded in the caller's [`Match`] (`out`), and the steps in the
/// caller's meter, in place: nothing big is moved in or out of a search.
struct Matcher<'a, 'm, 'i> {
    src: &'a [u8],
    pat: &'a [u8],
    meter: &'m mut Meter<'i>,
    frames: Vec<Frame>,
    out: &'m mut Match,
    /// The invocation that a pause stopped before entering (`s`, `p`).
    pending: (usize, usize),
}

thread_local! {
    /// A frame stack to reuse: each search takes it and gives it back, so that matching
    /// allocates nothing once the thread has matched before (at most 200 frames are
    /// kept, a few kilobytes).
    static SPARE_FRAMES: std::cell::Cell<Vec<Frame>> = const { std::cell::Cell::new(Vec::new()) };
}

/// Gives the frame stack to the next search.
impl Drop for Matcher<'_, '_, '_> {
    fn drop(&mut self) {
        let mut frames = std::mem::take(&mut self.frames);
        frames.clear();
        SPARE_FRAMES.set(frames);
    }
}

impl<'a, 'm, 'i> Matcher<'a, 'm, 'i> {
    fn new(src: &'a [u8], pat: &'a [u8], meter: &'m mut Meter<'i>, out: &'m mut Match) -> Self {
        out.level = 0;
        Matcher {
            src,
            pat,
            meter,
            frames: SPARE_FRAMES.take(),
            out,
            pending: (0, 0),
        }
    }

    /// Records a match of `start..end` (the captures are in place already).
    fn found(&mut self, start: usize, end: usize) {
        self.out.start = start;
        self.out.end = end;
    }

    /// Whether the subject byte at `s` matches the class `pat[p..ep]` (`singlematch`).
    #[inline(always)]
    fn single_match(&self, s: usize, p: usize, ep: usize) -> bool {
        let Some(&c) = self.src.get(s) else {
            return false;
        };
        match self.pat[p] {
            b'.' => true,
            ESC => match_class(c, byte_at(self.pat, p + 1)),
            b'[' => match_bracket_class(c, self.pat, p, ep - 1),
            pc => pc == c,
        }
    }

    /// Runs an attempt from the entry of the invocation `pat[p..]` against `src[s..]`
    /// (with the frames already on the stack) until it succeeds (the end of the match),
    /// fails, or pauses (`Err(Paused)`, the invocation to enter kept in `pending`).
    /// `resumed`: the attempt goes on after a pause, and its first invocation does not
    /// pause again, so each resumption makes progress.
    fn run(
        &mut self,
        s: usize,
        p: usize,
        mut resumed: bool,
    ) -> Result<Option<usize>, PatternError> {
        let mut flow = Flow::Enter(s, p);
        // Below this many steps, entering an invocation can neither pause nor make
        // the meter look at its limit and interrupt flag: one comparison instead of
        // three. (Other ticks only move the meter's next look later, so a stale value
        // is merely low, which sends an entry to the exact path below.)
        let mut quiet = self.meter.quiet_until();
        loop {
            // Where the body of an invocation runs next (one call site, inlined).
            let (s, p) = match flow {
                Flow::Enter(s, p) => {
                    let quiet_step = self.meter.steps < quiet;
                    // The only place where a match pauses: between invocations, once the
                    // steps since the (re)start reached the meter's threshold.
                    if !quiet_step && self.meter.steps >= self.meter.pause && !resumed {
                        self.pending = (s, p);
                        return Err(PatternError::Paused);
                    }
                    resumed = false;
                    if self.frames.len() >= MAX_MATCH_CALLS {
                        return Err(PatternError::TooComplex);
                    }
                    if quiet_step {
                        self.meter.steps += 1;
                    } else {
                        self.meter.tick(1)?;
                        quiet = self.meter.quiet_until();
                    }
                    (s, p)
                }
                Flow::Done(end) => {
                    self.frames.clear();
                    return Ok(Some(end));
                }
                Flow::Fail => {
                    let Some(frame) = self.frames.last_mut() else {
                        return Ok(None);
                    };
                    match frame {
                        Frame::Optional { s, p } => {
                            // The waiting invocation goes on (no new invocation).
                            let (s, p) = (*s, *p);
                            self.frames.pop();
                            (s, p)
                        }
                        Frame::Greedy { s, ep, i } => {
                            flow = if *i == 0 {
                                self.frames.pop();
                                Flow::Fail
                            } else {
                                *i -= 1;
                                Flow::Enter(*s + *i, *ep + 1)
                            };
                            continue;
                        }
                        Frame::Lazy { s, p, ep } => {
                            let (cur, p, ep) = (*s, *p, *ep);
                            flow = if self.single_match(cur, p, ep) {
                                let Some(Frame::Lazy { s, .. }) = self.frames.last_mut() else {
                                    unreachable!("the lazy frame is on top");
                                };
                                *s = cur + 1;
                                Flow::Enter(cur + 1, ep + 1)
                            } else {
                                self.frames.pop();
                                Flow::Fail
                            };
                            continue;
                        }
                        Frame::Open => {
                            self.frames.pop();
                            self.out.level -= 1;
                            continue;
                        }
                        Frame::Close { l } => {
                            let l = *l;
                            self.frames.pop();
                            self.out.caps[l].len = CAP_UNFINISHED;
                            continue;
                        }
                    }
                }
            };
            flow = self.body(s, p)?;
        }
    }

    /// The body of `match` from `pat[p..]` at `src[s..]`: a loop where C uses `goto init`
    /// for tail calls; where C recurses, a frame is pushed and the callee entered.
    #[inline(always)]
    fn body(&mut self, mut s: usize, mut p: usize) -> Result<Flow, PatternError> {
        let pat = self.pat;
        loop {
            if p == pat.len() {
                return Ok(Flow::Done(s));
            }
            match pat[p] {
                b'(' => {
                    return if byte_at(pat, p + 1) == b')' {
                        self.start_capture(s, p + 2, CAP_POSITION)
                    } else {
                        self.start_capture(s, p + 1, CAP_UNFINISHED)
                    };
                }
                b')' => return self.end_capture(s, p + 1),
                b'$' if p + 1 == pat.len() => {
                    return Ok(if s == self.src.len() {
                        Flow::Done(s)
                    } else {
                        Flow::Fail
                    });
                }
                ESC => match byte_at(pat, p + 1) {
                    b'b' => match self.match_balance(s, p + 2)? {
                        Some(next) => {
                            s = next;
                            p += 4;
                            continue;
                        }
                        None => return Ok(Flow::Fail),
                    },
                    b'f' => {
                        p += 2;
                        if byte_at(pat, p) != b'[' {
                            return Err(PatternError::MissingFrontierSet);
                        }
                        let ep = class_end(pat, p)?;
                        let prev = if s == 0 { 0 } else { self.src[s - 1] };
                        let cur = byte_at(self.src, s);
                        if !match_bracket_class(prev, pat, p, ep - 1)
                            && match_bracket_class(cur, pat, p, ep - 1)
                        {
                            p = ep;
                            continue;
                        }
                        return Ok(Flow::Fail);
                    }
                    d @ b'0'..=b'9' => match self.match_back_reference(s, d)? {
                        Some(next) => {
                            s = next;
                            p += 2;
                            continue;
                        }
                        None => return Ok(Flow::Fail),
                    },
                    _ => {}
                },
                _ => {}
            }
            // A single-character class with an optional suffix.
            let ep = class_end(pat, p)?;
            let suffix = byte_at(pat, ep);
            if !self.single_match(s, p, ep) {
                if matches!(suffix, b'*' | b'?' | b'-') {
                    p = ep + 1;
                    continue;
                }
                return Ok(Flow::Fail);
            }
            return match suffix {
                b'?' => {
                    self.frames.push(Frame::Optional { s, p: ep + 1 });
                    Ok(Flow::Enter(s + 1, ep + 1))
                }
                b'+' => self.max_expand(s + 1, p, ep),
                b'*' => self.max_expand(s, p, ep),
                b'-' => {
                    self.frames.push(Frame::Lazy { s, p, ep });
                    Ok(Flow::Enter(s, ep + 1))
                }
                _ => {
                    s += 1;
                    p = ep;
                    continue;
                }
            };
        }
    }

    /// Greedy repetition: the longest run of the class, then the rest after it; backing
    /// off happens in [`Frame::Greedy`] (`max_expand`).
    fn max_expand(&mut self, s: usize, p: usize, ep: usize) -> Result<Flow, PatternError> {
        let rest = self.src.get(s..).unwrap_or_default();
        let i = Single::of(self.pat, p).run_len(rest, self.pat, p, ep);
        self.meter.tick(i as u64)?;
        self.frames.push(Frame::Greedy { s, ep, i });
        Ok(Flow::Enter(s + i, ep + 1))
    }

    /// Opens capture `level` at `s` and matches the rest (`start_capture`).
    fn start_capture(&mut self, s: usize, p: usize, len: usize) -> Result<Flow, PatternError> {
        let level = self.out.level;
        if level >= MAX_CAPTURES {
            return Err(PatternError::TooManyCaptures);
        }
        self.out.caps[level] = RawCapture { start: s, len };
        self.out.level = level + 1;
        self.frames.push(Frame::Open);
        Ok(Flow::Enter(s, p))
    }

    /// Closes the innermost open capture at `s` and matches the rest (`end_capture`).
    fn end_capture(&mut self, s: usize, p: usize) -> Result<Flow, PatternError> {
        let caps = &mut self.out.caps[..self.out.level];
        let l = (0..caps.len())
            .rev()
            .find(|&l| caps[l].len == CAP_UNFINISHED)
            .ok_or(PatternError::InvalidPatternCapture)?;
        caps[l].len = s - caps[l].start;
        self.frames.push(Frame::Close { l });
        Ok(Flow::Enter(s, p))
    }

    /// `%1`-`%9` (and the invalid `%0`): the text of a closed capture again
    /// (`match_capture`). A position capture never matches (its length is negative in C).
    fn match_back_reference(&mut self, s: usize, digit: u8) -> Result<Option<usize>, PatternError> {
        let l = i32::from(digit) - i32::from(b'1');
        let valid = usize::try_from(l)
            .ok()
            .filter(|&l| l < self.out.level && self.out.caps[l].len != CAP_UNFINISHED);
        let Some(l) = valid else {
            return Err(PatternError::InvalidCaptureIndex(l + 1));
        };
        let cap = self.out.caps[l];
        if cap.len == CAP_POSITION {
            return Ok(None);
        }
        let len = cap.len;
        self.meter.tick(len as u64 / 16)?;
        let rest = &self.src[s..];
        let text = &self.src[cap.start..cap.start + len];
        Ok(rest.starts_with(text).then_some(s + len))
    }

    /// `%bxy` at `s`, with `x` at `pat[p]`: the end of the balanced run (`matchbalance`).
    fn match_balance(&mut self, s: usize, p: usize) -> Result<Option<usize>, PatternError> {
        if p + 1 >= self.pat.len() {
            return Err(PatternError::MissingBalanceArgs);
        }
        let (open, close) = (self.pat[p], self.pat[p + 1]);
        if self.src.get(s) != Some(&open) {
            return Ok(None);
        }
        let mut depth = 1usize;
        for (i, &c) in self.src.iter().enumerate().skip(s + 1) {
            if c == close {
                depth -= 1;
                if depth == 0 {
                    self.meter.tick((i - s) as u64)?;
                    return Ok(Some(i + 1));
                }
            } else if c == open {
                depth += 1;
            }
        }
        self.meter.tick((self.src.len() - s) as u64)?;
        Ok(None)
    }

    /// The first start at or after `s` where an attempt can get past the pattern's
    /// first item `lead` (or the end of the subject), skipping the starts in between:
    /// an attempt there would fail at once. Each start skipped counts the one step its
    /// attempt would have; no more are skipped than the meter allows before it pauses
    /// or stops, so the attempt at the start returned pauses or stops where the attempts
    /// one by one would have.
    fn skip(&mut self, lead: Lead, s: usize) -> Result<usize, PatternError> {
        let room = self
            .meter
            .pause
            .min(self.meter.limit)
            .saturating_sub(self.meter.steps);
        let end = s
            .saturating_add(usize::try_from(room).unwrap_or(usize::MAX))
            .min(self.src.len());
        if end <= s {
            return Ok(s);
        }
        let to = lead.seek(self.src, self.pat, s, end);
        self.meter.tick((to - s) as u64)?;
        Ok(to)
    }

    /// One attempt at `s`: a fresh one, or the one `paused` holds (which was paused
    /// in an attempt at `s`). A pause leaves the attempt in `paused`. Returns the end of
    /// the match (the captures are in `out`).
    #[inline]
    fn attempt(
        &mut self,
        s: usize,
        paused: &mut Option<Box<Suspended>>,
    ) -> Result<Option<usize>, PatternError> {
        let r = if paused.is_none() {
            self.out.level = 0;
            self.frames.clear();
            self.run(s, 0, false)
        } else {
            self.resume(s, paused)
        };
        if let Err(PatternError::Paused) = r {
            self.suspend(s, paused);
        }
        r
    }

    /// Goes on with the attempt at `s` that `paused` holds.
    #[cold]
    fn resume(
        &mut self,
        s: usize,
        paused: &mut Option<Box<Suspended>>,
    ) -> Result<Option<usize>, PatternError> {
        match paused.take() {
            Some(sus)
                if sus.start == s
                    && sus.src_len == self.src.len()
                    && sus.pat_len == self.pat.len() =>
            {
                let Suspended {
                    s: at,
                    p,
                    frames,
                    level,
                    caps,
                    ..
                } = *sus;
                self.frames = frames;
                self.out.level = level;
                self.out.caps = caps;
                self.run(at, p, true)
            }
            // A caller that changed the subject or pattern: start afresh.
            _ => {
                self.out.level = 0;
                self.frames.clear();
                self.run(s, 0, false)
            }
        }
    }

    /// Keeps the attempt at `s` that just paused in `paused`.
    #[cold]
    fn suspend(&mut self, s: usize, paused: &mut Option<Box<Suspended>>) {
        *paused = Some(Box::new(Suspended {
            start: s,
            s: self.pending.0,
            p: self.pending.1,
            frames: std::mem::take(&mut self.frames),
            level: self.out.level,
            caps: self.out.caps,
            src_len: self.src.len(),
            pat_len: self.pat.len(),
        }));
    }
}

/// A leading `^` (an anchor for `find`, `match` and `gsub`) and the pattern after it.
fn split_anchor(pat: &[u8]) -> (bool, &[u8]) {
    match pat.split_first() {
        Some((b'^', rest)) => (true, rest),
        _ => (false, pat),
    }
}

/// Whether `pat` contains a byte that makes `string.find` use the matcher
/// (one of `^$*+?.([%-`); without one, `find` does a plain substring search.
pub fn has_specials(pat: &[u8]) -> bool {
    pat.iter().any(|c| SPECIALS.contains(c))
}

/// Lua 5.2's `init` argument (1-based, negative from the end) for `find`/`match` as a 0-based
/// offset, or `None` when it lies beyond `len + 1` (then nothing can be found).
pub fn start_offset(init: i64, len: usize) -> Option<usize> {
    let len_i = i64::try_from(len).unwrap_or(i64::MAX);
    let pos = if init >= 0 {
        init
    } else if init.unsigned_abs() > len as u64 {
        0
    } else {
        len_i + init + 1
    };
    match pos {
        p if p < 1 => Some(0),
        p if p > len_i.saturating_add(1) => None,
        p => usize::try_from(p - 1).ok(),
    }
}

/// Plain substring search from `init` (`lmemfind`); an empty needle matches at `init`.
/// Counts one step per candidate position and per 16 bytes compared.
pub fn find_plain(
    src: &[u8],
    needle: &[u8],
    init: usize,
    meter: &mut Meter<'_>,
) -> Result<Option<usize>, PatternError> {
    let Some(hay) = src.get(init..) else {
        return Ok(None);
    };
    let Some((&first, rest)) = needle.split_first() else {
        return Ok(Some(init));
    };
    if needle.len() > hay.len() {
        return Ok(None);
    }
    let last_start = hay.len() - needle.len();
    let mut i = 0;
    while i <= last_start {
        let Some(off) = find_byte(&hay[i..=last_start], first) else {
            meter.tick((last_start + 1 - i) as u64 / 16)?;
            return Ok(None);
        };
        meter.tick(1 + off as u64 / 16)?;
        i += off;
        // Compare in chunks, so that the steps counted are the bytes really compared.
        let cand = &hay[i + 1..i + 1 + rest.len()];
        let mut k = 0;
        let equal = loop {
            if k == rest.len() {
                break true;
            }
            let e = (k + 64).min(rest.len());
            meter.tick(((e - k) / 16) as u64)?;
            if cand[k..e] != rest[k..e] {
                break false;
            }
            k = e;
        };
        if equal {
            return Ok(Some(init + i));
        }
        i += 1;
    }
    Ok(None)
}

/// A search in progress for `string.find` (its matcher path) and `string.match`: the
/// first match of a pattern starting at or after a position, honouring a leading `^`.
/// Plain data: a search paused by its meter ([`PatternError::Paused`]) goes on at the
/// next [`Find::next_match`] with the same subject and pattern.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Find {
    /// Where the attempt in progress (or the next one) starts.
    pos: usize,
    paused: Option<Box<Suspended>>,
}

impl Find {
    /// A search starting at offset `init`.
    pub fn new(init: usize) -> Self {
        Find {
            pos: init,
            paused: None,
        }
    }

    /// The first match of `pat` in `src` from the search's position, or `None`;
    /// `Err(Paused)` when the meter paused it (call again to go on).
    pub fn next_match(
        &mut self,
        src: &[u8],
        pat: &[u8],
        meter: &mut Meter<'_>,
    ) -> Result<Option<Match>, PatternError> {
        let mut out = Match::new();
        Ok(self.search(src, pat, meter, &mut out)?.then_some(out))
    }

    /// [`Find::next_match`], recording the match in `out` (whose earlier contents are
    /// overwritten): `Ok(true)` when found.
    pub fn search(
        &mut self,
        src: &[u8],
        pat: &[u8],
        meter: &mut Meter<'_>,
        out: &mut Match,
    ) -> Result<bool, PatternError> {
        if self.pos > src.len() {
            return Ok(false);
        }
        let (anchor, pat) = split_anchor(pat);
        let lead = if anchor { None } else { Lead::of(pat) };
        let mut m = Matcher::new(src, pat, meter, out);
        loop {
            if let (Some(lead), None) = (lead, &self.paused) {
                self.pos = m.skip(lead, self.pos)?;
            }
            if let Some(end) = m.attempt(self.pos, &mut self.paused)? {
                m.found(self.pos, end);
                return Ok(true);
            }
            if anchor || self.pos >= src.len() {
                return Ok(false);
            }
            self.pos += 1;
        }
    }
}

/// The matcher path of `string.find` and all of `string.match`: the first match of `pat` in
/// `src` starting at or after `init`, honouring a leading `^` anchor. (With a meter that
/// may pause, use [`Find`], which can go on after the pause.)
pub fn find_at(
    src: &[u8],
    pat: &[u8],
    init: usize,
    meter: &mut Meter<'_>,
) -> Result<Option<Match>, PatternError> {
    Find::new(init).next_match(src, pat, meter)
}

/// `string.find(src, pat, init, plain)` with `init` already turned into an offset: a plain
/// search when `plain` is set or the pattern has no specials, otherwise [`find_at`].
///
/// The plain path matters for semantics, not just speed: `find("a)", "a)")` succeeds where
/// the matcher would report "invalid pattern capture".
pub fn find(
    src: &[u8],
    pat: &[u8],
    init: usize,
    plain: bool,
    meter: &mut Meter<'_>,
) -> Result<Option<Match>, PatternError> {
    if plain || !has_specials(pat) {
        Ok(find_plain(src, pat, init, meter)?.map(|start| Match::plain(start, start + pat.len())))
    } else {
        find_at(src, pat, init, meter)
    }
}

/// The state of a `string.gmatch` iterator: plain data, so it can live in a closure's
/// upvalue between calls while the subject and pattern stay in the heap (a search
/// paused by its meter keeps the attempt in progress here too).
///
/// In Lua 5.2, `gmatch` does not treat a leading `^` as an anchor: it matches a literal `^`.
/// After an empty match the next search starts one byte further on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Gmatch {
    /// Where the next search starts (while a search is paused: its current attempt).
    pub pos: usize,
    paused: Option<Box<Suspended>>,
}

impl Gmatch {
    /// An iterator state starting at the beginning of the subject.
    pub fn new() -> Self {
        Gmatch::at(0)
    }

    /// An iterator state whose next search starts at `pos`.
    pub fn at(pos: usize) -> Self {
        Gmatch { pos, paused: None }
    }

    /// The next match of `pat` in `src`, or `None` when there are no more;
    /// `Err(Paused)` when the meter paused the search (call again to go on).
    pub fn next_match(
        &mut self,
        src: &[u8],
        pat: &[u8],
        meter: &mut Meter<'_>,
    ) -> Result<Option<Match>, PatternError> {
        let mut out = Match::new();
        Ok(self.search(src, pat, meter, &mut out)?.then_some(out))
    }

    /// [`Gmatch::next_match`], recording the match in `out`: `Ok(true)` when found.
    pub fn search(
        &mut self,
        src: &[u8],
        pat: &[u8],
        meter: &mut Meter<'_>,
        out: &mut Match,
    ) -> Result<bool, PatternError> {
        let lead = Lead::of(pat);
        let mut m = Matcher::new(src, pat, meter, out);
        loop {
            if self.pos > src.len() {
                return Ok(false);
            }
            if let (Some(lead), None) = (lead, &self.paused) {
                self.pos = m.skip(lead, self.pos)?;
            }
            match m.attempt(self.pos, &mut self.paused)? {
                Some(end) => {
                    m.found(self.pos, end);
                    self.pos = if end == self.pos { end + 1 } else { end };
                    return Ok(true);
                }
                None => self.pos += 1,
            }
        }
    }
}

/// The state of a `string.gsub` loop: plain data, resumable between calls (the replacement
/// may be a Lua function that runs on the VM's own stack before the loop continues, and
/// the meter may pause a search).
///
/// Each [`Gsub::next_match`] returns the next match to replace. The caller copies the subject
/// between the previous match's `end` (initially 0) and this match's `start`, appends the
/// replacement, counts the match, and stops after `max_n` matches; finally it copies the
/// subject from the last match's `end`. This reproduces Lua 5.2's loop exactly: an empty
/// match is followed by a search one byte further on (so `gsub("hello", "o*", "X")` also
/// matches right after a non-empty match), and an anchored pattern (`^...`) is tried once.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Gsub {
    /// Where the next attempt starts (while a search is paused: its current attempt).
    pub pos: usize,
    /// Set once the loop is over (end of subject reached, or an anchored attempt made).
    pub done: bool,
    paused: Option<Box<Suspended>>,
}

impl Gsub {
    /// A loop state starting at the beginning of the subject.
    pub fn new() -> Self {
        Gsub {
            pos: 0,
            done: false,
            paused: None,
        }
    }

    /// The next match of `pat` (the full pattern, `^` included) in `src`, or `None`;
    /// `Err(Paused)` when the meter paused the search (call again to go on).
    pub fn next_match(
        &mut self,
        src: &[u8],
        pat: &[u8],
        meter: &mut Meter<'_>,
    ) -> Result<Option<Match>, PatternError> {
        let mut out = Match::new();
        Ok(self.search(src, pat, meter, &mut out)?.then_some(out))
    }

    /// [`Gsub::next_match`], recording the match in `out`: `Ok(true)` when found.
    pub fn search(
        &mut self,
        src: &[u8],
        pat: &[u8],
        meter: &mut Meter<'_>,
        out: &mut Match,
    ) -> Result<bool, PatternError> {
        let (anchor, pat) = split_anchor(pat);
        if self.pos > src.len() {
            // Only possible if the caller switched subjects between calls.
            self.done = true;
        }
        let lead = if anchor { None } else { Lead::of(pat) };
        let mut m = Matcher::new(src, pat, meter, out);
        while !self.done {
            if let (Some(lead), None) = (lead, &self.paused) {
                self.pos = m.skip(lead, self.pos)?;
            }
            let s = self.pos;
            let found = m.attempt(s, &mut self.paused)?;
            match found {
                Some(end) if end > s => self.pos = end,
                _ if s < src.len() => self.pos = s + 1,
                _ => self.done = true,
            }
            if anchor {
                self.done = true;
            }
            if let Some(end) = found {
                m.found(s, end);
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// The number of replacements `gsub` may make, from its optional fourth argument (already
/// converted to an integer): by default `len + 1`; Lua 5.2 stores the argument in a `size_t`,
/// so a negative limit means no limit at all (`gsub("abc", "%w", "x", -1)` replaces all 3).
pub fn gsub_limit(max_n: Option<i64>, src_len: usize) -> u64 {
    match max_n {
        Some(n) => n as u64,
        None => src_len as u64 + 1,
    }
}

/// Appends the expansion of a `gsub` replacement string for match `m` of `src` (`add_s`):
/// `%0` is the whole match, `%1`-`%9` a capture (`%1` is the whole match when the pattern has
/// no captures; a position capture is written as its 1-based number), `%%` is `%`; any other
/// byte after `%` (or `%` at the end) is an error.
pub fn expand_replacement(
    out: &mut Vec<u8>,
    repl: &[u8],
    src: &[u8],
    m: &Match,
) -> Result<(), PatternError> {
    let mut i = 0;
    while i < repl.len() {
        let Some(off) = repl[i..].iter().position(|&c| c == ESC) else {
            out.extend_from_slice(&repl[i..]);
            break;
        };
        out.extend_from_slice(&repl[i..i + off]);
        i += off + 1;
        let c = byte_at(repl, i);
        i += 1;
        match c {
            ESC => out.push(ESC),
            b'0' => push_capture(out, src, Capture::Span(m.start, m.end)),
            b'1'..=b'9' => push_capture(out, src, m.capture(usize::from(c - b'1'))?),
            _ => return Err(PatternError::InvalidReplacementEscape),
        }
    }
    Ok(())
}

/// An upper bound of the bytes [`expand_replacement`] appends for match `m` (exact
/// but for position captures, counted as 20 bytes), without building them: callers
/// reserve memory with it before expanding. Errors are left to `expand_replacement`.
pub fn expansion_len(repl: &[u8], src: &[u8], m: &Match) -> usize {
    let mut n = 0usize;
    let mut i = 0;
    while i < repl.len() {
        if repl[i] != ESC {
            n += 1;
            i += 1;
            continue;
        }
        let c = byte_at(repl, i + 1);
        i += 2;
        let cap = match c {
            b'0' => Ok(Capture::Span(m.start, m.end)),
            b'1'..=b'9' => m.capture(usize::from(c - b'1')),
            _ => Err(PatternError::InvalidReplacementEscape),
        };
        n = n.saturating_add(match cap {
            Ok(Capture::Span(a, b)) => src.get(a..b).map_or(0, |s| s.len()),
            Ok(Capture::Position(_)) => 20,
            Err(_) => 1,
        });
    }
    n
}

/// Appends a capture's text, or a position capture's 1-based number.
fn push_capture(out: &mut Vec<u8>, src: &[u8], cap: Capture) {
    match cap {
        // `get`: a match from a different subject yields nothing rather than a panic.
        Capture::Span(a, b) => out.extend_from_slice(src.get(a..b).unwrap_or_default()),
        Capture::Position(p) => push_decimal(out, p as u64 + 1),
    }
}

#[cfg(test)]
pub(crate) mod tests;
