//! The parser: tokens to the [`crate::ast`] tree.
//!
//! A recursive-descent parser shaped like PUC-Rio Lua 5.2.4's `lparser.c`, so that it
//! accepts exactly the same programs and rejects the others with the same message, line and
//! `near` token. Two consequences of copying PUC's shape matter:
//!
//! * Lines: the line attached to a node is PUC's `ls->linenumber` at the moment PUC reads
//!   it, which is the line the lexer has reached (the end of the current token, or of the
//!   lookahead token when the table constructor peeked one).
//! * Depth: recursion is bounded. PUC counts "C levels" on entry to `statement` and
//!   `subexpr` (and in multiple assignments and label chains) and stops at 200 with
//!   "too many C levels"; this parser counts the same way, so no input can overflow the
//!   Rust stack, and the limit triggers on the same inputs as `luac5.2`. Chains that PUC
//!   parses with loops (`a.b.c`, `f()()`, `1 + 2 + 3`, statement lists) are loops here too.

use crate::ast::{
    BinOp, Block, Chunk, Expr, ExprKind, FuncBody, Line, Name, Stat, TableField, UnOp,
    UNARY_PRIORITY,
};
use crate::chunkid::SyntaxError;
use crate::lexer::{format_error, Lexer, Tok, Token};

/// PUC's `LUAI_MAXCCALLS`: the nesting limit reported as "too many C levels".
const MAX_C_LEVELS: u32 = 200;

/// C levels already in use when PUC's parser starts: the standalone `lua` and `luac` parse
/// inside one C call (`pmain`), so their counter starts at 1. (A chunk given to `load()`
/// from Lua code starts at 2 in PUC; cube uses one value for all chunks.)
const BASE_C_LEVELS: u32 = 1;

type PResult<T> = Result<T, SyntaxError>;

/// Parses a Lua 5.2 chunk. `chunk_name` is the Lua chunk name (`@file`, `=stdin`, or the
/// source itself); errors are formatted as `chunkid:LINE: message near 'token'`.
pub fn parse(source: &[u8], chunk_name: &str) -> Result<Chunk, SyntaxError> {
    Parser::new(source, chunk_name)?.main_chunk()
}

/// What the parser needs to know about the function being parsed.
#[derive(Clone, Copy)]
struct FuncState {
    /// Whether `...` may be used.
    is_vararg: bool,
    /// PUC's `linedefined` (0 for the main chunk), used in limit messages.
    line: Line,
}

struct Parser<'a> {
    lex: Lexer<'a>,
    /// The current token (PUC's `ls->t`).
    tok: Token,
    /// A token read ahead by [`Parser::lookahead`] (PUC's `ls->lookahead`).
    ahead: Option<Token>,
    /// PUC's `L->nCcalls` during parsing.
    levels: u32,
    func: FuncState,
}

/// Binary operator for a token, if it is one.
fn binary_op(tok: &Tok) -> Option<BinOp> {
    Some(match tok {
        Tok::Char(b'+') => BinOp::Add,
        Tok::Char(b'-') => BinOp::Sub,
        Tok::Char(b'*') => BinOp::Mul,
        Tok::Char(b'/') => BinOp::Div,
        Tok::Char(b'%') => BinOp::Mod,
        Tok::Char(b'^') => BinOp::Pow,
        Tok::Concat => BinOp::Concat,
        Tok::Eq => BinOp::Eq,
        Tok::Ne => BinOp::Ne,
        Tok::Char(b'<') => BinOp::Lt,
        Tok::Le => BinOp::Le,
        Tok::Char(b'>') => BinOp::Gt,
        Tok::Ge => BinOp::Ge,
        Tok::And => BinOp::And,
        Tok::Or => BinOp::Or,
        _ => return None,
    })
}

/// Unary operator for a token, if it is one.
fn unary_op(tok: &Tok) -> Option<UnOp> {
    Some(match tok {
        Tok::Char(b'-') => UnOp::Neg,
        Tok::Not => UnOp::Not,
        Tok::Char(b'#') => UnOp::Len,
        _ => return None,
    })
}

/// Whether an expression can be assigned to (PUC's `vkisvar`).
fn is_assignable(e: &Expr) -> bool {
    matches!(e.kind, ExprKind::Name(_) | ExprKind::Index(..))
}

