//! Bad input to any public call is a typed error and changes nothing: not the state, not a
//! byte on disk.

use std::sync::Arc;

use faultline_engine::{
    Database, Descriptor, Error, Filter, Metric, OP_FORMAT_VERSION, Options, SearchParams, SimVfs,
    WalOp, WriteBatch, vector_to_bytes,
};
use serde_json::{Value, json};

fn setup() -> (SimVfs, Database) {
    let disk = SimVfs::new(0);
    let options = Options {
        max_payload_bytes: 256,
        max_dim: 64,
        ..Options::default()
    };
    let mut db = Database::open_with(Arc::new(disk.clone()), "/db", options).unwrap();
    db.create_collection(
        "c",
        Descriptor {
            dim: 3,
            metric: Metric::L2,
        },
    )
    .unwrap();
    db.upsert("c", 1, &[1.0, 2.0, 3.0], json!({"k": "v"}))
        .unwrap();
    (disk, db)
}

/// Runs `f`, which must fail with an input error, and checks nothing changed.
fn rejects(
    db: &mut Database,
    disk: &SimVfs,
    what: &str,
    f: impl FnOnce(&mut Database) -> Result<(), Error>,
    check: impl Fn(&Error) -> bool,
) {
    let snap = db.replication_snapshot();
    let writes = disk.counters().writes;
    let err = f(db).expect_err(what);
    assert!(check(&err), "{what}: unexpected {err:?}");
    assert!(err.is_invalid_input(), "{what}: {err}");
    assert!(!err.to_string().is_empty());
    assert_eq!(db.replication_snapshot(), snap, "{what} changed state");
    assert_eq!(disk.counters().writes, writes, "{what} wrote to disk");
    assert!(db.poisoned().is_none());
}

