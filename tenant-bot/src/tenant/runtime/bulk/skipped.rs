//! What the owner's input leaves out of a job, and why: contact cards
//! without a number, numbers that cannot be used or came again, links that
//! are no invite or came again, names that show nothing or came again.
//! The confirmation says it all before anything runs: each reason with its
//! count and its items, or, when they are many, the counts, with every
//! item in a file sent just before.

use crds::Language;

use crate::phone;
use crate::telegram::Catalog;
use crate::tenant::input::numbers::Piece;

/// Items above this many go in a file rather than in the confirmation.
const FILE_ABOVE: usize = 20;

/// The longest message Telegram takes, in characters.
const MESSAGE_LIMIT: usize = 4096;

/// Why an item of the owner's input is not part of the job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Reason {
    /// A contact card with no phone number.
    CardWithoutNumber,
    /// A phone number written outside any contact card.
    NumberOutsideCard,
    /// Something that is no phone number WhatsApp could use.
    InvalidNumber,
    /// A number given before (used once).
    RepeatedNumber,
    /// A link that is no WhatsApp invite.
    NotAnInvite,
    /// An invite given before (joined once).
    RepeatedLink,
    /// A name with no visible character.
    EmptyName,
    /// A name given before (made once).
    RepeatedName,
}

impl Reason {
    /// Every reason, in the order the confirmation lists them.
    const EVERY: [Self; 8] = [
        Self::CardWithoutNumber,
        Self::NumberOutsideCard,
        Self::InvalidNumber,
        Self::RepeatedNumber,
        Self::NotAnInvite,
        Self::RepeatedLink,
        Self::EmptyName,
        Self::RepeatedName,
    ];

    /// The catalog message that names the reason and its count.
    fn message_id(self) -> &'static str {
        match self {
            Self::CardWithoutNumber => "skipped-card-without-number",
            Self::NumberOutsideCard => "skipped-number-outside-card",
            Self::InvalidNumber => "skipped-number-invalid",
            Self::RepeatedNumber => "skipped-number-repeated",
            Self::NotAnInvite => "skipped-link-not-invite",
            Self::RepeatedLink => "skipped-link-repeated",
            Self::EmptyName => "skipped-name-empty",
            Self::RepeatedName => "skipped-name-repeated",
        }
    }
}

/// The items left out, each with its reason, in the order met.
#[derive(Debug, Clone, Default)]
pub(super) struct Skipped {
    items: Vec<(Reason, String)>,
}

/// What the confirmation says of the items left out.
#[derive(Debug)]
pub(super) struct Report {
    /// Lines for the confirmation; none when nothing was left out.
    pub(super) lines: Vec<String>,
    /// The file of every item, to send before the confirmation: its
    /// name, its text and its caption.
    pub(super) file: Option<(String, String, String)>,
}

impl Skipped {
    /// Leaves `item` out for `reason`.
    pub(super) fn add(&mut self, reason: Reason, item: impl Into<String>) {
        self.items.push((reason, item.into()));
    }

    /// What the confirmation of a job titled `title` says of the items
    /// left out, after the lines `shown` before it. The items are listed
    /// unless they are more than [`FILE_ABOVE`] or would make the message
    /// too long for Telegram; then the counts stay and the items go in a
    /// file, sent once (`file_sent` says it was).
    pub(super) fn report(
        &self,
        catalog: &Catalog,
        language: Language,
        title: &str,
        shown: &[String],
        file_sent: bool,
    ) -> Report {
        if self.items.is_empty() {
            return Report {
                lines: Vec::new(),
                file: None,
            };
        }
        let listed = self.lines(catalog, language, None);
        let length = shown
            .iter()
            .chain(&listed)
            .map(|line| line.chars().count() + 1)
            .sum::<usize>();
        if !file_sent && self.items.len() <= FILE_ABOVE && length <= MESSAGE_LIMIT {
            return Report {
                lines: listed,
                file: None,
            };
        }
        let name = catalog.text(language, "bulk-skipped-file", &[]);
        let lines = self.lines(catalog, language, Some(&name));
        let file = (!file_sent).then(|| {
            let count = self.items.len().to_string();
            let caption = catalog.text(
                language,
                "bulk-skipped-caption",
                &[("title", title), ("count", &count)],
            );
            (name, self.text(catalog, language), caption)
        });
        Report { lines, file }
    }

    /// A heading and a line per reason with its count, and its items
    /// unless they are in the file named `in_file`.
    fn lines(&self, catalog: &Catalog, language: Language, in_file: Option<&str>) -> Vec<String> {
        let count = self.items.len().to_string();
        let heading = match in_file {
            None => catalog.text(language, "bulk-skipped", &[("count", &count)]),
            Some(file) => catalog.text(
                language,
                "bulk-skipped-in-file",
                &[("count", &count), ("file", file)],
            ),
        };
        let mut lines = vec![heading];
        for (reason, items) in self.by_reason() {
            let label = label(catalog, language, reason, items.len());
            lines.push(match in_file {
                None => format!("• {label}: {}", items.join("; ")),
                Some(_) => format!("• {label}"),
            });
        }
        lines
    }

