//! Load: many users, one account each, using the product at the same time
//! through `tenant-bot standalone` (the front door and one real tenant
//! process per account, fake WhatsApp, fake Bot API).
//!
//! Every user pairs, then all at once send `/menu`, `/groups`, `/menu`
//! without waiting, then run an invite-links job on their three groups
//! through the buttons. Checked: every reply reaches its own user and no
//! other (each user's replies name only their own masked number), each
//! user's replies come in the order the updates were sent, and every job
//! completes. Printed: updates per second over the busy phase, the bot's
//! sends per second, and the median and p99 time from an update to its
//! reply. Replies are paced as Telegram requires (about one a second per
//! chat, 30 a second in all), which is what bounds these figures: the
//! routing itself is measured by the front door benchmark. `PAWANG_LOAD_USERS`
//! sets the number of users (200 by default); with `PAWANG_BENCH_OUT` the
//! figures are also written as JSON.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;
use tests::chat::{button, message_id, press, text};
use tests::fake_telegram::{Call, FakeTelegram};
use tests::front_door::BOT_TOKEN;
use tests::standalone::Standalone;
use tokio::sync::mpsc;

/// Users paired at once while setting up (pairing is not what is measured).
const WAVE: usize = 20;
/// Groups each account has.
const GROUPS: usize = 3;

struct User {
    id: i64,
    account: String,
    masked: String,
    local: String,
}

fn users(n: usize) -> Vec<User> {
    (0..n)
        .map(|i| {
            let local = format!("0812{:08}", 10_000 + i);
            let phone: crds::PhoneNumber = format!("62{}", &local[1..]).parse().unwrap();
            User {
                id: 8_100_000 + i as i64,
                account: crds::naming::account_name(&phone),
                masked: phone.masked(),
                local,
            }
        })
        .collect()
}

/// How long one user waits for one reply under load.
const PATIENCE: Duration = Duration::from_secs(180);

/// The calls to one user's chat, as they come: one dispatcher reads the
/// fake's calls once and hands each to its chat's inbox, so waiting users
/// do not each scan every call.
struct Inbox {
    user: i64,
    calls: mpsc::UnboundedReceiver<Call>,
}

impl Inbox {
    /// The next call to this chat that `check` accepts; earlier ones are
    /// passed over.
    async fn next(&mut self, what: &str, check: impl Fn(&Call) -> bool) -> Call {
        let wait = async {
            loop {
                let call = self.calls.recv().await.expect("the dispatcher runs");
                if check(&call) {
                    return call;
                }
            }
        };
        tokio::time::timeout(PATIENCE, wait)
            .await
            .unwrap_or_else(|_| panic!("user {}: no {what} within {PATIENCE:?}", self.user))
    }

    /// The next message or edit whose text holds `needle`.
    async fn said(&mut self, needle: &str) -> Call {
        self.next(needle, |c| {
            matches!(c.method.as_str(), "sendMessage" | "editMessageText")
                && c.params["text"]
                    .as_str()
                    .is_some_and(|t| t.contains(needle))
        })
        .await
    }
}

/// Hands every call with a chat to that chat's inbox; calls to a chat no
/// user has are counted as strays.
fn dispatch(
    telegram: Arc<FakeTelegram>,
    inboxes: HashMap<i64, mpsc::UnboundedSender<Call>>,
    strays: Arc<Mutex<Vec<Call>>>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let changes = telegram.changes();
        let mut seen = 0;
        loop {
            let notified = changes.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let (calls, total) = telegram.calls_since(seen);
            seen = total;
            for call in calls {
                let Some(chat) = call.params["chat_id"].as_i64() else {
                    continue;
                };
                match inboxes.get(&chat) {
                    Some(inbox) => {
                        let _ = inbox.send(call);
                    }
                    None => strays.lock().unwrap().push(call),
                }
            }
            notified.await;
        }
    })
}

async fn pair(install: &Standalone, telegram: &FakeTelegram, user: &User, inbox: &mut Inbox) {
    telegram.push_update(text(user.id, &format!("/pair {}", user.local)));
    inbox.said("FAKE-").await;
    install.enter_code(user.id, &user.account).await;
    inbox.said("is connected").await;
    let url = std::fs::read_to_string(install.file(user.id, &user.account, "endpoint")).unwrap();
    let secret = std::fs::read_to_string(install.file(user.id, &user.account, "secret")).unwrap();
    let http = reqwest::Client::new();
    for g in 0..GROUPS {
        let name = format!("Toko {} {}", user.id, (b'A' + g as u8) as char);
        let added = http
            .post(format!("{url}/fake/groups"))
            .header(crds::secret::HEADER, &secret)
            .body(json!({"name": name, "admin": true}).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(added.status(), 200);
    }
}

/// What each reply of the busy phase is recognised by, in order.
const MENU: &str = "Dashboard";
const LIST: &str = "1. Toko";

fn reply_kind(call: &Call) -> Option<&'static str> {
    if call.method != "sendMessage" {
        return None;
    }
    let text = call.params["text"].as_str()?;
    [MENU, LIST].into_iter().find(|n| text.contains(n))
}

