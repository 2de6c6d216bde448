//! The thread that delivers what other nodes send into the node: messages to pids and
//! registered names, links, exit signals, monitors, and lost connections.
//!
//! One thread, reading cube-dist's events in order, so signals from one remote process
//! reach a local one in the order they were sent. Nothing from the network can stop it:
//! a message with no cube form (a port, a bignum past `i64`, a bitstring) is dropped
//! with a line on stderr, a signal for a process that is gone is answered as Erlang
//! answers it (`noproc`) or ignored.

use super::outgoing::Outgoing;
use super::{reason, rpc};
use crossbeam_channel::Receiver;
use cube_dist::etf::Eterm;
use cube_dist::{DistEvent, DistNode, Target};
use cube_term::Pid;
use cube_vm::NodeHandle;
use std::sync::Arc;

/// Starts the thread; it ends when the distribution stops (its event channel closes).
pub fn spawn(
    dist: DistNode,
    events: Receiver<DistEvent>,
    handle: NodeHandle,
    out: Arc<Outgoing>,
) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("cube-dist-in".into())
        .spawn(move || {
            for event in events.iter() {
                deliver(&dist, &handle, &out, event);
            }
        })
        .map(drop)
}

/// A message body as a `Term`, or `None` (reported) when it has none.
fn term_of(dist: &DistNode, msg: &Eterm, from: &str) -> Option<cube_term::Term> {
    match dist.to_term(msg) {
        Ok(t) => Some(t),
        Err(e) => {
            eprintln!("cube-cli: dropped a message from {from}: {e}");
            None
        }
    }
}

/// The local pid a monitor or demonitor names: a pid, or a registered name.
fn local_target(handle: &NodeHandle, to: &Target) -> Option<Pid> {
    match to {
        Target::Pid(p) => Some(*p),
        Target::Name { name, .. } => handle.whereis(name.name()),
    }
}

fn deliver(dist: &DistNode, handle: &NodeHandle, out: &Arc<Outgoing>, event: DistEvent) {
    match event {
        DistEvent::NodeUp(_) | DistEvent::Refused { .. } => {}
        DistEvent::NodeDown { node, .. } => {
            out.calls.node_down(node);
            handle.node_down(node.name(), &dist.table().indices_of_name(node));
        }
        DistEvent::SpawnReply { req_id, result, .. } => out.calls.spawn_replied(req_id, result),
        DistEvent::Message { from, to, msg } => {
            let who = from.map_or_else(|| "another node".to_owned(), |p| p.to_string());
            if let Some(t) = term_of(dist, &msg, &who) {
                handle.send(to, t);
            }
        }
        DistEvent::RegMessage { from, to, msg } => {
            if let Some(t) = term_of(dist, &msg, &from.to_string()) {
                handle.send_named(to.name(), t);
            }
        }
        // Aliases (OTP 24's `alias/0`) are not made by this node yet.
        DistEvent::AliasMessage { .. } => {}
        DistEvent::Link { from, to } => handle.remote_link(from, to),
        DistEvent::Unlink { from, to } => handle.remote_unlink(from, to),
        DistEvent::Exit { from, to, reason } => {
            handle.remote_exit(from, to, &reason::to_text(&reason), true)
        }
        DistEvent::Exit2 { from, to, reason } => {
            handle.remote_exit(from, to, &reason::to_text(&reason), false)
        }
        DistEvent::Monitor {
            from,
            to,
            reference,
        } => match local_target(handle, &to) {
            Some(pid) => handle.remote_monitor(from, pid, reference),
            None => {
                let _ = dist.monitor_exit(&to, from, reference, &Eterm::atom("noproc"));
            }
        },
        DistEvent::Demonitor { to, reference, .. } => {
            if let Some(pid) = local_target(handle, &to) {
                handle.remote_demonitor(pid, reference);
            }
        }
        DistEvent::SpawnRequest {
            from,
            req_id,
            module,
            function,
            args,
            link,
            monitor,
        } => rpc::serve(
            dist, handle, out, from, req_id, module, function, &args, link, monitor,
        ),
        DistEvent::MonitorExit {
            from,
            to,
            reference,
            reason,
        } => {
            if out.calls.finished(dist, reference, &reason) {
                return;
            }
            // Lua monitors pids only (`process.monitor(pid)`), so `from` is a pid.
            if let Target::Pid(from) = from {
                handle.remote_down(from, to, reference, &reason::to_text(&reason));
            }
        }
    }
}
