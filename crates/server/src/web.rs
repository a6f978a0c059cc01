//! The web app, embedded in the binary: files from `web/dist`, and `index.html` for every other
//! page path so that the app's own routes (`/series/12`) survive a reload.

use axum::body::Body;
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use include_dir::{include_dir, Dir};

use crate::error::ApiError;

static WEB: Dir<'_> = include_dir!("$MARQUEE_WEB_DIST");

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "json" | "webmanifest" => "application/json",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

const CSP: &str = "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; worker-src 'self' blob:; \
connect-src 'self'; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'";

/// Everything the API routers did not claim.
pub async fn fallback(method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path();
    if path.starts_with("/api/") || path.starts_with("/stream/") || path == "/api" {
        return ApiError::new(StatusCode::NOT_FOUND, format!("no such endpoint: {path}"))
            .into_response();
    }
    if method != Method::GET && method != Method::HEAD {
        return ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD here")
            .into_response();
    }
    let rel = path.trim_start_matches('/');
    let (file, immutable) = match WEB.get_file(rel).filter(|_| !rel.is_empty()) {
        Some(f) => (f, rel.starts_with("assets/")),
        // Fingerprinted assets that do not exist are real 404s, never the app's page.
        None if rel.starts_with("assets/") => {
            return ApiError::not_found(format!("no such file: {path}")).into_response()
        }
        None => match WEB.get_file("index.html") {
            Some(index) => (index, false),
            None => return ApiError::not_found("the web app is not built").into_response(),
        },
    };
    let name = file.path().to_string_lossy();
    let bytes = file.contents();
    let etag = format!("\"{:016x}\"", fnv1a(bytes));
    let html = name.ends_with(".html");
    let mut resp = Response::builder()
        .header(header::CONTENT_TYPE, content_type(&name))
        .header(header::ETAG, &etag)
        .header(
            header::CACHE_CONTROL,
            if immutable {
                "public, max-age=31536000, immutable"
            } else if html {
                "no-cache"
            } else {
                "public, max-age=3600"
            },
        )
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(header::REFERRER_POLICY, "same-origin");
    if html {
        resp = resp.header(header::CONTENT_SECURITY_POLICY, CSP);
    }
    let not_modified = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let resp = if not_modified {
        resp.status(StatusCode::NOT_MODIFIED).body(Body::empty())
    } else if method == Method::HEAD {
        resp.header(header::CONTENT_LENGTH, bytes.len())
            .body(Body::empty())
    } else {
        resp.body(Body::from(bytes))
    };
    resp.unwrap_or_else(|e| ApiError::internal(e.to_string()).into_response())
}

/// A cheap content hash for ETags (FNV-1a; the files are fixed at build time).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100000001b3)
    })
}
