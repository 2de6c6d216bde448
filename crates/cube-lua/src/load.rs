//! Loading chunks: source text to a callable closure of a state.

use crate::gc::Gc;
use crate::proto::Proto;
use crate::state::State;
use crate::value::{LClosure, UpState, UpVal, Value};
use crate::SyntaxError;
use std::sync::Arc;

/// Upper bound of the memory the front end (lexer, AST, compiler state and the
/// prototypes it builds) needs per byte of source, for the `load` native to reserve heap
/// before it compiles untrusted source. Memory is linear in the source size: there is no
/// per-token recursion and no quadratic structure.
///
/// Measured as peak RSS growth of a debug `cube-cli run` (glibc malloc: allocator slack
/// included, and the Lua-side copies of the source, about 2 bytes per byte) compiling
/// sources of a million repeats; the worst cases found, in bytes per source byte:
/// `return f{}{}...` 87, `return f""""...` 86, `return f+1+1...` 86, `return f.b.b...`
/// 82, `{1,1,...}` 75, `return f==1==1...` 70, `a=a a=a ...` 61, `f() f() ...` 47,
/// `return f()()...` 49. Each is dominated by one or two expression nodes (56 bytes,
/// 64 with malloc's rounding) per token pair. The bound keeps a margin over the worst.
/// `tests::front_end_memory_stays_below_the_documented_bound` checks it by counting the
/// bytes allocated (without malloc's slack: at most 67 per source byte on those inputs).
// Read by the `load` native: it reserves this much heap before compiling.
pub(crate) const COMPILE_BYTES_PER_SOURCE_BYTE: usize = 96;

/// Compiles Lua source to a shareable prototype.
///
/// Runs on the caller's stack, whatever the source: parsing, compiling and dropping the
/// tree never recurse once per token. Operator chains of one priority level and suffix
/// chains (`f()()`, `a.b.c`, `t[1][2]`, `o:m():m()`) are loops in the parser and the
/// compiler, and the tree drops them with an explicit stack; every other recursion (nested
/// expressions, statements, functions, right-associative `..` and `^`) counts PUC's 200
/// "C levels" and stops with PUC's "too many C levels (limit is 200)" error.
pub fn compile(source: &[u8], chunk_name: &str) -> Result<Arc<Proto>, SyntaxError> {
    let chunk = crate::parser::parse(source, chunk_name)?;
    let proto = crate::compiler::compile(&chunk, chunk_name)?;
    Ok(Arc::new(proto))
}

impl State {
    /// Makes a closure of a main-chunk prototype: when it has exactly one upvalue (as
    /// every text chunk has: `_ENV`), that upvalue is `env`, as `lua_load` does.
    pub(crate) fn closure_of(&mut self, proto: Arc<Proto>, env: Value) -> Value {
        let p = self.instantiate(proto);
        let nups = p.proto.upvalues.len();
        let mut ups: Vec<Gc<UpVal>> = Vec::with_capacity(nups);
        for i in 0..nups {
            let v = if i == 0 && nups == 1 { env } else { Value::Nil };
            ups.push(self.heap.new_upval(UpVal {
                state: UpState::Closed(v),
            }));
        }
        Value::LFn(self.heap.new_lclosure(LClosure {
            p,
            upvals: ups.into_boxed_slice(),
        }))
    }

    /// Compiles `source` and returns the main function, with the globals as `_ENV`.
    pub(crate) fn load_chunk(
        &mut self,
        source: &[u8],
        chunk_name: &str,
    ) -> Result<Value, SyntaxError> {
        let proto = compile(source, chunk_name)?;
        let env = Value::Table(self.globals);
        Ok(self.closure_of(proto, env))
    }
}

#[cfg(test)]
mod tests {
    use super::compile;

    /// Runs `f` on a thread with the default 2 MB stack of spawned threads: the front end
    /// must not need more, whatever the source.
    fn on_small_stack(f: impl FnOnce() + Send + 'static) {
        std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(f)
            .expect("thread")
            .join()
            .expect("no panic, no overflow");
    }

    fn chain(prefix: &str, item: &str, n: usize) -> Vec<u8> {
        let mut s = prefix.as_bytes().to_vec();
        for _ in 0..n {
            s.extend_from_slice(item.as_bytes());
        }
        s
    }

    /// Left-associative operator chains and suffix chains of a million links compile (as
    /// with lua5.2), on a 2 MB stack.
    #[test]
    fn long_chains_compile_without_deep_recursion() {
        on_small_stack(|| {
            for item in [
                "()", "+1", " and 1", "<1", "==1", ".b", "[1]", ":m()", "*1", "-1",
            ] {
                let src = chain("return f", item, 1_000_000);
                if let Err(e) = compile(&src, "=t") {
                    panic!("{item:?}: {e}");
                }
            }
        });
    }

    /// `x or 1 or 1 ...` grows one jump list per operator: appending is constant time, so
    /// a million operators finish (with PUC's jump-range error) instead of taking hours.
    #[test]
    fn or_chains_are_linear() {
        on_small_stack(|| {
            let src = chain("return f", " or 1", 1_000_000);
            let e = compile(&src, "=t").unwrap_err();
            assert!(e.message.contains("control structure too long"), "{e}");
            assert!(compile(&chain("return f", " or 1", 10_000), "=t").is_ok());
        });
    }

