use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use tokio::sync::Notify;

use super::*;
use crate::telegram::messenger::Error as SendError;
use crate::whatsapp::fake::Fake;

#[derive(Debug, Clone, PartialEq)]
enum Shown {
    Sent(String, Vec<String>),
    Edited(i32, String, Vec<String>),
}

#[derive(Default)]
struct Recorder {
    shown: Mutex<Vec<Shown>>,
    sent: Notify,
}

impl Recorder {
    fn shown(&self) -> Vec<Shown> {
        self.shown.lock().unwrap().clone()
    }
}

fn data(buttons: &[Vec<Button>]) -> Vec<String> {
    buttons.iter().flatten().map(|b| b.data.clone()).collect()
}

#[async_trait]
impl Messenger for Recorder {
    async fn send(&self, text: String, buttons: Vec<Vec<Button>>) -> Result<i32, SendError> {
        let id = {
            let mut shown = self.shown.lock().unwrap();
            shown.push(Shown::Sent(text, data(&buttons)));
            shown.len() as i32
        };
        self.sent.notify_one();
        Ok(id)
    }

    async fn edit(
        &self,
        id: i32,
        text: String,
        buttons: Vec<Vec<Button>>,
    ) -> Result<(), SendError> {
        self.shown
            .lock()
            .unwrap()
            .push(Shown::Edited(id, text, data(&buttons)));
        Ok(())
    }

    async fn send_file(&self, name: String, _: Vec<u8>, _: String) -> Result<(), SendError> {
        self.shown.lock().unwrap().push(Shown::Sent(name, vec![]));
        Ok(())
    }
}

struct Setup {
    fake: Arc<Fake>,
    recorder: Arc<Recorder>,
    cancel: CancellationToken,
    task: tokio::task::JoinHandle<Outcome>,
}

fn start(fake: Fake, timing: Timing) -> Setup {
    let fake = Arc::new(fake);
    let recorder = Arc::new(Recorder::default());
    let cancel = CancellationToken::new();
    let cancelled = cancel.clone();
    let (f, r) = (fake.clone(), recorder.clone());
    let task = tokio::spawn(async move {
        let catalog = Catalog::new().unwrap();
        let phone: PhoneNumber = "447700900123".parse().unwrap();
        Pairing {
            whatsapp: f.as_ref(),
            messenger: r.as_ref(),
            catalog: &catalog,
            language: Language::En,
            phone: &phone,
            timing,
        }
        .run(cancelled)
        .await
    });
    Setup {
        fake,
        recorder,
        cancel,
        task,
    }
}

#[test]
fn codes_and_countdowns_read_well() {
    assert_eq!(format_code("ABCDEFGH"), "ABCD-EFGH");
    assert_eq!(format_code("ABC"), "ABC");
    assert_eq!(format_remaining(Duration::from_secs(180)), "3:00");
    assert_eq!(format_remaining(Duration::from_millis(59_001)), "1:00");
    assert_eq!(format_remaining(Duration::from_secs(5)), "0:05");
}

#[tokio::test(start_paused = true)]
async fn entering_the_code_links_the_account() {
    let setup = start(Fake::new(), Timing::default());
    setup.recorder.sent.notified().await;
    let Shown::Sent(text, buttons) = &setup.recorder.shown()[0] else {
        panic!("no code shown");
    };
    assert!(text.contains("FAKE-0001"), "{text}");
    assert!(
        text.contains("44770****123") && !text.contains("447700900123"),
        "{text}"
    );
    assert!(text.contains("3:00"), "{text}");
    assert_eq!(buttons, &[Tenant::Pair(Pair::Cancel).to_string()]);

    setup.fake.enter_code().unwrap();
    let outcome = setup.task.await.unwrap();
    assert_eq!(
        outcome,
        Outcome::Paired {
            jid: "447700900123:1@s.whatsapp.net".into(),
            push_name: "Fake account".into(),
        }
    );
    let last = setup.recorder.shown().pop().unwrap();
    assert!(matches!(&last, Shown::Edited(1, t, b) if t.contains("connected") && b.is_empty()));
}

