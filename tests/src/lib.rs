//! Test support for Pawang's end-to-end tests: the local control plane
//! (built from upstream sources by `controlplane/build.sh` and started by
//! `controlplane/cluster.sh`) and helpers to use it from Rust.

pub mod cluster;

pub use cluster::Cluster;
