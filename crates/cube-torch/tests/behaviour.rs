//! The library as a Lua user meets it: views that write through, element access,
//! the call forms, types, sizes, printing through `print`-style `tostring`.

mod common;

use common::eval;

fn ok(src: &str) -> String {
    eval(src).unwrap_or_else(|e| panic!("{src}\n  raised: {e}"))
}

#[test]
fn element_reads_and_writes() {
    assert_eq!(
        ok("local t = torch.Tensor{{1,2},{3,4}}; return t[2][1]"),
        "3"
    );
    assert_eq!(
        ok("local t = torch.zeros(2,3); t[2][3] = 7; return t:sum() .. ' ' .. t[2][3]"),
        "7 7"
    );
    assert_eq!(
        ok("local t = torch.zeros(2,3); t[1] = 5; return t:sum()"),
        "15"
    );
    assert_eq!(
        ok("local t = torch.zeros(2,2); t[2] = torch.Tensor{8, 9}; return t[2][2]"),
        "9"
    );
    assert_eq!(
        ok("local t = torch.Tensor{1,2,3}; return type(t[2]) .. t:dim()"),
        "number1"
    );
    assert_eq!(
        ok("local t = torch.zeros(2,3); return torch.type(t[1]) .. t[1]:dim()"),
        "torch.DoubleTensor1"
    );
}

#[test]
fn views_share_storage() {
    // Each view writes through to the tensor it came from, as in Torch7.
    assert_eq!(
        ok("local t = torch.zeros(3,4); t:narrow(2,2,2):fill(1); return t:sum()"),
        "6"
    );
    assert_eq!(
        ok("local t = torch.zeros(3,4); t:select(1,3):fill(2); return t[3][4]"),
        "2"
    );
    assert_eq!(
        ok("local t = torch.zeros(2,3); t:t()[3][2] = 5; return t[2][3]"),
        "5"
    );
    assert_eq!(
        ok("local t = torch.zeros(2,3); t:transpose(1,2):add(1); return t:sum()"),
        "6"
    );
    assert_eq!(
        ok("local t = torch.zeros(2,3); t:view(6)[4] = 1; return t[2][1]"),
        "1"
    );
    assert_eq!(ok("local t = torch.zeros(4,4); t:sub(2,3,2,3):fill(1); return t:sum() .. t[2][2] .. t[1][1]"), "410");
    assert_eq!(
        ok("local t = torch.zeros(2); local u = torch.Tensor(t); u[1] = 3; return t[1]"),
        "3"
    );
    // clone, contiguous of a non-contiguous view and reshape copy.
    assert_eq!(
        ok("local t = torch.zeros(2); local c = t:clone(); c[1] = 3; return t[1]"),
        "0"
    );
    assert_eq!(
        ok("local t = torch.zeros(2,3); local c = t:t():contiguous(); c[1][1] = 3; return t[1][1]"),
        "0"
    );
    assert_eq!(
        ok("local t = torch.zeros(2,3); return tostring(t:contiguous() == t)"),
        "true"
    );
    assert_eq!(
        ok("local t = torch.zeros(2,3); local r = t:reshape(3,2); r[1][1] = 1; return t[1][1]"),
        "0"
    );
}

