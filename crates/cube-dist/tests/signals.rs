//! Links, exits and monitors between cube-dist and the real erl, both directions, and a
//! `nodedown` when erl is killed. The Erlang side is tests/erl/dist_peer.erl, compiled
//! with erlc when the test runs.

mod common;

use common::{loopback, short_host, unique, Proc, WAIT};
use crossbeam_channel::Receiver;
use cube_dist::epmd::EpmdServer;
use cube_dist::etf::Eterm;
use cube_dist::{DistConfig, DistEvent, DistNode, Target};
use cube_term::{Atom, Pid, Reference};
use std::process::Command;
use std::time::Instant;

struct Setup {
    node: DistNode,
    events: Receiver<DistEvent>,
    erl: Option<Proc>,
    erl_name: String,
    me: Pid,
    _epmd: EpmdServer,
    beam_dir: std::path::PathBuf,
}

impl Drop for Setup {
    fn drop(&mut self) {
        self.erl.take();
        self.node.stop();
        let _ = std::fs::remove_dir_all(&self.beam_dir);
    }
}

impl Setup {
    fn new() -> Setup {
        let beam_dir = std::env::temp_dir().join(format!("dist-{}", unique("beam")));
        std::fs::create_dir_all(&beam_dir).unwrap();
        let src = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/erl/dist_peer.erl");
        let status = Command::new("erlc")
            .arg("-o")
            .arg(&beam_dir)
            .arg(src)
            .status()
            .expect("erlc");
        assert!(status.success(), "erlc failed");

        let epmd = EpmdServer::bind(loopback(0)).unwrap();
        let port = epmd.addr().port();
        let mut config =
            DistConfig::new(&format!("{}@{}", unique("cubesig"), short_host()), "secret");
        config.epmd_port = port;
        config.start_epmd = false;
        let (node, events) = DistNode::start(config).unwrap();

        let sname = unique("erlsig");
        let mut cmd = Command::new("erl");
        cmd.args([
            "-sname",
            &sname,
            "-setcookie",
            "secret",
            "-noshell",
            "-start_epmd",
            "false",
        ])
        .arg("-pa")
        .arg(&beam_dir)
        .args(["-s", "dist_peer", "start"])
        .env("ERL_EPMD_PORT", port.to_string());
        let erl = Proc::spawn(cmd, &format!("erl {sname}"));
        erl.expect("up");
        Setup {
            node,
            events,
            erl: Some(erl),
            erl_name: format!("{sname}@{}", short_host()),
            me: Pid::new(0, 11, 0),
            _epmd: epmd,
            beam_dir,
        }
    }

    fn erl(&self) -> &Proc {
        self.erl.as_ref().expect("erl running")
    }

    fn me_term(&self) -> Eterm {
        Eterm::Pid(self.node.table().pid_to_wire(self.me).unwrap())
    }

    fn ctl(&self, msg: Eterm) {
        self.node
            .reg_send(self.me, "ctl", &self.erl_name, &msg)
            .expect("reg_send ctl");
    }

    /// The next event; panics after WAIT.
    fn next(&self) -> DistEvent {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let e = self.events.recv_timeout(left).expect("an event in time");
            // Connection events and messages to other names (erl's `global` talks to
            // every new node) are not what these tests look at.
            match e {
                DistEvent::NodeUp(_) | DistEvent::RegMessage { .. } => continue,
                e => return e,
            }
        }
    }

    /// The next message to `me`.
    fn message(&self) -> Eterm {
        match self.next() {
            DistEvent::Message { to, msg, .. } if to == self.me => msg,
            other => panic!("expected a message, got {other:?}"),
        }
    }

    /// Spawns a `{target, Me, Name}` process on erl; its pid.
    fn target(&self, name: &str) -> Pid {
        self.ctl(Eterm::tuple(vec![
            Eterm::atom("target"),
            self.me_term(),
            Eterm::atom(name),
        ]));
        let msg = self.message();
        let pid = msg
            .as_tuple()
            .and_then(|t| t[2].as_pid())
            .expect("{target, Name, Pid}");
        self.node.table().pid_from_wire(pid)
    }
}

