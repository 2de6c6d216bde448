//! Unit tests on hand-built ASTs (the golden tests against luac are in `golden.rs`).
//! Expected listings were produced by `luac5.2 -l` on the equivalent source.

use super::{compile, disassemble};
use crate::ast::*;

fn ex(kind: ExprKind) -> Expr {
    Expr { kind, line: 1 }
}
fn name(n: &str) -> Expr {
    ex(ExprKind::Name(n.into()))
}
fn num(n: f64) -> Expr {
    ex(ExprKind::Number(n))
}
fn nm(n: &str) -> Name {
    Name {
        name: n.into(),
        line: 1,
    }
}
fn bin(op: BinOp, a: Expr, b: Expr) -> Expr {
    ex(ExprKind::Binary(op, Box::new(a), Box::new(b)))
}
fn call(f: Expr, args: Vec<Expr>) -> Expr {
    ex(ExprKind::Call(Box::new(f), args))
}
fn chunk(stats: Vec<Stat>) -> Chunk {
    Chunk {
        body: Block {
            stats,
            ..Default::default()
        },
        end_line: 1,
    }
}
fn local(names: &[&str], exprs: Vec<Expr>) -> Stat {
    Stat::Local {
        names: names.iter().map(|n| nm(n)).collect(),
        exprs,
        line: 1,
    }
}

/// Instruction lines of a listing, without the `; comment` part's addresses.
fn code_lines(c: &Chunk) -> Vec<String> {
    let p = compile(c, "=t").expect("compiles");
    disassemble(&p)
        .lines()
        .filter(|l| l.starts_with('\t'))
        .map(|l| l.split('\t').skip(3).collect::<Vec<_>>().join("\t"))
        .collect()
}

#[test]
fn global_call() {
    // print(1 + x)
    let c = chunk(vec![Stat::Call(call(
        name("print"),
        vec![bin(BinOp::Add, num(1.0), name("x"))],
    ))]);
    assert_eq!(
        code_lines(&c),
        [
            "GETTABUP \t0 0 -1\t; _ENV \"print\"",
            "GETTABUP \t1 0 -2\t; _ENV \"x\"",
            "ADD      \t1 -3 1\t; 1 -",
            "CALL     \t0 2 1",
            "RETURN   \t0 1",
        ]
    );
}

#[test]
fn main_function_shape() {
    let p = compile(&chunk(vec![]), "@f.lua").unwrap();
    assert!(p.is_vararg);
    assert_eq!(p.upvalues.len(), 1);
    assert_eq!(p.upvalues[0].name, "_ENV");
    assert!(p.upvalues[0].in_stack);
    assert_eq!(p.upvalues[0].index, 0);
    assert_eq!(&*p.source, "@f.lua");
    assert_eq!(p.line_defined, 0);
    assert_eq!(p.max_stack_size, 2);
}

#[test]
fn and_or_value() {
    // local a, b; local c = a and b or 1
    let c = chunk(vec![
        local(&["a", "b"], vec![]),
        local(
            &["c"],
            vec![bin(
                BinOp::Or,
                bin(BinOp::And, name("a"), name("b")),
                num(1.0),
            )],
        ),
    ]);
    assert_eq!(
        code_lines(&c),
        [
            "LOADNIL  \t0 1",
            "TEST     \t0 0",
            "JMP      \t0 2\t; to 6",
            "TESTSET  \t2 1 1",
            "JMP      \t0 1\t; to 7",
            "LOADK    \t2 -1\t; 1",
            "RETURN   \t0 1",
        ]
    );
}

#[test]
fn folding_keeps_division_by_zero() {
    let c = chunk(vec![local(
        &["a", "b"],
        vec![
            bin(BinOp::Div, num(1.0), num(0.0)),
            bin(BinOp::Mul, num(2.0), num(3.0)),
        ],
    )]);
    assert_eq!(
        code_lines(&c),
        [
            "DIV      \t0 -2 -1\t; 1 0",
            "LOADK    \t1 -3\t; 6",
            "RETURN   \t0 1",
        ]
    );
}

#[test]
fn undefined_goto_and_break_errors() {
    let c = chunk(vec![Stat::Goto {
        label: nm("x"),
        line: 1,
    }]);
    let e = compile(&c, "=t").unwrap_err();
    assert_eq!(e.message, "t:1: no visible label 'x' for <goto> at line 1");
    let c = chunk(vec![Stat::Break { line: 1 }]);
    let e = compile(&c, "=t").unwrap_err();
    assert_eq!(e.message, "t:1: <break> at line 1 not inside a loop");
}

