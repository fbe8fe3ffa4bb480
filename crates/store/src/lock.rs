//! The exclusive lock on a SQLite data directory: one Kapsel server (or migration) at a time.
//! Two servers on one `kapsel.db` would both write the same chain — each from its own idea of
//! the head — so the second is refused, as PostgreSQL refuses a second writer per chain. The
//! lock is an advisory `flock` on `kapsel.lock` in the directory (std's `File::try_lock`), held
//! as long as the [`DataDirLock`] lives and released by the kernel when the process ends,
//! however it ends. The file keeps the holder's pid for the error message; it is never removed.
//! Reading commands (`ledger verify`, `ledger export`) take no lock: they open read-only.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};

use crate::StoreError;

/// The lock file's name inside the data directory.
pub const LOCK_FILE: &str = "kapsel.lock";

/// Holds the data directory until dropped.
#[derive(Debug)]
pub struct DataDirLock {
    _file: File,
    path: PathBuf,
}

impl DataDirLock {
    /// Takes the lock on `dir` (creating the directory and the lock file if needed) for the
    /// process `pid`; [`StoreError::DataDirInUse`] when another process holds it.
    pub fn acquire(dir: &Path, pid: u32) -> Result<DataDirLock, StoreError> {
        let path = dir.join(LOCK_FILE);
        let io_error = |source| StoreError::DataDir {
            path: path.display().to_string(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(io_error)?;
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io_error)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                return Err(StoreError::DataDirInUse {
                    path: dir.display().to_string(),
                    holder: match holder.trim() {
                        "" => "pid unknown".to_owned(),
                        known => known.to_owned(),
                    },
                });
            }
            Err(TryLockError::Error(source)) => return Err(io_error(source)),
        }
        file.set_len(0).map_err(io_error)?;
        file.seek(SeekFrom::Start(0)).map_err(io_error)?;
        writeln!(file, "pid {pid}").map_err(io_error)?;
        Ok(DataDirLock { _file: file, path })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_the_same_directory_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let first = DataDirLock::acquire(dir.path(), 4242).unwrap();
        assert!(first.path().ends_with(LOCK_FILE));
        let second = DataDirLock::acquire(dir.path(), 4343).unwrap_err();
        let text = second.to_string();
        assert!(text.contains("pid 4242"), "{text}");
        assert!(text.contains(&dir.path().display().to_string()), "{text}");
        drop(first);
        let again = DataDirLock::acquire(dir.path(), 4343).unwrap();
        drop(again);
        let content = std::fs::read_to_string(dir.path().join(LOCK_FILE)).unwrap();
        assert_eq!(content, "pid 4343\n");
    }
}
