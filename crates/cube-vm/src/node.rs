//! The node: the process table, registered names, the schedulers and the timer.
//!
//! Schedulers are OS threads (one per core by default), each with a local run queue;
//! new and woken processes go to a global injector, idle schedulers steal from it and
//! from each other (crossbeam-deque), and a scheduler with nothing to do sleeps on a
//! condition variable (DESIGN.md decision 5). A process runs for a slice of
//! `SLICE_REDUCTIONS` and goes back to its scheduler's queue, so a busy loop cannot hold
//! a scheduler (decision 2).

use crate::process::{Process, Queued, Status};
use crate::timer::Timer;
use crossbeam_deque::{Injector, Steal, Stealer, Worker};
use cube_lua::image::Image;
use cube_lua::{Outcome, State};
use cube_term::{Pid, Term};
use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::Instant;

/// The default of [`Node::set_max_processes`] (the BEAM's largest `+P`).
pub const DEFAULT_MAX_PROCESSES: usize = 1 << 20;

/// Reductions in one time slice (the BEAM uses about 4000).
pub const SLICE_REDUCTIONS: i64 = 4000;

/// Why a process ended.
#[derive(Clone, Debug, PartialEq)]
pub enum ExitReason {
    Normal,
    /// An uncaught error or an explicit non-normal exit. `message` is the error value
    /// as `lua` shows it (`None` for a nil error), `traceback` where it was raised.
    Error {
        message: Option<String>,
        traceback: Option<String>,
    },
    /// A reason that is an Erlang term, as an engine's process ends (`exit(Reason)`,
    /// an uncaught error): never the atom `normal`, which is [`ExitReason::Normal`].
    /// Lua code sees its text (`signals::reason_text`); engines see the term.
    Term(Term),
}

pub use crate::limits::Limits;
use crate::limits::{Group, PROCESS_OVERHEAD};

/// The node's counters (`cube-cli run --stats`), as read by [`Node::stats`].
#[derive(Default, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    pub spawned: u64,
    pub messages: u64,
    pub reductions: u64,
    pub peak_processes: usize,
}

/// Counters updated from any thread.
#[derive(Default, Debug)]
pub(crate) struct SharedCounters {
    pub spawned: AtomicU64,
    pub messages: AtomicU64,
    pub reductions: AtomicU64,
    pub peak_processes: AtomicUsize,
}

/// Counters of one scheduler thread, written only by that thread and summed when read:
/// a counter shared by all schedulers and bumped at every send and every slice was a
/// cache line bouncing between cores. Aligned so two schedulers' counters never share
/// a cache line.
#[derive(Default, Debug)]
#[repr(align(128))]
pub(crate) struct SchedulerCounters {
    messages: AtomicU64,
    reductions: AtomicU64,
}

impl SchedulerCounters {
    /// Adds `n` (only the owning thread writes, so a load and a store suffice).
    #[inline]
    fn bump(counter: &AtomicU64, n: u64) {
        counter.store(counter.load(Ordering::Relaxed) + n, Ordering::Relaxed);
    }
}

pub(crate) struct NodeInner {
    pub(crate) procs: crate::proc_table::ProcessTable,
    pub names: Mutex<HashMap<String, Pid>>,
    next_id: AtomicU64,
    /// Monitor references, unique per node.
    next_ref: AtomicU64,
    injector: Injector<Arc<Process>>,
    stealers: OnceLock<Vec<Stealer<Arc<Process>>>>,
    /// Guards going to sleep; `sleepers` counts the schedulers asleep or about to be.
    sleep_lock: Mutex<()>,
    sleepers: AtomicUsize,
    wake: Condvar,
    shutdown: AtomicBool,
    pub timer: Timer,
    pub stdout: Arc<Mutex<std::io::BufWriter<std::io::Stdout>>>,
    stdout_by_line: AtomicBool,
    exits: Mutex<HashMap<u64, ExitReason>>,
    watched: Mutex<std::collections::HashSet<u64>>,
    exit_cv: Condvar,
    live: AtomicUsize,
    pub(crate) stats: SharedCounters,
    /// One per scheduler thread, by index.
    pub(crate) scheduler_counters: Box<[SchedulerCounters]>,
    default_limits: Mutex<Limits>,
    /// The script's first process: its crash is reported by the command line, as `lua`
    /// reports an uncaught error.
    pub(crate) main_pid: OnceLock<u64>,
    /// Sets up a new process's state (libraries, globals) before it runs.
    /// What every process's state starts from: the libraries opened by the node's
    /// `setup` and the process libraries, built once and shared (`cube_lua::image`).
    pub(crate) image: Arc<Image>,
    /// Functions in transit to another process (the `supervisor` library's parcels).
    pub(crate) parcels: crate::supervisor::Parcels,
    /// How other nodes are reached (`distribution.rs`); unset: not distributed.
    dist: OnceLock<Arc<dyn crate::distribution::Distribution>>,
    /// Node monitors (`node.monitor`): node name -> the processes to tell, one entry
    /// per monitor.
    pub(crate) node_monitors: Mutex<crate::remote::NodeMonitors>,
    /// Pings in flight (`node.ping`), by the pinging process.
    pub(crate) pings: Mutex<HashMap<Pid, Arc<crate::node_lib::PingSlot>>>,
    /// The `node.call` each process waits on (`node_call.rs`).
    pub(crate) calls: Mutex<HashMap<Pid, Arc<crate::node_call::CallSlot>>>,
    /// The most live processes engine spawns may reach (`Node::set_max_processes`).
    max_processes: AtomicUsize,
}

