//! Phone numbers from an address book export (`.vcf`), as phones and mail
//! programs write it: vCard 2.1 (older Android), 3.0 (iPhone, Google) and
//! 4.0 (RFC 6350).
//!
//! Only names and numbers are read; every other property is skipped. The
//! reader is forgiving: a missing `END:VCARD` ends the card at the next
//! `BEGIN:VCARD` or at the end of the text, and lines outside cards are
//! ignored, because exports stitched together by hand are common; a phone
//! number among them is kept aside, so the user can be told it was not
//! used.

/// Why an export gives no numbers to work with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// No `BEGIN:VCARD` line: the text is not an address book export.
    #[error("the text holds no vCard")]
    NoCards,
    /// There are cards, but not one of them has a phone number.
    #[error("no vCard holds a phone number")]
    NoNumbers,
}

impl Error {
    /// The catalog message id that explains this reason to the user.
    pub fn message_id(&self) -> &'static str {
        match self {
            Self::NoCards => "input-vcf-no-cards",
            Self::NoNumbers => "input-vcf-no-numbers",
        }
    }
}

/// The result of reading an export.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One card of an export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    /// The display name (`FN`), else the parts of the structured name (`N`).
    pub name: Option<String>,
    /// The numbers as written, in the order of the card; normalizing them
    /// is the caller's job, so it can report each one it refuses.
    pub numbers: Vec<String>,
}

/// What an export holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Export {
    /// Every card, including those without numbers, in order.
    pub contacts: Vec<Contact>,
    /// Numbers (`TEL` lines) outside any card, as written.
    pub outside: Vec<String>,
}

/// Every card in `text`, and the numbers outside them.
pub fn read(text: &str) -> Result<Export> {
    let mut cards = Vec::new();
    let mut outside = Vec::new();
    let mut open: Option<Card> = None;
    // A byte order mark would hide the first BEGIN when the caller kept it.
    for line in unfold(text.strip_prefix('\u{feff}').unwrap_or(text)) {
        let Some(property) = Property::parse(&line) else {
            continue;
        };
        let vcard = property.value.trim().eq_ignore_ascii_case("VCARD");
        if property.is("BEGIN") && vcard {
            cards.extend(open.replace(Card::default()).map(Card::finish));
        } else if property.is("END") && vcard {
            cards.extend(open.take().map(Card::finish));
        } else if let Some(card) = open.as_mut() {
            card.add(&property);
        } else if property.is("TEL") {
            outside.extend(number(&property.value()));
        }
    }
    cards.extend(open.map(Card::finish));
    if cards.is_empty() {
        return Err(Error::NoCards);
    }
    if cards.iter().all(|card| card.numbers.is_empty()) {
        return Err(Error::NoNumbers);
    }
    Ok(Export {
        contacts: cards,
        outside,
    })
}

/// What has been read of a card so far.
#[derive(Debug, Default)]
struct Card {
    formatted: Option<String>,
    structured: Option<String>,
    numbers: Vec<String>,
}

impl Card {
    fn add(&mut self, property: &Property) {
        if property.is("TEL") {
            self.numbers.extend(number(&property.value()));
        } else if property.is("FN") && self.formatted.is_none() {
            self.formatted = non_empty(text_values(&property.value(), false).concat());
        } else if property.is("N") && self.structured.is_none() {
            self.structured = structured_name(&property.value());
        }
    }

    fn finish(self) -> Contact {
        Contact {
            name: self.formatted.or(self.structured),
            numbers: self.numbers,
        }
    }
}

/// One content line: `[group.]NAME[;param...]:value`.
#[derive(Debug)]
struct Property<'a> {
    name: &'a str,
    quoted_printable: bool,
    value: &'a str,
}

