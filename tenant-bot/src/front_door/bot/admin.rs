//! The admin overview: every account by phase and by user, with buttons
//! to suspend, resume and delete.

use std::collections::BTreeMap;

use crds::Language;
use kube::ResourceExt;

use super::{FrontDoor, phase_id};
use crate::front_door::accounts;
use crate::protocol::callback::{Admin, FrontDoor as Own};
use crate::telegram::Button;

/// Accounts with buttons in one admin message; the counts cover all.
const WITH_BUTTONS: usize = 30;

impl FrontDoor {
    /// The admin overview.
    pub(crate) async fn admin_menu(&self, user: i64, language: Language, message: Option<i32>) {
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
}