/// A running node. Dropping it stops the schedulers.
pub struct Node {
    pub(crate) inner: Arc<NodeInner>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

/// `print` and `io.write` of every process share the node's standard output buffer.
pub(crate) struct SharedOut {
    out: Arc<Mutex<std::io::BufWriter<std::io::Stdout>>>,
    /// Flush after every write that ends a line ([`Node::set_stdout_line_buffered`]).
    by_line: bool,
}

impl Write for SharedOut {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut out = self.out.lock().expect("stdout lock");
        let n = out.write(buf)?;
        if self.by_line && buf[..n].contains(&b'\n') {
            out.flush()?;
        }
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.out.lock().expect("stdout lock").flush()
    }
}

impl Node {
    /// Starts a node with `schedulers` scheduler threads (0: one per core). `setup`
    /// prepares the state every process starts from (e.g. opens the libraries): it runs
    /// once, here, and its result is frozen into a shared image (`cube_lua::image`)
    /// that each process reads in place and copies only when it writes to it.
    pub fn start(schedulers: usize, setup: impl Fn(&mut State) + Send + Sync + 'static) -> Node {
        let n = if schedulers == 0 {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        } else {
            schedulers
        };
        let inner = Arc::new(NodeInner {
            procs: Default::default(),
            names: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(1),
            next_ref: AtomicU64::new(1),
            injector: Injector::new(),
            stealers: OnceLock::new(),
            sleep_lock: Mutex::new(()),
            sleepers: AtomicUsize::new(0),
            wake: Condvar::new(),
            shutdown: AtomicBool::new(false),
            timer: Timer::default(),
            stdout_by_line: AtomicBool::new(false),
            stdout: Arc::new(Mutex::new(std::io::BufWriter::with_capacity(
                1 << 16,
                std::io::stdout(),
            ))),
            exits: Mutex::new(HashMap::new()),
            watched: Mutex::new(std::collections::HashSet::new()),
            exit_cv: Condvar::new(),
            live: AtomicUsize::new(0),
            stats: SharedCounters::default(),
            scheduler_counters: (0..n).map(|_| SchedulerCounters::default()).collect(),
            default_limits: Mutex::new(Limits::default()),
            main_pid: OnceLock::new(),
            image: Image::new(|st| {
                setup(st);
                crate::library::open(st);
            }),
            parcels: Default::default(),
            dist: OnceLock::new(),
            node_monitors: Mutex::new(Default::default()),
            pings: Mutex::new(HashMap::new()),
            calls: Mutex::new(HashMap::new()),
            max_processes: AtomicUsize::new(DEFAULT_MAX_PROCESSES),
        });
        let workers: Vec<Worker<Arc<Process>>> = (0..n).map(|_| Worker::new_fifo()).collect();
        let _ = inner
            .stealers
            .set(workers.iter().map(|w| w.stealer()).collect());
        let mut threads = Vec::new();
        for (i, w) in workers.into_iter().enumerate() {
            let node = inner.clone();
            threads.push(
                std::thread::Builder::new()
                    .name(format!("cube-sched-{i}"))
                    .spawn(move || scheduler_loop(node, w, i))
                    .expect("scheduler thread"),
            );
        }
        inner.timer.start(Arc::downgrade(&inner));
        Node { inner, threads }
    }

    /// Spawns a process in a fresh state made from the node's image — the entry point
    /// for the first process of a script. `build` pushes the process's function, then
    /// its arguments (`State::push_chunk`, or values made in a context, `State::cx`),
    /// and returns how many arguments it pushed.
    pub fn spawn_main(
        &self,
        build: impl FnOnce(&mut State) -> Result<usize, String>,
    ) -> Result<Pid, String> {
        let mut st = new_process_state(&self.inner);
        let nargs = build(&mut st)?;
        st.traceback_on_error = true;
        st.host_frame_in_traceback = true;
        let pid = self.inner.new_pid();
        let _ = self.inner.main_pid.set(pid.id());
        self.inner
            .watched
            .lock()
            .expect("watched lock")
            .insert(pid.id());
        // The first process is the root of the program's group (`limits.rs`).
        let limits = self.inner.default_limits();
        let group = limits.is_limited().then(|| Arc::new(Group::new(limits)));
        Ok(self
            .inner
            .spawn_with_pid(pid, st, nargs, None, limits, group, None))
    }

    /// Spawns the node's first process running the engine `body` (`engine.rs`), as
    /// [`Node::spawn_main`] does for a Lua chunk: its end is waited for with
    /// [`Node::wait`], and its crash is reported by the embedder, not the node.
    pub fn spawn_main_engine(&self, body: Box<dyn crate::engine::Engine>) -> Result<Pid, String> {
        let limits = self.inner.default_limits();
        let group = limits.is_limited().then(|| Arc::new(Group::new(limits)));
        let pid = self.inner.new_pid();
        let _ = self.inner.main_pid.set(pid.id());
        self.inner
            .watched
            .lock()
            .expect("watched lock")
            .insert(pid.id());
        Ok(self
            .inner
            .spawn_engine_with_pid(pid, body, None, limits, group))
    }

    /// The most processes the node runs at once (engine spawns beyond it fail; by
    /// default 1,048,576, the BEAM's maximum).
    pub fn set_max_processes(&self, n: usize) {
        self.inner.max_processes.store(n, Ordering::Relaxed);
    }

    /// Waits until process `pid` (one made by `spawn_main`) has ended and returns why.
    pub fn wait(&self, pid: Pid) -> ExitReason {
        let mut exits = self.inner.exits.lock().expect("exits lock");
        loop {
            if let Some(r) = exits.remove(&pid.id()) {
                return r;
            }
            exits = self.inner.exit_cv.wait(exits).expect("exits lock");
        }
    }

