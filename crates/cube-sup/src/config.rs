//! The configuration file (TOML): the `[supervisor]` table and one `[programs.NAME]`
//! table per program, plus optional `[groups]`.
//!
//! Parsing is serde with unknown keys refused; every error, from the parser, from serde
//! or from the checks after it (unknown dependencies, cycles, bad signal names), is a
//! [`ConfigError`] naming the file, the line and the dotted key, e.g.
//! `sup.toml:7: programs.web.restart: unknown variant `sometimes`, expected one of ...`.
//!
//! Endpoints (`supervisor.control`, `supervisor.events`) are `ipc://PATH` or
//! `tcp://HOST:PORT`, PORT a number or `*` (any free port). Without `events`, the events
//! endpoint is derived from the control one as circus users expect ([`default_events`]):
//! `ipc://PATH.events`, the next tcp port (circus: 5555 and 5556), or a free port of its
//! own for `*`. Everything a file can ask for is bounded: its size (16 MiB), durations
//! (under 1e9 s; health intervals from 10 ms), instances (100,000 in all), log backups
//! (1,000), the Unix socket path (107 bytes).

use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;
use toml::Spanned;

/// A configuration error: where (file, line, key) and what.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}:{line}: {key}: {message}")]
pub struct ConfigError {
    pub file: String,
    /// 1-based; 0 when the error has no place in the file (e.g. it cannot be read).
    pub line: usize,
    /// The dotted key, e.g. `programs.web.numprocs`.
    pub key: String,
    pub message: String,
}

/// When a program that exited is started again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Restart {
    /// Always (OTP `permanent`).
    Always,
    /// Unless the exit code is one of `exit_codes` (OTP `transient`).
    OnFailure,
    /// Never (OTP `temporary`).
    Never,
}

/// Where a program's stdout and stderr go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LogMode {
    /// Files `NAME.out.log` / `NAME.err.log` in `log_dir`, rotated by size.
    File,
    /// The supervisor's stdout, each line prefixed with `[NAME] ` (stderr: `[NAME!] `).
    Passthrough,
    /// Discarded.
    Null,
}

/// One health check (monit style). Failing `failures` times in a row restarts the
/// program.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealthSpec {
    /// `tcp`, `http`, `command`, `memory` or `cpu`.
    #[serde(rename = "type")]
    pub kind: HealthKind,
    /// For `tcp`: host (default 127.0.0.1) and port.
    pub host: Option<String>,
    pub port: Option<u16>,
    /// For `http`: `http://HOST:PORT/PATH`; any 2xx status is healthy.
    pub url: Option<String>,
    /// For `command`: argv; exit status 0 is healthy.
    pub command: Option<Vec<String>>,
    /// For `memory`: resident bytes of the program's process group above this fail.
    pub max_rss_mb: Option<f64>,
    /// For `cpu`: percent of one core over the last interval above this fails.
    pub max_cpu_percent: Option<f64>,
    /// Seconds between checks.
    #[serde(default = "default_interval")]
    pub interval: f64,
    /// Seconds a tcp/http/command check may take.
    #[serde(default = "default_check_timeout")]
    pub timeout: f64,
    /// Consecutive failures (cycles) before a restart.
    #[serde(default = "default_failures")]
    pub failures: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HealthKind {
    Tcp,
    Http,
    Command,
    Memory,
    Cpu,
}

