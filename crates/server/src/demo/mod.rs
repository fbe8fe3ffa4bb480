//! The demo website at `/demo/`: a small page with the Kapsel snippet, a fake analytics script,
//! a fake ad conversion linker, a fake ad pixel, a fake support chat and a video embed that set cookies the way the real ones do, so a newcomer
//! (and the scanner) can watch the gating work. Its files live in `banner/demo/`.
//!
//! Third-party behaviour is real: the pixel and the video are loaded from the *other* loopback
//! host name (page on `localhost`, trackers on `127.0.0.1`, or the other way round), so the
//! browser treats their cookies as third-party. Service ids are found in the privacy file by the
//! cookies they declare (`_ga`, `_gcl_au`, `_fbp`, `intercom-id-`, `YSC`), so the page always gates the
//! declared services. The page uses site `demo` when the privacy file has one.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use kapsel_core::privacy::PrivacyFile;
use serde::Deserialize;

use crate::error::ApiError;

const INDEX: &str = include_str!("../../../../banner/demo/index.html");
const FILES: [(&str, &str, &str); 6] = [
    (
        "demo.css",
        "text/css; charset=utf-8",
        include_str!("../../../../banner/demo/demo.css"),
    ),
    (
        "analytics.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../../banner/demo/analytics.js"),
    ),
    (
        "pixel.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../../banner/demo/pixel.js"),
    ),
    (
        "ads.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../../banner/demo/ads.js"),
    ),
    (
        "chat.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../../banner/demo/chat.js"),
    ),
    (
        "log.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../../banner/demo/log.js"),
    ),
];
const VIDEO: &str = include_str!("../../../../banner/demo/video.html");
/// A transparent 1×1 GIF.
const PIXEL_GIF: [u8; 43] = [
    71, 73, 70, 56, 57, 97, 1, 0, 1, 0, 128, 0, 0, 0, 0, 0, 255, 255, 255, 33, 249, 4, 1, 0, 0, 0,
    0, 44, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 68, 1, 0, 59,
];
const LANGS: [&str; 3] = ["nb", "nn", "en"];

/// Page texts per language: settings link, title, intro, video heading, log heading, counter.
const PAGE_TEXTS: [(&str, [&str; 6]); 3] = [
    (
        "nb",
        [
            "Personverninnstillinger",
            "Demo av Kapsel",
            "Denne siden kjører fem falske tjenester: Google Analytics (statistikk), Google Ads og Meta Pixel (markedsføring), Intercom-chatten og en YouTube-video (funksjonelle). Ingen av dem kjører før du har samtykket.",
            "Video",
            "Hva som har kjørt",
            "Besøksteller: denne teksten kom fra en mal som bare vises med samtykke til statistikk.",
        ],
    ),
    (
        "nn",
        [
            "Personverninnstillingar",
            "Demo av Kapsel",
            "Denne sida køyrer fem falske tenester: Google Analytics (statistikk), Google Ads og Meta Pixel (marknadsføring), Intercom-chatten og ein YouTube-video (funksjonelle). Ingen av dei køyrer før du har samtykt.",
            "Video",
            "Kva som har køyrt",
            "Besøksteljar: denne teksten kom frå ein mal som berre blir vist med samtykke til statistikk.",
        ],
    ),
    (
        "en",
        [
            "Privacy settings",
            "Kapsel demo",
            "This page runs five fake services: Google Analytics (analytics), Google Ads and Meta Pixel (marketing), the Intercom chat and a YouTube video (functional). None of them runs before you consent.",
            "Video",
            "What has run",
            "Visitor counter: this text came from a template shown only with consent to statistics.",
        ],
    ),
];

/// What the demo page needs from the privacy file.
#[derive(Debug, Clone)]
pub struct DemoSite {
    site: String,
    analytics: String,
    ads: String,
    pixel: String,
    chat: String,
    video: String,
}

impl DemoSite {
    /// The site `demo` (else the file's first site) and the services declaring `_ga`, `_gcl_au`,
    /// `_fbp`, `intercom-id-` and `YSC`.
    pub fn from_file(file: &PrivacyFile) -> Self {
        let service_with = |cookie: &str| {
            file.services
                .iter()
                .find(|service| service.cookies.iter().any(|c| c.name == cookie))
                .map_or_else(
                    || format!("undeclared-{cookie}"),
                    |service| service.id.clone(),
                )
        };
        let site = file
            .site("demo")
            .or(file.sites.first())
            .map_or_else(|| "demo".to_owned(), |site| site.id.clone());
        DemoSite {
            site,
            analytics: service_with("_ga"),
            ads: service_with("_gcl_au"),
            pixel: service_with("_fbp"),
            chat: service_with("intercom-id-"),
            video: service_with("YSC"),
        }
    }
}

