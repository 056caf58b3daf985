//! The activity log shown on the dashboard: what happened to the account,
//! newest first, bounded in size.

use rusqlite::params;

use super::{Result, Store};

/// Entries kept; older ones are dropped as new ones arrive.
const KEPT: i64 = 1_000;

/// One logged event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    /// Unix time in seconds.
    pub at: i64,
    /// A stable identifier such as `paired` or `job_finished`.
    pub kind: String,
    /// Details for the owner (never a pairing code or secret).
    pub detail: String,
}

impl Store {
    /// Appends an entry and drops those beyond the newest thousand.
    pub async fn log_activity(&self, entry: Activity) -> Result<()> {
        self.call(move |c| {
            let tx = c.transaction()?;
            tx.execute(
                "INSERT INTO activity (at, kind, detail) VALUES (?1, ?2, ?3)",
                params![entry.at, entry.kind, entry.detail],
            )?;
            tx.execute(
                "DELETE FROM activity WHERE id <= (SELECT MAX(id) FROM activity) - ?1",
                [KEPT],
            )?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    /// The newest `limit` entries, newest first.
    pub async fn recent_activity(&self, limit: u32) -> Result<Vec<Activity>> {
        self.call(move |c| {
            let mut statement =
                c.prepare("SELECT at, kind, detail FROM activity ORDER BY id DESC LIMIT ?1")?;
            let rows = statement.query_map([limit], |r| {
                Ok(Activity {
                    at: r.get(0)?,
                    kind: r.get(1)?,
                    detail: r.get(2)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing;

    fn entry(at: i64) -> Activity {
        Activity {
            at,
            kind: "test".into(),
            detail: format!("entry {at}"),
        }
    }

    #[tokio::test]
    async fn newest_first_and_bounded() {
        let (store, _dir) = testing::store().await;
        for at in 0..(KEPT + 5) {
            store.log_activity(entry(at)).await.unwrap();
        }
        let recent = store.recent_activity(3).await.unwrap();
        assert_eq!(recent, [entry(KEPT + 4), entry(KEPT + 3), entry(KEPT + 2)]);
        let all = store.recent_activity(u32::MAX).await.unwrap();
        assert_eq!(all.len() as i64, KEPT);
        assert_eq!(all.last(), Some(&entry(5)));
    }
}
