//! How every peer is tried again. Each kind of peer has one backoff
//! policy, so a reader finds in one place how long the product holds on
//! for each; callers pick what counts as worth another try (`when`) and
//! stop waiting when their cancellation token is cancelled.
//!
//! The policies are [`backon`] builders: `(|| call()).retry(policy)`.

use std::time::Duration;

use backon::ExponentialBuilder;
use futures::FutureExt as _;
use tokio_util::sync::CancellationToken;

/// A peer the product tries again when it fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peer {
    /// The Kubernetes API server (status reports): it restarts, and a new
    /// tenant's permissions take a moment to bind. Tried until stopped.
    Kubernetes,
    /// Telegram's Bot API behind the gateway, answering with a server
    /// error: about 15 s of tries, after which the caller hears the
    /// error. Long polling tries it until stopped.
    Telegram,
    /// The front door's gateway, seen from a tenant: while it restarts
    /// nothing listens; about a minute of tries.
    Gateway,
    /// A tenant, seen from the front door: starting, or its name not yet
    /// in the cluster's DNS; 15 s of tries.
    Tenant,
    /// WhatsApp's servers: a pairing code request or a job's item that
    /// failed for a passing reason.
    WhatsApp,
    /// Local storage that failed (a full volume): a paused job is tried
    /// again until stopped.
    Storage,
    /// A tenant process the standalone supervisor starts again after it
    /// ended.
    Process,
}

impl Peer {
    /// The backoff policy for this peer: the first wait, how it grows,
    /// its ceiling and when to give up.
    pub fn policy(self) -> ExponentialBuilder {
        let exponential = ExponentialBuilder::new().with_factor(2.0);
        match self {
            Self::Kubernetes => exponential
                .with_min_delay(Duration::from_secs(1))
                .with_max_delay(Duration::from_secs(30))
                .with_jitter()
                .without_max_times(),
            Self::Telegram => exponential
                .with_min_delay(Duration::from_millis(500))
                .with_max_delay(Duration::from_secs(30))
                .with_max_times(5),
            Self::Gateway => exponential
                .with_min_delay(Duration::from_millis(250))
                .with_max_delay(Duration::from_secs(8))
                .with_max_times(11),
            Self::Tenant => exponential
                .with_min_delay(Duration::from_millis(100))
                .with_max_delay(Duration::from_secs(2))
                .with_total_delay(Some(Duration::from_secs(15)))
                .without_max_times(),
            Self::WhatsApp => exponential
                .with_min_delay(Duration::from_secs(5))
                .with_max_delay(Duration::from_secs(300))
                .with_max_times(4),
            Self::Storage => exponential
                .with_min_delay(Duration::from_secs(2))
                .with_max_delay(Duration::from_secs(60))
                .without_max_times(),
            Self::Process => exponential
                .with_min_delay(Duration::from_secs(1))
                .with_max_delay(Duration::from_secs(30))
                .without_max_times(),
        }
    }
}

/// Runs a retry until it ends, or until `token` is cancelled (`None`
/// then). The retry is boxed at once: a task that runs one must be
/// `Send`, which the compiler cannot prove through backon's closures
/// when they borrow.
pub fn until_cancelled<'a, T: 'a>(
    token: &'a CancellationToken,
    retry: impl Future<Output = T> + Send + 'a,
) -> impl Future<Output = Option<T>> + Send + 'a {
    token.run_until_cancelled(retry.boxed())
}

#[cfg(test)]
mod tests {
    use backon::BackoffBuilder;

    use super::*;

    fn waits(peer: Peer, take: usize) -> Vec<Duration> {
        peer.policy().build().take(take).collect()
    }

    #[test]
    fn bounded_peers_give_up() {
        // Six tries of a Bot API call, about 15 s of waits.
        let telegram = waits(Peer::Telegram, 100);
        assert_eq!(telegram.len(), 5);
        assert_eq!(
            telegram.iter().sum::<Duration>(),
            Duration::from_millis(15_500)
        );
        // About a minute for a gateway that restarts.
        let gateway: Duration = waits(Peer::Gateway, 100).iter().sum();
        assert!((Duration::from_secs(45)..Duration::from_secs(75)).contains(&gateway));
        // A tenant is waited for 15 s at most.
        let tenant: Duration = waits(Peer::Tenant, 1000).iter().sum();
        assert!(tenant <= Duration::from_secs(15), "{tenant:?}");
        assert!(tenant >= Duration::from_secs(12), "{tenant:?}");
    }

    #[test]
    fn unbounded_peers_wait_at_most_their_ceiling() {
        for (peer, ceiling) in [
            (Peer::Kubernetes, Duration::from_secs(30)),
            (Peer::Storage, Duration::from_secs(60)),
            (Peer::Process, Duration::from_secs(30)),
        ] {
            let waits = waits(peer, 200);
            assert_eq!(waits.len(), 200, "{peer:?} never gives up");
            // Jitter adds up to one more wait at most.
            assert!(waits.iter().all(|w| *w <= ceiling * 2), "{peer:?}");
        }
    }
}
