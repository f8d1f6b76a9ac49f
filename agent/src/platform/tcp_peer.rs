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
//! Looked up once per connection, when it is accepted, never per request. The table is
//! read by one thread ([`PeerResolver`]) that answers every connection waiting at that
//! moment from a single read: a burst of a thousand connections costs a few reads of the
//! table, not a thousand.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::mpsc;

use passerelle_protocol::OsUser;
use tokio::sync::oneshot;

/// The OS account owning the socket at `peer` connected to our `local` address; `None`
/// when the OS does not say (another network namespace, the connection already gone, a
/// platform without an implementation). Blocking: reads the table once.
pub fn owner(local: SocketAddr, peer: SocketAddr) -> Option<OsUser> {
    imp::owners(&[(local, peer)])[0].map(OsUser::unix)
}

struct Ask {
    local: SocketAddr,
    peer: SocketAddr,
    reply: oneshot::Sender<Option<OsUser>>,
}

/// The thread that finds the owners of new connections, in batches.
#[derive(Debug, Clone)]
pub struct PeerResolver {
    asks: mpsc::Sender<Ask>,
}

impl PeerResolver {
    /// Starts the resolver thread (it ends when the last `PeerResolver` is dropped).
    pub fn start() -> std::io::Result<PeerResolver> {
        let (asks, queue) = mpsc::channel::<Ask>();
        std::thread::Builder::new()
            .name("tcp-peer".into())
            .spawn(move || {
                while let Ok(first) = queue.recv() {
                    let mut batch = vec![first];
                    batch.extend(queue.try_iter());
                    let keys: Vec<_> = batch.iter().map(|a| (a.local, a.peer)).collect();
                    for (ask, uid) in batch.into_iter().zip(imp::owners(&keys)) {
                        let _ = ask.reply.send(uid.map(OsUser::unix));
                    }
                }
            })?;
        Ok(PeerResolver { asks })
    }

    /// The owner of the socket at `peer` connected to our `local` address (see [`owner`]).
    pub async fn owner(&self, local: SocketAddr, peer: SocketAddr) -> Option<OsUser> {
        let (reply, answer) = oneshot::channel();
        self.asks.send(Ask { local, peer, reply }).ok()?;
        answer.await.ok().flatten()
    }
}

#[cfg(target_os = "linux")]
mod imp {
    use super::*;
    use std::io::{BufRead, BufReader};
    use std::net::IpAddr;

    /// For each `(local, peer)`, the uid of the socket whose local address is `peer` and
    /// remote address is `local`: one read of each table needed.
    pub fn owners(keys: &[(SocketAddr, SocketAddr)]) -> Vec<Option<u32>> {
        let mut found = vec![None; keys.len()];
        // The row's (local_address, rem_address) as the kernel prints them → our indices.
        let mut wanted: HashMap<(String, String), Vec<usize>> = HashMap::new();
        let (mut v4, mut v6) = (false, false);
        for (i, (local, peer)) in keys.iter().enumerate() {
            let (local, peer) = (canonical(*local), canonical(*peer));
            match peer {
                SocketAddr::V4(_) => v4 = true,
                SocketAddr::V6(_) => v6 = true,
            }
            wanted
                .entry((hex_addr(peer), hex_addr(local)))
                .or_default()
                .push(i);
        }
        for (table, needed) in [("/proc/net/tcp", v4), ("/proc/net/tcp6", v6)] {
            if !needed {
                continue;
            }
            let Ok(file) = std::fs::File::open(table) else {
                continue;
            };
            for line in BufReader::new(file).lines().map_while(Result::ok).skip(1) {
                let mut fields = line.split_whitespace();
                let (Some(_), Some(l), Some(r)) = (fields.next(), fields.next(), fields.next())
                else {
                    continue;
                };
                if let Some(indices) = wanted.get(&(l.to_owned(), r.to_owned())) {
                    // st, tx_queue:rx_queue, tr:tm->when, retrnsmt, then uid.
                    let uid = fields.nth(4).and_then(|u| u.parse().ok());
                    for &i in indices {
                        found[i] = uid;
                    }
                }
            }
        }
        found
    }

    /// IPv4-mapped IPv6 addresses as IPv4 (how the kernel lists a v4 socket).
    fn canonical(addr: SocketAddr) -> SocketAddr {
        SocketAddr::new(addr.ip().to_canonical(), addr.port())
    }

    /// `addr` as the kernel prints it: each 32-bit word in this machine's byte order, in
    /// hex, then the port (`0100007F:1F90`).
    pub fn hex_addr(addr: SocketAddr) -> String {
        let words: Vec<u32> = match addr.ip() {
            IpAddr::V4(ip) => vec![u32::from_ne_bytes(ip.octets())],
            IpAddr::V6(ip) => ip
                .octets()
                .chunks(4)
                .map(|c| u32::from_ne_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        };
        let ip: String = words.iter().map(|w| format!("{w:08X}")).collect();
        format!("{ip}:{:04X}", addr.port())
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    /// Not written for this OS yet (see the module documentation): nobody is known, so
    /// every TCP client is refused unless `security.allowed_os_users` is `["*"]`.
    pub fn owners(keys: &[(std::net::SocketAddr, std::net::SocketAddr)]) -> Vec<Option<u32>> {
        vec![None; keys.len()]
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn tcp_peer_addresses_print_as_the_kernel_does() {
        let v4: SocketAddr = "127.0.0.1:39435".parse().unwrap();
        let one = u32::from_ne_bytes([127, 0, 0, 1]);
        assert_eq!(imp::hex_addr(v4), format!("{one:08X}:9A0B"));
        let v6: SocketAddr = "[::1]:80".parse().unwrap();
        let last = u32::from_ne_bytes([0, 0, 0, 1]);
        assert_eq!(imp::hex_addr(v6), format!("{:032X}:0050", u128::from(last)));
    }

    #[tokio::test]
    async fn tcp_peer_finds_our_own_client_sockets_in_one_batch() {
        use std::os::unix::fs::MetadataExt;
        let me = Some(OsUser::unix(std::fs::metadata("/proc/self").unwrap().uid()));
        let resolver = PeerResolver::start().unwrap();
        for ip in ["127.0.0.1", "::1"] {
            let Ok(listener) = std::net::TcpListener::bind((ip, 0)) else {
                continue; // no IPv6 loopback here
            };
            let mut pairs = Vec::new();
            for _ in 0..3 {
                let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
                let (server, peer) = listener.accept().unwrap();
                pairs.push((client, server.local_addr().unwrap(), peer));
            }
            let asked = pairs
                .iter()
                .map(|(_, local, peer)| resolver.owner(*local, *peer));
            for found in futures_util::future::join_all(asked).await {
                assert_eq!(found, me, "{ip}");
            }
            assert_eq!(owner(pairs[0].1, pairs[0].2), me);
            let gone: SocketAddr = (pairs[0].2.ip(), 1).into();
            assert_eq!(owner(pairs[0].1, gone), None, "no such socket");
        }
    }
}