fn default_interval() -> f64 {
    5.0
}
fn default_check_timeout() -> f64 {
    2.0
}
fn default_failures() -> u32 {
    3
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    supervisor: RawSupervisor,
    #[serde(default)]
    programs: BTreeMap<String, Spanned<RawProgram>>,
    #[serde(default)]
    groups: BTreeMap<String, Spanned<Vec<Spanned<String>>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSupervisor {
    control: Option<Spanned<String>>,
    events: Option<Spanned<String>>,
    log_dir: Option<String>,
    log_file: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProgram {
    command: Spanned<String>,
    #[serde(default)]
    args: Vec<String>,
    cwd: Option<String>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    user: Option<Spanned<String>>,
    numprocs: Option<Spanned<u32>>,
    restart: Option<Restart>,
    exit_codes: Option<Vec<i32>>,
    startsecs: Option<Spanned<f64>>,
    retries: Option<u32>,
    backoff: Option<Spanned<f64>>,
    backoff_max: Option<Spanned<f64>>,
    backoff_jitter: Option<Spanned<f64>>,
    stop_signal: Option<Spanned<String>>,
    stop_timeout: Option<Spanned<f64>>,
    #[serde(default)]
    depends_on: Vec<Spanned<String>>,
    log: Option<LogMode>,
    log_max_bytes: Option<u64>,
    log_backups: Option<Spanned<u32>>,
    heartbeat: Option<Spanned<f64>>,
    #[serde(default)]
    health: Vec<Spanned<HealthSpec>>,
    autostart: Option<bool>,
}

/// A checked program definition.
#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    pub name: String,
    pub command: String,
    pub args: Vec<String>,
    pub cwd: Option<PathBuf>,
    pub env: BTreeMap<String, String>,
    /// Run as this user (needs root); None keeps the supervisor's.
    pub user: Option<String>,
    pub numprocs: u32,
    pub restart: Restart,
    /// Exit codes that count as an expected exit (for `on-failure`; default `[0]`).
    pub exit_codes: Vec<i32>,
    /// A start counts as successful once the program has been up this long.
    pub startsecs: Duration,
    /// Failed starts in a row before giving up (state `fatal`).
    pub retries: u32,
    /// First backoff delay after a failed start; doubles per failure up to
    /// `backoff_max`, with +-`backoff_jitter` (a fraction) of random spread.
    pub backoff: Duration,
    pub backoff_max: Duration,
    pub backoff_jitter: f64,
    pub stop_signal: i32,
    /// After `stop_signal`, wait this long, then SIGKILL the whole tree.
    pub stop_timeout: Duration,
    pub depends_on: Vec<String>,
    pub log: LogMode,
    pub log_max_bytes: u64,
    pub log_backups: u32,
    /// The program must beat (a line on `CUBE_HEARTBEAT_FD`, or a `heartbeat` request
    /// on the control socket) at least this often.
    pub heartbeat: Option<Duration>,
    pub health: Vec<HealthSpec>,
    pub autostart: bool,
}

/// A checked configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub path: PathBuf,
    /// ZeroMQ endpoint of the control ROUTER.
    pub control: String,
    /// ZeroMQ endpoint of the events PUB.
    pub events: String,
    pub log_dir: PathBuf,
    /// The supervisor's own log (`eventlog.rs`): `log_file`, relative to the
    /// configuration's directory, by default `supervisor.log` in `log_dir`; `""` for none.
    pub log_file: Option<PathBuf>,
    /// Programs in dependency order (a program after everything it depends on).
    pub programs: Vec<Program>,
    pub groups: BTreeMap<String, Vec<String>>,
}

impl Config {
    pub fn program(&self, name: &str) -> Option<&Program> {
        self.programs.iter().find(|p| p.name == name)
    }
}

/// A signal by name (`TERM`, `SIGTERM`, `term`) or number.
pub fn signal_number(name: &str) -> Option<i32> {
    let n = name.trim();
    if let Ok(num) = n.parse::<i32>() {
        return (1..=64).contains(&num).then_some(num);
    }
    let up = n.to_ascii_uppercase();
    let up = up.strip_prefix("SIG").unwrap_or(&up);
    Some(match up {
        "HUP" => libc::SIGHUP,
        "INT" => libc::SIGINT,
        "QUIT" => libc::SIGQUIT,
        "KILL" => libc::SIGKILL,
        "USR1" => libc::SIGUSR1,
        "USR2" => libc::SIGUSR2,
        "TERM" => libc::SIGTERM,
        "STOP" => libc::SIGSTOP,
        "CONT" => libc::SIGCONT,
        "ABRT" => libc::SIGABRT,
        "SEGV" => libc::SIGSEGV,
        "WINCH" => libc::SIGWINCH,
        "ALRM" => libc::SIGALRM,
        _ => return None,
    })
}

/// The name of signal `n` (`SIGKILL`), for messages.
pub fn signal_name(n: i32) -> String {
    let name = match n {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGILL => "SIGILL",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGUSR1 => "SIGUSR1",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGUSR2 => "SIGUSR2",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGALRM => "SIGALRM",
        libc::SIGTERM => "SIGTERM",
        _ => return format!("signal {n}"),
    };
    name.to_string()
}

/// Reads and checks a configuration file.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    use std::io::Read;
    let err = |message: String| ConfigError {
        file: path.display().to_string(),
        line: 0,
        key: "(file)".to_string(),
        message,
    };
    // Bounded: a configuration path naming a device or a huge file is an error, not an
    // endless read.
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_CONFIG_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| err(e.to_string()))?;
    if bytes.len() as u64 > MAX_CONFIG_BYTES {
        return Err(err(format!(
            "larger than {} MiB: not a configuration file",
            MAX_CONFIG_BYTES >> 20
        )));
    }
    let text = String::from_utf8(bytes).map_err(|e| err(format!("not UTF-8: {e}")))?;
    parse(&text, path)
}

/// Durations in the file are under this many seconds (31 years): `Duration` and
/// `Instant` arithmetic cannot overflow.
pub const MAX_SECS: f64 = 1e9;
/// Rotated log files kept, at most (each rotation renames them all).
pub const MAX_LOG_BACKUPS: u32 = 1000;
/// Program instances (`numprocs` summed over programs), at most.
pub const MAX_INSTANCES: u64 = 100_000;

/// The largest configuration file read.
pub const MAX_CONFIG_BYTES: u64 = 16 << 20;

