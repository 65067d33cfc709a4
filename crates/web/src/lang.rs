//! The language of a page: Vietnamese first, English on request. Chosen by `?lang=`, then the
//! `lang` cookie that the switch link sets, then Vietnamese.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use std::convert::Infallible;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Vi,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "vi" => Some(Lang::Vi),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// Picks the text for this language.
    pub fn t<'a>(self, vi: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Vi => vi,
            Lang::En => en,
        }
    }

    pub fn is_en(self) -> bool {
        self == Lang::En
    }

    pub fn from_parts(parts: &Parts) -> Lang {
        if let Some(q) = parts.uri.query() {
            for pair in q.split('&') {
                if let Some(v) = pair.strip_prefix("lang=")
                    && let Some(l) = Lang::parse(v)
                {
                    return l;
                }
            }
        }
        for v in parts.headers.get_all(header::COOKIE) {
            if let Ok(s) = v.to_str() {
                for c in s.split(';') {
                    if let Some(v) = c.trim().strip_prefix("lang=")
                        && let Some(l) = Lang::parse(v)
                    {
                        return l;
                    }
                }
            }
        }
        Lang::Vi
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Lang::from_parts(parts))
    }
}
