//! `/admin`: every account by phase and by user, with suspend, resume and
//! delete. Every press checks again that its sender is an admin.

use std::collections::BTreeMap;

use crds::Language;
use crds::naming::Redacted;
use kube::ResourceExt;
use teloxide::types::CallbackQuery;

use super::{FrontDoor, phase_id};
use crate::front_door::accounts;
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
            let toggle = if account.spec.suspend {
                Button::new(
                    self.text(language, "button-resume", &[("phone", &phone)]),
                    format!("fd:adm:res:{name}"),
                )
            } else {
                Button::new(
                    self.text(language, "button-suspend", &[("phone", &phone)]),
                    format!("fd:adm:sus:{name}"),
                )
            };
            let delete = Button::new(
                self.text(language, "button-delete", &[("phone", &phone)]),
                format!("fd:adm:del:{name}"),
            );
            buttons.push(vec![toggle, delete]);
        }
        self.ui.show(user, message, lines.join("\n"), buttons).await;
    }

    /// An admin button (`fd:adm:` cut).
    pub(super) async fn on_admin_button(
        &self,
        user: i64,
        language: Language,
        query: &CallbackQuery,
        data: &str,
        message: Option<i32>,
    ) {
        if !self.settings.is_admin(user) {
            self.metrics.update("refused");
            let text = self.text(language, "admin-denied", &[]);
            self.ui.answer(&query.id, Some(text)).await;
            return;
        }
        let (action, name) = data.split_once(':').unwrap_or((data, ""));
        if action == "list" {
            self.admin_menu(user, language, message).await;
            self.ui.answer(&query.id, None).await;
            return;
        }
        let Some(account) = self.accounts.get(name) else {
            let text = self.text(language, "stale-button", &[]);
            self.ui.answer(&query.id, Some(text)).await;
            return;
        };
        let phone = account.phone().map(|p| p.masked()).unwrap_or_default();
        let result = match action {
            "sus" => self
                .accounts
                .suspend(name, true)
                .await
                .map(|()| "admin-suspended"),
            "res" => self
                .accounts
                .suspend(name, false)
                .await
                .map(|()| "admin-resumed"),
            "del" => {
                let yes = format!("fd:adm:delyes:{name}");
                self.confirm_delete(user, language, message, &phone, yes, "fd:adm:list:")
                    .await;
                self.ui.answer(&query.id, None).await;
                return;
            }
            "delyes" => self.accounts.delete(name).await.map(|()| "account-deleted"),
            _ => {
                let text = self.text(language, "stale-button", &[]);
                self.ui.answer(&query.id, Some(text)).await;
                return;
            }
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
        if action == "delyes" {
            self.ui.show(user, message, notice, vec![]).await;
        }
    }
}