    /// Limits for every process spawned from now on (`cube-cli run --max-heap ...`):
    /// the first process's limits and its group's bounds, and ceilings for every
    /// process (`spawn_opt` can only lower them; see `limits.rs`).
    pub fn set_default_limits(&self, limits: Limits) {
        *self.inner.default_limits.lock().expect("limits lock") = limits;
    }

    /// The node's counters now.
    pub fn stats(&self) -> Stats {
        let shared = &self.inner.stats;
        let mut s = Stats {
            spawned: shared.spawned.load(Ordering::Relaxed),
            messages: shared.messages.load(Ordering::Relaxed),
            reductions: shared.reductions.load(Ordering::Relaxed),
            peak_processes: shared.peak_processes.load(Ordering::Relaxed),
        };
        for c in self.inner.scheduler_counters.iter() {
            s.messages += c.messages.load(Ordering::Relaxed);
            s.reductions += c.reductions.load(Ordering::Relaxed);
        }
        s
    }

    /// Number of live processes.
    pub fn process_count(&self) -> usize {
        self.inner.live.load(Ordering::SeqCst)
    }

    /// Makes the standard output of processes spawned from now on line-buffered, as a
    /// long-running node wants (a supervisor's script: each `print` shows at once).
    /// By default it is block-buffered, as `lua`'s is into a pipe, and flushed at exit.
    pub fn set_stdout_line_buffered(&self, on: bool) {
        self.inner.stdout_by_line.store(on, Ordering::SeqCst);
    }

    /// Installs the layer that reaches other nodes (`distribution.rs`). Once only:
    /// false if one was installed already (pids of other nodes must keep one meaning).
    pub fn set_distribution(&self, dist: Arc<dyn crate::distribution::Distribution>) -> bool {
        self.inner.dist.set(dist).is_ok()
    }

    /// A writer on the node's standard output (shared with every process's output,
    /// buffered as theirs), for engines' processes (`engine.rs`).
    pub fn stdout(&self) -> impl Write + Send + 'static {
        shared_out(&self.inner)
    }

    pub fn flush_stdout(&self) {
        let _ = self.inner.stdout.lock().expect("stdout lock").flush();
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.inner.shutdown.store(true, Ordering::SeqCst);
        {
            let _g = self.inner.sleep_lock.lock().expect("sleep lock");
            self.inner.wake.notify_all();
        }
        self.inner.timer.stop();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
        self.flush_stdout();
    }
}

/// A writer on the node's standard output, buffered as the node's is.
pub(crate) fn shared_out(node: &Arc<NodeInner>) -> SharedOut {
    SharedOut {
        out: node.stdout.clone(),
        by_line: node.stdout_by_line.load(Ordering::Relaxed),
    }
}

/// A fresh state for a process: the node's image, output to the node's stdout.
pub(crate) fn new_process_state(node: &Arc<NodeInner>) -> State {
    let mut st = State::from_image(&node.image);
    st.stdout = Box::new(SharedOut {
        out: node.stdout.clone(),
        by_line: node.stdout_by_line.load(Ordering::Relaxed),
    });
    st.traceback_on_error = true;
    st
}

impl NodeInner {
    pub(crate) fn new_pid(&self) -> Pid {
        Pid::new(0, self.next_id.fetch_add(1, Ordering::Relaxed), 0)
    }

    pub(crate) fn new_ref_id(&self) -> u64 {
        self.next_ref.fetch_add(1, Ordering::Relaxed)
    }

    /// The local process `pid`; `None` for a pid of another node (same number, other
    /// process) or a process that ended.
    pub(crate) fn lookup(&self, pid: Pid) -> Option<Arc<Process>> {
        if pid.node() != 0 {
            return None;
        }
        self.procs.get(pid.id())
    }

