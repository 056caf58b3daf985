//! What the front door does with one user's update: its own commands and
//! buttons (start, pairing, accounts, admin), or delivery to the user's
//! tenant. Called by the user's queue, one update at a time.

mod admin;
mod menu;
mod pair;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use crds::naming::Redacted;
use crds::{Language, Phase, WhatsAppAccount};
use kube::ResourceExt;
use serde_json::Value;
use teloxide::types::{CallbackQuery, Message, Update, UpdateKind};

use super::accounts::{self, Accounts};
use super::gateway::grants::{self, Grants};
use super::metrics::Metrics;
use super::routing::{self, Handler, Tenants};
use super::settings::Settings;
use super::ui::Ui;
use crate::protocol::callback::{self, FrontDoor as Own, Menu, Pair, Tenant};
use crate::telegram::{Button, Catalog};

/// Everything the front door's handlers work with.
pub struct FrontDoor {
    /// The install's settings.
    pub settings: Arc<Settings>,
    /// The accounts in the cluster.
    pub accounts: Accounts,
    /// Texts.
    pub catalog: Arc<Catalog>,
    /// The front door's own messages.
    pub ui: Ui,
    /// Delivery to tenants.
    pub tenants: Tenants,
    /// What each tenant may answer and download.
    pub grants: Grants,
    /// Metrics.
    pub metrics: Metrics,
    memory: Mutex<Memory>,
}

impl std::fmt::Debug for FrontDoor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FrontDoor").finish_non_exhaustive()
    }
}

/// What the front door remembers between updates. None of it matters
/// across restarts: the active account lives in the cluster.
#[derive(Debug, Default)]
struct Memory {
    /// Languages picked by users who have no account yet.
    languages: HashMap<i64, Language>,
    /// Users asked to type a number.
    awaiting_number: HashSet<i64>,
    /// Pairing progress messages, by account.
    progress: HashMap<String, Progress>,
    /// When each user was last told to slow down.
    warned: HashMap<i64, Instant>,
}

#[derive(Debug, Clone)]
struct Progress {
    chat: i64,
    message: i32,
    shown: Phase,
    language: Language,
}

/// How often a flooding user is told to slow down.
const WARN_EVERY: Duration = Duration::from_secs(30);

/// A command and what follows it: `/pair@bot 0812` is `("pair", "0812")`.
fn command(text: &str) -> Option<(String, &str)> {
    let rest = text.strip_prefix('/')?;
    let (head, args) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    let name = head
        .split('@')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    Some((name, args.trim()))
}

