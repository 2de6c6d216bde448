//! The pid hook, with a stand-in for the process runtime's pid userdata.

use cube_lua::host::{Cx, Val};
use cube_lua::Lua;
use cube_term::{from_term_with, to_term, to_term_with, Bridge, Pid, Reference, Term};

/// What the process runtime will store in its pid userdata.
struct PidBox(Pid);
struct RefBox(Reference);

struct StandIn;

impl Bridge for StandIn {
    fn userdata_to_term<'n>(&self, cx: &Cx<'n>, v: Val<'n>) -> Option<Term> {
        if let Some(p) = cx.userdata_get::<PidBox>(v) {
            return Some(Term::Pid(p.0));
        }
        cx.userdata_get::<RefBox>(v).map(|r| Term::Ref(r.0))
    }
    fn pid_to_value<'n>(&self, cx: &mut Cx<'n>, pid: Pid) -> Val<'n> {
        cx.new_userdata(PidBox(pid), None)
    }
    fn reference_to_value<'n>(&self, cx: &mut Cx<'n>, r: Reference) -> Val<'n> {
        cx.new_userdata(RefBox(r), None)
    }
}

#[test]
fn pid_userdata_travels_as_a_pid_term() {
    let pid = Pid::new(0, 42, 3);
    let r = Reference::new(0, 99);
    let sender = Lua::new();
    let term = sender.with_raw_state(|st| {
        st.cx(|cx| {
            let ud = cx.new_userdata(PidBox(pid), None);
            let rd = cx.new_userdata(RefBox(r), None);
            let t = cx.new_table();
            cx.set_field(t, "to", ud);
            cx.set_field(t, "ref", rd);
            cx.set_global("msg", Val::Table(t));
            // Without the bridge, userdata is refused...
            let err = to_term(cx, Val::Table(t)).unwrap_err().to_string();
            assert!(
                err == "cannot send a userdata value (in field 'to')"
                    || err == "cannot send a userdata value (in field 'ref')",
                "{err}"
            );
            // ...with it, it becomes a pid.
            to_term_with(cx, Val::Table(t), &StandIn).unwrap()
        })
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
        st.cx(|cx| {
            let v = from_term_with(cx, &term, &StandIn);
            cx.set_global("got", v);
            let t = v.as_table().unwrap();
            let to = cx.get_field(t, "to");
            assert_eq!(cx.userdata_get::<PidBox>(to).unwrap().0, pid);
            let rv = cx.get_field(t, "ref");
            assert_eq!(cx.userdata_get::<RefBox>(rv).unwrap().0, r);
        })
    });
    receiver
        .load("assert(type(got.to) == 'userdata' and type(got.ref) == 'userdata')")
        .exec()
        .unwrap();
}
