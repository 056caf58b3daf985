use std::collections::VecDeque;
use std::sync::Mutex;

use serde_json::json;

use super::*;
use crate::store::testing;

/// Work that records when each target ran and answers from a script.
#[derive(Default)]
struct Scripted {
    runs: Mutex<Vec<(String, Instant)>>,
    answers: Mutex<VecDeque<whatsapp::Result<Option<String>>>>,
    happened: Option<Option<String>>,
    cancel_after: Option<(usize, CancellationToken)>,
}

#[async_trait]
impl Work for Scripted {
    async fn run(&self, _seq: u32, target: &str) -> whatsapp::Result<Option<String>> {
        let count = {
            let mut runs = self.runs.lock().unwrap();
            runs.push((target.to_owned(), Instant::now()));
            runs.len()
        };
        if let Some((after, cancel)) = &self.cancel_after
            && count == *after
        {
            cancel.cancel();
        }
        self.answers
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or(Ok(Some(format!("done {target}"))))
    }

    async fn happened(&self, _target: &str) -> whatsapp::Result<Option<Option<String>>> {
        Ok(self.happened.clone())
    }
}

#[derive(Default)]
struct Reports(Mutex<Vec<(Progress, Option<Duration>)>>);

#[async_trait]
impl Report for Reports {
    async fn progress(&self, progress: Progress, left: Option<Duration>) {
        self.0.lock().unwrap().push((progress, left));
    }
}

fn targets(n: u32) -> Vec<String> {
    (1..=n).map(|i| format!("Grup {i}")).collect()
}

/// A job's cancel token, a child of the tenant's stop token.
fn tokens() -> (CancellationToken, CancellationToken) {
    let stop = CancellationToken::new();
    (stop.child_token(), stop)
}

/// A store holding one new job over `n` groups.
async fn job(kind: &str, n: u32) -> (Store, tempfile::TempDir, JobId) {
    let (store, dir) = testing::store().await;
    let job = store
        .create_job(kind, json!({}), 0, targets(n), 1)
        .await
        .unwrap();
    (store, dir, job)
}

/// Runs `job` to its end, never cancelled or stopped.
async fn to_the_end(
    store: &Store,
    job: JobId,
    work: &Scripted,
    reports: &Reports,
    pacing: Pacing,
) -> End {
    let (cancel, stop) = tokens();
    run(store, job, work, reports, pacing, &cancel, &stop)
        .await
        .unwrap()
}

/// Runs `job` at the default pace until it ends, whichever way.
async fn ended(
    store: &Store,
    job: JobId,
    work: &Scripted,
    cancel: &CancellationToken,
    stop: &CancellationToken,
) -> End {
    let reports = Reports::default();
    run(store, job, work, &reports, Pacing::default(), cancel, stop)
        .await
        .unwrap()
}

fn ran(work: &Scripted) -> Vec<String> {
    work.runs
        .lock()
        .unwrap()
        .iter()
        .map(|(t, _)| t.clone())
        .collect()
}

#[tokio::test(start_paused = true)]
async fn items_run_in_order_with_the_owners_pause_between_them() {
    let (store, _dir, job) = job("leave", 3).await;
    let work = Scripted::default();
    let reports = Reports::default();
    let pacing = Pacing {
        delay: Duration::from_secs(2),
        ..Pacing::default()
    };
    let end = to_the_end(&store, job, &work, &reports, pacing).await;
    let all = Progress {
        total: 3,
        done: 3,
        failed: 0,
    };
    assert_eq!(end, End::Finished(all));
    assert_eq!(ran(&work), targets(3));
    let runs = work.runs.lock().unwrap().clone();
    for pair in runs.windows(2) {
        assert!(pair[1].1 - pair[0].1 >= Duration::from_secs(2), "{runs:?}");
    }
    assert_eq!(store.running_job().await.unwrap(), None);
    let last = reports.0.lock().unwrap().last().copied().unwrap();
    assert_eq!(last, (all, Some(Duration::ZERO)));
}

#[tokio::test(start_paused = true)]
async fn rate_limits_are_waited_out_and_failures_recorded() {
    let (store, _dir, job) = job("invite_links", 2).await;
    let work = Scripted {
        answers: Mutex::new(VecDeque::from([
            Err(whatsapp::Error::RateLimited {
                retry_after: Duration::from_secs(10),
            }),
            Ok(Some("link 1".into())),
            Err(whatsapp::Error::NotAdmin),
        ])),
        ..Scripted::default()
    };
    let (cancel, stop) = tokens();
    let pacing = Pacing {
        delay: Duration::ZERO,
        ..Pacing::default()
    };
    let end = run(
        &store,
        job,
        &work,
        &Reports::default(),
        pacing,
        &cancel,
        &stop,
    )
    .await
    .unwrap();
    assert_eq!(
        end,
        End::Finished(Progress {
            total: 2,
            done: 1,
            failed: 1
        })
    );
    let runs = work.runs.lock().unwrap().clone();
    assert_eq!(runs.len(), 3, "one retry, then the second group once");
    assert!(runs[1].1 - runs[0].1 >= Duration::from_secs(10));
}

