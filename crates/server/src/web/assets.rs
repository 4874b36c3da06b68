//! The built UI (`ui/dist`), read into memory when the server starts and served at `/`.
//! Only files found then are served (no path from a request ever reaches the file system).
//! `index.html` is told it is served by herald-server, so the UI talks to this server's
//! API. Without a built UI, `/` answers a page that says how to build it.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};

/// What `index.html` gets in its head: the UI picks the server backend when it sees it.
pub const MARKER: &str = r#"<meta name="herald-backend" content="server">"#;

/// Largest file read (the built UI's files are far smaller).
const MAX_FILE: u64 = 8 * 1024 * 1024;

#[derive(Debug)]
struct Asset {
    /// Shared with each response: a clone counts a reference instead of copying the file.
    bytes: axum::body::Bytes,
    mime: &'static str,
}

/// The UI's files by URL path (`/index.html`, `/assets/index-….js`, `/sw.js`).
#[derive(Debug, Clone, Default)]
pub struct WebAssets {
    files: Arc<HashMap<String, Asset>>,
    /// Where they came from, for the log and the help page.
    source: Option<String>,
}

impl WebAssets {
    /// Reads every file under `dir`. A folder without `index.html` counts as no UI.
    pub fn load(dir: &Path) -> WebAssets {
        let mut files = HashMap::new();
        if let Err(err) = read_dir(dir, dir, &mut files) {
            tracing::warn!(dir = %dir.display(), error = %err, "the web app's files are not readable");
        }
        let Some(index) = files.get_mut("/index.html") else {
            return WebAssets::default();
        };
        let html = String::from_utf8_lossy(&index.bytes).into_owned();
        index.bytes = html
            .replacen("<head>", &format!("<head>\n    {MARKER}"), 1)
            .into();
        WebAssets {
            files: Arc::new(files),
            source: Some(dir.display().to_string()),
        }
    }

    /// Whether a built UI was found.
    pub fn is_built(&self) -> bool {
        !self.files.is_empty()
    }

    /// Where the files were read from.
    pub fn source(&self) -> Option<&str> {
        self.source.as_deref()
    }
}

fn read_dir(root: &Path, dir: &Path, files: &mut HashMap<String, Asset>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let kind = entry.file_type()?;
        if kind.is_dir() {
            read_dir(root, &path, files)?;
        } else if kind.is_file() && entry.metadata()?.len() <= MAX_FILE {
            let Ok(relative) = path.strip_prefix(root) else {
                continue;
            };
            let url: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            let url = format!("/{}", url.join("/"));
            if url.ends_with(".map") {
                continue;
            }
            let mime = mime_of(&url);
            files.insert(
                url,
                Asset {
                    bytes: std::fs::read(&path)?.into(),
                    mime,
                },
            );
        }
    }
    Ok(())
}

fn mime_of(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "json" => "application/json",
        "webmanifest" => "application/manifest+json",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Serves a file of the UI; any other path that is not a file (`/`, `/?item=…`) gets
/// `index.html`, except under `/assets/`, where a missing file is a 404.
pub async fn serve(State(assets): State<WebAssets>, uri: Uri) -> Response {
    if !assets.is_built() {
        return not_built();
    }
    let path = uri.path();
    let (key, asset) = match assets.files.get_key_value(path) {
        Some(found) => found,
        None if path.starts_with("/assets/") || path.starts_with("/api/") => {
            return (StatusCode::NOT_FOUND, "not found").into_response()
        }
        None => match assets.files.get_key_value("/index.html") {
            Some(found) => found,
            None => return not_built(),
        },
    };
    // Built files carry a hash in their names and never change; the rest is checked again.
    let cache = if key.starts_with("/assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut response = Response::new(Body::from(asset.bytes.clone()));
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        axum::http::HeaderValue::from_static(asset.mime),
    );
    headers.insert(CACHE_CONTROL, axum::http::HeaderValue::from_static(cache));
    response
}

fn not_built() -> Response {
    let page = "<!doctype html><meta charset=utf-8><title>Herald</title>\
<h1>Herald's web app is not built into this server</h1>\
<p>The API under <code>/api/v1</code> works; the pages agents use are missing. Build them with \
<code>cd ui &amp;&amp; npm ci &amp;&amp; npm run build</code> and restart herald-server, or start it with \
<code>--web-dir</code> naming a folder that holds the built UI (<code>ui/dist</code>). \
<code>bash scripts/run.sh</code> does all of this.</p>";
    let mut response = (StatusCode::SERVICE_UNAVAILABLE, page).into_response();
    response.headers_mut().insert(
        CONTENT_TYPE,
        axum::http::HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_built_ui_is_read_and_marked() {
        let dir = tempfile::tempdir().expect("a folder");
        std::fs::create_dir_all(dir.path().join("assets")).expect("assets");
        std::fs::write(
            dir.path().join("index.html"),
            "<html><head><title>H</title></head></html>",
        )
        .expect("index");
        std::fs::write(dir.path().join("assets/app-1.js"), "x").expect("js");
        std::fs::write(dir.path().join("assets/app-1.js.map"), "{}").expect("map");
        let assets = WebAssets::load(dir.path());
        assert!(assets.is_built());
        let index = String::from_utf8(assets.files["/index.html"].bytes.to_vec()).expect("utf-8");
        assert!(index.contains(MARKER));
        assert_eq!(
            assets.files["/assets/app-1.js"].mime,
            "text/javascript; charset=utf-8"
        );
        assert!(!assets.files.contains_key("/assets/app-1.js.map"));
        assert!(!WebAssets::load(&dir.path().join("missing")).is_built());
    }
}