    /// Makes a process of `st` running the function pushed on its stack with the
    /// `nargs` values above it, with `limits`, and queues it; with
    /// `link`, the new process is linked to that (running) process before anything can
    /// run, which is what makes `spawn_link` atomic.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn spawn_state_limited(
        self: &Arc<Self>,
        st: State,
        nargs: usize,
        link: Option<Pid>,
        limits: Limits,
        group: Option<Arc<Group>>,
        doomed: Option<ExitReason>,
    ) -> Pid {
        let pid = self.new_pid();
        self.spawn_with_pid(pid, st, nargs, link, limits, group, doomed)
    }

    /// Makes a process running the engine `body` and queues it (`engine.rs`); with
    /// `link`, linked to that running process before it can run. `Err` when the node
    /// has [`Node::set_max_processes`] processes already.
    pub(crate) fn spawn_engine(
        self: &Arc<Self>,
        body: Box<dyn crate::engine::Engine>,
        link: Option<Pid>,
        limits: Limits,
        group: Option<Arc<Group>>,
    ) -> Result<Pid, String> {
        let max = self.max_processes.load(Ordering::Relaxed);
        if self.live.load(Ordering::SeqCst) >= max {
            return Err(format!("too many processes (the node's limit is {max})"));
        }
        let pid = self.new_pid();
        Ok(self.spawn_engine_with_pid(pid, body, link, limits, group))
    }

    /// The most live processes engine spawns may reach.
    pub(crate) fn max_processes(&self) -> usize {
        self.max_processes.load(Ordering::Relaxed)
    }

    /// Processes alive now.
    pub(crate) fn live_processes(&self) -> usize {
        self.live.load(Ordering::SeqCst)
    }

    /// `spawn_engine` with its pid made already.
    pub(crate) fn spawn_engine_with_pid(
        self: &Arc<Self>,
        pid: Pid,
        body: Box<dyn crate::engine::Engine>,
        link: Option<Pid>,
        limits: Limits,
        group: Option<Arc<Group>>,
    ) -> Pid {
        let mut proc = Process::with_body(pid, crate::process::Body::Engine(body));
        proc.mailbox.get_mut().expect("mailbox lock").sig.erlang = true;
        if let Some(g) = &group {
            g.charge(PROCESS_OVERHEAD);
        }
        if group.is_some() || limits != Limits::default() {
            proc.limited = Some(Box::new(crate::process::Limited { limits, group }));
        }
        let p = Arc::new(proc);
        if let Some(parent) = link {
            self.link_parent_side(parent, pid);
            p.mailbox.lock().expect("mailbox lock").sig.add_link(parent);
        }
        self.procs.insert(pid.id(), p.clone());
        let live = self.live.fetch_add(1, Ordering::SeqCst) + 1;
        self.stats.spawned.fetch_add(1, Ordering::Relaxed);
        self.stats.peak_processes.fetch_max(live, Ordering::Relaxed);
        self.enqueue(p);
        pid
    }

    pub(crate) fn default_limits(&self) -> Limits {
        *self.default_limits.lock().expect("limits lock")
    }

    /// Makes process `pid` of `st` running the function pushed on its stack with the
    /// `nargs` values above it. It joins `group`, which is charged
    /// its overhead and initial heap here (the caller checked that the group can afford
    /// them). A `doomed` process never runs: it ends at once with that reason (a spawn
    /// whose function or arguments do not fit in the child's heap limit), after its
    /// link is made, so the spawner sees the reason as with any other exit.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn spawn_with_pid(
        self: &Arc<Self>,
        pid: Pid,
        mut st: State,
        nargs: usize,
        link: Option<Pid>,
        limits: Limits,
        group: Option<Arc<Group>>,
        doomed: Option<ExitReason>,
    ) -> Pid {
        crate::library::install(&mut st, self.clone());
        st.set_max_heap(limits.max_heap);
        let started = match doomed {
            None => st.start_task(nargs).map_err(|_| st.pop_error_message()),
            Some(_) => Ok(()),
        };
        let heap = st.heap_bytes();
        let mut proc = Process::new(pid, st);
        proc.heap_bytes.store(heap, Ordering::Relaxed);
        if let Some(g) = &group {
            g.charge(PROCESS_OVERHEAD + heap);
        }
        if group.is_some() || limits != Limits::default() {
            proc.limited = Some(Box::new(crate::process::Limited { limits, group }));
        }
        let p = Arc::new(proc);
        if let Some(st) = p
            .state
            .lock()
            .expect("state lock")
            .as_mut()
            .and_then(|b| b.lua())
        {
            crate::library::set_process(st, &p);
            // SAFETY: the flag is in the process record, which outlives the state:
            // the state lives in `p.state` (dropped before `interrupt`, declared after
            // it) or is taken out only by `exit`, which closes and drops it while it
            // holds the record.
            unsafe { st.set_interrupt_ref(&p.interrupt) };
        }
        if let Some(parent) = link {
            self.link_parent_side(parent, pid);
            p.mailbox.lock().expect("mailbox lock").sig.add_link(parent);
        }
        self.procs.insert(pid.id(), p.clone());
        let live = self.live.fetch_add(1, Ordering::SeqCst) + 1;
        self.stats.spawned.fetch_add(1, Ordering::Relaxed);
        self.stats.peak_processes.fetch_max(live, Ordering::Relaxed);
        if let Some(reason) = doomed {
            self.exit(&p, reason);
            return pid;
        }
        if let Err(message) = started {
            self.exit(
                &p,
                ExitReason::Error {
                    message,
                    traceback: None,
                },
            );
            return pid;
        }
        self.enqueue(p);
        pid
    }

    /// Adds `n` to a counter: the running scheduler's own, or the shared one when
    /// called from another thread.
    #[inline]
    fn count(
        &self,
        own: impl Fn(&SchedulerCounters) -> &AtomicU64,
        shared: impl Fn(&SharedCounters) -> &AtomicU64,
        n: u64,
    ) {
        let (node, counters) = LOCAL_COUNTERS.get();
        if std::ptr::eq(node, self) && !counters.is_null() {
            // SAFETY: set by `scheduler_loop` on this thread to its node's counters,
            // which live as long as the node; cleared before the loop returns.
            SchedulerCounters::bump(own(unsafe { &*counters }), n);
        } else {
            shared(&self.stats).fetch_add(n, Ordering::Relaxed);
        }
    }

    /// Queues a runnable process and wakes a sleeping scheduler if there is one. The
    /// lock is taken only when someone sleeps: a scheduler announces itself in
    /// `sleepers` before its last look at the queue, so either it sees this process or
    /// this call sees it and wakes it (no lost wake-up).
    ///
    /// On a scheduler thread of this node the process goes to that scheduler's own queue
    /// (as the BEAM does): a process woken by a message runs next on the same core, and
    /// the global queue is not touched. Sleepers are woken only when that queue holds
    /// more than the one process, so a hand-off chain (a ring, ping-pong) does not wake
    /// a sleeping scheduler at every hop.
    pub(crate) fn enqueue(&self, p: Arc<Process>) {
        let (node, queue) = LOCAL_QUEUE.get();
        if std::ptr::eq(node, self) && !queue.is_null() {
            // SAFETY: set by `scheduler_loop` on this thread to its own worker, which
            // outlives the loop; cleared before the loop returns.
            let queue = unsafe { &*queue };
            queue.push(p);
            if queue.len() <= 1 {
                return;
            }
        } else {
            self.injector.push(p);
        }
        if self.sleepers.load(Ordering::SeqCst) > 0 {
            let _g = self.sleep_lock.lock().expect("sleep lock");
            self.wake.notify_one();
        }
    }

    /// The distribution layer, if this node is distributed.
    pub(crate) fn distribution(&self) -> Option<&Arc<dyn crate::distribution::Distribution>> {
        self.dist.get()
    }

    /// Delivers a message; messages to dead or unknown processes vanish (as in Erlang).
    /// A pid of another node goes through the distribution layer, from no process.
    pub(crate) fn send(&self, to: Pid, msg: Term) {
        if to.node() != 0 {
            if let Some(d) = self.distribution() {
                d.send(None, to, msg);
            }
            return;
        }
        if let Some(p) = self.lookup(to) {
            self.send_to(&p, msg);
        }
    }

    /// Delivers a message to process `p` (dropped if it has ended).
    ///
    /// The message counts against the receiver's limits (`limits.rs`): one that would
    /// take its queued messages over its `max_heap`, or its group's account past twice
    /// the group's bound, is dropped and the receiver is killed with "heap limit
    /// exceeded".
    pub(crate) fn send_to(&self, p: &Arc<Process>, msg: Term) {
        self.count(|c| &c.messages, |s| &s.messages, 1);
        let limited = p.limited.as_deref().is_some_and(|l| {
            l.limits.max_heap.is_some() || l.group.as_ref().is_some_and(|g| g.max_heap.is_some())
        });
        // Sized outside the lock: it walks the whole message.
        let size = if limited {
            crate::limits::term_size(&msg)
        } else {
            0
        };
        let wake = {
            let mut mb = p.mailbox.lock().expect("mailbox lock");
            if mb.status == Status::Exited {
                return;
            }
            // The heap published at the end of the receiver's last slice may be mostly
            // garbage, and only the receiver can collect it: here the queue alone is
            // held to the limit; heap + queue is held to it where the receiver
            // collects (its heap cap is its limit minus its queue) and when it takes a
            // message (`ensure_heap_room`). See `limits.rs`.
            let queued = p.queued_bytes.load(Ordering::Relaxed);
            let fits = match p.limited.as_deref() {
                None => true,
                Some(l) => {
                    let over_own = l
                        .limits
                        .max_heap
                        .is_some_and(|max| queued.saturating_add(size) > max);
                    !over_own && l.group.as_ref().is_none_or(|g| g.try_charge_queued(size))
                }
            };
            if fits {
                p.queued_bytes.store(queued + size, Ordering::Relaxed);
                mb.inbox.push_back(Queued { term: msg, size });
                if mb.status == Status::Waiting && !mb.io_wait {
                    mb.status = Status::Runnable;
                    true
                } else {
                    false
                }
            } else {
                mb.record_kill(heap_limit_reason(), &p.interrupt)
            }
        };
        if wake {
            self.enqueue(p.clone());
        }
    }

    /// The timer of wait `seq` of process `pid` fired.
    pub(crate) fn timeout(&self, p: &Arc<Process>, seq: u32) {
        let wake = {
            let mut mb = p.mailbox.lock().expect("mailbox lock");
            if mb.status == Status::Waiting && mb.wait_seq == seq {
                mb.timed_out = true;
                mb.status = Status::Runnable;
                true
            } else {
                false
            }
        };
        if wake {
            self.enqueue(p.clone());
        }
    }

    /// Ends a process: frees its state and name, then sends its exit signals (links,
    /// monitors), so chains of links propagate.
    fn exit(&self, p: &Arc<Process>, reason: ExitReason) {
        let (sig, name) = {
            let mut mb = p.mailbox.lock().expect("mailbox lock");
            mb.status = Status::Exited;
            mb.inbox.clear();
            let name = mb.sig.take_name();
            (std::mem::take(&mut mb.sig), name)
        };
        // Nothing is added to its account once it is `Exited` (senders check under the
        // lock): give the group back everything the process was charged.
        let queued = p.queued_bytes.swap(0, Ordering::Relaxed);
        if let Some(g) = p.group() {
            g.release(PROCESS_OVERHEAD + queued + p.heap_bytes.load(Ordering::Relaxed));
        }
        self.procs.remove(p.pid.id());
        if let Some(name) = name {
            self.names.lock().expect("names lock").remove(&*name);
        }
        // Free the heap now rather than when the last Arc goes.
        if let Ok(mut g) = p.state.lock() {
            if let Some(crate::process::Body::Lua(mut s)) = g.take() {
                // Its finalizers run, but cannot hold the scheduler: they get what the
                // process's limits leave, or a fixed allowance without limits. (A state
                // without finalizers runs no code when it closes: it is spared making
                // the state's rarely used part, `State::cold`, just to be bounded.)
                if s.0.has_finalizers() {
                    bound_outside_slice(p, &mut s.0);
                }
                let _ = s.0.close();
            }
        }
        self.live.fetch_sub(1, Ordering::SeqCst);
        self.propagate(p.pid, sig, &reason);
        if self.distribution().is_some() {
            self.forget_remote_state(p.pid);
        }
        // Only the reasons someone will wait for are kept.
        let watched = self
            .watched
            .lock()
            .expect("watched lock")
            .remove(&p.pid.id());
        if watched {
            let mut exits = self.exits.lock().expect("exits lock");
            exits.insert(p.pid.id(), reason);
            self.exit_cv.notify_all();
        }
    }
}

