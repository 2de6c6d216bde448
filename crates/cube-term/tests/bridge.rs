//! The pid hook, with a stand-in for the process runtime's pid userdata.

use cube_lua::{Lua, State, Value};
use cube_term::{from_term_with, to_term, to_term_with, Bridge, Pid, Reference, Term};

/// What the process runtime will store in its pid userdata.
struct PidBox(Pid);
struct RefBox(Reference);

struct StandIn;

impl Bridge for StandIn {
    fn userdata_to_term(&self, st: &State, v: Value) -> Option<Term> {
        if let Some(p) = st.userdata_get::<PidBox>(&v) {
            return Some(Term::Pid(p.0));
        }
        st.userdata_get::<RefBox>(&v).map(|r| Term::Ref(r.0))
    }
    fn pid_to_value(&self, st: &mut State, pid: Pid) -> Value {
        st.new_userdata(PidBox(pid), None)
    }
    fn reference_to_value(&self, st: &mut State, r: Reference) -> Value {
        st.new_userdata(RefBox(r), None)
    }
}

#[test]
fn pid_userdata_travels_as_a_pid_term() {
    let pid = Pid::new(0, 42, 3);
    let r = Reference::new(0, 99);
    let sender = Lua::new();
    let term = sender.with_raw_state(|st| {
        let ud = st.new_userdata(PidBox(pid), None);
        let rd = st.new_userdata(RefBox(r), None);
        let t = st.new_table();
        st.set_field(t, "to", ud);
        st.set_field(t, "ref", rd);
        st.set_global("msg", Value::Table(t));
        // Without the bridge, userdata is refused...
        let err = to_term(st, Value::Table(t)).unwrap_err().to_string();
        assert!(
            err == "cannot send a userdata value (in field 'to')"
                || err == "cannot send a userdata value (in field 'ref')",
            "{err}"
        );
        // ...with it, it becomes a pid.
        to_term_with(st, Value::Table(t), &StandIn).unwrap()
    });
    let Term::Tables(g) = &term else { panic!() };
    assert!(g.tables[0]
        .hash
        .contains(&(Term::binary(b"to"), Term::Pid(pid))));
    assert!(g.tables[0]
        .hash
        .contains(&(Term::binary(b"ref"), Term::Ref(r))));

    let receiver = Lua::new();
    receiver.with_raw_state(|st| {
        let v = from_term_with(st, &term, &StandIn);
        st.set_global("got", v);
        let t = v.as_table().unwrap();
        let to = st.get_field(t, "to");
        assert_eq!(st.userdata_get::<PidBox>(&to).unwrap().0, pid);
        let rv = st.get_field(t, "ref");
        assert_eq!(st.userdata_get::<RefBox>(&rv).unwrap().0, r);
    });
    receiver
        .load("assert(type(got.to) == 'userdata' and type(got.ref) == 'userdata')")
        .exec()
        .unwrap();
}
