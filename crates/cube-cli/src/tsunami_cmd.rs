//! `cube-cli tsunami ...`: Tsunami's learners from the command line. The glue only:
//! the options become a call of the Lua `tsunami.train` / `tsunami.eval` on a node
//! (cube-tsunami's `agents/`), and after training the curve is drawn
//! (`cube_tsunami::plot`).

use clap::Subcommand;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum TsunamiCommand {
    /// Train ALGO (ppo, dqn, a3c, mbrl) on the environment ENV (e.g. CartPole-v1): a live
    /// progress line on stderr (at a terminal), then DIR/curve.csv, DIR/curve.png and
    /// DIR/policy.safetensors.
    Train {
        algo: String,
        env: String,
        /// Environment steps to train for (ppo steps its 8 copies together and a3c
        /// counts whole rollouts, so they may end a few steps past it).
        #[arg(long, default_value_t = 100_000)]
        steps: u64,
        /// Seed of the networks, the sampling and the environments (runs of ppo and
        /// dqn with the same seed give the same curve).
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Stop once the mean return of the last 100 episodes reaches R (mbrl: stop
        /// learning after 2 episodes of at least R, then evaluate the frozen agent over
        /// 100 episodes; solved if their mean reaches R).
        #[arg(long, value_name = "R")]
        target: Option<f64>,
        /// Output directory (made if missing).
        #[arg(long, value_name = "DIR", default_value = "tsunami-out")]
        out: PathBuf,
        /// Actor-learner processes (a3c).
        #[arg(long, default_value_t = 4)]
        workers: u64,
        /// a3c: also place workers on these nodes (NAME@HOST, comma-separated), in turn
        /// with this one; they send gradients to a parameter server here. Needs
        /// `--sname` or `--name`, and the nodes running (`cube-cli node`).
        #[arg(long, value_name = "NODE,...", value_delimiter = ',')]
        nodes: Vec<String>,
        #[command(flatten)]
        dist: crate::dist::Flags,
    },
    /// Serve gymnasium environments over ZeroMQ for `tsunami.remote(endpoint, id)`:
    /// runs the bridge shipped with cube in python3 (needs pyzmq and gymnasium).
    GymServer {
        #[arg(long, default_value = "tcp://127.0.0.1:5555", value_name = "ENDPOINT")]
        bind: String,
    },
    /// Run greedy episodes of a trained policy and print the mean return.
    Eval {
        checkpoint: PathBuf,
        #[arg(long, default_value_t = 100)]
        episodes: u64,
        /// Seed of the first episode (episode k gets SEED + k - 1).
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
}

const TRAIN: &str = r#"
local algo, env, steps, seed, target, out, workers, progress, nodes = ...
local node_list = {}
for n in nodes:gmatch("[^,]+") do node_list[#node_list + 1] = n end
local r = tsunami.train{
  algo = algo, env = env, steps = tonumber(steps), seed = tonumber(seed),
  target = tonumber(target), out = out, workers = tonumber(workers),
  progress = progress == "1", nodes = #node_list > 0 and node_list or nil,
}
local mean = r.episodes > 0 and string.format("%.2f", r.mean_return_100) or "- (no episode ended)"
print(string.format("%s on %s: %d steps, %d episodes, mean return (last 100) %s%s, %.1f s",
  algo, env, r.steps, r.episodes, mean, r.solved and ", target reached" or "", r.wall_s))
if r.info and r.info.eval_mean then
  print(string.format("frozen after %d learning steps: mean return %.2f over %d evaluation episodes (min %.2f)",
    r.info.learn_steps, r.info.eval_mean, r.info.eval_episodes, r.info.eval_min))
end
if #node_list > 0 then
  local names = {}
  for n in pairs(r.info.nodes) do names[#names + 1] = n end
  table.sort(names)
  for _, n in ipairs(names) do print(string.format("steps on %s: %d", n, r.info.nodes[n])) end
end
"#;

const EVAL: &str = r#"
local path, n, seed = ...
local mean, returns = tsunami.eval(path, tonumber(n), tonumber(seed))
local lo, hi = math.huge, -math.huge
for _, r in ipairs(returns) do lo, hi = math.min(lo, r), math.max(hi, r) end
print(string.format("mean return %.2f over %d episodes (min %.2f, max %.2f)", mean, #returns, lo, hi))
"#;

pub fn run(cmd: TsunamiCommand) -> u8 {
    use std::io::IsTerminal;
    match cmd {
        TsunamiCommand::Train {
            algo,
            env,
            steps,
            seed,
            target,
            out,
            workers,
            nodes,
            dist,
        } => {
            if let Err(e) = std::fs::create_dir_all(&out) {
                eprintln!("cube-cli: {}: {e}", out.display());
                return 1;
            }
            let progress = if std::io::stderr().is_terminal() {
                "1"
            } else {
                "0"
            };
            let args = [
                algo,
                env,
                steps.to_string(),
                seed.to_string(),
                target.map(|t| t.to_string()).unwrap_or_default(),
                out.to_string_lossy().into_owned(),
                workers.to_string(),
                progress.to_string(),
                nodes.join(","),
            ];
            let opts = crate::script::Options {
                dist,
                ..Default::default()
            };
            let code = crate::script::run_eval(TRAIN, &args, opts);
            if code != 0 {
                return code;
            }
            let csv = out.join("curve.csv");
            let png = out.join("curve.png");
            let drawn = cube_tsunami::plot::read_curve(&csv)
                .and_then(|points| cube_tsunami::plot::draw_curve(&points, &png).map(|()| points));
            match drawn {
                Ok(points) => {
                    let ((_, x1), (y0, y1)) = cube_tsunami::plot::ranges(&points);
                    println!(
                        "wrote {}, {} (steps 0 to {x1}, mean return {y0:.2} to {y1:.2}), {}",
                        csv.display(),
                        png.display(),
                        out.join("policy.safetensors").display()
                    );
                    0
                }
                Err(e) => {
                    eprintln!("cube-cli: {e}");
                    1
                }
            }
        }
        TsunamiCommand::GymServer { bind } => {
            // exec, not a child: whoever stops `cube-cli tsunami gym-server` (a signal,
            // a supervisor) stops the server itself, and no orphan python is left.
            use std::os::unix::process::CommandExt;
            let err = std::process::Command::new("python3")
                .arg("-c")
                .arg(cube_tsunami::GYM_SERVER_PY)
                .arg("--bind")
                .arg(&bind)
                .exec();
            eprintln!(
                "cube-cli: cannot run python3 ({err}); the gym server needs python3 with pyzmq \
                 and gymnasium (python3 -m pip install pyzmq gymnasium)"
            );
            1
        }
        TsunamiCommand::Eval {
            checkpoint,
            episodes,
            seed,
        } => {
            let args = [
                checkpoint.to_string_lossy().into_owned(),
                episodes.to_string(),
                seed.to_string(),
            ];
            crate::script::run_eval(EVAL, &args, crate::script::Options::default())
        }
    }
}
