//! Linking a number: the number typed, checked and normalized; quotas; the
//! resource created; progress shown as its status changes; the account
//! activated when it first connects; a cancelled pairing removed.

use crds::naming::Redacted;
use crds::{Language, Phase, PhoneNumber, WhatsAppAccount};
use kube::ResourceExt;
use serde_json::Value;

use super::{FrontDoor, Progress};
use crate::front_door::accounts::{self, Error};
use crate::phone;

impl FrontDoor {
    /// Asks for the number to link.
    pub(crate) async fn ask_number(&self, user: i64, language: Language, message: Option<i32>) {
        if !self.settings.allowed(user) {
            self.say(user, language, "access-not-allowed", &[]).await;
            return;
        }
        self.memory().awaiting_number.insert(user);
        let text = self.text(language, "pair-ask-number", &[]);
        self.ui.show(user, message, text, vec![]).await;
    }

    /// Links the number `input` to `user`, if everything allows it.
    /// `raw` is the update that asked, handed on as `/pair` to the user's
    /// own logged-out account when the number is that account's.
    pub(crate) async fn pair(&self, user: i64, language: Language, input: &str, raw: &Value) {
        let digits = match phone::normalize(input) {
            Ok(digits) => digits,
            Err(error) => {
                self.metrics.update("refused");
                self.say(user, language, error.message_id(), &[]).await;
                return;
            }
        };
        let Ok(phone) = digits.parse::<PhoneNumber>() else {
            self.say(user, language, "phone-error-invalid", &[]).await;
            return;
        };
        let masked = phone.masked();
        let name = crds::naming::account_name(&phone);
        if let Some(existing) = self.accounts.get(&name) {
            if existing.owner_id() != user {
                self.say(user, language, "pair-taken", &[]).await;
                return;
            }
            if accounts::phase(&existing) != Phase::LoggedOut {
                self.say(user, language, "pair-yours-already", &[("phone", &masked)])
                    .await;
                return;
            }
            // The owner links a logged-out account again: its tenant pairs.
            if let Err(error) = self.accounts.activate(&name).await {
                tracing::warn!(error = %crds::naming::why(&error), "cannot activate an account");
            }
            let mut again = raw.clone();
            again["message"]["text"] = Value::String("/pair".to_owned());
            self.metrics.update("routed");
            self.deliver(user, language, &existing, &again, None).await;
            return;
        }
        let limit = self.settings.access.max_accounts_per_user;
        if self.accounts.of(user).len() >= limit as usize {
            let max = limit.to_string();
            self.say(user, language, "quota-user", &[("max", &max)])
                .await;
            return;
        }
        if self.accounts.all().len() >= self.settings.access.max_accounts as usize {
            self.say(user, language, "quota-install", &[]).await;
            return;
        }
        match self.accounts.create(&phone, user, language).await {
            Ok(()) => {}
            Err(Error::Taken) => {
                self.say(user, language, "pair-taken", &[]).await;
                return;
            }
            Err(error) => {
                tracing::warn!(error = %crds::naming::why(&error), "cannot create an account");
                self.say(user, language, "error-try-later", &[]).await;
                return;
            }
        }
        tracing::info!(account = %phone, "account created");
        let text = self.text(language, "pair-preparing", &[("phone", &masked)]);
        if let Some(message) = self.ui.send(user, text, vec![]).await {
            self.memory().progress.insert(
                name,
                Progress {
                    chat: user,
                    message,
                    shown: Phase::Provisioning,
                    language,
                },
            );
        }
    }

    /// After the owner cancelled a pairing the tenant has stopped, the
    /// account goes too, unless it got linked in the meantime.
    pub(crate) async fn cancelled_pairing(
        &self,
        user: i64,
        language: Language,
        account: &WhatsAppAccount,
    ) {
        let phase = accounts::phase(account);
        if matches!(phase, Phase::Connected | Phase::Disconnected) {
            return;
        }
        let name = account.name_any();
        match self.accounts.delete(&name).await {
            Ok(()) => {
                self.memory().progress.remove(&name);
                let phone = account.phone().map(|p| p.masked()).unwrap_or_default();
                self.say(user, language, "pair-removed", &[("phone", &phone)])
                    .await;
            }
            Err(error) => {
                tracing::warn!(error = %crds::naming::why(&error), account = %Redacted(&name), "cannot remove a cancelled account")
            }
        }
    }

    /// Reacts to a changed account: progress of a pairing the front door
    /// started, and activation on first connection.
    pub async fn on_change(&self, account: &WhatsAppAccount) {
        let name = account.name_any();
        let phase = accounts::phase(account);
        if phase == Phase::Connected
            && accounts::active_at(account).is_none()
            && account.metadata.deletion_timestamp.is_none()
            && let Err(error) = self.accounts.activate(&name).await
        {
            tracing::warn!(error = %crds::naming::why(&error), account = %Redacted(&name), "cannot activate a new account");
        }
        let progress = {
            let mut memory = self.memory();
            match memory.progress.get_mut(&name) {
                Some(progress) if progress.shown != phase => {
                    progress.shown = phase;
                    let shown = progress.clone();
                    if matches!(phase, Phase::Connected | Phase::Failed) {
                        memory.progress.remove(&name);
                    }
                    shown
                }
                _ => return,
            }
        };
        let id = match phase {
            Phase::Provisioning => "pair-preparing",
            Phase::AwaitingPairing => "pair-awaiting",
            Phase::Connected => "pair-linked",
            Phase::Failed => "pair-failed-start",
            _ => return,
        };
        let phone = account.phone().map(|p| p.masked()).unwrap_or_default();
        let text = self.text(progress.language, id, &[("phone", &phone)]);
        self.ui
            .show(progress.chat, Some(progress.message), text, vec![])
            .await;
    }
}
