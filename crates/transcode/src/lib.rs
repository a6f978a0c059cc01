//! Transcoding with ffmpeg, for the tracks a client cannot play as they are.
//!
//! Sits between `marquee-media` (which plans segments and packages without ffmpeg) and the
//! server (which speaks HTTP):
//!
//! * [`caps`] and [`decide`]: what a client decodes, and per track whether it is played as it
//!   is, remuxed, transcoded (into which [`decide::Rendition`]) or left out — with the reason.
//!   Pure.
//! * [`command`]: ffmpeg command lines as pure functions: a run starts at a planned cut
//!   (`-ss` before `-i`), forces keyframes at the plan's cuts and cuts its output there.
//! * [`repackage`]: one file ffmpeg wrote → one CMAF segment on the source's timeline.
//! * [`jit`]: just-in-time jobs — runs started at the segment asked for, paused a window ahead,
//!   stopped when idle, retried when killed — and [`cache`], the on-disk segment cache under a
//!   size cap with LRU eviction and atomic writes.
//! * [`ladder`]: ahead-of-time adaptive ladders kept under the data folder, measured for the
//!   master playlist.
//! * [`manifest`]: HLS master and media playlists that offer transcoded renditions next to
//!   remuxed ones.
//! * [`burn`]: image subtitles (PGS, VobSub) drawn into a video rendition.
//! * [`ffmpeg`]: finding ffmpeg and running it so that it never outlives the server.

pub mod burn;
pub mod cache;
pub mod caps;
pub mod command;
pub mod decide;
pub mod ffmpeg;
pub mod jit;
pub mod ladder;
pub mod manifest;
pub mod repackage;

pub use caps::ClientCaps;
pub use decide::{decide, Decision, Delivery, Rendition, ServerAbility, TrackDecision};
pub use jit::{Title, TrackSpec, TranscodeConfig, TranscodeError, Transcoder};
