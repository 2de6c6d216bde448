//! The distribution handshake (erts docs, "Distribution Protocol", "Distribution
//! Handshake"): both sides name themselves and their capabilities, and each proves it
//! knows the shared cookie by answering the other's random challenge with
//! `MD5(cookie ++ decimal(challenge))`.
//!
//! A is the side that connects ([`connect`]), B the side that accepts ([`accept`]):
//!
//! ```text
//! A -> B  send_name            'N' flags:64 creation:32 nlen:16 name   (version 6)
//! B -> A  recv_status          's' "ok" | "ok_simultaneous" | "nok" | "not_allowed" | "alive"
//! B -> A  send_challenge       'N' flags:64 challenge:32 creation:32 nlen:16 name
//! A -> B  send_challenge_reply 'r' challenge:32 digest:128
//! B -> A  send_challenge_ack   'a' digest:128
//! ```
//!
//! B also accepts the version 5 `send_name` of older peers (`'n' version:16 flags:32
//! name`), answering with the old challenge (`'n' 5:16 flags:32 challenge:32 name`), or,
//! if they offer `DFLAG_HANDSHAKE_23`, with the new one followed by their
//! `send_complement` (`'c' flags_high:32 creation:32`). A always speaks version 6, the
//! only version OTP 25 and later accept.
//!
//! Every packet is read with the stream's timeout (set by the caller); every malformed
//! packet is an error, and a wrong digest closes the connection without an answer, as
//! erl does.

use crate::flags;
use crate::framing::{read_handshake_packet, write_handshake_packet};
use md5::{Digest, Md5};
use std::io::{Read, Write};

/// This node, as the handshake presents it.
#[derive(Clone, Debug)]
pub struct Local<'a> {
    /// Full node name, `name@host`.
    pub name: &'a str,
    pub creation: u32,
    pub flags: u64,
    pub cookie: &'a str,
}

/// The other node, as the handshake found it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Peer {
    pub name: String,
    pub flags: u64,
    pub creation: u32,
    /// The handshake version the peer used for its `send_name` (5 or 6).
    pub version: u16,
}

/// What B answers to A's `send_name`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// Go on.
    Ok,
    /// Go on; B drops its own simultaneous attempt to reach A.
    OkSimultaneous,
    /// B's own attempt to reach A wins; A gives up.
    Nok,
    /// B refuses A.
    NotAllowed,
    /// B already has a connection to A: A says whether to replace it.
    Alive,
}

impl Admission {
    fn status(self) -> &'static str {
        match self {
            Admission::Ok => "ok",
            Admission::OkSimultaneous => "ok_simultaneous",
            Admission::Nok => "nok",
            Admission::NotAllowed => "not_allowed",
            Admission::Alive => "alive",
        }
    }
}

/// Why a handshake failed.
#[derive(Debug, thiserror::Error)]
pub enum HandshakeError {
    #[error("handshake I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error("malformed handshake packet ({0})")]
    Malformed(&'static str),
    #[error("handshake version {0} not supported")]
    Version(u16),
    #[error("peer {peer:?} lacks required distribution flags (offered {flags:#x})")]
    Flags { peer: String, flags: u64 },
    #[error("invalid challenge reply from/to node {peer:?} (wrong cookie?)")]
    BadCookie { peer: String },
    #[error("node {peer:?} refused the connection: {status}")]
    Refused { peer: String, status: String },
    #[error("connected to {got:?}, expected {expected:?}")]
    WrongNode { expected: String, got: String },
    #[error("peer name {0:?} is not name@host")]
    BadName(String),
}

/// `MD5(cookie ++ decimal(challenge))`, the answer to a challenge.
pub fn digest(cookie: &str, challenge: u32) -> [u8; 16] {
    let mut h = Md5::new();
    h.update(cookie.as_bytes());
    h.update(challenge.to_string().as_bytes());
    h.finalize().into()
}

/// An unpredictable challenge (from the OS; a hashed clock if that fails).
fn new_challenge() -> u32 {
    let mut b = [0u8; 4];
    if std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut b))
        .is_ok()
    {
        return u32::from_ne_bytes(b);
    }
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.finish() as u32
}

/// A cursor over one handshake packet.
struct Fields<'a>(&'a [u8]);

