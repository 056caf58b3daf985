//! The committed CRDs must be what the types generate.

use std::path::PathBuf;

#[test]
fn committed_crd_matches_the_types() {
    // Read where Cargo runs the test from, not where it was compiled: a
    // cached build may come from a checkout elsewhere.
    let crate_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    let path = crate_dir.join("../deploy/crds").join(crds::CRD_FILE);
    let committed = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}; run `make crds`", path.display()));
    let generated = crds::crd_yaml().unwrap();
    assert!(
        committed == generated,
        "{} is out of date with crds/src; run `make crds`",
        path.display()
    );
}