#[tokio::test(start_paused = true)]
async fn the_countdown_is_edited_in_place_until_the_timeout() {
    let setup = start(Fake::new(), Timing::default());
    let outcome = setup.task.await.unwrap();
    assert_eq!(outcome, Outcome::TimedOut);
    let shown = setup.recorder.shown();
    // One message; 11 countdown edits (every 15 s before 3:00); the end.
    assert!(matches!(shown[0], Shown::Sent(..)));
    let edits: Vec<_> = shown[1..]
        .iter()
        .map(|s| match s {
            Shown::Edited(1, text, buttons) => (text.clone(), buttons.clone()),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(edits.len(), 12);
    assert!(edits[0].0.contains("2:45"), "{}", edits[0].0);
    assert!(edits[10].0.contains("0:15"), "{}", edits[10].0);
    assert!(edits[11].0.contains("timed out"));
    assert_eq!(edits[11].1, [Tenant::Pair(Pair::Retry).to_string()]);
    // WhatsApp's side was stopped too: the old code no longer works.
    assert_eq!(setup.fake.enter_code(), Err(whatsapp::Error::NotPaired));
}

#[tokio::test(start_paused = true)]
async fn cancel_stops_the_pairing() {
    let setup = start(Fake::new(), Timing::default());
    setup.recorder.sent.notified().await;
    setup.cancel.cancel();
    assert_eq!(setup.task.await.unwrap(), Outcome::Cancelled);
    assert_eq!(setup.fake.enter_code(), Err(whatsapp::Error::NotPaired));
    let last = setup.recorder.shown().pop().unwrap();
    assert!(matches!(&last, Shown::Edited(_, t, _) if t.contains("cancelled")));
}

#[tokio::test(start_paused = true)]
async fn transient_errors_are_retried_with_backoff() {
    let fake = Fake::new();
    fake.fail_next(
        "request_pairing_code",
        whatsapp::Error::Transient("timeout".into()),
        2,
    );
    let started = Instant::now();
    let setup = start(fake, Timing::default());
    setup.recorder.sent.notified().await; // "retrying"
    setup.recorder.sent.notified().await; // the code
    // 2 s, then 4 s of backoff.
    assert_eq!(started.elapsed(), Duration::from_secs(6));
    let shown = setup.recorder.shown();
    assert!(matches!(&shown[0], Shown::Sent(t, _) if t.contains("trying again")));
    assert!(matches!(&shown[1], Shown::Sent(t, _) if t.contains("FAKE-")));
    setup.fake.enter_code().unwrap();
    assert!(matches!(setup.task.await.unwrap(), Outcome::Paired { .. }));
}

#[tokio::test(start_paused = true)]
async fn rate_limits_are_explained_with_a_retry_button() {
    let fake = Fake::new();
    fake.fail_next(
        "request_pairing_code",
        whatsapp::Error::RateLimited {
            retry_after: Duration::from_secs(600),
        },
        1,
    );
    let setup = start(fake, Timing::default());
    assert_eq!(
        setup.task.await.unwrap(),
        Outcome::RateLimited(Duration::from_secs(600))
    );
    let shown = setup.recorder.shown();
    assert_eq!(shown.len(), 1);
    assert!(
        matches!(&shown[0], Shown::Sent(t, b) if t.contains("10 minutes") && b == &[Tenant::Pair(Pair::Retry).to_string()])
    );
}

#[tokio::test(start_paused = true)]
async fn a_ban_ends_the_pairing() {
    let setup = start(Fake::new(), Timing::default());
    setup.recorder.sent.notified().await;
    setup.fake.ban(None);
    assert_eq!(setup.task.await.unwrap(), Outcome::Failed(Failure::Banned));
}
