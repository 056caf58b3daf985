use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::json;
use tokio::sync::Notify;

use super::*;

#[derive(Default)]
struct Recorder {
    seen: Mutex<Vec<(i64, i64)>>,
    gate: Notify,
    blocked_user: Option<i64>,
    handled: AtomicUsize,
    done: Notify,
}

#[async_trait]
impl Handler for Recorder {
    async fn handle(&self, user: i64, update: Value) {
        if Some(user) == self.blocked_user {
            self.gate.notified().await;
        }
        let id = update["update_id"].as_i64().unwrap();
        self.seen.lock().unwrap().push((user, id));
        self.handled.fetch_add(1, Ordering::SeqCst);
        self.done.notify_waiters();
    }
}

async fn until_handled(recorder: &Recorder, n: usize) {
    let wait = async {
        loop {
            let notified = recorder.done.notified();
            if recorder.handled.load(Ordering::SeqCst) >= n {
                return;
            }
            notified.await;
        }
    };
    tokio::time::timeout(Duration::from_secs(10), wait)
        .await
        .unwrap();
}

fn gauge() -> prometheus::IntGauge {
    prometheus::IntGauge::new("active", "test").unwrap()
}

#[tokio::test]
async fn each_user_keeps_their_order() {
    let recorder = Arc::new(Recorder::default());
    let queues = Queues::new(recorder.clone(), 1000, Duration::from_secs(60), gauge());
    for id in 0..300 {
        queues
            .push(id % 3, json!({"update_id": id}), Receipt::none())
            .unwrap();
    }
    until_handled(&recorder, 300).await;
    let seen = recorder.seen.lock().unwrap().clone();
    for user in 0..3 {
        let ids: Vec<_> = seen
            .iter()
            .filter(|(u, _)| *u == user)
            .map(|(_, i)| *i)
            .collect();
        let expected: Vec<_> = (0..300).filter(|i| i % 3 == user).collect();
        assert_eq!(ids, expected, "user {user}");
    }
}

#[tokio::test]
async fn a_stuck_user_does_not_delay_others() {
    let recorder = Arc::new(Recorder {
        blocked_user: Some(1),
        ..Recorder::default()
    });
    let queues = Queues::new(recorder.clone(), 10, Duration::from_secs(60), gauge());
    queues
        .push(1, json!({"update_id": 0}), Receipt::none())
        .unwrap();
    for id in 1..=5 {
        queues
            .push(2, json!({"update_id": id}), Receipt::none())
            .unwrap();
    }
    until_handled(&recorder, 5).await;
    let seen = recorder.seen.lock().unwrap().clone();
    assert!(seen.iter().all(|(u, _)| *u == 2), "{seen:?}");
    recorder.gate.notify_waiters();
    until_handled(&recorder, 6).await;
}

#[tokio::test]
async fn a_full_queue_refuses_without_waiting() {
    let recorder = Arc::new(Recorder {
        blocked_user: Some(1),
        ..Recorder::default()
    });
    let queues = Queues::new(recorder.clone(), 2, Duration::from_secs(60), gauge());
    // One in the worker's hands, two queued, the fourth refused.
    let mut refused = 0;
    for id in 0..4 {
        if queues
            .push(1, json!({"update_id": id}), Receipt::none())
            .is_err()
        {
            refused += 1;
        }
    }
    assert!((1..=2).contains(&refused), "{refused}");
}

#[tokio::test]
async fn a_receipt_is_let_go_once_its_update_is_handled() {
    let recorder = Arc::new(Recorder {
        blocked_user: Some(1),
        ..Recorder::default()
    });
    let queues = Queues::new(recorder.clone(), 1, Duration::from_secs(60), gauge());
    // One in the worker's hands (stuck), one queued: of three, at
    // least the last is refused.
    let mut taken = Vec::new();
    let mut refused = 0;
    for id in 1..=3 {
        let (tx, mut let_go) = tokio::sync::oneshot::channel::<()>();
        let receipt = Receipt::new(move || {
            let _ = tx.send(());
        });
        match queues.push(1, json!({ "update_id": id }), receipt) {
            Ok(()) => taken.push(let_go),
            Err(Full(_)) => {
                refused += 1;
                assert!(
                    let_go.try_recv().is_ok(),
                    "a refused update's receipt is kept"
                );
            }
        }
    }
    assert!(refused >= 1, "{refused}");
    for let_go in &mut taken {
        assert!(let_go.try_recv().is_err(), "let go before it was handled");
    }
    for (handled, let_go) in taken.into_iter().enumerate() {
        recorder.gate.notify_one();
        until_handled(&recorder, handled + 1).await;
        tokio::time::timeout(Duration::from_secs(10), let_go)
            .await
            .unwrap()
            .unwrap();
    }
}

#[tokio::test(start_paused = true)]
async fn idle_workers_end_and_come_back() {
    let recorder = Arc::new(Recorder::default());
    let active = gauge();
    let queues = Queues::new(recorder.clone(), 10, Duration::from_secs(5), active.clone());
    queues
        .push(1, json!({"update_id": 1}), Receipt::none())
        .unwrap();
    until_handled(&recorder, 1).await;
    assert_eq!(active.get(), 1);
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert_eq!(active.get(), 0);
    assert!(queues.lock().is_empty());
    queues
        .push(1, json!({"update_id": 2}), Receipt::none())
        .unwrap();
    until_handled(&recorder, 2).await;
    assert_eq!(active.get(), 1);
}

/// A tenant at a local address that answers the first `busy` tries
/// with 503 and the rest with `then`; counts the tries.
async fn tenant(busy: usize, then: u16) -> (Tenants, Arc<AtomicUsize>) {
    let tries = Arc::new(AtomicUsize::new(0));
    let counted = tries.clone();
    let app = axum::Router::new().route(
        "/telegram/update",
        axum::routing::post(move || {
            let tries = counted.clone();
            async move {
                let n = tries.fetch_add(1, Ordering::SeqCst);
                let status = if n < busy { 503 } else { then };
                axum::http::StatusCode::from_u16(status).unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let key = crds::secret::InstallKey::new(b"a test install key, long enough to take").unwrap();
    let tenants = Tenants::new(&format!("http://{address}"), "ns", key);
    (tenants, tries)
}

#[tokio::test]
async fn a_busy_tenant_is_given_seconds_not_a_few_tries() {
    // Seven refusals take about 6 s of pauses: more than a handful of
    // quick tries, well within the patience.
    let (tenants, tries) = tenant(7, 200).await;
    let sent = tenants.forward("wa-1", &json!({"update_id": 1})).await;
    assert!(sent.is_ok(), "{sent:?}");
    assert_eq!(tries.load(Ordering::SeqCst), 8);
}

#[tokio::test]
async fn a_refusal_other_than_busy_is_final() {
    let (tenants, tries) = tenant(0, 401).await;
    let sent = tenants.forward("wa-1", &json!({"update_id": 1})).await;
    assert!(matches!(sent, Err(Error::Status(401))), "{sent:?}");
    assert_eq!(tries.load(Ordering::SeqCst), 1);
}
