/// The answer of an endpoint that redirects.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Redirected {
    pub status: u16,
    pub location: Option<String>,
}

/// An error: `code` is stable (better-auth's error codes), `message` is for people. `status` is
/// 0 when no answer arrived (the request could not be sent or its body not read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub code: Option<String>,
    pub message: String,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.code {
            Some(code) => write!(f, "{} {}: {}", self.status, code, self.message),
            None => write!(f, "{}: {}", self.status, self.message),
        }
    }
}

impl std::error::Error for ApiError {}

impl ApiError {
    fn transport(message: String) -> Self {
        Self {
            status: 0,
            code: None,
            message,
        }
    }

    fn answer(status: reqwest::StatusCode, text: &str) -> Self {
        #[derive(serde::Deserialize)]
        struct Body {
            code: Option<String>,
            message: Option<String>,
        }
        let body: Option<Body> = serde_json::from_str(text).ok();
        let (code, message) = body.map_or((None, None), |b| (b.code, b.message));
        Self {
            status: status.as_u16(),
            code,
            message: message
                .unwrap_or_else(|| status.canonical_reason().unwrap_or_default().to_owned()),
        }
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(value).map_err(|e| ApiError::transport(e.to_string()))
}

async fn text(response: reqwest::Response) -> Result<String, ApiError> {
    let status = response.status();
    let text = response
        .text()
        .await
        .map_err(|e| ApiError::transport(e.to_string()))?;
    if status.is_success() {
        Ok(text)
    } else {
        Err(ApiError::answer(status, &text))
    }
}

async fn json<T: serde::de::DeserializeOwned>(response: reqwest::Response) -> Result<T, ApiError> {
    let status = response.status();
    let text = text(response).await?;
    serde_json::from_str(if text.is_empty() { "null" } else { &text }).map_err(|e| ApiError {
        status: status.as_u16(),
        code: None,
        message: format!("unexpected answer: {e}"),
    })
}

async fn redirected(response: reqwest::Response) -> Result<Redirected, ApiError> {
    let status = response.status();
    if status.is_client_error() || status.is_server_error() {
        return Err(text(response)
            .await
            .err()
            .unwrap_or_else(|| ApiError::answer(status, "")));
    }
    Ok(Redirected {
        status: status.as_u16(),
        location: response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    })
}

/// A typed client: one method per endpoint the configuration enables. Clones share the cookies.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    origin: String,
    base_path: String,
    headers: Vec<(String, String)>,
    cookies: std::sync::Arc<std::sync::Mutex<std::collections::BTreeMap<String, String>>>,
}

impl Client {
    /// A client for the server at `base_url` (e.g. `http://127.0.0.1:3000`), API under `/api/auth`.
    pub fn new(base_url: &str) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Self::with_http(base_url, http)
    }

    /// Like [`Client::new`] over a reqwest client of your own (it should not follow redirects).
    pub fn with_http(base_url: &str, http: reqwest::Client) -> Self {
        Self {
            http,
            origin: base_url.trim_end_matches('/').to_owned(),
            base_path: "/api/auth".to_owned(),
            headers: Vec::new(),
            cookies: Default::default(),
        }
    }

    /// Another base path than `/api/auth`.
    pub fn with_base_path(mut self, base_path: &str) -> Self {
        self.base_path = base_path.trim_end_matches('/').to_owned();
        self
    }

    /// A header for every request. Outside a browser, requests that carry the session cookie
    /// must name a trusted origin: `.with_header("origin", base_url)`.
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// A cookie the server set, e.g. `better-auth.session_token`.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.jar().get(name).cloned()
    }

    /// Forgets every cookie (the session among them).
    pub fn clear_cookies(&self) {
        self.jar().clear();
    }

    fn jar(&self) -> std::sync::MutexGuard<'_, std::collections::BTreeMap<String, String>> {
        self.cookies
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    async fn send(
        &self,
        method: reqwest::Method,
        segments: &[&str],
        query: Option<serde_json::Value>,
        body: Option<serde_json::Value>,
    ) -> Result<reqwest::Response, ApiError> {
        let base = format!("{}{}", self.origin, self.base_path);
        let mut url = reqwest::Url::parse(&base).map_err(|e| ApiError::transport(e.to_string()))?;
        url.path_segments_mut()
            .map_err(|()| ApiError::transport(format!("{base} cannot be a base URL")))?
            .pop_if_empty()
            .extend(segments);
        if let Some(serde_json::Value::Object(map)) = query {
            let pairs: Vec<(String, String)> = map
                .into_iter()
                .filter_map(|(key, value)| match value {
                    serde_json::Value::Null => None,
                    serde_json::Value::String(value) => Some((key, value)),
                    other => Some((key, other.to_string())),
                })
                .collect();
            if !pairs.is_empty() {
                url.query_pairs_mut().extend_pairs(pairs);
            }
        }
        let mut request = self.http.request(method, url);
        for (name, value) in &self.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let cookie = self
            .jar()
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ");
        if !cookie.is_empty() {
            request = request.header(reqwest::header::COOKIE, cookie);
        }
        if let Some(body) = body {
            let bytes =
                serde_json::to_vec(&body).map_err(|e| ApiError::transport(e.to_string()))?;
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(bytes);
        }
        let response = request
            .send()
            .await
            .map_err(|e| ApiError::transport(e.to_string()))?;
        self.keep_cookies(response.headers());
        Ok(response)
    }

    /// Stores `set-cookie`s; an empty value or `Max-Age=0` deletes the cookie.
    fn keep_cookies(&self, headers: &reqwest::header::HeaderMap) {
        let mut jar = self.jar();
        for header in headers.get_all(reqwest::header::SET_COOKIE) {
            let Ok(header) = header.to_str() else {
                continue;
            };
            let mut parts = header.split(';');
            let Some((name, value)) = parts.next().and_then(|pair| pair.split_once('=')) else {
                continue;
            };
            let expired = parts.any(|attribute| {
                let attribute = attribute.trim().to_ascii_lowercase();
                attribute
                    .strip_prefix("max-age=")
                    .is_some_and(|age| age.trim() == "0" || age.trim().starts_with('-'))
            });
            let (name, value) = (name.trim(), value.trim());
            if expired || value.is_empty() {
                jar.remove(name);
            } else {
                jar.insert(name.to_owned(), value.to_owned());
            }
        }
    }
}
