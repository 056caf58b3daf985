//! The WhatsApp Web version a tenant presents when it is pinned rather
//! than fetched: the operator's `--tenant-whatsapp-version` and the
//! tenant's `--whatsapp-version` read it the same way.

use std::fmt;
use std::num::ParseIntError;
use std::str::FromStr;

/// A WhatsApp Web version: three dot-separated numbers, such as
/// `2.3000.1023000000`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WhatsAppVersion {
    /// The first number, `2` in `2.3000.1023000000`.
    pub primary: u32,
    /// The second number, `3000` in `2.3000.1023000000`.
    pub secondary: u32,
    /// The third number, `1023000000` in `2.3000.1023000000`.
    pub tertiary: u32,
}

/// Why a text is not a WhatsApp Web version.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Not three parts separated by dots.
    #[error("{0:?} is not a version like 2.3000.1023000000")]
    Parts(String),
    /// A part is not a number.
    #[error("{text:?} is not a version like 2.3000.1023000000")]
    Number {
        /// The whole text given.
        text: String,
        /// Why the part is not a number.
        #[source]
        source: ParseIntError,
    },
}

impl FromStr for WhatsAppVersion {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let number = |part: &str| {
            part.parse::<u32>().map_err(|source| Error::Number {
                text: s.to_owned(),
                source,
            })
        };
        match s.split('.').collect::<Vec<_>>().as_slice() {
            [primary, secondary, tertiary] => Ok(Self {
                primary: number(primary)?,
                secondary: number(secondary)?,
                tertiary: number(tertiary)?,
            }),
            _ => Err(Error::Parts(s.to_owned())),
        }
    }
}

impl fmt::Display for WhatsAppVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.primary, self.secondary, self.tertiary)
    }
}

impl From<WhatsAppVersion> for (u32, u32, u32) {
    fn from(version: WhatsAppVersion) -> Self {
        (version.primary, version.secondary, version.tertiary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_numbers_are_a_version_and_read_back_the_same() {
        let version: WhatsAppVersion = "2.3000.1023000000".parse().unwrap();
        assert_eq!(<(u32, u32, u32)>::from(version), (2, 3000, 1_023_000_000));
        assert_eq!(version.to_string(), "2.3000.1023000000");
    }

    #[test]
    fn anything_else_is_refused_with_the_text_it_got() {
        for bad in ["", "2.3000", "2.3000.x", "2.3000.1.4", "v2.3000.1", "2..1"] {
            let error = bad.parse::<WhatsAppVersion>().unwrap_err();
            let text = error.to_string();
            assert!(text.contains("not a version"), "{bad}: {text}");
            assert!(text.contains(&format!("{bad:?}")), "{bad}: {text}");
        }
    }

    #[test]
    fn a_part_that_is_no_number_says_why() {
        let error = "2.3000.x".parse::<WhatsAppVersion>().unwrap_err();
        assert!(matches!(error, Error::Number { .. }));
        assert!(std::error::Error::source(&error).is_some());
    }
}
