use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::task::JoinSet;

use super::*;

const SECOND: Duration = Duration::from_secs(1);

/// A Telegram that records when each call started and answers with the
/// payload, or with a 429 for payloads told to fail once.
#[derive(Clone, Default)]
struct Recorder {
    calls: Arc<Mutex<Vec<(Instant, String)>>>,
    refuse_once: Arc<Mutex<HashMap<String, Duration>>>,
    /// How long each call takes.
    latency: Duration,
    in_flight: Arc<AtomicUsize>,
    most_in_flight: Arc<AtomicUsize>,
}

#[async_trait]
impl Sender<String, String> for Recorder {
    async fn send(&self, payload: String) -> Sent<String> {
        self.calls
            .lock()
            .unwrap()
            .push((Instant::now(), payload.clone()));
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_in_flight.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(self.latency).await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        match self.refuse_once.lock().unwrap().remove(&payload) {
            Some(after) => Sent::RetryAfter(after),
            None => Sent::Done(payload),
        }
    }
}

impl Recorder {
    /// The calls so far, as (time since `start`, payload).
    fn calls(&self, start: Instant) -> Vec<(Duration, String)> {
        let calls = self.calls.lock().unwrap();
        calls
            .iter()
            .map(|(at, p)| (*at - start, p.clone()))
            .collect()
    }
}

type Schedule = Scheduler<String, String>;

fn spawn(limits: Limits) -> (Schedule, Recorder) {
    let recorder = Recorder::default();
    (Scheduler::spawn(limits, recorder.clone()), recorder)
}

/// Submits each call in order, then waits for all of them.
async fn run_all(schedule: &Schedule, calls: Vec<(i64, Kind, String)>) -> Vec<Result<String>> {
    let mut set = JoinSet::new();
    for (index, (chat, kind, payload)) in calls.into_iter().enumerate() {
        let answer = schedule.submit(chat, kind, payload);
        set.spawn(async move { (index, answer.await) });
    }
    let mut results: Vec<_> = set.join_all().await;
    results.sort_by_key(|(index, _)| *index);
    results.into_iter().map(|(_, result)| result).collect()
}

fn replies(chat: i64, count: usize) -> Vec<(i64, Kind, String)> {
    (0..count)
        .map(|n| (chat, Kind::Reply, format!("{chat}/{n}")))
        .collect()
}

/// The most calls starting within any half-open window of `span`.
fn busiest(calls: &[(Duration, String)], span: Duration) -> usize {
    (0..calls.len())
        .map(|i| {
            let end = calls[i].0 + span;
            calls[i..].iter().take_while(|(at, _)| *at < end).count()
        })
        .max()
        .unwrap_or(0)
}

fn at_secs(seconds: u64) -> Duration {
    Duration::from_secs(seconds)
}

/// Started at `expected` seconds: never early, and late by less than the
/// timer's one-millisecond resolution.
fn started_at(actual: Duration, expected: u64) -> bool {
    let expected = at_secs(expected);
    actual >= expected && actual < expected + Duration::from_millis(2)
}

#[tokio::test(start_paused = true)]
async fn many_chats_share_thirty_a_second_each_in_order() {
    let (schedule, telegram) = spawn(Limits::default());
    let start = Instant::now();
    let calls: Vec<_> = (1..=100).flat_map(|chat| replies(chat, 3)).collect();

    let results = run_all(&schedule, calls.clone()).await;

    assert!(results.iter().all(Result::is_ok));
    let sent = telegram.calls(start);
    assert!(busiest(&sent, SECOND) <= 30, "over 30 in a second");
    let mut payloads: Vec<_> = sent.iter().map(|(_, p)| p.clone()).collect();
    payloads.sort();
    let mut expected: Vec<_> = calls.into_iter().map(|(_, _, p)| p).collect();
    expected.sort();
    assert_eq!(payloads, expected, "each message exactly once");
    let mut per_chat: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (_, payload) in &sent {
        let (chat, n) = payload.split_once('/').unwrap();
        per_chat.entry(chat).or_default().push(n);
    }
    assert!(per_chat.values().all(|order| *order == ["0", "1", "2"]));
    // The budget is used, not wasted: 300 sends in ten one-second slots.
    assert!(sent.last().unwrap().0 < at_secs(10));
    assert_eq!(schedule.stats().sent, 300);
}

