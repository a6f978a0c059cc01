//! Catalog domain: naming rules, sidecar metadata, artwork discovery, the subtitles a video
//! offers, and the scanner's walk.
pub mod markdown;
pub mod naming;
pub mod sidecar;
pub mod subtitles;
