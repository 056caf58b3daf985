//! Test controls of the fake WhatsApp backend, reachable over the tenant's
//! HTTP endpoint so that tests can drive a real tenant process: enter the
//! pairing code, log out from the phone, ban, queue failures
//! (`/fake/fail/<operation>/<rate-limited|transient>/<times>`). Mounted only
//! with `--whatsapp-backend fake`, and only with the tenant secret.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;

use super::http::authorised;
use crate::whatsapp::Error;
use crate::whatsapp::fake::Fake;

#[derive(Clone)]
struct Control {
    fake: Arc<Fake>,
    secret: Arc<str>,
}

/// The control routes for `fake`.
pub fn router(fake: Arc<Fake>, secret: Arc<str>) -> Router {
    Router::new()
        .route("/fake/{action}", post(act))
        .route("/fake/fail/{operation}/{kind}/{times}", post(fail))
        .with_state(Control { fake, secret })
}

async fn act(
    State(control): State<Control>,
    Path(action): Path<String>,
    headers: HeaderMap,
) -> StatusCode {
    if !authorised(&headers, &control.secret) {
        return StatusCode::UNAUTHORIZED;
    }
    match action.as_str() {
        "enter-code" => match control.fake.enter_code() {
            Ok(()) => StatusCode::OK,
            Err(_) => StatusCode::CONFLICT,
        },
        "log-out" => {
            control.fake.log_out_from_phone();
            StatusCode::OK
        }
        "ban" => {
            control.fake.ban(None);
            StatusCode::OK
        }
        "drop-connection" => {
            control.fake.drop_connection();
            StatusCode::OK
        }
        _ => StatusCode::NOT_FOUND,
    }
}

async fn fail(
    State(control): State<Control>,
    Path((operation, kind, times)): Path<(String, String, usize)>,
    headers: HeaderMap,
) -> StatusCode {
    if !authorised(&headers, &control.secret) {
        return StatusCode::UNAUTHORIZED;
    }
    // The fake keys failures by the port's method names.
    const OPERATIONS: [&str; 6] = [
        "request_pairing_code",
        "connect",
        "logout",
        "groups",
        "create_group",
        "invite_link",
    ];
    let Some(operation) = OPERATIONS.iter().find(|o| **o == operation) else {
        return StatusCode::NOT_FOUND;
    };
    let error = match kind.as_str() {
        "rate-limited" => Error::RateLimited {
            retry_after: Duration::from_secs(600),
        },
        "transient" => Error::Transient("injected".into()),
        _ => return StatusCode::BAD_REQUEST,
    };
    control.fake.fail_next(operation, error, times);
    StatusCode::OK
}
