//! The node's `Distribution`: requests for other nodes, queued to a worker thread per
//! destination node.
//!
//! A request may have to connect first (EPMD lookup, TCP, handshake: up to
//! cube-dist's connect timeout), and it is made on a scheduler thread, which must never
//! wait on the network (DESIGN.md decision 5). So each request is queued, and a worker
//! thread of its destination node carries it out: requests to one node keep the order
//! they were made in (Erlang's ordering guarantee between a pair of processes), and a
//! node that does not answer delays only what goes to it.
//!
//! At most [`MAX_WORKERS`] nodes get a worker of their own; requests for further nodes
//! share one more. (A program pinging endless made-up names must not make endless
//! threads.)
//!
//! A request that cannot be carried out because the node cannot be reached ends as
//! Erlang ends it: a link gets an exit signal `noconnection`, a monitor a DOWN
//! `noconnection`, a node monitor a `nodedown`; messages vanish.

use super::reason;
use crossbeam_channel::{Receiver, Sender};
use cube_dist::{DistNode, Pong, Target};
use cube_term::{Atom, Pid, Reference, Term};
use cube_vm::{Distribution, ExitReason, NodeHandle, PingReply};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Nodes with a worker thread of their own.
const MAX_WORKERS: usize = 256;

/// Ids of `UNLINK_ID` signals (the peer acknowledges each by its id).
static NEXT_UNLINK_ID: AtomicU64 = AtomicU64::new(1);

/// How long a ping waits for `net_kernel`'s answer once connected.
const PING_TIMEOUT: Duration = Duration::from_secs(15);

/// One request for another node.
enum Request {
    Send {
        from: Option<Pid>,
        to: Pid,
        msg: Term,
    },
    RegSend {
        from: Pid,
        name: String,
        node: String,
        msg: Term,
    },
    Link {
        from: Pid,
        to: Pid,
    },
    Unlink {
        from: Pid,
        to: Pid,
    },
    Exit {
        from: Pid,
        to: Pid,
        reason: ExitReason,
        link: bool,
    },
    Monitor {
        from: Pid,
        target: Pid,
        r: Reference,
    },
    Demonitor {
        from: Pid,
        target: Pid,
        r: Reference,
    },
    MonitorExit {
        from: Pid,
        watcher: Pid,
        r: Reference,
        reason: ExitReason,
    },
    Ping {
        node: String,
        reply: PingReply,
    },
    Connect {
        node: String,
    },
    /// Acknowledges that everything queued before it was carried out.
    Flush(Sender<()>),
}

/// See the module documentation.
pub struct Outgoing {
    dist: DistNode,
    name: String,
    workers: Mutex<Workers>,
    handle: NodeHandle,
}

#[derive(Default)]
struct Workers {
    by_node: HashMap<String, Sender<Request>>,
    /// The worker shared by nodes past [`MAX_WORKERS`].
    shared: Option<Sender<Request>>,
}

impl Outgoing {
    pub fn new(dist: DistNode, handle: NodeHandle) -> Outgoing {
        Outgoing {
            name: dist.name().name().to_owned(),
            dist,
            workers: Mutex::new(Workers::default()),
            handle,
        }
    }

    /// Waits until every worker carried out what was queued before this call, at most
    /// until `deadline` (a command's node ending: see `Running`).
    pub fn flush(&self, deadline: Instant) {
        let senders: Vec<Sender<Request>> = {
            let w = self.workers.lock().unwrap_or_else(|e| e.into_inner());
            w.by_node.values().chain(w.shared.iter()).cloned().collect()
        };
        let (ack, acks) = crossbeam_channel::unbounded();
        let mut asked = 0;
        for tx in senders {
            if tx.send(Request::Flush(ack.clone())).is_ok() {
                asked += 1;
            }
        }
        for _ in 0..asked {
            let left = deadline.saturating_duration_since(Instant::now());
            if acks.recv_timeout(left).is_err() {
                return;
            }
        }
    }

    /// The name of the node of a pid's index (`None`: an index nobody gave out).
    fn node_of(&self, pid: Pid) -> Option<String> {
        self.dist
            .table()
            .node(pid.node())
            .map(|n| n.name.name().to_owned())
    }

    /// Queues `req` for the worker of `node`, starting it if needed.
    fn queue(&self, node: &str, req: Request) {
        let mut w = self.workers.lock().unwrap_or_else(|e| e.into_inner());
        let tx = match w.by_node.get(node) {
            Some(tx) => tx.clone(),
            None if w.by_node.len() < MAX_WORKERS => {
                let Some(tx) = self.start_worker(node) else {
                    return;
                };
                w.by_node.insert(node.to_owned(), tx.clone());
                tx
            }
            None => match &w.shared {
                Some(tx) => tx.clone(),
                None => {
                    let Some(tx) = self.start_worker("(shared)") else {
                        return;
                    };
                    w.shared = Some(tx.clone());
                    tx
                }
            },
        };
        drop(w);
        // A worker only ends with the process; a closed queue drops the request.
        let _ = tx.send(req);
    }

    /// Queues `req` for the node of pid `to`.
    fn queue_for(&self, to: Pid, req: Request) {
        if let Some(node) = self.node_of(to) {
            self.queue(&node, req);
        }
    }

