//! The whole product on one machine, without a cluster: the front door
//! with a local account registry, and each account's tenant as a child
//! process.

pub mod registry;
