//! cube-dist against the real erl: pings both ways, messages both ways, wrong cookies,
//! garbage, ticks. Each test has its own EPMD (our server on a private port, so no test
//! touches a system epmd or another test's names), unique node names, and kills its erl
//! nodes when it ends.

mod common;

use common::{erl, free_port, loopback, short_host, unique, WAIT};
use crossbeam_channel::Receiver;
use cube_dist::epmd::EpmdServer;
use cube_dist::etf::{BigInt, Eterm};
use cube_dist::node::{DistConfig, DistEvent, DistNode, Pong};
use cube_term::{Atom, Pid};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// A cube node with its own EPMD server.
struct Cube {
    node: DistNode,
    events: Receiver<DistEvent>,
    epmd_port: u16,
    _epmd: Option<EpmdServer>,
}

impl Cube {
    fn start(cookie: &str) -> Cube {
        Cube::start_with(cookie, |_| {})
    }

    fn start_with(cookie: &str, tweak: impl FnOnce(&mut DistConfig)) -> Cube {
        let epmd = EpmdServer::bind(loopback(0)).expect("our epmd");
        let mut cube = Cube::start_on(epmd.addr().port(), cookie, tweak);
        cube._epmd = Some(epmd);
        cube
    }

    /// A node using the EPMD on `epmd_port`.
    fn start_on(epmd_port: u16, cookie: &str, tweak: impl FnOnce(&mut DistConfig)) -> Cube {
        let name = format!("{}@{}", unique("cube"), short_host());
        let mut config = DistConfig::new(&name, cookie);
        config.epmd_port = epmd_port;
        config.start_epmd = false;
        tweak(&mut config);
        let (node, events) = DistNode::start(config).expect("start node");
        Cube {
            node,
            events,
            epmd_port,
            _epmd: None,
        }
    }

    fn name(&self) -> String {
        self.node.name().name().to_owned()
    }

    fn epmd_port(&self) -> u16 {
        self.epmd_port
    }

    /// The first event `pick` accepts (others are skipped); panics after [`WAIT`].
    fn expect<T>(&self, what: &str, mut pick: impl FnMut(&DistEvent) -> Option<T>) -> T {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.events.recv_timeout(left) {
                Ok(e) => {
                    if let Some(v) = pick(&e) {
                        return v;
                    }
                }
                Err(_) => panic!("no {what} event within {WAIT:?}"),
            }
        }
    }
}

impl Drop for Cube {
    fn drop(&mut self) {
        self.node.stop();
    }
}

fn erl_node(name: &str) -> String {
    format!("{name}@{}", short_host())
}

/// Erlang source for an atom.
fn quoted(s: &str) -> String {
    format!("'{s}'")
}

/// A message with every kind of term erl and cube-dist exchange.
fn rich_message(me: Eterm) -> Eterm {
    Eterm::tuple(vec![
        Eterm::atom("hello"),
        me,
        Eterm::List(vec![
            Eterm::Int(1),
            Eterm::Float(2.5),
            Eterm::binary(b"bin"),
        ]),
        Eterm::Map(vec![(Eterm::atom("a"), Eterm::Int(-1))]),
        Eterm::Int(1 << 40),
        Eterm::BigInt(BigInt::from_i128(1 << 70)),
        Eterm::ImproperList(vec![Eterm::atom("alias")], Box::new(Eterm::atom("x"))),
        Eterm::atom("héllo"),
        Eterm::binary(&[0, 255, 10]),
        Eterm::tuple(vec![]),
    ])
}

/// The same message as Erlang source, with `Me` bound to the pid inside it.
const RICH_MESSAGE_ERL: &str = "{hello, Me, [1, 2.5, <<\"bin\">>], #{a => -1}, 1 bsl 40, \
    1 bsl 70, [alias | x], 'héllo', <<0, 255, 10>>, {}}";

