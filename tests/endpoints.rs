//! The endpoint registry against a real better-auth 1.7.25 server's answers
//! (`tests/fixtures/better-auth-1.7/transcript.txt`): every route better-auth served is in the
//! registry with its method, every 404 is not, and every JSON body it answered has the shape the
//! registry declares (model objects resolved from the Schema IR of the same configuration).

use crate::support;

use auth_core::endpoints::{Endpoint, Method, Reply, Shape, endpoints};
use serde_json::Value;

struct Exchange {
    title: String,
    method: String,
    path: String,
    status: u16,
    content_type: Option<String>,
    body: String,
}

fn transcript() -> Vec<Exchange> {
    let path = support::root().join("tests/fixtures/better-auth-1.7/transcript.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = Vec::new();
    for block in text
        .split("==================================================================\n### ")
        .skip(1)
    {
        let mut lines = block.lines();
        let title = lines.next().unwrap_or_default().to_owned();
        let rest: Vec<&str> = lines.collect();
        let request = rest
            .iter()
            .find(|l| l.starts_with("> ") && l.ends_with("HTTP/1.1"));
        let Some(request) = request else { continue };
        let mut parts = request[2..].split_whitespace();
        let method = parts.next().unwrap_or_default().to_owned();
        let target = parts.next().unwrap_or_default();
        let path = target.split('?').next().unwrap_or_default().to_owned();
        let status = rest
            .iter()
            .find_map(|l| l.strip_prefix("< HTTP/1.1 "))
            .and_then(|s| s.split_whitespace().next())
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let content_type = rest
            .iter()
            .find_map(|l| l.strip_prefix("< content-type: "))
            .map(str::to_owned);
        let body = rest
            .iter()
            .skip_while(|l| !l.starts_with("--- body:"))
            .nth(1)
            .map_or(String::new(), |l| (*l).to_owned());
        out.push(Exchange {
            title,
            method,
            path,
            status,
            content_type,
            body,
        });
    }
    out
}

fn method(name: &str) -> Option<Method> {
    match name {
        "GET" => Some(Method::Get),
        "POST" => Some(Method::Post),
        _ => None,
    }
}

fn route<'a>(registry: &'a [Endpoint], exchange: &Exchange) -> Option<&'a Endpoint> {
    let relative = exchange.path.strip_prefix("/api/auth")?;
    let method = method(&exchange.method)?;
    registry.iter().find(|e| e.matches(method, relative))
}

#[test]
fn the_transcript_is_read() {
    let exchanges = transcript();
    assert!(exchanges.len() >= 70, "{}", exchanges.len());
    assert!(exchanges.iter().all(|e| e.status >= 200));
}

#[test]
fn every_route_better_auth_served_is_registered_and_no_other() {
    let config = support::config("examples/quickstart/auth.toml");
    let registry = endpoints(&config);
    for exchange in transcript() {
        let found = route(&registry, &exchange);
        let not_found = exchange.status == 404 && exchange.body.is_empty();
        match exchange.status {
            // A route that exists for another method only (POST /get-session).
            405 => {
                let relative = exchange.path.trim_start_matches("/api/auth");
                assert!(
                    found.is_none() && registry.iter().any(|e| e.path == relative),
                    "{}",
                    exchange.title
                );
            }
            _ if not_found => assert!(
                found.is_none(),
                "{}: better-auth has no such route",
                exchange.title
            ),
            _ => assert!(
                found.is_some(),
                "{}: {} {} is not in the registry",
                exchange.title,
                exchange.method,
                exchange.path
            ),
        }
    }
}

#[test]
fn every_body_has_the_declared_shape() {
    let config = support::config("examples/quickstart/auth.toml");
    let schema = support::schema("examples/quickstart/auth.toml");
    let registry = endpoints(&config);
    let error = Shape::object(&[("message", Shape::String), ("code?", Shape::String)]);
    let mut checked = 0;
    for exchange in transcript() {
        let Some(endpoint) = route(&registry, &exchange) else {
            continue;
        };
        let json = exchange.content_type.as_deref() == Some("application/json")
            && !exchange.body.is_empty();
        let body: Option<Value> = json.then(|| {
            serde_json::from_str(&exchange.body)
                .unwrap_or_else(|e| panic!("{}: {e}", exchange.title))
        });
        let shape = match (exchange.status, &endpoint.reply) {
            (200, Reply::Json(shape) | Reply::JsonOrRedirect(shape)) => shape.resolve(&schema),
            (302, Reply::Redirect | Reply::JsonOrRedirect(_)) => continue,
            (200, Reply::Html) => {
                assert_eq!(
                    exchange.content_type.as_deref(),
                    Some("text/html"),
                    "{}",
                    exchange.title
                );
                continue;
            }
            (400..=499, _) => Ok(error.clone()),
            (status, reply) => panic!(
                "{}: status {status} but the registry says {reply:?}",
                exchange.title
            ),
        };
        let shape = shape.unwrap_or_else(|e| panic!("{}: {e}", exchange.title));
        let body = body.unwrap_or_else(|| panic!("{}: no JSON body", exchange.title));
        if let Err(problem) = shape.check(&body) {
            panic!("{}: {problem}\n{body}", exchange.title);
        }
        checked += 1;
    }
    assert!(checked >= 50, "only {checked} bodies checked");
}
