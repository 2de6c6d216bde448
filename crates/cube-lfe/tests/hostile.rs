//! Hostile input for the evaluator: no input may overflow the Rust stack, hang past
//! a reduction budget, or panic; each gets a clean error (or works).

mod common;

use cube_lfe::machine::{Machine, Outcome};
use cube_lfe::runtime::Runtime;
use cube_lfe::{read_all, ScriptOptions};

/// Runs `src` as a script: (stdout, stderr, status).
fn script(src: &str, opts: &ScriptOptions) -> (String, String, i32) {
    common::run_captured(src, "hostile.lfe", &[], opts)
}

fn run(src: &str) -> (String, String, i32) {
    script(src, &ScriptOptions::default())
}

/// Runs `f` on a thread with a 1 MB stack (half a test thread's), so that recursion per level of nesting
/// would overflow and fail the test.
fn small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(1024 * 1024)
        .spawn(f)
        .expect("thread")
        .join()
        .expect("no panic or overflow")
}

#[test]
fn body_recursion_past_the_frame_limit_is_a_clean_error() {
    let src =
        "(defun sum ((0) 0) ((n) (+ n (sum (- n 1)))))\n(io:format \"~p~n\" (list (sum 1000000)))";
    let opts = ScriptOptions {
        max_frames: 10_000,
        ..ScriptOptions::default()
    };
    let (out, err, status) = small_stack(move || script(src, &opts));
    assert_eq!(out, "");
    assert_eq!(err, "exception error: a system limit has been reached\n");
    assert_eq!(status, 127);
}

#[test]
fn deep_body_recursion_runs_on_a_small_rust_stack() {
    let src =
        "(defun sum ((0) 0) ((n) (+ n (sum (- n 1)))))\n(io:format \"~p~n\" (list (sum 200000)))";
    let (out, _, status) = small_stack(move || run(src));
    assert_eq!((out.as_str(), status), ("20000100000\n", 0));
}

#[test]
fn an_infinite_loop_is_bounded_by_the_reduction_budget() {
    let src = "(defun spin (n) (spin (+ n 1)))\n(spin 0)";
    let opts = ScriptOptions {
        max_reductions: Some(100_000),
        ..ScriptOptions::default()
    };
    let (_, err, status) = script(src, &opts);
    assert_eq!(status, 127);
    assert!(err.contains("reduction_limit"), "{err}");
}

#[test]
fn resume_preempts_and_continues_where_it_stopped() {
    let mut rt = Runtime::new(Box::new(std::io::sink()));
    let forms =
        read_all("(defun count ((0 acc) acc) ((n acc) (count (- n 1) (+ acc 1))))").unwrap();
    let def = &forms[0];
    let cube_lfe::Sexpr::List(items) = def else {
        panic!()
    };
    let lambda = rt
        .compile_function(cube_lfe::atom::Atom::new("count"), &items[2..])
        .unwrap();
    rt.define(cube_lfe::atom::Atom::new("count"), lambda);
    let call = read_all("(count 10000 0)").unwrap();
    let expr = rt.compile(&call[0]).unwrap();
    let mut m = Machine::eval(expr);
    let mut slices = 0;
    let value = loop {
        match m.resume(&mut rt, 1000) {
            Outcome::Preempted => slices += 1,
            Outcome::Finished(v) => break v,
            Outcome::Error(_) | Outcome::Wait(_) => panic!("error"),
        }
    };
    // 10,001 calls of count plus 20,000 of the operators, 1,000 per slice.
    assert!(slices >= 30, "{slices} slices");
    assert_eq!(cube_lfe::eprint::erlang(&value, false), "10000");
}

#[test]
fn deeply_nested_source_is_a_clean_error() {
    let depth = 100_000;
    let src = format!("{}1{}", "(+ 1 ".repeat(depth), ")".repeat(depth));
    let (_, err, status) = small_stack(move || run(&src));
    assert_eq!(status, 127);
    assert_eq!(err, "exception error: bad deep_nesting form\n");
}

#[test]
fn moderately_nested_source_compiles_on_a_small_stack() {
    let depth = 300;
    let src = format!(
        "(io:format \"~p~n\" (list {}0{}))",
        "(+ 1 ".repeat(depth),
        ")".repeat(depth)
    );
    let (out, _, status) = small_stack(move || run(&src));
    assert_eq!((out.as_str(), status), ("300\n", 0));
}