#[test]
fn erl_links_and_monitors_a_cube_pid_and_its_exit_arrives() {
    let s = Setup::new();
    s.ctl(Eterm::tuple(vec![Eterm::atom("linker"), s.me_term()]));
    // LINK, MONITOR_P and the message arrive in the order erl sent them.
    let DistEvent::Link { from, to } = s.next() else {
        panic!("expected a link")
    };
    assert_eq!(to, s.me);
    let linker = from;
    let DistEvent::Monitor { from, to, .. } = s.next() else {
        panic!("expected a monitor")
    };
    assert_eq!((from, to), (linker, Target::Pid(s.me)));
    let msg = s.message();
    assert_eq!(
        msg,
        Eterm::tuple(vec![
            Eterm::atom("linked"),
            Eterm::Pid(s.node.table().pid_to_wire(linker).unwrap())
        ])
    );
    s.node
        .send(Some(s.me), linker, &Eterm::atom("die"))
        .unwrap();
    loop {
        match s.next() {
            DistEvent::Exit { from, to, reason } => {
                assert_eq!((from, to, reason), (linker, s.me, Eterm::atom("boom")));
                break;
            }
            // erl may end its monitor of our pid first.
            DistEvent::Demonitor { from, .. } if from == linker => continue,
            other => panic!("expected an exit, got {other:?}"),
        }
    }
    assert_eq!(s.erl().expect("down linker"), "down linker boom");
}

#[test]
fn erl_unlinks_with_unlink_id() {
    let s = Setup::new();
    s.ctl(Eterm::tuple(vec![Eterm::atom("unlinker"), s.me_term()]));
    let DistEvent::Link { from: p, .. } = s.next() else {
        panic!("expected a link")
    };
    s.message(); // {linked, P}
    s.node.send(Some(s.me), p, &Eterm::atom("unlink")).unwrap();
    let DistEvent::Unlink { from, to } = s.next() else {
        panic!("expected an unlink")
    };
    assert_eq!((from, to), (p, s.me));
    assert_eq!(s.message(), Eterm::atom("unlinked"));
    // Unlinked: its end sends no exit to us.
    s.node.send(Some(s.me), p, &Eterm::atom("die")).unwrap();
    assert_eq!(s.erl().expect("down unlinker"), "down unlinker bye");
}

#[test]
fn cube_links_to_an_erl_process_and_its_exit_signal_kills_it() {
    let s = Setup::new();
    let p = s.target("t_link");
    s.node.link(s.me, p).unwrap();
    s.node.exit(s.me, p, &Eterm::atom("crashed")).unwrap();
    assert_eq!(s.erl().expect("down t_link"), "down t_link crashed");
}

#[test]
fn cube_sends_exit2_kill() {
    let s = Setup::new();
    let p = s.target("t_kill");
    s.node.exit2(s.me, p, &Eterm::atom("kill")).unwrap();
    assert_eq!(s.erl().expect("down t_kill"), "down t_kill killed");
}

#[test]
fn cube_monitors_erl_processes_by_pid_and_by_name() {
    let s = Setup::new();
    let by_pid = s.target("t_mon");
    let r1 = Reference::new(0, 1001);
    s.node.monitor(s.me, &Target::Pid(by_pid), r1).unwrap();
    s.node
        .send(Some(s.me), by_pid, &Eterm::atom("die"))
        .unwrap();
    let DistEvent::MonitorExit {
        from,
        to,
        reference,
        reason,
    } = s.next()
    else {
        panic!("expected a monitor exit")
    };
    assert_eq!(
        (from, to, reference, reason),
        (Target::Pid(by_pid), s.me, r1, Eterm::atom("bye"))
    );

    s.target("t_named");
    let r2 = Reference::new(0, 1002);
    let erl_atom = Atom::new(&s.erl_name);
    let named = Target::Name {
        name: Atom::new("t_named"),
        node: erl_atom,
    };
    s.node.monitor(s.me, &named, r2).unwrap();
    s.node
        .reg_send(s.me, "t_named", &s.erl_name, &Eterm::atom("die"))
        .unwrap();
    let DistEvent::MonitorExit {
        from,
        reference,
        reason,
        ..
    } = s.next()
    else {
        panic!("expected a monitor exit")
    };
    assert_eq!((from, reference, reason), (named, r2, Eterm::atom("bye")));

    // A monitor of a name nobody has: noproc at once.
    let r3 = Reference::new(0, 1003);
    let nobody = Target::Name {
        name: Atom::new("nobody"),
        node: erl_atom,
    };
    s.node.monitor(s.me, &nobody, r3).unwrap();
    let DistEvent::MonitorExit {
        reference, reason, ..
    } = s.next()
    else {
        panic!("expected a monitor exit")
    };
    assert_eq!((reference, reason), (r3, Eterm::atom("noproc")));
}

#[test]
fn killing_erl_brings_the_node_down() {
    let mut s = Setup::new();
    let p = s.target("t_any");
    s.node.link(s.me, p).unwrap();
    let erl_atom = Atom::new(&s.erl_name);
    assert!(s.node.nodes().contains(&erl_atom));
    s.erl.take(); // SIGKILL
    loop {
        match s.next() {
            DistEvent::NodeDown { node, .. } if node == erl_atom => break,
            _ => continue,
        }
    }
    assert!(!s.node.nodes().contains(&erl_atom));
}
