//! Phone numbers for adding, promoting or demoting members: typed as text
//! (one per line, or separated by commas or semicolons) or taken from a
//! `.vcf`, normalized exactly as the front door normalizes a number to
//! link, de-duplicated, each bad one reported with its reason.

use super::vcf::Contact;
use crate::phone;

/// The numbers found in some input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Numbers {
    /// E.164 digits, in the order first seen, each once.
    pub valid: Vec<String>,
    /// What could not be read as a number (as typed) and why.
    pub invalid: Vec<(String, phone::Error)>,
    /// How many numbers were given more than once.
    pub duplicates: usize,
}

impl Numbers {
    fn add(&mut self, raw: &str) {
        let raw = raw.trim();
        if raw.is_empty() {
            return;
        }
        match phone::normalize(raw) {
            Ok(digits) if self.valid.contains(&digits) => self.duplicates += 1,
            Ok(digits) => self.valid.push(digits),
            Err(error) => self.invalid.push((raw.to_owned(), error)),
        }
    }
}

/// The numbers in typed text.
pub fn from_text(text: &str) -> Numbers {
    let mut numbers = Numbers::default();
    for raw in text.split(['\n', ',', ';']) {
        numbers.add(raw);
    }
    numbers
}

/// The numbers of vCard contacts.
pub fn from_contacts(contacts: &[Contact]) -> Numbers {
    let mut numbers = Numbers::default();
    for raw in contacts.iter().flat_map(|c| &c.numbers) {
        numbers.add(raw);
    }
    numbers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_commas_and_semicolons() {
        let numbers = from_text("0812-0000-0001\n+62 812 0000 0002, 081200000003;\n\n");
        assert_eq!(
            numbers.valid,
            ["6281200000001", "6281200000002", "6281200000003"]
        );
        assert!(numbers.invalid.is_empty());
        assert_eq!(numbers.duplicates, 0);
    }

    #[test]
    fn the_same_number_written_twice_counts_once() {
        let numbers = from_text("0812-0000-0001\n+6281200000001\n62 812 0000 0001");
        assert_eq!(numbers.valid, ["6281200000001"]);
        assert_eq!(numbers.duplicates, 2);
    }

    #[test]
    fn bad_numbers_are_reported_with_their_reason() {
        let numbers = from_text("0812\nhello\n+44 20 7946 0123");
        assert_eq!(numbers.valid, ["442079460123"]);
        assert_eq!(
            numbers.invalid,
            [
                ("0812".to_owned(), phone::Error::TooShort),
                ("hello".to_owned(), phone::Error::NotANumber),
            ]
        );
    }

    #[test]
    fn contacts_numbers_in_order() {
        let contacts = [
            Contact {
                name: Some("Ani".into()),
                numbers: vec!["+62 812-0000-0001".into(), "0812 0000 0002".into()],
            },
            Contact {
                name: None,
                numbers: vec!["0812-0000-0001".into()],
            },
        ];
        let numbers = from_contacts(&contacts);
        assert_eq!(numbers.valid, ["6281200000001", "6281200000002"]);
        assert_eq!(numbers.duplicates, 1);
    }

    proptest::proptest! {
        /// Every piece of any text is accounted for once: a valid number
        /// (E.164 digits, each once), a repeat, or refused with a reason.
        #[test]
        fn every_piece_is_kept_repeated_or_refused(text in "[0-9+()\\- .,;\na-z]{0,200}") {
            let numbers = from_text(&text);
            let pieces = text.split(['\n', ',', ';']).filter(|p| !p.trim().is_empty()).count();
            proptest::prop_assert_eq!(
                numbers.valid.len() + numbers.duplicates + numbers.invalid.len(),
                pieces
            );
            let unique: std::collections::HashSet<_> = numbers.valid.iter().collect();
            proptest::prop_assert_eq!(unique.len(), numbers.valid.len());
            for digits in &numbers.valid {
                proptest::prop_assert!((8..=15).contains(&digits.len()), "{}", digits);
                proptest::prop_assert!(digits.bytes().all(|b| b.is_ascii_digit()));
            }
        }
    }
}
