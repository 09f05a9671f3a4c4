//! The trace's text for a client call: what it asked and what it got back, with every vector
//! written as its length and a digest of its bits instead of its components.
//!
//! A trace line is compared and hashed, never parsed back, so a digest identifies a vector as
//! surely as its text did (a different component changes the digest) at a fraction of the cost:
//! formatting 128 floats per write and per returned record was the harness's biggest single
//! expense. Everything else (ids, names, JSON payloads, scores, errors) stays as readable text.

use std::fmt::Write as _;

use faultline_consensus::{
    Applied, Hit, JsonValue, Record, SearchRequest, WriteRequest, WriteResponse,
};
use faultline_engine::fnv::Fnv1a;

/// Text for the trace.
pub trait Summary {
    fn summary(&self) -> String;
}

/// `f32x<len>#<digest>`: the length and an FNV-1a digest of the components' little-endian bits.
pub fn vector_summary(v: &[f32]) -> String {
    let mut h = Fnv1a::new();
    for x in v {
        h.write(&x.to_le_bytes());
    }
    format!("f32x{}#{:016x}", v.len(), h.finish())
}

fn json(v: &JsonValue) -> String {
    v.0.to_string()
}

impl Summary for WriteRequest {
    fn summary(&self) -> String {
        match self {
            WriteRequest::CreateCollection { name, descriptor } => {
                format!(
                    "create {name} dim={} {:?}",
                    descriptor.dim, descriptor.metric
                )
            }
            WriteRequest::DropCollection { name } => format!("drop {name}"),
            WriteRequest::Upsert {
                collection,
                id,
                vector,
                payload,
            } => format!(
                "upsert {collection}/{id} {} {}",
                vector_summary(vector),
                json(payload)
            ),
            WriteRequest::Delete { collection, id } => format!("delete {collection}/{id}"),
        }
    }
}

impl Summary for Record {
    fn summary(&self) -> String {
        format!(
            "{} {} {}",
            self.id,
            vector_summary(&self.vector),
            json(&self.payload)
        )
    }
}

impl<T: Summary> Summary for Option<T> {
    fn summary(&self) -> String {
        self.as_ref()
            .map_or_else(|| "none".to_string(), Summary::summary)
    }
}

impl Summary for Applied {
    fn summary(&self) -> String {
        match self {
            Applied::NoOp => "no-op".to_string(),
            Applied::CollectionCreated { collection_id } => format!("created {collection_id}"),
            Applied::CollectionDropped => "dropped".to_string(),
            Applied::Upserted { previous } => format!("upserted over {}", previous.summary()),
            Applied::Deleted { previous } => format!("deleted {}", previous.summary()),
            Applied::Rejected { reason } => format!("rejected: {reason}"),
        }
    }
}

impl Summary for WriteResponse {
    fn summary(&self) -> String {
        format!("at {}: {}", self.log_index, self.applied.summary())
    }
}

impl Summary for SearchRequest {
    fn summary(&self) -> String {
        let mut s = format!("k={} query={}", self.k, vector_summary(&self.query));
        if let Some(f) = &self.filter {
            let _ = write!(s, " where {}={}", f.field, json(&f.value));
        }
        let _ = write!(
            s,
            " payload={} vector={}",
            self.with_payload, self.with_vector
        );
        s
    }
}

impl Summary for Vec<Hit> {
    fn summary(&self) -> String {
        let mut s = String::from("[");
        for (i, h) in self.iter().enumerate() {
            if i > 0 {
                s.push_str(", ");
            }
            // The score's bits, not its decimal text: exact, and cheap to write.
            let _ = write!(s, "{}@{:08x}", h.id, h.score.to_bits());
            if let Some(p) = &h.payload {
                let _ = write!(s, " {}", json(p));
            }
            if let Some(v) = &h.vector {
                let _ = write!(s, " {}", vector_summary(v));
            }
        }
        s.push(']');
        s
    }
}

impl Summary for () {
    fn summary(&self) -> String {
        "done".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vector_summary_changes_with_any_component() {
        let a = vector_summary(&[1.0, 2.0, 3.0]);
        assert_eq!(a.len(), "f32x3#".len() + 16);
        assert!(a.starts_with("f32x3#"));
        assert_ne!(a, vector_summary(&[1.0, 2.0, 3.5]));
        assert_ne!(a, vector_summary(&[1.0, 2.0]));
        // -0.0 and 0.0 compare equal as floats but are different writes.
        assert_ne!(vector_summary(&[0.0]), vector_summary(&[-0.0]));
    }
}
