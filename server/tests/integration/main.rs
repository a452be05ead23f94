//! wharf's integration tests: one binary, real pieces on loopback ports.
//!
//! Each test gets a fresh database (SQLite file or a new PostgreSQL database), a fresh data
//! dir, and wharf's real router on 127.0.0.1:0. Registry tests start distribution 3.1.1
//! (`scripts/registry3.sh`) or Debian's `docker-registry` 2.8.2 with the config
//! `wharf registry-config` printed and drive them with `skopeo`, `podman` and `docker`.

// Test fixtures fail loudly: a panic with context is the right outcome here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod helpers;
mod oci;

mod activity_log;
mod cli;
mod console;
mod deploy;
mod docker_cli;
mod harness;
mod https;
mod images;
mod kubernetes_env;
mod lb_ha;
mod ldap;
mod malformed;
mod observability;
mod orphans;
mod rate_limits;
mod referrers_api;
mod registry_clients;
mod registry_events;
mod registry_replicas;
mod registry_versions;
mod rest_api;
mod retention;
mod schema;
mod security;
mod token_endpoint;
mod webhooks;
