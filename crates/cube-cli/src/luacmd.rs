//! The `lua` command's own command line: `cube-cli [options] [script [args]]` with the
//! options of `lua5.2` (`-e STAT`, `-l NAME`, `-i`, `-v`, `-E`, `--`, `-`), `LUA_INIT_5_2`
//! / `LUA_INIT`, the `arg` table with the options at negative indices, and lua.c's
//! messages and exit statuses.
//!
//! The steps (the init string or file, each `-e` and `-l` in order, then the script) run
//! in one Lua state, as in lua.c: a small Lua driver ([`DRIVER`]) takes them as a table
//! and runs them inside the node's first process, so that code given with `-e` is
//! preempted, charged and limited like any other. A step that does not load (a syntax
//! error, a missing file) ends the command with lua.c's message and no traceback.

use cube_lua::host::{Cx, Val};
use cube_lua::State;

/// The name lua.c prints before its messages (`lua5.2: ...`).
const PROGNAME: &str = "cube-cli";

/// What lua.c prints for `-v` (and before the prompt of `-i`).
pub const VERSION_LINE: &str = "Lua 5.2.4  Copyright (C) 1994-2015 Lua.org, PUC-Rio";

/// One thing to run before the script, in command-line order.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// Source text and its chunk name (`-e`: `=(command line)`; `LUA_INIT`: `=LUA_INIT`).
    Chunk { code: String, name: String },
    /// A file to run (`LUA_INIT=@FILE`).
    File(String),
    /// `-l NAME`: `NAME = require("NAME")`.
    Library(String),
    /// Standard input as a chunk (no script, no `-e`, input not a terminal).
    Stdin,
}

/// The script and its arguments.
#[derive(Clone, Debug, PartialEq)]
pub enum Script {
    /// A file path, or `-` for standard input.
    Path(String),
    /// No script: run the steps only (and the prompt with `-i`, or without anything
    /// else when standard input is a terminal).
    None,
}

/// A parsed command line.
#[derive(Clone, Debug, PartialEq)]
pub struct Invocation {
    pub steps: Vec<Step>,
    pub script: Script,
    /// `arg[0]` onwards: the script's name then its arguments (empty without a script).
    pub script_args: Vec<String>,
    /// The words before the script (interpreter name first), for `arg[-n]..arg[-1]`.
    pub before_script: Vec<String>,
    pub interactive: bool,
    pub version: bool,
    /// Some `-e` was given (lua.c's `has_e`: then no prompt and no standard input).
    pub has_e: bool,
    pub ignore_env: bool,
}

/// lua.c's usage text (after the "unrecognized option" line).
fn usage() -> String {
    format!(
        "usage: {PROGNAME} [options] [script [args]]\n\
         Available options are:\n  \
         -e stat  execute string 'stat'\n  \
         -i       enter interactive mode after executing 'script'\n  \
         -l name  require library 'name'\n  \
         -v       show version information\n  \
         -E       ignore environment variables\n  \
         --       stop handling options\n  \
         -        stop handling options and execute stdin\n"
    )
}

