//! The runtime's screens: the dashboard, the help, the language chooser,
//! the logout confirmation and the activity log.

use crds::Language;

use super::{Dialog, Runtime, State};
use crate::protocol::callback::{Menu, Tenant};
use crate::telegram::Button;
use crate::tenant::handlers::commands;
use crate::tenant::status::Session;

impl Runtime {
    /// The help: the commands of the account.
    pub(in crate::tenant) async fn help(&self, state: &State) {
        let help = commands::help(&self.catalog, state.language);
        self.say(help, vec![]).await;
    }

    /// The language chooser.
    pub(in crate::tenant) async fn choose_language(&self, state: &State) {
        let text = self.text(state, "lang-choose", &[]);
        let buttons = vec![vec![
            Button::new(
                "🇮🇩 Bahasa Indonesia",
                Tenant::Language(Language::Id).to_string(),
            ),
            Button::new("🇬🇧 English", Tenant::Language(Language::En).to_string()),
        ]];
        self.say(text, buttons).await;
    }

    /// Asks to confirm logging the account out; yes or no may be typed
    /// too.
    pub(in crate::tenant) async fn confirm_logout(&self, state: &mut State) {
        state.dialog = Some(Dialog::Logout);
        let text = self.text(state, "logout-confirm", &[("phone", &self.phone.masked())]);
        let button = |id: &str, confirmed| {
            let data = Tenant::Logout { confirmed };
            Button::new(self.text(state, id, &[]), data.to_string())
        };
        let buttons = vec![vec![button("button-yes", true), button("button-no", false)]];
        self.say(text, buttons).await;
    }

    /// Logs the account out, as the owner confirmed, and says so in
    /// `message` (the confirmation) or a new one.
    pub(in crate::tenant) async fn log_out(&self, state: &mut State, message: Option<i32>) {
        if state.dialog == Some(Dialog::Logout) {
            state.dialog = None;
        }
        let text = match self.whatsapp.logout().await {
            Ok(()) => self.text(state, "logout-done", &[]),
            Err(error) => {
                let reason = crds::naming::Chain(&error).to_string();
                self.text(state, "pairing-failed", &[("reason", &reason)])
            }
        };
        self.replace(message, text).await;
    }

    /// Keeps the account linked, as the owner said, and says so in
    /// `message` (the confirmation) or a new one.
    pub(in crate::tenant) async fn keep_logged_in(&self, state: &mut State, message: Option<i32>) {
        if state.dialog == Some(Dialog::Logout) {
            state.dialog = None;
        }
        let text = self.text(state, "logout-kept", &[]);
        self.replace(message, text).await;
    }

    /// The latest entries of the activity log.
    pub(in crate::tenant) async fn activity(&self, state: &State) {
        let entries = self.store.recent_activity(10).await.unwrap_or_default();
        let mut lines = vec![self.text(state, "activity-title", &[])];
        if entries.is_empty() {
            lines.push(self.text(state, "activity-none", &[]));
        }
        for entry in entries {
            let when = k8s_openapi::jiff::Timestamp::from_second(entry.at)
                .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
                .unwrap_or_default();
            let what = self.text(
                state,
                &format!("activity-{}", entry.kind.replace('_', "-")),
                &[("detail", &entry.detail)],
            );
            lines.push(format!("{when} · {what}"));
        }
        self.say(lines.join("\n"), vec![]).await;
    }

    /// The dashboard: the account, its state, its groups and jobs.
    pub(in crate::tenant) async fn dashboard(&self, state: &State) {
        let state_id = match state.session {
            Session::Connected { .. } => "state-connected",
            Session::Disconnected => "state-disconnected",
            Session::AwaitingPairing => "state-awaiting-pairing",
            Session::LoggedOut => "state-logged-out",
            Session::Banned => "state-banned",
        };
        let groups = self.store.groups().await.map_or(0, |g| g.len()).to_string();
        let jobs = match self.store.running_job().await {
            Ok(Some(_)) => "1",
            _ => "0",
        };
        let lines = [
            self.text(state, "menu-title", &[]),
            self.text(
                state,
                "menu-account",
                &[("phone", &self.phone.masked()), ("name", &state.push_name)],
            ),
            self.text(
                state,
                "menu-state",
                &[("state", &self.text(state, state_id, &[]))],
            ),
            self.text(state, "menu-groups", &[("count", &groups)]),
            self.text(state, "menu-jobs", &[("count", jobs)]),
        ];
        let mut buttons = Vec::new();
        for row in [
            [
                ("button-groups", Menu::Groups),
                ("button-accounts", Menu::Accounts),
            ],
            [
                ("button-activity", Menu::Activity),
                ("button-language", Menu::Language),
            ],
            [("button-help", Menu::Help), ("button-logout", Menu::Logout)],
        ] {
            let mut out = Vec::new();
            for (label, menu) in row {
                let data = Tenant::Menu(menu).to_string();
                out.push(Button::new(self.text(state, label, &[]), data));
            }
            buttons.push(out);
        }
        self.say(lines.join("\n"), buttons).await;
    }
}