fn is_call(e: &Expr) -> bool {
    matches!(e.kind, ExprKind::Call(..) | ExprKind::MethodCall(..))
}

fn expr(kind: ExprKind, line: Line) -> Expr {
    Expr { kind, line }
}

fn boxed(kind: ExprKind, line: Line) -> Box<Expr> {
    Box::new(Expr { kind, line })
}

const SEMICOLON: Tok = Tok::Char(b';');
const COMMA: Tok = Tok::Char(b',');
const ASSIGN: Tok = Tok::Char(b'=');
const LPAREN: Tok = Tok::Char(b'(');
const RPAREN: Tok = Tok::Char(b')');
const LBRACE: Tok = Tok::Char(b'{');
const RBRACE: Tok = Tok::Char(b'}');
const LBRACKET: Tok = Tok::Char(b'[');
const RBRACKET: Tok = Tok::Char(b']');

// ---------------------------------------------------------------------------------------
// Token handling and errors
// ---------------------------------------------------------------------------------------
impl<'a> Parser<'a> {
    fn new(source: &'a [u8], chunk_name: &str) -> PResult<Self> {
        let mut lex = Lexer::new(source, chunk_name);
        let tok = lex.next_token()?;
        Ok(Parser {
            lex,
            tok,
            ahead: None,
            levels: BASE_C_LEVELS,
            func: FuncState {
                is_vararg: true,
                line: 0,
            },
        })
    }

    /// PUC's `ls->linenumber`.
    fn line(&self) -> Line {
        self.lex.line()
    }

    fn next(&mut self) -> PResult<()> {
        self.tok = match self.ahead.take() {
            Some(token) => token,
            None => self.lex.next_token()?,
        };
        Ok(())
    }

    /// Reads the token after the current one without consuming anything.
    fn lookahead(&mut self) -> PResult<&Tok> {
        if self.ahead.is_none() {
            self.ahead = Some(self.lex.next_token()?);
        }
        Ok(self.ahead.as_ref().map_or(&Tok::Eos, |t| &t.tok))
    }

    fn is(&self, tok: &Tok) -> bool {
        self.tok.tok == *tok
    }

    /// An error at the current line, `near` the current token (PUC's `luaX_syntaxerror`).
    fn syntax_error(&self, msg: &str) -> SyntaxError {
        format_error(
            self.lex.chunkid(),
            self.line(),
            msg,
            Some(&self.tok.near_text()),
        )
    }

    fn error_expected(&self, tok: &Tok) -> SyntaxError {
        self.syntax_error(&format!("{} expected", tok.describe()))
    }

    fn check(&self, tok: &Tok) -> PResult<()> {
        if self.is(tok) {
            Ok(())
        } else {
            Err(self.error_expected(tok))
        }
    }

    fn check_next(&mut self, tok: &Tok) -> PResult<()> {
        self.check(tok)?;
        self.next()
    }

