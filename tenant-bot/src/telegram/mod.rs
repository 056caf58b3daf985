//! Telegram UI shared by the front door and the tenants.

pub mod catalog;

pub use catalog::Catalog;
