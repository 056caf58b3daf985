//! Phone numbers for adding, promoting or demoting members: typed as text
//! (one per line, or separated by commas or semicolons) or taken from a
//! `.vcf`, normalized exactly as the front door normalizes a number to
//! link, de-duplicated, each bad or repeated one kept to be reported with
//! its reason.

use super::vcf::Contact;
use crate::phone;

/// The numbers found in some input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Numbers {
    /// E.164 digits, in the order first seen, each once.
    pub valid: Vec<String>,
    /// What could not be read as a number and why.
    pub invalid: Vec<(Piece, phone::Error)>,
    /// Numbers given again after the first time, in the order seen.
    pub repeated: Vec<Piece>,
}

/// A number as the user gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    /// The number as written, without the blanks around it.
    pub raw: String,
    /// The name of the contact card it is on, if it is on a named one.
    pub contact: Option<String>,
}

impl Numbers {
    fn add(&mut self, raw: &str, contact: Option<&str>) {
        let raw = raw.trim();
        if raw.is_empty() {
            return;
        }
        let piece = || Piece {
            raw: raw.to_owned(),
            contact: contact.map(str::to_owned),
        };
        match phone::normalize(raw) {
            Ok(digits) if self.valid.contains(&digits) => self.repeated.push(piece()),
            Ok(digits) => self.valid.push(digits),
            Err(error) => self.invalid.push((piece(), error)),
        }
    }
}

/// The numbers in typed text.
pub fn from_text(text: &str) -> Numbers {
    let mut numbers = Numbers::default();
    for raw in text.split(['\n', ',', ';']) {
        numbers.add(raw, None);
    }
    numbers
}

/// The numbers of vCard contacts.
pub fn from_contacts(contacts: &[Contact]) -> Numbers {
    let mut numbers = Numbers::default();
    for contact in contacts {
        for raw in &contact.numbers {
            numbers.add(raw, contact.name.as_deref());
        }
    }
    numbers
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A number typed, or on a card without a name.
    fn typed(raw: &str) -> Piece {
        Piece {
            raw: raw.to_owned(),
            contact: None,
        }
    }

    #[test]
    fn lines_commas_and_semicolons() {
        let numbers = from_text("0812-0000-0001\n+62 812 0000 0002, 081200000003;\n\n");
        assert_eq!(
            numbers.valid,
            ["6281200000001", "6281200000002", "6281200000003"]
        );
        assert!(numbers.invalid.is_empty());
        assert!(numbers.repeated.is_empty());
    }

    #[test]
    fn the_same_number_written_twice_counts_once() {
        let numbers = from_text("0812-0000-0001\n+6281200000001\n62 812 0000 0001");
        assert_eq!(numbers.valid, ["6281200000001"]);
        assert_eq!(
            numbers.repeated,
            [typed("+6281200000001"), typed("62 812 0000 0001")]
        );
    }

    #[test]
    fn bad_numbers_are_reported_with_their_reason() {
        let numbers = from_text("0812\nhello\n+44 20 7946 0123");
        assert_eq!(numbers.valid, ["442079460123"]);
        assert_eq!(
            numbers.invalid,
            [
                (typed("0812"), phone::Error::TooShort),
                (typed("hello"), phone::Error::NotANumber),
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
                numbers: vec!["0812-0000-0001".into(), "0812".into()],
            },
            Contact {
                name: Some("Budi".into()),
                numbers: vec![" 0812 0000 0002 ".into(), "halo".into()],
            },
        ];
        let numbers = from_contacts(&contacts);
        assert_eq!(numbers.valid, ["6281200000001", "6281200000002"]);
        let budi = |raw: &str| Piece {
            raw: raw.to_owned(),
            contact: Some("Budi".to_owned()),
        };
        assert_eq!(
            numbers.repeated,
            [typed("0812-0000-0001"), budi("0812 0000 0002")]
        );
        assert_eq!(
            numbers.invalid,
            [
                (typed("0812"), phone::Error::TooShort),
                (budi("halo"), phone::Error::NotANumber)
            ]
        );
    }

    proptest::proptest! {
        /// Every piece of any text is accounted for once: a valid number
        /// (E.164 digits, each once), a repeat, or refused with a reason.
        #[test]
        fn every_piece_is_kept_repeated_or_refused(text in "[0-9+()\\- .,;\na-z]{0,200}") {
            let numbers = from_text(&text);
            let pieces = text.split(['\n', ',', ';']).filter(|p| !p.trim().is_empty()).count();
            proptest::prop_assert_eq!(
                numbers.valid.len() + numbers.repeated.len() + numbers.invalid.len(),
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