#[test]
fn sizes_and_types() {
    assert_eq!(ok("return torch.Tensor(2,3):size(2)"), "3");
    assert_eq!(ok("return #torch.Tensor(2,3,4):size()"), "3");
    assert_eq!(
        ok("return tostring(torch.Tensor(2,3):size())"),
        "\n 2\n 3\n[torch.LongStorage of size 2]\n"
    );
    assert_eq!(
        ok("return torch.Tensor(torch.LongStorage{4,5}):nElement()"),
        "20"
    );
    assert_eq!(
        ok("return torch.Tensor(torch.Tensor(2,7):size()):size(2)"),
        "7"
    );
    assert_eq!(ok("return torch.Tensor():dim()"), "0");
    assert_eq!(ok("return torch.Tensor(2,3):type()"), "torch.DoubleTensor");
    assert_eq!(
        ok("return torch.Tensor(2):float():type()"),
        "torch.FloatTensor"
    );
    assert_eq!(
        ok("torch.setdefaulttensortype('torch.FloatTensor'); return torch.type(torch.ones(2)) .. ' ' .. torch.getdefaulttensortype()"),
        "torch.FloatTensor torch.FloatTensor"
    );
    // Float tensors hold single precision.
    assert_eq!(ok("return torch.FloatTensor{0.1}[1] == 0.1"), "false");
    assert_eq!(ok("return torch.DoubleTensor{0.1}[1] == 0.1"), "true");
    assert_eq!(ok("return torch.Tensor(2,3):stride(1)"), "3");
    assert_eq!(
        ok("return tostring(torch.Tensor(2,3):t():isContiguous())"),
        "false"
    );
}

#[test]
fn printing() {
    assert_eq!(
        ok("return tostring(torch.zeros(2,3))"),
        " 0  0  0\n 0  0  0\n[torch.DoubleTensor of size 2x3]\n"
    );
    assert_eq!(
        ok("return tostring(torch.ones(2):float())"),
        " 1\n 1\n[torch.FloatTensor of size 2]\n"
    );
    assert_eq!(
        ok("return tostring(torch.Tensor())"),
        "[torch.DoubleTensor with no dimension]\n"
    );
}

#[test]
fn random_streams_repeat_with_the_seed() {
    let a = ok("torch.manualSeed(7); return tostring(torch.rand(3))");
    let b = ok("torch.manualSeed(7); return tostring(torch.rand(3))");
    assert_eq!(a, b);
    assert_eq!(ok("torch.manualSeed(1); local r = torch.rand(1000); return tostring(r:min() >= 0 and r:max() < 1)"), "true");
    assert_eq!(
        ok("torch.manualSeed(1); return math.abs(torch.randn(10000):mean()) < 0.05"),
        "true"
    );
}

#[test]
fn call_forms() {
    // Method: in place, returns self.
    assert_eq!(
        ok("local t = torch.ones(2); local r = t:add(1); return tostring(r == t) .. t[1]"),
        "true2"
    );
    // torch.f: a new tensor, the argument unchanged.
    assert_eq!(
        ok("local t = torch.ones(2); local r = torch.add(t, 1); return t[1] .. r[1]"),
        "12"
    );
    // torch.f(res, ...): into res.
    assert_eq!(
        ok("local r = torch.zeros(2); torch.add(r, torch.ones(2), 4); return r[2]"),
        "5"
    );
    // A result of another shape gives the destination new storage (Torch7 resizes it).
    assert_eq!(ok("local r = torch.Tensor(); r:mm(torch.ones(2,3), torch.ones(3,4)); return r:size(2) .. r[1][1]"), "43");
    assert_eq!(ok("return torch.ones(3):dot(torch.ones(3))"), "3");
}

#[test]
fn files_round_trip() {
    let dir = std::env::temp_dir().join(format!("torch-behaviour-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("a.safetensors");
    let p = p.to_str().unwrap();
    let src = format!(
        "local t = torch.Tensor{{{{1,2,3}},{{4,5,6}}}}:t()
         torch.save('{p}', t)
         local u = torch.load('{p}')
         torch.save('{p}', {{w = t:float(), b = torch.ones(2)}})
         local m = torch.load('{p}')
         return torch.type(u) .. ' ' .. table.concat(u:size():totable(), 'x') .. ' ' .. u[3][1] .. ' '
           .. torch.type(m.w) .. ' ' .. m.w[1][2] .. ' ' .. m.b:sum()"
    );
    assert_eq!(ok(&src), "torch.DoubleTensor 3x2 3 torch.FloatTensor 4 2");
    let _ = std::fs::remove_dir_all(&dir);
}
