//! Reading what `strace -f -s 4096 -o FILE` wrote of the daemon: the system calls it made,
//! the memory it asked for, the files it changed.

use std::collections::BTreeSet;

/// One traced call: the process id, the call's name and the rest of its line.
pub struct Call<'a> {
    pub pid: u32,
    pub name: &'a str,
    pub rest: &'a str,
}

/// The calls of the trace from the `execve` of `program` on (what came before is
/// `setpriv`'s own set-up), resumed halves of interrupted calls left out.
pub fn calls_after_exec<'a>(trace: &'a str, program: &str) -> Vec<Call<'a>> {
    let exec = format!("execve(\"{program}\"");
    let start = trace
        .lines()
        .position(|l| l.contains(&exec))
        .unwrap_or_else(|| panic!("no {exec} in the trace"));
    trace
        .lines()
        .skip(start)
        .filter_map(|line| {
            let (pid, call) = line.split_once(char::is_whitespace)?;
            let call = call.trim_start();
            let (name, rest) = call.split_once('(')?;
            let syscall_name = !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            syscall_name.then_some(Call {
                pid: pid.parse().ok()?,
                name,
                rest,
            })
        })
        .collect()
}

/// `systemd-analyze syscall-filter`'s listing of every group, each `@group` expanded, for
/// the allow list `tokens` (`@system-service`, or names).
pub fn expand_filter(listing: &str, tokens: &[&str]) -> BTreeSet<String> {
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for line in listing.lines() {
        let item = line.trim();
        if item.is_empty() || item.starts_with('#') {
            continue;
        }
        if line.starts_with('@') {
            groups.push((item.to_string(), Vec::new()));
        } else if let Some((_, members)) = groups.last_mut() {
            members.push(item.to_string());
        }
    }
    let mut out = BTreeSet::new();
    let mut todo: Vec<String> = tokens.iter().map(|t| t.to_string()).collect();
    let mut seen = BTreeSet::new();
    while let Some(token) = todo.pop() {
        if !seen.insert(token.clone()) {
            continue;
        }
        if token.starts_with('@') {
            let (_, members) = groups
                .iter()
                .find(|(g, _)| *g == token)
                .unwrap_or_else(|| panic!("systemd-analyze does not know {token}"));
            todo.extend(members.iter().cloned());
        } else {
            out.insert(token);
        }
    }
    out
}

/// Calls that `MemoryDenyWriteExecute=yes` refuses: a mapping both writable and executable,
/// or making memory executable afterwards.
pub fn write_execute<'a>(calls: &'a [Call<'a>]) -> Vec<&'a Call<'a>> {
    calls
        .iter()
        .filter(|c| match c.name {
            "mmap" | "mmap2" => c.rest.contains("PROT_WRITE") && c.rest.contains("PROT_EXEC"),
            "mprotect" | "pkey_mprotect" => c.rest.contains("PROT_EXEC"),
            _ => false,
        })
        .collect()
}

/// The paths the calls created, wrote, renamed, removed, re-moded or bound a socket to
/// (successful calls only; the daemon's working directory is `/`).
pub fn written_paths(calls: &[Call<'_>]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for c in calls {
        if c.rest.contains("= -1 ") {
            continue;
        }
        let strings = quoted(c.rest);
        let writes = match c.name {
            "open" | "openat" | "creat" => {
                c.name == "creat"
                    || ["O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC"]
                        .iter()
                        .any(|f| c.rest.contains(f))
            }
            "mkdir" | "mkdirat" | "rename" | "renameat" | "renameat2" | "unlink" | "unlinkat"
            | "rmdir" | "chmod" | "fchmodat" | "link" | "linkat" | "symlink" | "symlinkat"
            | "truncate" | "chown" | "fchownat" | "mknod" | "mknodat" | "utimensat" => true,
            "bind" => c.rest.contains("AF_UNIX"),
            _ => false,
        };
        if writes {
            out.extend(strings.into_iter().filter(|s| s.starts_with('/')));
        }
    }
    out
}

