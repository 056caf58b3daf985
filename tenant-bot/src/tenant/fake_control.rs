//! Test controls of the fake WhatsApp backend, reachable over the tenant's
//! HTTP endpoint so that tests can drive a real tenant process: enter the
//! pairing code, log out from the phone, ban, queue failures
//! (`/fake/fail/<operation>/<rate-limited|transient>/<times>`), add groups
//! (`POST /fake/groups` with `{"name", "members", "admin"}`) and read them
//! back (`GET /fake/groups`). Mounted only with `--whatsapp-backend fake`,
//! and only with the tenant secret.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use serde::Deserialize;

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
        .route("/fake/groups", get(groups).post(add_group))
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
    const OPERATIONS: [&str; 15] = [
        "request_pairing_code",
        "connect",
        "logout",
        "groups",
        "create_group",
        "invite_link",
        "join_with_code",
        "leave",
        "change_members",
        "set_description",
        "set_photo",
        "set_setting",
        "join_requests",
        "answer_join_requests",
        "send_text",
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

/// A group to add: its name, members (digits) and whether the account is
/// an admin.
#[derive(Debug, Deserialize)]
struct NewGroup {
    name: String,
    #[serde(default)]
    members: Vec<String>,
    #[serde(default)]
    admin: bool,
}

async fn add_group(
    State(control): State<Control>,
    headers: HeaderMap,
    body: String,
) -> (StatusCode, String) {
    if !authorised(&headers, &control.secret) {
        return (StatusCode::UNAUTHORIZED, String::new());
    }
    let Ok(group) = serde_json::from_str::<NewGroup>(&body) else {
        return (StatusCode::BAD_REQUEST, String::new());
    };
    let members: Vec<&str> = group.members.iter().map(String::as_str).collect();
    let jid = control.fake.add_group(&group.name, &members, group.admin);
    (StatusCode::OK, jid)
}

async fn groups(State(control): State<Control>, headers: HeaderMap) -> (StatusCode, String) {
    if !authorised(&headers, &control.secret) {
        return (StatusCode::UNAUTHORIZED, String::new());
    }
    let all = control.fake.all_groups();
    match serde_json::to_string(&all) {
        Ok(json) => (StatusCode::OK, json),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, String::new()),
    }
}
