//! `WalOp`: the unit of replication and of the WAL, and its versioned binary encoding.
//!
//! A Raft follower applies exactly these ops (`Database::apply_replicated`), the WAL stores
//! them, and a snapshot (`Database::replication_snapshot`) and a checkpoint are lists of them.
//! Vectors travel as little-endian `f32` bytes and payloads as JSON bytes, so an op is plain
//! bytes that any serde format (postcard here, whatever the log store picks) can carry.
//!
//! [`WalOp::encode`] / [`WalOp::decode`] prefix the postcard encoding with
//! [`OP_FORMAT_VERSION`]; decoding any other version is [`Error::UnsupportedVersion`].

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::fnv::Fnv1a;

/// Version byte in front of every encoded op (and op list). Bump on any layout change.
pub const OP_FORMAT_VERSION: u8 = 1;

/// How vectors in a collection are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Metric {
    /// Euclidean distance; smaller is closer.
    L2,
    /// Cosine similarity; larger is closer. A zero vector has similarity 0 to everything.
    Cosine,
    /// Dot product; larger is closer.
    Dot,
}

/// Shape of a collection's vectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Descriptor {
    /// Number of `f32` components per vector (>= 1).
    pub dim: u32,
    pub metric: Metric,
}

/// One committed mutation. The leader assigns collection ids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum WalOp {
    CreateCollection {
        collection_id: u64,
        name: String,
        descriptor: Descriptor,
    },
    DropCollection {
        collection_id: u64,
    },
    Upsert {
        collection_id: u64,
        external_id: u64,
        /// `dim` little-endian `f32`s.
        #[serde(with = "serde_bytes")]
        vector: Vec<u8>,
        /// A JSON document.
        #[serde(with = "serde_bytes")]
        payload: Vec<u8>,
    },
    Delete {
        collection_id: u64,
        external_id: u64,
    },
}

impl WalOp {
    /// Versioned binary encoding of one op.
    pub fn encode(&self) -> Vec<u8> {
        encode_versioned(self)
    }

    /// Feeds [`WalOp::encode`]'s bytes to `hasher` without building them: the same digest as
    /// hashing the encoding, for observers that fingerprint every replicated entry.
    pub fn digest_into(&self, hasher: &mut Fnv1a) {
        hasher.write(&[OP_FORMAT_VERSION]);
        // Hashing never fails, so neither can serialising into it.
        let _ = postcard::serialize_with_flavor(self, HashingFlavor(hasher));
    }

    /// Decodes [`WalOp::encode`]'s output; rejects other versions, garbage and trailing bytes.
    pub fn decode(bytes: &[u8]) -> Result<WalOp> {
        decode_versioned(bytes, "op")
    }

    /// The collection this op touches.
    pub fn collection_id(&self) -> u64 {
        match self {
            WalOp::CreateCollection { collection_id, .. }
            | WalOp::DropCollection { collection_id }
            | WalOp::Upsert { collection_id, .. }
            | WalOp::Delete { collection_id, .. } => *collection_id,
        }
    }
}

/// A postcard output that hashes what it is given instead of storing it.
struct HashingFlavor<'a>(&'a mut Fnv1a);

impl postcard::ser_flavors::Flavor for HashingFlavor<'_> {
    type Output = ();

    fn try_push(&mut self, byte: u8) -> postcard::Result<()> {
        self.0.write(&[byte]);
        Ok(())
    }

    fn try_extend(&mut self, bytes: &[u8]) -> postcard::Result<()> {
        self.0.write(bytes);
        Ok(())
    }

    fn finalize(self) -> postcard::Result<()> {
        Ok(())
    }
}

/// Versioned encoding of a list of ops (a WAL record body, a checkpoint body).
pub fn encode_ops(ops: &[WalOp]) -> Vec<u8> {
    encode_versioned(&ops)
}

/// Decodes [`encode_ops`]'s output.
pub fn decode_ops(bytes: &[u8]) -> Result<Vec<WalOp>> {
    decode_versioned(bytes, "op list")
}

