//! Leader completeness (Ongaro & Ousterhout 2014, §5.4, Figure 3: if a log entry is committed
//! in a given term, that entry will be present in the logs of the leaders for all higher terms):
//! every leader, at the moment it is elected, holds every entry any node had recorded committed
//! in an earlier term — at the same index, with the same log id (or covered by its snapshot and
//! purge point).
//!
//! Not verified: entries committed by another leader of the *same* term (openraft's default
//! leader ids allow two per term; their order is partial), and entries whose first commit
//! report came from a node already in this leader's term or later (the report bounds the
//! committing term from above only).

use super::election_safety::{election, vote_before};
use super::{Check, Cluster, Findings, at_event};
use crate::check::observation::{LogRef, RaftEvent, VoteRef};
use crate::check::violation::Property;

/// How many missing entries one violation names.
const SHOWN: usize = 5;

#[derive(Debug, Default)]
pub(super) struct LeaderCompleteness {
    previous: Option<VoteRef>,
}

impl Check for LeaderCompleteness {
    fn before(&mut self, cluster: &Cluster, event: &RaftEvent, _: &mut Findings) {
        self.previous = vote_before(cluster, event);
    }

    fn after(&mut self, cluster: &Cluster, event: &RaftEvent, out: &mut Findings) {
        let Some((term, leader)) = election(self.previous, event) else {
            return;
        };
        let Some(node) = cluster.node(event.node) else {
            return;
        };
        // Only what was committed in an earlier term binds this leader: a report of its
        // election can arrive after a later term committed more (its vote was stuck on disk).
        let missing: Vec<&LogRef> = cluster
            .committed
            .iter()
            .filter(|(index, _)| cluster.committed_by.get(index).is_some_and(|t| *t < term))
            .map(|(_, id)| id)
            .filter(|id| !node.holds(id))
            .collect();
        if missing.is_empty() {
            return;
        }
        let shown: Vec<String> = missing
            .iter()
            .take(SHOWN)
            .map(|id| match node.entry(id.index) {
                Some(e) => format!("{id} (it holds {} there)", e.log_id),
                None => format!("{id} (it holds nothing there)"),
            })
            .collect();
        out.push(at_event(
            Property::LeaderCompleteness,
            event,
            format!(
                "became leader T{term}-N{leader} without {} committed entr{}: {}{}",
                missing.len(),
                if missing.len() == 1 { "y" } else { "ies" },
                shown.join(", "),
                if missing.len() > SHOWN { ", …" } else { "" }
            ),
        ));
    }
}
