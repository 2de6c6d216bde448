//! Length-prefixed packets: two-byte lengths during the handshake, four-byte lengths once
//! connected (where an empty packet is a tick).

use std::io::{self, Read, Write};

/// Reads one handshake packet (two-byte big-endian length).
pub fn read_handshake_packet(r: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut len = [0u8; 2];
    r.read_exact(&mut len)?;
    let mut buf = vec![0u8; u16::from_be_bytes(len) as usize];
    r.read_exact(&mut buf)?;
    Ok(buf)
}

/// Writes one handshake packet.
pub fn write_handshake_packet(w: &mut impl Write, body: &[u8]) -> io::Result<()> {
    let len = u16::try_from(body.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "handshake packet too long"))?;
    let mut out = Vec::with_capacity(2 + body.len());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(body);
    w.write_all(&out)
}

/// Reassembles four-byte-length packets from a stream read in arbitrary pieces, so that
/// a read timeout (used to drive ticks) never loses a partly read packet.
pub struct PacketReader {
    buf: Vec<u8>,
    /// Where the next packet starts in `buf`: what is before it was handed out. (Not
    /// drained packet by packet: moving the rest of a 64 KB read after each of its
    /// thousands of small packets made reading quadratic.)
    start: usize,
    max: usize,
    /// Where one `read` lands before it joins `buf`: made (and zeroed) once, not per
    /// read (zeroing 64 KB for every read of a few small packets was 5% of a busy
    /// receiving node).
    chunk: Box<[u8]>,
}

/// One thing read from a connected stream.
#[derive(Debug, PartialEq, Eq)]
pub enum Packet {
    Tick,
    Data(Vec<u8>),
}

impl PacketReader {
    /// A reader refusing packets longer than `max` bytes.
    pub fn new(max: usize) -> Self {
        PacketReader {
            buf: Vec::new(),
            start: 0,
            max,
            chunk: vec![0u8; 64 * 1024].into_boxed_slice(),
        }
    }

    /// The next complete packet already buffered, if any.
    pub fn next_packet(&mut self) -> io::Result<Option<Packet>> {
        let rest = &self.buf[self.start..];
        let Some(len) = rest.get(..4) else {
            return Ok(None);
        };
        let len = u32::from_be_bytes([len[0], len[1], len[2], len[3]]) as usize;
        if len > self.max {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("packet of {len} bytes exceeds the limit of {}", self.max),
            ));
        }
        if rest.len() < 4 + len {
            return Ok(None);
        }
        let packet = if len == 0 {
            Packet::Tick
        } else {
            Packet::Data(rest[4..4 + len].to_vec())
        };
        self.start += 4 + len;
        Ok(Some(packet))
    }

    /// Reads what the stream has (one `read` call) into the buffer; `Ok(false)` at end
    /// of stream. Timeouts come back as errors of kind `WouldBlock`/`TimedOut`.
    pub fn fill(&mut self, r: &mut impl Read) -> io::Result<bool> {
        // Drop what was handed out (the unread rest is at most one partial packet).
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        let n = r.read(&mut self.chunk)?;
        self.buf.extend_from_slice(&self.chunk[..n]);
        Ok(n > 0)
    }
}

/// Writes one connected-mode packet (four-byte length); an empty `body` is a tick.
pub fn write_packet(w: &mut impl Write, parts: &[&[u8]]) -> io::Result<()> {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    let len = u32::try_from(len)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "packet too long"))?;
    let mut out = Vec::with_capacity(4 + len as usize);
    out.extend_from_slice(&len.to_be_bytes());
    for p in parts {
        out.extend_from_slice(p);
    }
    w.write_all(&out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packets_survive_any_split() {
        let mut wire = Vec::new();
        write_packet(&mut wire, &[b"ab", b"c"]).unwrap();
        write_packet(&mut wire, &[]).unwrap();
        for split in 0..wire.len() {
            let mut r = PacketReader::new(100);
            r.fill(&mut &wire[..split]).unwrap();
            let mut got = Vec::new();
            while let Some(p) = r.next_packet().unwrap() {
                got.push(p);
            }
            r.fill(&mut &wire[split..]).unwrap();
            while let Some(p) = r.next_packet().unwrap() {
                got.push(p);
            }
            assert_eq!(got, vec![Packet::Data(b"abc".to_vec()), Packet::Tick]);
        }
    }

    #[test]
    fn oversized_packets_are_refused() {
        let mut r = PacketReader::new(10);
        r.fill(&mut &[0u8, 0, 0, 11][..]).unwrap();
        assert!(r.next_packet().is_err());
    }
}
