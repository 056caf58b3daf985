//! The accounts menu's buttons: the list, switching the active account,
//! and deleting one after confirming. Each button names its account; only
//! its owner may press it.

use std::sync::Arc;

use crds::naming::Redacted;
use crds::{Language, WhatsAppAccount};
use kube::ResourceExt;
use teloxide::dptree;
use teloxide::types::CallbackQuery;

use super::buttons::{Owned, message, not_yours};
use super::{Schema, User};
use crate::front_door::bot::FrontDoor;
use crate::protocol::callback::FrontDoor as Button;

/// The account a button names.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Named(String);

/// The branch of the accounts menu's buttons.
pub(super) fn schema() -> Schema {
    dptree::entry()
        .branch(dptree::case![Button::Accounts].endpoint(list))
        .branch(
            dptree::filter_map(|button: Button| button.account().map(|a| Named(a.to_owned())))
                .map(|door: Arc<FrontDoor>, user: User, named: Named| {
                    Owned(owned(&door, user, &named.0))
                })
                .branch(dptree::filter(|owned: Owned| owned.0.is_none()).endpoint(not_yours))
                .filter_map(|owned: Owned| owned.0)
                .branch(dptree::case![Button::Use(name)].endpoint(switch))
                .branch(dptree::case![Button::Delete(name)].endpoint(confirm))
                .branch(dptree::case![Button::DeleteConfirmed(name)].endpoint(delete)),
        )
}

/// Account `name`, when it is `user`'s.
pub(super) fn owned(door: &FrontDoor, user: User, name: &str) -> Option<Arc<WhatsAppAccount>> {
    door.accounts.get(name).filter(|a| a.owner_id() == user.0)
}

fn masked(account: &WhatsAppAccount) -> String {
    account.phone().map(|p| p.masked()).unwrap_or_default()
}

async fn list(door: Arc<FrontDoor>, user: User, language: Language, query: CallbackQuery) {
    door.accounts_menu(user.0, language, message(&query)).await;
    door.ui.answer(&query.id, None).await;
}

/// Makes the account the active one and shows the list again.
async fn switch(
    door: Arc<FrontDoor>,
    user: User,
    language: Language,
    query: CallbackQuery,
    account: Arc<WhatsAppAccount>,
) {
    let name = account.name_any();
    let notice = match door.accounts.activate(&name).await {
        Ok(()) => {
            let phone = masked(&account);
            let notice = door.text(language, "accounts-switched", &[("phone", &phone)]);
            door.show_accounts(user.0, language, message(&query), Some(&name))
                .await;
            notice
        }
        Err(error) => {
            tracing::warn!(error = %crds::naming::why(&error), "cannot switch accounts");
            door.text(language, "error-try-later", &[])
        }
    };
    door.ui.answer(&query.id, Some(notice)).await;
}

async fn confirm(
    door: Arc<FrontDoor>,
    user: User,
    language: Language,
    query: CallbackQuery,
    account: Arc<WhatsAppAccount>,
) {
    let yes = Button::DeleteConfirmed(account.name_any());
    let phone = masked(&account);
    door.confirm_delete(
        user.0,
        language,
        message(&query),
        &phone,
        yes,
        Button::Accounts,
    )
    .await;
    door.ui.answer(&query.id, None).await;
}

async fn delete(
    door: Arc<FrontDoor>,
    user: User,
    language: Language,
    query: CallbackQuery,
    account: Arc<WhatsAppAccount>,
) {
    let name = account.name_any();
    let mut notice = None;
    match door.accounts.delete(&name).await {
        Ok(()) => {
            tracing::info!(account = %Redacted(&name), "account deleted by its owner");
            let phone = masked(&account);
            let text = door.text(language, "account-deleted", &[("phone", &phone)]);
            door.ui.show(user.0, message(&query), text, vec![]).await;
        }
        Err(error) => {
            tracing::warn!(error = %crds::naming::why(&error), "cannot delete an account");
            notice = Some(door.text(language, "error-try-later", &[]));
        }
    }
    door.ui.answer(&query.id, notice).await;
}
