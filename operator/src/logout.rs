//! Asks a tenant to log out of WhatsApp before its account goes away, so
//! the linked device disappears from the owner's phone too.

use std::time::Duration;

/// Why a logout request failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request could not be sent or timed out.
    #[error("logout request failed")]
    Request(#[from] reqwest::Error),
    /// The tenant answered with an error status.
    #[error("tenant answered {0}")]
    Status(reqwest::StatusCode),
}

/// `POST <tenant>/admin/logout` with the tenant secret.
pub async fn request(
    http: &reqwest::Client,
    base: &str,
    secret: &str,
    timeout: Duration,
) -> Result<(), Error> {
    let response = http
        .post(format!("{}/admin/logout", base.trim_end_matches('/')))
        .header(crds::secret::HEADER, secret)
        .timeout(timeout)
        .send()
        .await?;
    if !response.status().is_success() {
        return Err(Error::Status(response.status()));
    }
    Ok(())
}
