//! Talking to the owner: the few things the tenant's flows need from
//! Telegram, behind a trait so flows can be tested without a server.

use async_trait::async_trait;
use backon::BackoffBuilder as _;
use prometheus::IntCounterVec;
use teloxide::Bot;
use teloxide::payloads::{EditMessageTextSetters, SendDocumentSetters, SendMessageSetters};
use teloxide::prelude::Requester;
use teloxide::types::{ChatId, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, MessageId};
use tokio_util::sync::CancellationToken;

/// An inline button: its label and the callback data it sends back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Button {
    /// What the owner sees.
    pub label: String,
    /// What comes back in the callback query.
    pub data: String,
}

impl Button {
    /// A button with `label` sending `data`.
    pub fn new(label: impl Into<String>, data: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            data: data.into(),
        }
    }
}

/// Why a message could not be sent or edited.
#[derive(Debug, thiserror::Error)]
#[error("Telegram request failed")]
pub struct Error(#[source] pub teloxide::RequestError);

/// Messages to one chat: the owner's.
#[async_trait]
pub trait Messenger: Send + Sync {
    /// Sends a message with rows of buttons; returns its id.
    async fn send(&self, text: String, buttons: Vec<Vec<Button>>) -> Result<i32, Error>;

    /// Replaces a message's text and buttons.
    async fn edit(
        &self,
        message: i32,
        text: String,
        buttons: Vec<Vec<Button>>,
    ) -> Result<(), Error>;

    /// Sends a file made here, with a caption.
    async fn send_file(&self, name: String, bytes: Vec<u8>, caption: String) -> Result<(), Error>;
}

/// The owner's chat through a Bot API endpoint (the front door's gateway
/// in production), with the tenant's credential where a token would be.
#[derive(Debug, Clone)]
pub struct TelegramMessenger {
    bot: Bot,
    chat: ChatId,
    errors: Option<IntCounterVec>,
    stop: Option<CancellationToken>,
}

impl TelegramMessenger {
    /// A messenger for `owner`'s private chat via `api_url`.
    pub fn new(api_url: reqwest::Url, credential: &str, owner: i64) -> Self {
        Self {
            bot: gateway_bot(api_url, credential),
            chat: ChatId(owner),
            errors: None,
            stop: None,
        }
    }

    /// Gives up waiting to try a request again once `stop` is cancelled:
    /// a process asked to stop does not hold on for a minute to reach a
    /// gateway that is away.
    pub fn stopping_on(mut self, stop: CancellationToken) -> Self {
        self.stop = Some(stop);
        self
    }

    /// Counts failed requests in `errors` by kind (`rate_limited` for each
    /// 429, `unreachable` for each try that found nothing listening,
    /// `other` for a request given up on).
    pub fn with_error_counter(mut self, errors: IntCounterVec) -> Self {
        self.errors = Some(errors);
        self
    }
}

/// A Bot API client of the gateway at `api_url` that opens a connection
/// for each request and keeps none. A kept connection to a front door that
/// is being replaced fails a request after it was written, which cannot
/// be tried again without risking it twice; a new connection to a front
/// door that is away fails before anything is sent, and is tried again
/// (see `with_retry_after`). Connections inside the cluster cost little.
pub fn gateway_bot(api_url: reqwest::Url, credential: &str) -> Bot {
    let client = teloxide::net::default_reqwest_settings()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap_or_else(|error| {
            tracing::warn!(%error, "cannot build the gateway's client; keeping connections");
            teloxide::net::client_from_env()
        });
    Bot::with_client(credential, client).set_api_url(api_url)
}

pub(crate) fn keyboard(rows: Vec<Vec<Button>>) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(rows.into_iter().map(|row| {
        row.into_iter()
            .map(|b| InlineKeyboardButton::callback(b.label, b.data))
            .collect::<Vec<_>>()
    }))
}

fn count(errors: Option<&IntCounterVec>, kind: &str) {
    if let Some(errors) = errors {
        errors.with_label_values(&[kind]).inc();
    }
}

/// Tries of one request when Telegram answers 429, each after the wait
/// it asks for. A request that cannot reach the gateway is tried as
/// [`Peer::Gateway`]'s policy says: about a minute in all.
///
/// [`Peer::Gateway`]: crate::retry::Peer::Gateway
const ATTEMPTS: u32 = 4;

