//! stub
use crate::state::State;
pub fn open(_st: &mut State) {}
