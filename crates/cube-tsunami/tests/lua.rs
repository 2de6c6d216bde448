//! The `tsunami` library as a Lua user meets it: making environments, reset and step
//! with their results, the spaces, reproducible seeds, starting from a given state,
//! and clear errors for what does not fit.

use cube_lua::State;

fn eval(src: &str) -> Result<String, String> {
    let mut st = State::new_bare();
    cube_lua::stdlib::open_libs(&mut st);
    cube_tsunami::lua::open(&mut st);
    st.push_chunk(src.as_bytes(), "=test")
        .map_err(|e| e.message)?;
    match st.pcall(0, 1) {
        Ok(_) => Ok(st.cx(|cx| {
            let v = cx.stack_at(cx.top() - 1);
            cx.describe(v)
        })),
        Err(_) => Err(st.pop_error_message().unwrap_or_default()),
    }
}

fn ok(src: &str) -> String {
    eval(src).unwrap_or_else(|e| panic!("{src}\n  raised: {e}"))
}

fn err(src: &str) -> String {
    match eval(src) {
        Ok(v) => panic!("expected an error from {src:?}, got {v:?}"),
        Err(e) => e,
    }
}

#[test]
fn an_episode_through_lua() {
    let r = ok(r#"
        local env = tsunami.make("CartPole-v1")
        local obs, info = env:reset(5)
        assert(#obs == 4 and type(info) == "table" and next(info) == nil)
        local total, steps = 0, 0
        while true do
          local o, r, term, trunc = env:step(steps % 2)
          total, steps = total + r, steps + 1
          assert(#o == 4 and type(term) == "boolean" and type(trunc) == "boolean")
          if term or trunc then break end
        end
        return ("%s %d %d %d"):format(env.id, total, steps, env:elapsed())
    "#);
    let parts: Vec<&str> = r.split(' ').collect();
    assert_eq!(parts[0], "CartPole-v1");
    assert_eq!(
        parts[1], parts[2],
        "reward 1 per step, the last included: {r}"
    );
    assert_eq!(parts[2], parts[3]);
}

#[test]
fn spaces_and_fields() {
    assert_eq!(
        ok(r#"local e = tsunami.make("CartPole-v1")
              local a, o = e.action_space, e.observation_space
              return a.kind .. a.n .. o.kind .. o.shape[1] .. #o.low .. e.max_episode_steps"#),
        "Discrete2Box44500"
    );
    assert_eq!(
        ok(r#"local e = tsunami.make("Pendulum-v1")
              local a = e.action_space
              return a.kind .. a.low[1] .. a.high[1] .. a.shape[1]"#),
        "Box-221"
    );
    assert_eq!(
        ok("return table.concat(tsunami.envs(), ' ')"),
        "CartPole-v1 MountainCar-v0 Acrobot-v1 Pendulum-v1"
    );
    assert_eq!(
        ok("return tostring(tsunami.make('Acrobot-v1'))"),
        "tsunami.Env(Acrobot-v1)"
    );
    assert_eq!(ok("return require('tsunami') == tsunami"), "true");
}

#[test]
fn seeds_repeat_and_states_can_be_given() {
    assert_eq!(
        ok(r#"local function run(seed)
                local e = tsunami.make("MountainCar-v0")
                local o = e:reset(seed)
                for i = 1, 30 do o = e:step(i % 3) end
                return table.concat(o, ",")
              end
              return tostring(run(11) == run(11)) .. tostring(run(11) == run(12))"#),
        "truefalse"
    );
    assert_eq!(
        ok(r#"local e = tsunami.make("Pendulum-v1")
              local o = e:reset{state = {0, 0}}
              local o2, r = e:step(0)
              return o[1] .. " " .. o[2] .. " " .. r .. " " .. table.concat(e:state(), ",")"#),
        "1 0 -0 0,0"
    );
    assert_eq!(
        ok(r#"local e = tsunami.make("CartPole-v1")
              local o = e:reset{seed = 3, low = 0.1, high = 0.2}
              for _, x in ipairs(o) do assert(x >= 0.099 and x <= 0.2) end
              return #o"#),
        "4"
    );
}

#[test]
fn what_does_not_fit_is_a_clear_error() {
    assert!(
        err("tsunami.make('Nope-v9')").contains("no environment 'Nope-v9' (built in: CartPole-v1")
    );
    assert!(err("tsunami.make('CartPole-v1'):step(0)").contains("call reset before step"));
    assert!(
        err("local e = tsunami.make('CartPole-v1') e:reset() e:step(2)")
            .contains("action must be an integer from 0 to 1 (Discrete(2)), got 2")
    );
    assert!(
        err("local e = tsunami.make('Pendulum-v1') e:reset() e:step{1, 2}")
            .contains("action must be 1 number(s)")
    );
    assert!(
        err("local e = tsunami.make('CartPole-v1') e:reset{state = {1, 2}}")
            .contains("a CartPole state has 4 numbers, not 2")
    );
    assert!(
        err("local e = tsunami.make('CartPole-v1') e:reset(-1)").contains("a seed is an integer")
    );
    assert!(
        err("local e = tsunami.make('CartPole-v1') e:reset{low = 1}").contains("given together")
    );
    assert!(
        err("local e = tsunami.make('CartPole-v1') e:reset{state = {1, 'x', 3, 4}}")
            .contains("state[2] must be a number")
    );
    assert!(err("tsunami.make('CartPole-v1').step(5, 1)").contains("tsunami.Env expected"));
    let big = "local t = {} for i = 1, 100 do t[i] = 0 end \
               local e = tsunami.make('Acrobot-v1') e:reset{state = t}";
    assert!(err(big).contains("more than 64"));
}

#[test]
fn hostile_states_never_hang_or_panic() {
    // Far, infinite and NaN angles: gymnasium's wrap would loop for ever on some.
    for s in [
        "{1e300, -1e300, 0, 0}",
        "{1/0, -1/0, 0/0, 0}",
        "{0/0, 0/0, 0/0, 0/0}",
    ] {
        let src = format!(
            "local e = tsunami.make('Acrobot-v1') e:reset{{state = {s}}} \
             for i = 1, 10 do e:step(i % 3) end return #e:state()"
        );
        assert_eq!(ok(&src), "4", "{s}");
    }
    assert_eq!(
        ok("local e = tsunami.make('Pendulum-v1') e:reset() local o, r = e:step(0/0) return #o"),
        "3"
    );
}

#[test]
fn vector_environments_step_copies_together() {
    assert_eq!(
        ok(r#"local v = tsunami.make_vec("CartPole-v1", 4)
              local obs = v:reset(3)
              local e = tsunami.make("CartPole-v1")
              local o3 = e:reset(5)          -- copy 3 is seeded 3 + 2
              assert(table.concat(o3, ",") == table.concat(obs[3], ","))
              local restarts, steps = 0, 0
              local ended = {}
              for t = 1, 300 do
                local o, r, term, trunc = v:step{t % 2, 1, 0, math.floor(t / 3) % 2}
                for i = 1, 4 do
                  if ended[i] then
                    assert(r[i] == 0 and not term[i] and not trunc[i])
                    restarts = restarts + 1
                  end
                  ended[i] = term[i] or trunc[i]
                end
                steps = steps + 1
              end
              return v.num_envs .. " " .. v.single_action_space.n .. " " .. tostring(restarts > 0)"#),
        "4 2 true"
    );
    assert!(err("tsunami.make_vec('CartPole-v1', 0)").contains("1 to 4096 copies"));
    assert!(
        err("local v = tsunami.make_vec('CartPole-v1', 2) v:reset() v:step{1}")
            .contains("1 actions for 2 environments")
    );
    assert!(
        err("local v = tsunami.make_vec('CartPole-v1', 2) v:reset() v:step{1, 7}")
            .contains("Discrete(2)")
    );
}
