//! The admin overview's buttons: the overview again, suspend, resume and
//! delete (after confirming) any account. Every press checks again that
//! its sender is an admin.

use std::sync::Arc;

use crds::naming::Redacted;
use crds::{Language, WhatsAppAccount};
use kube::ResourceExt;
use teloxide::dptree;
use teloxide::types::CallbackQuery;

use super::buttons::{message, stale};
use super::{Schema, User};
use crate::front_door::accounts;
use crate::front_door::bot::FrontDoor;
use crate::protocol::callback::{Admin, FrontDoor as Button};

/// The account an admin's button names, if it still exists.
#[derive(Debug, Clone)]
struct Found(Option<Arc<WhatsAppAccount>>);

/// The branch of the admin's buttons.
pub(super) fn schema() -> Schema {
    dptree::entry()
        .branch(
            dptree::filter(|door: Arc<FrontDoor>, user: User| !door.settings.is_admin(user.0))
                .endpoint(denied),
        )
        .branch(dptree::case![Admin::List].endpoint(list))
        .map(|door: Arc<FrontDoor>, button: Admin| {
            Found(button.account().and_then(|name| door.accounts.get(name)))
        })
        .branch(dptree::filter(|found: Found| found.0.is_none()).endpoint(stale))
        .filter_map(|found: Found| found.0)
        .branch(dptree::case![Admin::Suspend(name)].endpoint(suspend))
        .branch(dptree::case![Admin::Resume(name)].endpoint(resume))
        .branch(dptree::case![Admin::Delete(name)].endpoint(confirm))
        .branch(dptree::case![Admin::DeleteConfirmed(name)].endpoint(delete))
}

async fn denied(door: Arc<FrontDoor>, language: Language, query: CallbackQuery) {
    door.metrics.update("refused");
    let text = door.text(language, "admin-denied", &[]);
    door.ui.answer(&query.id, Some(text)).await;
}

async fn list(door: Arc<FrontDoor>, user: User, language: Language, query: CallbackQuery) {
    door.admin_menu(user.0, language, message(&query)).await;
    door.ui.answer(&query.id, None).await;
}

/// The notice after `action` on `account`: what was done (`done`, a
/// catalog id), or that it failed.
fn notice(
    door: &FrontDoor,
    language: Language,
    account: &WhatsAppAccount,
    action: &str,
    result: accounts::Result<&str>,
) -> String {
    match result {
        Ok(done) => {
            tracing::info!(account = %Redacted(account.name_any()), action, "admin action");
            let phone = account.phone().map(|p| p.masked()).unwrap_or_default();
            door.text(language, done, &[("phone", &phone)])
        }
        Err(error) => {
            tracing::warn!(error = %crds::naming::why(&error), "admin action failed");
            door.text(language, "error-try-later", &[])
        }
    }
}

async fn suspend(
    door: Arc<FrontDoor>,
    language: Language,
    query: CallbackQuery,
    account: Arc<WhatsAppAccount>,
) {
    let result = door.accounts.suspend(&account.name_any(), true).await;
    let done = result.map(|()| "admin-suspended");
    let notice = notice(&door, language, &account, "sus", done);
    door.ui.answer(&query.id, Some(notice)).await;
}

async fn resume(
    door: Arc<FrontDoor>,
    language: Language,
    query: CallbackQuery,
    account: Arc<WhatsAppAccount>,
) {
    let result = door.accounts.suspend(&account.name_any(), false).await;
    let done = result.map(|()| "admin-resumed");
    let notice = notice(&door, language, &account, "res", done);
    door.ui.answer(&query.id, Some(notice)).await;
}

async fn confirm(
    door: Arc<FrontDoor>,
    user: User,
    language: Language,
    query: CallbackQuery,
    account: Arc<WhatsAppAccount>,
) {
    let yes = Button::Admin(Admin::DeleteConfirmed(account.name_any()));
    let no = Button::Admin(Admin::List);
    let phone = account.phone().map(|p| p.masked()).unwrap_or_default();
    door.confirm_delete(user.0, language, message(&query), &phone, yes, no)
        .await;
    door.ui.answer(&query.id, None).await;
}

/// Deletes the account; the confirmation becomes the outcome.
async fn delete(
    door: Arc<FrontDoor>,
    user: User,
    language: Language,
    query: CallbackQuery,
    account: Arc<WhatsAppAccount>,
) {
    let result = door.accounts.delete(&account.name_any()).await;
    let done = result.map(|()| "account-deleted");
    let notice = notice(&door, language, &account, "delyes", done);
    door.ui.answer(&query.id, Some(notice.clone())).await;
    door.ui.show(user.0, message(&query), notice, vec![]).await;
}
