//! Tests of the engine's inner behaviour through its crate-private surface (raw values,
//! natives written against `State`): what the host interface cannot reach from outside.

mod budget;
