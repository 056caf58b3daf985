//! The Pawang bot: the front door every Telegram user talks to, the
//! tenant that runs one WhatsApp account, and the import of the old bot's
//! accounts.

pub mod exit;
pub mod front_door;
pub mod import;
pub mod layout;
pub mod phone;
pub mod protocol;
pub mod retry;
pub mod server;
pub mod standalone;
pub mod store;
pub mod telegram;
pub mod tenant;
pub mod whatsapp;
