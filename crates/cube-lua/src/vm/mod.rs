//! The virtual machine: the interpreter loop (`exec`), the call/return/continuation
//! driver (`call`) and the metamethod slow paths (`ops`).

pub(crate) mod call;
pub(crate) mod exec;
pub(crate) mod hook;
pub(crate) mod ops;
