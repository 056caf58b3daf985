//! The front door's own screens: the welcome, the help, the language
//! chooser, the accounts menu (switch, delete) and the confirmation of a
//! deletion.

use crds::Language;
use kube::ResourceExt;

use super::{FrontDoor, phase_id};
use crate::front_door::accounts;
use crate::front_door::handlers::commands;
use crate::protocol::callback::FrontDoor as Own;
use crate::telegram::Button;

impl FrontDoor {
    /// The welcome, with the way into pairing.
    pub(crate) async fn welcome(&self, user: i64, language: Language) {
        let button =
            |id: &str, data: Own| Button::new(self.text(language, id, &[]), data.to_string());
        let buttons = vec![
            vec![button("button-link", Own::Pair)],
            vec![
                button("button-language", Own::Languages),
                button("button-help", Own::Help),
            ],
        ];
        let text = self.text(language, "start-welcome", &[]);
        self.ui.send(user, text, buttons).await;
    }

    /// The front door's help: the commands it answers.
    pub(crate) async fn help(&self, user: i64, language: Language) {
        let text = commands::help(&self.catalog, language);
        self.ui.send(user, text, vec![]).await;
    }

    /// The language chooser, in `message` or a new one.
    pub(crate) async fn choose_language(
        &self,
        user: i64,
        language: Language,
        message: Option<i32>,
    ) {
        let buttons = vec![vec![
            Button::new(
                "🇮🇩 Bahasa Indonesia",
                Own::Language(Language::Id).to_string(),
            ),
            Button::new("🇬🇧 English", Own::Language(Language::En).to_string()),
        ]];
        let text = self.text(language, "lang-choose", &[]);
        self.ui.show(user, message, text, buttons).await;
    }

    /// Asks to confirm deleting the account with `phone`; `yes` and `no`
    /// are the buttons.
    pub(crate) async fn confirm_delete(
        &self,
        user: i64,
        language: Language,
        message: Option<i32>,
        phone: &str,
        yes: Own,
        no: Own,
    ) {
        let text = self.text(language, "delete-confirm", &[("phone", phone)]);
        let buttons = vec![vec![
            Button::new(self.text(language, "button-yes", &[]), yes.to_string()),
            Button::new(self.text(language, "button-no", &[]), no.to_string()),
        ]];
        self.ui.show(user, message, text, buttons).await;
    }

    /// Lists `user`'s accounts with their phase and the active one marked.
    pub(crate) async fn accounts_menu(&self, user: i64, language: Language, message: Option<i32>) {
        self.show_accounts(user, language, message, None).await;
    }

    /// [`Self::accounts_menu`], with `active` overriding the cache right
    /// after a switch.
    pub(crate) async fn show_accounts(
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
}
