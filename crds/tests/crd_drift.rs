//! The committed CRD must be what the types generate.

use std::path::Path;

#[test]
fn committed_crd_matches_the_types() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../deploy/crds")
        .join(crds::CRD_FILE);
    let committed = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}; run `make crds`", path.display()));
    let generated = crds::crd_yaml().unwrap();
    assert!(
        committed == generated,
        "{} is out of date with crds/src; run `make crds`",
        path.display()
    );
}
