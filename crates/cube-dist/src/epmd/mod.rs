//! EPMD, the Erlang Port Mapper Daemon protocol (erts docs, "Distribution Protocol",
//! section "EPMD Protocol"): a node registers its name and distribution port with the
//! EPMD of its host, and a node that wants to connect asks that EPMD for the port.
//!
//! | module | concern |
//! |---|---|
//! | [`client`] | `ALIVE2_X_REQ` (register, holding the connection), `PORT_PLEASE2_REQ`, `NAMES_REQ` |
//! | [`server`] | an EPMD-compatible name server, for machines without Erlang |
//!
//! Requests are framed by a two-byte length; replies are not. The registration lives as
//! long as the registering TCP connection: closing it unregisters the node.

pub mod client;
pub mod server;

pub use client::{names, port_please, register, Registration};
pub use server::EpmdServer;

use std::time::Duration;

/// EPMD's well-known port.
pub const DEFAULT_PORT: u16 = 4369;

pub(crate) const ALIVE2_REQ: u8 = 120;
pub(crate) const ALIVE2_RESP: u8 = 121;
pub(crate) const ALIVE2_X_RESP: u8 = 118;
pub(crate) const PORT_PLEASE2_REQ: u8 = 122;
pub(crate) const PORT2_RESP: u8 = 119;
pub(crate) const NAMES_REQ: u8 = 110;

/// `NodeType` of a visible node (`72` would be hidden).
pub const NODE_TYPE_NORMAL: u8 = 77;
/// `Protocol` 0: TCP/IPv4.
pub const PROTOCOL_TCP: u8 = 0;

/// How long one EPMD exchange may take before it is abandoned.
pub(crate) const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// The EPMD port to use: `$ERL_EPMD_PORT` if set and valid, else 4369, as erl does.
pub fn epmd_port() -> u16 {
    std::env::var("ERL_EPMD_PORT")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(DEFAULT_PORT)
}

/// What EPMD knows of a registered node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeEntry {
    /// The name before the `@`.
    pub name: String,
    pub port: u16,
    pub node_type: u8,
    pub protocol: u8,
    pub highest_version: u16,
    pub lowest_version: u16,
    pub extra: Vec<u8>,
}

/// Why an EPMD exchange failed.
#[derive(Debug, thiserror::Error)]
pub enum EpmdError {
    #[error("EPMD I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error("EPMD refused the registration (result {0}): is the name taken?")]
    Refused(u8),
    #[error("EPMD sent a malformed reply")]
    BadReply,
    #[error("node name too long for EPMD")]
    NameTooLong,
}

/// `NodeEntry` fields after `PortNo` in `ALIVE2_REQ` and `PORT2_RESP` (the same layout).
pub(crate) fn put_entry_tail(out: &mut Vec<u8>, e: &NodeEntry) -> Result<(), EpmdError> {
    let name_len = u16::try_from(e.name.len()).map_err(|_| EpmdError::NameTooLong)?;
    let extra_len = u16::try_from(e.extra.len()).map_err(|_| EpmdError::NameTooLong)?;
    out.push(e.node_type);
    out.push(e.protocol);
    out.extend_from_slice(&e.highest_version.to_be_bytes());
    out.extend_from_slice(&e.lowest_version.to_be_bytes());
    out.extend_from_slice(&name_len.to_be_bytes());
    out.extend_from_slice(e.name.as_bytes());
    out.extend_from_slice(&extra_len.to_be_bytes());
    out.extend_from_slice(&e.extra);
    Ok(())
}

/// Parses `PortNo` and the fields after it (see [`put_entry_tail`]); `None` if malformed.
pub(crate) fn parse_entry(b: &[u8]) -> Option<NodeEntry> {
    let u16_at =
        |i: usize| -> Option<u16> { Some(u16::from_be_bytes([*b.get(i)?, *b.get(i + 1)?])) };
    let port = u16_at(0)?;
    let node_type = *b.get(2)?;
    let protocol = *b.get(3)?;
    let highest_version = u16_at(4)?;
    let lowest_version = u16_at(6)?;
    let name_len = u16_at(8)? as usize;
    let name = b.get(10..10 + name_len)?;
    let extra_len = u16_at(10 + name_len)? as usize;
    let extra = b.get(12 + name_len..12 + name_len + extra_len)?;
    Some(NodeEntry {
        name: String::from_utf8(name.to_vec()).ok()?,
        port,
        node_type,
        protocol,
        highest_version,
        lowest_version,
        extra: extra.to_vec(),
    })
}