#[tokio::test(start_paused = true)]
async fn one_chat_gets_a_burst_of_three_then_one_a_second() {
    let (schedule, telegram) = spawn(Limits::default());
    let start = Instant::now();

    run_all(&schedule, replies(5, 10)).await;

    let sent = telegram.calls(start);
    let expected = [0, 0, 0, 1, 2, 3, 4, 5, 6, 7];
    assert_eq!(sent.len(), expected.len());
    for ((at, payload), second) in sent.iter().zip(expected) {
        assert!(started_at(*at, second), "{payload} at {at:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_group_never_gets_more_than_twenty_a_minute() {
    let (schedule, telegram) = spawn(Limits::default());
    let start = Instant::now();

    let results = run_all(&schedule, replies(-100, 45)).await;

    assert!(results.iter().all(Result::is_ok));
    let sent = telegram.calls(start);
    assert_eq!(sent.len(), 45);
    assert!(busiest(&sent, at_secs(60)) <= 20);
    // The pace still holds inside the minute.
    assert!(busiest(&sent, SECOND) <= 3);
}

#[tokio::test(start_paused = true)]
async fn a_reply_goes_before_an_earlier_edit() {
    let (schedule, telegram) = spawn(Limits::default());
    let start = Instant::now();
    let mut calls = replies(7, 3);
    calls.push((7, Kind::Edit { message: 1 }, "edit".into()));
    calls.push((7, Kind::Reply, "reply".into()));

    run_all(&schedule, calls).await;

    let sent = telegram.calls(start);
    let order: Vec<_> = sent.iter().map(|(_, p)| p.as_str()).collect();
    assert_eq!(order, ["7/0", "7/1", "7/2", "reply", "edit"]);
    assert!(started_at(sent[3].0, 1) && started_at(sent[4].0, 2));
}

#[tokio::test(start_paused = true)]
async fn queued_edits_of_a_message_fold_into_the_latest() {
    let (schedule, telegram) = spawn(Limits::default());
    let start = Instant::now();
    let mut calls = replies(7, 3);
    for n in 1..=5 {
        calls.push((7, Kind::Edit { message: 42 }, format!("progress {n}")));
    }
    calls.push((7, Kind::Edit { message: 43 }, "other".into()));

    let results = run_all(&schedule, calls).await;

    for result in &results[3..8] {
        assert_eq!(result.as_deref(), Ok("progress 5"));
    }
    assert_eq!(results[8].as_deref(), Ok("other"));
    let sent = telegram.calls(start);
    let order: Vec<_> = sent.iter().map(|(_, p)| p.as_str()).collect();
    assert_eq!(order, ["7/0", "7/1", "7/2", "progress 5", "other"]);
    assert_eq!(schedule.stats().coalesced, 4);
}

#[tokio::test(start_paused = true)]
async fn a_429_pauses_every_chat_and_retries_its_call_first() {
    let (schedule, telegram) = spawn(Limits::default());
    telegram
        .refuse_once
        .lock()
        .unwrap()
        .insert("2/3".into(), 5 * SECOND);
    let start = Instant::now();
    let calls: Vec<_> = (1..=5).flat_map(|chat| replies(chat, 6)).collect();

    let results = run_all(&schedule, calls).await;

    assert!(results.iter().all(Result::is_ok));
    let sent = telegram.calls(start);
    let refused = sent.iter().position(|(_, p)| p == "2/3").unwrap();
    let refused_at = sent[refused].0;
    assert!(started_at(refused_at, 1));
    let resume = refused_at + 5 * SECOND;
    assert!(
        sent.iter()
            .all(|(at, _)| *at <= refused_at || *at >= resume),
        "a call during the pause: {sent:?}"
    );
    let after = sent.iter().find(|(at, _)| *at >= resume).unwrap();
    assert_eq!(after.1, "2/3");
    assert_eq!(sent.len(), 31, "30 calls and one retry");
    assert_eq!(schedule.stats().rate_limited, 1);
}

#[tokio::test(start_paused = true)]
async fn over_capacity_is_refused_but_folding_is_not() {
    let limits = Limits {
        max_queued: 2,
        ..Limits::default()
    };
    let (schedule, _telegram) = spawn(limits);

    let first = schedule.submit(1, Kind::Reply, "a".into());
    let edit = schedule.submit(1, Kind::Edit { message: 9 }, "b".into());
    let refused = schedule.submit(2, Kind::Reply, "c".into());
    let folded = schedule.submit(1, Kind::Edit { message: 9 }, "d".into());

    assert_eq!(refused.await, Err(Error::Full));
    assert_eq!(first.await.as_deref(), Ok("a"));
    assert_eq!(edit.await.as_deref(), Ok("d"));
    assert_eq!(folded.await.as_deref(), Ok("d"));
    assert_eq!(schedule.stats().rejected, 1);
}

#[tokio::test(start_paused = true)]
async fn free_calls_bypass_the_limits() {
    let (schedule, telegram) = spawn(Limits::default());
    let start = Instant::now();
    let mut calls: Vec<_> = (0..50)
        .map(|n| (1, Kind::Free, format!("file {n}")))
        .collect();
    calls.extend(replies(1, 3));

    let results = run_all(&schedule, calls).await;

    assert!(results.iter().all(Result::is_ok));
    let sent = telegram.calls(start);
    assert_eq!(sent.len(), 53);
    // Free calls spent neither the bot's budget nor the chat's burst.
    assert!(sent.iter().all(|(at, _)| started_at(*at, 0)));
    assert_eq!(schedule.stats().free, 50);
}

#[tokio::test(start_paused = true)]
async fn free_calls_pass_a_429_to_the_caller() {
    let (schedule, telegram) = spawn(Limits::default());
    telegram
        .refuse_once
        .lock()
        .unwrap()
        .insert("me".into(), 3 * SECOND);

    let answer = schedule.submit(1, Kind::Free, "me".into()).await;

    assert_eq!(answer, Err(Error::RetryAfter(3 * SECOND)));
    assert!(!schedule.stats().paused);
}

#[tokio::test(start_paused = true)]
async fn busy_chats_take_turns() {
    let limits = Limits {
        global: Window {
            count: 1,
            span: SECOND,
        },
        ..Limits::default()
    };
    let (schedule, telegram) = spawn(limits);
    let mut calls = replies(1, 3);
    calls.extend(replies(2, 3));

    run_all(&schedule, calls).await;

    let order: Vec<_> = telegram.calls(Instant::now());
    let order: Vec<_> = order.iter().map(|(_, p)| p.as_str()).collect();
    assert_eq!(order, ["1/0", "2/0", "1/1", "2/1", "1/2", "2/2"]);
}

#[tokio::test(start_paused = true)]
async fn in_flight_sends_are_capped() {
    let limits = Limits {
        max_in_flight: 2,
        ..Limits::default()
    };
    let telegram = Recorder {
        latency: 10 * SECOND,
        ..Recorder::default()
    };
    let schedule = Scheduler::spawn(limits, telegram.clone());
    let start = Instant::now();
    let calls: Vec<_> = (1..=6).flat_map(|chat| replies(chat, 1)).collect();

    let results = run_all(&schedule, calls).await;

    assert!(results.iter().all(Result::is_ok));
    assert_eq!(telegram.most_in_flight.load(Ordering::SeqCst), 2);
    let starts: Vec<_> = telegram
        .calls(start)
        .into_iter()
        .map(|(at, _)| at)
        .collect();
    let expected = [0, 0, 10, 10, 20, 20];
    assert!(
        starts
            .iter()
            .zip(expected)
            .all(|(at, s)| started_at(*at, s))
    );
}

#[tokio::test(start_paused = true)]
async fn shutdown_refuses_what_is_still_queued() {
    let (schedule, telegram) = spawn(Limits::default());
    let answers: Vec<_> = replies(1, 5)
        .into_iter()
        .map(|(chat, kind, payload)| schedule.submit(chat, kind, payload))
        .collect();
    let mut answers = answers.into_iter();

    // The burst of three is sent at once; wait for it to be answered.
    for answer in answers.by_ref().take(3) {
        assert!(answer.await.is_ok());
    }
    schedule.shutdown();

    for answer in answers {
        assert_eq!(answer.await, Err(Error::Closed));
    }
    let late = schedule.submit(1, Kind::Reply, "late".into()).await;
    assert_eq!(late, Err(Error::Closed));
    let free = schedule.submit(1, Kind::Free, "free".into()).await;
    assert_eq!(free, Err(Error::Closed));
    assert_eq!(telegram.calls(Instant::now()).len(), 3);
}

#[tokio::test(start_paused = true)]
async fn dropping_the_last_handle_refuses_what_is_queued() {
    let (schedule, _telegram) = spawn(Limits::default());
    let copy = schedule.clone();
    let answers: Vec<_> = replies(1, 4)
        .into_iter()
        .map(|(chat, kind, payload)| schedule.submit(chat, kind, payload))
        .collect();

    drop(schedule);
    drop(copy);

    let results: Vec<_> = futures_in_order(answers).await;
    // Nothing had been sent yet: the driver never ran before the drop.
    assert!(results.iter().all(|r| *r == Err(Error::Closed)));
}

async fn futures_in_order<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut outputs = Vec::with_capacity(futures.len());
    for future in futures {
        outputs.push(future.await);
    }
    outputs
}
