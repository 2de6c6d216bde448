//! The WebSocket input path of cube-http: any bytes, as a client's frames after the
//! handshake, split into reads at points the input chooses, decoded by the same
//! function the reactor runs (tungstenite under cube's limits). Must never panic,
//! hang, or deliver a message over the limit or text that is not UTF-8; after the
//! connection is over nothing more is delivered.
#![no_main]

use cube_http::ws::{Decoder, Event};
use libfuzzer_sys::fuzz_target;

const MAX: usize = 512;

fuzz_target!(|data: &[u8]| {
    let Some((&split, bytes)) = data.split_first() else {
        return;
    };
    let step = (split as usize % 64) + 1;
    let mut d = Decoder::new(MAX);
    for piece in bytes.chunks(step) {
        d.feed(piece);
        loop {
            match d.read() {
                Event::Text(t) => {
                    assert!(t.len() <= MAX);
                    assert!(std::str::from_utf8(&t).is_ok());
                }
                Event::Binary(b) => assert!(b.len() <= MAX),
                Event::Closed { code, reason } => {
                    assert!(reason.len() <= 123);
                    assert!((1000..5000).contains(&code));
                    assert!(matches!(d.read(), Event::Closed { .. }));
                    return;
                }
                Event::Pending => break,
                Event::Yield => {}
            }
        }
        // What the server answers stays small: pongs and one close.
        assert!(d.take_output().len() <= 64 * 1024);
    }
});
