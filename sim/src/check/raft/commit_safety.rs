//! Commit safety (Ongaro & Ousterhout 2014, §5.3–5.4: an entry is committed once the leader that
//! created it has replicated it on a majority; Ongaro 2014, §4.3: during a joint change, on a
//! majority of both configurations): whenever any node saves a commit point `c`, a majority of
//! every voter set of the membership it acts on already holds that same log id at `c.index` in
//! its **durable** log — flushed, not just appended (or covered by a durable snapshot).
//!
//! Raft's safety rests on this: a later leader must be elected by a quorum that overlaps every
//! quorum that holds a committed entry, and only what is on disk survives the crashes in
//! between. A leader that counts an entry before its own flush, counts a follower's ack of an
//! unflushed entry, or counts with the wrong configuration violates it at the instant it
//! commits, before any client could notice.
//!
//! Which membership: the one the committing leader acted on, which a node that merely learns the
//! commit point cannot name. It is the membership in effect at `c` in the recording node's log
//! or a newer one up to the node's own effective membership. With changes made one server at a
//! time (or through a joint configuration), a commit made under any of them leaves a majority of
//! the oldest or of the newest holding the entry, so the check passes when either has a
//! majority in every voter set, and fails when neither does.
//!
//! Not verified: "durable" is what the node reported flushed; a store that reports a flush it did
//! not make is the log-durability probe's to catch; commit points only learned in memory and never
//! reported; learners (they hold no vote and count for no quorum).

use super::{Check, Cluster, Config, Findings, at_event, is_majority};
use crate::check::observation::{NodeId, Observation, RaftEvent};
use crate::check::violation::Property;

#[derive(Debug, Default)]
pub(super) struct CommitSafety;

impl Check for CommitSafety {
    fn after(&mut self, cluster: &Cluster, event: &RaftEvent, out: &mut Findings) {
        let Observation::CommittedSaved { committed } = &event.event else {
            return;
        };
        let Some(node) = cluster.node(event.node) else {
            return;
        };
        let candidates: Vec<Config> = [node.config_at(committed.index), node.effective_config()]
            .into_iter()
            .flatten()
            .collect();
        if candidates.is_empty() {
            out.push(at_event(
                Property::CommitSafety,
                event,
                format!("saved commit point {committed} while acting on no membership at all"),
            ));
            return;
        }
        let mut short = Vec::new();
        for (config_id, config) in &candidates {
            let lacking: Vec<(&Vec<NodeId>, Vec<NodeId>)> = config
                .configs
                .iter()
                .map(|set| (set, cluster.durable_holders(set, committed)))
                .filter(|(set, holders)| !is_majority(holders.len(), set.len()))
                .collect();
            if lacking.is_empty() {
                return;
            }
            let config_name = config_id.map_or_else(|| "initial".to_string(), |c| c.to_string());
            for (set, holders) in lacking {
                short.push(format!(
                    "of voter set {set:?} (membership {config} of {config_name}) only {holders:?}"
                ));
            }
        }
        let involved: Vec<NodeId> = candidates.iter().flat_map(|(_, c)| c.voters()).collect();
        out.push(
            at_event(
                Property::CommitSafety,
                event,
                format!(
                    "saved commit point {committed}, but {} durably hold it: no majority",
                    short.join("; and ")
                ),
            )
            .with_nodes(involved),
        );
    }
}
