//! `faultline list`: the scenario catalog, one line each — name and what it exercises.

use anyhow::Result;
use clap::Args;
use faultline_scenarios::catalog;

use super::Exit;

#[derive(Debug, Args)]
pub struct ListArgs {}

pub fn run(_: &ListArgs) -> Result<Exit> {
    let width = catalog::names().iter().map(|n| n.len()).max().unwrap_or(0);
    for s in catalog::catalog() {
        println!("{:<width$}  {}", s.name(), s.describe());
    }
    Ok(Exit::Success)
}
