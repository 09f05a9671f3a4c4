//! The `faultline` command line: parses arguments and hands each subcommand to its module in
//! `cli/` (`check`, `run`, `repro`, `shrink`, `report`, `fuzz`, `merge`, `list`, `plan`, `bugs`).

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
