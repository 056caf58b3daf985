//! The root of every process's shutdown tree: a token cancelled on SIGTERM
//! or Ctrl-C. Tasks hold the token or a child of it (a job, a pairing),
//! and wind down once it is cancelled.

use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

/// A token cancelled when the process is asked to stop (SIGTERM or
/// Ctrl-C). Needs a Tokio runtime.
pub fn on_signal() -> CancellationToken {
    let token = CancellationToken::new();
    tokio::spawn(cancel_on_signal(token.clone()));
    token
}

/// Cancels `token` on SIGTERM or Ctrl-C; returns early if it is cancelled
/// for another reason.
async fn cancel_on_signal(token: CancellationToken) {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                warn!(error = %crate::naming::why(&error), "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
        () = token.cancelled() => return,
    }
    info!("shutting down");
    token.cancel();
}

/// Sleeps for `period`; false when `token` was cancelled first (or
/// already was), so a loop knows to end.
pub async fn pause(token: &CancellationToken, period: std::time::Duration) -> bool {
    token
        .run_until_cancelled(tokio::time::sleep(period))
        .await
        .is_some()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_pause_ends_early_when_cancelled() {
        let token = CancellationToken::new();
        assert!(pause(&token, Duration::from_secs(1)).await);
        let child = token.child_token();
        token.cancel();
        assert!(!pause(&child, Duration::from_secs(3600)).await);
    }

    #[tokio::test]
    async fn a_cancelled_token_ends_the_listener() {
        let token = CancellationToken::new();
        token.cancel();
        // Returns at once: nothing waits for a signal that will not come.
        cancel_on_signal(token).await;
    }
}
