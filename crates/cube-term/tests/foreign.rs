//! Libraries' sendable userdata: a registered sender turns a userdata into a foreign
//! term, which makes the receiver's value itself; other userdata stay refused.

use cube_lua::host::{Cx, Val};
use cube_lua::Lua;
use cube_term::{from_term, register_sender, to_term, Foreign, ForeignValue, Term};

/// A library's userdata, sendable.
struct Point(f64, f64);
/// Another one, not registered.
struct Secret;

#[derive(Debug)]
struct SentPoint(f64, f64);

impl ForeignValue for SentPoint {
    fn type_name(&self) -> &'static str {
        "point"
    }
    fn byte_size(&self) -> usize {
        16
    }
    fn to_lua<'n>(&self, cx: &mut Cx<'n>) -> Val<'n> {
        cx.new_userdata(Point(self.0, self.1), None)
    }
}

fn send_point<'n>(cx: &Cx<'n>, v: Val<'n>) -> Option<Foreign> {
    cx.userdata_get::<Point>(v)
        .map(|p| Foreign::new(SentPoint(p.0, p.1)))
}

#[test]
fn registered_userdata_travel_and_others_are_refused() {
    register_sender(send_point);
    let sender = Lua::new();
    let (term, refused) = sender.with_raw_state(|st| {
        st.cx(|cx| {
            let p = cx.new_userdata(Point(1.5, -2.0), None);
            let t = cx.new_table();
            cx.set_field(t, "p", p);
            cx.set_field(t, "again", p);
            let term = to_term(cx, Val::Table(t)).unwrap();
            let s = cx.new_userdata(Secret, None);
            (term, to_term(cx, s).unwrap_err())
        })
    });
    assert!(refused.to_string().contains("userdata"), "{refused}");
    let Term::Tables(g) = &term else {
        panic!("{term:?}")
    };
    let foreign: Vec<&Foreign> = g.tables[0]
        .hash
        .iter()
        .filter_map(|(_, v)| match v {
            Term::Foreign(f) => Some(f),
            _ => None,
        })
        .collect();
    assert_eq!(foreign.len(), 2);
    assert_eq!(foreign[0].value().type_name(), "point");
    assert_eq!(term.clone(), term);

    let receiver = Lua::new();
    receiver.with_raw_state(|st| {
        st.cx(|cx| {
            let v = from_term(cx, &term);
            let Val::Table(t) = v else { panic!() };
            let p = cx.get_field(t, "p");
            let got = cx.userdata_get::<Point>(p).map(|p| (p.0, p.1));
            assert_eq!(got, Some((1.5, -2.0)));
        })
    });
}
