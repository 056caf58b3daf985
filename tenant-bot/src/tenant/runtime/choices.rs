//! The group settings chooser: one row of buttons per setting, each
//! skipped until the owner taps a value (and skipped again when they tap
//! it a second time), so one job can change several settings at once and
//! leave the others as they are.

use crds::Language;

use crate::protocol::callback::{Job, Tenant};
use crate::telegram::{Button, Catalog};
use crate::whatsapp::Setting;

/// A setting: its name in the catalog, its emoji, and its values.
struct Row {
    name: &'static str,
    emoji: &'static str,
    values: &'static [(&'static str, Setting)],
}

const ROWS: [Row; 5] = [
    Row {
        name: "settings-send",
        emoji: "💬",
        values: &[
            ("settings-everyone", Setting::AdminsOnlyMessages(false)),
            ("settings-admins", Setting::AdminsOnlyMessages(true)),
        ],
    },
    Row {
        name: "settings-edit",
        emoji: "✏️",
        values: &[
            ("settings-everyone", Setting::AdminsOnlyEditInfo(false)),
            ("settings-admins", Setting::AdminsOnlyEditInfo(true)),
        ],
    },
    Row {
        name: "settings-add",
        emoji: "➕",
        values: &[
            ("settings-everyone", Setting::AdminsOnlyAddMembers(false)),
            ("settings-admins", Setting::AdminsOnlyAddMembers(true)),
        ],
    },
    Row {
        name: "settings-approval",
        emoji: "🚪",
        values: &[
            ("settings-on", Setting::JoinApproval(true)),
            ("settings-off", Setting::JoinApproval(false)),
        ],
    },
    Row {
        name: "settings-disappearing",
        emoji: "⏳",
        values: &[
            ("settings-off", Setting::DisappearingSeconds(0)),
            ("settings-24h", Setting::DisappearingSeconds(86_400)),
            ("settings-7d", Setting::DisappearingSeconds(604_800)),
            ("settings-90d", Setting::DisappearingSeconds(7_776_000)),
        ],
    },
];

/// The owner's choice so far: a value per setting, or skip.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Choice([Option<usize>; 5]);

impl Choice {
    /// Applies a tap on the `value`th value of the `row`th setting (a
    /// [`Job::Tap`]); false when there is no such value.
    pub fn tap(&mut self, row: u8, value: u8) -> bool {
        let (row, value) = (usize::from(row), usize::from(value));
        let Some(slot) = self.0.get_mut(row) else {
            return false;
        };
        if value >= ROWS[row].values.len() {
            return false;
        }
        *slot = if *slot == Some(value) {
            None
        } else {
            Some(value)
        };
        true
    }

    /// The chosen settings, in the order of the rows.
    pub fn settings(&self) -> Vec<Setting> {
        self.0
            .iter()
            .zip(&ROWS)
            .filter_map(|(chosen, row)| chosen.map(|v| row.values[v].1))
            .collect()
    }

    /// The chooser's text and buttons; `optional` says that continuing
    /// with nothing chosen is fine.
    pub fn render(
        &self,
        catalog: &Catalog,
        language: Language,
        optional: bool,
    ) -> (String, Vec<Vec<Button>>) {
        let head = if optional {
            "settings-ask-optional"
        } else {
            "settings-ask"
        };
        let mut lines = vec![catalog.text(language, head, &[])];
        lines.extend(self.lines(catalog, language, true));
        let mut buttons: Vec<Vec<Button>> = (0_u8..)
            .zip(&ROWS)
            .map(|(r, row)| {
                (0_u8..)
                    .zip(row.values)
                    .map(|(v, (label, _))| {
                        let chosen = self.0[usize::from(r)] == Some(usize::from(v));
                        let mark = if chosen { "✅ " } else { "" };
                        let label = catalog.text(language, label, &[]);
                        let tap = Tenant::Job(Job::Tap { row: r, value: v });
                        Button::new(format!("{mark}{} {label}", row.emoji), tap.to_string())
                    })
                    .collect()
            })
            .collect();
        let done = Tenant::Job(Job::SettingsDone);
        buttons.push(vec![Button::new(
            catalog.text(language, "button-continue", &[]),
            done.to_string(),
        )]);
        (lines.join("\n"), buttons)
    }

    /// One line per setting, skipped ones included when `all`.
    pub fn lines(&self, catalog: &Catalog, language: Language, all: bool) -> Vec<String> {
        ROWS.iter()
            .zip(self.0)
            .filter(|(_, chosen)| all || chosen.is_some())
            .map(|(row, chosen)| {
                let value = match chosen {
                    Some(v) => catalog.text(language, row.values[v].0, &[]),
                    None => catalog.text(language, "settings-skip", &[]),
                };
                let name = catalog.text(language, row.name, &[]);
                format!("{} {name}: {value}", row.emoji)
            })
            .collect()
    }

    /// The choice that gives `settings` (for showing a saved job).
    pub fn of(settings: &[Setting]) -> Self {
        let mut choice = Self::default();
        for (r, row) in ROWS.iter().enumerate() {
            choice.0[r] = row.values.iter().position(|(_, s)| settings.contains(s));
        }
        choice
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taps_choose_and_a_second_tap_skips_again() {
        let mut choice = Choice::default();
        assert!(choice.settings().is_empty());
        assert!(choice.tap(0, 1));
        assert!(choice.tap(4, 2));
        assert!(choice.tap(3, 0));
        assert_eq!(
            choice.settings(),
            [
                Setting::AdminsOnlyMessages(true),
                Setting::JoinApproval(true),
                Setting::DisappearingSeconds(604_800),
            ]
        );
        assert!(choice.tap(3, 0));
        assert_eq!(choice.settings().len(), 2);
        assert_eq!(Choice::of(&choice.settings()), choice);
    }

    #[test]
    fn forged_taps_change_nothing() {
        let mut choice = Choice::default();
        for (row, value) in [(5, 0), (0, 2), (4, 4), (255, 255)] {
            assert!(!choice.tap(row, value), "{row}:{value}");
        }
        assert_eq!(choice, Choice::default());
    }

    #[test]
    fn the_chooser_marks_the_chosen_values() {
        let catalog = Catalog::new().unwrap();
        let mut choice = Choice::default();
        choice.tap(1, 1);
        let (text, buttons) = choice.render(&catalog, Language::En, false);
        assert!(
            text.contains("✏️ Who can edit the group info: admins only"),
            "{text}"
        );
        assert!(text.contains("💬 Who can send messages: skip"), "{text}");
        assert_eq!(buttons.len(), 6);
        assert_eq!(buttons[1][1].label, "✅ ✏️ admins only");
        assert_eq!(buttons[4].len(), 4);
        assert_eq!(buttons[5][0].data, "job:set:ok");
        assert_eq!(buttons[1][1].data, "job:set:1:1");
    }
}
