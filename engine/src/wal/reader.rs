//! Scanning a WAL segment: the longest valid prefix of records, and where and why it ends.

use crate::error::Result;
use crate::op::WalOp;

use super::record::{FrameError, decode_body, decode_frame};

/// How a scan ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tail {
    /// The bytes ended exactly after the last valid record.
    Clean,
    /// Bytes follow the valid prefix that are not a valid record (a torn or corrupt tail).
    Invalid { offset: u64, reason: String },
}

/// The valid prefix of a segment.
#[derive(Debug, Clone, PartialEq)]
pub struct Scan {
    /// One entry per record (batch), in log order.
    pub batches: Vec<Vec<WalOp>>,
    /// Bytes of the valid prefix; the segment should be truncated to this.
    pub valid_len: u64,
    pub tail: Tail,
}

/// Scans the bytes of segment `generation` from the start. Stops at the first frame that fails
/// framing, its checksum or its position (that frame and everything after it are the tail).
/// Fails only if a verified record does not decode — a newer format or a bug, where guessing
/// would be wrong.
pub fn scan(bytes: &[u8], generation: u64) -> Result<Scan> {
    let mut batches = Vec::new();
    let mut pos = 0usize;
    while pos < bytes.len() {
        match decode_frame(&bytes[pos..], generation, batches.len() as u64) {
            Ok((body, used)) => {
                batches.push(decode_body(body)?);
                pos += used;
            }
            Err(e) => {
                return Ok(Scan {
                    batches,
                    valid_len: pos as u64,
                    tail: Tail::Invalid {
                        offset: pos as u64,
                        reason: describe(&e),
                    },
                });
            }
        }
    }
    Ok(Scan {
        batches,
        valid_len: pos as u64,
        tail: Tail::Clean,
    })
}

fn describe(e: &FrameError) -> String {
    e.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wal::record::encode_record;

    fn op(id: u64) -> WalOp {
        WalOp::Delete {
            collection_id: 1,
            external_id: id,
        }
    }

    #[test]
    fn valid_prefix_stops_at_garbage() {
        let mut bytes = encode_record(7, 0, &[op(1)]).unwrap();
        let first = bytes.len() as u64;
        bytes.extend(encode_record(7, 1, &[op(2), op(3)]).unwrap());
        let full = scan(&bytes, 7).unwrap();
        assert_eq!(full.batches, vec![vec![op(1)], vec![op(2), op(3)]]);
        assert_eq!(full.tail, Tail::Clean);
        let cut = scan(&bytes[..bytes.len() - 3], 7).unwrap();
        assert_eq!(cut.batches, vec![vec![op(1)]]);
        assert_eq!(cut.valid_len, first);
        assert!(matches!(cut.tail, Tail::Invalid { offset, .. } if offset == first));
        // The same records in another segment, or repeated, are not valid there.
        assert!(scan(&bytes, 8).unwrap().batches.is_empty());
        let mut doubled = bytes[..first as usize].to_vec();
        doubled.extend_from_slice(&bytes[..first as usize]);
        assert_eq!(scan(&doubled, 7).unwrap().batches.len(), 1);
    }
}
