//! The progress display shared by `run` and `fuzz`: an indicatif bar (or spinner, when the
//! length is unknown) with seeds/s and seeds that did not pass so far, drawn on stderr only when
//! stdout is a terminal, so piped or CI output stays clean.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use faultline_scenarios::result::SeedResult;

/// A bar over `len` seeds, or a spinner when `len` is `None`.
pub fn bar(len: Option<u64>) -> ProgressBar {
    let target = if std::io::stdout().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let (pb, template) = match len {
        Some(n) => (
            ProgressBar::with_draw_target(Some(n), target),
            "[{elapsed_precise}] {wide_bar} {pos}/{len} seeds  {per_sec}  {msg}",
        ),
        None => (
            ProgressBar::with_draw_target(None, target),
            "{spinner} [{elapsed_precise}] {pos} seeds  {per_sec}  {msg}",
        ),
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        pb.set_style(style);
    }
    pb.set_message("0 not passed");
    pb
}

/// Prints a line without tearing the bar (a hidden bar just prints).
pub fn say(pb: &ProgressBar, line: &str) {
    pb.suspend(|| println!("{line}"));
}

/// The per-seed callback of a campaign: advances `pb` by one seed and, for a seed that did not
/// pass, prints its status line and counts it in the bar's message.
pub fn on_seed_done(pb: &ProgressBar) -> impl Fn(&SeedResult) + Sync + '_ {
    let not_passed = AtomicU64::new(0);
    move |r: &SeedResult| {
        if let Some(why) = &r.reason {
            let n = not_passed.fetch_add(1, Ordering::Relaxed) + 1;
            pb.set_message(format!("{n} not passed"));
            let status = r.status.name().to_uppercase();
            say(
                pb,
                &format!("{status} {} seed {}: {why}", r.scenario, r.seed),
            );
        }
        pb.inc(1);
    }
}

/// The default number of jobs: every core.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
