//! The TypeScript module: an interface per model, request and response types per endpoint, and a
//! small typed client over `fetch`, rendered from `client.ts.jinja` around the fixed
//! `client-runtime.ts`. The walk over shapes (TypeScript types) stays here.

use heck::ToUpperCamelCase;
use serde::Serialize;

use super::templates::Template;
use super::{EmitError, Templates, key, operation_name, path_parameters, type_name};
use crate::endpoints::{Endpoint, Method, Reply, RequestBody, Shape};
use crate::schema::Schema;

/// The TypeScript module for `schema` and `endpoints`.
pub fn typescript(
    schema: &Schema,
    endpoints: &[Endpoint],
    templates: &Templates,
) -> Result<String, EmitError> {
    let mut models = Vec::new();
    for table in &schema.tables {
        let Shape::Object(properties) = resolve(&Shape::model(&table.model), schema)? else {
            continue;
        };
        models.push(ModelView {
            name: type_name(&table.model),
            properties: properties
                .iter()
                .map(|property| PropertyView {
                    key: key(&property.name),
                    optional: property.optional,
                    ty: ts(&property.shape, "D"),
                })
                .collect(),
        });
    }
    let mut types = Vec::new();
    let mut methods = Vec::new();
    for endpoint in endpoints {
        let name = operation_name(endpoint, endpoints);
        let body = match &endpoint.body {
            RequestBody::Json(shape) | RequestBody::JsonOrForm(shape) => {
                Some(shape.resolve_inputs(schema).map_err(EmitError::Shape)?)
            }
            RequestBody::None => None,
        };
        let response = match &endpoint.reply {
            Reply::Json(shape) | Reply::JsonOrRedirect(shape) => ts(
                &shape.resolve_inputs(schema).map_err(EmitError::Shape)?,
                "string",
            ),
            Reply::Redirect => "Redirected".to_owned(),
            Reply::Html | Reply::Script => "string".to_owned(),
        };
        types.push(EndpointView {
            name: name.to_upper_camel_case(),
            body: body.as_ref().map(|shape| ts(shape, "string")),
            query: endpoint.query.as_ref().map(|query| ts(query, "string")),
            response,
        });
        methods.push(method(endpoint, name, body.as_ref()));
    }
    let errors = crate::errors::answered(&schema.plugins)
        .into_iter()
        .map(|error| ErrorView {
            key: error.code,
            code: serde_json::Value::from(error.code).to_string(),
            message: serde_json::Value::from(error.message).to_string(),
        })
        .collect();
    templates.render(
        Template::TypeScript,
        Context {
            version: crate::VERSION,
            models,
            endpoints: types,
            errors,
            runtime: templates.source(Template::TypeScriptRuntime)?,
            methods,
        },
    )
}

/// What `client.ts.jinja` renders.
#[derive(Serialize)]
struct Context {
    version: &'static str,
    models: Vec<ModelView>,
    endpoints: Vec<EndpointView>,
    errors: Vec<ErrorView>,
    /// `client-runtime.ts`, verbatim.
    runtime: String,
    methods: Vec<MethodView>,
}

#[derive(Serialize)]
struct ModelView {
    /// `User`.
    name: String,
    properties: Vec<PropertyView>,
}

#[derive(Serialize)]
struct PropertyView {
    /// The JSON name, as a property key.
    key: String,
    optional: bool,
    /// Its TypeScript type, dates as the interface's `D`.
    #[serde(rename = "type")]
    ty: String,
}

/// The types of an endpoint, named `{name}Body`, `{name}Query` and `{name}Response`.
#[derive(Serialize)]
struct EndpointView {
    name: String,
    body: Option<String>,
    query: Option<String>,
    response: String,
}

#[derive(Serialize)]
struct ErrorView {
    key: &'static str,
    /// The code and message as JavaScript strings.
    code: String,
    message: String,
}

