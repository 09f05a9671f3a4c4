//! The bare reference's state machine: applying an entry only records the last applied log id
//! and the last membership, and a snapshot is those two and no data.

use std::io::Cursor;
use std::sync::{Arc, Mutex};

use openraft::storage::{RaftSnapshotBuilder, RaftStateMachine, Snapshot, SnapshotMeta};
use openraft::{BasicNode, EntryPayload, OptionalSend, StoredMembership};

use super::types::{BareConfig, Entry, LogId, NodeId, StorageError, lock};

type Membership = StoredMembership<NodeId, BasicNode>;
type Meta = SnapshotMeta<NodeId, BasicNode>;

#[derive(Debug, Default)]
struct Applied {
    last: Option<LogId>,
    membership: Membership,
    snapshot: Option<Meta>,
    built: u64,
}

/// One node's state machine; clones share it (the snapshot builder is a clone).
#[derive(Debug, Clone, Default)]
pub struct NoopMachine {
    inner: Arc<Mutex<Applied>>,
}

fn empty(meta: Meta) -> Snapshot<BareConfig> {
    Snapshot {
        meta,
        snapshot: Box::new(Cursor::new(Vec::new())),
    }
}

impl RaftSnapshotBuilder<BareConfig> for NoopMachine {
    async fn build_snapshot(&mut self) -> Result<Snapshot<BareConfig>, StorageError> {
        let mut s = lock(&self.inner);
        s.built += 1;
        let meta = Meta {
            last_log_id: s.last,
            last_membership: s.membership.clone(),
            snapshot_id: format!("{}-{}", s.last.map_or(0, |l| l.index), s.built),
        };
        s.snapshot = Some(meta.clone());
        Ok(empty(meta))
    }
}

impl RaftStateMachine<BareConfig> for NoopMachine {
    type SnapshotBuilder = NoopMachine;

    async fn applied_state(&mut self) -> Result<(Option<LogId>, Membership), StorageError> {
        let s = lock(&self.inner);
        Ok((s.last, s.membership.clone()))
    }

    async fn apply<I>(&mut self, entries: I) -> Result<Vec<u64>, StorageError>
    where
        I: IntoIterator<Item = Entry> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        let mut s = lock(&self.inner);
        Ok(entries
            .into_iter()
            .map(|e| {
                s.last = Some(e.log_id);
                if let EntryPayload::Membership(m) = e.payload {
                    s.membership = Membership::new(Some(e.log_id), m);
                }
                e.log_id.index
            })
            .collect())
    }

    async fn get_snapshot_builder(&mut self) -> NoopMachine {
        self.clone()
    }

    async fn begin_receiving_snapshot(&mut self) -> Result<Box<Cursor<Vec<u8>>>, StorageError> {
        Ok(Box::new(Cursor::new(Vec::new())))
    }

    async fn install_snapshot(
        &mut self,
        meta: &Meta,
        _snapshot: Box<Cursor<Vec<u8>>>,
    ) -> Result<(), StorageError> {
        let mut s = lock(&self.inner);
        s.last = meta.last_log_id;
        s.membership = meta.last_membership.clone();
        s.snapshot = Some(meta.clone());
        Ok(())
    }

    async fn get_current_snapshot(&mut self) -> Result<Option<Snapshot<BareConfig>>, StorageError> {
        Ok(lock(&self.inner).snapshot.clone().map(empty))
    }
}