/// The reason of a process preempted with no reductions left (its own or its group's).
fn reduction_limit_reason() -> ExitReason {
    ExitReason::Error {
        message: Some("reduction limit exceeded".to_string()),
        traceback: None,
    }
}

/// The reason of a process ended by the heap limit (its own or its group's).
pub(crate) fn heap_limit_reason() -> ExitReason {
    ExitReason::Error {
        message: Some("heap limit exceeded".to_string()),
        traceback: None,
    }
}

/// Every this many slices a scheduler takes from the global queue before its own, so a
/// busy local queue cannot starve woken or new processes (Go's scheduler does the same).
const GLOBAL_QUEUE_INTERVAL: u64 = 61;

fn find_work(
    node: &NodeInner,
    local: &Worker<Arc<Process>>,
    me: usize,
    tick: u64,
) -> Option<Arc<Process>> {
    if tick.is_multiple_of(GLOBAL_QUEUE_INTERVAL) {
        if let Steal::Success(p) = node.injector.steal() {
            return Some(p);
        }
    }
    if let Some(p) = local.pop() {
        return Some(p);
    }
    loop {
        match node.injector.steal_batch_and_pop(local) {
            Steal::Success(p) => return Some(p),
            Steal::Retry => continue,
            Steal::Empty => break,
        }
    }
    let stealers = node.stealers.get()?;
    for k in 1..stealers.len() {
        let victim = &stealers[(me + k) % stealers.len()];
        loop {
            match victim.steal() {
                Steal::Success(p) => return Some(p),
                Steal::Retry => continue,
                Steal::Empty => break,
            }
        }
    }
    None
}

