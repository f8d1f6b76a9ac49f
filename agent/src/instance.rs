//! One daemon per data directory: an exclusive lock on `{data_dir}/passerelle.lock`
//! (`File::try_lock` of the standard library: `flock` on Unix, `LockFileEx` on Windows,
//! the calls fd-lock makes, without a guard that borrows its lock), held as long as the
//! daemon runs and released by the OS if it dies. The holder writes its port and process id
//! into the file, so a second daemon can say which one is already there.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// File name of the lock inside the data directory.
pub const FILE_NAME: &str = "passerelle.lock";

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum InstanceError {
    /// Another daemon holds it.
    #[error(
        "un autre démon Passerelle utilise déjà le dossier de données {data_dir} ({holder}) : \
         arrêtez-le, ou donnez à celui-ci un autre dossier (storage.data_dir)"
    )]
    Taken {
        /// The data directory.
        data_dir: PathBuf,
        /// What the holder wrote: its port and process id, as far as known.
        holder: String,
    },
    /// The lock file could not be opened.
    #[error("verrou {path} : {source}")]
    Io {
        /// The lock file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// The lock, held until this is dropped (or the process ends).
pub struct InstanceLock {
    file: File,
}

impl InstanceLock {
    /// Takes the lock of `data_dir` for a daemon serving on `port`, or says who has it.
    pub fn acquire(data_dir: &Path, port: u16) -> Result<InstanceLock, InstanceError> {
        let path = data_dir.join(FILE_NAME);
        let io = |source| InstanceError::Io {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(data_dir).map_err(io)?;
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(InstanceError::Taken {
                    data_dir: data_dir.to_owned(),
                    holder: read_holder(&mut file),
                })
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        let me = format!("port {port}, processus {}\n", std::process::id());
        let written = file
            .set_len(0)
            .and_then(|()| file.seek(SeekFrom::Start(0)).map(|_| ()))
            .and_then(|()| file.write_all(me.as_bytes()));
        if let Err(e) = written {
            tracing::warn!(error = %e, "could not write the instance lock's holder");
        }
        Ok(InstanceLock { file })
    }
}

impl Drop for InstanceLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

fn read_holder(file: &mut File) -> String {
    let mut text = String::new();
    let _ = file.read_to_string(&mut text);
    match text.trim() {
        "" => "port inconnu".to_owned(),
        holder => holder.chars().take(200).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_with_the_first_ones_port() {
        let dir = tempfile::tempdir().unwrap();
        let first = InstanceLock::acquire(dir.path(), 39443).unwrap();
        let refused = InstanceLock::acquire(dir.path(), 39444).err().unwrap();
        let message = refused.to_string();
        assert!(message.contains("port 39443"), "{message}");
        assert!(message.contains("storage.data_dir"), "{message}");
        drop(first);
        InstanceLock::acquire(dir.path(), 39444).unwrap();
    }
}
