//! Control packets no honest peer sends — mutated spawn requests, spawn replies and
//! table graphs sent whole — through the packet decoder and the conversion to cube
//! terms, and mutated streams of fragments through a connection's incoming state: every
//! failure is an error value, never a panic (the fuzz targets `dist_packet` and
//! `dist_stream` do the same with arbitrary bytes).

use cube_dist::control::{decode_packet, encode_packet, Control};
use cube_dist::etf::{DecodeLimits, Eterm, ExtPid, ExtRef};
use cube_dist::{NodeId, NodeTable};
use cube_term::Atom;

fn pid(id: u32) -> ExtPid {
    ExtPid {
        node: Atom::new("peer@h"),
        id,
        serial: 0,
        creation: 3,
    }
}

fn seeds() -> Vec<Vec<u8>> {
    let r = ExtRef {
        node: Atom::new("peer@h"),
        creation: 3,
        words: vec![1, 2, 3],
    };
    let table_ref = |i| Eterm::Tuple(vec![Eterm::atom("$cube_table"), Eterm::Int(i)]);
    let graph = Eterm::Tuple(vec![
        Eterm::atom("$cube_tables"),
        Eterm::List(vec![
            Eterm::Tuple(vec![
                Eterm::List(vec![table_ref(0), table_ref(1)]),
                Eterm::List(vec![]),
            ]),
            Eterm::Tuple(vec![
                Eterm::List(vec![Eterm::Int(1)]),
                Eterm::List(vec![Eterm::Tuple(vec![Eterm::atom("k"), table_ref(0)])]),
            ]),
        ]),
        Eterm::List(vec![Eterm::Tuple(vec![
            Eterm::Int(1),
            Eterm::atom("tuple"),
        ])]),
    ]);
    let flags = cube_dist::flags::OURS;
    [
        Control::SpawnRequest {
            req_id: r.clone(),
            from: pid(1),
            group_leader: pid(2),
            module: Atom::new("erpc"),
            function: Atom::new("execute_call"),
            arity: 4,
            options: Eterm::List(vec![Eterm::atom("monitor")]),
            args: Eterm::List(vec![
                Eterm::Ref(r.clone()),
                Eterm::atom("m"),
                Eterm::atom("f"),
                Eterm::List(vec![graph.clone()]),
            ]),
        },
        Control::SpawnReply {
            req_id: r,
            to: pid(1),
            flags: 3,
            result: Eterm::Pid(pid(9)),
        },
        Control::Send {
            from: Some(pid(1)),
            to: pid(2),
            msg: graph,
        },
    ]
    .iter()
    .map(|c| encode_packet(c, flags).unwrap())
    .collect()
}

/// Decodes `bytes` and converts what it carries; any outcome but a panic is fine.
fn exercise(table: &NodeTable, bytes: &[u8]) {
    let Ok(c) = decode_packet(bytes, &DecodeLimits::default()) else {
        return;
    };
    let terms: Vec<Eterm> = match c {
        Control::Send { msg, .. } => vec![msg],
        Control::SpawnRequest { args, options, .. } => vec![args, options],
        Control::SpawnReply { result, .. } => vec![result],
        _ => vec![],
    };
    for t in &terms {
        if let Ok(term) = table.to_term(t) {
            // What converts converts back.
            let _ = table.to_eterm(&term);
        }
    }
}

#[test]
fn mutated_spawn_requests_and_graphs_never_panic() {
    let table = NodeTable::new(NodeId {
        name: Atom::new("cube@h"),
        creation: 7,
    });
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    for seed in seeds() {
        exercise(&table, &seed);
        for _ in 0..3000 {
            let mut m = seed.clone();
            for _ in 0..1 + next() % 4 {
                let i = (next() as usize) % m.len();
                match next() % 3 {
                    0 => m[i] = next() as u8,
                    1 => m.truncate(i.max(1)),
                    _ => m.insert(i, next() as u8),
                }
            }
            exercise(&table, &m);
        }
    }
}

/// A headed packet's body cut into `n` fragments of sequence `seq`.
fn fragments(packet: &[u8], seq: u64, n: usize) -> Vec<Vec<u8>> {
    let body = packet
        .strip_prefix(&[131, b'D', 0])
        .expect("a headed packet");
    let size = body.len().div_ceil(n).max(1);
    body.chunks(size)
        .enumerate()
        .map(|(i, part)| {
            let id = (body.len().div_ceil(size) - i) as u64;
            let mut p = vec![131, if i == 0 { b'E' } else { b'F' }];
            p.extend_from_slice(&seq.to_be_bytes());
            p.extend_from_slice(&id.to_be_bytes());
            if i == 0 {
                p.push(0);
            }
            p.extend_from_slice(part);
            p
        })
        .collect()
}

#[test]
fn mutated_fragment_streams_never_panic() {
    use cube_dist::control::decode_message;
    use cube_dist::dist_header::Incoming;
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let seeds = seeds();
    // Unmutated, interleaved fragments of every seed give back every seed's message.
    let mut incoming = Incoming::new(1 << 20);
    let streams: Vec<Vec<Vec<u8>>> = seeds
        .iter()
        .enumerate()
        .map(|(i, s)| fragments(s, i as u64, 3))
        .collect();
    let mut done = 0;
    for round in 0..3 {
        for s in &streams {
            if let Some(p) = s.get(round) {
                if let Some(m) = incoming.accept(p.clone()).expect("well-formed fragment") {
                    decode_message(&m, &DecodeLimits::default()).expect("a whole message");
                    done += 1;
                }
            }
        }
    }
    assert_eq!(done, seeds.len());
    // Mutated streams: errors, never a panic.
    for _ in 0..2000 {
        let mut incoming = Incoming::new(1 << 16);
        let seed = &seeds[next() as usize % seeds.len()];
        let mut stream = fragments(seed, next() % 4, 1 + next() as usize % 5);
        for _ in 0..1 + next() % 3 {
            let f = next() as usize % stream.len();
            let m = &mut stream[f];
            let i = next() as usize % m.len();
            match next() % 3 {
                0 => m[i] = next() as u8,
                1 => m.truncate(i.max(1)),
                _ => m.insert(i, next() as u8),
            }
        }
        for p in stream {
            match incoming.accept(p) {
                Ok(Some(m)) => {
                    let _ = decode_message(&m, &DecodeLimits::default());
                }
                Ok(None) => {}
                Err(_) => break,
            }
        }
    }
}
