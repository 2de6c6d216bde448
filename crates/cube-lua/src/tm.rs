//! Metamethod ("tag method") names, in PUC-Rio's order. The first six have a per-table
//! "known absent" cache bit (`Table::tm_absent`), since they are looked up on hot paths.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum TM {
    Index = 0,
    NewIndex,
    Gc,
    /// Looked up by name by the collector (`__mode`); listed for PUC's order.
    #[allow(dead_code)]
    Mode,
    Len,
    Eq,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
    Unm,
    Lt,
    Le,
    Concat,
    Call,
    Tostring,
    Pairs,
    Ipairs,
    Metatable,
    Name,
}

pub const TM_COUNT: usize = TM::Name as usize + 1;

/// Number of metamethods with a cache bit.
pub const TM_FAST: u8 = 6;

pub const TM_NAMES: [&str; TM_COUNT] = [
    "__index",
    "__newindex",
    "__gc",
    "__mode",
    "__len",
    "__eq",
    "__add",
    "__sub",
    "__mul",
    "__div",
    "__mod",
    "__pow",
    "__unm",
    "__lt",
    "__le",
    "__concat",
    "__call",
    "__tostring",
    "__pairs",
    "__ipairs",
    "__metatable",
    "__name",
];