impl<'a> Property<'a> {
    fn parse(line: &'a str) -> Option<Self> {
        // A 4.0 parameter value may be quoted and hold a colon.
        let mut quoted = false;
        let colon = line.find(|c| {
            quoted ^= c == '"';
            c == ':' && !quoted
        })?;
        let (head, value) = line.split_at(colon);
        let mut parts = head.split(';');
        let name = parts.next()?.trim();
        let name = name.rsplit('.').next().unwrap_or(name);
        // 2.1 allows the bare `QUOTED-PRINTABLE` as well as `ENCODING=...`.
        let quoted_printable = parts.any(|param| {
            let value = param.rsplit('=').next().unwrap_or(param);
            value.trim().eq_ignore_ascii_case("QUOTED-PRINTABLE")
        });
        let value = value.strip_prefix(':').unwrap_or(value);
        Some(Self {
            name,
            quoted_printable,
            value,
        })
    }

    fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }

    fn value(&self) -> String {
        if self.quoted_printable {
            quoted_printable(self.value)
        } else {
            self.value.to_owned()
        }
    }
}

/// The logical lines of `text`: a line that starts with a space or tab
/// continues the one before (RFC 6350 3.2), and in 2.1 a quoted-printable
/// value ending in `=` continues on the next line whatever it starts with.
fn unfold(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut soft_break = false;
    for raw in text.split(['\n', '\r']).filter(|raw| !raw.is_empty()) {
        // A broken encoder must not swallow the end of its card.
        let ends_card = raw.trim().eq_ignore_ascii_case("END:VCARD");
        match (lines.last_mut(), raw.strip_prefix([' ', '\t'])) {
            (Some(last), _) if soft_break && !ends_card => {
                last.pop();
                last.push_str(raw);
            }
            (Some(last), Some(rest)) => last.push_str(rest),
            _ => lines.push(raw.to_owned()),
        }
        soft_break = lines.last().is_some_and(|line| {
            line.ends_with('=') && Property::parse(line).is_some_and(|p| p.quoted_printable)
        });
    }
    lines
}

/// A `TEL` value without a `tel:` scheme and URI parameters (`;ext=12`).
fn number(value: &str) -> Option<String> {
    let value = value.trim();
    let value = match value.split_at_checked(4) {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("tel:") => rest,
        _ => value,
    };
    let value = value.split_once(';').map_or(value, |(number, _)| number);
    non_empty(value.to_owned())
}

/// A display name from `N:family;given;additional;prefix;suffix`.
fn structured_name(value: &str) -> Option<String> {
    let components = text_values(value, true);
    let words: Vec<&str> = [3, 1, 2, 0, 4]
        .iter()
        .filter_map(|&i| components.get(i))
        .flat_map(|values| values.split('\n'))
        .map(str::trim)
        .filter(|word| !word.is_empty())
        .collect();
    non_empty(words.join(" "))
}

/// `value` with backslash escapes resolved. When `structured`, it is split
/// at unescaped `;` into components whose unescaped `,` list separators
/// become `\n`, which no name holds after the escapes are resolved.
fn text_values(value: &str, structured: bool) -> Vec<String> {
    let mut components = Vec::new();
    let mut current = String::new();
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('n' | 'N') => current.push(' '),
                Some(escaped) => current.push(escaped),
                None => current.push('\\'),
            },
            ';' if structured => components.push(std::mem::take(&mut current)),
            ',' if structured => current.push('\n'),
            '\n' => current.push(' '),
            c => current.push(c),
        }
    }
    components.push(current);
    components
}

/// Decodes `=XX` escapes. Bytes that are not UTF-8 are read as ISO-8859-1,
/// the other charset old phones wrote, whose bytes are the first 256 code
/// points.
fn quoted_printable(value: &str) -> String {
    let mut bytes = Vec::with_capacity(value.len());
    let mut rest = value.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        if let (b'=', [high, low, after @ ..]) = (b, tail)
            && let (Some(high), Some(low)) = (hex_digit(*high), hex_digit(*low))
        {
            bytes.push((high << 4) | low);
            rest = after;
            continue;
        }
        // A final `=` is a soft break that had no line to join.
        if !(b == b'=' && tail.is_empty()) {
            bytes.push(b);
        }
        rest = tail;
    }
    String::from_utf8(bytes)
        .unwrap_or_else(|e| e.into_bytes().into_iter().map(char::from).collect())
}

fn hex_digit(digit: u8) -> Option<u8> {
    // A hex digit's value is below 16, so it always fits.
    char::from(digit)
        .to_digit(16)
        .and_then(|value| u8::try_from(value).ok())
}