/// One user's busy phase: three updates at once, then a job. Returns the
/// time from the updates to each of their replies.
async fn busy(telegram: &FakeTelegram, user: &User, inbox: &mut Inbox) -> Vec<Duration> {
    let sent = Instant::now();
    for command in ["/menu", "/groups", "/menu"] {
        telegram.push_update(text(user.id, command));
    }
    // The replies, in the order the updates were sent.
    let mut replies = Vec::new();
    for want in [MENU, LIST, MENU] {
        let call = inbox.next(want, |c| reply_kind(c).is_some()).await;
        assert_eq!(
            reply_kind(&call),
            Some(want),
            "user {}'s replies out of order",
            user.id
        );
        replies.push(call);
    }
    let latencies = replies
        .iter()
        .map(|c| c.at.saturating_duration_since(sent))
        .collect();

    let list = &replies[1];
    telegram.push_update(press(user.id, &button(list, "job:links"), message_id(list)));
    inbox.said("Which groups?").await;
    telegram.push_update(text(user.id, "all"));
    let confirm = inbox
        .said(&format!("Invite links for {GROUPS} groups"))
        .await;
    telegram.push_update(press(
        user.id,
        &button(&confirm, "job:start"),
        message_id(&confirm),
    ));
    inbox.said(&format!("Invite links: ✅ {GROUPS} done")).await;
    latencies
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_users_at_once_each_get_their_own_replies_in_order() {
    let n: usize = std::env::var("PAWANG_LOAD_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let dir = tempfile::tempdir().unwrap();
    let telegram = Arc::new(FakeTelegram::start(&[BOT_TOKEN]).await);
    let install = Arc::new(Standalone::start(&dir.path().join("data"), &telegram).await);
    let users: Arc<Vec<User>> = Arc::new(users(n));

    let mut senders = HashMap::new();
    let mut inboxes = Vec::new();
    for user in users.iter() {
        let (tx, rx) = mpsc::unbounded_channel();
        senders.insert(user.id, tx);
        inboxes.push(Inbox {
            user: user.id,
            calls: rx,
        });
    }
    let strays = Arc::new(Mutex::new(Vec::new()));
    let dispatcher = dispatch(telegram.clone(), senders, strays.clone());

    let setup = Instant::now();
    let mut inboxes: Vec<Option<Inbox>> = inboxes.into_iter().map(Some).collect();
    for wave in (0..n).collect::<Vec<_>>().chunks(WAVE) {
        let mut tasks = Vec::new();
        for &i in wave {
            let (install, telegram, users) = (install.clone(), telegram.clone(), users.clone());
            let mut inbox = inboxes[i].take().unwrap();
            tasks.push(tokio::spawn(async move {
                pair(&install, &telegram, &users[i], &mut inbox).await;
                (i, inbox)
            }));
        }
        for task in tasks {
            let (i, inbox) = task.await.unwrap();
            inboxes[i] = Some(inbox);
        }
    }
    println!("{n} users paired in {:.1} s", setup.elapsed().as_secs_f64());

    let busy_started = Instant::now();
    let updates_before = telegram.pushed();
    let calls_before = telegram.calls().len();
    let mut tasks = Vec::new();
    for (i, inbox) in inboxes.into_iter().enumerate() {
        let (telegram, users) = (telegram.clone(), users.clone());
        let mut inbox = inbox.unwrap();
        tasks.push(tokio::spawn(async move {
            busy(&telegram, &users[i], &mut inbox).await
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.unwrap());
    }
    let elapsed = busy_started.elapsed();
    let updates = telegram.pushed() - updates_before;
    // What the bot sent meanwhile that Telegram caps at 30 a second: new
    // messages and edits (reads, chat actions and callback answers are
    // not paced).
    let sends = telegram
        .calls_since(calls_before)
        .0
        .iter()
        .filter(|c| {
            !matches!(
                c.method.as_str(),
                "getUpdates" | "getFile" | "getMe" | "sendChatAction" | "answerCallbackQuery"
            )
        })
        .count();
    let sends_per_second = sends as f64 / elapsed.as_secs_f64();
    dispatcher.abort();
    let strays = strays.lock().unwrap();
    assert!(
        strays.is_empty(),
        "calls to chats no user has: {:?}",
        *strays
    );

    // Nothing of one user reached another.
    let masks: HashMap<i64, &str> = users.iter().map(|u| (u.id, u.masked.as_str())).collect();
    for call in telegram.calls() {
        let Some(chat) = call.params["chat_id"].as_i64() else {
            continue;
        };
        let body = call.params.to_string();
        for (other, mask) in &masks {
            if *other != chat {
                assert!(
                    !body.contains(mask),
                    "user {other}'s number reached user {chat}: {body}"
                );
            }
        }
    }

    latencies.sort();
    let median = percentile(&latencies, 0.5);
    let p99 = percentile(&latencies, 0.99);
    let per_second = updates as f64 / elapsed.as_secs_f64();
    println!(
        "{n} users, {updates} updates in {:.1} s: {per_second:.1} updates/s, \
         {sends} Telegram sends ({sends_per_second:.1}/s of the 30/s Telegram allows); \
         update to reply: median {:.0} ms, p99 {:.0} ms, max {:.0} ms; {n} jobs completed",
        elapsed.as_secs_f64(),
        median.as_secs_f64() * 1000.0,
        p99.as_secs_f64() * 1000.0,
        latencies.last().unwrap().as_secs_f64() * 1000.0,
    );
    if let Ok(path) = std::env::var("PAWANG_BENCH_OUT") {
        let results = json!({
            "users": n,
            "updates": updates,
            "seconds": elapsed.as_secs_f64(),
            "updates_per_second": per_second,
            "telegram_sends_per_second": sends_per_second,
            "reply_median_ms": median.as_secs_f64() * 1000.0,
            "reply_p99_ms": p99.as_secs_f64() * 1000.0,
        });
        std::fs::write(&path, serde_json::to_string_pretty(&results).unwrap()).unwrap();
    }
}
