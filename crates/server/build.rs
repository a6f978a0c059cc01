//! Points `include_dir!` at the built web app (`web/dist`), or at a placeholder page when the
//! front end has not been built (a plain `cargo build` needs no Node.js).

use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let dist = manifest.join("../../web/dist");
    // A path that does not exist makes cargo rerun this script (and relink) on every build:
    // without a built app, watch `web/` instead, which changes when `dist/` appears.
    if dist.exists() {
        println!("cargo:rerun-if-changed={}", dist.display());
    } else {
        println!(
            "cargo:rerun-if-changed={}",
            manifest.join("../../web").display()
        );
    }
    println!("cargo:rerun-if-changed=build.rs");
    let dir = if dist.join("index.html").is_file() {
        dist
    } else {
        let out =
            PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default()).join("web-placeholder");
        let _ = std::fs::create_dir_all(&out);
        let _ = std::fs::write(
            out.join("index.html"),
            "<!doctype html><meta charset=utf-8><title>Marquee</title>\
             <body style=\"font-family:system-ui;background:#111;color:#eee;padding:3rem\">\
             <h1>Marquee</h1><p>The web app was not built into this binary. \
             Build it with <code>scripts/demo</code> (or <code>cd web &amp;&amp; npm ci &amp;&amp; npm run build</code>, \
             then <code>cargo build --release</code>). The API is at <a style=color:#9cf href=/api/openapi.json>/api/openapi.json</a>.</p>",
        );
        out
    };
    let dir = dir.canonicalize().unwrap_or(dir);
    println!("cargo:rustc-env=MARQUEE_WEB_DIST={}", dir.display());
}
