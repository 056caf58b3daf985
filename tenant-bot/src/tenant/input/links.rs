//! WhatsApp group invite links in a message or file a user sent: usually
//! one link per line, sometimes pasted in a sentence or with the text
//! WhatsApp puts before a shared link.
//!
//! Only the invite code matters for joining, so that is what is kept. A word
//! that looks like some other link is reported back, so a user who pasted a
//! `wa.me` chat link or a cut-off invite learns why nothing happened, while
//! ordinary words around the links pass silently.

use std::collections::HashSet;
use std::ops::RangeInclusive;

/// The invite links found in a text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Links {
    /// The invite codes (case matters), in the order first seen, each once.
    pub codes: Vec<String>,
    /// Words that look like a link or a domain but are no invite link, as
    /// typed, less the punctuation around them.
    pub invalid: Vec<String>,
    /// How many links repeated a code seen before.
    pub duplicates: usize,
}

/// The host and path every invite link has, after the optional scheme and
/// `www.`.
const HOST: &str = "chat.whatsapp.com/";

/// Codes are 22 characters today; older and future lengths near that are
/// accepted, since WhatsApp itself decides whether a code is real.
const CODE_LEN: RangeInclusive<usize> = 20..=24;

/// Brackets and quotes that may open a pasted link.
const OPENING: &[char] = &['(', '[', '{', '<', '"', '\'', '*', '_', '“', '‘', '«'];

/// Sentence punctuation, brackets and quotes that may close a pasted link.
const CLOSING: &[char] = &[
    '.', ',', ';', ':', '!', '?', ')', ']', '}', '>', '"', '\'', '*', '_', '”', '’', '»',
];

/// The invite codes in `text`, and the words that look like failed links.
pub fn invite_links(text: &str) -> Links {
    let mut links = Links::default();
    let mut seen = HashSet::new();
    let tokens = text.split(|c: char| c.is_whitespace() || c == ',' || c == ';');
    for token in tokens {
        let token = token.trim_start_matches(OPENING).trim_end_matches(CLOSING);
        match invite_code(token) {
            Some(code) if seen.insert(code) => links.codes.push(code.to_owned()),
            Some(_) => links.duplicates += 1,
            None if looks_like_link(token) => links.invalid.push(token.to_owned()),
            None => {}
        }
    }
    links
}

/// The code of `[http[s]://][www.]chat.whatsapp.com/<code>[/][?query]`.
fn invite_code(token: &str) -> Option<&str> {
    let rest = strip_prefix_ignore_case(token, "https://")
        .or_else(|| strip_prefix_ignore_case(token, "http://"))
        .unwrap_or(token);
    let rest = strip_prefix_ignore_case(rest, "www.").unwrap_or(rest);
    let rest = strip_prefix_ignore_case(rest, HOST)?;
    let end = rest
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(rest.len());
    let (code, tail) = rest.split_at(end);
    // What WhatsApp appends when sharing (`?mode=...`) does not change the
    // group; anything else after the code means the code is not what it seems.
    let tail = tail.strip_prefix('/').unwrap_or(tail);
    let tail_fits = tail.is_empty() || tail.starts_with(['?', '#']);
    (CODE_LEN.contains(&code.len()) && tail_fits).then_some(code)
}

