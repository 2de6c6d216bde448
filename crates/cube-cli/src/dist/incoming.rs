//! Delivering what other nodes send into the node: messages to pids and registered
//! names, links, exit signals, monitors, spawn requests and lost connections.
//!
//! Each event is delivered on the thread of the connection that read it, in the order
//! it arrived, so signals from one remote process reach a local one in the order they
//! were sent (Erlang's guarantee is per pair of processes). Nothing from the network can stop it:
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

/// Makes the distribution hand its events to [`deliver`] on the threads that read
/// them (one per connection; see `DistNode::set_event_sink`), until it stops.
pub fn install(
    dist: &DistNode,
    events: &Receiver<DistEvent>,
    handle: NodeHandle,
    out: Arc<Outgoing>,
) {
    let d = dist.clone();
    dist.set_event_sink(
        events,
        Arc::new(move |event| deliver(&d, &handle, &out, event)),
    );
}

/// A message body as a `Term`, or `None` (reported, naming the sender `from` only
/// then: this is every message's path) when it has none.
fn term_of(dist: &DistNode, msg: &Eterm, from: Option<Pid>) -> Option<cube_term::Term> {
    match dist.to_term(msg) {
        Ok(t) => Some(t),
        Err(e) => {
            let from = from.map_or_else(|| "another node".to_owned(), |p| p.to_string());
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
            if let Some(t) = term_of(dist, &msg, from) {
                handle.send(to, t);
            }
        }
        DistEvent::RegMessage { from, to, msg } => {
            if let Some(t) = term_of(dist, &msg, Some(from)) {
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
