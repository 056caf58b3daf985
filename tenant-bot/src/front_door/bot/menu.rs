//! The front door's own buttons: the accounts menu (switch, delete), the
//! language, help and the way into pairing.

use crds::Language;
use crds::naming::Redacted;
use kube::ResourceExt;
use teloxide::types::CallbackQuery;

use super::{FrontDoor, phase_id};
use crate::front_door::accounts;
use crate::protocol::callback::{self, FrontDoor as Own};
use crate::telegram::Button;

impl FrontDoor {
    /// Lists `user`'s accounts with their phase and the active one marked;
    /// `active` overrides the cache right after a switch.
    pub(super) async fn accounts_menu(&self, user: i64, language: Language, message: Option<i32>) {
        self.show_accounts(user, language, message, None).await;
    }

    async fn show_accounts(
        &self,
        user: i64,
        language: Language,
        message: Option<i32>,
        active: Option<&str>,
    ) {
        let mine = self.accounts.of(user);
        let active = active
            .map(str::to_owned)
            .or_else(|| accounts::choose_active(mine.clone()).map(|a| a.name_any()));
        let mut lines = Vec::new();
        let mut buttons = Vec::new();
        if mine.is_empty() {
            lines.push(self.text(language, "accounts-none", &[]));
        } else {
            lines.push(self.text(language, "accounts-title", &[]));
        }
        for account in &mine {
            let name = account.name_any();
            let phone = account.phone().map(|p| p.masked()).unwrap_or_default();
            let phase = self.text(language, phase_id(accounts::phase(account)), &[]);
            let is_active = active.as_deref() == Some(name.as_str());
            let marker = if is_active { "▶️" } else { "•" };
            lines.push(self.text(
                language,
                "accounts-line",
                &[("marker", marker), ("phone", &phone), ("phase", &phase)],
            ));
            let mut row = Vec::new();
            if !is_active {
                let label = self.text(language, "button-use", &[("phone", &phone)]);
                row.push(Button::new(label, Own::Use(name.clone()).to_string()));
            }
            let label = self.text(language, "button-delete", &[("phone", &phone)]);
            row.push(Button::new(label, Own::Delete(name).to_string()));
            buttons.push(row);
        }
        if mine.len() < self.settings.access.max_accounts_per_user as usize {
            let label = if mine.is_empty() {
                "button-link"
            } else {
                "button-link-another"
            };
            buttons.push(vec![Button::new(
                self.text(language, label, &[]),
                Own::Pair.to_string(),
            )]);
        }
        self.ui.show(user, message, lines.join("\n"), buttons).await;
    }

    /// Handles a press of one of the front door's own buttons.
    pub(super) async fn on_button(
        &self,
        user: i64,
        language: Language,
        query: &CallbackQuery,
        button: Result<Own, callback::Error>,
        message: Option<i32>,
    ) {
        let Ok(button) = button else {
            let text = self.text(language, "stale-button", &[]);
            self.ui.answer(&query.id, Some(text)).await;
            return;
        };
        let mut notice = None;
        match button {
            Own::Admin(admin) => {
                self.on_admin_button(user, language, query, admin, message)
                    .await;
                return;
            }
            Own::Pair => self.ask_number(user, language, message).await,
            Own::Help => self.say(user, language, "help-front-door", &[]).await,
            Own::Languages => self.choose_language(user, language, message).await,
            Own::Language(picked) => {
                self.memory().languages.insert(user, picked);
                let text = self.text(picked, "lang-set", &[]);
                self.ui.show(user, message, text, vec![]).await;
            }
            Own::Accounts => self.accounts_menu(user, language, message).await,
            Own::Use(ref name) | Own::Delete(ref name) | Own::DeleteConfirmed(ref name) => {
                let Some(account) = self.accounts.get(name).filter(|a| a.owner_id() == user) else {
                    tracing::warn!("refused a button naming another user's or a deleted account");
                    self.metrics.update("refused");
                    let text = self.text(language, "button-not-yours", &[]);
                    self.ui.answer(&query.id, Some(text)).await;
                    return;
                };
                let phone = account.phone().map(|p| p.masked()).unwrap_or_default();
                match button {
                    Own::Use(_) => match self.accounts.activate(name).await {
                        Ok(()) => {
                            notice = Some(self.text(
                                language,
                                "accounts-switched",
                                &[("phone", &phone)],
                            ));
                            self.show_accounts(user, language, message, Some(name))
                                .await;
                        }
                        Err(error) => {
                            tracing::warn!(error = %Redacted(&error), "cannot switch accounts");
                            notice = Some(self.text(language, "error-try-later", &[]));
                        }
                    },
                    Own::Delete(_) => {
                        let yes = Own::DeleteConfirmed(name.clone());
                        self.confirm_delete(user, language, message, &phone, yes, Own::Accounts)
                            .await;
                    }
                    _ => match self.accounts.delete(name).await {
                        Ok(()) => {
                            tracing::info!(account = %Redacted(name), "account deleted by its owner");
                            let text = self.text(language, "account-deleted", &[("phone", &phone)]);
                            self.ui.show(user, message, text, vec![]).await;
                        }
                        Err(error) => {
                            tracing::warn!(error = %Redacted(&error), "cannot delete an account");
                            notice = Some(self.text(language, "error-try-later", &[]));
                        }
                    },
                }
            }
        }
        self.ui.answer(&query.id, notice).await;
    }
}
