//! Output capture: one I/O thread reads every program's stdout, stderr and heartbeat
//! pipes through epoll and writes to size-rotated files, or to the supervisor's stdout
//! with a `[name] ` prefix; heartbeat lines update the program's last-beat time.
//!
//! Rotation happens between two writes of the same thread that reads the pipe, so no
//! byte is lost or duplicated: when a write would take the file past `max_bytes`, the
//! files shift (`out.log.1` -> `out.log.2`, ..., `out.log` -> `out.log.1`) and the write
//! goes to a fresh `out.log`. A pipe stays registered until EOF, i.e. until the program
//! and every descendant holding it have closed it, so late output of a dying tree is
//! still captured.
//!
//! Nothing here may block supervision. The I/O thread owns its pipes (registering one
//! only queues it, so a spawn never waits for the thread), and it never writes to a
//! descriptor that can stall: output for the supervisor's stdout (and the supervisor's
//! own messages for stderr) goes through an [`Outlet`], a bounded queue emptied by a
//! thread of its own. When the destination does not drain (`supervise | sleep 25`), the
//! queue fills and further output is dropped, whole deliveries at a time so lines stay
//! whole, and counted per instance (`dropped_bytes` in `status`); once the destination
//! drains again, a line `[cube-sup] N bytes of program output dropped ...` takes the
//! place of what was lost. Programs are never blocked by this: their pipes are read as
//! fast as they write, whatever happens downstream. A log file that cannot be written
//! (full disk) likewise drops and counts, and notes the loss in the file when writing
//! works again.

use std::collections::{HashMap, VecDeque};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// A log file rotated by size.
pub struct RotatingFile {
    path: PathBuf,
    max_bytes: u64,
    backups: u32,
    file: Option<File>,
    size: u64,
    /// Bytes that could not be written since the last successful write, and why.
    lost: u64,
    lost_why: String,
}

impl RotatingFile {
    pub fn new(path: PathBuf, max_bytes: u64, backups: u32) -> RotatingFile {
        RotatingFile {
            path,
            max_bytes,
            backups,
            file: None,
            size: 0,
            lost: 0,
            lost_why: String::new(),
        }
    }

    fn open(&mut self) -> std::io::Result<&mut File> {
        if self.file.is_none() {
            if let Some(dir) = self.path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let f = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)?;
            self.size = f.metadata().map(|m| m.len()).unwrap_or(0);
            self.file = Some(f);
        }
        Ok(self.file.as_mut().expect("just opened"))
    }

    fn rotate(&mut self) {
        self.file = None;
        if self.backups == 0 {
            let _ = std::fs::remove_file(&self.path);
        } else {
            for i in (1..self.backups).rev() {
                let _ = std::fs::rename(backup(&self.path, i), backup(&self.path, i + 1));
            }
            let _ = std::fs::rename(&self.path, backup(&self.path, 1));
        }
        self.size = 0;
    }

    /// Appends `data`, rotating whenever the file would grow past `max_bytes`. Cuts
    /// fall after a newline where one fits, so lines stay whole unless one alone is
    /// longer than a file. Returns how many bytes could not be written (a full disk, a
    /// removed directory...): those are dropped, never retried, so a failing file never
    /// holds up the pipe it is fed from. The first write that works again is preceded by
    /// a `[cube-sup] N bytes ... dropped` line.
    pub fn write(&mut self, data: &[u8]) -> u64 {
        if self.lost > 0 {
            let note = format!(
                "[cube-sup] {} bytes of program output dropped: {}\n",
                self.lost, self.lost_why
            );
            if self.write_some(note.as_bytes()).is_ok() {
                self.lost = 0;
            }
        }
        match self.write_some(data) {
            Ok(()) => 0,
            Err((left, e)) => {
                if self.lost == 0 {
                    say(&format!(
                        "cube-sup: cannot write {}: {e} (dropping output until it works again)",
                        self.path.display()
                    ));
                }
                self.lost += left as u64;
                self.lost_why = format!("cannot write {}: {e}", self.path.display());
                // Reopen next time: the file may have been removed or the disk freed.
                self.file = None;
                left as u64
            }
        }
    }

    /// Writes all of `data` or fails with the number of bytes left unwritten.
    fn write_some(&mut self, mut data: &[u8]) -> Result<(), (usize, std::io::Error)> {
        while !data.is_empty() {
            if let Err(e) = self.open() {
                return Err((data.len(), e));
            }
            let room = self.max_bytes.saturating_sub(self.size) as usize;
            let cut = if data.len() <= room {
                data.len()
            } else {
                match data[..room].iter().rposition(|&b| b == b'\n') {
                    Some(nl) => nl + 1,
                    None if self.size > 0 => 0,
                    None => room.max(1),
                }
            };
            if cut > 0 {
                if let Some(f) = self.file.as_mut() {
                    if let Err(e) = f.write_all(&data[..cut]) {
                        // Part of the cut may be in the file: count it all as lost
                        // rather than guess (the size is re-read on reopening).
                        return Err((data.len(), e));
                    }
                    self.size += cut as u64;
                }
                data = &data[cut..];
            }
            if !data.is_empty() {
                self.rotate();
            }
        }
        Ok(())
    }
}

