//! Processes of another engine (`engine.rs`) beside Lua processes: messages both ways,
//! names, Erlang-shaped EXIT messages, preemption of an engine that never waits.

use cube_term::{Pid, Term};
use cube_vm::engine::{Engine, EngineCx, Pending, Step};
use cube_vm::{ExitReason, Node};

/// Registers as `echo`; answers each `{pid, n}` table (from Lua) with `n + 1`, and
/// ends on the atom `stop`.
struct Echo {
    pending: Pending,
}

impl Engine for Echo {
    fn resume(&mut self, cx: &mut EngineCx, _budget: u64) -> (Step, u64) {
        if cx.whereis("echo").is_none() {
            cx.register("echo", cx.pid()).expect("register");
        }
        cx.take_messages(&mut self.pending);
        while let Some(m) = self.pending.pop_front() {
            match m {
                Term::Tables(g) => {
                    let arr = &g.tables[0].array;
                    if let (Some(Term::Pid(from)), Some(Term::Int(n))) = (arr.first(), arr.get(1)) {
                        cx.send(*from, Term::Int(n + 1));
                    }
                }
                Term::Atom(a) if a.name() == "stop" => {
                    return (
                        Step::Exited {
                            reason: ExitReason::Term(Term::atom("done")),
                            report: None,
                        },
                        1,
                    );
                }
                _ => {}
            }
        }
        (Step::Wait(None), 1)
    }
}

/// Never waits: uses every slice it gets.
struct Spin;

impl Engine for Spin {
    fn resume(&mut self, _cx: &mut EngineCx, budget: u64) -> (Step, u64) {
        (Step::Preempted, budget)
    }
}

/// Traps exits, links to the pid it is sent, and forwards the EXIT tuple it gets to
/// the process registered as `main`.
struct Trapper {
    pending: Pending,
    to: Option<Pid>,
}

impl Engine for Trapper {
    fn resume(&mut self, cx: &mut EngineCx, _budget: u64) -> (Step, u64) {
        if cx.whereis("trapper").is_none() {
            cx.set_trap_exit(true);
            cx.register("trapper", cx.pid()).expect("register");
        }
        cx.take_messages(&mut self.pending);
        while let Some(m) = self.pending.pop_front() {
            match (&m, self.to) {
                (Term::Pid(p), None) => {
                    self.to = Some(*p);
                    assert!(cx.link(*p));
                }
                (Term::Tuple(_), Some(_)) => {
                    let main = cx.whereis("main").expect("main registered");
                    cx.send(main, m.clone());
                    let normal = ExitReason::Normal;
                    return (
                        Step::Exited {
                            reason: normal,
                            report: None,
                        },
                        1,
                    );
                }
                _ => {}
            }
        }
        (Step::Wait(None), 1)
    }
}

fn run_lua(node: &Node, src: &'static str) -> ExitReason {
    let pid = node
        .spawn_main(move |st| {
            st.push_chunk(src.as_bytes(), "=test")
                .map_err(|e| e.message)?;
            Ok(0)
        })
        .expect("spawn");
    node.wait(pid)
}

#[test]
fn lua_and_an_engine_exchange_messages() {
    let node = Node::start(2, cube_lua::stdlib::open_libs);
    let echo = node.spawn_main_engine(Box::new(Echo {
        pending: Pending::new(),
    }));
    assert!(echo.is_ok());
    let r = run_lua(
        &node,
        "while not process.whereis('echo') do process.sleep(1) end
         local e = process.whereis('echo')
         local m = process.monitor(e)
         for i = 1, 100 do
           process.send(e, {process.self(), i})
           assert(process.receive(5000) == i + 1)
         end
         process.send(e, term.atom('stop'))
         local d = process.receive(5000)
         assert(d.tag == 'DOWN' and d.reason == 'done', tostring(d.reason))",
    );
    assert_eq!(r, ExitReason::Normal);
}

#[test]
fn an_engine_that_never_waits_is_preempted() {
    let node = Node::start(1, cube_lua::stdlib::open_libs);
    node.spawn_main_engine(Box::new(Spin)).expect("spawn");
    let r = run_lua(
        &node,
        "local n = 0 for i = 1, 1e6 do n = n + i end
         process.sleep(10)
         assert(n > 0)",
    );
    assert_eq!(r, ExitReason::Normal);
}

#[test]
fn an_engine_gets_exit_signals_as_erlang_tuples() {
    let node = Node::start(2, cube_lua::stdlib::open_libs);
    let trapper = Trapper {
        pending: Pending::new(),
        to: None,
    };
    node.spawn_main_engine(Box::new(trapper)).expect("spawn");
    let r = run_lua(
        &node,
        "while not process.whereis('trapper') do process.sleep(1) end
         process.register('main', process.self())
         local victim = process.spawn(function()
           process.receive()
           process.exit('boom')
         end)
         process.send('trapper', victim)
         process.sleep(20)
         process.send(victim, 'go')
         local m = process.receive(5000)
         assert(term.type(m) == 'tuple', term.type(m))
         assert(m[1] == term.atom('EXIT') and m[2] == victim and m[3] == 'boom')",
    );
    assert_eq!(r, ExitReason::Normal);
}
