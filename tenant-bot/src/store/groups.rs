//! The cache of the account's WhatsApp groups, refreshed as a whole.

use rusqlite::params;

use super::{Result, Store};

/// One cached group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// WhatsApp JID, e.g. `120363000000000000@g.us`.
    pub jid: String,
    /// The group's subject.
    pub name: String,
    /// Members at the last refresh.
    pub member_count: u32,
    /// Whether the account is an admin of the group.
    pub is_admin: bool,
    /// The invite link, when known.
    pub invite_link: Option<String>,
}

impl Store {
    /// Replaces the cache with `groups`, refreshed at `at` (unix seconds),
    /// in one transaction: readers see the old list or the new one.
    pub async fn replace_groups(&self, groups: Vec<Group>, at: i64) -> Result<()> {
        self.call(move |c| {
            let tx = c.transaction()?;
            tx.execute("DELETE FROM groups", [])?;
            {
                let mut insert = tx.prepare(
                    "INSERT INTO groups (jid, name, member_count, is_admin, invite_link, refreshed_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?;
                for g in &groups {
                    insert.execute(params![
                        g.jid,
                        g.name,
                        g.member_count,
                        g.is_admin,
                        g.invite_link,
                        at
                    ])?;
                }
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    /// Records known invite links as (JID, link); groups not cached are
    /// left out.
    pub async fn set_invite_links(&self, links: Vec<(String, String)>) -> Result<()> {
        self.call(move |c| {
            let tx = c.transaction()?;
            {
                let mut update = tx.prepare("UPDATE groups SET invite_link = ?2 WHERE jid = ?1")?;
                for (jid, link) in &links {
                    update.execute(params![jid, link])?;
                }
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    /// Every cached group, by name then JID (the selection UI sorts
    /// naturally on top of this).
    pub async fn groups(&self) -> Result<Vec<Group>> {
        self.call(|c| {
            let mut statement = c.prepare(
                "SELECT jid, name, member_count, is_admin, invite_link FROM groups
                 ORDER BY name, jid",
            )?;
            let rows = statement.query_map([], |r| {
                Ok(Group {
                    jid: r.get(0)?,
                    name: r.get(1)?,
                    member_count: r.get(2)?,
                    is_admin: r.get(3)?,
                    invite_link: r.get(4)?,
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

    fn group(n: u32, name: &str) -> Group {
        Group {
            jid: format!("1203630000000000{n:02}@g.us"),
            name: name.into(),
            member_count: n,
            is_admin: n.is_multiple_of(2),
            invite_link: (n == 2).then(|| "https://chat.whatsapp.com/AbCdEf".into()),
        }
    }

    #[tokio::test]
    async fn a_refresh_replaces_the_whole_cache() {
        let (store, _dir) = testing::store().await;
        store
            .replace_groups(vec![group(1, "Grup B"), group(2, "Grup A")], 10)
            .await
            .unwrap();
        assert_eq!(
            store.groups().await.unwrap(),
            [group(2, "Grup A"), group(1, "Grup B")]
        );
        store
            .replace_groups(vec![group(3, "Grup C")], 20)
            .await
            .unwrap();
        assert_eq!(store.groups().await.unwrap(), [group(3, "Grup C")]);
    }

    #[tokio::test]
    async fn names_are_stored_as_given() {
        let (store, _dir) = testing::store().await;
        let odd = group(1, "Grup 'quote' ; DROP TABLE groups; -- 🙂");
        store.replace_groups(vec![odd.clone()], 1).await.unwrap();
        assert_eq!(store.groups().await.unwrap(), [odd]);
    }
}