#[test]
fn a_deeply_nested_quoted_literal_prints_and_drops_without_recursion() {
    let depth = 200_000;
    let src = format!(
        "(let ((x '{}a{})) (io:format \"~w~n\" (list (length x))) (lfe_io:format \"~w~n\" (list (length x))))",
        "(".repeat(depth),
        ")".repeat(depth)
    );
    let (out, err, status) = small_stack(move || run(&src));
    assert_eq!((out.as_str(), err.as_str(), status), ("1\n1\n", "", 0));
}

#[test]
fn deeply_nested_data_built_at_run_time_prints_and_compares() {
    let src = "(defun nest ((0 acc) acc) ((n acc) (nest (- n 1) (list acc))))\n\
               (let ((a (nest 100000 'x)) (b (nest 100000 'x)))\n\
                 (io:format \"~p~n\" (list (=:= a b)))\n\
                 (io:format \"~p~n\" (list (length (io_lib:format \"~w\" (list a))))))";
    let (out, err, status) = small_stack(move || run(src));
    assert_eq!(
        (out.as_str(), err.as_str(), status),
        ("true\n200001\n", "", 0)
    );
}

#[test]
fn huge_sizes_are_errors_not_allocations() {
    for (src, want) in [
        (
            "(lists:seq 1 100000000000)",
            "exception error: a system limit has been reached\n",
        ),
        (
            "(lists:duplicate 100000000000 0)",
            "exception error: a system limit has been reached\n",
        ),
        (
            "(bsl 1 100000000000)",
            "exception error: a system limit has been reached\n",
        ),
        (
            "(binary (1 (size 100000000000)))",
            "exception error: bad argument\n",
        ),
        (
            "(list_to_atom (lists:duplicate 300 97))",
            "exception error: a system limit has been reached\n",
        ),
    ] {
        let (_, err, status) = run(src);
        assert_eq!((err.as_str(), status), (want, 127), "{src}");
    }
}

#[test]
fn a_macro_that_expands_forever_is_an_error() {
    let (_, err, status) = run("(defmacro again () '(again))\n(again)");
    assert_eq!(status, 127);
    assert!(
        err.contains("macro_expansion_limit") || err.contains("deep_nesting"),
        "{err}"
    );
    let (_, err, status) = run("(defun spin () (spin))\n(defmacro stuck () (spin))\n(stuck)");
    assert_eq!(status, 127);
    assert!(err.contains("reduction_limit"), "{err}");
}

#[test]
fn junk_forms_never_panic() {
    // Every prefix of a program that uses most forms, and a few odd shapes.
    let program = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/lfe/programs/match.lfe"
    ))
    .unwrap();
    let odd = [
        "(let)",
        "(let ((x)) x)",
        "(case)",
        "(lambda)",
        "(lambda x)",
        "(match-lambda)",
        "(match-lambda (x))",
        "(try)",
        "(try 1 (foo))",
        "(funcall)",
        "(call 'm)",
        "(: m)",
        "(binary (x (size -1)))",
        "(map 1)",
        "(mset)",
        "(defun)",
        "(defun 1)",
        "(defmacro m)",
        "(flet ((f)) 1)",
        "(fletrec (1) 1)",
        "(cond 1)",
        "(cond ())",
        "(if)",
        "(quote)",
        "(backquote)",
        "(list* )",
        "(function f x)",
        "(1 . 2)",
        "((a) 1)",
        "(let (((cons) 1)) 1)",
        "(case 1 ((binary (x float (size 7))) x))",
        "(io:format \"~\")",
        "(io:format \"~p\")",
        "(io:format \"~.1000000f~n\" (list 1.5))",
        "(element 0 #(1))",
        "(apply 1 2)",
        "(apply 'lists 'seq 3)",
        "(funcall 'notfun)",
        "(lists:sort 'x)",
        "(maps:get 1 2)",
        "`(,@1)",
        "`#(,@'(1 2))",
        "(defmacro m (x) x)\n(m)",
        "(hd (tl '(1 . 2)))",
        "(defrecord r a)\n(make-r b 1)",
        "(defrecord r (a (b)))\n(make-r)",
        "(defrecord)",
        "(defrecord r a)\n(case 1 ((match-r b 1) 1))",
        "(defrecord r a)\n(set-r-a 1 2)",
    ];
    let mut inputs: Vec<String> = odd.iter().map(|s| s.to_string()).collect();
    for cut in (0..program.len()).step_by(97) {
        if program.is_char_boundary(cut) {
            inputs.push(program[..cut].to_string());
        }
    }
    let opts = ScriptOptions {
        max_reductions: Some(1_000_000),
        max_frames: 100_000,
        ..ScriptOptions::default()
    };
    for src in inputs {
        let (_, _, status) = script(&src, &opts);
        assert!(status == 0 || status == 127, "{src}: {status}");
    }
}

