//! The Telegram gateway: the only way tenants reach Telegram.
//!
//! It has the Bot API's own paths, so a tenant is an ordinary teloxide bot
//! with another base URL and its credential (`<account>:<secret>`) where a
//! token would stand. The gateway authenticates the credential against the
//! install key, lets a tenant use only the methods it needs, only toward
//! its owner's chat, only for callback queries and files routed to it,
//! tags its buttons with its account, swaps in the real token, and paces
//! every call of the whole bot through one scheduler.

pub mod grants;
pub mod policy;
pub mod telegram;

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use crds::secret::InstallKey;
use serde_json::{Map, Value};

use self::grants::Grants;
use self::policy::{Caller, Pace, Refusal, Target};
use self::telegram::{Answer, Call, Telegram};
use super::accounts::Accounts;
use super::metrics::Metrics;
use super::schedule::{self, Kind, Scheduler};

/// Largest request body: Telegram's upload limit for bots.
const MAX_BODY: usize = 50 << 20;

/// Everything the gateway works with; cheap to clone.
#[derive(Clone)]
pub struct Gateway {
    inner: Arc<Inner>,
}

struct Inner {
    install_key: InstallKey,
    accounts: Accounts,
    grants: Grants,
    telegram: Telegram,
    scheduler: Scheduler<Call, Answer>,
    metrics: Metrics,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway").finish_non_exhaustive()
    }
}

impl Gateway {
    /// A gateway in front of `telegram`, pacing calls with `scheduler`.
    pub fn new(
        install_key: InstallKey,
        accounts: Accounts,
        grants: Grants,
        telegram: Telegram,
        scheduler: Scheduler<Call, Answer>,
        metrics: Metrics,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                install_key,
                accounts,
                grants,
                telegram,
                scheduler,
                metrics,
            }),
        }
    }

    /// The credential the front door itself uses on its own gateway.
    pub fn own_credential(install_key: &InstallKey) -> String {
        format!(
            "{}:{}",
            policy::FRONT_DOOR,
            install_key.tenant_secret(policy::FRONT_DOOR)
        )
    }

    /// The gateway's routes.
    pub fn router(self) -> Router {
        Router::new()
            .route("/{bot}/{method}", any(method))
            .route("/file/{bot}/{*path}", get(file))
            .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
            .with_state(self)
    }

    /// Who `credential` (`<name>:<secret>`) is, if anyone.
    fn authenticate(&self, credential: &str) -> Option<Caller> {
        let (name, secret) = credential.split_once(':')?;
        let expected = self.inner.install_key.tenant_secret(name);
        if !crds::secret::same(secret.as_bytes(), expected.as_bytes()) {
            return None;
        }
        if name == policy::FRONT_DOOR {
            return Some(Caller::FrontDoor);
        }
        // A tenant speaks for its account until the account is gone, also
        // while it is being deleted (it logs out and says so).
        let account = self.inner.accounts.known(name)?;
        Some(Caller::Tenant {
            account: name.to_owned(),
            owner: account.owner_id(),
        })
    }

    fn count(&self, method: &str, outcome: &str) {
        self.inner
            .metrics
            .gateway_calls
            .with_label_values(&[method, outcome])
            .inc();
    }
}

fn respond(answer: Answer) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_GATEWAY);
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        answer.body,
    )
        .into_response()
}

fn refuse(refusal: &Refusal) -> Response {
    respond(Answer::error(refusal.status(), &refusal.to_string()))
}

/// A 429 in Telegram's shape, so the tenant's teloxide waits as asked.
fn retry_later(wait: std::time::Duration) -> Answer {
    let body = serde_json::json!({
        "ok": false, "error_code": 429,
        "description": format!("Too Many Requests: retry after {}", wait.as_secs()),
        "parameters": {"retry_after": wait.as_secs().max(1)},
    });
    Answer {
        status: 429,
        body: Bytes::from(body.to_string()),
    }
}

fn unauthorized() -> Response {
    respond(Answer::error(401, "Unauthorized"))
}

/// The request's parameters: JSON body, multipart fields (files left
/// out), or none.
async fn parameters(headers: &HeaderMap, body: &Bytes) -> Option<Map<String, Value>> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if body.is_empty() {
        return Some(Map::new());
    }
    if content_type.starts_with("application/json") {
        return serde_json::from_slice::<Value>(body)
            .ok()?
            .as_object()
            .cloned();
    }
    if content_type.starts_with("multipart/form-data") {
        let request = Request::builder()
            .header(header::CONTENT_TYPE, content_type)
            .body(axum::body::Body::from(body.clone()))
            .ok()?;
        let mut form = Multipart::from_request(request, &()).await.ok()?;
        let mut params = Map::new();
        while let Some(field) = form.next_field().await.ok()? {
            let name = field.name().unwrap_or_default().to_owned();
            if field.file_name().is_some() {
                continue;
            }
            let text = field.text().await.ok()?;
            let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
            params.insert(name, value);
        }
        return Some(params);
    }
    None
}

