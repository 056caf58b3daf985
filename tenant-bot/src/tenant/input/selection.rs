//! Choosing groups from the user's list: by the numbers shown, by exact
//! names, or by a name pattern, and the numbered pages those numbers refer to.
//!
//! Everything here is pure, so a dialogue can check what the user typed and
//! answer with a catalog message before anything touches WhatsApp.

use std::collections::HashMap;

/// Lines on one page of the list.
pub const PAGE_SIZE: usize = 10;

/// Longest input accepted, in characters. A Telegram message holds at most
/// 4096, so anything longer did not come from a person typing.
pub const MAX_INPUT: usize = 4096;

/// How much of a bad token an error carries, so a reply never echoes a wall
/// of text back at the user.
const EXCERPT: usize = 32;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a selection cannot be used. `message_id` names the catalog message
/// and `args` the values it shows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Nothing but blanks was typed.
    #[error("nothing was selected")]
    Empty,
    /// A token that is neither a number, a range nor a word for all, as
    /// typed (cut to a short excerpt); a stray comma shows as `,`.
    #[error("not a number, a range or a word for all: {0:?}")]
    Malformed(String),
    /// A number that is 0 or above the count of items.
    #[error("number {number} is outside 1..={max}")]
    OutOfRange {
        /// The number as typed.
        number: usize,
        /// The highest number that could be used.
        max: usize,
    },
    /// A range that runs backwards, such as `5-3`.
    #[error("range {from}-{to} runs backwards")]
    Reversed {
        /// Where the range starts.
        from: usize,
        /// Where it ends, below `from`.
        to: usize,
    },
    /// The names or the pattern matched no group.
    #[error("no group matched")]
    NoMatch,
}

impl Error {
    /// The language catalog id of the message that explains this error.
    pub fn message_id(&self) -> &'static str {
        match self {
            Self::Empty => "selection-empty",
            Self::Malformed(_) => "selection-malformed",
            Self::OutOfRange { .. } => "selection-out-of-range",
            Self::Reversed { .. } => "selection-reversed",
            Self::NoMatch => "selection-no-match",
        }
    }

    /// The catalog message's variables. Numbers go as text so the catalog
    /// never groups their digits ("1.000") in a number the user typed.
    pub fn args(&self) -> Vec<(&'static str, String)> {
        match self {
            Self::Empty | Self::NoMatch => Vec::new(),
            Self::Malformed(token) => vec![("token", token.clone())],
            Self::OutOfRange { number, max } => {
                vec![("number", number.to_string()), ("max", max.to_string())]
            }
            Self::Reversed { from, to } => {
                vec![("from", from.to_string()), ("to", to.to_string())]
            }
        }
    }
}

/// Indices (0-based, into `names`) in natural order of the names: case does
/// not matter and digits compare as numbers, so "Grup 2" comes before
/// "Grup 10". Names that differ only in case keep a fixed order.
pub fn natural_order(names: &[String]) -> Vec<usize> {
    let folded: Vec<String> = names.iter().map(|name| fold(name)).collect();
    let mut order: Vec<usize> = (0..names.len()).collect();
    // A stable sort, so even identical names keep the order WhatsApp gave.
    order.sort_by(|&a, &b| {
        alphanumeric_sort::compare_str(&folded[a], &folded[b])
            .then_with(|| alphanumeric_sort::compare_str(&names[a], &names[b]))
    });
    order
}

/// Parses `3`, `1-5`, `1,3,7`, `1-3,7`, or one of the words for all in
/// `all` (lower case; matched in any case), with spaces allowed around `,`
/// and `-`, and also `1 3 7` separated by spaces, against a list of
/// `count` items numbered from 1. Returns 0-based positions, sorted,
/// without duplicates. The first bad token, left to right, is the error.
/// All of an empty list is an empty selection.
pub fn numbers(input: &str, count: usize, all: &[&str]) -> Result<Vec<usize>> {
    if input.chars().nth(MAX_INPUT).is_some() {
        return Err(Error::Malformed(excerpt(input)));
    }
    if input.trim().is_empty() {
        return Err(Error::Empty);
    }
    // One flag per item: ranges never expand past the list, and the result
    // comes out sorted and deduplicated for free.
    let mut chosen = vec![false; count];
    for part in input.split(',') {
        let tokens = lex(part);
        if tokens.is_empty() {
            return Err(Error::Malformed(",".to_owned()));
        }
        mark(part, &tokens, all, &mut chosen)?;
    }
    Ok(chosen
        .iter()
        .enumerate()
        .filter_map(|(position, &on)| on.then_some(position))
        .collect())
}

