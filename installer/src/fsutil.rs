//! Files and directories the installer creates, each recorded so `uninstall` removes it.

use std::path::{Path, PathBuf};

use crate::error::InstallError;

/// Adds `path` to `created` unless it is already there.
pub fn record(created: &mut Vec<PathBuf>, path: &Path) {
    if !created.iter().any(|p| p == path) {
        created.push(path.to_owned());
    }
}

/// Creates `dir` and its missing parents, recording each directory it creates (outermost
/// first).
pub fn create_dir(dir: &Path, created: &mut Vec<PathBuf>) -> Result<(), InstallError> {
    let mut missing: Vec<&Path> = dir.ancestors().take_while(|p| !p.exists()).collect();
    missing.reverse();
    for d in missing {
        std::fs::create_dir(d).map_err(InstallError::io(d))?;
        record(created, d);
    }
    Ok(())
}

/// Writes `bytes` to `path` (temporary file then rename) with Unix `mode`, recording the
/// file if it did not exist.
pub fn write_file(
    path: &Path,
    bytes: &[u8],
    mode: u32,
    created: &mut Vec<PathBuf>,
) -> Result<(), InstallError> {
    let existed = path.exists();
    passerelle_installation::files::write_atomic(path, bytes, mode)
        .map_err(InstallError::io(path))?;
    if !existed {
        record(created, path);
    }
    Ok(())
}

/// Removes a file if it exists.
pub fn remove_file(path: &Path) -> Result<(), InstallError> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(InstallError::Io {
            path: path.to_owned(),
            source: e,
        }),
        _ => Ok(()),
    }
}

/// Gives `paths` the owner of `home` (files the installer, running as root, made in a
/// person's home must stay theirs, or their browser could not open its own database).
#[cfg(unix)]
pub fn give_to_owner_of(home: &Path, paths: &[PathBuf]) -> Result<(), InstallError> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(home).map_err(InstallError::io(home))?;
    for path in paths {
        let current = std::fs::symlink_metadata(path).map_err(InstallError::io(path))?;
        if current.uid() != meta.uid() || current.gid() != meta.gid() {
            std::os::unix::fs::lchown(path, Some(meta.uid()), Some(meta.gid()))
                .map_err(InstallError::io(path))?;
        }
    }
    Ok(())
}

/// Nothing to do where files have no Unix owner.
#[cfg(not(unix))]
pub fn give_to_owner_of(_home: &Path, _paths: &[PathBuf]) -> Result<(), InstallError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_and_records_only_what_was_missing() {
        let root = tempfile::tempdir().unwrap();
        let mut created = Vec::new();
        let deep = root.path().join("a/b/c");
        create_dir(&deep, &mut created).unwrap();
        assert_eq!(
            created,
            [root.path().join("a"), root.path().join("a/b"), deep.clone()]
        );
        let file = deep.join("f");
        write_file(&file, b"1", 0o640, &mut created).unwrap();
        write_file(&file, b"2", 0o640, &mut created).unwrap();
        assert_eq!(created.len(), 4);
        assert_eq!(std::fs::read(&file).unwrap(), b"2");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o640);
        }
    }
}
