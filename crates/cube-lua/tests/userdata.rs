//! Userdata access from other crates: `Cx::userdata_get` (shared reads) and
//! `Cx::userdata_mut` (a `&mut` tied to the context's borrow), including the payloads
//! of a shared image, which other states read in place from other threads.

use cube_lua::host::Val;
use cube_lua::image::Image;
use cube_lua::State;
use std::cell::Cell;

struct Counter(u32);

#[test]
fn get_and_mut_read_and_write_the_payload() {
    let mut st = State::new_bare();
    st.cx(|cx| {
        let v = cx.new_userdata(Counter(1), None);
        assert_eq!(cx.userdata_get::<Counter>(v).map(|c| c.0), Some(1));
        cx.userdata_mut::<Counter>(v).unwrap().0 += 41;
        assert_eq!(cx.userdata_get::<Counter>(v).map(|c| c.0), Some(42));
        // The wrong type, or no userdata at all.
        assert!(cx.userdata_get::<u32>(v).is_none());
        assert!(cx.userdata_mut::<u32>(v).is_none());
        assert!(cx.userdata_get::<Counter>(Val::Num(1.0)).is_none());
        assert!(cx.userdata_get::<Counter>(Val::LightUserData(8)).is_none());
        // Two readers at once are fine.
        let (a, b) = (
            cx.userdata_get::<Counter>(v).unwrap(),
            cx.userdata_get::<Counter>(v).unwrap(),
        );
        assert_eq!(a.0 + b.0, 84);
    });
}

#[test]
fn image_payloads_are_shared_only_when_sync() {
    let image = Image::new(|st| {
        st.cx(|cx| {
            // Not `Sync`: states on other threads must not read it in place.
            let local = cx.new_userdata(Cell::new(7u32), None);
            cx.set_global("local", local);
            // `Sync`: readable in place by every state.
            let shared = cx.new_shared_userdata(Counter(9), None);
            cx.set_global("shared", shared);
        })
    });
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let image = image.clone();
            std::thread::spawn(move || {
                let mut st = State::from_image(&image);
                st.cx(|cx| {
                    let local = cx.get_global("local");
                    let shared = cx.get_global("shared");
                    assert!(cx.userdata_get::<Cell<u32>>(local).is_none());
                    assert_eq!(cx.userdata_get::<Counter>(shared).map(|c| c.0), Some(9));
                    // No cloner: neither can be written by a state.
                    assert!(cx.userdata_mut::<Cell<u32>>(local).is_none());
                    assert!(cx.userdata_mut::<Counter>(shared).is_none());
                })
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

#[test]
fn image_payloads_with_a_cloner_are_copied_before_a_write() {
    let mut image = Image::new(|st| {
        st.cx(|cx| {
            let v = cx.new_userdata(Counter(5), None);
            cx.set_global("c", v);
        })
    });
    let image_mut = std::sync::Arc::get_mut(&mut image).unwrap();
    // SAFETY: the cloner only reads the payload.
    unsafe {
        image_mut.add_userdata_cloner(|d| {
            d.downcast_ref::<Counter>()
                .map(|c| Box::new(Counter(c.0)) as Box<dyn std::any::Any + Send>)
        })
    };
    let mut a = State::from_image(&image);
    let mut b = State::from_image(&image);
    a.cx(|cx| {
        let va = cx.get_global("c");
        cx.userdata_mut::<Counter>(va).unwrap().0 = 50;
    });
    // `a` now holds its own copy (its references were re-pointed to it).
    let got = a.cx(|cx| {
        let va = cx.get_global("c");
        cx.userdata_get::<Counter>(va).map(|c| c.0)
    });
    assert_eq!(got, Some(50));
    let got = b.cx(|cx| {
        let vb = cx.get_global("c");
        cx.userdata_mut::<Counter>(vb).map(|c| c.0)
    });
    assert_eq!(got, Some(5));
}