    /// Consumes the current token if it is `tok`.
    fn test_next(&mut self, tok: &Tok) -> PResult<bool> {
        if self.is(tok) {
            self.next()?;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    /// Consumes `what`, which closes `who` opened at line `line`; the message names the
    /// opening token only when it is on another line, as PUC's `check_match`.
    fn check_match(&mut self, what: &Tok, who: &Tok, line: Line) -> PResult<()> {
        if self.test_next(what)? {
            return Ok(());
        }
        if line == self.line() {
            return Err(self.error_expected(what));
        }
        Err(self.syntax_error(&format!(
            "{} expected (to close {} at line {})",
            what.describe(),
            who.describe(),
            line
        )))
    }

    /// Consumes a name (PUC's `str_checkname`).
    fn check_name(&mut self) -> PResult<Name> {
        let line = self.line();
        match &mut self.tok.tok {
            Tok::Name(name) => {
                let name = std::mem::take(name);
                self.next()?;
                Ok(Name { name, line })
            }
            _ => Err(self.error_expected(&Tok::Name(String::new()))),
        }
    }

    /// PUC's `errorlimit` for "C levels".
    fn limit_error(&self) -> SyntaxError {
        let place = match self.func.line {
            0 => "main function".to_string(),
            line => format!("function at line {line}"),
        };
        self.syntax_error(&format!(
            "too many C levels (limit is {MAX_C_LEVELS}) in {place}"
        ))
    }

    /// PUC's `enterlevel`: one more nesting level, failing beyond the limit.
    fn enter_level(&mut self) -> PResult<()> {
        self.levels += 1;
        if self.levels > MAX_C_LEVELS {
            return Err(self.limit_error());
        }
        Ok(())
    }

    fn leave_level(&mut self) {
        self.levels -= 1;
    }

    /// Whether the current token ends a block.
    fn block_follow(&self, with_until: bool) -> bool {
        match self.tok.tok {
            Tok::Else | Tok::Elseif | Tok::End | Tok::Eos => true,
            Tok::Until => with_until,
            _ => false,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Statements
// ---------------------------------------------------------------------------------------
impl Parser<'_> {
    fn main_chunk(mut self) -> PResult<Chunk> {
        let body = self.stat_list()?;
        self.check(&Tok::Eos)?;
        Ok(Chunk {
            body,
            end_line: self.line(),
        })
    }

    /// A statement list up to a block end; `return` must be the last statement.
    fn stat_list(&mut self) -> PResult<Block> {
        let mut stats = Vec::new();
        while !self.block_follow(true) {
            let is_return = self.is(&Tok::Return);
            self.statement(&mut stats)?;
            if is_return {
                break;
            }
        }
        Ok(Block {
            stats,
            open_line: 0,
            end_line: self.line(),
        })
    }

    /// Parses one statement, appending it (none for `;`, several for a label chain).
    /// Each kind of statement pushes its own node, which keeps this frame small: it is on
    /// the Rust stack once per nesting level.
    fn statement(&mut self, out: &mut Vec<Stat>) -> PResult<()> {
        let line = self.line();
        self.enter_level()?;
        match self.tok.tok {
            Tok::Char(b';') => self.next()?,
            Tok::If => self.if_stat(line, out)?,
            Tok::While => self.while_stat(line, out)?,
            Tok::Do => self.do_stat(line, out)?,
            Tok::For => self.for_stat(line, out)?,
            Tok::Repeat => self.repeat_stat(line, out)?,
            Tok::Function => self.func_stat(line, out)?,
            Tok::Local => {
                self.next()?;
                if self.test_next(&Tok::Function)? {
                    self.local_func(line, out)?;
                } else {
                    self.local_stat(line, out)?;
                }
            }
            Tok::DbColon => {
                self.next()?;
                self.label_stat(line, out)?;
            }
            Tok::Return => {
                self.next()?;
                self.ret_stat(line, out)?;
            }
            Tok::Break | Tok::Goto => self.goto_stat(out)?,
            _ => self.expr_stat(out)?,
        }
        self.leave_level();
        Ok(())
    }

    /// `do block end`
    fn do_stat(&mut self, line: Line, out: &mut Vec<Stat>) -> PResult<()> {
        self.next()?;
        let mut body = self.stat_list()?;
        body.open_line = line;
        self.check_match(&Tok::End, &Tok::Do, line)?;
        out.push(Stat::Do(body));
        Ok(())
    }

    /// `::name::`, then the no-op statements after it. PUC parses those (`;` and further
    /// labels) by nested `statement` calls, so a run of labels nests one level per label;
    /// this loop counts the levels the same way.
    fn label_stat(&mut self, line: Line, out: &mut Vec<Stat>) -> PResult<()> {
        let name = self.check_name()?;
        self.check_next(&Tok::DbColon)?;
        out.push(Stat::Label { name, line });
        let mut nested = 0;
        loop {
            let line = self.line();
            match self.tok.tok {
                Tok::Char(b';') => {
                    self.enter_level()?;
                    self.next()?;
                    self.leave_level();
                }
                Tok::DbColon => {
                    self.enter_level()?;
                    nested += 1;
                    self.next()?;
                    let name = self.check_name()?;
                    self.check_next(&Tok::DbColon)?;
                    out.push(Stat::Label { name, line });
                }
                _ => break,
            }
        }
        self.levels -= nested;
        Ok(())
    }

    /// `return [explist] [';']`; the `return` has been consumed.
    fn ret_stat(&mut self, line: Line, out: &mut Vec<Stat>) -> PResult<()> {
        let exprs = if self.block_follow(true) || self.is(&SEMICOLON) {
            Vec::new()
        } else {
            self.expr_list()?
        };
        self.test_next(&SEMICOLON)?;
        out.push(Stat::Return { exprs, line });
        Ok(())
    }

    /// `break` or `goto name`.
    fn goto_stat(&mut self, out: &mut Vec<Stat>) -> PResult<()> {
        let line = self.line();
        if self.test_next(&Tok::Goto)? {
            let label = self.check_name()?;
            out.push(Stat::Goto { label, line });
            return Ok(());
        }
        self.next()?;
        out.push(Stat::Break { line });
        Ok(())
    }

    /// `if cond then block {elseif cond then block} [else block] end`
    fn if_stat(&mut self, line: Line, out: &mut Vec<Stat>) -> PResult<()> {
        let mut arms = vec![self.test_then_block()?];
        while self.is(&Tok::Elseif) {
            arms.push(self.test_then_block()?);
        }
        let else_block = if self.test_next(&Tok::Else)? {
            Some(self.stat_list()?)
        } else {
            None
        };
        self.check_match(&Tok::End, &Tok::If, line)?;
        out.push(Stat::If {
            arms,
            else_block,
            line,
        });
        Ok(())
    }

    /// `[if | elseif] cond then block`
    fn test_then_block(&mut self) -> PResult<(Expr, Block)> {
        self.next()?;
        let cond = self.expr()?;
        let then_line = self.line();
        self.check_next(&Tok::Then)?;
        let mut body = self.stat_list()?;
        body.open_line = then_line;
        Ok((cond, body))
    }

    fn while_stat(&mut self, line: Line, out: &mut Vec<Stat>) -> PResult<()> {
        self.next()?;
        let cond = self.expr()?;
        self.check_next(&Tok::Do)?;
        let body = self.stat_list()?;
        self.check_match(&Tok::End, &Tok::While, line)?;
        out.push(Stat::While {
            cond: Box::new(cond),
            body,
            line,
        });
        Ok(())
    }

    fn repeat_stat(&mut self, line: Line, out: &mut Vec<Stat>) -> PResult<()> {
        self.next()?;
        let body = self.stat_list()?;
        self.check_match(&Tok::Until, &Tok::Repeat, line)?;
        let cond = self.expr()?;
        out.push(Stat::Repeat {
            body,
            cond: Box::new(cond),
            line,
        });
        Ok(())
    }

    /// `for name = ...` or `for names in ...`, up to the closing `end`.
    fn for_stat(&mut self, line: Line, out: &mut Vec<Stat>) -> PResult<()> {
        self.next()?;
        let var = self.check_name()?;
        match self.tok.tok {
            Tok::Char(b'=') => self.numeric_for(var, line, out)?,
            Tok::Char(b',') | Tok::In => self.generic_for(var, out)?,
            _ => return Err(self.syntax_error("'=' or 'in' expected")),
        }
        self.check_match(&Tok::End, &Tok::For, line)
    }

    fn numeric_for(&mut self, var: Name, line: Line, out: &mut Vec<Stat>) -> PResult<()> {
        self.next()?;
        let start = self.expr()?;
        self.check_next(&COMMA)?;
        let limit = self.expr()?;
        let step = if self.test_next(&COMMA)? {
            Some(self.expr()?)
        } else {
            None
        };
        let body = self.for_body()?;
        out.push(Stat::NumericFor {
            var,
            start: Box::new(start),
            limit: Box::new(limit),
            step: step.map(Box::new),
            body,
            line,
        });
        Ok(())
    }

    /// The generic `for`. Its line is the one PUC gives the loop's call instruction
    /// (`TFORCALL`): the line reached after `in`, i.e. where the iterator list starts.
    fn generic_for(&mut self, first: Name, out: &mut Vec<Stat>) -> PResult<()> {
        let mut names = vec![first];
        while self.test_next(&COMMA)? {
            names.push(self.check_name()?);
        }
        self.check_next(&Tok::In)?;
        let line = self.line();
        let exprs = self.expr_list()?;
        let body = self.for_body()?;
        out.push(Stat::GenericFor {
            names,
            exprs,
            body,
            line,
        });
        Ok(())
    }

    fn for_body(&mut self) -> PResult<Block> {
        let do_line = self.line();
        self.check_next(&Tok::Do)?;
        let mut body = self.stat_list()?;
        body.open_line = do_line;
        Ok(body)
    }

    /// `function name{.name}[:name] body`
    fn func_stat(&mut self, line: Line, out: &mut Vec<Stat>) -> PResult<()> {
        self.next()?;
        let mut path = vec![self.check_name()?];
        while self.test_next(&Tok::Char(b'.'))? {
            path.push(self.check_name()?);
        }
        let method = if self.test_next(&Tok::Char(b':'))? {
            Some(self.check_name()?)
        } else {
            None
        };
        let body = Box::new(self.func_body(method.is_some(), line)?);
        out.push(Stat::Function {
            path,
            method,
            body,
            line,
        });
        Ok(())
    }

    /// `local function name body`; `local function` has been consumed. PUC's
    /// `linedefined` for it is the line reached after the name.
    fn local_func(&mut self, line: Line, out: &mut Vec<Stat>) -> PResult<()> {
        let name = self.check_name()?;
        let body_line = self.line();
        let body = Box::new(self.func_body(false, body_line)?);
        out.push(Stat::LocalFunction { name, body, line });
        Ok(())
    }

    /// `local name {, name} [= explist]`; `local` has been consumed.
    fn local_stat(&mut self, line: Line, out: &mut Vec<Stat>) -> PResult<()> {
        let mut names = vec![self.check_name()?];
        while self.test_next(&COMMA)? {
            names.push(self.check_name()?);
        }
        let exprs = if self.test_next(&ASSIGN)? {
            self.expr_list()?
        } else {
            Vec::new()
        };
        out.push(Stat::Local { names, exprs, line });
        Ok(())
    }

    /// A call statement or an assignment.
    fn expr_stat(&mut self, out: &mut Vec<Stat>) -> PResult<()> {
        let first = *self.suffixed_exp()?;
        if self.is(&ASSIGN) || self.is(&COMMA) {
            return self.assignment(first, out);
        }
        if !is_call(&first) {
            return Err(self.syntax_error("syntax error"));
        }
        out.push(Stat::Call(first));
        Ok(())
    }

    /// `target {, target} = explist`. PUC recurses once per extra target and checks the
    /// target count plus the current depth against the C-level limit; so does this loop.
    fn assignment(&mut self, first: Expr, out: &mut Vec<Stat>) -> PResult<()> {
        if !is_assignable(&first) {
            return Err(self.syntax_error("syntax error"));
        }
        let mut targets = vec![first];
        while self.test_next(&COMMA)? {
            let target = *self.suffixed_exp()?;
            if targets.len() as u32 + self.levels > MAX_C_LEVELS {
                return Err(self.limit_error());
            }
            if !is_assignable(&target) {
                return Err(self.syntax_error("syntax error"));
            }
            targets.push(target);
        }
        let line = self.line();
        self.check_next(&ASSIGN)?;
        let exprs = self.expr_list()?;
        out.push(Stat::Assign {
            targets,
            exprs,
            line,
        });
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Functions and expressions
// ---------------------------------------------------------------------------------------
impl Parser<'_> {
    /// `(params) block end`. `line` is PUC's `linedefined`; a method gets `self` first.
    fn func_body(&mut self, is_method: bool, line: Line) -> PResult<FuncBody> {
        let outer = self.func;
        self.func = FuncState {
            is_vararg: false,
            line,
        };
        let mut params = Vec::new();
        if is_method {
            params.push(Name {
                name: "self".to_string(),
                line,
            });
        }
        self.check_next(&LPAREN)?;
        let is_vararg = self.param_list(&mut params)?;
        self.func.is_vararg = is_vararg;
        self.check_next(&RPAREN)?;
        let body = self.stat_list()?;
        let end_line = self.line();
        self.check_match(&Tok::End, &Tok::Function, line)?;
        self.func = outer;
        Ok(FuncBody {
            params,
            is_vararg,
            body,
            line,
            end_line,
        })
    }

    /// `[name {, name} [, ...] | ...]`; returns whether the function is vararg.
    fn param_list(&mut self, params: &mut Vec<Name>) -> PResult<bool> {
        if self.is(&RPAREN) {
            return Ok(false);
        }
        loop {
            match self.tok.tok {
                Tok::Name(_) => params.push(self.check_name()?),
                Tok::Dots => {
                    self.next()?;
                    return Ok(true);
                }
                _ => return Err(self.syntax_error("<name> or '...' expected")),
            }
            if !self.test_next(&COMMA)? {
                return Ok(false);
            }
        }
    }

    fn expr_list(&mut self) -> PResult<Vec<Expr>> {
        let mut exprs = vec![self.expr()?];
        while self.test_next(&COMMA)? {
            exprs.push(self.expr()?);
        }
        Ok(exprs)
    }

    fn expr(&mut self) -> PResult<Expr> {
        Ok(*self.sub_expr(0)?)
    }

    // The functions below sit on the recursion path of nested expressions. They return
    // boxed nodes: the boxes are needed for the tree anyway, and small return values keep
    // the Rust frames small (debug builds give every temporary its own stack slot).

    /// Operator-precedence parsing of operators binding tighter than `limit`. Recursion
    /// happens only for unary operands and right operands (bounded by the level count);
    /// left-associative chains are extended in the loop.
    fn sub_expr(&mut self, limit: u8) -> PResult<Box<Expr>> {
        self.enter_level()?;
        let mut left = match unary_op(&self.tok.tok) {
            Some(op) => self.unary_exp(op)?,
            None => self.simple_exp()?,
        };
        while let Some(op) = binary_op(&self.tok.tok) {
            let (left_priority, right_priority) = op.priority();
            if left_priority <= limit {
                break;
            }
            let line = self.line();
            self.next()?;
            let right = self.sub_expr(right_priority)?;
            left = boxed(ExprKind::Binary(op, left, right), line);
        }
        self.leave_level();
        Ok(left)
    }

    /// A unary operator and its operand.
    fn unary_exp(&mut self, op: UnOp) -> PResult<Box<Expr>> {
        let line = self.line();
        self.next()?;
        let operand = self.sub_expr(UNARY_PRIORITY)?;
        Ok(boxed(ExprKind::Unary(op, operand), line))
    }

    /// Literals, `...`, constructors, function expressions, or a suffixed expression.
    fn simple_exp(&mut self) -> PResult<Box<Expr>> {
        let line = self.line();
        let kind = match &mut self.tok.tok {
            Tok::Number(n) => ExprKind::Number(*n),
            Tok::Str(s) => ExprKind::Str(std::mem::take(s)),
            Tok::Nil => ExprKind::Nil,
            Tok::True => ExprKind::True,
            Tok::False => ExprKind::False,
            Tok::Dots => {
                if !self.func.is_vararg {
                    return Err(self.syntax_error("cannot use '...' outside a vararg function"));
                }
                ExprKind::Vararg
            }
            Tok::Char(b'{') => return self.constructor(),
            Tok::Function => return self.function_exp(),
            _ => return self.suffixed_exp(),
        };
        self.next()?;
        Ok(boxed(kind, line))
    }

    /// `function body` as an expression. PUC's `linedefined` for it is the line reached
    /// after the `function` keyword.
    fn function_exp(&mut self) -> PResult<Box<Expr>> {
        self.next()?;
        let line = self.line();
        let body = Box::new(self.func_body(false, line)?);
        Ok(boxed(ExprKind::Function(body), line))
    }

    /// A name or a parenthesized expression.
    fn primary_exp(&mut self) -> PResult<Box<Expr>> {
        let line = self.line();
        match self.tok.tok {
            Tok::Char(b'(') => {
                self.next()?;
                let inner = self.sub_expr(0)?;
                self.check_match(&RPAREN, &LPAREN, line)?;
                Ok(boxed(ExprKind::Paren(inner), line))
            }
            Tok::Name(_) => {
                let name = self.check_name()?;
                Ok(boxed(ExprKind::Name(name.name), line))
            }
            _ => Err(self.syntax_error("unexpected symbol")),
        }
    }

    /// `primaryexp { '.' name | '[' exp ']' | ':' name args | args }`, as a loop. Every
    /// node built here carries the line where the primary expression started.
    fn suffixed_exp(&mut self) -> PResult<Box<Expr>> {
        let line = self.line();
        let mut e = self.primary_exp()?;
        loop {
            e = match self.tok.tok {
                Tok::Char(b'.') => self.field_sel(e, line)?,
                Tok::Char(b'[') => {
                    let key = self.index()?;
                    boxed(ExprKind::Index(e, key), line)
                }
                Tok::Char(b':') => self.method_call(e, line)?,
                Tok::Char(b'(') | Tok::Char(b'{') | Tok::Str(_) => {
                    let args = self.func_args(line)?;
                    boxed(ExprKind::Call(e, args), line)
                }
                _ => return Ok(e),
            };
        }
    }

    /// `obj.name`
    fn field_sel(&mut self, obj: Box<Expr>, line: Line) -> PResult<Box<Expr>> {
        self.next()?;
        let key = self.check_name()?;
        let key = boxed(ExprKind::Str(key.name.into_bytes()), key.line);
        Ok(boxed(ExprKind::Index(obj, key), line))
    }

    /// `obj:name args`
    fn method_call(&mut self, obj: Box<Expr>, line: Line) -> PResult<Box<Expr>> {
        self.next()?;
        let name = self.check_name()?;
        let args = self.func_args(line)?;
        Ok(boxed(ExprKind::MethodCall(obj, Box::new(name), args), line))
    }

    /// `'[' exp ']'`
    fn index(&mut self) -> PResult<Box<Expr>> {
        self.next()?;
        let key = self.sub_expr(0)?;
        self.check_next(&RBRACKET)?;
        Ok(key)
    }

    /// Call arguments: `( [explist] )`, a table constructor or a string literal. `line` is
    /// where the called expression started (PUC reports an unclosed `(` at that line).
    fn func_args(&mut self, line: Line) -> PResult<Vec<Expr>> {
        match &mut self.tok.tok {
            Tok::Char(b'(') => {
                self.next()?;
                let args = if self.is(&RPAREN) {
                    Vec::new()
                } else {
                    self.expr_list()?
                };
                self.check_match(&RPAREN, &LPAREN, line)?;
                Ok(args)
            }
            Tok::Char(b'{') => Ok(vec![*self.constructor()?]),
            Tok::Str(s) => {
                let arg = expr(ExprKind::Str(std::mem::take(s)), self.lex.line());
                self.next()?;
                Ok(vec![arg])
            }
            _ => Err(self.syntax_error("function arguments expected")),
        }
    }

    /// `{ [field {sep field} [sep]] }` with `sep` = `,` or `;`.
    fn constructor(&mut self) -> PResult<Box<Expr>> {
        let line = self.line();
        self.check_next(&LBRACE)?;
        let mut fields = Vec::new();
        while !self.is(&RBRACE) {
            self.field(&mut fields)?;
            if !(self.test_next(&COMMA)? || self.test_next(&SEMICOLON)?) {
                break;
            }
        }
        self.check_match(&RBRACE, &LBRACE, line)?;
        Ok(boxed(ExprKind::Table(fields), line))
    }

    /// `name = exp`, `[exp] = exp` or a positional `exp`. A name is a key only when an `=`
    /// follows, which takes one token of lookahead (as in PUC).
    fn field(&mut self, fields: &mut Vec<TableField>) -> PResult<()> {
        let keyed = match self.tok.tok {
            Tok::Name(_) => *self.lookahead()? == ASSIGN,
            Tok::Char(b'[') => true,
            _ => false,
        };
        if !keyed {
            let value = self.sub_expr(0)?;
            fields.push(TableField::Positional(*value));
            return Ok(());
        }
        let key = if self.is(&LBRACKET) {
            self.index()?
        } else {
            let name = self.check_name()?;
            boxed(ExprKind::Str(name.name.into_bytes()), name.line)
        };
        self.check_next(&ASSIGN)?;
        let value = self.sub_expr(0)?;
        fields.push(TableField::Keyed(key, value));
        Ok(())
    }
}

#[cfg(test)]
mod tests;
