use std::net::SocketAddr;

use serde_json::json;

use super::*;
use crate::whatsapp::fake::Fake;

const SECRET: &str = "0123456789abcdef0123456789abcdef";
const OWNER: i64 = 42;

struct Running {
    address: SocketAddr,
    updates: mpsc::Receiver<String>,
    whatsapp: Arc<Fake>,
    http: reqwest::Client,
}

fn endpoint(capacity: usize) -> (Endpoint, mpsc::Receiver<String>, Arc<Fake>) {
    let (tx, updates) = mpsc::channel(capacity);
    let whatsapp = Arc::new(Fake::new());
    let endpoint = Endpoint {
        secret: SECRET.into(),
        owner: OWNER,
        updates: tx,
        whatsapp: whatsapp.clone(),
        ready: Arc::new(AtomicBool::new(true)),
        metrics: Metrics::new().unwrap(),
        session: tokio::sync::watch::channel(crate::tenant::status::Session::Connected {
            jid: "6281200000100:12@s.whatsapp.net".into(),
            push_name: "Budi".into(),
        })
        .1,
        recent: Arc::new(crate::telegram::RecentUpdates::new(RECENT_UPDATES)),
    };
    (endpoint, updates, whatsapp)
}

async fn serve(routes: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, routes).await });
    address
}

/// Both routers on one address, as a tenant without an admin address.
async fn start(capacity: usize) -> Running {
    let (endpoint, updates, whatsapp) = endpoint(capacity);
    let address = serve(router(endpoint.clone()).merge(admin_router(endpoint))).await;
    Running {
        address,
        updates,
        whatsapp,
        http: reqwest::Client::new(),
    }
}

impl Running {
    async fn post(&self, path: &str, secret: Option<&str>, body: String) -> u16 {
        let mut request = self
            .http
            .post(format!("http://{}{path}", self.address))
            .body(body);
        if let Some(secret) = secret {
            request = request.header(crds::secret::HEADER, secret);
        }
        request.send().await.unwrap().status().as_u16()
    }
}

/// A message update with an id of its own.
fn message_from(user: i64, text: &str) -> String {
    static NEXT_ID: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(1);
    json!({
        "update_id": NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        "message": {
            "message_id": 1, "date": 0, "text": text,
            "chat": {"id": user, "type": "private"},
            "from": {"id": user, "is_bot": false, "first_name": "A"},
        }
    })
    .to_string()
}

#[tokio::test]
async fn the_owners_updates_go_through_in_order() {
    let mut tenant = start(8).await;
    for text in ["/menu", "/help"] {
        let status = tenant
            .post("/telegram/update", Some(SECRET), message_from(OWNER, text))
            .await;
        assert_eq!(status, 200);
    }
    let parse = |raw: String| serde_json::from_str::<Value>(&raw).unwrap();
    let first = parse(tenant.updates.recv().await.unwrap());
    let second = parse(tenant.updates.recv().await.unwrap());
    assert_eq!(first["message"]["text"], "/menu");
    assert_eq!(second["message"]["text"], "/help");
}

#[tokio::test]
async fn a_missing_or_wrong_secret_is_401_and_nothing_is_queued() {
    let mut tenant = start(8).await;
    let body = message_from(OWNER, "/menu");
    assert_eq!(
        tenant.post("/telegram/update", None, body.clone()).await,
        401
    );
    let wrong = "f".repeat(SECRET.len());
    assert_eq!(
        tenant
            .post("/telegram/update", Some(&wrong), body.clone())
            .await,
        401
    );
    assert_eq!(
        tenant.post("/telegram/update", Some("short"), body).await,
        401
    );
    assert!(tenant.updates.try_recv().is_err());
}

#[tokio::test]
async fn someone_else_is_403_and_nothing_is_queued() {
    let mut tenant = start(8).await;
    let status = tenant
        .post("/telegram/update", Some(SECRET), message_from(43, "/menu"))
        .await;
    assert_eq!(status, 403);
    // An update with no sender at all is not the owner's either.
    let channel_post = json!({"update_id": 8, "channel_post": {"message_id": 1}}).to_string();
    assert_eq!(
        tenant
            .post("/telegram/update", Some(SECRET), channel_post)
            .await,
        403
    );
    assert!(tenant.updates.try_recv().is_err());
}

