//! `StdVfs`: the `Vfs` over real files. The only place in the engine that touches `std::fs`.
//!
//! Paths are used as given. Open descriptors are cached per path so the path-based API costs no
//! `open(2)` per call; the cache follows renames and forgets removed or re-created files.
//! Durability is the platform's: `sync` is `fsync(2)` (`File::sync_all`), `sync_dir` opens the
//! directory and fsyncs it (Unix).

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use super::{Vfs, VfsError, VfsResult};

/// Real files. Cheap to clone; clones share the descriptor cache.
#[derive(Debug, Clone, Default)]
pub struct StdVfs {
    open: Arc<Mutex<BTreeMap<PathBuf, Arc<File>>>>,
}

impl StdVfs {
    pub fn new() -> Self {
        Self::default()
    }

    fn cache(&self) -> MutexGuard<'_, BTreeMap<PathBuf, Arc<File>>> {
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The cached descriptor for `path`, opening the existing file read-write if needed.
    fn file(&self, path: &Path) -> VfsResult<Arc<File>> {
        let mut cache = self.cache();
        if let Some(f) = cache.get(path) {
            return Ok(Arc::clone(f));
        }
        let f = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| map_err("open", path, e))?;
        let f = Arc::new(f);
        cache.insert(path.to_path_buf(), Arc::clone(&f));
        Ok(f)
    }
}

fn map_err(op: &'static str, path: &Path, e: io::Error) -> VfsError {
    let path = path.to_path_buf();
    match e.kind() {
        io::ErrorKind::NotFound => VfsError::NotFound { path },
        io::ErrorKind::AlreadyExists => VfsError::AlreadyExists { path },
        io::ErrorKind::StorageFull => VfsError::NoSpace { op, path },
        io::ErrorKind::InvalidInput | io::ErrorKind::IsADirectory => VfsError::InvalidPath {
            path,
            reason: e.to_string(),
        },
        _ => VfsError::Io {
            op,
            path,
            detail: e.to_string(),
        },
    }
}

impl Vfs for StdVfs {
    fn create_dir_all(&self, dir: &Path) -> VfsResult<()> {
        fs::create_dir_all(dir).map_err(|e| map_err("create_dir_all", dir, e))?;
        // Make the new directory chain durable, as the trait promises.
        let mut cur = Some(dir);
        while let Some(d) = cur {
            if d.as_os_str().is_empty() {
                break;
            }
            if let Some(parent) = d.parent().filter(|p| !p.as_os_str().is_empty()) {
                self.sync_dir(parent)?;
            }
            cur = d.parent();
        }
        Ok(())
    }

    fn create(&self, path: &Path) -> VfsResult<()> {
        let f = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .map_err(|e| map_err("create", path, e))?;
        self.cache().insert(path.to_path_buf(), Arc::new(f));
        Ok(())
    }

    fn exists(&self, path: &Path) -> VfsResult<bool> {
        path.try_exists().map_err(|e| map_err("exists", path, e))
    }

    fn len(&self, path: &Path) -> VfsResult<u64> {
        let f = self.file(path)?;
        Ok(f.metadata().map_err(|e| map_err("len", path, e))?.len())
    }

    fn read_at(&self, path: &Path, offset: u64, buf: &mut [u8]) -> VfsResult<usize> {
        let f = self.file(path)?;
        let mut filled = 0;
        while filled < buf.len() {
            match f.read_at(&mut buf[filled..], offset + filled as u64) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(map_err("read_at", path, e)),
            }
        }
        Ok(filled)
    }

    fn write_at(&self, path: &Path, offset: u64, data: &[u8]) -> VfsResult<()> {
        let f = self.file(path)?;
        f.write_all_at(data, offset)
            .map_err(|e| map_err("write_at", path, e))
    }

    fn append(&self, path: &Path, data: &[u8]) -> VfsResult<u64> {
        let f = self.file(path)?;
        // Holding the cache lock makes "read length, write there" atomic among our callers.
        let _serialise = self.cache();
        let offset = f.metadata().map_err(|e| map_err("append", path, e))?.len();
        f.write_all_at(data, offset)
            .map_err(|e| map_err("append", path, e))?;
        Ok(offset)
    }

    fn truncate(&self, path: &Path, len: u64) -> VfsResult<()> {
        let f = self.file(path)?;
        f.set_len(len).map_err(|e| map_err("truncate", path, e))
    }

    fn sync(&self, path: &Path) -> VfsResult<()> {
        let f = self.file(path)?;
        f.sync_all().map_err(|e| map_err("sync", path, e))
    }

    fn sync_dir(&self, dir: &Path) -> VfsResult<()> {
        let d = File::open(dir).map_err(|e| map_err("sync_dir", dir, e))?;
        d.sync_all().map_err(|e| map_err("sync_dir", dir, e))
    }

    fn rename(&self, from: &Path, to: &Path) -> VfsResult<()> {
        let mut cache = self.cache();
        fs::rename(from, to).map_err(|e| map_err("rename", from, e))?;
        cache.remove(to);
        if let Some(f) = cache.remove(from) {
            cache.insert(to.to_path_buf(), f);
        }
        Ok(())
    }

    fn remove(&self, path: &Path) -> VfsResult<()> {
        let mut cache = self.cache();
        fs::remove_file(path).map_err(|e| map_err("remove", path, e))?;
        cache.remove(path);
        Ok(())
    }

    fn list(&self, dir: &Path) -> VfsResult<Vec<String>> {
        let mut names = Vec::new();
        for entry in fs::read_dir(dir).map_err(|e| map_err("list", dir, e))? {
            let entry = entry.map_err(|e| map_err("list", dir, e))?;
            // Names that are not UTF-8 cannot be ours; skip them rather than fail the listing.
            if let Ok(name) = entry.file_name().into_string() {
                names.push(name);
            }
        }
        names.sort();
        Ok(names)
    }
}
