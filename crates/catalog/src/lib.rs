//! Catalog domain: naming rules, sidecar metadata, artwork discovery and the scanner's walk.
pub mod naming;
pub mod sidecar;
