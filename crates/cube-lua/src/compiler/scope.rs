//! Scopes of one function: local variables, blocks, labels and gotos (the scope half of
//! PUC-Rio's `lparser.c`).
//!
//! Locals live in registers in declaration order, so "local number i" and "register i"
//! are the same thing. Blocks remember how many locals were active when they were
//! entered, whether one of their locals was captured (so jumps out of them must close
//! upvalues), and where their labels and pending gotos start. Gotos are resolved as in
//! Lua 5.2: a goto is closed by a visible label of the same name in its block or any
//! enclosing block of the same function; a pending goto moves outwards when its block
//! ends; `break` is a goto to the implicit label "break" that each loop defines at its
//! end.

use super::code::{Block, FuncState, JumpList, LabelDesc};
use super::CompileError;
use crate::proto::{LocVar, UpvalDesc};

/// Most locals a function may have active at once (PUC's `MAXVARS`).
pub(super) const MAX_VARS: usize = 200;
/// Most upvalues of a function (PUC's `MAXUPVAL`).
pub(super) const MAX_UPVALS: usize = 255;

type CResult<T> = Result<T, CompileError>;

impl FuncState {
    /// PUC's `errorlimit`: `too many WHAT (limit is N) in main function|function at line L`.
    pub fn error_limit(&self, limit: usize, what: &str) -> CompileError {
        let line = self.f.line_defined;
        let place = if line == 0 {
            "main function".to_string()
        } else {
            format!("function at line {line}")
        };
        CompileError::new(
            format!("too many {what} (limit is {limit}) in {place}"),
            self.line,
        )
    }

    /// Declares a local (not yet active: see [`Self::adjust_local_vars`]).
    pub fn new_local_var(&mut self, name: &str) -> CResult<()> {
        self.f.loc_vars.push(LocVar {
            name: name.to_string(),
            start_pc: 0,
            end_pc: 0,
        });
        if self.actvar.len() + 1 > MAX_VARS {
            return Err(self.error_limit(MAX_VARS, "local variables"));
        }
        self.actvar.push(self.f.loc_vars.len() - 1);
        Ok(())
    }

    /// Debug record of the `i`-th active local.
    pub fn loc_var_mut(&mut self, i: u32) -> Option<&mut LocVar> {
        let idx = *self.actvar.get(i as usize)?;
        self.f.loc_vars.get_mut(idx)
    }

    fn loc_var_name(&self, i: u32) -> &str {
        self.actvar
            .get(i as usize)
            .and_then(|&idx| self.f.loc_vars.get(idx))
            .map_or("?", |v| v.name.as_str())
    }

    /// Activates the last `n` declared locals: their scope starts at the current pc.
    pub fn adjust_local_vars(&mut self, n: u32) {
        self.nactvar += n;
        let pc = self.pc() as u32;
        for i in self.nactvar - n..self.nactvar {
            if let Some(v) = self.loc_var_mut(i) {
                v.start_pc = pc;
            }
        }
    }

    /// Ends the scope of the locals above `to_level`.
    fn remove_vars(&mut self, to_level: u32) {
        let pc = self.pc() as u32;
        while self.nactvar > to_level {
            self.nactvar -= 1;
            let i = self.nactvar;
            if let Some(v) = self.loc_var_mut(i) {
                v.end_pc = pc;
            }
        }
        self.actvar.truncate(to_level as usize);
    }

    /// Finds an active local by name, innermost first.
    pub fn search_var(&self, name: &str) -> Option<u32> {
        (0..self.nactvar)
            .rev()
            .find(|&i| self.loc_var_name(i) == name)
    }

    pub fn search_upvalue(&self, name: &str) -> Option<u32> {
        self.f
            .upvalues
            .iter()
            .position(|u| u.name == name)
            .map(|i| i as u32)
    }

