//! The Pawang bot: the front door every Telegram user talks to, and the
//! tenant that runs one WhatsApp account.

pub mod front_door;
pub mod phone;
pub mod shutdown;
pub mod store;
pub mod telegram;
pub mod tenant;
pub mod whatsapp;
