//! `ctl tail -f`: prints what is appended to a program's log file, across rotations.
//!
//! The supervisor rotates by renaming (`log` -> `log.1` -> `log.2` ...) and makes the new
//! `log` on the next write. The follower knows its file by inode: when the name points
//! elsewhere it drains the file it holds (complete once renamed), then opens the file
//! that came next, found by where its own file went among the backups. So a rotation
//! between the supervisor's `tail` reply and the first open, or several rotations
//! within one poll, lose no line, as long as the files are still among the backups.

use cube_sup::logs::backup;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// Backups looked at when searching for the file a follower was reading.
const MAX_BACKUPS_SEARCHED: u32 = 64;

fn inode_of(path: &Path) -> Option<u64> {
    std::fs::metadata(path).ok().map(|m| m.ino())
}

/// A log file followed across rotations.
pub struct Follower {
    path: PathBuf,
    /// The file being read and its inode; `None` until the log exists.
    cur: Option<(File, u64)>,
    buf: Vec<u8>,
}

impl Follower {
    /// Follows `path` from byte `offset` of the file whose inode is `ino` (what the
    /// supervisor's `tail` reply names: the end of the lines it returned). Without an
    /// inode (an older supervisor), `offset` is taken in the file at `path` now.
    pub fn new(path: &Path, offset: u64, ino: Option<u64>) -> Follower {
        let mut f = Follower {
            path: path.to_path_buf(),
            cur: None,
            buf: vec![0u8; 64 * 1024],
        };
        let start = match ino {
            // The file was renamed since the reply: find it among the backups.
            Some(ino) if inode_of(path) != Some(ino) => f.find_backup(ino).map(|(p, _)| p),
            _ => Some(path.to_path_buf()),
        };
        if let Some(p) = start {
            f.cur = open_at(&p, offset);
        }
        f
    }

    /// The backup holding inode `ino`, with its number.
    fn find_backup(&self, ino: u64) -> Option<(PathBuf, u32)> {
        for k in 1..=MAX_BACKUPS_SEARCHED {
            let p = backup(&self.path, k);
            match std::fs::metadata(&p) {
                Ok(m) if m.ino() == ino => return Some((p, k)),
                Ok(_) => {}
                Err(_) => return None,
            }
        }
        None
    }

    /// Writes everything appended since the last call to `out`, moving to newer files
    /// as far as the rotations have gone.
    pub fn poll(&mut self, out: &mut impl Write) -> std::io::Result<()> {
        loop {
            let now = inode_of(&self.path);
            let rotated = match (&self.cur, now) {
                (Some((_, ino)), Some(new)) => *ino != new,
                (None, Some(_)) => true,
                _ => false,
            };
            // Drain the file we hold (after a rotation it is complete).
            if let Some((f, _)) = self.cur.as_mut() {
                loop {
                    match f.read(&mut self.buf)? {
                        0 => break,
                        n => out.write_all(&self.buf[..n])?,
                    }
                }
            }
            if !rotated {
                return out.flush();
            }
            // The file after ours: the backup one newer than where ours went, or the
            // log itself.
            let next = match &self.cur {
                Some((_, ino)) => match self.find_backup(*ino) {
                    Some((_, 1)) | None => self.path.clone(),
                    Some((_, k)) => backup(&self.path, k - 1),
                },
                None => self.path.clone(),
            };
            match open_at(&next, 0) {
                Some(c) => self.cur = Some(c),
                None => return out.flush(),
            }
        }
    }
}

/// Opens `path` at byte `at` (or at its start when it is shorter: a newer file), with
/// its inode.
fn open_at(path: &Path, at: u64) -> Option<(File, u64)> {
    let mut f = File::open(path).ok()?;
    let meta = f.metadata().ok()?;
    if at <= meta.len() {
        f.seek(SeekFrom::Start(at)).ok()?;
    }
    Some((f, meta.ino()))
}

/// Follows until stdout goes away (the reader quit); polls every 200 ms. Exit status 0.
pub fn follow(path: &Path, offset: u64, ino: Option<u64>) -> u8 {
    let mut f = Follower::new(path, offset, ino);
    let out = std::io::stdout();
    loop {
        if f.poll(&mut out.lock()).is_err() {
            return 0;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("cube-follow-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn append(path: &Path, s: &str) {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap();
        f.write_all(s.as_bytes()).unwrap();
    }

    /// As the supervisor rotates: `log.(k)` -> `log.(k+1)`, `log` -> `log.1`.
    fn rotate(path: &Path, backups: u32) {
        for k in (1..backups).rev() {
            let _ = std::fs::rename(backup(path, k), backup(path, k + 1));
        }
        std::fs::rename(path, backup(path, 1)).unwrap();
    }

    #[test]
    fn every_line_once_across_several_rotations_between_polls() {
        let d = dir("many");
        let log = d.join("p.out.log");
        append(&log, "a\nb\n");
        let mut f = Follower::new(&log, 2, inode_of(&log));
        let mut out = Vec::new();
        f.poll(&mut out).unwrap();
        assert_eq!(out, b"b\n");
        append(&log, "c\n");
        rotate(&log, 3);
        append(&log, "d\n");
        rotate(&log, 3);
        append(&log, "e\n");
        f.poll(&mut out).unwrap();
        assert_eq!(String::from_utf8(out.clone()).unwrap(), "b\nc\nd\ne\n");
        // A rotation with no new file yet: nothing to read, nothing lost.
        append(&log, "f\n");
        rotate(&log, 3);
        f.poll(&mut out).unwrap();
        append(&log, "g\n");
        f.poll(&mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "b\nc\nd\ne\nf\ng\n");
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn a_rotation_before_the_first_open_keeps_the_rest_of_the_old_file() {
        let d = dir("first");
        let log = d.join("p.out.log");
        append(&log, "1\n2\n");
        // The supervisor's reply: the lines up to offset 2 of this inode.
        let ino = inode_of(&log);
        append(&log, "3\n");
        rotate(&log, 2);
        append(&log, "4\n");
        let mut f = Follower::new(&log, 2, ino);
        let mut out = Vec::new();
        f.poll(&mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "2\n3\n4\n");
        let _ = std::fs::remove_dir_all(&d);
    }
}
