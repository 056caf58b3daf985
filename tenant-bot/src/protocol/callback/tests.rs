//! Callback data: the spellings of buttons already sent, round trips of
//! every button, its size once tagged, and the account tag itself.

use crds::naming::ACCOUNT_NAME_PREFIX;
use crds::{Language, PhoneNumber};
use proptest::prelude::*;

use super::*;

const ACCOUNT: &str = "wa-6281234567890";

/// The longest account name there can be.
fn longest_account() -> String {
    format!(
        "{ACCOUNT_NAME_PREFIX}{}",
        "9".repeat(PhoneNumber::MAX_DIGITS)
    )
}

/// Every front door button with the data it has always been sent with.
fn front_door_wire() -> Vec<(String, FrontDoor)> {
    let account = || ACCOUNT.to_owned();
    vec![
        ("fd:pair".into(), FrontDoor::Pair),
        ("fd:help".into(), FrontDoor::Help),
        ("fd:lang".into(), FrontDoor::Languages),
        ("fd:lang:id".into(), FrontDoor::Language(Language::Id)),
        ("fd:lang:en".into(), FrontDoor::Language(Language::En)),
        ("fd:accounts".into(), FrontDoor::Accounts),
        (format!("fd:use:{ACCOUNT}"), FrontDoor::Use(account())),
        (format!("fd:del:{ACCOUNT}"), FrontDoor::Delete(account())),
        (
            format!("fd:delyes:{ACCOUNT}"),
            FrontDoor::DeleteConfirmed(account()),
        ),
        ("fd:adm:list:".into(), FrontDoor::Admin(Admin::List)),
        (
            format!("fd:adm:sus:{ACCOUNT}"),
            FrontDoor::Admin(Admin::Suspend(account())),
        ),
        (
            format!("fd:adm:res:{ACCOUNT}"),
            FrontDoor::Admin(Admin::Resume(account())),
        ),
        (
            format!("fd:adm:del:{ACCOUNT}"),
            FrontDoor::Admin(Admin::Delete(account())),
        ),
        (
            format!("fd:adm:delyes:{ACCOUNT}"),
            FrontDoor::Admin(Admin::DeleteConfirmed(account())),
        ),
    ]
}

/// Every tenant button with the data it has always been sent with.
fn tenant_wire() -> Vec<(&'static str, Tenant)> {
    let job = Tenant::Job;
    let begin = |feature| Tenant::Job(Job::Begin(feature));
    vec![
        ("pair:cancel", Tenant::Pair(Pair::Cancel)),
        ("pair:retry", Tenant::Pair(Pair::Retry)),
        ("lang:id", Tenant::Language(Language::Id)),
        ("lang:en", Tenant::Language(Language::En)),
        ("logout:yes", Tenant::Logout { confirmed: true }),
        ("logout:no", Tenant::Logout { confirmed: false }),
        ("menu:groups", Tenant::Menu(Menu::Groups)),
        ("menu:accounts", Tenant::Menu(Menu::Accounts)),
        ("menu:activity", Tenant::Menu(Menu::Activity)),
        ("menu:lang", Tenant::Menu(Menu::Language)),
        ("menu:help", Tenant::Menu(Menu::Help)),
        ("menu:logout", Tenant::Menu(Menu::Logout)),
        ("groups:page:0", Tenant::Groups(Groups::Page(0))),
        ("groups:page:12", Tenant::Groups(Groups::Page(12))),
        ("groups:refresh", Tenant::Groups(Groups::Refresh)),
        ("groups:search", Tenant::Groups(Groups::Search)),
        ("groups:txt", Tenant::Groups(Groups::Txt)),
        ("groups:csv", Tenant::Groups(Groups::Csv)),
        ("job:links", begin(Feature::InviteLinks)),
        ("job:leave", begin(Feature::Leave)),
        ("job:description", begin(Feature::Description)),
        ("job:add", begin(Feature::AddMembers)),
        ("job:promote", begin(Feature::Promote)),
        ("job:demote", begin(Feature::Demote)),
        ("job:photo", begin(Feature::Photo)),
        ("job:settings", begin(Feature::Settings)),
        ("job:requests", begin(Feature::JoinRequests)),
        ("job:broadcast", begin(Feature::Broadcast)),
        ("job:create", begin(Feature::Create)),
        ("job:join", begin(Feature::Join)),
        ("job:start", job(Job::Start)),
        ("job:abort", job(Job::Abort)),
        ("job:cancel", job(Job::Cancel)),
        ("job:delay:0", job(Job::Delay(0))),
        ("job:delay:300", job(Job::Delay(300))),
        ("job:delay:other", job(Job::DelayTyped)),
        ("job:reset", job(Job::Reset)),
        ("job:req:list", job(Job::Requests(Requests::List))),
        ("job:req:approve", job(Job::Requests(Requests::Approve))),
        ("job:req:reject", job(Job::Requests(Requests::Reject))),
        ("job:done", job(Job::VariantsDone)),
        ("job:set:ok", job(Job::SettingsDone)),
        ("job:set:4:3", job(Job::Tap { row: 4, value: 3 })),
    ]
}

