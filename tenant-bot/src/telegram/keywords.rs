//! Words typed as answers ("all", "skip", "yes"…). Their words come from
//! the catalogs: each keyword is a message whose value is the word a
//! question names, and whose `.also` attribute lists more words taken the
//! same way. A word of any language is understood whatever the user's own
//! language, in any case, so English keeps working for everyone.

/// A word with a meaning in a dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Keyword {
    /// Every item of a list.
    All,
    /// Stop the question asked, and whatever it was for.
    Cancel,
    /// Yes to a question.
    Yes,
    /// No to a question.
    No,
    /// Leave out an optional answer.
    Skip,
    /// The last of several answers was sent.
    Done,
    /// The unit after a number of seconds.
    Seconds,
}

impl Keyword {
    /// Every keyword.
    pub const EVERY: [Self; 7] = [
        Self::All,
        Self::Cancel,
        Self::Yes,
        Self::No,
        Self::Skip,
        Self::Done,
        Self::Seconds,
    ];

    /// The catalog message of its words.
    pub fn id(self) -> &'static str {
        match self {
            Self::All => "keyword-all",
            Self::Cancel => "keyword-cancel",
            Self::Yes => "keyword-yes",
            Self::No => "keyword-no",
            Self::Skip => "keyword-skip",
            Self::Done => "keyword-done",
            Self::Seconds => "keyword-seconds",
        }
    }
}

/// The words of every keyword in every language, in lower case.
#[derive(Debug, Clone, Default)]
pub struct Keywords {
    words: Vec<(String, Keyword)>,
}

impl Keywords {
    /// Keywords with the words `words_of` gives for each catalog id.
    pub(super) fn new(words_of: impl Fn(&str) -> Vec<String>) -> Self {
        let mut words = Vec::new();
        for keyword in Keyword::EVERY {
            for word in words_of(keyword.id()) {
                let word = fold(&word);
                if !word.is_empty() && !words.contains(&(word.clone(), keyword)) {
                    words.push((word, keyword));
                }
            }
        }
        Self { words }
    }

    /// The keyword a whole message is: its text without the blanks around
    /// it and one leading `/`, in any case.
    pub fn read(&self, text: &str) -> Option<Keyword> {
        let text = text.trim();
        let word = text.strip_prefix('/').unwrap_or(text);
        self.of(word)
    }

    /// Whether `word` (without a `/`) is one of `keyword`'s words.
    pub fn is(&self, keyword: Keyword, word: &str) -> bool {
        self.of(word) == Some(keyword)
    }

    /// The words of `keyword` in every language, in lower case.
    pub fn words(&self, keyword: Keyword) -> Vec<&str> {
        self.words
            .iter()
            .filter(|(_, k)| *k == keyword)
            .map(|(word, _)| word.as_str())
            .collect()
    }

    fn of(&self, word: &str) -> Option<Keyword> {
        let word = fold(word);
        self.words
            .iter()
            .find(|(known, _)| *known == word)
            .map(|(_, keyword)| *keyword)
    }
}

/// `text` trimmed, in lower case, with inner blanks collapsed to one
/// space, so "Tidak  Ada" reads as "tidak ada".
fn fold(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use crds::Language;

    use super::*;
    use crate::telegram::Catalog;

    #[test]
    fn every_language_names_each_keyword() {
        let catalog = Catalog::new().unwrap();
        let keywords = catalog.keywords();
        for keyword in Keyword::EVERY {
            for language in [Language::En, Language::Id] {
                let named = catalog.text(language, keyword.id(), &[]);
                assert_eq!(keywords.read(&named), Some(keyword), "{named}");
            }
        }
    }

    #[test]
    fn words_are_read_in_any_language_and_case() {
        let keywords = Catalog::new().unwrap().keywords().clone();
        let cases = [
            ("all", Some(Keyword::All)),
            (" SEMUA ", Some(Keyword::All)),
            ("Semuanya", Some(Keyword::All)),
            ("/cancel", Some(Keyword::Cancel)),
            ("batal", Some(Keyword::Cancel)),
            ("/Batal", Some(Keyword::Cancel)),
            ("yes", Some(Keyword::Yes)),
            ("Ya", Some(Keyword::Yes)),
            ("iya", Some(Keyword::Yes)),
            ("no", Some(Keyword::No)),
            ("TIDAK", Some(Keyword::No)),
            ("gak", Some(Keyword::No)),
            ("/skip", Some(Keyword::Skip)),
            ("/lewati", Some(Keyword::Skip)),
            ("lewati", Some(Keyword::Skip)),
            ("tidak  ada", Some(Keyword::Skip)),
            ("/done", Some(Keyword::Done)),
            ("/SELESAI", Some(Keyword::Done)),
            ("sudah", Some(Keyword::Done)),
            ("detik", Some(Keyword::Seconds)),
            ("s", Some(Keyword::Seconds)),
            ("", None),
            ("//skip", None),
            ("semua grup", None),
            ("/menu", None),
            ("tidakk", None),
        ];
        for (text, expected) in cases {
            assert_eq!(keywords.read(text), expected, "{text:?}");
        }
        assert!(keywords.is(Keyword::Seconds, "Detik"));
        assert!(!keywords.is(Keyword::Seconds, "/detik"));
    }

    #[test]
    fn no_word_means_two_things() {
        let catalog = Catalog::new().unwrap();
        let mut meaning: HashMap<String, Keyword> = HashMap::new();
        for keyword in Keyword::EVERY {
            for word in catalog.keywords().words(keyword) {
                let earlier = meaning.insert(word.to_owned(), keyword);
                assert!(
                    earlier.is_none_or(|k| k == keyword),
                    "{word:?} is {earlier:?} and {keyword:?}"
                );
            }
        }
    }
}
