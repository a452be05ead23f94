use super::*;

const NOW: i64 = 1_800_000_000;

fn digest(n: u32) -> String {
    format!("sha256:{n:064x}")
}

fn tag(name: &str, days_ago: i64) -> TagFacts {
    TagFacts {
        name: name.to_owned(),
        pushed_at: NOW - days_ago * DAY,
        last_pulled_at: None,
    }
}

fn image(n: u32, tags: Vec<TagFacts>) -> ManifestFacts {
    let first_seen = tags.iter().map(|t| t.pushed_at).min().unwrap_or(NOW);
    ManifestFacts {
        digest: digest(n),
        tags,
        first_seen,
        subject: None,
        children: Vec::new(),
    }
}

fn deleted(p: &RetentionPlan) -> Vec<String> {
    p.delete.iter().map(|d| d.digest.clone()).collect()
}

fn kept(p: &RetentionPlan) -> Vec<String> {
    p.keep.iter().map(|d| d.digest.clone()).collect()
}

fn reason_of(p: &RetentionPlan, d: &str) -> String {
    p.keep
        .iter()
        .find(|k| k.digest == d)
        .map(|k| k.reason.clone())
        .unwrap_or_default()
}

/// The issue's case: 12 tags on 9 images, one signed, keep the 3 latest and protect `v*`.
fn twelve_tags() -> Vec<ManifestFacts> {
    let mut m = vec![
        image(1, vec![tag("v1.0", 90)]),
        image(2, vec![tag("build-2", 80)]),
        image(3, vec![tag("build-3", 70), tag("staging", 65)]),
        image(4, vec![tag("build-4", 60), tag("v0.9", 60)]),
        image(5, vec![tag("v1.1", 50)]),
        image(6, vec![tag("build-6", 40)]),
        image(7, vec![tag("build-7", 30)]),
        image(8, vec![tag("build-8", 20), tag("latest", 20)]),
        image(9, vec![tag("build-9", 10)]),
    ];
    // A cosign signature of image 2, by tag.
    let sig_tag = format!("sha256-{}.sig", digest(2).trim_start_matches("sha256:"));
    m.push(image(10, vec![tag(&sig_tag, 80)]));
    m
}

#[test]
fn keep_last_three_and_protect_v_star() {
    let rules = RetentionRules {
        keep_last: Some(3),
        protect: vec!["v*".into()],
        ..Default::default()
    };
    let p = plan("team/app", &rules, &twelve_tags(), NOW);
    assert_eq!(deleted(&p), vec![digest(6), digest(3), digest(2)]);
    assert_eq!(p.delete[1].tags, vec!["build-3", "staging"], "every tag on the image");
    assert_eq!(
        p.delete[2].accessories,
        vec![digest(10)],
        "the signature goes with its image"
    );
    assert_eq!(p.deleted_tags(), 4);
    assert_eq!(
        kept(&p),
        vec![digest(9), digest(8), digest(7), digest(5), digest(4), digest(1)]
    );
    assert_eq!(reason_of(&p, &digest(9)), "build-9: among the 3 most recently pushed");
    assert_eq!(reason_of(&p, &digest(5)), "v1.1: protected by \"v*\"");
    // build-4 alone would go, but v0.9 on the same image is protected.
    assert_eq!(
        reason_of(&p, &digest(4)),
        "v0.9: protected by \"v*\" (the other tags on this image stay with it)"
    );
    assert!(
        !kept(&p).contains(&digest(10)),
        "the signature is listed with its image, not kept"
    );
    assert!(p.delete.iter().all(|d| d.repository == "team/app"));
}

#[test]
fn a_signature_of_a_kept_image_is_kept() {
    let rules = RetentionRules {
        keep_last: Some(9),
        ..Default::default()
    };
    let p = plan("r", &rules, &twelve_tags(), NOW);
    assert!(p.delete.is_empty(), "{p:?}");
    assert_eq!(
        reason_of(&p, &digest(10)),
        format!("attached to the kept image {}", digest(2))
    );
}

#[test]
fn an_empty_policy_keeps_everything() {
    let p = plan("r", &RetentionRules::default(), &twelve_tags(), NOW);
    assert!(p.delete.is_empty());
    assert_eq!(p.keep.len(), 10);
    assert_eq!(reason_of(&p, &digest(2)), "no keep rule: the policy keeps every tag");
    // Patterns alone keep everything too.
    let only_patterns = RetentionRules {
        tags: vec!["build-*".into()],
        protect: vec!["v*".into()],
        ..Default::default()
    };
    assert!(plan("r", &only_patterns, &twelve_tags(), NOW).delete.is_empty());
}

#[test]
fn recent_pushes_and_pulls_are_kept() {
    let mut images = vec![
        image(1, vec![tag("old", 100)]),
        image(2, vec![tag("pulled", 100)]),
        image(3, vec![tag("fresh", 5)]),
    ];
    images[1].tags[0].last_pulled_at = Some(NOW - 2 * DAY);
    let rules = RetentionRules {
        keep_days: Some(30),
        ..Default::default()
    };
    let p = plan("r", &rules, &images, NOW);
    assert_eq!(deleted(&p), vec![digest(1)]);
    assert_eq!(reason_of(&p, &digest(2)), "pulled: pushed or pulled within 30 days");
    assert_eq!(reason_of(&p, &digest(3)), "fresh: pushed or pulled within 30 days");
    // Exactly D days ago still counts as within.
    let edge = vec![image(4, vec![tag("edge", 30)])];
    assert!(plan("r", &rules, &edge, NOW).delete.is_empty());
}

