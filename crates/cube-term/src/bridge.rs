//! The hook through which the process runtime maps its own userdata to terms.
//!
//! Pids and references are userdata in a Lua process (that is the process runtime's
//! business, not this crate's), yet they must travel inside messages as [`Term::Pid`]
//! and [`Term::Ref`]. The runtime implements [`Bridge`] and passes it to
//! [`crate::to_term_with`] / [`crate::from_term_with`]; this crate never needs to know
//! what the userdata looks like. [`NoBridge`] is the bridge of a bare state: no userdata
//! is sendable, and pids and references arrive as their printed form.

use crate::atom::Atom;
use crate::term::{Pid, Reference, TableKind, Term};
use cube_lua::host::{Cx, TableRef, Val};

/// Maps runtime-owned userdata to terms and back. See the module documentation.
pub trait Bridge {
    /// The term for a userdata value (full or light), or `None` if it cannot be sent.
    /// (The process runtime represents pids as light userdata.)
    fn userdata_to_term<'n>(&self, cx: &Cx<'n>, v: Val<'n>) -> Option<Term>;

    /// The Lua value for a received pid.
    fn pid_to_value<'n>(&self, cx: &mut Cx<'n>, pid: Pid) -> Val<'n>;

    /// The Lua value for a received reference.
    fn reference_to_value<'n>(&self, cx: &mut Cx<'n>, r: Reference) -> Val<'n>;

    /// The Lua value for a received atom other than `nil`, `true` and `false`. Without
    /// a runtime that has atom values: a string of its name.
    fn atom_to_value<'n>(&self, cx: &mut Cx<'n>, a: Atom) -> Val<'n> {
        cx.new_str(a.name().as_bytes())
    }

    /// Whether a table being sent is marked as a tuple or a list. Unmarked by default.
    fn table_kind<'n>(&self, _cx: &Cx<'n>, _t: TableRef<'n>) -> Option<TableKind> {
        None
    }

    /// Marks a received table as a tuple or a list. Nothing by default (it arrives
    /// as a plain sequence).
    fn mark_table<'n>(&self, _cx: &mut Cx<'n>, _t: TableRef<'n>, _kind: TableKind) {}
}

/// The bridge of a state with no process runtime. See the module documentation.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoBridge;

impl Bridge for NoBridge {
    fn userdata_to_term<'n>(&self, _cx: &Cx<'n>, _v: Val<'n>) -> Option<Term> {
        None
    }

    fn pid_to_value<'n>(&self, cx: &mut Cx<'n>, pid: Pid) -> Val<'n> {
        cx.new_string(pid.to_string().into_bytes())
    }

    fn reference_to_value<'n>(&self, cx: &mut Cx<'n>, r: Reference) -> Val<'n> {
        cx.new_string(r.to_string().into_bytes())
    }
}
