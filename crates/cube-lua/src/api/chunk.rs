//! Loading and running chunks of Lua source.

use super::handle::Handle;
use super::{FromLuaMulti, Function, IntoLuaMulti, Lua, Result, Table};
use crate::value::Value as RawValue;

/// A chunk of Lua source prepared by [`Lua::load`].
#[must_use = "a chunk does nothing until it is run"]
pub struct Chunk<'a> {
    lua: &'a Lua,
    source: Vec<u8>,
    name: Option<String>,
    env: Option<Table>,
}

impl<'a> Chunk<'a> {
    pub(crate) fn new(lua: &'a Lua, source: Vec<u8>) -> Chunk<'a> {
        Chunk {
            lua,
            source,
            name: None,
            env: None,
        }
    }

    /// The chunk name used in messages, with Lua's conventions: `"=name"` reads as
    /// `name`, `"@file.lua"` as `file.lua`, anything else as `[string "..."]`.
    /// Without a name the source text itself is used, as `loadstring` does.
    pub fn set_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Runs the chunk with `env` as its `_ENV` instead of the globals.
    pub fn set_environment(mut self, env: Table) -> Self {
        self.env = Some(env);
        self
    }

    fn chunk_name(&self) -> String {
        match &self.name {
            Some(n) => n.clone(),
            None => String::from_utf8_lossy(&self.source).into_owned(),
        }
    }

    fn function_of(&self, proto: std::sync::Arc<crate::proto::Proto>) -> Result<Function> {
        let env = match &self.env {
            Some(t) => t.0.raw_in(self.lua)?,
            None => self.lua.with_state(|st| RawValue::Table(st.globals)),
        };
        let f = self.lua.with_state(|st| st.closure_of(proto, env));
        Ok(Function(Handle::new(self.lua, f)))
    }

    /// Compiles the chunk into a function (a syntax error is [`super::Error::Syntax`]).
    pub fn into_function(self) -> Result<Function> {
        let proto = crate::load::compile(&self.source, &self.chunk_name())?;
        self.function_of(proto)
    }

    /// Runs the chunk as statements.
    pub fn exec(self) -> Result<()> {
        self.into_function()?.call(())
    }

    /// Runs the chunk and converts its results. The source may be an expression
    /// (`"1 + 2"`: it is tried as `return 1 + 2` first) or statements with `return`.
    pub fn eval<R: FromLuaMulti>(self) -> Result<R> {
        let name = self.chunk_name();
        let mut expr = b"return ".to_vec();
        expr.extend_from_slice(&self.source);
        let proto = match crate::load::compile(&expr, &name) {
            Ok(p) => p,
            Err(_) => crate::load::compile(&self.source, &name)?,
        };
        self.function_of(proto)?.call(())
    }

    /// Runs the chunk with arguments (its `...`) and converts its results.
    pub fn call<A: IntoLuaMulti, R: FromLuaMulti>(self, args: A) -> Result<R> {
        self.into_function()?.call(args)
    }
}
