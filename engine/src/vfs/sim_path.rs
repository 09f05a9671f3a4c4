//! Path rules of `SimVfs`: normalisation and splitting into (directory, name).

use std::path::{Component, Path, PathBuf};

use super::{VfsError, VfsResult};

/// Normalises a path: drops `.`, rejects `..` and non-UTF-8 names.
pub(super) fn normalise(path: &Path) -> VfsResult<PathBuf> {
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

/// Splits a file path into (normalised parent directory, file name).
pub(super) fn split(path: &Path) -> VfsResult<(PathBuf, String)> {
    let norm = normalise(path)?;
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
