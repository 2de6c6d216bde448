//! The sending half of a connection: one byte stream written by whichever thread gets
//! there first, batched when senders come faster than single writes go out.
//!
//! # Three ways out
//! - **Direct**: a lone message (nothing queued, nobody writing, no burst under way)
//!   is written by the thread that sends it, without waiting (`MSG_DONTWAIT`): no
//!   thread wake-up, which is most of a round trip's latency.
//! - **Combining**: a sender that finds bytes queued, or another thread writing,
//!   appends its packet to the shared buffer `queued` and tries the write lock; whoever
//!   holds it writes everything queued in one `send`, and looks again after releasing
//!   it, so that nothing appended meanwhile is left behind (a failed `try_lock` means
//!   the holder will see it).
//! - **Write-behind**: a sender in a one-way burst (see [`Output::note_send`]) only
//!   appends, and rings the writer thread when the buffer was empty; the writer writes
//!   what gathered meanwhile in one `send`, while the sender goes on appending. One
//!   system call per batch instead of one per message: what the old always-queueing
//!   writer gave to throughput, without its wake-up on every lone message.
//!
//! Whatever the socket does not take at once goes back to the front of `queued` for the
//! writer thread, which writes with blocking writes (timing out after the ticktime).
//! Senders, and above all the reader, which answers some messages itself, never block
//! on the socket (see `connection`'s documentation).
//!
//! # Order
//! There is one stream and bytes only leave `queued` from its front, under the write
//! lock. A packet is written directly only when nothing is pending, so nothing a
//! sender sent earlier can be overtaken: Erlang's order between two processes holds.

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use std::io::{self, ErrorKind, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{fence, AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Sends to one connection in a row, with nothing read in between, after which a send
/// that follows the previous one closely is written behind (by the writer thread).
/// Two: a request answered with two messages still goes out directly.
const BURST_AFTER: u32 = 2;

/// How close (in nanoseconds) a send must follow the previous one to count as part of
/// a burst: a sender spending longer than this between messages gains little from
/// batching, and a message that waits for the writer thread would lose its latency.
const BURST_GAP_NS: u64 = 50_000;

/// Capacity over which the write buffer is given back after a write (one large
/// message must not keep its memory for the connection's lifetime).
const KEEP_CAPACITY: usize = 1 << 20;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// See the module documentation.
pub struct Output {
    socket: TcpStream,
    closed: AtomicBool,
    /// Bytes appended and not yet taken by a writer, in stream order.
    queued: Mutex<Vec<u8>>,
    /// The write lock: held while bytes go to the socket. It guards the buffer being
    /// written (swapped with `queued`, so that senders append to the other one).
    writing: Mutex<Vec<u8>>,
    /// Bytes appended and not yet written (queued or in a writer's hands).
    pending: AtomicUsize,
    /// Rung when the writer thread has something to do (bounded: one ring is enough).
    doorbell: Sender<()>,
    /// Sends since something was last read from the connection.
    streak: AtomicU64,
    /// When the last send was, in nanoseconds since `epoch`.
    last_send: AtomicU64,
    epoch: Instant,
}

impl Output {
    /// The output of `socket` and the doorbell its writer thread waits on.
    pub fn new(socket: TcpStream) -> (Output, Receiver<()>) {
        let (doorbell, rings) = crossbeam_channel::bounded(1);
        let output = Output {
            socket,
            closed: AtomicBool::new(false),
            queued: Mutex::new(Vec::new()),
            writing: Mutex::new(Vec::new()),
            pending: AtomicUsize::new(0),
            doorbell,
            streak: AtomicU64::new(0),
            last_send: AtomicU64::new(0),
            epoch: Instant::now(),
        };
        (output, rings)
    }

    /// Sends `packet` (whole packets only: length included). Never blocks on the
    /// socket. `Err` if the connection is closed (or closes on a write error).
    pub fn send(&self, packet: &[u8]) -> Result<(), ()> {
        if self.is_closed() {
            return Err(());
        }
        let burst = self.note_send();
        if !burst && self.pending.load(Ordering::SeqCst) == 0 {
            if let Ok(mut spare) = self.writing.try_lock() {
                // Nothing queued or being written (`pending` counts both), and no
                // other writer can start while we hold the lock.
                if self.pending.load(Ordering::SeqCst) == 0 {
                    self.write_direct(&mut spare, packet);
                    drop(spare);
                    self.combine();
                    return if self.is_closed() { Err(()) } else { Ok(()) };
                }
            }
        }
        let was_empty = {
            let mut q = lock(&self.queued);
            let was_empty = q.is_empty();
            q.extend_from_slice(packet);
            self.pending.fetch_add(packet.len(), Ordering::SeqCst);
            was_empty
        };
        if burst {
            // Whoever made `queued` non-empty answers for it otherwise.
            if was_empty {
                self.ring();
            }
        } else {
            self.combine();
        }
        Ok(())
    }

    /// Whether this send is part of a one-way burst: the [`BURST_AFTER`]th or later
    /// since the last read, within [`BURST_GAP_NS`] of the previous one. A round trip
    /// (a send, then an answer read) never is.
    fn note_send(&self) -> bool {
        let now = self.epoch.elapsed().as_nanos() as u64;
        let last = self.last_send.swap(now, Ordering::Relaxed);
        let streak = self.streak.fetch_add(1, Ordering::Relaxed);
        streak >= u64::from(BURST_AFTER) && now.saturating_sub(last) < BURST_GAP_NS
    }

    /// Something arrived on the connection: the next send starts no burst.
    pub fn note_read(&self) {
        self.streak.store(0, Ordering::Relaxed);
    }

    /// Writes `packet` without waiting, with the write lock held (`spare` is its
    /// empty buffer) and nothing pending; what the socket does not take is queued
    /// first for the writer thread.
    fn write_direct(&self, spare: &mut [u8], packet: &[u8]) {
        debug_assert!(spare.is_empty());
        let n = match self.send_dontwait(packet) {
            Some(n) => n,
            None => return,
        };
        if n < packet.len() {
            self.pending.fetch_add(packet.len() - n, Ordering::SeqCst);
            self.requeue(&packet[n..]);
        }
    }

    /// Writes what others queued while the lock was taken, in one `send` each time,
    /// as long as the lock is free and something is queued (see the module docs).
    fn combine(&self) {
        loop {
            // Pairs with the fence in a sender that appended and then failed to take
            // the lock: either it sees the lock free, or we see its bytes.
            fence(Ordering::SeqCst);
            if self.pending.load(Ordering::SeqCst) == 0 || self.is_closed() {
                return;
            }
            let Ok(mut buf) = self.writing.try_lock() else {
                return;
            };
            std::mem::swap(&mut *lock(&self.queued), &mut *buf);
            if buf.is_empty() {
                // In the writer thread's hands, or written meanwhile.
                return;
            }
            let Some(n) = self.send_dontwait(&buf) else {
                buf.clear();
                return;
            };
            self.pending.fetch_sub(n, Ordering::SeqCst);
            if n < buf.len() {
                self.requeue(&buf[n..]);
                buf.clear();
                return;
            }
            buf.clear();
        }
    }

    /// Puts `rest` (the unwritten end of a write, still counted in `pending`) back in
    /// front of what was queued meanwhile, and rings the writer thread. Called with
    /// the write lock held.
    fn requeue(&self, rest: &[u8]) {
        {
            let mut q = lock(&self.queued);
            let mut front = Vec::with_capacity(rest.len() + q.len());
            front.extend_from_slice(rest);
            front.extend_from_slice(&q);
            *q = front;
        }
        self.ring();
    }

    /// `send(2)` with `MSG_DONTWAIT`: how many bytes the socket took (0 if none now),
    /// or `None` if the connection broke (then closed).
    fn send_dontwait(&self, bytes: &[u8]) -> Option<usize> {
        match send_dontwait(&self.socket, bytes) {
            Ok(n) => Some(n),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted) => Some(0),
            Err(_) => {
                self.close();
                None
            }
        }
    }

    fn ring(&self) {
        let _ = self.doorbell.try_send(());
    }

    /// Bytes sent and not yet written.
    pub fn pending(&self) -> usize {
        self.pending.load(Ordering::SeqCst)
    }

    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// Closes the connection (both directions) and wakes the writer thread to end.
    pub fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        let _ = self.socket.shutdown(Shutdown::Both);
        self.ring();
    }

    /// The writer thread: writes what is queued whenever rung (blocking writes, which
    /// time out after the socket's write timeout), and a tick whenever it was not rung
    /// for `interval`. Ends when the connection closes.
    pub fn run_writer(&self, rings: Receiver<()>, interval: Duration) {
        let interval = interval.max(Duration::from_millis(10));
        loop {
            if self.is_closed() {
                return;
            }
            if self.pending() == 0 {
                match rings.recv_timeout(interval) {
                    Ok(()) => {}
                    Err(RecvTimeoutError::Timeout) => {
                        // A tick: an empty packet, after whatever is queued.
                        let mut q = lock(&self.queued);
                        q.extend_from_slice(&[0, 0, 0, 0]);
                        self.pending.fetch_add(4, Ordering::SeqCst);
                    }
                    Err(RecvTimeoutError::Disconnected) => return,
                }
            }
            let mut buf = lock(&self.writing);
            loop {
                std::mem::swap(&mut *lock(&self.queued), &mut *buf);
                if buf.is_empty() {
                    break;
                }
                if (&self.socket).write_all(&buf).is_err() {
                    // A partial write leaves the stream unusable.
                    buf.clear();
                    self.close();
                    return;
                }
                self.pending.fetch_sub(buf.len(), Ordering::SeqCst);
                buf.clear();
                if buf.capacity() > KEEP_CAPACITY {
                    buf.shrink_to(KEEP_CAPACITY / 4);
                }
            }
            drop(buf);
            // Anything appended while we held the lock is seen by the `pending`
            // check at the top of the loop.
            fence(Ordering::SeqCst);
        }
    }
}

