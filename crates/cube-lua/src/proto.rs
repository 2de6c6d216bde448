//! Function prototypes: the compiler's output and the VM's input.
//!
//! A `Proto` is immutable once built and independent of any heap: its constants are plain
//! Rust values, not GC references. That lets one compiled chunk be shared (`Arc`) by every
//! process that runs it (DESIGN.md decision 3); each heap materialises the constants it
//! needs as its own values when it first makes a closure of the prototype.

use crate::opcode::Instruction;
use std::sync::Arc;

/// A constant of a prototype.
#[derive(Debug, Clone, PartialEq)]
pub enum Constant {
    Nil,
    Bool(bool),
    Number(f64),
    Str(Arc<[u8]>),
}

/// How a closure finds one of its upvalues when it is created (by CLOSURE).
#[derive(Debug, Clone, PartialEq)]
pub struct UpvalDesc {
    /// Upvalue name, for debug information and error messages.
    pub name: String,
    /// `true`: the upvalue is register `index` of the enclosing function (a local);
    /// `false`: it is upvalue `index` of the enclosing function.
    pub in_stack: bool,
    pub index: u8,
}

/// A local variable's name and the pc range where it is active, for debug information
/// and for naming variables in error messages.
#[derive(Debug, Clone, PartialEq)]
pub struct LocVar {
    pub name: String,
    /// First pc where the variable is active.
    pub start_pc: u32,
    /// First pc where the variable is dead.
    pub end_pc: u32,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Proto {
    pub code: Vec<Instruction>,
    pub constants: Vec<Constant>,
    pub protos: Vec<Arc<Proto>>,
    pub upvalues: Vec<UpvalDesc>,
    /// Source line of each instruction (same length as `code`).
    pub line_info: Vec<u32>,
    pub loc_vars: Vec<LocVar>,
    /// Chunk name as given to `load` (`"=stdin"`, `"@file.lua"`, or the source itself).
    pub source: Arc<str>,
    /// Line of the `function` keyword (0 for a main chunk).
    pub line_defined: u32,
    /// Line of the closing `end` (0 for a main chunk).
    pub last_line_defined: u32,
    pub num_params: u8,
    pub is_vararg: bool,
    /// Registers needed by this function.
    pub max_stack_size: u8,
}

impl Proto {
    /// Name of the `local_number`-th local variable active at `pc` (1-based), as
    /// `luaF_getlocalname` computes it.
    pub fn local_name(&self, mut local_number: u32, pc: u32) -> Option<&str> {
        for lv in &self.loc_vars {
            if lv.start_pc > pc {
                break;
            }
            if pc < lv.end_pc {
                local_number -= 1;
                if local_number == 0 {
                    return Some(&lv.name);
                }
            }
        }
        None
    }

    /// The line of the instruction at `pc`, or 0 if unknown.
    pub fn line_at(&self, pc: usize) -> u32 {
        self.line_info.get(pc).copied().unwrap_or(0)
    }
}
