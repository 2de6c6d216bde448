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
