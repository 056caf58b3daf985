//! Waiting for a condition with a deadline, never for a fixed time.

use std::future::Future;
use std::time::Duration;

use crate::cluster::DEADLINE;

/// Polls `check` until it returns `Some`, and returns that; panics naming
/// `what` after [`DEADLINE`]. For states that no single watch reports (a
/// count across objects, an HTTP endpoint); prefer `await_condition` for
/// one object.
pub async fn wait_until<T, F, Fut>(what: &str, check: F) -> T
where
    F: Fn() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    wait_until_for(what, DEADLINE, check).await
}

/// [`wait_until`] with another deadline.
pub async fn wait_until_for<T, F, Fut>(what: &str, deadline: Duration, check: F) -> T
where
    F: Fn() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    match wait_until_for_or(what, deadline, check).await {
        Some(value) => value,
        None => panic!("{what}: not within {deadline:?}"),
    }
}

/// [`wait_until_for`] that gives `None` at the deadline instead of
/// panicking, for a test that says more about what went wrong.
pub async fn wait_until_for_or<T, F, Fut>(what: &str, deadline: Duration, check: F) -> Option<T>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let poll = async {
        loop {
            if let Some(value) = check().await {
                return value;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let found = tokio::time::timeout(deadline, poll).await.ok();
    if found.is_none() {
        eprintln!("{what}: not within {deadline:?}");
    }
    found
}

/// Waits until `GET http://<address>/readyz` answers success.
pub async fn ready(what: &str, address: std::net::SocketAddr) {
    let http = reqwest::Client::new();
    wait_until(what, || async {
        let response = http
            .get(format!("http://{address}/readyz"))
            .send()
            .await
            .ok()?;
        response.status().is_success().then_some(())
    })
    .await;
}
