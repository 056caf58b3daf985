//! Between whatsapp-rust's words and the port's: its events as the
//! tenant's, its failures as the port's errors, group ids as JIDs.

use std::time::Duration;

use tracing::warn;
use whatsapp_rust::ErrorChainExt;
use whatsapp_rust::prelude::*;
use whatsapp_rust::types::events::Event as WaEvent;

use super::DEFAULT_BACKOFF;
use crate::whatsapp::{Cause, Error, Event, Result};

/// whatsapp-rust's events, as the tenant knows them.
pub(super) fn translate(event: &WaEvent, client: &Client) -> Option<Event> {
    match event {
        WaEvent::PairSuccess(paired) => Some(Event::Paired {
            jid: paired.id.to_string(),
            push_name: client.push_name(),
        }),
        WaEvent::Connected(_) => Some(Event::Connected),
        WaEvent::Disconnected(_) => Some(Event::Disconnected),
        // The client does not connect again after these; the next call
        // starts it (see `Adapter::client`).
        WaEvent::StreamReplaced(_) => Some(Event::Replaced),
        WaEvent::ClientOutdated(_) => {
            warn!("WhatsApp refused this client's version");
            Some(Event::Disconnected)
        }
        WaEvent::ConnectFailure(failure) => {
            warn!(reason = ?failure.reason, "WhatsApp refused the login");
            Some(Event::Disconnected)
        }
        WaEvent::LoggedOut(_) => Some(Event::LoggedOut),
        WaEvent::TemporaryBan(ban) => {
            let now = crate::store::unix_seconds();
            Some(Event::Banned {
                until: Some(now + ban.expire.num_seconds()),
            })
        }
        _ => None,
    }
}

/// A WhatsApp failure as the tenant can act on it.
pub(super) fn classify(error: impl std::error::Error + Send + Sync + 'static) -> Error {
    let chain: &(dyn std::error::Error + 'static) = &error;
    if let Some(rejection) = chain.server_rejection() {
        return refusal(rejection.code, rejection.text, rejection.backoff);
    }
    Error::Transient(Cause::new(error))
}

/// WhatsApp's refusal `code`, with its `text` and the seconds it asks to
/// wait, as the tenant can act on it.
pub(super) fn refusal(code: u16, text: &str, backoff: Option<u32>) -> Error {
    match code {
        429 => Error::RateLimited {
            retry_after: backoff.map_or(DEFAULT_BACKOFF, |s| Duration::from_secs(u64::from(s))),
        },
        401 | 403 => Error::NotAdmin,
        404 => Error::GroupNotFound,
        406 | 410 => Error::InvalidInvite,
        500..=599 => Error::Transient(text.into()),
        _ => Error::Rejected(text.into()),
    }
}

pub(super) fn jid(group: &str) -> Result<Jid> {
    group
        .parse()
        .map_err(|_| Error::Rejected(format!("{group} is not a WhatsApp ID").into()))
}

pub(super) fn digits(jid: &Jid) -> String {
    jid.user.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_ids_are_checked() {
        assert!(jid("120363000000000001@g.us").is_ok());
        assert!(matches!(jid("not a jid"), Err(Error::Rejected(_))));
    }
}
