//! A3C with workers on other cube nodes (issue 14): `cube-cli tsunami train a3c --nodes`
//! places workers on `cube-cli node`s, which learn through the parameter server of the
//! training node; a worker node that goes away mid-training has its workers restarted
//! on the training node, and training reaches its budget.
//!
//! Each test has its own EPMD (cube-dist's server on a free port, given to every node as
//! `ERL_EPMD_PORT`) and unique node names. Every wait ends after `common::WAIT`.

#[path = "../../cube-dist/tests/common/mod.rs"]
mod common;

use common::{loopback, short_host, unique, Proc};
use cube_dist::epmd::EpmdServer;
use std::path::PathBuf;
use std::process::{Command, Output};

const COOKIE: &str = "tsunamisecret";

/// A private EPMD, a scratch directory, and worker nodes started on demand.
struct Cluster {
    _epmd: EpmdServer,
    port: u16,
    dir: PathBuf,
}

impl Cluster {
    fn new() -> Cluster {
        let dir = std::env::temp_dir().join(unique("cube-tsunami-nodes-"));
        std::fs::create_dir_all(&dir).unwrap();
        let epmd = EpmdServer::bind(loopback(0)).unwrap();
        let port = epmd.addr().port();
        Cluster {
            _epmd: epmd,
            port,
            dir,
        }
    }

    /// A `cube-cli` command on this cluster's EPMD, with a private HOME.
    fn command(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_cube-cli"));
        cmd.current_dir(&self.dir)
            .env("ERL_EPMD_PORT", self.port.to_string())
            .env("HOME", &self.dir);
        cmd
    }

    /// `cube-cli node --sname NAME`, up and registered; returns it and its full name.
    fn worker_node(&self) -> (Proc, String) {
        let sname = unique("tsworker");
        let script = self.dir.join(format!("{sname}.lua"));
        std::fs::write(&script, "print('ready') io.stdout:flush()\n").unwrap();
        let mut cmd = self.command();
        cmd.args(["node", "--sname", &sname, "--cookie", COOKIE, "--script"])
            .arg(&script);
        let node = Proc::spawn(cmd, &sname);
        node.expect("ready");
        (node, format!("{sname}@{}", short_host()))
    }

    /// `cube-cli COMMAND --sname <unique> --cookie COOKIE ARGS...`, run to its end.
    fn run(&self, command: &[&str], args: &[&str]) -> (Output, String) {
        let sname = unique("tshome");
        let out = self
            .command()
            .args(command)
            .args(["--sname", &sname, "--cookie", COOKIE])
            .args(args)
            .output()
            .expect("cube-cli runs");
        (out, format!("{sname}@{}", short_host()))
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn stdout(out: &Output) -> String {
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "cube-cli failed: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

/// The number after `steps on NODE: ` in the command's output.
fn steps_on(text: &str, node: &str) -> u64 {
    let line = format!("steps on {node}: ");
    text.lines()
        .find_map(|l| l.strip_prefix(&line))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {line:?} line in {text}"))
}

#[test]
fn a3c_learns_with_workers_on_another_node() {
    // Two workers: one here (Hogwild on the shared weights), one on the worker node
    // (through the parameter server). Both do work, and the policy learns: the mean
    // return of the last 100 episodes goes from about 20 (random) to at least 100.
    let c = Cluster::new();
    let (_node, worker) = c.worker_node();
    let out = c.dir.join("out");
    let (output, home) = c.run(
        &["tsunami", "train"],
        &[
            "a3c",
            "CartPole-v1",
            "--workers",
            "2",
            "--nodes",
            &worker,
            "--steps",
            "100000",
            "--target",
            "100",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    let text = stdout(&output);
    assert!(text.contains("target reached"), "{text}");
    assert!(
        steps_on(&text, &worker) > 0,
        "the remote worker did work: {text}"
    );
    assert!(
        steps_on(&text, &home) > 0,
        "the local worker did work: {text}"
    );
    assert!(out.join("policy.safetensors").exists());
}

#[test]
fn a3c_goes_on_when_a_worker_node_goes_down() {
    // Once the worker node has contributed, the training script stops that node
    // (os.exit through node.call); its worker is restarted on the training node and
    // training runs to its step budget.
    let c = Cluster::new();
    let (_node, worker) = c.worker_node();
    let script = c.dir.join("train.lua");
    std::fs::write(
        &script,
        r#"
local w = arg[1]
local stopped
local r = tsunami.train{
  algo = "a3c", env = "CartPole-v1", steps = 60000, seed = 1, workers = 2, nodes = {w},
  a3c = {on_update = function(i)
    if not stopped and (i.nodes[w] or 0) > 0 then
      stopped = i.nodes[w]
      local v, why = node.call(w, "os", "exit", {0}, 10000)
      assert(v == nil, "the node answered after exiting")
    end
  end},
}
print(string.format("stopped at %d steps %d seen %d remote %d", stopped, r.steps,
  r.info.workers_seen, r.info.nodes[w]))
"#,
    )
    .unwrap();
    let (output, _) = c.run(&["run"], &[script.to_str().unwrap(), &worker]);
    let text = stdout(&output);
    let nums: Vec<u64> = text
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    let [stopped, steps, seen, remote] = nums[..] else {
        panic!("{text}")
    };
    assert!(stopped > 0 && remote >= stopped, "{text}");
    assert!(steps >= 60000, "training reached its budget: {text}");
    assert_eq!(seen, 3, "the lost worker was restarted here: {text}");
}

#[test]
fn bad_node_options_are_clear_errors() {
    let c = Cluster::new();
    // A node that is not there.
    let nobody = format!("nobody@{}", short_host());
    let (out, _) = c.run(
        &["tsunami", "train"],
        &["a3c", "CartPole-v1", "--nodes", &nobody, "--steps", "100"],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("tsunami.a3c: node nobody@") && err.contains("does not answer"),
        "{err}"
    );
    // Workers on other nodes are an A3C thing.
    let (out, _) = c.run(
        &["tsunami", "train"],
        &["ppo", "CartPole-v1", "--nodes", "x@y", "--steps", "100"],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("nodes (workers on other nodes) is for a3c only"),
        "{err}"
    );
    // Without distribution there are no other nodes.
    let out = c
        .command()
        .args(["tsunami", "train", "a3c", "CartPole-v1", "--nodes", "x@y"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("need this node distributed (--sname or --name)"),
        "{err}"
    );
}

#[test]
fn an_environment_process_runs_on_another_node() {
    // tsunami.spawn_env(id, {node=}): the environment steps there, as it does here.
    let c = Cluster::new();
    let (_node, worker) = c.worker_node();
    let script = c.dir.join("env.lua");
    std::fs::write(
        &script,
        r#"
local w = arg[1]
local env = tsunami.spawn_env("Acrobot-v1", {node = w})
assert(env.node == w and node.self() ~= w, env.node)
local ref = tsunami.make("Acrobot-v1")
local o1, o2 = env:reset(3), ref:reset(3)
for t = 1, 50 do
  o1 = env:step(t % 3)
  o2 = ref:step(t % 3)
end
for i = 1, 6 do assert(o1[i] == o2[i], i) end
env:close()
local ok, err = pcall(tsunami.spawn_env, "CartPole-v1", {node = "nobody@nohost"})
assert(not ok and err:find("node nobody@nohost", 1, true), err)
print("same after 50 steps")
"#,
    )
    .unwrap();
    let (output, _) = c.run(&["run"], &[script.to_str().unwrap(), &worker]);
    assert!(stdout(&output).contains("same after 50 steps"));
}
