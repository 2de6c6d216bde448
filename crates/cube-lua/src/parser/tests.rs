//! Parser tests: AST shapes, PUC line numbers, error messages copied from real
//! `luac5.2`, the nesting limit, and a fuzz test.

use super::*;

fn parse_ok(src: &str) -> Chunk {
    match parse(src.as_bytes(), "=t") {
        Ok(chunk) => chunk,
        Err(e) => panic!("{src:?} failed: {e}"),
    }
}

fn parse_err(src: &[u8], chunk_name: &str) -> String {
    match parse(src, chunk_name) {
        Ok(chunk) => panic!("{:?} parsed: {chunk:?}", String::from_utf8_lossy(src)),
        Err(e) => e.message,
    }
}

/// A compact prefix rendering of an expression, to check tree shapes.
fn show(e: &Expr) -> String {
    let list = |es: &[Expr]| es.iter().map(show).collect::<Vec<_>>().join(" ");
    match &e.kind {
        ExprKind::Nil => "nil".into(),
        ExprKind::True => "true".into(),
        ExprKind::False => "false".into(),
        ExprKind::Vararg => "...".into(),
        ExprKind::Number(n) => format!("{n}"),
        ExprKind::Str(s) => format!("{:?}", String::from_utf8_lossy(s)),
        ExprKind::Function(f) => format!("(fn {})", f.params.len()),
        ExprKind::Table(fields) => {
            let fields: Vec<String> = fields
                .iter()
                .map(|f| match f {
                    TableField::Keyed(k, v) => format!("[{}]={}", show(k), show(v)),
                    TableField::Positional(v) => show(v),
                })
                .collect();
            format!("{{{}}}", fields.join(" "))
        }
        ExprKind::Binary(op, l, r) => format!("({op:?} {} {})", show(l), show(r)),
        ExprKind::Unary(op, x) => format!("({op:?} {})", show(x)),
        ExprKind::Name(n) => n.clone(),
        ExprKind::Index(o, k) => format!("{}[{}]", show(o), show(k)),
        ExprKind::Call(f, args) => format!("(call {} {})", show(f), list(args)),
        ExprKind::MethodCall(o, m, args) => {
            format!("(method {} {} {})", show(o), m.name, list(args))
        }
        ExprKind::Paren(x) => format!("(paren {})", show(x)),
    }
}

/// The single expression assigned by `x = <src>`.
fn rhs(src: &str) -> Expr {
    let chunk = parse_ok(&format!("x = {src}"));
    match chunk.body.stats.into_iter().next() {
        Some(Stat::Assign { mut exprs, .. }) if exprs.len() == 1 => exprs.remove(0),
        other => panic!("unexpected {other:?}"),
    }
}

fn shape(src: &str) -> String {
    show(&rhs(src))
}

#[test]
fn precedence_and_associativity() {
    assert_eq!(shape("1 + 2 * 3"), "(Add 1 (Mul 2 3))");
    assert_eq!(shape("1 - 2 - 3"), "(Sub (Sub 1 2) 3)");
    assert_eq!(shape("2 ^ 3 ^ 2"), "(Pow 2 (Pow 3 2))");
    assert_eq!(shape("a .. b .. c"), "(Concat a (Concat b c))");
    assert_eq!(shape("-x ^ 2"), "(Neg (Pow x 2))");
    assert_eq!(shape("2 ^ -3"), "(Pow 2 (Neg 3))");
    assert_eq!(shape("2 ^ -3 ^ 2"), "(Pow 2 (Neg (Pow 3 2)))");
    assert_eq!(shape("not a == b"), "(Eq (Not a) b)");
    assert_eq!(shape("#t + 1"), "(Add (Len t) 1)");
    assert_eq!(shape("a or b and c"), "(Or a (And b c))");
    assert_eq!(shape("a and b or c"), "(Or (And a b) c)");
    assert_eq!(shape("a < b == c > d"), "(Gt (Eq (Lt a b) c) d)");
    assert_eq!(shape("1 .. 2 + 3"), "(Concat 1 (Add 2 3))");
    assert_eq!(shape("a + b .. c * d"), "(Concat (Add a b) (Mul c d))");
    assert_eq!(shape("x % 2 / 3 * 4"), "(Mul (Div (Mod x 2) 3) 4)");
    assert_eq!(shape("a ~= b <= c >= d"), "(Ge (Le (Ne a b) c) d)");
    assert_eq!(shape("- - x"), "(Neg (Neg x))");
    assert_eq!(shape("(a + b) * c"), "(Mul (paren (Add a b)) c)");
    assert_eq!(shape("-2 ^ 2 .. 1"), "(Concat (Neg (Pow 2 2)) 1)");
}

