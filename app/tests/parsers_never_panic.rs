//! Fuzz-style property tests of everything that parses untrusted input: the token endpoint's
//! scope parser, the name grammars (namespaces, repositories, tags, digests) and the registry
//! notification parser. Random and mutated inputs must never panic, and whatever a parser
//! accepts must really follow its grammar.
#![cfg(feature = "ssr")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use wharf_app::backend::events::envelope::parse_envelope;
use wharf_app::domain::names::is_path_component;
use wharf_app::domain::scope::{Resource, Scope};
use wharf_app::domain::{Digest, NamespaceName, RepositoryName, TagName};

const D1: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

/// A real push notification as the registry sends it.
fn valid_envelope() -> String {
    format!(
        r#"{{"events":[{{"id":"e1","timestamp":"2026-11-28T01:02:03.123456789Z","action":"push",
        "target":{{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":500,"digest":"{D1}",
        "length":500,"repository":"alice/app","url":"http://r/v2/alice/app/manifests/{D1}","tag":"v1",
        "references":[{{"mediaType":"x","size":1000,"digest":"{D1}"}}]}},
        "request":{{"id":"r","addr":"127.0.0.1:4444","host":"lb:8080","method":"PUT","useragent":"skopeo"}},
        "actor":{{"name":"alice"}},"source":{{"addr":"reg-1:5000","instanceID":"abc"}}}}]}}"#
    )
}

#[derive(Debug, Clone)]
enum Edit {
    Insert(usize, u8),
    Delete(usize),
    Replace(usize, u8),
    Duplicate(usize, usize),
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let edit = prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Edit::Insert(i, b)),
        any::<usize>().prop_map(Edit::Delete),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Edit::Replace(i, b)),
        (any::<usize>(), 1usize..32).prop_map(|(i, n)| Edit::Duplicate(i, n)),
    ];
    prop::collection::vec(edit, 1..8)
}

/// Applies byte-level edits (which may break UTF-8 on purpose).
fn mutate(input: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut b = input.to_vec();
    for e in edits {
        let len = b.len().max(1);
        match *e {
            Edit::Insert(i, x) => b.insert(i % (b.len() + 1), x),
            Edit::Delete(i) if !b.is_empty() => {
                b.remove(i % len);
            }
            Edit::Replace(i, x) if !b.is_empty() => b[i % len] = x,
            Edit::Duplicate(i, n) if !b.is_empty() => {
                let start = i % len;
                let end = (start + n).min(b.len());
                let chunk = b[start..end].to_vec();
                b.splice(start..start, chunk);
            }
            _ => {}
        }
    }
    b
}

/// Characters the grammars care about, so random strings hit their edge cases often.
fn grammar_string() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            prop::sample::select(vec![
                'a', 'z', '0', '9', '.', '_', '-', '/', ':', ',', '*', '(', ')', ' ', '@', 'A'
            ]),
            any::<char>(),
        ],
        0..80,
    )
    .prop_map(|v| v.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn scope_parser_never_panics(s in grammar_string()) {
        let _ = Scope::parse(&s);
        let _ = Scope::parse_list(&s);
    }

    #[test]
    fn mutated_scopes_never_panic_and_accepted_repository_names_are_valid(e in edits()) {
        let base = b"repository:team/app-1:pull,push";
        let m = mutate(base, &e);
        if let Ok(s) = std::str::from_utf8(&m) {
            if let Ok(scope) = Scope::parse(s) {
                match scope.resource {
                    // What wharf may grant on is a name of the repository grammar...
                    Resource::Repository(r) => {
                        prop_assert!(RepositoryName::try_from(r.as_str()).is_ok(), "{s}");
                        prop_assert_eq!(r.as_str(), scope.name.as_str());
                    }
                    // ...and a host-qualified name only when it has a host in front.
                    Resource::ForeignRepository(n) => prop_assert!(n.contains('/'), "{s}"),
                    _ => prop_assert!(!s.starts_with("repository:"), "{s}"),
                }
            }
        }
    }

    #[test]
    fn name_grammars_never_panic_and_accept_only_what_they_describe(s in grammar_string()) {
        if let Ok(n) = NamespaceName::try_from(s.as_str()) {
            prop_assert!(n.as_str().len() <= NamespaceName::MAX_LEN, "namespace {s:?}");
            prop_assert!(is_path_component(n.as_str()), "namespace {s:?}");
        }
        if let Ok(r) = RepositoryName::try_from(s.as_str()) {
            prop_assert!(r.as_str().len() <= RepositoryName::MAX_LEN, "repository {s:?}");
            prop_assert!(r.as_str().split('/').all(is_path_component), "repository {s:?}");
        }
        if let Ok(t) = TagName::try_from(s.clone()) {
            let t = t.as_str();
            prop_assert!((1..=128).contains(&t.len()), "tag {s:?}");
            prop_assert!(t.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')), "tag {s:?}");
            prop_assert!(!t.starts_with(['.', '-']), "tag {s:?}");
        }
        let _ = Digest::try_from(s.clone());
    }

    #[test]
    fn random_bytes_are_rejected_as_bad_requests_never_panics(body in prop::collection::vec(any::<u8>(), 0..512)) {
        if let Err(e) = parse_envelope(&body) {
            prop_assert!(matches!(e, wharf_app::domain::AppError::BadRequest(_)), "{e:?}");
        }
    }

    #[test]
    fn mutated_notifications_never_panic(e in edits()) {
        let body = mutate(valid_envelope().as_bytes(), &e);
        match parse_envelope(&body) {
            Ok(events) => {
                // Whatever is accepted is a checked event.
                for ev in events {
                    prop_assert!(ev.repository.as_str().split('/').all(is_path_component));
                    prop_assert!(!ev.id.is_empty());
                }
            }
            Err(e) => prop_assert!(matches!(e, wharf_app::domain::AppError::BadRequest(_)), "{e:?}"),
        }
    }
}

#[test]
fn the_unmutated_notification_is_accepted() {
    // The mutation tests start from a valid envelope: prove it is one.
    assert_eq!(parse_envelope(valid_envelope().as_bytes()).unwrap().len(), 1);
    assert!(Scope::parse("repository:team/app-1:pull,push").is_ok());
}
