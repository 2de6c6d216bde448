//! # cube-sup: supervising OS programs on cube's processes and supervisors
//!
//! heart, circusd, supervisord and monit in one: keep external programs (Python
//! workers, web servers, cube nodes...) running, restart them with backoff, stop them
//! without leaving orphans, capture their output, check their health, and take orders
//! over a ZeroMQ control socket (`cube-cli supervise` / `cube-cli ctl`) or from Lua.
//!
//! How it maps onto the VM: every instance of a managed program is a cube process (Lua,
//! `sup.lua`), a child of an OTP supervisor (cube-vm's `supervisor` library, strategy
//! one_for_one) run by a manager process, so OTP's restart logic decides whether a
//! program comes back (restart policy always/on-failure/never = OTP
//! permanent/transient/temporary), and OTP's ordered shutdown stops programs in reverse
//! dependency order. Rust service threads turn OS events into messages to those
//! processes (DESIGN.md decision 5): the reaper (`proc.rs`, SIGCHLD through a self-pipe,
//! no polling), the output/heartbeat reader (`logs.rs`, epoll), the health checker
//! (`health.rs`) and the control socket (`control.rs`). Shared facts (pids, states,
//! failed starts) live in [`core::Core`].
//!
//! Modules: `config` (TOML, errors with file, line and key), `proc` (spawn in a new
//! session with PDEATHSIG, subreaper, tree signalling, reaping), `logs` (capture and
//! rotation), `health`, `core`, `control` (protocol and client), `lualib` (the
//! `programs` library and the natives of `sup.lua`, the manager, and `instance.lua`,
//! the instance body), `json`, `sentinel` (kills a SIGKILLed supervisor's leftovers).
//!
//! ```no_run
//! let config = cube_sup::config::load(std::path::Path::new("sup.toml")).unwrap();
//! let sup = cube_sup::Supervisor::start(config, cube_sup::Options::default()).unwrap();
//! sup.wait(); // until `cube-cli ctl quit` or `Supervisor::quit`
//! ```

pub mod config;
pub mod control;
pub mod core;
pub mod eventlog;
pub mod health;
pub mod json;
pub mod logs;
pub mod lualib;
pub mod proc;
pub mod sentinel;

use crate::core::Core;
use std::sync::Arc;
use std::time::Duration;

/// How a supervisor runs.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Scheduler threads of the node (0: one per core).
    pub schedulers: usize,
    /// Command that runs the sentinel (`cube-cli` passes itself with its hidden
    /// sentinel argument); None: no sentinel, only PDEATHSIG protects against a
    /// SIGKILLed supervisor.
    pub sentinel: Option<Vec<String>>,
    /// Also runs this Lua file as a process on the node (scripts using `programs`).
    pub script: Option<std::path::PathBuf>,
    /// Called with the node as soon as it exists, before any process runs: cube-cli
    /// makes the node distributed here (`supervise --sname`). An error stops the start.
    pub on_node: Option<NodeHook>,
    /// Also runs on the state every process starts from, after the libraries
    /// cube-sup opens: cube-cli adds the `http` library here for `supervise --http`
    /// (the dashboard's server and its connections' processes need it in the image).
    pub setup: Option<StateHook>,
}

/// See [`Options::setup`].
#[derive(Clone)]
pub struct StateHook(pub Arc<dyn Fn(&mut cube_lua::State) + Send + Sync>);

impl std::fmt::Debug for StateHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StateHook")
    }
}

/// What [`NodeHook`] calls: prepares the node, or says why it cannot.
pub type NodeHookFn = dyn Fn(&cube_vm::Node) -> Result<(), String> + Send + Sync;

/// See [`Options::on_node`].
#[derive(Clone)]
pub struct NodeHook(pub Arc<NodeHookFn>);

impl std::fmt::Debug for NodeHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NodeHook")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Config(#[from] config::ConfigError),
    #[error("{0}")]
    Control(String),
    #[error("the manager process did not start: {0}")]
    Manager(String),
    #[error("{0}")]
    Node(String),
}

/// A running supervisor: a node whose first process is the manager.
pub struct Supervisor {
    core: Arc<Core>,
    node: cube_vm::Node,
    manager: cube_term::Pid,
    zmq: Option<zmq::Context>,
    control: Option<std::thread::JoinHandle<()>>,
    _sentinel: Option<sentinel::Sentinel>,
}