#[test]
fn suffixed_expressions() {
    assert_eq!(shape("a.b.c"), "a[\"b\"][\"c\"]");
    assert_eq!(shape("a[1][b]"), "a[1][b]");
    assert_eq!(shape("f(1, 2)(3)"), "(call (call f 1 2) 3)");
    assert_eq!(shape("o:m(1):n()"), "(method (method o m 1) n )");
    assert_eq!(shape("f 'x'"), "(call f \"x\")");
    assert_eq!(shape("f [[x]]"), "(call f \"x\")");
    assert_eq!(shape("f {1}"), "(call f {1})");
    assert_eq!(shape("o:m 's'"), "(method o m \"s\")");
    assert_eq!(shape("(f)()"), "(call (paren f) )");
    assert_eq!(shape("(a).b"), "(paren a)[\"b\"]");
}

#[test]
fn table_constructors() {
    assert_eq!(shape("{}"), "{}");
    assert_eq!(
        shape("{1, a = 2; [3] = 4, f(), 5;}"),
        "{1 [\"a\"]=2 [3]=4 (call f ) 5}"
    );
    assert_eq!(shape("{a}"), "{a}");
    assert_eq!(shape("{a == b}"), "{(Eq a b)}");
    assert_eq!(shape("{...}"), "{...}");
    assert_eq!(shape("{{}, {{}}}"), "{{} {{}}}");
}

