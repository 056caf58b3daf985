//! The install-wide account limit.
//!
//! Accounts are ranked by creation time (then name, for accounts created in
//! the same second); the first `limit` run, the rest wait. The ranking only
//! depends on the accounts, so every reconcile and every replica agrees, and
//! deleting an account lets the next one in.

use crds::WhatsAppAccount;
use kube::ResourceExt;

/// True when `account` is beyond the first `limit` accounts of `all`.
pub fn exceeded<'a>(
    all: impl IntoIterator<Item = &'a WhatsAppAccount>,
    account: &WhatsAppAccount,
    limit: usize,
) -> bool {
    let rank = |a: &WhatsAppAccount| (a.creation_timestamp().map(|t| t.0), a.name_any());
    let mine = rank(account);
    let ahead = all
        .into_iter()
        .filter(|a| a.metadata.deletion_timestamp.is_none() && rank(a) < mine)
        .count();
    ahead >= limit
}

#[cfg(test)]
mod tests {
    use crds::Language;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
    use k8s_openapi::jiff::Timestamp;

    use super::*;

    fn account(phone: &str, created: i64) -> WhatsAppAccount {
        let mut a = WhatsAppAccount::for_phone(&phone.parse().unwrap(), 1, Language::Id);
        a.metadata.creation_timestamp = Some(Time(Timestamp::from_second(created).unwrap()));
        a
    }

    #[test]
    fn oldest_accounts_run_first() {
        let all = [
            account("447700900003", 30),
            account("447700900001", 10),
            account("447700900002", 20),
        ];
        let over: Vec<_> = all.iter().map(|a| exceeded(&all, a, 2)).collect();
        assert_eq!(over, [true, false, false]);
    }

    #[test]
    fn same_second_ties_break_by_name() {
        let all = [account("447700900002", 10), account("447700900001", 10)];
        assert!(exceeded(&all, &all[0], 1));
        assert!(!exceeded(&all, &all[1], 1));
    }

    #[test]
    fn deleting_accounts_free_their_place() {
        let mut first = account("447700900001", 10);
        let second = account("447700900002", 20);
        assert!(exceeded([&first, &second], &second, 1));
        first.metadata.deletion_timestamp = Some(Time(Timestamp::from_second(30).unwrap()));
        assert!(!exceeded([&first, &second], &second, 1));
    }
}
