//! On-disk framing of the durable log store: checksummed records and the valid-prefix scan.
//!
//! A record on disk is `[len: u32 LE][crc32c(body): u32 LE][body]`, where the body is the
//! postcard encoding of one [`LogRecord`] (log file) or [`MetaRecord`] (vote file). Recovery
//! reads records until the first one that is short, fails its checksum or fails to decode; that
//! point is the end of the valid prefix, and everything after it (a torn or corrupt tail) is
//! discarded. A record is never interpreted unless its checksum matched.

use openraft::{LogId, Vote};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::type_config::{Entry, NodeId};

/// Bytes before a record's body: length and checksum.
pub const HEADER_LEN: usize = 8;

/// Largest record body accepted by the scan; a bigger length field is treated as corruption
/// instead of an allocation request.
pub const MAX_RECORD_LEN: usize = 256 << 20;

/// One record of the append-only log file. Truncation and purging are logged, not done in place,
/// so every change is a single append + sync.
///
/// `E` is the entry as held: owned when read back, borrowed (`LogRecord<&Entry>`, the same
/// bytes) when written, so writing an entry does not copy it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum LogRecord<E = Entry> {
    /// A log entry. Appending index `i` never happens without a prior truncate of `i..`.
    Entry(E),
    /// Entries with index `>= since` are removed.
    Truncate { since: u64 },
    /// Entries up to and including this log id are purged (covered by a snapshot).
    Purge(LogId<NodeId>),
}

/// A record as written: its entry borrowed.
pub type LogRecordRef<'a> = LogRecord<&'a Entry>;

/// The content of the vote file, replaced atomically as a whole.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetaRecord {
    pub vote: Option<Vote<NodeId>>,
    pub committed: Option<LogId<NodeId>>,
}

/// Why a record could not be encoded.
#[derive(Debug, thiserror::Error)]
#[error("cannot encode log record: {0}")]
pub struct EncodeError(#[from] postcard::Error);

/// Append the framed encoding of `value` to `out`.
pub fn encode_into<T: Serialize>(value: &T, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    let start = out.len();
    // Room for the whole record up front: a buffer grown by doubling copies itself each time.
    out.reserve(HEADER_LEN + postcard::experimental::serialized_size(value)?);
    out.extend_from_slice(&[0u8; HEADER_LEN]);
    let mut buf = postcard::to_extend(value, std::mem::take(out))?;
    let body_len = buf.len() - start - HEADER_LEN;
    let crc = crc32c::crc32c(&buf[start + HEADER_LEN..]);
    // A body this large is refused on read, so refusing it on write keeps the two in step.
    let len32 = u32::try_from(body_len)
        .ok()
        .filter(|&l| (l as usize) <= MAX_RECORD_LEN)
        .ok_or(EncodeError(postcard::Error::SerializeBufferFull))?;
    buf[start..start + 4].copy_from_slice(&len32.to_le_bytes());
    buf[start + 4..start + 8].copy_from_slice(&crc.to_le_bytes());
    *out = buf;
    Ok(())
}

/// The result of scanning a byte string for records.
#[derive(Debug)]
pub struct Scan<T> {
    /// Every valid record, with the offset it starts at.
    pub records: Vec<(u64, T)>,
    /// Length of the valid prefix: where the next record would go.
    pub valid_len: u64,
    /// Whether bytes after the valid prefix were discarded (torn or corrupt tail).
    pub tail_discarded: bool,
}

/// Read records from `bytes` until the end or the first invalid one.
pub fn scan<T: DeserializeOwned>(bytes: &[u8]) -> Scan<T> {
    let mut records = Vec::new();
    let mut pos = 0usize;
    while let Some((value, next)) = decode_at(bytes, pos) {
        records.push((pos as u64, value));
        pos = next;
    }
    Scan {
        records,
        valid_len: pos as u64,
        tail_discarded: pos < bytes.len(),
    }
}

/// Decode the record at `pos`, returning it and the offset after it; `None` if it is not valid.
fn decode_at<T: DeserializeOwned>(bytes: &[u8], pos: usize) -> Option<(T, usize)> {
    let header = bytes.get(pos..pos.checked_add(HEADER_LEN)?)?;
    let len = u32::from_le_bytes(header[..4].try_into().ok()?) as usize;
    let crc = u32::from_le_bytes(header[4..].try_into().ok()?);
    if len > MAX_RECORD_LEN {
        return None;
    }
    let body_start = pos + HEADER_LEN;
    let body = bytes.get(body_start..body_start.checked_add(len)?)?;
    if crc32c::crc32c(body) != crc {
        return None;
    }
    let value = postcard::from_bytes(body).ok()?;
    Some((value, body_start + len))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(term: u64) -> MetaRecord {
        MetaRecord {
            vote: Some(Vote::new(term, 1)),
            committed: None,
        }
    }

    #[test]
    fn records_round_trip_and_scan_stops_at_a_torn_tail() {
        let mut bytes = Vec::new();
        for t in 1..=3 {
            encode_into(&meta(t), &mut bytes).unwrap();
        }
        let full = bytes.len();
        let s: Scan<MetaRecord> = scan(&bytes);
        assert_eq!(s.records.len(), 3);
        assert_eq!(s.valid_len as usize, full);
        assert!(!s.tail_discarded);

        // Tear the last record anywhere: the first two survive, the tail is discarded.
        for cut in (full - 5)..full {
            let s: Scan<MetaRecord> = scan(&bytes[..cut]);
            assert_eq!(s.records.len(), 2, "cut at {cut}");
            assert!(s.tail_discarded);
        }
    }

    #[test]
    fn an_entry_written_borrowed_reads_back_owned() {
        use faultline_engine::op::WalOp;
        use openraft::{CommittedLeaderId, EntryPayload};

        use crate::type_config::Command;

        let entry = Entry {
            log_id: LogId::new(CommittedLeaderId::new(3, 1), 17),
            payload: EntryPayload::Normal(Command::new(
                5,
                WalOp::Upsert {
                    collection_id: 2,
                    external_id: 9,
                    vector: vec![7; 16],
                    payload: b"{}".to_vec(),
                },
            )),
        };
        let (mut borrowed, mut owned) = (Vec::new(), Vec::new());
        encode_into(&LogRecordRef::Entry(&entry), &mut borrowed).unwrap();
        encode_into(&LogRecord::Entry(entry.clone()), &mut owned).unwrap();
        assert_eq!(borrowed, owned);
        let s: Scan<LogRecord> = scan(&borrowed);
        assert!(matches!(&s.records[..], [(0, LogRecord::Entry(e))] if *e == entry));
        assert_eq!(s.valid_len as usize, borrowed.len());
    }

    #[test]
    fn a_flipped_bit_is_never_decoded() {
        let mut bytes = Vec::new();
        encode_into(&meta(9), &mut bytes).unwrap();
        for i in 0..bytes.len() {
            for bit in 0..8 {
                let mut b = bytes.clone();
                b[i] ^= 1 << bit;
                let s: Scan<MetaRecord> = scan(&b);
                // Either rejected, or (a length-field flip that happens to still frame) equal.
                for (_, r) in &s.records {
                    assert_eq!(r, &meta(9));
                }
            }
        }
    }
}
