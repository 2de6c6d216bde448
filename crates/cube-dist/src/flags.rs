//! Distribution capability flags (kernel's `dist.hrl`): what we offer in the handshake
//! and what we require of a peer.

pub const PUBLISHED: u64 = 0x01;
pub const ATOM_CACHE: u64 = 0x02;
pub const EXTENDED_REFERENCES: u64 = 0x04;
pub const DIST_MONITOR: u64 = 0x08;
pub const FUN_TAGS: u64 = 0x10;
pub const DIST_MONITOR_NAME: u64 = 0x20;
pub const NEW_FUN_TAGS: u64 = 0x80;
pub const EXTENDED_PIDS_PORTS: u64 = 0x100;
pub const EXPORT_PTR_TAG: u64 = 0x200;
pub const BIT_BINARIES: u64 = 0x400;
pub const NEW_FLOATS: u64 = 0x800;
pub const UNICODE_IO: u64 = 0x1000;
pub const DIST_HDR_ATOM_CACHE: u64 = 0x2000;
pub const SMALL_ATOM_TAGS: u64 = 0x4000;
pub const UTF8_ATOMS: u64 = 0x1_0000;
pub const MAP_TAG: u64 = 0x2_0000;
pub const BIG_CREATION: u64 = 0x4_0000;
pub const SEND_SENDER: u64 = 0x8_0000;
pub const BIG_SEQTRACE_LABELS: u64 = 0x10_0000;
pub const EXIT_PAYLOAD: u64 = 0x40_0000;
pub const FRAGMENTS: u64 = 0x80_0000;
pub const HANDSHAKE_23: u64 = 0x100_0000;
pub const UNLINK_ID: u64 = 0x200_0000;
/// Stands for all of [`MANDATORY_25`] (OTP 25+).
pub const MANDATORY_25_DIGEST: u64 = 0x400_0000;
pub const SPAWN: u64 = 1 << 32;
pub const NAME_ME: u64 = 1 << 33;
pub const V4_NC: u64 = 1 << 34;
pub const ALIAS: u64 = 1 << 35;

/// The flags OTP 25 requires of every peer.
pub const MANDATORY_25: u64 = EXTENDED_REFERENCES
    | FUN_TAGS
    | EXTENDED_PIDS_PORTS
    | NEW_FUN_TAGS
    | EXPORT_PTR_TAG
    | BIT_BINARIES
    | NEW_FLOATS
    | UTF8_ATOMS
    | MAP_TAG
    | BIG_CREATION
    | HANDSHAKE_23;

/// What we offer. `DIST_HDR_ATOM_CACHE` and `FRAGMENTS`: a peer may send its messages
/// with an atom cache header and cut large ones into fragments (`dist_header.rs` reads
/// both; erl takes fragments only together with the header); we send ours pass-through
/// and whole. Deliberately absent: `ALIAS` (not implemented yet, and a peer falls back
/// without it). `SPAWN`: spawn requests are handed to the layer above
/// (`DistEvent::SpawnRequest`), which must answer each (erpc and `rpc:call` of OTP 23+
/// need them). `FUN_TAGS`, `NEW_FUN_TAGS` and `EXPORT_PTR_TAG` are
/// mandatory for OTP 25: we claim them, and a message holding a fun fails to decode and
/// is dropped.
pub const OURS: u64 = PUBLISHED
    | MANDATORY_25
    | MANDATORY_25_DIGEST
    | DIST_MONITOR
    | DIST_MONITOR_NAME
    | UNICODE_IO
    | SMALL_ATOM_TAGS
    | SEND_SENDER
    | BIG_SEQTRACE_LABELS
    | EXIT_PAYLOAD
    | UNLINK_ID
    | SPAWN
    | DIST_HDR_ATOM_CACHE
    | FRAGMENTS
    | V4_NC;

/// What we cannot work without: the term shapes our codec writes (UTF-8 atoms, maps,
/// new floats, 32-bit creations, extended pids and references).
pub const REQUIRED: u64 =
    EXTENDED_REFERENCES | EXTENDED_PIDS_PORTS | NEW_FLOATS | UTF8_ATOMS | MAP_TAG | BIG_CREATION;

/// Whether a peer offering `flags` can talk to us.
pub fn acceptable(flags: u64) -> bool {
    flags & MANDATORY_25_DIGEST != 0 || flags & REQUIRED == REQUIRED
}