/// `numbers` against the shown numbering: number k means `order[k-1]`.
/// Returns positions into `names`, sorted.
pub fn shown(input: &str, order: &[usize], all: &[&str]) -> Result<Vec<usize>> {
    let mut positions: Vec<usize> = numbers(input, order.len(), all)?
        .into_iter()
        .filter_map(|index| order.get(index).copied())
        .collect();
    positions.sort_unstable();
    positions.dedup();
    Ok(positions)
}

/// Exact names typed one per line, matched against the group names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ByName {
    /// Positions (0-based, into `names`) of the groups named, sorted,
    /// without duplicates; a line names every group that bears that name.
    pub found: Vec<usize>,
    /// The lines that named no group, trimmed, in the order typed.
    pub unknown: Vec<String>,
}

/// Exact names, one per line (trimmed, case-insensitive, blank lines
/// ignored) against `names`.
pub fn by_names(lines: &str, names: &[String]) -> ByName {
    let mut index: HashMap<String, Vec<usize>> = HashMap::new();
    for (position, name) in names.iter().enumerate() {
        index.entry(fold(name.trim())).or_default().push(position);
    }
    let mut found = Vec::new();
    let mut unknown = Vec::new();
    for line in lines.lines().map(str::trim).filter(|line| !line.is_empty()) {
        match index.get(&fold(line)) {
            Some(positions) => found.extend_from_slice(positions),
            None => unknown.push(line.to_owned()),
        }
    }
    found.sort_unstable();
    found.dedup();
    ByName { found, unknown }
}

/// A name pattern: case-insensitive; `*` matches any run of characters and
/// `?` one character, and then the pattern must cover the whole name;
/// without wildcards it matches names containing the text. Returns
/// positions sorted; `NoMatch` when none, `Empty` for a blank pattern
/// (which would otherwise select every group).
pub fn by_pattern(pattern: &str, names: &[String]) -> Result<Vec<usize>> {
    if pattern.chars().nth(MAX_INPUT).is_some() {
        return Err(Error::Malformed(excerpt(pattern)));
    }
    let pattern = pattern.trim();
    if pattern.is_empty() {
        return Err(Error::Empty);
    }
    let mut wanted: Vec<char> = pattern.chars().map(fold_char).collect();
    if !wanted.iter().any(|&c| c == '*' || c == '?') {
        wanted.insert(0, '*');
        wanted.push('*');
    }
    let positions: Vec<usize> = names
        .iter()
        .enumerate()
        .filter(|(_, name)| {
            let name: Vec<char> = name.chars().map(fold_char).collect();
            glob(&wanted, &name)
        })
        .map(|(position, _)| position)
        .collect();
    if positions.is_empty() {
        return Err(Error::NoMatch);
    }
    Ok(positions)
}

/// One page of the numbered list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// "N. name", numbered across the whole list, not from 1 on each page.
    pub lines: Vec<String>,
    /// The position in `names` each line refers to.
    pub positions: Vec<usize>,
    /// How many pages the list has; 0 for an empty list.
    pub pages: usize,
}

/// Page `page` (0-based) of the list shown in `order`, normally the result
/// of `natural_order(names)`. A page past the end has no lines.
pub fn page(names: &[String], order: &[usize], page: usize) -> Page {
    let mut lines = Vec::new();
    let mut positions = Vec::new();
    let start = page.saturating_mul(PAGE_SIZE);
    for (index, &position) in order.iter().enumerate().skip(start).take(PAGE_SIZE) {
        // An order from another list would point past `names`; skipping
        // keeps every shown number meaning `order[number - 1]`.
        let Some(name) = names.get(position) else {
            continue;
        };
        lines.push(format!("{}. {name}", index + 1));
        positions.push(position);
    }
    Page {
        lines,
        positions,
        pages: order.len().div_ceil(PAGE_SIZE),
    }
}

/// What a piece of a comma-separated part is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Number,
    Dash,
    Word,
}

/// A token and where it lies in its part, so errors quote it as typed.
#[derive(Debug, Clone, Copy)]
struct Token {
    kind: Kind,
    start: usize,
    end: usize,
}

