//! The page around every privacy-centre page: the document pages' stylesheet with the
//! centre's form rules, their header and navigation (cookies, privacy notice, rights), the
//! language links, and the one escaping function every value goes through.

use kapsel_core::Lang;
use kapsel_core::privacy::PrivacyFile;
use kapsel_publish::PAGE_STYLE;
use kapsel_publish::render::language_name;
use kapsel_publish::words::label;

/// Escapes text for HTML content and quoted attribute values: the one escaper, which the access
/// bundle's summary uses too.
pub use kapsel_publish::bundle::escape_html as escape;

use super::texts::texts;

/// The centre's rules on top of the document pages' stylesheet ([`PAGE_STYLE`]): its forms,
/// their focus and errors, and navigation targets of at least 24 px.
const FORM_STYLE: &str = r#"input:focus-visible,select:focus-visible,textarea:focus-visible{outline:3px solid #1b1b1b;outline-offset:2px}
header nav a{display:inline-block;min-height:24px;padding:.1rem 0}
.kapsel-rights{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,30rem),1fr));gap:1.25rem}
.kapsel-right{border:1px solid #767676;border-radius:4px;padding:0 1rem 1rem}
.kapsel-right form{display:grid;gap:.35rem}
.kapsel-right label{font-weight:700;margin-top:.5rem}
.kapsel-hint{color:#3b3b3b;font-size:.9rem;margin:0}
input,select,textarea{font:inherit;color:inherit;background:#fff;border:1px solid #545454;border-radius:3px;padding:.4rem .5rem;min-height:2.5rem;width:100%;max-width:100%;box-sizing:border-box}
textarea{min-height:5rem;resize:vertical}
button{font:inherit;font-weight:700;color:#fff;background:#0b4fa8;border:2px solid #0b4fa8;border-radius:3px;padding:.5rem 1rem;min-height:2.75rem;margin-top:.75rem;justify-self:start;cursor:pointer}
button:hover{background:#083c80}
.kapsel-error{border-left:4px solid #a4001d;padding:.25rem 1rem;background:#fdf0f2;margin:.5rem 0}
.kapsel-error ul{margin:.25rem 0;padding-left:1.25rem}.kapsel-error a{color:#7a0016}
.kapsel-error-text{color:#a4001d;font-weight:700;margin:0}
[aria-invalid="true"]{border:2px solid #a4001d}
.kapsel-notice{border-left:4px solid #0b4fa8;padding:.25rem 1rem;background:#eef1f5}
@media (max-width:40rem){button{width:100%}}
"#;

/// What the page is about: names its `<title>` and which language links it offers.
pub struct Frame<'a> {
    pub file: &'a PrivacyFile,
    pub site: &'a str,
    pub lang: &'a Lang,
    pub title: &'a str,
    /// The path the language links point to (with `lang=` added), when switching makes sense.
    pub path: Option<&'a str>,
}

/// The page around `main`: the document pages' header, navigation and language links.
pub fn frame(frame: &Frame<'_>, main: &str) -> String {
    let lang = frame.lang.as_str();
    let site = escape(frame.site);
    let site_name = frame
        .file
        .site(frame.site)
        .map_or(frame.file.organisation.name.as_str(), |s| s.name.as_str());
    let site_name = escape(site_name);
    let mut languages = String::new();
    if let Some(path) = frame.path
        && frame.file.languages.len() > 1
    {
        languages.push_str(&format!(
            "<nav aria-label=\"{}\"><ul>",
            escape(label(frame.lang, "language_nav"))
        ));
        for other in &frame.file.languages {
            let code = escape(other.as_str());
            let current = if other == frame.lang {
                " aria-current=\"page\""
            } else {
                ""
            };
            languages.push_str(&format!(
                "<li><a href=\"{path}?lang={code}\" lang=\"{code}\" hreflang=\"{code}\"{current}>{}</a></li>",
                escape(language_name(other.as_str()))
            ));
        }
        languages.push_str("</ul></nav>");
    }
    let rights_title = texts(lang).title;
    format!(
        "<!doctype html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <title>{title} – {site_name}</title>\n<style>\n{PAGE_STYLE}{FORM_STYLE}</style>\n</head>\n<body>\n\
         <a class=\"kapsel-skip\" href=\"#main\">{skip}</a>\n<div class=\"kapsel-page\">\n<header>\n\
         <p><strong>{site_name}</strong></p>\n<nav aria-label=\"{docs}\"><ul>\
         <li><a href=\"/sites/{site}/cookies?lang={lang}\">{cookies}</a></li>\
         <li><a href=\"/sites/{site}/privacy?lang={lang}\">{notice}</a></li>\
         <li><a href=\"/sites/{site}/rights?lang={lang}\"{rights_current}>{rights_title}</a></li>\
         </ul></nav>\n{languages}\n</header>\n<main id=\"main\">\n{main}</main>\n</div>\n</body>\n</html>\n",
        title = escape(frame.title),
        skip = escape(label(frame.lang, "skip_to_content")),
        docs = escape(label(frame.lang, "documents_nav")),
        cookies = escape(label(frame.lang, "cookies_title")),
        notice = escape(label(frame.lang, "notice_title")),
        rights_current = if frame.path.is_some_and(|p| p.ends_with("/rights")) {
            " aria-current=\"page\""
        } else {
            ""
        },
        rights_title = escape(rights_title),
    )
}
