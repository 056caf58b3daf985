//! What the tenant does with each update its owner sends through the
//! front door, as a dptree handler tree: [`schema`] sorts each update to a
//! small endpoint (a command, the answer to the question asked, an
//! upload, a button's family), and `handle` runs it for the runtime's
//! loop, one update at a time.
//!
//! Endpoints get the [`Runtime`], its `Shared` state, the parsed
//! `Update`, and what the steps before them found out (what a message
//! `Said`, which button was pressed).

mod buttons;
pub mod commands;
mod messages;

use std::sync::Arc;

use teloxide::dispatching::DpHandlerDescription;
use teloxide::dptree;
use teloxide::types::{Update, UpdateKind};

pub use self::commands::Command;
use super::runtime::{Runtime, State};

/// The tenant's handler tree; its endpoints return nothing, having
/// answered the owner themselves.
pub type Schema = dptree::Handler<'static, (), DpHandlerDescription>;

/// The runtime's state, lent to the handlers by its loop for one update
/// at a time.
pub(in crate::tenant) type Shared = Arc<tokio::sync::Mutex<State>>;

/// The tenant's handler tree.
pub fn schema() -> Schema {
    dptree::entry()
        .branch(messages::schema())
        .branch(buttons::schema())
        .branch(
            dptree::filter(|update: Update| matches!(update.kind, UpdateKind::Error(_)))
                .endpoint(not_understood),
        )
}

/// An update teloxide could not read into any kind.
async fn not_understood(update: Update) {
    tracing::warn!(update_id = update.id.0, "update not understood");
}

/// Runs `schema` for one update's JSON; other kinds of update need
/// nothing.
pub(in crate::tenant) async fn handle(
    schema: &Schema,
    runtime: Arc<Runtime>,
    state: Shared,
    update: &str,
) {
    let update: Update = match serde_json::from_str(update) {
        Ok(update) => update,
        Err(error) => {
            tracing::warn!(error = %crds::naming::why(&error), "update not understood");
            return;
        }
    };
    let _ = schema.dispatch(dptree::deps![runtime, state, update]).await;
}

#[cfg(test)]
mod tests {
    use teloxide::dptree::{self, Type};
    use teloxide::types::Update;

    use super::*;

    #[test]
    fn the_schema_gets_everything_it_asks_for() {
        // What `handle` puts in; dptree panics naming whatever an
        // endpoint would miss.
        let given = [
            Type::of::<Arc<Runtime>>(),
            Type::of::<Shared>(),
            Type::of::<Update>(),
        ];
        dptree::type_check(schema().sig(), &dptree::di::DependencyMap::new(), &given);
    }
}
