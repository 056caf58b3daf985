//! WhatsApp group invite links in a message or file a user sent: usually
//! one link per line, sometimes pasted in a sentence, in brackets or
//! quotes, with chat formatting around it, or with the text WhatsApp puts
//! before a shared link.
//!
//! Every form WhatsApp and its apps write an invite in is read:
//! `[http[s]://][www.]chat.whatsapp.com/[invite/]<code>`, the app's
//! `whatsapp://chat?code=<code>` and WhatsApp Web's
//! `web.whatsapp.com/accept?code=<code>`, with or without a query or
//! fragment after the code. A link whose code was pushed to the next line
//! (a paste that wrapped right after `chat.whatsapp.com/`) is joined
//! again.
//!
//! Only the invite code matters for joining, so that is what is kept. A word
//! that looks like some other link is reported back, so a user who pasted a
//! `wa.me` chat link, a channel link, a look-alike host or a cut-off invite
//! learns why nothing happened, while ordinary words around the links pass
//! silently.

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
    /// The codes of links that repeated a code seen before, once per
    /// repeat, in the order seen.
    pub repeated: Vec<String>,
}

/// Codes are 22 characters today; older and future lengths near that are
/// accepted, since WhatsApp itself decides whether a code is real.
const CODE_LEN: RangeInclusive<usize> = 20..=24;

/// How a link may start inside a word: a scheme, `www.`, or one of the
/// hosts that serve invites.
const STARTS: [&str; 6] = [
    "https://",
    "http://",
    "whatsapp://",
    "www.",
    "chat.whatsapp.com/",
    "web.whatsapp.com/",
];

/// Brackets, quotes and chat formatting (`*bold*`, `_italic_`,
/// `~strike~`, `` `code` ``, `||spoiler||`) that may open a pasted link.
const OPENING: &[char] = &[
    '(', '[', '{', '<', '"', '\'', '*', '_', '~', '`', '|', '“', '‘', '«',
];

/// Sentence punctuation, brackets, quotes and chat formatting that may
/// close a pasted link.
const CLOSING: &[char] = &[
    '.', ',', ';', ':', '!', '?', ')', ']', '}', '>', '"', '\'', '*', '_', '~', '`', '|', '”', '’',
    '»',
];

/// The invite codes in `text`, and the words that look like failed links.
pub fn invite_links(text: &str) -> Links {
    let mut links = Links::default();
    let mut seen = HashSet::new();
    let words = words(text);
    let mut next = 0;
    while let Some(word) = words.get(next) {
        next += 1;
        let code = match read(word.text) {
            Read::Invite(code) => Some(code.to_owned()),
            Read::Cut => match words.get(next) {
                Some(after) if after.line == word.line + 1 => {
                    let code = wrapped(word, after);
                    next += usize::from(code.is_some());
                    code
                }
                _ => None,
            },
            Read::Other => None,
        };
        match code {
            Some(code) if seen.insert(code.clone()) => links.codes.push(code),
            Some(code) => links.repeated.push(code),
            None if looks_like_link(word.text) => links.invalid.push(word.text.to_owned()),
            None => {}
        }
    }
    links
}

/// The code of a link cut before its code, `cut`, when the first word of
/// the next line, `after`, completes it: a paste that wrapped.
fn wrapped(cut: &Word, after: &Word) -> Option<String> {
    match read(&format!("{}{}", cut.text, after.text)) {
        Read::Invite(code) => Some(code.to_owned()),
        Read::Cut | Read::Other => None,
    }
}

/// A word of the text, less the punctuation around it, and the line it is
/// on (counted from 0).
#[derive(Debug, Clone, Copy)]
struct Word<'a> {
    text: &'a str,
    line: usize,
}

/// The words of `text`, split at blanks, commas and semicolons, without
/// those left empty once their punctuation is gone. CRLF, LF and CR each
/// end one line.
fn words(text: &str) -> Vec<Word<'_>> {
    let mut words = Vec::new();
    let mut line = 0;
    let mut start = None;
    let mut previous = None;
    let mut push = |from: usize, to: usize, line: usize| {
        let word = text[from..to]
            .trim_start_matches(OPENING)
            .trim_end_matches(CLOSING);
        if !word.is_empty() {
            words.push(Word { text: word, line });
        }
    };
    for (at, c) in text.char_indices() {
        if c.is_whitespace() || c == ',' || c == ';' {
            if let Some(from) = start.take() {
                push(from, at, line);
            }
            let crlf = c == '\n' && previous == Some('\r');
            if is_line_break(c) && !crlf {
                line += 1;
            }
        } else if start.is_none() {
            start = Some(at);
        }
        previous = Some(c);
    }
    if let Some(from) = start {
        push(from, text.len(), line);
    }
    words
}

