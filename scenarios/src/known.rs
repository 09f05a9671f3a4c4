//! Known bugs of the systems under test: violations a campaign finds in a Raft library (not in
//! faultline), each confirmed by a standalone reproduction and written up in
//! `docs/findings/`. A violation a known bug explains is still a failure — the library does
//! break the property — but a test that runs a system with open bugs can tell the findings it
//! expects from new ones ([`unexplained`]).
//!
//! A finding is matched by the system, the violated property and a fragment of the checker's
//! message (the summary line a checker adds when it stops listing a property's violations is
//! matched by property alone). That is coarse on purpose: it names the symptom the finding's
//! write-up proves, so a new bug with the same symptom hides behind it until the library is
//! fixed — the finding's own repro test fails that day, and the entry must go.

use faultline_sim::check::violation::{Property, Violation};
use faultline_sim::plan::System;

/// A confirmed bug of a system under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownBug {
    pub system: System,
    /// The finding's short name (`docs/findings/<name>.md`).
    pub name: &'static str,
    /// The property its violations break.
    pub property: Property,
    /// A fragment of the checker's message for one of its violations.
    pub message: &'static str,
    /// The standalone reproduction (`crate-dir/tests/file.rs::test`).
    pub repro: &'static str,
}

/// Every known bug, by system.
pub const KNOWN_BUGS: &[KnownBug] = &[
    KnownBug {
        system: System::RaftIo,
        name: "raft-io-commit-index-regression",
        property: Property::MonotonicCommit,
        message: "commit point went back from",
        repro: "consensus/tests/raft_io_step_repro.rs::known_bug_a_duplicate_append_entries_lowers_the_commit_index",
    },
    KnownBug {
        system: System::RaftIo,
        name: "raft-io-election-drops-learners",
        property: Property::Membership,
        // A node acting on learners its configuration entry does not carry.
        message: " learners [",
        repro: "consensus/tests/raft_io_step_repro.rs::known_bug_an_election_no_op_drops_the_learners",
    },
];

/// The known bug of `system` that explains `violation`, if one does.
pub fn explain(system: System, violation: &Violation) -> Option<&'static KnownBug> {
    KNOWN_BUGS.iter().find(|b| {
        b.system == system
            && b.property == violation.property
            && (violation.message.contains(b.message)
                || violation
                    .message
                    .ends_with("violations of this run are not listed"))
    })
}

/// The violations no known bug of `system` explains.
pub fn unexplained(system: System, violations: &[Violation]) -> Vec<&Violation> {
    violations
        .iter()
        .filter(|v| explain(system, v).is_none())
        .collect()
}

/// The known bugs of `system` that explain some of `violations`, each once, in table order.
pub fn explained(system: System, violations: &[Violation]) -> Vec<&'static KnownBug> {
    KNOWN_BUGS
        .iter()
        .filter(|b| {
            violations
                .iter()
                .any(|v| explain(system, v).is_some_and(|k| k == *b))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_symptom_is_explained_only_for_its_system() {
        let v = Violation::new(
            Property::MonotonicCommit,
            "node 2 (incarnation 1): commit point went back from T1-N0.98 to T1-N0.97",
        );
        assert_eq!(
            explain(System::RaftIo, &v).map(|b| b.name),
            Some("raft-io-commit-index-regression")
        );
        assert!(explain(System::Openraft, &v).is_none());
        let other = Violation::new(Property::CommitSafety, "commit point went back from");
        assert_eq!(unexplained(System::RaftIo, &[v.clone(), other]).len(), 1);
        assert_eq!(explained(System::RaftIo, &[v]).len(), 1);
        let learners = Violation::new(
            Property::Membership,
            "after the liveness phase node 2 acts on [1, 2, 3] learners [8] of T4-N0.278, \
             but the leader 2 committed [1, 2, 3] of T4-N0.278",
        );
        assert_eq!(
            explain(System::RaftIo, &learners).map(|b| b.name),
            Some("raft-io-election-drops-learners")
        );
    }

    #[test]
    fn every_known_bug_has_its_write_up() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        for b in KNOWN_BUGS {
            let doc = root.join(format!("docs/findings/{}.md", b.name));
            assert!(
                doc.is_file(),
                "{} has no write-up at {}",
                b.name,
                doc.display()
            );
            let (file, _) = b.repro.split_once("::").unwrap();
            assert!(root.join(file).is_file(), "{}: no {file}", b.name);
        }
    }
}
