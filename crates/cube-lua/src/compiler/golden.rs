//! Golden tests: every `luac/NAME.lua` is parsed and compiled, and our `luac -l -l` style
//! listing must equal `luac/NAME.luac`, which `scripts/regen-luac-listings` generated
//! with the real `luac5.2` (never run here). Addresses are normalised to `ADDR`.
//!
//! A snippet whose first line contains `-- lines: approximate` is compared without the
//! `[line]` column of its instructions: the AST does not carry the line of every
//! closing token, so some instructions get an earlier line than PUC gives them
//! (see the module documentation of `compiler`).

use super::disassemble_full;
use std::path::Path;

/// Replaces every `0x<hex>` with `ADDR`, as the regen script does.
fn normalise_addresses(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'0' && b.get(i + 1) == Some(&b'x') {
            let mut j = i + 2;
            while j < b.len() && b[j].is_ascii_hexdigit() {
                j += 1;
            }
            if j > i + 2 {
                out.push_str("ADDR");
                i = j;
                continue;
            }
        }
        out.push(b[i] as char);
        i += 1;
    }
    out
}

/// Drops the `[line]` column of an instruction line.
fn without_line(l: &str) -> String {
    let mut parts: Vec<&str> = l.split('\t').collect();
    if parts.len() > 3 && parts[2].starts_with('[') {
        parts.remove(2);
    }
    parts.join("\t")
}

fn check(dir: &Path, name: &str) -> Result<(), String> {
    let src = std::fs::read(dir.join(format!("{name}.lua"))).map_err(|e| e.to_string())?;
    let expected = std::fs::read_to_string(dir.join(format!("{name}.luac")))
        .map_err(|e| format!("{name}.luac: {e} (run scripts/regen-luac-listings)"))?;
    let chunk_name = format!("@{name}.lua");
    let chunk = crate::parser::parse(&src, &chunk_name).map_err(|e| e.to_string())?;
    let proto = super::compile(&chunk, &chunk_name).map_err(|e| e.to_string())?;
    let got = normalise_addresses(&disassemble_full(&proto));
    let approx_lines = String::from_utf8_lossy(&src)
        .lines()
        .next()
        .is_some_and(|l| l.contains("-- lines: approximate"));
    let norm = |l: &str| {
        if approx_lines {
            without_line(l)
        } else {
            l.to_string()
        }
    };
    let exp: Vec<String> = expected
        .lines()
        .filter(|l| !l.is_empty())
        .map(norm)
        .collect();
    let got: Vec<String> = got.lines().filter(|l| !l.is_empty()).map(norm).collect();
    for (i, (e, g)) in exp.iter().zip(&got).enumerate() {
        if e != g {
            return Err(format!("{name}: line {}:\n  luac: {e}\n  ours: {g}", i + 1));
        }
    }
    if exp.len() != got.len() {
        return Err(format!(
            "{name}: {} lines from luac, {} from us",
            exp.len(),
            got.len()
        ));
    }
    Ok(())
}

#[test]
fn listings_match_luac() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/compiler/luac");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("golden directory")
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            e.file_name()
                .to_str()?
                .strip_suffix(".lua")
                .map(String::from)
        })
        .collect();
    names.sort();
    assert!(!names.is_empty());
    let failures: Vec<String> = names.iter().filter_map(|n| check(&dir, n).err()).collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn address_normalisation() {
    assert_eq!(normalise_addresses("at 0x55d0 ; 0xabc)"), "at ADDR ; ADDR)");
    assert_eq!(
        without_line("\t1\t[3]\tMOVE     \t0 1"),
        "\t1\tMOVE     \t0 1"
    );
}
