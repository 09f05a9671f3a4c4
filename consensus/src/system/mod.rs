//! The system seam: which Raft a node runs, and one handle on a running node of either kind.
//!
//! faultline tests Raft-backed storage, not one Raft library. Every node of a world runs the
//! same engine, disk and client API over one of two Raft implementations ([`System`]):
//! openraft 0.9 (`crate::node::Node`) or raft-io 1.0 (`crate::raft_io::RioServer`). The
//! harness reaches either through [`SystemNode`]: its status in one vocabulary
//! ([`NodeStatus`]: term, role, leader, log and applied positions, membership, whether the core
//! stopped), its probes ([`EngineProbe`], [`ProbedLogImage`]) and its lifecycle. Clients talk
//! to both over the same TCP protocol (`crate::client::Client`), and both report into the same
//! observation stream (`crate::observe`).
//!
//! | file | owns |
//! |---|---|
//! | `mod.rs` | [`System`]: the name of a Raft under test |
//! | `status.rs` | [`NodeStatus`]: what the harness reads of a node's Raft, either system |
//! | `probe.rs` | engine and log probes in system-neutral form, and log recovery per system |
//! | `node.rs` | [`SystemNode`]: start, status, probes, bootstrap, shutdown, dispatched |

mod node;
mod probe;
mod status;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub use node::{SystemConfig, SystemNode};
pub use probe::{EngineProbe, LogImageRef, ProbedLogImage, recover_log};
pub use status::{NodeRole, NodeStatus};

/// A Raft implementation under test.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum System {
    /// openraft 0.9 (the default: every plan written before raft-io existed names it).
    #[default]
    Openraft,
    /// raft-io 1.0, a sans-IO Raft core driven by `crate::raft_io`.
    RaftIo,
}

impl System {
    /// Every system, in a fixed order.
    pub const ALL: [System; 2] = [System::Openraft, System::RaftIo];

    /// The kebab-case name plans and the command line use.
    pub fn name(self) -> &'static str {
        match self {
            System::Openraft => "openraft",
            System::RaftIo => "raft-io",
        }
    }

    /// Whether this is the default system (plans then leave the field out).
    pub fn is_default(&self) -> bool {
        *self == System::default()
    }

    /// The command-line flag that selects this system, `None` for the default.
    pub fn flag(self) -> Option<String> {
        (!self.is_default()).then(|| format!("--system {}", self.name()))
    }
}

impl fmt::Display for System {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is no system.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown system {0:?} (known: openraft, raft-io)")]
pub struct UnknownSystem(pub String);

impl FromStr for System {
    type Err = UnknownSystem;

    fn from_str(s: &str) -> Result<System, UnknownSystem> {
        System::ALL
            .into_iter()
            .find(|x| x.name() == s)
            .ok_or_else(|| UnknownSystem(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_from_str_and_serde() {
        for s in System::ALL {
            assert_eq!(s.name().parse::<System>(), Ok(s));
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.name())
            );
        }
        assert!("etcd".parse::<System>().is_err());
        assert_eq!(System::default(), System::Openraft);
        assert_eq!(System::Openraft.flag(), None);
        assert_eq!(System::RaftIo.flag().as_deref(), Some("--system raft-io"));
    }
}
