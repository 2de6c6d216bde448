//! The Lua 5.2 standard library, one module per library, plus the argument-checking
//! helpers they share (the `luaL_check*` family).

pub mod base;
pub mod bit32;
pub mod coroutine;
pub mod debug;
pub mod io;
pub mod math;
pub mod os;
pub mod package;
pub mod string;
pub mod table;

use crate::gc::Gc;
use crate::state::{Args, LResult, State};
use crate::table::Table;
use crate::value::{LuaStr, Value};

/// Opens every standard library into the state's globals.
pub fn open_libs(st: &mut State) {
    // The order of PUC-Rio's linit.c.
    base::open(st);
    package::open(st);
    coroutine::open(st);
    table::open(st);
    io::open(st);
    os::open(st);
    string::open(st);
    bit32::open(st);
    math::open(st);
    debug::open(st);
}

/// A state's own copy of a standard-library userdata held by a shared image (the
/// standard file handles, the random generator's state); see `crate::image`.
pub fn clone_userdata(data: &dyn std::any::Any) -> Option<Box<dyn std::any::Any + Send>> {
    if let Some(f) = data.downcast_ref::<io::LFile>() {
        return f
            .std_copy()
            .map(|f| Box::new(f) as Box<dyn std::any::Any + Send>);
    }
    if let Some(r) = data.downcast_ref::<math::GlibcRand>() {
        return Some(Box::new(r.clone()));
    }
    None
}

/// Creates a library table, registers it as a global and in `package.loaded`.
pub(crate) fn new_lib(st: &mut State, name: &str) -> Gc<Table> {
    let t = st.new_table();
    st.set_global(name, Value::Table(t));
    let loaded = st.loaded_table();
    st.set_field(loaded, name, Value::Table(t));
    t
}

impl State {
    /// `package.loaded` (registry._LOADED), created on first use.
    pub(crate) fn loaded_table(&mut self) -> Gc<Table> {
        let reg = self.registry;
        let key = self.names.loaded;
        match reg.get_str(key) {
            Value::Table(t) => t,
            _ => {
                let t = self.new_table();
                let reg = self.unshare(reg);
                reg.get_mut().set_str(key, Value::Table(t));
                t
            }
        }
    }

    // ----- argument checks (luaL_check* / luaL_opt*) -----

    pub(crate) fn check_any(&mut self, a: Args, n: usize) -> LResult<Value> {
        if n > a.len {
            return Err(self.arg_error(n, "value expected"));
        }
        Ok(self.arg(a, n))
    }

    pub(crate) fn check_table(&mut self, a: Args, n: usize) -> LResult<Gc<Table>> {
        match self.arg(a, n) {
            Value::Table(t) => Ok(t),
            _ => Err(self.arg_type_error(a, n, "table")),
        }
    }

    pub(crate) fn check_number(&mut self, a: Args, n: usize) -> LResult<f64> {
        match State::to_num_coerce(&self.arg(a, n)) {
            Some(x) => Ok(x),
            None => Err(self.arg_type_error(a, n, "number")),
        }
    }

    pub(crate) fn opt_number(&mut self, a: Args, n: usize, default: f64) -> LResult<f64> {
        if self.arg(a, n).is_nil() {
            Ok(default)
        } else {
            self.check_number(a, n)
        }
    }

    /// `luaL_checkinteger`: numbers are truncated toward zero.
    pub(crate) fn check_integer(&mut self, a: Args, n: usize) -> LResult<i64> {
        let x = self.check_number(a, n)?;
        Ok(num_to_int(x))
    }

    pub(crate) fn opt_integer(&mut self, a: Args, n: usize, default: i64) -> LResult<i64> {
        if self.arg(a, n).is_nil() {
            Ok(default)
        } else {
            self.check_integer(a, n)
        }
    }

    /// `luaL_checklstring`: strings, and numbers converted to strings.
    pub(crate) fn check_str(&mut self, a: Args, n: usize) -> LResult<Gc<LuaStr>> {
        let v = self.arg(a, n);
        match self.coerce_to_str(&v) {
            Some(s) => Ok(s),
            None => Err(self.arg_type_error(a, n, "string")),
        }
    }

    pub(crate) fn opt_str(&mut self, a: Args, n: usize) -> LResult<Option<Gc<LuaStr>>> {
        if self.arg(a, n).is_nil() {
            Ok(None)
        } else {
            self.check_str(a, n).map(Some)
        }
    }

    /// `luaL_checkoption`.
    pub(crate) fn check_option(
        &mut self,
        a: Args,
        n: usize,
        default: Option<&str>,
        options: &[&str],
    ) -> LResult<usize> {
        let name: Vec<u8> = match (self.arg(a, n), default) {
            (Value::Nil, Some(d)) => d.as_bytes().to_vec(),
            _ => self.check_str(a, n)?.as_bytes().to_vec(),
        };
        match options.iter().position(|o| o.as_bytes() == name.as_slice()) {
            Some(i) => Ok(i),
            None => {
                let msg = format!("invalid option '{}'", String::from_utf8_lossy(&name));
                Err(self.arg_error(n, &msg))
            }
        }
    }

    /// Pushes a string result.
    pub fn push_str(&mut self, s: &[u8]) {
        let v = self.new_str(s);
        self.push(v);
    }
}

/// Lua 5.2's number-to-integer conversion for library arguments (a C cast).
#[inline]
pub fn num_to_int(x: f64) -> i64 {
    if x.is_nan() {
        i64::MIN
    } else {
        x as i64
    }
}

/// The C library's text for an I/O error (`strerror`), without Rust's " (os error N)".
pub fn os_error_text(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}
