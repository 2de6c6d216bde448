//! The reader and printers on the committed corpus and on hostile input: never a
//! panic, never a stack overflow, a clear error where the input is bad. Everything
//! runs on threads with a 1 MiB stack (half of a test thread's), to show that nothing
//! recurses per level of nesting: the pretty printer's bounded recursion
//! (`pretty::MAX_NEST` levels) is the deepest path.

use cube_lfe::{pretty, read_all, roundtrip, shell, write, Read, Reader, Sexpr};
use std::path::Path;

const SMALL_STACK: usize = 1024 * 1024;

fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(SMALL_STACK)
        .spawn(f)
        .expect("thread")
        .join()
        .expect("no panic")
}

#[test]
fn corpus_round_trips() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/lfe/reader");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).expect("corpus") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "lfe") {
            let src = std::fs::read_to_string(&path).expect("input");
            if let Err(e) = roundtrip::check(&src) {
                panic!("{}: {e}", path.display());
            }
            n += 1;
        }
    }
    assert!(n >= 40);
}

/// Reads, prints every way, checks the round trip and drops: on a small stack.
fn survive(src: String) -> Result<usize, String> {
    on_small_stack(move || {
        roundtrip::check(&src)?;
        match read_all(&src) {
            Ok(forms) => {
                for f in &forms {
                    write(f);
                    pretty(f);
                    shell(f);
                }
                Ok(forms.len())
            }
            Err(e) => Err(e.to_string()),
        }
    })
}

/// 100,000 nested parentheses; other constructs nested less deep, to keep the debug
/// test run short (every construct is iterative the same way).
const DEEP: usize = 100_000;
const DEEPISH: usize = 20_000;

#[test]
fn deep_nesting_reads_prints_and_drops() {
    let parens = format!("{}x{}", "(".repeat(DEEP), ")".repeat(DEEP));
    assert_eq!(survive(parens), Ok(1));
    let brackets = format!("{}x{}", "[".repeat(DEEPISH), "]".repeat(DEEPISH));
    assert_eq!(survive(brackets), Ok(1));
    let tuples = format!("{}x{}", "#(".repeat(DEEPISH), ")".repeat(DEEPISH));
    assert_eq!(survive(tuples), Ok(1));
    let maps = format!("{}v{}", "#M(k ".repeat(DEEPISH), ")".repeat(DEEPISH));
    assert_eq!(survive(maps), Ok(1));
    let quotes = format!("{}x", "'`,".repeat(DEEPISH));
    assert_eq!(survive(quotes), Ok(1));
    let dotted = format!("{}x{}", "(a . ".repeat(DEEPISH), ")".repeat(DEEPISH));
    assert_eq!(survive(dotted), Ok(1));
}

#[test]
fn deep_nesting_unclosed_is_an_error() {
    assert_eq!(
        survive("(".repeat(DEEP)),
        Err("1: missing token".to_string())
    );
    assert_eq!(
        survive(format!("{}]", "(".repeat(DEEP))),
        Err("1: illegal ']'".to_string())
    );
}

#[test]
fn deep_values_compare_and_print_on_a_small_stack() {
    on_small_stack(|| {
        let src = format!("{}x{}", "(".repeat(DEEP), ")".repeat(DEEP));
        let a = read_all(&src).expect("reads");
        let b = read_all(&src).expect("reads");
        assert!(a == b);
        let w = write(&a[0]);
        assert_eq!(w.len(), 2 * DEEP + 1);
        // The shell's depth of 30 cuts it short.
        assert_eq!(
            shell(&a[0]),
            format!("{}...{}", "(".repeat(30), ")".repeat(30))
        );
    });
}

#[test]
fn huge_numbers() {
    let ok = "9".repeat(20_000);
    assert_eq!(survive(ok.clone()), Ok(1));
    let forms = read_all(&ok).expect("reads");
    assert_eq!(write(&forms[0]), ok);
    let too_long = "9".repeat(100_001);
    assert!(survive(too_long).unwrap_err().contains("number too long"));
    let hex = format!("#x{}", "f".repeat(200_000));
    assert!(survive(hex).unwrap_err().contains("number too long"));
    let hex_ok = format!("#x{}", "f".repeat(10_000));
    assert_eq!(survive(hex_ok), Ok(1));
    let float = format!("1.{}e5", "0".repeat(50_000));
    assert_eq!(survive(float), Ok(1));
}

