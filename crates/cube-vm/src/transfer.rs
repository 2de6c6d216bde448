//! Moving the function given to `process.spawn` into the new process (DESIGN.md
//! decision 4): cube-lua's `portable` takes the function out of the spawner's state
//! (prototypes shared, upvalue cells and the functions in them kept with their sharing,
//! `_ENV` and natives found again in the new state) and this module copies every other
//! upvalue value, and the arguments, as message terms.

use cube_lua::host::{Cx, Val};
use cube_lua::portable::{ExportError, PortableFn};
use cube_term::{Bridge, Term};

/// A spawned function and its arguments, independent of any heap.
pub(crate) struct Packet {
    function: PortableFn<Term>,
    args: Vec<Term>,
    /// Estimated bytes once materialised (`limits::term_size` of every copied value).
    size: usize,
}

impl Packet {
    /// Estimated bytes the packet's values take once materialised.
    pub(crate) fn size(&self) -> usize {
        self.size
    }
}

/// Why a function cannot be packed.
pub(crate) enum PackError {
    /// A value that cannot be sent (the message says which and where).
    Unsendable(String),
    /// The copied values exceed the budget given to `pack`.
    TooBig,
}

/// Adds the size of `t` to `total`, failing once it passes `budget`. Each upvalue and
/// argument is a separate copy (a string shared by several of them is copied each
/// time), so the running total is what bounds the packet's memory: checked after each
/// copy, the packet never holds more than `budget` plus one copy, and one copy is
/// linear in the spawner's heap (`limits.rs`).
fn add_size(total: &mut usize, t: &Term, budget: Option<usize>) -> Result<(), PackError> {
    *total = total.saturating_add(crate::limits::term_size(t));
    if budget.is_some_and(|b| *total > b) {
        return Err(PackError::TooBig);
    }
    Ok(())
}

/// Copies `f` (a Lua function) and `args` out of `cx`'s state; with a `budget`, fails
/// with `TooBig` as soon as the copies pass it, before the packet is materialised
/// anywhere.
pub(crate) fn pack<'n>(
    cx: &Cx<'n>,
    f: Val<'n>,
    args: &[Val<'n>],
    bridge: &dyn Bridge,
    budget: Option<usize>,
) -> Result<Packet, PackError> {
    let Val::Function(f) = f else {
        return Err(PackError::Unsendable("function expected".into()));
    };
    let mut size: usize = 0;
    let function = cx
        .export_function(f, &mut |cx, _name, v| {
            let t = cube_term::to_term_with(cx, v, bridge)
                .map_err(|e| PackError::Unsendable(e.to_string()))?;
            add_size(&mut size, &t, budget)?;
            Ok(t)
        })
        .map_err(|e| match e {
            ExportError::NotLua => PackError::Unsendable("function expected".into()),
            ExportError::Native { upvalue } => PackError::Unsendable(format!(
                "cannot send a native function (upvalue '{upvalue}')"
            )),
            ExportError::Value {
                upvalue,
                error: PackError::Unsendable(m),
            } => PackError::Unsendable(format!("{m} (upvalue '{upvalue}')")),
            ExportError::Value { error, .. } => error,
        })?;
    let mut targs = Vec::with_capacity(args.len());
    for (i, a) in args.iter().enumerate() {
        match cube_term::to_term_with(cx, *a, bridge) {
            Ok(t) => {
                add_size(&mut size, &t, budget)?;
                targs.push(t)
            }
            Err(e) => return Err(PackError::Unsendable(format!("{e} (argument {})", i + 2))),
        }
    }
    Ok(Packet {
        function,
        args: targs,
        size,
    })
}

/// Materialises a packet in the new process's state: pushes the function and its
/// arguments (so they are rooted) and returns how many arguments there are.
pub(crate) fn unpack_onto_stack(cx: &mut Cx<'_>, p: &Packet, bridge: &dyn Bridge) -> usize {
    let f = cx.import_function(&p.function, &mut |cx, t| {
        cube_term::from_term_with(cx, t, bridge)
    });
    cx.push(f);
    for t in &p.args {
        let v = cube_term::from_term_with(cx, t, bridge);
        cx.push(v);
    }
    p.args.len()
}
