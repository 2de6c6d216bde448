//! The command line as a user meets it: `run` with arguments and exit statuses, `eval`,
//! the REPL (fed through a pipe: rustyline falls back to plain line reading), `--help`
//! and `--version`.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn cube(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cube-cli"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cube-cli starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn script(name: &str, src: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("cube-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, src).unwrap();
    p
}

#[test]
fn run_passes_arguments_like_lua() {
    let p = script(
        "args.lua",
        "print(#arg, arg[0] ~= nil, arg[1], arg[2], select('#', ...), ...)",
    );
    let out = cube(&["run", p.to_str().unwrap(), "a", "-b"], "");
    assert!(out.status.success());
    assert_eq!(text(&out.stdout), "2\ttrue\ta\t-b\t2\ta\t-b\n");
}

#[test]
fn uncaught_error_exits_1_with_message_and_traceback() {
    let p = script(
        "boom.lua",
        "local function f()\n  error('boom')\nend\nf()\n",
    );
    let path = p.to_str().unwrap();
    let out = cube(&["run", path], "");
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.starts_with(&format!("cube-cli: {path}:2: boom\nstack traceback:\n")),
        "{err}"
    );
    assert!(err.contains("in function 'f'"), "{err}");
    assert!(err.trim_end().ends_with("[C]: in ?"), "{err}");
}

#[test]
fn syntax_error_names_file_and_line() {
    let p = script("bad.lua", "x = = 1\n");
    let path = p.to_str().unwrap();
    let out = cube(&["run", path], "");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!("cube-cli: {path}:1: unexpected symbol near '='\n")
    );
}

#[test]
fn missing_script_is_a_clear_error() {
    let out = cube(&["run", "/nonexistent/x.lua"], "");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "cube-cli: cannot open /nonexistent/x.lua: No such file or directory\n"
    );
}

#[test]
fn os_exit_sets_the_status() {
    let out = cube(&["eval", "io.write('x') os.exit(7)"], "");
    assert_eq!(out.status.code(), Some(7));
    assert_eq!(text(&out.stdout), "x");
}

#[test]
fn eval_runs_code_like_lua_e() {
    let out = cube(&["eval", "print(1 + 2, _VERSION)"], "");
    assert!(out.status.success());
    assert_eq!(text(&out.stdout), "3\tLua 5.2\n");
    let out = cube(&["eval", "error('x')"], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).starts_with("cube-cli: (command line):1: x\n"));
}

#[test]
fn run_reads_standard_input_for_dash() {
    let out = cube(&["run", "-"], "print('from stdin')");
    assert_eq!(text(&out.stdout), "from stdin\n");
}

#[test]
fn repl_prints_values_and_continues_statements() {
    let input = "1+1\n= 2*3\nx = {1,2,\n3}\nprint(#x)\nfunction f()\nreturn 7\nend\nf()\nerror('boom')\nprint('after')\n";
    let out = cube(&["repl"], input);
    assert!(out.status.success());
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    // Piped input gets no banner.
    assert_eq!(&lines[0..5], &["2", "6", "3", "7", "after"], "{stdout}");
    assert!(text(&out.stderr).contains("stdin:1: boom"));
}