/// Every absolute path the calls named (opened, looked at, changed), failed calls included:
/// what the daemon would meet in its sandbox.
pub fn named_paths(calls: &[Call<'_>]) -> BTreeSet<String> {
    calls
        .iter()
        .filter(|c| c.name != "execve" && !IO.contains(&c.name))
        .flat_map(|c| quoted(c.rest))
        .filter(|s| s.starts_with('/'))
        .collect()
}

/// The calls that move data (their strings are bytes, not paths).
const IO: [&str; 12] = [
    "read", "write", "pread64", "pwrite64", "readv", "writev", "preadv", "pwritev", "sendto",
    "recvfrom", "sendmsg", "recvmsg",
];

/// The trace with the data of every read and write (the card's APDUs, a VERIFY's PIN among
/// them) replaced by `"…"`: what may be kept as a test artefact.
pub fn redact_io(trace: &str) -> String {
    let mut out = String::with_capacity(trace.len());
    for line in trace.lines() {
        let name = line
            .split_once(char::is_whitespace)
            .and_then(|(_, call)| call.trim_start().split_once('('))
            .map(|(name, _)| {
                name.trim_start_matches("<... ")
                    .trim_end_matches(" resumed>")
            });
        let io = name.is_some_and(|n| IO.contains(&n)) || line.contains(" resumed>");
        if io {
            out.push_str(&mask_strings(line));
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

/// `line` with each double-quoted string (or the tail of one cut by strace) masked.
fn mask_strings(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        out.push(c);
        if c != '"' {
            continue;
        }
        out.push('…');
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    chars.next();
                }
                '"' => {
                    out.push('"');
                    break;
                }
                _ => {}
            }
        }
    }
    out
}

/// The double-quoted strings of a traced call's arguments (escapes kept as written).
fn quoted(args: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = args.chars();
    while let Some(c) = chars.next() {
        if c != '"' {
            continue;
        }
        let mut s = String::new();
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    s.push(c);
                    if let Some(n) = chars.next() {
                        s.push(n);
                    }
                }
                '"' => break,
                _ => s.push(c),
            }
        }
        out.push(s);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRACE: &str = r#"9 execve("/usr/bin/setpriv", ["setpriv"], 0x0 /* 3 vars */) = 0
9 setresuid(61873, 61873, 61873)   = 0
9 execve("/tmp/u/passerelle", ["passerelle", "run"], 0x0 /* 3 vars */) = 0
9 mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f
10 openat(AT_FDCWD, "/var/lib/p/store.sqlite3", O_RDWR|O_CREAT|O_CLOEXEC, 0644) = 5
10 openat(AT_FDCWD, "/etc/passerelle/config.toml", O_RDONLY|O_CLOEXEC) = 6
10 openat(AT_FDCWD, "/etc/shadow", O_WRONLY) = -1 EACCES (Permission denied)
10 futex(0x7f, FUTEX_WAIT, 0, NULL <unfinished ...>
10 <... futex resumed>)                = 0
11 rename("/var/lib/p/a.tmp", "/var/lib/p/a") = 0
11 mprotect(0x7f, 4096, PROT_READ|PROT_EXEC) = 0
9 +++ exited with 0 +++
"#;

    #[test]
    fn calls_start_at_the_exec_of_the_program() {
        let calls = calls_after_exec(TRACE, "/tmp/u/passerelle");
        let names: Vec<&str> = calls.iter().map(|c| c.name).collect();
        assert_eq!(
            names,
            ["execve", "mmap", "openat", "openat", "openat", "futex", "rename", "mprotect"]
        );
        assert_eq!(calls[6].pid, 11);
    }

    #[test]
    fn writes_and_executable_memory_are_found() {
        let calls = calls_after_exec(TRACE, "/tmp/u/passerelle");
        let written: Vec<String> = written_paths(&calls).into_iter().collect();
        assert_eq!(
            written,
            [
                "/var/lib/p/a",
                "/var/lib/p/a.tmp",
                "/var/lib/p/store.sqlite3"
            ]
        );
        let wx: Vec<&str> = write_execute(&calls).iter().map(|c| c.name).collect();
        assert_eq!(wx, ["mprotect"]);
        let named: Vec<String> = named_paths(&calls).into_iter().collect();
        assert_eq!(
            named,
            [
                "/etc/passerelle/config.toml",
                "/etc/shadow",
                "/var/lib/p/a",
                "/var/lib/p/a.tmp",
                "/var/lib/p/store.sqlite3"
            ]
        );
    }

    #[test]
    fn the_data_of_reads_and_writes_is_masked() {
        let raw =
            "12  sendto(23, \"\\0 \\0\\201\\0104729\\377\", 13, MSG_NOSIGNAL, NULL, 0) = 13\n\
                   12  openat(AT_FDCWD, \"/var/lib/p/a\", O_RDONLY) = 5\n\
                   13  <... read resumed>\"x4729\"..., 4096) = 4096\n";
        let kept = redact_io(raw);
        assert!(!kept.contains("4729"), "{kept}");
        assert!(kept.contains("sendto(23, \"…\", 13"), "{kept}");
        assert!(kept.contains("\"/var/lib/p/a\""), "{kept}");
    }

    #[test]
    fn groups_are_expanded_through_each_other() {
        let listing =
            "@a\n    # A\n    @b\n    read\n\n@b\n    # B\n    write\n    @c\n\n@c\n    close\n";
        let set: Vec<String> = expand_filter(listing, &["@a", "exit"])
            .into_iter()
            .collect();
        assert_eq!(set, ["close", "exit", "read", "write"]);
    }
}
