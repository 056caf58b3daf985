use super::*;
use proptest::prelude::*;

const A: &str = "AbCdEfGhIjKlMnOpQrStUv";
const B: &str = "Zz09Yy18Xx27Ww36Vv45Uu";

fn links(codes: &[&str], invalid: &[&str], repeated: &[&str]) -> Links {
    let owned = |words: &[&str]| words.iter().map(|w| (*w).to_owned()).collect();
    Links {
        codes: owned(codes),
        invalid: owned(invalid),
        repeated: owned(repeated),
    }
}

/// `template` with `{A}` and `{B}` replaced by the two codes.
fn fill(template: &str) -> String {
    template.replace("{A}", A).replace("{B}", B)
}

/// One form of invite a user may send per row, each read as code A.
#[test]
#[rustfmt::skip]
fn every_form_of_invite_is_read() {
    let forms = [
        // The web link, with and without scheme and `www.`.
        "https://chat.whatsapp.com/{A}",
        "http://chat.whatsapp.com/{A}",
        "chat.whatsapp.com/{A}",
        "www.chat.whatsapp.com/{A}",
        "https://www.chat.whatsapp.com/{A}",
        "HTTPS://WWW.Chat.WhatsApp.COM/{A}",
        "https://chat.whatsapp.com/{A}/",
        // The older `/invite/` path.
        "https://chat.whatsapp.com/invite/{A}",
        "chat.whatsapp.com/invite/{A}",
        "http://www.chat.whatsapp.com/Invite/{A}/",
        // The app's own link and WhatsApp Web's.
        "whatsapp://chat?code={A}",
        "WhatsApp://chat/?code={A}",
        "whatsapp://chat?source=share&code={A}",
        "https://web.whatsapp.com/accept?code={A}",
        "web.whatsapp.com/accept?code={A}&lang=id",
        // Queries and fragments after the code.
        "https://chat.whatsapp.com/{A}?mode=ems_copy_t",
        "https://chat.whatsapp.com/{A}?mode=r_c",
        "https://chat.whatsapp.com/{A}/?mode=ac_t#x",
        "chat.whatsapp.com/{A}#top",
        "whatsapp://chat?code={A}#x",
        // Brackets, quotes and sentence punctuation.
        "Gabung ya: (https://chat.whatsapp.com/{A}).",
        "[https://chat.whatsapp.com/{A}]",
        "{https://chat.whatsapp.com/{A}}",
        "<https://chat.whatsapp.com/{A}>",
        "\"https://chat.whatsapp.com/{A}\"",
        "'chat.whatsapp.com/{A}'",
        "“chat.whatsapp.com/{A}”",
        "‘chat.whatsapp.com/{A}’",
        "«chat.whatsapp.com/{A}»",
        "chat.whatsapp.com/{A}!",
        "chat.whatsapp.com/{A}?",
        "chat.whatsapp.com/{A}...",
        "chat.whatsapp.com/{A}:",
        "Grup kita chat.whatsapp.com/{A}, datang ya",
        "ini linknya;chat.whatsapp.com/{A};",
        // Chat formatting and a Markdown link.
        "*https://chat.whatsapp.com/{A}*",
        "**chat.whatsapp.com/{A}**",
        "_https://chat.whatsapp.com/{A}_",
        "~chat.whatsapp.com/{A}~",
        "`https://chat.whatsapp.com/{A}`",
        "```https://chat.whatsapp.com/{A}```",
        "||chat.whatsapp.com/{A}||",
        "[Gabung](https://chat.whatsapp.com/{A})",
        // Text glued before the link.
        "Link:https://chat.whatsapp.com/{A}",
        "Grup1=chat.whatsapp.com/{A}",
        // The text WhatsApp puts before a shared invite.
        "Ikuti tautan ini untuk bergabung ke grup WhatsApp saya: https://chat.whatsapp.com/{A}",
        "Follow this link to join my WhatsApp group: https://chat.whatsapp.com/{A}?mode=ems_copy_t",
        // Line breaks of every kind around it.
        "Grup 1\r\nhttps://chat.whatsapp.com/{A}\r\n",
        "\n\n\tchat.whatsapp.com/{A}\n",
        "Grup 1\rchat.whatsapp.com/{A}\r",
        "Grup 1\u{2028}chat.whatsapp.com/{A}\u{a0}",
        // A paste that wrapped right after the host.
        "https://chat.whatsapp.com/\n{A}",
        "Gabung: https://chat.whatsapp.com/\r\n{A}?mode=ac_t",
        "chat.whatsapp.com/\r{A}.",
        "chat.whatsapp.com/invite/\n{A}",
        "whatsapp://chat?code=\n{A}",
        "(https://chat.whatsapp.com/\n{A})",
    ];
    for form in forms {
        let text = fill(form);
        assert_eq!(invite_links(&text), links(&[A], &[], &[]), "{text:?}");
    }
}

