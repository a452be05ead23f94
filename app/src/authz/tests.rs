//! The policy as a table: every subject × namespace kind × visibility × action.

use super::*;
use crate::domain::scope::Action;

const OWN_ID: i64 = 7;
const OTHER_ID: i64 = 999;

#[derive(Debug, Clone, Copy)]
enum Who {
    Admin,
    Owner,
    Contributor,
    Viewer,
    OtherUser,
    Anonymous,
    /// A read-only application token of a user who owns the team.
    ReadOnlyToken,
    /// A disabled user who owns the team.
    Disabled,
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    PersonalOwn,
    PersonalOther,
    Team,
    Global,
}

fn subject(who: Who) -> Subject {
    let user = |admin, disabled, read_only| {
        Subject::User(UserSubject {
            id: OWN_ID,
            admin,
            disabled,
            read_only,
        })
    };
    match who {
        Who::Admin => user(true, false, false),
        Who::Anonymous => Subject::Anonymous,
        Who::ReadOnlyToken => user(false, false, true),
        Who::Disabled => user(false, true, false),
        _ => user(false, false, false),
    }
}

fn role(who: Who) -> Option<Role> {
    match who {
        Who::Owner | Who::ReadOnlyToken | Who::Disabled => Some(Role::Owner),
        Who::Contributor => Some(Role::Contributor),
        Who::Viewer => Some(Role::Viewer),
        Who::Admin | Who::OtherUser | Who::Anonymous => None,
    }
}

fn facts(who: Who, kind: Kind, visibility: Visibility) -> NamespaceFacts {
    let kind = match kind {
        Kind::PersonalOwn => NamespaceKind::Personal { owner_id: OWN_ID },
        Kind::PersonalOther => NamespaceKind::Personal { owner_id: OTHER_ID },
        Kind::Team => NamespaceKind::Team { member_role: role(who) },
        Kind::Global => NamespaceKind::Global,
    };
    NamespaceFacts { kind, visibility }
}

fn parse(s: &str) -> ActionSet {
    let mut set = ActionSet::EMPTY;
    for a in s.split(',').filter(|a| !a.is_empty() && *a != "-") {
        set.insert(match a {
            "pull" => Action::Pull,
            "push" => Action::Push,
            "delete" => Action::Delete,
            _ => panic!("bad action in table: {a}"),
        });
    }
    set
}

const ALL: &str = "pull,push,delete";

/// subject, kind, then what is granted for private / protected / public.
#[rustfmt::skip]
const TABLE: &[(Who, Kind, [&str; 3])] = &[
    (Who::Admin,         Kind::PersonalOwn,   [ALL, ALL, ALL]),
    (Who::Admin,         Kind::PersonalOther, [ALL, ALL, ALL]),
    (Who::Admin,         Kind::Team,          [ALL, ALL, ALL]),
    (Who::Admin,         Kind::Global,        [ALL, ALL, ALL]),
    (Who::Owner,         Kind::PersonalOwn,   [ALL, ALL, ALL]),
    (Who::Owner,         Kind::PersonalOther, ["-", "pull", "pull"]),
    (Who::Owner,         Kind::Team,          [ALL, ALL, ALL]),
    (Who::Owner,         Kind::Global,        ["-", "pull", "pull"]),
    (Who::Contributor,   Kind::PersonalOwn,   [ALL, ALL, ALL]),
    (Who::Contributor,   Kind::PersonalOther, ["-", "pull", "pull"]),
    (Who::Contributor,   Kind::Team,          ["pull,push", "pull,push", "pull,push"]),
    (Who::Contributor,   Kind::Global,        ["-", "pull", "pull"]),
    (Who::Viewer,        Kind::PersonalOwn,   [ALL, ALL, ALL]),
    (Who::Viewer,        Kind::PersonalOther, ["-", "pull", "pull"]),
    (Who::Viewer,        Kind::Team,          ["pull", "pull", "pull"]),
    (Who::Viewer,        Kind::Global,        ["-", "pull", "pull"]),
    (Who::OtherUser,     Kind::PersonalOwn,   [ALL, ALL, ALL]),
    (Who::OtherUser,     Kind::PersonalOther, ["-", "pull", "pull"]),
    (Who::OtherUser,     Kind::Team,          ["-", "pull", "pull"]),
    (Who::OtherUser,     Kind::Global,        ["-", "pull", "pull"]),
    // Anonymous has no namespace of its own: "own" is somebody else's for it.
    (Who::Anonymous,     Kind::PersonalOwn,   ["-", "-", "pull"]),
    (Who::Anonymous,     Kind::PersonalOther, ["-", "-", "pull"]),
    (Who::Anonymous,     Kind::Team,          ["-", "-", "pull"]),
    (Who::Anonymous,     Kind::Global,        ["-", "-", "pull"]),
    (Who::ReadOnlyToken, Kind::PersonalOwn,   ["pull", "pull", "pull"]),
    (Who::ReadOnlyToken, Kind::PersonalOther, ["-", "pull", "pull"]),
    (Who::ReadOnlyToken, Kind::Team,          ["pull", "pull", "pull"]),
    (Who::ReadOnlyToken, Kind::Global,        ["-", "pull", "pull"]),
    (Who::Disabled,      Kind::PersonalOwn,   ["-", "-", "-"]),
    (Who::Disabled,      Kind::PersonalOther, ["-", "-", "-"]),
    (Who::Disabled,      Kind::Team,          ["-", "-", "-"]),
    (Who::Disabled,      Kind::Global,        ["-", "-", "-"]),
];

