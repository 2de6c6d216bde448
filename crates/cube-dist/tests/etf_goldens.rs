//! The codec against bytes made by the real erl (`scripts/regen-dist-goldens` writes
//! goldens/terms.txt; no erl is needed to run this test).
//!
//! For each term: the `utf8` form must decode to the expected value and the encoder must
//! give back exactly erl's bytes; the `latin1` (old atom tags) and `compressed` forms
//! must decode to the same value.

use cube_dist::etf::{decode, encode, BigInt, Eterm, ExtPid, ExtRef};
use cube_term::Atom;
use std::collections::BTreeMap;

fn int(i: i64) -> Eterm {
    Eterm::Int(i)
}

fn remote_pid() -> Eterm {
    Eterm::Pid(ExtPid {
        node: Atom::new("erl@host"),
        id: 87,
        serial: 2,
        creation: 12345,
    })
}

fn remote_ref() -> Eterm {
    Eterm::Ref(ExtRef {
        node: Atom::new("erl@host"),
        creation: 12345,
        words: vec![1, 2, 3],
    })
}

fn expected(name: &str) -> Eterm {
    match name {
        "small_int" => int(42),
        "zero" => int(0),
        "int_255" => int(255),
        "int_256" => int(256),
        "neg_int" => int(-1),
        "int_min32" => int(i32::MIN.into()),
        "int_max32" => int(i32::MAX.into()),
        "int_2_40" => int(1 << 40),
        "neg_2_40" => int(-(1 << 40)),
        "int_max64" => int(i64::MAX),
        "int_min64" => int(i64::MIN),
        "big_2_64" => Eterm::BigInt(BigInt::from_i128(1 << 64)),
        "neg_big_2_64" => Eterm::BigInt(BigInt::from_i128(-(1 << 64))),
        "big_2_2040" => {
            let mut magnitude = vec![0u8; 255];
            magnitude.push(1);
            Eterm::BigInt(BigInt {
                negative: false,
                magnitude,
            })
        }
        "float" => Eterm::Float(2.71),
        "neg_zero_float" => Eterm::Float(-0.0),
        "tiny_float" => Eterm::Float(5.0e-324),
        "atom" => Eterm::atom("hello"),
        "atom_true" => Eterm::atom("true"),
        "atom_unicode" => Eterm::atom("héllo_мир"),
        "atom_empty" => Eterm::atom(""),
        "nil" => Eterm::nil(),
        "string" => Eterm::List(vec![int(97), int(98), int(99)]),
        "list" => Eterm::List(vec![int(1), Eterm::Float(2.5), Eterm::atom("x")]),
        "improper" => Eterm::ImproperList(vec![int(1), int(2)], Box::new(Eterm::atom("three"))),
        "nested_list" => Eterm::List(vec![
            Eterm::List(vec![int(1)]),
            Eterm::List(vec![Eterm::List(vec![int(2)])]),
            Eterm::nil(),
        ]),
        "empty_tuple" => Eterm::tuple(vec![]),
        "tuple" => Eterm::tuple(vec![Eterm::atom("ok"), int(1), Eterm::binary(b"two")]),
        "large_tuple" => Eterm::Tuple((1..=300).map(int).collect()),
        "empty_map" => Eterm::Map(vec![]),
        // erl writes small maps in key order: numbers < atoms < binaries.
        "map" => Eterm::Map(vec![
            (int(3), Eterm::tuple(vec![Eterm::atom("c")])),
            (Eterm::atom("a"), int(1)),
            (Eterm::binary(b"b"), Eterm::List(vec![int(2)])),
        ]),
        "binary" => Eterm::binary(&[1, 2, 3, 255]),
        "empty_binary" => Eterm::binary(&[]),
        "bitstring" => Eterm::BitBinary {
            bytes: [0b1010_0000u8][..].into(),
            bits: 3,
        },
        "bitstring_long" => Eterm::BitBinary {
            bytes: [1u8, 2, 3 << 3][..].into(),
            bits: 5,
        },
        "local_pid" => Eterm::Pid(ExtPid {
            node: Atom::new("nonode@nohost"),
            id: 42,
            serial: 3,
            creation: 0,
        }),
        "remote_pid" => remote_pid(),
        "remote_ref" => remote_ref(),
        "gen_call" => Eterm::tuple(vec![
            Eterm::atom("$gen_call"),
            Eterm::tuple(vec![
                remote_pid(),
                Eterm::ImproperList(vec![Eterm::atom("alias")], Box::new(remote_ref())),
            ]),
            Eterm::tuple(vec![Eterm::atom("is_auth"), Eterm::atom("erl@host")]),
        ]),
        other => panic!("golden {other} has no expected value in this test"),
    }
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn goldens() -> BTreeMap<(String, String), Vec<u8>> {
    let text = include_str!("goldens/terms.txt");
    text.lines()
        .map(|line| {
            let mut parts = line.split(' ');
            let name = parts.next().expect("name").to_owned();
            let form = parts.next().expect("form").to_owned();
            ((name, form), hex(parts.next().expect("hex")))
        })
        .collect()
}

#[test]
fn erl_bytes_decode_to_the_expected_terms_in_every_form() {
    let goldens = goldens();
    assert!(goldens.len() >= 100, "goldens/terms.txt looks truncated");
    for ((name, form), bytes) in &goldens {
        let got = decode(bytes).unwrap_or_else(|e| panic!("{name} {form}: {e}"));
        let want = expected(name);
        // Floats compare by bits (-0.0 must stay -0.0).
        assert_eq!(format!("{got:?}"), format!("{want:?}"), "{name} {form}");
        assert_eq!(got, want, "{name} {form}");
    }
}

#[test]
fn encoding_gives_erls_bytes() {
    for ((name, form), bytes) in goldens() {
        if form == "utf8" {
            let got = encode(&expected(&name)).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(got, bytes, "{name}");
        }
    }
}
