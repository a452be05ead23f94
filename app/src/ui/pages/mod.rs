//! One module per page (or per group of closely related pages).

pub mod account;
pub mod activity;
pub mod dashboard;
pub mod image;
pub mod login;
pub mod namespaces;
pub mod registries;
pub mod repositories;
pub mod repository;
pub mod retention;
pub mod search;
pub mod teams;
pub mod users;
pub mod webhooks;