/// Whether `token` reads as a link: a scheme, `www.`, or a domain-like
/// `.` between a letter or digit and two letters (`t.me`, `wa.me/62...`).
/// Two letters, so that "e.g." and "Rp.50.000" stay ordinary words.
fn looks_like_link(token: &str) -> bool {
    let lower = token.to_ascii_lowercase();
    lower.contains("://")
        || lower.contains("www.")
        || token.as_bytes().windows(4).any(|w| {
            matches!(w, [before, b'.', first, second]
                if before.is_ascii_alphanumeric()
                    && first.is_ascii_alphabetic()
                    && second.is_ascii_alphabetic())
        })
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let (head, rest) = text.split_at_checked(prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then_some(rest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const A: &str = "AbCdEfGhIjKlMnOpQrStUv";
    const B: &str = "Zz09Yy18Xx27Ww36Vv45Uu";

    fn links(codes: &[&str], invalid: &[&str], duplicates: usize) -> Links {
        Links {
            codes: codes.iter().map(|c| (*c).to_owned()).collect(),
            invalid: invalid.iter().map(|i| (*i).to_owned()).collect(),
            duplicates,
        }
    }

    #[test]
    fn finds_codes() {
        let cases: &[(String, Links)] = &[
            (
                format!("https://chat.whatsapp.com/{A}"),
                links(&[A], &[], 0),
            ),
            (
                format!("http://chat.whatsapp.com/{A}/"),
                links(&[A], &[], 0),
            ),
            (format!("chat.whatsapp.com/{A}"), links(&[A], &[], 0)),
            (format!("www.chat.whatsapp.com/{A}"), links(&[A], &[], 0)),
            (
                format!("HTTPS://WWW.Chat.WhatsApp.COM/{A}"),
                links(&[A], &[], 0),
            ),
            (
                format!("https://chat.whatsapp.com/{A}?mode=ems_copy_t"),
                links(&[A], &[], 0),
            ),
            (
                format!("https://chat.whatsapp.com/{A}/?mode=ac_t#x"),
                links(&[A], &[], 0),
            ),
            (
                format!("Gabung ya: (https://chat.whatsapp.com/{A})."),
                links(&[A], &[], 0),
            ),
            (
                format!("“chat.whatsapp.com/{A}”, <chat.whatsapp.com/{B}>!"),
                links(&[A, B], &[], 0),
            ),
            (
                format!("chat.whatsapp.com/{A},chat.whatsapp.com/{B};chat.whatsapp.com/{A}"),
                links(&[A, B], &[], 1),
            ),
            (
                format!(
                    "Grup 1\r\n\thttps://chat.whatsapp.com/{B}\n\nGrup 2 https://chat.whatsapp.com/{A}\nGrup 1 lagi https://chat.whatsapp.com/{B}/ chat.whatsapp.com/{B}"
                ),
                links(&[B, A], &[], 2),
            ),
            // Case matters in codes, so these are two different groups.
            (
                format!(
                    "chat.whatsapp.com/{A} chat.whatsapp.com/{}",
                    A.to_lowercase()
                ),
                links(&[A, "abcdefghijklmnopqrstuv"], &[], 0),
            ),
            (
                "chat.whatsapp.com/ABCDEFGHIJ0123456789".to_owned(),
                links(&["ABCDEFGHIJ0123456789"], &[], 0),
            ),
            (
                "chat.whatsapp.com/ABCDEFGHIJ0123456789abcd".to_owned(),
                links(&["ABCDEFGHIJ0123456789abcd"], &[], 0),
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(&invite_links(text), expected, "{text}");
        }
    }

    #[test]
    fn reports_other_links_and_ignores_words() {
        let cases: &[(String, Links)] = &[
            (
                "please join, e.g. today at 10.30; Rp.50.000 ... ok?".to_owned(),
                links(&[], &[], 0),
            ),
            ("".to_owned(), links(&[], &[], 0)),
            (
                "t.me/x wa.me/6281234567890 (chat.whatsapp.com/short).".to_owned(),
                links(
                    &[],
                    &["t.me/x", "wa.me/6281234567890", "chat.whatsapp.com/short"],
                    0,
                ),
            ),
            (
                "https://example.com www.whatsapp.com whatsapp://chat?code=1 x@example.com"
                    .to_owned(),
                links(
                    &[],
                    &[
                        "https://example.com",
                        "www.whatsapp.com",
                        "whatsapp://chat?code=1",
                        "x@example.com",
                    ],
                    0,
                ),
            ),
            (
                format!(
                    "chat.whatsapp.com/ABCDEFGHIJ012345678 chat.whatsapp.com/{A}x9z chat.whatsapp.com/{A}-x"
                ),
                links(
                    &[],
                    &[
                        "chat.whatsapp.com/ABCDEFGHIJ012345678",
                        &format!("chat.whatsapp.com/{A}x9z"),
                        &format!("chat.whatsapp.com/{A}-x"),
                    ],
                    0,
                ),
            ),
            (
                format!(
                    "ftp://chat.whatsapp.com/{A} https://chat.whatsapp.com/invite/{A} chat.whatsapp.com/{A}/extra chat.whatsapp.com.evil.example/{A}"
                ),
                links(
                    &[],
                    &[
                        &format!("ftp://chat.whatsapp.com/{A}"),
                        &format!("https://chat.whatsapp.com/invite/{A}"),
                        &format!("chat.whatsapp.com/{A}/extra"),
                        &format!("chat.whatsapp.com.evil.example/{A}"),
                    ],
                    0,
                ),
            ),
            (
                format!("t.me/x t.me/x chat.whatsapp.com/{A}"),
                links(&[A], &["t.me/x", "t.me/x"], 0),
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(&invite_links(text), expected, "{text}");
        }
    }

    /// Invite links in the shapes users paste, separated by whitespace,
    /// with the codes they hold in order (repeats included).
    fn pasted() -> impl Strategy<Value = (Vec<String>, String)> {
        const PREFIXES: &[&str] = &[
            "",
            "http://",
            "https://",
            "HTTPS://www.",
            "www.",
            "Https://WWW.",
        ];
        const HOSTS: &[&str] = &[
            "chat.whatsapp.com",
            "CHAT.WHATSAPP.COM",
            "Chat.WhatsApp.com",
        ];
        const SUFFIXES: &[&str] = &["", "/", "?mode=ac_t", "/?x=1", ".", ",", ")", "!", ";"];
        prop::collection::vec("[A-Za-z0-9]{20,24}", 1..5)
            .prop_flat_map(|pool| {
                let piece = (
                    prop::sample::select(pool),
                    prop::sample::select(PREFIXES),
                    prop::sample::select(HOSTS),
                    prop::sample::select(SUFFIXES),
                    "[ \t\r\n\u{a0}\u{3000}]{1,3}",
                );
                prop::collection::vec(piece, 1..12)
            })
            .prop_map(|pieces| {
                let codes = pieces.iter().map(|(code, ..)| code.clone()).collect();
                let text = pieces
                    .iter()
                    .map(|(code, prefix, host, suffix, gap)| {
                        format!("{prefix}{host}/{code}{suffix}{gap}")
                    })
                    .collect();
                (codes, text)
            })
    }

    proptest! {
        #[test]
        fn never_panics(text in any::<String>()) {
            let _ = invite_links(&text);
        }

        #[test]
        fn finds_generated_links((picked, text) in pasted(), lead in "[ \n]{0,2}") {
            let mut codes: Vec<String> = Vec::new();
            for code in &picked {
                if !codes.contains(code) {
                    codes.push(code.clone());
                }
            }
            let duplicates = picked.len() - codes.len();
            let expected = Links { codes, invalid: vec![], duplicates };
            prop_assert_eq!(invite_links(&format!("{lead}{text}")), expected);
        }
    }
}
