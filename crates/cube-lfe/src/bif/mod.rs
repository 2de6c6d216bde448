//! The native BIFs, one file per module: `erlang` (arithmetic in `arith.rs`, the
//! rest in `erlang.rs`), `lists`, `maps`, `io` / `io_lib` / `lfe_io` (`io.rs`), and
//! `math` with a few `string` and `proplists` functions (`math.rs`), the rest of
//! `string` (`string.rs`), `binary` (`binary.rs`).
//! Library functions that take funs are LFE code in `prelude.lfe`; more of
//! `lists`, `proplists`, `maps` and `timer` is LFE code in `library.lfe`.

pub mod arith;
pub mod binary;
pub mod erlang;
pub mod io;
pub mod lists;
pub mod maps;
pub mod math;
pub mod string;

use crate::exception::{Exception, Result};
use crate::runtime::Runtime;
use crate::term::Term;

pub fn register(rt: &mut Runtime) {
    arith::register(rt);
    erlang::register(rt);
    lists::register(rt);
    maps::register(rt);
    math::register(rt);
    io::register(rt);
    string::register(rt);
    binary::register(rt);
}

/// The elements of a proper list argument, or `badarg`.
pub fn list_arg(t: &Term) -> Result<Vec<Term>> {
    t.list_to_vec().ok_or_else(Exception::badarg)
}

/// A non-negative integer argument that fits in `usize`, or `badarg`.
pub fn index_arg(t: &Term) -> Result<usize> {
    match t {
        Term::Int(i) if *i >= 0 => usize::try_from(*i).map_err(|_| Exception::badarg()),
        _ => Err(Exception::badarg()),
    }
}