/// `send(2)` with `MSG_DONTWAIT` (and `MSG_NOSIGNAL`): what the socket takes now.
fn send_dontwait(socket: &TcpStream, bytes: &[u8]) -> io::Result<usize> {
    use std::os::fd::AsRawFd;
    // SAFETY: `bytes` is valid for reads of `bytes.len()` bytes for the whole call, and
    // the descriptor belongs to `socket`, which outlives the call. send(2) does not
    // keep the pointer.
    let n = unsafe {
        libc::send(
            socket.as_raw_fd(),
            bytes.as_ptr().cast(),
            bytes.len(),
            libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL,
        )
    };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framing::{Packet, PacketReader};
    use std::net::TcpListener;
    use std::sync::Arc;

    /// A connected pair of loopback sockets: (ours, the peer's).
    fn pair() -> (TcpStream, TcpStream) {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let a = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let (b, _) = l.accept().unwrap();
        (a, b)
    }

    /// Senders on several threads, with bursts, pauses and packets of up to 300 KB
    /// (so that the socket fills and writes are cut short), through one `Output`: the
    /// peer reads every packet whole, each sender's in the order sent.
    #[test]
    fn concurrent_senders_keep_their_order() {
        const SENDERS: u32 = 6;
        const EACH: u32 = 3000;
        let (ours, theirs) = pair();
        ours.set_write_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let (output, rings) = Output::new(ours);
        let output = Arc::new(output);
        let writer = output.clone();
        let writer = std::thread::spawn(move || writer.run_writer(rings, Duration::from_secs(5)));
        let reader = std::thread::spawn(move || {
            let mut theirs = theirs;
            let mut r = PacketReader::new(1 << 20);
            let mut next = vec![0u32; SENDERS as usize];
            let mut seen = 0;
            let mut slow = 0u32;
            while seen < SENDERS * EACH {
                while let Some(p) = r.next_packet().unwrap() {
                    let Packet::Data(d) = p else { continue };
                    let s = u32::from_be_bytes(d[..4].try_into().unwrap());
                    let i = u32::from_be_bytes(d[4..8].try_into().unwrap());
                    assert_eq!(i, next[s as usize], "sender {s}: {i} out of order");
                    assert!(d[8..].iter().all(|&b| b == (i % 251) as u8), "torn packet");
                    next[s as usize] += 1;
                    seen += 1;
                }
                // A slow reader now and then, so that the socket fills up.
                slow += 1;
                if slow.is_multiple_of(50) {
                    std::thread::sleep(Duration::from_millis(2));
                }
                assert!(r.fill(&mut theirs).unwrap(), "stream ended early");
            }
        });
        let senders: Vec<_> = (0..SENDERS)
            .map(|s| {
                let out = output.clone();
                std::thread::spawn(move || {
                    // A small deterministic generator: sizes and pauses differ per sender.
                    let mut x = 0x9e37_79b9u32.wrapping_mul(s + 1);
                    for i in 0..EACH {
                        x ^= x << 13;
                        x ^= x >> 17;
                        x ^= x << 5;
                        let body = match x % 100 {
                            0 => 300_000,
                            1..=9 => (x % 20_000) as usize,
                            _ => (x % 40) as usize,
                        };
                        let mut p = Vec::with_capacity(12 + body);
                        p.extend_from_slice(&(8 + body as u32).to_be_bytes());
                        p.extend_from_slice(&s.to_be_bytes());
                        p.extend_from_slice(&i.to_be_bytes());
                        p.resize(12 + body, (i % 251) as u8);
                        out.send(&p).unwrap();
                        if x.is_multiple_of(97) {
                            // A pause: the next send starts no burst.
                            std::thread::sleep(Duration::from_micros(200));
                            out.note_read();
                        }
                    }
                })
            })
            .collect();
        for s in senders {
            s.join().unwrap();
        }
        reader.join().unwrap();
        // (The last writer counts its bytes written just after the peer has them.)
        let deadline = Instant::now() + Duration::from_secs(10);
        while output.pending() != 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(output.pending(), 0, "everything was counted as written");
        output.close();
        writer.join().unwrap();
    }
}