    fn start_worker(&self, node: &str) -> Option<Sender<Request>> {
        let (tx, rx) = crossbeam_channel::unbounded();
        let worker = Worker {
            dist: self.dist.clone(),
            handle: self.handle.clone(),
        };
        std::thread::Builder::new()
            .name(format!("cube-dist-out {node}"))
            .spawn(move || worker.run(rx))
            .ok()?;
        Some(tx)
    }
}

impl Distribution for Outgoing {
    fn node_name(&self) -> String {
        self.name.clone()
    }

    fn nodes(&self) -> Vec<String> {
        self.dist
            .nodes()
            .into_iter()
            .map(|a| a.name().to_owned())
            .collect()
    }

    fn send(&self, from: Option<Pid>, to: Pid, msg: Term) {
        self.queue_for(to, Request::Send { from, to, msg });
    }

    fn reg_send(&self, from: Pid, name: &str, node: &str, msg: Term) {
        let req = Request::RegSend {
            from,
            name: name.to_owned(),
            node: node.to_owned(),
            msg,
        };
        self.queue(node, req);
    }

    fn link(&self, from: Pid, to: Pid) {
        self.queue_for(to, Request::Link { from, to });
    }

    fn unlink(&self, from: Pid, to: Pid) {
        self.queue_for(to, Request::Unlink { from, to });
    }

    fn exit(&self, from: Pid, to: Pid, reason: &ExitReason) {
        let reason = reason.clone();
        self.queue_for(
            to,
            Request::Exit {
                from,
                to,
                reason,
                link: true,
            },
        );
    }

    fn exit2(&self, from: Pid, to: Pid, reason: &ExitReason) {
        let reason = reason.clone();
        self.queue_for(
            to,
            Request::Exit {
                from,
                to,
                reason,
                link: false,
            },
        );
    }

    fn monitor(&self, from: Pid, target: Pid, r: Reference) {
        self.queue_for(target, Request::Monitor { from, target, r });
    }

    fn demonitor(&self, from: Pid, target: Pid, r: Reference) {
        self.queue_for(target, Request::Demonitor { from, target, r });
    }

    fn monitor_exit(&self, from: Pid, watcher: Pid, r: Reference, reason: &ExitReason) {
        let reason = reason.clone();
        self.queue_for(
            watcher,
            Request::MonitorExit {
                from,
                watcher,
                r,
                reason,
            },
        );
    }

    fn ping(&self, node: &str, reply: PingReply) {
        let req = Request::Ping {
            node: node.to_owned(),
            reply,
        };
        self.queue(node, req);
    }

    fn connect(&self, node: &str) {
        let req = Request::Connect {
            node: node.to_owned(),
        };
        self.queue(node, req);
    }
}

/// The thread that carries out one node's requests, in order.
struct Worker {
    dist: DistNode,
    handle: NodeHandle,
}

impl Worker {
    fn run(self, rx: Receiver<Request>) {
        for req in rx.iter() {
            self.carry_out(req);
        }
    }

    fn carry_out(&self, req: Request) {
        let d = &self.dist;
        match req {
            // Messages that cannot go vanish, as in Erlang.
            Request::Send { from, to, msg } => {
                let _ = d.send_term(from, to, &msg);
            }
            Request::RegSend {
                from,
                name,
                node,
                msg,
            } => {
                if let Ok(msg) = d.table().to_eterm(&msg) {
                    let _ = d.reg_send(from, &name, &node, &msg);
                }
            }
            Request::Link { from, to } => {
                if d.link(from, to).is_err() {
                    self.handle.remote_exit(to, from, "noconnection", true);
                }
            }
            Request::Unlink { from, to } => {
                let id = NEXT_UNLINK_ID.fetch_add(1, Ordering::Relaxed);
                let _ = d.unlink(id, from, to);
            }
            Request::Exit {
                from,
                to,
                reason,
                link,
            } => {
                let reason = reason::to_eterm(&reason);
                let _ = if link {
                    d.exit(from, to, &reason)
                } else {
                    d.exit2(from, to, &reason)
                };
            }
            Request::Monitor { from, target, r } => {
                if d.monitor(from, &Target::Pid(target), r).is_err() {
                    self.handle.remote_down(target, from, r, "noconnection");
                }
            }
            Request::Demonitor { from, target, r } => {
                let _ = d.demonitor(from, &Target::Pid(target), r);
            }
            Request::MonitorExit {
                from,
                watcher,
                r,
                reason,
            } => {
                let _ = d.monitor_exit(&Target::Pid(from), watcher, r, &reason::to_eterm(&reason));
            }
            Request::Ping { node, reply } => {
                reply(d.ping(&node, PING_TIMEOUT) == Pong::Pong);
            }
            Request::Flush(ack) => {
                let _ = ack.send(());
            }
            Request::Connect { node } => {
                if d.connect(&node).is_err() {
                    let indices = Atom::try_new(&node)
                        .map(|a| d.table().indices_of_name(a))
                        .unwrap_or_default();
                    self.handle.node_down(&node, &indices);
                }
            }
        }
    }
}
