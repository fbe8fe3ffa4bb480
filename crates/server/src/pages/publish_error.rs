//! How a failure of `kapsel-publish` reaches a client: an unknown site is a 404, an unknown
//! language a 400 naming `lang`; anything else is the server's fault and is logged, not shown.

use kapsel_publish::PublishError;

use crate::error::ApiError;

impl From<PublishError> for ApiError {
    fn from(error: PublishError) -> Self {
        match error {
            PublishError::UnknownSite(site) => ApiError::NotFound {
                what: format!("site `{site}`"),
            },
            PublishError::UnknownLanguage { lang, declared } => ApiError::parameter(
                "lang",
                format!("unknown language `{lang}`; this site is published in {declared}"),
            ),
            other => ApiError::internal("rendering a document", other),
        }
    }
}