#[test]
fn every_kind_of_bad_input_is_a_typed_error_that_changes_nothing() {
    let (disk, mut db) = setup();
    let d = Descriptor {
        dim: 3,
        metric: Metric::L2,
    };
    rejects(
        &mut db,
        &disk,
        "wrong dim",
        |db| db.upsert("c", 2, &[1.0], Value::Null),
        |e| {
            matches!(
                e,
                Error::DimensionMismatch {
                    expected: 3,
                    found: 1
                }
            )
        },
    );
    rejects(
        &mut db,
        &disk,
        "nan",
        |db| db.upsert("c", 2, &[1.0, f32::NAN, 0.0], Value::Null),
        |e| matches!(e, Error::NonFiniteVector { index: 1 }),
    );
    rejects(
        &mut db,
        &disk,
        "inf",
        |db| db.upsert("c", 2, &[f32::NEG_INFINITY, 0.0, 0.0], Value::Null),
        |e| matches!(e, Error::NonFiniteVector { index: 0 }),
    );
    rejects(
        &mut db,
        &disk,
        "unknown collection",
        |db| db.upsert("zz", 2, &[1.0; 3], Value::Null),
        |e| matches!(e, Error::UnknownCollection { .. }),
    );
    rejects(
        &mut db,
        &disk,
        "duplicate collection",
        |db| db.create_collection("c", d).map(|_| ()),
        |e| matches!(e, Error::DuplicateCollection { .. }),
    );
    rejects(
        &mut db,
        &disk,
        "drop unknown",
        |db| db.drop_collection("zz"),
        |e| matches!(e, Error::UnknownCollection { .. }),
    );
    rejects(
        &mut db,
        &disk,
        "delete in unknown",
        |db| db.delete("zz", 1).map(|_| ()),
        |e| matches!(e, Error::UnknownCollection { .. }),
    );
    rejects(
        &mut db,
        &disk,
        "oversize payload",
        |db| db.upsert("c", 2, &[1.0; 3], json!("x".repeat(300))),
        |e| matches!(e, Error::PayloadTooLarge { max: 256, .. }),
    );
    rejects(
        &mut db,
        &disk,
        "empty name",
        |db| db.create_collection("", d).map(|_| ()),
        |e| matches!(e, Error::InvalidName { .. }),
    );
    rejects(
        &mut db,
        &disk,
        "zero dim",
        |db| {
            db.create_collection(
                "z",
                Descriptor {
                    dim: 0,
                    metric: Metric::Dot,
                },
            )
            .map(|_| ())
        },
        |e| matches!(e, Error::InvalidDescriptor { .. }),
    );
    rejects(
        &mut db,
        &disk,
        "huge dim",
        |db| {
            db.create_collection(
                "z",
                Descriptor {
                    dim: 65,
                    metric: Metric::Dot,
                },
            )
            .map(|_| ())
        },
        |e| matches!(e, Error::InvalidDescriptor { .. }),
    );
    rejects(
        &mut db,
        &disk,
        "batch with one bad item",
        |db| {
            let mut b = WriteBatch::new();
            b.upsert("c", 5, &[1.0; 3], Value::Null)
                .upsert("c", 6, &[1.0; 2], Value::Null);
            db.write(b)
        },
        |e| matches!(e, Error::DimensionMismatch { .. }),
    );
    rejects(
        &mut db,
        &disk,
        "batch into unknown",
        |db| {
            let mut b = WriteBatch::new();
            b.upsert("c", 5, &[1.0; 3], Value::Null).delete("nope", 1);
            db.write(b)
        },
        |e| matches!(e, Error::UnknownCollection { .. }),
    );
    let upsert = |vector: Vec<u8>, payload: &[u8]| WalOp::Upsert {
        collection_id: 1,
        external_id: 9,
        vector,
        payload: payload.to_vec(),
    };
    rejects(
        &mut db,
        &disk,
        "replicated bad vector bytes",
        |db| db.apply_replicated(upsert(vec![0; 5], b"{}")),
        |e| matches!(e, Error::BadVectorEncoding { len: 5 }),
    );
    rejects(
        &mut db,
        &disk,
        "replicated bad json",
        |db| db.apply_replicated(upsert(vector_to_bytes(&[1.0; 3]), b"{nope")),
        |e| matches!(e, Error::InvalidPayload { .. }),
    );
    rejects(
        &mut db,
        &disk,
        "replicated unknown id",
        |db| db.apply_replicated(WalOp::DropCollection { collection_id: 99 }),
        |e| matches!(e, Error::UnknownCollectionId { id: 99 }),
    );
    rejects(
        &mut db,
        &disk,
        "replicated duplicate id",
        |db| {
            db.apply_replicated(WalOp::CreateCollection {
                collection_id: 1,
                name: "other".into(),
                descriptor: d,
            })
        },
        |e| matches!(e, Error::DuplicateCollectionId { id: 1 }),
    );
    // Searches.
    let bad_searches: Vec<(Vec<f32>, SearchParams)> = vec![
        (vec![1.0; 2], SearchParams::top(1)),
        (vec![f32::NAN; 3], SearchParams::top(1)),
        (vec![1.0; 3], SearchParams::top(0)),
    ];
    for (q, p) in bad_searches {
        assert!(db.search("c", &q, &p).unwrap_err().is_invalid_input());
    }
    assert!(db.search("nope", &[1.0; 3], &SearchParams::top(1)).is_err());
    assert!(db.get("nope", 1).is_err());
    // Filters on missing fields or non-object payloads simply match nothing.
    let mut p = SearchParams::top(5);
    p.filter = Some(Filter::eq("absent", 1));
    assert!(db.search("c", &[0.0; 3], &p).unwrap().is_empty());
    // Deleting a missing point is not an error and writes nothing.
    let writes = disk.counters().writes;
    assert!(!db.delete("c", 12345).unwrap());
    assert_eq!(disk.counters().writes, writes);
}

#[test]
fn unknown_op_versions_are_typed_errors() {
    let op = WalOp::Delete {
        collection_id: 1,
        external_id: 2,
    };
    let mut bytes = op.encode();
    assert_eq!(bytes[0], OP_FORMAT_VERSION);
    assert_eq!(WalOp::decode(&bytes).unwrap(), op);
    bytes[0] = 200;
    let err = WalOp::decode(&bytes).unwrap_err();
    assert!(
        matches!(err, Error::UnsupportedVersion { found: 200, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("version 200"));
}

#[test]
fn a_wal_record_of_a_newer_version_stops_recovery_with_a_typed_error() {
    use faultline_engine::wal::record::encode_frame;
    use faultline_engine::{Vfs, wal::segment_name};
    let disk = SimVfs::new(0);
    let path = std::path::PathBuf::from(format!("/db/{}", segment_name(1)));
    disk.create_dir_all("/db".as_ref()).unwrap();
    disk.create(&path).unwrap();
    // A correctly checksummed record whose body claims format version 9.
    let mut body = WalOp::DropCollection { collection_id: 1 }.encode();
    body[0] = 9;
    disk.append(&path, &encode_frame(1, 0, &body)).unwrap();
    let before = disk.read_all(&path).unwrap();
    let err = Database::open(Arc::new(disk.clone()), "/db").unwrap_err();
    assert!(
        matches!(err, Error::UnsupportedVersion { found: 9, .. }),
        "{err}"
    );
    // Recovery did not "repair" the newer data away.
    assert_eq!(disk.read_all(&path).unwrap(), before);
}
