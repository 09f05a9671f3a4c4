//! Appending to the active WAL segment. A commit is *append, then sync*: the caller may only
//! acknowledge (and apply) a batch after [`WalWriter::commit`] returned `Ok`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::vfs::{Vfs, VfsError};
use crate::wal::record::encode_frame;

/// The active segment and where the next record goes.
#[derive(Debug)]
pub struct WalWriter {
    vfs: Arc<dyn Vfs>,
    path: PathBuf,
    generation: u64,
    len: u64,
    /// Index of the next record in the segment.
    records: u64,
}

impl WalWriter {
    /// Continues segment `generation` whose valid prefix is `len` bytes holding `records`
    /// records (already truncated to it).
    pub fn new(vfs: Arc<dyn Vfs>, path: PathBuf, generation: u64, len: u64, records: u64) -> Self {
        Self {
            vfs,
            path,
            generation,
            len,
            records,
        }
    }

    /// Frames a record body (see [`encode_body`](super::record::encode_body)) as the next
    /// record of this segment.
    pub fn frame(&self, body: &[u8]) -> Vec<u8> {
        encode_frame(self.generation, self.records, body)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes in the segment.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends one record framed by [`WalWriter::frame`] and makes it durable. On error the segment's tail is unknown
    /// (a partial record may be there, or a complete one that is not durable): the caller must
    /// stop writing to it.
    pub fn commit(&mut self, frame: &[u8]) -> Result<(), VfsError> {
        let at = self.vfs.append(&self.path, frame)?;
        if at != self.len {
            // Someone else wrote to our segment; appending after unknown bytes would hide our
            // records behind them at recovery.
            return Err(VfsError::Io {
                op: "append",
                path: self.path.clone(),
                detail: format!("WAL segment was {at} bytes long, expected {}", self.len),
            });
        }
        // Planted: acknowledge once the bytes are handed to the OS, before they are durable.
        if !crate::planted!(EngineAckWithoutSync) {
            self.vfs.sync(&self.path)?;
        }
        self.len += frame.len() as u64;
        self.records += 1;
        Ok(())
    }
}