/// `path.N`.
pub fn backup(path: &Path, n: u32) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(format!(".{n}"));
    PathBuf::from(s)
}

/// The longest line passed through to stdout: a program writing more without a newline
/// has it cut into lines of this size (the pending bytes of a pipe stay bounded).
pub const MAX_LINE: usize = 64 * 1024;

/// Where one pipe's bytes go. `dropped` counts the bytes that could not be delivered
/// (the instance's `dropped_bytes`).
pub enum Sink {
    File {
        file: Arc<Mutex<RotatingFile>>,
        dropped: Arc<AtomicU64>,
    },
    Prefixed {
        prefix: String,
        partial: Vec<u8>,
        dropped: Arc<AtomicU64>,
    },
    Null,
    /// Heartbeat pipe: each line is a beat.
    Heartbeat(Arc<Mutex<Instant>>),
}

struct Entry {
    fd: OwnedFd,
    sink: Sink,
}

/// The I/O thread and its epoll set.
pub struct Io {
    epfd: RawFd,
    /// Pipes registered but not yet taken over by the thread (which owns the others).
    added: Mutex<Vec<Entry>>,
    open: AtomicUsize,
}

impl Io {
    pub fn start() -> Arc<Io> {
        // SAFETY: epoll_create1 returns a new fd or -1.
        let epfd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        assert!(epfd >= 0, "epoll_create1 failed");
        let io = Arc::new(Io {
            epfd,
            added: Mutex::new(Vec::new()),
            open: AtomicUsize::new(0),
        });
        let weak = Arc::downgrade(&io);
        std::thread::Builder::new()
            .name("cube-sup-io".into())
            .spawn(move || io_loop(epfd, weak))
            .expect("io thread");
        io
    }

    /// Reads `fd` (a pipe's read end) into `sink` until EOF. Never waits for the I/O
    /// thread: the entry is queued, and the thread takes it over before it handles the
    /// first event of `fd` (it drains the queue after every wake-up, and the queue is
    /// filled before the descriptor is armed).
    pub fn add(&self, fd: OwnedFd, sink: Sink) {
        let raw = fd.as_raw_fd();
        crate::proc::set_nonblocking(raw);
        self.open.fetch_add(1, Ordering::Relaxed);
        self.added.lock().expect("io lock").push(Entry { fd, sink });
        let mut ev = libc::epoll_event {
            events: (libc::EPOLLIN | libc::EPOLLHUP) as u32,
            u64: raw as u64,
        };
        // SAFETY: registering an fd we own.
        unsafe { libc::epoll_ctl(self.epfd, libc::EPOLL_CTL_ADD, raw, &mut ev) };
    }

