//! `process.i()`: an observer-style listing of the node's processes, in the manner of
//! the Erlang shell's `i()` — one line per process with its status, queue length, heap,
//! reductions, links and monitors, sorted by pid, and a total line.

use crate::node::NodeInner;
use crate::process::Process;
use std::fmt::Write;
use std::sync::atomic::Ordering;

/// The listing as text. `me` (the calling process) reports its live heap size, which
/// only its own thread can read; the others report the size at the end of their last
/// slice.
pub(crate) fn listing(node: &NodeInner, me: u64, my_heap: usize) -> String {
    let mut procs: Vec<_> = node.procs.all();
    procs.sort_by_key(|p| p.pid.id());
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<14} {:<20} {:<9} {:>8} {:>10} {:>12} {:>6} {:>9}",
        "Pid", "Name", "Status", "Msgs", "Heap", "Reductions", "Links", "Monitors"
    );
    let (mut msgs, mut heap, mut reds) = (0usize, 0usize, 0u64);
    for p in &procs {
        let line = Line::of(
            p,
            if p.pid.id() == me {
                Some(my_heap)
            } else {
                None
            },
        );
        msgs += line.msgs;
        heap += line.heap;
        reds += line.reductions;
        let _ = writeln!(
            out,
            "{:<14} {:<20} {:<9} {:>8} {:>10} {:>12} {:>6} {:>9}",
            p.pid.to_string(),
            line.name,
            line.status,
            line.msgs,
            line.heap,
            line.reductions,
            line.links,
            line.monitors
        );
    }
    let _ = writeln!(
        out,
        "{:<14} {:<20} {:<9} {:>8} {:>10} {:>12}",
        format!("{} processes", procs.len()),
        "",
        "",
        msgs,
        heap,
        reds
    );
    out
}

struct Line {
    name: String,
    status: String,
    msgs: usize,
    heap: usize,
    reductions: u64,
    links: usize,
    monitors: usize,
}

impl Line {
    fn of(p: &Process, own_heap: Option<usize>) -> Line {
        let (status, msgs, links, monitors, name) = {
            let mb = p.mailbox.lock().expect("mailbox lock");
            (
                format!("{:?}", mb.status).to_lowercase(),
                mb.inbox.len() + p.skipped_messages.load(Ordering::Relaxed) as usize,
                mb.sig.links().len(),
                mb.sig.monitoring_len(),
                mb.sig.name().unwrap_or_default().to_owned(),
            )
        };
        Line {
            name,
            status,
            msgs,
            heap: own_heap.unwrap_or_else(|| p.heap_bytes.load(Ordering::Relaxed)),
            reductions: p.reductions(),
            links,
            monitors,
        }
    }
}
