//! The report page's data model: everything the timeline draws, as plain serialisable data
//! embedded in the page as JSON. A [`View`] is built from a run (`html::run`) or from a
//! foreign history and its check report ([`View::from_history`]); the page's script only reads
//! it, so what a report shows is decided, and tested, here.
//!
//! Times are `f64` in the view's [`TimeUnit`]: simulated milliseconds for runs and for
//! histories with clocks, line numbers for histories without.

use serde::Serialize;

use crate::check::{Report, Verdict as LinVerdict};
use crate::history::{Call, History, Outcome};

/// What a view's times count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TimeUnit {
    /// Milliseconds (simulated, for runs).
    Ms,
    /// Line numbers of a history file without clocks.
    Line,
    /// The history file's own unit, whatever it is.
    Raw,
}

impl TimeUnit {
    /// A history time (ns for `Ms`, a line number for `Line`) in this unit.
    pub fn of(self, t: u64) -> f64 {
        match self {
            TimeUnit::Ms => t as f64 / 1e6,
            TimeUnit::Line | TimeUnit::Raw => t as f64,
        }
    }
}

/// One operation of the history: a bar from invoke to completion in its process's lane.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OpView {
    /// Index in the checked history (violations name operations by it).
    pub index: usize,
    pub process: u64,
    /// `read`, `write`, `delete`, `cas`, `append`.
    pub f: String,
    pub key: Option<String>,
    /// The call as reports print it, e.g. `write["registers/1"] "c2-5"`.
    pub call: String,
    pub start: f64,
    /// When the client learned the outcome; `None`: never (it stays open to the end).
    pub end: Option<f64>,
    /// `ok`, `fail` or `info`.
    pub outcome: String,
    /// What an `ok` returned.
    pub result: Option<String>,
    /// Why a `fail` or `info` ended as it did, when the recorder knows.
    pub error: Option<String>,
}

/// A stretch of one node's life: up or down, and while up its Raft role, term and leader.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeSpan {
    pub from: f64,
    pub to: f64,
    pub up: bool,
    /// The role the node reported (`Leader`, `Follower`, `Candidate`, `Learner`, …); empty
    /// while it is up but has not reported one yet, `down` while it is down.
    pub role: String,
    pub term: u64,
    pub leader: Option<u64>,
}

/// One node's lane.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeLane {
    pub id: u64,
    pub spans: Vec<NodeSpan>,
}

/// A node leading a term, as it saw itself.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeaderSpan {
    pub node: u64,
    pub term: u64,
    pub from: f64,
    pub to: f64,
}

/// A fault the nemesis applied: a window (`to` set) or an instant action (`to` is `None`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FaultView {
    /// The fault's kebab-case name (`partition`, `kill`, …).
    pub name: String,
    /// Its family, for colour: `partition`, `link`, `kill`, `disk`, or `other`.
    pub family: String,
    pub from: f64,
    pub to: Option<f64>,
    /// What the nemesis said it did (or why it skipped).
    pub text: String,
    /// The nodes it named, when it named any.
    pub nodes: Vec<u64>,
    pub skipped: bool,
}

/// A remark of the run at one instant (phases, anything else the trace notes).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NoteView {
    pub at: f64,
    pub text: String,
}

/// A violated property and its evidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ViolationView {
    pub property: String,
    pub message: String,
    /// When it became visible, if it has a time.
    pub at: Option<f64>,
    /// Operations involved; for a linearizability counterexample, those that cannot follow the
    /// prefix.
    pub ops: Vec<usize>,
    /// A linearizability counterexample's longest linearizable prefix, in order.
    pub prefix: Vec<usize>,
    pub keys: Vec<String>,
    pub nodes: Vec<u64>,
    pub detail: Option<String>,
}

/// Everything the page draws.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct View {
    pub title: String,
    /// The headline verdict (`pass`, `fail`, `ok`, `illegal`, …).
    pub status: String,
    pub unit: TimeUnit,
    /// The end of the timeline.
    pub end: f64,
    /// Header facts, in order.
    pub facts: Vec<(String, String)>,
    /// Client processes with a lane, in order.
    pub processes: Vec<u64>,
    pub ops: Vec<OpView>,
    pub nodes: Vec<NodeLane>,
    pub leaders: Vec<LeaderSpan>,
    pub faults: Vec<FaultView>,
    pub notes: Vec<NoteView>,
    pub violations: Vec<ViolationView>,
    /// Processes that are not workload clients (e.g. liveness probes), by lane label.
    pub process_labels: Vec<(u64, String)>,
    /// The plan, for the details panel (runs only).
    pub plan: Option<serde_json::Value>,
}

