//! The whole product on one machine, without a cluster: the front door
//! with a local account registry, and each account's tenant as a child
//! process of a supervisor, files in the old bot's layout.

pub mod registry;
pub mod run;
pub mod supervisor;

pub use run::Settings;