#[test]
fn the_shell_is_a_process_with_the_erlang_shells_helpers() {
    let input = "me = process.self()\n\
                 process.send(me, {a = 1}); process.send(me, 'hi')\n\
                 flush()\n\
                 flush()\n\
                 w = process.spawn(function() process.register('worker', process.self()) process.receive() end)\n\
                 process.sleep(100)\n\
                 regs()\n\
                 = type(zmq), type(process.i)\n";
    let out = cube(&["repl"], input);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        &lines[0..2],
        &["Shell got {a = 1}", "Shell got hi"],
        "{stdout}"
    );
    assert!(lines[2].starts_with("Name"), "{stdout}");
    assert!(lines[3].starts_with("worker "), "{stdout}");
    assert_eq!(lines[4], "table\tfunction", "{stdout}");
    // i() lists the processes (the shell's own among them), help() the helpers; piped
    // input is not written to the history.
    let home = std::env::temp_dir().join(format!("cube-cli-helpers-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_cube-cli"))
        .arg("repl")
        .env("HOME", &home)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin.take().unwrap().write_all(b"i()\nhelp()\n")?;
            c.wait_with_output()
        })
        .unwrap();
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("Pid "), "{stdout}");
    assert!(
        stdout.contains("<0.1.0>") && stdout.contains("running"),
        "{stdout}"
    );
    assert!(
        stdout.contains("flush()") && stdout.contains("regs()"),
        "{stdout}"
    );
    assert!(
        !home.join(".cube_history").exists(),
        "piped input went to the history"
    );
    let _ = std::fs::remove_dir_all(&home);
    // process.exit at the prompt ends the shell with that reason.
    let out = cube(&["repl"], "process.exit('bye')\nprint('never')\n");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stderr), "cube-cli: bye\n");
    assert!(!text(&out.stdout).contains("never"));
    // A program that replaces the globals the shell uses does not break it.
    let out = cube(
        &["repl"],
        "print = nil; load = nil; xpcall = nil\n= 1 + 1\n",
    );
    assert!(out.status.success());
}
#[test]
fn eval_passes_its_arguments_as_varargs() {
    let out = cube(
        &["eval", "print(select('#', ...), ...)", "a", "-b", "c d"],
        "",
    );
    assert!(out.status.success());
    assert_eq!(text(&out.stdout), "3\ta\t-b\tc d\n");
}

#[test]
fn dash_i_opens_the_prompt_on_the_state_the_options_made() {
    let p = script("setx.lua", "y = (x or 0) + select('#', ...)\n");
    let out = cube(
        &["-i", "-e", "x = 40", p.to_str().unwrap(), "a", "b"],
        "print(x + y)\n= arg[1]\n",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[0],
        "Lua 5.2.4  Copyright (C) 1994-2015 Lua.org, PUC-Rio"
    );
    assert_eq!(&lines[1..3], &["82", "a"], "{stdout}");
    // A failing step ends the command before the prompt, as lua -i does.
    let out = cube(&["-i", "-e", "error('early')"], "print('never')\n");
    assert_eq!(out.status.code(), Some(1));
    assert!(!text(&out.stdout).contains("never"));
    assert!(text(&out.stderr).starts_with("cube-cli: (command line):1: early\n"));
}

#[test]
fn a_script_runs_without_a_subcommand() {
    let p = script("plain.lua", "print('plain', ...)");
    let out = cube(&[p.to_str().unwrap(), "x"], "");
    assert!(out.status.success());
    assert_eq!(text(&out.stdout), "plain\tx\n");
}