const VISIBILITIES: [Visibility; 3] = [Visibility::Private, Visibility::Protected, Visibility::Public];

#[test]
fn policy_table_with_default_settings() {
    let settings = PolicySettings::default();
    assert_eq!(TABLE.len(), 32, "8 subjects x 4 namespace kinds");
    for (who, kind, expected) in TABLE {
        for (vis, expected) in VISIBILITIES.iter().zip(expected) {
            let f = facts(*who, *kind, *vis);
            let expected = parse(expected);
            let s = subject(*who);
            assert_eq!(
                permitted(&settings, &s, Target::Namespace(Some(&f))),
                expected,
                "{who:?} on {kind:?} {vis:?}"
            );
            // Each single action is granted exactly when the table says so, and a request for
            // everything ("*") gets the same subset.
            for a in Action::ALL {
                let got = allowed(&settings, &s, Target::Namespace(Some(&f)), ActionSet::of(&[a]));
                assert_eq!(got.contains(a), expected.contains(a), "{who:?} {a} on {kind:?} {vis:?}");
                assert!(
                    got.is_empty() || got == ActionSet::of(&[a]),
                    "never more than requested"
                );
            }
            assert_eq!(
                allowed(&settings, &s, Target::Namespace(Some(&f)), ActionSet::ALL),
                expected
            );
        }
    }
}

#[test]
fn missing_namespace_refuses_everyone() {
    let settings = PolicySettings::default();
    for who in [Who::Admin, Who::Owner, Who::Anonymous] {
        assert_eq!(
            permitted(&settings, &subject(who), Target::Namespace(None)),
            ActionSet::EMPTY
        );
    }
}

#[test]
fn catalog_is_for_admins_only() {
    let settings = PolicySettings::default();
    assert_eq!(
        permitted(&settings, &subject(Who::Admin), Target::Catalog),
        ActionSet::ALL
    );
    for who in [
        Who::Owner,
        Who::OtherUser,
        Who::Anonymous,
        Who::ReadOnlyToken,
        Who::Disabled,
    ] {
        assert!(
            permitted(&settings, &subject(who), Target::Catalog).is_empty(),
            "{who:?}"
        );
    }
}

#[test]
fn push_policy_settings() {
    let team = |who| facts(who, Kind::Team, Visibility::Private);
    let own = facts(Who::Owner, Kind::PersonalOwn, Visibility::Private);
    let can_push = |settings: &PolicySettings, who: Who, f: &NamespaceFacts| {
        authorize(settings, &subject(who), Target::Namespace(Some(f)), Action::Push).is_some()
    };

    let personal = PolicySettings {
        push_policy: PushPolicy::AllowPersonal,
        ..Default::default()
    };
    assert!(!can_push(&personal, Who::Owner, &team(Who::Owner)));
    assert!(!can_push(&personal, Who::Contributor, &team(Who::Contributor)));
    assert!(can_push(&personal, Who::Owner, &own));
    assert!(can_push(&personal, Who::Admin, &team(Who::Admin)));

    let admin_only = PolicySettings {
        push_policy: PushPolicy::AdminOnly,
        ..Default::default()
    };
    assert!(!can_push(&admin_only, Who::Owner, &own));
    assert!(!can_push(&admin_only, Who::Owner, &team(Who::Owner)));
    assert!(can_push(&admin_only, Who::Admin, &own));
}