impl Supervisor {
    /// Binds the control and events endpoints, starts the node and the manager, and
    /// starts the programs (in dependency order; this returns once the manager has
    /// started the first ones).
    pub fn start(config: config::Config, opts: Options) -> Result<Supervisor, Error> {
        let _ = proc::reaper();
        proc::raise_nofile_limit();
        let core = Core::new(config);
        let health = health::Health::start(&core);
        let _ = core.health.set(health);
        let ctx = zmq::Context::new();
        let control = control::start(&core, &ctx).map_err(Error::Control)?;
        let sentinel = match &opts.sentinel {
            Some(cmd) => Some(sentinel::Sentinel::start(cmd).map_err(Error::Control)?),
            None => None,
        };
        let id = lualib::register_core(&core);
        let setup = opts.setup.clone();
        let node = cube_vm::Node::start(opts.schedulers, move |st| {
            cube_lua::stdlib::open_libs(st);
            lualib::install(st, id);
            if let Some(hook) = &setup {
                (hook.0)(st);
            }
        });
        if let Some(hook) = &opts.on_node {
            (hook.0)(&node).map_err(Error::Node)?;
        }
        // A supervisor runs for days: its script's output shows line by line.
        node.set_stdout_line_buffered(true);
        let _ = core.node.set(node.handle());
        let manager = node
            .spawn_main(|st| {
                st.push_chunk(b"return programs._manager()", "=cube-sup")
                    .map_err(|e| e.message)?;
                Ok(0)
            })
            .map_err(Error::Manager)?;
        {
            let (lock, cv) = &core.manager_ready;
            let ready = lock.lock().expect("ready lock");
            let (ready, _) = cv
                .wait_timeout_while(ready, Duration::from_secs(30), |r| !*r)
                .expect("ready lock");
            if !*ready {
                return Err(Error::Manager("no answer within 30 s".into()));
            }
        }
        if let Some(script) = &opts.script {
            let path = script.clone();
            let node_ref = &node;
            let _ = node_ref.spawn_main(move |st| {
                let src = cube_lua::stdlib::base::read_source_file(&path.display().to_string())?;
                st.push_chunk(&src, &format!("@{}", path.display()))
                    .map_err(|e| e.message)?;
                Ok(0)
            });
        }
        Ok(Supervisor {
            core,
            node,
            manager,
            zmq: Some(ctx),
            control: Some(control),
            _sentinel: sentinel,
        })
    }

    /// The control and events endpoints as bound: a `tcp://HOST:*` endpoint comes back
    /// with the port the system chose.
    pub fn endpoints(&self) -> (String, String) {
        self.core.bound.get().cloned().unwrap_or_else(|| {
            let cfg = self.core.config.lock().expect("config lock");
            (cfg.control.clone(), cfg.events.clone())
        })
    }

    /// Asks the manager to stop every program (reverse dependency order) and end.
    pub fn quit(&self) {
        self.quit_handle().quit();
    }

    /// Waits until the manager has ended (after `quit`), then makes sure nothing the
    /// supervisor started is left. Returns the manager's exit reason.
    pub fn wait(mut self) -> cube_vm::ExitReason {
        let reason = self.node.wait(self.manager);
        self.core.kill_everything();
        // The reply to `quit` (and any other) goes out before the sockets close.
        if let Some(t) = self.control.take() {
            control::shutdown(&self.core, t);
        }
        drop(self.zmq.take());
        // Passthrough output still on its way goes out, within bounds: the pipes of the
        // programs just stopped reach EOF, then the stdout queue drains, unless stdout
        // does not take it (a stalled reader does not keep the supervisor from ending).
        let deadline = std::time::Instant::now() + Duration::from_secs(2);
        while !self.core.io.is_empty() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        logs::stdout().flush(Duration::from_secs(5));
        logs::stderr().flush(Duration::from_secs(1));
        self.node.flush_stdout();
        let cfg = self.core.config.lock().expect("config lock").clone();
        for ep in [&cfg.control, &cfg.events] {
            if let Some(p) = ep.strip_prefix("ipc://") {
                let _ = std::fs::remove_file(p);
            }
        }
        reason
    }
}

/// Something that asks a supervisor to quit, usable from any thread (signal handlers'
/// threads, tests).
#[derive(Clone)]
pub struct QuitHandle {
    core: Arc<Core>,
    manager: cube_term::Pid,
}

impl QuitHandle {
    pub fn quit(&self) {
        if let Some(node) = self.core.node.get() {
            node.send(
                self.manager,
                json::to_term(&serde_json::json!({ "tag": "quit", "id": 0 })),
            );
        }
    }
}

impl Supervisor {
    pub fn quit_handle(&self) -> QuitHandle {
        QuitHandle {
            core: self.core.clone(),
            manager: self.manager,
        }
    }
}