#[test]
fn erl_pings_cube() {
    let cube = Cube::start("secret");
    let name = unique("erlping");
    let node = erl(
        &name,
        "secret",
        cube.epmd_port(),
        &format!(
            "io:format(\"ping ~p~n\", [net_adm:ping({})]), \
             io:format(\"nodes ~p~n\", [nodes()]), halt().",
            quoted(&cube.name())
        ),
    );
    assert_eq!(node.expect("ping "), "ping pong");
    assert!(node.expect("nodes ").contains(&cube.name()));
    cube.expect("nodeup", |e| match e {
        DistEvent::NodeUp(n) if n.name() == erl_node(&name) => Some(()),
        _ => None,
    });
    // The is_auth call monitored net_kernel: that is this layer's business, not an event
    // for the layer above (which would answer noproc and fail the call).
    cube.expect("nodedown", |e| match e {
        DistEvent::Monitor { .. } | DistEvent::Demonitor { .. } => {
            panic!("net_kernel monitor leaked: {e:?}")
        }
        DistEvent::NodeDown { .. } => Some(()),
        _ => None,
    });
}

#[test]
fn cube_pings_erl() {
    let cube = Cube::start("secret");
    let name = unique("erlpinged");
    let node = erl(
        &name,
        "secret",
        cube.epmd_port(),
        "io:format(\"up~n\"), receive after infinity -> ok end.",
    );
    node.expect("up");
    assert_eq!(cube.node.ping(&erl_node(&name), WAIT), Pong::Pong);
    assert!(cube
        .node
        .nodes()
        .iter()
        .any(|n| n.name() == erl_node(&name)));
    // Again, over the open connection.
    assert_eq!(cube.node.ping(&erl_node(&name), WAIT), Pong::Pong);
    // A node that does not exist.
    assert_eq!(cube.node.ping(&erl_node("nobody_here"), WAIT), Pong::Pang);
}

#[test]
fn erl_sends_to_a_registered_name_on_cube_and_gets_the_exact_term() {
    let cube = Cube::start("secret");
    let name = unique("erlsend");
    let node = erl(
        &name,
        "secret",
        cube.epmd_port(),
        &format!(
            "pong = net_adm:ping({cube}), Me = self(), \
             {{cubename, {cube}}} ! {msg}, io:format(\"sent~n\"), \
             receive after infinity -> ok end.",
            cube = quoted(&cube.name()),
            msg = RICH_MESSAGE_ERL
        ),
    );
    node.expect("sent");
    let (from, msg) = cube.expect("message to cubename", |e| match e {
        DistEvent::RegMessage { from, to, msg } if to.name() == "cubename" => {
            Some((*from, msg.clone()))
        }
        _ => None,
    });
    let wire_from = cube.node.table().pid_to_wire(from).unwrap();
    assert_eq!(wire_from.node.name(), erl_node(&name));
    assert_eq!(msg, rich_message(Eterm::Pid(wire_from)));
}

#[test]
fn large_messages_from_many_erl_processes_arrive_whole() {
    // erl cuts messages over 64 KB into fragments (we offer DFLAG_FRAGMENTS), and the
    // fragments of messages sent at once by different processes interleave on the
    // connection; its atom cache header names the atoms. Each of 8 senders sends 3
    // messages of 300 KB plus atoms of its own, 400 of them across the senders.
    let cube = Cube::start("secret");
    let name = unique("erlfrag");
    let node = erl(
        &name,
        "secret",
        cube.epmd_port(),
        &format!(
            "pong = net_adm:ping({cube}), \
             Send = fun(S) -> [{{cubename, {cube}}} ! \
                 {{big, S, K, [list_to_atom(\"a_\" ++ integer_to_list(S * 50 + I)) || I <- lists:seq(1, 50)], \
                  binary:copy(<<S, K>>, 150000)}} || K <- [1, 2, 3]] end, \
             Ps = [spawn_monitor(fun() -> Send(S) end) || S <- lists:seq(1, 8)], \
             [receive {{'DOWN', R, _, _, _}} -> ok end || {{_, R}} <- Ps], \
             io:format(\"sent~n\"), receive after infinity -> ok end.",
            cube = quoted(&cube.name()),
        ),
    );
    node.expect("sent");
    let mut got = std::collections::BTreeSet::new();
    for _ in 0..24 {
        let msg = cube.expect("a big message", |e| match e {
            DistEvent::RegMessage { to, msg, .. } if to.name() == "cubename" => Some(msg.clone()),
            _ => None,
        });
        let t = msg.as_tuple().expect("{big, S, K, Atoms, Bin}");
        let (Eterm::Int(s), Eterm::Int(k)) = (&t[1], &t[2]) else {
            panic!("{msg:?}")
        };
        let atoms: Vec<Eterm> = (1..=50)
            .map(|i| Eterm::Atom(Atom::new(&format!("a_{}", s * 50 + i))))
            .collect();
        assert_eq!(t[3], Eterm::List(atoms), "atoms of sender {s}");
        let bin: Vec<u8> = [*s as u8, *k as u8].repeat(150_000);
        assert_eq!(t[4], Eterm::binary(&bin), "binary {k} of sender {s}");
        assert!(got.insert((*s, *k)), "message {k} of sender {s} twice");
    }
    assert_eq!(got.len(), 24);
}