/// Parses `args` (without the program name) as lua.c's `collectargs` does. The error is
/// the complete text for stderr (message and usage).
pub fn parse(args: &[String]) -> Result<Invocation, String> {
    let mut steps = Vec::new();
    let (mut interactive, mut version, mut ignore_env, mut has_e) = (false, false, false, false);
    let mut i = 0;
    let mut script_at = None;
    while i < args.len() {
        let a = &args[i];
        if !a.starts_with('-') {
            script_at = Some(i);
            break;
        }
        match a.as_str() {
            "--" => {
                if i + 1 < args.len() {
                    script_at = Some(i + 1);
                }
                break;
            }
            "-" => {
                script_at = Some(i);
                break;
            }
            "-E" => ignore_env = true,
            "-i" => {
                interactive = true;
                version = true;
            }
            "-v" => version = true,
            _ if a.starts_with("-e") || a.starts_with("-l") => {
                let value = if a.len() > 2 {
                    a[2..].to_string()
                } else {
                    i += 1;
                    match args.get(i) {
                        Some(v) => v.clone(),
                        None => {
                            return Err(format!("{PROGNAME}: '{a}' needs argument\n{}", usage()))
                        }
                    }
                };
                has_e |= a.starts_with("-e");
                steps.push(if a.starts_with("-e") {
                    Step::Chunk {
                        code: value,
                        name: "=(command line)".into(),
                    }
                } else {
                    Step::Library(value)
                });
            }
            _ => {
                return Err(format!(
                    "{PROGNAME}: unrecognized option '{a}'\n{}",
                    usage()
                ))
            }
        }
        i += 1;
    }
    let (script, script_args, before_script) = match script_at {
        Some(at) => (
            Script::Path(args[at].clone()),
            args[at..].to_vec(),
            std::iter::once(PROGNAME.to_string())
                .chain(args[..at].iter().cloned())
                .collect(),
        ),
        None => (Script::None, Vec::new(), Vec::new()),
    };
    Ok(Invocation {
        steps,
        script,
        script_args,
        before_script,
        interactive,
        version,
        has_e,
        ignore_env,
    })
}

/// The step `LUA_INIT_5_2` (else `LUA_INIT`) asks for, unless `-E` was given.
pub fn init_step(ignore_env: bool) -> Option<Step> {
    if ignore_env {
        return None;
    }
    let (name, value) = ["LUA_INIT_5_2", "LUA_INIT"]
        .iter()
        .find_map(|n| std::env::var(n).ok().map(|v| (*n, v)))?;
    Some(match value.strip_prefix('@') {
        Some(file) => Step::File(file.to_string()),
        None => Step::Chunk {
            code: value,
            name: format!("={name}"),
        },
    })
}

/// Runs the steps, then the script with its arguments. A step or script that does not
/// load raises an error object whose `__tostring` is the load message: lua.c's message
/// handler prints such a value as it is, without a traceback, as lua.c reports a load
/// error. The library functions are taken before any step runs, so an init script that
/// replaces `load` or `require` does not change how the next steps are run.
pub const DRIVER: &str = r#"
local steps, has_script, script, argt = ...
local load, loadfile, require, setmetatable, rawset, select, pcall, error, G =
  load, loadfile, require, setmetatable, rawset, select, pcall, error, _G
local function fail(msg)
  error(setmetatable({}, { __tostring = function() return msg end }), 0)
end
local function loaded(f, msg)
  if not f then fail(msg) end
  return f
end
for i = 1, #steps do
  local kind, a, b = steps[i][1], steps[i][2], steps[i][3]
  if kind == "chunk" then
    loaded(load(a, b))()
  elseif kind == "file" then
    loaded(loadfile(a))()
  elseif kind == "stdin" then
    loaded(loadfile())()
  else
    -- Called from a native, as lua.c calls it, so that its error has no position.
    local ok, mod = pcall(require, a)
    if not ok then error(mod, 0) end
    rawset(G, a, mod)
  end
end
if has_script then
  rawset(G, "arg", argt)
  local f = loaded(loadfile(script))
  -- Not a tail call (a traceback would show "(...tail calls...)" where lua5.2 has
  -- none), and through a value with no name, so the script's frame reads "main chunk"
  -- as under lua.c. This chunk's own frames are cut from tracebacks
  -- (`script::report_exit`).
  local function chunk() return f end
  chunk()(select(5, ...))
end
"#;

