//! `cube-cli device forwarder|streamer|queue`: a ZeroMQ device until SIGINT/SIGTERM.

use cube_zmq::{DeviceKind, DeviceSpec};

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Kind {
    Forwarder,
    Streamer,
    Queue,
}

pub fn run(
    kind: Kind,
    frontend: Vec<String>,
    backend: Vec<String>,
    capture: Option<String>,
    curve_keys: Option<String>,
) -> u8 {
    // Before any thread exists, so only the waiting thread sees the signals.
    cube_zmq::block_stop_signals();
    let kind = match kind {
        Kind::Forwarder => DeviceKind::Forwarder,
        Kind::Streamer => DeviceKind::Streamer,
        Kind::Queue => DeviceKind::Queue,
    };
    let curve = match curve_keys {
        Some(path) => Some(cube_zmq::read_key_file(&path)),
        None => cube_zmq::keys_from_env(),
    };
    let curve = match curve.transpose() {
        Ok(c) => c,
        Err(msg) => {
            eprintln!("cube-cli: {msg}");
            return 1;
        }
    };
    let spec = DeviceSpec {
        kind,
        frontend,
        backend,
        capture,
        curve,
    };
    let name = kind.name();
    let result = cube_zmq::run_until_signal(spec, |dev| {
        eprintln!(
            "cube-cli device {name}: frontend {} backend {}",
            dev.frontend_endpoint(),
            dev.backend_endpoint()
        );
    });
    match result {
        Ok(()) => 0,
        Err(msg) => {
            eprintln!("cube-cli: device {name}: {msg}");
            1
        }
    }
}