#[test]
fn cube_sends_to_an_erl_registered_process_which_echoes_back() {
    let cube = Cube::start("secret");
    let (_node, erl_name) = echo_node(&cube);
    let me = Pid::new(0, 7, 0);
    let me_wire = Eterm::Pid(cube.node.table().pid_to_wire(me).unwrap());
    let msg = rich_message(me_wire.clone());
    cube.node
        .reg_send(
            me,
            "echo",
            &erl_name,
            &Eterm::tuple(vec![me_wire.clone(), msg.clone()]),
        )
        .expect("reg_send");
    let (echo_pid, got) = cube
        .expect("echo", |e| match e {
            DistEvent::Message { to, msg, .. } if *to == me => Some(msg.clone()),
            _ => None,
        })
        .as_tuple()
        .map(|t| (t[1].as_pid().expect("echo pid"), t[2].clone()))
        .expect("{echoed, Pid, M}");
    assert_eq!(got, msg);

    // And by pid, with a cube Term this time.
    let echo = cube.node.table().pid_from_wire(echo_pid);
    let term = cube_term::Term::Tuple(
        vec![
            cube_term::Term::Pid(me),
            cube_term::Term::List(
                vec![cube_term::Term::Int(1), cube_term::Term::binary(b"x")].into(),
            ),
        ]
        .into(),
    );
    cube.node.send_term(Some(me), echo, &term).expect("send");
    let back = cube.expect("second echo", |e| match e {
        DistEvent::Message { to, msg, .. } if *to == me => Some(msg.clone()),
        _ => None,
    });
    let back = cube.node.to_term(&back).expect("a cube term");
    let cube_term::Term::Tuple(items) = back else {
        panic!("not a tuple: {back:?}")
    };
    assert_eq!(items[0], cube_term::Term::atom("echoed"));
    assert_eq!(
        items[2],
        cube_term::Term::List(vec![cube_term::Term::Int(1), cube_term::Term::binary(b"x")].into())
    );
}

#[test]
fn wrong_cookie_is_refused_both_ways() {
    let cube = Cube::start("right");
    let name = unique("erlbadcookie");
    let node = erl(
        &name,
        "wrong",
        cube.epmd_port(),
        &format!(
            "io:format(\"ping ~p~n\", [net_adm:ping({})]), \
             io:format(\"up~n\"), receive after infinity -> ok end.",
            quoted(&cube.name())
        ),
    );
    // erl -> cube: erl gets pang, cube refuses with a clear reason.
    assert_eq!(node.expect("ping "), "ping pang");
    let reason = cube.expect("refusal", |e| match e {
        DistEvent::Refused { reason, .. } => Some(reason.clone()),
        _ => None,
    });
    assert!(reason.contains("invalid challenge reply"), "{reason}");
    node.expect("up");
    // cube -> erl: the handshake fails with the cookie error.
    let err = cube
        .node
        .connect(&erl_node(&name))
        .expect_err("wrong cookie");
    assert!(
        matches!(
            err,
            cube_dist::DistError::Handshake(cube_dist::handshake::HandshakeError::BadCookie { .. })
        ),
        "{err:?}"
    );
    assert_eq!(cube.node.ping(&erl_node(&name), WAIT), Pong::Pang);
    assert!(cube.node.nodes().is_empty());
}