    /// Number of pipes being read.
    pub fn len(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn io_loop(epfd: RawFd, io: std::sync::Weak<Io>) {
    let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; 64];
    let mut buf = vec![0u8; 64 * 1024];
    let mut entries: HashMap<RawFd, Entry> = HashMap::new();
    loop {
        // SAFETY: events buffer of the given length.
        let n = unsafe { libc::epoll_wait(epfd, events.as_mut_ptr(), events.len() as i32, -1) };
        if n < 0 {
            if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return;
        }
        let Some(io) = io.upgrade() else {
            return;
        };
        for e in io.added.lock().expect("io lock").drain(..) {
            entries.insert(e.fd.as_raw_fd(), e);
        }
        for ev in &events[..n as usize] {
            let fd = ev.u64 as RawFd;
            let Some(entry) = entries.get_mut(&fd) else {
                continue;
            };
            let mut eof = false;
            // At most a few reads per pipe per wake-up, so one prolific program does
            // not starve the others (epoll is level-triggered: the rest comes next).
            for _ in 0..16 {
                // SAFETY: reading into our buffer from a non-blocking fd we own.
                let r = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
                if r > 0 {
                    deliver(&mut entry.sink, &buf[..r as usize]);
                    if (r as usize) < buf.len() {
                        break;
                    }
                } else if r == 0 {
                    eof = true;
                    break;
                } else {
                    let e = std::io::Error::last_os_error();
                    if e.kind() == std::io::ErrorKind::Interrupted {
                        continue;
                    }
                    eof = e.kind() != std::io::ErrorKind::WouldBlock;
                    break;
                }
            }
            if eof {
                let mut entry = entries.remove(&fd).expect("present");
                flush_partial(&mut entry.sink);
                // SAFETY: deregistering before the fd closes (drop of `entry`).
                unsafe {
                    libc::epoll_ctl(
                        epfd,
                        libc::EPOLL_CTL_DEL,
                        entry.fd.as_raw_fd(),
                        std::ptr::null_mut(),
                    )
                };
                io.open.fetch_sub(1, Ordering::Relaxed);
            }
        }
    }
}

fn deliver(sink: &mut Sink, data: &[u8]) {
    match sink {
        Sink::File { file, dropped } => {
            let lost = file.lock().expect("log lock").write(data);
            if lost > 0 {
                dropped.fetch_add(lost, Ordering::Relaxed);
            }
        }
        Sink::Null => {}
        Sink::Heartbeat(last) => {
            if data.contains(&b'\n') {
                *last.lock().expect("beat lock") = Instant::now();
            }
        }
        Sink::Prefixed {
            prefix,
            partial,
            dropped,
        } => {
            if let Some((out, raw)) = complete_lines(prefix, partial, data) {
                if !stdout().push(out, raw) {
                    dropped.fetch_add(raw, Ordering::Relaxed);
                }
            }
        }
    }
}

/// Adds `data` to the `partial` line of a passthrough pipe and takes out the complete
/// lines, each prefixed, with the number of the program's bytes they hold. A line
/// longer than MAX_LINE goes out in pieces, so `partial` stays under MAX_LINE plus one
/// read.
fn complete_lines(prefix: &str, partial: &mut Vec<u8>, data: &[u8]) -> Option<(Vec<u8>, u64)> {
    partial.extend_from_slice(data);
    let (end, raw) = match partial.iter().rposition(|&b| b == b'\n') {
        Some(end) => (end, end + 1),
        None if partial.len() >= MAX_LINE => {
            partial.push(b'\n');
            (partial.len() - 1, partial.len() - 1)
        }
        None => return None,
    };
    let mut out = Vec::with_capacity(end + 64);
    for line in partial[..end].split(|&b| b == b'\n') {
        for piece in line
            .chunks(MAX_LINE)
            .chain(line.is_empty().then_some(&[][..]))
        {
            out.extend_from_slice(prefix.as_bytes());
            out.extend_from_slice(piece);
            out.push(b'\n');
        }
    }
    partial.drain(..=end);
    Some((out, raw as u64))
}

fn flush_partial(sink: &mut Sink) {
    if let Sink::Prefixed { partial, .. } = sink {
        if !partial.is_empty() {
            partial.push(b'\n');
            let data = std::mem::take(partial);
            deliver(sink, &data);
        }
    }
}

/// A bounded queue of output in front of a descriptor whose reader may stall (the
/// supervisor's stdout and stderr). [`Outlet::push`] never waits: it queues, or, when
/// `cap` bytes are already waiting, drops and counts. A thread of the outlet's own does
/// the blocking writes; where data was dropped it writes a line saying how much, when
/// it gets there, i.e. once the destination drains again.
pub struct Outlet {
    fd: RawFd,
    cap: usize,
    /// The destination and what goes there, for the dropped-bytes line.
    what: &'static str,
    content: &'static str,
    state: Mutex<OutletState>,
    /// Signalled when there is something to write.
    work: Condvar,
    /// Signalled when the queue has been written out.
    idle: Condvar,
}

#[derive(Default)]
struct OutletState {
    queue: VecDeque<Item>,
    /// Bytes queued, markers included (MARKER_COST each), at most `cap` + one marker.
    bytes: usize,
    /// A batch is being written.
    busy: bool,
    /// Every byte dropped so far.
    dropped: u64,
}

enum Item {
    Data(Vec<u8>),
    /// This many bytes were dropped here.
    Dropped(u64),
}

const MARKER_COST: usize = 64;

/// What the supervisor's stdout holds back before dropping program output.
pub const STDOUT_QUEUE: usize = 1 << 20;
/// The same for the supervisor's own messages on stderr.
pub const STDERR_QUEUE: usize = 256 << 10;

impl Outlet {
    fn start(fd: RawFd, cap: usize, what: &'static str, content: &'static str) -> Arc<Outlet> {
        let o = Arc::new(Outlet {
            fd,
            cap,
            what,
            content,
            state: Mutex::new(OutletState::default()),
            work: Condvar::new(),
            idle: Condvar::new(),
        });
        let me = o.clone();
        std::thread::Builder::new()
            .name(format!("cube-sup-{what}"))
            .spawn(move || me.run())
            .expect("outlet thread");
        o
    }

