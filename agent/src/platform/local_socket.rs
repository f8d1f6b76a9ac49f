//! The local API's endpoint: where the daemon serves its router to programs of the same
//! machine without TLS or token, and who is on the other end (from the OS, not from the
//! request).
//!
//! Unix: the socket `{data_dir}/passerelle.sock`, mode 0600, the caller's uid from the
//! socket's peer credentials. Windows (not written: it cannot be built here): a named pipe
//! `\\.\pipe\passerelle-{hash of the data directory}` created with a DACL granting the
//! service's account and the administrators, served with `tokio::net::windows::named_pipe`;
//! the caller is the SID of the client process's token
//! (`GetNamedPipeClientProcessId` → `OpenProcessToken` → `GetTokenInformation(TokenUser)`),
//! carried as `OsUser("sid=S-1-5-…")`.

use std::path::{Path, PathBuf};

use axum::extract::connect_info::Connected;
use axum::serve::IncomingStream;
use passerelle_protocol::OsUser;

#[cfg(unix)]
pub use unix::*;

/// The channel's name in the audit log.
#[cfg(unix)]
pub const CHANNEL: &str = "unix_socket";

/// File name of the socket inside the data directory.
pub const SOCKET_NAME: &str = "passerelle.sock";

/// Where the local socket of `data_dir` is.
pub fn socket_path(data_dir: &Path) -> PathBuf {
    data_dir.join(SOCKET_NAME)
}

/// Who is on the other end of a local connection (a request extension, through axum's
/// `ConnectInfo`): the OS account, when the OS told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalPeer {
    /// The caller's OS account; `None` if the OS could not say (refused by the checks).
    pub os_user: Option<OsUser>,
}

#[cfg(unix)]
mod unix {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    use std::path::Path;

    use tokio::net::{UnixListener, UnixStream};

    use super::*;

    /// The listener type of the local API.
    pub type LocalListener = UnixListener;
    /// A client's connection to the local API.
    pub type LocalStream = UnixStream;

    /// Binds the socket (removing a stale one; refusing if a live daemon answers on it) and
    /// restricts it to 0600. Returns the listener and its owner (the daemon's account).
    pub fn bind(data_dir: &Path) -> std::io::Result<(LocalListener, OsUser)> {
        let path = socket_path(data_dir);
        if path.exists() {
            if std::os::unix::net::UnixStream::connect(&path).is_ok() {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::AddrInUse,
                    format!(
                        "{} : un autre démon Passerelle utilise ce dossier",
                        path.display()
                    ),
                ));
            }
            std::fs::remove_file(&path)?;
        }
        let listener = UnixListener::bind(&path)?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        let owner = OsUser::unix(std::fs::metadata(&path)?.uid());
        Ok((listener, owner))
    }

    /// Connects to the local API of the daemon of `data_dir`.
    pub async fn connect(data_dir: &Path) -> std::io::Result<LocalStream> {
        UnixStream::connect(socket_path(data_dir)).await
    }

    /// The OS account of the process on the other end of `stream`.
    pub fn peer(stream: &UnixStream) -> Option<OsUser> {
        stream.peer_cred().ok().map(|c| OsUser::unix(c.uid()))
    }

    /// Whether `user` is the superuser (served like the daemon's own account).
    pub fn is_superuser(user: &OsUser) -> bool {
        user.uid() == Some(0)
    }

    /// Removes the socket file when the daemon stops.
    pub fn remove(data_dir: &Path) {
        let _ = std::fs::remove_file(socket_path(data_dir));
    }
}

#[cfg(not(unix))]
compile_error!(
    "platform::local_socket: the Windows named pipe is to be written here (see the module \
     documentation and the README's « Windows and macOS » section)"
);

#[cfg(unix)]
impl Connected<IncomingStream<'_, LocalListener>> for LocalPeer {
    fn connect_info(stream: IncomingStream<'_, LocalListener>) -> Self {
        LocalPeer {
            os_user: peer(stream.io()),
        }
    }
}