/// Looks for work a little longer before sleeping: a message to a waiting process
/// usually arrives within microseconds, and waking a sleeping thread costs far more than
/// that (a futex round trip). Bounded, so an idle scheduler still sleeps at once.
fn spin_for_work(
    node: &NodeInner,
    local: &Worker<Arc<Process>>,
    me: usize,
) -> Option<Arc<Process>> {
    for i in 0..64 {
        if i < 32 {
            std::hint::spin_loop();
        } else {
            std::thread::yield_now();
        }
        if let Some(p) = find_work(node, local, me, 1) {
            return Some(p);
        }
    }
    None
}

thread_local! {
    /// The node and run queue of the scheduler running on this thread (null elsewhere).
    static LOCAL_QUEUE: std::cell::Cell<(*const NodeInner, *const Worker<Arc<Process>>)> =
        const { std::cell::Cell::new((std::ptr::null(), std::ptr::null())) };
    /// The counters of the scheduler running on this thread (null elsewhere).
    static LOCAL_COUNTERS: std::cell::Cell<(*const NodeInner, *const SchedulerCounters)> =
        const { std::cell::Cell::new((std::ptr::null(), std::ptr::null())) };
}

/// Clears `LOCAL_QUEUE` when a scheduler loop ends, however it ends.
struct LocalQueueGuard;

impl Drop for LocalQueueGuard {
    fn drop(&mut self) {
        LOCAL_QUEUE.set((std::ptr::null(), std::ptr::null()));
        LOCAL_COUNTERS.set((std::ptr::null(), std::ptr::null()));
    }
}

fn scheduler_loop(node: Arc<NodeInner>, local: Worker<Arc<Process>>, me: usize) {
    LOCAL_QUEUE.set((Arc::as_ptr(&node), &local as *const _));
    LOCAL_COUNTERS.set((Arc::as_ptr(&node), &node.scheduler_counters[me] as *const _));
    let _guard = LocalQueueGuard;
    let mut tick: u64 = 0;
    loop {
        if node.shutdown.load(Ordering::SeqCst) {
            return;
        }
        tick += 1;
        let Some(p) =
            find_work(&node, &local, me, tick).or_else(|| spin_for_work(&node, &local, me))
        else {
            let guard = node.sleep_lock.lock().expect("sleep lock");
            node.sleepers.fetch_add(1, Ordering::SeqCst);
            if node.shutdown.load(Ordering::SeqCst) || !node.injector.is_empty() {
                node.sleepers.fetch_sub(1, Ordering::SeqCst);
                continue;
            }
            let guard = node.wake.wait(guard).expect("sleep lock");
            node.sleepers.fetch_sub(1, Ordering::SeqCst);
            drop(guard);
            continue;
        };
        run_slice(&node, &local, p);
    }
}