/// Line (1-based) of byte offset `at` in `text`.
fn line_of(text: &str, at: usize) -> usize {
    text[..at.min(text.len())].matches('\n').count() + 1
}

/// The dotted key at byte offset `at`: the last `[table]` header before it and the key
/// written on that line (`key = ...`), as far as they can be read from the text.
fn key_at(text: &str, at: usize) -> String {
    let at = at.min(text.len());
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    let line = text[line_start..line_end].trim();
    let header = |l: &str| -> Option<String> {
        let l = l.trim();
        let inner = l.strip_prefix("[[").and_then(|s| s.split("]]").next());
        let inner = inner.or_else(|| l.strip_prefix('[').and_then(|s| s.split(']').next()));
        inner.map(|s| s.trim().to_string())
    };
    if let Some(h) = header(line) {
        return h;
    }
    let mut table = String::new();
    for l in text[..line_start].lines().rev() {
        if let Some(h) = header(l) {
            table = h;
            break;
        }
    }
    let key = line.split('=').next().unwrap_or("").trim().to_string();
    match (table.is_empty(), key.is_empty() || line.starts_with('#')) {
        (_, true) => table,
        (true, false) => key,
        (false, false) => format!("{table}.{key}"),
    }
}

struct Ctx<'a> {
    text: &'a str,
    file: String,
}

impl Ctx<'_> {
    fn err_at(
        &self,
        span: std::ops::Range<usize>,
        key: Option<String>,
        msg: String,
    ) -> ConfigError {
        ConfigError {
            file: self.file.clone(),
            line: line_of(self.text, span.start),
            key: key.unwrap_or_else(|| key_at(self.text, span.start)),
            message: msg,
        }
    }
}

fn secs(
    v: &Option<Spanned<f64>>,
    default: f64,
    cx: &Ctx,
    key: String,
) -> Result<Duration, ConfigError> {
    match v {
        None => Ok(Duration::from_secs_f64(default)),
        Some(s) if (0.0..MAX_SECS).contains(s.get_ref()) => {
            Ok(Duration::from_secs_f64(*s.get_ref()))
        }
        Some(s) => Err(cx.err_at(
            s.span(),
            Some(key),
            "must be a number of seconds from 0 to under 1e9".into(),
        )),
    }
}

/// Checks a control or events endpoint: `ipc://PATH` (PATH fits a Unix socket address)
/// or `tcp://HOST:PORT` (PORT a number, or `*` for any free port).
fn check_endpoint(ep: &str) -> Result<(), String> {
    if let Some(path) = ep.strip_prefix("ipc://") {
        if path.is_empty() || path == "*" || path.starts_with('@') {
            return Err(format!(
                "'{ep}': an ipc endpoint needs a file path (no wildcard, no abstract socket)"
            ));
        }
        // sun_path holds 108 bytes, the terminating NUL included.
        if path.len() > 107 {
            return Err(format!(
                "'{ep}': the socket path is {} bytes long; Unix sockets allow at most 107",
                path.len()
            ));
        }
        return Ok(());
    }
    if let Some(rest) = ep.strip_prefix("tcp://") {
        let port = rest.rsplit_once(':').map(|(h, p)| (h.is_empty(), p));
        return match port {
            Some((false, "*")) => Ok(()),
            Some((false, p)) if p.parse::<u16>().is_ok_and(|n| n > 0) => Ok(()),
            _ => Err(format!(
                "'{ep}': a tcp endpoint is tcp://HOST:PORT with PORT from 1 to 65535, or * for any free port"
            )),
        };
    }
    Err(format!(
        "'{ep}': the endpoint must be ipc://PATH or tcp://HOST:PORT"
    ))
}

/// The events endpoint when the configuration gives none, derived from the control
/// endpoint as circus users expect (its defaults are ports 5555 and 5556):
/// `ipc://PATH` -> `ipc://PATH.events`; `tcp://HOST:PORT` -> `tcp://HOST:PORT+1`;
/// `tcp://HOST:*` -> `tcp://HOST:*` (a free port of its own, reported by `supervise`
/// and the `version` command). Port 65535 has no next port: the events key is required.
pub fn default_events(control: &str) -> Result<String, String> {
    if let Some(rest) = control.strip_prefix("tcp://") {
        let (host, port) = rest.rsplit_once(':').unwrap_or((rest, "*"));
        if port == "*" {
            return Ok(control.to_string());
        }
        return match port.parse::<u16>().ok().and_then(|p| p.checked_add(1)) {
            Some(next) => Ok(format!("tcp://{host}:{next}")),
            None => Err(format!(
                "'{control}': no port after it for the events endpoint; set supervisor.events"
            )),
        };
    }
    Ok(format!("{control}.events"))
}