fn encode_versioned<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    // Serialising plain enums, integers, strings and byte vectors cannot fail. Sizing first
    // costs one walk that copies nothing (byte vectors count as their length) and saves the
    // doubling reallocations of a growing buffer, each a copy of everything so far.
    let size = postcard::experimental::serialized_size(value)
        .expect("sizing a postcard encoding is infallible");
    let mut out = Vec::with_capacity(1 + size);
    out.push(OP_FORMAT_VERSION);
    postcard::to_extend(value, out).expect("postcard encoding into a Vec is infallible")
}

fn decode_versioned<T: for<'de> Deserialize<'de>>(bytes: &[u8], what: &'static str) -> Result<T> {
    let (&version, body) = bytes.split_first().ok_or_else(|| Error::Decode {
        what,
        reason: "empty input".into(),
    })?;
    if version != OP_FORMAT_VERSION {
        return Err(Error::UnsupportedVersion {
            what,
            found: version,
            supported: OP_FORMAT_VERSION,
        });
    }
    let (value, rest) = postcard::take_from_bytes(body).map_err(|e| Error::Decode {
        what,
        reason: e.to_string(),
    })?;
    if !rest.is_empty() {
        return Err(Error::Decode {
            what,
            reason: format!("{} trailing bytes", rest.len()),
        });
    }
    Ok(value)
}

/// Little-endian bytes of a vector, as carried by [`WalOp::Upsert`].
pub fn vector_to_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// Parses [`vector_to_bytes`]'s output (length must be a multiple of 4).
pub fn vector_from_bytes(bytes: &[u8]) -> Result<Vec<f32>> {
    if !bytes.len().is_multiple_of(4) {
        return Err(Error::BadVectorEncoding { len: bytes.len() });
    }
    Ok(bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> WalOp {
        WalOp::Upsert {
            collection_id: 3,
            external_id: 42,
            vector: vector_to_bytes(&[1.0, -2.5]),
            payload: br#"{"a":1}"#.to_vec(),
        }
    }

    #[test]
    fn op_round_trips_and_rejects_other_versions() {
        let op = sample();
        let bytes = op.encode();
        assert_eq!(WalOp::decode(&bytes).unwrap(), op);
        let mut bumped = bytes.clone();
        bumped[0] = OP_FORMAT_VERSION + 1;
        assert!(matches!(
            WalOp::decode(&bumped),
            Err(Error::UnsupportedVersion { found, .. }) if found == OP_FORMAT_VERSION + 1
        ));
        let mut trailing = bytes;
        trailing.push(0);
        assert!(matches!(
            WalOp::decode(&trailing),
            Err(Error::Decode { .. })
        ));
        assert!(matches!(WalOp::decode(&[]), Err(Error::Decode { .. })));
    }

    #[test]
    fn the_digest_is_the_hash_of_the_encoding() {
        let ops = [
            sample(),
            WalOp::CreateCollection {
                collection_id: 1,
                name: "c".into(),
                descriptor: Descriptor {
                    dim: 2,
                    metric: Metric::Cosine,
                },
            },
            WalOp::Delete {
                collection_id: 3,
                external_id: 42,
            },
        ];
        for op in ops {
            let mut streamed = Fnv1a::new();
            op.digest_into(&mut streamed);
            assert_eq!(streamed.finish(), crate::fnv::fnv1a(&op.encode()), "{op:?}");
        }
    }

    #[test]
    fn byte_fields_encode_as_postcard_byte_strings() {
        // `serde_bytes` must not change the layout: a length, then the bytes as they are.
        let op = sample();
        let bytes = op.encode();
        let vector = vector_to_bytes(&[1.0, -2.5]);
        let at = bytes
            .windows(vector.len() + 1)
            .position(|w| w[0] == 8 && w[1..] == vector[..]);
        assert!(at.is_some(), "{bytes:?}");
    }

    #[test]
    fn vectors_round_trip_and_bad_lengths_are_rejected() {
        let v = [0.0, 1.5, -3.25, f32::MAX];
        assert_eq!(vector_from_bytes(&vector_to_bytes(&v)).unwrap(), v);
        assert!(matches!(
            vector_from_bytes(&[0, 0, 0]),
            Err(Error::BadVectorEncoding { len: 3 })
        ));
    }
}