impl<'a> Fields<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], HandshakeError> {
        if self.0.len() < n {
            return Err(HandshakeError::Malformed("short packet"));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }
    fn u16(&mut self) -> Result<u16, HandshakeError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Result<u32, HandshakeError> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&mut self) -> Result<u64, HandshakeError> {
        Ok(u64::from(self.u32()?) << 32 | u64::from(self.u32()?))
    }
    fn name(&mut self, len: usize) -> Result<String, HandshakeError> {
        let raw = self.take(len)?;
        let name = String::from_utf8(raw.to_vec())
            .map_err(|_| HandshakeError::Malformed("node name not UTF-8"))?;
        if !valid_node_name(&name) {
            return Err(HandshakeError::BadName(name));
        }
        Ok(name)
    }
    fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.0)
    }
    fn end(&self) -> Result<(), HandshakeError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(HandshakeError::Malformed("trailing bytes"))
        }
    }
}

/// `name@host`, both parts non-empty, at most 255 characters (an atom).
pub fn valid_node_name(name: &str) -> bool {
    matches!(name.split_once('@'), Some((n, h)) if !n.is_empty() && !h.is_empty())
        && name.chars().count() <= 255
}

fn put_name_v6(out: &mut Vec<u8>, name: &str) {
    out.extend_from_slice(&(name.len() as u16).to_be_bytes());
    out.extend_from_slice(name.as_bytes());
}

/// B's side: answers the handshake of a node that connected to us. `admit` decides the
/// status from A's name.
pub fn accept<S: Read + Write>(
    s: &mut S,
    local: &Local,
    admit: impl FnOnce(&str) -> Admission,
) -> Result<Peer, HandshakeError> {
    let packet = read_handshake_packet(s)?;
    let mut f = Fields(&packet);
    let mut peer = match f.take(1)?[0] {
        b'N' => {
            let flags = f.u64()?;
            let creation = f.u32()?;
            let len = f.u16()? as usize;
            let name = f.name(len)?;
            f.end()?;
            Peer {
                name,
                flags,
                creation,
                version: 6,
            }
        }
        b'n' => {
            let version = f.u16()?;
            if version != 5 {
                return Err(HandshakeError::Version(version));
            }
            let flags = u64::from(f.u32()?);
            let rest = f.rest();
            let name = Fields(rest).name(rest.len())?;
            Peer {
                name,
                flags,
                creation: 0,
                version: 5,
            }
        }
        _ => return Err(HandshakeError::Malformed("expected send_name")),
    };
    if !flags::acceptable(peer.flags) && peer.flags & flags::HANDSHAKE_23 != 0 {
        write_handshake_packet(s, b"snot_allowed")?;
        return Err(HandshakeError::Flags {
            peer: peer.name,
            flags: peer.flags,
        });
    }
    let admission = admit(&peer.name);
    let mut status = vec![b's'];
    status.extend_from_slice(admission.status().as_bytes());
    write_handshake_packet(s, &status)?;
    match admission {
        Admission::Ok | Admission::OkSimultaneous => {}
        Admission::Nok | Admission::NotAllowed => {
            return Err(HandshakeError::Refused {
                peer: peer.name,
                status: admission.status().into(),
            })
        }
        Admission::Alive => {
            let answer = read_handshake_packet(s)?;
            if answer != b"strue" {
                return Err(HandshakeError::Refused {
                    peer: peer.name,
                    status: "alive (peer kept the old connection)".into(),
                });
            }
        }
    }

    let challenge = new_challenge();
    // A version 5 peer that knows the new handshake gets the new challenge and owes us
    // the high half of its flags and its creation in a send_complement.
    let new_style = peer.version == 6 || peer.flags & flags::HANDSHAKE_23 != 0;
    let mut out = Vec::new();
    if new_style {
        out.push(b'N');
        out.extend_from_slice(&local.flags.to_be_bytes());
        out.extend_from_slice(&challenge.to_be_bytes());
        out.extend_from_slice(&local.creation.to_be_bytes());
        put_name_v6(&mut out, local.name);
    } else {
        out.push(b'n');
        out.extend_from_slice(&5u16.to_be_bytes());
        out.extend_from_slice(&(local.flags as u32).to_be_bytes());
        out.extend_from_slice(&challenge.to_be_bytes());
        out.extend_from_slice(local.name.as_bytes());
    }
    write_handshake_packet(s, &out)?;

    let mut packet = read_handshake_packet(s)?;
    if peer.version == 5 && new_style {
        let mut f = Fields(&packet);
        if f.take(1)?[0] != b'c' {
            return Err(HandshakeError::Malformed("expected send_complement"));
        }
        peer.flags |= u64::from(f.u32()?) << 32;
        peer.creation = f.u32()?;
        f.end()?;
        packet = read_handshake_packet(s)?;
    }
    if !flags::acceptable(peer.flags) {
        return Err(HandshakeError::Flags {
            peer: peer.name,
            flags: peer.flags,
        });
    }
    let mut f = Fields(&packet);
    if f.take(1)?[0] != b'r' {
        return Err(HandshakeError::Malformed("expected send_challenge_reply"));
    }
    let their_challenge = f.u32()?;
    let their_digest = f.take(16)?;
    f.end()?;
    if their_digest != digest(local.cookie, challenge) {
        return Err(HandshakeError::BadCookie { peer: peer.name });
    }
    let mut ack = vec![b'a'];
    ack.extend_from_slice(&digest(local.cookie, their_challenge));
    write_handshake_packet(s, &ack)?;
    Ok(peer)
}

