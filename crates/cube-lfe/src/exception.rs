//! Exceptions: Erlang's three classes (`error`, `exit`, `throw`) with a reason term.

use crate::term::Term;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    Error,
    Exit,
    Throw,
}

impl Class {
    pub fn name(self) -> &'static str {
        match self {
            Class::Error => "error",
            Class::Exit => "exit",
            Class::Throw => "throw",
        }
    }
}

/// A raised exception. `stack` is the stack trace term `try` and `catch` see; this
/// evaluator keeps no trace, so it is always `()`.
#[derive(Clone)]
pub struct Exception {
    pub class: Class,
    pub reason: Term,
    pub stack: Term,
}

impl Exception {
    pub fn new(class: Class, reason: Term) -> Exception {
        Exception {
            class,
            reason,
            stack: Term::Nil,
        }
    }

    /// An `error`-class exception.
    pub fn error(reason: Term) -> Exception {
        Exception::new(Class::Error, reason)
    }

    /// `error` with reason `#(tag value)`.
    pub fn error_with(tag: &str, value: Term) -> Exception {
        Exception::error(Term::tuple(vec![Term::atom(tag), value]))
    }

    pub fn badarg() -> Exception {
        Exception::error(Term::atom("badarg"))
    }

    pub fn badarith() -> Exception {
        Exception::error(Term::atom("badarith"))
    }
}

/// Shorthand for BIF results.
pub type Result<T> = std::result::Result<T, Exception>;

impl std::fmt::Debug for Exception {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}",
            self.class.name(),
            crate::eprint::erlang(&self.reason, false)
        )
    }
}
