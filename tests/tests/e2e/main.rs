//! End-to-end tests against a real local control plane: one cluster for
//! this binary, a fresh namespace for each test.
//!
//! A failed request is a failed test, so helpers unwrap freely.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod control_plane;
mod front_door;
mod import;
mod monitoring;
mod node;
mod operator;
mod tenant_status;
mod whatsapp_account;
