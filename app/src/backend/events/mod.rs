//! Registry notifications: what the registry tells wharf about pushes, pulls and deletes.
//!
//! [`envelope`] turns the raw JSON into checked [`envelope::RegistryEvent`]s (all or nothing);
//! [`ingest`] applies them in one transaction, skipping event ids already seen; [`writer`]
//! gathers the requests that arrive together into one such transaction (group commit; on
//! PostgreSQL several such transactions run at once);
//! [`sources`] remembers which replica sent them.

pub mod envelope;
pub mod ingest;
pub mod sources;
pub mod writer;

pub use envelope::{parse_envelope, EventAction, RegistryEvent, MANIFEST_MEDIA_TYPES};
pub use ingest::{ingest, IngestReport, IngestSettings};
pub use writer::IngestWriter;
