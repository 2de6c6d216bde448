//! Distribution for the command line: `--sname`, `--name`, `--cookie` make the node a
//! member of an Erlang cluster (issue 12).
//!
//! cube-vm knows other nodes only through its `Distribution` hook, and cube-dist knows
//! nothing of cube-vm (DESIGN.md decision 8); this module is the glue:
//! - `outgoing.rs`: the `Distribution` the node calls; it queues each request for a
//!   worker thread of the destination node, so no scheduler thread waits on the
//!   network and requests to one node keep their order;
//! - `incoming.rs`: turns cube-dist's events into messages and signals for the node's
//!   processes, on the connections' reader threads;
//! - `reason.rs`: exit reasons between Lua's text and Erlang terms;
//! - `rpc.rs`: spawn requests from other nodes (`rpc:call`, `erpc`, `spawn/4`) run Lua
//!   functions;
//! - `io_format.rs`: `io:format` in code our calls run on other nodes, formatted here.

mod incoming;
mod io_format;
mod outgoing;
mod reason;
mod rpc;

use cube_dist::{DistConfig, DistNode};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The distribution flags of `run`, `eval` and `repl`.
#[derive(Clone, Debug, clap::Args)]
pub struct Flags {
    /// Make this a distributed node with a short name: NAME@HOST (HOST: this
    /// machine's host name up to the first dot), as `erl -sname`.
    #[arg(long, value_name = "NAME", conflicts_with = "name")]
    pub sname: Option<String>,
    /// Make this a distributed node with a long name, NAME@HOST (NAME alone: this
    /// machine's full host name), as `erl -name`.
    #[arg(long, value_name = "NAME[@HOST]")]
    pub name: Option<String>,
    /// The magic cookie; default: $HOME/.erlang.cookie, created if missing (as erl).
    #[arg(long, value_name = "COOKIE")]
    pub cookie: Option<String>,
    /// Seconds of silence after which a connection is down (ticks go out at a
    /// quarter of it), as erl's `-kernel net_ticktime`.
    #[arg(long, value_name = "SECONDS", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub net_ticktime: u64,
}

impl Default for Flags {
    fn default() -> Flags {
        Flags {
            sname: None,
            name: None,
            cookie: None,
            net_ticktime: 60,
        }
    }
}

impl Flags {
    /// The full node name asked for, if any.
    fn node_name(&self) -> Result<Option<String>, String> {
        if let Some(s) = &self.sname {
            if s.contains('@') {
                return Ok(Some(s.clone()));
            }
            let host = hostname()?;
            let short = host.split('.').next().unwrap_or(&host);
            return Ok(Some(format!("{s}@{short}")));
        }
        if let Some(n) = &self.name {
            if n.contains('@') {
                return Ok(Some(n.clone()));
            }
            return Ok(Some(format!("{n}@{}", hostname()?)));
        }
        Ok(None)
    }
}

/// This machine's host name.
fn hostname() -> Result<String, String> {
    let mut buf = [0u8; 256];
    // SAFETY: `buf` is writable for its whole length, which is what is passed; the
    // result is NUL-terminated within it when the call succeeds (truncation is checked
    // by looking for the NUL below).
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return Err(format!(
            "cannot read the host name: {}",
            std::io::Error::last_os_error()
        ));
    }
    let end = buf
        .iter()
        .position(|&b| b == 0)
        .ok_or("host name too long")?;
    String::from_utf8(buf[..end].to_vec()).map_err(|_| "host name is not UTF-8".to_string())
}

/// A running distribution: stopped (unregistered from EPMD, connections closed) when
/// dropped, as the node it serves ends, after what the node's processes sent last
/// (messages, exit signals of the processes that just ended) is written, for at most
/// [`FLUSH_TIMEOUT`].
pub struct Running {
    dist: DistNode,
    out: Arc<outgoing::Outgoing>,
}

impl Running {
    /// This node's name.
    pub fn name(&self) -> String {
        self.dist.name().name().to_owned()
    }
}

/// How long an ending node waits for its last requests to other nodes to go out.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(5);

impl Drop for Running {
    fn drop(&mut self) {
        let deadline = Instant::now() + FLUSH_TIMEOUT;
        self.out.flush(deadline);
        self.dist
            .drain(deadline.saturating_duration_since(Instant::now()));
        self.dist.stop();
    }
}

/// Makes `node` distributed as `flags` ask; `None` when they ask for nothing.
pub fn start(node: &cube_vm::Node, flags: &Flags) -> Result<Option<Running>, String> {
    let Some(name) = flags.node_name()? else {
        return Ok(None);
    };
    let cookie = match &flags.cookie {
        Some(c) => c.clone(),
        None => cube_dist::cookie::default_path()
            .and_then(|p| cube_dist::cookie::read_or_create(&p))
            .map_err(|e| e.to_string())?,
    };
    let mut config = DistConfig::new(&name, &cookie);
    config.net_ticktime = Duration::from_secs(flags.net_ticktime);
    let (dist, events) =
        DistNode::start(config).map_err(|e| format!("cannot start distribution as {name}: {e}"))?;
    let handle = node.handle();
    let out = Arc::new(outgoing::Outgoing::new(dist.clone(), handle.clone()));
    if !node.set_distribution(out.clone()) {
        dist.stop();
        return Err("the node is distributed already".into());
    }
    incoming::install(&dist, &events, handle, out.clone());
    dist.set_io_formatter(io_format::formatter());
    Ok(Some(Running { dist, out }))
}
