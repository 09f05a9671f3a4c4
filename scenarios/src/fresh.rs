//! Fresh-process replay: runs a plan in a newly spawned `faultline` process and brings back
//! its trace hash and trace. Process-wide state (lazy initialisers, per-thread RNG counters)
//! differs between a long sweep and a one-seed process; only a fresh process shows whether a
//! seed replays the way a user's `faultline repro` will.
//!
//! The protocol is the hidden `faultline replay-trace` subcommand: the plan's JSON on stdin,
//! one [`Replay`] JSON object on stdout.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use faultline_sim::check::violation::Property;
use faultline_sim::plan::Plan;
use faultline_sim::run::{RunResult, run_plan};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The hidden subcommand a fresh process is started with.
pub const SUBCOMMAND: &str = "replay-trace";

/// What a replay reports back: the fingerprint (which covers the verdict), whether it passed,
/// and the run's transcript (trace, reports, samples, probes, digests, verdict), so a mismatch
/// can name the first line at which the runs parted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Replay {
    pub trace_hash: String,
    pub ok: bool,
    pub trace: Vec<String>,
    /// The properties the replay violated (what a shrunk plan must still fail with).
    #[serde(default)]
    pub properties: Vec<Property>,
}

impl From<&RunResult> for Replay {
    fn from(r: &RunResult) -> Self {
        Replay {
            trace_hash: r.verdict.trace_hash.clone(),
            ok: r.verdict.passed(),
            trace: r.transcript(),
            properties: r.verdict.properties(),
        }
    }
}

/// Why a fresh-process replay produced no answer.
#[derive(Debug, Error)]
pub enum FreshError {
    #[error("could not start {exe}: {source}")]
    Spawn {
        exe: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("talking to the replay process failed: {0}")]
    Pipe(#[source] std::io::Error),
    #[error("the replay process exited with {status}: {stderr}")]
    Exit { status: String, stderr: String },
    #[error("the replay process printed something that is not a replay: {0}")]
    Output(#[source] serde_json::Error),
    #[error("not a plan: {0}")]
    Plan(#[from] faultline_sim::plan::PlanError),
}

/// Runs `plan` in a fresh `exe replay-trace` process.
pub fn replay_fresh(exe: &Path, plan: &Plan) -> Result<Replay, FreshError> {
    let mut child = Command::new(exe)
        .arg(SUBCOMMAND)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| FreshError::Spawn {
            exe: exe.to_path_buf(),
            source,
        })?;
    // The child reads all of stdin before it writes anything, so writing first cannot
    // deadlock on a full stdout pipe.
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(plan.to_json().as_bytes())
            .map_err(FreshError::Pipe)?;
    }
    let out = child.wait_with_output().map_err(FreshError::Pipe)?;
    if !out.status.success() {
        return Err(FreshError::Exit {
            status: out.status.to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    serde_json::from_slice(&out.stdout).map_err(FreshError::Output)
}

/// The child's side: reads a plan from `input`, runs it, writes the [`Replay`] to `output`.
pub fn serve(mut input: impl Read, mut output: impl Write) -> Result<(), FreshError> {
    let mut text = String::new();
    input.read_to_string(&mut text).map_err(FreshError::Pipe)?;
    let plan = Plan::from_json(&text)?;
    let replay = Replay::from(&run_plan(&plan));
    serde_json::to_writer(&mut output, &replay).map_err(FreshError::Output)?;
    output.write_all(b"\n").map_err(FreshError::Pipe)
}
