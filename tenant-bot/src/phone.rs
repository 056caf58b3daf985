//! Turning a phone number as a Telegram user types it into the digits of
//! its E.164 form, the shape `PhoneNumber` stores.
//!
//! Most users are in Indonesia and type the national form (`0812-3456-7890`),
//! so that is the default region; numbers elsewhere need their country code.
//! libphonenumber's rules decide what is valid, so a typo is caught here,
//! before a pairing is asked of WhatsApp for a number that cannot exist.

use phonenumber::country;
use phonenumber::metadata::DATABASE;

/// Why a typed number cannot be linked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Nothing but whitespace was sent.
    #[error("no phone number was given")]
    Empty,
    /// Something other than digits, separators (spaces, dashes, dots,
    /// parentheses) and one leading '+' appeared, or no digit at all.
    /// Letters are refused too, so an extension (`ext. 12`, `x12`) is never
    /// silently dropped.
    #[error("a phone number has digits, separators and one leading '+' only")]
    NotANumber,
    /// Fewer digits than any number of its country has.
    #[error("the phone number is too short")]
    TooShort,
    /// More than [`MAX_CHARS`] characters, or more digits than any number
    /// of its country has.
    #[error("the phone number is too long")]
    TooLong,
    /// After a '+', the digits start with no country calling code in use.
    #[error("the phone number has no known country code")]
    InvalidCountryCode,
    /// The number parses, but its country assigns no such number (a wrong
    /// prefix or length), or its E.164 form falls outside 8 to 15 digits.
    #[error("the phone number is not valid for its country")]
    Invalid,
}

impl Error {
    /// The catalog message id that explains this reason to the user, e.g.
    /// "phone-error-too-short".
    pub fn message_id(&self) -> &'static str {
        match self {
            Self::Empty => "phone-error-empty",
            Self::NotANumber => "phone-error-not-a-number",
            Self::TooShort => "phone-error-too-short",
            Self::TooLong => "phone-error-too-long",
            Self::InvalidCountryCode => "phone-error-country-code",
            Self::Invalid => "phone-error-invalid",
        }
    }
}

/// Longest input looked at; the most generous formatting of a 15-digit
/// number fits, and a pasted paragraph is turned away before any parsing.
pub const MAX_CHARS: usize = 32;

/// The region assumed for numbers typed without a country code.
const DEFAULT_REGION: country::Id = country::Id::ID;

/// Normalizes `input` (default region Indonesia) into the digits of its E.164 form.
pub fn normalize(input: &str) -> Result<String, Error> {
    let input = input.trim();
    if input.is_empty() {
        return Err(Error::Empty);
    }
    if input.chars().count() > MAX_CHARS {
        return Err(Error::TooLong);
    }
    let typed = Typed::scan(input)?;

    // The parser only ever sees '+' and digits: what was typed between them
    // has been judged above, and the parser would otherwise read letters as
    // a vanity number or an extension.
    if typed.plus {
        return parse(&format!("+{}", typed.digits));
    }
    let national = parse(&typed.digits);
    // A visitor's "1202…" or "4420…": a country code typed without its '+'
    // (libphonenumber itself already strips a leading 62). Indonesian
    // readings win; the international reading is tried only when the
    // Indonesian one is not a valid number, and never after a leading 0,
    // the national prefix.
    match national {
        Ok(digits) => Ok(digits),
        Err(error) if typed.digits.starts_with('0') => Err(error),
        Err(error) => parse(&format!("+{}", typed.digits)).map_err(|_| error),
    }
}

/// What was typed, with the separators gone.
#[derive(Debug)]
struct Typed {
    /// A '+' came before the digits.
    plus: bool,
    /// The digits, in order.
    digits: String,
}

impl Typed {
    fn scan(input: &str) -> Result<Self, Error> {
        let mut typed = Self {
            plus: false,
            digits: String::with_capacity(input.len()),
        };
        for c in input.chars() {
            match c {
                '0'..='9' => typed.digits.push(c),
                // "(+62) 812…" is common, so a '+' may follow a separator,
                // but never a digit or another '+'.
                '+' if !typed.plus && typed.digits.is_empty() => typed.plus = true,
                c if is_separator(c) => {}
                _ => return Err(Error::NotANumber),
            }
        }
        if typed.digits.is_empty() {
            return Err(Error::NotANumber);
        }
        Ok(typed)
    }
}

