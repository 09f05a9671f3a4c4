//! Where each harness plant (`crate::plant`) strikes in a run: the hang, the abort, the memory
//! hog and the stuck thread are tasks of the simulation itself, started at the beginning of the seed's main
//! task; the checker panic fires inside the same `catch_unwind` the real checks run in. In a
//! build without the `harness-plants` feature both functions do nothing (and `Plan::validate`
//! refuses any plan that names a plant).

use crate::plant::Plant;

/// Chunk the memory hog allocates per simulated millisecond.
#[cfg(feature = "harness-plants")]
const HOG_CHUNK: usize = 16 << 20;

/// The hog stops growing here (8 GiB), so a watchdog that failed to stop it shows up as a
/// seed that passed, not as a machine out of memory.
#[cfg(feature = "harness-plants")]
const HOG_MAX_CHUNKS: usize = 512;

/// Starts the plants that live inside the simulation. Must run inside the seed's runtime.
pub(super) fn start_in_simulation(plant: Option<Plant>) {
    #[cfg(feature = "harness-plants")]
    {
        use std::task::Poll;
        use std::time::Duration;
        match plant {
            Some(Plant::Hang) => {
                // Always ready: madsim never gets to check its simulated time limit.
                madsim::task::spawn_local(std::future::poll_fn(|cx| {
                    cx.waker().wake_by_ref();
                    Poll::<()>::Pending
                }));
            }
            Some(Plant::Abort) => {
                madsim::task::spawn_local(async {
                    madsim::time::sleep(Duration::from_millis(100)).await;
                    std::process::abort();
                });
            }
            Some(Plant::Oom) => {
                madsim::task::spawn_local(async {
                    let mut hog: Vec<Vec<u8>> = Vec::new();
                    while hog.len() < HOG_MAX_CHUNKS {
                        // Non-zero bytes: every page is written, so it is resident.
                        hog.push(vec![1u8; HOG_CHUNK]);
                        madsim::time::sleep(Duration::from_millis(1)).await;
                    }
                    std::future::pending::<()>().await;
                });
            }
            Some(Plant::Stuck) => {
                madsim::task::spawn_local(async {
                    madsim::time::sleep(Duration::from_millis(100)).await;
                    // Real time, on purpose: the seed's thread is blocked, out of reach.
                    std::thread::sleep(Duration::from_secs(60));
                });
            }
            Some(Plant::CheckerPanic) | None => {}
        }
    }
    #[cfg(not(feature = "harness-plants"))]
    let _ = plant;
}

/// The checker-panic plant: called first thing inside the checks' `catch_unwind`.
pub(super) fn in_checks(plant: Option<Plant>) {
    #[cfg(feature = "harness-plants")]
    if plant == Some(Plant::CheckerPanic) {
        panic!("planted checker panic (harness plant `checker-panic`)");
    }
    #[cfg(not(feature = "harness-plants"))]
    let _ = plant;
}
