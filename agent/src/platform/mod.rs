//! What only exists on one operating system, one module per concern, each with its Unix
//! implementation and the place where the Windows one goes. Nothing else in the daemon
//! names `std::os::unix`, signals or peer credentials.
//!
//! | concern | Unix (here) | Windows (to write, in the same module) |
//! |---|---|---|
//! | [`local_socket`]: the local API's endpoint, and who is on the other end | Unix socket `{data_dir}/passerelle.sock` (0600), `SO_PEERCRED` / `getpeereid` | named pipe `\\.\pipe\passerelle-{hash of data_dir}` with a DACL for the service's user, `GetNamedPipeClientProcessId` → the token's SID |
//! | [`signals`]: when to stop | SIGINT, SIGTERM | Ctrl-C, and the `windows-service` crate's stop control |
//! | [`tcp_peer`]: the OS account behind a loopback TCP connection | `sock_diag` netlink, `/proc/net/tcp{,6}` as fallback (Linux); macOS: libproc `proc_pidfdinfo` | `GetExtendedTcpTable` owning PID → the process token's SID |
//! | [`os_users`]: who may call (`security.allowed_os_users`) | `/etc/passwd`, `/etc/group` | `LookupAccountName`, `NetLocalGroupGetMembers` |
//! | [`limits`]: open files | soft `RLIMIT_NOFILE` raised to the hard limit | no per-process descriptor limit to raise |
//!
//! An OS account is carried everywhere as an [`OsUser`](passerelle_protocol::OsUser)
//! string (`uid=1000` on Unix, `sid=S-1-5-…` on Windows), never as a Unix uid.

pub mod limits;
pub mod local_socket;
pub mod os_users;
pub mod signals;
pub mod tcp_peer;