#[test]
fn garbage_on_the_distribution_port_closes_the_connection() {
    let cube = Cube::start("secret");
    let addr = loopback(cube.node.listen_addr().port());
    for junk in [
        &b"GET / HTTP/1.0\r\n\r\n"[..],
        &b"\x00\x01N"[..],
        &b"\xff\xff\xff\xff"[..],
        &b"\x00\x05n\x00\x07ab"[..],
    ] {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(WAIT)).unwrap();
        s.write_all(junk).unwrap();
        let _ = s.shutdown(std::net::Shutdown::Write);
        let mut rest = Vec::new();
        let _ = s.read_to_end(&mut rest);
        assert!(!rest.starts_with(b"\x00\x03sok"), "{junk:?} was accepted");
        cube.expect("refusal", |e| {
            matches!(e, DistEvent::Refused { .. }).then_some(())
        });
    }
    // Still a working node.
    let name = unique("erlafterjunk");
    let node = erl(
        &name,
        "secret",
        cube.epmd_port(),
        &format!(
            "io:format(\"ping ~p~n\", [net_adm:ping({})]), halt().",
            quoted(&cube.name())
        ),
    );
    assert_eq!(node.expect("ping "), "ping pong");
}

#[test]
fn garbage_after_the_handshake_closes_the_connection() {
    let cube = Cube::start("secret");
    let mut s = TcpStream::connect(loopback(cube.node.listen_addr().port())).unwrap();
    s.set_read_timeout(Some(WAIT)).unwrap();
    let peer_name = format!("{}@{}", unique("fake"), short_host());
    let local = cube_dist::handshake::Local {
        name: &peer_name,
        creation: 1,
        flags: cube_dist::flags::OURS,
        cookie: "secret",
    };
    cube_dist::handshake::connect(&mut s, &local, &cube.name()).expect("handshake");
    cube.expect("nodeup", |e| {
        matches!(e, DistEvent::NodeUp(_)).then_some(())
    });
    // A data packet that is not a control message.
    s.write_all(&[0, 0, 0, 3, 112, 131, 200]).unwrap();
    let reason = cube.expect("nodedown", |e| match e {
        DistEvent::NodeDown { reason, .. } => Some(reason.clone()),
        _ => None,
    });
    assert!(reason.contains("protocol error"), "{reason}");
}

#[test]
fn a_silent_peer_is_dropped_after_the_tick_time() {
    let cube = Cube::start_with("secret", |c| c.net_ticktime = Duration::from_secs(2));
    let mut s = TcpStream::connect(loopback(cube.node.listen_addr().port())).unwrap();
    let peer_name = format!("{}@{}", unique("mute"), short_host());
    let local = cube_dist::handshake::Local {
        name: &peer_name,
        creation: 1,
        flags: cube_dist::flags::OURS,
        cookie: "secret",
    };
    cube_dist::handshake::connect(&mut s, &local, &cube.name()).expect("handshake");
    // We say nothing from now on; cube ticks at us (empty packets)...
    let mut buf = [0u8; 4];
    s.set_read_timeout(Some(WAIT)).unwrap();
    s.read_exact(&mut buf).unwrap();
    assert_eq!(buf, [0, 0, 0, 0]);
    // ...and then gives up on us.
    let reason = cube.expect("nodedown", |e| match e {
        DistEvent::NodeDown { reason, .. } => Some(reason.clone()),
        _ => None,
    });
    assert_eq!(reason, "net_tick_timeout");
}

#[test]
fn an_idle_connection_with_erl_stays_up_through_ticks() {
    // Both sides tick every 1.5 s (ticktime 6 s); idle for two and a half tick times.
    let cube = Cube::start_with("secret", |c| c.net_ticktime = Duration::from_secs(6));
    let name = unique("erltick");
    let node = erl(
        &name,
        "secret",
        cube.epmd_port(),
        &format!(
            "net_kernel:set_net_ticktime(6, 0), pong = net_adm:ping({cube}), \
             io:format(\"connected~n\"), timer:sleep(15000), \
             io:format(\"still ~p~n\", [lists:member({cube}, nodes())]), \
             receive after infinity -> ok end.",
            cube = quoted(&cube.name())
        ),
    );
    node.expect("connected");
    assert_eq!(node.expect("still "), "still true");
    assert!(cube
        .node
        .nodes()
        .iter()
        .any(|n| n.name() == erl_node(&name)));
}

