//! Arbitrary bytes as a distribution control packet (what a peer sends after the
//! handshake), then the conversion of what it carries to cube terms and back: spawn
//! requests and table graphs sent whole included. Never a panic.
#![no_main]

use cube_dist::control::{decode_packet, Control};
use cube_dist::etf::DecodeLimits;
use cube_dist::{NodeId, NodeTable};
use cube_term::Atom;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(c) = decode_packet(data, &DecodeLimits::default()) else {
        return;
    };
    let table = NodeTable::new(NodeId {
        name: Atom::new("cube@fuzz"),
        creation: 1,
    });
    let carried = match c {
        Control::Send { msg, .. } | Control::RegSend { msg, .. } => vec![msg],
        Control::SpawnRequest { args, options, .. } => vec![args, options],
        Control::SpawnReply { result, .. } => vec![result],
        Control::Exit { reason, .. } | Control::MonitorExit { reason, .. } => vec![reason],
        _ => Vec::new(),
    };
    for t in &carried {
        if let Ok(term) = table.to_term(t) {
            let _ = table.to_eterm(&term);
        }
    }
});
