//! One received control message: answered by this layer (`net_kernel`'s `is_auth`,
//! replies to our pings, unlink acks, monitors of `net_kernel`) or turned into a
//! [`DistEvent`] with cube's pids and references.

use super::{lock, DistEvent, Inner, Target, KERNEL_PID};
use crate::connection::Connection;
use crate::control::{Control, ProcName};
use crate::etf::{Eterm, ExtPid, ExtRef};
use cube_term::Atom;

impl Inner {
    /// One control message from `conn`: answered here (net_kernel, our ping replies,
    /// unlink acks) or turned into an event.
    pub(super) fn deliver(&self, conn: &Connection, c: Control) {
        let t = &self.table;
        let reference = |r: &ExtRef| t.ref_from_wire(r).ok();
        let remote = |p: ExtPid| t.pid_from_wire(p);
        // A pid of this node's name but another creation belongs to an earlier
        // incarnation: what is addressed to it is dropped, as erl drops it.
        let local = |p: ExtPid| Some(t.pid_from_wire(p)).filter(|p| p.node() == 0);
        let target = |n: &ProcName, node: Atom| match n {
            ProcName::Pid(p) => Target::Pid(t.pid_from_wire(*p)),
            ProcName::Name(name) => Target::Name { name: *name, node },
        };
        let local_target = |n: &ProcName| match n {
            ProcName::Pid(p) => local(*p).map(Target::Pid),
            ProcName::Name(name) => Some(Target::Name {
                name: *name,
                node: self.name,
            }),
        };
        let event = match c {
            Control::Send { from, to, msg } => {
                let Some(to) = local(to) else { return };
                if to == KERNEL_PID {
                    self.kernel_message(conn, &msg);
                    return;
                }
                Some(DistEvent::Message {
                    from: from.map(remote),
                    to,
                    msg,
                })
            }
            Control::RegSend { from, to, msg } => {
                if to.name() == "net_kernel" && self.net_kernel(conn, &msg) {
                    return;
                }
                Some(DistEvent::RegMessage {
                    from: remote(from),
                    to,
                    msg,
                })
            }
            // An alias we never made has nobody to deliver to.
            Control::AliasSend { from, alias, msg } => {
                reference(&alias).map(|alias| DistEvent::AliasMessage {
                    from: remote(from),
                    alias,
                    msg,
                })
            }
            Control::Link { from, to } => local(to).map(|to| DistEvent::Link {
                from: remote(from),
                to,
            }),
            Control::Unlink { id, from, to } => {
                if id != 0 {
                    // The unlink takes effect when the event is handled; the ack only
                    // tells the peer its request arrived, which it has.
                    let _ = conn.send(&Control::UnlinkAck {
                        id,
                        from: to,
                        to: from,
                    });
                }
                local(to).map(|to| DistEvent::Unlink {
                    from: remote(from),
                    to,
                })
            }
            Control::UnlinkAck { .. } | Control::Ignored(_) => None,
            Control::SpawnReply {
                req_id, to, result, ..
            } => {
                let result = match result {
                    Eterm::Pid(p) => Ok(remote(p)),
                    Eterm::Atom(a) => Err(a),
                    _ => return,
                };
                local(to)
                    .zip(reference(&req_id))
                    .map(|(to, req_id)| DistEvent::SpawnReply { to, req_id, result })
            }
            Control::SpawnRequest {
                req_id,
                from,
                module,
                function,
                options,
                args,
                ..
            } => {
                let Some(req) = reference(&req_id) else {
                    return;
                };
                let wanted = |name: &str| {
                    matches!(&options, Eterm::List(items) if {
                        items.iter().any(|o| {
                            o.is_atom(name)
                                || o.as_tuple().is_some_and(|t| t.first().is_some_and(|a| a.is_atom(name)))
                        })
                    })
                };
                Some(DistEvent::SpawnRequest {
                    from: remote(from),
                    req_id: req,
                    module,
                    function,
                    args,
                    link: wanted("link"),
                    monitor: wanted("monitor"),
                })
            }
            Control::Exit { from, to, reason } => local(to).map(|to| DistEvent::Exit {
                from: remote(from),
                to,
                reason,
            }),
            Control::Exit2 { from, to, reason } => local(to).map(|to| DistEvent::Exit2 {
                from: remote(from),
                to,
                reason,
            }),
            // net_kernel is this layer (gen:call monitors it during is_auth): it lives
            // as long as the node, so a monitor of it needs no bookkeeping.
            Control::Monitor { to, .. } | Control::Demonitor { to, .. } if self.is_kernel(&to) => {
                None
            }
            Control::Monitor {
                from,
                to,
                reference: r,
            } => local_target(&to)
                .zip(reference(&r))
                .map(|(to, r)| DistEvent::Monitor {
                    from: remote(from),
                    to,
                    reference: r,
                }),
            Control::Demonitor {
                from,
                to,
                reference: r,
            } => local_target(&to)
                .zip(reference(&r))
                .map(|(to, r)| DistEvent::Demonitor {
                    from: remote(from),
                    to,
                    reference: r,
                }),
            Control::MonitorExit {
                from,
                to,
                reference: r,
                reason,
            } => local(to)
                .zip(reference(&r))
                .map(|(to, r)| DistEvent::MonitorExit {
                    from: target(&from, conn.peer_atom),
                    to,
                    reference: r,
                    reason,
                }),
        };
        if let Some(e) = event {
            self.emit(e);
        }
    }

