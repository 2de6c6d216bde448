//! The supervisor's own log, as supervisord keeps one: every event (spawn, exit,
//! restart, backoff, fatal, stop, health failure, ...) as one line with its UTC time,
//! on the supervisor's stderr and in a rotating file (`supervisor.log_file`, by default
//! `supervisor.log` in the log directory), which `ctl maintail` reads. `ctl listen`
//! prints the same lines.
//!
//! Writing never blocks the caller (events are raised on scheduler threads): stderr
//! goes through its outlet (`logs::say`), the file through a thread of its own behind
//! a bounded queue, which drops lines rather than wait when the disk stalls.

use crate::logs::RotatingFile;
use serde_json::Value as Json;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

/// Size of the supervisor's log file before it is rotated, and backups kept.
pub const MAX_BYTES: u64 = 10 << 20;
pub const BACKUPS: u32 = 5;
/// Lines queued for the file at most.
const QUEUE: usize = 4096;

/// One event as a line: UTC time, instance, kind, then its other fields as key=value.
pub fn line(ev: &Json) -> String {
    let mut line = format!(
        "{} {} {}",
        ev["time"].as_f64().map_or_else(|| "-".into(), utc_time),
        ev["id"].as_str().unwrap_or("-"),
        ev["event"].as_str().unwrap_or("?")
    );
    if let Some(fields) = ev.as_object() {
        for (k, v) in fields {
            if matches!(
                k.as_str(),
                "v" | "event" | "id" | "name" | "instance" | "time"
            ) {
                continue;
            }
            match v {
                Json::Null => {}
                Json::String(s) => line += &format!(" {k}={s}"),
                v => line += &format!(" {k}={v}"),
            }
        }
    }
    line
}

/// Seconds since the Unix epoch as `YYYY-MM-DDTHH:MM:SSZ` (the proleptic Gregorian
/// calendar, from the day count by the usual era arithmetic).
pub fn utc_time(secs: f64) -> String {
    let secs = secs.max(0.0) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The supervisor's log file, written by a thread of its own.
pub struct SupLog {
    tx: mpsc::SyncSender<String>,
    path: PathBuf,
}

impl SupLog {
    /// Starts the writer of `path` (its directory is made on the first write).
    pub fn open(path: PathBuf) -> SupLog {
        let (tx, rx) = mpsc::sync_channel::<String>(QUEUE);
        let mut file = RotatingFile::new(path.clone(), MAX_BYTES, BACKUPS);
        let spawned = std::thread::Builder::new()
            .name("cube-sup-log".into())
            .spawn(move || {
                for mut line in rx {
                    line.push('\n');
                    file.write(line.as_bytes());
                }
            });
        if let Err(e) = spawned {
            crate::logs::say(&format!("cube-sup: no supervisor log file: {e}"));
        }
        SupLog { tx, path }
    }

    /// Queues a line (dropped if the writer is far behind).
    pub fn write(&self, line: &str) {
        let _ = self.tx.try_send(line.to_string());
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_times() {
        assert_eq!(utc_time(0.0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_time(951_782_400.0), "2000-02-29T00:00:00Z");
        assert_eq!(utc_time(1_764_100_000.5), "2025-11-25T19:46:40Z");
        assert_eq!(utc_time(4_107_542_399.0), "2100-02-28T23:59:59Z");
    }

    #[test]
    fn an_event_line() {
        let ev = serde_json::json!({"v": 1, "event": "exit", "id": "web:0", "name": "web",
            "instance": 0, "time": 0.0, "status": 1, "reason": "exit status 1", "pid": null});
        assert_eq!(
            line(&ev),
            "1970-01-01T00:00:00Z web:0 exit reason=exit status 1 status=1"
        );
    }
}
