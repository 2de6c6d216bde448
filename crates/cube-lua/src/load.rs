//! Loading chunks: source text to a callable closure of a state.

use crate::gc::Gc;
use crate::proto::Proto;
use crate::state::State;
use crate::value::{LClosure, UpState, UpVal, Value};
use crate::SyntaxError;
use std::sync::Arc;

/// Compiles Lua source to a shareable prototype.
///
/// Parsing and compiling recurse on the Rust stack in proportion to the nesting of the
/// source (bounded by the 200-level limit) and to the length of operator chains; both run
/// on a generously sized stack so that no valid program can overflow it.
pub fn compile(source: &[u8], chunk_name: &str) -> Result<Arc<Proto>, SyntaxError> {
    let run = || -> Result<Arc<Proto>, SyntaxError> {
        let chunk = crate::parser::parse(source, chunk_name)?;
        let proto = crate::compiler::compile(&chunk, chunk_name)?;
        Ok(Arc::new(proto))
    };
    if source.len() < 16 * 1024 {
        run()
    } else {
        stacker::grow(256 << 20, run)
    }
}

impl State {
    /// Makes a closure of a main-chunk prototype: when it has exactly one upvalue (as
    /// every text chunk has: `_ENV`), that upvalue is `env`, as `lua_load` does.
    pub fn closure_of(&mut self, proto: Arc<Proto>, env: Value) -> Value {
        let p = self.instantiate(proto);
        let nups = p.proto.upvalues.len();
        let mut ups: Vec<Gc<UpVal>> = Vec::with_capacity(nups);
        for i in 0..nups {
            let v = if i == 0 && nups == 1 { env } else { Value::Nil };
            ups.push(self.heap.new_upval(UpVal {
                state: UpState::Closed(v),
            }));
        }
        Value::LFn(self.heap.new_lclosure(LClosure {
            p,
            upvals: ups.into_boxed_slice(),
        }))
    }

    /// Compiles `source` and returns the main function, with the globals as `_ENV`.
    pub fn load_chunk(&mut self, source: &[u8], chunk_name: &str) -> Result<Value, SyntaxError> {
        let proto = compile(source, chunk_name)?;
        let env = Value::Table(self.globals);
        Ok(self.closure_of(proto, env))
    }
}
