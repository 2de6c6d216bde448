//! `cube-cli`: the cube command line.
fn main() {}
