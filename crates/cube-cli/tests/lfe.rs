//! `cube-cli run prog.lfe` runs LFE through cube-lfe: output, arguments, and the exit
//! status and report of an uncaught error (the evaluator itself is tested in
//! crates/cube-lfe).

use std::process::Command;

fn run_lfe(name: &str, src: &str, args: &[&str]) -> (String, String, i32) {
    let dir = std::env::temp_dir().join(format!("cube-cli-lfe-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.lfe"));
    std::fs::write(&path, src).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_cube-cli"))
        .arg("run")
        .arg(&path)
        .args(args)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

#[test]
fn an_lfe_script_runs_with_its_arguments() {
    let src = "(defun fact ((0) 1) ((n) (* n (fact (- n 1)))))\n\
               (io:format \"~p ~p~n\" (list (fact 25) script-args))";
    let (out, err, status) = run_lfe("args", src, &["a", "b"]);
    assert_eq!(
        (out.as_str(), err.as_str(), status),
        ("15511210043330985984000000 [\"a\",\"b\"]\n", "", 0)
    );
}

#[test]
fn an_uncaught_lfe_error_exits_127_with_lfe_s_report() {
    let (out, err, status) = run_lfe(
        "err",
        "(io:format \"before~n\")\n(+ 1 'a)\n(io:format \"after~n\")",
        &[],
    );
    assert_eq!(
        (out.as_str(), err.as_str(), status),
        (
            "before\n",
            "exception error: error in arithmetic expression\n",
            127
        )
    );
}

/// Runs `tests/lfe/FOLDER/X.lfe` through `cube-cli run` as `scripts/regen-lfe-goldens`
/// runs it with the real LFE (from its own directory, arguments `one two`) and
/// compares stdout, the exit status and stderr up to the stack trace (whose `  in ...`
/// lines name the real LFE's interpreter).
fn goldens_match(folder: &str) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/lfe")
        .join(folder);
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "lfe"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty());
    let first = |s: &str| {
        s.lines()
            .take_while(|l| !l.starts_with("  in "))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let mut failures = Vec::new();
    for path in &paths {
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        let out = Command::new(env!("CARGO_BIN_EXE_cube-cli"))
            .current_dir(&dir)
            .args(["run", &name, "one", "two"])
            .output()
            .unwrap();
        let read =
            |ext: &str| std::fs::read_to_string(path.with_extension(ext)).unwrap_or_default();
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        let status = out.status.code().unwrap_or(-1);
        if stdout != read("stdout") {
            failures.push(format!(
                "{name}: stdout\n--- want\n{}--- got\n{stdout}",
                read("stdout")
            ));
        }
        if status.to_string() != read("status").trim() {
            failures.push(format!(
                "{name}: status {status}, want {}",
                read("status").trim()
            ));
        }
        if first(&stderr) != first(&read("stderr")) {
            failures.push(format!(
                "{name}: stderr {:?}, want {:?}",
                first(&stderr),
                first(&read("stderr"))
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// LFE programs with processes (ping-pong, a ring, selective receive, timeouts,
/// links and trap_exit, monitors, names), goldens from the real LFE.
#[test]
fn process_programs_match_lfe() {
    goldens_match("processes");
}

/// Every script golden of the evaluator, now run as the node's main process.
#[test]
fn script_programs_match_lfe_through_the_node() {
    goldens_match("programs");
}

/// Runs `cube-cli run [flags] MAIN` in a fresh directory holding `files`.
fn run_files(
    tag: &str,
    files: &[(&str, &str)],
    flags: &[&str],
    main: &str,
) -> (String, String, i32) {
    let dir = std::env::temp_dir().join(format!("cube-cli-lfe-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, src) in files {
        std::fs::write(dir.join(name), src).unwrap();
    }
    let started = std::time::Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_cube-cli"))
        .current_dir(&dir)
        .arg("run")
        .args(flags)
        .arg(main)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "{tag} took too long"
    );
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

const ECHO_LFE: &str = r#"
(defmodule echo (export (start 1)))

(defun start (lua)
  (! lua (tuple 'hello (self) "chars" #"bin" 7 -12345678901 2.5))
  (loop lua))

(defun loop (lua)
  (receive
    ((tuple 'ping n) (! lua (tuple 'pong (+ n 1))) (loop lua))
    ((tuple 'echo x) (! lua (tuple 'echoed x)) (loop lua))
    ((tuple 'call from) (! from (tuple 'reply (self))) (loop lua))
    ('stop (! lua 'bye))))
"#;

/// A Lua process starts an LFE process (`lfe.spawn`) and they talk both ways: pids
/// cross in both directions, values keep the types of DESIGN.md's table.
#[test]
fn lua_and_lfe_processes_exchange_messages() {
    let lua = r#"
local p = lfe.spawn("echo", "start", process.self())
local m = process.receive(5000)
assert(term.type(m) == "tuple")
assert(m[1] == term.atom("hello") and m[2] == p)
print(term.type(m[3]), #m[3], m[3][1], m[4], m[5], m[6], m[7])
for i = 1, 3 do
  process.send(p, term.tuple(term.atom("ping"), i))
  local r = process.receive(5000)
  print(tostring(r[1]), r[2])
end
process.send(p, term.tuple(term.atom("echo"), {a = 1, b = {1, 2, 3}, c = "s", d = true, e = 2.5}))
local r = process.receive(5000)
print(tostring(r[1]), r[2].a, term.type(r[2].b), r[2].c, r[2].d, r[2].e)
local q = process.spawn(function(p, parent)
  process.send(p, term.tuple(term.atom("call"), process.self()))
  local r = process.receive(5000)
  process.send(parent, r[2] == p)
end, p, process.self())
print(process.receive(5000))
local ref = process.monitor(p)
process.send(p, term.atom("stop"))
print(tostring(process.receive(5000)))
print(process.receive(5000).reason)
"#;
    let (out, err, status) = run_files(
        "interop",
        &[("echo.lfe", ECHO_LFE), ("main.lua", lua)],
        &[],
        "main.lua",
    );
    assert_eq!(err, "");
    assert_eq!(status, 0);
    let tuple_kind = out
        .lines()
        .next()
        .unwrap_or("")
        .split('\t')
        .next()
        .unwrap_or("")
        .to_string();
    assert_eq!(
        out,
        format!(
            "{tuple_kind}\t5\t99\tbin\t7\t-12345678901\t2.5\npong\t2\npong\t3\npong\t4\n\
             echoed\t1\t{tuple_kind}\ts\ttrue\t2.5\ntrue\nbye\nnormal\n"
        )
    );
}

/// An LFE process that never waits is preempted (one scheduler: the script still
/// runs), and processes still running or waiting for ever do not keep the node alive
/// once the script ends.
#[test]
fn a_spinning_lfe_process_is_preempted_and_waiters_do_not_block_exit() {
    let src = r#"
(defun spin (n) (spin (+ n 1)))
(spawn (lambda () (spin 0)))
(spawn (lambda () (receive (x x))))
(timer:sleep 20)
(io:format "~w~n" (list (lists:foldl #'+/2 0 (lists:seq 1 100000))))
"#;
    let (out, err, status) = run_files(
        "spin",
        &[("spin.lfe", src)],
        &["--schedulers", "1"],
        "spin.lfe",
    );
    assert_eq!(
        (out.as_str(), err.as_str(), status),
        ("5000050000\n", "", 0)
    );
}

/// Messages past the receiver's heap limit end the receiver cleanly ("heap limit
/// exceeded", seen by its monitor); the sender, which holds one message at a time,
/// goes on. (A single message that big could not be made under the same limit: the
/// sender's own terms count.)
#[test]
fn a_message_past_max_heap_ends_the_receiver_cleanly() {
    let src = r#"
(defun flood (p n) (if (> n 0) (progn (! p (lists:seq 1 100)) (flood p (- n 1))) 'ok))
(let* ((p (spawn (lambda () (receive ('never 'ok)))))
       (ref (monitor 'process p)))
  (flood p 1000)
  (receive ((tuple 'DOWN _ _ _ r) (io:format "~p~n" (list r)))))
(io:format "sender goes on~n")
"#;
    let (out, err, status) = run_files(
        "heap",
        &[("heap.lfe", src)],
        &["--max-heap", "1000000"],
        "heap.lfe",
    );
    assert_eq!(
        (out.as_str(), err.as_str(), status),
        ("<<\"heap limit exceeded\">>\nsender goes on\n", "", 0)
    );
}

/// The LFE examples run (examples/lfe/): an LFE server with Lua clients, a ring, a
/// supervised worker pool.
#[test]
fn lfe_examples_run() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_cube-cli"))
            .current_dir(&root)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert_eq!(
        run(&["run", "examples/lfe/kv_clients.lua", "5", "20"]),
        "5 clients read back 100 values; the LFE server holds 100 keys\n"
    );
    assert_eq!(
        run(&[
            "run",
            "--schedulers",
            "2",
            "examples/lfe/ring.lfe",
            "200",
            "5"
        ]),
        "ring of 200 LFE processes: 5 rounds, 1000 message hops\n"
    );
    // The supervised pool: every fourth job crashes its worker, which is replaced.
    assert_eq!(
        run(&["run", "examples/lfe/pool.lfe", "3", "12"]),
        "12 jobs on 3 workers: 9 answers (sum 5499), 3 errors [badarith], 3 restarts\n"
    );
}

/// LFE starts a Lua process (`lua:spawn`) and they talk both ways; a chunk that does
/// not compile is a `badarg` error in the LFE process.
#[test]
fn lfe_starts_lua_processes() {
    let src = r#"
(let* ((me (self))
       (p (lua:spawn #"local parent = ...
                     process.send(parent, term.tuple(term.atom('hello'), process.self()))
                     while true do
                       local m = process.receive()
                       if m == term.atom('stop') then break end
                       process.send(m[2], term.tuple(term.atom('pong'), m[3] * 2))
                     end" (list me))))
  (receive ((tuple 'hello q) (io:format "~w~n" (list (== p q)))))
  (lists:foreach (lambda (i) (! p (tuple 'ping me i))
                   (receive ((tuple 'pong n) (io:format "~w~n" (list n)))))
                 '(1 2 3))
  (let ((ref (monitor 'process p)))
    (! p 'stop)
    (receive ((tuple 'DOWN _ _ _ r) (io:format "~w~n" (list r))))))
(io:format "~p~n"
  (list (try (lua:spawn "this is not lua" ()) (catch ((tuple c (tuple r _) _) (tuple c r))))))
"#;
    let (out, err, status) = run_files("lua-from-lfe", &[("main.lfe", src)], &[], "main.lfe");
    assert_eq!(
        (out.as_str(), err.as_str(), status),
        ("true\n2\n4\n6\nnormal\n{error,badarg}\n", "", 0)
    );
}

/// A Lua supervisor restarts a crashed LFE worker (`lfe.spawn_link` links the worker
/// to the supervisor that starts it).
#[test]
fn a_lua_supervisor_restarts_lfe_workers() {
    let worker = r#"
(defmodule worker (export (start 1)))
(defun start (name)
  (register name (self))
  (loop 0))
(defun loop (n)
  (receive
    ((tuple 'count from) (! from (tuple 'count n)) (loop (+ n 1)))
    ('crash (exit 'crashed))))
"#;
    let main = r#"
local sup = supervisor.start{strategy = "one_for_one", intensity = 5, period = 10,
  children = {
    {id = "w1", start = function() return lfe.spawn_link("worker", "start", term.atom("w1")) end},
  }}
local function ask()
  while not process.whereis("w1") do process.sleep(1) end
  process.send("w1", term.tuple(term.atom("count"), process.self()))
  return process.receive(2000)[2]
end
print(ask(), ask())
local old = process.whereis("w1")
process.send("w1", term.atom("crash"))
while process.whereis("w1") == old or not process.whereis("w1") do process.sleep(1) end
print(ask(), process.whereis("w1") ~= old)
"#;
    let (out, err, status) = run_files(
        "sup",
        &[("worker.lfe", worker), ("main.lua", main)],
        &[],
        "main.lua",
    );
    assert_eq!(
        (out.as_str(), err.as_str(), status),
        ("0\t1\n0\ttrue\n", "", 0)
    );
}

/// Limits end an LFE script with the runtime's reason on stderr and `lfe`'s failure
/// status: an endless loop under `--max-reductions`, a message to itself past
/// `--max-heap`.
#[test]
fn limits_end_an_lfe_script_with_a_clear_error() {
    let spin = "(defun spin (n) (spin (+ n 1)))\n(spin 0)\n";
    let (out, err, status) = run_files(
        "maxred",
        &[("spin.lfe", spin)],
        &["--max-reductions", "100000"],
        "spin.lfe",
    );
    assert_eq!(
        (out.as_str(), err.as_str(), status),
        ("", "cube-cli: reduction limit exceeded\n", 127)
    );
    let big = "(! (self) (lists:seq 1 300000))\n(receive (x (length x)))\n";
    let (out, err, status) = run_files(
        "maxheap",
        &[("big.lfe", big)],
        &["--max-heap", "1000000"],
        "big.lfe",
    );
    assert_eq!(
        (out.as_str(), err.as_str(), status),
        ("", "cube-cli: heap limit exceeded\n", 127)
    );
    // Terms the process builds itself count too (LFE's terms live on the Rust heap:
    // what its code allocates is charged to the limit), and the same program runs to
    // its end under a limit it fits in.
    let grow = "(defun grow (n acc) (if (== n 0) (length acc) (grow (- n 1) (cons n acc))))\n\
                (io:format \"~p~n\" (list (grow 1000000 ())))\n";
    let (out, err, status) = run_files(
        "grow",
        &[("grow.lfe", grow)],
        &["--max-heap", "10000000"],
        "grow.lfe",
    );
    assert_eq!(
        (out.as_str(), err.as_str(), status),
        ("", "cube-cli: heap limit exceeded\n", 127)
    );
    let (out, _, status) = run_files(
        "grow2",
        &[("grow.lfe", grow)],
        &["--max-heap", "400000000"],
        "grow.lfe",
    );
    assert_eq!((out.as_str(), status), ("1000000\n", 0));
}
