//! The write-ahead log: segment files of checksummed records, each record one committed batch.
//!
//! A segment is `wal-<generation>.log` in the database directory; generation `g` holds every
//! op committed after checkpoint `g` (or, for the first generation, since the database was
//! created). A record is one batch of [`WalOp`](crate::WalOp)s, all-or-nothing: see
//! [`record`] for the framing, [`reader`] for scanning a valid prefix, [`writer`] for the
//! append-then-sync commit.

pub mod reader;
pub mod record;
pub mod writer;

/// File name of the WAL segment of `generation`. Zero-padded so names sort by generation.
pub fn segment_name(generation: u64) -> String {
    format!("wal-{generation:020}.log")
}

/// The generation of a WAL segment file name, if it is one.
pub fn parse_segment_name(name: &str) -> Option<u64> {
    parse_generation(name, "wal-", ".log")
}

/// Parses `<prefix><20 digits><suffix>`.
pub(crate) fn parse_generation(name: &str, prefix: &str, suffix: &str) -> Option<u64> {
    let digits = name.strip_prefix(prefix)?.strip_suffix(suffix)?;
    if digits.len() != 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_names_round_trip_and_sort() {
        assert_eq!(parse_segment_name(&segment_name(7)), Some(7));
        assert!(segment_name(9) < segment_name(10));
        assert_eq!(parse_segment_name("wal-7.log"), None);
        assert_eq!(parse_segment_name("wal-0000000000000000000x.log"), None);
    }
}
