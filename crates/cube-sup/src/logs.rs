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

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// A log file rotated by size.
pub struct RotatingFile {
    path: PathBuf,
    max_bytes: u64,
    backups: u32,
    file: Option<File>,
    size: u64,
}

impl RotatingFile {
    pub fn new(path: PathBuf, max_bytes: u64, backups: u32) -> RotatingFile {
        RotatingFile {
            path,
            max_bytes,
            backups,
            file: None,
            size: 0,
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
    /// longer than a file.
    pub fn write(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            if self.open().is_err() {
                return;
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
                    if f.write_all(&data[..cut]).is_err() {
                        return;
                    }
                    self.size += cut as u64;
                }
                data = &data[cut..];
            }
            if !data.is_empty() {
                self.rotate();
            }
        }
    }
}

/// `path.N`.
pub fn backup(path: &Path, n: u32) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(format!(".{n}"));
    PathBuf::from(s)
}

/// Where one pipe's bytes go.
pub enum Sink {
    File(Arc<Mutex<RotatingFile>>),
    Prefixed {
        prefix: String,
        partial: Vec<u8>,
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
    entries: Mutex<HashMap<RawFd, Entry>>,
}

impl Io {
    pub fn start() -> Arc<Io> {
        // SAFETY: epoll_create1 returns a new fd or -1.
        let epfd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        assert!(epfd >= 0, "epoll_create1 failed");
        let io = Arc::new(Io {
            epfd,
            entries: Mutex::new(HashMap::new()),
        });
        let weak = Arc::downgrade(&io);
        std::thread::Builder::new()
            .name("cube-sup-io".into())
            .spawn(move || io_loop(epfd, weak))
            .expect("io thread");
        io
    }

    /// Reads `fd` (a pipe's read end) into `sink` until EOF.
    pub fn add(&self, fd: OwnedFd, sink: Sink) {
        let raw = fd.as_raw_fd();
        crate::proc::set_nonblocking(raw);
        self.entries
            .lock()
            .expect("io lock")
            .insert(raw, Entry { fd, sink });
        let mut ev = libc::epoll_event {
            events: (libc::EPOLLIN | libc::EPOLLHUP) as u32,
            u64: raw as u64,
        };
        // SAFETY: registering an fd we own.
        unsafe { libc::epoll_ctl(self.epfd, libc::EPOLL_CTL_ADD, raw, &mut ev) };
    }

    /// Number of pipes being read.
    pub fn len(&self) -> usize {
        self.entries.lock().expect("io lock").len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn io_loop(epfd: RawFd, io: std::sync::Weak<Io>) {
    let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; 64];
    let mut buf = vec![0u8; 64 * 1024];
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
        for ev in &events[..n as usize] {
            let fd = ev.u64 as RawFd;
            let mut entries = io.entries.lock().expect("io lock");
            let Some(entry) = entries.get_mut(&fd) else {
                continue;
            };
            let mut eof = false;
            loop {
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
            }
        }
    }
}

fn deliver(sink: &mut Sink, data: &[u8]) {
    match sink {
        Sink::File(f) => f.lock().expect("log lock").write(data),
        Sink::Null => {}
        Sink::Heartbeat(last) => {
            if data.contains(&b'\n') {
                *last.lock().expect("beat lock") = Instant::now();
            }
        }
        Sink::Prefixed { prefix, partial } => {
            partial.extend_from_slice(data);
            if let Some(end) = partial.iter().rposition(|&b| b == b'\n') {
                let mut out = Vec::with_capacity(end + 64);
                for line in partial[..end].split(|&b| b == b'\n') {
                    out.extend_from_slice(prefix.as_bytes());
                    out.extend_from_slice(line);
                    out.push(b'\n');
                }
                partial.drain(..=end);
                let stdout = std::io::stdout();
                let mut lock = stdout.lock();
                let _ = lock.write_all(&out);
                let _ = lock.flush();
            }
        }
    }
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

/// The last `n` complete lines of a log file (reaching into its newest backup if the
/// file is short), and the byte offset in the file just after them, where someone
/// following the file goes on reading.
pub fn tail(path: &Path, n: usize) -> std::io::Result<(Vec<String>, u64)> {
    let mut current = std::fs::read(path)?;
    // A line still being written is left to the follower.
    let complete = current
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    current.truncate(complete);
    let lines_in = |t: &[u8]| t.split(|&b| b == b'\n').count();
    let mut text = current;
    if lines_in(&text) <= n {
        if let Ok(mut older) = std::fs::read(backup(path, 1)) {
            older.extend_from_slice(&text);
            text = older;
        }
    }
    let s = String::from_utf8_lossy(&text);
    let mut lines: Vec<String> = s.lines().map(str::to_string).collect();
    let skip = lines.len().saturating_sub(n);
    Ok((lines.split_off(skip), complete as u64))
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
        let (lines, offset) = tail(&path, 2).unwrap();
        assert_eq!(lines, vec!["line 028", "line 029"]);
        assert_eq!(offset, std::fs::metadata(&path).unwrap().len());
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
