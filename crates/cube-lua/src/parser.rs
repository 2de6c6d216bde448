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
        Ok(Block { stats })
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
        let body = self.stat_list()?;
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
        self.check_next(&Tok::Then)?;
        let body = self.stat_list()?;
        Ok((cond, body))
    }

    fn while_stat(&mut self, line: Line, out: &mut Vec<Stat>) -> PResult<()> {
        self.next()?;
        let cond = self.expr()?;
        self.check_next(&Tok::Do)?;
        let body = self.stat_list()?;
        self.check_match(&Tok::End, &Tok::While, line)?;
        out.push(Stat::While { cond, body, line });
        Ok(())
    }

    fn repeat_stat(&mut self, line: Line, out: &mut Vec<Stat>) -> PResult<()> {
        self.next()?;
        let body = self.stat_list()?;
        self.check_match(&Tok::Until, &Tok::Repeat, line)?;
        let cond = self.expr()?;
        out.push(Stat::Repeat { body, cond, line });
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
            start,
            limit,
            step,
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
        self.check_next(&Tok::Do)?;
        self.stat_list()
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
        Ok(boxed(ExprKind::MethodCall(obj, name, args), line))
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
        fields.push(TableField::Keyed(*key, *value));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(src: &str) -> Chunk {
        match parse(src.as_bytes(), "=t") {
            Ok(chunk) => chunk,
            Err(e) => panic!("{src:?} failed: {e}"),
        }
    }

    fn parse_err(src: &[u8], chunk_name: &str) -> String {
        match parse(src, chunk_name) {
            Ok(chunk) => panic!("{:?} parsed: {chunk:?}", String::from_utf8_lossy(src)),
            Err(e) => e.message,
        }
    }

    /// A compact prefix rendering of an expression, to check tree shapes.
    fn show(e: &Expr) -> String {
        let list = |es: &[Expr]| es.iter().map(show).collect::<Vec<_>>().join(" ");
        match &e.kind {
            ExprKind::Nil => "nil".into(),
            ExprKind::True => "true".into(),
            ExprKind::False => "false".into(),
            ExprKind::Vararg => "...".into(),
            ExprKind::Number(n) => format!("{n}"),
            ExprKind::Str(s) => format!("{:?}", String::from_utf8_lossy(s)),
            ExprKind::Function(f) => format!("(fn {})", f.params.len()),
            ExprKind::Table(fields) => {
                let fields: Vec<String> = fields
                    .iter()
                    .map(|f| match f {
                        TableField::Keyed(k, v) => format!("[{}]={}", show(k), show(v)),
                        TableField::Positional(v) => show(v),
                    })
                    .collect();
                format!("{{{}}}", fields.join(" "))
            }
            ExprKind::Binary(op, l, r) => format!("({op:?} {} {})", show(l), show(r)),
            ExprKind::Unary(op, x) => format!("({op:?} {})", show(x)),
            ExprKind::Name(n) => n.clone(),
            ExprKind::Index(o, k) => format!("{}[{}]", show(o), show(k)),
            ExprKind::Call(f, args) => format!("(call {} {})", show(f), list(args)),
            ExprKind::MethodCall(o, m, args) => {
                format!("(method {} {} {})", show(o), m.name, list(args))
            }
            ExprKind::Paren(x) => format!("(paren {})", show(x)),
        }
    }

    /// The single expression assigned by `x = <src>`.
    fn rhs(src: &str) -> Expr {
        let chunk = parse_ok(&format!("x = {src}"));
        match chunk.body.stats.into_iter().next() {
            Some(Stat::Assign { mut exprs, .. }) if exprs.len() == 1 => exprs.remove(0),
            other => panic!("unexpected {other:?}"),
        }
    }

    fn shape(src: &str) -> String {
        show(&rhs(src))
    }

    #[test]
    fn precedence_and_associativity() {
        assert_eq!(shape("1 + 2 * 3"), "(Add 1 (Mul 2 3))");
        assert_eq!(shape("1 - 2 - 3"), "(Sub (Sub 1 2) 3)");
        assert_eq!(shape("2 ^ 3 ^ 2"), "(Pow 2 (Pow 3 2))");
        assert_eq!(shape("a .. b .. c"), "(Concat a (Concat b c))");
        assert_eq!(shape("-x ^ 2"), "(Neg (Pow x 2))");
        assert_eq!(shape("2 ^ -3"), "(Pow 2 (Neg 3))");
        assert_eq!(shape("2 ^ -3 ^ 2"), "(Pow 2 (Neg (Pow 3 2)))");
        assert_eq!(shape("not a == b"), "(Eq (Not a) b)");
        assert_eq!(shape("#t + 1"), "(Add (Len t) 1)");
        assert_eq!(shape("a or b and c"), "(Or a (And b c))");
        assert_eq!(shape("a and b or c"), "(Or (And a b) c)");
        assert_eq!(shape("a < b == c > d"), "(Gt (Eq (Lt a b) c) d)");
        assert_eq!(shape("1 .. 2 + 3"), "(Concat 1 (Add 2 3))");
        assert_eq!(shape("a + b .. c * d"), "(Concat (Add a b) (Mul c d))");
        assert_eq!(shape("x % 2 / 3 * 4"), "(Mul (Div (Mod x 2) 3) 4)");
        assert_eq!(shape("a ~= b <= c >= d"), "(Ge (Le (Ne a b) c) d)");
        assert_eq!(shape("- - x"), "(Neg (Neg x))");
        assert_eq!(shape("(a + b) * c"), "(Mul (paren (Add a b)) c)");
        assert_eq!(shape("-2 ^ 2 .. 1"), "(Concat (Neg (Pow 2 2)) 1)");
    }

    #[test]
    fn suffixed_expressions() {
        assert_eq!(shape("a.b.c"), "a[\"b\"][\"c\"]");
        assert_eq!(shape("a[1][b]"), "a[1][b]");
        assert_eq!(shape("f(1, 2)(3)"), "(call (call f 1 2) 3)");
        assert_eq!(shape("o:m(1):n()"), "(method (method o m 1) n )");
        assert_eq!(shape("f 'x'"), "(call f \"x\")");
        assert_eq!(shape("f [[x]]"), "(call f \"x\")");
        assert_eq!(shape("f {1}"), "(call f {1})");
        assert_eq!(shape("o:m 's'"), "(method o m \"s\")");
        assert_eq!(shape("(f)()"), "(call (paren f) )");
        assert_eq!(shape("(a).b"), "(paren a)[\"b\"]");
    }

    #[test]
    fn table_constructors() {
        assert_eq!(shape("{}"), "{}");
        assert_eq!(
            shape("{1, a = 2; [3] = 4, f(), 5;}"),
            "{1 [\"a\"]=2 [3]=4 (call f ) 5}"
        );
        assert_eq!(shape("{a}"), "{a}");
        assert_eq!(shape("{a == b}"), "{(Eq a b)}");
        assert_eq!(shape("{...}"), "{...}");
        assert_eq!(shape("{{}, {{}}}"), "{{} {{}}}");
    }

    #[test]
    fn literals() {
        assert_eq!(shape("nil"), "nil");
        assert_eq!(shape("true"), "true");
        assert_eq!(shape("false"), "false");
        assert_eq!(shape("..."), "...");
        assert_eq!(shape("0x10"), "16");
        assert_eq!(shape("0xA.8p1"), "21");
        assert_eq!(shape("1e308 * 10"), format!("(Mul {} 10)", 1e308));
        assert_eq!(shape("1e999"), "inf");
        assert_eq!(shape("'\\65\\x42\\z   C'"), "\"ABC\"");
        match rhs("'\\0\\255\\n'").kind {
            ExprKind::Str(s) => assert_eq!(s, b"\0\xff\n"),
            other => panic!("{other:?}"),
        }
        match rhs("[==[\r\n]]\r]==]").kind {
            ExprKind::Str(s) => assert_eq!(s, b"]]\n"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn function_statements_and_method_sugar() {
        let chunk = parse_ok("function a.b.c:m(x, ...) return self end");
        let Some(Stat::Function {
            path, method, body, ..
        }) = chunk.body.stats.first()
        else {
            panic!("{chunk:?}");
        };
        let path: Vec<&str> = path.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(path, ["a", "b", "c"]);
        assert_eq!(method.as_ref().map(|m| m.name.as_str()), Some("m"));
        let params: Vec<&str> = body.params.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(params, ["self", "x"]);
        assert!(body.is_vararg);

        let chunk = parse_ok("function f() end");
        let Some(Stat::Function {
            path, method, body, ..
        }) = chunk.body.stats.first()
        else {
            panic!();
        };
        assert_eq!(path.len(), 1);
        assert!(method.is_none() && body.params.is_empty() && !body.is_vararg);
    }

    #[test]
    fn local_function_versus_local_assignment() {
        let chunk = parse_ok("local function f(a) end local g = function(...) end");
        assert!(matches!(chunk.body.stats[0], Stat::LocalFunction { .. }));
        match &chunk.body.stats[1] {
            Stat::Local { names, exprs, .. } => {
                assert_eq!(names[0].name, "g");
                assert!(matches!(&exprs[0].kind, ExprKind::Function(f) if f.is_vararg));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn statements() {
        let chunk = parse_ok(
            "local a, b = 1\n\
             a, b.c, d[1] = f()\n\
             do ; end while a do break end repeat local z until z\n\
             if a then elseif b then else end\n\
             for i = 1, 10, 2 do end for k, v in pairs(t) do end\n\
             ::top:: goto top\n\
             o:m() f{} f''\n\
             return 1, 2;",
        );
        let kinds: Vec<&str> = chunk
            .body
            .stats
            .iter()
            .map(|s| match s {
                Stat::Call(_) => "call",
                Stat::Local { .. } => "local",
                Stat::Assign { .. } => "assign",
                Stat::Do(_) => "do",
                Stat::While { .. } => "while",
                Stat::Repeat { .. } => "repeat",
                Stat::If { .. } => "if",
                Stat::NumericFor { .. } => "fornum",
                Stat::GenericFor { .. } => "forin",
                Stat::Function { .. } => "function",
                Stat::LocalFunction { .. } => "localfunction",
                Stat::Return { .. } => "return",
                Stat::Break { .. } => "break",
                Stat::Goto { .. } => "goto",
                Stat::Label { .. } => "label",
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "local", "assign", "do", "while", "repeat", "if", "fornum", "forin", "label",
                "goto", "call", "call", "call", "return"
            ]
        );
        assert_eq!(chunk.end_line, 8);
        match &chunk.body.stats[5] {
            Stat::If {
                arms, else_block, ..
            } => assert!(arms.len() == 2 && else_block.is_some()),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn lines_follow_puc() {
        let chunk = parse_ok("x = a\n+\nb\nf\n(\n1)\nlocal function g\n()\nend");
        let stats = &chunk.body.stats;
        match &stats[0] {
            Stat::Assign { exprs, line, .. } => {
                assert_eq!(*line, 1);
                assert_eq!(exprs[0].line, 2); // the operator's line
            }
            other => panic!("{other:?}"),
        }
        match &stats[1] {
            Stat::Call(call) => assert_eq!(call.line, 4), // where the prefix starts
            other => panic!("{other:?}"),
        }
        match &stats[2] {
            Stat::LocalFunction { body, line, .. } => {
                assert_eq!((*line, body.line, body.end_line), (7, 8, 9));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(chunk.end_line, 9);
    }

    /// Deep nesting gives PUC's "too many C levels" error, at the same depth as `luac5.2`.
    #[test]
    fn nesting_limit_matches_luac() {
        let cases: Vec<(String, &str)> =
            vec![
            (
                format!("x = {}1{}", "(".repeat(198), ")".repeat(198)),
                "d.lua:1: too many C levels (limit is 200) in main function near '1'",
            ),
            (format!("x = {}1{}", "(".repeat(197), ")".repeat(197)), ""),
            (
                format!("x = {}", vec!["a"; 199].join("..")),
                "d.lua:1: too many C levels (limit is 200) in main function near 'a'",
            ),
            (format!("x = {}", vec!["a"; 198].join("..")), ""),
            (
                (0..200).map(|i| format!("::a{i}:: ")).collect(),
                "d.lua:1: too many C levels (limit is 200) in main function near '::'",
            ),
            ((0..199).map(|i| format!("::a{i}:: ")).collect(), ""),
            (
                format!("{} = 1", vec!["a"; 200].join(",")),
                "d.lua:1: too many C levels (limit is 200) in main function near '='",
            ),
            (
                format!("{} = 1", vec!["a"; 201].join(",")),
                "d.lua:1: too many C levels (limit is 200) in main function near ','",
            ),
            (format!("{} = 1", vec!["a"; 199].join(",")), ""),
            (format!("{}{}", "do ".repeat(199), "end ".repeat(199)), ""),
            (
                format!("{}{}", "do ".repeat(200), "end ".repeat(200)),
                "d.lua:1: too many C levels (limit is 200) in main function near 'do'",
            ),
            (
                format!("x = {}1", "- ".repeat(300)),
                "d.lua:1: too many C levels (limit is 200) in main function near '-'",
            ),
            (format!("x = {}1", "not ".repeat(197)), ""),
            (
                format!("x = {}{}", "{".repeat(300), "}".repeat(300)),
                "d.lua:1: too many C levels (limit is 200) in main function near '{'",
            ),
            (
                format!("x = {}{}", "f(".repeat(300), ")".repeat(300)),
                "d.lua:1: too many C levels (limit is 200) in main function near 'f'",
            ),
            (
                format!(
                    "x = 1\nlocal function f()\nx = {}{} end",
                    "(".repeat(300),
                    ")".repeat(300)
                ),
                "d.lua:3: too many C levels (limit is 200) in function at line 2 near '('",
            ),
            (
                format!("{}{}", "f = function() ".repeat(100), " end".repeat(100)),
                "d.lua:1: too many C levels (limit is 200) in function at line 1 near 'function'",
            ),
            (
                format!("x = {}", vec!["2"; 250].join("^")),
                "d.lua:1: too many C levels (limit is 200) in main function near '2'",
            ),
            (format!("{}{}", "if x then ".repeat(150), "end ".repeat(150)), ""),
            (format!("{}{}", "while x do ".repeat(150), "end ".repeat(150)), ""),
            (
                format!("{}{}", "repeat ".repeat(250), "until x ".repeat(250)),
                "d.lua:1: too many C levels (limit is 200) in main function near 'repeat'",
            ),
            (
                format!("x = a{}{}", "[a".repeat(250), "]".repeat(250)),
                "d.lua:1: too many C levels (limit is 200) in main function near 'a'",
            ),
        ];
        for (src, expected) in cases {
            let got = match parse(src.as_bytes(), "@d.lua") {
                Ok(_) => String::new(),
                Err(e) => e.message,
            };
            assert_eq!(got, expected, "source: {}", &src[..src.len().min(80)]);
        }
    }

    /// Chains that PUC parses with loops must not hit the nesting limit.
    #[test]
    fn long_chains_are_loops() {
        let src = format!(
            "x = a{}\ny = 1{}\nf{}\nz = a{}\nw = {{{}}}\n{}",
            ".b".repeat(2000),
            " + 1".repeat(2000),
            "()".repeat(2000),
            " and a".repeat(2000),
            "1, ".repeat(5000),
            "x = 1; ".repeat(5000),
        );
        let chunk = parse_ok(&src);
        assert_eq!(chunk.body.stats.len(), 5005);
        // The AST of a chain is a deep tree: dismantle it without recursion.
        dismantle(chunk);
    }

    /// Drops a chunk's expressions iteratively (the derived drop recurses per tree level).
    fn dismantle(chunk: Chunk) {
        let mut pending: Vec<Expr> = Vec::new();
        for stat in chunk.body.stats {
            match stat {
                Stat::Assign { targets, exprs, .. } => {
                    pending.extend(targets);
                    pending.extend(exprs);
                }
                Stat::Call(e) => pending.push(e),
                _ => {}
            }
        }
        while let Some(e) = pending.pop() {
            match e.kind {
                ExprKind::Binary(_, l, r) | ExprKind::Index(l, r) => {
                    pending.push(*l);
                    pending.push(*r);
                }
                ExprKind::Call(f, args) => {
                    pending.push(*f);
                    pending.extend(args);
                }
                _ => {}
            }
        }
    }

    /// Real `luac5.2 -p t.lua` messages (without the `luac5.2: ` prefix).
    const ERRORS: &[(&[u8], &str)] = &[
        (b"x = = 1", "t.lua:1: unexpected symbol near '='"),
        (b"x", "t.lua:1: syntax error near <eof>"),
        (b"f() = 1", "t.lua:1: syntax error near '='"),
        (b"a,b", "t.lua:1: '=' expected near <eof>"),
        (b"a, f() = 1", "t.lua:1: syntax error near '='"),
        (b"(a) = 1", "t.lua:1: syntax error near '='"),
        (
            b"a.b:c = 1",
            "t.lua:1: function arguments expected near '='",
        ),
        (b"a.b:c", "t.lua:1: function arguments expected near <eof>"),
        (b"return 1 x = 2", "t.lua:1: <eof> expected near 'x'"),
        (
            b"local function f() return ... end",
            "t.lua:1: cannot use '...' outside a vararg function near '...'",
        ),
        (
            b"function f(a, ...) local g = function() return ... end end",
            "t.lua:1: cannot use '...' outside a vararg function near '...'",
        ),
        (b"for x do end", "t.lua:1: '=' or 'in' expected near 'do'"),
        (b"for x = 1 do end", "t.lua:1: ',' expected near 'do'"),
        (b"for x, y = 1, 2 do end", "t.lua:1: 'in' expected near '='"),
        (
            b"function f(1) end",
            "t.lua:1: <name> or '...' expected near '1'",
        ),
        (
            b"function f(a,) end",
            "t.lua:1: <name> or '...' expected near ')'",
        ),
        (b"function (a) end", "t.lua:1: <name> expected near '('"),
        (b"function a.1() end", "t.lua:1: '(' expected near '.1'"),
        (b"function a:b.c() end", "t.lua:1: '(' expected near '.'"),
        (b"local 1 = 2", "t.lua:1: <name> expected near '1'"),
        (
            b"local function 1() end",
            "t.lua:1: <name> expected near '1'",
        ),
        (b"x = 3x", "t.lua:1: syntax error near <eof>"),
        (b"x = 0x", "t.lua:1: malformed number near '0x'"),
        (b"x = 1e", "t.lua:1: malformed number near '1e'"),
        (b"x = 3e+", "t.lua:1: malformed number near '3e+'"),
        (b"x = 1..2", "t.lua:1: malformed number near '1..2'"),
        (b"x = 0x.p1", "t.lua:1: malformed number near '0x.p1'"),
        (b"x = 08.5.5", "t.lua:1: malformed number near '08.5.5'"),
        (b"x = 3f", "t.lua:1: malformed number near '3f'"),
        (b"x = \"abc", "t.lua:1: unfinished string near <eof>"),
        (b"x = \"abc\ny\"", "t.lua:1: unfinished string near '\"abc'"),
        (
            b"x = \"a\\qb\"",
            "t.lua:1: invalid escape sequence near '\\q'",
        ),
        (
            b"x = \"\\300\"",
            "t.lua:1: decimal escape too large near '\\300'",
        ),
        (
            b"x = \"\\xg\"",
            "t.lua:1: hexadecimal digit expected near '\\xg'",
        ),
        (
            b"x = \"\\x5\"",
            "t.lua:1: hexadecimal digit expected near '\\x5\"'",
        ),
        (
            b"x = \"\\x",
            "t.lua:1: hexadecimal digit expected near '\\x'",
        ),
        (b"x = \"\\", "t.lua:1: unfinished string near <eof>"),
        (b"x = [==[ab", "t.lua:1: unfinished long string near <eof>"),
        (
            b"x = [=a",
            "t.lua:1: invalid long string delimiter near '[='",
        ),
        (
            b"--[==[ comment",
            "t.lua:1: unfinished long comment near <eof>",
        ),
        (
            b"--[[ \n\n comment",
            "t.lua:3: unfinished long comment near <eof>",
        ),
        (b"x = ~1", "t.lua:1: unexpected symbol near '~'"),
        (b"x = @", "t.lua:1: unexpected symbol near '@'"),
        (b"x = $", "t.lua:1: unexpected symbol near '$'"),
        (b"x = \x01", "t.lua:1: unexpected symbol near char(1)"),
        (b"x = \xc3\xa9", "t.lua:1: unexpected symbol near char(195)"),
        (b"x = {a=1,b 2}", "t.lua:1: '}' expected near '2'"),
        (b"x = (1", "t.lua:1: ')' expected near <eof>"),
        (
            b"x = (\n1",
            "t.lua:2: ')' expected (to close '(' at line 1) near <eof>",
        ),
        (
            b"f(\n1",
            "t.lua:2: ')' expected (to close '(' at line 1) near <eof>",
        ),
        (
            b"x.y(\n1",
            "t.lua:2: ')' expected (to close '(' at line 1) near <eof>",
        ),
        (
            b"a.b.c(\n1,\n2",
            "t.lua:3: ')' expected (to close '(' at line 1) near <eof>",
        ),
        (
            b"local function\nf() end x = )",
            "t.lua:2: unexpected symbol near ')'",
        ),
        (
            b"x = function\n() end x = )",
            "t.lua:2: unexpected symbol near ')'",
        ),
        (
            b"x = \"a\\tb\" \"c\"",
            "t.lua:1: unexpected symbol near '\"c\"'",
        ),
        (b"x = 'ab\\0cd\n", "t.lua:1: unfinished string near ''ab'"),
        (b"do x = 1 until", "t.lua:1: 'end' expected near 'until'"),
        (b"do x = 1", "t.lua:1: 'end' expected near <eof>"),
        (
            b"do\n x = 1",
            "t.lua:2: 'end' expected (to close 'do' at line 1) near <eof>",
        ),
        (b"while true do", "t.lua:1: 'end' expected near <eof>"),
        (
            b"while true\ndo\nx()",
            "t.lua:3: 'end' expected (to close 'while' at line 1) near <eof>",
        ),
        (b"repeat x()", "t.lua:1: 'until' expected near <eof>"),
        (
            b"repeat\nx()\nuntil",
            "t.lua:3: unexpected symbol near <eof>",
        ),
        (b"if x then", "t.lua:1: 'end' expected near <eof>"),
        (
            b"if x\nthen\nelse",
            "t.lua:3: 'end' expected (to close 'if' at line 1) near <eof>",
        ),
        (
            b"if x then else elseif",
            "t.lua:1: 'end' expected near 'elseif'",
        ),
        (b"if x y() end", "t.lua:1: 'then' expected near 'y'"),
        (
            b"if x then y() elseif z end",
            "t.lua:1: 'then' expected near 'end'",
        ),
        (b"goto", "t.lua:1: <name> expected near <eof>"),
        (b"goto 1", "t.lua:1: <name> expected near '1'"),
        (b"::a", "t.lua:1: '::' expected near <eof>"),
        (b"::1::", "t.lua:1: <name> expected near '1'"),
        (b"::a:: ::b", "t.lua:1: '::' expected near <eof>"),
        (b"break x", "t.lua:1: syntax error near <eof>"),
        (b"return return", "t.lua:1: unexpected symbol near 'return'"),
        (b"return 1,", "t.lua:1: unexpected symbol near <eof>"),
        (b"return 1;;", "t.lua:1: <eof> expected near ';'"),
        (b"x = {[1] 2}", "t.lua:1: '=' expected near '2'"),
        (b"x = {[1 = 2}", "t.lua:1: ']' expected near '='"),
        (b"x = {a = }", "t.lua:1: unexpected symbol near '}'"),
        (b"x = {,}", "t.lua:1: unexpected symbol near ','"),
        (b"x = {1,,2}", "t.lua:1: unexpected symbol near ','"),
        (b"f{1} = 2", "t.lua:1: syntax error near '='"),
        (b"x = a[1", "t.lua:1: ']' expected near <eof>"),
        (b"x = a.", "t.lua:1: <name> expected near <eof>"),
        (
            b"x = a:b",
            "t.lua:1: function arguments expected near <eof>",
        ),
        (
            b"x = a:b.c()",
            "t.lua:1: function arguments expected near '.'",
        ),
        (b"x = a:1()", "t.lua:1: <name> expected near '1'"),
        (b"x = 1 + ", "t.lua:1: unexpected symbol near <eof>"),
        (b"x = not", "t.lua:1: unexpected symbol near <eof>"),
        (b"x = - - -", "t.lua:1: unexpected symbol near <eof>"),
        (b"x = #", "t.lua:1: unexpected symbol near <eof>"),
        (b"x = 1 ++ 2", "t.lua:1: unexpected symbol near '+'"),
        (b"x = 1 == == 2", "t.lua:1: unexpected symbol near '=='"),
        (b"x = a..", "t.lua:1: unexpected symbol near <eof>"),
        (b"x = a .. .. b", "t.lua:1: unexpected symbol near '..'"),
        (
            b"local a <const> = 1",
            "t.lua:1: unexpected symbol near '<'",
        ),
        (b"local a, = 1", "t.lua:1: <name> expected near '='"),
        (b"local a =", "t.lua:1: unexpected symbol near <eof>"),
        (
            b"function f() x = ... end",
            "t.lua:1: cannot use '...' outside a vararg function near '...'",
        ),
        (
            b"function f(...) return function(a) return ... end end",
            "t.lua:1: cannot use '...' outside a vararg function near '...'",
        ),
        (b"x = }", "t.lua:1: unexpected symbol near '}'"),
        (b"x = ]", "t.lua:1: unexpected symbol near ']'"),
        (b"x = )", "t.lua:1: unexpected symbol near ')'"),
        (b"x = end", "t.lua:1: unexpected symbol near 'end'"),
        (b"end", "t.lua:1: <eof> expected near 'end'"),
        (b"else", "t.lua:1: <eof> expected near 'else'"),
        (b"elseif", "t.lua:1: <eof> expected near 'elseif'"),
        (b"until x", "t.lua:1: <eof> expected near 'until'"),
        (b"then", "t.lua:1: unexpected symbol near 'then'"),
        (b"in", "t.lua:1: unexpected symbol near 'in'"),
        (b"x = 1 then", "t.lua:1: unexpected symbol near 'then'"),
        (b"local", "t.lua:1: <name> expected near <eof>"),
        (b"local function", "t.lua:1: <name> expected near <eof>"),
        (b"function", "t.lua:1: <name> expected near <eof>"),
        (b"function f", "t.lua:1: '(' expected near <eof>"),
        (
            b"function f(",
            "t.lua:1: <name> or '...' expected near <eof>",
        ),
        (b"function f(a", "t.lua:1: ')' expected near <eof>"),
        (b"function f(a b) end", "t.lua:1: ')' expected near 'b'"),
        (
            b"function f() return 1 2 end",
            "t.lua:1: 'end' expected near '2'",
        ),
        (b"for", "t.lua:1: <name> expected near <eof>"),
        (b"for i", "t.lua:1: '=' or 'in' expected near <eof>"),
        (b"for i =", "t.lua:1: unexpected symbol near <eof>"),
        (b"for i = 1,", "t.lua:1: unexpected symbol near <eof>"),
        (
            b"for i = 1, 2, 3, 4 do end",
            "t.lua:1: 'do' expected near ','",
        ),
        (
            b"for a, b in do end",
            "t.lua:1: unexpected symbol near 'do'",
        ),
        (b"for a, b in x do", "t.lua:1: 'end' expected near <eof>"),
        (b"for a, 1 in x do end", "t.lua:1: <name> expected near '1'"),
        (
            b"for a.b in x do end",
            "t.lua:1: '=' or 'in' expected near '.'",
        ),
        (b"x = 0x1p", "t.lua:1: malformed number near '0x1p'"),
        (b"x = 0x1.2.3", "t.lua:1: malformed number near '0x1.2.3'"),
        (b"x = 5 .5", "t.lua:1: unexpected symbol near '.5'"),
        (b"x = 1e+-5", "t.lua:1: malformed number near '1e+'"),
        (b"x = .5e", "t.lua:1: malformed number near '.5e'"),
        (b"x = 3.e", "t.lua:1: malformed number near '3.e'"),
        (b"x = 0xp1", "t.lua:1: malformed number near '0xp1'"),
        (b"f 'a' 'b' = 1", "t.lua:1: syntax error near '='"),
        (b"x = a + b c", "t.lua:1: syntax error near <eof>"),
        (b"'str'", "t.lua:1: unexpected symbol near ''str''"),
        (b"\"str\" = 1", "t.lua:1: unexpected symbol near '\"str\"'"),
        (b"1 = 2", "t.lua:1: unexpected symbol near '1'"),
        (b"nil = 1", "t.lua:1: unexpected symbol near 'nil'"),
        (b"x = 'a\\z", "t.lua:1: unfinished string near <eof>"),
        (
            b"x = 'a\\z  \n  b\n",
            "t.lua:2: unfinished string near ''ab'",
        ),
        (
            b"x = \"\\xfg\"",
            "t.lua:1: hexadecimal digit expected near '\\xfg'",
        ),
        (
            b"x = '\\256'",
            "t.lua:1: decimal escape too large near '\\256'",
        ),
        (
            b"x = '\\25a\\999'",
            "t.lua:1: decimal escape too large near '\\999'",
        ),
        (b"x = [[\n\n]] ]]", "t.lua:3: unexpected symbol near ']'"),
        (
            b"x = 1 --[[\n",
            "t.lua:2: unfinished long comment near <eof>",
        ),
        (
            b"local function f(a, ...) return ... end x = ... y(",
            "t.lua:1: unexpected symbol near <eof>",
        ),
        (b"a = b = c", "t.lua:1: unexpected symbol near '='"),
        (b"x, y() = 1", "t.lua:1: syntax error near '='"),
        (b"x.y:z() = 1", "t.lua:1: syntax error near '='"),
        (b"::a:: ::b:: c", "t.lua:1: syntax error near <eof>"),
        (b"x = '\\q", "t.lua:1: invalid escape sequence near '\\q'"),
        (
            b"x = '\\x1",
            "t.lua:1: hexadecimal digit expected near '\\x1'",
        ),
        (b"f(a,)", "t.lua:1: unexpected symbol near ')'"),
        (b"f(,a)", "t.lua:1: unexpected symbol near ','"),
        (
            b"a.b[c]:d 'e' {f} (g) = 1",
            "t.lua:1: syntax error near '='",
        ),
    ];
    const ACCEPTED: &[&[u8]] = &[
        b"x = {1;2;}",
        b"x = y z = w",
        b"x = (y) (z)",
        b"x = ...",
        b"x = function(a, ...) return ... end; y = ...",
        b"a.b.c = f() g()",
        b"x = {f = function() end, ...}",
        b"x, y.z, w[1] = 1",
    ];

    #[test]
    fn error_messages_match_luac() {
        for (src, expected) in ERRORS {
            assert_eq!(
                parse_err(src, "@t.lua"),
                *expected,
                "source: {:?}",
                String::from_utf8_lossy(src)
            );
        }
    }

    #[test]
    fn accepted_by_luac() {
        for src in ACCEPTED {
            if let Err(e) = parse(src, "@t.lua") {
                panic!("{:?}: {e}", String::from_utf8_lossy(src));
            }
        }
    }

    /// Chunk names are formatted as in `lua5.2 -e 'print(load(...))'` and `lua5.2 -e`.
    #[test]
    fn chunk_names_in_messages() {
        assert_eq!(
            parse_err(b"x = = 1", "x = = 1"),
            "[string \"x = = 1\"]:1: unexpected symbol near '='"
        );
        assert_eq!(
            parse_err(b"x = \n= 1", "x = \n= 1"),
            "[string \"x = ...\"]:2: unexpected symbol near '='"
        );
        assert_eq!(
            parse_err(b"x = = 1", "=(command line)"),
            "(command line):1: unexpected symbol near '='"
        );
    }

    /// A tiny xorshift generator, so the fuzz test needs no dependencies.
    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    /// Random bytes and random token soups must give `Ok` or `Err`, never a panic.
    #[test]
    fn fuzz_does_not_panic() {
        const PIECES: &[&str] = &[
            "local",
            "function",
            "end",
            "if",
            "then",
            "else",
            "elseif",
            "while",
            "do",
            "for",
            "in",
            "repeat",
            "until",
            "return",
            "break",
            "goto",
            "::",
            "x",
            "y",
            "self",
            "=",
            "==",
            "~=",
            "<=",
            ">=",
            "<",
            ">",
            "+",
            "-",
            "*",
            "/",
            "%",
            "^",
            "#",
            "..",
            "...",
            "(",
            ")",
            "{",
            "}",
            "[",
            "]",
            ";",
            ":",
            ",",
            ".",
            "1",
            "0x1p4",
            "1e",
            "3.5",
            "'s'",
            "\"a\\tb\"",
            "[[long]]",
            "[==[x]==]",
            "--c\n",
            "--[[c]]",
            "\n",
            " ",
            "nil",
            "true",
            "false",
            "and",
            "or",
            "not",
            "'\\300'",
            "\"\\x4",
            "[=",
            "\r\n",
            "0x",
        ];
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        for _ in 0..3000 {
            let len = rng.below(40);
            let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            let _ = parse(&bytes, "=fuzz");
            let soup: String = (0..rng.below(60))
                .map(|_| PIECES[rng.below(PIECES.len())])
                .collect::<Vec<_>>()
                .join(if rng.below(2) == 0 { " " } else { "" });
            let _ = parse(soup.as_bytes(), "=fuzz");
            let _ = parse(soup.as_bytes(), &soup);
        }
    }
}