#[test]
fn literals() {
    assert_eq!(shape("nil"), "nil");
    assert_eq!(shape("true"), "true");
    assert_eq!(shape("false"), "false");
    assert_eq!(shape("..."), "...");
    assert_eq!(shape("0x10"), "16");
    assert_eq!(shape("0xA.8p1"), "21");
    assert_eq!(shape("1e308 * 10"), format!("(Mul {} 10)", 1e308));
    assert_eq!(shape("1e999"), "inf");
    assert_eq!(shape("'\\65\\x42\\z   C'"), "\"ABC\"");
    match &rhs("'\\0\\255\\n'").kind {
        ExprKind::Str(s) => assert_eq!(s, b"\0\xff\n"),
        other => panic!("{other:?}"),
    }
    match &rhs("[==[\r\n]]\r]==]").kind {
        ExprKind::Str(s) => assert_eq!(s, b"]]\n"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn function_statements_and_method_sugar() {
    let chunk = parse_ok("function a.b.c:m(x, ...) return self end");
    let Some(Stat::Function {
        path, method, body, ..
    }) = chunk.body.stats.first()
    else {
        panic!("{chunk:?}");
    };
    let path: Vec<&str> = path.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(path, ["a", "b", "c"]);
    assert_eq!(method.as_ref().map(|m| m.name.as_str()), Some("m"));
    let params: Vec<&str> = body.params.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(params, ["self", "x"]);
    assert!(body.is_vararg);

    let chunk = parse_ok("function f() end");
    let Some(Stat::Function {
        path, method, body, ..
    }) = chunk.body.stats.first()
    else {
        panic!();
    };
    assert_eq!(path.len(), 1);
    assert!(method.is_none() && body.params.is_empty() && !body.is_vararg);
}

#[test]
fn local_function_versus_local_assignment() {
    let chunk = parse_ok("local function f(a) end local g = function(...) end");
    assert!(matches!(chunk.body.stats[0], Stat::LocalFunction { .. }));
    match &chunk.body.stats[1] {
        Stat::Local { names, exprs, .. } => {
            assert_eq!(names[0].name, "g");
            assert!(matches!(&exprs[0].kind, ExprKind::Function(f) if f.is_vararg));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn statements() {
    let chunk = parse_ok(
        "local a, b = 1\n\
         a, b.c, d[1] = f()\n\
         do ; end while a do break end repeat local z until z\n\
         if a then elseif b then else end\n\
         for i = 1, 10, 2 do end for k, v in pairs(t) do end\n\
         ::top:: goto top\n\
         o:m() f{} f''\n\
         return 1, 2;",
    );
    let kinds: Vec<&str> = chunk
        .body
        .stats
        .iter()
        .map(|s| match s {
            Stat::Call(_) => "call",
            Stat::Local { .. } => "local",
            Stat::Assign { .. } => "assign",
            Stat::Do(_) => "do",
            Stat::While { .. } => "while",
            Stat::Repeat { .. } => "repeat",
            Stat::If { .. } => "if",
            Stat::NumericFor { .. } => "fornum",
            Stat::GenericFor { .. } => "forin",
            Stat::Function { .. } => "function",
            Stat::LocalFunction { .. } => "localfunction",
            Stat::Return { .. } => "return",
            Stat::Break { .. } => "break",
            Stat::Goto { .. } => "goto",
            Stat::Label { .. } => "label",
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "local", "assign", "do", "while", "repeat", "if", "fornum", "forin", "label", "goto",
            "call", "call", "call", "return"
        ]
    );
    assert_eq!(chunk.end_line, 8);
    match &chunk.body.stats[5] {
        Stat::If {
            arms, else_block, ..
        } => assert!(arms.len() == 2 && else_block.is_some()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn lines_follow_puc() {
    let chunk = parse_ok("x = a\n+\nb\nf\n(\n1)\nlocal function g\n()\nend");
    let stats = &chunk.body.stats;
    match &stats[0] {
        Stat::Assign { exprs, line, .. } => {
            assert_eq!(*line, 1);
            assert_eq!(exprs[0].line, 2); // the operator's line
        }
        other => panic!("{other:?}"),
    }
    match &stats[1] {
        Stat::Call(call) => assert_eq!(call.line, 4), // where the prefix starts
        other => panic!("{other:?}"),
    }
    match &stats[2] {
        Stat::LocalFunction { body, line, .. } => {
            assert_eq!((*line, body.line, body.end_line), (7, 8, 9));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(chunk.end_line, 9);
}

/// Deep nesting gives PUC's "too many C levels" error, at the same depth as `luac5.2`.
#[test]
fn nesting_limit_matches_luac() {
    let cases: Vec<(String, &str)> = vec![
        (
            format!("x = {}1{}", "(".repeat(198), ")".repeat(198)),
            "d.lua:1: too many C levels (limit is 200) in main function near '1'",
        ),
        (format!("x = {}1{}", "(".repeat(197), ")".repeat(197)), ""),
        (
            format!("x = {}", vec!["a"; 199].join("..")),
            "d.lua:1: too many C levels (limit is 200) in main function near 'a'",
        ),
        (format!("x = {}", vec!["a"; 198].join("..")), ""),
        (
            (0..200).map(|i| format!("::a{i}:: ")).collect(),
            "d.lua:1: too many C levels (limit is 200) in main function near '::'",
        ),
        ((0..199).map(|i| format!("::a{i}:: ")).collect(), ""),
        (
            format!("{} = 1", vec!["a"; 200].join(",")),
            "d.lua:1: too many C levels (limit is 200) in main function near '='",
        ),
        (
            format!("{} = 1", vec!["a"; 201].join(",")),
            "d.lua:1: too many C levels (limit is 200) in main function near ','",
        ),
        (format!("{} = 1", vec!["a"; 199].join(",")), ""),
        (format!("{}{}", "do ".repeat(199), "end ".repeat(199)), ""),
        (
            format!("{}{}", "do ".repeat(200), "end ".repeat(200)),
            "d.lua:1: too many C levels (limit is 200) in main function near 'do'",
        ),
        (
            format!("x = {}1", "- ".repeat(300)),
            "d.lua:1: too many C levels (limit is 200) in main function near '-'",
        ),
        (format!("x = {}1", "not ".repeat(197)), ""),
        (
            format!("x = {}{}", "{".repeat(300), "}".repeat(300)),
            "d.lua:1: too many C levels (limit is 200) in main function near '{'",
        ),
        (
            format!("x = {}{}", "f(".repeat(300), ")".repeat(300)),
            "d.lua:1: too many C levels (limit is 200) in main function near 'f'",
        ),
        (
            format!(
                "x = 1\nlocal function f()\nx = {}{} end",
                "(".repeat(300),
                ")".repeat(300)
            ),
            "d.lua:3: too many C levels (limit is 200) in function at line 2 near '('",
        ),
        (
            format!("{}{}", "f = function() ".repeat(100), " end".repeat(100)),
            "d.lua:1: too many C levels (limit is 200) in function at line 1 near 'function'",
        ),
        (
            format!("x = {}", vec!["2"; 250].join("^")),
            "d.lua:1: too many C levels (limit is 200) in main function near '2'",
        ),
        (
            format!("{}{}", "if x then ".repeat(150), "end ".repeat(150)),
            "",
        ),
        (
            format!("{}{}", "while x do ".repeat(150), "end ".repeat(150)),
            "",
        ),
        (
            format!("{}{}", "repeat ".repeat(250), "until x ".repeat(250)),
            "d.lua:1: too many C levels (limit is 200) in main function near 'repeat'",
        ),
        (
            format!("x = a{}{}", "[a".repeat(250), "]".repeat(250)),
            "d.lua:1: too many C levels (limit is 200) in main function near 'a'",
        ),
    ];
    for (src, expected) in cases {
        let got = match parse(src.as_bytes(), "@d.lua") {
            Ok(_) => String::new(),
            Err(e) => e.message,
        };
        assert_eq!(got, expected, "source: {}", &src[..src.len().min(80)]);
    }
}

/// Chains that PUC parses with loops must not hit the nesting limit.
#[test]
fn long_chains_are_loops() {
    let src = format!(
        "x = a{}\ny = 1{}\nf{}\nz = a{}\nw = {{{}}}\n{}",
        ".b".repeat(2000),
        " + 1".repeat(2000),
        "()".repeat(2000),
        " and a".repeat(2000),
        "1, ".repeat(5000),
        "x = 1; ".repeat(5000),
    );
    let chunk = parse_ok(&src);
    assert_eq!(chunk.body.stats.len(), 5005);
    // The AST of a chain is a deep tree: dismantle it without recursion.
    dismantle(chunk);
}

/// Drops a chunk's expressions iteratively (the derived drop recurses per tree level).
fn dismantle(chunk: Chunk) {
    let mut pending: Vec<Expr> = Vec::new();
    for stat in chunk.body.stats {
        match stat {
            Stat::Assign { targets, exprs, .. } => {
                pending.extend(targets);
                pending.extend(exprs);
            }
            Stat::Call(e) => pending.push(e),
            _ => {}
        }
    }
    while let Some(mut e) = pending.pop() {
        let nil = || Expr {
            kind: ExprKind::Nil,
            line: 0,
        };
        match &mut e.kind {
            ExprKind::Binary(_, l, r) | ExprKind::Index(l, r) => {
                pending.push(std::mem::replace(l, nil()));
                pending.push(std::mem::replace(r, nil()));
            }
            ExprKind::Call(f, args) => {
                pending.push(std::mem::replace(f, nil()));
                pending.append(args);
            }
            _ => {}
        }
    }
}

/// Real `luac5.2 -p t.lua` messages (without the `luac5.2: ` prefix).
const ERRORS: &[(&[u8], &str)] = &[
    (b"x = = 1", "t.lua:1: unexpected symbol near '='"),
    (b"x", "t.lua:1: syntax error near <eof>"),
    (b"f() = 1", "t.lua:1: syntax error near '='"),
    (b"a,b", "t.lua:1: '=' expected near <eof>"),
    (b"a, f() = 1", "t.lua:1: syntax error near '='"),
    (b"(a) = 1", "t.lua:1: syntax error near '='"),
    (
        b"a.b:c = 1",
        "t.lua:1: function arguments expected near '='",
    ),
    (b"a.b:c", "t.lua:1: function arguments expected near <eof>"),
    (b"return 1 x = 2", "t.lua:1: <eof> expected near 'x'"),
    (
        b"local function f() return ... end",
        "t.lua:1: cannot use '...' outside a vararg function near '...'",
    ),
    (
        b"function f(a, ...) local g = function() return ... end end",
        "t.lua:1: cannot use '...' outside a vararg function near '...'",
    ),
    (b"for x do end", "t.lua:1: '=' or 'in' expected near 'do'"),
    (b"for x = 1 do end", "t.lua:1: ',' expected near 'do'"),
    (b"for x, y = 1, 2 do end", "t.lua:1: 'in' expected near '='"),
    (
        b"function f(1) end",
        "t.lua:1: <name> or '...' expected near '1'",
    ),
    (
        b"function f(a,) end",
        "t.lua:1: <name> or '...' expected near ')'",
    ),
    (b"function (a) end", "t.lua:1: <name> expected near '('"),
    (b"function a.1() end", "t.lua:1: '(' expected near '.1'"),
    (b"function a:b.c() end", "t.lua:1: '(' expected near '.'"),
    (b"local 1 = 2", "t.lua:1: <name> expected near '1'"),
    (
        b"local function 1() end",
        "t.lua:1: <name> expected near '1'",
    ),
    (b"x = 3x", "t.lua:1: syntax error near <eof>"),
    (b"x = 0x", "t.lua:1: malformed number near '0x'"),
    (b"x = 1e", "t.lua:1: malformed number near '1e'"),
    (b"x = 3e+", "t.lua:1: malformed number near '3e+'"),
    (b"x = 1..2", "t.lua:1: malformed number near '1..2'"),
    (b"x = 0x.p1", "t.lua:1: malformed number near '0x.p1'"),
    (b"x = 08.5.5", "t.lua:1: malformed number near '08.5.5'"),
    (b"x = 3f", "t.lua:1: malformed number near '3f'"),
    (b"x = \"abc", "t.lua:1: unfinished string near <eof>"),
    (b"x = \"abc\ny\"", "t.lua:1: unfinished string near '\"abc'"),
    (
        b"x = \"a\\qb\"",
        "t.lua:1: invalid escape sequence near '\\q'",
    ),
    (
        b"x = \"\\300\"",
        "t.lua:1: decimal escape too large near '\\300'",
    ),
    (
        b"x = \"\\xg\"",
        "t.lua:1: hexadecimal digit expected near '\\xg'",
    ),
    (
        b"x = \"\\x5\"",
        "t.lua:1: hexadecimal digit expected near '\\x5\"'",
    ),
    (
        b"x = \"\\x",
        "t.lua:1: hexadecimal digit expected near '\\x'",
    ),
    (b"x = \"\\", "t.lua:1: unfinished string near <eof>"),
    (b"x = [==[ab", "t.lua:1: unfinished long string near <eof>"),
    (
        b"x = [=a",
        "t.lua:1: invalid long string delimiter near '[='",
    ),
    (
        b"--[==[ comment",
        "t.lua:1: unfinished long comment near <eof>",
    ),
    (
        b"--[[ \n\n comment",
        "t.lua:3: unfinished long comment near <eof>",
    ),
    (b"x = ~1", "t.lua:1: unexpected symbol near '~'"),
    (b"x = @", "t.lua:1: unexpected symbol near '@'"),
    (b"x = $", "t.lua:1: unexpected symbol near '$'"),
    (b"x = \x01", "t.lua:1: unexpected symbol near char(1)"),
    (b"x = \xc3\xa9", "t.lua:1: unexpected symbol near char(195)"),
    (b"x = {a=1,b 2}", "t.lua:1: '}' expected near '2'"),
    (b"x = (1", "t.lua:1: ')' expected near <eof>"),
    (
        b"x = (\n1",
        "t.lua:2: ')' expected (to close '(' at line 1) near <eof>",
    ),
    (
        b"f(\n1",
        "t.lua:2: ')' expected (to close '(' at line 1) near <eof>",
    ),
    (
        b"x.y(\n1",
        "t.lua:2: ')' expected (to close '(' at line 1) near <eof>",
    ),
    (
        b"a.b.c(\n1,\n2",
        "t.lua:3: ')' expected (to close '(' at line 1) near <eof>",
    ),
    (
        b"local function\nf() end x = )",
        "t.lua:2: unexpected symbol near ')'",
    ),
    (
        b"x = function\n() end x = )",
        "t.lua:2: unexpected symbol near ')'",
    ),
    (
        b"x = \"a\\tb\" \"c\"",
        "t.lua:1: unexpected symbol near '\"c\"'",
    ),
    (b"x = 'ab\\0cd\n", "t.lua:1: unfinished string near ''ab'"),
    (b"do x = 1 until", "t.lua:1: 'end' expected near 'until'"),
    (b"do x = 1", "t.lua:1: 'end' expected near <eof>"),
    (
        b"do\n x = 1",
        "t.lua:2: 'end' expected (to close 'do' at line 1) near <eof>",
    ),
    (b"while true do", "t.lua:1: 'end' expected near <eof>"),
    (
        b"while true\ndo\nx()",
        "t.lua:3: 'end' expected (to close 'while' at line 1) near <eof>",
    ),
    (b"repeat x()", "t.lua:1: 'until' expected near <eof>"),
    (
        b"repeat\nx()\nuntil",
        "t.lua:3: unexpected symbol near <eof>",
    ),
    (b"if x then", "t.lua:1: 'end' expected near <eof>"),
    (
        b"if x\nthen\nelse",
        "t.lua:3: 'end' expected (to close 'if' at line 1) near <eof>",
    ),
    (
        b"if x then else elseif",
        "t.lua:1: 'end' expected near 'elseif'",
    ),
    (b"if x y() end", "t.lua:1: 'then' expected near 'y'"),
    (
        b"if x then y() elseif z end",
        "t.lua:1: 'then' expected near 'end'",
    ),
    (b"goto", "t.lua:1: <name> expected near <eof>"),
    (b"goto 1", "t.lua:1: <name> expected near '1'"),
    (b"::a", "t.lua:1: '::' expected near <eof>"),
    (b"::1::", "t.lua:1: <name> expected near '1'"),
    (b"::a:: ::b", "t.lua:1: '::' expected near <eof>"),
    (b"break x", "t.lua:1: syntax error near <eof>"),
    (b"return return", "t.lua:1: unexpected symbol near 'return'"),
    (b"return 1,", "t.lua:1: unexpected symbol near <eof>"),
    (b"return 1;;", "t.lua:1: <eof> expected near ';'"),
    (b"x = {[1] 2}", "t.lua:1: '=' expected near '2'"),
    (b"x = {[1 = 2}", "t.lua:1: ']' expected near '='"),
    (b"x = {a = }", "t.lua:1: unexpected symbol near '}'"),
    (b"x = {,}", "t.lua:1: unexpected symbol near ','"),
    (b"x = {1,,2}", "t.lua:1: unexpected symbol near ','"),
    (b"f{1} = 2", "t.lua:1: syntax error near '='"),
    (b"x = a[1", "t.lua:1: ']' expected near <eof>"),
    (b"x = a.", "t.lua:1: <name> expected near <eof>"),
    (
        b"x = a:b",
        "t.lua:1: function arguments expected near <eof>",
    ),
    (
        b"x = a:b.c()",
        "t.lua:1: function arguments expected near '.'",
    ),
    (b"x = a:1()", "t.lua:1: <name> expected near '1'"),
    (b"x = 1 + ", "t.lua:1: unexpected symbol near <eof>"),
    (b"x = not", "t.lua:1: unexpected symbol near <eof>"),
    (b"x = - - -", "t.lua:1: unexpected symbol near <eof>"),
    (b"x = #", "t.lua:1: unexpected symbol near <eof>"),
    (b"x = 1 ++ 2", "t.lua:1: unexpected symbol near '+'"),
    (b"x = 1 == == 2", "t.lua:1: unexpected symbol near '=='"),
    (b"x = a..", "t.lua:1: unexpected symbol near <eof>"),
    (b"x = a .. .. b", "t.lua:1: unexpected symbol near '..'"),
    (
        b"local a <const> = 1",
        "t.lua:1: unexpected symbol near '<'",
    ),
    (b"local a, = 1", "t.lua:1: <name> expected near '='"),
    (b"local a =", "t.lua:1: unexpected symbol near <eof>"),
    (
        b"function f() x = ... end",
        "t.lua:1: cannot use '...' outside a vararg function near '...'",
    ),
    (
        b"function f(...) return function(a) return ... end end",
        "t.lua:1: cannot use '...' outside a vararg function near '...'",
    ),
    (b"x = }", "t.lua:1: unexpected symbol near '}'"),
    (b"x = ]", "t.lua:1: unexpected symbol near ']'"),
    (b"x = )", "t.lua:1: unexpected symbol near ')'"),
    (b"x = end", "t.lua:1: unexpected symbol near 'end'"),
    (b"end", "t.lua:1: <eof> expected near 'end'"),
    (b"else", "t.lua:1: <eof> expected near 'else'"),
    (b"elseif", "t.lua:1: <eof> expected near 'elseif'"),
    (b"until x", "t.lua:1: <eof> expected near 'until'"),
    (b"then", "t.lua:1: unexpected symbol near 'then'"),
    (b"in", "t.lua:1: unexpected symbol near 'in'"),
    (b"x = 1 then", "t.lua:1: unexpected symbol near 'then'"),
    (b"local", "t.lua:1: <name> expected near <eof>"),
    (b"local function", "t.lua:1: <name> expected near <eof>"),
    (b"function", "t.lua:1: <name> expected near <eof>"),
    (b"function f", "t.lua:1: '(' expected near <eof>"),
    (
        b"function f(",
        "t.lua:1: <name> or '...' expected near <eof>",
    ),
    (b"function f(a", "t.lua:1: ')' expected near <eof>"),
    (b"function f(a b) end", "t.lua:1: ')' expected near 'b'"),
    (
        b"function f() return 1 2 end",
        "t.lua:1: 'end' expected near '2'",
    ),
    (b"for", "t.lua:1: <name> expected near <eof>"),
    (b"for i", "t.lua:1: '=' or 'in' expected near <eof>"),
    (b"for i =", "t.lua:1: unexpected symbol near <eof>"),
    (b"for i = 1,", "t.lua:1: unexpected symbol near <eof>"),
    (
        b"for i = 1, 2, 3, 4 do end",
        "t.lua:1: 'do' expected near ','",
    ),
    (
        b"for a, b in do end",
        "t.lua:1: unexpected symbol near 'do'",
    ),
    (b"for a, b in x do", "t.lua:1: 'end' expected near <eof>"),
    (b"for a, 1 in x do end", "t.lua:1: <name> expected near '1'"),
    (
        b"for a.b in x do end",
        "t.lua:1: '=' or 'in' expected near '.'",
    ),
    (b"x = 0x1p", "t.lua:1: malformed number near '0x1p'"),
    (b"x = 0x1.2.3", "t.lua:1: malformed number near '0x1.2.3'"),
    (b"x = 5 .5", "t.lua:1: unexpected symbol near '.5'"),
    (b"x = 1e+-5", "t.lua:1: malformed number near '1e+'"),
    (b"x = .5e", "t.lua:1: malformed number near '.5e'"),
    (b"x = 3.e", "t.lua:1: malformed number near '3.e'"),
    (b"x = 0xp1", "t.lua:1: malformed number near '0xp1'"),
    (b"f 'a' 'b' = 1", "t.lua:1: syntax error near '='"),
    (b"x = a + b c", "t.lua:1: syntax error near <eof>"),
    (b"'str'", "t.lua:1: unexpected symbol near ''str''"),
    (b"\"str\" = 1", "t.lua:1: unexpected symbol near '\"str\"'"),
    (b"1 = 2", "t.lua:1: unexpected symbol near '1'"),
    (b"nil = 1", "t.lua:1: unexpected symbol near 'nil'"),
    (b"x = 'a\\z", "t.lua:1: unfinished string near <eof>"),
    (
        b"x = 'a\\z  \n  b\n",
        "t.lua:2: unfinished string near ''ab'",
    ),
    (
        b"x = \"\\xfg\"",
        "t.lua:1: hexadecimal digit expected near '\\xfg'",
    ),
    (
        b"x = '\\256'",
        "t.lua:1: decimal escape too large near '\\256'",
    ),
    (
        b"x = '\\25a\\999'",
        "t.lua:1: decimal escape too large near '\\999'",
    ),
    (b"x = [[\n\n]] ]]", "t.lua:3: unexpected symbol near ']'"),
    (
        b"x = 1 --[[\n",
        "t.lua:2: unfinished long comment near <eof>",
    ),
    (
        b"local function f(a, ...) return ... end x = ... y(",
        "t.lua:1: unexpected symbol near <eof>",
    ),
    (b"a = b = c", "t.lua:1: unexpected symbol near '='"),
    (b"x, y() = 1", "t.lua:1: syntax error near '='"),
    (b"x.y:z() = 1", "t.lua:1: syntax error near '='"),
    (b"::a:: ::b:: c", "t.lua:1: syntax error near <eof>"),
    (b"x = '\\q", "t.lua:1: invalid escape sequence near '\\q'"),
    (
        b"x = '\\x1",
        "t.lua:1: hexadecimal digit expected near '\\x1'",
    ),
    (b"f(a,)", "t.lua:1: unexpected symbol near ')'"),
    (b"f(,a)", "t.lua:1: unexpected symbol near ','"),
    (
        b"a.b[c]:d 'e' {f} (g) = 1",
        "t.lua:1: syntax error near '='",
    ),
];
const ACCEPTED: &[&[u8]] = &[
    b"x = {1;2;}",
    b"x = y z = w",
    b"x = (y) (z)",
    b"x = ...",
    b"x = function(a, ...) return ... end; y = ...",
    b"a.b.c = f() g()",
    b"x = {f = function() end, ...}",
    b"x, y.z, w[1] = 1",
];

#[test]
fn error_messages_match_luac() {
    for (src, expected) in ERRORS {
        assert_eq!(
            parse_err(src, "@t.lua"),
            *expected,
            "source: {:?}",
            String::from_utf8_lossy(src)
        );
    }
}

#[test]
fn accepted_by_luac() {
    for src in ACCEPTED {
        if let Err(e) = parse(src, "@t.lua") {
            panic!("{:?}: {e}", String::from_utf8_lossy(src));
        }
    }
}

/// Chunk names are formatted as in `lua5.2 -e 'print(load(...))'` and `lua5.2 -e`.
#[test]
fn chunk_names_in_messages() {
    assert_eq!(
        parse_err(b"x = = 1", "x = = 1"),
        "[string \"x = = 1\"]:1: unexpected symbol near '='"
    );
    assert_eq!(
        parse_err(b"x = \n= 1", "x = \n= 1"),
        "[string \"x = ...\"]:2: unexpected symbol near '='"
    );
    assert_eq!(
        parse_err(b"x = = 1", "=(command line)"),
        "(command line):1: unexpected symbol near '='"
    );
}

/// A tiny xorshift generator, so the fuzz test needs no dependencies.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Random bytes and random token soups must give `Ok` or `Err`, never a panic.
#[test]
fn fuzz_does_not_panic() {
    const PIECES: &[&str] = &[
        "local",
        "function",
        "end",
        "if",
        "then",
        "else",
        "elseif",
        "while",
        "do",
        "for",
        "in",
        "repeat",
        "until",
        "return",
        "break",
        "goto",
        "::",
        "x",
        "y",
        "self",
        "=",
        "==",
        "~=",
        "<=",
        ">=",
        "<",
        ">",
        "+",
        "-",
        "*",
        "/",
        "%",
        "^",
        "#",
        "..",
        "...",
        "(",
        ")",
        "{",
        "}",
        "[",
        "]",
        ";",
        ":",
        ",",
        ".",
        "1",
        "0x1p4",
        "1e",
        "3.5",
        "'s'",
        "\"a\\tb\"",
        "[[long]]",
        "[==[x]==]",
        "--c\n",
        "--[[c]]",
        "\n",
        " ",
        "nil",
        "true",
        "false",
        "and",
        "or",
        "not",
        "'\\300'",
        "\"\\x4",
        "[=",
        "\r\n",
        "0x",
    ];
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    for _ in 0..3000 {
        let len = rng.below(40);
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let _ = parse(&bytes, "=fuzz");
        let soup: String = (0..rng.below(60))
            .map(|_| PIECES[rng.below(PIECES.len())])
            .collect::<Vec<_>>()
            .join(if rng.below(2) == 0 { " " } else { "" });
        let _ = parse(soup.as_bytes(), "=fuzz");
        let _ = parse(soup.as_bytes(), &soup);
    }
}
