//! Running a plan in a child `faultline` process: fresh-process replays (determinism checks,
//! confirming a failure before it is recorded) and `--isolate`d campaign seeds. Process-wide
//! state (lazy initialisers, per-thread RNG counters) differs between a long sweep and a
//! one-seed process; only a fresh process shows whether a seed replays the way a user's
//! `faultline repro` will, and only a child process survives a seed that aborts or leaks.
//!
//! The protocol is the hidden `faultline replay-trace` subcommand: the plan's JSON on stdin,
//! one [`Replay`] JSON object on stdout. The parent is the child's watchdog: it waits with a
//! wall-clock limit and samples the child's resident memory, and kills a child that passes
//! either ([`FreshError::Killed`]); a child that dies by itself is [`FreshError::Exit`].

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use faultline_sim::check::violation::Property;
use faultline_sim::plan::Plan;
use faultline_sim::run::{RunResult, StopCause, Verdict, run_plan};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use wait_timeout::ChildExt;

use crate::memory::{Bytes, rss_of};

/// The hidden subcommand a fresh process is started with.
pub const SUBCOMMAND: &str = "replay-trace";

/// The flag that leaves the trace out of the answer (isolated runs that only need the verdict).
pub const NO_TRACE: &str = "--no-trace";

/// How often the parent looks at the child's memory while it waits.
const POLL: Duration = Duration::from_millis(20);

/// The most of the child's stderr kept for an error message.
const STDERR_TAIL: usize = 4096;

/// What a replay reports back: the fingerprint (which covers the verdict), whether it passed,
/// and the run's transcript (trace, reports, samples, probes, digests, verdict), so a mismatch
/// can name the first line at which the runs parted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Replay {
    pub trace_hash: String,
    pub ok: bool,
    /// Empty when the replay was asked for no trace.
    pub trace: Vec<String>,
    /// The properties the replay violated (what a shrunk plan must still fail with).
    #[serde(default)]
    pub properties: Vec<Property>,
    /// The whole verdict (older children did not send one).
    #[serde(default)]
    pub verdict: Option<Verdict>,
}

impl Replay {
    fn of(r: &RunResult, trace: bool) -> Self {
        Replay {
            trace_hash: r.verdict.trace_hash.clone(),
            ok: r.verdict.passed(),
            trace: if trace { r.transcript() } else { Vec::new() },
            properties: r.verdict.properties(),
            verdict: Some(r.verdict.clone()),
        }
    }
}

/// Limits of one child run.
#[derive(Debug, Clone)]
pub struct ChildLimits {
    /// The child is killed after this much wall-clock time.
    pub wall: Duration,
    /// The child is killed when its resident memory passes this many bytes.
    pub memory: Option<Bytes>,
    /// Ask for the trace too (determinism comparisons need it).
    pub trace: bool,
}

/// Why a child run produced no answer.
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
    /// The parent killed the child for passing a limit.
    #[error("{message}")]
    Killed { cause: StopCause, message: String },
    /// The child died (a signal) or exited with an error by itself.
    #[error("the replay process exited with {status}: {stderr}")]
    Exit {
        status: String,
        /// The signal that killed it (Unix), if one did.
        signal: Option<i32>,
        code: Option<i32>,
        stderr: String,
    },
    #[error("the replay process printed something that is not a replay: {0}")]
    Output(#[source] serde_json::Error),
    #[error("not a plan: {0}")]
    Plan(#[from] faultline_sim::plan::PlanError),
}

/// Runs `plan` in a fresh `exe replay-trace` process under `limits`.
pub fn run_child(exe: &Path, plan: &Plan, limits: &ChildLimits) -> Result<Replay, FreshError> {
    let mut command = Command::new(exe);
    command.arg(SUBCOMMAND);
    if !limits.trace {
        command.arg(NO_TRACE);
    }
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // Its own process group: a Ctrl-C at the terminal reaches the campaign, which winds down,
    // not the children, which would otherwise all die as findings.
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command.spawn().map_err(|source| FreshError::Spawn {
        exe: exe.to_path_buf(),
        source,
    })?;
    // The child reads all of stdin before it writes anything, so writing first cannot
    // deadlock; a child that died before reading shows up below as its exit.
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(plan.to_json().as_bytes());
    }
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let killed = watch(&mut child, limits);
    let status = child.wait().map_err(FreshError::Pipe)?;
    let out = stdout.join().unwrap_or_default();
    let err = stderr.join().unwrap_or_default();
    if let Some(e) = killed {
        return Err(e);
    }
    if !status.success() {
        let tail = String::from_utf8_lossy(&err[err.len().saturating_sub(STDERR_TAIL)..])
            .trim()
            .to_string();
        #[cfg(unix)]
        let signal = std::os::unix::process::ExitStatusExt::signal(&status);
        #[cfg(not(unix))]
        let signal = None;
        return Err(FreshError::Exit {
            status: status.to_string(),
            signal,
            code: status.code(),
            stderr: tail,
        });
    }
    serde_json::from_slice(&out).map_err(FreshError::Output)
}

/// Waits for the child, killing it at the wall-clock limit or when its memory passes the
/// limit; returns why it was killed, if it was.
fn watch(child: &mut Child, limits: &ChildLimits) -> Option<FreshError> {
    // The watchdog measures real time; it runs outside any simulation.
    #[allow(clippy::disallowed_methods)]
    let started = Instant::now();
    loop {
        match child.wait_timeout(POLL) {
            Ok(Some(_)) | Err(_) => return None,
            Ok(None) => {}
        }
        let killed = if started.elapsed() >= limits.wall {
            Some(FreshError::Killed {
                cause: StopCause::WallClock,
                message: format!(
                    "wall-clock limit of {:.1}s exceeded: the watchdog killed the seed's process",
                    limits.wall.as_secs_f64()
                ),
            })
        } else {
            let rss = rss_of(child.id());
            match (limits.memory, rss) {
                (Some(limit), Some(rss)) if rss > limit.0 => Some(FreshError::Killed {
                    cause: StopCause::Memory,
                    message: format!(
                        "memory limit of {limit} exceeded: the seed's process held {}; the watchdog killed it",
                        Bytes(rss)
                    ),
                }),
                _ => None,
            }
        };
        if killed.is_some() {
            let _ = child.kill();
            return killed;
        }
    }
}

/// Reads a child's pipe to its end on a thread of its own (outside any simulation), so a
/// chatty child never blocks on a full pipe while the parent waits for it.
fn drain(pipe: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<Vec<u8>> {
    #[allow(clippy::disallowed_methods)]
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut buf);
        }
        buf
    })
}

/// Runs `plan` in a fresh `exe replay-trace` process with its trace, under the default
/// limits the watchdog derives from the plan (and no memory limit).
pub fn replay_fresh(exe: &Path, plan: &Plan) -> Result<Replay, FreshError> {
    let limits = ChildLimits {
        wall: crate::watchdog::derived_wall_limit(plan),
        memory: None,
        trace: true,
    };
    run_child(exe, plan, &limits)
}

/// The child's side: reads a plan from `input`, runs it, writes the [`Replay`] to `output`
/// (without the trace when `trace` is false).
pub fn serve(mut input: impl Read, mut output: impl Write, trace: bool) -> Result<(), FreshError> {
    let mut text = String::new();
    input.read_to_string(&mut text).map_err(FreshError::Pipe)?;
    let plan = Plan::from_json(&text)?;
    let replay = Replay::of(&run_plan(&plan), trace);
    serde_json::to_writer(&mut output, &replay).map_err(FreshError::Output)?;
    output.write_all(b"\n").map_err(FreshError::Pipe)
}
