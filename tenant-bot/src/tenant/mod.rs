//! One WhatsApp account's runtime.

#[cfg(any(test, feature = "fake"))]
pub mod fake_control;
pub mod groups;
pub mod handlers;
pub mod http;
pub mod input;
pub mod jobs;
pub mod metrics;
pub mod pairing;
pub mod run;
pub mod runtime;
pub mod settings;
pub mod status;
pub mod volume;

pub use settings::Settings;
