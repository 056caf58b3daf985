//! Messages: strangers refused; `/pair`, `/accounts`, `/admin` and the
//! number typed after `/pair` answered for everyone; the welcome, help and
//! language for users without an account; the rest to the active
//! account's tenant.

use std::sync::Arc;

use crds::{Language, Phase};
use teloxide::dispatching::UpdateFilterExt;
use teloxide::dptree;
use teloxide::types::{Message, Update};

use super::{Active, Command, Raw, Said, Schema, User};
use crate::front_door::accounts;
use crate::front_door::bot::FrontDoor;

/// Whether the user was asked to type a number, and still is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Awaiting(bool);

/// The branch of messages.
pub(super) fn schema() -> Schema {
    Update::filter_message()
        .map(language)
        .branch(dptree::filter(stranger).endpoint(refuse))
        .map(|message: Message| Said::read(message.text()))
        .map(awaiting)
        .branch(
            dptree::case![Said::Command(command)]
                .branch(dptree::case![Command::Pair(number)].endpoint(pair))
                .branch(dptree::case![Command::Accounts].endpoint(accounts))
                .branch(
                    dptree::case![Command::Admin]
                        .filter(|door: Arc<FrontDoor>, user: User| door.settings.is_admin(user.0))
                        .endpoint(admin),
                )
                .branch(
                    dptree::case![Command::Cancel]
                        .filter(|awaiting: Awaiting| awaiting.0)
                        .endpoint(cancel),
                ),
        )
        .branch(
            dptree::case![Said::Text(text)]
                .filter(|awaiting: Awaiting| awaiting.0)
                .endpoint(number_typed),
        )
        .branch(
            dptree::filter(|active: Active| active.0.is_none())
                .branch(
                    dptree::case![Said::Command(command)]
                        .branch(dptree::case![Command::Start].endpoint(welcome))
                        .branch(dptree::case![Command::Menu].endpoint(welcome))
                        .branch(dptree::case![Command::Help].endpoint(help))
                        .branch(dptree::case![Command::Lang].endpoint(languages)),
                )
                .endpoint(no_account),
        )
        .endpoint(to_tenant)
}

/// The sender's language.
fn language(door: Arc<FrontDoor>, user: User, message: Message, active: Active) -> Language {
    let hint = message.from.as_ref().and_then(|f| f.language_code.clone());
    door.language(user.0, hint.as_deref(), active.0.as_deref())
}

/// Whether the sender may not use the bot at all.
pub(super) fn stranger(door: Arc<FrontDoor>, user: User) -> bool {
    !door.settings.allowed(user.0)
}

/// Whether the user answers the "type the number" question. Any command
/// ends the question.
fn awaiting(door: Arc<FrontDoor>, user: User, said: Said) -> Awaiting {
    if said.is_command() {
        Awaiting(door.stop_awaiting_number(user.0))
    } else {
        Awaiting(door.awaiting_number(user.0))
    }
}

async fn refuse(door: Arc<FrontDoor>, user: User, language: Language) {
    door.metrics.update("refused");
    door.say(user.0, language, "access-not-allowed", &[]).await;
}

/// `/pair` with a number links it; without one it asks for the number,
/// unless the active account was logged out from the phone: then that
/// account is linked again.
async fn pair(
    door: Arc<FrontDoor>,
    user: User,
    language: Language,
    number: String,
    active: Active,
    raw: Raw,
) {
    if !number.is_empty() {
        door.pair(user.0, language, &number, &raw.0).await;
        return;
    }
    match active.0 {
        Some(active) if accounts::phase(&active) == Phase::LoggedOut => {
            door.metrics.update("routed");
            door.deliver(user.0, language, &active, &raw.0, None).await;
        }
        _ => door.ask_number(user.0, language, None).await,
    }
}

/// The number typed after being asked for it.
async fn number_typed(
    door: Arc<FrontDoor>,
    user: User,
    language: Language,
    text: String,
    raw: Raw,
) {
    door.stop_awaiting_number(user.0);
    door.pair(user.0, language, &text, &raw.0).await;
}

async fn cancel(door: Arc<FrontDoor>, user: User, language: Language) {
    door.say(user.0, language, "pair-input-cancelled", &[])
        .await;
}

async fn accounts(door: Arc<FrontDoor>, user: User, language: Language) {
    door.accounts_menu(user.0, language, None).await;
}

async fn admin(door: Arc<FrontDoor>, user: User, language: Language) {
    door.admin_menu(user.0, language, None).await;
}

async fn welcome(door: Arc<FrontDoor>, user: User, language: Language) {
    door.welcome(user.0, language).await;
}

async fn help(door: Arc<FrontDoor>, user: User, language: Language) {
    door.help(user.0, language).await;
}

async fn languages(door: Arc<FrontDoor>, user: User, language: Language) {
    door.choose_language(user.0, language, None).await;
}

/// Anything else from a user without an account.
async fn no_account(door: Arc<FrontDoor>, user: User, language: Language) {
    door.metrics.update("refused");
    door.say(user.0, language, "access-denied-pair", &[]).await;
}

/// Anything else goes to the active account's tenant.
async fn to_tenant(door: Arc<FrontDoor>, user: User, language: Language, active: Active, raw: Raw) {
    door.metrics.update("routed");
    door.to_active(user.0, language, active.0.as_deref(), raw.0, None)
        .await;
}
