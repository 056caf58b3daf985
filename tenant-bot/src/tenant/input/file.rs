//! The text of a file a user uploaded to the bot (a `.txt` list of numbers
//! or links, or a `.vcf` address book export).
//!
//! Phones and desktop editors save text as UTF-8, often with a byte order
//! mark (Windows Notepad) and CRLF line ends; both are removed here so the
//! parsers downstream see one shape. Anything else (UTF-16, images, office
//! documents renamed to `.txt`) is refused rather than guessed at.

/// Why an uploaded file gives no text to work with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The file holds nothing, or only a byte order mark and whitespace.
    #[error("the file is empty")]
    Empty,
    /// The file is bigger than the caller accepts; `size` and `limit` are
    /// in bytes.
    #[error("the file has {size} bytes, more than the limit of {limit}")]
    TooLarge {
        /// The size of the upload.
        size: usize,
        /// The largest size accepted.
        limit: usize,
    },
    /// The bytes are not UTF-8 text, or hold a NUL byte (which no text
    /// file has, but UTF-16 text and binary formats do).
    #[error("the file is not UTF-8 text")]
    NotText,
}

impl Error {
    /// The catalog message id that explains this reason to the user.
    pub fn message_id(&self) -> &'static str {
        match self {
            Self::Empty => "input-file-empty",
            Self::TooLarge { .. } => "input-file-too-large",
            Self::NotText => "input-file-not-text",
        }
    }
}

/// The result of reading an upload.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The UTF-8 encoding of U+FEFF, which some editors write first.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The text of an uploaded file of `bytes`, at most `limit` bytes long,
/// without a byte order mark and with every line ending as `\n`.
pub fn text(bytes: &[u8], limit: usize) -> Result<String> {
    // The size is judged before anything else so an oversized upload costs
    // no decoding work.
    if bytes.len() > limit {
        return Err(Error::TooLarge {
            size: bytes.len(),
            limit,
        });
    }
    let bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
    // NUL is valid UTF-8, so it has to be looked for on its own.
    if bytes.contains(&0) {
        return Err(Error::NotText);
    }
    let text = std::str::from_utf8(bytes).map_err(|_| Error::NotText)?;
    if text.trim().is_empty() {
        return Err(Error::Empty);
    }
    Ok(unix_line_ends(text))
}

/// `text` with CRLF (Windows) and lone CR (classic Mac) line ends as LF.
fn unix_line_ends(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' {
            chars.next_if_eq(&'\n');
            out.push('\n');
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_text_files() {
        let cases: &[(&[u8], &str)] = &[
            (b"0812 0000 0001\n", "0812 0000 0001\n"),
            (b"\xEF\xBB\xBF+62 812-3456-7890", "+62 812-3456-7890"),
            (
                b"+62 812-3456-7890\r\n+44 20 7946 0123\r\n",
                "+62 812-3456-7890\n+44 20 7946 0123\n",
            ),
            (b"satu\rdua\r\rtiga", "satu\ndua\n\ntiga"),
            (b"a\r\r\nb\n\rc", "a\n\nb\n\nc"),
            (b"\xEF\xBB\xBFNomor \xC3\xA9\r\n", "Nomor \u{e9}\n"),
            (b"  x  ", "  x  "),
            // Only the first mark is a BOM; a second one is content.
            (b"\xEF\xBB\xBF\xEF\xBB\xBFx", "\u{feff}x"),
        ];
        for (bytes, expected) in cases {
            assert_eq!(text(bytes, 1024), Ok((*expected).to_owned()), "{bytes:?}");
        }
    }

    #[test]
    fn refuses_bad_files() {
        let cases: &[(&[u8], usize, Error)] = &[
            (b"", 10, Error::Empty),
            (b"\xEF\xBB\xBF", 10, Error::Empty),
            (b" \r\n\t\n", 10, Error::Empty),
            (b"\xEF\xBB\xBF \r\n", 10, Error::Empty),
            (b"0812\x000001", 10, Error::NotText),
            (b"\xFF\xFE0\x008\x00", 10, Error::NotText),
            (b"caf\xE9", 10, Error::NotText),
            (b"\xEF\xBB", 10, Error::NotText),
            (b"\x00", 10, Error::NotText),
            (
                b"12345678901",
                10,
                Error::TooLarge {
                    size: 11,
                    limit: 10,
                },
            ),
            // Size comes first: this would be NotText within the limit.
            (b"\xFF\xFF\xFF", 2, Error::TooLarge { size: 3, limit: 2 }),
            (b"", 0, Error::Empty),
            (b"x", 0, Error::TooLarge { size: 1, limit: 0 }),
        ];
        for (bytes, limit, expected) in cases {
            assert_eq!(text(bytes, *limit), Err(expected.clone()), "{bytes:?}");
        }
        assert_eq!(text(b"1234567890", 10), Ok("1234567890".to_owned()));
    }

    #[test]
    fn message_ids() {
        let ids = [
            Error::Empty,
            Error::TooLarge { size: 2, limit: 1 },
            Error::NotText,
        ]
        .map(|e| e.message_id());
        assert_eq!(
            ids,
            [
                "input-file-empty",
                "input-file-too-large",
                "input-file-not-text"
            ]
        );
        assert_eq!(
            Error::TooLarge { size: 2, limit: 1 }.to_string(),
            "the file has 2 bytes, more than the limit of 1"
        );
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..256), limit in 0usize..300) {
            let _ = text(&bytes, limit);
        }

        #[test]
        fn round_trips_text(s in "[^\\x00\\x{FEFF}][^\\x00]*|", bom in any::<bool>()) {
            let mut bytes = if bom { BOM.to_vec() } else { Vec::new() };
            bytes.extend_from_slice(s.as_bytes());
            let expected = if s.trim().is_empty() {
                Err(Error::Empty)
            } else {
                Ok(s.replace("\r\n", "\n").replace('\r', "\n"))
            };
            prop_assert_eq!(text(&bytes, bytes.len()), expected);
        }

        #[test]
        fn round_trips_line_ends(lines in proptest::collection::vec(("[a-z0-9 +-]{1,12}", prop_oneof!["\n", "\r\n", "\r"]), 1..8)) {
            let typed: String = lines.iter().map(|(l, end)| format!("{l}{end}")).collect();
            let expected: String = lines.iter().map(|(l, _)| format!("{l}\n")).collect();
            let got = text(typed.as_bytes(), usize::MAX);
            if expected.trim().is_empty() {
                prop_assert_eq!(got, Err(Error::Empty));
            } else {
                prop_assert_eq!(got, Ok(expected));
            }
        }
    }
}