    /// Queues `data`, or drops it (and returns false) when the queue is full; `counted`
    /// is what a drop adds to the count (the program's bytes, prefixes left out).
    pub fn push(&self, data: Vec<u8>, counted: u64) -> bool {
        if data.is_empty() {
            return true;
        }
        let mut st = self.state.lock().expect("outlet lock");
        if st.bytes + data.len() > self.cap {
            let n = counted;
            st.dropped += n;
            if let Some(Item::Dropped(m)) = st.queue.back_mut() {
                *m += n;
            } else {
                st.queue.push_back(Item::Dropped(n));
                st.bytes += MARKER_COST;
                self.work.notify_one();
            }
            return false;
        }
        st.bytes += data.len();
        st.queue.push_back(Item::Data(data));
        self.work.notify_one();
        true
    }

    /// Every byte dropped so far.
    pub fn dropped(&self) -> u64 {
        self.state.lock().expect("outlet lock").dropped
    }

    /// Waits until what is queued has been written, or `timeout` has passed; returns
    /// whether everything was written.
    pub fn flush(&self, timeout: Duration) -> bool {
        let st = self.state.lock().expect("outlet lock");
        let (st, _) = self
            .idle
            .wait_timeout_while(st, timeout, |s| !s.queue.is_empty() || s.busy)
            .expect("outlet lock");
        st.queue.is_empty() && !st.busy
    }

    fn run(&self) {
        loop {
            let mut batch = Vec::new();
            {
                let mut st = self.state.lock().expect("outlet lock");
                while st.queue.is_empty() {
                    self.idle.notify_all();
                    st = self.work.wait(st).expect("outlet lock");
                }
                // Up to 256 KiB in one write.
                while let Some(item) = st.queue.pop_front() {
                    match item {
                        Item::Data(d) => {
                            st.bytes -= d.len();
                            batch.extend_from_slice(&d);
                        }
                        Item::Dropped(n) => {
                            st.bytes -= MARKER_COST;
                            batch.extend_from_slice(
                                format!(
                                    "[cube-sup] {n} bytes of {} dropped: {} did not keep up\n",
                                    self.content, self.what
                                )
                                .as_bytes(),
                            );
                        }
                    }
                    if batch.len() >= 256 << 10 {
                        break;
                    }
                }
                st.busy = true;
            }
            write_fd(self.fd, &batch);
            self.state.lock().expect("outlet lock").busy = false;
        }
    }
}

/// Writes all of `data` to `fd`, waiting as long as it takes (this runs on an outlet's
/// own thread). Gives up on errors other than EINTR/EAGAIN: a closed stdout loses the
/// output, as it would for any program.
fn write_fd(fd: RawFd, mut data: &[u8]) {
    while !data.is_empty() {
        // SAFETY: writing from a live buffer of the given length.
        let r = unsafe { libc::write(fd, data.as_ptr().cast(), data.len()) };
        if r >= 0 {
            data = &data[r as usize..];
            continue;
        }
        match std::io::Error::last_os_error().kind() {
            std::io::ErrorKind::Interrupted => {}
            std::io::ErrorKind::WouldBlock => {
                // Someone made the descriptor non-blocking: wait for room.
                let mut p = libc::pollfd {
                    fd,
                    events: libc::POLLOUT,
                    revents: 0,
                };
                // SAFETY: one pollfd.
                unsafe { libc::poll(&mut p, 1, 1000) };
            }
            _ => return,
        }
    }
}

/// The supervisor's stdout (passthrough output), shared by every supervisor of the OS
/// process.
pub fn stdout() -> &'static Arc<Outlet> {
    static OUT: OnceLock<Arc<Outlet>> = OnceLock::new();
    OUT.get_or_init(|| Outlet::start(1, STDOUT_QUEUE, "stdout", "program output"))
}

