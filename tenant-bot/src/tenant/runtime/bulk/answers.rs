//! The answers to the questions a feature asks before its confirmation:
//! typed text, uploaded files and photos, turned into the job's
//! parameters or into a clear reason to ask again.

use base64::Engine as _;
use serde_json::json;

use super::skipped::{self, Reason};
use super::{MAX_PHOTO_FILE, Pending};
use crate::telegram::Keyword;
use crate::tenant::input::{file, links, names, numbers, photo, vcf};
use crate::tenant::runtime::{Runtime, State};

/// WhatsApp's limit on a group description, in characters; checked before
/// anything is sent.
pub(super) const MAX_DESCRIPTION: usize = 512;
/// Largest text or vCard file read, in bytes.
pub(super) const MAX_TEXT_FILE: usize = 1024 * 1024;
/// Numbers in one request; a group holds at most 1,024 members.
pub(super) const MAX_NUMBERS: usize = 1024;
/// Invite links in one request.
pub(super) const MAX_LINKS: usize = 200;
/// Broadcast variants, and the longest one (Telegram's own limit).
pub(super) const MAX_VARIANTS: usize = 10;
pub(super) const MAX_VARIANT_CHARS: usize = 4096;

/// A question a feature asks before its confirmation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Step {
    /// A farewell message, or the word for skip.
    Farewell,
    /// The new description.
    Description,
    /// Phone numbers (text, `.txt` or `.vcf`).
    Numbers,
    /// Members for new groups, or the word for skip.
    Members,
    /// A photo.
    Photo,
    /// Settings, at least one.
    Settings,
    /// Settings for new groups, maybe none.
    NewSettings,
    /// What to do with join requests.
    Requests,
    /// Message variants, then the word for done.
    Variants,
    /// Names of groups to create.
    Names,
    /// Invite links.
    Links,
}

impl Step {
    /// The question's catalog id.
    pub(super) fn ask(self) -> &'static str {
        match self {
            Self::Farewell => "bulk-farewell-ask",
            Self::Description => "bulk-description-ask",
            Self::Numbers => "bulk-numbers-ask",
            Self::Members => "bulk-members-ask",
            Self::Photo => "bulk-photo-ask",
            Self::Settings => "settings-ask",
            Self::NewSettings => "settings-ask-optional",
            Self::Requests => "bulk-requests-ask",
            Self::Variants => "bulk-variants-ask",
            Self::Names => "bulk-names-ask",
            Self::Links => "bulk-links-ask",
        }
    }
}

/// What the owner sent in answer to a question.
#[derive(Debug)]
pub(in crate::tenant) enum Answer {
    /// Typed text.
    Text(String),
    /// An uploaded file (or photo) and its name.
    File { name: String, bytes: Vec<u8> },
    /// An upload over the size the bot reads, in bytes.
    TooLarge(u64),
    /// An upload that could not be fetched.
    Unreadable,
}

/// The text of an answer: typed, or a text file's content.
pub(super) fn text_of(answer: &Answer) -> Result<String, file::Error> {
    match answer {
        Answer::Text(text) => Ok(text.clone()),
        Answer::File { bytes, .. } => file::text(bytes, MAX_TEXT_FILE),
        Answer::TooLarge(size) => Err(file::Error::TooLarge {
            size: usize::try_from(*size).unwrap_or(usize::MAX),
            limit: MAX_TEXT_FILE,
        }),
        Answer::Unreadable => Err(file::Error::NotText),
    }
}

/// Why an answer is refused: a catalog id and the values it shows.
pub(super) type Refusal = (&'static str, Vec<(&'static str, String)>);

/// The numbers an answer gives, and what of it gave none.
#[derive(Debug, Default)]
pub(super) struct Given {
    /// The numbers, valid or not.
    pub(super) numbers: numbers::Numbers,
    /// The contact cards without a number: where they are in the export
    /// (from 1), and their names.
    pub(super) blank_cards: Vec<(usize, Option<String>)>,
    /// Numbers written outside any contact card.
    pub(super) outside: Vec<String>,
}

