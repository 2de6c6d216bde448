//! Socket option names (as lzmq spells them: libzmq's `ZMQ_*` names in lower case,
//! plus the older aliases `identity`, `delay_attach_on_connect`) and how their values
//! travel between Lua and libzmq.

use zmq_sys as z;

/// How an option's value is represented.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A C `int`.
    Int,
    /// A C `int` shown to Lua as a boolean (numbers accepted too).
    Bool,
    /// An `int64_t`.
    Int64,
    /// A `uint64_t`.
    Uint64,
    /// Bytes (identities, prefixes, names).
    Bytes,
    /// A CURVE key: 32 bytes, or 40 characters of Z85.
    Key,
}

/// Who may use an option.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Access {
    Get,
    Set,
    Both,
}

pub(crate) struct Opt {
    pub name: &'static str,
    pub id: i32,
    pub kind: Kind,
    pub access: Access,
}

const fn opt(name: &'static str, id: u32, kind: Kind, access: Access) -> Opt {
    Opt {
        name,
        id: id as i32,
        kind,
        access,
    }
}

use Access::{Both, Get, Set};
use Kind::{Bool, Bytes, Int, Int64, Key, Uint64};

pub(crate) const OPTIONS: &[Opt] = &[
    opt("affinity", z::ZMQ_AFFINITY, Uint64, Both),
    opt("routing_id", z::ZMQ_ROUTING_ID, Bytes, Both),
    opt("identity", z::ZMQ_ROUTING_ID, Bytes, Both),
    opt("subscribe", z::ZMQ_SUBSCRIBE, Bytes, Set),
    opt("unsubscribe", z::ZMQ_UNSUBSCRIBE, Bytes, Set),
    opt("rate", z::ZMQ_RATE, Int, Both),
    opt("recovery_ivl", z::ZMQ_RECOVERY_IVL, Int, Both),
    opt("sndbuf", z::ZMQ_SNDBUF, Int, Both),
    opt("rcvbuf", z::ZMQ_RCVBUF, Int, Both),
    opt("rcvmore", z::ZMQ_RCVMORE, Bool, Get),
    opt("events", z::ZMQ_EVENTS, Int, Get),
    opt("type", z::ZMQ_TYPE, Int, Get),
    opt("linger", z::ZMQ_LINGER, Int, Both),
    opt("reconnect_ivl", z::ZMQ_RECONNECT_IVL, Int, Both),
    opt("backlog", z::ZMQ_BACKLOG, Int, Both),
    opt("reconnect_ivl_max", z::ZMQ_RECONNECT_IVL_MAX, Int, Both),
    opt("maxmsgsize", z::ZMQ_MAXMSGSIZE, Int64, Both),
    opt("sndhwm", z::ZMQ_SNDHWM, Int, Both),
    opt("rcvhwm", z::ZMQ_RCVHWM, Int, Both),
    opt("multicast_hops", z::ZMQ_MULTICAST_HOPS, Int, Both),
    opt("rcvtimeo", z::ZMQ_RCVTIMEO, Int, Both),
    opt("sndtimeo", z::ZMQ_SNDTIMEO, Int, Both),
    opt("last_endpoint", z::ZMQ_LAST_ENDPOINT, Bytes, Get),
    opt("router_mandatory", z::ZMQ_ROUTER_MANDATORY, Bool, Set),
    opt("tcp_keepalive", z::ZMQ_TCP_KEEPALIVE, Int, Both),
    opt("tcp_keepalive_cnt", z::ZMQ_TCP_KEEPALIVE_CNT, Int, Both),
    opt("tcp_keepalive_idle", z::ZMQ_TCP_KEEPALIVE_IDLE, Int, Both),
    opt("tcp_keepalive_intvl", z::ZMQ_TCP_KEEPALIVE_INTVL, Int, Both),
    opt("immediate", z::ZMQ_IMMEDIATE, Bool, Both),
    opt("delay_attach_on_connect", z::ZMQ_IMMEDIATE, Bool, Both),
    opt("xpub_verbose", z::ZMQ_XPUB_VERBOSE, Bool, Set),
    opt("router_raw", z::ZMQ_ROUTER_RAW, Bool, Set),
    opt("ipv6", z::ZMQ_IPV6, Bool, Both),
    opt("mechanism", z::ZMQ_MECHANISM, Int, Get),
    opt("plain_server", z::ZMQ_PLAIN_SERVER, Bool, Both),
    opt("plain_username", z::ZMQ_PLAIN_USERNAME, Bytes, Both),
    opt("plain_password", z::ZMQ_PLAIN_PASSWORD, Bytes, Both),
    opt("curve_server", z::ZMQ_CURVE_SERVER, Bool, Both),
    opt("curve_publickey", z::ZMQ_CURVE_PUBLICKEY, Key, Both),
    opt("curve_secretkey", z::ZMQ_CURVE_SECRETKEY, Key, Both),
    opt("curve_serverkey", z::ZMQ_CURVE_SERVERKEY, Key, Both),
    opt("probe_router", z::ZMQ_PROBE_ROUTER, Bool, Set),
    opt("req_correlate", z::ZMQ_REQ_CORRELATE, Bool, Set),
    opt("req_relaxed", z::ZMQ_REQ_RELAXED, Bool, Set),
    opt("conflate", z::ZMQ_CONFLATE, Bool, Set),
    opt("zap_domain", z::ZMQ_ZAP_DOMAIN, Bytes, Both),
    opt("router_handover", z::ZMQ_ROUTER_HANDOVER, Bool, Set),
    opt("tos", z::ZMQ_TOS, Int, Both),
    opt("connect_routing_id", z::ZMQ_CONNECT_ROUTING_ID, Bytes, Set),
    opt("handshake_ivl", z::ZMQ_HANDSHAKE_IVL, Int, Both),
    opt("xpub_nodrop", z::ZMQ_XPUB_NODROP, Bool, Set),
    opt("xpub_manual", z::ZMQ_XPUB_MANUAL, Bool, Set),
    opt("xpub_welcome_msg", z::ZMQ_XPUB_WELCOME_MSG, Bytes, Set),
    opt("invert_matching", z::ZMQ_INVERT_MATCHING, Bool, Both),
    opt("heartbeat_ivl", z::ZMQ_HEARTBEAT_IVL, Int, Both),
    opt("heartbeat_ttl", z::ZMQ_HEARTBEAT_TTL, Int, Both),
    opt("heartbeat_timeout", z::ZMQ_HEARTBEAT_TIMEOUT, Int, Both),
    opt("xpub_verboser", z::ZMQ_XPUB_VERBOSER, Bool, Set),
    opt("connect_timeout", z::ZMQ_CONNECT_TIMEOUT, Int, Both),
    opt("tcp_maxrt", z::ZMQ_TCP_MAXRT, Int, Both),
    opt("multicast_maxtpdu", z::ZMQ_MULTICAST_MAXTPDU, Int, Both),
];

