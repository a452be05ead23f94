//! `wharf retention`: a namespace's retention policy, its plan, and runs (issue 19). Thin
//! adapters over `services::retention`, acting as the operator (audited as `wharf:cli`).

use clap::{Args, Subcommand};
use wharf_app::backend::config::Config;
use wharf_app::backend::services::{retention, Caller};
use wharf_app::domain::retention::{RetentionRules, RetentionRunRow};

use super::registry::print_json;
use super::CliError;
use crate::startup;

#[derive(Debug, Subcommand)]
pub enum RetentionCommand {
    /// Set the namespace's policy (or, with --repo, one repository's override). Tags are kept
    /// if any keep rule keeps them; without --keep-last and --keep-days every tag is kept.
    Set(SetArgs),
    /// The namespace's policy, the repositories' overrides and the last runs.
    Show {
        namespace: String,
        #[arg(long)]
        json: bool,
    },
    /// Remove the namespace's policy (or, with --repo, one repository's override).
    Clear {
        namespace: String,
        #[arg(long = "repo")]
        repository: Option<String>,
    },
    /// What a run would delete now, and what it keeps and why.
    Plan {
        namespace: String,
        /// `{"delete": [{"repository", "digest", "tags", "accessories"}], "keep": [{"repository",
        /// "digest", "tags", "reason"}]}`.
        #[arg(long)]
        json: bool,
    },
    /// Disk space per repository, and what garbage collection would free after the plan.
    Storage {
        namespace: String,
        #[arg(long)]
        json: bool,
    },
    /// Run the policy now: delete what the plan lists from the registry.
    Run {
        namespace: String,
        /// Go ahead even if it deletes more than `retention_max_delete_share` of the tags.
        #[arg(long)]
        yes: bool,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct SetArgs {
    pub namespace: String,
    /// A repository of the namespace (`NAME` or `NS/NAME`): set its override instead.
    #[arg(long = "repo")]
    pub repository: Option<String>,
    /// Keep the N most recently pushed images.
    #[arg(long)]
    pub keep_last: Option<u32>,
    /// Keep what was pushed or pulled within D days.
    #[arg(long)]
    pub keep_days: Option<u32>,
    /// Apply the rules only to tags matching this glob (repeatable; default: every tag).
    #[arg(long = "tags")]
    pub tags: Vec<String>,
    /// Leave tags matching this glob out of the rules (they are kept; repeatable).
    #[arg(long)]
    pub exclude: Vec<String>,
    /// Always keep tags matching this glob (repeatable), e.g. 'v*' or latest.
    #[arg(long)]
    pub protect: Vec<String>,
    /// Delete untagged manifests wharf has known for D days.
    #[arg(long)]
    pub untagged_days: Option<u32>,
}

fn print_rules(rules: &RetentionRules) {
    let or_none = |v: Option<u32>| v.map_or("-".to_owned(), |n| n.to_string());
    let list = |v: &[String]| if v.is_empty() { "-".to_owned() } else { v.join(", ") };
    println!("  keep last:      {}", or_none(rules.keep_last));
    println!("  keep days:      {}", or_none(rules.keep_days));
    println!(
        "  tags:           {}",
        if rules.tags.is_empty() {
            "every tag".to_owned()
        } else {
            list(&rules.tags)
        }
    );
    println!("  exclude:        {}", list(&rules.exclude));
    println!("  protect:        {}", list(&rules.protect));
    println!("  untagged days:  {}", or_none(rules.untagged_days));
}

fn print_run(run: &RetentionRunRow) {
    println!(
        "run {} ({}, by {}): {}; {} images ({} tags) deleted, {} kept{}",
        run.id,
        run.trigger,
        run.actor,
        run.status,
        run.deleted_images,
        run.deleted_tags,
        run.kept_images,
        run.error.as_deref().map(|e| format!(" - {e}")).unwrap_or_default()
    );
}

pub async fn retention_command(config: &Config, cmd: RetentionCommand) -> Result<(), CliError> {
    let state = startup::cli_state(config).await?;
    let operator = Caller::operator();
    match cmd {
        RetentionCommand::Set(a) => {
            let rules = RetentionRules {
                keep_last: a.keep_last,
                keep_days: a.keep_days,
                tags: a.tags,
                exclude: a.exclude,
                protect: a.protect,
                untagged_days: a.untagged_days,
            };
            retention::set(&state, &operator, &a.namespace, a.repository.as_deref(), rules).await?;
            match a.repository {
                Some(r) => println!("retention policy of {r} in {} set", a.namespace),
                None => println!("retention policy of {} set", a.namespace),
            }
        }
        RetentionCommand::Clear { namespace, repository } => {
            retention::clear(&state, &operator, &namespace, repository.as_deref()).await?;
            println!("retention policy removed");
        }
        RetentionCommand::Show { namespace, json } => {
            let s = retention::show(&state, &operator, &namespace).await?;
            if json {
                return print_json(&s);
            }
            match &s.policy {
                Some(rules) => {
                    println!("{}:", s.namespace);
                    print_rules(rules);
                }
                None => println!("{}: no retention policy (everything is kept)", s.namespace),
            }
            for o in &s.overrides {
                println!("{} (its own policy):", o.repository);
                print_rules(&o.rules);
            }
            for run in &s.runs {
                print_run(run);
            }
        }
        RetentionCommand::Plan { namespace, json } => {
            let plan = retention::plan(&state, &operator, &namespace, None).await?;
            if json {
                return print_json(&plan);
            }
            for d in &plan.delete {
                let tags = if d.tags.is_empty() {
                    "(untagged)".to_owned()
                } else {
                    d.tags.join(", ")
                };
                let with = if d.accessories.is_empty() {
                    String::new()
                } else {
                    format!(" with {} attached", d.accessories.len())
                };
                println!("delete {}@{} {tags}{with}", d.repository, d.digest);
            }
            for k in &plan.keep {
                println!(
                    "keep   {}@{} {}: {}",
                    k.repository,
                    k.digest,
                    k.tags.join(", "),
                    k.reason
                );
            }
            println!(
                "{} images ({} tags) to delete, {} kept",
                plan.delete.len(),
                plan.deleted_tags(),
                plan.keep.len()
            );
        }
        RetentionCommand::Storage { namespace, json } => {
            let s = retention::storage(&state, &operator, &namespace).await?;
            if json {
                return print_json(&s);
            }
            println!("{:<40} {:>14} {:>16}", "REPOSITORY", "IN USE", "FREED BY PLAN");
            for r in &s.repositories {
                println!("{:<40} {:>14} {:>16}", r.repository, r.in_use, r.freed_by_plan);
            }
            println!(
                "{:<40} {:>14} {:>16}",
                "(namespace, each blob once)", s.in_use, s.freed_by_plan
            );
            if s.manifests_unread > 0 {
                println!(
                    "{} manifests not read from the registry yet are not counted",
                    s.manifests_unread
                );
            }
        }
        RetentionCommand::Run { namespace, yes, json } => {
            let run = retention::run(&state, &operator, &namespace, yes).await?;
            if json {
                return print_json(&run);
            }
            print_run(&run);
            if run.status == wharf_app::domain::RetentionStatus::NeedsConfirmation {
                return Err(CliError::Usage("add --yes to delete them".into()));
            }
        }
    }
    Ok(())
}