/// The demo routes, with their state attached.
pub fn routes<S: Clone + Send + Sync + 'static>(site: DemoSite) -> Router<S> {
    Router::new()
        .route("/demo", get(|| async { Redirect::permanent("/demo/") }))
        .route("/demo/", get(get_demo_page))
        .route("/demo/embed/video", get(get_demo_video))
        .route("/demo/tracker/pixel.gif", get(get_demo_pixel))
        .route("/demo/{file}", get(get_demo_file))
        .with_state(Arc::new(site))
}

#[derive(Debug, Deserialize)]
struct PageQuery {
    lang: Option<String>,
}

async fn get_demo_page(
    State(site): State<Arc<DemoSite>>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = query
        .lang
        .as_deref()
        .filter(|lang| LANGS.contains(lang))
        .unwrap_or("nb");
    let texts = PAGE_TEXTS
        .iter()
        .find(|(l, _)| *l == lang)
        .or(PAGE_TEXTS.first())
        .map(|(_, t)| *t)
        .unwrap_or_default();
    let [settings, title, intro, video, log, counter] = texts;
    let page = INDEX
        .replace("{{lang}}", lang)
        .replace("{{site}}", &site.site)
        .replace("{{analytics}}", &site.analytics)
        .replace("{{ads}}", &site.ads)
        .replace("{{pixel}}", &site.pixel)
        .replace("{{chat}}", &site.chat)
        .replace("{{video}}", &site.video)
        .replace("{{other_origin}}", &other_origin(&headers))
        .replace("{{t_settings}}", settings)
        .replace("{{t_title}}", title)
        .replace("{{t_intro}}", intro)
        .replace("{{t_video}}", video)
        .replace("{{t_log}}", log)
        .replace("{{t_counter}}", counter)
        .replace("{{lang_links_0}}", "/demo/?lang=nb")
        .replace("{{lang_links_1}}", "/demo/?lang=nn")
        .replace("{{lang_links_2}}", "/demo/?lang=en");
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        page,
    )
        .into_response()
}

/// `http://127.0.0.1:PORT` for a page on `localhost:PORT`, and `http://localhost:PORT` otherwise.
fn other_origin(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let (name, port) = match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => (name, Some(port)),
        _ => (host, None),
    };
    let other = if name == "localhost" {
        "127.0.0.1"
    } else {
        "localhost"
    };
    match port {
        Some(port) => format!("http://{other}:{port}"),
        None => format!("http://{other}"),
    }
}

async fn get_demo_file(Path(file): Path<String>) -> Response {
    match FILES.iter().find(|(name, _, _)| *name == file) {
        Some((_, kind, body)) => ([(header::CONTENT_TYPE, *kind)], *body).into_response(),
        None => not_found(&file),
    }
}

/// Cookies a third party sets from its own host: `SameSite=None; Secure` as real trackers do
/// (browsers accept `Secure` on loopback).
fn third_party_cookie(name: &str, value: &str, max_age: Option<u32>) -> HeaderValue {
    let age = max_age
        .map(|s| format!("; Max-Age={s}"))
        .unwrap_or_default();
    HeaderValue::from_str(&format!(
        "{name}={value}{age}; Path=/; SameSite=None; Secure"
    ))
    .unwrap_or(HeaderValue::from_static("demo=1"))
}

async fn get_demo_video() -> Response {
    let mut response =
        ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], VIDEO).into_response();
    let out = response.headers_mut();
    out.append(
        header::SET_COOKIE,
        third_party_cookie("YSC", "demo-video", None),
    );
    out.append(
        header::SET_COOKIE,
        third_party_cookie("VISITOR_INFO1_LIVE", "demo-visitor", Some(179 * 86_400)),
    );
    response
}

async fn get_demo_pixel() -> Response {
    let mut response = (
        [
            (header::CONTENT_TYPE, "image/gif"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        PIXEL_GIF.to_vec(),
    )
        .into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        third_party_cookie("fr", "demo-ad", Some(90 * 86_400)),
    );
    response
}

fn not_found(file: &str) -> Response {
    ApiError::NotFound {
        what: format!("demo file {file:?}"),
    }
    .into_response()
}
