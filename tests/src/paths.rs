//! Where the binary under test and the test artefacts are.

use std::path::{Path, PathBuf};

/// Path of the `passerelle` binary: `$PASSERELLE_BIN` if set, else next to the test
/// executable's `deps/` directory (`target/<profile>/passerelle`).
pub fn passerelle_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("PASSERELLE_BIN") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("current_exe");
    // target/debug/deps/<test>-<hash>  ->  target/debug/passerelle
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test executable lives in target/<profile>/deps");
    profile_dir.join(format!("passerelle{}", std::env::consts::EXE_SUFFIX))
}

/// Root of all artefact directories: `tests/artifacts/` (gitignored).
pub fn artifacts_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("artifacts")
}

/// A test's artefact directory, `tests/artifacts/<name>/`, emptied at creation.
///
/// Logs of every process the test starts go here, so CI output can be inspected. When
/// dropped during a panic it prints its path (and the tail of each log in it).
#[derive(Debug)]
pub struct TestDir {
    name: String,
    path: PathBuf,
}

impl TestDir {
    /// Creates (or empties) `tests/artifacts/<name>/`.
    pub fn new(name: &str) -> TestDir {
        let safe: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let path = artifacts_root().join(&safe);
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create artifacts dir");
        eprintln!("[rig] {name}: artefacts in {}", path.display());
        TestDir {
            name: name.to_owned(),
            path,
        }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A path inside the directory.
    pub fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// A new subdirectory (created).
    pub fn subdir(&self, name: &str) -> PathBuf {
        let p = self.path.join(name);
        std::fs::create_dir_all(&p).expect("create artifacts subdir");
        p
    }
}

impl Drop for TestDir {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            return;
        }
        eprintln!(
            "[rig] {} FAILED; artefacts in {}",
            self.name,
            self.path.display()
        );
        let Ok(entries) = std::fs::read_dir(&self.path) else {
            return;
        };
        let mut logs: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "log"))
            .collect();
        logs.sort();
        for log in logs {
            eprintln!("[rig] --- last lines of {} ---", log.display());
            eprintln!("{}", crate::proc::tail(&log, 25));
        }
    }
}