fn is_line_break(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r' | '\u{0b}' | '\u{0c}' | '\u{85}' | '\u{2028}' | '\u{2029}'
    )
}

/// What a word is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Read<'a> {
    /// An invite link, with its code.
    Invite(&'a str),
    /// An invite link that stops right where its code should begin.
    Cut,
    /// Anything else.
    Other,
}

/// Reads the link in `word`, which starts where a scheme, `www.` or an
/// invite host first begins a word of its own; text glued before it
/// ("Link:https://…") is left aside, while a host glued to other letters
/// ("evilchat.whatsapp.com") is no start, and neither is one after a `/`,
/// which would put it in another site's path.
fn read(word: &str) -> Read<'_> {
    let Some(start) = link_start(word) else {
        return Read::Other;
    };
    let link = &word[start..];
    if let Some(rest) = strip_prefix_ignore_case(link, "whatsapp://") {
        return match strip_prefix_ignore_case(rest, "chat") {
            Some(rest) => from_query(rest),
            None => Read::Other,
        };
    }
    let rest = strip_prefix_ignore_case(link, "https://")
        .or_else(|| strip_prefix_ignore_case(link, "http://"))
        .unwrap_or(link);
    let rest = strip_prefix_ignore_case(rest, "www.").unwrap_or(rest);
    if let Some(path) = strip_prefix_ignore_case(rest, "chat.whatsapp.com/") {
        return from_path(strip_prefix_ignore_case(path, "invite/").unwrap_or(path));
    }
    match strip_prefix_ignore_case(rest, "web.whatsapp.com/accept") {
        Some(rest) => from_query(rest),
        None => Read::Other,
    }
}

/// Where the link in `word` starts, if anywhere.
fn link_start(word: &str) -> Option<usize> {
    let mut previous: Option<char> = None;
    for (at, c) in word.char_indices() {
        let boundary = previous.is_none_or(|p| !(p.is_alphanumeric() || "./-_@+%~".contains(p)));
        if boundary
            && STARTS
                .iter()
                .any(|start| strip_prefix_ignore_case(&word[at..], start).is_some())
        {
            return Some(at);
        }
        previous = Some(c);
    }
    None
}

/// The code at the start of an invite's path: `<code>[/][?query][#part]`.
fn from_path(path: &str) -> Read<'_> {
    if path.is_empty() {
        return Read::Cut;
    }
    let end = path
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(path.len());
    let (code, tail) = path.split_at(end);
    // What WhatsApp appends when sharing (`?mode=...`) does not change the
    // group; anything else after the code means the code is not what it seems.
    let tail = tail.strip_prefix('/').unwrap_or(tail);
    let tail_fits = tail.is_empty() || tail.starts_with(['?', '#']);
    if is_code(code) && tail_fits {
        Read::Invite(code)
    } else {
        Read::Other
    }
}

/// The `code` parameter of what follows a path: `[/]?a=b&code=<code>[#part]`.
fn from_query(rest: &str) -> Read<'_> {
    let rest = rest.strip_prefix('/').unwrap_or(rest);
    let Some(query) = rest.strip_prefix('?') else {
        return Read::Other;
    };
    let (query, fragment) = match query.split_once('#') {
        Some((query, fragment)) => (query, Some(fragment)),
        None => (query, None),
    };
    let mut pairs = query.split('&').peekable();
    while let Some(pair) = pairs.next() {
        let Some(code) = strip_prefix_ignore_case(pair, "code=") else {
            continue;
        };
        let last = pairs.peek().is_none() && fragment.is_none();
        return match code {
            "" if last => Read::Cut,
            code if is_code(code) => Read::Invite(code),
            _ => Read::Other,
        };
    }
    Read::Other
}

fn is_code(code: &str) -> bool {
    CODE_LEN.contains(&code.len()) && code.bytes().all(|b| b.is_ascii_alphanumeric())
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
mod tests;
