//! What the front door does with one user's update, as a dptree handler
//! tree: [`schema`] sorts each update to a small endpoint (a command, a
//! button's family, the one dialog step), and [`Dispatcher`] runs it for
//! every update the users' queues hand over.
//!
//! The front door answers strangers (refused), users without an account
//! (welcome, help, language, pairing), its own buttons (accounts, admin)
//! and the tenants' "accounts" button; everything else goes to the tenant
//! of the user's active account, or of the account a button names.
//!
//! Every endpoint gets what it needs injected: the [`FrontDoor`], the
//! [`User`], the parsed `Update` and its [`Raw`] JSON (what tenants are
//! handed), the user's [`Active`] account, and what the steps before it
//! found out (the user's `Language`, what a message [`Said`], which
//! `Press` a callback query is).

mod accounts;
mod admin;
mod buttons;
pub mod commands;
mod messages;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use async_trait::async_trait;
use crds::WhatsAppAccount;
use serde_json::Value;
use teloxide::dispatching::DpHandlerDescription;
use teloxide::dptree;
use teloxide::types::{Update, UpdateKind};

pub use self::commands::{Command, Said};
use super::bot::FrontDoor;
use super::routing;

/// The front door's handler tree; its endpoints return nothing, having
/// answered the user themselves.
pub type Schema = dptree::Handler<'static, (), DpHandlerDescription>;

/// The Telegram user whose update it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct User(pub i64);

/// The update's JSON as it came, which is what a tenant is handed.
#[derive(Debug, Clone)]
pub struct Raw(pub Value);

/// The user's active account, looked up once per update; the user has
/// accounts exactly when there is one.
#[derive(Debug, Clone)]
pub struct Active(pub Option<Arc<WhatsAppAccount>>);

/// The front door's handler tree.
pub fn schema() -> Schema {
    dptree::entry()
        .branch(messages::schema())
        .branch(buttons::schema())
        .branch(
            dptree::filter(|update: Update| matches!(update.kind, UpdateKind::Error(_)))
                .endpoint(not_understood),
        )
        .branch(dptree::filter(|active: Active| active.0.is_some()).endpoint(other_to_tenant))
}

/// An update teloxide could not read into any kind.
async fn not_understood(update: Update) {
    tracing::warn!(update_id = update.id.0, "update not understood");
}

/// Any other kind of update (an edited message…) goes to the active
/// account; without one, nobody needs it.
async fn other_to_tenant(door: Arc<FrontDoor>, user: User, active: Active, raw: Raw) {
    let language = door.language(user.0, None, active.0.as_deref());
    door.to_active(user.0, language, active.0.as_deref(), raw.0, None)
        .await;
}

/// Runs the [`schema`] for each update of a user's queue.
pub struct Dispatcher {
    door: Arc<FrontDoor>,
    schema: Schema,
}

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatcher").finish_non_exhaustive()
    }
}

impl Dispatcher {
    /// The front door's handlers, working with `door`.
    pub fn new(door: Arc<FrontDoor>) -> Self {
        Self {
            door,
            schema: schema(),
        }
    }
}

#[async_trait]
impl routing::Handler for Dispatcher {
    async fn handle(&self, user: i64, raw: Value) {
        // teloxide's update reads its kind from borrowed keys, which a
        // `Value` cannot lend; it parses from text.
        let update: Update = match serde_json::from_str(&raw.to_string()) {
            Ok(update) => update,
            Err(error) => {
                tracing::warn!(error = %crds::naming::why(&error), "update not understood");
                return;
            }
        };
        let active = Active(self.door.accounts.active(user));
        let deps = dptree::deps![self.door.clone(), User(user), update, Raw(raw), active];
        // An update no branch takes (another kind, from a user without an
        // account) needs nothing.
        let _ = self.schema.dispatch(deps).await;
    }
}

/// Wires the handlers to the user queues.
pub type Queues = routing::Queues<Dispatcher>;