    /// PUC's bound on labels and pending gotos, which also bounds the quadratic cost of
    /// matching them (lua5.2 prints the same message, without a position).
    #[test]
    fn too_many_gotos_errors_as_lua52() {
        let src = chain("", "goto a ", 40_000);
        let e = compile(&src, "=t").unwrap_err();
        assert_eq!(e.message, "too many labels/gotos (limit is 32767)");
        let mut src = chain("", "goto a ", 30_000);
        src.extend_from_slice(b"::a::");
        assert!(compile(&src, "=t").is_ok());
    }

    /// Right-associative chains and nesting stop at PUC's C-levels limit with its message
    /// (checked against lua5.2's `load`).
    #[test]
    fn deep_nesting_errors_as_lua52() {
        on_small_stack(|| {
            let limit = "t:1: too many C levels (limit is 200) in main function near";
            let cases: Vec<(Vec<u8>, String)> = vec![
                (
                    chain("return f", " .. 1", 5_000_000),
                    format!("{limit} '1'"),
                ),
                (chain("return f", "^1", 5_000_000), format!("{limit} '1'")),
                (chain("return ", "(", 1000), format!("{limit} '('")),
                (chain("return ", "not ", 1000), format!("{limit} 'not'")),
                (chain("return ", "{", 1000), format!("{limit} '{{'")),
                (chain("return ", "f(", 1000), format!("{limit} 'f'")),
                (chain("", "do ", 1000), format!("{limit} 'do'")),
                (chain("return ", "#", 1000), format!("{limit} '#'")),
            ];
            for (src, want) in cases {
                match compile(&src, "=t") {
                    Ok(_) => panic!("{want}: compiled"),
                    Err(e) => assert_eq!(e.message, want),
                }
            }
        });
    }

    /// Counts the bytes allocated by the current thread, so a test can measure the front
    /// end's peak memory while other tests run on other threads.
    mod counting {
        use std::alloc::{GlobalAlloc, Layout, System};
        use std::cell::Cell;

        pub struct Counting;

        thread_local! {
            static LIVE: Cell<isize> = const { Cell::new(0) };
            static PEAK: Cell<isize> = const { Cell::new(0) };
        }

        fn add(n: isize) {
            let _ = LIVE.try_with(|l| {
                let v = l.get() + n;
                l.set(v);
                let _ = PEAK.try_with(|p| p.set(p.get().max(v)));
            });
        }

        // SAFETY: forwards to the system allocator; the counters are plain thread-locals
        // without destructors.
        unsafe impl GlobalAlloc for Counting {
            unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
                add(layout.size() as isize);
                System.alloc(layout)
            }
            unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
                add(-(layout.size() as isize));
                System.dealloc(ptr, layout)
            }
            unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new: usize) -> *mut u8 {
                // while moving, both blocks exist
                add(new as isize);
                let p = System.realloc(ptr, layout, new);
                add(-(layout.size() as isize));
                p
            }
        }

        #[global_allocator]
        static A: Counting = Counting;

        /// Peak bytes allocated by this thread while `f` runs, above what was live before.
        pub fn peak_during(f: impl FnOnce()) -> usize {
            let base = LIVE.with(|l| l.get());
            PEAK.with(|p| p.set(base));
            f();
            (PEAK.with(|p| p.get()) - base).max(0) as usize
        }
    }

    /// The front end's memory is linear in the source, below the documented bound, on the
    /// worst inputs found (allocated bytes, without malloc's slack, which the bound's
    /// RSS measurements include).
    #[test]
    fn front_end_memory_stays_below_the_documented_bound() {
        let sources: Vec<Vec<u8>> = vec![
            chain("return f", "{}", 200_000),
            chain("return f", "\"\"", 200_000),
            chain("return f", "+1", 200_000),
            chain("return f", ".b", 200_000),
            chain("return f", "==1", 200_000),
            chain("return f", "()", 200_000),
            chain("return f", ":m()", 200_000),
            chain("return f", " or 1", 20_000),
            chain("local a = 1 ", "a=a ", 200_000),
            chain("", "f() ", 200_000),
            chain("return {", "1,", 200_000),
            chain("return {", "[1]=1,", 200_000),
            chain("", "local a ", 200_000),
            chain("", "for i=1,2 do end ", 100_000),
            chain("", "while x do end ", 100_000),
        ];
        for src in sources {
            let peak = counting::peak_during(|| {
                let _ = compile(&src, "=t");
            });
            let per_byte = peak as f64 / src.len() as f64;
            eprintln!("{:?}: {per_byte:.1}", String::from_utf8_lossy(&src[..20]));
            assert!(
                per_byte <= super::COMPILE_BYTES_PER_SOURCE_BYTE as f64,
                "{:?}...: {per_byte:.1} bytes per source byte",
                String::from_utf8_lossy(&src[..20])
            );
        }
    }
}
