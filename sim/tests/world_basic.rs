//! World acceptance, the basics: a single-member group commits and serves (item 1), an engine
//! apply fault surfaces to the client (2), a three-member group applies every committed op on
//! every voter (5). Each over `FAULTLINE_SEEDS` seeds (default 20), each seed run twice.
#![cfg(madsim)]

mod common;

use common::{harness, scenarios};

/// Item 1.
#[test]
fn world_single_member() {
    harness::check("single_member", scenarios::single_member);
}

/// Item 2.
#[test]
fn world_apply_fault() {
    harness::check("apply_fault", scenarios::apply_fault);
}

/// Item 5.
#[test]
fn world_three_member_apply() {
    harness::check("three_member_apply", scenarios::three_member_apply);
}
