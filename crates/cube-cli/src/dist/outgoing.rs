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
//! Back-pressure, as Erlang's busy distribution port: each worker counts the bytes of
//! the messages queued for it ([`Backlog`]); over [`BUSY_LIMIT`], a process that sends
//! there is suspended after its send until the backlog is down to half of it, and the
//! worker itself waits while the connection has more than [`BUSY_LIMIT`] bytes not yet
//! written. So a slow node slows its senders down instead of filling memory.
//!
//! A request that cannot be carried out because the node cannot be reached ends as
//! Erlang ends it: a link gets an exit signal `noconnection`, a monitor a DOWN
//! `noconnection`, a node monitor a `nodedown`; messages vanish.

use super::reason;
use crossbeam_channel::{Receiver, Sender};
use cube_dist::etf::Eterm;
use cube_dist::{DistNode, Pong, Target};
use cube_term::{Atom, Pid, Reference, Term};
use cube_vm::{CallReply, Destination, Distribution, ExitReason, NodeHandle, PingReply};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Nodes with a worker thread of their own.
const MAX_WORKERS: usize = 256;

/// Bytes of messages queued for one node over which its senders are suspended
/// (Erlang's default `dist_buf_busy_limit`, 1 MB).
const BUSY_LIMIT: usize = 1 << 20;

/// How long a worker waits at most for its connection to drain before it queues more
/// (the connection closes itself sooner if the peer stops reading: its write timeout).
const DRAIN_WAIT: Duration = Duration::from_secs(60);

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
    /// A monitor exit whose reason is a term, not an exit reason (erpc's results,
    /// `rpc.rs`).
    MonitorExitTerm {
        from: Pid,
        watcher: Pid,
        r: Reference,
        reason: Term,
    },
    /// The answer to a spawn request (`rpc.rs`): queued here, before anything the
    /// new process may send, so the spawner learns its pid first.
    SpawnReply {
        to: Pid,
        req_id: Reference,
        result: Result<(Pid, bool, bool), &'static str>,
    },
    Ping {
        node: String,
        reply: PingReply,
    },
    Connect {
        node: String,
    },
    /// `node.call` (see [`Calls`]).
    Call {
        from: Pid,
        node: String,
        module: Atom,
        function: Atom,
        args: Vec<Term>,
        reply: CallReply,
    },
    /// `node.spawn`.
    SpawnFn {
        from: Pid,
        node: String,
        function: Term,
        args: Vec<Term>,
        reply: CallReply,
    },
    /// Acknowledges that everything queued before it was carried out.
    Flush(Sender<()>),
}

/// The `node.call`s in flight, by the id of their spawn request's reference (the
/// reference of the monitor whose DOWN carries the result). Their references are
/// numbered from [`CALL_REF_BASE`], so they are never taken for a reference of the
/// runtime's own monitors.
#[derive(Default)]
pub struct Calls {
    pending: Mutex<HashMap<u64, PendingCall>>,
    next: AtomicU64,
}

struct PendingCall {
    node: Atom,
    /// erpc's `Ref`, echoed in the result; `None` for a `node.spawn`, whose outcome
    /// is its spawn reply.
    tag: Option<Reference>,
    reply: CallReply,
}

/// The first id of the references `node.call` makes (see [`Calls`]).
const CALL_REF_BASE: u64 = 1 << 62;

impl Calls {
    fn new_ref(&self) -> Reference {
        Reference::new(0, CALL_REF_BASE + self.next.fetch_add(1, Ordering::Relaxed))
    }

