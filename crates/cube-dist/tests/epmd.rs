//! EPMD: our name server with our client and with the real erl; our client with the real
//! epmd.

mod common;

use common::{erl, free_port, loopback, unique, wait_for, Proc};
use cube_dist::epmd::{self, EpmdServer, NodeEntry, NODE_TYPE_NORMAL, PROTOCOL_TCP};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;

fn entry(name: &str, port: u16) -> NodeEntry {
    NodeEntry {
        name: name.to_owned(),
        port,
        node_type: NODE_TYPE_NORMAL,
        protocol: PROTOCOL_TCP,
        highest_version: 6,
        lowest_version: 6,
        extra: vec![],
    }
}

#[test]
fn our_client_and_our_server() {
    let server = EpmdServer::bind(loopback(0)).unwrap();
    let addr = server.addr();
    let reg = epmd::register(addr, &entry("alpha", 4242)).unwrap();
    assert_ne!(reg.creation, 0);
    let found = epmd::port_please(addr, "alpha")
        .unwrap()
        .expect("registered");
    assert_eq!(found, entry("alpha", 4242));
    assert_eq!(epmd::port_please(addr, "beta").unwrap(), None);
    assert_eq!(epmd::names(addr).unwrap(), vec![("alpha".to_owned(), 4242)]);
    // A second registration of the name is refused while the first lives.
    assert!(matches!(
        epmd::register(addr, &entry("alpha", 1)),
        Err(epmd::EpmdError::Refused(1))
    ));
    drop(reg);
    wait_for("unregistration", || {
        epmd::port_please(addr, "alpha")
            .unwrap()
            .is_none()
            .then_some(())
    });
}

#[test]
fn garbage_on_our_epmd_port_closes_the_connection() {
    let server = EpmdServer::bind(loopback(0)).unwrap();
    for junk in [
        &b"\x00\x05hello"[..],
        &b"GET / HTTP/1.1\r\n\r\n"[..],
        &b"\xff\xff"[..],             // a long request that never comes
        &b"\x00\x03\x78\x00\x01"[..], // a truncated ALIVE2_REQ
        &[0u8; 0][..],
    ] {
        let mut s = TcpStream::connect(server.addr()).unwrap();
        s.set_read_timeout(Some(common::WAIT)).unwrap();
        s.write_all(junk).unwrap();
        let _ = s.shutdown(std::net::Shutdown::Write);
        let mut rest = Vec::new();
        // The server closes the connection (no reply, or a "not found").
        let _ = s.read_to_end(&mut rest);
        assert!(rest.len() <= 2, "{junk:?} -> {rest:?}");
    }
    // Still serving.
    let _reg = epmd::register(server.addr(), &entry("still", 1)).unwrap();
    assert!(epmd::port_please(server.addr(), "still").unwrap().is_some());
}

#[test]
fn real_erl_registers_with_our_server() {
    let server = EpmdServer::bind(loopback(0)).unwrap();
    let port = server.addr().port();
    let name = unique("epmdreg");
    let node = erl(
        &name,
        "cookie",
        port,
        "{ok, Names} = net_adm:names(), io:format(\"names ~p~n\", [Names]), \
         io:format(\"up~n\"), receive after infinity -> ok end.",
    );
    let line = node.expect("names");
    assert!(line.contains(&name), "{line}");
    node.expect("up");
    let found = epmd::port_please(server.addr(), &name)
        .unwrap()
        .expect("erl registered");
    assert_eq!(found.highest_version, 6);
    assert_eq!(found.node_type, NODE_TYPE_NORMAL);
    drop(node);
    wait_for("erl's registration to go with it", || {
        epmd::port_please(server.addr(), &name)
            .unwrap()
            .is_none()
            .then_some(())
    });
}

#[test]
fn our_client_finds_a_registration_in_the_real_epmd() {
    let port = free_port();
    let mut cmd = Command::new("epmd");
    cmd.args(["-port", &port.to_string()]);
    let _epmd = Proc::spawn(cmd, "epmd");
    let addr = loopback(port);
    wait_for("the real epmd", || epmd::names(addr).ok());
    let name = unique("epmdreal");
    let node = erl(
        &name,
        "cookie",
        port,
        "io:format(\"up~n\"), receive after infinity -> ok end.",
    );
    node.expect("up");
    let found = wait_for("erl's registration", || {
        epmd::port_please(addr, &name).ok().flatten()
    });
    assert_ne!(found.port, 0);
    assert!(epmd::names(addr)
        .unwrap()
        .iter()
        .any(|(n, p)| *n == name && *p == found.port));
    // And our own registration with the real epmd.
    let reg = epmd::register(addr, &entry(&unique("ours"), 5555)).unwrap();
    assert_ne!(reg.creation, 0);
}
