//! Who is on the other end of a loopback TCP connection, from the OS: the account that
//! owns the peer's socket. An `Origin` header is what a program *says*; this is what the
//! kernel knows (issue 12, finding 1).
//!
//! Both ends of a loopback connection are sockets of this machine, so the kernel's socket
//! table holds the client's socket too: its local address is our peer address, its remote
//! address is our local address, and it carries its owner.
//!
//! - **Linux** (here): the kernel's socket diagnostics, one `SOCK_DIAG_BY_FAMILY` netlink
//!   request for exactly the socket whose source is our peer and destination is us (the
//!   `netlink-packet-sock-diag` and `netlink-sys` crates; no `unsafe` here): the answer's
//!   `idiag_uid` is the owner (the kernel's `sock_i_uid`, the effective uid of the process
//!   that made the socket). A hash lookup in the kernel: a few microseconds. Where netlink
//!   is not allowed, the same data is read from `/proc/net/tcp{,6}` (the row whose
//!   `local_address` is our peer and `rem_address` is us, `uid` column) — but reading that
//!   table walks the kernel's whole connection hash, several milliseconds per read on a
//!   large machine, which is why it is only the fallback. Both belong to the daemon's network
//!   namespace: a client in another namespace is not found, and is refused as an unknown
//!   user.
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
//! Looked up once per connection, when it is accepted, never per request, by one thread
//! ([`PeerResolver`]) holding the netlink socket; in the fallback it answers every
//! connection waiting at that moment from a single read of the table.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::mpsc;

use passerelle_protocol::OsUser;
use tokio::sync::oneshot;

/// The OS account owning the socket at `peer` connected to our `local` address; `None`
/// when the OS does not say (another network namespace, the connection already gone, a
/// platform without an implementation). Blocking: reads the table once.
pub fn owner(local: SocketAddr, peer: SocketAddr) -> Option<OsUser> {
    imp::Lookup::new().owners(&[(local, peer)])[0].map(OsUser::unix)
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
                let mut lookup = imp::Lookup::new();
                while let Ok(first) = queue.recv() {
                    let mut batch = vec![first];
                    batch.extend(queue.try_iter());
                    let keys: Vec<_> = batch.iter().map(|a| (a.local, a.peer)).collect();
                    for (ask, uid) in batch.into_iter().zip(lookup.owners(&keys)) {
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

    use netlink_packet_core::{NetlinkHeader, NetlinkMessage, NetlinkPayload, NLM_F_REQUEST};
    use netlink_packet_sock_diag::constants::{AF_INET, AF_INET6, IPPROTO_TCP};
    use netlink_packet_sock_diag::inet::{ExtensionFlags, InetRequest, SocketId, StateFlags};
    use netlink_packet_sock_diag::SockDiagMessage;
    use netlink_sys::{protocols::NETLINK_SOCK_DIAG, Socket};

    /// What a netlink lookup found.
    enum Diag {
        /// The socket and its owner.
        Owner(u32),
        /// No such socket (gone, or in another network namespace).
        Absent,
        /// Netlink could not answer: ask the table.
        Unavailable,
    }

    /// The lookups of one thread: its netlink socket, when it could be opened.
    pub struct Lookup {
        socket: Option<Socket>,
    }

    impl Lookup {
        /// Opens the netlink socket (or goes without: the table is read instead).
        pub fn new() -> Lookup {
            let socket = Socket::new(NETLINK_SOCK_DIAG).and_then(|mut s| {
                s.bind_auto()?;
                s.connect(&netlink_sys::SocketAddr::new(0, 0))?;
                Ok(s)
            });
            if let Err(e) = &socket {
                tracing::warn!(error = %e, "sock_diag netlink unavailable: reading /proc/net/tcp instead");
            }
            Lookup {
                socket: socket.ok(),
            }
        }

        /// For each `(local, peer)`, the uid of the socket whose source is `peer` and
        /// destination is `local`: netlink for each, the table (one read) for the rest.
        pub fn owners(&mut self, keys: &[(SocketAddr, SocketAddr)]) -> Vec<Option<u32>> {
            let mut found = vec![None; keys.len()];
            let mut rest = Vec::new();
            for (i, (local, peer)) in keys.iter().enumerate() {
                match self.diag(canonical(*local), canonical(*peer)) {
                    Diag::Owner(uid) => found[i] = Some(uid),
                    Diag::Absent => {}
                    Diag::Unavailable => rest.push(i),
                }
            }
            if !rest.is_empty() {
                let asked: Vec<_> = rest.iter().map(|&i| keys[i]).collect();
                for (i, uid) in rest.into_iter().zip(table_owners(&asked)) {
                    found[i] = uid;
                }
            }
            found
        }

        /// One `SOCK_DIAG_BY_FAMILY` request for exactly that socket.
        fn diag(&mut self, local: SocketAddr, peer: SocketAddr) -> Diag {
            let Some(socket) = &mut self.socket else {
                return Diag::Unavailable;
            };
            let mut header = NetlinkHeader::default();
            header.flags = NLM_F_REQUEST;
            let request = InetRequest {
                family: if peer.is_ipv4() { AF_INET } else { AF_INET6 },
                protocol: IPPROTO_TCP,
                extensions: ExtensionFlags::empty(),
                states: StateFlags::all(),
                socket_id: SocketId {
                    source_port: peer.port(),
                    destination_port: local.port(),
                    source_address: peer.ip(),
                    destination_address: local.ip(),
                    interface_id: 0,
                    // No cookie: the addresses and ports name the socket.
                    cookie: [0xff; 8],
                },
            };
            let mut packet =
                NetlinkMessage::new(header, SockDiagMessage::InetRequest(request).into());
            packet.finalize();
            let mut out = vec![0; packet.buffer_len()];
            packet.serialize(&mut out);
            if socket.send(&out, 0).is_err() {
                return Diag::Unavailable;
            }
            let mut answer = vec![0; 8192];
            let Ok(size) = socket.recv(&mut &mut answer[..], 0) else {
                return Diag::Unavailable;
            };
            match NetlinkMessage::<SockDiagMessage>::deserialize(&answer[..size]) {
                Ok(m) => match m.payload {
                    NetlinkPayload::InnerMessage(SockDiagMessage::InetResponse(r)) => {
                        Diag::Owner(r.header.uid)
                    }
                    // ENOENT: no such socket.
                    NetlinkPayload::Error(e) if e.code.map(|c| c.get()) == Some(-2) => Diag::Absent,
                    _ => Diag::Unavailable,
                },
                Err(_) => Diag::Unavailable,
            }
        }
    }

    /// The fallback: for each `(local, peer)`, the uid of the row whose local address is
    /// `peer` and remote address is `local`, one read of each table needed.
    pub fn table_owners(keys: &[(SocketAddr, SocketAddr)]) -> Vec<Option<u32>> {
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
    pub struct Lookup;

    impl Lookup {
        /// Nothing to open.
        pub fn new() -> Lookup {
            Lookup
        }

        /// Nobody, for every key.
        pub fn owners(
            &mut self,
            keys: &[(std::net::SocketAddr, std::net::SocketAddr)],
        ) -> Vec<Option<u32>> {
            vec![None; keys.len()]
        }
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
            // The fallback reads the same from the table.
            let keys: Vec<_> = pairs.iter().map(|(_, l, p)| (*l, *p)).collect();
            let table = imp::table_owners(&keys);
            assert!(table.iter().all(|u| u.map(OsUser::unix) == me), "{table:?}");
        }
    }
}
