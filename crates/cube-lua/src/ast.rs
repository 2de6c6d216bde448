//! The abstract syntax tree produced by the parser and consumed by the compiler.
//!
//! The tree is a faithful image of the Lua 5.2 grammar (manual §9). Name resolution
//! (local / upvalue / global) is *not* done here: the compiler does it, because scoping
//! interacts with register allocation. Every node that can raise a runtime error or that
//! PUC-Rio Lua attaches a line to carries the source line, so error messages and
//! tracebacks read `chunk:LINE: ...` exactly as in the reference implementation.

/// Source line number (1-based).
pub type Line = u32;

/// A whole chunk: the body of the implicit vararg main function.
#[derive(Debug, Clone, PartialEq)]
pub struct Chunk {
    pub body: Block,
    /// Line of the last token (the `<eof>`), used as the main function's `lastlinedefined`
    /// and as the line of its final implicit `return`.
    pub end_line: Line,
}

/// A sequence of statements. A `return`, if present, is always the last statement.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Block {
    pub stats: Vec<Stat>,
    /// Line of the token that opened the block when the compiler emits code at it
    /// (`then` of an `if` arm, `do` of a `for` or a `do` block), else 0.
    pub open_line: Line,
    /// Line of the token that ends the block (`end`, `else`, `until`, ...): PUC's
    /// "last token" line for the code emitted after a statement that ends with `end`.
    pub end_line: Line,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Stat {
    /// A function call used as a statement: `f(x)`, `o:m()`. The expression is always
    /// an `ExprKind::Call` or `ExprKind::MethodCall`.
    Call(Expr),
    /// `local a, b <attribs> = e1, e2` (5.2 has no attributes; `exprs` may be empty).
    Local {
        names: Vec<Name>,
        exprs: Vec<Expr>,
        line: Line,
    },
    /// `t1, t2 = e1, e2`. Each target is `ExprKind::Name` or `ExprKind::Index`.
    Assign {
        targets: Vec<Expr>,
        exprs: Vec<Expr>,
        /// Line of the `=` token.
        line: Line,
    },
    /// `do ... end`
    Do(Block),
    /// `while cond do ... end`
    While {
        cond: Box<Expr>,
        body: Block,
        line: Line,
    },
    /// `repeat ... until cond` (the condition sees the body's locals)
    Repeat {
        body: Block,
        cond: Box<Expr>,
        line: Line,
    },
    /// `if c1 then b1 elseif c2 then b2 ... else bn end`
    If {
        arms: Vec<(Expr, Block)>,
        else_block: Option<Block>,
        line: Line,
    },
    /// `for var = start, limit [, step] do ... end`
    /// (Expressions boxed here and in `While`/`Repeat`, the largest statements: every
    /// statement is as large as the largest kind, and the front end's memory per source
    /// byte is dominated by statement and expression nodes.)
    NumericFor {
        var: Name,
        start: Box<Expr>,
        limit: Box<Expr>,
        step: Option<Box<Expr>>,
        body: Block,
        line: Line,
    },
    /// `for n1, n2 in e1, e2 do ... end`
    GenericFor {
        names: Vec<Name>,
        exprs: Vec<Expr>,
        body: Block,
        line: Line,
    },
    /// `function a.b.c:m(params) ... end`. `path` has at least one element: the first is a
    /// variable name, the rest are field names; `method` is the name after `:`, if any
    /// (then the body has an implicit first parameter `self`).
    Function {
        path: Vec<Name>,
        method: Option<Name>,
        body: Box<FuncBody>,
        line: Line,
    },
    /// `local function name(params) ... end` (the name is in scope inside the body).
    LocalFunction {
        name: Name,
        body: Box<FuncBody>,
        line: Line,
    },
    /// `return e1, e2` (always the last statement of its block).
    Return { exprs: Vec<Expr>, line: Line },
    /// `break`
    Break { line: Line },
    /// `goto label`
    Goto { label: Name, line: Line },
    /// `::label::`
    Label { name: Name, line: Line },
}

/// An identifier, with the line where it appears.
#[derive(Debug, Clone, PartialEq)]
pub struct Name {
    pub name: String,
    pub line: Line,
}

