//! wharf-server: the `wharf` binary's pieces — CLI, HTTP routes and adapters, start-up.
//! Exposed as a library so integration tests boot the real router.

#![recursion_limit = "512"]

pub mod cli;
pub mod http;
pub mod router;
pub mod serve;
pub mod startup;