#[test]
fn two_cube_nodes_talk_without_erl() {
    let a = Cube::start("secret");
    let b = Cube::start_on(a.epmd_port(), "secret", |_| {});
    assert_eq!(a.node.ping(&b.name(), WAIT), Pong::Pong);
    b.expect("nodeup", |e| match e {
        DistEvent::NodeUp(n) if n.name() == a.name() => Some(()),
        _ => None,
    });
    // A pid of b, as a knows it: b's name and creation, b's own numbers.
    let b_pid_wire = cube_dist::etf::ExtPid {
        node: b.node.name(),
        id: 5,
        serial: 0,
        creation: b.node.creation(),
    };
    let b_pid_at_a = a.node.table().pid_from_wire(b_pid_wire);
    let a_pid = Pid::new(0, 9, 0);
    let msg = rich_message(Eterm::atom("x"));
    a.node.send(Some(a_pid), b_pid_at_a, &msg).unwrap();
    let (from, got) = b.expect("message", |e| match e {
        DistEvent::Message { from, to, msg } if *to == Pid::new(0, 5, 0) => {
            Some((*from, msg.clone()))
        }
        _ => None,
    });
    assert_eq!(got, msg);
    // And back to the sender.
    let from = from.expect("SEND_SENDER carries the sender");
    b.node.send(None, from, &Eterm::atom("back")).unwrap();
    let back = a.expect("reply", |e| match e {
        DistEvent::Message { to, msg, .. } if *to == a_pid => Some(msg.clone()),
        _ => None,
    });
    assert_eq!(back, Eterm::atom("back"));
    // b stops: a sees it go.
    b.node.stop();
    a.expect("nodedown", |e| match e {
        DistEvent::NodeDown { node, .. } if node.name() == b.name() => Some(()),
        _ => None,
    });
}

#[test]
fn a_node_starts_its_own_epmd_when_none_answers_and_erl_uses_it() {
    let port = free_port();
    let cube = Cube::start_on(port, "secret", |c| c.start_epmd = true);
    let name = unique("erlownepmd");
    let node = erl(
        &name,
        "secret",
        port,
        &format!(
            "io:format(\"ping ~p~n\", [net_adm:ping({})]), halt().",
            quoted(&cube.name())
        ),
    );
    assert_eq!(node.expect("ping "), "ping pong");
    assert!(cube_dist::epmd::names(loopback(port))
        .unwrap()
        .iter()
        .any(|(n, _)| cube.name().starts_with(&format!("{n}@"))));
}

#[test]
fn pinging_oneself_is_pong() {
    let cube = Cube::start("secret");
    assert_eq!(cube.node.ping(&cube.name(), WAIT), Pong::Pong);
}

/// An erl node running `echo` ({From, M} -> From ! {echoed, self(), M}); its name.
fn echo_node(cube: &Cube) -> (common::Proc, String) {
    let name = unique("erlecho");
    let node = erl(
        &name,
        "secret",
        cube.epmd_port(),
        "Loop = fun L() -> receive {From, M} -> From ! {echoed, self(), M}, L() end end, \
         register(echo, spawn(Loop)), io:format(\"up~n\"), receive after infinity -> ok end.",
    );
    node.expect("up");
    (node, erl_node(&name))
}

#[test]
fn a_ten_megabyte_binary_goes_there_and_back() {
    let cube = Cube::start("secret");
    let (_node, erl_name) = echo_node(&cube);
    let me = Pid::new(0, 8, 0);
    let me_wire = Eterm::Pid(cube.node.table().pid_to_wire(me).unwrap());
    let big: Vec<u8> = (0..10_000_000u32).map(|i| (i % 251) as u8).collect();
    let msg = Eterm::binary(&big);
    cube.node
        .reg_send(
            me,
            "echo",
            &erl_name,
            &Eterm::tuple(vec![me_wire, msg.clone()]),
        )
        .unwrap();
    let back = cube.expect("echo", |e| match e {
        DistEvent::Message { to, msg, .. } if *to == me => Some(msg.clone()),
        _ => None,
    });
    assert_eq!(back.as_tuple().map(|t| &t[2]), Some(&msg));
}

#[test]
fn many_messages_arrive_in_order() {
    let cube = Cube::start("secret");
    let (_node, erl_name) = echo_node(&cube);
    let me = Pid::new(0, 8, 0);
    let me_wire = Eterm::Pid(cube.node.table().pid_to_wire(me).unwrap());
    let n = 20_000;
    for i in 0..n {
        cube.node
            .reg_send(
                me,
                "echo",
                &erl_name,
                &Eterm::tuple(vec![me_wire.clone(), Eterm::Int(i)]),
            )
            .unwrap();
    }
    for i in 0..n {
        let got = cube.expect("echo", |e| match e {
            DistEvent::Message { to, msg, .. } if *to == me => Some(msg.clone()),
            _ => None,
        });
        assert_eq!(
            got.as_tuple().map(|t| &t[2]),
            Some(&Eterm::Int(i)),
            "message {i}"
        );
    }
}