/// The supervisor's stderr (its own messages).
pub fn stderr() -> &'static Arc<Outlet> {
    static ERR: OnceLock<Arc<Outlet>> = OnceLock::new();
    ERR.get_or_init(|| Outlet::start(2, STDERR_QUEUE, "stderr", "supervisor messages"))
}

/// A message of the supervisor on its stderr (a newline is added), without ever
/// waiting for a reader who does not read.
pub fn say(msg: &str) {
    let mut line = msg.as_bytes().to_vec();
    line.push(b'\n');
    let n = line.len() as u64;
    stderr().push(line, n);
}

/// How much of the end of a log file (and of its newest backup) `tail` reads at most:
/// a big log must not stall the control thread nor fill its memory.
pub const MAX_TAIL_BYTES: u64 = 8 << 20;

/// The last `max` bytes of a file from its first whole line, the file's length and its
/// inode (which names the file across renames).
fn read_end(path: &Path, max: u64) -> std::io::Result<(Vec<u8>, u64, u64)> {
    use std::io::{Read, Seek, SeekFrom};
    use std::os::unix::fs::MetadataExt;
    let mut f = File::open(path)?;
    let meta = f.metadata()?;
    let (len, ino) = (meta.len(), meta.ino());
    let start = len.saturating_sub(max);
    f.seek(SeekFrom::Start(start))?;
    let mut text = Vec::new();
    f.take(len - start).read_to_end(&mut text)?;
    if start > 0 {
        // The first line is cut: drop it.
        let nl = text
            .iter()
            .position(|&b| b == b'\n')
            .map_or(text.len(), |i| i + 1);
        text.drain(..nl);
    }
    Ok((text, len, ino))
}