/// Whether `error` says the request was not taken by the gateway, so it
/// may be tried again without risk of doing it twice: a connection never
/// made, or (each request has a connection of its own, see
/// [`gateway_bot`]) one the gateway closed before answering, as a front
/// door that is stopping does with a request it has not begun.
fn not_connected(error: &teloxide::RequestError) -> bool {
    let teloxide::RequestError::Network(error) = error else {
        return false;
    };
    if error.is_connect() {
        return true;
    }
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        if let Some(http) = cause.downcast_ref::<hyper::Error>() {
            return http.is_incomplete_message() || http.is_canceled();
        }
        source = cause.source();
    }
    false
}

/// Sends a request, waiting as long as a 429's `retry_after` asks before
/// trying again, a few times at most; a request that could not connect
/// is tried again for about a minute. Once `stop` is cancelled, no new
/// try starts (a try under way ends as it ends).
pub(crate) async fn with_retry_after<T, F, Fut>(
    errors: Option<&IntCounterVec>,
    stop: Option<&CancellationToken>,
    mut request: F,
) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, teloxide::RequestError>>,
{
    let never = CancellationToken::new();
    let stop = stop.unwrap_or(&never);
    let mut waits = crate::retry::Peer::Gateway.policy().build();
    let mut limited = 1;
    loop {
        let error = match request().await {
            Ok(value) => return Ok(value),
            Err(error) => error,
        };
        let wait = match &error {
            teloxide::RequestError::RetryAfter(asked) if limited < ATTEMPTS => {
                limited += 1;
                count(errors, "rate_limited");
                tracing::warn!(retry_after = ?asked.duration(), "Telegram asks to slow down");
                Some(asked.duration())
            }
            error if not_connected(error) => waits.next().inspect(|wait| {
                count(errors, "unreachable");
                tracing::warn!(retry_in = ?wait, "the Telegram API cannot be reached");
            }),
            _ => None,
        };
        // No new try once stopped; a try under way ended as it ended.
        let tried_again = match wait {
            Some(wait) => crds::shutdown::pause(stop, wait).await,
            None => false,
        };
        if !tried_again {
            let kind = if matches!(error, teloxide::RequestError::RetryAfter(_)) {
                "rate_limited"
            } else {
                "other"
            };
            count(errors, kind);
            return Err(Error(error));
        }
    }
}

#[async_trait]
impl Messenger for TelegramMessenger {
    async fn send_file(&self, name: String, bytes: Vec<u8>, caption: String) -> Result<(), Error> {
        with_retry_after(self.errors.as_ref(), self.stop.as_ref(), || {
            let file = InputFile::memory(bytes.clone()).file_name(name.clone());
            self.bot
                .send_document(self.chat, file)
                .caption(caption.clone())
                .into_future()
        })
        .await?;
        Ok(())
    }

    async fn send(&self, text: String, buttons: Vec<Vec<Button>>) -> Result<i32, Error> {
        let markup = keyboard(buttons);
        let message = with_retry_after(self.errors.as_ref(), self.stop.as_ref(), || {
            self.bot
                .send_message(self.chat, text.clone())
                .reply_markup(markup.clone())
                .into_future()
        })
        .await?;
        Ok(message.id.0)
    }