#[test]
fn unterminated_tokens() {
    let cases = [
        ("\"abc", "1: illegal characters in \"abc"),
        ("(a \"abc\ndef", "2: illegal characters in \"abc\ndef"),
        ("|abc", "1: illegal characters in |abc"),
        ("\"\"\"\nabc", "2: bad format of triple-quoted string"),
        ("#| abc", "1: bad of format of block comment"),
        ("#\"abc", "1: illegal characters in \"abc"),
        ("#", "1: illegal token #"),
        ("#\\", "1: illegal token #\\"),
        ("'", "1: missing token"),
        ("\"", "1: illegal characters in \""),
    ];
    for (src, want) in cases {
        assert_eq!(survive(src.to_string()), Err(want.to_string()), "{src:?}");
    }
}

#[test]
fn big_inputs() {
    let s = format!("\"{}\"", "x".repeat(1 << 18));
    assert_eq!(survive(s), Ok(1));
    let list = format!("({})", "a ".repeat(1 << 16));
    assert_eq!(survive(list), Ok(1));
    let atom = format!("|{}|", "a".repeat(255));
    assert_eq!(survive(atom), Ok(1));
    let atom = format!("|{}|", "a".repeat(256));
    assert!(survive(atom).unwrap_err().contains("atom too long"));
    let bomb = "#B((1 (size 100000000000)))".to_string();
    assert_eq!(survive(bomb), Err("1: bad binary".to_string()));
    let bomb = "#B((#\"\" (size 100000000000) binary))".to_string();
    assert_eq!(survive(bomb), Err("1: bad binary".to_string()));
}

#[test]
fn every_byte_prefix_of_the_corpus_is_safe() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/lfe/reader");
    for name in [
        "strings.lfe",
        "binaries.lfe",
        "funs_comments.lfe",
        "tuples_maps.lfe",
    ] {
        let src = std::fs::read_to_string(dir.join(name)).expect("input");
        for (i, _) in src.char_indices() {
            let prefix = &src[..i];
            let _ = read_all(prefix);
            // The streaming reader agrees with read_all on complete input.
            let mut r = Reader::new();
            r.feed(prefix);
            r.finish();
            let mut n = 0;
            while let Ok(Read::Form(_)) = r.read() {
                n += 1;
            }
            if let Ok(forms) = read_all(prefix) {
                assert_eq!(n, forms.len(), "{name} prefix {i}");
            }
        }
    }
}

#[test]
fn streaming_reader_waits_for_the_rest_of_a_form() {
    let mut r = Reader::new();
    r.feed("(a b");
    assert_eq!(r.read(), Ok(Read::More));
    r.feed(" c) foo");
    match r.read() {
        Ok(Read::Form(f)) => assert_eq!(write(&f), "(a b c)"),
        other => panic!("{other:?}"),
    }
    // `foo` might go on: the reader waits.
    assert_eq!(r.read(), Ok(Read::More));
    r.feed("bar\n\"str");
    match r.read() {
        Ok(Read::Form(f)) => assert_eq!(f, Sexpr::atom("foobar")),
        other => panic!("{other:?}"),
    }
    assert_eq!(r.read(), Ok(Read::More));
    r.feed("ing\" ; done\n");
    match r.read() {
        Ok(Read::Form(f)) => assert_eq!(pretty(&f), "\"string\""),
        other => panic!("{other:?}"),
    }
    assert_eq!(r.read(), Ok(Read::More));
    r.finish();
    assert_eq!(r.read(), Ok(Read::Eof));
}

#[test]
fn streaming_reader_reports_errors_with_lines_and_recovers() {
    let mut r = Reader::new();
    r.feed("a\nb\n)\n");
    assert!(matches!(r.read(), Ok(Read::Form(_))));
    assert!(matches!(r.read(), Ok(Read::Form(_))));
    let e = r.read().unwrap_err();
    assert_eq!((e.line, e.message.as_str()), (3, "illegal ')'"));
    r.feed("(ok)\n");
    match r.read() {
        Ok(Read::Form(f)) => assert_eq!(write(&f), "(ok)"),
        other => panic!("{other:?}"),
    }
}

/// Inputs the fuzz target found.
#[test]
fn fuzz_findings() {
    // `(comma @)` pretty-prints as `,@` (as in LFE), which reads as comma-at.
    assert!(roundtrip::check("\n\0,\0@\0\n").is_ok());
}
