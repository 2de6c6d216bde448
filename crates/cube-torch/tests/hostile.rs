//! Bad input is a Lua error with a message that names the problem (and the shapes),
//! never a panic or an allocation attempt: wrong shapes, wrong types, huge sizes,
//! out-of-range indices and dimensions, corrupt files.

mod common;

use common::error_of;

fn expect(src: &str, needle: &str) {
    let e = error_of(src);
    assert!(e.contains(needle), "{src}\n  error {e:?} lacks {needle:?}");
}

#[test]
fn wrong_shapes() {
    expect(
        "torch.mm(torch.Tensor(2,3), torch.Tensor(4,5))",
        "size mismatch, m1: [2 x 3], m2: [4 x 5]",
    );
    expect(
        "return torch.Tensor(2,3) * torch.Tensor(4,5)",
        "size mismatch, m1: [2 x 3], m2: [4 x 5]",
    );
    expect(
        "torch.mv(torch.Tensor(2,3), torch.Tensor(4))",
        "size mismatch, [2 x 3], [4]",
    );
    expect(
        "torch.mm(torch.Tensor(2), torch.Tensor(2,2))",
        "matrix expected",
    );
    expect(
        "return torch.Tensor(2,3) + torch.Tensor(4)",
        "inconsistent tensor size",
    );
    expect(
        "torch.cmul(torch.Tensor(2,3), torch.Tensor(7))",
        "[2 x 3] and [7]",
    );
    expect(
        "torch.dot(torch.Tensor(3), torch.Tensor(4))",
        "inconsistent tensor size",
    );
    expect(
        "torch.addmm(torch.Tensor(3,3), torch.Tensor(2,3), torch.Tensor(3,4))",
        "size mismatch",
    );
    expect("torch.Tensor(2,3):view(4)", "wrong size for view");
    expect("torch.Tensor(2,3):t():view(6)", "contiguous");
    expect("torch.Tensor(2,3):view(-1, -1)", "only one");
    expect("torch.Tensor(2,3):view(4, -1)", "cannot view");
    expect("torch.Tensor(2,2,2):t()", "2D");
    expect(
        "return torch.Tensor(2,2,2) * torch.Tensor(2,2,2)",
        "not defined",
    );
    expect("torch.Tensor{{1,2},{3}}", "inconsistent table");
    expect(
        "torch.Tensor(2):copy(torch.Tensor(3))",
        "inconsistent tensor size",
    );
}

#[test]
fn wrong_types() {
    expect("torch.add(torch.Tensor(2), 'x')", "number or torch.Tensor");
    expect("torch.add({}, 1)", "number or torch.Tensor");
    expect("torch.mm(torch.Tensor(2,2), 3)", "invalid arguments");
    expect("torch.Tensor(2):fill('a')", "number expected");
    expect("torch.Tensor{1, 'a'}", "a number expected");
    expect("torch.Tensor{{1,2}, 3}", "a table expected");
    expect("return torch.Tensor(2) / torch.Tensor(2)", "cdiv");
    expect("return torch.Tensor(2) + {}", "number or torch.Tensor");
    expect(
        "torch.mm(torch.Tensor(2,2), torch.FloatTensor(2,2))",
        "type mismatch",
    );
    expect(
        "torch.setdefaulttensortype('torch.ByteTensor')",
        "ByteTensor",
    );
    expect("local t = torch.Tensor(2); t.x = 1", "cannot be set");
    expect("torch.Tensor(2):narrow('a', 1, 1)", "number expected");
    expect("torch.sum('a')", "torch.Tensor expected");
    expect(
        "local t = torch.Tensor{}; t = torch.Tensor{t}",
        "number expected",
    );
    expect(
        "local t = {}; t[1] = t; torch.Tensor(t)",
        "nested too deeply",
    );
}

#[test]
fn huge_sizes_fail_before_allocating() {
    expect("torch.Tensor(1e12)", "larger than the limit");
    expect("torch.zeros(1e6, 1e6)", "larger than the limit");
    expect("torch.rand(2^62, 2^62, 4)", "overflows");
    expect("torch.Tensor(-1)", "invalid tensor size");
    expect("torch.Tensor(0/0)", "invalid tensor size");
    expect("torch.Tensor(math.huge)", "invalid tensor size");
    expect("torch.range(1, 1e15)", "larger than the limit");
    expect("torch.eye(1e9)", "larger than the limit");
    expect("torch.range(1, 2, 0)", "inconsistent");
    expect("torch.range(2, 1)", "inconsistent");
    expect("torch.linspace(0, 1, 1)", "at least 2");
}

