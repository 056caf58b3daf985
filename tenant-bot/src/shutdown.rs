//! The one shutdown path of both roles: SIGTERM or Ctrl-C turns a watch
//! to true, and every task that holds a receiver winds down.

use tokio::sync::watch;
use tracing::{info, warn};

/// Sets `stop` on SIGTERM or Ctrl-C.
pub async fn signals(stop: watch::Sender<bool>) {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                warn!(error = %crds::naming::Redacted(&error), "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
    info!("shutting down");
    let _ = stop.send(true);
}

/// Resolves once `stop` turns true (or its sender is gone).
pub async fn requested(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await.map(|_| ());
}
