//! The real Bot API behind the gateway: a call goes out with the bot
//! token in place of the caller's credential, and its answer comes back
//! as Telegram gave it.
//!
//! A raw HTTP client, not teloxide's `Bot`: the gateway forwards any
//! method with its body untouched (multipart uploads included) and hands
//! back Telegram's answer byte for byte, which a typed client cannot.

use std::time::Duration;

use axum::body::Bytes;
use prometheus::IntCounterVec;
use serde_json::Value;

use crate::front_door::schedule::{Sender, Sent};

/// One Bot API call as the gateway forwards it.
#[derive(Debug, Clone)]
pub struct Call {
    /// Method name, as documented.
    pub method: String,
    /// The body's content type, when it has a body.
    pub content_type: Option<String>,
    /// The body, unchanged unless buttons were tagged.
    pub body: Bytes,
}

/// Telegram's answer.
#[derive(Debug, Clone)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// The body, usually `{"ok": …}` JSON.
    pub body: Bytes,
}

impl Answer {
    /// An answer in Telegram's error shape, for refusals and failures the
    /// gateway itself decides.
    pub fn error(status: u16, description: &str) -> Self {
        let body = serde_json::json!({
            "ok": false, "error_code": status, "description": description,
        });
        Self {
            status,
            body: Bytes::from(body.to_string()),
        }
    }
}

/// The Bot API with the real token.
#[derive(Clone)]
pub struct Telegram {
    http: reqwest::Client,
    base: String,
    token: String,
    errors: IntCounterVec,
}

impl std::fmt::Debug for Telegram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Telegram")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

/// How long one call may take; long polling does not come through here.
const TIMEOUT: Duration = Duration::from_secs(30);

impl Telegram {
    /// The API at `base` with `token`; failures counted in `errors` by kind.
    pub fn new(base: &str, token: String, errors: IntCounterVec) -> Self {
        Self {
            http: reqwest::Client::new(),
            base: base.trim_end_matches('/').to_owned(),
            token,
            errors,
        }
    }

    /// Downloads a file by the path `getFile` gave.
    pub async fn download(&self, path: &str) -> Answer {
        let url = format!("{}/file/bot{}/{path}", self.base, self.token);
        self.answer(self.http.get(url).timeout(TIMEOUT)).await
    }

    async fn answer(&self, request: reqwest::RequestBuilder) -> Answer {
        let response = match request.send().await {
            Ok(response) => response,
            Err(error) => return self.unreachable(error),
        };
        let status = response.status().as_u16();
        match response.bytes().await {
            Ok(body) => Answer { status, body },
            Err(error) => self.unreachable(error),
        }
    }

    fn unreachable(&self, error: reqwest::Error) -> Answer {
        // The URL holds the token; never log it.
        tracing::warn!(error = %crds::naming::why(&error.without_url()), "Telegram request failed");
        self.errors.with_label_values(&["unreachable"]).inc();
        Answer::error(502, "Bad Gateway: Telegram is unreachable")
    }

    async fn call(&self, call: &Call) -> Answer {
        let url = format!("{}/bot{}/{}", self.base, self.token, call.method);
        let mut request = self.http.post(url).timeout(TIMEOUT).body(call.body.clone());
        if let Some(content_type) = &call.content_type {
            request = request.header(reqwest::header::CONTENT_TYPE, content_type);
        }
        self.answer(request).await
    }
}

/// `parameters.retry_after` of a 429 answer.
pub fn retry_after(answer: &Answer) -> Option<Duration> {
    if answer.status != 429 {
        return None;
    }
    let body: Value = serde_json::from_slice(&answer.body).ok()?;
    let seconds = body.get("parameters")?.get("retry_after")?.as_u64()?;
    Some(Duration::from_secs(seconds.max(1)))
}

/// A call that Telegram answers with a server error (5xx) or that does
/// not reach it is tried again as [`Peer::Telegram`]'s policy says (about
/// 15 s in all) before the error goes back to the caller. A call whose
/// answer was lost on the way may so reach Telegram twice; a lost message
/// would be worse. A 429 goes back to the scheduler at once, with the
/// wait Telegram asked for.
///
/// [`Peer::Telegram`]: crate::retry::Peer::Telegram
#[async_trait::async_trait]
impl Sender<Call, Answer> for Telegram {
    async fn send(&self, call: Call) -> Sent<Answer> {
        use backon::Retryable as _;
        let failed = |answer: &Answer| answer.status >= 500;
        let tried = (|| async {
            let answer = self.call(&call).await;
            if failed(&answer) {
                Err(answer)
            } else {
                Ok(answer)
            }
        })
        .retry(crate::retry::Peer::Telegram.policy())
        .notify(|answer, wait| {
            self.errors.with_label_values(&["server_error"]).inc();
            tracing::warn!(
                method = %call.method,
                status = answer.status,
                retry_in = ?wait,
                "Telegram failed; trying again"
            );
        })
        .await;
        let answer = tried.unwrap_or_else(|answer| answer);
        if let Some(wait) = retry_after(&answer) {
            self.errors.with_label_values(&["rate_limited"]).inc();
            tracing::warn!(method = %call.method, retry_after = ?wait, "Telegram asks the bot to slow down");
            return Sent::RetryAfter(wait);
        }
        Sent::Done(answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_read_from_a_429() {
        let answer = |status, body: &str| Answer {
            status,
            body: Bytes::from(body.to_owned()),
        };
        let limited = r#"{"ok":false,"error_code":429,"parameters":{"retry_after":7}}"#;
        assert_eq!(
            retry_after(&answer(429, limited)),
            Some(Duration::from_secs(7))
        );
        assert_eq!(retry_after(&answer(400, limited)), None);
        assert_eq!(retry_after(&answer(429, "not json")), None);
        let zero = r#"{"ok":false,"parameters":{"retry_after":0}}"#;
        assert_eq!(
            retry_after(&answer(429, zero)),
            Some(Duration::from_secs(1))
        );
    }

    #[test]
    fn errors_have_telegrams_shape() {
        let answer = Answer::error(403, "Forbidden: x");
        let body: Value = serde_json::from_slice(&answer.body).unwrap();
        assert_eq!(body["ok"], false);
        assert_eq!(body["error_code"], 403);
        assert_eq!(body["description"], "Forbidden: x");
    }
}
