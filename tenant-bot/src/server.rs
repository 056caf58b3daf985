//! The HTTP servers of every role: each serves until the process's token
//! is cancelled, and the role waits for all of them before it exits.

use std::net::SocketAddr;

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::Instrument as _;

/// Listens on `address`, or says which address could not be had.
pub async fn bind(address: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(address)
        .await
        .with_context(|| format!("cannot listen on {address}"))
}

/// A role's running servers.
#[derive(Debug)]
pub struct Servers {
    stop: CancellationToken,
    running: Vec<JoinHandle<std::io::Result<()>>>,
}

impl Servers {
    /// Servers that stop when `stop` is cancelled.
    pub fn new(stop: &CancellationToken) -> Self {
        Self {
            stop: stop.clone(),
            running: Vec::new(),
        }
    }

    /// Serves `router` on `listener`, its log lines in a span named
    /// `name`.
    pub fn serve(&mut self, listener: TcpListener, router: axum::Router, name: &'static str) {
        let server = axum::serve(listener, router)
            .with_graceful_shutdown(self.stop.clone().cancelled_owned());
        let span = tracing::info_span!("serve", name);
        self.running
            .push(tokio::spawn(server.into_future().instrument(span)));
    }

    /// Stops every server (cancelling the token) and waits for them to
    /// finish the requests they hold.
    pub async fn stopped(self) {
        self.stop.cancel();
        for server in self.running {
            if let Ok(Err(error)) = server.await {
                tracing::warn!(error = %crds::naming::why(&error), "HTTP server failed");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn servers_answer_until_stopped() {
        let stop = CancellationToken::new();
        let mut servers = Servers::new(&stop);
        let listener = bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let address = listener.local_addr().unwrap();
        let router = axum::Router::new().route("/", axum::routing::get(|| async { "up" }));
        servers.serve(listener, router, "test");
        let body = reqwest::get(format!("http://{address}/"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(body, "up");
        servers.stopped().await;
        assert!(stop.is_cancelled());
        assert!(reqwest::get(format!("http://{address}/")).await.is_err());
    }

    #[tokio::test]
    async fn an_address_in_use_is_named() {
        let taken = bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let address = taken.local_addr().unwrap();
        let error = bind(address).await.unwrap_err().to_string();
        assert_eq!(error, format!("cannot listen on {address}"));
    }
}