impl FrontDoor {
    /// A front door over these parts.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        settings: Arc<Settings>,
        accounts: Accounts,
        catalog: Arc<Catalog>,
        ui: Ui,
        tenants: Tenants,
        grants: Grants,
        metrics: Metrics,
    ) -> Self {
        Self {
            settings,
            accounts,
            catalog,
            ui,
            tenants,
            grants,
            metrics,
            memory: Mutex::new(Memory::default()),
        }
    }

    fn memory(&self) -> std::sync::MutexGuard<'_, Memory> {
        self.memory.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The language of `user`: their pick, their `active` account's, or
    /// Telegram's hint.
    fn language(
        &self,
        user: i64,
        hint: Option<&str>,
        active: Option<&WhatsAppAccount>,
    ) -> Language {
        if let Some(language) = self.memory().languages.get(&user) {
            return *language;
        }
        if let Some(account) = active {
            return account.spec.language;
        }
        match hint {
            Some(code) if code.starts_with("en") => Language::En,
            _ => Language::Id,
        }
    }

    fn text(&self, language: Language, id: &str, args: &[(&str, &str)]) -> String {
        self.catalog.text(language, id, args)
    }

    async fn say(&self, user: i64, language: Language, id: &str, args: &[(&str, &str)]) {
        self.ui
            .send(user, self.text(language, id, args), vec![])
            .await;
    }

    /// Tells a flooding user to slow down, once in a while.
    pub async fn slow_down(&self, user: i64, hint: Option<&str>) {
        let due = {
            let mut memory = self.memory();
            let last = memory.warned.get(&user).copied();
            let due = last.is_none_or(|at| at.elapsed() > WARN_EVERY);
            if due {
                if memory.warned.len() > 10_000 {
                    memory.warned.retain(|_, at| at.elapsed() <= WARN_EVERY);
                }
                memory.warned.insert(user, Instant::now());
            }
            due
        };
        if due {
            let language = self.language(user, hint, self.accounts.active(user).as_deref());
            self.say(user, language, "slow-down", &[]).await;
        }
    }

    /// Tells a user whose queue is full to wait.
    pub async fn busy(&self, user: i64, hint: Option<&str>) {
        let language = self.language(user, hint, self.accounts.active(user).as_deref());
        self.say(user, language, "busy", &[]).await;
    }

    /// `active` is the user's active account, looked up once per update;
    /// the user has accounts exactly when it is `Some`.
    async fn on_message(
        &self,
        user: i64,
        message: Message,
        raw: Value,
        active: Option<Arc<WhatsAppAccount>>,
    ) {
        let hint = message.from.as_ref().and_then(|f| f.language_code.clone());
        let language = self.language(user, hint.as_deref(), active.as_deref());
        if !self.settings.allowed(user) {
            self.metrics.update("refused");
            self.say(user, language, "access-not-allowed", &[]).await;
            return;
        }
        let text = message.text().unwrap_or_default();
        let parsed = command(text);
        let awaiting = {
            let mut memory = self.memory();
            // Any command ends a pending "type the number" question.
            if parsed.is_some() {
                memory.awaiting_number.remove(&user)
            } else {
                memory.awaiting_number.contains(&user)
            }
        };
        let has_accounts = active.is_some();
        match parsed.as_ref().map(|(name, args)| (name.as_str(), *args)) {
            Some(("pair", "")) => match &active {
                // Logged out from the phone: link that account again.
                Some(active) if accounts::phase(active) == Phase::LoggedOut => {
                    self.metrics.update("routed");
                    self.deliver(user, language, active, &raw, None).await;
                }
                _ => self.ask_number(user, language, None).await,
            },
            Some(("pair", number)) => self.pair(user, language, number, &raw).await,
            Some(("accounts", _)) => self.accounts_menu(user, language, None).await,
            Some(("admin", _)) if self.settings.is_admin(user) => {
                self.admin_menu(user, language, None).await
            }
            Some(("cancel", _)) if awaiting => {
                self.say(user, language, "pair-input-cancelled", &[]).await
            }
            None if awaiting && !text.is_empty() => {
                self.memory().awaiting_number.remove(&user);
                self.pair(user, language, text, &raw).await;
            }
            Some(("start" | "menu", _)) if !has_accounts => self.welcome(user, language).await,
            Some(("help", _)) if !has_accounts => {
                self.say(user, language, "help-front-door", &[]).await
            }
            Some(("lang", _)) if !has_accounts => self.choose_language(user, language, None).await,
            _ if !has_accounts => {
                self.metrics.update("refused");
                self.say(user, language, "access-denied-pair", &[]).await;
            }
            _ => {
                self.metrics.update("routed");
                self.to_active(user, language, active.as_deref(), raw, None)
                    .await;
            }
        }
    }

    /// Asks to confirm deleting the account with `phone`; `yes` and `no`
    /// are the buttons.
    async fn confirm_delete(
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

    async fn welcome(&self, user: i64, language: Language) {
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

    async fn choose_language(&self, user: i64, language: Language, message: Option<i32>) {
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

    async fn on_callback(
        &self,
        user: i64,
        query: CallbackQuery,
        mut raw: Value,
        active: Option<Arc<WhatsAppAccount>>,
    ) {
        let hint = query.from.language_code.as_deref();
        let language = self.language(user, hint, active.as_deref());
        let data = query.data.clone().unwrap_or_default();
        let message = query.message.as_ref().map(|m| m.id().0);
        if !self.settings.allowed(user) {
            self.metrics.update("refused");
            let notice = self.text(language, "access-not-allowed", &[]);
            self.ui.answer(&query.id, Some(notice)).await;
            return;
        }
        if Own::owns(&data) {
            self.metrics.update("handled");
            self.on_button(user, language, &query, data.parse(), message)
                .await;
            return;
        }
        let Some((name, inner)) = callback::untag(&data) else {
            // Not a button the gateway tagged: the active account's.
            self.metrics.update("routed");
            self.to_active(user, language, active.as_deref(), raw, Some(&query))
                .await;
            return;
        };
        let Some(account) = self.accounts.get(name).filter(|a| a.owner_id() == user) else {
            tracing::warn!(
                update_id = query.id.0.as_str(),
                "refused a button of another user's or a deleted account"
            );
            self.metrics.update("refused");
            let notice = self.text(language, "button-not-yours", &[]);
            self.ui.answer(&query.id, Some(notice)).await;
            return;
        };
        let button = inner.parse::<Tenant>().ok();
        if button == Some(Tenant::Menu(Menu::Accounts)) {
            self.metrics.update("handled");
            self.ui.answer(&query.id, None).await;
            self.accounts_menu(user, language, message).await;
            return;
        }
        raw["callback_query"]["data"] = Value::String(inner.to_owned());
        self.metrics.update("routed");
        let delivered = self
            .deliver(user, language, &account, &raw, Some(&query))
            .await;
        if delivered && button == Some(Tenant::Pair(Pair::Cancel)) {
            self.cancelled_pairing(user, language, &account).await;
        }
    }

    /// Delivers `raw` to the user's active account.
    async fn to_active(
        &self,
        user: i64,
        language: Language,
        active: Option<&WhatsAppAccount>,
        raw: Value,
        query: Option<&CallbackQuery>,
    ) {
        match active {
            Some(account) => {
                self.deliver(user, language, account, &raw, query).await;
            }
            None => {
                if let Some(query) = query {
                    let notice = self.text(language, "stale-button", &[]);
                    self.ui.answer(&query.id, Some(notice)).await;
                } else {
                    self.say(user, language, "access-denied-pair", &[]).await;
                }
            }
        }
    }

    /// Hands `raw` to `account`'s tenant, granting it what the update
    /// carries; when the tenant cannot take it, tells the user why.
    async fn deliver(
        &self,
        user: i64,
        language: Language,
        account: &WhatsAppAccount,
        raw: &Value,
        query: Option<&CallbackQuery>,
    ) -> bool {
        let name = account.name_any();
        let mut raw = raw.clone();
        self.grant(&name, &mut raw);
        let started = Instant::now();
        let result = self.tenants.forward(&name, &raw).await;
        self.metrics
            .route_seconds
            .observe(started.elapsed().as_secs_f64());
        let Err(error) = result else {
            return true;
        };
        tracing::warn!(error = %Redacted(&error), account = %Redacted(&name), "update not delivered");
        self.metrics.update("tenant_unavailable");
        let phone = account.phone().map(|p| p.masked()).unwrap_or_default();
        let phase = accounts::phase(account);
        let text = match phase {
            Phase::Provisioning => self.text(language, "tenant-starting", &[("phone", &phone)]),
            other => {
                let phase = self.text(language, phase_id(other), &[]);
                self.text(
                    language,
                    "tenant-not-connected",
                    &[("phone", &phone), ("phase", &phase)],
                )
            }
        };
        match query {
            Some(query) => self.ui.answer(&query.id, Some(text)).await,
            None => {
                self.ui.send(user, text, vec![]).await;
            }
        }
        false
    }

    /// Signs the callback query and the files in `raw` for `account`, so
    /// its tenant, and no other, may answer and fetch them.
    fn grant(&self, account: &str, raw: &mut Value) {
        if let Some(id) = raw["callback_query"]["id"].as_str() {
            let signed = self.grants.sign(grants::Kind::Callback, id, account);
            raw["callback_query"]["id"] = Value::String(signed);
        }
        let Some(message) = raw.get_mut("message") else {
            return;
        };
        let mut files: Vec<&mut Value> = Vec::new();
        if let Some(object) = message.as_object_mut() {
            for (kind, value) in object.iter_mut() {
                match kind.as_str() {
                    "document" | "audio" | "video" | "voice" | "animation" | "sticker" => {
                        files.push(value)
                    }
                    "photo" => files.extend(value.as_array_mut().into_iter().flatten()),
                    _ => {}
                }
            }
        }
        for file in files {
            if let Some(id) = file["file_id"].as_str() {
                let signed = self.grants.sign(grants::Kind::File, id, account);
                file["file_id"] = Value::String(signed);
            }
        }
    }
}

/// The catalog id naming `phase`.
pub fn phase_id(phase: Phase) -> &'static str {
    match phase {
        Phase::Provisioning => "phase-provisioning",
        Phase::AwaitingPairing => "phase-awaiting-pairing",
        Phase::Connected => "phase-connected",
        Phase::Disconnected => "phase-disconnected",
        Phase::LoggedOut => "phase-logged-out",
        Phase::Banned => "phase-banned",
        Phase::Suspended => "phase-suspended",
        Phase::Failed => "phase-failed",
    }
}

#[async_trait]
impl Handler for FrontDoor {
    async fn handle(&self, user: i64, raw: Value) {
        // teloxide's update reads its kind from borrowed keys, which a
        // `Value` cannot lend; it parses from text.
        let update: Update = match serde_json::from_str(&raw.to_string()) {
            Ok(update) => update,
            Err(error) => {
                tracing::warn!(error = %crds::naming::Redacted(&error), "update not understood");
                return;
            }
        };
        let active = self.accounts.active(user);
        match update.kind {
            UpdateKind::Message(message) => self.on_message(user, message, raw, active).await,
            UpdateKind::CallbackQuery(query) => self.on_callback(user, query, raw, active).await,
            UpdateKind::Error(_) => {
                tracing::warn!(update_id = update.id.0, "update not understood");
            }
            _ if active.is_some() => {
                let language = self.language(user, None, active.as_deref());
                self.to_active(user, language, active.as_deref(), raw, None)
                    .await;
            }
            _ => {}
        }
    }
}

/// Wires a handler to the user queues.
pub type Queues = routing::Queues<FrontDoor>;

#[cfg(test)]
mod scenarios;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_and_their_arguments() {
        assert_eq!(
            command("/pair 0812 3456"),
            Some(("pair".to_owned(), "0812 3456"))
        );
        assert_eq!(
            command("/pair@pawang_bot  +62 812"),
            Some(("pair".to_owned(), "+62 812"))
        );
        assert_eq!(command("/MENU"), Some(("menu".to_owned(), "")));
        assert_eq!(command("hello"), None);
        assert_eq!(command(""), None);
    }
}
