//! Bulk operations as persisted jobs: one row per job, one per item, so a
//! restarted tenant resumes where it stopped and never repeats an item
//! that already succeeded.

use rusqlite::{OptionalExtension, params};

use super::{Result, Store};

/// A job's id in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct JobId(pub i64);

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    /// Items remain and the job goes on (after a restart too).
    Running,
    /// The owner stopped it; remaining items stay pending forever.
    Cancelled,
    /// Every item was tried.
    Finished,
}

impl JobState {
    fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Cancelled => "cancelled",
            Self::Finished => "finished",
        }
    }
}

/// Where an item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemState {
    /// Not tried yet.
    Pending,
    /// Being tried: the work may or may not have happened, so a resumed
    /// job checks before trying again.
    Started,
    /// Succeeded; never tried again.
    Done,
    /// Failed with a reason.
    Failed,
}

impl ItemState {
    fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Started => "started",
            Self::Done => "done",
            Self::Failed => "failed",
        }
    }
}

/// Items of a job by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// Items in the job.
    pub total: u32,
    /// Items that succeeded.
    pub done: u32,
    /// Items that failed.
    pub failed: u32,
}

impl Store {
    /// Records a new running job with one pending item per target.
    pub async fn create_job(
        &self,
        kind: &str,
        params: serde_json::Value,
        delay_ms: u32,
        targets: Vec<String>,
        at: i64,
    ) -> Result<JobId> {
        let kind = kind.to_owned();
        let params = params.to_string();
        self.call(move |c| {
            let tx = c.transaction()?;
            tx.execute(
                "INSERT INTO jobs (kind, params, delay_ms, state, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                params![kind, params, delay_ms, JobState::Running.as_str(), at],
            )?;
            let id = tx.last_insert_rowid();
            {
                let mut insert = tx.prepare(
                    "INSERT INTO job_items (job_id, seq, target, state) VALUES (?1, ?2, ?3, ?4)",
                )?;
                for (seq, target) in targets.iter().enumerate() {
                    insert.execute(params![id, seq as i64, target, ItemState::Pending.as_str()])?;
                }
            }
            tx.commit()?;
            Ok(JobId(id))
        })
        .await
    }

    /// The running job, if any (one at a time per account).
    pub async fn running_job(&self) -> Result<Option<JobId>> {
        self.call(|c| {
            Ok(c.query_row(
                "SELECT id FROM jobs WHERE state = ?1 ORDER BY id LIMIT 1",
                [JobState::Running.as_str()],
                |r| r.get(0).map(JobId),
            )
            .optional()?)
        })
        .await
    }

