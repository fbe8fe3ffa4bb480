//! Which chain this instance writes, and the installation facts kept in `kapsel_meta`: the
//! [`InstanceMeta`] trait, implemented by [`Store`]. An explicit chain id (config or flag)
//! wins; otherwise the instance id kept in the data directory (`instance-id`), otherwise the
//! one kept in the database. Several instances on one PostgreSQL need distinct chain ids: give
//! each its own data directory or `--chain-id`; the writer refuses a chain another instance
//! holds. A fresh id draws from the [`Random`] the caller passes.

pub(crate) mod sql;

use std::future::Future;
use std::path::Path;

use kapsel_core::Random;

use crate::backend::on_pool;
use crate::{Store, StoreError};

/// The file in the data directory that holds this instance's id.
pub const INSTANCE_ID_FILE: &str = "instance-id";

/// A fresh random instance id: `i-` and 16 lower-case hex digits.
pub fn new_instance_id(random: &dyn Random) -> String {
    format!("i-{:016x}", random.next_u64())
}

/// This installation's identity.
pub trait InstanceMeta: Send + Sync {
    /// The chain this instance writes; see the module documentation for the order of sources.
    /// `random` makes the instance id when none is kept yet.
    fn resolve_chain_id(
        &self,
        explicit: Option<&str>,
        data_dir: Option<&Path>,
        random: &dyn Random,
    ) -> impl Future<Output = Result<String, StoreError>> + Send;
}

impl InstanceMeta for Store {
    async fn resolve_chain_id(
        &self,
        explicit: Option<&str>,
        data_dir: Option<&Path>,
        random: &dyn Random,
    ) -> Result<String, StoreError> {
        if let Some(chain_id) = explicit.map(str::trim).filter(|c| !c.is_empty()) {
            return Ok(chain_id.to_string());
        }
        let fresh = new_instance_id(random);
        if let Some(dir) = data_dir {
            return instance_id_in_dir(dir, &fresh);
        }
        on_pool!(self, sql::meta_get_or_insert("instance_id", &fresh))
    }
}

fn instance_id_in_dir(dir: &Path, fresh: &str) -> Result<String, StoreError> {
    let path = dir.join(INSTANCE_ID_FILE);
    let io_error = |source| StoreError::DataDir {
        path: path.display().to_string(),
        source,
    };
    match std::fs::read_to_string(&path) {
        Ok(existing) if !existing.trim().is_empty() => Ok(existing.trim().to_string()),
        Ok(_) => write_id(&path, fresh).map_err(io_error),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(dir).map_err(io_error)?;
            write_id(&path, fresh).map_err(io_error)
        }
        Err(err) => Err(io_error(err)),
    }
}

fn write_id(path: &Path, id: &str) -> std::io::Result<String> {
    std::fs::write(path, format!("{id}\n"))?;
    Ok(id.to_string())
}

#[cfg(test)]
mod tests {
    use kapsel_core::random::CountingRandom;

    use super::*;

    #[test]
    fn instance_id_is_created_once_and_then_kept() {
        let dir = tempfile::tempdir().unwrap();
        let first = instance_id_in_dir(dir.path(), "i-aaaa").unwrap();
        let second = instance_id_in_dir(dir.path(), "i-bbbb").unwrap();
        assert_eq!((first.as_str(), second.as_str()), ("i-aaaa", "i-aaaa"));
    }

    #[test]
    fn a_fresh_instance_id_is_sixteen_hex_digits_from_the_given_source() {
        let random = CountingRandom::starting_at(1);
        let first = new_instance_id(&random);
        assert_eq!(first.len(), 2 + 16);
        assert!(first.starts_with("i-"));
        assert!(
            first[2..]
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert_ne!(first, new_instance_id(&random));
        assert_eq!(first, new_instance_id(&CountingRandom::starting_at(1)));
    }
}