/// The control endpoint of the supervisor that runs `path`, for `ctl -c`, even while the
/// file on disk is being edited and does not parse: then the `control = "..."` line of
/// its `[supervisor]` table as written, or else the default endpoint next to the file.
/// Returns the endpoint and, when the file did not parse, its error (for a warning).
pub fn control_endpoint(path: &Path) -> (String, Option<ConfigError>) {
    let err = match load(path) {
        Ok(c) => return (c.control, None),
        Err(e) => e,
    };
    let text = std::fs::read(path)
        .map(|b| String::from_utf8_lossy(&b[..b.len().min(MAX_CONFIG_BYTES as usize)]).into_owned())
        .unwrap_or_default();
    let mut in_supervisor = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_supervisor = line == "[supervisor]";
            continue;
        }
        let Some(rest) = line.strip_prefix("control") else {
            continue;
        };
        let value = rest.trim_start().strip_prefix('=').map(str::trim);
        if let Some(v) = value
            .and_then(|v| v.strip_prefix('"'))
            .and_then(|v| v.split('"').next())
        {
            if in_supervisor && check_endpoint(v).is_ok() {
                return (v.to_string(), Some(err));
            }
        }
    }
    let base = path.parent().filter(|p| !p.as_os_str().is_empty());
    let base = base.map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let base = std::fs::canonicalize(&base).unwrap_or(base);
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "cube-sup".into());
    (
        format!("ipc://{}", base.join(format!("{stem}.sock")).display()),
        Some(err),
    )
}

