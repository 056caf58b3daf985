use super::answers::numbers_of;
use super::job::bar;
use super::summary::chunks;
use super::*;
use crate::store::Group;
use crate::store::Progress;
use crate::tenant::input::selection;

fn group(name: &str) -> Group {
    Group {
        jid: format!("{name}@g.us"),
        name: name.to_owned(),
        member_count: 1,
        is_admin: true,
        invite_link: None,
    }
}

#[test]
fn a_selection_by_numbers_patterns_or_names() {
    let groups: Vec<Group> = ["Grup 10", "Grup 2", "Toko"].map(group).to_vec();
    let catalog = crate::telegram::Catalog::new().unwrap();
    let select = |text| select(text, &groups, catalog.keywords());
    // Shown as 1. Grup 2, 2. Grup 10, 3. Toko.
    assert_eq!(select("1"), Ok(vec![1]));
    assert_eq!(select("1-2"), Ok(vec![0, 1]));
    for all in ["all", "ALL", " semua ", "/semua", "Semuanya"] {
        assert_eq!(select(all), Ok(vec![0, 1, 2]), "{all}");
    }
    assert_eq!(select("grup*"), Ok(vec![0, 1]));
    assert_eq!(select("Toko\ngrup 2"), Ok(vec![1, 2]));
    assert_eq!(
        select("Toko\nSekolah"),
        Err((selection::Error::NoMatch, vec!["Sekolah".to_owned()]))
    );
    assert_eq!(
        select("4"),
        Err((selection::Error::OutOfRange { number: 4, max: 3 }, vec![]))
    );
}

#[test]
fn the_bar_fills_with_decided_items() {
    let p = |total, done, failed| Progress {
        total,
        done,
        failed,
    };
    assert_eq!(bar(p(10, 0, 0)), "░░░░░░░░░░");
    assert_eq!(bar(p(10, 3, 2)), "▓▓▓▓▓░░░░░");
    assert_eq!(bar(p(4, 4, 0)), "▓▓▓▓▓▓▓▓▓▓");
    assert_eq!(bar(p(0, 0, 0)), "▓▓▓▓▓▓▓▓▓▓");
}

#[test]
fn numbers_come_from_text_text_files_and_vcards() {
    let typed = numbers_of(&Answer::Text("0812-0000-0001, 0812 0000 0002\nabc".into())).unwrap();
    assert_eq!(typed.numbers.valid, ["6281200000001", "6281200000002"]);
    assert_eq!(typed.numbers.invalid.len(), 1);
    let card = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A\r\nTEL:+62 812-0000-0003\r\nEND:VCARD\r\n";
    let file = Answer::File {
        name: "kontak.VCF".into(),
        bytes: card.as_bytes().to_vec(),
    };
    assert_eq!(numbers_of(&file).unwrap().numbers.valid, ["6281200000003"]);
    for (answer, reason) in [
        (Answer::Text("hello".into()), "input-numbers-none"),
        (
            Answer::File {
                name: "a.txt".into(),
                bytes: vec![],
            },
            "input-file-empty",
        ),
        (
            Answer::File {
                name: "a.txt".into(),
                bytes: vec![0, 159, 146, 150],
            },
            "input-file-not-text",
        ),
        (Answer::TooLarge(50_000_000), "input-file-too-large"),
        (
            Answer::File {
                name: "a.vcf".into(),
                bytes: b"BEGIN:VCARD\nFN:A\nEND:VCARD\n".to_vec(),
            },
            "input-vcf-no-numbers",
        ),
    ] {
        assert_eq!(
            numbers_of(&answer).map_err(|e| e.0).err(),
            Some(reason),
            "{answer:?}"
        );
    }
}

#[test]
fn long_results_are_split_under_the_limit() {
    let lines: Vec<String> = (0..100)
        .map(|n| format!("✅ Grup {n}: {}", "x".repeat(90)))
        .collect();
    let parts = chunks(&lines, 4000);
    assert!(parts.len() > 1);
    assert!(parts.iter().all(|p| p.chars().count() <= 4000));
    assert_eq!(parts.join("\n"), lines.join("\n"));
}

#[test]
fn features_are_found_by_kind() {
    for (feature, kind) in FEATURES {
        assert_eq!(Feature::from_kind(kind), Some(feature));
        assert_eq!(feature.kind(), kind);
    }
    assert_eq!(Feature::from_kind("nope"), None);
    for feature in Feature::ALL {
        assert!(FEATURES.iter().any(|(f, _)| *f == feature), "{feature:?}");
    }
}
