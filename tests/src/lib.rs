//! Test support for Pawang's end-to-end tests: the local control plane
//! (built from upstream sources by `controlplane/build.sh` and started by
//! `controlplane/cluster.sh`), helpers to use it from Rust, the operator as
//! a process, and stand-ins for services this machine cannot reach.
#![allow(clippy::expect_used)] // test support: a broken harness fails the test

pub mod audit;
pub mod chat;
pub mod cli;
pub mod cluster;
pub mod fake_telegram;
pub mod front_door;
pub mod hygiene;
pub mod old_bot;
pub mod operator;
pub mod owner;
pub mod process;
pub mod prometheus;
pub mod release;
pub mod stack;
pub mod standalone;
pub mod stub_tenant;
pub mod tenants;
pub mod wait;
pub mod whatsapp_server;

pub use cluster::Cluster;

/// A namespaced object kind the tests can get, list and watch.
pub trait Object:
    kube::Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
    + Clone
    + std::fmt::Debug
    + serde::de::DeserializeOwned
    + Send
    + 'static
{
}

impl<K> Object for K where
    K: kube::Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + std::fmt::Debug
        + serde::de::DeserializeOwned
        + Send
        + 'static
{
}
pub use operator::Operator;
