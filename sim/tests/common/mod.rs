//! Shared code of the world acceptance tests (each `world_*.rs` test binary uses a part of it,
//! so the rest is dead code there).
#![allow(dead_code)]

pub mod harness;
pub mod ops;
pub mod scenarios;
