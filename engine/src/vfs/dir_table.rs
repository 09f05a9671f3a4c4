//! The directories of a `SimVfs` by normalised path, kept in path order.
//!
//! Nearly every disk operation looks a directory up, and `Path`'s ordering parses both paths
//! into components on every comparison. Normalised paths (an optional root, then non-empty
//! names joined by single `/`) compare the same way byte by byte once `/` ranks below every
//! other byte, so the table keeps its directories sorted by that cheaper order and iterates
//! them in exactly the order a `BTreeMap<PathBuf, _>` would: what a crash draws per
//! directory, in order, stays the same.

use std::cmp::Ordering;
use std::ops::Index;
use std::path::{Path, PathBuf};

use super::sim_dir::Dir;

/// The directories, sorted by [`path_order`] of their normalised paths.
#[derive(Debug, Clone, Default)]
pub(super) struct DirTable {
    dirs: Vec<(PathBuf, Dir)>,
}

impl DirTable {
    fn position(&self, path: &Path) -> Result<usize, usize> {
        let key = path.as_os_str().as_encoded_bytes();
        self.dirs
            .binary_search_by(|(p, _)| path_order(p.as_os_str().as_encoded_bytes(), key))
    }

    pub(super) fn get(&self, path: impl AsRef<Path>) -> Option<&Dir> {
        let i = self.position(path.as_ref()).ok()?;
        Some(&self.dirs[i].1)
    }

    pub(super) fn get_mut(&mut self, path: impl AsRef<Path>) -> Option<&mut Dir> {
        let i = self.position(path.as_ref()).ok()?;
        Some(&mut self.dirs[i].1)
    }

    pub(super) fn contains_key(&self, path: impl AsRef<Path>) -> bool {
        self.position(path.as_ref()).is_ok()
    }

    /// Adds or replaces the directory at `path` (normalised); returns the one replaced.
    pub(super) fn insert(&mut self, path: PathBuf, dir: Dir) -> Option<Dir> {
        match self.position(&path) {
            Ok(i) => Some(std::mem::replace(&mut self.dirs[i].1, dir)),
            Err(i) => {
                self.dirs.insert(i, (path, dir));
                None
            }
        }
    }

    pub(super) fn remove(&mut self, path: impl AsRef<Path>) -> Option<Dir> {
        let i = self.position(path.as_ref()).ok()?;
        Some(self.dirs.remove(i).1)
    }

    /// The directories in path order.
    pub(super) fn iter(&self) -> impl Iterator<Item = (&PathBuf, &Dir)> {
        self.dirs.iter().map(|(p, d)| (p, d))
    }

    pub(super) fn values(&self) -> impl Iterator<Item = &Dir> {
        self.dirs.iter().map(|(_, d)| d)
    }

    pub(super) fn values_mut(&mut self) -> impl Iterator<Item = &mut Dir> {
        self.dirs.iter_mut().map(|(_, d)| d)
    }
}

impl<P: AsRef<Path>> Index<P> for DirTable {
    type Output = Dir;

    fn index(&self, path: P) -> &Dir {
        self.get(path).expect("the directory exists")
    }
}

/// The order of `Path`'s `Ord` on normalised paths, byte by byte: `/` ranks below every other
/// byte, so a name sorts after every path it is a proper prefix of a component of ("/a/b"
/// before "/ab"), and the root before every relative path.
fn path_order(a: &[u8], b: &[u8]) -> Ordering {
    match a.iter().zip(b).position(|(x, y)| x != y) {
        Some(i) => rank(a[i]).cmp(&rank(b[i])),
        None => a.len().cmp(&b.len()),
    }
}

fn rank(byte: u8) -> u16 {
    if byte == b'/' { 0 } else { u16::from(byte) + 1 }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// A normalised path: an optional root, then names (each possibly sorting around `/`).
    fn normal_path() -> impl Strategy<Value = PathBuf> {
        let name =
            prop::sample::select(vec!["a", "ab", "a-b", "a.b", "b", "raft", "vote.tmp", "~"]);
        (any::<bool>(), prop::collection::vec(name, 0..4)).prop_map(|(rooted, names)| {
            let joined = names.join("/");
            PathBuf::from(if rooted { format!("/{joined}") } else { joined })
        })
    }

    proptest! {
        #[test]
        fn normalised_paths_order_as_path_orders_them(a in normal_path(), b in normal_path()) {
            let bytes = |p: &PathBuf| p.as_os_str().as_encoded_bytes().to_vec();
            prop_assert_eq!(path_order(&bytes(&a), &bytes(&b)), a.cmp(&b), "{:?} {:?}", a, b);
        }

        #[test]
        fn the_table_iterates_as_a_btree_map_of_paths(
            paths in prop::collection::vec(normal_path(), 0..12),
            removed in prop::collection::vec(normal_path(), 0..4),
        ) {
            let mut table = DirTable::default();
            let mut map = std::collections::BTreeMap::new();
            for p in paths {
                table.insert(p.clone(), Dir::default());
                map.insert(p, ());
            }
            for p in &removed {
                prop_assert_eq!(table.remove(p).is_some(), map.remove(p).is_some());
            }
            let in_table: Vec<&PathBuf> = table.iter().map(|(p, _)| p).collect();
            let in_map: Vec<&PathBuf> = map.keys().collect();
            prop_assert_eq!(in_table, in_map);
            for p in map.keys() {
                prop_assert!(table.contains_key(p) && table.get(p).is_some());
            }
        }
    }
}
