//! Who is on the other end of a loopback TCP connection, from the OS: the account that
//! owns the peer's socket. An `Origin` header is what a program *says*; this is what the
//! kernel knows (issue 12, finding 1).
//!
//! Both ends of a loopback connection are sockets of this machine, so the kernel's socket
//! table holds the client's socket too: its local address is our peer address, its remote
//! address is our local address, and it carries its owner.
//!
//! - **Linux** (here): `/proc/net/tcp` and `/proc/net/tcp6`, the row whose `local_address`
//!   is our peer and whose `rem_address` is us; its `uid` column is the owner (the kernel's
//!   `sock_i_uid`, the effective uid of the process that made the socket). The same data
//!   as the `sock_diag` netlink query (`ss -tnpe`), read without `unsafe` or a netlink
//!   crate. The tables belong to the daemon's network namespace: a client in another
//!   namespace is not found, and is refused as an unknown user.
//! - **macOS** (to write): `proc_listallpids` + `proc_pidinfo(pid, PROC_PIDLISTFDS)` and
//!   `proc_pidfdinfo(pid, fd, PROC_PIDFDSOCKETINFO)` (libproc) to find the process whose
//!   TCP socket has our peer as local address and us as remote, then
//!   `proc_pidinfo(PROC_PIDTBSDINFO).pbi_uid`; what `lsof -i` does. (`LOCAL_PEERPID`
//!   answers for Unix sockets only.)
//! - **Windows** (to write): `GetExtendedTcpTable(TCP_TABLE_OWNER_PID_CONNECTIONS)` (and
//!   `GetExtendedTcpTable` with `AF_INET6`) gives the owning PID of the row whose local end
//!   is our peer; `OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION)` → `OpenProcessToken` →
//!   `GetTokenInformation(TokenUser)` → the SID, carried as `OsUser("sid=S-1-5-…")`.
//!
//! Looked up once per connection, when it is accepted ([`owner`] reads a file: call it on
//! a blocking thread), never per request.

use std::net::SocketAddr;

use passerelle_protocol::OsUser;

/// The OS account owning the socket at `peer` connected to our `local` address; `None`
/// when the OS does not say (another network namespace, the connection already gone, a
/// platform without an implementation).
pub fn owner(local: SocketAddr, peer: SocketAddr) -> Option<OsUser> {
    imp::owner_uid(local, peer).map(OsUser::unix)
}

#[cfg(target_os = "linux")]
mod imp {
    use std::io::{BufRead, BufReader};
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

    /// The uid of the socket whose local address is `peer` and remote address is `local`.
    pub fn owner_uid(local: SocketAddr, peer: SocketAddr) -> Option<u32> {
        let (local, peer) = (canonical(local), canonical(peer));
        let table = match peer {
            SocketAddr::V4(_) => "/proc/net/tcp",
            SocketAddr::V6(_) => "/proc/net/tcp6",
        };
        let file = std::fs::File::open(table).ok()?;
        BufReader::new(file)
            .lines()
            .map_while(Result::ok)
            .skip(1)
            .find_map(|line| owner_in_row(&line, local, peer))
    }

    /// IPv4-mapped IPv6 addresses as IPv4 (how the kernel lists a v4 socket).
    fn canonical(addr: SocketAddr) -> SocketAddr {
        SocketAddr::new(addr.ip().to_canonical(), addr.port())
    }

    /// The row's uid if it is the socket at `peer` connected to `local`.
    pub fn owner_in_row(line: &str, local: SocketAddr, peer: SocketAddr) -> Option<u32> {
        let mut fields = line.split_whitespace();
        let _slot = fields.next()?;
        let row_local = parse_addr(fields.next()?)?;
        let row_remote = parse_addr(fields.next()?)?;
        if row_local != peer || row_remote != local {
            return None;
        }
        // st, tx_queue:rx_queue, tr:tm->when, retrnsmt, then uid.
        fields.nth(4)?.parse().ok()
    }

    /// `0100007F:1F90` (IPv4) or 32 hex digits + port (IPv6): each 32-bit word as the
    /// kernel printed it, in this machine's byte order.
    pub fn parse_addr(text: &str) -> Option<SocketAddr> {
        let (ip, port) = text.split_once(':')?;
        let port = u16::from_str_radix(port, 16).ok()?;
        let word = |i: usize| {
            let hex = ip.get(i * 8..i * 8 + 8)?;
            u32::from_str_radix(hex, 16).ok().map(u32::to_ne_bytes)
        };
        let ip = match ip.len() {
            8 => IpAddr::V4(Ipv4Addr::from(word(0)?)),
            32 => {
                let mut bytes = [0u8; 16];
                for i in 0..4 {
                    bytes[i * 4..i * 4 + 4].copy_from_slice(&word(i)?);
                }
                IpAddr::V6(Ipv6Addr::from(bytes)).to_canonical()
            }
            _ => return None,
        };
        Some(SocketAddr::new(ip, port))
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    /// Not written for this OS yet (see the module documentation): nobody is known, so
    /// every TCP client is refused unless `security.allowed_os_users` is `["*"]`.
    pub fn owner_uid(_: std::net::SocketAddr, _: std::net::SocketAddr) -> Option<u32> {
        None
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn tcp_peer_rows_parse_in_native_order() {
        let v4 = imp::parse_addr(&format!("{:08X}:9A0B", u32::from_ne_bytes([127, 0, 0, 1])));
        assert_eq!(v4, Some("127.0.0.1:39435".parse().unwrap()));
        let one = u32::from_ne_bytes([0, 0, 0, 1]);
        let v6 = imp::parse_addr(&format!("{:08X}{:08X}{:08X}{one:08X}:0050", 0, 0, 0));
        assert_eq!(v6, Some("[::1]:80".parse().unwrap()));
        assert_eq!(imp::parse_addr("zz:0050"), None);
        let row = format!(
            "  3: {:08X}:D431 {:08X}:9A0B 01 00000000:00000000 00:00000000 00000000  1000        0 4242 1",
            u32::from_ne_bytes([127, 0, 0, 1]),
            u32::from_ne_bytes([127, 0, 0, 1])
        );
        let (us, them) = (
            "127.0.0.1:39435".parse().unwrap(),
            "127.0.0.1:54321".parse().unwrap(),
        );
        assert_eq!(imp::owner_in_row(&row, us, them), Some(1000));
        assert_eq!(imp::owner_in_row(&row, them, us), None, "the other end");
    }

    #[test]
    fn tcp_peer_finds_our_own_client_socket() {
        use std::os::unix::fs::MetadataExt;
        let me = std::fs::metadata("/proc/self").unwrap().uid();
        for ip in ["127.0.0.1", "::1"] {
            let Ok(listener) = std::net::TcpListener::bind((ip, 0)) else {
                continue; // no IPv6 loopback here
            };
            let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
            let (server, peer) = listener.accept().unwrap();
            let found = owner(server.local_addr().unwrap(), peer);
            assert_eq!(found, Some(OsUser::unix(me)), "{ip}");
            drop(client);
        }
    }
}
