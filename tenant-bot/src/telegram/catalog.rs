//! Every user-facing text, one Fluent catalog per language (`locales/`).
//! Code names messages by id and passes values; it never builds text.

use crds::Language;
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

use super::keywords::Keywords;

const SOURCES: [(Language, &str, &str); 2] = [
    (Language::Id, "id", include_str!("../../locales/id.ftl")),
    (Language::En, "en", include_str!("../../locales/en.ftl")),
];

/// Why the catalog cannot be built (a broken `.ftl` file).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A catalog file does not parse.
    #[error("the {0} catalog does not parse")]
    Parse(&'static str),
    /// A catalog defines a message twice.
    #[error("the {0} catalog defines a message twice")]
    Duplicate(&'static str),
}

/// Both languages' messages.
pub struct Catalog {
    bundles: Vec<(Language, FluentBundle<FluentResource>)>,
    keywords: Keywords,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog").finish_non_exhaustive()
    }
}

impl Catalog {
    /// Parses the built-in catalogs.
    pub fn new() -> Result<Self, Error> {
        let mut bundles = Vec::new();
        for (language, tag, source) in SOURCES {
            let resource =
                FluentResource::try_new(source.to_owned()).map_err(|_| Error::Parse(tag))?;
            let locale = tag.parse().map_err(|_| Error::Parse(tag))?;
            let mut bundle = FluentBundle::new_concurrent(vec![locale]);
            // No Unicode isolation marks: Telegram shows them as garbage.
            bundle.set_use_isolating(false);
            bundle
                .add_resource(resource)
                .map_err(|_| Error::Duplicate(tag))?;
            bundles.push((language, bundle));
        }
        let keywords = Keywords::new(|id| words(&bundles, id));
        Ok(Self { bundles, keywords })
    }

    /// The words typed as answers, in every language.
    pub fn keywords(&self) -> &Keywords {
        &self.keywords
    }

    /// The text of message `id` in `language` with `args` filled in. A
    /// missing message yields its id, so a gap shows instead of silence.
    pub fn text(&self, language: Language, id: &str, args: &[(&str, &str)]) -> String {
        let Some((_, bundle)) = self.bundles.iter().find(|(l, _)| *l == language) else {
            return id.to_owned();
        };
        let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
            tracing::warn!(id, "message missing from the catalog");
            return id.to_owned();
        };
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            fluent_args.set(*name, FluentValue::from(*value));
        }
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, Some(&fluent_args), &mut errors);
        if !errors.is_empty() {
            tracing::warn!(id, "message formatted with errors");
        }
        text.into_owned()
    }

    /// Message ids of one language, sorted.
    pub fn ids(language: Language) -> Vec<String> {
        let Some((_, _, source)) = SOURCES.iter().find(|(l, _, _)| *l == language) else {
            return Vec::new();
        };
        let mut ids: Vec<String> = source
            .lines()
            .filter(|l| l.chars().next().is_some_and(|c| c.is_ascii_lowercase()))
            .filter_map(|l| l.split_once(" =").map(|(id, _)| id.trim().to_owned()))
            .collect();
        ids.sort();
        ids
    }
}

/// The words of keyword message `id` in every bundle: its value and the
/// comma-separated words of its `.also` attribute.
fn words(bundles: &[(Language, FluentBundle<FluentResource>)], id: &str) -> Vec<String> {
    let mut words = Vec::new();
    for (_, bundle) in bundles {
        let Some(message) = bundle.get_message(id) else {
            continue;
        };
        let also = message.get_attribute("also").map(|a| a.value());
        for pattern in message.value().into_iter().chain(also) {
            let mut errors = Vec::new();
            let text = bundle.format_pattern(pattern, None, &mut errors);
            words.extend(text.split(',').map(|word| word.trim().to_owned()));
        }
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_have_the_same_messages() {
        let id = Catalog::ids(Language::Id);
        let en = Catalog::ids(Language::En);
        assert!(id.len() > 30, "{id:?}");
        assert_eq!(id, en);
    }

    #[test]
    fn every_message_formats_without_errors_in_both_languages() {
        let catalog = Catalog::new().unwrap();
        let args = [
            ("phone", "44770****123"),
            ("code", "ABCD-EFGH"),
            ("remaining", "2:59"),
            ("name", "Toko"),
            ("minutes", "5"),
            ("reason", "x"),
            ("state", "y"),
            ("count", "3"),
            ("marker", "•"),
            ("phase", "z"),
            ("max", "5"),
            ("total", "9"),
            ("user", "42"),
            ("accounts", "a, b"),
            ("token", "x"),
            ("number", "51"),
            ("from", "5"),
            ("to", "3"),
            ("page", "1"),
            ("pages", "2"),
            ("members", "12"),
            ("text", "toko"),
            ("names", "Toko"),
            ("title", "Link"),
            ("decided", "3"),
            ("ok", "2"),
            ("failed", "1"),
            ("bar", "▓░"),
            ("left", "0:10"),
            ("waited", "0:02"),
            ("length", "600"),
            ("delay", "2"),
            ("min", "192"),
            ("detail", "leave: 3 grup"),
            ("size", "12 MB"),
            ("limit", "10 MB"),
            ("width", "100"),
            ("height", "80"),
            ("file", "left-out.txt"),
        ];
        for language in [Language::Id, Language::En] {
            for id in Catalog::ids(language) {
                let text = catalog.text(language, &id, &args);
                assert_ne!(text, id, "{id} missing in {language:?}");
                assert!(!text.contains('{'), "{id} in {language:?}: {text}");
            }
        }
    }

    #[test]
    fn values_are_filled_in() {
        let catalog = Catalog::new().unwrap();
        let text = catalog.text(
            Language::En,
            "pairing-code",
            &[
                ("phone", "44770****123"),
                ("code", "ABCD-EFGH"),
                ("remaining", "3:00"),
            ],
        );
        assert!(
            text.contains("ABCD-EFGH") && text.contains("3:00"),
            "{text}"
        );
        assert_eq!(
            catalog.text(Language::Id, "lang-set", &[]),
            "Bahasa diganti ke Bahasa Indonesia."
        );
        assert_eq!(
            catalog.text(Language::En, "no-such-message", &[]),
            "no-such-message"
        );
    }
}