#[tokio::test]
async fn malformed_bodies_are_400() {
    let tenant = start(8).await;
    let status = tenant
        .post("/telegram/update", Some(SECRET), "{not json".into())
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn a_full_queue_asks_the_front_door_to_retry() {
    let mut tenant = start(1).await;
    let first = message_from(OWNER, "/menu");
    let second = message_from(OWNER, "/help");
    assert_eq!(
        tenant.post("/telegram/update", Some(SECRET), first).await,
        200
    );
    assert_eq!(
        tenant
            .post("/telegram/update", Some(SECRET), second.clone())
            .await,
        503
    );
    // Once there is room, the retry of the refused update is taken.
    tenant.updates.recv().await.unwrap();
    assert_eq!(
        tenant
            .post("/telegram/update", Some(SECRET), second.clone())
            .await,
        200
    );
    assert_eq!(tenant.updates.recv().await.unwrap(), second);
}

#[tokio::test]
async fn an_update_given_again_is_taken_once() {
    let mut tenant = start(8).await;
    let menu = message_from(OWNER, "/menu");
    let help = message_from(OWNER, "/help");
    for body in [&menu, &menu, &help, &menu] {
        let status = tenant
            .post("/telegram/update", Some(SECRET), body.clone())
            .await;
        assert_eq!(status, 200, "a repeat is answered as taken");
    }
    assert_eq!(tenant.updates.recv().await.unwrap(), menu);
    assert_eq!(tenant.updates.recv().await.unwrap(), help);
    assert!(tenant.updates.try_recv().is_err(), "a repeat was queued");
}

#[tokio::test]
async fn callback_queries_are_the_owners_too() {
    let mut tenant = start(8).await;
    let callback = json!({
        "update_id": 9,
        "callback_query": {"id": "c1", "from": {"id": OWNER, "is_bot": false, "first_name": "A"},
                           "chat_instance": "x", "data": "menu"}
    })
    .to_string();
    assert_eq!(
        tenant
            .post("/telegram/update", Some(SECRET), callback)
            .await,
        200
    );
    let raw = tenant.updates.recv().await.unwrap();
    let update: Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(update["callback_query"]["data"], "menu");
}

#[tokio::test]
async fn logout_needs_the_secret_and_logs_out() {
    let tenant = start(8).await;
    tenant
        .whatsapp
        .request_pairing_code(&"447700900123".parse().unwrap())
        .await
        .unwrap();
    tenant.whatsapp.enter_code().unwrap();
    assert_eq!(tenant.post("/admin/logout", None, String::new()).await, 401);
    assert!(tenant.whatsapp.is_paired().await);
    assert_eq!(
        tenant
            .post("/admin/logout", Some(SECRET), String::new())
            .await,
        200
    );
    assert!(!tenant.whatsapp.is_paired().await);
}

#[tokio::test]
async fn the_session_is_told_only_with_the_secret() {
    let running = start(1).await;
    let url = format!("http://{}/admin/session", running.address);
    let refused = running.http.get(&url).send().await.unwrap();
    assert_eq!(refused.status(), 401);
    let told: serde_json::Value = running
        .http
        .get(&url)
        .header(crds::secret::HEADER, SECRET)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        told,
        serde_json::json!({
            "state": "connected",
            "jid": "6281200000100:12@s.whatsapp.net",
            "push_name": "Budi",
        })
    );
}

/// Fuzzing the forwarded-update endpoint: any body, any sender, any kind
/// of update. Only JSON updates from the owner are queued, in the order
/// they came; everything else is 400 or 403 and queued nothing; nothing is
/// a server error. `PROPTEST_CASES` sets the number of cases (`make fuzz`
/// raises it).
#[tokio::test]
async fn the_update_endpoint_takes_only_the_owners_json_whatever_comes() {
    use proptest::prelude::*;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, TestRunner};

    let kinds = prop::sample::select(&[
        "message",
        "edited_message",
        "callback_query",
        "inline_query",
        "channel_post",
        "my_chat_member",
    ]);
    let who = prop_oneof![Just(OWNER), any::<i64>(), Just(-OWNER), Just(OWNER + 1)];
    let update = (kinds, who, any::<String>()).prop_map(|(kind, user, text)| {
        json!({"update_id": 1, kind: {"from": {"id": user}, "text": text}}).to_string()
    });
    let bodies = prop_oneof![
        3 => update,
        1 => any::<Vec<u8>>().prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        1 => any::<String>(),
        1 => any::<i64>().prop_map(|n| format!("{{\"update_id\": {n}, \"message\": {{\"from\": {{\"id\": \"{OWNER}\"}}}}}}")),
    ];

    let config = Config::default();
    let cases = config.cases;
    let mut runner = TestRunner::new(config);
    let mut tenant = start(cases as usize + 1).await;
    let mut queued = Vec::new();
    for case in 0..cases {
        let mut body = bodies.new_tree(&mut runner).unwrap().current();
        // Each update its own id, as Telegram gives them; repeats are
        // tested on their own.
        if let Ok(mut value) = serde_json::from_str::<Value>(&body)
            && value.get("update_id").is_some()
        {
            value["update_id"] = json!(case);
            body = value.to_string();
        }
        let status = tenant
            .post("/telegram/update", Some(SECRET), body.clone())
            .await;
        let value = serde_json::from_str::<Value>(&body).ok();
        let owners = value.as_ref().and_then(sender) == Some(OWNER);
        let expected = match value {
            None => 400,
            Some(_) if owners => 200,
            Some(_) => 403,
        };
        assert_eq!(status, expected, "{body}");
        if owners {
            queued.push(body);
        }
    }
    for body in queued {
        assert_eq!(tenant.updates.try_recv().unwrap(), body);
    }
    assert!(
        tenant.updates.try_recv().is_err(),
        "something else was queued"
    );
}

#[tokio::test]
async fn the_main_router_has_no_admin_calls() {
    let (endpoint, _updates, _whatsapp) = endpoint(1);
    let address = serve(router(endpoint)).await;
    let http = reqwest::Client::new();
    for (method, path) in [
        (reqwest::Method::POST, "/admin/logout"),
        (reqwest::Method::GET, "/admin/session"),
    ] {
        let answer = http
            .request(method, format!("http://{address}{path}"))
            .header(crds::secret::HEADER, SECRET)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 404, "{path} is the admin router's alone");
    }
}