/// Numbers from typed text, a `.txt` or a `.vcf`; the reason when there
/// are none.
pub(super) fn numbers_of(answer: &Answer) -> Result<Given, Refusal> {
    let text = text_of(answer).map_err(|e| (e.message_id(), vec![]))?;
    let is_vcard = matches!(answer, Answer::File { name, .. } if name.to_lowercase().ends_with(".vcf"))
        || text.trim_start().to_uppercase().starts_with("BEGIN:VCARD");
    let given = if is_vcard {
        let export = vcf::read(&text).map_err(|e| (e.message_id(), vec![]))?;
        let blank_cards = export
            .contacts
            .iter()
            .enumerate()
            .filter(|(_, contact)| contact.numbers.is_empty())
            .map(|(at, contact)| (at + 1, contact.name.clone()))
            .collect();
        Given {
            numbers: numbers::from_contacts(&export.contacts),
            blank_cards,
            outside: export.outside,
        }
    } else {
        Given {
            numbers: numbers::from_text(&text),
            ..Given::default()
        }
    };
    let valid = &given.numbers.valid;
    if valid.is_empty() {
        return Err(("input-numbers-none", vec![]));
    }
    if valid.len() > MAX_NUMBERS {
        let args = vec![
            ("count", valid.len().to_string()),
            ("max", MAX_NUMBERS.to_string()),
        ];
        return Err(("input-numbers-too-many", args));
    }
    Ok(given)
}

