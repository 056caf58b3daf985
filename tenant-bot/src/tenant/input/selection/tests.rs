use super::*;
use proptest::prelude::*;

fn strings(names: &[&str]) -> Vec<String> {
    names.iter().map(|name| (*name).to_owned()).collect()
}

/// The words for all, as the catalogs give them.
const ALL: &[&str] = &["all", "everything", "semua", "semuanya"];

fn malformed(token: &str) -> Error {
    Error::Malformed(token.to_owned())
}

#[test]
fn numbers_valid() {
    let all: Vec<usize> = (0..50).collect();
    let cases: &[(&str, &[usize])] = &[
        ("3", &[2]),
        ("1-5", &[0, 1, 2, 3, 4]),
        ("1,3,7", &[0, 2, 6]),
        ("1-3,7", &[0, 1, 2, 6]),
        ("all", &all),
        ("ALL", &all),
        (" All ", &all),
        (" 1 - 3 , 7 ", &[0, 1, 2, 6]),
        ("1 3 7", &[0, 2, 6]),
        ("1-3 7", &[0, 1, 2, 6]),
        ("7,3,3,1", &[0, 2, 6]),
        ("1-3,2-4", &[0, 1, 2, 3]),
        ("4-4", &[3]),
        ("50", &[49]),
        ("48-50", &[47, 48, 49]),
        ("2\u{2013}4", &[1, 2, 3]),
        ("2 \u{2014} 3", &[1, 2]),
        ("007", &[6]),
        ("1\n2\t3", &[0, 1, 2]),
        ("all, 3", &all),
        ("semua", &all),
        (" SEMUA ", &all),
        ("Semuanya", &all),
        ("1, semua", &all),
    ];
    for (input, want) in cases {
        assert_eq!(
            numbers(input, 50, ALL),
            Ok(want.to_vec()),
            "input {input:?}"
        );
    }
}

#[test]
fn numbers_invalid() {
    let cases = [
        ("", Error::Empty),
        ("  \n ", Error::Empty),
        ("0", Error::OutOfRange { number: 0, max: 50 }),
        (
            "51",
            Error::OutOfRange {
                number: 51,
                max: 50,
            },
        ),
        ("0-3", Error::OutOfRange { number: 0, max: 50 }),
        (
            "45-60",
            Error::OutOfRange {
                number: 60,
                max: 50,
            },
        ),
        (
            "1-1000000000",
            Error::OutOfRange {
                number: 1_000_000_000,
                max: 50,
            },
        ),
        ("5-3", Error::Reversed { from: 5, to: 3 }),
        ("1-", malformed("1-")),
        ("1 - ", malformed("1 -")),
        ("-3", malformed("-3")),
        ("-", malformed("-")),
        ("a", malformed("a")),
        ("1a", malformed("1a")),
        ("2.5", malformed("2.5")),
        ("allx", malformed("allx")),
        ("semu", malformed("semu")),
        ("semua2", malformed("semua2")),
        ("1-a", malformed("1-a")),
        ("1-3-5", malformed("-5")),
        ("3, x, 0", malformed("x")),
        ("1,,3", malformed(",")),
        (",", malformed(",")),
        ("1,", malformed(",")),
        (
            "99999999999999999999999",
            malformed("99999999999999999999999"),
        ),
        (
            "51, a",
            Error::OutOfRange {
                number: 51,
                max: 50,
            },
        ),
    ];
    for (input, want) in cases {
        assert_eq!(numbers(input, 50, ALL), Err(want), "input {input:?}");
    }
}

#[test]
fn numbers_of_an_empty_list() {
    assert_eq!(numbers("all", 0, ALL), Ok(vec![]));
    assert_eq!(numbers("semua", 0, ALL), Ok(vec![]));
    assert_eq!(
        numbers("1", 0, ALL),
        Err(Error::OutOfRange { number: 1, max: 0 })
    );
}

#[test]
fn long_input_is_cut() {
    let input = "1,".repeat(2049);
    let want = format!("{}…", "1,".repeat(16));
    assert_eq!(
        numbers(&input, 50, ALL),
        Err(Error::Malformed(want.clone()))
    );
    assert_eq!(by_pattern(&input, &[]), Err(Error::Malformed(want)));
    assert_eq!(numbers(&"1,".repeat(2047), 50, ALL), Err(malformed(",")));
    let word = "x".repeat(40);
    let want = format!("{}…", "x".repeat(32));
    assert_eq!(numbers(&word, 50, ALL), Err(Error::Malformed(want)));
}

#[test]
fn error_ids_and_args() {
    let cases = [
        (Error::Empty, "selection-empty", vec![]),
        (
            malformed("1-"),
            "selection-malformed",
            vec![("token", "1-".to_owned())],
        ),
        (
            Error::OutOfRange {
                number: 51,
                max: 50,
            },
            "selection-out-of-range",
            vec![("number", "51".to_owned()), ("max", "50".to_owned())],
        ),
        (
            Error::Reversed { from: 5, to: 3 },
            "selection-reversed",
            vec![("from", "5".to_owned()), ("to", "3".to_owned())],
        ),
        (Error::NoMatch, "selection-no-match", vec![]),
    ];
    for (error, id, args) in cases {
        assert_eq!(error.message_id(), id);
        assert_eq!(error.args(), args);
    }
}

#[test]
fn natural_order_exact() {
    let names = strings(&["Grup 10", "Grup 2", "grup 1", "Grup 1a", "Alpha"]);
    assert_eq!(natural_order(&names), vec![4, 2, 3, 1, 0]);
    assert_eq!(
        natural_order(&strings(&["b", "B", "a", "b"])),
        vec![2, 1, 0, 3]
    );
    assert_eq!(natural_order(&[]), Vec::<usize>::new());
}

