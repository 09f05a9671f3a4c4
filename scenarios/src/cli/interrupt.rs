//! SIGTERM and SIGINT for campaigns: the first one sets a flag that `run`, `fuzz` and `bugs`
//! check before they start another seed, so the seeds in flight finish (within their watchdog
//! limits), their bookkeeping — a fuzz finding's confirmation and corpus entry — completes, and
//! the summary is printed and written. A second signal exits at once (130 for SIGINT, 143 for
//! SIGTERM), for a campaign someone really wants gone.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result};
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::flag;

/// The campaign's stop flag, set by the first SIGTERM or SIGINT.
#[derive(Debug, Clone)]
pub struct Interrupt(Arc<AtomicBool>);

impl Interrupt {
    /// Installs the handlers (once per process is enough; installing again adds nothing).
    pub fn install() -> Result<Interrupt> {
        let stop = Arc::new(AtomicBool::new(false));
        for (signal, code) in [(SIGINT, 130), (SIGTERM, 143)] {
            // Order matters: the conditional exit sees the flag as it was before this signal.
            flag::register_conditional_shutdown(signal, code, stop.clone())
                .context("installing the signal handlers")?;
            flag::register(signal, stop.clone()).context("installing the signal handlers")?;
        }
        Ok(Interrupt(stop))
    }

    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}