impl Runtime {
    /// Takes `answer` for `step` into `pending`: true when the step is
    /// done, false when it wants more, the reason when the answer is
    /// refused.
    pub(super) fn take(
        &self,
        state: &State,
        pending: &mut Pending,
        step: Step,
        answer: Answer,
    ) -> Result<bool, String> {
        let keyword = match &answer {
            Answer::Text(text) => self.catalog.keywords().read(text),
            _ => None,
        };
        match step {
            Step::Farewell => match answer {
                _ if keyword == Some(Keyword::Skip) => Ok(true),
                Answer::Text(text) if !text.starts_with('/') => {
                    pending.params.insert("farewell".into(), json!(text));
                    Ok(true)
                }
                _ => Err(self.text(state, step.ask(), &[])),
            },
            Step::Description => {
                let Answer::Text(text) = answer else {
                    return Err(self.say_id(
                        state,
                        step.ask(),
                        &[("max", MAX_DESCRIPTION.to_string())],
                    ));
                };
                if keyword == Some(Keyword::Skip) {
                    return Err(self.say_id(
                        state,
                        step.ask(),
                        &[("max", MAX_DESCRIPTION.to_string())],
                    ));
                }
                let length = text.chars().count();
                if length > MAX_DESCRIPTION {
                    let args = [
                        ("length", length.to_string()),
                        ("max", MAX_DESCRIPTION.to_string()),
                    ];
                    return Err(self.say_id(state, "bulk-description-too-long", &args));
                }
                pending.params.insert("text".into(), json!(text));
                Ok(true)
            }
            Step::Numbers | Step::Members => {
                if step == Step::Members && keyword == Some(Keyword::Skip) {
                    return Ok(true);
                }
                let given =
                    numbers_of(&answer).map_err(|(id, args)| self.say_id(state, id, &args))?;
                let key = if step == Step::Members {
                    "members"
                } else {
                    "numbers"
                };
                pending
                    .params
                    .insert(key.into(), json!(given.numbers.valid));
                let count = given.numbers.valid.len().to_string();
                pending
                    .notes
                    .push(self.text(state, "bulk-numbers-found", &[("count", &count)]));
                self.leave_out_numbers(state, pending, &given);
                Ok(true)
            }
            Step::Photo => {
                let bytes = match answer {
                    Answer::File { bytes, .. } => bytes,
                    Answer::TooLarge(size) => {
                        let error = photo::Error::TooLarge {
                            size: usize::try_from(size).unwrap_or(usize::MAX),
                            limit: MAX_PHOTO_FILE,
                        };
                        return Err(self.say_id(state, error.message_id(), &error.args()));
                    }
                    Answer::Text(_) | Answer::Unreadable => {
                        return Err(self.text(state, step.ask(), &[]));
                    }
                };
                let jpeg = photo::square_jpeg(&bytes, MAX_PHOTO_FILE)
                    .map_err(|e| self.say_id(state, e.message_id(), &e.args()))?;
                let encoded = base64::engine::general_purpose::STANDARD.encode(jpeg);
                pending.params.insert("photo".into(), json!(encoded));
                Ok(true)
            }
            Step::Variants => match answer {
                _ if keyword == Some(Keyword::Done) => {
                    if pending.variants.is_empty() {
                        return Err(self.text(state, step.ask(), &[]));
                    }
                    pending
                        .params
                        .insert("variants".into(), json!(pending.variants));
                    Ok(true)
                }
                Answer::Text(text) if !text.starts_with('/') => {
                    if text.chars().count() > MAX_VARIANT_CHARS {
                        let args = [("max", MAX_VARIANT_CHARS.to_string())];
                        return Err(self.say_id(state, "bulk-variant-too-long", &args));
                    }
                    if pending.variants.len() >= MAX_VARIANTS {
                        let args = [("max", MAX_VARIANTS.to_string())];
                        return Err(self.say_id(state, "bulk-variants-full", &args));
                    }
                    pending.variants.push(text);
                    Ok(false)
                }
                _ => Err(self.text(state, step.ask(), &[])),
            },
            Step::Names => {
                let text = text_of(&answer).map_err(|e| self.text(state, e.message_id(), &[]))?;
                let parsed = names::parse(&text)
                    .map_err(|e| self.say_id(state, e.message_id(), &e.args()))?;
                for line in &parsed.empty {
                    let line = self.text(state, "skipped-line", &[("number", &line.to_string())]);
                    pending.skipped.add(Reason::EmptyName, line);
                }
                for name in &parsed.repeated {
                    pending.skipped.add(Reason::RepeatedName, name.clone());
                }
                pending.labels = parsed.names.clone();
                pending.targets = parsed.names;
                Ok(true)
            }
            Step::Links => {
                let text = text_of(&answer).map_err(|e| self.text(state, e.message_id(), &[]))?;
                let found = links::invite_links(&text);
                if found.codes.is_empty() {
                    let args = [("names", found.invalid.join(", "))];
                    return Err(self.say_id(state, "input-links-none", &args));
                }
                if found.codes.len() > MAX_LINKS {
                    let args = [
                        ("count", found.codes.len().to_string()),
                        ("max", MAX_LINKS.to_string()),
                    ];
                    return Err(self.say_id(state, "input-links-too-many", &args));
                }
                for word in &found.invalid {
                    pending.skipped.add(Reason::NotAnInvite, word.clone());
                }
                for code in &found.repeated {
                    let link = format!("chat.whatsapp.com/{code}");
                    pending.skipped.add(Reason::RepeatedLink, link);
                }
                pending.labels = found
                    .codes
                    .iter()
                    .map(|c| format!("chat.whatsapp.com/{c}"))
                    .collect();
                pending.targets = found.codes;
                Ok(true)
            }
            // Answered with buttons.
            Step::Settings | Step::NewSettings | Step::Requests => Ok(false),
        }
    }

    /// Leaves out of `pending` what the numbers `given` hold but cannot
    /// use: cards without a number, numbers outside any card, invalid
    /// numbers with the reason, repeated numbers.
    fn leave_out_numbers(&self, state: &State, pending: &mut Pending, given: &Given) {
        for (position, name) in &given.blank_cards {
            let card = match name {
                Some(name) => name.clone(),
                None => {
                    let number = position.to_string();
                    self.text(state, "skipped-card-unnamed", &[("number", &number)])
                }
            };
            pending.skipped.add(Reason::CardWithoutNumber, card);
        }
        for raw in &given.outside {
            pending.skipped.add(Reason::NumberOutsideCard, raw.clone());
        }
        for (piece, error) in &given.numbers.invalid {
            let why = self.text(state, skipped::why(error), &[]);
            let item = format!("{} ({why})", skipped::number(piece));
            pending.skipped.add(Reason::InvalidNumber, item);
        }
        for piece in &given.numbers.repeated {
            pending
                .skipped
                .add(Reason::RepeatedNumber, skipped::number(piece));
        }
    }
}
