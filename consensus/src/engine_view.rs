//! What a replica's engine says about a write, the same for both systems' state machines: a
//! collection's name by id, and what applying an op observes (the record it replaces).

use faultline_engine::{Database, WalOp};

use crate::api::Record;
use crate::type_config::Applied;

/// The name of the collection with id `collection_id`, if `engine` holds it.
pub fn collection_name(engine: &Database, collection_id: u64) -> Option<String> {
    engine.collection_name_of(collection_id).map(str::to_owned)
}

fn record(engine: &Database, collection_id: u64, id: u64) -> Option<Record> {
    let r = engine.get_by_id(collection_id, id)?;
    Some(Record::from_engine(id, r))
}

/// What applying `op` to `engine` as it stands observes: the record it replaces, if any.
pub fn observe(engine: &Database, op: &WalOp) -> Applied {
    match op {
        WalOp::CreateCollection { collection_id, .. } => Applied::CollectionCreated {
            collection_id: *collection_id,
        },
        WalOp::DropCollection { .. } => Applied::CollectionDropped,
        WalOp::Upsert {
            collection_id,
            external_id,
            ..
        } => Applied::Upserted {
            previous: record(engine, *collection_id, *external_id),
        },
        WalOp::Delete {
            collection_id,
            external_id,
        } => Applied::Deleted {
            previous: record(engine, *collection_id, *external_id),
        },
    }
}
