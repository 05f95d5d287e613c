//! The page: the files of `studio/web/`, embedded in the binary when it is
//! built (debug builds too), so the service needs nothing beside itself
//! and no Node toolchain runs at build time.

use axum::{
    extract::Path,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use rust_embed::Embed;

#[derive(Embed)]
#[folder = "studio/web/"]
struct Web;

/// `GET /`: the page itself.
pub async fn index() -> Response {
    file("index.html")
}

/// `GET /{*path}`: one of its files.
pub async fn asset(Path(path): Path<String>) -> Response {
    file(&path)
}

fn file(path: &str) -> Response {
    match Web::get(path) {
        Some(found) => {
            let mime = found.metadata.mimetype();
            // Text files as UTF-8: the page shows Chinese prompts.
            let content_type = if mime.starts_with("text/")
                || mime == "application/javascript"
                || mime == "text/javascript"
            {
                format!("{mime}; charset=utf-8")
            } else {
                mime.to_owned()
            };
            (
                [
                    (header::CONTENT_TYPE, content_type),
                    (header::CACHE_CONTROL, "no-cache".to_owned()),
                ],
                found.data.into_owned(),
            )
                .into_response()
        }
        None => (StatusCode::NOT_FOUND, format!("no such file: {path}\n")).into_response(),
    }
}