#[test]
fn long_flat_forms_compile_flat() {
    let n = 100_000;
    let items: String = (0..n).map(|i| format!("{i} ")).collect();
    let src = format!(
        "(io:format \"~p ~p ~p~n\" (list (length (list {items})) (length `({items} ,(+ 1 2))) (length (progn {items} '(a)))))"
    );
    let (out, err, status) = small_stack(move || run(&src));
    assert_eq!(
        (out.as_str(), err.as_str(), status),
        ("100000 100001 1\n", "", 0)
    );
}

#[test]
fn forms_whose_code_nests_per_operand_are_bounded() {
    let n = 100_000;
    let ones = "1 ".repeat(n);
    let clauses = "('false 1) ".repeat(n);
    for src in [
        format!("(+ {ones})"),
        format!("(cond {clauses})"),
        format!("(case 1 ((list {ones}) 1))"),
    ] {
        let (_, err, status) = small_stack(move || run(&src));
        assert_eq!(
            (err.as_str(), status),
            ("exception error: bad deep_nesting form\n", 127)
        );
    }
}

/// Every form the compiler recurses through, nested to the depth limit and past it,
/// on a 1 MB stack: compiled and run, or the deep-nesting error, never an overflow,
/// however much stack each level's form costs in this build.
#[test]
fn every_recursive_form_nested_to_the_limit_is_bounded() {
    let templates = [
        ("(let ((x ", ")) x)"),
        ("(let* ((x ", ")) x)"),
        ("(flet ((f () ", ")) (f))"),
        ("(funcall (lambda () ", "))"),
        ("(case ", " (x x))"),
        ("(if 'true ", " 1)"),
        ("(cond ('true ", "))"),
        ("(try ", " (catch ((tuple _ _ _) 1)))"),
        ("(progn ", ")"),
        ("(tuple ", ")"),
        ("(car (list ", "))"),
        ("(mref (map 1 ", ") 1)"),
        ("(backquote (", "))"),
        ("(lc ((<- x (list ", "))) x)"),
    ];
    let deep_nesting = "exception error: bad deep_nesting form\n";
    for depth in [250, 500, 2_000] {
        for (open, close) in templates {
            let src = format!(
                "(io:format \"~p~n\" (list {}0{}))",
                open.repeat(depth),
                close.repeat(depth)
            );
            let (out, err, status) = small_stack(move || run(&src));
            assert!(
                (status == 0 && !out.is_empty() && err.is_empty())
                    || (status == 127 && err == deep_nesting),
                "{open} x {depth}: status {status}, {err}"
            );
            // A backquoted form without commas is a literal: any depth is fine.
            if depth > 500 && !open.starts_with("(backquote") {
                assert_eq!(err, deep_nesting, "{open} x {depth}");
            }
        }
    }
}

/// 605,198 characters is what `erl` makes of `io_lib:format("~p", [lists:seq(1,100000)])`.
#[test]
fn pretty_printing_deep_and_wide_terms_is_bounded() {
    let src = "(defun nest ((0 acc) acc) ((n acc) (nest (- n 1) (tuple 'k acc (lists:seq 1 3)))))\n\
               (let ((s (io_lib:format \"~p\" (list (nest 20000 'x)))))\n\
                 (io:format \"~p~n\" (list (> (length s) 100000))))\n\
               (io:format \"~p~n\" (list (length (io_lib:format \"~p\" (list (lists:seq 1 100000))))))";
    let (out, err, status) = small_stack(move || run(src));
    assert_eq!(
        (out.as_str(), err.as_str(), status),
        ("true\n605198\n", "", 0)
    );
}
