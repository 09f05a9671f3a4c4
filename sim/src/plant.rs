//! Harness plants: failures of the *harness* (not of the system under test) that the seed
//! watchdog and the runner must turn into findings — a hang, a checker panic, an abort of the
//! seed's process, a seed that eats memory. A plan names one in its hidden `plant` field;
//! only a build with the `harness-plants` feature acts on it (`run::run_plan_with` starts it
//! in the same code paths a real failure would take). A default build refuses any plan that
//! names a plant, so the plants cannot change a normal build's behaviour.
//!
//! This file owns the names; `run` owns where each plant strikes.

use std::fmt;
use std::str::FromStr;

/// One harness plant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plant {
    /// A task inside the simulation that keeps re-waking itself (`yield_now` in a loop), so
    /// simulated time never reaches its limit: only the wall-clock watchdog can stop it.
    Hang,
    /// The checks panic (a harness bug, reported as `harness-panic`).
    CheckerPanic,
    /// The seed's process aborts mid-simulation (only `--isolate` survives it).
    Abort,
    /// A task inside the simulation allocates (and touches) memory until stopped.
    Oom,
    /// A task blocks the seed's thread in synchronous code for a minute of wall-clock time:
    /// no await point, so the watchdog can only abandon (or, isolated, kill) the seed.
    Stuck,
}

impl Plant {
    pub const ALL: [Plant; 5] = [
        Plant::Hang,
        Plant::CheckerPanic,
        Plant::Abort,
        Plant::Oom,
        Plant::Stuck,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Plant::Hang => "hang",
            Plant::CheckerPanic => "checker-panic",
            Plant::Abort => "abort",
            Plant::Oom => "oom",
            Plant::Stuck => "stuck",
        }
    }
}

impl fmt::Display for Plant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A plant name that does not exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownPlant(pub String);

impl fmt::Display for UnknownPlant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let known: Vec<&str> = Plant::ALL.iter().map(|p| p.name()).collect();
        write!(
            f,
            "unknown harness plant {:?}; known: {}",
            self.0,
            known.join(", ")
        )
    }
}

impl std::error::Error for UnknownPlant {}

impl FromStr for Plant {
    type Err = UnknownPlant;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Plant::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| UnknownPlant(s.to_string()))
    }
}

/// Whether a plan may name `plant` in this build: only a `harness-plants` build accepts one,
/// and only a known name. The message names the problem for `PlanError::invalid`.
pub fn check(plant: Option<&str>) -> Result<Option<Plant>, String> {
    let Some(name) = plant else {
        return Ok(None);
    };
    if cfg!(feature = "harness-plants") {
        name.parse()
            .map(Some)
            .map_err(|e: UnknownPlant| e.to_string())
    } else {
        Err(format!(
            "this build has no harness plants (plan names {name:?}): rebuild with `--features harness-plants`"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for p in Plant::ALL {
            assert_eq!(p.name().parse::<Plant>(), Ok(p));
        }
        assert!("nope".parse::<Plant>().is_err());
        assert_eq!(check(None), Ok(None));
    }

    #[cfg(not(feature = "harness-plants"))]
    #[test]
    fn a_default_build_refuses_every_plant() {
        for p in Plant::ALL {
            assert!(
                check(Some(p.name()))
                    .unwrap_err()
                    .contains("harness-plants")
            );
        }
    }

    #[cfg(feature = "harness-plants")]
    #[test]
    fn a_plants_build_accepts_known_names_only() {
        assert_eq!(check(Some("hang")), Ok(Some(Plant::Hang)));
        assert!(
            check(Some("nope"))
                .unwrap_err()
                .contains("unknown harness plant")
        );
    }
}
