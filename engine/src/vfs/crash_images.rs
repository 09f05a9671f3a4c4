//! `CrashImages`: a `Vfs` over a `SimVfs` that forks the disk after every mutating operation
//! (create, write, append, truncate, sync, sync_dir, rename, remove, mkdir), each image tagged
//! with the workload step the caller said was running. Crash-point tests of every store (the
//! engine, the openraft log store, raft-io's log) enumerate these images: every write/sync
//! boundary, none sampled, then crash and recover each one.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::{SimVfs, Vfs, VfsResult};

/// Records a crash image of its disk after every mutating operation.
#[derive(Debug)]
pub struct CrashImages {
    inner: SimVfs,
    step: AtomicUsize,
    images: Mutex<Vec<(usize, SimVfs)>>,
    renamed_to: Mutex<Vec<PathBuf>>,
}

impl CrashImages {
    /// Records images of `disk`, starting at step 0.
    pub fn new(disk: SimVfs) -> Self {
        CrashImages {
            inner: disk,
            step: AtomicUsize::new(0),
            images: Mutex::new(Vec::new()),
            renamed_to: Mutex::new(Vec::new()),
        }
    }

    /// Tags the images taken from now on with `step`.
    pub fn set_step(&self, step: usize) {
        self.step.store(step, Ordering::SeqCst);
    }

    /// The images taken so far, each with the step it was taken in, oldest first.
    pub fn take_images(&self) -> Vec<(usize, SimVfs)> {
        std::mem::take(&mut *self.images.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// The destination of every rename so far, in order (a store's file rewrites).
    pub fn renamed_to(&self) -> Vec<PathBuf> {
        self.renamed_to
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn snap<T>(&self, r: VfsResult<T>) -> VfsResult<T> {
        let image = self.inner.fork();
        let step = self.step.load(Ordering::SeqCst);
        self.images
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((step, image));
        r
    }
}

impl Vfs for CrashImages {
    fn create_dir_all(&self, dir: &Path) -> VfsResult<()> {
        self.snap(self.inner.create_dir_all(dir))
    }
    fn create(&self, path: &Path) -> VfsResult<()> {
        self.snap(self.inner.create(path))
    }
    fn exists(&self, path: &Path) -> VfsResult<bool> {
        self.inner.exists(path)
    }
    fn len(&self, path: &Path) -> VfsResult<u64> {
        self.inner.len(path)
    }
    fn read_at(&self, path: &Path, offset: u64, buf: &mut [u8]) -> VfsResult<usize> {
        self.inner.read_at(path, offset, buf)
    }
    fn write_at(&self, path: &Path, offset: u64, data: &[u8]) -> VfsResult<()> {
        self.snap(self.inner.write_at(path, offset, data))
    }
    fn append(&self, path: &Path, data: &[u8]) -> VfsResult<u64> {
        self.snap(self.inner.append(path, data))
    }
    fn truncate(&self, path: &Path, len: u64) -> VfsResult<()> {
        self.snap(self.inner.truncate(path, len))
    }
    fn sync(&self, path: &Path) -> VfsResult<()> {
        self.snap(self.inner.sync(path))
    }
    fn sync_dir(&self, dir: &Path) -> VfsResult<()> {
        self.snap(self.inner.sync_dir(dir))
    }
    fn rename(&self, from: &Path, to: &Path) -> VfsResult<()> {
        self.renamed_to
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(to.to_path_buf());
        self.snap(self.inner.rename(from, to))
    }
    fn remove(&self, path: &Path) -> VfsResult<()> {
        self.snap(self.inner.remove(path))
    }
    fn list(&self, dir: &Path) -> VfsResult<Vec<String>> {
        self.inner.list(dir)
    }
}