#[test]
fn completions_and_man_page_come_from_the_command_definitions() {
    for (shell, marker) in [
        ("bash", "complete -F _cube__cli"),
        ("zsh", "#compdef cube-cli"),
        ("fish", "complete -c cube-cli"),
    ] {
        let out = cube(&["completions", shell], "");
        assert!(out.status.success(), "{shell}");
        let script = text(&out.stdout);
        assert!(script.contains(marker), "{shell}: {script}");
        assert!(
            script.contains("supervise"),
            "{shell} completes subcommands"
        );
    }
    let out = cube(&["man"], "");
    assert!(out.status.success());
    let page = text(&out.stdout);
    assert!(
        page.starts_with(".ie") || page.contains(".TH cube-cli"),
        "{page}"
    );
    assert!(page.contains("supervise"));
    // The lua command's own usage is in the page and in --help.
    assert!(page.contains("LUA_INIT"), "{page}");
    let help = text(&cube(&["--help"], "").stdout);
    assert!(
        help.contains("cube-cli [options] [script [args]]"),
        "{help}"
    );
    // Each command has its page, which the main page refers to by name.
    assert!(page.contains("cube\\-cli\\-ctl(1)"), "{page}");
    let out = cube(&["man", "ctl"], "");
    assert!(out.status.success());
    let ctl = text(&out.stdout);
    assert!(ctl.contains(".TH cube-cli-ctl"), "{ctl}");
    let train = text(&cube(&["man", "tsunami", "train"], "").stdout);
    assert!(train.contains(".TH cube-cli-tsunami-train"), "{train}");
    assert_eq!(cube(&["man", "nosuch"], "").status.code(), Some(2));
    let out = cube(&["completions", "nosuchshell"], "");
    assert_eq!(out.status.code(), Some(2));
    // A reader that stops early (`| head -1`) is no error, for either.
    for args in ["completions bash", "man"] {
        let out = Command::new("bash")
            .arg("-c")
            .arg(format!(
                "\"$0\" {args} | head -c 1 >/dev/null; exit ${{PIPESTATUS[0]}}"
            ))
            .arg(env!("CARGO_BIN_EXE_cube-cli"))
            .output()
            .expect("bash runs");
        assert!(
            out.status.success(),
            "{args}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn help_and_version() {
    let out = cube(&["--version"], "");
    assert!(text(&out.stdout).starts_with("cube-cli "));
    for cmd in ["run", "eval", "repl"] {
        let out = cube(&[cmd, "--help"], "");
        assert!(out.status.success(), "{cmd}");
        assert!(text(&out.stdout).contains("Usage: cube-cli"), "{cmd}");
    }
}

#[test]
fn examples_run() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_cube-cli"))
            .current_dir(&root)
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        text(&out.stdout)
    };
    assert_eq!(
        run(&["run", "examples/ring.lua", "100", "10"]),
        "ring of 100 processes: 10 rounds, 1000 message hops\n"
    );
    assert_eq!(
        run(&[
            "run",
            "--schedulers",
            "1",
            "examples/pubsub.lua",
            "20",
            "30"
        ]),
        "20 subscribers each received 30 messages (600 deliveries)\n"
    );
    assert!(run(&["run", "examples/hello.lua"]).starts_with("counter:\t3\n"));
}

#[test]
fn stats_are_printed_at_exit() {
    let out = cube(
        &["run", "--stats", "--schedulers", "1", "-"],
        "local me = process.self() for i = 1, 3 do process.spawn(function() process.send(me, i) end) end for i = 1, 3 do process.receive() end",
    );
    assert!(out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.starts_with("cube-cli stats: processes spawned 4, messages sent 3, reductions "),
        "{err}"
    );
    assert!(err.trim_end().ends_with("peak processes 4"), "{err}");
}

#[test]
fn limits_and_sandbox_flags() {
    let out = cube(
        &["run", "--max-reductions", "100000", "-"],
        "while true do end",
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stderr), "cube-cli: reduction limit exceeded\n");
    let out = cube(
        &["run", "--max-heap", "2000000", "-"],
        "local ok = pcall(function() local t = {} for i = 1, 1e8 do t[i] = i end end) print('caught?', ok)",
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "a heap limit cannot be caught by pcall"
    );
    assert_eq!(text(&out.stderr), "cube-cli: heap limit exceeded\n");
    let out = cube(
        &["run", "--sandbox", "-"],
        "print(io, os.execute, os.exit, require, dofile, load(string.dump(print and function() end)))",
    );
    assert_eq!(
        text(&out.stdout),
        "nil\tnil\tnil\tnil\tnil\tnil\tattempt to load a binary chunk (mode is 't')\n"
    );
}

#[test]
fn sandbox_example() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = Command::new(env!("CARGO_BIN_EXE_cube-cli"))
        .current_dir(&root)
        .args(["run", "examples/sandbox.lua"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        text(&out.stdout),
        "broken  syntax error: broken:1: unexpected symbol near <eof>\n\
         escape  error: escape:1: attempt to index global 'os' (a nil value)\n\
         hog     killed: heap limit exceeded\n\
         loop    killed: reduction limit exceeded\n\
         ok      returned 5050\n"
    );
}