/// Phone keyboards turn `-` into an en or em dash on their own.
fn is_dash(c: char) -> bool {
    matches!(c, '-' | '\u{2013}' | '\u{2014}')
}

/// Splits a part at blanks and dashes. A run such as `1a` stays one token so
/// the error quotes it whole instead of accepting the `1`.
fn lex(part: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut chars = part.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if c.is_whitespace() {
            continue;
        }
        let mut end = start + c.len_utf8();
        if is_dash(c) {
            tokens.push(Token {
                kind: Kind::Dash,
                start,
                end,
            });
            continue;
        }
        while let Some(&(at, next)) = chars.peek() {
            if next.is_whitespace() || is_dash(next) {
                break;
            }
            end = at + next.len_utf8();
            chars.next();
        }
        let kind = if part[start..end].bytes().all(|b| b.is_ascii_digit()) {
            Kind::Number
        } else {
            Kind::Word
        };
        tokens.push(Token { kind, start, end });
    }
    tokens
}

/// Marks the items one comma-separated part selects.
fn mark(part: &str, tokens: &[Token], all: &[&str], chosen: &mut [bool]) -> Result<()> {
    let quote =
        |first: &Token, last: &Token| Error::Malformed(excerpt(&part[first.start..last.end]));
    let mut i = 0;
    while let Some(first) = tokens.get(i) {
        match (first.kind, tokens.get(i + 1)) {
            (Kind::Number, Some(dash)) if dash.kind == Kind::Dash => {
                let last = match tokens.get(i + 2) {
                    Some(last) if last.kind == Kind::Number => last,
                    Some(other) => return Err(quote(first, other)),
                    None => return Err(quote(first, dash)),
                };
                let from = number(part, first, chosen.len())?;
                let to = number(part, last, chosen.len())?;
                if from > to {
                    return Err(Error::Reversed { from, to });
                }
                // `number` keeps both ends within 1..=count, so this slice
                // exists and never grows past the list.
                chosen[from - 1..to].fill(true);
                i += 3;
            }
            (Kind::Number, _) => {
                let n = number(part, first, chosen.len())?;
                chosen[n - 1] = true;
                i += 1;
            }
            (Kind::Dash, next) => return Err(quote(first, next.unwrap_or(first))),
            (Kind::Word, _) if all.contains(&fold(&part[first.start..first.end]).as_str()) => {
                chosen.fill(true);
                i += 1;
            }
            (Kind::Word, _) => return Err(quote(first, first)),
        }
    }
    Ok(())
}

/// The value of a number token, checked to be an item of the list.
fn number(part: &str, token: &Token, count: usize) -> Result<usize> {
    let text = &part[token.start..token.end];
    // Only digits reach here, so failing to parse means too many of them.
    let n: usize = text.parse().map_err(|_| Error::Malformed(excerpt(text)))?;
    if n == 0 || n > count {
        return Err(Error::OutOfRange {
            number: n,
            max: count,
        });
    }
    Ok(n)
}

/// The start of `text`, marked as cut when it is longer.
fn excerpt(text: &str) -> String {
    let mut chars = text.chars();
    let head: String = chars.by_ref().take(EXCERPT).collect();
    if chars.next().is_some() {
        format!("{head}…")
    } else {
        head
    }
}

/// One character for one, so `?` still means one character of the name.
fn fold_char(c: char) -> char {
    c.to_lowercase().next().unwrap_or(c)
}

fn fold(text: &str) -> String {
    text.chars().map(fold_char).collect()
}

/// Wildcard match over the whole name. On a mismatch it moves the last `*`
/// one character on instead of trying every split, so it stays
/// O(pattern × name) whatever the user types.
fn glob(pattern: &[char], name: &[char]) -> bool {
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while let Some(&c) = name.get(n) {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p + 1, n));
                p += 1;
            }
            Some(&want) if want == '?' || want == c => {
                p += 1;
                n += 1;
            }
            _ => match star {
                Some((after, from)) => {
                    star = Some((after, from + 1));
                    p = after;
                    n = from + 1;
                }
                None => return false,
            },
        }
    }
    pattern
        .get(p..)
        .is_some_and(|rest| rest.iter().all(|&c| c == '*'))
}

#[cfg(test)]
mod tests;
