//! A cube-dist node for trying the protocol by hand against erl:
//!
//! ```text
//! cargo run -p cube-dist --example echo_node -- cube@$(hostname -s) secret
//! erl -sname e -setcookie secret
//! (e@host)1> net_adm:ping('cube@host').
//! pong
//! (e@host)2> {echo, 'cube@host'} ! {self(), hello}, flush().
//! Shell got hello
//! ```
//!
//! Every event is printed; `{From, Msg}` sent to the name `echo` comes back to `From`.
//! Uses the EPMD on `$ERL_EPMD_PORT` (default 4369), or starts one.

use cube_dist::{DistConfig, DistEvent, DistNode, Eterm};

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(name), Some(cookie)) = (args.next(), args.next()) else {
        eprintln!("usage: echo_node NAME@HOST COOKIE");
        std::process::exit(2);
    };
    let (node, events) = match DistNode::start(DistConfig::new(&name, &cookie)) {
        Ok(started) => started,
        Err(e) => {
            eprintln!("echo_node: {e}");
            std::process::exit(1);
        }
    };
    println!("{} up, listening on {}", node.name(), node.listen_addr());
    for event in events.iter() {
        println!("{event:?}");
        let DistEvent::RegMessage { to, msg, .. } = &event else {
            continue;
        };
        if to.name() != "echo" {
            continue;
        }
        if let Some([Eterm::Pid(from), body]) =
            msg.as_tuple().and_then(|t| <&[Eterm; 2]>::try_from(t).ok())
        {
            let from = node.table().pid_from_wire(*from);
            if let Err(e) = node.send(None, from, body) {
                eprintln!("echo_node: reply failed: {e}");
            }
        }
    }
}
