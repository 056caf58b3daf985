//! One WhatsApp account's runtime.

pub mod settings;

pub use settings::Settings;
