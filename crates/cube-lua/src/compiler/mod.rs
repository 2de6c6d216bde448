//! The compiler: [`crate::ast`] to [`crate::proto::Proto`] register bytecode.
//!
//! The code it generates is the code PUC-Rio Lua 5.2 generates, instruction for
//! instruction, so listings can be diffed against `luac5.2 -l` (see `disasm.rs` and the
//! golden tests in `tests/luac/`). PUC compiles while it parses; this compiler walks the
//! AST in the same order the parser would have seen the tokens, and keeps PUC's
//! machinery: expression descriptors and jump lists (`code.rs`, after `lcode.c`), scopes,
//! labels and gotos (`scope.rs`), expressions (`expr.rs`) and statements (`stmt.rs`,
//! both after `lparser.c`).
//!
//! Line information: PUC gives each instruction the line of the last token read
//! (`lastline`), except arithmetic (the operator's line) and calls (the line where the
//! called expression starts). The AST keeps the lines of names, literals, operators,
//! statement keywords, and of the tokens that open and close blocks (`then`, `do`,
//! `end`: `ast::Block`), but not of other closing tokens (`)`, `}`), so the compiler
//! keeps a running "last line" updated as it visits nodes in source order. Instructions
//! whose PUC line is that of such a token can therefore carry an earlier line. Line
//! hooks see these lines (db.lua's line traces check them).

mod code;
mod disasm;
mod expr;
#[cfg(test)]
mod golden;
mod scope;
mod stmt;
#[cfg(test)]
mod tests;

use crate::ast::Chunk;
use crate::chunkid::{chunk_id, SyntaxError};
use crate::proto::Proto;
use code::{ExpKind, FuncState};
use std::sync::Arc;

pub use disasm::{disassemble, disassemble_full};

/// Deepest nesting of expressions/statements/functions the compiler accepts (PUC's
/// `LUAI_MAXCCALLS`): it bounds the compiler's own recursion.
const MAX_DEPTH: u32 = 200;

/// A compile error before it is given its chunk name.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CompileError {
    msg: String,
    line: u32,
}

impl CompileError {
    fn new(msg: impl Into<String>, line: u32) -> CompileError {
        CompileError {
            msg: msg.into(),
            line,
        }
    }

    /// An error PUC raises outside the parser's position tracking (a memory limit): its
    /// message has no `chunk:line:` prefix.
    fn without_position(msg: impl Into<String>) -> CompileError {
        CompileError::new(msg, NO_POSITION)
    }

    /// Adds PUC's " near 'TOKEN'" where the statement knows the token that followed
    /// (the AST keeps no tokens, so only the syntax at hand can tell).
    fn near(mut self, token: &str) -> CompileError {
        self.msg.push_str(&format!(" near '{token}'"));
        self
    }
}

type CResult<T> = Result<T, CompileError>;

/// The line of a [`CompileError`] that is reported without a position.
const NO_POSITION: u32 = u32::MAX;

/// Compiles a chunk into the prototype of its main function: vararg, with the single
/// upvalue `_ENV`.
pub fn compile(chunk: &Chunk, chunk_name: &str) -> Result<Proto, SyntaxError> {
    let mut c = Compiler {
        source: Arc::from(chunk_name),
        funcs: Vec::new(),
        // the caller of the compiler (`load`) is one C level, as in PUC
        depth: 1,
    };
    c.main_func(chunk).map_err(|e| SyntaxError {
        message: if e.line == NO_POSITION {
            e.msg
        } else {
            format!("{}:{}: {}", chunk_id(chunk_name), e.line, e.msg)
        },
    })
}

/// The compiler state: the stack of functions being compiled (innermost last).
struct Compiler {
    source: Arc<str>,
    funcs: Vec<FuncState>,
    /// Current nesting depth, bounded by [`MAX_DEPTH`].
    depth: u32,
}

impl Compiler {
    /// The function being compiled.
    fn fs(&mut self) -> &mut FuncState {
        self.funcs
            .last_mut()
            .expect("the compiler always has a function open")
    }

    /// Sets the running "last token" line.
    fn set_line(&mut self, line: u32) {
        self.fs().line = line;
    }

    /// Enters one level of nesting (PUC's `enterlevel`).
    fn enter_level(&mut self) -> CResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            let fs = self.fs();
            return Err(fs.error_limit(MAX_DEPTH as usize, "C levels"));
        }
        Ok(())
    }

    fn leave_level(&mut self) {
        self.depth -= 1;
    }

    fn main_func(&mut self, chunk: &Chunk) -> CResult<Proto> {
        let mut fs = FuncState::new(self.source.clone(), 0);
        fs.f.is_vararg = true;
        fs.line = 1;
        fs.enter_block(false);
        fs.new_upvalue("_ENV", true, 0)?;
        self.funcs.push(fs);
        self.statlist(&chunk.body.stats, false)?;
        let mut fs = self.funcs.pop().expect("main function is open");
        // final return at the last token's line; undefined gotos are reported at <eof>
        fs.ret(0, 0)?;
        fs.line = chunk.end_line.max(fs.line);
        fs.leave_block()?;
        Ok(fs.into_proto())
    }

    /// Resolves `name` in function `fi` and its enclosing functions, creating upvalues
    /// on the way (PUC's `singlevaraux`). `None` means "global".
    fn single_var_aux(&mut self, fi: usize, name: &str, base: bool) -> CResult<Option<ExpKind>> {
        let fs = &mut self.funcs[fi];
        if let Some(v) = fs.search_var(name) {
            if !base {
                fs.mark_upval(v); // local will be used as an upvalue
            }
            return Ok(Some(ExpKind::Local(v)));
        }
        if let Some(idx) = fs.search_upvalue(name) {
            return Ok(Some(ExpKind::Upval(idx)));
        }
        if fi == 0 {
            return Ok(None);
        }
        let (in_stack, index) = match self.single_var_aux(fi - 1, name, false)? {
            None => return Ok(None),
            Some(ExpKind::Local(r)) => (true, r),
            Some(ExpKind::Upval(u)) => (false, u),
            Some(_) => return Ok(None),
        };
        // a limit error is reported at the current line
        let line = self.funcs.last().map_or(0, |f| f.line);
        self.funcs[fi].line = line;
        let idx = self.funcs[fi].new_upvalue(name, in_stack, index)?;
        Ok(Some(ExpKind::Upval(idx)))
    }
}
