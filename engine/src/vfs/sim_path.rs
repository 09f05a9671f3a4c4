//! Path rules of `SimVfs`: normalisation and splitting into (directory, name).

use std::path::{Component, Path, PathBuf};

use super::{VfsError, VfsResult};

/// Normalises a path: drops `.`, rejects `..` and non-UTF-8 names.
pub(super) fn normalise(path: &Path) -> VfsResult<PathBuf> {
    // Every operation names a path, and almost all of them arrive normal already.
    match as_normal(path) {
        Some(p) => Ok(p.to_path_buf()),
        None => normalise_by_components(path),
    }
}

/// [`normalise`] the long way: component by component.
fn normalise_by_components(path: &Path) -> VfsResult<PathBuf> {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::RootDir => out.push("/"),
            Component::CurDir | Component::Prefix(_) => {}
            Component::ParentDir => return Err(invalid(path, "`..` is not supported")),
            Component::Normal(s) => {
                let s = s.to_str().ok_or_else(|| invalid(path, "not UTF-8"))?;
                out.push(s);
            }
        }
    }
    Ok(out)
}

/// Whether `normalise` would return `s` unchanged: an optional root, then names that are not
/// empty, `.` or `..`.
fn already_normal(s: &str) -> bool {
    let rest = s.strip_prefix('/').unwrap_or(s);
    rest.is_empty()
        || rest
            .split('/')
            .all(|c| !c.is_empty() && c != "." && c != "..")
}

/// `path` itself if [`normalise`] would return it unchanged.
pub(super) fn as_normal(path: &Path) -> Option<&Path> {
    path.to_str().filter(|s| already_normal(s)).map(Path::new)
}

/// [`split`] of a path that is already normal and names a file, borrowed from it; `None` for
/// any other path (which `split` normalises or rejects).
pub(super) fn split_normal(path: &Path) -> Option<(&Path, &str)> {
    let s = as_normal(path)?.to_str()?;
    match s.rsplit_once('/') {
        Some((_, "")) => None,
        Some(("", name)) => Some((Path::new("/"), name)),
        Some((dir, name)) => Some((Path::new(dir), name)),
        None if s.is_empty() => None,
        None => Some((Path::new(""), s)),
    }
}

/// Splits a file path into (normalised parent directory, file name).
pub(super) fn split(path: &Path) -> VfsResult<(PathBuf, String)> {
    if let Some((dir, name)) = split_normal(path) {
        return Ok((dir.to_path_buf(), name.to_owned()));
    }
    split_normalised(path, normalise_by_components(path)?)
}

/// `norm` (the normalised `path`) as (parent directory, file name).
fn split_normalised(path: &Path, norm: PathBuf) -> VfsResult<(PathBuf, String)> {
    let name = norm
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| invalid(path, "no file name"))?
        .to_owned();
    let dir = norm.parent().map(Path::to_path_buf).unwrap_or_default();
    Ok((dir, name))
}

pub(super) fn invalid(path: &Path, reason: &str) -> VfsError {
    VfsError::InvalidPath {
        path: path.to_path_buf(),
        reason: reason.to_owned(),
    }
}

pub(super) fn not_found(path: &Path) -> VfsError {
    VfsError::NotFound {
        path: path.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn fast_paths_agree_with_components(parts in prop::collection::vec(
            prop::sample::select(vec!["", "/", "a", "bc", ".", "..", "d.e", "//", "./"]), 0..6)
        ) {
            let s: String = parts.concat();
            let path = Path::new(&s);
            let by_components = normalise_by_components(path);
            prop_assert_eq!(normalise(path).ok(), by_components.as_ref().ok().cloned(), "{:?}", s);
            let split_slowly = by_components.and_then(|n| split_normalised(path, n));
            prop_assert_eq!(split(path).ok(), split_slowly.ok(), "{:?}", s);
        }
    }
}