/// A method of the client: `request(http, path, body, query)`, its answer read as `reply` says.
#[derive(Serialize)]
struct MethodView {
    /// `signUpEmail`.
    name: String,
    /// The base of its type names: `SignUpEmail`.
    #[serde(rename = "type")]
    ty: String,
    params: Vec<String>,
    http: &'static str,
    /// A template literal's text: `/reset-password/${encodeURIComponent(params.token)}`.
    path: String,
    body: &'static str,
    query: &'static str,
    /// `json`, `redirect` or `text`.
    reply: &'static str,
}

fn method(endpoint: &Endpoint, name: String, body: Option<&Shape>) -> MethodView {
    let ty = name.to_upper_camel_case();
    let mut params = Vec::new();
    let parameters = path_parameters(endpoint.path);
    if !parameters.is_empty() {
        let fields: Vec<String> = parameters.iter().map(|p| format!("{p}: string")).collect();
        params.push(format!("params: {{ {} }}", fields.join("; ")));
    }
    if let Some(shape) = body {
        // A body whose properties are all optional may be left out.
        let optional = match shape {
            Shape::Object(properties) => properties.iter().all(|p| p.optional),
            Shape::NonEmpty(_) => false,
            _ => true,
        };
        params.push(if optional {
            format!("body: {ty}Body = {{}}")
        } else {
            format!("body: {ty}Body")
        });
    }
    if endpoint.query.is_some() {
        params.push(format!("query?: {ty}Query"));
    }
    let path = endpoint
        .path
        .split('/')
        .map(|segment| match segment.strip_prefix(':') {
            Some(param) => format!("${{encodeURIComponent(params.{param})}}"),
            None => segment.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/");
    MethodView {
        name,
        ty,
        params,
        http: match endpoint.method {
            Method::Get => "GET",
            Method::Post => "POST",
        },
        path,
        body: if body.is_some() { "body" } else { "undefined" },
        query: if endpoint.query.is_some() {
            "query"
        } else {
            "undefined"
        },
        reply: match endpoint.reply {
            Reply::Redirect => "redirect",
            Reply::Html | Reply::Script => "text",
            Reply::Json(_) | Reply::JsonOrRedirect(_) => "json",
        },
    }
}

fn resolve(shape: &Shape, schema: &Schema) -> Result<Shape, EmitError> {
    shape.resolve(schema).map_err(EmitError::Shape)
}

/// The TypeScript type of a shape; `date` is the type dates take (`D` inside model interfaces).
fn ts(shape: &Shape, date: &str) -> String {
    match shape {
        Shape::String | Shape::Email | Shape::Password { .. } | Shape::Text { .. } => {
            "string".to_owned()
        }
        Shape::Choice(choices) => choices
            .iter()
            .map(|c| format!("{c:?}"))
            .collect::<Vec<_>>()
            .join(" | "),
        Shape::Null => "null".to_owned(),
        Shape::NonEmpty(inner) => ts(inner, date),
        Shape::Boolean => "boolean".to_owned(),
        Shape::Number => "number".to_owned(),
        Shape::Date => date.to_owned(),
        Shape::Json => "unknown".to_owned(),
        Shape::Nullable(inner) => format!("{} | null", ts(inner, date)),
        Shape::Array(inner) => match inner.as_ref() {
            Shape::Nullable(_) | Shape::OneOf(_) => format!("Array<{}>", ts(inner, date)),
            _ => format!("{}[]", ts(inner, date)),
        },
        Shape::Object(properties) if properties.is_empty() => "Record<string, never>".to_owned(),
        Shape::Object(properties) => {
            let fields: Vec<String> = properties
                .iter()
                .map(|p| {
                    format!(
                        "{}{}: {}",
                        key(&p.name),
                        if p.optional { "?" } else { "" },
                        ts(&p.shape, date)
                    )
                })
                .collect();
            format!("{{ {} }}", fields.join("; "))
        }
        Shape::Model(model) | Shape::ModelInput { model, .. } => type_name(model),
        Shape::Merge(parts) => parts
            .iter()
            .map(|p| ts(p, date))
            .collect::<Vec<_>>()
            .join(" & "),
        Shape::OneOf(parts) => parts
            .iter()
            .map(|p| format!("({})", ts(p, date)))
            .collect::<Vec<_>>()
            .join(" | "),
    }
}
