//! The compiler: [`crate::ast`] to [`crate::proto::Proto`] register bytecode (being written).