#[test]
fn buttons_keep_the_data_they_were_sent_with() {
    for (data, button) in front_door_wire() {
        assert_eq!(data.parse::<FrontDoor>(), Ok(button.clone()), "{data}");
        assert_eq!(button.to_string(), data);
        assert!(FrontDoor::owns(&data));
    }
    for (data, button) in tenant_wire() {
        assert_eq!(data.parse::<Tenant>(), Ok(button), "{data}");
        assert_eq!(button.to_string(), data);
    }
}

#[test]
fn every_feature_has_a_button() {
    for feature in Feature::ALL {
        let data = Tenant::Job(Job::Begin(feature)).to_string();
        assert_eq!(data.parse(), Ok(Tenant::Job(Job::Begin(feature))));
    }
}

#[test]
fn lenient_spellings_of_the_front_doors_buttons() {
    // The admin list without its colon, and buttons with an empty name,
    // which name no account of the presser's.
    assert_eq!("fd:adm:list".parse(), Ok(FrontDoor::Admin(Admin::List)));
    assert_eq!("fd:use".parse(), Ok(FrontDoor::Use(String::new())));
    assert_eq!("fd:lang:".parse(), Ok(FrontDoor::Languages));
}

#[test]
fn unknown_data_is_refused() {
    for data in [
        "",
        "fd:",
        "fd:nothing",
        "fd:pair:x",
        "fd:lang:fr",
        "fd:adm:",
        "fd:adm:nothing:wa-1",
    ] {
        assert_eq!(data.parse::<FrontDoor>(), Err(Error::Unknown), "{data}");
    }
    for data in [
        "",
        "pair",
        "pair:later",
        "lang:fr",
        "logout:maybe",
        "menu:",
        "menu:groups:1",
        "groups:page:",
        "groups:page:-1",
        "groups:page:+1",
        "groups:page:99999999999999999999",
        "job:",
        "job:links:1",
        "job:delay:",
        "job:delay:1.5",
        "job:req:all",
        "job:set:1",
        "job:set:a:b",
        "job:set:0:-1",
        "job:set:256:0",
        "fd:pair",
        "wa-6281234567890|menu:groups",
    ] {
        assert_eq!(data.parse::<Tenant>(), Err(Error::Unknown), "{data}");
    }
}

fn account() -> impl Strategy<Value = String> {
    "wa-[0-9]{1,15}"
}

fn language() -> impl Strategy<Value = Language> {
    prop_oneof![Just(Language::Id), Just(Language::En)]
}

fn admin() -> impl Strategy<Value = Admin> {
    prop_oneof![
        Just(Admin::List),
        account().prop_map(Admin::Suspend),
        account().prop_map(Admin::Resume),
        account().prop_map(Admin::Delete),
        account().prop_map(Admin::DeleteConfirmed),
    ]
}

fn front_door() -> impl Strategy<Value = FrontDoor> {
    prop_oneof![
        Just(FrontDoor::Pair),
        Just(FrontDoor::Help),
        Just(FrontDoor::Languages),
        language().prop_map(FrontDoor::Language),
        Just(FrontDoor::Accounts),
        account().prop_map(FrontDoor::Use),
        account().prop_map(FrontDoor::Delete),
        account().prop_map(FrontDoor::DeleteConfirmed),
        admin().prop_map(FrontDoor::Admin),
    ]
}

