//! Control messages (erts docs, "Distribution Protocol", "Protocol between connected
//! nodes"): the tuple at the head of every packet that says what the packet means, and,
//! for some, the message term that follows it.
//!
//! A packet is `112` (pass through, what we send) or a distribution header (atom cache,
//! fragments: `dist_header.rs`, what erl sends), then the control term, and for the sending kinds (and the `PAYLOAD_` exits, whose reason
//! travels as the message) a second term. Both are complete ETF terms with their
//! version byte.

use crate::dist_header::Message;
use crate::etf::{self, DecodeLimits, Eterm, ExtPid, ExtRef};
use cube_term::Atom;

/// The byte before the control term when no distribution header is used.
pub const PASS_THROUGH: u8 = 112;

const LINK: i64 = 1;
const SEND: i64 = 2;
const EXIT: i64 = 3;
const UNLINK: i64 = 4;
const NODE_LINK: i64 = 5;
const REG_SEND: i64 = 6;
const GROUP_LEADER: i64 = 7;
const EXIT2: i64 = 8;
const SEND_TT: i64 = 12;
const EXIT_TT: i64 = 13;
const REG_SEND_TT: i64 = 16;
const EXIT2_TT: i64 = 18;
const MONITOR_P: i64 = 19;
const DEMONITOR_P: i64 = 20;
const MONITOR_P_EXIT: i64 = 21;
const SEND_SENDER: i64 = 22;
const SEND_SENDER_TT: i64 = 23;
const PAYLOAD_EXIT: i64 = 24;
const PAYLOAD_EXIT_TT: i64 = 25;
const PAYLOAD_EXIT2: i64 = 26;
const PAYLOAD_EXIT2_TT: i64 = 27;
const PAYLOAD_MONITOR_P_EXIT: i64 = 28;
const SPAWN_REQUEST: i64 = 29;
const SPAWN_REQUEST_TT: i64 = 30;
const SPAWN_REPLY: i64 = 31;
const SPAWN_REPLY_TT: i64 = 32;
const ALIAS_SEND: i64 = 33;
const ALIAS_SEND_TT: i64 = 34;
const UNLINK_ID: i64 = 35;
const UNLINK_ID_ACK: i64 = 36;

/// A process named by pid or by registered name (monitors may name either).
#[derive(Clone, Debug, PartialEq)]
pub enum ProcName {
    Pid(ExtPid),
    Name(Atom),
}

/// One decoded packet. Trace tokens (`_TT` variants) are dropped: we do not trace.
#[derive(Clone, Debug, PartialEq)]
pub enum Control {
    /// `SEND` (no sender) and `SEND_SENDER`.
    Send {
        from: Option<ExtPid>,
        to: ExtPid,
        msg: Eterm,
    },
    RegSend {
        from: ExtPid,
        to: Atom,
        msg: Eterm,
    },
    AliasSend {
        from: ExtPid,
        alias: ExtRef,
        msg: Eterm,
    },
    Link {
        from: ExtPid,
        to: ExtPid,
    },
    /// The old `UNLINK` (id 0) or `UNLINK_ID`, which the receiver acknowledges.
    Unlink {
        id: u64,
        from: ExtPid,
        to: ExtPid,
    },
    UnlinkAck {
        id: u64,
        from: ExtPid,
        to: ExtPid,
    },
    /// An exit signal over a link (`EXIT`, `PAYLOAD_EXIT`).
    Exit {
        from: ExtPid,
        to: ExtPid,
        reason: Eterm,
    },
    /// `exit(Pid, Reason)` (`EXIT2`, `PAYLOAD_EXIT2`).
    Exit2 {
        from: ExtPid,
        to: ExtPid,
        reason: Eterm,
    },
    Monitor {
        from: ExtPid,
        to: ProcName,
        reference: ExtRef,
    },
    Demonitor {
        from: ExtPid,
        to: ProcName,
        reference: ExtRef,
    },
    /// `spawn_request(Node, Module, Function, Args, Options)` from another node
    /// (`SPAWN_REQUEST`; erpc and rpc:call of OTP 23+ use it): the arguments come as
    /// the payload.
    SpawnRequest {
        req_id: ExtRef,
        from: ExtPid,
        group_leader: ExtPid,
        module: Atom,
        function: Atom,
        arity: i64,
        options: Eterm,
        args: Eterm,
    },
    /// The answer to a spawn request: `result` is the new pid, or an error atom;
    /// `flags` has bit 0 set when a link was made, bit 1 when a monitor was.
    SpawnReply {
        req_id: ExtRef,
        to: ExtPid,
        flags: i64,
        result: Eterm,
    },
    /// The monitored process ended (`MONITOR_P_EXIT`, `PAYLOAD_MONITOR_P_EXIT`).
    MonitorExit {
        from: ProcName,
        to: ExtPid,
        reference: ExtRef,
        reason: Eterm,
    },
    /// Control messages we accept and ignore (`NODE_LINK`, `GROUP_LEADER`, spawn
    /// requests...): the operation number.
    Ignored(i64),
}