fn non_empty(text: String) -> Option<String> {
    let trimmed = text.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    type Expected<'a> = &'a [(Option<&'a str>, &'a [&'a str])];

    #[test]
    #[rustfmt::skip]
    fn reads_exports() {
        let cases: &[(&str, Expected)] = &[
            // iPhone 3.0: grouped lines, repeated TYPE parameters, CRLF.
            ("BEGIN:VCARD\r\nVERSION:3.0\r\nN:Santoso;Budi;;;\r\nFN:Budi Santoso\r\n\
              item1.TEL;type=CELL;type=VOICE;type=pref:+62 812-3456-7890\r\n\
              item1.X-ABLabel:kantor\r\nTEL;TYPE=HOME,VOICE:+44 20 7946 0123\r\nEND:VCARD\r\n",
             &[(Some("Budi Santoso"), &["+62 812-3456-7890", "+44 20 7946 0123"])]),
            // Android 2.1: bare parameters, quoted-printable with a soft break.
            ("BEGIN:VCARD\nVERSION:2.1\nN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:;=E2=98=85 Siti;;;\n\
              FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=E2=98=85 Siti Rahma=\nwati =F0=9F=8C=B8\n\
              TEL;CELL:0812 0000 0001\nTEL;HOME;VOICE:0812-0000-0002\nEND:VCARD\n",
             &[(Some("\u{2605} Siti Rahmawati \u{1f338}"), &["0812 0000 0001", "0812-0000-0002"])]),
            // 4.0: tel: URIs with and without an extension, a quoted parameter.
            ("BEGIN:VCARD\nVERSION:4.0\nFN:Kantor\n\
              TEL;VALUE=uri;TYPE=\"voice,work\":tel:+62-812-3456-7890;ext=102\n\
              TEL;VALUE=uri;PREF=1:TEL:+44-20-7946-0123\nEND:VCARD\n",
             &[(Some("Kantor"), &["+62-812-3456-7890", "+44-20-7946-0123"])]),
            // Folding by space and by tab; lower-case keywords.
            ("begin:vcard\nfn:Dewi\n  Lestari\ntel;type=cell:+62 812\n\t-3456-7890\nend:vcard\n",
             &[(Some("Dewi Lestari"), &["+62 812-3456-7890"])]),
            // N when FN is missing or blank; escapes and lists; empty TEL skipped.
            ("BEGIN:VCARD\nN:Wijaya\\, Jr.;Andi;Putra,Agus;Dr.;\nTEL:\nTEL;CELL: 0812 0000 0003 \n\
              END:VCARD\nBEGIN:VCARD\nN:Tan;Mei;;;\nFN:\nTEL:0812 0000 0004\nEND:VCARD\n",
             &[(Some("Dr. Andi Putra Agus Wijaya, Jr."), &["0812 0000 0003"]),
               (Some("Mei Tan"), &["0812 0000 0004"])]),
            // FN wins over N whatever the order; a card without numbers is kept.
            ("BEGIN:VCARD\nN:Doe;Jane;;;\nFN:Jane Q. Doe\nTEL:+44 20 7946 0123\nEND:VCARD\n\
              BEGIN:VCARD\nFN:Tanpa Nomor\nEMAIL:x@example.com\nEND:VCARD\n\
              BEGIN:VCARD\nTEL:0812 0000 0005\nEND:VCARD\n",
             &[(Some("Jane Q. Doe"), &["+44 20 7946 0123"]), (Some("Tanpa Nomor"), &[]),
               (None, &["0812 0000 0005"])]),
            // A missing END:VCARD is forgiven.
            ("BEGIN:VCARD\nFN:A\nTEL:0812 0000 0006\n\
              BEGIN:VCARD\nFN:B\nTEL:0812 0000 0007",
             &[(Some("A"), &["0812 0000 0006"]), (Some("B"), &["0812 0000 0007"])]),
            // ISO-8859-1 quoted-printable; a soft break before END or a blank line.
            ("BEGIN:VCARD\nFN;CHARSET=ISO-8859-1;ENCODING=QUOTED-PRINTABLE:Jos=E9 =\nEND:VCARD\n\
              BEGIN:VCARD\nFN;QUOTED-PRINTABLE:=3DA=\n\nB\nTEL:0812 0000 0008\nEND:VCARD\n",
             &[(Some("Jos\u{e9}"), &[]), (Some("=AB"), &["0812 0000 0008"])]),
            // A byte order mark left in by the caller.
            ("\u{feff}BEGIN:VCARD\nTEL:0812 0000 0009\nEND:VCARD", &[(None, &["0812 0000 0009"])]),
        ];
        for (text, expected) in cases {
            let expected: Vec<Contact> = expected
                .iter()
                .map(|(name, numbers)| Contact {
                    name: name.map(str::to_owned),
                    numbers: numbers.iter().map(|n| (*n).to_owned()).collect(),
                })
                .collect();
            let got = read(text).map(|export| (export.contacts, export.outside));
            assert_eq!(got, Ok((expected, vec![])), "{text}");
        }
    }

    #[test]
    fn numbers_outside_cards_are_kept_aside() {
        let text = "TEL:0812 9999 9999\nhalo\nBEGIN:VCARD\nFN:A\nTEL:0812 0000 0006\nEND:VCARD\n\
                    item1.TEL;CELL:tel:+62 812-0000-0007;ext=1\nEND:VCARD\nTEL:\n";
        let expected = Export {
            contacts: vec![Contact {
                name: Some("A".into()),
                numbers: vec!["0812 0000 0006".into()],
            }],
            outside: vec!["0812 9999 9999".into(), "+62 812-0000-0007".into()],
        };
        assert_eq!(read(text), Ok(expected));
    }

    #[test]
    fn refuses_exports_without_numbers() {
        let cases = [
            ("", Error::NoCards),
            ("0812 0000 0001\n+62 812-3456-7890", Error::NoCards),
            ("TEL:0812 0000 0001\nEND:VCARD", Error::NoCards),
            ("BEGIN:VCALENDAR\nEND:VCALENDAR", Error::NoCards),
            ("BEGIN:VCARD\nFN:Budi\nEND:VCARD", Error::NoNumbers),
            (
                "BEGIN:VCARD\nTEL;CELL:\nTEL:tel:\nTEL: ;ext=1\nEND:VCARD",
                Error::NoNumbers,
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(read(text), Err(expected.clone()), "{text}");
        }
        assert_eq!(
            [Error::NoCards, Error::NoNumbers].map(|e| e.message_id()),
            ["input-vcf-no-cards", "input-vcf-no-numbers"]
        );
    }

    /// Pieces that steer arbitrary text into the reader's branches.
    #[rustfmt::skip]
    const FRAGMENTS: &[&str] = &[
        "BEGIN:VCARD\n", "END:VCARD\n", "TEL;VALUE=uri:tel:", "FN;QUOTED-PRINTABLE:", "N:",
        "=E2=98", "=", "\\", ";", ",", ":", "\"", "\n", "\r", " ", "\t", ".",
    ];

    proptest! {
        #[test]
        fn never_panics(text in any::<String>(), pieces in prop::collection::vec(
            prop_oneof![prop::sample::select(FRAGMENTS).prop_map(str::to_owned), any::<String>()],
            0..40,
        )) {
            let _ = read(&text);
            let _ = read(&pieces.concat());
        }

        #[test]
        fn reads_generated_cards(cards in prop::collection::vec(
            ("[A-Za-z][A-Za-z ]{0,20}[A-Za-z]", prop::collection::vec("\\+?[0-9][0-9 -]{5,14}[0-9]", 1..4)),
            1..5,
        )) {
            let text: String = cards.iter().map(|(name, numbers)| {
                let tels: String = numbers.iter().map(|n| format!("TEL;TYPE=CELL:{n}\r\n")).collect();
                format!("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:{name}\r\n{tels}END:VCARD\r\n")
            }).collect();
            let expected: Vec<Contact> = cards.into_iter().map(|(name, numbers)| Contact {
                name: Some(name),
                numbers,
            }).collect();
            let export = Export { contacts: expected, outside: vec![] };
            prop_assert_eq!(read(&text), Ok(export));
        }
    }
}
