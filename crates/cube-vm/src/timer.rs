//! One timer thread for the whole node: sleeping or waiting processes cost an entry in
//! a heap, not a thread (issue 3: "timers that do not need a thread per sleeping
//! process").

use crate::node::NodeInner;
use crate::process::Process;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::{Duration, Instant};

struct Entry {
    at: Instant,
    serial: u64,
    process: Arc<Process>,
    wait_seq: u32,
}

impl PartialEq for Entry {
    fn eq(&self, o: &Self) -> bool {
        (self.at, self.serial) == (o.at, o.serial)
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Entry {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (self.at, self.serial).cmp(&(o.at, o.serial))
    }
}

#[derive(Default)]
struct Queue {
    heap: BinaryHeap<Reverse<Entry>>,
    serial: u64,
    stop: bool,
}

#[derive(Default)]
pub(crate) struct Timer {
    queue: Mutex<Queue>,
    cv: Condvar,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Timer {
    pub(crate) fn start(&self, node: Weak<NodeInner>) {
        let h = std::thread::Builder::new()
            .name("cube-timer".into())
            .spawn(move || run(node))
            .expect("timer thread");
        *self.thread.lock().expect("timer lock") = Some(h);
    }

    /// Wakes `process` at `at` unless its wait `wait_seq` is over by then.
    pub(crate) fn add(&self, at: Instant, process: Arc<Process>, wait_seq: u32) {
        let mut q = self.queue.lock().expect("timer lock");
        q.serial += 1;
        let serial = q.serial;
        let earliest = q.heap.peek().map(|Reverse(e)| e.at);
        q.heap.push(Reverse(Entry {
            at,
            serial,
            process,
            wait_seq,
        }));
        if earliest.is_none_or(|e| at < e) {
            self.cv.notify_one();
        }
    }

    pub(crate) fn stop(&self) {
        self.queue.lock().expect("timer lock").stop = true;
        self.cv.notify_all();
        if let Some(h) = self.thread.lock().expect("timer lock").take() {
            let _ = h.join();
        }
    }
}

fn run(node: Weak<NodeInner>) {
    loop {
        let Some(n) = node.upgrade() else {
            return;
        };
        let due: Vec<Entry> = {
            let timer = &n.timer;
            let mut q = timer.queue.lock().expect("timer lock");
            if q.stop {
                return;
            }
            let now = Instant::now();
            match q.heap.peek() {
                Some(Reverse(e)) if e.at <= now => {
                    let mut due = Vec::new();
                    while q.heap.peek().is_some_and(|Reverse(e)| e.at <= now) {
                        if let Some(Reverse(e)) = q.heap.pop() {
                            due.push(e);
                        }
                    }
                    due
                }
                Some(Reverse(e)) => {
                    let wait = e.at - now;
                    let _ = timer.cv.wait_timeout(q, wait).expect("timer lock");
                    Vec::new()
                }
                None => {
                    let _ = timer
                        .cv
                        .wait_timeout(q, Duration::from_millis(500))
                        .expect("timer lock");
                    Vec::new()
                }
            }
        };
        for e in due {
            n.timeout(&e.process, e.wait_seq);
        }
    }
}
