//! The front door: the one Telegram endpoint of an install. It takes every
//! update, serves users without an account (start, help, language,
//! pairing), keeps each user's accounts and active account, routes every
//! other update to the user's tenant in order, and is the gateway through
//! which tenants reach Telegram, holding the only bot token.

pub mod accounts;
pub mod bot;
pub mod gateway;
pub mod handlers;
pub mod intake;
pub mod metrics;
pub mod routing;
pub mod run;
pub mod schedule;
pub mod settings;
pub mod ui;

pub use settings::Settings;