/// A's side: the handshake with node `expected` over a fresh connection to it. If B
/// answers that it still has a connection to us ("alive"), we ask it to replace that
/// one: we are reconnecting because ours is gone.
pub fn connect<S: Read + Write>(
    s: &mut S,
    local: &Local,
    expected: &str,
) -> Result<Peer, HandshakeError> {
    connect_with(s, local, expected, || true)
}

/// [`connect`], where `replace_old` answers B's "alive": true to replace B's connection
/// to us, false to give up (we have a working connection to B after all).
pub fn connect_with<S: Read + Write>(
    s: &mut S,
    local: &Local,
    expected: &str,
    replace_old: impl FnOnce() -> bool,
) -> Result<Peer, HandshakeError> {
    let mut out = vec![b'N'];
    out.extend_from_slice(&local.flags.to_be_bytes());
    out.extend_from_slice(&local.creation.to_be_bytes());
    put_name_v6(&mut out, local.name);
    write_handshake_packet(s, &out)?;

    let status = read_handshake_packet(s)?;
    let status = status
        .strip_prefix(b"s")
        .ok_or(HandshakeError::Malformed("expected recv_status"))?;
    match status {
        b"ok" | b"ok_simultaneous" => {}
        b"alive" if replace_old() => write_handshake_packet(s, b"strue")?,
        b"alive" => {
            write_handshake_packet(s, b"sfalse")?;
            return Err(HandshakeError::Refused {
                peer: expected.into(),
                status: "alive (we keep our connection)".into(),
            });
        }
        other => {
            return Err(HandshakeError::Refused {
                peer: expected.into(),
                status: String::from_utf8_lossy(other).into_owned(),
            })
        }
    }

    let packet = read_handshake_packet(s)?;
    let mut f = Fields(&packet);
    if f.take(1)?[0] != b'N' {
        return Err(HandshakeError::Malformed(
            "expected a version 6 send_challenge",
        ));
    }
    let flags = f.u64()?;
    let challenge = f.u32()?;
    let creation = f.u32()?;
    let len = f.u16()? as usize;
    let name = f.name(len)?;
    f.end()?;
    if name != expected {
        return Err(HandshakeError::WrongNode {
            expected: expected.into(),
            got: name,
        });
    }
    if !flags::acceptable(flags) {
        return Err(HandshakeError::Flags { peer: name, flags });
    }

    let ours = new_challenge();
    let mut reply = vec![b'r'];
    reply.extend_from_slice(&ours.to_be_bytes());
    reply.extend_from_slice(&digest(local.cookie, challenge));
    write_handshake_packet(s, &reply)?;

    // B closes the connection without a word when our digest is wrong: at this step
    // that is what a closed connection means.
    let ack = read_handshake_packet(s).map_err(|e| match e.kind() {
        std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset => {
            HandshakeError::BadCookie { peer: name.clone() }
        }
        _ => HandshakeError::Io(e),
    })?;
    let mut f = Fields(&ack);
    if f.take(1)?[0] != b'a' {
        return Err(HandshakeError::Malformed("expected send_challenge_ack"));
    }
    let their_digest = f.take(16)?;
    f.end()?;
    if their_digest != digest(local.cookie, ours) {
        return Err(HandshakeError::BadCookie { peer: name });
    }
    Ok(Peer {
        name,
        flags,
        creation,
        version: 6,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{TcpListener, TcpStream};

    fn local<'a>(name: &'a str, cookie: &'a str) -> Local<'a> {
        Local {
            name,
            creation: 42,
            flags: flags::OURS,
            cookie,
        }
    }

    fn pair(
        cookie_a: &'static str,
        cookie_b: &'static str,
    ) -> (Result<Peer, HandshakeError>, Result<Peer, HandshakeError>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let b = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            accept(&mut s, &local("b@h", cookie_b), |_| Admission::Ok)
        });
        let mut s = TcpStream::connect(addr).unwrap();
        let a = connect(&mut s, &local("a@h", cookie_a), "b@h");
        drop(s);
        (a, b.join().unwrap())
    }

    #[test]
    fn digest_matches_erlang() {
        // erlang:md5("secret" ++ integer_to_list(1234567))
        assert_eq!(
            digest("secret", 1234567),
            [16, 116, 236, 157, 131, 30, 71, 170, 131, 228, 115, 148, 202, 41, 242, 222]
        );
    }

    #[test]
    fn ours_meet_ours() {
        let (a, b) = pair("c", "c");
        assert_eq!(a.unwrap().name, "b@h");
        let b = b.unwrap();
        assert_eq!((b.name.as_str(), b.creation, b.version), ("a@h", 42, 6));
    }

    #[test]
    fn wrong_cookie_fails_on_both_sides() {
        let (a, b) = pair("c", "d");
        assert!(matches!(b, Err(HandshakeError::BadCookie { .. })), "{b:?}");
        assert!(matches!(a, Err(HandshakeError::BadCookie { .. })), "{a:?}");
    }

    #[test]
    fn version_5_send_name_is_answered_the_old_way() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let b = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            accept(&mut s, &local("b@h", "c"), |_| Admission::Ok)
        });
        let mut s = TcpStream::connect(addr).unwrap();
        let mut name = vec![b'n', 0, 5];
        name.extend_from_slice(&(flags::REQUIRED as u32).to_be_bytes());
        name.extend_from_slice(b"old@h");
        write_handshake_packet(&mut s, &name).unwrap();
        assert_eq!(read_handshake_packet(&mut s).unwrap(), b"sok");
        let challenge = read_handshake_packet(&mut s).unwrap();
        assert_eq!(&challenge[..3], &[b'n', 0, 5]);
        assert_eq!(&challenge[11..], b"b@h");
        let c = u32::from_be_bytes(challenge[7..11].try_into().unwrap());
        let mut reply = vec![b'r', 0, 0, 0, 9];
        reply.extend_from_slice(&digest("c", c));
        write_handshake_packet(&mut s, &reply).unwrap();
        let ack = read_handshake_packet(&mut s).unwrap();
        assert_eq!(ack[1..], digest("c", 9));
        let peer = b.join().unwrap().unwrap();
        assert_eq!((peer.name.as_str(), peer.version), ("old@h", 5));
    }

    #[test]
    fn version_5_send_name_with_handshake_23_gets_the_new_challenge_and_a_complement() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let b = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            accept(&mut s, &local("b@h", "c"), |_| Admission::Ok)
        });
        let mut s = TcpStream::connect(addr).unwrap();
        let low = (flags::REQUIRED | flags::HANDSHAKE_23) as u32;
        let mut name = vec![b'n', 0, 5];
        name.extend_from_slice(&low.to_be_bytes());
        name.extend_from_slice(b"mid@h");
        write_handshake_packet(&mut s, &name).unwrap();
        assert_eq!(read_handshake_packet(&mut s).unwrap(), b"sok");
        let challenge = read_handshake_packet(&mut s).unwrap();
        assert_eq!(challenge[0], b'N');
        let c = u32::from_be_bytes(challenge[9..13].try_into().unwrap());
        // send_complement: the high flag word and our creation.
        let mut complement = vec![b'c'];
        complement.extend_from_slice(&((flags::V4_NC >> 32) as u32).to_be_bytes());
        complement.extend_from_slice(&77u32.to_be_bytes());
        write_handshake_packet(&mut s, &complement).unwrap();
        let mut reply = vec![b'r', 0, 0, 0, 9];
        reply.extend_from_slice(&digest("c", c));
        write_handshake_packet(&mut s, &reply).unwrap();
        assert_eq!(read_handshake_packet(&mut s).unwrap()[1..], digest("c", 9));
        let peer = b.join().unwrap().unwrap();
        assert_eq!((peer.version, peer.creation), (5, 77));
        assert_eq!(peer.flags, u64::from(low) | flags::V4_NC);
    }
}
