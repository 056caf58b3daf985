//! Button presses: strangers refused; the front door's own buttons
//! answered (their accounts and admin families in files of their own); a
//! tenant's button handed to the account it names, after checking the
//! presser owns it, save the "accounts" button, which the front door
//! answers; an untagged button to the active account.

use std::sync::Arc;

use crds::{Language, WhatsAppAccount};
use serde_json::Value;
use teloxide::dispatching::UpdateFilterExt;
use teloxide::dptree;
use teloxide::types::{CallbackQuery, Update};

use super::{Active, Raw, Schema, User, accounts, admin, messages};
use crate::front_door::bot::FrontDoor;
use crate::protocol::callback::{self, Menu, Pair, Tenant};

/// Which button was pressed, read once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Press {
    /// One of the front door's own.
    Own(callback::FrontDoor),
    /// Meant for the front door, but no (longer a) button of it.
    Stale,
    /// A tenant's, naming its account.
    Tagged(Tagged),
    /// Data that names no account: the active account's, if any.
    Untagged,
}

/// A tenant's button with the account it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tagged {
    /// The account named.
    pub account: String,
    /// The tenant's own data, untagged.
    pub data: String,
    /// What the data means, when the front door knows it.
    pub button: Option<Tenant>,
}

impl Press {
    /// Reads a query's `data`.
    pub fn read(data: Option<&str>) -> Self {
        let data = data.unwrap_or_default();
        if callback::FrontDoor::owns(data) {
            return data.parse().map_or(Self::Stale, Self::Own);
        }
        match callback::untag(data) {
            Some((account, data)) => Self::Tagged(Tagged {
                account: account.to_owned(),
                data: data.to_owned(),
                button: data.parse().ok(),
            }),
            None => Self::Untagged,
        }
    }
}

/// The language a button picked (apart from the user's current one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Picked(Language);

/// The account a button names, when it is the presser's.
#[derive(Debug, Clone)]
pub(super) struct Owned(pub Option<Arc<WhatsAppAccount>>);

/// The branch of button presses.
pub(super) fn schema() -> Schema {
    let handled = |door: Arc<FrontDoor>| door.metrics.update("handled");
    Update::filter_callback_query()
        .map(language)
        .branch(dptree::filter(messages::stranger).endpoint(refuse))
        .map(|query: CallbackQuery| Press::read(query.data.as_deref()))
        .branch(dptree::case![Press::Stale].inspect(handled).endpoint(stale))
        .branch(
            dptree::case![Press::Own(button)]
                .inspect(handled)
                .branch(dptree::case![callback::FrontDoor::Admin(button)].chain(admin::schema()))
                .branch(accounts::schema())
                .branch(dptree::case![callback::FrontDoor::Pair].endpoint(pair))
                .branch(dptree::case![callback::FrontDoor::Help].endpoint(help))
                .branch(dptree::case![callback::FrontDoor::Languages].endpoint(languages))
                .branch(
                    dptree::filter_map(|button: callback::FrontDoor| match button {
                        callback::FrontDoor::Language(picked) => Some(Picked(picked)),
                        _ => None,
                    })
                    .endpoint(language_picked),
                )
                // Every button has its branch above; one that had none
                // would mean nothing.
                .endpoint(stale),
        )
        .branch(
            dptree::case![Press::Tagged(tagged)]
                .map(|door: Arc<FrontDoor>, user: User, tagged: Tagged| {
                    Owned(accounts::owned(&door, user, &tagged.account))
                })
                .branch(dptree::filter(|owned: Owned| owned.0.is_none()).endpoint(not_yours))
                .filter_map(|owned: Owned| owned.0)
                .branch(
                    dptree::filter(|tagged: Tagged| {
                        tagged.button == Some(Tenant::Menu(Menu::Accounts))
                    })
                    .endpoint(accounts_of_tenant),
                )
                .endpoint(to_account),
        )
        .endpoint(to_active)
}

/// The presser's language.
fn language(door: Arc<FrontDoor>, user: User, query: CallbackQuery, active: Active) -> Language {
    let hint = query.from.language_code.as_deref();
    door.language(user.0, hint, active.0.as_deref())
}

/// The message the pressed button is on.
pub(super) fn message(query: &CallbackQuery) -> Option<i32> {
    query.message.as_ref().map(|m| m.id().0)
}

async fn refuse(door: Arc<FrontDoor>, language: Language, query: CallbackQuery) {
    door.metrics.update("refused");
    let notice = door.text(language, "access-not-allowed", &[]);
    door.ui.answer(&query.id, Some(notice)).await;
}

/// A button that means nothing now.
pub(super) async fn stale(door: Arc<FrontDoor>, language: Language, query: CallbackQuery) {
    let notice = door.text(language, "stale-button", &[]);
    door.ui.answer(&query.id, Some(notice)).await;
}

/// A button naming an account that is not the presser's (any more).
pub(super) async fn not_yours(door: Arc<FrontDoor>, language: Language, query: CallbackQuery) {
    tracing::warn!(
        update_id = query.id.0.as_str(),
        "refused a button of another user's or a deleted account"
    );
    door.metrics.update("refused");
    let notice = door.text(language, "button-not-yours", &[]);
    door.ui.answer(&query.id, Some(notice)).await;
}

async fn pair(door: Arc<FrontDoor>, user: User, language: Language, query: CallbackQuery) {
    door.ask_number(user.0, language, message(&query)).await;
    door.ui.answer(&query.id, None).await;
}

async fn help(door: Arc<FrontDoor>, user: User, language: Language, query: CallbackQuery) {
    door.help(user.0, language).await;
    door.ui.answer(&query.id, None).await;
}

async fn languages(door: Arc<FrontDoor>, user: User, language: Language, query: CallbackQuery) {
    door.choose_language(user.0, language, message(&query))
        .await;
    door.ui.answer(&query.id, None).await;
}

async fn language_picked(door: Arc<FrontDoor>, user: User, query: CallbackQuery, picked: Picked) {
    door.pick_language(user.0, picked.0);
    let text = door.text(picked.0, "lang-set", &[]);
    door.ui.show(user.0, message(&query), text, vec![]).await;
    door.ui.answer(&query.id, None).await;
}

/// The tenant's "accounts" button: the front door's accounts menu.
async fn accounts_of_tenant(
    door: Arc<FrontDoor>,
    user: User,
    language: Language,
    query: CallbackQuery,
) {
    door.metrics.update("handled");
    door.ui.answer(&query.id, None).await;
    door.accounts_menu(user.0, language, message(&query)).await;
}

/// A tenant's button goes to the account it names, untagged. A pairing
/// cancelled there removes the account.
async fn to_account(
    door: Arc<FrontDoor>,
    user: User,
    language: Language,
    query: CallbackQuery,
    account: Arc<WhatsAppAccount>,
    tagged: Tagged,
    raw: Raw,
) {
    let mut raw = raw.0;
    raw["callback_query"]["data"] = Value::String(tagged.data);
    door.metrics.update("routed");
    let delivered = door
        .deliver(user.0, language, &account, &raw, Some(&query))
        .await;
    if delivered && tagged.button == Some(Tenant::Pair(Pair::Cancel)) {
        door.cancelled_pairing(user.0, language, &account).await;
    }
}

/// A button that names no account: the active account's.
async fn to_active(
    door: Arc<FrontDoor>,
    user: User,
    language: Language,
    query: CallbackQuery,
    active: Active,
    raw: Raw,
) {
    door.metrics.update("routed");
    door.to_active(user.0, language, active.0.as_deref(), raw.0, Some(&query))
        .await;
}