/// Characters people and phones put between digits. Copying a number from
/// WhatsApp or a contact card brings non-breaking spaces, typographic dashes
/// and invisible direction marks along.
fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '-' | '.'
                | '('
                | ')'
                | '\u{2010}'..='\u{2015}'
                | '\u{2212}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
                | '\u{feff}'
        )
}

/// Parses `compact` ('+' and digits, or digits alone) in the default region
/// and returns its E.164 digits if it is a valid number.
fn parse(compact: &str) -> Result<String, Error> {
    use phonenumber::ParseError;

    let number =
        phonenumber::parse(Some(DEFAULT_REGION), compact).map_err(|error| match error {
            // Fewer than the three digits any number has.
            ParseError::NoNumber | ParseError::TooShortAfterIdd | ParseError::TooShortNsn => {
                Error::TooShort
            }
            ParseError::TooLong => Error::TooLong,
            ParseError::InvalidCountryCode => Error::InvalidCountryCode,
            // Only zeros after the national prefix: nothing left to be a number.
            ParseError::MalformedInteger(_) => Error::Invalid,
        })?;

    let code = number.code().value();
    // `Display` keeps the leading zeros some countries (Italy) have in the
    // national number; formatting through `Mode::E164` would do the same but
    // panics inside `to_string` for a code without metadata.
    let national = number.national().to_string();
    if !number.is_valid() {
        return Err(length_error(code, national.len()).unwrap_or(Error::Invalid));
    }
    let digits = format!("{code}{national}");
    if !is_e164_digits(&digits) {
        return Err(Error::Invalid);
    }
    Ok(digits)
}

/// For a number that is not valid, whether its length alone explains why:
/// shorter or longer than every fixed-line and mobile number (what a
/// WhatsApp account can be) of the regions sharing its country code.
fn length_error(code: u16, national_len: usize) -> Option<Error> {
    let lengths: Vec<usize> = DATABASE
        .by_code(&code)
        .unwrap_or_default()
        .into_iter()
        .flat_map(|meta| {
            let descriptors = meta.descriptors();
            [descriptors.fixed_line(), descriptors.mobile()]
        })
        .flatten()
        .flat_map(|descriptor| descriptor.possible_length())
        .map(|&length| usize::from(length))
        .collect();
    let shortest = lengths.iter().min()?;
    let longest = lengths.iter().max()?;
    if national_len < *shortest {
        Some(Error::TooShort)
    } else if national_len > *longest {
        Some(Error::TooLong)
    } else {
        None
    }
}