/// Parses and checks configuration text; `path` names it in errors and anchors relative
/// paths (log directory, cwd).
pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let cx = Ctx {
        text,
        file: path.display().to_string(),
    };
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        cx.err_at(span, None, e.message().trim().to_string())
    })?;
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let base = if base.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        base
    };
    let base = std::fs::canonicalize(&base).unwrap_or(base);
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "cube-sup".into());
    let control = match &raw.supervisor.control {
        None => {
            let ep = format!("ipc://{}", base.join(format!("{stem}.sock")).display());
            check_endpoint(&ep).map_err(|m| {
                cx.err_at(
                    0..0,
                    Some("supervisor.control".into()),
                    format!("the default endpoint {m}; set supervisor.control"),
                )
            })?;
            ep
        }
        Some(c) => {
            let ep = c.get_ref().clone();
            check_endpoint(&ep)
                .map_err(|m| cx.err_at(c.span(), Some("supervisor.control".into()), m))?;
            ep
        }
    };
    let events = match &raw.supervisor.events {
        None => default_events(&control)
            .and_then(|ep| check_endpoint(&ep).map(|_| ep))
            .map_err(|m| {
                let span = raw.supervisor.control.as_ref().map_or(0..0, |c| c.span());
                cx.err_at(
                    span,
                    Some("supervisor.control".into()),
                    format!("the events endpoint derived from it: {m}; set supervisor.events"),
                )
            })?,
        Some(e) => {
            let ep = e.get_ref().clone();
            let key = Some("supervisor.events".to_string());
            check_endpoint(&ep).map_err(|m| cx.err_at(e.span(), key.clone(), m))?;
            if ep == control && !ep.ends_with(":*") {
                return Err(cx.err_at(e.span(), key, "must differ from supervisor.control".into()));
            }
            ep
        }
    };
    let log_dir = base.join(raw.supervisor.log_dir.unwrap_or_else(|| "logs".into()));
    let log_file = match raw.supervisor.log_file.as_deref() {
        None => Some(log_dir.join("supervisor.log")),
        Some("") => None,
        Some(f) => Some(base.join(f)),
    };

    let mut programs = Vec::new();
    let mut instances = 0u64;
    for (name, rp) in &raw.programs {
        let span = rp.span();
        let rp = rp.get_ref();
        let k = |field: &str| format!("programs.{name}.{field}");
        if name.is_empty() || name.contains([':', '/', ' ', '*']) || name == "all" {
            return Err(cx.err_at(
                span,
                Some(format!("programs.{name}")),
                "a program name may not be 'all' nor contain ':', '/', '*' or spaces".into(),
            ));
        }
        if rp.command.get_ref().trim().is_empty() {
            return Err(cx.err_at(
                rp.command.span(),
                Some(k("command")),
                "must not be empty".into(),
            ));
        }
        let numprocs = match &rp.numprocs {
            None => 1,
            Some(n) if *n.get_ref() >= 1 && *n.get_ref() <= 10_000 => *n.get_ref(),
            Some(n) => {
                return Err(cx.err_at(
                    n.span(),
                    Some(k("numprocs")),
                    "must be between 1 and 10000".into(),
                ))
            }
        };
        let stop_signal = match &rp.stop_signal {
            None => libc::SIGTERM,
            Some(s) => signal_number(s.get_ref()).ok_or_else(|| {
                cx.err_at(
                    s.span(),
                    Some(k("stop_signal")),
                    format!("unknown signal '{}'", s.get_ref()),
                )
            })?,
        };
        let jitter = match &rp.backoff_jitter {
            None => 0.1,
            Some(j) if (0.0..=1.0).contains(j.get_ref()) => *j.get_ref(),
            Some(j) => {
                return Err(cx.err_at(
                    j.span(),
                    Some(k("backoff_jitter")),
                    "must be a fraction between 0 and 1".into(),
                ))
            }
        };
        if let Some(u) = &rp.user {
            if user_ids(u.get_ref()).is_none() {
                return Err(cx.err_at(
                    u.span(),
                    Some(k("user")),
                    format!("no such user '{}'", u.get_ref()),
                ));
            }
        }
        let mut health = Vec::new();
        for (i, h) in rp.health.iter().enumerate() {
            let hs = h.get_ref();
            let key = format!("programs.{name}.health[{i}]");
            let missing = |what: &str| {
                cx.err_at(
                    h.span(),
                    Some(key.clone()),
                    format!("a '{:?}' check needs '{what}'", hs.kind).to_lowercase(),
                )
            };
            match hs.kind {
                HealthKind::Tcp if hs.port.is_none() => return Err(missing("port")),
                HealthKind::Http if hs.url.as_deref().is_none_or(|u| !u.starts_with("http://")) => {
                    return Err(missing("url (http://...)"))
                }
                HealthKind::Command if hs.command.as_ref().is_none_or(|c| c.is_empty()) => {
                    return Err(missing("command"))
                }
                HealthKind::Memory if hs.max_rss_mb.is_none() => return Err(missing("max_rss_mb")),
                HealthKind::Cpu if hs.max_cpu_percent.is_none() => {
                    return Err(missing("max_cpu_percent"))
                }
                _ => {}
            }
            // Bounded both ways: no busy loop below, no Duration overflow above.
            if !((0.01..MAX_SECS).contains(&hs.interval) && (0.001..MAX_SECS).contains(&hs.timeout))
                || hs.failures == 0
            {
                return Err(cx.err_at(
                    h.span(),
                    Some(key),
                    "interval must be from 0.01 s and timeout from 0.001 s, both under 1e9 s; failures at least 1".into(),
                ));
            }
            health.push(hs.clone());
        }
        let heartbeat = match &rp.heartbeat {
            None => None,
            Some(h) if (0.01..MAX_SECS).contains(h.get_ref()) => {
                Some(Duration::from_secs_f64(*h.get_ref()))
            }
            Some(h) => {
                return Err(cx.err_at(
                    h.span(),
                    Some(k("heartbeat")),
                    "must be a number of seconds from 0.01 to under 1e9".into(),
                ))
            }
        };
        let log_backups = match &rp.log_backups {
            None => 5,
            Some(b) if *b.get_ref() <= MAX_LOG_BACKUPS => *b.get_ref(),
            Some(b) => {
                return Err(cx.err_at(
                    b.span(),
                    Some(k("log_backups")),
                    format!("must be at most {MAX_LOG_BACKUPS}"),
                ))
            }
        };
        instances += u64::from(numprocs);
        if instances > MAX_INSTANCES {
            return Err(cx.err_at(
                span.clone(),
                Some(format!("programs.{name}")),
                format!("more than {MAX_INSTANCES} program instances in all"),
            ));
        }
        programs.push(Program {
            name: name.clone(),
            command: rp.command.get_ref().clone(),
            args: rp.args.clone(),
            cwd: rp.cwd.as_ref().map(|c| base.join(c)),
            env: rp.env.clone(),
            user: rp.user.as_ref().map(|u| u.get_ref().clone()),
            numprocs,
            restart: rp.restart.unwrap_or(Restart::Always),
            exit_codes: rp.exit_codes.clone().unwrap_or_else(|| vec![0]),
            startsecs: secs(&rp.startsecs, 1.0, &cx, k("startsecs"))?,
            retries: rp.retries.unwrap_or(5),
            backoff: secs(&rp.backoff, 0.5, &cx, k("backoff"))?,
            backoff_max: secs(&rp.backoff_max, 30.0, &cx, k("backoff_max"))?,
            backoff_jitter: jitter,
            stop_signal,
            stop_timeout: secs(&rp.stop_timeout, 10.0, &cx, k("stop_timeout"))?,
            depends_on: rp.depends_on.iter().map(|d| d.get_ref().clone()).collect(),
            log: rp.log.unwrap_or(LogMode::File),
            log_max_bytes: rp.log_max_bytes.unwrap_or(10 << 20).max(1024),
            log_backups,
            heartbeat,
            health,
            autostart: rp.autostart.unwrap_or(true),
        });
    }
    // Dependencies name existing programs.
    for (name, rp) in &raw.programs {
        for d in &rp.get_ref().depends_on {
            if !raw.programs.contains_key(d.get_ref()) || d.get_ref() == name {
                return Err(cx.err_at(
                    d.span(),
                    Some(format!("programs.{name}.depends_on")),
                    format!("unknown program '{}'", d.get_ref()),
                ));
            }
        }
    }
    let programs = topo_order(programs).map_err(|cycle| {
        let span = raw.programs[&cycle]
            .get_ref()
            .depends_on
            .first()
            .map(|d| d.span())
            .unwrap_or(0..0);
        cx.err_at(
            span,
            Some(format!("programs.{cycle}.depends_on")),
            "dependency cycle".into(),
        )
    })?;
    let mut groups = BTreeMap::new();
    for (g, members) in &raw.groups {
        if raw.programs.contains_key(g) || g == "all" || g.contains(':') {
            return Err(cx.err_at(
                members.span(),
                Some(format!("groups.{g}")),
                "a group may not have a program's name, be 'all' or contain ':'".into(),
            ));
        }
        let mut list = Vec::new();
        for m in members.get_ref() {
            if !raw.programs.contains_key(m.get_ref()) {
                return Err(cx.err_at(
                    m.span(),
                    Some(format!("groups.{g}")),
                    format!("unknown program '{}'", m.get_ref()),
                ));
            }
            list.push(m.get_ref().clone());
        }
        groups.insert(g.clone(), list);
    }
    Ok(Config {
        path: path.to_path_buf(),
        control,
        events,
        log_dir,
        log_file,
        programs,
        groups,
    })
}

