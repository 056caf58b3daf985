//! A confirmed job's life: created in the store, run by the job runner
//! with its work and a progress message, resumed after a restart, and
//! summed up at the end.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use backon::Retryable as _;
use base64::Engine as _;
use crds::naming::Chain;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::summary::Ending;
use super::{Feature, Running};
use crate::protocol::callback::{Job, Tenant};
use crate::retry::Peer;
use crate::store::{JobId, Progress};
use crate::telegram::Button;
use crate::tenant::jobs::{self, End, Pacing, Report, Work};
use crate::tenant::pairing::format_remaining;
use crate::tenant::runtime::work::{self, Requests};
use crate::tenant::runtime::{Runtime, State};
use crate::whatsapp::{self, Membership, Setting};

/// Runs a job to its end. When its progress cannot be saved (the volume
/// is full or failing), the job pauses, the owner is told once, and it
/// is tried again as [`Peer::Storage`]'s policy says: a job resumes where
/// its records say, checking the item it was on, so nothing is done
/// twice. A stop ends the wait; a cancel is recorded once saving works.
async fn run_until_saved(
    runtime: &Arc<Runtime>,
    job: JobId,
    work: &dyn Work,
    report: &Edits,
    pacing: Pacing,
    cancel: &CancellationToken,
    stop: &CancellationToken,
) -> Result<End, jobs::Error> {
    let tries = &AtomicU32::new(0);
    let run = move || {
        // Owned by each run, so its future borrows nothing of the closure.
        let runtime = runtime.clone();
        async move {
            if tries.fetch_add(1, Ordering::Relaxed) == 1 {
                report.pauses().storage = true;
                let text = runtime.catalog.text(
                    report.language,
                    "bulk-paused-storage",
                    &[("title", &report.title)],
                );
                runtime.say(text, vec![]).await;
            }
            jobs::run(&runtime.store, job, work, report, pacing, cancel, stop).await
        }
    };
    let saved = run.retry(Peer::Storage.policy()).notify(|error, wait| {
        tracing::warn!(
            error = %crds::naming::why(error),
            retry_in = ?wait,
            "the job's progress cannot be saved; paused"
        );
    });
    // Stopped while paused: the job resumes at the next start.
    crate::retry::until_cancelled(stop, saved)
        .await
        .unwrap_or(Ok(End::Interrupted))
}

/// Progress edited into one message, with a cancel button.
pub(super) struct Edits {
    runtime: Arc<Runtime>,
    pub(super) message: i32,
    pub(super) title: String,
    pub(super) language: crds::Language,
    /// Whether this run goes on with a job a stopped tenant left.
    pub(super) resumed: bool,
    pauses: Mutex<Pauses>,
}

/// The pauses of one run, for the summary.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Pauses {
    /// How often WhatsApp asked to slow down.
    pub(super) rate_limited: u32,
    /// How long those waits were in all.
    pub(super) waited: Duration,
    /// Whether the job waited for its progress to be saveable.
    pub(super) storage: bool,
}

impl Edits {
    pub(super) fn pauses(&self) -> std::sync::MutexGuard<'_, Pauses> {
        self.pauses.lock().unwrap_or_else(|e| e.into_inner())
    }
}

pub(super) fn bar(progress: Progress) -> String {
    let decided = progress.done + progress.failed;
    let filled = (decided * 10).checked_div(progress.total).unwrap_or(10) as usize;
    format!("{}{}", "▓".repeat(filled), "░".repeat(10 - filled.min(10)))
}

#[async_trait::async_trait]
impl Report for Edits {
    async fn progress(&self, progress: Progress, left: Option<Duration>) {
        let catalog = &self.runtime.catalog;
        let text = catalog.text(
            self.language,
            "bulk-progress",
            &[
                ("title", &self.title),
                ("decided", &(progress.done + progress.failed).to_string()),
                ("total", &progress.total.to_string()),
                ("ok", &progress.done.to_string()),
                ("failed", &progress.failed.to_string()),
                ("bar", &bar(progress)),
                ("left", &format_remaining(left.unwrap_or_default())),
            ],
        );
        let cancel = catalog.text(self.language, "button-cancel", &[]);
        let buttons = vec![vec![Button::new(
            cancel,
            Tenant::Job(Job::Cancel).to_string(),
        )]];
        if let Err(error) = self
            .runtime
            .messenger
            .edit(self.message, text, buttons)
            .await
        {
            tracing::warn!(error = %crds::naming::why(&error), "cannot show the job's progress");
        }
    }

