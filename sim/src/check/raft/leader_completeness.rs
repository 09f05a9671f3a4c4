//! Leader completeness (Ongaro & Ousterhout 2014, §5.4, Figure 3: if a log entry is committed
//! in a given term, that entry will be present in the logs of the leaders for all higher terms),
//! in openraft's order of leader ids (the same term included): every leader, at the moment it
//! is elected, holds every entry any node had recorded committed before — at the same index,
//! with the same log id (or covered by its snapshot and purge point).

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
        let missing: Vec<&LogRef> = cluster
            .committed
            .values()
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
