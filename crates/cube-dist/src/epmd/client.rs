//! The EPMD client: register this node, look up another, list names.

use super::{
    parse_entry, put_entry_tail, EpmdError, NodeEntry, ALIVE2_REQ, ALIVE2_RESP, ALIVE2_X_RESP,
    IO_TIMEOUT, NAMES_REQ, PORT2_RESP, PORT_PLEASE2_REQ,
};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

/// A live registration: the node stays registered while this value (its connection to
/// EPMD) lives.
#[derive(Debug)]
pub struct Registration {
    /// The creation EPMD gave this incarnation of the node.
    pub creation: u32,
    /// Held open: EPMD unregisters the node when it closes.
    _stream: TcpStream,
}

fn connect(epmd: SocketAddr) -> Result<TcpStream, EpmdError> {
    let s = TcpStream::connect_timeout(&epmd, IO_TIMEOUT)?;
    s.set_read_timeout(Some(IO_TIMEOUT))?;
    s.set_write_timeout(Some(IO_TIMEOUT))?;
    s.set_nodelay(true)?;
    Ok(s)
}

fn request(s: &mut TcpStream, body: &[u8]) -> Result<(), EpmdError> {
    let len = u16::try_from(body.len()).map_err(|_| EpmdError::NameTooLong)?;
    let mut out = len.to_be_bytes().to_vec();
    out.extend_from_slice(body);
    s.write_all(&out)?;
    Ok(())
}

/// Registers `entry` with the EPMD at `epmd` (`ALIVE2_REQ`), keeping the connection.
pub fn register(epmd: SocketAddr, entry: &NodeEntry) -> Result<Registration, EpmdError> {
    let mut s = connect(epmd)?;
    let mut body = vec![ALIVE2_REQ];
    body.extend_from_slice(&entry.port.to_be_bytes());
    put_entry_tail(&mut body, entry)?;
    request(&mut s, &body)?;
    let mut head = [0u8; 2];
    s.read_exact(&mut head)?;
    let creation = match head {
        [ALIVE2_X_RESP, 0] => {
            let mut c = [0u8; 4];
            s.read_exact(&mut c)?;
            u32::from_be_bytes(c)
        }
        [ALIVE2_RESP, 0] => {
            let mut c = [0u8; 2];
            s.read_exact(&mut c)?;
            u16::from_be_bytes(c).into()
        }
        [ALIVE2_X_RESP | ALIVE2_RESP, result] => return Err(EpmdError::Refused(result)),
        _ => return Err(EpmdError::BadReply),
    };
    // From now on the connection only waits; no timeout may close it.
    s.set_read_timeout(None)?;
    Ok(Registration {
        creation,
        _stream: s,
    })
}

/// Where node `name` (the part before `@`) listens, per the EPMD at `epmd`
/// (`PORT_PLEASE2_REQ`); `None` if it is not registered.
pub fn port_please(epmd: SocketAddr, name: &str) -> Result<Option<NodeEntry>, EpmdError> {
    let mut s = connect(epmd)?;
    let mut body = vec![PORT_PLEASE2_REQ];
    body.extend_from_slice(name.as_bytes());
    request(&mut s, &body)?;
    let mut reply = Vec::new();
    // EPMD closes the connection after the reply; bound what we accept.
    s.take(70_000).read_to_end(&mut reply)?;
    match reply.as_slice() {
        [PORT2_RESP, 0, rest @ ..] => parse_entry(rest).map(Some).ok_or(EpmdError::BadReply),
        [PORT2_RESP, _, ..] => Ok(None),
        _ => Err(EpmdError::BadReply),
    }
}

/// The names registered with the EPMD at `epmd` and their ports (`NAMES_REQ`).
pub fn names(epmd: SocketAddr) -> Result<Vec<(String, u16)>, EpmdError> {
    let mut s = connect(epmd)?;
    request(&mut s, &[NAMES_REQ])?;
    let mut reply = Vec::new();
    s.take(1 << 20).read_to_end(&mut reply)?;
    let text = reply.get(4..).ok_or(EpmdError::BadReply)?;
    let text = String::from_utf8_lossy(text);
    // Lines read "name NAME at port PORT".
    Ok(text
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("name ")?;
            let (name, port) = rest.rsplit_once(" at port ")?;
            Some((name.to_owned(), port.trim().parse().ok()?))
        })
        .collect())
}