#[test]
fn a_node_that_reconnects_replaces_its_old_connection() {
    let cube = Cube::start("secret");
    let peer_name = format!("{}@{}", unique("again"), short_host());
    let local = cube_dist::handshake::Local {
        name: &peer_name,
        creation: 1,
        flags: cube_dist::flags::OURS,
        cookie: "secret",
    };
    let addr = loopback(cube.node.listen_addr().port());
    let mut first = TcpStream::connect(addr).unwrap();
    cube_dist::handshake::connect(&mut first, &local, &cube.name()).expect("first");
    cube.expect("nodeup", |e| {
        matches!(e, DistEvent::NodeUp(_)).then_some(())
    });
    // cube still has the first connection: it answers "alive", we say "true".
    let mut second = TcpStream::connect(addr).unwrap();
    cube_dist::handshake::connect(&mut second, &local, &cube.name()).expect("second");
    cube.expect("nodeup", |e| {
        matches!(e, DistEvent::NodeUp(_)).then_some(())
    });
    // The first is closed (after any ticks it had queued).
    first.set_read_timeout(Some(WAIT)).unwrap();
    let mut rest = Vec::new();
    let _ = first.read_to_end(&mut rest);
    assert!(
        rest.iter().all(|&b| b == 0),
        "only ticks on the old connection"
    );
    assert_eq!(cube.node.nodes().len(), 1);
}

#[test]
fn two_cube_nodes_pinging_each_other_at_once_end_with_one_connection() {
    for _ in 0..10 {
        let a = Cube::start("secret");
        let b = Cube::start_on(a.epmd_port(), "secret", |_| {});
        let (na, nb) = (a.node.clone(), b.node.clone());
        let (an, bn) = (a.name(), b.name());
        let t1 = std::thread::spawn(move || na.ping(&bn, WAIT));
        let t2 = std::thread::spawn(move || nb.ping(&an, WAIT));
        let (r1, r2) = (t1.join().unwrap(), t2.join().unwrap());
        if r1 != Pong::Pong || r2 != Pong::Pong {
            // What each side saw, to tell which race was lost.
            let seen = |c: &Cube| {
                c.events
                    .try_iter()
                    .map(|e| format!("{e:?}"))
                    .collect::<Vec<_>>()
            };
            panic!(
                "a={} b={}: {r1:?} {r2:?}\na saw {:?}\nb saw {:?}",
                a.name(),
                b.name(),
                seen(&a),
                seen(&b)
            );
        }
        assert_eq!(a.node.nodes(), vec![b.node.name()]);
        assert_eq!(b.node.nodes(), vec![a.node.name()]);
        // And the one connection works both ways.
        assert_eq!(a.node.ping(&b.name(), WAIT), Pong::Pong);
        assert_eq!(b.node.ping(&a.name(), WAIT), Pong::Pong);
    }
}