/// The call's function and key.
pub(crate) fn call_parts(call: &Call) -> (String, Option<String>) {
    (call.function().to_string(), call.key().map(str::to_string))
}

impl View {
    /// An empty view titled `title`.
    pub fn new(title: impl Into<String>, status: impl Into<String>, unit: TimeUnit) -> View {
        View {
            title: title.into(),
            status: status.into(),
            unit,
            end: 0.0,
            facts: Vec::new(),
            processes: Vec::new(),
            ops: Vec::new(),
            nodes: Vec::new(),
            leaders: Vec::new(),
            faults: Vec::new(),
            notes: Vec::new(),
            violations: Vec::new(),
            process_labels: Vec::new(),
            plan: None,
        }
    }

    /// The view of a recorded history (no nodes, no faults) and, when it was checked, the
    /// check's report: its verdict, and each illegal key's counterexample as a violation.
    pub fn from_history(
        title: impl Into<String>,
        history: &History,
        unit: TimeUnit,
        report: Option<&Report>,
    ) -> View {
        let status = match report.map(|r| r.verdict) {
            None => "unchecked",
            Some(LinVerdict::Ok) => "ok",
            Some(LinVerdict::Illegal) => "illegal",
            Some(LinVerdict::Unknown) => "unknown",
        };
        let mut view = View::new(title, status, unit);
        for (index, op) in history.ops.iter().enumerate() {
            let (f, key) = call_parts(&op.call);
            let (outcome, end, result) = match &op.outcome {
                Outcome::Ok { complete, ret } => ("ok", Some(*complete), Some(ret.to_string())),
                Outcome::Fail { complete } => ("fail", Some(*complete), None),
                Outcome::Info { complete } => ("info", *complete, None),
            };
            view.ops.push(OpView {
                index,
                process: op.process,
                f,
                key,
                call: op.call.to_string(),
                start: unit.of(op.invoke),
                end: end.map(|t| unit.of(t)),
                outcome: outcome.to_string(),
                result,
                error: None,
            });
        }
        view.facts
            .push(("operations".into(), history.len().to_string()));
        if let Some(report) = report {
            view.facts.push(("model".into(), report.model.clone()));
            view.facts
                .push(("keys".into(), report.partitions.len().to_string()));
            for c in report.counterexamples() {
                view.violations.push(ViolationView {
                    property: "linearizability".into(),
                    message: format!(
                        "key {:?} is not linearizable ({} model): {} operation(s) cannot follow \
                         the longest linearizable prefix of {}",
                        c.key,
                        report.model,
                        c.stuck.len(),
                        c.prefix.len()
                    ),
                    at: None,
                    ops: c.stuck.iter().map(|s| s.op.index).collect(),
                    prefix: c.prefix.iter().map(|p| p.index).collect(),
                    keys: vec![c.key.clone()],
                    nodes: Vec::new(),
                    detail: Some(c.to_string()),
                });
            }
        }
        view.finish();
        view
    }

    /// Fills in the derived parts: the process lanes and the end of the timeline.
    pub fn finish(&mut self) {
        let mut processes: Vec<u64> = self.ops.iter().map(|o| o.process).collect();
        processes.sort_unstable();
        processes.dedup();
        self.processes = processes;
        let last_op = self
            .ops
            .iter()
            .map(|o| o.end.unwrap_or(o.start))
            .fold(0.0_f64, f64::max);
        let last_span = self
            .nodes
            .iter()
            .flat_map(|n| n.spans.iter().map(|s| s.to))
            .fold(0.0_f64, f64::max);
        let last_fault = self
            .faults
            .iter()
            .map(|f| f.to.unwrap_or(f.from))
            .fold(0.0_f64, f64::max);
        let last_note = self.notes.iter().map(|n| n.at).fold(0.0_f64, f64::max);
        self.end = self
            .end
            .max(last_op)
            .max(last_span)
            .max(last_fault)
            .max(last_note);
        if self.end <= 0.0 {
            self.end = 1.0;
        }
    }
}