async fn method(
    State(gateway): State<Gateway>,
    Path((bot, method)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let started = Instant::now();
    let method = policy::normalize(&method);
    let Some(caller) = bot
        .strip_prefix("bot")
        .and_then(|credential| gateway.authenticate(credential))
    else {
        gateway.count("unknown", "unauthorized");
        return unauthorized();
    };
    let Some((target, pace)) = policy::policy(&method) else {
        tracing::warn!(%method, "gateway refused a method");
        gateway.count("other", "refused");
        return refuse(&Refusal::Method);
    };
    let Some(mut params) = parameters(&headers, &body).await else {
        gateway.count(&method, "refused");
        return respond(Answer::error(400, "Bad Request: parameters not understood"));
    };
    let mut body = body;
    let mut content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let chat = match &caller {
        Caller::FrontDoor => policy::chat_id(&params).unwrap_or_default(),
        Caller::Tenant { account, owner } => {
            let is_json = content_type
                .as_deref()
                .is_some_and(|v| v.starts_with("application/json"));
            let checked =
                check(&gateway, target, &mut params, account, *owner).and_then(|restored| {
                    let tagged = is_json && policy::tag_buttons(&mut params, account)?;
                    Ok(restored || tagged)
                });
            match checked {
                Ok(false) => {}
                Ok(true) => {
                    body = Bytes::from(Value::Object(params.clone()).to_string());
                    content_type = Some("application/json".to_owned());
                }
                Err(refusal) => {
                    tracing::warn!(%method, account = %crds::naming::Redacted(account), %refusal, "gateway refused a call");
                    gateway.count(&method, "refused");
                    return refuse(&refusal);
                }
            }
            *owner
        }
    };
    let kind = match pace {
        Pace::Reply => Kind::Reply,
        Pace::Free => Kind::Free,
        Pace::Edit => match policy::message_id(&params) {
            Some(message) => Kind::Edit { message },
            None => Kind::Reply,
        },
    };
    let call = Call {
        method: method.clone(),
        content_type,
        body,
    };
    let answer = match gateway.inner.scheduler.submit(chat, kind, call).await {
        Ok(answer) => answer,
        Err(schedule::Error::RetryAfter(wait)) => {
            gateway.count(&method, "rate_limited");
            return respond(retry_later(wait));
        }
        Err(schedule::Error::Full) => {
            gateway.count(&method, "busy");
            return respond(retry_later(std::time::Duration::from_secs(1)));
        }
        Err(error) => {
            gateway.count(&method, "failed");
            tracing::warn!(error = %crds::naming::why(&error), %method, "gateway call not sent");
            return respond(Answer::error(503, "Service Unavailable"));
        }
    };
    let answer = match (&caller, method.as_str()) {
        (Caller::Tenant { account, .. }, "getFile") => grant_path(&gateway, answer, account),
        _ => answer,
    };
    gateway.count(&method, if answer.status < 400 { "ok" } else { "error" });
    gateway
        .inner
        .metrics
        .gateway_seconds
        .observe(started.elapsed().as_secs_f64());
    respond(answer)
}

/// Checks a tenant's call against its grants and its owner's chat, and
/// restores the granted id Telegram knows; whether `params` changed.
fn check(
    gateway: &Gateway,
    target: Target,
    params: &mut Map<String, Value>,
    account: &str,
    owner: i64,
) -> Result<bool, Refusal> {
    policy::check_chat(target, params, owner)?;
    let (kind, name) = match target {
        Target::Callback => (grants::Kind::Callback, "callback_query_id"),
        Target::File => (grants::Kind::File, "file_id"),
        Target::OwnChat | Target::Nothing => return Ok(false),
    };
    let signed = policy::string(params, name).ok_or(Refusal::Missing(name))?;
    let original = gateway
        .inner
        .grants
        .verify(kind, signed, account)
        .ok_or(Refusal::NotGranted)?
        .to_owned();
    params.insert(name.to_owned(), Value::String(original));
    Ok(true)
}

/// The path `getFile` gives a tenant comes back signed, so that tenant,
/// and only it, may then download the file.
fn grant_path(gateway: &Gateway, answer: Answer, account: &str) -> Answer {
    let Ok(mut body) = serde_json::from_slice::<Value>(&answer.body) else {
        return answer;
    };
    let Some(path) = body["result"]["file_path"].as_str() else {
        return answer;
    };
    let signed = gateway.inner.grants.sign(grants::Kind::Path, path, account);
    body["result"]["file_path"] = Value::String(signed);
    Answer {
        status: answer.status,
        body: Bytes::from(body.to_string()),
    }
}

async fn file(
    State(gateway): State<Gateway>,
    Path((bot, path)): Path<(String, String)>,
) -> Response {
    let Some(caller) = bot
        .strip_prefix("bot")
        .and_then(|credential| gateway.authenticate(credential))
    else {
        gateway.count("file", "unauthorized");
        return unauthorized();
    };
    let path = match &caller {
        Caller::FrontDoor => path.as_str(),
        Caller::Tenant { account, .. } => {
            match gateway
                .inner
                .grants
                .verify(grants::Kind::Path, &path, account)
            {
                Some(path) => path,
                None => {
                    gateway.count("file", "refused");
                    return refuse(&Refusal::NotGranted);
                }
            }
        }
    };
    let answer = gateway.inner.telegram.download(path).await;
    gateway.count("file", if answer.status < 400 { "ok" } else { "error" });
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_GATEWAY);
    (status, answer.body).into_response()
}
