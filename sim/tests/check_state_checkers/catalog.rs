//! Catalog: every refused create of a fresh name is reported with its client, name and the
//! cluster's reason; a run with no refusals is clean.

use faultline_sim::check::catalog::{RefusedCreate, check_catalog};
use faultline_sim::check::violation::Property;

use super::support::only;

#[test]
fn a_refused_fresh_create_is_reported() {
    let refused = RefusedCreate {
        process: 4,
        name: "extra-c4-17".into(),
        reason: "collection id 3 already exists".into(),
        at: 1_500,
    };
    let v = check_catalog(&[refused]);
    let v = only(&v, Property::Catalog);
    assert_eq!(v.keys, ["extra-c4-17"]);
    assert_eq!(v.at, Some(1_500));
    assert!(v.message.contains("client 4"), "{v}");
    assert!(v.message.contains("collection id 3 already exists"), "{v}");
}

#[test]
fn no_refusal_is_clean() {
    assert!(check_catalog(&[]).is_empty());
}
