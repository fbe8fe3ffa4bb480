//! Fixture websites served on loopback by the tests (and by `examples/scan_bench.rs`): the site
//! is reached as `http://localhost:PORT`, its "third party" as `http://127.0.0.1:PORT`, two
//! different sites to the browser though one server. A tiny stand-in banner with the real
//! banner's hooks (`#kapsel-banner`, `data-kapsel-action`) drives the phases.

#![allow(dead_code)]

use std::net::SocketAddr;

use axum::Router;
use axum::extract::Path;
use axum::http::header::{CONTENT_TYPE, SET_COOKIE};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::sync::oneshot;

/// A fixture server; stops when dropped.
pub struct FixtureSite {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
}

impl FixtureSite {
    /// The site's own origin (`http://localhost:PORT`).
    pub fn url(&self, path: &str) -> String {
        format!("http://localhost:{}{path}", self.addr.port())
    }
}

impl Drop for FixtureSite {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

pub async fn serve(router: Router) -> FixtureSite {
    serve_with(
        tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
        router,
    )
}

/// Serves on a listener bound beforehand (when the router must know its own port).
pub fn serve_with(listener: tokio::net::TcpListener, router: Router) -> FixtureSite {
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
    });
    FixtureSite {
        addr,
        stop: Some(stop),
    }
}

/// The stand-in banner: shows `#kapsel-banner` until a choice is stored in `kapsel_consent`,
/// and runs `<script type="text/plain" data-kapsel src>` only after "accept all".
pub const BANNER_JS: &str = r#"(function () {
  var choice = (document.cookie.match(/(?:^|; )kapsel_consent=([a-z]+)/) || [])[1];
  function runGated() {
    document.querySelectorAll('script[type="text/plain"][data-kapsel]').forEach(function (s) {
      var run = document.createElement('script');
      run.src = s.getAttribute('src');
      document.head.appendChild(run);
    });
  }
  document.addEventListener('DOMContentLoaded', function () {
    if (choice === 'all') runGated();
    if (choice) return;
    var banner = document.createElement('div');
    banner.id = 'kapsel-banner';
    banner.innerHTML = '<button data-kapsel-action="accept_all">Godta alle</button>' +
      '<button data-kapsel-action="reject_all">Avvis alle</button>';
    document.body.appendChild(banner);
    banner.addEventListener('click', function (event) {
      var action = event.target.getAttribute('data-kapsel-action');
      if (!action) return;
      var all = action === 'accept_all';
      document.cookie = 'kapsel_consent=' + (all ? 'all' : 'none') + '; max-age=15552000; path=/; samesite=lax';
      banner.remove();
      if (all) runGated();
    });
  });
})();"#;

pub fn html(body: String) -> Response {
    (
        [
            (CONTENT_TYPE, "text/html; charset=utf-8"),
            (SET_COOKIE, "sid=s1; Path=/; HttpOnly; SameSite=Lax"),
        ],
        body,
    )
        .into_response()
}

pub fn js(body: &'static str) -> Response {
    ([(CONTENT_TYPE, "text/javascript")], body).into_response()
}

fn page(title: &str, head: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"nb\"><head><meta charset=\"utf-8\"><title>{title}</title>\
         <script src=\"/banner.js\"></script>{head}</head><body><h1>{title}</h1>{body}</body></html>"
    )
}

/// The faulty site: every fault of `faulty.toml` planted once (see the comments there).
pub fn faulty_site(port: u16) -> Router {
    let home = page(
        "Hjem",
        "<script>\
           if (!document.cookie.includes('kapsel_consent=')) { document.cookie = '_fbp=fb.1.2.3; max-age=7776000; path=/'; }\
           localStorage.setItem('kx_visitor', 'v1');\
           document.cookie = 'kx_prefs=compact; path=/';\
           sessionStorage.setItem('kx_tab', '1'); indexedDB.open('kx_cache');\
         </script>\
         <script type=\"text/plain\" data-kapsel=\"analytics\" src=\"/stats.js\"></script>",
        "<p><a href=\"/om\">Om oss</a> <a href=\"mailto:post@example.no\">E-post</a></p>",
    );
    let about = page(
        "Om oss",
        "<script src=\"/chat.js\"></script>",
        &format!(
            "<p><a href=\"/\">Hjem</a></p><iframe title=\"Annonse\" src=\"http://127.0.0.1:{port}/embed\"></iframe>"
        ),
    );
    Router::new()
        .route("/", get(move || async move { html(home) }))
        .route("/om", get(move || async move { html(about) }))
        .route("/banner.js", get(|| async { js(BANNER_JS) }))
        .route("/stats.js", get(|| async { js("document.cookie = '_stat_id=abc; max-age=34560000; path=/';") }))
        .route(
            "/chat.js",
            get(|| async { js("if (document.cookie.includes('kapsel_consent=')) { document.cookie = 'kx_chat=1; max-age=86400; path=/'; }") }),
        )
        .route("/embed", get(embed))
}

async fn embed() -> Response {
    (
        [(CONTENT_TYPE, "text/html; charset=utf-8"), (SET_COOKIE, "tp_embed=e1; Max-Age=86400; Path=/; SameSite=None; Secure")],
        "<!DOCTYPE html><html><body>Annonse<script>localStorage.setItem('tp_seen', '1');</script></body></html>",
    )
        .into_response()
}

/// A clean site of `pages` pages, each linking to the next three, with one gated analytics
/// script: only necessary cookies before a choice and after "reject all".
pub fn clean_site(pages: usize) -> Router {
    Router::new()
        .route("/", get(move || async move { html(clean_page(0, pages)) }))
        .route(
            "/side/{n}",
            get(move |Path(n): Path<usize>| async move { html(clean_page(n, pages)) }),
        )
        .route("/banner.js", get(|| async { js(BANNER_JS) }))
        .route(
            "/stats.js",
            get(|| async { js("document.cookie = '_stat_id=abc; max-age=2592000; path=/';") }),
        )
}

fn clean_page(n: usize, pages: usize) -> String {
    let links: String = (n + 1..(n + 4).min(pages))
        .map(|k| format!("<a href=\"/side/{k}\">Side {k}</a> "))
        .collect();
    page(
        &format!("Side {n}"),
        "<script type=\"text/plain\" data-kapsel=\"analytics\" src=\"/stats.js\"></script>",
        &format!("<p>{links}</p>"),
    )
}