/// One refused form per row, reported back as no invite link.
#[test]
#[rustfmt::skip]
fn look_alikes_and_other_links_are_reported() {
    let refused = [
        // Look-alike hosts.
        "chat.whatsapp.com.evil.example/{A}",
        "https://chat.whatsapp.com.evil.example/{A}",
        "chat-whatsapp.com/{A}",
        "https://chatwhatsapp.com/{A}",
        "chat.whatsapp.co/{A}",
        "https://chat.whatsapp.co.id/{A}",
        "evilchat.whatsapp.com/{A}",
        "https://x.chat.whatsapp.com/{A}",
        "https://evil.example/chat.whatsapp.com/{A}",
        "https://chat.whatsapp.com@evil.example/{A}",
        "https://chat.whatsapp.com:8443/{A}",
        "ftp://chat.whatsapp.com/{A}",
        "web.whatsapp.com/{A}",
        // Channel links.
        "https://whatsapp.com/channel/0029VaAbCdEfGhIjKlMnOp12",
        "https://www.whatsapp.com/channel/0029VaAbCdEfGhIjKlMnOp12",
        "whatsapp.com/channel/0029VaAbCdEfGhIjKlMnOp12",
        "chat.whatsapp.com/channel/0029VaAbCdEfGhIjKlMnOp12",
        // Chat links.
        "wa.me/6281200000001",
        "https://wa.me/6281200000001?text=halo",
        "https://api.whatsapp.com/send?phone=6281200000001",
        "whatsapp://send?phone=6281200000001",
        // Codes of the wrong length or shape, and cut-off links.
        "chat.whatsapp.com/ABCDEFGHIJ012345678",
        "chat.whatsapp.com/ABCDEFGHIJ0123456789abcde",
        "chat.whatsapp.com/{A}x9z",
        "chat.whatsapp.com/{A}-x",
        "chat.whatsapp.com/{A}/extra",
        "chat.whatsapp.com//{A}",
        "whatsapp://chat?code=short",
        "whatsapp://chat?code={A}-x",
        "whatsapp://chat",
        "https://web.whatsapp.com/accept?code=",
        "chat.whatsapp.com/",
        "https://chat.whatsapp.com/invite/",
    ];
    for form in refused {
        let text = fill(form);
        let expected = links(&[], &[&text], &[]);
        assert_eq!(invite_links(&text), expected, "{text:?}");
    }
}

#[test]
fn reads_lists_and_counts_repeats() {
    let cases: &[(&str, Links)] = &[
        (
            "chat.whatsapp.com/{A},chat.whatsapp.com/{B};chat.whatsapp.com/{A}",
            links(&[A, B], &[], &[A]),
        ),
        (
            "Grup 1\r\n\thttps://chat.whatsapp.com/{B}\n\nGrup 2 https://chat.whatsapp.com/{A}\nGrup 1 lagi https://chat.whatsapp.com/{B}/ chat.whatsapp.com/{B}",
            links(&[B, A], &[], &[B, B]),
        ),
        // The same group in three forms is one group.
        (
            "https://chat.whatsapp.com/{A} whatsapp://chat?code={A} chat.whatsapp.com/invite/{A}",
            links(&[A], &[], &[A, A]),
        ),
        // Case matters in codes, so these are two different groups.
        (
            "chat.whatsapp.com/{A} chat.whatsapp.com/abcdefghijklmnopqrstuv",
            links(&[A, "abcdefghijklmnopqrstuv"], &[], &[]),
        ),
        (
            "chat.whatsapp.com/ABCDEFGHIJ0123456789",
            links(&["ABCDEFGHIJ0123456789"], &[], &[]),
        ),
        (
            "chat.whatsapp.com/ABCDEFGHIJ0123456789abcd",
            links(&["ABCDEFGHIJ0123456789abcd"], &[], &[]),
        ),
        // A wrapped link joins only the first word of the very next line.
        (
            "https://chat.whatsapp.com/\n\n{A}",
            links(&[], &["https://chat.whatsapp.com/"], &[]),
        ),
        (
            "chat.whatsapp.com/ {A}",
            links(&[], &["chat.whatsapp.com/"], &[]),
        ),
        (
            "chat.whatsapp.com/\nchat.whatsapp.com/{B}",
            links(&[B], &["chat.whatsapp.com/"], &[]),
        ),
        (
            "chat.whatsapp.com/\nhalo semua",
            links(&[], &["chat.whatsapp.com/"], &[]),
        ),
    ];
    for (template, expected) in cases {
        let text = fill(template);
        assert_eq!(&invite_links(&text), expected, "{text:?}");
    }
}

