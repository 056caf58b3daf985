//! The runtime's dialogs driven the way the owner drives them: an update
//! in, what they are told and what WhatsApp is asked out.

mod keywords;
mod owner;
mod skipped;
