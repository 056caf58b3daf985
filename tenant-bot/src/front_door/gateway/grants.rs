//! What a tenant may touch beyond its owner's chat: the callback queries
//! and files that reached it in its routed updates, and the file paths
//! Telegram then gave it.
//!
//! A grant is carried, not stored: when the front door routes an update
//! it signs each callback query id and file id for the receiving account
//! (`<id>~<mac>`, an HMAC under the install key), and the gateway checks
//! the signature and restores the id before the call goes to Telegram. So
//! any replica's gateway honours what any replica routed, across restarts,
//! with no table to bound.

use crds::secret::InstallKey;

/// Separates an id from its signature; never part of Telegram's ids.
const MARK: char = '~';

/// Hex digits of signature kept: 64 bits.
const MAC_LEN: usize = 16;

/// A kind of grant; a signature for one kind is worthless for another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A callback query id the tenant may answer.
    Callback,
    /// A file id the tenant may ask `getFile` about.
    File,
    /// A file path the tenant may download.
    Path,
}

impl Kind {
    fn tag(self) -> &'static str {
        match self {
            Self::Callback => "callback",
            Self::File => "file",
            Self::Path => "path",
        }
    }
}

/// Signs and checks grants with the install key.
#[derive(Debug, Clone)]
pub struct Grants {
    key: InstallKey,
}

impl Grants {
    /// Grants under `key`.
    pub fn new(key: InstallKey) -> Self {
        Self { key }
    }

    fn mac(&self, kind: Kind, id: &str, account: &str) -> String {
        let mut mac = self
            .key
            .tenant_secret(&format!("grant\n{}\n{account}\n{id}", kind.tag()));
        mac.truncate(MAC_LEN);
        mac
    }

    /// `id` signed for `account`.
    pub fn sign(&self, kind: Kind, id: &str, account: &str) -> String {
        format!("{id}{MARK}{}", self.mac(kind, id, account))
    }

    /// The original id of `signed` when it was signed for `account`.
    pub fn verify<'a>(&self, kind: Kind, signed: &'a str, account: &str) -> Option<&'a str> {
        let (id, mac) = signed.rsplit_once(MARK)?;
        crds::secret::same(mac.as_bytes(), self.mac(kind, id, account).as_bytes()).then_some(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grants() -> Grants {
        Grants::new(InstallKey::new(&[7; 32]).unwrap())
    }

    #[test]
    fn a_grant_belongs_to_one_account_and_kind() {
        let grants = grants();
        let signed = grants.sign(Kind::Callback, "4382", "wa-1");
        assert_eq!(grants.verify(Kind::Callback, &signed, "wa-1"), Some("4382"));
        assert_eq!(grants.verify(Kind::Callback, &signed, "wa-2"), None);
        assert_eq!(grants.verify(Kind::File, &signed, "wa-1"), None);
    }

    #[test]
    fn forgeries_fail() {
        let grants = grants();
        let signed = grants.sign(Kind::File, "BQACAgI", "wa-1");
        let (id, mac) = signed.rsplit_once(MARK).unwrap();
        for forged in [
            id.to_owned(),
            format!("{id}{MARK}"),
            format!("{id}{MARK}{}", "0".repeat(MAC_LEN)),
            format!("other{MARK}{mac}"),
            format!("{signed}x"),
        ] {
            assert_eq!(grants.verify(Kind::File, &forged, "wa-1"), None, "{forged}");
        }
    }

    #[test]
    fn ids_may_contain_the_mark() {
        let grants = grants();
        let signed = grants.sign(Kind::Path, "documents/a~b.txt", "wa-1");
        assert_eq!(
            grants.verify(Kind::Path, &signed, "wa-1"),
            Some("documents/a~b.txt")
        );
    }
}