#[test]
fn shown_uses_the_numbers_on_screen() {
    let names = strings(&["Grup 10", "Grup 2", "grup 1", "Grup 1a", "Alpha"]);
    let order = natural_order(&names);
    let cases: &[(&str, Result<Vec<usize>>)] = &[
        ("1", Ok(vec![4])),
        ("2-3", Ok(vec![2, 3])),
        ("5,1", Ok(vec![0, 4])),
        ("all", Ok(vec![0, 1, 2, 3, 4])),
        ("semua", Ok(vec![0, 1, 2, 3, 4])),
        ("6", Err(Error::OutOfRange { number: 6, max: 5 })),
    ];
    for (input, want) in cases {
        assert_eq!(&shown(input, &order, ALL), want, "input {input:?}");
    }
}

#[test]
fn by_names_table() {
    let names = strings(&[
        "Grup 10",
        "Grup 2",
        "grup 1",
        "Keluarga Besar",
        "kantor",
        "Kantor ",
    ]);
    let cases: &[(&str, &[usize], &[&str])] = &[
        (
            "grup 2\n\n  KELUARGA besar  \nTidak Ada\ngrup 2\nGrup 1\n",
            &[1, 2, 3],
            &["Tidak Ada"],
        ),
        ("KANTOR", &[4, 5], &[]),
        ("x\r\ny\n grup 10", &[0], &["x", "y"]),
        ("", &[], &[]),
        ("\n  \n", &[], &[]),
    ];
    for (lines, found, unknown) in cases {
        let want = ByName {
            found: found.to_vec(),
            unknown: strings(unknown),
        };
        assert_eq!(by_names(lines, &names), want, "lines {lines:?}");
    }
}

#[test]
fn by_pattern_table() {
    let names = strings(&[
        "Grup 10",
        "Grup 2",
        "grup 1",
        "Grup 1a",
        "Alpha",
        "Keluarga Besar",
        "Çay Dünyası",
    ]);
    let cases: &[(&str, Result<Vec<usize>>)] = &[
        ("grup*", Ok(vec![0, 1, 2, 3])),
        ("GRUP ?", Ok(vec![1, 2])),
        ("grup 1?", Ok(vec![0, 3])),
        ("*a", Ok(vec![3, 4])),
        ("a*a", Ok(vec![4])),
        ("*BESAR", Ok(vec![5])),
        ("*", Ok(vec![0, 1, 2, 3, 4, 5, 6])),
        ("rup", Ok(vec![0, 1, 2, 3])),
        ("  besar ", Ok(vec![5])),
        ("çay*", Ok(vec![6])),
        ("ÇAY D?NYAS?", Ok(vec![6])),
        ("grup?", Err(Error::NoMatch)),
        ("zzz", Err(Error::NoMatch)),
        ("", Err(Error::Empty)),
        ("   ", Err(Error::Empty)),
    ];
    for (pattern, want) in cases {
        assert_eq!(&by_pattern(pattern, &names), want, "pattern {pattern:?}");
    }
}

#[test]
fn pages() {
    // Stored in reverse, so the shown order differs from the stored one.
    let names: Vec<String> = (1..=25).rev().map(|i| format!("Grup {i}")).collect();
    let order = natural_order(&names);
    let first = page(&names, &order, 0);
    let want: Vec<String> = (1..=10).map(|i| format!("{i}. Grup {i}")).collect();
    assert_eq!(first.lines, want);
    assert_eq!(
        first.positions,
        vec![24, 23, 22, 21, 20, 19, 18, 17, 16, 15]
    );
    assert_eq!(first.pages, 3);
    let last = page(&names, &order, 2);
    let want = strings(&[
        "21. Grup 21",
        "22. Grup 22",
        "23. Grup 23",
        "24. Grup 24",
        "25. Grup 25",
    ]);
    assert_eq!(last.lines, want);
    assert_eq!(last.positions, vec![4, 3, 2, 1, 0]);
    assert_eq!(last.pages, 3);
    for beyond in [3, usize::MAX] {
        let want = Page {
            lines: vec![],
            positions: vec![],
            pages: 3,
        };
        assert_eq!(page(&names, &order, beyond), want);
    }
    let ten: Vec<String> = (1..=10).map(|i| format!("G{i}")).collect();
    assert_eq!(page(&ten, &natural_order(&ten), 0).pages, 1);
    assert_eq!(page(&[], &[], 0).pages, 0);
}

proptest! {
    #[test]
    fn numbers_never_panics(input in ".{0,64}", count in 0usize..200) {
        let _ = numbers(&input, count, ALL);
    }

    #[test]
    fn numbers_near_the_grammar_never_panic(input in "[0-9 ,aAlLsSemu\u{2013}-]{0,40}", count in 0usize..200) {
        let _ = numbers(&input, count, ALL);
    }

    #[test]
    fn listed_numbers_give_their_set(
        (count, picked) in (1usize..100)
            .prop_flat_map(|count| (Just(count), prop::collection::vec(1..=count, 1..20)))
    ) {
        let input = picked.iter().map(usize::to_string).collect::<Vec<_>>().join(",");
        let mut want: Vec<usize> = picked.iter().map(|n| n - 1).collect();
        want.sort_unstable();
        want.dedup();
        prop_assert_eq!(numbers(&input, count, ALL), Ok(want));
    }

    #[test]
    fn natural_order_is_a_permutation(
        names in prop_oneof![
            prop::collection::vec(".{0,12}", 0..30),
            prop::collection::vec("[aA0-9 ]{0,6}", 0..30),
        ]
    ) {
        let mut order = natural_order(&names);
        order.sort_unstable();
        prop_assert_eq!(order, (0..names.len()).collect::<Vec<_>>());
    }
}
