//! Names of groups to create: a base name and a count (`Toko Kue x 10`
//! makes "Toko Kue 1" to "Toko Kue 10"), or the names one per line, typed
//! or in a `.txt`.
//!
//! Every name is checked against WhatsApp's limit before anything is
//! created, so a job never stops half-way on a name WhatsApp refuses.

use std::collections::HashSet;

/// The longest group name WhatsApp accepts, in characters.
pub const MAX_NAME_CHARS: usize = 100;

/// The most groups one request creates.
pub const MAX_GROUPS: usize = 100;

/// Why the text gives no names to create.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Nothing but blank lines.
    #[error("no group names")]
    Empty,
    /// A count outside 1 to [`MAX_GROUPS`].
    #[error("a count of {count} groups; 1 to {MAX_GROUPS} are possible")]
    Count {
        /// The count asked for.
        count: usize,
    },
    /// More than [`MAX_GROUPS`] names.
    #[error("{count} names; at most {MAX_GROUPS} at once")]
    TooMany {
        /// How many names were given.
        count: usize,
    },
    /// A name over WhatsApp's limit (shown cut short).
    #[error("the name {name:?} is longer than {MAX_NAME_CHARS} characters")]
    TooLong {
        /// The start of the name.
        name: String,
    },
}

impl Error {
    /// The catalog message id that explains this reason to the user.
    pub fn message_id(&self) -> &'static str {
        match self {
            Self::Empty => "input-names-empty",
            Self::Count { .. } => "input-names-count",
            Self::TooMany { .. } => "input-names-too-many",
            Self::TooLong { .. } => "input-names-too-long",
        }
    }

    /// The values the message shows.
    pub fn args(&self) -> Vec<(&'static str, String)> {
        let mut args = vec![
            ("max", MAX_GROUPS.to_string()),
            ("length", MAX_NAME_CHARS.to_string()),
        ];
        match self {
            Self::Count { count } | Self::TooMany { count } => {
                args.push(("count", count.to_string()))
            }
            Self::TooLong { name } => args.push(("name", name.clone())),
            Self::Empty => {}
        }
        args
    }
}

/// The names to create, and the lines left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Names {
    /// The names, in order, each once.
    pub names: Vec<String>,
    /// Names that repeated an earlier one (created once), in the order
    /// seen.
    pub repeated: Vec<String>,
    /// The lines (numbered from 1) that hold no visible character, only
    /// invisible ones such as a zero-width space or a Hangul filler.
    pub empty: Vec<usize>,
}

/// The names in `text`: one line of the form `<base> x <count>` (also
/// with `×`), or names one per line. Blank lines are no names.
pub fn parse(text: &str) -> Result<Names, Error> {
    let mut empty = Vec::new();
    let mut lines: Vec<&str> = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if line.chars().all(is_invisible) {
            empty.push(number + 1);
        } else {
            lines.push(line);
        }
    }
    let names: Vec<String> = match lines.as_slice() {
        [] => return Err(Error::Empty),
        [line] => match base_and_count(line) {
            Some((base, count)) => {
                if !(1..=MAX_GROUPS).contains(&count) {
                    return Err(Error::Count { count });
                }
                (1..=count).map(|n| format!("{base} {n}")).collect()
            }
            None => vec![(*line).to_owned()],
        },
        many => many.iter().map(|l| (*l).to_owned()).collect(),
    };
    let mut seen = HashSet::new();
    let mut unique = Vec::new();
    let mut repeated = Vec::new();
    for name in names {
        if name.chars().count() > MAX_NAME_CHARS {
            let name: String = name.chars().take(30).collect();
            return Err(Error::TooLong {
                name: format!("{name}…"),
            });
        }
        if seen.insert(name.clone()) {
            unique.push(name);
        } else {
            repeated.push(name);
        }
    }
    if unique.len() > MAX_GROUPS {
        return Err(Error::TooMany {
            count: unique.len(),
        });
    }
    Ok(Names {
        names: unique,
        repeated,
        empty,
    })
}

