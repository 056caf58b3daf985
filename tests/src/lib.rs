//! Test support for Pawang's end-to-end tests: the local control plane
//! (built from upstream sources by `controlplane/build.sh` and started by
//! `controlplane/cluster.sh`), helpers to use it from Rust, the operator as
//! a process, and stand-ins for services this machine cannot reach.
#![allow(clippy::expect_used)] // test support: a broken harness fails the test

pub mod audit;
pub mod cluster;
pub mod operator;
pub mod stub_tenant;
pub mod wait;

pub use cluster::Cluster;
pub use operator::Operator;