#[tokio::test(start_paused = true)]
async fn cancel_stops_at_the_next_item() {
    let (store, _dir, job) = job("leave", 5).await;
    let (cancel, stop) = tokens();
    let work = Scripted {
        cancel_after: Some((2, cancel.clone())),
        ..Scripted::default()
    };
    let end = ended(&store, job, &work, &cancel, &stop).await;
    assert_eq!(
        end,
        End::Cancelled(Progress {
            total: 5,
            done: 2,
            failed: 0
        })
    );
    assert_eq!(ran(&work), targets(2));
    assert_eq!(store.running_job().await.unwrap(), None);
}

#[tokio::test(start_paused = true)]
async fn a_resumed_job_never_repeats_what_happened() {
    let (store, _dir, job) = job("create_groups", 4).await;
    // Before the restart: one group created, the second being created.
    store
        .finish_item(job, 0, Ok(Some("link 1".into())))
        .await
        .unwrap();
    store.start_item(job, 1).await.unwrap();

    let work = Scripted {
        happened: Some(Some("link 2".into())),
        ..Scripted::default()
    };
    let end = to_the_end(&store, job, &work, &Reports::default(), Pacing::default()).await;
    assert_eq!(
        end,
        End::Finished(Progress {
            total: 4,
            done: 4,
            failed: 0
        })
    );
    assert_eq!(
        ran(&work),
        ["Grup 3", "Grup 4"],
        "groups 1 and 2 not created again"
    );
}

#[tokio::test(start_paused = true)]
async fn a_stopping_tenant_leaves_the_job_to_resume() {
    let (store, _dir, job) = job("leave", 3).await;
    let (cancel, stop) = tokens();
    stop.cancel();
    let work = Scripted::default();
    let end = ended(&store, job, &work, &cancel, &stop).await;
    assert_eq!(end, End::Interrupted);
    assert!(ran(&work).is_empty());
    assert_eq!(store.running_job().await.unwrap(), Some(job));
}

#[tokio::test(start_paused = true)]
async fn progress_is_reported_at_most_every_two_seconds() {
    let (store, _dir, job) = job("leave", 10).await;
    let reports = Reports::default();
    let (cancel, stop) = tokens();
    let pacing = Pacing {
        delay: Duration::from_millis(500),
        ..Pacing::default()
    };
    run(
        &store,
        job,
        &Scripted::default(),
        &reports,
        pacing,
        &cancel,
        &stop,
    )
    .await
    .unwrap();
    let reports = reports.0.lock().unwrap();
    // 10 items half a second apart: about 4.5 s, so a report after the
    // first item, every 2 s after, and the final one.
    assert!((3..=5).contains(&reports.len()), "{reports:?}");
    assert_eq!(reports.last().unwrap().0.done, 10);
}

#[tokio::test(start_paused = true)]
async fn a_cancel_ends_a_backoff_at_once() {
    let (store, _dir, job) = job("leave", 3).await;
    let work = Scripted {
        answers: Mutex::new(VecDeque::from([Err(whatsapp::Error::RateLimited {
            retry_after: Duration::from_secs(60),
        })])),
        ..Scripted::default()
    };
    let (cancel, stop) = tokens();
    let started = Instant::now();
    let reports = Reports::default();
    let running = run(
        &store,
        job,
        &work,
        &reports,
        Pacing::default(),
        &cancel,
        &stop,
    );
    let canceller = async {
        // Cancelled while the first item waits out WhatsApp's minute. The
        // clock is paused, so this is one second into that wait, exactly.
        tokio::time::sleep(Duration::from_secs(1)).await;
        cancel.cancel();
    };
    let (end, ()) = tokio::join!(running, canceller);
    assert!(matches!(end.unwrap(), End::Cancelled(_)));
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(ran(&work), targets(1), "no item tried after the cancel");
}

#[tokio::test(start_paused = true)]
async fn a_stop_is_not_taken_for_the_owners_cancel() {
    let (store, _dir, job) = job("leave", 3).await;
    let (cancel, stop) = tokens();
    let work = Scripted {
        // The tenant stops during the first item: the job's token, a
        // child of the tenant's, is cancelled too.
        cancel_after: Some((1, stop.clone())),
        ..Scripted::default()
    };
    let end = ended(&store, job, &work, &cancel, &stop).await;
    assert_eq!(
        end,
        End::Interrupted,
        "the job resumes; it was not cancelled"
    );
    assert_eq!(store.running_job().await.unwrap(), Some(job));
}