    fn take(&self, req_id: Reference) -> Option<PendingCall> {
        if req_id.node() != 0 || req_id.id() < CALL_REF_BASE {
            return None;
        }
        self.pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&req_id.id())
    }

    /// Records a request to `node` whose outcome goes to `reply` (`tag`: erpc's `Ref`
    /// of a call, `None` for a spawn), then sends it with `send(req_id)` (recorded
    /// first: the answer may come before `send` returns). A request that cannot be
    /// sent fails with `nodedown`.
    fn start(
        &self,
        node: &str,
        tag: Option<Reference>,
        reply: CallReply,
        send: impl FnOnce(Reference) -> bool,
    ) {
        let Some(node) = Atom::try_new(node) else {
            reply(Err(Term::atom("nodedown")));
            return;
        };
        let req_id = self.new_ref();
        let pending = PendingCall { node, tag, reply };
        self.pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(req_id.id(), pending);
        if !send(req_id) {
            if let Some(c) = self.take(req_id) {
                (c.reply)(Err(Term::atom("nodedown")));
            }
        }
    }

    /// The spawn reply of request `req_id`: the outcome of a `node.spawn`; for a
    /// call, only a refusal is (its result comes with the DOWN).
    pub fn spawn_replied(&self, req_id: Reference, result: Result<Pid, Atom>) {
        if req_id.node() != 0 || req_id.id() < CALL_REF_BASE {
            return;
        }
        let c = {
            let mut p = self.pending.lock().unwrap_or_else(|e| e.into_inner());
            match (p.get(&req_id.id()), &result) {
                (Some(c), Ok(_)) if c.tag.is_some() => return,
                (None, _) => return,
                _ => p.remove(&req_id.id()),
            }
        };
        if let Some(c) = c {
            (c.reply)(result.map(Term::Pid).map_err(Term::Atom));
        }
    }

    /// Whether `req_id` is a call's: then its outcome, from the DOWN's `reason`, is
    /// given to its caller.
    pub fn finished(&self, dist: &DistNode, req_id: Reference, reason: &Eterm) -> bool {
        let Some(c) = self.take(req_id) else {
            return false;
        };
        match c.tag {
            Some(tag) => (c.reply)(call_outcome(dist, tag, reason)),
            // A spawn's monitor is not asked for; a DOWN for it is not ours to give.
            None => (c.reply)(Err(Term::atom("noproc"))),
        }
        true
    }

    /// Every call to `node` fails with `nodedown` (the connection is gone).
    pub fn node_down(&self, node: Atom) {
        let gone: Vec<PendingCall> = {
            let mut p = self.pending.lock().unwrap_or_else(|e| e.into_inner());
            let ids: Vec<u64> = p
                .iter()
                .filter(|(_, c)| c.node == node)
                .map(|(id, _)| *id)
                .collect();
            ids.iter().filter_map(|id| p.remove(id)).collect()
        };
        for c in gone {
            (c.reply)(Err(Term::atom("nodedown")));
        }
    }
}

/// What `rpc:call` returns for a DOWN reason of erpc's (`{Tag, return, V}` and the
/// rest, see `DistNode::call`): the value, or the `{badrpc, Reason}` reason.
fn call_outcome(dist: &DistNode, tag: Reference, reason: &Eterm) -> Result<Term, Term> {
    let term = |t: &Eterm| {
        dist.to_term(t)
            .map_err(|e| Term::binary(format!("the result has no Lua form: {e}").as_bytes()))
    };
    let tuple = |items: Vec<Term>| Term::Tuple(items.into());
    let exit = |why: Term| Err(tuple(vec![Term::atom("EXIT"), why]));
    let ours = |t: &Eterm| matches!(dist.to_term(t), Ok(Term::Ref(r)) if r == tag);
    match reason.as_tuple() {
        Some([t, kind, v]) if ours(t) && kind.is_atom("return") => term(v),
        // rpc:call returns what the function threw.
        Some([t, kind, v]) if ours(t) && kind.is_atom("throw") => term(v),
        Some([t, kind, why]) if ours(t) && kind.is_atom("exit") => exit(term(why)?),
        Some([t, kind, why]) if ours(t) && kind.is_atom("error") => exit(term(why)?),
        Some([t, kind, why, stack]) if ours(t) && kind.is_atom("error") => {
            exit(tuple(vec![term(why)?, term(stack)?]))
        }
        _ if reason.is_atom("noconnection") => Err(Term::atom("nodedown")),
        _ => exit(term(reason)?),
    }
}

/// See the module documentation.
pub struct Outgoing {
    dist: DistNode,
    name: String,
    workers: Mutex<Workers>,
    handle: NodeHandle,
    /// Lanes over the busy limit now: while 0, `is_busy` costs one load.
    busy_lanes: Arc<AtomicUsize>,
    /// `node.call`s in flight (shared with the workers and the incoming thread).
    pub calls: Arc<Calls>,
}

#[derive(Default)]
struct Workers {
    by_node: HashMap<String, Lane>,
    /// The worker shared by nodes past [`MAX_WORKERS`].
    shared: Option<Lane>,
}

/// The way to one worker: its queue (each request with the bytes it counts for) and
/// its backlog.
#[derive(Clone)]
struct Lane {
    tx: Sender<(Request, usize)>,
    backlog: Arc<Backlog>,
}

impl Lane {
    /// Whether the worker has nothing queued or in hand: then a message may go to
    /// the connection directly without overtaking anything (see [`Outgoing::send`]).
    fn idle(&self) -> bool {
        self.backlog.requests.load(Ordering::SeqCst) == 0
    }
}