#[test]
fn rules_apply_only_to_the_tags_in_scope() {
    let rules = RetentionRules {
        keep_last: Some(1),
        tags: vec!["build-*".into()],
        exclude: vec!["build-7".into()],
        ..Default::default()
    };
    let p = plan("r", &rules, &twelve_tags(), NOW);
    // In scope: build-2, -3, -4, -6, -8, -9 (build-7 excluded). The latest of them (9) is kept;
    // images carrying an out-of-scope tag (staging, v0.9, latest) stay.
    assert_eq!(deleted(&p), vec![digest(6), digest(2)]);
    assert_eq!(
        reason_of(&p, &digest(7)),
        "build-7: not among the tags the policy applies to"
    );
    assert!(reason_of(&p, &digest(3)).starts_with("staging: not among"));
}

#[test]
fn keep_last_counts_images_not_tags() {
    let images = vec![
        image(1, vec![tag("a", 3), tag("b", 3), tag("c", 3)]),
        image(2, vec![tag("d", 2)]),
        image(3, vec![tag("e", 1)]),
    ];
    let rules = RetentionRules {
        keep_last: Some(2),
        ..Default::default()
    };
    assert_eq!(deleted(&plan("r", &rules, &images, NOW)), vec![digest(1)]);
}

#[test]
fn untagged_manifests_go_after_their_days_unless_a_kept_index_lists_them() {
    let mut index = image(1, vec![tag("multi", 1)]);
    index.children = vec![digest(2), digest(3)];
    let mut images = vec![
        index,
        image(2, vec![]),
        image(3, vec![]),
        image(4, vec![]),
        image(5, vec![]),
    ];
    for m in images.iter_mut().skip(1) {
        m.first_seen = NOW - 20 * DAY;
    }
    images[4].first_seen = NOW - DAY;
    let rules = RetentionRules {
        keep_last: Some(5),
        untagged_days: Some(7),
        ..Default::default()
    };
    let p = plan("r", &rules, &images, NOW);
    assert_eq!(deleted(&p), vec![digest(4)]);
    assert!(p.delete[0].tags.is_empty());
    assert_eq!(
        reason_of(&p, &digest(2)),
        format!("listed by the kept index {}", digest(1))
    );
    assert_eq!(reason_of(&p, &digest(5)), "untagged for less than 7 days");
    let no_rule = RetentionRules {
        keep_last: Some(5),
        ..Default::default()
    };
    assert!(plan("r", &no_rule, &images, NOW).delete.is_empty());
}

#[test]
fn an_sbom_by_subject_goes_with_its_untagged_subject() {
    let mut sbom = image(2, vec![]);
    sbom.subject = Some(digest(1));
    let mut old = image(1, vec![]);
    old.first_seen = NOW - 10 * DAY;
    let rules = RetentionRules {
        untagged_days: Some(1),
        ..Default::default()
    };
    let p = plan("r", &rules, &[old, sbom], NOW);
    assert_eq!(deleted(&p), vec![digest(1)]);
    assert_eq!(p.delete[0].accessories, vec![digest(2)]);
    assert!(p.keep.is_empty());
}

#[test]
fn globs() {
    for (p, t, want) in [
        ("v*", "v1.2", true),
        ("v*", "latest", false),
        ("*", "", true),
        ("build-?", "build-7", true),
        ("build-?", "build-17", false),
        ("*-rc*", "1.0-rc2", true),
        ("a*b*c", "aXbYbZc", true),
        ("a*b*c", "aXbYbZ", false),
        ("latest", "latest", true),
        ("latest", "latest2", false),
        ("**x", "x", true),
    ] {
        assert_eq!(glob_match(p, t), want, "{p} ~ {t}");
    }
}

#[test]
fn bad_policies_are_refused_with_a_reason() {
    let bad = |r: RetentionRules| r.validate().unwrap_err();
    assert!(bad(RetentionRules {
        keep_last: Some(0),
        ..Default::default()
    })
    .contains("keep-last must be at least 1"));
    assert!(bad(RetentionRules {
        keep_days: Some(MAX_DAYS + 1),
        ..Default::default()
    })
    .contains("at most"));
    assert!(bad(RetentionRules {
        protect: vec!["v[0-9]".into()],
        ..Default::default()
    })
    .contains("is not a tag pattern"));
    assert!(bad(RetentionRules {
        tags: vec![String::new()],
        ..Default::default()
    })
    .contains("is not a tag pattern"));
    assert!(RetentionRules {
        keep_last: Some(3),
        protect: vec!["v*".into(), "latest".into()],
        untagged_days: Some(0),
        ..Default::default()
    }
    .validate()
    .is_ok());
}