/// Whether `c` shows nothing: blanks, control characters, and the
/// zero-width, joining, direction and filler characters used for names
/// that look empty.
fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(c,
            '\u{00ad}' | '\u{034f}' | '\u{061c}' | '\u{115f}' | '\u{1160}' | '\u{17b4}'
            | '\u{17b5}' | '\u{180b}'..='\u{180f}' | '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206f}'
            | '\u{2800}' | '\u{3164}' | '\u{fe00}'..='\u{fe0f}' | '\u{feff}' | '\u{ffa0}'
            | '\u{1d159}' | '\u{1d173}'..='\u{1d17a}' | '\u{e0000}'..='\u{e0fff}')
}

/// `Toko Kue x 10` as ("Toko Kue", 10).
fn base_and_count(line: &str) -> Option<(&str, usize)> {
    let (head, count) = line.rsplit_once(['x', 'X', '×'])?;
    let count = count.trim();
    if count.is_empty() || !count.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let base = head.trim_end();
    // "Toko x10" and "Toko x 10" count; "Tokox 10" is a name.
    if base.is_empty() || base.len() == head.len() {
        return None;
    }
    Some((base, count.parse().unwrap_or(usize::MAX)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<String> {
        parse(text).unwrap().names
    }

    #[test]
    fn a_base_and_a_count_number_the_names() {
        assert_eq!(
            names("Toko Kue x 3"),
            ["Toko Kue 1", "Toko Kue 2", "Toko Kue 3"]
        );
        assert_eq!(names("Alumni ×2"), ["Alumni 1", "Alumni 2"]);
        assert_eq!(names("  Kelas X 1 "), ["Kelas 1"]);
        assert_eq!(parse("Toko x 0"), Err(Error::Count { count: 0 }));
        assert_eq!(parse("Toko x 101"), Err(Error::Count { count: 101 }));
        assert_eq!(
            parse("Toko x 99999999999999999999999"),
            Err(Error::Count { count: usize::MAX })
        );
    }

    #[test]
    fn other_single_lines_are_one_name() {
        assert_eq!(names("Box 10"), ["Box 10"]);
        assert_eq!(names("Tokox 10"), ["Tokox 10"]);
        assert_eq!(names("Grup x"), ["Grup x"]);
        assert_eq!(names("x 5"), ["x 5"]);
    }

    #[test]
    fn lines_are_names_each_once() {
        let parsed = parse("Satu\n\n Dua \r\nSatu\nTiga x 2\nDua").unwrap();
        assert_eq!(parsed.names, ["Satu", "Dua", "Tiga x 2"]);
        assert_eq!(parsed.repeated, ["Satu", "Dua"]);
        assert!(parsed.empty.is_empty());
    }

    #[test]
    fn names_that_show_nothing_are_left_out_by_line() {
        let parsed =
            parse("Satu\n\u{200b}\n\n\u{3164}\u{3164}\n \u{2800} \nDua\n\u{feff}\u{200d}").unwrap();
        assert_eq!(parsed.names, ["Satu", "Dua"]);
        assert_eq!(parsed.empty, [2, 4, 5, 7]);
        assert_eq!(names("\u{200b}Toko\u{200b}"), ["\u{200b}Toko\u{200b}"]);
        assert_eq!(parse("\u{200b}\n\u{3164}"), Err(Error::Empty));
    }

    #[test]
    fn limits_are_checked_before_anything_is_created() {
        assert_eq!(parse(" \n\n"), Err(Error::Empty));
        let long = "é".repeat(101);
        assert!(matches!(parse(&long), Err(Error::TooLong { .. })));
        assert_eq!(names(&"é".repeat(100)).len(), 1);
        let many: Vec<String> = (1..=101).map(|n| format!("G{n}")).collect();
        assert_eq!(parse(&many.join("\n")), Err(Error::TooMany { count: 101 }));
    }

    proptest::proptest! {
        #[test]
        fn any_text_gives_names_within_the_limits_or_a_reason(text in "\\PC{0,300}") {
            if let Ok(parsed) = parse(&text) {
                proptest::prop_assert!(!parsed.names.is_empty());
                proptest::prop_assert!(parsed.names.len() <= MAX_GROUPS);
                for name in &parsed.names {
                    proptest::prop_assert!(!name.trim().is_empty());
                    proptest::prop_assert!(name.chars().count() <= MAX_NAME_CHARS);
                }
            }
        }
    }
}