#[test]
fn huge_sizes_respect_the_heap_limit() {
    let mut st = common::state();
    st.set_max_heap(Some(64 << 20));
    let e = common::eval_in(&mut st, "return torch.zeros(100, 1000, 1000)").unwrap_err();
    assert!(e.contains("heap limit"), "{e}");
    // What goes into the Lua heap (text, tables) counts as well: the tensor (6 MB)
    // fits under 8 MB, its text (12 MB) and its tables do not.
    for src in [
        "return tostring(torch.FloatTensor(1500, 1000):fill(0.5))",
        "return torch.FloatTensor(1500, 1000):totable()",
    ] {
        let mut st = common::state();
        st.set_max_heap(Some(8 << 20));
        let e = common::eval_in(&mut st, src).unwrap_err();
        assert!(e.contains("heap limit"), "{src}: {e}");
    }
}

#[test]
fn out_of_range() {
    expect("return torch.Tensor(2,3)[3]", "index 3 out of range");
    expect("return torch.Tensor(2,3)[0]", "out of range");
    expect("return torch.Tensor(2)[1.5e300]", "out of range");
    expect("local t = torch.Tensor(2); t[3] = 1", "out of range");
    expect("return torch.Tensor()[1]", "no dimension");
    expect("return torch.Tensor(2,3)[{1}]", "one index per dimension");
    expect(
        "return torch.Tensor(2,3)[{1, 4}]",
        "index 4 out of range for dimension 2 of size 3",
    );
    expect(
        "return torch.Tensor(2,3)[{{1, 2}, {}}]",
        "not supported yet",
    );
    expect(
        "local t = torch.Tensor(2,3); t[{1, 1}] = 'x'",
        "number expected",
    );
    expect(
        "torch.Tensor(2,3):size(3)",
        "dimension 3 out of range of 2D tensor",
    );
    expect("torch.Tensor(2,3):select(3, 1)", "out of range");
    expect("torch.Tensor(2,3):select(1, 3)", "out of range");
    expect("torch.Tensor(2,3):narrow(2, 3, 2)", "out of range");
    expect("torch.Tensor(2,3):narrow(2, 0, 1)", "out of range");
    expect("torch.Tensor(2,3):transpose(1, 3)", "out of range");
    expect("torch.Tensor(2,3):sum(0)", "out of range");
    expect("torch.Tensor(2,3):max(3)", "out of range");
    expect("torch.Tensor(2,3):sub(1, 3)", "out of range");
    expect("torch.Tensor(2,3):sub(1, 2, 1, 2, 1, 1)", "pairs");
    expect("torch.Tensor():max()", "empty");
    expect("torch.clamp(torch.Tensor(2), 1, 0)", "greater than max");
}