    pub fn new_upvalue(&mut self, name: &str, in_stack: bool, index: u32) -> CResult<u32> {
        if self.f.upvalues.len() + 1 > MAX_UPVALS {
            return Err(self.error_limit(MAX_UPVALS, "upvalues"));
        }
        self.f.upvalues.push(UpvalDesc {
            name: name.to_string(),
            in_stack,
            index: index as u8,
        });
        Ok(self.f.upvalues.len() as u32 - 1)
    }

    /// Notes that local `level` is captured: the block declaring it must close upvalues.
    pub fn mark_upval(&mut self, level: u32) {
        if let Some(bl) = self.blocks.iter_mut().rev().find(|b| b.nactvar <= level) {
            bl.upval = true;
        }
    }

    pub fn enter_block(&mut self, is_loop: bool) {
        self.blocks.push(Block {
            first_label: self.labels.len(),
            first_goto: self.gotos.len(),
            nactvar: self.nactvar,
            upval: false,
            is_loop,
        });
    }

    /// Leaves the innermost block: closes its upvalues, resolves `break`s, ends its
    /// locals and moves its pending gotos to the enclosing block (or reports them when
    /// this is the function's outermost block).
    pub fn leave_block(&mut self) -> CResult<()> {
        let Some(bl) = self.blocks.last().cloned() else {
            return Ok(());
        };
        let has_previous = self.blocks.len() > 1;
        if has_previous && bl.upval {
            // a 'jump to here' that closes the block's upvalues
            let j = self.jump()?;
            self.patch_close(Some(j), bl.nactvar);
            self.patch_to_here(Some(j))?;
        }
        if bl.is_loop {
            self.break_label()?;
        }
        self.blocks.pop();
        self.remove_vars(bl.nactvar);
        self.free_reg = self.nactvar;
        self.labels.truncate(bl.first_label);
        if has_previous {
            self.move_gotos_out(&bl)?;
        } else if let Some(g) = self.gotos.get(bl.first_goto) {
            return Err(self.undef_goto(g));
        }
        Ok(())
    }

    fn undef_goto(&self, g: &LabelDesc) -> CompileError {
        let msg = if g.name == "break" {
            format!("<break> at line {} not inside a loop", g.line)
        } else {
            format!(
                "no visible label '{}' for <goto> at line {}",
                g.name, g.line
            )
        };
        CompileError::new(msg, self.line)
    }

    /// Defines the "break" label at the end of a loop and resolves the breaks.
    fn break_label(&mut self) -> CResult<()> {
        let pc = self.pc();
        let l = self.new_label_entry("break", 0, Some(pc))?;
        self.find_gotos(l)
    }

    /// Adds a label (`is_goto == false`) or a pending goto and returns its index.
    fn new_label_entry(&mut self, name: &str, line: u32, pc: JumpList) -> CResult<usize> {
        if self.labels.len() >= MAX_LABELS_GOTOS {
            return Err(too_many_labels());
        }
        self.labels.push(LabelDesc {
            name: name.to_string(),
            pc,
            line,
            nactvar: self.nactvar,
        });
        Ok(self.labels.len() - 1)
    }

    /// Pending gotos of the current block that jump to label `l` are closed.
    fn find_gotos(&mut self, l: usize) -> CResult<()> {
        let first = self.blocks.last().map_or(0, |b| b.first_goto);
        let mut i = first;
        while i < self.gotos.len() {
            if self.gotos[i].name == self.labels[l].name {
                let label = self.labels[l].clone();
                self.close_goto(i, &label)?;
            } else {
                i += 1;
            }
        }
        Ok(())
    }

    /// Patches goto `g` to `label` and removes it from the pending list.
    fn close_goto(&mut self, g: usize, label: &LabelDesc) -> CResult<()> {
        let gt = self.gotos[g].clone();
        if gt.nactvar < label.nactvar {
            let msg = format!(
                "<goto {}> at line {} jumps into the scope of local '{}'",
                gt.name,
                gt.line,
                self.loc_var_name(gt.nactvar)
            );
            return Err(CompileError::new(msg, self.line));
        }
        if let Some(target) = label.pc {
            self.patch_list(gt.pc, target)?;
        }
        self.gotos.remove(g);
        Ok(())
    }

