//! The `faultline` subcommands: one module per subcommand, each with a clap `Args` struct and
//! a `run` function. This file owns the top-level parser, dispatch and exit codes.
//!
//! Exit codes: 0 success (every history linearizable, every seed passed), 1 a violation was
//! found (a failing seed), 2 bad usage or unreadable input, 3 undecided (a budget ran out
//! before an answer: an `unknown` seed), 4 vacuous (a seed did not exercise its scenario).
//! `--allow-unknown` / `--allow-vacuous` let 3 and 4 exit 0; a failure always wins.

mod bench;
mod bugs;
#[cfg(feature = "planted-bugs")]
mod bugs_shrink;
mod check;
mod fuzz;
mod interrupt;
mod list;
mod merge;
mod plan;
mod progress;
mod replay_trace;
mod report;
mod repro;
mod run;
mod shrink;
mod switches;
mod watch;

#[cfg(test)]
mod deploy_tests;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use faultline_sim::run::Status;

/// Deterministic fault-injection testbed for Raft-backed storage.
#[derive(Debug, Parser)]
#[command(name = "faultline", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check recorded histories for linearizability.
    Check(check::CheckArgs),
    /// Run seeds of a scenario (or all) and summarise; exits 0 only if every seed passed.
    Run(run::RunArgs),
    /// Replay one seed (or a plan file) here, write its report and print the verdict.
    Repro(repro::ReproArgs),
    /// Random scenarios and seeds until the time is up; failures go to the corpus.
    Fuzz(fuzz::FuzzArgs),
    /// Combine the --json summaries of a campaign's shards into one table and exit code.
    Merge(merge::MergeArgs),
    /// List the scenarios of the catalog.
    List(list::ListArgs),
    /// Print the plan a seed of a scenario expands into (JSON).
    Plan(plan::PlanArgs),
    /// Shrink a failing seed (or plan) to a small plan that fails with the same property.
    Shrink(shrink::ShrinkArgs),
    /// Draw (again) the index.html timeline of existing report directories.
    Report(report::ReportArgs),
    /// Measure how fast campaigns catch each planted bug (a `--features planted-bugs` build).
    Bugs(bugs::BugsArgs),
    /// Measure the campaign's CPU cost per acknowledged op against the system alone and a bare
    /// openraft on madsim.
    Bench(bench::BenchArgs),
    /// Run a plan read from stdin and print its trace hash and trace (fresh-process replays).
    #[command(hide = true, name = "replay-trace")]
    ReplayTrace(replay_trace::ReplayTraceArgs),
}

/// How a subcommand ended, mapped to the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Success,
    Violation,
    Undecided,
    Vacuous,
}

impl From<Status> for Exit {
    /// A campaign's worst counted status (see `summary::Gate`).
    fn from(s: Status) -> Exit {
        match s {
            Status::Pass => Exit::Success,
            Status::Fail => Exit::Violation,
            Status::Unknown => Exit::Undecided,
            Status::Vacuous => Exit::Vacuous,
        }
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check(args) => check::run(&args),
        Command::Run(args) => run::run(&args),
        Command::Repro(args) => repro::run(&args),
        Command::Fuzz(args) => fuzz::run(&args),
        Command::Merge(args) => merge::run(&args),
        Command::List(args) => list::run(&args),
        Command::Plan(args) => plan::run(&args),
        Command::Shrink(args) => shrink::run(&args),
        Command::Report(args) => report::run(&args),
        Command::ReplayTrace(args) => replay_trace::run(&args),
        Command::Bugs(args) => bugs::run(&args),
        Command::Bench(args) => bench::run(&args),
    };
    match result {
        Ok(Exit::Success) => ExitCode::SUCCESS,
        Ok(Exit::Violation) => ExitCode::from(1),
        Ok(Exit::Undecided) => ExitCode::from(3),
        Ok(Exit::Vacuous) => ExitCode::from(4),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use super::{Cli, Command};

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn check_takes_model_format_and_files() {
        let cli = Cli::try_parse_from([
            "faultline",
            "check",
            "--model",
            "append-kv",
            "--format",
            "edn-kv",
            "--every-key",
            "a.txt",
            "b.txt",
        ])
        .expect("valid arguments");
        let Command::Check(args) = cli.command else {
            panic!("parsed as another subcommand");
        };
        assert_eq!(args.files.len(), 2);
        assert!(
            Cli::try_parse_from([
                "faultline",
                "check",
                "--model",
                "queue",
                "--format",
                "json",
                "a"
            ])
            .is_err()
        );
        assert!(
            Cli::try_parse_from([
                "faultline",
                "check",
                "--model",
                "register",
                "--format",
                "json"
            ])
            .is_err()
        );
    }

    #[test]
    fn plan_running_commands_take_a_system() {
        for args in [
            &[
                "run",
                "--scenario",
                "all",
                "--seeds",
                "2",
                "--system",
                "raft-io",
            ][..],
            &[
                "repro",
                "--scenario",
                "partition",
                "--seed",
                "1",
                "--system",
                "raft-io",
            ],
            &["repro", "--plan", "p.json", "--system", "openraft"],
            &["fuzz", "--duration", "2m", "--system", "raft-io"],
            &["bugs", "--system", "raft-io"],
        ] {
            let argv = std::iter::once("faultline").chain(args.iter().copied());
            if let Err(e) = Cli::try_parse_from(argv) {
                panic!("{args:?}: {e}");
            }
        }
        assert!(
            Cli::try_parse_from([
                "faultline",
                "run",
                "--scenario",
                "all",
                "--seeds",
                "2",
                "--system",
                "etcd"
            ])
            .is_err()
        );
    }

    #[test]
    fn campaigns_take_shard_json_and_watchdog_flags() {
        for args in [
            &["run", "--scenario", "all", "--seeds", "9", "--shard", "1/3"][..],
            &[
                "run",
                "--scenario",
                "partition",
                "--seeds",
                "2",
                "--json",
                "s.json",
            ],
            &[
                "run",
                "--scenario",
                "all",
                "--seeds",
                "2",
                "--allow-unknown",
                "--allow-vacuous",
            ],
            &[
                "run",
                "--scenario",
                "all",
                "--seeds",
                "2",
                "--isolate",
                "--seed-timeout",
                "90s",
            ],
            &[
                "run",
                "--scenario",
                "all",
                "--seeds",
                "2",
                "--memory-limit",
                "2GiB",
            ],
            &[
                "fuzz",
                "--duration",
                "2m",
                "--shard",
                "0/2",
                "--json",
                "s.json",
            ],
            &["fuzz", "--duration", "2m", "--seed-base", "77", "--isolate"],
            &["bugs", "--shard", "1/2", "--json", "s.json"],
            &["bugs", "--json"],
            &["merge", "a.json", "b.json", "--markdown"],
        ] {
            let argv = std::iter::once("faultline").chain(args.iter().copied());
            if let Err(e) = Cli::try_parse_from(argv) {
                panic!("{args:?}: {e}");
            }
        }
        assert!(Cli::try_parse_from(["faultline", "merge"]).is_err());
        assert!(
            Cli::try_parse_from([
                "faultline",
                "run",
                "--scenario",
                "all",
                "--seeds",
                "1",
                "--memory-limit",
                "lots"
            ])
            .is_err()
        );
    }
}
