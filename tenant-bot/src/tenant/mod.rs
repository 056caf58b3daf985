//! One WhatsApp account's runtime.

pub mod http;
pub mod settings;

pub use settings::Settings;
