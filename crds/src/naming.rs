//! Names derived from an account's phone number and owner.
//!
//! The resource name comes from the phone number, so "one number, one
//! account" holds across an install without any lookup. File names keep the
//! layout the old single-server bot used, so users recognise their data.

use std::fmt;
use std::str::FromStr;

/// Prefix of every `WhatsAppAccount` name.
pub const ACCOUNT_NAME_PREFIX: &str = "wa-";

/// Why a string is not a phone number in the form the resource stores.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Something other than a digit appeared (a '+', a space, a letter...).
    #[error("a phone number has digits only")]
    NotDigits,
    /// International numbers never start with 0; local `08…` forms must be
    /// normalised to their country code first.
    #[error("a phone number in international form does not start with 0")]
    LeadingZero,
    /// Fewer than [`PhoneNumber::MIN_DIGITS`] digits.
    #[error("a phone number has at least {} digits", PhoneNumber::MIN_DIGITS)]
    TooShort,
    /// More than [`PhoneNumber::MAX_DIGITS`] digits, the E.164 maximum.
    #[error("a phone number has at most {} digits", PhoneNumber::MAX_DIGITS)]
    TooLong,
}

/// A phone number in E.164 form without the '+': what `spec.phoneNumber`
/// holds.
///
/// `Display` and `Debug` show it masked, so a number never reaches a log
/// line in full by accident; [`PhoneNumber::as_str`] gives the digits.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Fewest digits accepted.
    pub const MIN_DIGITS: usize = 8;
    /// Most digits accepted (E.164).
    pub const MAX_DIGITS: usize = 15;

    /// The digits, in full. Never log this.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number with its middle hidden, e.g. `44770****123`: enough for
    /// a person to recognise it, not enough to dial it.
    pub fn masked(&self) -> String {
        let digits = &self.0;
        let head = 5.min(digits.len() - 4);
        let tail = 3;
        let hidden = digits.len() - head - tail;
        format!(
            "{}{}{}",
            &digits[..head],
            "*".repeat(hidden),
            &digits[digits.len() - tail..]
        )
    }
}

impl FromStr for PhoneNumber {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::NotDigits);
        }
        if s.starts_with('0') {
            return Err(Error::LeadingZero);
        }
        match s.len() {
            n if n < Self::MIN_DIGITS => Err(Error::TooShort),
            n if n > Self::MAX_DIGITS => Err(Error::TooLong),
            _ => Ok(Self(s.to_owned())),
        }
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PhoneNumber").field(&self.masked()).finish()
    }
}

/// Displays a value with every phone-number-like run of digits (8 to 15
/// in a row) masked, for log lines that carry names or error messages
/// built from them: `wa-447700900123` shows as `wa-44770****123`.
#[derive(Debug, Clone, Copy)]
pub struct Redacted<T>(pub T);

impl<T: fmt::Display> fmt::Display for Redacted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.0.to_string();
        let mut rest = text.as_str();
        while let Some(start) = rest.find(|c: char| c.is_ascii_digit()) {
            f.write_str(&rest[..start])?;
            let digits = &rest[start..];
            let len = digits
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(digits.len());
            let run = &digits[..len];
            match run.parse::<PhoneNumber>() {
                Ok(phone) => f.write_str(&phone.masked())?,
                // Too short, too long or with a leading 0: still mask
                // anything long enough to be a number.
                Err(_) if len >= PhoneNumber::MIN_DIGITS => {
                    f.write_str(&run[..4])?;
                    f.write_str(&"*".repeat(len - 7))?;
                    f.write_str(&run[len - 3..])?;
                }
                Err(_) => f.write_str(run)?,
            }
            rest = &digits[len..];
        }
        f.write_str(rest)
    }
}

/// Displays an error and each of its causes on one line, `a: b: c`, for
/// log lines that must say why and not only what.
#[derive(Debug, Clone, Copy)]
pub struct Chain<'a>(pub &'a (dyn std::error::Error + 'static));

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut said = self.0.to_string();
        f.write_str(&said)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            let text = cause.to_string();
            // A cause that only repeats the error above it (SQLite's
            // message, then the same with its code) is said once.
            if !said.ends_with(&text) && !text.ends_with(&said) {
                write!(f, ": {text}")?;
            }
            said = text;
            source = cause.source();
        }
        Ok(())
    }
}