fn job() -> impl Strategy<Value = Job> {
    prop_oneof![
        proptest::sample::select(Feature::ALL.to_vec()).prop_map(Job::Begin),
        Just(Job::Start),
        Just(Job::Abort),
        Just(Job::Cancel),
        any::<u32>().prop_map(Job::Delay),
        Just(Job::DelayTyped),
        Just(Job::Reset),
        proptest::sample::select(vec![Requests::List, Requests::Approve, Requests::Reject])
            .prop_map(Job::Requests),
        Just(Job::VariantsDone),
        Just(Job::SettingsDone),
        (any::<u8>(), any::<u8>()).prop_map(|(row, value)| Job::Tap { row, value }),
    ]
}

fn tenant() -> impl Strategy<Value = Tenant> {
    prop_oneof![
        prop_oneof![Just(Pair::Cancel), Just(Pair::Retry)].prop_map(Tenant::Pair),
        language().prop_map(Tenant::Language),
        any::<bool>().prop_map(|confirmed| Tenant::Logout { confirmed }),
        proptest::sample::select(vec![
            Menu::Groups,
            Menu::Accounts,
            Menu::Activity,
            Menu::Language,
            Menu::Help,
            Menu::Logout,
        ])
        .prop_map(Tenant::Menu),
        prop_oneof![
            any::<usize>().prop_map(Groups::Page),
            Just(Groups::Refresh),
            Just(Groups::Search),
            Just(Groups::Txt),
            Just(Groups::Csv),
        ]
        .prop_map(Tenant::Groups),
        job().prop_map(Tenant::Job),
    ]
}

proptest! {
    #[test]
    fn a_front_door_button_reads_back_and_fits(button in front_door()) {
        let data = button.to_string();
        prop_assert_eq!(data.parse::<FrontDoor>(), Ok(button));
        prop_assert!(FrontDoor::owns(&data));
        prop_assert!(data.len() <= MAX_DATA, "{}", data);
        prop_assert_eq!(data.parse::<Tenant>(), Err(Error::Unknown));
    }

    #[test]
    fn a_tenant_button_reads_back_and_fits_once_tagged(button in tenant()) {
        let data = button.to_string();
        prop_assert_eq!(data.parse::<Tenant>(), Ok(button));
        prop_assert!(!FrontDoor::owns(&data));
        prop_assert_eq!(untag(&data), None);
        let tagged = tag(&longest_account(), &data);
        prop_assert!(tagged.is_ok(), "{}: {:?}", data, tagged);
        let (longest, tagged) = (longest_account(), tagged.unwrap_or_default());
        prop_assert_eq!(untag(&tagged), Some((longest.as_str(), data.as_str())));
    }

    #[test]
    fn any_data_reads_as_one_spelling_or_none(data in any::<String>()) {
        if let Ok(button) = data.parse::<FrontDoor>() {
            prop_assert_eq!(button.to_string().parse::<FrontDoor>(), Ok(button));
        }
        if let Ok(button) = data.parse::<Tenant>() {
            prop_assert_eq!(button.to_string().parse::<Tenant>(), Ok(button));
        }
    }
}

mod tagging {

    use super::*;

    #[test]
    fn round_trip() {
        let tagged = tag("wa-447700900123", "pair:cancel").unwrap();
        assert_eq!(tagged, "wa-447700900123|pair:cancel");
        assert_eq!(untag(&tagged), Some(("wa-447700900123", "pair:cancel")));
    }

    #[test]
    fn data_may_hold_the_separator() {
        let tagged = tag("wa-447700900123", "a|b").unwrap();
        assert_eq!(untag(&tagged), Some(("wa-447700900123", "a|b")));
    }

    #[test]
    fn too_long_is_refused() {
        let account = "wa-447700900123";
        let fits = "x".repeat(MAX_DATA - account.len() - 1);
        assert!(tag(account, &fits).is_ok());
        assert_eq!(
            tag(account, &format!("{fits}x")),
            Err(Error::TooLong(fits.len()))
        );
    }

    #[test]
    fn untagged_data_names_no_account() {
        for data in [
            "pair:cancel",
            "fd:use:wa-1",
            "wa-|x",
            "wa-12a|x",
            "xx-123|y",
            "",
        ] {
            assert_eq!(untag(data), None, "{data}");
        }
    }
}
