//! The bare reference the bench compares the standard campaign with: the real openraft on
//! madsim with nothing of faultline's around it (no engine, no disk, no recorder, no checks).
//! [`types`] owns the type configuration, [`store`] the in-memory log, [`state_machine`] the
//! no-op state machine, [`network`] the madsim transport and [`cluster`] one seed.

pub mod cluster;
pub mod network;
pub mod state_machine;
pub mod store;
pub mod types;
