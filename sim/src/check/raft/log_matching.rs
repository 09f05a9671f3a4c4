//! Log matching (Ongaro & Ousterhout 2014, §5.3, Figure 3: if two logs contain an entry with
//! the same index and term, the logs are identical in all entries up through that index), with
//! entries named by their full log id:
//!
//! - one log id, one payload: every node that appends (or recovers) an entry with a log id
//!   reports the same payload digest for it;
//! - one log id, one predecessor: the entry before it in the appending node's log is the same
//!   everywhere. By induction this is the whole-prefix property, checked in O(1) per entry at
//!   the moment each entry enters a log.
//!
//! Not verified: entries no node reported appending or recovering (a log replaced wholesale by a
//! snapshot install is judged at the snapshot's last log id only); the digest covers the entry's
//! payload as the adapter encodes it, not the bytes on the wire.

use std::collections::BTreeMap;

use super::{Check, Cluster, Findings, at_event};
use crate::check::observation::{EntryRef, LogRef, NodeId, Observation, RaftEvent};
use crate::check::raft::cluster::NodeState;
use crate::check::violation::Property;
use crate::history::Time;

/// Where a fact about a log id was first seen.
#[derive(Debug, Clone, Copy)]
struct Seen<T> {
    value: T,
    node: NodeId,
    at: Time,
}

#[derive(Debug, Default)]
pub(super) struct LogMatching {
    digests: BTreeMap<LogRef, Seen<u64>>,
    predecessors: BTreeMap<LogRef, Seen<Option<LogRef>>>,
}

impl LogMatching {
    fn entry(
        &mut self,
        event: &RaftEvent,
        e: &EntryRef,
        pred: Option<Option<LogRef>>,
    ) -> Option<String> {
        let id = e.log_id;
        let first = *self.digests.entry(id).or_insert(Seen {
            value: e.digest,
            node: event.node,
            at: event.at,
        });
        if first.value != e.digest {
            return Some(format!(
                "holds {id} with payload digest {:#018x}, but node {} held it with {:#018x} (at {})",
                e.digest, first.node, first.value, first.at
            ));
        }
        let pred = pred?;
        let first = *self.predecessors.entry(id).or_insert(Seen {
            value: pred,
            node: event.node,
            at: event.at,
        });
        (first.value != pred).then(|| {
            format!(
                "holds {id} after {}, but node {} held it after {} (at {})",
                show(pred),
                first.node,
                show(first.value),
                first.at
            )
        })
    }
}

fn show(id: Option<LogRef>) -> String {
    id.map_or_else(|| "the start of the log".to_string(), |l| l.to_string())
}

/// The log id before `index` in `node`'s log: `Some(None)` at the very start, `None` when the
/// node's log does not say (a gap, which `consistency` reports).
fn predecessor(
    node: Option<&NodeState>,
    purged: Option<LogRef>,
    index: u64,
) -> Option<Option<LogRef>> {
    let Some(before) = index.checked_sub(1) else {
        return Some(None);
    };
    if let Some(e) = node.and_then(|n| n.entry(before)) {
        return Some(Some(e.log_id));
    }
    purged.filter(|p| p.index == before).map(Some)
}

impl Check for LogMatching {
    fn before(&mut self, cluster: &Cluster, event: &RaftEvent, out: &mut Findings) {
        let (entries, node, purged) = match &event.event {
            Observation::Appended { entries } => {
                let node = cluster
                    .node(event.node)
                    .filter(|n| n.incarnation == event.incarnation);
                (entries, node, node.and_then(|n| n.purged))
            }
            // A recovered log stands alone: its first entry follows its purge point.
            Observation::Recovered {
                entries, purged, ..
            } => (entries, None, *purged),
            _ => return,
        };
        let mut last: Option<LogRef> = None;
        for e in entries {
            let index = e.log_id.index;
            let pred = match last {
                Some(l) if l.index + 1 == index => Some(Some(l)),
                _ => predecessor(node, purged, index),
            };
            if let Some(why) = self.entry(event, e, pred) {
                out.push(at_event(Property::LogMatching, event, why));
                return;
            }
            last = Some(e.log_id);
        }
    }
}
