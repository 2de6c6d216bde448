//! The `json` library through `cube-cli run`: in spawned processes, in an HTTP
//! handler's connection process, under `--sandbox`, and held to a process's limits.

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

#[test]
fn json_in_processes_and_http_handlers() {
    let script = r#"
      -- Its functions as upvalues travel with handlers and spawned functions (a library
      -- table, like `string`, cannot: it holds functions).
      local encode, decode = json.encode, json.decode
      -- A spawned process decodes, changes and encodes.
      local me = process.self()
      process.spawn(function()
        local v = json.decode('{"xs":[1,2,3],"empty":[],"none":null}')
        v.sum = v.xs[1] + v.xs[2] + v.xs[3]
        process.send(me, json.encode({sum = v.sum, empty = v.empty, none = v.none == json.null}))
      end)
      print(process.receive())
      -- An HTTP handler (in the connection's process) echoes JSON, with one more field.
      local srv = http.server{listen = "127.0.0.1:0", routes = {
        ["/echo"] = function(req)
          local ok, v = pcall(decode, req.body)
          if not ok then return {status = 400, body = encode({error = v})} end
          return {headers = {["Content-Type"] = "application/json"},
                  body = encode({got = v, n = #req.body})}
        end}}
      local url = "http://127.0.0.1:" .. srv:port() .. "/echo"
      local r = assert(http.request{method = "POST", url = url, body = '[{"a":"\\u00e9"},[]]', timeout = 10})
      print(r.status, r.headers["content-type"], r.body)
      r = assert(http.request{method = "POST", url = url, body = '[1,', timeout = 10})
      print(r.status, json.decode(r.body).error:match("json.decode: .*"))
      srv:stop()
    "#;
    let out = cube(&["run", "-"], script);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    // Object keys come in table order: compare the decoded line, not its bytes.
    let first = lines[0];
    assert!(
        first.starts_with('{') && first.contains(r#""sum":6"#),
        "{first}"
    );
    assert!(
        first.contains(r#""empty":[]"#) && first.contains(r#""none":true"#),
        "{first}"
    );
    let mut second = lines[1].split('\t');
    assert_eq!(second.next(), Some("200"));
    assert_eq!(second.next(), Some("application/json"));
    let body = second.next().unwrap();
    assert!(
        body.contains(r#""got":[{"a":"é"},[]]"#) && body.contains(r#""n":19"#),
        "{body}"
    );
    assert_eq!(
        lines[2],
        "400\tjson.decode: expected value at byte 4 (end of input)"
    );
}

#[test]
fn json_stays_in_the_sandbox() {
    let out = cube(
        &["run", "--sandbox", "-"],
        "print(json.encode(json.decode('[1,{\"a\":null}]')), http)",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "[1,{\"a\":null}]\tnil\n");
}

#[test]
fn big_decodes_and_encodes_meet_the_process_limits() {
    // 10 MB of small arrays: building the string fits the reduction limit, decoding it
    // (a reduction per value, 5M values) does not, and the process is stopped.
    let make = "local s = string.rep('[1,2,3,4],', 1000000) s = '[' .. s .. '0]' ";
    let ok = cube(
        &["run", "--max-reductions", "2000000", "-"],
        &format!("{make} print(#s)"),
    );
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));
    let out = cube(
        &["run", "--max-reductions", "2000000", "-"],
        &format!("{make} print(pcall(json.decode, s))"),
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stderr), "cube-cli: reduction limit exceeded\n");
    // The same text decoded under a 50 MB heap: its million tables do not fit, and
    // pcall cannot catch that.
    let out = cube(
        &["run", "--max-heap", "50000000", "-"],
        &format!("{make} print(pcall(json.decode, s))"),
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stderr), "cube-cli: heap limit exceeded\n");
    // An encode whose output would pass the heap limit is stopped too.
    let out = cube(
        &["run", "--max-heap", "50000000", "-"],
        "local s = string.rep('x', 1000000) local t = {} for i = 1, 40 do t[i] = s end
         print(pcall(json.encode, {t, t}))",
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stderr), "cube-cli: heap limit exceeded\n");
}