    fn paused(&self, wait: Duration) {
        let mut pauses = self.pauses();
        pauses.rate_limited += 1;
        pauses.waited += wait;
    }

    fn decided(&self, ok: bool) {
        let result = if ok { "ok" } else { "failed" };
        self.runtime
            .metrics
            .job_items
            .with_label_values(&[result])
            .inc();
    }

    fn reason(&self, error: &whatsapp::Error) -> String {
        let (id, detail) = match error {
            whatsapp::Error::RateLimited { .. } => ("whatsapp-error-rate-limited", None),
            whatsapp::Error::Transient(detail) => ("whatsapp-error-transient", Some(detail)),
            whatsapp::Error::NotPaired => ("whatsapp-error-not-paired", None),
            whatsapp::Error::Banned => ("whatsapp-error-banned", None),
            whatsapp::Error::GroupNotFound => ("whatsapp-error-group-not-found", None),
            whatsapp::Error::NotAdmin => ("whatsapp-error-not-admin", None),
            whatsapp::Error::InvalidInvite => ("whatsapp-error-invalid-invite", None),
            whatsapp::Error::Rejected(detail) => ("whatsapp-error-rejected", Some(detail)),
        };
        let detail = detail.map(|d| Chain(d).to_string()).unwrap_or_default();
        self.runtime
            .catalog
            .text(self.language, id, &[("reason", &detail)])
    }
}

/// A string list kept in the job's parameters.
fn strings(params: &Value, name: &str) -> Vec<String> {
    params
        .get(name)
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

pub(super) fn settings_of(params: &Value, name: &str) -> Vec<Setting> {
    params
        .get(name)
        .cloned()
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default()
}

/// The work of `feature` with the job's `params`, its results in
/// `language`.
fn work_for(
    runtime: &Runtime,
    feature: Feature,
    params: &Value,
    language: crds::Language,
) -> Result<Box<dyn Work>, &'static str> {
    let whatsapp = runtime.whatsapp.clone();
    let word = |id: &str| runtime.catalog.text(language, id, &[]);
    let text = |name: &str| params.get(name).and_then(Value::as_str).map(str::to_owned);
    let members = |change| -> Box<dyn Work> {
        let done = match change {
            Membership::Add => "result-added",
            Membership::Remove => "result-removed",
            Membership::Promote => "result-promoted",
            Membership::Demote => "result-demoted",
        };
        Box::new(work::Members {
            whatsapp: whatsapp.clone(),
            change,
            numbers: strings(params, "numbers"),
            words: work::Words {
                done: word(done),
                invited: word("result-invited"),
                failed: word("result-failed"),
                why: work::Reasons {
                    catalog: runtime.catalog.clone(),
                    language,
                },
            },
        })
    };
    Ok(match feature {
        Feature::InviteLinks => Box::new(work::InviteLinks {
            whatsapp,
            reset: params.get("reset").and_then(Value::as_bool) == Some(true),
        }),
        Feature::Leave => Box::new(work::Leave {
            whatsapp,
            farewell: text("farewell"),
        }),
        Feature::Description => Box::new(work::Describe {
            whatsapp,
            text: text("text").ok_or("no description")?,
        }),
        Feature::AddMembers => members(Membership::Add),
        Feature::Promote => members(Membership::Promote),
        Feature::Demote => members(Membership::Demote),
        Feature::Photo => {
            let jpeg = text("photo")
                .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
                .ok_or("no photo")?;
            Box::new(work::Photo { whatsapp, jpeg })
        }
        Feature::Settings => Box::new(work::Settings {
            whatsapp,
            settings: settings_of(params, "settings"),
        }),
        Feature::JoinRequests => Box::new(work::JoinRequests {
            whatsapp,
            action: match text("action").as_deref() {
                Some("approve") => Requests::Approve,
                Some("reject") => Requests::Reject,
                _ => Requests::List,
            },
        }),
        Feature::Broadcast => Box::new(work::Broadcast {
            whatsapp,
            variants: strings(params, "variants"),
        }),
        Feature::Create => Box::new(work::Create {
            whatsapp,
            members: strings(params, "members"),
            settings: settings_of(params, "settings"),
            before: strings(params, "before"),
        }),
        Feature::Join => Box::new(work::Join { whatsapp }),
    })
}

