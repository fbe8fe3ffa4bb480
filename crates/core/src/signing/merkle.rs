//! The Merkle tree of RFC 6962 / RFC 9162 §2.1 over one batch of receipts, so that ONE
//! signature covers a whole group commit and each receipt carries only its inclusion path
//! (about log2(batch) hashes). Leaves hash as `SHA-256(0x00 || leaf)`, interior nodes as
//! `SHA-256(0x01 || left || right)`; a tree of n leaves splits at the largest power of two
//! below n. [`verify_inclusion`] is RFC 9162 §2.1.3.2, line for line.

use sha2::{Digest, Sha256};

pub type Hash = [u8; 32];

/// `SHA-256(0x00 || data)`.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x00]);
    hasher.update(data);
    hasher.finalize().into()
}

/// `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x01]);
    hasher.update(left);
    hasher.update(right);
    hasher.finalize().into()
}

/// The root of the tree over `leaves` (already leaf-hashed) and each leaf's inclusion path,
/// nearest sibling first. `None` for no leaves.
pub fn root_and_paths(leaves: &[Hash]) -> Option<(Hash, Vec<Vec<Hash>>)> {
    match leaves {
        [] => None,
        [only] => Some((*only, vec![Vec::new()])),
        _ => {
            let split = largest_power_of_two_below(leaves.len());
            let (left, right) = leaves.split_at(split);
            let (left_root, mut left_paths) = root_and_paths(left)?;
            let (right_root, mut right_paths) = root_and_paths(right)?;
            for path in &mut left_paths {
                path.push(right_root);
            }
            for path in &mut right_paths {
                path.push(left_root);
            }
            left_paths.append(&mut right_paths);
            Some((node_hash(&left_root, &right_root), left_paths))
        }
    }
}

fn largest_power_of_two_below(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// Whether `path` proves leaf `index` (of `size` leaves) with hash `leaf` under `root`.
pub fn verify_inclusion(index: u64, size: u64, leaf: &Hash, path: &[Hash], root: &Hash) -> bool {
    root_from_path(index, size, leaf, path).is_some_and(|computed| computed == *root)
}

/// The root that `path` leads to from leaf `index` of `size` leaves, or `None` when the path
/// has the wrong length for that position.
pub fn root_from_path(index: u64, size: u64, leaf: &Hash, path: &[Hash]) -> Option<Hash> {
    if index >= size {
        return None;
    }
    let (mut f_n, mut s_n) = (index, size - 1);
    let mut r = *leaf;
    for p in path {
        if s_n == 0 {
            return None;
        }
        if f_n & 1 == 1 || f_n == s_n {
            r = node_hash(p, &r);
            while f_n & 1 == 0 && f_n != 0 {
                f_n >>= 1;
                s_n >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    (s_n == 0).then_some(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n)
            .map(|i| leaf_hash(format!("leaf {i}").as_bytes()))
            .collect()
    }

    /// The tree hash of RFC 6962 §2.1, written the slow way.
    fn mth(leaves: &[Hash]) -> Hash {
        if leaves.len() == 1 {
            return leaves[0];
        }
        let k = largest_power_of_two_below(leaves.len());
        node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
    }

    #[test]
    fn every_leaf_of_every_size_up_to_70_is_included_under_the_root() {
        for n in 1..=70 {
            let leaves = leaves(n);
            let (root, paths) = root_and_paths(&leaves).unwrap();
            assert_eq!(root, mth(&leaves), "size {n}");
            for (i, (leaf, path)) in leaves.iter().zip(&paths).enumerate() {
                assert!(
                    verify_inclusion(i as u64, n as u64, leaf, path, &root),
                    "{i}/{n}"
                );
                if n > 1 {
                    let other = (i + 1) % n;
                    assert!(!verify_inclusion(other as u64, n as u64, leaf, path, &root));
                    assert!(!verify_inclusion(
                        i as u64,
                        n as u64,
                        &leaves[other],
                        path,
                        &root
                    ));
                }
            }
        }
        assert!(root_and_paths(&[]).is_none());
    }

    #[test]
    fn the_empty_hash_prefixes_differ_for_leaves_and_nodes() {
        let a = leaf_hash(b"x");
        assert_ne!(node_hash(&a, &a), leaf_hash(&[a, a].concat()));
    }
}
