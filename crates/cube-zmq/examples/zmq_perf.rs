//! A plain libzmq peer for `bench/run-zmq` (the "libzmq's own throughput" side of the
//! benchmarks), in the spirit of libzmq's `local_thr`/`remote_thr`:
//!
//! ```text
//! zmq_perf thr COUNT SIZE                 PUSH -> PULL over tcp in one process (2 threads)
//! zmq_perf send KIND ENDPOINT COUNT SIZE  connect and send COUNT messages (KIND: push, pub, dealer)
//! zmq_perf recv KIND ENDPOINT COUNT       connect, receive COUNT messages, print msg/s
//!                                         (KIND: pull, sub, dealer)
//! zmq_perf proxy KIND FRONT BACK          libzmq's zmq_proxy as KIND (streamer, forwarder,
//!                                         queue) until killed: the baseline for devices
//! ```

use std::time::Instant;

fn kind(name: &str) -> zmq::SocketType {
    match name {
        "push" => zmq::PUSH,
        "pull" => zmq::PULL,
        "pub" => zmq::PUB,
        "sub" => zmq::SUB,
        "dealer" => zmq::DEALER,
        other => panic!("unknown socket kind {other}"),
    }
}

fn send(ctx: &zmq::Context, k: &str, ep: &str, count: u64, size: usize) {
    let s = ctx.socket(kind(k)).unwrap();
    s.set_sndhwm(100_000).unwrap();
    s.connect(ep).unwrap();
    let msg = vec![b'x'; size];
    if k == "pub" {
        // Let the subscription arrive before the first message.
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    for _ in 0..count {
        s.send(&msg[..], 0).unwrap();
    }
    // Keep the connection until the receiver has everything.
    std::thread::sleep(std::time::Duration::from_secs(3600));
}

/// Receives up to `count` messages (a PUB/SUB path may drop some at its high-water
/// marks); returns messages per second between the first and the last, and how many.
fn recv(ctx: &zmq::Context, k: &str, ep: &str, count: u64) -> (f64, u64) {
    let s = ctx.socket(kind(k)).unwrap();
    s.set_rcvhwm(100_000).unwrap();
    if k == "sub" {
        s.set_subscribe(b"").unwrap();
    }
    s.connect(ep).unwrap();
    let multipart = k == "dealer"; // through a queue: [routing id, body]
    let mut msg = zmq::Message::new();
    let mut one = |s: &zmq::Socket| -> bool {
        if multipart {
            s.recv_multipart(0).is_ok()
        } else {
            s.recv(&mut msg, 0).is_ok()
        }
    };
    one(&s);
    s.set_rcvtimeo(2000).unwrap();
    let t0 = Instant::now();
    let mut last = t0;
    let mut got = 1;
    while got < count && one(&s) {
        got += 1;
        last = Instant::now();
    }
    ((got - 1) as f64 / (last - t0).as_secs_f64().max(1e-9), got)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let ctx = zmq::Context::new();
    match a.as_slice() {
        ["thr", count, size] => {
            let (count, size): (u64, usize) = (count.parse().unwrap(), size.parse().unwrap());
            let pull = ctx.socket(zmq::PULL).unwrap();
            pull.bind("tcp://127.0.0.1:*").unwrap();
            let ep = pull.get_last_endpoint().unwrap().unwrap();
            let c2 = ctx.clone();
            std::thread::spawn(move || {
                let push = c2.socket(zmq::PUSH).unwrap();
                push.connect(&ep).unwrap();
                let msg = vec![b'x'; size];
                for _ in 0..count {
                    push.send(&msg[..], 0).unwrap();
                }
                std::thread::sleep(std::time::Duration::from_secs(3600));
            });
            let mut msg = zmq::Message::new();
            pull.recv(&mut msg, 0).unwrap();
            let t0 = Instant::now();
            for _ in 1..count {
                pull.recv(&mut msg, 0).unwrap();
            }
            let rate = (count - 1) as f64 / t0.elapsed().as_secs_f64();
            println!("{rate:.0}");
            std::process::exit(0);
        }
        ["send", k, ep, count, size] => {
            send(&ctx, k, ep, count.parse().unwrap(), size.parse().unwrap())
        }
        ["recv", k, ep, count] => {
            let (rate, got) = recv(&ctx, k, ep, count.parse().unwrap());
            println!("{rate:.0} {got}");
            std::process::exit(0);
        }
        ["proxy", k, front, back] => {
            let (ft, bt) = match *k {
                "streamer" => (zmq::PULL, zmq::PUSH),
                "forwarder" => (zmq::XSUB, zmq::XPUB),
                "queue" => (zmq::ROUTER, zmq::DEALER),
                other => panic!("unknown proxy {other}"),
            };
            let f = ctx.socket(ft).unwrap();
            let b = ctx.socket(bt).unwrap();
            f.bind(front).unwrap();
            b.bind(back).unwrap();
            eprintln!("proxy {k}: frontend {front} backend {back}");
            zmq::proxy(&f, &b).unwrap();
        }
        _ => {
            eprintln!("usage: see the source of crates/cube-zmq/examples/zmq_perf.rs");
            std::process::exit(2);
        }
    }
}