/// An error and each of its causes, with phone numbers masked: what a log
/// line says of a failure (`error = %why(&error)`).
pub fn why<'a>(error: &'a (dyn std::error::Error + 'static)) -> Redacted<Chain<'a>> {
    Redacted(Chain(error))
}

/// The `WhatsAppAccount` name for a phone number: `wa-<digits>`.
pub fn account_name(phone: &PhoneNumber) -> String {
    format!("{ACCOUNT_NAME_PREFIX}{}", phone.as_str())
}

/// A tenant's endpoint from a template holding `{name}` and
/// `{namespace}`, such as `http://{name}.{namespace}.svc:8080`. The
/// operator (for logout) and the front door (for updates) share it.
pub fn tenant_url(template: &str, account: &str, namespace: &str) -> String {
    template
        .replace("{name}", account)
        .replace("{namespace}", namespace)
}

/// The WhatsApp session store on the tenant's volume.
pub fn whatsmeow_db_file(owner: i64, phone: &PhoneNumber) -> String {
    format!("whatsmeow-{owner}-{}.db", phone.as_str())
}

/// The bot's own data (settings, group cache, jobs, activity) on the
/// tenant's volume.
pub fn bot_data_db_file(owner: i64, phone: &PhoneNumber) -> String {
    format!("bot_data-{owner}-{}.db", phone.as_str())
}

/// The Secret an imported account's files wait in until its tenant has
/// unpacked them (see `tenant-bot import --kubernetes`).
pub fn seed_secret(account: &str) -> String {
    format!("{account}-seed")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_urls_fill_the_template() {
        assert_eq!(
            tenant_url("http://{name}.{namespace}.svc:8080", "wa-1", "pawang"),
            "http://wa-1.pawang.svc:8080"
        );
        assert_eq!(
            tenant_url("http://127.0.0.1:9/{name}", "wa-1", "pawang"),
            "http://127.0.0.1:9/wa-1"
        );
    }

    fn phone(s: &str) -> PhoneNumber {
        s.parse().unwrap()
    }

    #[test]
    fn a_chain_says_each_cause_in_turn() {
        #[derive(Debug, thiserror::Error)]
        #[error("request failed")]
        struct Outer(#[source] std::io::Error);
        let error = Outer(std::io::Error::other("connection closed"));
        assert_eq!(
            Chain(&error).to_string(),
            "request failed: connection closed"
        );
    }

    #[test]
    fn a_cause_that_repeats_the_error_above_it_is_said_once() {
        #[derive(Debug, thiserror::Error)]
        #[error("x.db is damaged")]
        struct Damaged(#[source] Sqlite);
        #[derive(Debug, thiserror::Error)]
        #[error("database disk image is malformed")]
        struct Sqlite(#[source] Code);
        #[derive(Debug, thiserror::Error)]
        #[error("Error code 11: database disk image is malformed")]
        struct Code;
        assert_eq!(
            Chain(&Damaged(Sqlite(Code))).to_string(),
            "x.db is damaged: database disk image is malformed"
        );
    }

    #[test]
    fn accepts_e164_digits() {
        for ok in ["12345678", "447700900123", "123456789012345"] {
            assert_eq!(phone(ok).as_str(), ok);
        }
    }

    #[test]
    fn rejects_each_rule_with_its_reason() {
        let cases = [
            ("", Error::NotDigits),
            ("+447700900123", Error::NotDigits),
            ("44770 900 123", Error::NotDigits),
            ("4477009abc12", Error::NotDigits),
            ("٦٢٨١٢٣٤٥٦٧٨", Error::NotDigits),
            ("07700900123", Error::LeadingZero),
            ("1234567", Error::TooShort),
            ("1234567890123456", Error::TooLong),
        ];
        for (input, want) in cases {
            assert_eq!(input.parse::<PhoneNumber>(), Err(want), "input {input:?}");
        }
    }

    #[test]
    fn masks_the_middle_in_display_and_debug() {
        let p = phone("447700900123");
        assert_eq!(p.masked(), "44770****123");
        assert_eq!(p.to_string(), "44770****123");
        assert!(!format!("{p:?}").contains("447700900123"));
    }

    #[test]
    fn masks_short_numbers_too() {
        // 8 digits: 4 shown in front, 3 behind, 1 hidden; never all shown.
        assert_eq!(phone("12345678").masked(), "1234*678");
    }

    #[test]
    fn redacts_numbers_in_text() {
        let line = "statefulsets \"wa-447700900123\" not found (owner 555000111, code 404)";
        assert_eq!(
            Redacted(line).to_string(),
            "statefulsets \"wa-44770****123\" not found (owner 55500*111, code 404)"
        );
        assert_eq!(Redacted("08123456789").to_string(), "0812****789");
        assert_eq!(Redacted("no digits").to_string(), "no digits");
        assert_eq!(Redacted("1234567").to_string(), "1234567");
    }

    #[test]
    fn a_failure_is_told_with_its_causes_and_no_number() {
        #[derive(Debug, thiserror::Error)]
        #[error("cannot reach the tenant")]
        struct Outer(#[source] std::io::Error);
        let error = Outer(std::io::Error::other("wa-447700900123 refused"));
        assert_eq!(
            why(&error).to_string(),
            "cannot reach the tenant: wa-44770****123 refused"
        );
    }

    #[test]
    fn derives_names_from_phone_and_owner() {
        let p = phone("447700900123");
        assert_eq!(account_name(&p), "wa-447700900123");
        assert_eq!(whatsmeow_db_file(42, &p), "whatsmeow-42-447700900123.db");
        assert_eq!(bot_data_db_file(42, &p), "bot_data-42-447700900123.db");
    }
}