#[test]
fn corrupt_files() {
    let dir = std::env::temp_dir().join(format!("torch-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cases: &[(&str, &[u8])] = &[
        ("empty", b""),
        ("short", b"\x05\x00"),
        ("huge_header", b"\xff\xff\xff\xff\xff\xff\xff\x7f{}"),
        ("not_json", b"\x04\x00\x00\x00\x00\x00\x00\x00abcd"),
        (
            "bad_offsets",
            b"\x40\x00\x00\x00\x00\x00\x00\x00{\"t\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,99]}}   ",
        ),
        (
            "huge_shape",
            b"\x50\x00\x00\x00\x00\x00\x00\x00{\"t\":{\"dtype\":\"F64\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}  ",
        ),
    ];
    for (name, bytes) in cases {
        let p = dir.join(format!("{name}.safetensors"));
        std::fs::write(&p, bytes).unwrap();
        expect(&format!("torch.load('{}')", p.display()), "torch.load");
    }
    expect("torch.load('/nonexistent/x.safetensors')", "No such file");
    expect(
        &format!("torch.save('{}/x', {{a = 1}})", dir.display()),
        "not a tensor",
    );
    expect(
        &format!("torch.save('{}/x', {{torch.Tensor(1)}})", dir.display()),
        "string keys",
    );
    expect(
        "torch.save('/nonexistent/dir/x', torch.Tensor(1))",
        "torch.save",
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every function and method with every combination of up to two odd arguments (and a
/// deterministic sample of three): errors are fine, a panic fails the test. Files are
/// left out (`corrupt_files` covers them; junk arguments would write files).
#[test]
fn no_argument_combination_panics() {
    let src = r#"
      local vals = {n = 24,
        nil, 0, 1, -1, 2, 3, 1.5, 0/0, math.huge, -math.huge, 2^53, 'a', {}, {1, 2}, {{1}, {2}},
        torch.Tensor(), torch.Tensor{1, 2, 3}, torch.ones(2, 3), torch.ones(2, 2, 2),
        torch.FloatTensor(2, 3):fill(1), torch.ones(3, 2):t(), torch.LongStorage{2, 3},
        torch.Tensor{0/0, 1}, true}
      local selves = {torch.Tensor(), torch.Tensor{1, 2, 3}, torch.ones(2, 3),
        torch.ones(3, 2):t(), torch.ones(2, 2, 2), torch.FloatTensor(2, 3):fill(2)}
      local names = {}
      for k, v in pairs(torch) do
        if type(v) == 'function' and k ~= 'save' and k ~= 'load' then names[#names + 1] = k end
      end
      for _, k in ipairs{'size', 'dim', 'nDimension', 'nElement', 'stride', 'isContiguous',
          'narrow', 'select', 'sub', 'view', 'reshape', 'transpose', 't', 'contiguous',
          'clone', 'copy', 'fill', 'zero', 'float', 'double', 'type', 'totable'} do
        names[#names + 1] = k
      end
      table.sort(names)
      local calls, seed = 0, 12345
      local function pick()
        seed = (seed * 1103515245 + 12345) % 2147483648
        return vals[seed % vals.n + 1]
      end
      local function try(f, ...)
        calls = calls + 1
        local ok, r = pcall(f, ...)
        if ok and type(r) == 'userdata' then tostring(r) end
      end
      for _, name in ipairs(names) do
        local f = torch[name]
        for i = 1, vals.n do
          if f then try(f, vals[i]) end
          for j = 1, vals.n do
            if f then try(f, vals[i], vals[j]) end
          end
        end
        for _, s in ipairs(selves) do
          local m = s[name]
          if m then
            try(m, s)
            for i = 1, vals.n do
              try(m, s, vals[i])
              for j = 1, vals.n do try(m, s, vals[i], vals[j]) end
            end
            for _ = 1, 300 do try(m, s, pick(), pick(), pick()) end
          end
        end
        if f then for _ = 1, 300 do try(f, pick(), pick(), pick(), pick()) end end
      end
      -- The operators and indexing.
      for i = 1, vals.n do
        for j = 1, vals.n do
          local a, b = vals[i], vals[j]
          try(function() return a + b end); try(function() return a - b end)
          try(function() return a * b end); try(function() return a / b end)
          try(function() return -a end); try(function() return a[b] end)
          try(function() a[b] = 1 end); try(function() a[b] = a end)
        end
      end
      return calls
    "#;
    let calls: f64 = common::eval(src).expect("sweep").parse().unwrap();
    eprintln!("{calls} calls");
    assert!(calls > 100_000.0, "{calls}");
}

/// Tensor work is charged in proportion to its size (DESIGN.md decision 2): under a
/// reduction limit, a large product ends the code where the same number of small ones
/// does not.
#[test]
fn work_is_charged_in_reductions() {
    let run = |src: &str| {
        let mut st = common::state();
        st.budget = 200_000;
        st.reduction_limit_enabled = true;
        common::eval_in(&mut st, src)
    };
    let small = "local a = torch.ones(4, 4); for i = 1, 10 do local c = a * a end; return 'done'";
    assert_eq!(run(small).unwrap(), "done");
    let large =
        "local a = torch.ones(400, 400); for i = 1, 10 do local c = a * a end; return 'done'";
    let e = run(large).unwrap_err();
    assert!(e.contains("reduction limit exceeded"), "{e}");
}