    /// The file's text: each reason with its count, then its items one
    /// per line.
    fn text(&self, catalog: &Catalog, language: Language) -> String {
        let mut text = String::new();
        for (reason, items) in self.by_reason() {
            text.push_str(&label(catalog, language, reason, items.len()));
            text.push_str(":\n");
            for item in items {
                text.push_str(item);
                text.push('\n');
            }
            text.push('\n');
        }
        text
    }

    /// The reasons met, in the order of [`Reason::EVERY`], each with its
    /// items in the order met.
    fn by_reason(&self) -> Vec<(Reason, Vec<&str>)> {
        Reason::EVERY
            .into_iter()
            .map(|reason| {
                let items = self
                    .items
                    .iter()
                    .filter(|(r, _)| *r == reason)
                    .map(|(_, item)| item.as_str())
                    .collect();
                (reason, items)
            })
            .filter(|(_, items): &(Reason, Vec<&str>)| !items.is_empty())
            .collect()
    }
}

fn label(catalog: &Catalog, language: Language, reason: Reason, count: usize) -> String {
    let count = count.to_string();
    catalog.text(language, reason.message_id(), &[("count", &count)])
}

/// A number as the owner gave it, after the name of its contact card.
pub(super) fn number(piece: &Piece) -> String {
    match &piece.contact {
        Some(contact) => format!("{contact}: {}", piece.raw),
        None => piece.raw.clone(),
    }
}

/// The catalog message that says in a few words why a number is refused.
pub(super) fn why(error: &phone::Error) -> &'static str {
    match error {
        phone::Error::Empty => "number-why-empty",
        phone::Error::NotANumber => "number-why-not-a-number",
        phone::Error::TooShort => "number-why-too-short",
        phone::Error::TooLong => "number-why-too-long",
        phone::Error::InvalidCountryCode => "number-why-country-code",
        phone::Error::Invalid => "number-why-invalid",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skipped(count: usize) -> Skipped {
        let mut skipped = Skipped::default();
        for n in 0..count {
            skipped.add(Reason::RepeatedNumber, format!("0812-0000-{n:04}"));
        }
        skipped
    }

    #[test]
    fn few_items_are_listed_by_reason() {
        let catalog = Catalog::new().unwrap();
        let mut left_out = skipped(2);
        left_out.add(Reason::CardWithoutNumber, "Ani");
        left_out.add(Reason::InvalidNumber, "0812 (too short)");
        let report = left_out.report(&catalog, Language::En, "Add members", &[], false);
        assert_eq!(
            report.lines,
            [
                "⚠️ Left out of the job (4):",
                "• Contact cards without a phone number (1): Ani",
                "• Invalid numbers (1): 0812 (too short)",
                "• Repeated numbers, used once (2): 0812-0000-0000; 0812-0000-0001",
            ]
        );
        assert!(report.file.is_none());
        let nothing = Skipped::default().report(&catalog, Language::En, "x", &[], false);
        assert!(nothing.lines.is_empty() && nothing.file.is_none());
    }

    #[test]
    fn many_items_or_a_long_message_go_in_a_file_once() {
        let catalog = Catalog::new().unwrap();
        let many = skipped(21).report(&catalog, Language::Id, "Tambah anggota", &[], false);
        assert_eq!(
            many.lines,
            [
                "⚠️ Tidak ikut dikerjakan (21; semuanya ada di berkas tidak-dikerjakan.txt):",
                "• Nomor berulang, dipakai sekali (21)",
            ]
        );
        let (name, text, caption) = many.file.unwrap();
        assert_eq!(name, "tidak-dikerjakan.txt");
        assert_eq!(caption, "Tambah anggota: tidak ikut dikerjakan (21)");
        assert!(text.starts_with("Nomor berulang, dipakai sekali (21):\n0812-0000-0000\n"));
        assert!(text.ends_with("0812-0000-0020\n\n"), "{text}");

        let twenty = skipped(20);
        let listed = twenty.report(&catalog, Language::En, "x", &[], false);
        assert!(listed.file.is_none());
        let long = vec!["x".repeat(MESSAGE_LIMIT - 100)];
        let filed = twenty.report(&catalog, Language::En, "x", &long, false);
        assert!(filed.file.is_some());
        // Shown again (a new pause): the counts, and no second file.
        let again = twenty.report(&catalog, Language::En, "x", &[], true);
        assert_eq!(again.lines, filed.lines);
        assert!(again.file.is_none());
    }
}