/// `^[1-9][0-9]{7,14}$`: what `PhoneNumber` accepts. libphonenumber
/// validates numbers as short as a Niue landline (7 digits in all), which
/// WhatsApp and the resource name do not take.
fn is_e164_digits(digits: &str) -> bool {
    let bytes = digits.as_bytes();
    (8..=15).contains(&bytes.len())
        && matches!(bytes.first(), Some(b'1'..=b'9'))
        && bytes.iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_inputs_become_e164_digits() {
        let cases = [
            // Indonesian, national form with every kind of separator.
            ("0812-3456-7890", "6281234567890"),
            ("0812 3456 7890", "6281234567890"),
            ("0812.3456.7890", "6281234567890"),
            ("(0812) 3456-7890", "6281234567890"),
            ("  081234567890  ", "6281234567890"),
            // Indonesian, international form.
            ("+62 812 3456 7890", "6281234567890"),
            ("+6281234567890", "6281234567890"),
            ("(+62) 812-3456-7890", "6281234567890"),
            // The national prefix kept after the country code.
            ("+62 0812 3456 7890", "6281234567890"),
            // The country code without '+'.
            ("6281234567890", "6281234567890"),
            ("62 812 3456 7890", "6281234567890"),
            // Without the national prefix: still Indonesian, not Japan (+81).
            ("812 3456 7890", "6281234567890"),
            // Shortest Indonesian mobile, and a Jakarta landline.
            ("0812 3456 78", "62812345678"),
            ("021 1234 5678", "622112345678"),
            // Pasted from WhatsApp: direction marks, non-breaking space,
            // typographic dash.
            (
                "\u{202a}+62\u{a0}812\u{2011}3456\u{2011}7890\u{202c}",
                "6281234567890",
            ),
            // Elsewhere, with '+'.
            ("+44 20 7946 0123", "442079460123"),
            ("+1 202 555 0123", "12025550123"),
            ("+1 (202) 555-0123", "12025550123"),
            ("+1-202-555-0199", "12025550199"),
            // Elsewhere, country code typed without '+'.
            ("12025550123", "12025550123"),
            ("44 20 7946 0123", "442079460123"),
            // A UK number in its national form is read as Indonesian, where
            // it happens to be valid: numbers abroad need their code.
            ("07700 900123", "627700900123"),
            // Exactly MAX_CHARS characters.
            ("+62 - 812 - 3456 - 7890 - - - --", "6281234567890"),
        ];
        for (input, expected) in cases {
            assert_eq!(normalize(input), Ok(expected.to_owned()), "input {input:?}");
        }
    }

    #[test]
    fn invalid_inputs_say_why() {
        let cases = [
            ("", Error::Empty),
            ("   \t\n", Error::Empty),
            ("abc", Error::NotANumber),
            ("0812-3456-abcd", Error::NotANumber),
            ("📞 0812 3456 7890", Error::NotANumber),
            // Only separators, or a '+' with nothing after it.
            ("- ( ) .", Error::NotANumber),
            ("+", Error::NotANumber),
            // Two '+', or a '+' after digits.
            ("++62 812 3456 7890", Error::NotANumber),
            ("62+812 3456 7890", Error::NotANumber),
            // libphonenumber would accept these and drop the extension.
            ("0812-3456-7890 ext. 12", Error::NotANumber),
            ("0812-3456-7890 x12", Error::NotANumber),
            ("0812-3456-7890 #12", Error::NotANumber),
            ("0812-3456-7890;ext=12", Error::NotANumber),
            ("0812/3456/7890", Error::NotANumber),
            ("0812", Error::TooShort),
            ("1", Error::TooShort),
            ("+62 812", Error::TooShort),
            ("+44 20", Error::TooShort),
            ("081234567890123", Error::TooLong),
            ("+62 812 3456 7890 1234 5678", Error::TooLong),
            // One character past MAX_CHARS, though its digits would do.
            ("+62 - 812 - 3456 - 7890 - - - ---", Error::TooLong),
            (&"1".repeat(33), Error::TooLong),
            ("+999 1234567", Error::InvalidCountryCode),
            ("+0 812 3456 7890", Error::InvalidCountryCode),
            // Right length, but no Indonesian number starts with 1.
            ("0123 4567 890", Error::Invalid),
            // A US number without its country code read as Indonesian; with
            // the code it is valid (see above).
            ("(202) 555-0123", Error::Invalid),
            // Ofcom's range for drama: libphonenumber assigns it to no one.
            ("+44 7700 900123", Error::Invalid),
            // A US area code that does not exist.
            ("+1 999 555 0123", Error::Invalid),
            ("0000000000", Error::Invalid),
            // Valid in Niue, but 7 digits in all: shorter than E.164 takes.
            ("+683 4002", Error::Invalid),
        ];
        assert!(cases.len() >= 12);
        for (input, expected) in cases {
            assert_eq!(normalize(input), Err(expected.clone()), "input {input:?}");
        }
    }

    #[test]
    fn length_cases_sit_on_the_limit() {
        assert_eq!(
            "+62 - 812 - 3456 - 7890 - - - --".chars().count(),
            MAX_CHARS
        );
        assert_eq!(
            "+62 - 812 - 3456 - 7890 - - - ---".chars().count(),
            MAX_CHARS + 1
        );
    }

    #[test]
    fn message_ids_are_distinct_and_prefixed() {
        let errors = [
            Error::Empty,
            Error::NotANumber,
            Error::TooShort,
            Error::TooLong,
            Error::InvalidCountryCode,
            Error::Invalid,
        ];
        let ids: Vec<&str> = errors.iter().map(Error::message_id).collect();
        assert_eq!(
            ids,
            [
                "phone-error-empty",
                "phone-error-not-a-number",
                "phone-error-too-short",
                "phone-error-too-long",
                "phone-error-country-code",
                "phone-error-invalid",
            ]
        );
    }

    #[test]
    fn e164_shape_matches_the_resource_rule() {
        assert!(is_e164_digits("12345678"));
        assert!(is_e164_digits("123456789012345"));
        assert!(!is_e164_digits("1234567"));
        assert!(!is_e164_digits("1234567890123456"));
        assert!(!is_e164_digits("01234567"));
        assert!(!is_e164_digits("1234567a"));
        assert!(!is_e164_digits(""));
    }
}