/// Bytes of the messages queued for a worker and not yet handed to its connection,
/// and the wake-ups of the processes suspended until they drain.
#[derive(Default)]
struct Backlog {
    /// Requests queued for the worker or being carried out.
    requests: AtomicUsize,
    bytes: AtomicUsize,
    /// How many wake-ups `waiters` holds (so that the worker takes the lock only when
    /// someone waits).
    waiting: AtomicUsize,
    waiters: Mutex<Vec<Box<dyn FnOnce() + Send>>>,
    /// Counted in [`Outgoing::busy_lanes`] now.
    busy: std::sync::atomic::AtomicBool,
}

impl Backlog {
    fn is_busy(&self) -> bool {
        self.bytes.load(Ordering::SeqCst) > BUSY_LIMIT
    }

    /// Adds `n` queued bytes; true if that made the lane busy.
    fn add(&self, n: usize) -> bool {
        let now = self.bytes.fetch_add(n, Ordering::SeqCst) + n;
        now > BUSY_LIMIT && !self.busy.swap(true, Ordering::SeqCst)
    }

    /// Removes `n` bytes the worker has handed on; wakes the waiters once the backlog
    /// is down to half the limit. True if that ended the lane's busy state.
    fn done(&self, n: usize) -> bool {
        if n == 0 {
            return false;
        }
        let left = self.bytes.fetch_sub(n, Ordering::SeqCst) - n;
        if left > BUSY_LIMIT / 2 {
            return false;
        }
        if self.waiting.load(Ordering::SeqCst) > 0 {
            let woken = {
                let mut w = self.waiters.lock().unwrap_or_else(|e| e.into_inner());
                self.waiting.store(0, Ordering::SeqCst);
                std::mem::take(&mut *w)
            };
            for wake in woken {
                wake();
            }
        }
        self.busy.swap(false, Ordering::SeqCst)
    }

    /// Calls `wake` when the backlog has drained (at once if it is not busy).
    fn when_drained(&self, wake: Box<dyn FnOnce() + Send>) {
        let mut w = self.waiters.lock().unwrap_or_else(|e| e.into_inner());
        self.waiting.fetch_add(1, Ordering::SeqCst);
        if self.is_busy() {
            w.push(wake);
        } else {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            drop(w);
            wake();
        }
    }
}

impl Outgoing {
    pub fn new(dist: DistNode, handle: NodeHandle) -> Outgoing {
        Outgoing {
            name: dist.name().name().to_owned(),
            dist,
            workers: Mutex::new(Workers::default()),
            handle,
            busy_lanes: Arc::new(AtomicUsize::new(0)),
            calls: Arc::new(Calls::default()),
        }
    }