/// Why a packet is not a control message.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error("{0}")]
    Header(#[from] crate::dist_header::HeaderError),
    #[error("packet is the first fragment of a longer message")]
    Unfinished,
    #[error("bad term in packet: {0}")]
    Term(#[from] etf::DecodeError),
    #[error("malformed control message (operation {0})")]
    Malformed(i64),
    #[error("control message is not a tuple starting with an operation")]
    NotControl,
    #[error("trailing bytes after the packet's terms")]
    Trailing,
    #[error("cannot encode: {0}")]
    Encode(#[from] etf::EncodeError),
}

/// Decodes a data packet (after its length).
pub fn decode_packet(packet: &[u8], limits: &DecodeLimits) -> Result<Control, ControlError> {
    // A packet on its own: a header may only name atoms it brings (a fresh cache).
    let m = crate::dist_header::Incoming::new(packet.len())
        .accept(packet.to_vec())?
        .ok_or(ControlError::Unfinished)?;
    decode_message(&m, limits)
}

/// Decodes a message's control term and its message term, as `dist_header::Incoming`
/// gives them whole: after the pass-through byte each term has its version byte; after a
/// distribution header none has, and they may name the header's atoms.
pub fn decode_message(m: &Message, limits: &DecodeLimits) -> Result<Control, ControlError> {
    let term = |bytes: &[u8]| match &m.atoms {
        None => etf::decode_prefix(bytes, limits),
        Some(atoms) => etf::decode_headed_prefix(bytes, limits, atoms),
    };
    let rest = m.body();
    let (control, used) = term(rest)?;
    let rest = &rest[used..];
    let msg = if rest.is_empty() {
        None
    } else {
        let (msg, used) = term(rest)?;
        if used != rest.len() {
            return Err(etf::DecodeError::TrailingBytes(rest.len() - used).into());
        }
        Some(msg)
    };
    let items = control.as_tuple().ok_or(ControlError::NotControl)?;
    let op = match items.first() {
        Some(Eterm::Int(op)) => *op,
        _ => return Err(ControlError::NotControl),
    };
    let bad = || ControlError::Malformed(op);
    let pid = |i: usize| items.get(i).and_then(Eterm::as_pid).ok_or_else(bad);
    let reference = |i: usize| match items.get(i) {
        Some(Eterm::Ref(r)) => Ok(r.clone()),
        _ => Err(bad()),
    };
    let proc_name = |i: usize| match items.get(i) {
        Some(Eterm::Pid(p)) => Ok(ProcName::Pid(*p)),
        Some(Eterm::Atom(a)) => Ok(ProcName::Name(*a)),
        _ => Err(bad()),
    };
    let term = |i: usize| items.get(i).cloned().ok_or_else(bad);
    let id = |i: usize| match items.get(i) {
        Some(Eterm::Int(n)) if *n >= 0 => Ok(*n as u64),
        Some(Eterm::BigInt(b)) if !b.negative && b.magnitude.len() <= 8 => {
            let mut le = [0u8; 8];
            le[..b.magnitude.len()].copy_from_slice(&b.magnitude);
            Ok(u64::from_le_bytes(le))
        }
        _ => Err(bad()),
    };
    let mut msg = msg;
    let mut payload = || msg.take().ok_or_else(bad);
    let control = match op {
        SEND | SEND_TT => Control::Send {
            from: None,
            to: pid(2)?,
            msg: payload()?,
        },
        SEND_SENDER | SEND_SENDER_TT => Control::Send {
            from: Some(pid(1)?),
            to: pid(2)?,
            msg: payload()?,
        },
        REG_SEND | REG_SEND_TT => Control::RegSend {
            from: pid(1)?,
            to: items.get(3).and_then(Eterm::as_atom).ok_or_else(bad)?,
            msg: payload()?,
        },
        ALIAS_SEND | ALIAS_SEND_TT => Control::AliasSend {
            from: pid(1)?,
            alias: reference(2)?,
            msg: payload()?,
        },
        LINK => Control::Link {
            from: pid(1)?,
            to: pid(2)?,
        },
        UNLINK => Control::Unlink {
            id: 0,
            from: pid(1)?,
            to: pid(2)?,
        },
        UNLINK_ID => Control::Unlink {
            id: id(1)?,
            from: pid(2)?,
            to: pid(3)?,
        },
        UNLINK_ID_ACK => Control::UnlinkAck {
            id: id(1)?,
            from: pid(2)?,
            to: pid(3)?,
        },
        EXIT | EXIT_TT => Control::Exit {
            from: pid(1)?,
            to: pid(2)?,
            reason: term(3)?,
        },
        PAYLOAD_EXIT | PAYLOAD_EXIT_TT => Control::Exit {
            from: pid(1)?,
            to: pid(2)?,
            reason: payload()?,
        },
        EXIT2 | EXIT2_TT => Control::Exit2 {
            from: pid(1)?,
            to: pid(2)?,
            reason: term(3)?,
        },
        PAYLOAD_EXIT2 | PAYLOAD_EXIT2_TT => Control::Exit2 {
            from: pid(1)?,
            to: pid(2)?,
            reason: payload()?,
        },
        MONITOR_P => Control::Monitor {
            from: pid(1)?,
            to: proc_name(2)?,
            reference: reference(3)?,
        },
        DEMONITOR_P => Control::Demonitor {
            from: pid(1)?,
            to: proc_name(2)?,
            reference: reference(3)?,
        },
        MONITOR_P_EXIT => Control::MonitorExit {
            from: proc_name(1)?,
            to: pid(2)?,
            reference: reference(3)?,
            reason: term(4)?,
        },
        PAYLOAD_MONITOR_P_EXIT => Control::MonitorExit {
            from: proc_name(1)?,
            to: pid(2)?,
            reference: reference(3)?,
            reason: payload()?,
        },
        SPAWN_REQUEST | SPAWN_REQUEST_TT => {
            let mfa = items.get(4).and_then(Eterm::as_tuple).ok_or_else(bad)?;
            let [Eterm::Atom(module), Eterm::Atom(function), Eterm::Int(arity)] = mfa else {
                return Err(bad());
            };
            Control::SpawnRequest {
                req_id: reference(1)?,
                from: pid(2)?,
                group_leader: pid(3)?,
                module: *module,
                function: *function,
                arity: *arity,
                options: term(5)?,
                args: payload()?,
            }
        }
        SPAWN_REPLY | SPAWN_REPLY_TT => Control::SpawnReply {
            req_id: reference(1)?,
            to: pid(2)?,
            flags: match items.get(3) {
                Some(Eterm::Int(f)) => *f,
                _ => return Err(bad()),
            },
            result: term(4)?,
        },
        NODE_LINK | GROUP_LEADER => Control::Ignored(op),
        other => Control::Ignored(other),
    };
    // A message left over means a sending kind we did not consume it for.
    if msg.is_some() && !matches!(control, Control::Ignored(_)) {
        return Err(ControlError::Trailing);
    }
    Ok(control)
}

/// Encodes `c` as a data packet body (without the length), for a peer with `peer_flags`
/// (exit reasons go as payloads when it has `DFLAG_EXIT_PAYLOAD`).
pub fn encode_packet(c: &Control, peer_flags: u64) -> Result<Vec<u8>, ControlError> {
    let (control, msg) = control_terms(c, peer_flags);
    assemble(control, msg, false, peer_flags)
}

/// [`encode_packet`] with the four-byte length in front: what goes on the wire.
pub fn encode_framed(c: &Control, peer_flags: u64) -> Result<Vec<u8>, ControlError> {
    let (control, msg) = control_terms(c, peer_flags);
    assemble(control, msg, true, peer_flags)
}

/// The framed packet of `SEND`/`SEND_SENDER` of a borrowed message (no copy of it).
pub fn encode_send(
    from: Option<ExtPid>,
    to: ExtPid,
    msg: &Eterm,
    peer_flags: u64,
) -> Result<Vec<u8>, ControlError> {
    assemble(
        send_header(from, to, peer_flags),
        Some(msg),
        true,
        peer_flags,
    )
}

/// The framed packet of `REG_SEND` of a borrowed message (no copy of it).
pub fn encode_reg_send(
    from: ExtPid,
    to: Atom,
    msg: &Eterm,
    peer_flags: u64,
) -> Result<Vec<u8>, ControlError> {
    assemble(reg_send_header(from, to), Some(msg), true, peer_flags)
}

fn send_header(from: Option<ExtPid>, to: ExtPid, peer_flags: u64) -> Vec<Eterm> {
    match from {
        // Older peers get SEND, without the sender.
        Some(from) if peer_flags & crate::flags::SEND_SENDER != 0 => {
            vec![Eterm::Int(SEND_SENDER), Eterm::Pid(from), Eterm::Pid(to)]
        }
        _ => vec![Eterm::Int(SEND), Eterm::atom(""), Eterm::Pid(to)],
    }
}

fn reg_send_header(from: ExtPid, to: Atom) -> Vec<Eterm> {
    vec![
        Eterm::Int(REG_SEND),
        Eterm::Pid(from),
        Eterm::atom(""),
        Eterm::Atom(to),
    ]
}

/// The header, the control tuple and the message, with the packet length in front if
/// `framed`. The header is the pass-through byte, or, for a peer that takes distribution
/// headers (erl then refuses pass-through), one naming no cached atoms.
fn assemble(
    control: Vec<Eterm>,
    msg: Option<&Eterm>,
    framed: bool,
    peer_flags: u64,
) -> Result<Vec<u8>, ControlError> {
    let mut out = Vec::new();
    if framed {
        out.extend_from_slice(&[0; 4]);
    }
    if peer_flags & crate::flags::DIST_HDR_ATOM_CACHE != 0 {
        out.extend_from_slice(&crate::dist_header::EMPTY_NORMAL_HEADER);
        etf::encode_body_into(&mut out, &Eterm::Tuple(control))?;
        if let Some(m) = msg {
            etf::encode_body_into(&mut out, m)?;
        }
    } else {
        out.push(PASS_THROUGH);
        etf::encode_into(&mut out, &Eterm::Tuple(control))?;
        if let Some(m) = msg {
            etf::encode_into(&mut out, m)?;
        }
    }
    if framed {
        let len = u32::try_from(out.len() - 4).map_err(|_| etf::EncodeError::TooLarge)?;
        out[..4].copy_from_slice(&len.to_be_bytes());
    }
    Ok(out)
}

/// The control tuple's elements and the message (or payload) that follows it.
fn control_terms(c: &Control, peer_flags: u64) -> (Vec<Eterm>, Option<&Eterm>) {
    use crate::flags::{EXIT_PAYLOAD, UNLINK_ID as UNLINK_ID_FLAG};
    let int = Eterm::Int;
    let pid = |p: &ExtPid| Eterm::Pid(*p);
    let name = |n: &ProcName| match n {
        ProcName::Pid(p) => Eterm::Pid(*p),
        ProcName::Name(a) => Eterm::Atom(*a),
    };
    let payload_exits = peer_flags & EXIT_PAYLOAD != 0;
    // Older peers get the older form: UNLINK without an id.
    let unlink_id = peer_flags & UNLINK_ID_FLAG != 0;
    match c {
        Control::Send { from, to, msg } => (send_header(*from, *to, peer_flags), Some(msg)),
        Control::RegSend { from, to, msg } => (reg_send_header(*from, *to), Some(msg)),
        Control::AliasSend { from, alias, msg } => (
            vec![int(ALIAS_SEND), pid(from), Eterm::Ref(alias.clone())],
            Some(msg),
        ),
        Control::Link { from, to } => (vec![int(LINK), pid(from), pid(to)], None),
        Control::Unlink { id, from, to } if unlink_id => {
            (vec![int(UNLINK_ID), id_term(*id), pid(from), pid(to)], None)
        }
        Control::Unlink { from, to, .. } => (vec![int(UNLINK), pid(from), pid(to)], None),
        Control::UnlinkAck { id, from, to } => (
            vec![int(UNLINK_ID_ACK), id_term(*id), pid(from), pid(to)],
            None,
        ),
        Control::Exit { from, to, reason } if payload_exits => {
            (vec![int(PAYLOAD_EXIT), pid(from), pid(to)], Some(reason))
        }
        Control::Exit { from, to, reason } => {
            (vec![int(EXIT), pid(from), pid(to), reason.clone()], None)
        }
        Control::Exit2 { from, to, reason } if payload_exits => {
            (vec![int(PAYLOAD_EXIT2), pid(from), pid(to)], Some(reason))
        }
        Control::Exit2 { from, to, reason } => {
            (vec![int(EXIT2), pid(from), pid(to), reason.clone()], None)
        }
        Control::Monitor {
            from,
            to,
            reference,
        } => (
            vec![
                int(MONITOR_P),
                pid(from),
                name(to),
                Eterm::Ref(reference.clone()),
            ],
            None,
        ),
        Control::Demonitor {
            from,
            to,
            reference,
        } => (
            vec![
                int(DEMONITOR_P),
                pid(from),
                name(to),
                Eterm::Ref(reference.clone()),
            ],
            None,
        ),
        Control::MonitorExit {
            from,
            to,
            reference,
            reason,
        } if payload_exits => (
            vec![
                int(PAYLOAD_MONITOR_P_EXIT),
                name(from),
                pid(to),
                Eterm::Ref(reference.clone()),
            ],
            Some(reason),
        ),
        Control::MonitorExit {
            from,
            to,
            reference,
            reason,
        } => (
            vec![
                int(MONITOR_P_EXIT),
                name(from),
                pid(to),
                Eterm::Ref(reference.clone()),
                reason.clone(),
            ],
            None,
        ),
        Control::SpawnRequest {
            req_id,
            from,
            group_leader,
            module,
            function,
            arity,
            options,
            args,
        } => (
            vec![
                int(SPAWN_REQUEST),
                Eterm::Ref(req_id.clone()),
                pid(from),
                pid(group_leader),
                Eterm::Tuple(vec![
                    Eterm::Atom(*module),
                    Eterm::Atom(*function),
                    int(*arity),
                ]),
                options.clone(),
            ],
            Some(args),
        ),
        Control::SpawnReply {
            req_id,
            to,
            flags,
            result,
        } => (
            vec![
                int(SPAWN_REPLY),
                Eterm::Ref(req_id.clone()),
                pid(to),
                int(*flags),
                result.clone(),
            ],
            None,
        ),
        Control::Ignored(op) => (vec![int(*op)], None),
    }
}

fn id_term(id: u64) -> Eterm {
    match i64::try_from(id) {
        Ok(i) => Eterm::Int(i),
        Err(_) => Eterm::BigInt(etf::BigInt::from_i128(id.into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(id: u32) -> ExtPid {
        ExtPid {
            node: Atom::new("n@h"),
            id,
            serial: 0,
            creation: 1,
        }
    }

    fn r() -> ExtRef {
        ExtRef {
            node: Atom::new("n@h"),
            creation: 1,
            words: vec![1, 2, 3],
        }
    }

    #[test]
    fn every_kind_round_trips_with_and_without_exit_payloads() {
        let reason = Eterm::atom("normal");
        let cases = vec![
            Control::Send {
                from: None,
                to: p(1),
                msg: Eterm::Int(5),
            },
            Control::Send {
                from: Some(p(2)),
                to: p(1),
                msg: Eterm::Int(5),
            },
            Control::RegSend {
                from: p(2),
                to: Atom::new("name"),
                msg: Eterm::nil(),
            },
            Control::AliasSend {
                from: p(2),
                alias: r(),
                msg: Eterm::nil(),
            },
            Control::Link {
                from: p(1),
                to: p(2),
            },
            Control::Unlink {
                id: u64::MAX,
                from: p(1),
                to: p(2),
            },
            Control::UnlinkAck {
                id: 7,
                from: p(1),
                to: p(2),
            },
            Control::Exit {
                from: p(1),
                to: p(2),
                reason: reason.clone(),
            },
            Control::Exit2 {
                from: p(1),
                to: p(2),
                reason: reason.clone(),
            },
            Control::Monitor {
                from: p(1),
                to: ProcName::Name(Atom::new("reg")),
                reference: r(),
            },
            Control::Demonitor {
                from: p(1),
                to: ProcName::Pid(p(3)),
                reference: r(),
            },
            Control::MonitorExit {
                from: ProcName::Pid(p(3)),
                to: p(1),
                reference: r(),
                reason,
            },
            Control::SpawnRequest {
                req_id: r(),
                from: p(1),
                group_leader: p(2),
                module: Atom::new("erpc"),
                function: Atom::new("execute_call"),
                arity: 4,
                options: Eterm::List(vec![Eterm::atom("monitor")]),
                args: Eterm::List(vec![Eterm::Int(1), Eterm::atom("m")]),
            },
            Control::SpawnReply {
                req_id: r(),
                to: p(1),
                flags: 2,
                result: Eterm::Pid(p(4)),
            },
        ];
        let modern = crate::flags::SEND_SENDER | crate::flags::UNLINK_ID;
        for flags in [modern, modern | crate::flags::EXIT_PAYLOAD] {
            for c in &cases {
                let bytes = encode_packet(c, flags).unwrap();
                let back = decode_packet(&bytes, &DecodeLimits::default()).unwrap();
                assert_eq!(&back, c, "flags {flags}");
            }
        }
    }

    #[test]
    fn borrowed_sends_frame_like_the_owned_ones() {
        let flags = crate::flags::OURS;
        let msg = Eterm::List(vec![Eterm::Int(1); 3]);
        let owned = Control::Send {
            from: Some(p(2)),
            to: p(1),
            msg: msg.clone(),
        };
        let framed = encode_framed(&owned, flags).unwrap();
        assert_eq!(framed, encode_send(Some(p(2)), p(1), &msg, flags).unwrap());
        assert_eq!(framed[4..], encode_packet(&owned, flags).unwrap());
        assert_eq!(
            u32::from_be_bytes(framed[..4].try_into().unwrap()) as usize,
            framed.len() - 4
        );
        let reg = Control::RegSend {
            from: p(2),
            to: Atom::new("r"),
            msg: msg.clone(),
        };
        assert_eq!(
            encode_framed(&reg, flags).unwrap(),
            encode_reg_send(p(2), Atom::new("r"), &msg, flags).unwrap()
        );
    }

    #[test]
    fn older_peers_get_older_forms() {
        let limits = DecodeLimits::default();
        let send = Control::Send {
            from: Some(p(2)),
            to: p(1),
            msg: Eterm::Int(5),
        };
        let back = decode_packet(&encode_packet(&send, 0).unwrap(), &limits).unwrap();
        assert_eq!(
            back,
            Control::Send {
                from: None,
                to: p(1),
                msg: Eterm::Int(5)
            }
        );
        let unlink = Control::Unlink {
            id: 9,
            from: p(1),
            to: p(2),
        };
        let back = decode_packet(&encode_packet(&unlink, 0).unwrap(), &limits).unwrap();
        assert_eq!(
            back,
            Control::Unlink {
                id: 0,
                from: p(1),
                to: p(2)
            }
        );
    }

    #[test]
    fn malformed_packets_are_errors() {
        let limits = DecodeLimits::default();
        assert!(decode_packet(&[], &limits).is_err());
        assert!(decode_packet(&[113, 131, 106], &limits).is_err());
        // {2} alone: SEND without its fields.
        assert!(decode_packet(&[112, 131, 104, 1, 97, 2], &limits).is_err());
        // A send without its message.
        let mut send = vec![112];
        etf::encode_into(
            &mut send,
            &Eterm::tuple(vec![Eterm::Int(2), Eterm::atom(""), Eterm::Pid(p(1))]),
        )
        .unwrap();
        assert!(decode_packet(&send, &limits).is_err());
    }
}