/// A function body: parameters, vararg flag and statements.
#[derive(Debug, Clone, PartialEq)]
pub struct FuncBody {
    /// Declared parameters; for a method (`function a:m()`), the parser inserts `self` first.
    pub params: Vec<Name>,
    pub is_vararg: bool,
    pub body: Block,
    /// Line of the `function` keyword.
    pub line: Line,
    /// Line of the closing `end`.
    pub end_line: Line,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    /// Line where the expression starts (for binary operators: the operator's line, as
    /// PUC-Rio attaches arithmetic errors to the operator; for calls and method calls: the
    /// line where the called prefix expression starts, as PUC's `suffixedexp` records it).
    pub line: Line,
}

/// Dropping without recursion: operator chains (`a + b + c ...`) and suffix chains
/// (`f()()()...`, `a.b.c...`) nest as deep as the source is long, and the derived drop
/// would recurse once per level on the Rust stack (millions of levels for a 10 MB
/// source). Children are moved to an explicit stack instead, so every node is dropped
/// childless, at depth one.
impl Drop for Expr {
    fn drop(&mut self) {
        if !has_boxed_children(&self.kind) {
            return;
        }
        let mut pending: Vec<Expr> = Vec::new();
        take_children(&mut self.kind, &mut pending);
        while let Some(mut e) = pending.pop() {
            take_children(&mut e.kind, &mut pending);
            // `e` drops here without children
        }
    }
}

fn has_boxed_children(k: &ExprKind) -> bool {
    matches!(
        k,
        ExprKind::Binary(..)
            | ExprKind::Unary(..)
            | ExprKind::Index(..)
            | ExprKind::Call(..)
            | ExprKind::MethodCall(..)
            | ExprKind::Paren(..)
    )
}

/// Moves the sub-expressions of a chain-forming node to `out` (leaving leaves behind).
fn take_children(k: &mut ExprKind, out: &mut Vec<Expr>) {
    fn take(b: &mut Expr) -> Expr {
        std::mem::replace(
            b,
            Expr {
                kind: ExprKind::Nil,
                line: 0,
            },
        )
    }
    match k {
        ExprKind::Binary(_, l, r) => {
            out.push(take(l));
            out.push(take(r));
        }
        ExprKind::Unary(_, x) | ExprKind::Paren(x) => out.push(take(x)),
        ExprKind::Index(o, key) => {
            out.push(take(o));
            out.push(take(key));
        }
        ExprKind::Call(f, args) | ExprKind::MethodCall(f, _, args) => {
            out.push(take(f));
            out.append(args);
        }
        _ => {}
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Nil,
    True,
    False,
    /// `...`
    Vararg,
    Number(f64),
    /// String literal after escape processing (arbitrary bytes).
    Str(Vec<u8>),
    /// `function (...) ... end`
    Function(Box<FuncBody>),
    /// `{ ... }`
    Table(Vec<TableField>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Unary(UnOp, Box<Expr>),
    /// A variable reference; the compiler decides local / upvalue / global (`_ENV.name`).
    Name(String),
    /// `obj[key]`, also `obj.name` (key is then `ExprKind::Str`).
    Index(Box<Expr>, Box<Expr>),
    /// `f(args)`, `f{...}`, `f"str"`
    Call(Box<Expr>, Vec<Expr>),
    /// `obj:name(args)` (the name boxed: it would make every expression larger)
    MethodCall(Box<Expr>, Box<Name>, Vec<Expr>),
    /// `(e)`: truncates multiple results to one and makes a call/vararg non-multi.
    Paren(Box<Expr>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum TableField {
    /// `[k] = v` or `name = v` (the latter with key `ExprKind::Str`).
    /// (Boxed: a list item, far more common, then takes one expression's size.)
    Keyed(Box<Expr>, Box<Expr>),
    /// A positional item; the last one may expand to multiple values.
    Positional(Expr),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
    Concat,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnOp {
    Neg,
    Not,
    Len,
}

impl BinOp {
    /// Left and right binding priorities, as in the Lua 5.2 manual §3.4.7.
    pub fn priority(self) -> (u8, u8) {
        match self {
            BinOp::Or => (1, 1),
            BinOp::And => (2, 2),
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => (3, 3),
            BinOp::Concat => (9, 8), // right associative
            BinOp::Add | BinOp::Sub => (10, 10),
            BinOp::Mul | BinOp::Div | BinOp::Mod => (11, 11),
            BinOp::Pow => (14, 13), // right associative
        }
    }
}

/// Priority of unary operators (binds tighter than everything but `^`).
pub const UNARY_PRIORITY: u8 = 12;
