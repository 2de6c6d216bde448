//! The parser: tokens to the [`crate::ast`] tree (being written).