    async fn edit(
        &self,
        message: i32,
        text: String,
        buttons: Vec<Vec<Button>>,
    ) -> Result<(), Error> {
        let markup = keyboard(buttons);
        with_retry_after(self.errors.as_ref(), self.stop.as_ref(), || {
            self.bot
                .edit_message_text(self.chat, MessageId(message), text.clone())
                .reply_markup(markup.clone())
                .into_future()
        })
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::Duration;

    use super::*;

    /// A request that finds nothing listening.
    async fn refused() -> teloxide::RequestError {
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = closed.local_addr().unwrap();
        drop(closed);
        let error = reqwest::get(format!("http://{address}/"))
            .await
            .unwrap_err();
        assert!(error.is_connect(), "{error}");
        teloxide::RequestError::Network(Arc::new(error))
    }

    /// A gateway that reads the first request and closes its connection
    /// unanswered (a front door stopping), then answers every other one
    /// as Telegram would; it counts the requests it answered.
    async fn stopping_then_answering() -> (reqwest::Url, Arc<AtomicU32>) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap())
            .parse()
            .unwrap();
        let answered = Arc::new(AtomicU32::new(0));
        let count = answered.clone();
        tokio::spawn(async move {
            let mut first = true;
            loop {
                let (mut socket, _) = listener.accept().await.unwrap();
                let mut request = vec![0; 64 * 1024];
                let _ = socket.read(&mut request).await;
                if std::mem::take(&mut first) {
                    drop(socket);
                    continue;
                }
                count.fetch_add(1, Ordering::SeqCst);
                let body = r#"{"ok":true,"result":{"message_id":7,"date":0,"chat":{"id":1,"type":"private"},"text":"x"}}"#;
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(answer.as_bytes()).await;
            }
        });
        (url, answered)
    }

    #[tokio::test]
    async fn a_request_the_gateway_closed_unanswered_is_sent_again_once() {
        let (url, answered) = stopping_then_answering().await;
        let messenger = TelegramMessenger::new(url, "wa-1:secret", 1);
        let sent = messenger.send("hello".into(), Vec::new()).await.unwrap();
        assert_eq!(sent, 7);
        assert_eq!(answered.load(Ordering::SeqCst), 1);
    }

    fn counter() -> IntCounterVec {
        IntCounterVec::new(prometheus::Opts::new("errors", "test"), &["kind"]).unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_that_cannot_connect_is_tried_again() {
        let errors = counter();
        let tries = AtomicU32::new(0);
        let sent = with_retry_after(Some(&errors), None, || async {
            if tries.fetch_add(1, Ordering::SeqCst) < 3 {
                Err(refused().await)
            } else {
                Ok(42)
            }
        })
        .await
        .unwrap();
        assert_eq!(sent, 42);
        assert_eq!(tries.load(Ordering::SeqCst), 4);
        assert_eq!(errors.with_label_values(&["unreachable"]).get(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn an_api_gone_for_good_is_given_up_on() {
        let errors = counter();
        let tries = AtomicU32::new(0);
        let started = tokio::time::Instant::now();
        let result: Result<(), _> = with_retry_after(Some(&errors), None, || async {
            tries.fetch_add(1, Ordering::SeqCst);
            Err(refused().await)
        })
        .await;
        assert!(result.is_err());
        let retries = backon::BackoffBuilder::build(crate::retry::Peer::Gateway.policy()).count();
        assert_eq!(tries.load(Ordering::SeqCst) as usize, retries + 1);
        assert_eq!(errors.with_label_values(&["other"]).get(), 1);
        let waited = started.elapsed();
        assert!(
            (Duration::from_secs(40)..Duration::from_secs(90)).contains(&waited),
            "{waited:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_stop_ends_the_tries_at_once() {
        let stop = CancellationToken::new();
        let tries = AtomicU32::new(0);
        let started = tokio::time::Instant::now();
        let result: Result<(), _> = with_retry_after(None, Some(&stop), || async {
            if tries.fetch_add(1, Ordering::SeqCst) == 1 {
                stop.cancel();
            }
            Err(refused().await)
        })
        .await;
        assert!(result.is_err());
        assert_eq!(tries.load(Ordering::SeqCst), 2);
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_stop_during_a_wait_ends_it_without_another_try() {
        let stop = CancellationToken::new();
        let tries = AtomicU32::new(0);
        let started = tokio::time::Instant::now();
        let stopper = async {
            // Tries at 0 s and 0.25 s; the stop comes in the 0.5 s wait (the
            // clock is paused, so exactly there).
            tokio::time::sleep(Duration::from_millis(400)).await;
            stop.cancel();
        };
        let sending = with_retry_after(None, Some(&stop), || async {
            tries.fetch_add(1, Ordering::SeqCst);
            Err::<(), _>(refused().await)
        });
        let (result, ()) = tokio::join!(sending, stopper);
        assert!(result.is_err());
        assert_eq!(tries.load(Ordering::SeqCst), 2);
        assert_eq!(started.elapsed(), Duration::from_millis(400));
    }
}
