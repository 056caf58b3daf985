//! A finished or cancelled job summed up: how it ended (done, cancelled
//! by the owner after so many, paused, resumed after a restart), every
//! item's outcome in the order it was shown, in a file when long, and the
//! invite links kept.

use super::Feature;
use super::job::Edits;
use crate::store::{JobId, Progress};
use crate::tenant::pairing::format_remaining;
use crate::tenant::runtime::Runtime;

/// How a job that will not go on ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ending {
    /// Every item was tried.
    Finished(Progress),
    /// The owner cancelled it; the rest were never tried.
    Cancelled(Progress),
}

/// Results above this many go in a file rather than a message.
const FILE_ABOVE: usize = 50;

impl Runtime {
    /// The final summary: the outcome of every item, in a file when long.
    pub(super) async fn summarize(
        &self,
        job: JobId,
        feature: Feature,
        end: Ending,
        report: &Edits,
    ) {
        let outcomes = self.store.job_outcomes(job).await.unwrap_or_default();
        // Names from before the list is fetched again (a group left is
        // gone from it) and after (a group joined is new in it).
        let mut names = std::collections::HashMap::new();
        let mut learn = |groups: Vec<crate::store::Group>| {
            for group in groups {
                names.entry(group.jid).or_insert(group.name);
            }
        };
        learn(self.store.groups().await.unwrap_or_default());
        if feature.changes_the_list() {
            self.refresh_quietly().await;
            learn(self.store.groups().await.unwrap_or_default());
        }
        if feature == Feature::InviteLinks {
            let links = outcomes
                .iter()
                .filter_map(|(jid, outcome)| Some((jid.clone(), outcome.clone().ok()??)))
                .collect();
            if let Err(error) = self.store.set_invite_links(links).await {
                tracing::warn!(error = %crds::naming::why(&error), "cannot keep the invite links");
            }
        }
        let name_of = |jid: &str| names.get(jid).cloned().unwrap_or_else(|| jid.to_owned());
        let lines: Vec<String> = outcomes
            .iter()
            .map(|(target, outcome)| {
                let label = match feature {
                    Feature::Join => format!("chat.whatsapp.com/{target}"),
                    _ => name_of(target),
                };
                match outcome {
                    Ok(Some(result)) if feature == Feature::Join => {
                        format!("✅ {label}: {}", name_of(result))
                    }
                    Ok(Some(result)) => format!("✅ {label}: {result}"),
                    Ok(None) => format!("✅ {label}"),
                    Err(reason) => format!("❌ {label}: {reason}"),
                }
            })
            .collect();
        let head = self.ending(end, report);
        let _ = self
            .messenger
            .edit(report.message, head.clone(), vec![])
            .await;
        if lines.len() > FILE_ABOVE {
            let body = lines.join("\n") + "\n";
            let sent = self
                .messenger
                .send_file(format!("{}.txt", feature.kind()), body.into_bytes(), head)
                .await;
            if let Err(error) = sent {
                tracing::warn!(error = %crds::naming::why(&error), "cannot send the job's results");
            }
        } else if !lines.is_empty() {
            for chunk in chunks(&lines, 4000) {
                let _ = self.messenger.send(chunk, vec![]).await;
            }
        }
    }
}

impl Runtime {
    /// How the job ended, with the pauses and restarts it went through.
    fn ending(&self, end: Ending, report: &Edits) -> String {
        let text = |id: &str, args: &[(&str, &str)]| self.catalog.text(report.language, id, args);
        let (id, progress) = match end {
            Ending::Finished(progress) => ("bulk-done", progress),
            Ending::Cancelled(progress) => ("bulk-cancelled", progress),
        };
        let decided = progress.done + progress.failed;
        let mut lines = vec![text(
            id,
            &[
                ("title", &report.title),
                ("ok", &progress.done.to_string()),
                ("failed", &progress.failed.to_string()),
                ("decided", &decided.to_string()),
                ("total", &progress.total.to_string()),
                ("left", &progress.total.saturating_sub(decided).to_string()),
            ],
        )];
        let pauses = *report.pauses();
        if pauses.rate_limited > 0 {
            lines.push(text(
                "bulk-note-rate-limited",
                &[
                    ("count", &pauses.rate_limited.to_string()),
                    ("waited", &format_remaining(pauses.waited)),
                ],
            ));
        }
        if pauses.storage {
            lines.push(text("bulk-note-storage", &[]));
        }
        if report.resumed {
            lines.push(text("bulk-note-resumed", &[]));
        }
        lines.join("\n")
    }
}

/// Lines joined into messages of at most `limit` characters each.
pub(super) fn chunks(lines: &[String], limit: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    for line in lines {
        let line: String = line.chars().take(limit).collect();
        if !current.is_empty() && current.chars().count() + 1 + line.chars().count() > limit {
            out.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push('\n');
        }
        current.push_str(&line);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}
