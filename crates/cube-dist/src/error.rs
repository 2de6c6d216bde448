//! [`DistError`]: why a distribution operation failed.

use crate::control::ControlError;
use crate::convert::ConvertError;
use crate::epmd::EpmdError;
use crate::handshake::HandshakeError;

#[derive(Debug, thiserror::Error)]
pub enum DistError {
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Epmd(#[from] EpmdError),
    #[error(transparent)]
    Handshake(#[from] HandshakeError),
    #[error(transparent)]
    Control(#[from] ControlError),
    #[error(transparent)]
    Convert(#[from] ConvertError),
    #[error("node name {0:?} is not name@host")]
    BadNodeName(String),
    #[error("no node {0:?} registered with EPMD on its host")]
    NoSuchNode(String),
    #[error("cannot resolve host {0:?}")]
    UnknownHost(String),
    #[error("pid of this node: deliver it locally")]
    LocalPid,
    #[error("connection to {0} is closed")]
    Closed(String),
    #[error("the distribution node is stopped")]
    Stopped,
}
