//! LFE processes on a node, driven from Rust: the node's process limit, exit reasons
//! as terms, and an idle process's memory. (Programs with processes are golden tests
//! of `cube-cli run`: crates/cube-cli/tests/lfe.rs, tests/lfe/processes/.)

use cube_lfe::process::{LfeProcess, World};
use cube_vm::{ExitReason, Node};

fn run(node: &Node, src: &str) -> ExitReason {
    let world = World::new(Box::new(std::io::sink()), Vec::new());
    let main = LfeProcess::script(world, src.to_string(), "test.lfe", &[]);
    let pid = node.spawn_main_engine(Box::new(main)).expect("spawn");
    node.wait(pid)
}

/// Spawning in a loop stops at the node's process limit with `system_limit`, which
/// the program can catch; nothing panics or runs away.
#[test]
fn spawning_is_bounded_by_the_node_s_process_limit() {
    let node = Node::start(2, |_| {});
    node.set_max_processes(100);
    let src = r#"
(defun spawn-many (n)
  (spawn (lambda () (receive (x x))))
  (spawn-many (+ n 1)))
(defun count (n)
  (try (progn (spawn (lambda () (receive (x x)))) (count (+ n 1)))
    (catch ((tuple 'error 'system_limit _) n))))
(let ((n (count 0)))
  (if (and (> n 90) (< n 100)) 'ok (exit (tuple 'count n))))
(spawn-many 0)
"#;
    match run(&node, src) {
        ExitReason::Term(t) => {
            let text = cube_vm::engine::term_text(&t);
            assert!(text.starts_with("{system_limit,"), "{text}");
        }
        other => panic!("{other:?}"),
    }
}

/// `exit` reasons of LFE processes are terms: they reach links and monitors intact.
#[test]
fn exit_reasons_are_terms() {
    let node = Node::start(1, |_| {});
    let r = run(&node, "(exit #(done 42 \"why\"))");
    assert_eq!(
        r,
        ExitReason::Term(cube_term::Term::Tuple(
            vec![
                cube_term::Term::atom("done"),
                cube_term::Term::Int(42),
                cube_term::Term::List(
                    vec![
                        cube_term::Term::Int(119),
                        cube_term::Term::Int(104),
                        cube_term::Term::Int(121)
                    ]
                    .into()
                ),
            ]
            .into()
        ))
    );
}

/// Reloading a module as the BEAM does: a process looping on a local call stays in
/// the code it runs, one looping on `hot:loop` moves to the new code at its next
/// external call; loading a third version purges the first, and a process still in
/// it is killed (at its next call there).
#[test]
fn reloading_keeps_old_code_until_an_external_call_and_purges_the_third_oldest() {
    let dir = std::env::temp_dir().join(format!("cube-lfe-reload-{}", std::process::id()));
    for v in 1..=3 {
        let d = dir.join(format!("v{v}"));
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(
            d.join("hot.lfe"),
            format!(
                "(defmodule hot (export (local-loop 1) (ext-loop 1)))
(defun version () {v})
(defun local-loop (parent)
  (receive ('ask (! parent (tuple 'local (version))) (local-loop parent))))
(defun ext-loop (parent)
  (receive ('ask (! parent (tuple 'ext (version))) (hot:ext-loop parent))))
"
            ),
        )
        .unwrap();
    }
    let src = format!(
        r#"
(defun ask (pid)
  (! pid 'ask)
  (receive ((tuple _ v) v) ((tuple 'DOWN _ _ _ reason) (tuple 'down reason))))
(let* ((me (self))
       (local (spawn 'hot 'local-loop (list me)))
       (ext (spawn 'hot 'ext-loop (list me)))
       (before (list (ask local) (ask ext)))
       (_ (code:load_abs "{v2}"))
       ;; ext answers from the code it runs (1), then calls hot:ext-loop: 2 from then on.
       (after-2 (list (ask local) (ask ext) (ask local) (ask ext)))
       (_ (monitor 'process local))
       (_ (code:load_abs "{v3}"))
       ;; local is still in version 1, purged now: killed. ext is in 2, the old one.
       (after-3 (list (ask local) (ask ext) (ask ext))))
  (exit (tuple before after-2 after-3)))
"#,
        v2 = dir.join("v2").join("hot").display(),
        v3 = dir.join("v3").join("hot").display(),
    );
    let node = Node::start(2, |_| {});
    let world = World::new(Box::new(std::io::sink()), vec![dir.join("v1")]);
    let main = LfeProcess::script(world, src, "test.lfe", &[]);
    let pid = node.spawn_main_engine(Box::new(main)).expect("spawn");
    let r = node.wait(pid);
    let _ = std::fs::remove_dir_all(&dir);
    match r {
        ExitReason::Term(t) => assert_eq!(
            cube_vm::engine::term_text(&t),
            "{[1,1],[1,1,1,2],[{down,killed},2,3]}"
        ),
        other => panic!("{other:?}"),
    }
}