    /// Whether `p` names this layer's own process (`net_kernel`, or the kernel pid).
    pub(super) fn is_kernel(&self, p: &ProcName) -> bool {
        match p {
            ProcName::Name(name) => name.name() == "net_kernel",
            ProcName::Pid(pid) => self.table.pid_from_wire(*pid) == KERNEL_PID,
        }
    }

    /// `gen_server:call(net_kernel, {is_auth, Node})`, as `net_adm:ping/1` sends it:
    /// answered `yes` (the handshake already checked the cookie). Whether handled.
    pub(super) fn net_kernel(&self, conn: &Connection, msg: &Eterm) -> bool {
        let Some([label, from, request]) =
            msg.as_tuple().and_then(|t| <&[Eterm; 3]>::try_from(t).ok())
        else {
            return false;
        };
        if !label.is_atom("$gen_call") {
            return false;
        }
        let Some([caller, tag]) = from
            .as_tuple()
            .and_then(|t| <&[Eterm; 2]>::try_from(t).ok())
        else {
            return false;
        };
        let Some(caller) = caller.as_pid() else {
            return false;
        };
        let is_auth = request
            .as_tuple()
            .is_some_and(|r| r.len() == 2 && r[0].is_atom("is_auth"));
        if !is_auth {
            return false;
        }
        let reply = Eterm::tuple(vec![tag.clone(), Eterm::atom("yes")]);
        let _ = conn.send(&Control::Send {
            from: None,
            to: caller,
            msg: reply,
        });
        true
    }

    /// A message to our kernel pid: a reply to one of our pings, `{Ref, yes}`.
    pub(super) fn kernel_message(&self, conn: &Connection, msg: &Eterm) {
        if self.io_request(conn, msg) {
            return;
        }
        if let Some([Eterm::Ref(r), answer]) =
            msg.as_tuple().and_then(|t| <&[Eterm; 2]>::try_from(t).ok())
        {
            if r.node == self.name {
                if let Some((_, tx)) = lock(&self.pings).remove(&r.words) {
                    let _ = tx.send(answer.is_atom("yes"));
                }
            }
        }
    }

