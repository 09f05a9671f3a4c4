//! One vector collection in memory, and the input rules for its names, shapes and vectors.
//!
//! A collection is a map from external id to point (vector + JSON payload), ordered by id so
//! iteration — snapshots, search ties — is deterministic.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::error::{Error, Result};
use crate::op::Descriptor;

/// Longest collection name accepted, in bytes.
pub const MAX_NAME_BYTES: usize = 255;

/// A stored vector and its payload.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Point {
    pub vector: Vec<f32>,
    pub payload: Value,
    /// Euclidean norm, precomputed for cosine search.
    pub norm: f64,
}

impl Point {
    pub fn new(vector: Vec<f32>, payload: Value) -> Self {
        let norm = vector
            .iter()
            .map(|&x| f64::from(x) * f64::from(x))
            .sum::<f64>()
            .sqrt();
        Self {
            vector,
            payload,
            norm,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Collection {
    pub id: u64,
    pub name: String,
    pub descriptor: Descriptor,
    pub points: BTreeMap<u64, Point>,
}

impl Collection {
    pub fn new(id: u64, name: String, descriptor: Descriptor) -> Self {
        Self {
            id,
            name,
            descriptor,
            points: BTreeMap::new(),
        }
    }
}

/// Names are labels, never file names, but must be printable and bounded.
pub(crate) fn validate_name(name: &str) -> Result<()> {
    let reason = if name.is_empty() {
        "empty"
    } else if name.len() > MAX_NAME_BYTES {
        "longer than 255 bytes"
    } else if name.chars().any(char::is_control) {
        "contains a control character"
    } else {
        return Ok(());
    };
    Err(Error::InvalidName {
        name: name.to_owned(),
        reason: reason.to_owned(),
    })
}

pub(crate) fn validate_descriptor(d: &Descriptor, max_dim: u32) -> Result<()> {
    if d.dim == 0 || d.dim > max_dim {
        return Err(Error::InvalidDescriptor {
            reason: format!("dim must be in 1..={max_dim}, got {}", d.dim),
        });
    }
    Ok(())
}

/// Checks a vector against a collection's dimension; NaN and infinities are refused because
/// they make distances (and so the order of search results) meaningless.
pub(crate) fn validate_vector(dim: u32, v: &[f32]) -> Result<()> {
    if v.len() != dim as usize {
        return Err(Error::DimensionMismatch {
            expected: dim,
            found: v.len(),
        });
    }
    if let Some(index) = v.iter().position(|x| !x.is_finite()) {
        return Err(Error::NonFiniteVector { index });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::op::Metric;

    #[test]
    fn names_and_vectors_are_checked() {
        assert!(validate_name("docs").is_ok());
        assert!(validate_name("").is_err());
        assert!(validate_name("a\nb").is_err());
        assert!(validate_name(&"x".repeat(256)).is_err());
        assert!(validate_vector(2, &[1.0, 2.0]).is_ok());
        assert!(matches!(
            validate_vector(2, &[1.0]),
            Err(Error::DimensionMismatch {
                expected: 2,
                found: 1
            })
        ));
        assert!(matches!(
            validate_vector(2, &[1.0, f32::NAN]),
            Err(Error::NonFiniteVector { index: 1 })
        ));
        let d = Descriptor {
            dim: 0,
            metric: Metric::L2,
        };
        assert!(validate_descriptor(&d, 16).is_err());
    }
}
