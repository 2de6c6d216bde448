//! A full atom table: data stops at the reserve, the runtime's own names still work.
//! (Its own test binary: filling the node-wide table would disturb other tests.)

use cube_term::atom::{Atom, MAX_ATOMS, RUNTIME_RESERVE};

#[test]
fn data_fills_the_table_up_to_the_reserve_and_runtime_names_still_intern() {
    let mut made = 0usize;
    let last_data = loop {
        match Atom::try_new(&format!("data_atom_{made}")) {
            Some(_) => made += 1,
            None => break made,
        }
        assert!(made <= MAX_ATOMS, "try_new never refused");
    };
    // Refused at the reserve (the table held nil, true and false before), not at the
    // hard limit, and still refused afterwards.
    assert_eq!(last_data + 3, MAX_ATOMS - RUNTIME_RESERVE);
    assert!(Atom::try_new("one_more_data_atom").is_none());
    // Names already in the table are still found by try_new.
    assert_eq!(
        Atom::try_new("data_atom_0").map(|a| a.name()),
        Some("data_atom_0")
    );
    assert_eq!(Atom::try_new("true"), Some(Atom::TRUE));
    // The runtime's fixed names come out of the reserve.
    for name in ["net_kernel", "noproc", "yes", "", "normal", "$gen_call"] {
        assert_eq!(Atom::new(name).name(), name);
    }
    // Room is left for a thousand more of them.
    for i in 0..1000 {
        let name = format!("runtime_name_{i}");
        assert_eq!(Atom::new(&name).name(), name);
    }
    assert!(
        Atom::try_new("runtime_name_7").is_some(),
        "now in the table"
    );
}