/// The last `n` complete lines of a log file (reaching into its newest backup if the
/// file is short), the byte offset in the file just after them, where someone
/// following the file goes on reading, and that file's inode (the file may be renamed
/// to a backup before the follower opens it). Reads at most MAX_TAIL_BYTES of each file.
pub fn tail(path: &Path, n: usize) -> std::io::Result<(Vec<String>, u64, u64)> {
    let (mut current, end, ino) = read_end(path, MAX_TAIL_BYTES)?;
    // A line still being written is left to the follower.
    let complete = current
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let cut = current.len() - complete;
    current.truncate(complete);
    let offset = end - cut as u64;
    let lines_in = |t: &[u8]| t.split(|&b| b == b'\n').count();
    let mut text = current;
    if lines_in(&text) <= n && (text.len() as u64) < MAX_TAIL_BYTES {
        if let Ok((mut older, _, _)) =
            read_end(&backup(path, 1), MAX_TAIL_BYTES - text.len() as u64)
        {
            older.extend_from_slice(&text);
            text = older;
        }
    }
    let s = String::from_utf8_lossy(&text);
    let mut lines: Vec<String> = s.lines().map(str::to_string).collect();
    let skip = lines.len().saturating_sub(n);
    Ok((lines.split_off(skip), offset, ino))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_keeps_every_byte() {
        let dir = std::env::temp_dir().join(format!("cube-sup-rot-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("p.out.log");
        let mut f = RotatingFile::new(path.clone(), 100, 3);
        let mut all = Vec::new();
        for i in 0..30 {
            let line = format!("line {i:03}\n");
            f.write(line.as_bytes());
            all.extend_from_slice(line.as_bytes());
        }
        // 30 lines of 9 bytes, 11 per file: files .2, .1 and the current one.
        let mut got = Vec::new();
        for p in [backup(&path, 2), backup(&path, 1), path.clone()] {
            let b = std::fs::read(&p).unwrap();
            assert!(b.len() <= 100, "{}", p.display());
            got.extend(b);
        }
        assert_eq!(got, all);
        assert!(!backup(&path, 3).exists());
        let (lines, offset, _) = tail(&path, 2).unwrap();
        assert_eq!(lines, vec!["line 028", "line 029"]);
        assert_eq!(offset, std::fs::metadata(&path).unwrap().len());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_outlet_whose_reader_stalls_drops_counts_and_says_so() {
        use std::io::Read;
        let (r, w) = crate::proc::pipe().unwrap();
        let out = Outlet::start(w.as_raw_fd(), 100_000, "test pipe", "test output");
        // The pipe holds 64 KiB, the queue 100 KB: of 1000 lines of 1 KB, most drop,
        // and not one push waits.
        let line = |i: usize| format!("{i:04}{}\n", "x".repeat(995)).into_bytes();
        let t = Instant::now();
        let mut refused = 0u64;
        for i in 0..1000 {
            if !out.push(line(i), 1000) {
                refused += 1000;
            }
        }
        assert!(t.elapsed() < Duration::from_secs(5));
        assert!(refused > 500_000, "{refused}");
        assert_eq!(out.dropped(), refused);
        // The reader comes back: what was queued, and where output was dropped, a line
        // with the count.
        let reader = std::thread::spawn(move || {
            let mut got = Vec::new();
            std::fs::File::from(r).read_to_end(&mut got).unwrap();
            got
        });
        assert!(out.flush(Duration::from_secs(10)));
        drop(w);
        let text = String::from_utf8(reader.join().unwrap()).unwrap();
        let said: u64 = text
            .lines()
            .filter_map(|l| {
                l.strip_prefix("[cube-sup] ")?
                    .strip_suffix(" bytes of test output dropped: test pipe did not keep up")?
                    .parse::<u64>()
                    .ok()
            })
            .sum();
        assert_eq!(said, refused);
        // Every line that went through is whole, and in order.
        let nums: Vec<usize> = text
            .lines()
            .filter(|l| !l.starts_with('['))
            .map(|l| {
                assert_eq!(l.len(), 999);
                l[..4].parse().unwrap()
            })
            .collect();
        assert!(nums.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(nums.len() as u64 * 1000 + refused, 1_000_000);
    }

    #[test]
    fn a_log_file_that_cannot_be_written_drops_and_counts() {
        // /dev/full: every write fails with ENOSPC, as on a full disk.
        let mut f = RotatingFile::new(PathBuf::from("/dev/full"), 1 << 30, 0);
        let t = Instant::now();
        let mut lost = 0;
        for _ in 0..100 {
            lost += f.write(&[b'x'; 1000]);
        }
        assert_eq!(lost, 100_000);
        assert!(t.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn passthrough_lines_are_bounded() {
        // A program writing without newlines has its output cut into MAX_LINE lines;
        // nothing accumulates beyond that.
        let mut partial = Vec::new();
        let mut total = 0;
        for _ in 0..100 {
            if let Some((out, raw)) = complete_lines("[p] ", &mut partial, &[b'y'; 10_000]) {
                total += raw;
                for l in out.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
                    assert!(l.len() <= MAX_LINE + 4);
                }
            }
            assert!(partial.len() < MAX_LINE + 10_000);
        }
        assert_eq!(total + partial.len() as u64, 1_000_000);
        let (out, raw) = complete_lines("[p] ", &mut Vec::new(), b"a\n\nb\nc").unwrap();
        assert_eq!((&out[..], raw), (&b"[p] a\n[p] \n[p] b\n"[..], 5));
    }

    #[test]
    fn tail_reads_only_the_end_of_a_big_log() {
        let dir = std::env::temp_dir().join(format!("cube-sup-tail-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("big.log");
        let line = "z".repeat(99) + "\n";
        let mut f = File::create(&path).unwrap();
        for _ in 0..(MAX_TAIL_BYTES / 100 + 1000) {
            f.write_all(line.as_bytes()).unwrap();
        }
        f.write_all(b"last\npartial").unwrap();
        drop(f);
        let len = std::fs::metadata(&path).unwrap().len();
        let (lines, offset, _) = tail(&path, 1_000_000).unwrap();
        assert_eq!(offset, len - "partial".len() as u64);
        assert_eq!(lines.last().unwrap(), "last");
        assert!(lines.len() as u64 <= MAX_TAIL_BYTES / 100 + 1);
        assert!(lines[..lines.len() - 1].iter().all(|l| l.len() == 99));
        let (lines, _, _) = tail(&path, 2).unwrap();
        assert_eq!(lines, vec!["z".repeat(99), "last".to_string()]);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn one_big_write_is_split_at_newlines() {
        let dir = std::env::temp_dir().join(format!("cube-sup-big-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("p.out.log");
        let mut f = RotatingFile::new(path.clone(), 100, 40);
        let all: String = (0..300).map(|i| format!("{i:08}\n")).collect();
        f.write(all.as_bytes());
        let mut got = String::new();
        for n in (1..=40).rev() {
            if let Ok(s) = std::fs::read_to_string(backup(&path, n)) {
                assert!(s.len() <= 100 && s.ends_with('\n'));
                got.push_str(&s);
            }
        }
        got.push_str(&std::fs::read_to_string(&path).unwrap());
        assert_eq!(got, all);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
