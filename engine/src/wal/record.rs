//! WAL record framing:
//! `[len: u32 LE][crc32c: u32 LE][generation: u64 LE][index: u64 LE][body: len bytes]`.
//!
//! The checksum covers everything but itself, so a damaged length is caught too. `generation`
//! and `index` (the record's position in its segment, from 0) make every record valid in exactly
//! one place: a stale, duplicated or misdirected copy of a good record is rejected like a torn
//! one instead of being replayed twice or out of order. The body is a versioned op list
//! ([`crate::op::encode_ops`]). A frame that fails these checks is never decoded: the checks in
//! [`decode_frame`] are the only gate between disk bytes and state.

use crate::error::{Error, Result};
use crate::op::{WalOp, decode_ops, encode_ops};

/// Bytes of framing before each body.
pub const FRAME_HEADER_BYTES: usize = 24;

/// Largest body accepted; also bounds what a damaged length field can make us allocate.
pub const MAX_RECORD_BYTES: usize = 64 << 20;

/// Why bytes at some offset are not a valid frame. These mark the end of the valid prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameError {
    /// Fewer bytes than the header or the declared body.
    Truncated { have: usize, need: usize },
    /// Length zero or over [`MAX_RECORD_BYTES`] (zeros from a hole, or garbage).
    BadLength(u32),
    /// The checksum does not match.
    Checksum { stored: u32, computed: u32 },
    /// A valid record, but not the one that belongs here.
    Misplaced {
        generation: u64,
        index: u64,
        expected: (u64, u64),
    },
}

impl std::fmt::Display for FrameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FrameError::Truncated { have, need } => {
                write!(f, "truncated frame ({have} of {need} bytes)")
            }
            FrameError::BadLength(len) => write!(f, "implausible frame length {len}"),
            FrameError::Checksum { stored, computed } => write!(
                f,
                "checksum mismatch (stored {stored:#010x}, computed {computed:#010x})"
            ),
            FrameError::Misplaced {
                generation,
                index,
                expected,
            } => write!(
                f,
                "record ({generation}, {index}) found where ({}, {}) belongs",
                expected.0, expected.1
            ),
        }
    }
}

/// Checksum of a frame: everything after the checksum field, then the length field.
fn checksum(len_bytes: [u8; 4], position: &[u8], body: &[u8]) -> u32 {
    let crc = crc32c::crc32c_append(crc32c::crc32c(&len_bytes), position);
    crc32c::crc32c_append(crc, body)
}

fn position_bytes(generation: u64, index: u64) -> [u8; 16] {
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&generation.to_le_bytes());
    out[8..].copy_from_slice(&index.to_le_bytes());
    out
}

/// Frames an already-encoded body as record `index` of segment `generation`.
pub fn encode_frame(generation: u64, index: u64, body: &[u8]) -> Vec<u8> {
    let len = u32::try_from(body.len()).expect("callers bound bodies by MAX_RECORD_BYTES");
    let len_bytes = len.to_le_bytes();
    let position = position_bytes(generation, index);
    let mut out = Vec::with_capacity(FRAME_HEADER_BYTES + body.len());
    out.extend_from_slice(&len_bytes);
    out.extend_from_slice(&checksum(len_bytes, &position, body).to_le_bytes());
    out.extend_from_slice(&position);
    out.extend_from_slice(body);
    out
}

/// Encodes a batch as a record body, refusing batches over [`MAX_RECORD_BYTES`].
pub fn encode_body(ops: &[WalOp]) -> Result<Vec<u8>> {
    let body = encode_ops(ops);
    if body.len() > MAX_RECORD_BYTES {
        return Err(Error::BatchTooLarge {
            size: body.len(),
            max: MAX_RECORD_BYTES,
        });
    }
    Ok(body)
}

/// Encodes a batch as record `index` of segment `generation`.
pub fn encode_record(generation: u64, index: u64, ops: &[WalOp]) -> Result<Vec<u8>> {
    Ok(encode_frame(generation, index, &encode_body(ops)?))
}

/// Reads the frame at the start of `buf`, which must be record `index` of segment
/// `generation`: returns its verified body and the bytes consumed.
pub fn decode_frame(buf: &[u8], generation: u64, index: u64) -> Result<(&[u8], usize), FrameError> {
    if buf.len() < FRAME_HEADER_BYTES {
        return Err(FrameError::Truncated {
            have: buf.len(),
            need: FRAME_HEADER_BYTES,
        });
    }
    let len_bytes = [buf[0], buf[1], buf[2], buf[3]];
    let len = u32::from_le_bytes(len_bytes);
    if len == 0 || len as usize > MAX_RECORD_BYTES {
        return Err(FrameError::BadLength(len));
    }
    let need = FRAME_HEADER_BYTES + len as usize;
    if buf.len() < need {
        return Err(FrameError::Truncated {
            have: buf.len(),
            need,
        });
    }
    let stored = u32::from_le_bytes([buf[4], buf[5], buf[6], buf[7]]);
    let position = &buf[8..FRAME_HEADER_BYTES];
    let body = &buf[FRAME_HEADER_BYTES..need];
    let computed = checksum(len_bytes, position, body);
    // Planted: trust a frame whose length fits, whatever its checksum says.
    if stored != computed && !crate::planted!(WalAcceptsTornTail) {
        return Err(FrameError::Checksum { stored, computed });
    }
    let mut word = [0u8; 8];
    word.copy_from_slice(&position[..8]);
    let found_generation = u64::from_le_bytes(word);
    word.copy_from_slice(&position[8..]);
    let found_index = u64::from_le_bytes(word);
    if (found_generation, found_index) != (generation, index) {
        return Err(FrameError::Misplaced {
            generation: found_generation,
            index: found_index,
            expected: (generation, index),
        });
    }
    Ok((body, need))
}

/// Decodes a checksum-verified body. An error here is not a torn tail (the checksum matched):
/// it is a newer format ([`Error::UnsupportedVersion`]) or a bug, and recovery must stop.
pub fn decode_body(body: &[u8]) -> Result<Vec<WalOp>> {
    decode_ops(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_every_single_bit_flip_is_caught() {
        let ops = vec![WalOp::Delete {
            collection_id: 1,
            external_id: 2,
        }];
        let frame = encode_record(3, 4, &ops).unwrap();
        let (body, used) = decode_frame(&frame, 3, 4).unwrap();
        assert_eq!(used, frame.len());
        assert_eq!(decode_body(body).unwrap(), ops);
        for byte in 0..frame.len() {
            for bit in 0..8 {
                let mut bad = frame.clone();
                bad[byte] ^= 1 << bit;
                assert!(
                    decode_frame(&bad, 3, 4).is_err(),
                    "flip at {byte}:{bit} not caught"
                );
            }
        }
        assert!(matches!(
            decode_frame(&frame[..frame.len() - 1], 3, 4),
            Err(FrameError::Truncated { .. })
        ));
        assert_eq!(decode_frame(&[0; 32], 3, 4), Err(FrameError::BadLength(0)));
        assert!(matches!(
            decode_frame(&frame, 3, 5),
            Err(FrameError::Misplaced { index: 4, .. })
        ));
        assert!(matches!(
            decode_frame(&frame, 2, 4),
            Err(FrameError::Misplaced { generation: 3, .. })
        ));
    }
}
