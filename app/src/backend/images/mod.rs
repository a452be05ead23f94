//! What is inside images, for the image page and the API: manifests and configurations as
//! registries serve them ([`parse`]), read from the registry once per digest ([`fetch`]).

pub mod accessories;
pub mod fetch;
pub mod parse;