    /// Waits until every worker carried out what was queued before this call, at most
    /// until `deadline` (a command's node ending: see `Running`).
    pub fn flush(&self, deadline: Instant) {
        let senders: Vec<Sender<(Request, usize)>> = {
            let w = self.workers.lock().unwrap_or_else(|e| e.into_inner());
            let lanes = w.by_node.values().chain(w.shared.iter());
            lanes.map(|l| l.tx.clone()).collect()
        };
        let (ack, acks) = crossbeam_channel::unbounded();
        let mut asked = 0;
        for tx in senders {
            if tx.send((Request::Flush(ack.clone()), 0)).is_ok() {
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

    /// The lane of `node`'s worker, starting the worker if needed (`None` if no
    /// thread could be started).
    fn lane(&self, node: &str) -> Option<Lane> {
        let mut w = self.workers.lock().unwrap_or_else(|e| e.into_inner());
        match w.by_node.get(node) {
            Some(lane) => Some(lane.clone()),
            None if w.by_node.len() < MAX_WORKERS => {
                let lane = self.start_worker(node)?;
                w.by_node.insert(node.to_owned(), lane.clone());
                Some(lane)
            }
            None => match &w.shared {
                Some(lane) => Some(lane.clone()),
                None => {
                    let lane = self.start_worker("(shared)")?;
                    w.shared = Some(lane.clone());
                    Some(lane)
                }
            },
        }
    }

    /// Queues `req` for the worker of `node`, starting it if needed.
    fn queue(&self, node: &str, req: Request) {
        let Some(lane) = self.lane(node) else {
            return;
        };
        let bytes = match &req {
            Request::Send { msg, .. } | Request::RegSend { msg, .. } => {
                cube_vm::limits::term_size(msg)
            }
            _ => 0,
        };
        lane.backlog.requests.fetch_add(1, Ordering::SeqCst);
        if lane.backlog.add(bytes) {
            self.busy_lanes.fetch_add(1, Ordering::SeqCst);
        }
        // A worker only ends with the process; a closed queue drops the request.
        if lane.tx.send((req, bytes)).is_err() {
            lane.backlog.requests.fetch_sub(1, Ordering::SeqCst);
            if lane.backlog.done(bytes) {
                self.busy_lanes.fetch_sub(1, Ordering::SeqCst);
            }
        }
    }

    /// Queues `req` for the node of pid `to`.
    fn queue_for(&self, to: Pid, req: Request) {
        if let Some(node) = self.node_of(to) {
            self.queue(&node, req);
        }
    }

    /// Queues the answer to the spawn request `req_id` of remote `to`.
    pub fn spawn_reply(
        &self,
        to: Pid,
        req_id: Reference,
        result: Result<(Pid, bool, bool), &'static str>,
    ) {
        self.queue_for(to, Request::SpawnReply { to, req_id, result });
    }

    /// Queues a monitor exit of local `from` for remote `watcher`, with a term reason.
    pub fn monitor_exit_term(&self, from: Pid, watcher: Pid, r: Reference, reason: Term) {
        let req = Request::MonitorExitTerm {
            from,
            watcher,
            r,
            reason,
        };
        self.queue_for(watcher, req);
    }

    /// Whether `node` has a worker with nothing to do (or none yet).
    fn lane_idle(&self, node: &str) -> bool {
        let w = self.workers.lock().unwrap_or_else(|e| e.into_inner());
        match w.by_node.get(node) {
            Some(lane) => lane.idle(),
            None => w.shared.as_ref().is_none_or(Lane::idle),
        }
    }

    /// The backlog of the worker that serves `to`, if it has one.
    fn backlog_of(&self, to: Destination<'_>) -> Option<Arc<Backlog>> {
        let node = match to {
            Destination::Pid(pid) => self.node_of(pid)?,
            Destination::Node(name) => name.to_owned(),
        };
        let w = self.workers.lock().unwrap_or_else(|e| e.into_inner());
        let lane = w.by_node.get(&node).or(w.shared.as_ref())?;
        Some(lane.backlog.clone())
    }

    fn start_worker(&self, node: &str) -> Option<Lane> {
        let (tx, rx) = crossbeam_channel::unbounded();
        let backlog = Arc::new(Backlog::default());
        let worker = Worker {
            dist: self.dist.clone(),
            handle: self.handle.clone(),
            backlog: backlog.clone(),
            busy_lanes: self.busy_lanes.clone(),
            calls: self.calls.clone(),
        };
        std::thread::Builder::new()
            .name(format!("cube-dist-out {node}"))
            .spawn(move || worker.run(rx))
            .ok()?;
        Some(Lane { tx, backlog })
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

    /// Straight to the connection when it is up and the node's worker is idle (one
    /// thread hand-off less: nothing queued earlier can be overtaken); else queued.
    fn send(&self, from: Option<Pid>, to: Pid, msg: Term) {
        let Some(node) = self.node_of(to) else {
            return;
        };
        if self.lane_idle(&node)
            && self
                .dist
                .send_if_connected(from, to, &msg, BUSY_LIMIT)
                .unwrap_or(false)
        {
            return;
        }
        self.queue(&node, Request::Send { from, to, msg });
    }

    fn reg_send(&self, from: Pid, name: &str, node: &str, msg: Term) {
        if self.lane_idle(node)
            && self
                .dist
                .reg_send_if_connected(from, name, node, &msg, BUSY_LIMIT)
                .unwrap_or(false)
        {
            return;
        }
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

    fn call(
        &self,
        from: Pid,
        node: &str,
        module: Atom,
        function: Atom,
        args: Vec<Term>,
        reply: CallReply,
    ) {
        let req = Request::Call {
            from,
            node: node.to_owned(),
            module,
            function,
            args,
            reply,
        };
        self.queue(node, req);
    }

    fn spawn(&self, from: Pid, node: &str, function: Term, args: Vec<Term>, reply: CallReply) {
        let req = Request::SpawnFn {
            from,
            node: node.to_owned(),
            function,
            args,
            reply,
        };
        self.queue(node, req);
    }

    fn is_busy(&self, to: Destination<'_>) -> bool {
        self.busy_lanes.load(Ordering::SeqCst) > 0
            && self.backlog_of(to).is_some_and(|b| b.is_busy())
    }

    fn when_drained(&self, to: Destination<'_>, wake: Box<dyn FnOnce() + Send>) {
        match self.backlog_of(to) {
            Some(b) => b.when_drained(wake),
            None => wake(),
        }
    }
}

/// The thread that carries out one node's requests, in order.
struct Worker {
    dist: DistNode,
    handle: NodeHandle,
    backlog: Arc<Backlog>,
    busy_lanes: Arc<AtomicUsize>,
    calls: Arc<Calls>,
}

impl Worker {
    fn run(self, rx: Receiver<(Request, usize)>) {
        for (req, bytes) in rx.iter() {
            if bytes > 0 {
                self.wait_for_connection(&req);
            }
            self.carry_out(req);
            self.backlog.requests.fetch_sub(1, Ordering::SeqCst);
            if self.backlog.done(bytes) {
                self.busy_lanes.fetch_sub(1, Ordering::SeqCst);
            }
        }
    }

    /// Sends a `node.call`'s spawn request, after recording it (its answer may come
    /// before `DistNode::call` returns).
    fn call(
        &self,
        from: Pid,
        node: &str,
        module: Atom,
        function: Atom,
        args: &[Term],
        reply: CallReply,
    ) {
        let d = &self.dist;
        let dest = Atom::try_new(node);
        let args: Result<Vec<Eterm>, _> = args
            .iter()
            .map(|a| match dest {
                Some(n) => d.table().to_eterm_for(a, n),
                None => d.table().to_eterm(a),
            })
            .collect();
        let Ok(args) = args else {
            reply(Err(Term::atom("badarg")));
            return;
        };
        let tag = self.calls.new_ref();
        self.calls.start(node, Some(tag), reply, |req_id| {
            d.call(from, node, req_id, tag, module, function, args)
                .is_ok()
        });
    }

    /// Sends a `node.spawn`'s spawn request for `cube:spawn_fn(Function, Args)` (a
    /// cube node's `rpc.rs` runs it), after recording it.
    fn spawn_fn(&self, from: Pid, node: &str, function: &Term, args: &[Term], reply: CallReply) {
        let d = &self.dist;
        let table = d.table();
        let function = table.to_eterm_for_cube(function);
        let args: Result<Vec<Eterm>, _> = args.iter().map(|a| table.to_eterm_for_cube(a)).collect();
        let (Ok(function), Ok(args)) = (function, args) else {
            reply(Err(Term::atom("badarg")));
            return;
        };
        let mfa = (Atom::new("cube"), Atom::new("spawn_fn"));
        let args = vec![function, Eterm::List(args)];
        self.calls.start(node, None, reply, |req_id| {
            d.spawn_request(from, node, req_id, mfa, args, false)
                .is_ok()
        });
    }

    /// Before a message: waits while the connection it goes over has more than
    /// [`BUSY_LIMIT`] bytes not yet written, so the backlog stays here, counted.
    fn wait_for_connection(&self, req: &Request) {
        let node = match req {
            Request::Send { to, .. } => self.dist.table().node(to.node()).map(|n| n.name),
            Request::RegSend { node, .. } => Atom::try_new(node),
            _ => None,
        };
        if let Some(node) = node {
            self.dist
                .wait_writable(node, BUSY_LIMIT, Instant::now() + DRAIN_WAIT);
        }
    }

    fn carry_out(&self, req: Request) {
        let d = &self.dist;
        match req {
            // Messages that cannot go vanish, as in Erlang; one with no wire form (a
            // table graph with a cycle) is reported, as the receiving side reports
            // one it cannot take.
            Request::Send { from, to, msg } => {
                if let Err(cube_dist::DistError::Convert(e)) = d.send_term(from, to, &msg) {
                    eprintln!("cube-cli: dropped a message to {to}: {e}");
                }
            }
            Request::RegSend {
                from,
                name,
                node,
                msg,
            } => {
                if let Err(cube_dist::DistError::Convert(e)) =
                    d.reg_send_term(from, &name, &node, &msg)
                {
                    eprintln!("cube-cli: dropped a message to {{{name}, {node}}}: {e}");
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
            Request::MonitorExitTerm {
                from,
                watcher,
                r,
                reason,
            } => {
                let reason = d.table().to_eterm(&reason).unwrap_or_else(|e| {
                    Eterm::binary(format!("result cannot be sent: {e}").as_bytes())
                });
                let _ = d.monitor_exit(&Target::Pid(from), watcher, r, &reason);
            }
            Request::SpawnReply { to, req_id, result } => {
                let _ = d.spawn_reply(to, req_id, result);
            }
            Request::Ping { node, reply } => {
                reply(d.ping(&node, PING_TIMEOUT) == Pong::Pong);
            }
            Request::Call {
                from,
                node,
                module,
                function,
                args,
                reply,
            } => self.call(from, &node, module, function, &args, reply),
            Request::SpawnFn {
                from,
                node,
                function,
                args,
                reply,
            } => self.spawn_fn(from, &node, &function, &args, reply),
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
