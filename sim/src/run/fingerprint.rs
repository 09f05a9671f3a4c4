//! The seed's fingerprint (its `trace_hash`) and, for a mismatch, its transcript: everything a
//! run did and concluded, in a fixed order — the trace, every node's online reports, the
//! metrics samples, the power probes, each disk's operation digest, each node's network digest
//! and the verdict (all of it but the hash itself).
//!
//! The hash feeds each item's derived `Hash` into FNV-1a, so computing it costs no
//! serialisation; the transcript renders the same items as JSON lines only when two runs must
//! be compared line by line. Equal items give equal hashes, and the first differing line of two
//! transcripts names the first event at which the runs parted.

use std::hash::Hash;

use faultline_engine::fnv::Fnv1a;
use serde::{Deserialize, Serialize};

use super::Verdict;
use crate::check::observation::{EngineRecovery, LogRecovery, MetricsSample, RaftEvent};
use crate::world::observer::WireDigest;
use crate::world::{NodeId, TraceHash};

/// What a disk was asked to do: how many operations, and their running digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DiskDigest {
    pub node: NodeId,
    pub ops: u64,
    pub digest: u64,
}

/// Everything of a run beyond its trace that the fingerprint covers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RunRecord {
    pub observations: Vec<RaftEvent>,
    pub samples: Vec<MetricsSample>,
    pub engine_recoveries: Vec<EngineRecovery>,
    pub log_recoveries: Vec<LogRecovery>,
    pub disks: Vec<DiskDigest>,
    pub wire: Vec<WireDigest>,
}

/// The verdict without its own hash (which cannot cover itself).
fn unhashed(verdict: &Verdict) -> Verdict {
    Verdict {
        trace_hash: String::new(),
        ..verdict.clone()
    }
}

/// The fingerprint of a run.
pub fn fingerprint(
    trace: &[crate::world::trace::Entry],
    record: &RunRecord,
    verdict: &Verdict,
) -> TraceHash {
    let mut h = Fnv1a::new();
    trace.hash(&mut h);
    record.hash(&mut h);
    unhashed(verdict).hash(&mut h);
    TraceHash(h.finish())
}

/// The run as lines: the trace lines, then each section headed `--- <name>`, one JSON item a
/// line.
pub fn transcript(trace_lines: &[String], record: &RunRecord, verdict: &Verdict) -> Vec<String> {
    fn json<T: Serialize>(item: &T) -> String {
        serde_json::to_string(item).unwrap_or_else(|e| format!("{{\"unserialisable\":\"{e}\"}}"))
    }
    fn section<T: Serialize>(out: &mut Vec<String>, name: &str, items: &[T]) {
        out.push(format!("--- {name}"));
        out.extend(items.iter().map(json));
    }
    let mut out = trace_lines.to_vec();
    section(&mut out, "observations", &record.observations);
    section(&mut out, "samples", &record.samples);
    section(&mut out, "engine probes", &record.engine_recoveries);
    section(&mut out, "log probes", &record.log_recoveries);
    section(&mut out, "disks", &record.disks);
    section(&mut out, "network", &record.wire);
    section(&mut out, "verdict", &[unhashed(verdict)]);
    out
}