    /// The first item not decided yet: its sequence number, its target,
    /// and whether it was started before (by a process that then stopped).
    pub async fn next_item(&self, job: JobId) -> Result<Option<(u32, String, bool)>> {
        self.call(move |c| {
            Ok(c.query_row(
                "SELECT seq, target, state = ?3 FROM job_items
                 WHERE job_id = ?1 AND state IN (?2, ?3)
                 ORDER BY seq LIMIT 1",
                params![
                    job.0,
                    ItemState::Pending.as_str(),
                    ItemState::Started.as_str()
                ],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?)
        })
        .await
    }

    /// Marks an item as being tried, before its work is done.
    pub async fn start_item(&self, job: JobId, seq: u32) -> Result<()> {
        self.call(move |c| {
            c.execute(
                "UPDATE job_items SET state = ?1 WHERE job_id = ?2 AND seq = ?3 AND state = ?4",
                params![
                    ItemState::Started.as_str(),
                    job.0,
                    seq,
                    ItemState::Pending.as_str()
                ],
            )?;
            Ok(())
        })
        .await
    }

    /// Records an item's outcome: `Ok` with an optional result (a new
    /// group's link…) or `Err` with the reason. An item already decided is
    /// left alone; returns whether this call decided it.
    pub async fn finish_item(
        &self,
        job: JobId,
        seq: u32,
        outcome: Result<Option<String>, String>,
    ) -> Result<bool> {
        let (state, result, error) = match outcome {
            Ok(result) => (ItemState::Done, result, None),
            Err(reason) => (ItemState::Failed, None, Some(reason)),
        };
        self.call(move |c| {
            let changed = c.execute(
                "UPDATE job_items SET state = ?1, result = ?2, error = ?3
                 WHERE job_id = ?4 AND seq = ?5 AND state IN (?6, ?7)",
                params![
                    state.as_str(),
                    result,
                    error,
                    job.0,
                    seq,
                    ItemState::Pending.as_str(),
                    ItemState::Started.as_str()
                ],
            )?;
            Ok(changed == 1)
        })
        .await
    }

    /// A job's kind and the owner's pause between items, in milliseconds.
    pub async fn job_kind(&self, job: JobId) -> Result<Option<(String, u32)>> {
        self.call(move |c| {
            Ok(c.query_row(
                "SELECT kind, delay_ms FROM jobs WHERE id = ?1",
                [job.0],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
        })
        .await
    }

    /// The parameters a job was created with.
    pub async fn job_params(&self, job: JobId) -> Result<Option<serde_json::Value>> {
        let text: Option<String> = self
            .call(move |c| {
                Ok(
                    c.query_row("SELECT params FROM jobs WHERE id = ?1", [job.0], |r| {
                        r.get(0)
                    })
                    .optional()?,
                )
            })
            .await?;
        Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
    }

    /// Every decided item of a job, in order: target, and its result or
    /// the reason it failed.
    pub async fn job_outcomes(
        &self,
        job: JobId,
    ) -> Result<Vec<(String, std::result::Result<Option<String>, String>)>> {
        self.call(move |c| {
            let mut query = c.prepare(
                "SELECT target, state, result, error FROM job_items
                 WHERE job_id = ?1 AND state IN (?2, ?3) ORDER BY seq",
            )?;
            let rows = query.query_map(
                params![job.0, ItemState::Done.as_str(), ItemState::Failed.as_str()],
                |r| {
                    let target: String = r.get(0)?;
                    let state: String = r.get(1)?;
                    let outcome = if state == ItemState::Done.as_str() {
                        Ok(r.get(2)?)
                    } else {
                        Err(r.get::<_, Option<String>>(3)?.unwrap_or_default())
                    };
                    Ok((target, outcome))
                },
            )?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    /// Moves a job to `state`.
    pub async fn set_job_state(&self, job: JobId, state: JobState, at: i64) -> Result<()> {
        self.call(move |c| {
            c.execute(
                "UPDATE jobs SET state = ?1, updated_at = ?2 WHERE id = ?3",
                params![state.as_str(), at, job.0],
            )?;
            Ok(())
        })
        .await
    }

    /// Counts of a job's items by outcome.
    pub async fn job_progress(&self, job: JobId) -> Result<Progress> {
        self.call(move |c| {
            Ok(c.query_row(
                "SELECT COUNT(*),
                        COALESCE(SUM(state = 'done'), 0),
                        COALESCE(SUM(state = 'failed'), 0)
                 FROM job_items WHERE job_id = ?1",
                [job.0],
                |r| {
                    Ok(Progress {
                        total: r.get(0)?,
                        done: r.get(1)?,
                        failed: r.get(2)?,
                    })
                },
            )?)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::store::testing;

    fn targets(n: u32) -> Vec<String> {
        (1..=n).map(|i| format!("Grup {i}")).collect()
    }

    #[tokio::test]
    async fn items_are_taken_in_order_and_decided_once() {
        let (store, _dir) = testing::store().await;
        let job = store
            .create_job(
                "create_groups",
                json!({"base": "Grup"}),
                2000,
                targets(3),
                1,
            )
            .await
            .unwrap();
        assert_eq!(store.running_job().await.unwrap(), Some(job));
        assert_eq!(
            store.next_item(job).await.unwrap(),
            Some((0, "Grup 1".into(), false))
        );
        assert!(
            store
                .finish_item(job, 0, Ok(Some("link".into())))
                .await
                .unwrap()
        );
        // A second outcome for the same item changes nothing.
        assert!(!store.finish_item(job, 0, Err("late".into())).await.unwrap());
        assert!(
            store
                .finish_item(job, 1, Err("rate-overlimit".into()))
                .await
                .unwrap()
        );
        assert_eq!(
            store.next_item(job).await.unwrap(),
            Some((2, "Grup 3".into(), false))
        );
        assert_eq!(
            store.job_progress(job).await.unwrap(),
            Progress {
                total: 3,
                done: 1,
                failed: 1
            }
        );
        assert_eq!(
            store.job_outcomes(job).await.unwrap(),
            [
                ("Grup 1".to_owned(), Ok(Some("link".to_owned()))),
                ("Grup 2".to_owned(), Err("rate-overlimit".to_owned())),
            ]
        );
        assert_eq!(
            store.job_kind(job).await.unwrap(),
            Some(("create_groups".to_owned(), 2000))
        );
    }

    #[tokio::test]
    async fn a_reopened_store_resumes_after_the_last_decided_item() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bot_data.db");
        let store = Store::open(&path).await.unwrap();
        let job = store
            .create_job("leave", json!({}), 0, targets(4), 1)
            .await
            .unwrap();
        store.finish_item(job, 0, Ok(None)).await.unwrap();
        store.finish_item(job, 1, Ok(None)).await.unwrap();
        store.start_item(job, 2).await.unwrap();
        drop(store);

        let store = Store::open(&path).await.unwrap();
        assert_eq!(store.running_job().await.unwrap(), Some(job));
        assert_eq!(
            store.next_item(job).await.unwrap(),
            Some((2, "Grup 3".into(), true)),
            "the item being tried when the process stopped comes first, marked"
        );
        assert!(store.finish_item(job, 2, Ok(None)).await.unwrap());
        assert_eq!(
            store.next_item(job).await.unwrap(),
            Some((3, "Grup 4".into(), false))
        );
    }

    #[tokio::test]
    async fn cancelled_and_finished_jobs_are_not_running() {
        let (store, _dir) = testing::store().await;
        let job = store
            .create_job("leave", json!({}), 0, targets(2), 1)
            .await
            .unwrap();
        store
            .set_job_state(job, JobState::Cancelled, 2)
            .await
            .unwrap();
        assert_eq!(store.running_job().await.unwrap(), None);
        let empty = store
            .create_job("leave", json!({}), 0, vec![], 3)
            .await
            .unwrap();
        assert_eq!(store.next_item(empty).await.unwrap(), None);
        assert_eq!(
            store.job_progress(empty).await.unwrap(),
            Progress::default()
        );
    }
}
