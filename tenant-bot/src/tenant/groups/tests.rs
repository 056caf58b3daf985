use super::*;

fn group(name: &str, members: u32, admin: bool) -> Group {
    Group {
        jid: format!("{}@g.us", name.len() * 1000 + members as usize),
        name: name.to_owned(),
        member_count: members,
        is_admin: admin,
        invite_link: None,
    }
}

fn groups(n: usize) -> Vec<Group> {
    (1..=n)
        .rev()
        .map(|i| group(&format!("Grup {i}"), i as u32, i % 2 == 0))
        .collect()
}

#[test]
fn pages_are_numbered_in_natural_order() {
    let catalog = Catalog::new().unwrap();
    let all = groups(23);
    let (text, buttons) = page(&catalog, Language::En, &all, 0);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "👥 Groups (page 1 of 3, 23 in all):");
    assert_eq!(lines[1], "1. Grup 1 (1 members)");
    assert_eq!(lines[2], "2. Grup 2 (2 members) 👑");
    assert_eq!(lines[10], "10. Grup 10 (10 members) 👑");
    assert_eq!(lines.len(), 11);
    assert_eq!(buttons[0], vec![Button::new("▶️", "groups:page:1")]);

    let (text, buttons) = page(&catalog, Language::En, &all, 2);
    assert_eq!(text.lines().count(), 4, "{text}");
    assert!(text.contains("21. Grup 21"), "{text}");
    assert_eq!(buttons[0], vec![Button::new("◀️", "groups:page:1")]);

    let (beyond, _) = page(&catalog, Language::En, &all, 9);
    assert!(
        beyond.contains("page 3 of 3"),
        "a stale page shows the last"
    );
}

#[test]
fn an_empty_list_says_so() {
    let catalog = Catalog::new().unwrap();
    let (text, buttons) = page(&catalog, Language::Id, &[], 0);
    assert_eq!(text, catalog.text(Language::Id, "groups-empty", &[]));
    assert_eq!(buttons, menu_buttons(&catalog, Language::Id));
}

#[test]
fn search_by_fragment_ignoring_case() {
    let catalog = Catalog::new().unwrap();
    let mut all = groups(12);
    all.push(group("Toko Sembako", 40, true));
    let text = search(&catalog, Language::En, &all, " grup 1");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "Groups with \"grup 1\" in the name: 4");
    assert_eq!(
        lines[1..],
        [
            "1. Grup 1 (1 members)",
            "10. Grup 10 (10 members) 👑",
            "11. Grup 11 (11 members)",
            "12. Grup 12 (12 members) 👑"
        ]
    );
    assert_eq!(
        search(&catalog, Language::En, &all, "sekolah"),
        "No group name contains \"sekolah\"."
    );
    assert_eq!(
        search(&catalog, Language::En, &all, "  "),
        "No group name contains \"\"."
    );
}

#[test]
fn exports_list_every_group_once() {
    let mut all = vec![
        group("Grup 2", 5, false),
        group("Grup, \"Besar\"", 300, true),
    ];
    all[0].invite_link = Some("https://chat.whatsapp.com/AbCdEfGhIjKlMnOpQrStUv".into());
    assert_eq!(
        to_csv(&all).unwrap(),
        "name,jid,members,admin,invite_link\n\
         Grup 2,6005@g.us,5,no,https://chat.whatsapp.com/AbCdEfGhIjKlMnOpQrStUv\n\
         \"Grup, \"\"Besar\"\"\",13300@g.us,300,yes,\n"
    );
    assert_eq!(
        to_txt(&all),
        "1. Grup 2\t6005@g.us\t5\thttps://chat.whatsapp.com/AbCdEfGhIjKlMnOpQrStUv\n\
         2. Grup, \"Besar\"\t13300@g.us\t300\t\n"
    );
}