#[test]
fn ordinary_words_pass_silently() {
    let cases: &[(&str, Links)] = &[
        (
            "please join, e.g. today at 10.30; Rp.50.000 ... ok?",
            links(&[], &[], &[]),
        ),
        ("", links(&[], &[], &[])),
        (" \r\n\t ", links(&[], &[], &[])),
        (
            "t.me/x wa.me/6281200000001 (chat.whatsapp.com/short).",
            links(
                &[],
                &["t.me/x", "wa.me/6281200000001", "chat.whatsapp.com/short"],
                &[],
            ),
        ),
        (
            "https://example.com www.whatsapp.com x@example.com",
            links(
                &[],
                &["https://example.com", "www.whatsapp.com", "x@example.com"],
                &[],
            ),
        ),
        (
            "t.me/x t.me/x chat.whatsapp.com/{A}",
            links(&[A], &["t.me/x", "t.me/x"], &[]),
        ),
    ];
    for (template, expected) in cases {
        let text = fill(template);
        assert_eq!(&invite_links(&text), expected, "{text:?}");
    }
}

/// Every form a generated link may take, around `CODE`.
#[rustfmt::skip]
const FORMS: &[&str] = &[
    "chat.whatsapp.com/CODE", "https://chat.whatsapp.com/CODE",
    "http://chat.whatsapp.com/CODE/", "HTTPS://www.CHAT.WHATSAPP.COM/CODE",
    "www.Chat.WhatsApp.com/CODE", "Https://WWW.chat.whatsapp.com/CODE",
    "https://chat.whatsapp.com/invite/CODE", "chat.whatsapp.com/INVITE/CODE/",
    "whatsapp://chat?code=CODE", "https://web.whatsapp.com/accept?code=CODE",
    "https://chat.whatsapp.com/CODE?mode=ac_t", "chat.whatsapp.com/CODE/?x=1#y",
    "https://chat.whatsapp.com/\nCODE", "chat.whatsapp.com/invite/\r\nCODE",
];

/// What may come around a link: brackets, quotes, formatting,
/// punctuation, glued text.
#[rustfmt::skip]
const AROUND: &[(&str, &str)] = &[
    ("", ""), ("(", ")"), ("(", ")."), ("[", "]"), ("<", ">"), ("\"", "\""), ("“", "”"),
    ("*", "*"), ("_", "_"), ("~", "~"), ("`", "`"), ("[x](", ")"), ("Link:", ""),
    ("", "."), ("", ","), ("", "!"), ("", ";"), ("", "?"),
];

/// Invite links in the shapes users paste, separated by whitespace,
/// with the codes they hold in order (repeats included).
fn pasted() -> impl Strategy<Value = (Vec<String>, String)> {
    prop::collection::vec("[A-Za-z0-9]{20,24}", 1..5)
        .prop_flat_map(|pool| {
            let piece = (
                prop::sample::select(pool),
                prop::sample::select(FORMS),
                prop::sample::select(AROUND),
                "[ \t\r\n\u{a0}\u{3000}]{1,3}",
            );
            prop::collection::vec(piece, 1..12)
        })
        .prop_map(|pieces| {
            let codes = pieces.iter().map(|(code, ..)| code.clone()).collect();
            let text = pieces
                .iter()
                .map(|(code, form, (before, after), gap)| {
                    format!("{before}{}{after}{gap}", form.replace("CODE", code))
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
    fn never_panics_near_links(pieces in prop::collection::vec(
        prop_oneof![
            prop::sample::select(FORMS).prop_map(str::to_owned),
            "[a-zA-Z0-9/:?&=#.\r\n ]{0,30}",
        ],
        0..10,
    )) {
        let _ = invite_links(&pieces.concat());
    }

    #[test]
    fn finds_generated_links((picked, text) in pasted(), lead in "[ \n]{0,2}") {
        let mut codes: Vec<String> = Vec::new();
        for code in &picked {
            if !codes.contains(code) {
                codes.push(code.clone());
            }
        }
        let mut seen = std::collections::HashSet::new();
        let repeated = picked.into_iter().filter(|code| !seen.insert(code.clone())).collect();
        let expected = Links { codes, invalid: vec![], repeated };
        prop_assert_eq!(invite_links(&format!("{lead}{text}")), expected);
    }
}
