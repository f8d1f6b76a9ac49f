//! Which OS accounts may call the daemon (`security.allowed_os_users`), resolved once at
//! start from the account databases.
//!
//! Entries: `"uid=1000"` or `"1000"` (an account by number), `"alice"` (by name, from
//! `/etc/passwd`), `"@passerelle"` (every member of that group in `/etc/group`, and the
//! accounts whose primary group it is), `"*"` (anyone: only for a machine with a single
//! user). Unset: the daemon's own account for a user install; for a system install (data
//! in `/var/lib/passerelle`, the unit runs as a dynamic user) the members of the
//! `passerelle` group. The superuser is always allowed (it can read the daemon's data
//! anyway). Group changes take effect at the next start. Windows (to write): the same
//! entries as SIDs, account names through `LookupAccountName`, groups through
//! `NetLocalGroupGetMembers`.

use std::collections::BTreeSet;

use passerelle_protocol::OsUser;

/// The group whose members may call a system install by default.
pub const SYSTEM_GROUP: &str = "passerelle";

/// The accounts allowed to call the daemon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowedUsers {
    /// Anyone (`"*"`).
    Anyone,
    /// These accounts (and the superuser).
    Only(BTreeSet<OsUser>),
}

impl AllowedUsers {
    /// Resolves `entries` (or the default, see the module documentation) for a daemon
    /// running as `own`, from the texts of `/etc/passwd` and `/etc/group`. Returns the set
    /// and the entries that named nobody (warned about at start).
    pub fn resolve(
        entries: Option<&[String]>,
        own: &OsUser,
        system_install: bool,
        passwd: &str,
        group: &str,
    ) -> (AllowedUsers, Vec<String>) {
        let default = match system_install {
            true => vec![format!("@{SYSTEM_GROUP}")],
            false => vec![own.0.clone()],
        };
        let entries = entries.map(<[String]>::to_vec).unwrap_or(default);
        let mut set = BTreeSet::new();
        let mut unknown = Vec::new();
        for entry in &entries {
            let entry = entry.trim();
            if entry == "*" {
                return (AllowedUsers::Anyone, unknown);
            }
            let found = match entry.strip_prefix('@') {
                Some(name) => group_members(name, passwd, group),
                None => account(entry, passwd).into_iter().collect(),
            };
            if found.is_empty() {
                unknown.push(entry.to_owned());
            }
            set.extend(found.into_iter().map(OsUser::unix));
        }
        (AllowedUsers::Only(set), unknown)
    }

    /// Whether `user` may call (an unknown user never may, unless anyone may).
    pub fn allows(&self, user: Option<&OsUser>) -> bool {
        match (self, user) {
            (AllowedUsers::Anyone, _) => true,
            (AllowedUsers::Only(set), Some(u)) => u.uid() == Some(0) || set.contains(u),
            (AllowedUsers::Only(_), None) => false,
        }
    }
}

/// `uid=N`, `N` or an account name from `passwd`.
fn account(entry: &str, passwd: &str) -> Option<u32> {
    let number = entry.strip_prefix("uid=").unwrap_or(entry);
    if let Ok(uid) = number.parse() {
        return Some(uid);
    }
    passwd_rows(passwd)
        .find(|row| row.first() == Some(&entry))
        .and_then(|row| row.get(2)?.parse().ok())
}

/// The uids of the members of group `name`: listed in `group`, or with it as primary group.
fn group_members(name: &str, passwd: &str, group: &str) -> Vec<u32> {
    let Some(row) = passwd_rows(group).find(|row| row.first() == Some(&name)) else {
        return Vec::new();
    };
    let gid = row.get(2).copied().unwrap_or_default();
    let listed: Vec<&str> = row
        .get(3)
        .map(|m| m.split(',').filter(|m| !m.is_empty()).collect())
        .unwrap_or_default();
    passwd_rows(passwd)
        .filter(|p| listed.contains(&p[0]) || p.get(3) == Some(&gid))
        .filter_map(|p| p.get(2)?.parse().ok())
        .collect()
}

fn passwd_rows(text: &str) -> impl Iterator<Item = Vec<&str>> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split(':').collect::<Vec<_>>())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: &str = "root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n\
                          bob:x:1001:1001::/home/bob:/bin/sh\ncarol:x:1002:998::/home/c:/bin/sh\n\
                          nobody:x:65534:65534::/:/bin/false\n";
    const GROUP: &str = "root:x:0:\npasserelle:x:998:alice\nalice:x:1000:\n";

    fn set(uids: &[u32]) -> AllowedUsers {
        AllowedUsers::Only(uids.iter().copied().map(OsUser::unix).collect())
    }

    #[test]
    fn os_users_defaults_per_install_kind() {
        let own = OsUser::unix(1000);
        let (user, _) = AllowedUsers::resolve(None, &own, false, PASSWD, GROUP);
        assert_eq!(user, set(&[1000]));
        let (system, _) = AllowedUsers::resolve(None, &OsUser::unix(61000), true, PASSWD, GROUP);
        assert_eq!(
            system,
            set(&[1000, 1002]),
            "listed member and primary group"
        );
        assert!(system.allows(Some(&OsUser::unix(0))), "the superuser");
        assert!(!system.allows(Some(&OsUser::unix(65534))));
        assert!(!system.allows(None), "an unknown caller");
    }

    #[test]
    fn os_users_entries_by_number_name_group_or_anyone() {
        let own = OsUser::unix(1000);
        let entries: Vec<String> = ["uid=1001", "bob", "7", "@passerelle", "ghost", "@none"]
            .map(String::from)
            .to_vec();
        let (got, unknown) = AllowedUsers::resolve(Some(&entries), &own, false, PASSWD, GROUP);
        assert_eq!(got, set(&[7, 1000, 1001, 1002]));
        assert_eq!(unknown, ["ghost", "@none"]);
        let (any, _) = AllowedUsers::resolve(Some(&["*".into()]), &own, false, PASSWD, GROUP);
        assert!(any.allows(None));
    }
}
