//! A finished or cancelled job summed up: every item's outcome, in a
//! file when long, and the invite links kept.

use super::Feature;
use super::job::Edits;
use crate::store::{JobId, Progress};
use crate::tenant::runtime::Runtime;

/// Results above this many go in a file rather than a message.
const FILE_ABOVE: usize = 50;

impl Runtime {
    /// The final summary: the outcome of every item, in a file when long.
    pub(super) async fn summarize(
        &self,
        job: JobId,
        feature: Feature,
        progress: Progress,
        report: &Edits,
    ) {
        let language = report.language;
        let outcomes = self.store.job_outcomes(job).await.unwrap_or_default();
        let names: std::collections::HashMap<String, String> = self
            .store
            .groups()
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|g| (g.jid, g.name))
            .collect();
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
        let head = self.catalog.text(
            language,
            "bulk-done",
            &[
                ("title", &report.title),
                ("ok", &progress.done.to_string()),
                ("failed", &progress.failed.to_string()),
                (
                    "skipped",
                    &(progress.total - progress.done - progress.failed).to_string(),
                ),
            ],
        );
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
