//! The HTTP request path of cube-http: any bytes, split into reads at points the input
//! chooses, fed to the request reader under small limits. Must never panic, hang or
//! hold more than the limits plus one read; every request it completes must respect
//! the body limit, and a refusal must be a 4xx/5xx status.
#![no_main]

use cube_http::request::{Limits, Progress, Reader};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&split, bytes)) = data.split_first() else {
        return;
    };
    let limits = Limits {
        max_header_bytes: 512,
        max_body_bytes: 256,
        ..Limits::default()
    };
    let step = (split as usize % 64) + 1;
    let mut r = Reader::new();
    for piece in bytes.chunks(step) {
        r.feed(piece);
        loop {
            match r.next(&limits) {
                Ok(Progress::Done(req)) => {
                    assert!(req.body.len() <= limits.max_body_bytes);
                    let _ = req.head.keep_alive();
                }
                Ok(Progress::Continue) => {}
                Ok(Progress::Head(_)) => return,
                Ok(Progress::NeedMore) => break,
                Err(rej) => {
                    assert!((400..=505).contains(&rej.status()));
                    return;
                }
            }
        }
    }
});
