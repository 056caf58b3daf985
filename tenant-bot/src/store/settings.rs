//! Per-account settings the owner chooses, such as the language.

use crds::Language;
use rusqlite::OptionalExtension;

use super::{Result, Store};

const LANGUAGE: &str = "language";

impl Store {
    /// The language the owner picked with `/lang`, if any.
    pub async fn language(&self) -> Result<Option<Language>> {
        let stored: Option<String> = self
            .call(|c| {
                Ok(c.query_row(
                    "SELECT value FROM settings WHERE key = ?1",
                    [LANGUAGE],
                    |r| r.get(0),
                )
                .optional()?)
            })
            .await?;
        stored
            .map(|v| serde_json::from_str(&v))
            .transpose()
            .map_err(Into::into)
    }

    /// Remembers the owner's language.
    pub async fn set_language(&self, language: Language) -> Result<()> {
        let value = serde_json::to_string(&language)?;
        self.call(move |c| {
            c.execute(
                "INSERT INTO settings (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [LANGUAGE, value.as_str()],
            )?;
            Ok(())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing;

    #[tokio::test]
    async fn language_is_unset_then_remembered_then_replaced() {
        let (store, _dir) = testing::store().await;
        assert_eq!(store.language().await.unwrap(), None);
        store.set_language(Language::En).await.unwrap();
        assert_eq!(store.language().await.unwrap(), Some(Language::En));
        store.set_language(Language::Id).await.unwrap();
        assert_eq!(store.language().await.unwrap(), Some(Language::Id));
    }
}
