//! Checkpoint files: the full state as an op list, written atomically.
//!
//! Format: `[magic "FLTCKPT\0"][version u8][generation u64 LE][body_len u64 LE][crc32c u32 LE]
//! [body]`, the checksum covering the 25 header bytes before it and the body; the body is a
//! versioned op list. Checkpoint `g` holds the state after every op logged in generations `< g`.
//!
//! Installing one is the classic sequence: write `ckpt-g.tmp`, sync it, rename it to
//! `ckpt-g.ckpt`, create the empty WAL segment `g`, sync the directory. Only then may the
//! engine append to segment `g` and delete generation `g-1`.

use std::path::Path;

use crate::error::{Error, Result};
use crate::op::{WalOp, decode_ops, encode_ops};
use crate::vfs::{Vfs, VfsError};
use crate::wal::{parse_generation, segment_name};

const MAGIC: [u8; 8] = *b"FLTCKPT\0";
/// Version of the checkpoint file layout.
pub const CHECKPOINT_VERSION: u8 = 1;
const HEADER_BYTES: usize = 8 + 1 + 8 + 8;
const CRC_BYTES: usize = 4;

/// File name of checkpoint `generation`.
pub fn checkpoint_name(generation: u64) -> String {
    format!("ckpt-{generation:020}.ckpt")
}

/// File name of checkpoint `generation` while it is being written.
pub fn temp_name(generation: u64) -> String {
    format!("ckpt-{generation:020}.tmp")
}

pub fn parse_checkpoint_name(name: &str) -> Option<u64> {
    parse_generation(name, "ckpt-", ".ckpt")
}

pub fn is_temp_name(name: &str) -> bool {
    parse_generation(name, "ckpt-", ".tmp").is_some()
}

/// Serialises checkpoint `generation` holding `ops`.
pub fn encode(generation: u64, ops: &[WalOp]) -> Vec<u8> {
    let body = encode_ops(ops);
    let mut out = Vec::with_capacity(HEADER_BYTES + CRC_BYTES + body.len());
    out.extend_from_slice(&MAGIC);
    out.push(CHECKPOINT_VERSION);
    out.extend_from_slice(&generation.to_le_bytes());
    out.extend_from_slice(&(body.len() as u64).to_le_bytes());
    let crc = crc32c::crc32c_append(crc32c::crc32c(&out), &body);
    out.extend_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(&body);
    out
}

/// Parses a checkpoint file, verifying magic, checksum, version and that it is `generation`.
pub fn decode(bytes: &[u8], generation: u64) -> Result<Vec<WalOp>> {
    let bad = |reason: String| Error::Decode {
        what: "checkpoint",
        reason,
    };
    if bytes.len() < HEADER_BYTES + CRC_BYTES {
        return Err(bad(format!(
            "{} bytes is shorter than the header",
            bytes.len()
        )));
    }
    let (header, rest) = bytes.split_at(HEADER_BYTES);
    if header[..8] != MAGIC {
        return Err(bad("bad magic".into()));
    }
    let u64_at = |at: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&header[at..at + 8]);
        u64::from_le_bytes(b)
    };
    let body_len = u64_at(17);
    let (crc_bytes, body) = rest.split_at(CRC_BYTES);
    if body.len() as u64 != body_len {
        return Err(bad(format!(
            "body is {} bytes, header says {body_len}",
            body.len()
        )));
    }
    let stored = u32::from_le_bytes([crc_bytes[0], crc_bytes[1], crc_bytes[2], crc_bytes[3]]);
    let computed = crc32c::crc32c_append(crc32c::crc32c(header), body);
    if stored != computed {
        return Err(bad(format!(
            "checksum mismatch (stored {stored:#010x}, computed {computed:#010x})"
        )));
    }
    if header[8] != CHECKPOINT_VERSION {
        return Err(Error::UnsupportedVersion {
            what: "checkpoint",
            found: header[8],
            supported: CHECKPOINT_VERSION,
        });
    }
    let found = u64_at(9);
    if found != generation {
        return Err(bad(format!(
            "file of generation {generation} holds generation {found}"
        )));
    }
    decode_ops(body)
}

/// Writes checkpoint `generation` and its empty WAL segment durably (see the module doc).
/// On error the caller must stop writing: the sync, rename or directory sync may have half
/// happened, and what is durable is unknown until recovery looks.
pub(crate) fn install(
    vfs: &dyn Vfs,
    dir: &Path,
    generation: u64,
    ops: &[WalOp],
) -> Result<(), VfsError> {
    let tmp = dir.join(temp_name(generation));
    let bytes = encode(generation, ops);
    if let Err(e) = vfs
        .create(&tmp)
        .and_then(|()| vfs.write_at(&tmp, 0, &bytes))
    {
        // Nothing points at the temp file; recovery deletes leftovers anyway.
        let _ = vfs.remove(&tmp);
        return Err(e);
    }
    vfs.sync(&tmp)?;
    vfs.rename(&tmp, &dir.join(checkpoint_name(generation)))?;
    vfs.create(&dir.join(segment_name(generation)))?;
    vfs.sync_dir(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_rejections() {
        let ops = vec![WalOp::DropCollection { collection_id: 4 }];
        let bytes = encode(3, &ops);
        assert_eq!(decode(&bytes, 3).unwrap(), ops);
        assert!(matches!(decode(&bytes, 4), Err(Error::Decode { .. })));
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 0x10;
            assert!(decode(&bad, 3).is_err(), "flip at {i} not caught");
        }
        assert!(decode(&bytes[..bytes.len() - 1], 3).is_err());
        assert_eq!(parse_checkpoint_name(&checkpoint_name(12)), Some(12));
        assert!(is_temp_name(&temp_name(12)));
    }

    #[test]
    fn newer_version_with_valid_checksum_is_a_typed_error() {
        let mut bytes = encode(1, &[]);
        bytes[8] = CHECKPOINT_VERSION + 1;
        let crc = crc32c::crc32c_append(crc32c::crc32c(&bytes[..HEADER_BYTES]), &bytes[29..]);
        bytes[25..29].copy_from_slice(&crc.to_le_bytes());
        assert!(matches!(
            decode(&bytes, 1),
            Err(Error::UnsupportedVersion {
                what: "checkpoint",
                ..
            })
        ));
    }
}
