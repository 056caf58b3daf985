//! Runs one bulk job to its end: item after item from the store, a pause
//! between items, backoff when WhatsApp asks to slow down, progress at
//! most every couple of seconds, a cancel that stops at the next item, and
//! a resume after a restart that never repeats an item that succeeded.

use std::time::Duration;

use async_trait::async_trait;
use backon::Retryable as _;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::store::{self, JobId, JobState, Progress, Store};
use crate::whatsapp;

/// One kind of item work: leave a group, create one, fetch a link…
#[async_trait]
pub trait Work: Send + Sync {
    /// Does the work for `target`, item `seq` of the job (from 0); a
    /// result to keep (a link…) on success.
    async fn run(&self, seq: u32, target: &str) -> whatsapp::Result<Option<String>>;

    /// For an item that was being worked on when the tenant stopped:
    /// whether its work happened after all, and its result. The default
    /// says no, so the item is tried again; work that must not happen
    /// twice (creating a group) looks.
    async fn happened(&self, _target: &str) -> whatsapp::Result<Option<Option<String>>> {
        Ok(None)
    }
}

/// What the owner is told while the job runs.
#[async_trait]
pub trait Report: Send + Sync {
    /// Progress so far, and the expected time left.
    async fn progress(&self, progress: Progress, left: Option<Duration>);

    /// Why an item failed, in the owner's words; kept with the item.
    fn reason(&self, error: &whatsapp::Error) -> String {
        crds::naming::Chain(error).to_string()
    }

    /// An item was decided: succeeded or failed.
    fn decided(&self, _ok: bool) {}

    /// WhatsApp asked to slow down: the job waits `wait` before it tries
    /// the item again.
    fn paused(&self, _wait: Duration) {}
}

/// The job's pace.
#[derive(Debug, Clone, Copy)]
pub struct Pacing {
    /// The owner's pause between items.
    pub delay: Duration,
    /// Least time between two progress reports.
    pub progress_every: Duration,
    /// Tries of one item while WhatsApp answers with retryable errors.
    pub attempts: u32,
    /// First backoff when WhatsApp gives no time; it grows as
    /// [`Peer::WhatsApp`]'s policy says.
    ///
    /// [`Peer::WhatsApp`]: crate::retry::Peer::WhatsApp
    pub backoff: Duration,
    /// Longest backoff, also for a wait WhatsApp asks for.
    pub max_backoff: Duration,
}

impl Default for Pacing {
    fn default() -> Self {
        Self {
            delay: Duration::from_secs(2),
            progress_every: Duration::from_secs(2),
            attempts: 5,
            backoff: Duration::from_secs(5),
            max_backoff: Duration::from_secs(300),
        }
    }
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// Every item was tried.
    Finished(Progress),
    /// The owner cancelled; the remaining items are never tried.
    Cancelled(Progress),
    /// The tenant is stopping; the job resumes at its next start.
    Interrupted,
}

/// Why a job could not run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The store failed.
    #[error("the job store failed")]
    Store(#[from] store::Error),
}

/// Runs `job` until it ends, the owner cancels it (`cancel`, a child of
/// `stop`, is cancelled) or the tenant stops (`stop` is cancelled).
pub async fn run(
    store: &Store,
    job: JobId,
    work: &dyn Work,
    report: &dyn Report,
    pacing: Pacing,
    cancel: &CancellationToken,
    stop: &CancellationToken,
) -> Result<End, Error> {
    let started = Instant::now();
    let mut tried = 0u32;
    let mut last_report: Option<Instant> = None;
    loop {
        // A stop cancels `cancel` too: look at it first.
        if stop.is_cancelled() {
            return Ok(End::Interrupted);
        }
        if cancel.is_cancelled() {
            store
                .set_job_state(job, JobState::Cancelled, crate::store::unix_seconds())
                .await?;
            return Ok(End::Cancelled(store.job_progress(job).await?));
        }
        let Some((seq, target, resumed)) = store.next_item(job).await? else {
            store
                .set_job_state(job, JobState::Finished, crate::store::unix_seconds())
                .await?;
            let progress = store.job_progress(job).await?;
            report.progress(progress, Some(Duration::ZERO)).await;
            return Ok(End::Finished(progress));
        };
        if tried > 0
            && !pacing.delay.is_zero()
            && !crds::shutdown::pause(cancel, pacing.delay).await
        {
            continue;
        }
        let outcome = if resumed {
            match work.happened(&target).await {
                Ok(Some(result)) => Some(Ok(result)),
                _ => None,
            }
        } else {
            None
        };
        let outcome = match outcome {
            Some(outcome) => outcome,
            None => {
                store.start_item(job, seq).await?;
                match attempt(work, report, seq, &target, pacing, cancel).await {
                    Some(outcome) => outcome,
                    // Stopped or cancelled while waiting out a backoff:
                    // the item stays started and is checked on resume.
                    None => continue,
                }
            }
        };
        report.decided(outcome.is_ok());
        store
            .finish_item(job, seq, outcome.map_err(|e| report.reason(&e)))
            .await?;
        tried += 1;
        let due = last_report.is_none_or(|at| at.elapsed() >= pacing.progress_every);
        if due {
            let progress = store.job_progress(job).await?;
            let decided = progress.done + progress.failed;
            let left = progress.total.saturating_sub(decided);
            let per_item = started.elapsed() / tried;
            report.progress(progress, Some(per_item * left)).await;
            last_report = Some(Instant::now());
        }
    }
}

/// Tries one item, backing off on retryable errors (as long as WhatsApp
/// asks, when it says); `None` when cancelled or stopped meanwhile.
async fn attempt(
    work: &dyn Work,
    report: &dyn Report,
    seq: u32,
    target: &str,
    pacing: Pacing,
    cancel: &CancellationToken,
) -> Option<whatsapp::Result<Option<String>>> {
    let policy = crate::retry::Peer::WhatsApp
        .policy()
        .with_min_delay(pacing.backoff)
        .with_max_delay(pacing.max_backoff)
        .with_max_times(pacing.attempts.saturating_sub(1) as usize);
    let tried = (move || work.run(seq, target))
        .retry(policy)
        .when(whatsapp::Error::is_retryable)
        .adjust(|error, wait| match error {
            whatsapp::Error::RateLimited { retry_after } => {
                wait.map(|_| (*retry_after).min(pacing.max_backoff))
            }
            _ => wait,
        })
        .notify(|error, wait| {
            if matches!(error, whatsapp::Error::RateLimited { .. }) {
                report.paused(wait);
            }
            tracing::info!(?wait, "WhatsApp asks to slow down; waiting");
        });
    crate::retry::until_cancelled(cancel, tried).await
}

#[cfg(test)]
mod tests;
