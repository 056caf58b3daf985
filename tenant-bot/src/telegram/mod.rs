//! Telegram UI shared by the front door and the tenants.

pub mod catalog;
pub mod commands;
pub mod keywords;
pub mod messenger;
pub mod recent;

pub use catalog::Catalog;
pub use keywords::{Keyword, Keywords};
pub use messenger::{Button, Messenger, TelegramMessenger};
pub use recent::RecentUpdates;