/// Orders programs so each comes after its dependencies (stable: otherwise by name).
/// Err names a program on a cycle.
fn topo_order(programs: Vec<Program>) -> Result<Vec<Program>, String> {
    let index: HashMap<String, usize> = programs
        .iter()
        .enumerate()
        .map(|(i, p)| (p.name.clone(), i))
        .collect();
    // 0 = unvisited, 1 = on the path, 2 = done. Depth-first with an explicit stack (a
    // chain of dependencies as long as the file allows must not exhaust the Rust stack):
    // each frame is a program and the index of its next dependency to visit.
    let mut mark = vec![0u8; programs.len()];
    let mut order = Vec::new();
    let mut stack: Vec<(usize, usize)> = Vec::new();
    for root in 0..programs.len() {
        if mark[root] != 0 {
            continue;
        }
        mark[root] = 1;
        stack.push((root, 0));
        while let Some(&mut (i, ref mut next)) = stack.last_mut() {
            if let Some(d) = programs[i].depends_on.get(*next) {
                *next += 1;
                let j = index[d];
                match mark[j] {
                    0 => {
                        mark[j] = 1;
                        stack.push((j, 0));
                    }
                    1 => return Err(programs[j].name.clone()),
                    _ => {}
                }
            } else {
                mark[i] = 2;
                order.push(i);
                stack.pop();
            }
        }
    }
    let mut slots: Vec<Option<Program>> = programs.into_iter().map(Some).collect();
    Ok(order
        .into_iter()
        .map(|i| slots[i].take().expect("each once"))
        .collect())
}