/// The option called `name`.
pub(crate) fn find(name: &[u8]) -> Option<&'static Opt> {
    OPTIONS.iter().find(|o| o.name.as_bytes() == name)
}

/// Socket type names and numbers.
pub(crate) const SOCKET_TYPES: &[(&str, i32)] = &[
    ("PAIR", z::ZMQ_PAIR as i32),
    ("PUB", z::ZMQ_PUB as i32),
    ("SUB", z::ZMQ_SUB as i32),
    ("REQ", z::ZMQ_REQ as i32),
    ("REP", z::ZMQ_REP as i32),
    ("DEALER", z::ZMQ_DEALER as i32),
    ("ROUTER", z::ZMQ_ROUTER as i32),
    ("PULL", z::ZMQ_PULL as i32),
    ("PUSH", z::ZMQ_PUSH as i32),
    ("XPUB", z::ZMQ_XPUB as i32),
    ("XSUB", z::ZMQ_XSUB as i32),
    ("STREAM", z::ZMQ_STREAM as i32),
];

pub(crate) fn type_name(t: i32) -> &'static str {
    SOCKET_TYPES
        .iter()
        .find(|(_, n)| *n == t)
        .map(|(s, _)| *s)
        .unwrap_or("?")
}

/// The socket type called `name` (any case).
pub(crate) fn type_by_name(name: &str) -> Option<i32> {
    SOCKET_TYPES
        .iter()
        .find(|(s, _)| s.eq_ignore_ascii_case(name))
        .map(|(_, n)| *n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_lower_case() {
        for (i, o) in OPTIONS.iter().enumerate() {
            assert_eq!(o.name, o.name.to_lowercase());
            assert!(OPTIONS[..i].iter().all(|p| p.name != o.name), "{}", o.name);
        }
    }

    #[test]
    fn types_by_name() {
        assert_eq!(type_by_name("pub"), Some(1));
        assert_eq!(type_by_name("XSUB"), Some(10));
        assert_eq!(type_by_name("FOO"), None);
        assert_eq!(type_name(6), "ROUTER");
    }
}
