//! TLS with rustls (ring as its crypto provider) for both sides.
//!
//! - [`Stream`]: a connection's byte stream, plain TCP or TLS over it, so the
//!   server's connection code, the WebSocket code and the client speak to one type.
//!   Over a non-blocking socket a TLS read or write may say `WouldBlock` while the
//!   handshake waits for the peer; the caller arms its descriptor as for plain TCP.
//!   (A handshake whose answer does not fit the socket's send buffer would wait for
//!   readability while it needs writability: the handshake's flights are a few KiB,
//!   far below any send buffer, so that case is left to the header timeout.)
//! - [`server_config`]: a certificate chain and key from PEM files
//!   (`tls = {cert=, key=}` of `http.server`).
//! - [`client_config`]: verification against Mozilla's roots (webpki-roots), or
//!   against the CA certificates of a PEM file (`ca=` of `http.request`).

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ClientConfig, ConnectionCommon, RootCertStore, ServerConfig, SideData};
use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex, OnceLock};

/// Plain TCP, or TLS over it (`C` is rustls's server or client connection).
pub(crate) enum Stream<C> {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<C, TcpStream>>),
}

pub(crate) type ServerStream = Stream<rustls::ServerConnection>;
pub(crate) type ClientStream = Stream<rustls::ClientConnection>;

impl<C> Stream<C> {
    /// The TCP socket under it.
    pub(crate) fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s,
            Stream::Tls(t) => &t.sock,
        }
    }
}

impl<C, S> Stream<C>
where
    C: DerefMut + Deref<Target = ConnectionCommon<S>>,
    S: SideData,
{
    /// Ends the connection: a TLS close_notify first (best effort), then both
    /// directions of the socket.
    pub(crate) fn shutdown(&mut self) {
        if let Stream::Tls(t) = self {
            t.conn.send_close_notify();
            let _ = t.conn.write_tls(&mut t.sock);
        }
        let _ = self.tcp().shutdown(Shutdown::Both);
    }
}

impl<C, S> Read for Stream<C>
where
    C: DerefMut + Deref<Target = ConnectionCommon<S>>,
    S: SideData,
{
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(t) => match t.read(buf) {
                // A peer that closes without close_notify: an end like any other (a
                // truncation is still caught by HTTP's own framing).
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(0),
                r => r,
            },
        }
    }
}

impl<C, S> Write for Stream<C>
where
    C: DerefMut + Deref<Target = ConnectionCommon<S>>,
    S: SideData,
{
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(t) => t.write(buf),
        }
    }

    /// For TLS, sends what rustls still holds: `WouldBlock` until the socket took it.
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(t) => t.flush(),
        }
    }
}

/// ring, not aws-lc-rs: it builds with a C compiler alone (no cmake) and quickly. The
/// price, and why rustls marks it deprecated: no post-quantum key exchange.
#[allow(deprecated)]
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn read_certs(path: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs: Vec<_> = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("cannot read certificates from {path}: {e}"))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("bad certificate in {path}: {e}"))?;
    if certs.is_empty() {
        return Err(format!("no certificate in {path}"));
    }
    Ok(certs)
}

/// A server's TLS settings from a PEM certificate chain and a PEM private key
/// (PKCS#8, PKCS#1 or SEC1). Errors name the file and what is wrong with it.
pub(crate) fn server_config(cert: &str, key: &str) -> Result<Arc<ServerConfig>, String> {
    let certs = read_certs(cert)?;
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| format!("cannot read a private key from {key}: {e}"))?;
    let mut cfg = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| format!("certificate and key do not go together: {e}"))?;
    // HTTP/1.x only (no HTTP/2 here); a client that offers neither gets no ALPN.
    cfg.alpn_protocols = vec![b"http/1.1".to_vec(), b"http/1.0".to_vec()];
    Ok(Arc::new(cfg))
}

/// A client's TLS settings: Mozilla's roots, or the CA certificates in `ca` (a PEM
/// file). Built once per CA file and kept.
pub(crate) fn client_config(ca: Option<&str>) -> Result<Arc<ClientConfig>, String> {
    static DEFAULT: OnceLock<Arc<ClientConfig>> = OnceLock::new();
    static BY_FILE: Mutex<Vec<(String, Arc<ClientConfig>)>> = Mutex::new(Vec::new());
    let build = |roots: RootCertStore| -> Result<Arc<ClientConfig>, String> {
        let mut cfg = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(roots)
            .with_no_client_auth();
        cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(cfg))
    };
    let Some(path) = ca else {
        if let Some(c) = DEFAULT.get() {
            return Ok(c.clone());
        }
        let roots = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        let c = build(roots)?;
        return Ok(DEFAULT.get_or_init(|| c).clone());
    };
    let mut by_file = BY_FILE.lock().expect("tls lock");
    if let Some((_, c)) = by_file.iter().find(|(p, _)| p == path) {
        return Ok(c.clone());
    }
    let mut roots = RootCertStore::empty();
    for c in read_certs(path)? {
        roots
            .add(c)
            .map_err(|e| format!("bad CA certificate in {path}: {e}"))?;
    }
    let c = build(roots)?;
    // A handful of CA files in a program's life; keep the last few.
    if by_file.len() >= 16 {
        by_file.remove(0);
    }
    by_file.push((path.to_string(), c.clone()));
    Ok(c)
}
