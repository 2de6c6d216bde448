//! cube-http's `json` library: any bytes given to `json.decode` (with a small
//! `max_depth` for half the inputs), and whatever decodes encoded and decoded again,
//! under a reduction budget and a heap limit. Must never panic or hang; an accepted
//! text must encode (unless it holds a number beyond the doubles, which decodes to an
//! infinity) to a text that decodes and encodes back to the same length.
#![no_main]

use libfuzzer_sys::fuzz_target;

const HARNESS: &str = r#"
local s, depth = ...
local ok, v = pcall(json.decode, s, {max_depth = depth})
if not ok then
  assert(v:find("json.decode: ", 1, true) or v:find("heap limit", 1, true), v)
  return
end
local ok2, t = pcall(json.encode, v, {max_depth = depth})
if not ok2 then
  assert(t:find("infinity", 1, true) or t:find("heap limit", 1, true), t)
  return
end
assert(#json.encode(json.decode(t, {max_depth = depth}), {max_depth = depth}) == #t)
"#;

fuzz_target!(|data: &[u8]| {
    let depth = if data.first().is_some_and(|b| b % 2 == 0) {
        8.0
    } else {
        1000.0
    };
    let mut st = cube_lua::State::new_bare();
    cube_lua::stdlib::open_libs(&mut st);
    cube_http::json::open(&mut st);
    st.stdout = Box::new(std::io::sink());
    st.reduction_limit_enabled = true;
    st.budget = 10_000_000;
    st.cx(|cx| cx.set_max_heap(Some(64 << 20)));
    st.push_chunk(HARNESS.as_bytes(), "=json_decode")
        .expect("the harness compiles");
    st.cx(|cx| {
        cx.push_str(data);
        cx.push(cube_lua::host::Val::Num(depth));
    });
    if st.pcall(2, 0).is_err() {
        let msg = st.pop_error_message().unwrap_or_default();
        // Only the limits may end the harness; a failed assertion is a finding.
        assert!(msg.contains("limit exceeded"), "{msg}");
    }
    let _ = st.close();
});