#[test]
fn too_many_locals() {
    let names: Vec<String> = (0..201).map(|i| format!("a{i}")).collect();
    let refs: Vec<&str> = names.iter().map(|s| s.as_str()).collect();
    let e = compile(&chunk(vec![local(&refs, vec![])]), "=t").unwrap_err();
    assert!(e
        .message
        .starts_with("t:1: too many local variables (limit is 200) in main function"));
}

#[test]
fn too_many_registers() {
    let args: Vec<Expr> = (0..300).map(|i| num(i as f64)).collect();
    let e = compile(&chunk(vec![Stat::Call(call(name("f"), args))]), "=t").unwrap_err();
    assert_eq!(e.message, "t:1: function or expression too complex");
}

#[test]
fn long_left_chains_do_not_recurse() {
    // x + x + x + ... (100000 terms) and a.b.b.b... nest 100000 deep in the AST
    let mut e = name("x");
    for _ in 0..100_000 {
        e = bin(BinOp::Add, e, name("x"));
    }
    let mut t = name("a");
    for _ in 0..100_000 {
        t = ex(ExprKind::Index(
            Box::new(t),
            Box::new(ex(ExprKind::Str(b"b".to_vec()))),
        ));
    }
    let c = chunk(vec![local(&["y", "z"], vec![e, t])]);
    assert!(compile(&c, "=t").is_ok());
    std::mem::forget(c); // dropping the AST itself recurses (ast.rs has no custom Drop)
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let mut e = name("x");
    for _ in 0..100_000 {
        e = ex(ExprKind::Paren(Box::new(e)));
    }
    let c = chunk(vec![local(&["y"], vec![e])]);
    let err = compile(&c, "=t").unwrap_err();
    assert!(err.message.contains("C levels"), "{}", err.message);
    std::mem::forget(c);
    let mut b = Block::default();
    for _ in 0..100_000 {
        b = Block {
            stats: vec![Stat::Do(b)],
            ..Default::default()
        };
    }
    let c = chunk(b.stats);
    let err = compile(&c, "=t").unwrap_err();
    assert!(err.message.contains("C levels"), "{}", err.message);
    std::mem::forget(c);
}

#[test]
fn nesting_just_below_the_limit_fits_the_stack() {
    // 197 nested function bodies, each `return function() ... end` in a test thread
    let mut e = name("x");
    for _ in 0..97 {
        let body = FuncBody {
            params: vec![],
            is_vararg: false,
            body: Block {
                stats: vec![Stat::Return {
                    exprs: vec![e],
                    line: 1,
                }],
                ..Default::default()
            },
            line: 1,
            end_line: 1,
        };
        e = ex(ExprKind::Function(Box::new(body)));
    }
    assert!(compile(&chunk(vec![local(&["f"], vec![e])]), "=t").is_ok());
    let mut e = name("x");
    for _ in 0..197 {
        e = ex(ExprKind::Paren(Box::new(e)));
    }
    assert!(compile(&chunk(vec![local(&["f"], vec![e])]), "=t").is_ok());
}

#[test]
fn vararg_outside_vararg_function() {
    let body = FuncBody {
        params: vec![],
        is_vararg: false,
        body: Block {
            stats: vec![Stat::Return {
                exprs: vec![ex(ExprKind::Vararg)],
                line: 1,
            }],
            ..Default::default()
        },
        line: 1,
        end_line: 1,
    };
    let c = chunk(vec![local(
        &["f"],
        vec![ex(ExprKind::Function(Box::new(body)))],
    )]);
    let e = compile(&c, "=t").unwrap_err();
    assert_eq!(
        e.message,
        "t:1: cannot use '...' outside a vararg function near '...'"
    );
}

#[test]
fn invalid_targets_are_errors() {
    let c = chunk(vec![Stat::Assign {
        targets: vec![call(name("f"), vec![])],
        exprs: vec![num(1.0)],
        line: 1,
    }]);
    assert!(compile(&c, "=t").is_err());
    let c = chunk(vec![Stat::Call(name("f"))]);
    assert!(compile(&c, "=t").is_err());
}