#[test]
fn process_i_lists_every_process() {
    let f = script(
        "observer.lua",
        r#"
        process.register("main", process.self())
        local w = process.spawn(function() process.receive(function(m) return m == "go" end) end)
        process.send(w, "a"); process.send(w, "b")
        process.sleep(20)
        process.i()
        process.send(w, "go")
        "#,
    );
    let out = cube(&["run", f.to_str().unwrap()], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines: Vec<String> = text(&out.stdout).lines().map(|l| l.to_string()).collect();
    assert_eq!(lines.len(), 4, "{lines:?}");
    let cols =
        |i: usize| -> Vec<String> { lines[i].split_whitespace().map(|s| s.to_string()).collect() };
    assert_eq!(
        cols(0),
        [
            "Pid",
            "Name",
            "Status",
            "Msgs",
            "Heap",
            "Reductions",
            "Links",
            "Monitors"
        ]
    );
    let main = cols(1);
    assert_eq!(&main[..3], ["<0.1.0>", "main", "running"], "{main:?}");
    // The worker skipped both messages in its selective receive: they still count.
    let worker = cols(2);
    assert_eq!(&worker[..3], ["<0.2.0>", "waiting", "2"], "{worker:?}");
    assert!(worker[3].parse::<usize>().unwrap() > 0, "heap {worker:?}");
    assert_eq!(&cols(3)[..3], ["2", "processes", "2"]);
}

#[test]
fn torch_is_in_every_process_and_the_sandbox_keeps_it_without_files() {
    let out = cube(
        &[
            "eval",
            "process.spawn(function() print(torch.ones(2, 3):sum()) end); process.sleep(50)",
        ],
        "",
    );
    assert_eq!(text(&out.stdout), "6\n", "{}", text(&out.stderr));
    let example =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/torch/basics.lua");
    let out = cube(&["run", example.to_str().unwrap()], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("[torch.DoubleTensor of size 2x3]"));
    let sandboxed = script(
        "torch_sandbox.lua",
        "print(torch.zeros(2):nElement(), torch.save, torch.load)",
    );
    let out = cube(&["run", "--sandbox", sandboxed.to_str().unwrap()], "");
    assert_eq!(text(&out.stdout), "2\tnil\tnil\n", "{}", text(&out.stderr));
}

#[test]
fn lines_printed_by_concurrent_processes_never_interleave() {
    // Each print writes its whole line at once: processes on other schedulers
    // printing at the same moment cannot cut into it.
    let out = cube(
        &[
            "eval",
            "local me = process.self() for p = 1, 8 do process.spawn(function() for i = 1, 300 do print(p, 'x', i) end process.send(me, p) end) end for p = 1, 8 do process.receive() end",
        ],
        "",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 8 * 300, "{stdout}");
    for line in lines {
        let fields: Vec<&str> = line.split('\t').collect();
        assert_eq!(fields.len(), 3, "cut line: {line:?}");
        assert_eq!(fields[1], "x", "cut line: {line:?}");
    }
}

#[test]
fn nn_and_optim_load_in_every_process() {
    // The node's processes share a frozen image, which cannot hold Lua functions:
    // nn and optim (Lua sources) load in each process on first use.
    let example =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/torch/xor.lua");
    let out = cube(&["run", example.to_str().unwrap()], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    for line in [
        "0 xor 0 -> class 1",
        "0 xor 1 -> class 2",
        "1 xor 0 -> class 2",
        "1 xor 1 -> class 1",
    ] {
        assert!(stdout.contains(line), "{stdout}");
    }
    let out = cube(
        &[
            "eval",
            "for i = 1, 2 do process.spawn(function() print(nn.Linear(3, 2):forward(torch.ones(3)):nElement(), type(optim.adam)) end) end process.sleep(100)",
        ],
        "",
    );
    assert_eq!(
        text(&out.stdout),
        "2\tfunction\n2\tfunction\n",
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn tsunami_is_in_every_process() {
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/tsunami/cartpole.lua");
    let out = cube(&["run", example.to_str().unwrap()], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("leaning policy: mean return 500.0"),
        "{stdout}"
    );
    let out = cube(
        &[
            "eval",
            "process.spawn(function() local e = tsunami.make('Acrobot-v1') print(#e:reset(1)) end) process.sleep(50)",
        ],
        "",
    );
    assert_eq!(text(&out.stdout), "6\n", "{}", text(&out.stderr));
}