fn run_slice(node: &Arc<NodeInner>, local: &Worker<Arc<Process>>, p: Arc<Process>) {
    let Some(interrupt) = start_slice(node, &p) else {
        return;
    };
    let (outcome, wait, error) = {
        let mut guard = p.state.lock().expect("state lock");
        let st = match guard.as_mut() {
            None => return,
            Some(crate::process::Body::Lua(st)) => &mut st.0,
            Some(crate::process::Body::Engine(e)) => {
                let step = run_engine(node, &p, e.as_mut(), interrupt);
                drop(guard);
                return after_engine(node, local, p, step);
            }
        };
        if interrupt {
            // Whatever it waited for is abandoned: the error unwinds the receive.
            crate::library::abandon_wait(st);
            st.interrupt_next_resume();
        }
        let slice = slice_limits(&p, st);
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| st.resume(slice)));
        let used = ((slice - st.budget).max(0) as u64).saturating_add(st.take_reductions_drawn());
        p.reductions.fetch_add(used, Ordering::Relaxed);
        publish(&p, st.memory_bytes(), used);
        let (wait, skipped) = crate::library::after_slice(st);
        let skipped = u32::try_from(skipped).unwrap_or(u32::MAX);
        p.skipped_messages.store(skipped, Ordering::Relaxed);
        node.count(|c| &c.reductions, |s| &s.reductions, used);
        let outcome = match outcome {
            Ok(o) => o,
            Err(panic) => {
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "panic".to_string());
                st.push_str(format!("internal error: {what}").as_bytes());
                Outcome::Error
            }
        };
        // Describe an error while its value still lives in this heap. (An error object's
        // `__tostring` runs here, outside any slice: it gets what an exit's finalizers
        // get, so an endless one cannot hold the scheduler.)
        if outcome == Outcome::Error {
            bound_outside_slice(&p, st);
        }
        let error = match outcome {
            Outcome::Error => {
                let top = st.top();
                let exit = st.cx(|cx| crate::library::exit_reason_of(cx, cx.stack_at(top - 1)));
                Some(match exit {
                    Some(r) => {
                        st.set_top(top - 1);
                        (r, false)
                    }
                    None => {
                        // As lua.c's message handler: a traceback for a string or a
                        // number; an object is shown as its `__tostring` says, alone.
                        let plain = st.cx(|cx| {
                            matches!(
                                cx.stack_at(top - 1),
                                cube_lua::host::Val::Str(_) | cube_lua::host::Val::Num(_)
                            )
                        });
                        let message = st.pop_error_message();
                        let traceback = st.take_last_traceback().filter(|_| plain);
                        (ExitReason::Error { message, traceback }, true)
                    }
                })
            }
            _ => None,
        };
        (outcome, wait, error)
    };
    match outcome {
        Outcome::Preempted if out_of_reductions(&p) => node.exit(&p, reduction_limit_reason()),
        Outcome::Preempted => after_preempt(node, local, p),
        Outcome::Blocked => after_block(node, local, p, wait),
        Outcome::Finished(_) => node.exit(&p, ExitReason::Normal),
        Outcome::Error => {
            // A kill recorded while it ran (its interrupt flag stopped the code with
            // "interrupted") ends it with the kill's reason.
            let killed = p.mailbox.lock().expect("mailbox lock").sig.kill.take();
            if let Some(reason) = killed {
                node.exit(&p, *reason);
                return;
            }
            let (reason, crashed) = error.expect("error described");
            if crashed && Some(p.pid.id()) != node.main_pid.get().copied() {
                report_crash(node, p.pid, &reason);
            }
            node.exit(&p, reason);
        }
    }
}

/// A slice of an engine's process (`engine.rs`): runs it within its limits and
/// publishes what it used.
fn run_engine(
    node: &Arc<NodeInner>,
    p: &Arc<Process>,
    e: &mut dyn crate::engine::Engine,
    interrupted: bool,
) -> crate::engine::Step {
    let slice = match reductions_left(p) {
        Some(left) => SLICE_REDUCTIONS
            .min(left.min(i64::MAX as u64) as i64)
            .max(1),
        None => SLICE_REDUCTIONS,
    } as u64;
    let mut cx = crate::engine::EngineCx {
        node: node.clone(),
        process: p.clone(),
        interrupted,
    };
    let outcome =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| e.resume(&mut cx, slice)));
    let (step, used) = match outcome {
        Ok(r) => r,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic".to_string());
            let reason = ExitReason::Error {
                message: Some(format!("internal error: {what}")),
                traceback: None,
            };
            let report = Some(format!("internal error: {what}"));
            (crate::engine::Step::Exited { reason, report }, slice)
        }
    };
    p.reductions.fetch_add(used, Ordering::Relaxed);
    publish(p, e.heap_bytes(), used);
    let pending = u32::try_from(e.pending_messages()).unwrap_or(u32::MAX);
    p.skipped_messages.store(pending, Ordering::Relaxed);
    node.count(|c| &c.reductions, |s| &s.reductions, used);
    step
}

/// What the scheduler does after an engine's slice: as after a Lua slice.
fn after_engine(
    node: &Arc<NodeInner>,
    local: &Worker<Arc<Process>>,
    p: Arc<Process>,
    step: crate::engine::Step,
) {
    use crate::engine::Step;
    match step {
        Step::Preempted if out_of_reductions(&p) => node.exit(&p, reduction_limit_reason()),
        Step::Preempted => after_preempt(node, local, p),
        Step::Wait(deadline) => {
            let seq = p.mailbox.lock().expect("mailbox lock").wait_seq;
            after_block(node, local, p, deadline.map(|d| (d, seq)))
        }
        Step::Exited { reason, report } => {
            let killed = p.mailbox.lock().expect("mailbox lock").sig.kill.take();
            if let Some(reason) = killed {
                node.exit(&p, *reason);
                return;
            }
            if let Some(report) = report {
                if Some(p.pid.id()) != node.main_pid.get().copied() {
                    let _ = node.stdout.lock().expect("stdout lock").flush();
                    eprint!("{report}");
                }
            }
            node.exit(&p, reason);
        }
    }
}

/// Prepares a slice of `p` within its limits and its group's (`limits.rs`): returns the
/// reductions it may use (the last slice ends exactly at a limit) and caps its heap at
/// what its limit and its group have left.
///
/// What the limits leave after the slice is the state's reduction reserve: code that
/// cannot be preempted (finalizers, xpcall message handlers, anything called from Rust)
/// runs on it past the slice's end, and ends the process with "reduction limit
/// exceeded" once it is spent, instead of escaping the limit.
fn slice_limits(p: &Process, st: &mut State) -> i64 {
    if p.limited.is_none() {
        // Unlimited (most processes): a full slice, no reserve, no heap cap to set.
        st.set_reduction_reserve(None);
        st.take_reductions_drawn();
        return SLICE_REDUCTIONS;
    }
    let group = p.group().map(|g| &**g);
    let left = reductions_left(p);
    let slice = match left {
        Some(left) => SLICE_REDUCTIONS
            .min(left.min(i64::MAX as u64) as i64)
            .max(1),
        None => SLICE_REDUCTIONS,
    };
    st.set_reduction_reserve(left.map(|l| l.saturating_sub(slice as u64)));
    st.take_reductions_drawn();
    if p.limits().max_heap.is_some() || group.is_some_and(|g| g.max_heap.is_some()) {
        let queued = p.queued_bytes.load(Ordering::Relaxed);
        let own = p.limits().max_heap.map(|m| m.saturating_sub(queued));
        let shared = group.filter(|g| g.max_heap.is_some()).map(|g| {
            p.heap_bytes
                .load(Ordering::Relaxed)
                .saturating_add(g.memory_left())
        });
        st.set_max_heap(crate::limits::min_opt(own, shared));
    }
    slice
}

