//! `/admin`: every account by phase and by user, with suspend, resume and
//! delete. Every press checks again that its sender is an admin.

use std::collections::BTreeMap;

use crds::Language;
use crds::naming::Redacted;
use kube::ResourceExt;
use teloxide::types::CallbackQuery;

use super::{FrontDoor, phase_id};
use crate::front_door::accounts;
use crate::protocol::callback::{Admin, FrontDoor as Own};
use crate::telegram::Button;

/// Accounts with buttons in one admin message; the counts cover all.
const WITH_BUTTONS: usize = 30;

impl FrontDoor {
    /// The admin overview.
    pub(super) async fn admin_menu(&self, user: i64, language: Language, message: Option<i32>) {
        let all = self.accounts.all();
        let total = all.len().to_string();
        let mut lines = vec![self.text(language, "admin-title", &[("total", &total)])];
        let mut by_phase: BTreeMap<&'static str, usize> = BTreeMap::new();
        let mut by_user: BTreeMap<i64, Vec<String>> = BTreeMap::new();
        for account in &all {
            let phase = accounts::phase(account);
            *by_phase.entry(phase_id(phase)).or_default() += 1;
            let phone = account.phone().map(|p| p.masked()).unwrap_or_default();
            let phase = self.text(language, phase_id(phase), &[]);
            by_user
                .entry(account.owner_id())
                .or_default()
                .push(format!("{phone} ({phase})"));
        }
        for (phase, count) in by_phase {
            let phase = self.text(language, phase, &[]);
            let count = count.to_string();
            lines.push(self.text(
                language,
                "admin-phase-line",
                &[("phase", &phase), ("count", &count)],
            ));
        }
        lines.push(String::new());
        for (owner, accounts) in by_user {
            let owner = owner.to_string();
            let accounts = accounts.join(", ");
            lines.push(self.text(
                language,
                "admin-user-line",
                &[("user", &owner), ("accounts", &accounts)],
            ));
        }
        let mut buttons = Vec::new();
        for account in all.iter().take(WITH_BUTTONS) {
            let name = account.name_any();
            let phone = account.phone().map(|p| p.masked()).unwrap_or_default();
            let button = |id: &str, admin| {
                let label = self.text(language, id, &[("phone", &phone)]);
                Button::new(label, Own::Admin(admin).to_string())
            };
            let toggle = if account.spec.suspend {
                button("button-resume", Admin::Resume(name.clone()))
            } else {
                button("button-suspend", Admin::Suspend(name.clone()))
            };
            let delete = button("button-delete", Admin::Delete(name));
            buttons.push(vec![toggle, delete]);
        }
        self.ui.show(user, message, lines.join("\n"), buttons).await;
    }

    /// An admin button.
    pub(super) async fn on_admin_button(
        &self,
        user: i64,
        language: Language,
        query: &CallbackQuery,
        button: Admin,
        message: Option<i32>,
    ) {
        if !self.settings.is_admin(user) {
            self.metrics.update("refused");
            let text = self.text(language, "admin-denied", &[]);
            self.ui.answer(&query.id, Some(text)).await;
            return;
        }
        let name = match &button {
            Admin::List => {
                self.admin_menu(user, language, message).await;
                self.ui.answer(&query.id, None).await;
                return;
            }
            Admin::Suspend(name)
            | Admin::Resume(name)
            | Admin::Delete(name)
            | Admin::DeleteConfirmed(name) => name.as_str(),
        };
        let Some(account) = self.accounts.get(name) else {
            let text = self.text(language, "stale-button", &[]);
            self.ui.answer(&query.id, Some(text)).await;
            return;
        };
        let phone = account.phone().map(|p| p.masked()).unwrap_or_default();
        let (action, result) = match &button {
            Admin::Suspend(_) => (
                "sus",
                self.accounts
                    .suspend(name, true)
                    .await
                    .map(|()| "admin-suspended"),
            ),
            Admin::Resume(_) => (
                "res",
                self.accounts
                    .suspend(name, false)
                    .await
                    .map(|()| "admin-resumed"),
            ),
            Admin::Delete(_) => {
                let yes = Own::Admin(Admin::DeleteConfirmed(name.to_owned()));
                let no = Own::Admin(Admin::List);
                self.confirm_delete(user, language, message, &phone, yes, no)
                    .await;
                self.ui.answer(&query.id, None).await;
                return;
            }
            Admin::DeleteConfirmed(_) | Admin::List => (
                "delyes",
                self.accounts.delete(name).await.map(|()| "account-deleted"),
            ),
        };
        let notice = match result {
            Ok(id) => {
                tracing::info!(account = %Redacted(name), action, "admin action");
                self.text(language, id, &[("phone", &phone)])
            }
            Err(error) => {
                tracing::warn!(error = %Redacted(&error), "admin action failed");
                self.text(language, "error-try-later", &[])
            }
        };
        self.ui.answer(&query.id, Some(notice.clone())).await;
        if matches!(button, Admin::DeleteConfirmed(_)) {
            self.ui.show(user, message, notice, vec![]).await;
        }
    }
}