/// Pushes the driver and its arguments for `inv` onto `st`: what the node's first
/// process, or the shell, calls. Returns the number of its arguments (the driver not
/// counted), as `Node::spawn_main` wants. As in
/// lua.c 5.2, `arg` is set just before the script loads (code given with `-e` sees no
/// `arg`), and the script's arguments are the command line's words, whatever the steps
/// did to `arg`.
pub fn push_driver(st: &mut State, inv: &Invocation, init: Option<Step>) -> Result<usize, String> {
    st.push_chunk(DRIVER.as_bytes(), "=(driver)")
        .map_err(|e| e.message)?;
    if st.cx(|cx| cx.check_stack(inv.script_args.len() + 8).is_err()) {
        return Err("too many arguments to script".into());
    }
    let steps: Vec<Step> = init.into_iter().chain(inv.steps.iter().cloned()).collect();
    st.cx(|cx: &mut Cx<'_>| {
        let list = cx.new_table_with(steps.len(), 0);
        for (i, s) in steps.iter().enumerate() {
            let entry = cx.new_table_with(3, 0);
            let (kind, a, b) = match s {
                Step::Chunk { code, name } => ("chunk", code.as_str(), Some(name.as_str())),
                Step::File(f) => ("file", f.as_str(), None),
                Step::Library(n) => ("lib", n.as_str(), None),
                Step::Stdin => ("stdin", "", None),
            };
            let kind = cx.new_str(kind.as_bytes());
            cx.raw_set_int(entry, 1, kind);
            let a = cx.new_str(a.as_bytes());
            cx.raw_set_int(entry, 2, a);
            if let Some(b) = b {
                let b = cx.new_str(b.as_bytes());
                cx.raw_set_int(entry, 3, b);
            }
            cx.raw_set_int(list, i as i64 + 1, Val::Table(entry));
        }
        cx.push(Val::Table(list));
        match &inv.script {
            Script::Path(p) => {
                cx.push(Val::Bool(true));
                // `-` is standard input, unless it follows `--` (then it is a file).
                if p == "-" && inv.before_script.last().map(String::as_str) != Some("--") {
                    cx.push(Val::Nil);
                } else {
                    cx.push_str(p.as_bytes());
                }
                // arg[-n..-1] = interpreter and options, arg[0] = script, arg[1..] = args.
                let argt = cx.new_table();
                let nbefore = inv.before_script.len() as i64;
                for (i, w) in inv.before_script.iter().enumerate() {
                    let v = cx.new_str(w.as_bytes());
                    cx.raw_set_int(argt, i as i64 - nbefore, v);
                }
                for (i, w) in inv.script_args.iter().enumerate() {
                    let v = cx.new_str(w.as_bytes());
                    cx.raw_set_int(argt, i as i64, v);
                }
                cx.push(Val::Table(argt));
                for w in &inv.script_args[1..] {
                    cx.push_str(w.as_bytes());
                }
            }
            Script::None => cx.push(Val::Bool(false)),
        }
    });
    Ok(match inv.script {
        Script::Path(_) => 3 + inv.script_args.len(),
        Script::None => 2,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn options_before_the_script_stay_in_order() {
        let inv = parse(&words("-e x=1 -lfoo -v s.lua a -e")).unwrap();
        assert_eq!(
            inv.steps,
            vec![
                Step::Chunk {
                    code: "x=1".into(),
                    name: "=(command line)".into()
                },
                Step::Library("foo".into()),
            ]
        );
        assert_eq!(inv.script, Script::Path("s.lua".into()));
        assert_eq!(inv.script_args, words("s.lua a -e"));
        assert_eq!(inv.before_script, words("cube-cli -e x=1 -lfoo -v"));
        assert!(inv.version && !inv.interactive);
    }

    #[test]
    fn dashes_end_the_options() {
        let inv = parse(&words("-- -v")).unwrap();
        assert_eq!(inv.script, Script::Path("-v".into()));
        let inv = parse(&words("- a")).unwrap();
        assert_eq!(inv.script, Script::Path("-".into()));
        assert_eq!(inv.script_args, words("- a"));
        let inv = parse(&words("--")).unwrap();
        assert_eq!(inv.script, Script::None);
    }

    #[test]
    fn bad_options_are_lua_c_errors() {
        let e = parse(&words("-ix")).unwrap_err();
        assert!(e.starts_with("cube-cli: unrecognized option '-ix'\nusage: cube-cli"));
        let e = parse(&words("-l")).unwrap_err();
        assert!(e.starts_with("cube-cli: '-l' needs argument\n"));
        assert!(parse(&words("-i")).unwrap().version);
    }
}
