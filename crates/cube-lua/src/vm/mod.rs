//! The virtual machine: the interpreter loop (`exec`) and its out-of-line instructions
//! (`instr`), the call/return/continuation driver (`call`), the metamethod slow paths
//! (`ops`) and debug hooks (`hook`).

pub(crate) mod call;
pub(crate) mod exec;
pub(crate) mod hook;
pub(crate) mod instr;
pub(crate) mod ops;