/// uid and gid of a user name (or numeric uid).
pub fn user_ids(user: &str) -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    for line in passwd.lines() {
        let f: Vec<&str> = line.split(':').collect();
        if f.len() >= 4 && (f[0] == user || f[2] == user) {
            return Some((f[2].parse().ok()?, f[3].parse().ok()?));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Result<Config, ConfigError> {
        parse(text, Path::new("/tmp/sup.toml"))
    }

    #[test]
    fn the_control_endpoint_of_a_file_that_does_not_parse() {
        let dir = std::env::temp_dir().join(format!("cube-sup-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("edited.toml");
        std::fs::write(
            &file,
            "[supervisor]\ncontrol = \"tcp://127.0.0.1:7777\" # here\n[programs.x\ncommand =",
        )
        .unwrap();
        let (ep, err) = control_endpoint(&file);
        assert_eq!(ep, "tcp://127.0.0.1:7777");
        assert!(err.is_some());
        // A `control` key of another table is not the supervisor's.
        std::fs::write(&file, "[programs.x]\ncontrol = \"tcp://1.2.3.4:1\"\n[[").unwrap();
        let (ep, _) = control_endpoint(&file);
        let dir = std::fs::canonicalize(&dir).unwrap();
        assert_eq!(ep, format!("ipc://{}", dir.join("edited.sock").display()));
        std::fs::write(&file, "[supervisor]\ncontrol = \"tcp://127.0.0.1:7778\"\n").unwrap();
        assert_eq!(
            control_endpoint(&file),
            ("tcp://127.0.0.1:7778".to_string(), None)
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn full_program() {
        let c = p(r#"
[supervisor]
control = "ipc:///tmp/x.sock"

[programs.db]
command = "sleep"
args = ["100"]

[programs.web]
command = "python3"
args = ["-m", "http.server"]
env = { A = "1" }
numprocs = 2
restart = "on-failure"
exit_codes = [0, 3]
startsecs = 0.5
retries = 3
backoff = 0.1
backoff_max = 2
stop_signal = "INT"
stop_timeout = 3
depends_on = ["db"]
log = "passthrough"
heartbeat = 2.5
[[programs.web.health]]
type = "tcp"
port = 8000

[groups]
both = ["db", "web"]
"#)
        .unwrap();
        assert_eq!(c.control, "ipc:///tmp/x.sock");
        assert_eq!(c.events, "ipc:///tmp/x.sock.events");
        assert_eq!(c.programs[0].name, "db");
        let w = &c.programs[1];
        assert_eq!(w.numprocs, 2);
        assert_eq!(w.restart, Restart::OnFailure);
        assert_eq!(w.exit_codes, vec![0, 3]);
        assert_eq!(w.stop_signal, libc::SIGINT);
        assert_eq!(w.stop_timeout, Duration::from_secs(3));
        assert_eq!(w.log, LogMode::Passthrough);
        assert_eq!(w.heartbeat, Some(Duration::from_millis(2500)));
        assert_eq!(w.health[0].kind, HealthKind::Tcp);
        assert_eq!(c.groups["both"], vec!["db", "web"]);
    }

    #[test]
    fn events_endpoint_defaults_per_transport() {
        let ev = |control: &str| {
            p(&format!("[supervisor]\ncontrol = \"{control}\"\n")).map(|c| c.events)
        };
        assert_eq!(ev("ipc:///tmp/s.sock").unwrap(), "ipc:///tmp/s.sock.events");
        // circus's convention: the events port follows the control port.
        assert_eq!(
            ev("tcp://127.0.0.1:25950").unwrap(),
            "tcp://127.0.0.1:25951"
        );
        assert_eq!(ev("tcp://*:5555").unwrap(), "tcp://*:5556");
        assert_eq!(ev("tcp://[::1]:7000").unwrap(), "tcp://[::1]:7001");
        // Any free port: the events socket gets one of its own.
        assert_eq!(ev("tcp://127.0.0.1:*").unwrap(), "tcp://127.0.0.1:*");
        let e = ev("tcp://127.0.0.1:65535").unwrap_err();
        assert_eq!((e.line, e.key.as_str()), (2, "supervisor.control"));
        assert!(e.message.contains("set supervisor.events"), "{e}");
        // An explicit events endpoint is taken as given.
        let c = p(
            "[supervisor]\ncontrol = \"tcp://127.0.0.1:9000\"\nevents = \"tcp://127.0.0.1:7000\"\n",
        )
        .unwrap();
        assert_eq!(c.events, "tcp://127.0.0.1:7000");
    }

    #[test]
    fn bad_endpoints_are_config_errors() {
        for (text, line, key, what) in [
            (
                "control = \"tcp://127.0.0.1\"",
                2,
                "supervisor.control",
                "tcp://HOST:PORT",
            ),
            (
                "control = \"tcp://127.0.0.1:0\"",
                2,
                "supervisor.control",
                "1 to 65535",
            ),
            (
                "control = \"tcp://127.0.0.1:99999\"",
                2,
                "supervisor.control",
                "1 to 65535",
            ),
            (
                "control = \"udp://x:1\"",
                2,
                "supervisor.control",
                "ipc://PATH or tcp://",
            ),
            (
                "control = \"ipc://*\"",
                2,
                "supervisor.control",
                "file path",
            ),
            ("\nevents = \"ipc://\"", 3, "supervisor.events", "file path"),
            (
                "control = \"tcp://127.0.0.1:5000\"\nevents = \"tcp://127.0.0.1:5000\"",
                3,
                "supervisor.events",
                "must differ",
            ),
        ] {
            let e = p(&format!("[supervisor]\n{text}\n")).unwrap_err();
            assert_eq!((e.line, e.key.as_str()), (line, key), "{text}: {e}");
            assert!(e.message.contains(what), "{text}: {e}");
        }
        let long = format!("/tmp/{}.sock", "d".repeat(120));
        let e = p(&format!("[supervisor]\ncontrol = \"ipc://{long}\"\n")).unwrap_err();
        assert!(e.message.contains("at most 107"), "{e}");
        // Derived endpoints are checked too: a control path that fits, whose events path
        // does not.
        let edge = format!("/tmp/{}", "e".repeat(100));
        let e = p(&format!("[supervisor]\ncontrol = \"ipc://{edge}\"\n")).unwrap_err();
        assert!(e.message.contains("set supervisor.events"), "{e}");
    }

    #[test]
    fn long_dependency_chains_do_not_recurse() {
        let mut text = String::new();
        for i in 0..20_000 {
            text.push_str(&format!("[programs.p{i}]\ncommand='x'\n"));
            if i > 0 {
                text.push_str(&format!("depends_on=['p{}']\n", i - 1));
            }
        }
        let run = std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(move || p(&text).map(|c| c.programs.len()));
        assert_eq!(run.unwrap().join().unwrap().unwrap(), 20_000);
    }

    #[test]
    fn durations_and_sizes_are_bounded() {
        for (prog, key, what) in [
            ("heartbeat = 1e300", "heartbeat", "under 1e9"),
            ("heartbeat = 1e-300", "heartbeat", "from 0.01"),
            ("log_backups = 4000000000", "log_backups", "at most 1000"),
            ("startsecs = 1e300", "startsecs", "under 1e9"),
            (
                "[[programs.a.health]]\ntype = 'tcp'\nport = 1\ninterval = 1e300",
                "health[0]",
                "under 1e9",
            ),
            (
                "[[programs.a.health]]\ntype = 'tcp'\nport = 1\ninterval = 1e-300",
                "health[0]",
                "from 0.01",
            ),
            (
                "[[programs.a.health]]\ntype = 'tcp'\nport = 1\ntimeout = 1e300",
                "health[0]",
                "under 1e9",
            ),
        ] {
            let e = p(&format!("[programs.a]\ncommand = 'x'\n{prog}\n")).unwrap_err();
            assert_eq!(e.key, format!("programs.a.{key}"), "{prog}: {e}");
            assert!(e.message.contains(what), "{prog}: {e}");
        }
        let many: String = (0..11)
            .map(|i| format!("[programs.p{i}]\ncommand = 'x'\nnumprocs = 10000\n"))
            .collect();
        let e = p(&many).unwrap_err();
        assert!(e.message.contains("more than 100000"), "{e}");
    }

    #[test]
    fn a_huge_or_endless_file_is_refused() {
        let e = load(Path::new("/dev/zero")).unwrap_err();
        assert!(e.message.contains("larger than"), "{e}");
    }

    #[test]
    fn dependency_order() {
        let c = p("[programs.a]\ncommand='x'\ndepends_on=['c']\n[programs.b]\ncommand='x'\n[programs.c]\ncommand='x'\ndepends_on=['b']\n").unwrap();
        let names: Vec<_> = c.programs.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["b", "c", "a"]);
    }

    #[test]
    fn errors_name_file_line_and_key() {
        let e = p("[programs.web]\ncommand = 'x'\nnumprocs = 'two'\n").unwrap_err();
        assert_eq!(
            (e.line, e.key.as_str()),
            (3, "programs.web.numprocs"),
            "{e}"
        );
        assert!(
            e.to_string()
                .starts_with("/tmp/sup.toml:3: programs.web.numprocs: "),
            "{e}"
        );

        let e = p("[programs.web]\ncommand = 'x'\nrestart = 'sometimes'\n").unwrap_err();
        assert_eq!((e.line, e.key.as_str()), (3, "programs.web.restart"), "{e}");
        assert!(e.message.contains("sometimes"), "{e}");

        let e = p("[programs.web]\ncomand = 'x'\n").unwrap_err();
        assert_eq!((e.line, e.key.as_str()), (2, "programs.web.comand"), "{e}");
        assert!(e.message.contains("command"), "{e}");

        let e = p("[programs.web]\ncommand = 'x'\n\nstop_signal = 'BOGUS'\n").unwrap_err();
        assert_eq!(
            (e.line, e.key.as_str()),
            (4, "programs.web.stop_signal"),
            "{e}"
        );

        let e = p("[programs.a]\ncommand='x'\ndepends_on=['nope']\n").unwrap_err();
        assert_eq!(
            (e.line, e.key.as_str()),
            (3, "programs.a.depends_on"),
            "{e}"
        );

        let e = p("[programs.a]\ncommand='x'\ndepends_on=['b']\n[programs.b]\ncommand='x'\ndepends_on=['a']\n").unwrap_err();
        assert!(e.message.contains("cycle"), "{e}");

        let e = p("[programs.a]\ncommand='x'\n[[programs.a.health]]\ntype='tcp'\n").unwrap_err();
        assert_eq!(e.key, "programs.a.health[0]", "{e}");

        let e = p("[programs.a\ncommand='x'\n").unwrap_err();
        assert_eq!(e.line, 1, "{e}");

        let e = p("[programs.all]\ncommand='x'\n").unwrap_err();
        assert_eq!((e.line, e.key.as_str()), (1, "programs.all"), "{e}");

        let e = p("[programs.a]\ncommand='x'\nnumprocs = 0\n").unwrap_err();
        assert_eq!((e.line, e.key.as_str()), (3, "programs.a.numprocs"), "{e}");
    }

    #[test]
    fn the_example_config_is_valid() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/supervise/sup.toml");
        let c = load(&path).unwrap();
        let names: Vec<_> = c.programs.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["hog", "nightly", "web", "worker"]);
    }

    #[test]
    fn signals() {
        assert_eq!(signal_number("TERM"), Some(15));
        assert_eq!(signal_number("sigkill"), Some(9));
        assert_eq!(signal_number("10"), Some(10));
        assert_eq!(signal_number("nope"), None);
        assert_eq!(signal_name(9), "SIGKILL");
    }
}