/// After a slice: charges the group the reductions used and the change of the heap.
fn publish(p: &Process, heap: usize, used: u64) {
    let old = p.heap_bytes.swap(heap, Ordering::Relaxed);
    if let Some(g) = p.group() {
        g.reductions.fetch_add(used, Ordering::Relaxed);
        if heap >= old {
            g.charge(heap - old);
        } else {
            g.release(old - heap);
        }
    }
}

/// Reductions `p` may still use under its own limit and its group's (`None`: no limit).
fn reductions_left(p: &Process) -> Option<u64> {
    let own_left = p
        .limits()
        .max_reductions
        .map(|m| m.saturating_sub(p.reductions()));
    let group_left = p
        .group()
        .filter(|g| g.max_reductions.is_some())
        .map(|g| g.reductions_left());
    crate::limits::min_opt(own_left, group_left)
}

/// Reductions the finalizers of a process without a reduction limit may use when it
/// ends (its state closes on the scheduler: an endless `__gc` must not hold it). About
/// a tenth of a second of work; a process with a limit gets what the limit leaves.
const CLOSE_REDUCTIONS: u64 = 10_000_000;

/// Bounds Lua code the scheduler runs for `p` outside a slice (finalizers when it ends,
/// its error object's `__tostring`): no budget of its own, only the reserve of what its
/// limits leave, or [`CLOSE_REDUCTIONS`] without a limit.
fn bound_outside_slice(p: &Process, st: &mut State) {
    st.budget = 0;
    st.set_reduction_reserve(Some(reductions_left(p).unwrap_or(CLOSE_REDUCTIONS)));
}

/// Whether `p` or its group has used all its reductions.
fn out_of_reductions(p: &Process) -> bool {
    if p.limited.is_none() {
        return false;
    }
    p.limits()
        .max_reductions
        .is_some_and(|m| p.reductions() >= m)
        || p.group()
            .is_some_and(|g| g.max_reductions.is_some() && g.reductions_left() == 0)
}

/// Marks a picked-up process `Running`; false if it must not run: it has ended, or a
/// signal killed it while it was queued or waiting (then it ends here, on the scheduler
/// that owns it, which is what makes kills from other threads safe).
/// Marks the process running for a slice; `None` if it must not run (it ended, or a
/// kill was waiting), else whether the host asked to interrupt its code.
fn start_slice(node: &Arc<NodeInner>, p: &Arc<Process>) -> Option<bool> {
    let mut mb = p.mailbox.lock().expect("mailbox lock");
    if mb.status == Status::Exited {
        return None;
    }
    if let Some(reason) = mb.sig.kill.take() {
        drop(mb);
        node.exit(p, *reason);
        return None;
    }
    mb.status = Status::Running;
    mb.io_wait = false;
    mb.io_ready = false;
    Some(std::mem::take(&mut mb.sig.interrupt))
}

/// Out of budget: back to the local queue, unless a signal killed it during the slice.
fn after_preempt(node: &Arc<NodeInner>, local: &Worker<Arc<Process>>, p: Arc<Process>) {
    let killed = {
        let mut mb = p.mailbox.lock().expect("mailbox lock");
        mb.status = Status::Runnable;
        mb.sig.kill.take()
    };
    match killed {
        Some(reason) => node.exit(&p, *reason),
        None => local.push(p),
    }
}

/// Blocked in a receive or sleep: ends it if a signal killed it, runs it again if what
/// it waits for already came, else lets it wait (with a timer if it has a deadline).
/// All under the mailbox lock, so a message or signal arriving meanwhile is not lost.
fn after_block(node: &Arc<NodeInner>, local: &Worker<Arc<Process>>, p: Arc<Process>, wait: Wait) {
    let mut mb = p.mailbox.lock().expect("mailbox lock");
    if let Some(reason) = mb.sig.kill.take() {
        drop(mb);
        node.exit(&p, *reason);
    } else if mb.io_ready || mb.timed_out || (!mb.io_wait && !mb.inbox.is_empty()) {
        mb.status = Status::Runnable;
        drop(mb);
        local.push(p);
    } else {
        mb.status = Status::Waiting;
        if let Some((deadline, seq)) = wait {
            node.timer.add(deadline, p.clone(), seq);
        }
    }
}

/// Reports a crashed process on stderr, as Erlang's logger does.
fn report_crash(node: &NodeInner, pid: Pid, reason: &ExitReason) {
    let ExitReason::Error { message, traceback } = reason else {
        return;
    };
    let _ = node.stdout.lock().expect("stdout lock").flush();
    let msg = message.as_deref().unwrap_or("nil");
    match traceback {
        Some(tb) => eprintln!("cube-cli: process {pid} crashed: {msg}\n{tb}"),
        None => eprintln!("cube-cli: process {pid} crashed: {msg}"),
    }
}

/// Deadline and wait sequence number a blocking native asked for.
pub(crate) type Wait = Option<(Instant, u32)>;