    /// Tries to close pending goto `g` with a label of the current block.
    fn find_label(&mut self, g: usize) -> CResult<bool> {
        let Some(bl) = self.blocks.last().cloned() else {
            return Ok(false);
        };
        let gt = self.gotos[g].clone();
        let found = self.labels[bl.first_label..]
            .iter()
            .find(|l| l.name == gt.name)
            .cloned();
        let Some(lb) = found else { return Ok(false) };
        if gt.nactvar > lb.nactvar && (bl.upval || self.labels.len() > bl.first_label) {
            self.patch_close(gt.pc, lb.nactvar);
        }
        self.close_goto(g, &lb)?;
        Ok(true)
    }

    /// Records a goto (or break) whose jump list is `pc` and closes it at once when the
    /// label is already visible.
    pub fn goto_stat(&mut self, name: &str, line: u32, pc: JumpList) -> CResult<()> {
        if self.gotos.len() >= MAX_LABELS_GOTOS {
            return Err(too_many_labels());
        }
        self.gotos.push(LabelDesc {
            name: name.to_string(),
            pc,
            line,
            nactvar: self.nactvar,
        });
        let g = self.gotos.len() - 1;
        self.find_label(g)?;
        Ok(())
    }

    /// After a block ends, its pending gotos belong to the enclosing block: they leave
    /// the block's locals (closing upvalues if needed) and may now see more labels.
    fn move_gotos_out(&mut self, bl: &Block) -> CResult<()> {
        let mut i = bl.first_goto;
        while i < self.gotos.len() {
            if self.gotos[i].nactvar > bl.nactvar {
                if bl.upval {
                    self.patch_close(self.gotos[i].pc, bl.nactvar);
                }
                self.gotos[i].nactvar = bl.nactvar;
            }
            if !self.find_label(i)? {
                i += 1;
            }
        }
        Ok(())
    }

    /// PUC's `checkrepeated`: a label name may appear once per block.
    pub fn check_repeated_label(&self, name: &str) -> CResult<()> {
        let first = self.blocks.last().map_or(0, |b| b.first_label);
        if let Some(l) = self.labels[first..].iter().find(|l| l.name == name) {
            return Err(CompileError::new(
                format!("label '{}' already defined on line {}", name, l.line),
                self.line,
            ));
        }
        Ok(())
    }

    /// Defines a user label at the current pc and returns its index.
    pub fn add_label(&mut self, name: &str, line: u32) -> CResult<usize> {
        let pc = self.pc();
        self.new_label_entry(name, line, Some(pc))
    }

    /// Completes a label: a label that ends its block sees the block's locals as out of
    /// scope (so a goto may jump to it past local declarations); then it closes the
    /// block's pending gotos with its name.
    pub fn finish_label(&mut self, l: usize, ends_block: bool) -> CResult<()> {
        if ends_block {
            if let Some(bl) = self.blocks.last() {
                self.labels[l].nactvar = bl.nactvar;
            }
        }
        self.find_gotos(l)
    }
}

/// PUC's bound on active labels and on pending gotos (`SHRT_MAX`, the size limit of its
/// label arrays). It also bounds the cost of resolving them: each label and goto is
/// matched against the others of its function by name, which is quadratic in their
/// number (as in PUC); without a bound, a 10 MB source of labels would take hours.
/// (PUC counts the entries of all the functions being parsed; cube counts per function.)
const MAX_LABELS_GOTOS: usize = 32767;

/// PUC's message for [`MAX_LABELS_GOTOS`]: a memory error, which has no position.
fn too_many_labels() -> CompileError {
    CompileError::without_position(format!(
        "too many labels/gotos (limit is {MAX_LABELS_GOTOS})"
    ))
}
