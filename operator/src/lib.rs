//! The Pawang operator: turns each `WhatsAppAccount` into an isolated
//! tenant (StatefulSet, volume, headless Service, Secret, ServiceAccount,
//! Role, RoleBinding, NetworkPolicy) and cleans up after it. It never talks
//! to Telegram or WhatsApp; only to the API server and, before deleting an
//! account, to its tenant.

pub mod children;
pub mod controller;
pub mod diff;
pub mod http;
pub mod leader;
pub mod logout;
pub mod metrics;
pub mod quota;
pub mod run;
pub mod settings;
pub mod status;
pub mod trouble;

pub use settings::Settings;
