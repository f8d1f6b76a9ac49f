#![allow(dead_code)] // shared by several test crates, each using a part
//! A sandbox for `passerelle-install`: each run happens in a new mount namespace where
//! `/etc`, `/usr/local` and `/var/lib` are overlays whose upper directories live in a
//! temp dir (kept across runs, so they are the exact diff of what the runs did), with
//! `HOME`/XDG pointing at a temp home and a fake `systemctl` first on `PATH`. The
//! namespace, and its mounts, vanish with the process.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The overlaid system directories, with the name of their upper dir in the sandbox.
pub const OVERLAID: [(&str, &str); 3] = [
    ("/etc", "etc"),
    ("/usr/local", "usrlocal"),
    ("/var/lib", "varlib"),
];

const SETUP: &str = r#"set -e
for pair in /etc:etc /usr/local:usrlocal /var/lib:varlib; do
  dir=${pair%%:*}; name=${pair#*:}
  mount -t overlay overlay -o "lowerdir=$dir,upperdir=$SANDBOX/$name/upper,workdir=$SANDBOX/$name/work" "$dir"
done
# update-ca-certificates' hooks (the Java keystore's queues dpkg triggers) are masked.
if [ -d /etc/ca-certificates/update.d ]; then mount -t tmpfs -o mode=0755 tmpfs /etc/ca-certificates/update.d; fi
exec "$@"
"#;

const FAKE_SYSTEMCTL: &str = "#!/bin/sh\necho \"$*\" >> \"$SYSTEMCTL_LOG\"\ncase \" $* \" in *\" status \"*) exit 3;; esac\nexit 0\n";

/// One sandbox: its root temp dir, the temp home, the fake systemctl's log.
pub struct Sandbox {
    root: tempfile::TempDir,
    /// The temp home (`HOME`).
    pub home: PathBuf,
    fakebin: PathBuf,
    log: PathBuf,
}

impl Sandbox {
    /// Makes the directories and checks that mount namespaces and overlays work here:
    /// fails loudly (never skips) otherwise.
    pub fn new() -> Sandbox {
        let root = tempfile::Builder::new()
            .prefix("passerelle-install-sandbox-")
            .tempdir()
            .unwrap();
        for (_, name) in OVERLAID {
            std::fs::create_dir_all(root.path().join(name).join("upper")).unwrap();
            std::fs::create_dir_all(root.path().join(name).join("work")).unwrap();
        }
        let home = root.path().join("home");
        std::fs::create_dir_all(&home).unwrap();
        let fakebin = root.path().join("fakebin");
        std::fs::create_dir_all(&fakebin).unwrap();
        let systemctl = fakebin.join("systemctl");
        std::fs::write(&systemctl, FAKE_SYSTEMCTL).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&systemctl, std::fs::Permissions::from_mode(0o755)).unwrap();
        let log = root.path().join("systemctl.log");
        let sandbox = Sandbox {
            root,
            home,
            fakebin,
            log,
        };
        let probe = sandbox.exec(&["true"]);
        assert!(
            probe.status.success(),
            "the installer tests need root and mount namespaces with overlayfs \
             (unshare --mount, mount -t overlay): {}",
            String::from_utf8_lossy(&probe.stderr)
        );
        sandbox
    }

    /// Runs `argv` inside the sandbox, as the installer would run.
    pub fn exec(&self, argv: &[&str]) -> Output {
        self.command(argv)
            .output()
            .expect("run unshare (util-linux)")
    }

    /// The command that runs `argv` inside the sandbox (a new mount namespace each time),
    /// with the sandbox's `HOME`, XDG directories and fake `systemctl`.
    pub fn command(&self, argv: &[&str]) -> Command {
        let path = format!(
            "{}:{}",
            self.fakebin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut command = Command::new("unshare");
        command
            .args([
                "--mount",
                "--propagation",
                "private",
                "--",
                "sh",
                "-c",
                SETUP,
                "sh",
            ])
            .args(argv)
            .env("SANDBOX", self.root.path())
            .env("SYSTEMCTL_LOG", &self.log)
            .env("PATH", path)
            .env("HOME", &self.home)
            .env("XDG_CONFIG_HOME", self.home.join(".config"))
            .env("XDG_DATA_HOME", self.home.join(".local/share"))
            .env_remove("SUDO_USER")
            .env_remove("XDG_RUNTIME_DIR");
        command
    }

    /// Runs `passerelle-install ARGS` in the sandbox; panics with its output on failure.
    pub fn install(&self, args: &[&str]) -> String {
        let bin = installer_bin();
        let mut argv = vec![bin.to_str().unwrap()];
        argv.extend_from_slice(args);
        let out = self.exec(&argv);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        eprintln!("[installer {args:?}]\n{text}");
        assert!(
            out.status.success(),
            "passerelle-install {args:?} failed:\n{text}"
        );
        text
    }

    /// The upper dir of an overlaid system directory (`"/etc"`, ...).
    pub fn upper(&self, dir: &str) -> PathBuf {
        let name = OVERLAID.iter().find(|(d, _)| *d == dir).unwrap().1;
        self.root.path().join(name).join("upper")
    }

    /// Where a system path's new content is: `/etc/x` → `<upper of /etc>/x`.
    pub fn changed(&self, path: &str) -> PathBuf {
        let (dir, _) = OVERLAID
            .iter()
            .find(|(d, _)| path.starts_with(&format!("{d}/")))
            .unwrap();
        self.upper(dir).join(&path[dir.len() + 1..])
    }

    /// The fake systemctl's calls so far, one per line.
    pub fn systemctl_calls(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// Every entry of every upper dir, as (system path → what it is).
    pub fn upper_entries(&self) -> BTreeMap<PathBuf, Entry> {
        let mut all = BTreeMap::new();
        for (dir, _) in OVERLAID {
            for (rel, entry) in tree(&self.upper(dir)) {
                all.insert(Path::new(dir).join(rel), entry);
            }
        }
        all
    }
}

/// What a directory entry is, to compare two trees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A directory.
    Dir,
    /// A file and its bytes.
    File(Vec<u8>),
    /// A symbolic link and its target.
    Symlink(PathBuf),
    /// Anything else (an overlay whiteout is a character device).
    Other(String),
}

/// Reads one entry.
pub fn entry(path: &Path) -> Option<Entry> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    let t = meta.file_type();
    Some(if t.is_symlink() {
        Entry::Symlink(std::fs::read_link(path).unwrap())
    } else if t.is_dir() {
        Entry::Dir
    } else if t.is_file() {
        Entry::File(std::fs::read(path).unwrap())
    } else {
        Entry::Other(format!("{t:?}"))
    })
}

/// Every entry under `root`, by path relative to it.
pub fn tree(root: &Path) -> BTreeMap<PathBuf, Entry> {
    let mut out = BTreeMap::new();
    let mut todo = vec![root.to_owned()];
    while let Some(dir) = todo.pop() {
        let Ok(read) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in read.flatten() {
            let p = e.path();
            let Some(en) = entry(&p) else { continue };
            if en == Entry::Dir {
                todo.push(p.clone());
            }
            out.insert(p.strip_prefix(root).unwrap().to_owned(), en);
        }
    }
    out
}

/// `target/<profile>/passerelle-install`, next to the `passerelle` binary.
pub fn installer_bin() -> PathBuf {
    let bin = passerelle_tests::passerelle_bin().with_file_name("passerelle-install");
    assert!(
        bin.is_file(),
        "{} missing: cargo build -p passerelle-installer",
        bin.display()
    );
    bin
}

/// Runs a command outside the sandbox, expecting success; its stdout.
pub fn run(argv: &[&str]) -> String {
    let out = Command::new(argv[0]).args(&argv[1..]).output().unwrap();
    assert!(
        out.status.success(),
        "{argv:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