impl Runtime {
    /// Creates the confirmed job and starts it.
    pub(in crate::tenant::runtime) async fn start(self: &Arc<Self>, state: &mut State) {
        let Some(mut pending) = state.pending.take_if(|p| p.current().is_none()) else {
            let text = self.text(state, "stale-button", &[]);
            self.say(text, vec![]).await;
            return;
        };
        if self.busy().await {
            let text = self.text(state, "bulk-busy", &[]);
            self.say(text, vec![]).await;
            return;
        }
        if pending.feature == Feature::Create {
            // What exists before, so a resumed job can tell its own new
            // groups from older ones of the same name.
            let before: Vec<String> = match self.whatsapp.groups().await {
                Ok(groups) => groups.into_iter().map(|g| g.jid).collect(),
                Err(_) => self
                    .store
                    .groups()
                    .await
                    .unwrap_or_default()
                    .into_iter()
                    .map(|g| g.jid)
                    .collect(),
            };
            pending.params.insert("before".into(), json!(before));
        }
        let delay_ms = pending.delay * 1000;
        let created = self
            .store
            .create_job(
                pending.feature.kind(),
                Value::Object(pending.params),
                delay_ms,
                pending.targets,
                crate::store::unix_seconds(),
            )
            .await;
        match created {
            Ok(job) => {
                let delay = Duration::from_millis(u64::from(delay_ms));
                self.start_job(state, job, pending.feature, delay, false)
                    .await
            }
            Err(error) => {
                tracing::warn!(error = %crds::naming::why(&error), "cannot create a job");
                let title = self.text(state, pending.feature.title(), &[]);
                let text = self.text(state, "bulk-not-saved", &[("title", &title)]);
                self.say(text, vec![]).await;
            }
        }
    }

    /// Resumes a job a stopped tenant left running.
    pub(in crate::tenant::runtime) async fn resume_job(self: &Arc<Self>, state: &mut State) {
        let Ok(Some(job)) = self.store.running_job().await else {
            return;
        };
        match self.store.job_kind(job).await {
            Ok(Some((kind, delay_ms))) => match Feature::from_kind(&kind) {
                Some(feature) => {
                    let delay = Duration::from_millis(u64::from(delay_ms));
                    self.start_job(state, job, feature, delay, true).await;
                }
                None => tracing::warn!(%kind, "a running job of an unknown kind"),
            },
            Ok(None) => {}
            Err(error) => {
                tracing::warn!(error = %crds::naming::why(&error), "cannot read the running job")
            }
        }
    }

    async fn start_job(
        self: &Arc<Self>,
        state: &mut State,
        job: JobId,
        feature: Feature,
        delay: Duration,
        resumed: bool,
    ) {
        let params = match self.store.job_params(job).await {
            Ok(Some(params)) => params,
            Ok(None) => Value::Null,
            Err(error) => {
                tracing::warn!(error = %crds::naming::why(&error), "cannot read the job");
                return;
            }
        };
        let work = match work_for(self, feature, &params, state.language) {
            Ok(work) => work,
            Err(reason) => {
                tracing::warn!(reason, "the job cannot run");
                return;
            }
        };
        let title = self.text(state, feature.title(), &[]);
        let text = self.text(state, "bulk-started", &[("title", &title)]);
        let cancel_label = self.text(state, "button-cancel", &[]);
        let buttons = vec![vec![Button::new(
            cancel_label,
            Tenant::Job(Job::Cancel).to_string(),
        )]];
        let message = match self.messenger.send(text, buttons).await {
            Ok(id) => id,
            Err(error) => {
                tracing::warn!(error = %crds::naming::why(&error), "cannot start the job's message");
                return;
            }
        };
        let stop = state.stop.clone();
        let cancel = stop.child_token();
        let cancelled = cancel.clone();
        let runtime = self.clone();
        let language = state.language;
        let task = tokio::spawn(async move {
            let report = Edits {
                runtime: runtime.clone(),
                message,
                title,
                language,
                resumed,
                pauses: Mutex::default(),
            };
            let pacing = Pacing {
                delay,
                ..Pacing::default()
            };
            let end = run_until_saved(
                &runtime,
                job,
                work.as_ref(),
                &report,
                pacing,
                &cancelled,
                &stop,
            )
            .await;
            match end {
                Ok(End::Interrupted) => {}
                Ok(End::Finished(progress)) => {
                    runtime
                        .summarize(job, feature, Ending::Finished(progress), &report)
                        .await;
                }
                Ok(End::Cancelled(progress)) => {
                    runtime
                        .summarize(job, feature, Ending::Cancelled(progress), &report)
                        .await;
                }
                Err(error) => {
                    tracing::warn!(error = %crds::naming::why(&error), "the job failed")
                }
            }
        });
        state.job = Some(Running { cancel, task });
    }
}
