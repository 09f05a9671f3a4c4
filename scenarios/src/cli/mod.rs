//! The `faultline` subcommands: one module per subcommand, each with a clap `Args` struct and
//! a `run` function. This file owns the top-level parser, dispatch and exit codes.
//!
//! Exit codes: 0 success (every history linearizable, every seed passed), 1 a violation was
//! found (a failing seed), 2 bad usage or unreadable input, 3 undecided (a budget ran out
//! before an answer).

mod bugs;
mod check;
mod fuzz;
mod list;
mod plan;
mod progress;
mod replay_trace;
mod report;
mod repro;
mod run;
mod shrink;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
    /// Run seeds of a scenario (or all) and summarise; exits 1 if any seed failed.
    Run(run::RunArgs),
    /// Replay one seed (or a plan file) here, write its report and print the verdict.
    Repro(repro::ReproArgs),
    /// Random scenarios and seeds until the time is up; failures go to the corpus.
    Fuzz(fuzz::FuzzArgs),
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
    /// Run a plan read from stdin and print its trace hash and trace (fresh-process replays).
    #[command(hide = true, name = "replay-trace")]
    ReplayTrace(replay_trace::ReplayTraceArgs),
}

/// How a subcommand ended, mapped to the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Violation,
    Undecided,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check(args) => check::run(&args),
        Command::Run(args) => run::run(&args),
        Command::Repro(args) => repro::run(&args),
        Command::Fuzz(args) => fuzz::run(&args),
        Command::List(args) => list::run(&args),
        Command::Plan(args) => plan::run(&args),
        Command::Shrink(args) => shrink::run(&args),
        Command::Report(args) => report::run(&args),
        Command::ReplayTrace(args) => replay_trace::run(&args),
        Command::Bugs(args) => bugs::run(&args),
    };
    match result {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::Violation) => ExitCode::from(1),
        Ok(Outcome::Undecided) => ExitCode::from(3),
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
}