    /// An I/O request of a process that runs a call this node made
    /// ([`DistNode::spawn_request`](super::DistNode::spawn_request) names the kernel pid
    /// as its group leader, as Erlang names the caller's): text to write
    /// (`{put_chars, Encoding, Chars}`) goes to this node's standard output, as the
    /// output of `rpc:call` goes to the caller's console; so does a request to format
    /// (`io:format`'s `{put_chars, Encoding, io_lib, format, [Format, Args]}`), through
    /// the formatter the layer above set ([`super::DistNode::set_io_formatter`]); a
    /// format that fails is answered as erl's group leader answers it (the caller gets
    /// `badarg`). Any other request (reading, say), or formatting without a formatter,
    /// is refused with `{error, enotsup}`: a refusal is better than a caller waiting
    /// forever. Whether `msg` was an I/O request.
    fn io_request(&self, conn: &Connection, msg: &Eterm) -> bool {
        let Some([tag, from, reply_as, request]) =
            msg.as_tuple().and_then(|t| <&[Eterm; 4]>::try_from(t).ok())
        else {
            return false;
        };
        let (true, Eterm::Pid(from)) = (tag.is_atom("io_request"), from) else {
            return false;
        };
        let error = |why: Eterm| Eterm::Tuple(vec![Eterm::atom("error"), why]);
        let text = match request.as_tuple() {
            Some([put, _encoding, chars]) if put.is_atom("put_chars") => {
                chardata(chars).ok_or_else(|| error(Eterm::atom("enotsup")))
            }
            Some([put, chars]) if put.is_atom("put_chars") => {
                chardata(chars).ok_or_else(|| error(Eterm::atom("enotsup")))
            }
            Some([put, _encoding, m, f, args])
                if put.is_atom("put_chars")
                    && m.is_atom("io_lib")
                    && (f.is_atom("format") || f.is_atom("fwrite")) =>
            {
                self.format(args).map(String::into_bytes)
            }
            _ => Err(error(Eterm::atom("enotsup"))),
        };
        let answer = match text {
            Ok(text) => {
                use std::io::Write;
                let mut out = std::io::stdout().lock();
                let _ = out.write_all(&text).and_then(|()| out.flush());
                Eterm::atom("ok")
            }
            Err(e) => e,
        };
        let reply = Eterm::Tuple(vec![Eterm::atom("io_reply"), reply_as.clone(), answer]);
        let _ = conn.send(&Control::Send {
            from: None,
            to: *from,
            msg: reply,
        });
        true
    }
}

impl Inner {
    /// `io_lib:format` of `[Format, Args]` by the formatter the layer above set: the
    /// text, or the error to answer (`{error, enotsup}` without a formatter, erl's
    /// group leader's `{error, {error, format}}` when the format fails).
    fn format(&self, args: &Eterm) -> Result<String, Eterm> {
        let error = |why: Eterm| Eterm::Tuple(vec![Eterm::atom("error"), why]);
        let formatter = self.io_formatter.read().unwrap_or_else(|e| e.into_inner());
        let Some(f) = formatter.as_ref() else {
            return Err(error(Eterm::atom("enotsup")));
        };
        let text = match args {
            Eterm::List(a) if a.len() == 2 => f(&self.table, &a[0], &a[1]),
            _ => None,
        };
        text.filter(|t| t.len() <= MAX_IO_CHARS).ok_or_else(|| {
            error(Eterm::Tuple(vec![
                Eterm::atom("error"),
                Eterm::atom("format"),
            ]))
        })
    }
}

/// The bytes of Erlang chardata (a binary, or a possibly deep list of character codes
/// and binaries), UTF-8 encoded; `None` for anything else. Iterative, and at most
/// [`MAX_IO_CHARS`] bytes.
fn chardata(t: &Eterm) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut stack = vec![t];
    while let Some(t) = stack.pop() {
        match t {
            Eterm::Binary(b) => out.extend_from_slice(b),
            Eterm::Int(c) => {
                let c = char::from_u32(u32::try_from(*c).ok()?)?;
                out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
            }
            Eterm::List(items) => stack.extend(items.iter().rev()),
            _ => return None,
        }
        if out.len() > MAX_IO_CHARS {
            return None;
        }
    }
    Some(out)
}

/// Most bytes one I/O request may write.
const MAX_IO_CHARS: usize = 16 << 20;