#[test]
fn delete_settings() {
    let team = |who| facts(who, Kind::Team, Visibility::Public);
    let can_delete = |settings: &PolicySettings, who: Who| {
        let f = team(who);
        authorize(settings, &subject(who), Target::Namespace(Some(&f)), Action::Delete).is_some()
    };
    let defaults = PolicySettings::default();
    assert!(!can_delete(&defaults, Who::Contributor));
    let contributors = PolicySettings {
        delete_contributors: true,
        ..Default::default()
    };
    assert!(can_delete(&contributors, Who::Contributor));
    assert!(!can_delete(&contributors, Who::Viewer));
    let disabled = PolicySettings {
        delete_enabled: false,
        ..Default::default()
    };
    for who in [Who::Admin, Who::Owner, Who::Contributor] {
        assert!(!can_delete(&disabled, who), "{who:?}");
    }
}

/// Console management rights: subject × namespace kind → (manage namespace, delete namespace,
/// manage the owning team). Visibility never changes them.
#[rustfmt::skip]
const MANAGE_TABLE: &[(Who, Kind, [bool; 3])] = &[
    (Who::Admin,         Kind::PersonalOwn,   [true,  false, true ]),
    (Who::Admin,         Kind::PersonalOther, [true,  false, true ]),
    (Who::Admin,         Kind::Team,          [true,  true,  true ]),
    (Who::Admin,         Kind::Global,        [true,  false, true ]),
    (Who::Owner,         Kind::PersonalOwn,   [true,  false, true ]),
    (Who::Owner,         Kind::PersonalOther, [false, false, true ]),
    (Who::Owner,         Kind::Team,          [true,  true,  true ]),
    (Who::Owner,         Kind::Global,        [false, false, true ]),
    (Who::Contributor,   Kind::PersonalOwn,   [true,  false, false]),
    (Who::Contributor,   Kind::Team,          [false, false, false]),
    (Who::Viewer,        Kind::Team,          [false, false, false]),
    (Who::OtherUser,     Kind::Team,          [false, false, false]),
    (Who::OtherUser,     Kind::Global,        [false, false, false]),
    (Who::Anonymous,     Kind::PersonalOwn,   [false, false, false]),
    (Who::Anonymous,     Kind::Team,          [false, false, false]),
    // A read-only token never manages anything, even for an owner.
    (Who::ReadOnlyToken, Kind::PersonalOwn,   [false, false, false]),
    (Who::ReadOnlyToken, Kind::Team,          [false, false, false]),
    (Who::Disabled,      Kind::PersonalOwn,   [false, false, false]),
    (Who::Disabled,      Kind::Team,          [false, false, false]),
];

#[test]
fn console_management_rights() {
    for (who, kind, [manage, delete, team]) in MANAGE_TABLE {
        for vis in VISIBILITIES {
            let f = facts(*who, *kind, vis);
            let s = subject(*who);
            assert_eq!(may_manage_namespace(&s, &f), *manage, "manage {who:?} {kind:?} {vis:?}");
            // Webhooks (secrets, outside addresses) belong to exactly the namespace managers.
            assert_eq!(
                may_manage_webhooks(&s, &f),
                *manage,
                "webhooks {who:?} {kind:?} {vis:?}"
            );
            assert_eq!(may_delete_namespace(&s, &f), *delete, "delete {who:?} {kind:?} {vis:?}");
            assert_eq!(may_manage_team(&s, role(*who)), *team, "team {who:?}");
        }
    }
    assert!(is_admin(&subject(Who::Admin)));
    assert!(authorize_admin(&subject(Who::Admin)).is_some());
    for who in [Who::Owner, Who::Anonymous, Who::ReadOnlyToken, Who::Disabled] {
        assert!(!is_admin(&subject(who)), "{who:?}");
        assert!(authorize_admin(&subject(who)).is_none(), "{who:?}");
    }
    // Describing a repository follows push.
    let settings = PolicySettings::default();
    let team_facts = |who| facts(who, Kind::Team, Visibility::Public);
    assert!(may_describe_repository(
        &settings,
        &subject(Who::Contributor),
        &team_facts(Who::Contributor)
    ));
    assert!(!may_describe_repository(
        &settings,
        &subject(Who::Viewer),
        &team_facts(Who::Viewer)
    ));
    assert!(!may_describe_repository(
        &settings,
        &subject(Who::Anonymous),
        &team_facts(Who::Anonymous)
    ));
}
