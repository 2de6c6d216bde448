//! Shared images (`cube_lua::image`): many states start from one frozen standard
//! library, read it in place from several threads, and copy it only when they write it.

use cube_lua::image::Image;
use cube_lua::{State, Value};

fn run(st: &mut State, src: &str) -> Vec<Value> {
    let f = st.load_chunk(src.as_bytes(), "=test").expect("compiles");
    match st.call_function(f, &[]) {
        Ok(v) => v,
        Err(e) => panic!("{src}: {}", describe(&e)),
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::Str(s) => s.to_str_lossy().into_owned(),
        other => format!("{other:?}"),
    }
}

#[test]
fn states_from_one_image_do_not_see_each_others_writes() {
    let image = Image::new(cube_lua::stdlib::open_libs);
    let mut a = State::from_image(&image);
    let mut b = State::from_image(&image);
    assert!(a.uses_shared_image() && b.uses_shared_image());
    run(
        &mut a,
        "string.shout = string.upper; x = 1; table.insert(package.searchers, print)",
    );
    assert!(!a.uses_shared_image());
    run(
        &mut a,
        "assert(('hi'):shout() == 'HI' and x == 1 and #package.searchers == 5)",
    );
    run(
        &mut b,
        "assert(string.shout == nil and x == nil and #package.searchers == 4)",
    );
    assert!(b.uses_shared_image(), "reading copies nothing");
}

#[test]
fn many_threads_read_one_image_at_once() {
    let image = Image::new(cube_lua::stdlib::open_libs);
    let threads: Vec<_> = (0..4)
        .map(|i| {
            let image = image.clone();
            std::thread::spawn(move || {
                for _ in 0..50 {
                    let mut st = State::from_image(&image);
                    // Reads (and collections) on shared objects, then a private write.
                    run(
                        &mut st,
                        "local t = {} for k, v in pairs(string) do t[#t+1] = k end
                         collectgarbage() assert(#t > 10)
                         assert(('%d'):format(5) == '5' and getmetatable('').__index == string)",
                    );
                    run(
                        &mut st,
                        &format!("math.me = {i} collectgarbage() assert(math.me == {i})"),
                    );
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("thread");
    }
    let mut st = State::from_image(&image);
    run(&mut st, "assert(math.me == nil)");
}