/// xorshift64*, fixed seed: failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// An authenticated peer sending mutated control messages: each connection ends with a
/// `nodedown` (a reader that panicked would never report one) and the node keeps working.
#[test]
fn mutated_control_messages_after_the_handshake_never_break_the_node() {
    use cube_dist::control::{encode_packet, Control, ProcName};
    use cube_dist::etf::{ExtPid, ExtRef};
    let cube = Cube::start("secret");
    let peer_name = format!("{}@{}", unique("mutant"), short_host());
    let peer = Atom::new(&peer_name);
    let cube_atom = cube.node.name();
    let pid = |node, id| ExtPid {
        node,
        id,
        serial: 0,
        creation: 1,
    };
    let reference = ExtRef {
        node: peer,
        creation: 1,
        words: vec![1, 2, 3],
    };
    let msg = rich_message(Eterm::Pid(pid(peer, 3)));
    let seeds: Vec<Vec<u8>> = [
        Control::Send {
            from: Some(pid(peer, 1)),
            to: pid(cube_atom, 5),
            msg: msg.clone(),
        },
        Control::RegSend {
            from: pid(peer, 1),
            to: Atom::new("net_kernel"),
            msg: Eterm::tuple(vec![
                Eterm::atom("$gen_call"),
                Eterm::tuple(vec![
                    Eterm::Pid(pid(peer, 1)),
                    Eterm::Ref(reference.clone()),
                ]),
                Eterm::tuple(vec![Eterm::atom("is_auth"), Eterm::Atom(peer)]),
            ]),
        },
        Control::Link {
            from: pid(peer, 1),
            to: pid(cube_atom, 5),
        },
        Control::Unlink {
            id: 3,
            from: pid(peer, 1),
            to: pid(cube_atom, 5),
        },
        Control::Monitor {
            from: pid(peer, 1),
            to: ProcName::Name(Atom::new("x")),
            reference: reference.clone(),
        },
        Control::MonitorExit {
            from: ProcName::Pid(pid(peer, 1)),
            to: pid(cube_atom, 5),
            reference: reference.clone(),
            reason: msg.clone(),
        },
        Control::Exit2 {
            from: pid(peer, 1),
            to: pid(cube_atom, 5),
            reason: msg,
        },
    ]
    .iter()
    .map(|c| encode_packet(c, cube_dist::flags::OURS).unwrap())
    .collect();
    let local = cube_dist::handshake::Local {
        name: &peer_name,
        creation: 1,
        flags: cube_dist::flags::OURS,
        cookie: "secret",
    };
    let addr = loopback(cube.node.listen_addr().port());
    let mut rng = Rng(0x5eed);
    for round in 0..40 {
        let mut s = TcpStream::connect(addr).unwrap();
        cube_dist::handshake::connect(&mut s, &local, &cube.name()).expect("handshake");
        for _ in 0..20 {
            let mut body = seeds[rng.below(seeds.len())].clone();
            for _ in 0..1 + rng.below(3) {
                let at = rng.below(body.len());
                match rng.below(3) {
                    0 => body[at] = rng.next() as u8,
                    1 => body.truncate(at.max(1)),
                    _ => body.insert(at, rng.next() as u8),
                }
            }
            let mut packet = (body.len() as u32).to_be_bytes().to_vec();
            packet.extend_from_slice(&body);
            if s.write_all(&packet).is_err() {
                break; // cube closed it: a protocol error
            }
        }
        drop(s);
        cube.expect(&format!("nodedown of round {round}"), |e| {
            matches!(e, DistEvent::NodeDown { node, .. } if *node == peer).then_some(())
        });
    }
    // Still serving.
    let name = unique("erlaftermutants");
    let node = erl(
        &name,
        "secret",
        cube.epmd_port(),
        &format!(
            "io:format(\"ping ~p~n\", [net_adm:ping({})]), halt().",
            quoted(&cube.name())
        ),
    );
    assert_eq!(node.expect("ping "), "ping pong");
}

#[test]
fn cookie_files_are_shared_with_erl() {
    use std::process::Command;
    let epmd = EpmdServer::bind(loopback(0)).unwrap();
    let home = std::env::temp_dir().join(format!("dist-{}", unique("home")));
    std::fs::create_dir_all(&home).unwrap();
    let path = home.join(".erlang.cookie");
    // Ours first: erl reads it.
    let ours = cube_dist::cookie::read_or_create(&path).unwrap();
    let run_erl = || {
        let mut cmd = Command::new("erl");
        cmd.args([
            "-sname",
            &unique("erlcookie"),
            "-noshell",
            "-start_epmd",
            "false",
        ])
        .args([
            "-eval",
            "io:format(\"cookie ~s~n\", [erlang:get_cookie()]), halt().",
        ])
        .env("ERL_EPMD_PORT", epmd.addr().port().to_string())
        .env("HOME", &home);
        common::Proc::spawn(cmd, "erl cookie")
    };
    assert_eq!(run_erl().expect("cookie "), format!("cookie {ours}"));
    // erl's: we read it.
    std::fs::remove_file(&path).unwrap();
    let line = run_erl().expect("cookie ");
    assert_eq!(
        format!(
            "cookie {}",
            cube_dist::cookie::read_or_create(&path).unwrap()
        ),
        line
    );
    let _ = std::fs::remove_dir_all(&home);
}
