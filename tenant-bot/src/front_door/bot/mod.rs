//! The front door's state and what its handlers do with it: the texts in
//! the user's language, the user's dialog, the front door's own screens
//! (in files of their own), and the delivery of an update to a tenant.
//! Which update gets what is decided by the handlers
//! ([`super::handlers`]).

mod admin;
mod menu;
mod pair;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crds::naming::Redacted;
use crds::{Language, Phase, WhatsAppAccount};
use kube::ResourceExt;
use serde_json::Value;
use teloxide::types::CallbackQuery;

use super::accounts::{self, Accounts};
use super::gateway::grants::{self, Grants};
use super::metrics::Metrics;
use super::routing::Tenants;
use super::settings::Settings;
use super::ui::Ui;
use crate::telegram::Catalog;

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
    pub(crate) fn language(
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

    /// Text `id` of the catalog in `language`.
    pub(crate) fn text(&self, language: Language, id: &str, args: &[(&str, &str)]) -> String {
        self.catalog.text(language, id, args)
    }

    /// Sends `user` text `id` of the catalog.
    pub(crate) async fn say(&self, user: i64, language: Language, id: &str, args: &[(&str, &str)]) {
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

    /// Remembers the language `user` picked.
    pub(crate) fn pick_language(&self, user: i64, language: Language) {
        self.memory().languages.insert(user, language);
    }

    /// Whether `user` was asked to type a number to link.
    pub(crate) fn awaiting_number(&self, user: i64) -> bool {
        self.memory().awaiting_number.contains(&user)
    }

    /// Ends the question for a number; whether `user` had been asked.
    pub(crate) fn stop_awaiting_number(&self, user: i64) -> bool {
        self.memory().awaiting_number.remove(&user)
    }

    /// Delivers `raw` to the user's active account.
    pub(crate) async fn to_active(
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
    pub(crate) async fn deliver(
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
        tracing::warn!(error = %crds::naming::why(&error), account = %Redacted(&name), "update not delivered");
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
