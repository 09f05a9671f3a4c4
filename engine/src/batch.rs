//! `WriteBatch`: several local mutations committed as one WAL record with one sync.
//!
//! This is the engine's group commit: a batch is validated as a whole, written as a single
//! checksummed record and synced once, so it becomes durable (and visible) all or nothing.

use serde_json::Value;

/// Mutations to apply atomically with [`Database::write`](crate::Database::write).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WriteBatch {
    pub(crate) items: Vec<BatchItem>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum BatchItem {
    Upsert {
        collection: String,
        id: u64,
        vector: Vec<f32>,
        payload: Value,
    },
    Delete {
        collection: String,
        id: u64,
    },
}

impl WriteBatch {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn upsert(
        &mut self,
        collection: &str,
        id: u64,
        vector: &[f32],
        payload: Value,
    ) -> &mut Self {
        self.items.push(BatchItem::Upsert {
            collection: collection.to_owned(),
            id,
            vector: vector.to_vec(),
            payload,
        });
        self
    }

    pub fn delete(&mut self, collection: &str, id: u64) -> &mut Self {
        self.items.push(BatchItem::Delete {
            collection: collection.to_owned(),
            id,
        });
        self
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}
