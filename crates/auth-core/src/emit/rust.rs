//! The Rust modules: the client of `generate --target rust` (`client.rs.jinja` around the fixed
//! `client-runtime.rs`) and the typed server API of `auth_macros::api!` (`api.rs.jinja`). Both
//! lay out the same types (`rust-type.rs.jinja`), which the walk over shapes here names and
//! orders.

use heck::{ToSnakeCase, ToUpperCamelCase};
use serde::Serialize;

use super::templates::Template;
use super::{EmitError, Templates, operation_name, path_parameters, type_name};
use crate::endpoints::{Access, Endpoint, Method, Property, Reply, RequestBody, Shape};
use crate::schema::Schema;

/// A Rust module: a struct per model (its returned fields), request and response types per
/// endpoint, and a typed async client over reqwest. The generated code needs only `serde`
/// (with `derive`), `serde_json` and `reqwest`; no proc macro of ours.
pub fn rust(
    schema: &Schema,
    endpoints: &[Endpoint],
    templates: &Templates,
) -> Result<String, EmitError> {
    let (models, types) = types(schema, endpoints, Side::Client)?;
    templates.render(
        Template::Rust,
        Context {
            version: crate::VERSION,
            models,
            endpoints: types,
            runtime: templates.source(Template::RustRuntime)?,
            methods: methods(schema, endpoints, Side::Client)?,
        },
    )
}

/// The items `auth_macros::api!()` puts in the module it emits: the same model, request and
/// response types as [`rust`], and `Api`, one typed method per endpoint over
/// `auth_runtime::http::api::Api` — the server's own pipeline, no HTTP client. The code needs
/// `serde` (with `derive`), `serde_json` and `auth-runtime`. From the embedded templates.
pub fn rust_server(schema: &Schema, endpoints: &[Endpoint]) -> Result<String, EmitError> {
    let (models, types) = types(schema, endpoints, Side::Server)?;
    Templates::embedded().render(
        Template::RustApi,
        Context {
            version: crate::VERSION,
            models,
            endpoints: types,
            runtime: String::new(),
            methods: methods(schema, endpoints, Side::Server)?,
        },
    )
}

/// What `client.rs.jinja` and `api.rs.jinja` render.
#[derive(Serialize)]
struct Context {
    version: &'static str,
    models: Vec<TypeDef>,
    endpoints: Vec<TypeDef>,
    /// `client-runtime.rs`, verbatim (the client only).
    runtime: String,
    methods: Vec<MethodView>,
}

/// Who calls the endpoints: a client over HTTP, or server code through the runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Client,
    Server,
}

/// A type of the module, as `rust-type.rs.jinja` lays it out.
#[derive(Debug, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
enum TypeDef {
    Struct {
        name: String,
        /// Every field is optional: `Default` too.
        default: bool,
        /// A variant of a union: unknown keys are refused, so that the right one matches.
        exact: bool,
        fields: Vec<FieldView>,
    },
    /// An untagged enum: the first variant that fits wins.
    Union {
        name: String,
        variants: Vec<VariantView>,
    },
    Alias {
        name: String,
        #[serde(rename = "type")]
        ty: String,
    },
}

#[derive(Debug, Serialize)]
struct FieldView {
    /// The JSON name, as a Rust string literal.
    json: String,
    optional: bool,
    /// The Rust field name.
    name: String,
    #[serde(rename = "type")]
    ty: String,
}

#[derive(Debug, Serialize)]
struct VariantView {
    name: String,
    #[serde(rename = "type")]
    ty: String,
}

/// The structs of the models, then the request and response types of the endpoints.
fn types(
    schema: &Schema,
    endpoints: &[Endpoint],
    side: Side,
) -> Result<(Vec<TypeDef>, Vec<TypeDef>), EmitError> {
    let mut defs = Defs::default();
    for table in &schema.tables {
        let Shape::Object(properties) = resolved(Shape::model(&table.model).resolve(schema))?
        else {
            continue;
        };
        defs.structure(&type_name(&table.model), &properties, false)?;
    }
    let models = std::mem::take(&mut defs.types);
    for endpoint in endpoints {
        let name = operation_name(endpoint, endpoints).to_upper_camel_case();
        if let RequestBody::Json(shape) | RequestBody::JsonOrForm(shape) = &endpoint.body {
            defs.top(
                &format!("{name}Body"),
                &resolved(shape.resolve_inputs(schema))?,
            )?;
        }
        if let Some(query) = &endpoint.query {
            defs.top(&format!("{name}Query"), query)?;
        }
        // Server side, a redirect or a page is `()`: the answer's headers carry the location.
        let alias = match (&endpoint.reply, side) {
            (Reply::Json(shape) | Reply::JsonOrRedirect(shape), _) => {
                defs.top(
                    &format!("{name}Response"),
                    &resolved(shape.resolve_inputs(schema))?,
                )?;
                continue;
            }
            (Reply::Redirect, Side::Client) => "Redirected",
            (Reply::Html | Reply::Script, Side::Client) => "String",
            (Reply::Redirect | Reply::Html | Reply::Script, Side::Server) => "()",
        };
        defs.types.push(TypeDef::Alias {
            name: format!("{name}Response"),
            ty: alias.to_owned(),
        });
    }
    Ok((models, defs.types))
}

fn resolved(shape: Result<Shape, String>) -> Result<Shape, EmitError> {
    shape.map_err(EmitError::Shape)
}

/// Type definitions, in the order they are met (a type after the ones it names).
#[derive(Default)]
struct Defs {
    types: Vec<TypeDef>,
}

impl Defs {
    /// A named top-level type: objects and unions take the name, anything else is an alias.
    fn top(&mut self, name: &str, shape: &Shape) -> Result<(), EmitError> {
        match shape {
            Shape::NonEmpty(inner) => self.top(name, inner),
            Shape::Object(properties) => self.structure(name, properties, false),
            Shape::OneOf(parts) => self.union(name, parts),
            _ => {
                let ty = match shape {
                    Shape::Nullable(inner) => {
                        format!("Option<{}>", self.ty(inner, &format!("{name}Data"))?)
                    }
                    _ => self.ty(shape, name)?,
                };
                self.types.push(TypeDef::Alias {
                    name: name.to_owned(),
                    ty,
                });
                Ok(())
            }
        }
    }

    /// The Rust type of a resolved shape; anonymous objects and unions are defined as `hint`.
    fn ty(&mut self, shape: &Shape, hint: &str) -> Result<String, EmitError> {
        Ok(match shape {
            Shape::String
            | Shape::Email
            | Shape::Password { .. }
            | Shape::Text { .. }
            | Shape::Choice(_)
            | Shape::Date => "String".to_owned(),
            Shape::Null => "Option<()>".to_owned(),
            Shape::NonEmpty(inner) => self.ty(inner, hint)?,
            Shape::Boolean => "bool".to_owned(),
            Shape::Number => "f64".to_owned(),
            Shape::Json => "serde_json::Value".to_owned(),
            Shape::Nullable(inner) => {
                let inner = self.ty(inner, hint)?;
                if inner.starts_with("Option<") {
                    inner
                } else {
                    format!("Option<{inner}>")
                }
            }
            Shape::Array(inner) => format!("Vec<{}>", self.ty(inner, &format!("{hint}Item"))?),
            Shape::Object(properties) => {
                self.structure(hint, properties, false)?;
                hint.to_owned()
            }
            Shape::OneOf(parts) => {
                self.union(hint, parts)?;
                hint.to_owned()
            }
            Shape::Model(model) => type_name(model),
            Shape::ModelInput { model, .. } => {
                return Err(EmitError::Shape(format!("unresolved input of {model}")));
            }
            Shape::Merge(_) => return Err(EmitError::Shape("unresolved merge".to_owned())),
        })
    }

    /// A struct; `exact` ones (variants of a union) refuse unknown keys so the right one matches.
    fn structure(
        &mut self,
        name: &str,
        properties: &[Property],
        exact: bool,
    ) -> Result<(), EmitError> {
        let mut fields = Vec::new();
        for property in properties {
            let hint = format!("{name}{}", property.name.to_upper_camel_case());
            let mut ty = self.ty(&property.shape, &hint)?;
            if property.optional && !ty.starts_with("Option<") {
                ty = format!("Option<{ty}>");
            }
            fields.push(FieldView {
                json: format!("{:?}", property.name),
                optional: property.optional,
                name: field_name(&property.name),
                ty,
            });
        }
        self.types.push(TypeDef::Struct {
            name: name.to_owned(),
            default: properties.iter().all(|p| p.optional),
            exact,
            fields,
        });
        Ok(())
    }

    /// An untagged enum: the first variant that fits wins.
    fn union(&mut self, name: &str, parts: &[Shape]) -> Result<(), EmitError> {
        let mut variants = Vec::new();
        for (i, part) in parts.iter().enumerate() {
            let variant = format!("Variant{}", i + 1);
            let ty = match part {
                Shape::Object(properties) => {
                    let ty = format!("{name}{variant}");
                    self.structure(&ty, properties, true)?;
                    ty
                }
                _ => self.ty(part, &format!("{name}{variant}"))?,
            };
            variants.push(VariantView { name: variant, ty });
        }
        self.types.push(TypeDef::Union {
            name: name.to_owned(),
            variants,
        });
        Ok(())
    }
}

/// `callbackURL` → `callback_url`; keywords become raw identifiers.
fn field_name(name: &str) -> String {
    let mut snake = name.to_snake_case();
    if snake.is_empty() || snake.starts_with(|c: char| c.is_ascii_digit()) {
        snake = format!("f_{snake}");
    }
    match snake.as_str() {
        "self" | "super" | "crate" => format!("{snake}_"),
        "as" | "async" | "await" | "break" | "const" | "continue" | "dyn" | "else" | "enum"
        | "extern" | "false" | "fn" | "for" | "gen" | "if" | "impl" | "in" | "let" | "loop"
        | "match" | "mod" | "move" | "mut" | "pub" | "ref" | "return" | "static" | "struct"
        | "trait" | "true" | "try" | "type" | "unsafe" | "use" | "where" | "while" | "abstract"
        | "become" | "box" | "do" | "final" | "macro" | "override" | "priv" | "typeof"
        | "unsized" | "virtual" | "yield" => format!("r#{snake}"),
        _ => snake,
    }
}

/// A method of the client or of `Api`; each template lays out the call of its side.
#[derive(Debug, Serialize)]
struct MethodView {
    /// The Rust function name: `sign_up_email`.
    name: String,
    /// The base of its type names: `SignUpEmail`.
    #[serde(rename = "type")]
    ty: String,
    /// `&self`, the path parameters, the body, the query (and the server's `headers`).
    params: Vec<String>,
    /// `GET` or `POST`; `variant` is `Get` or `Post`.
    http: &'static str,
    variant: &'static str,
    /// The path as registered (`/reset-password/:token`), and as a Rust string literal.
    path: &'static str,
    path_literal: String,
    /// A sentence on the session it needs, with a leading space, or nothing.
    access: &'static str,
    /// Expressions of the JSON query and body, `Option<serde_json::Value>`.
    query: &'static str,
    body: &'static str,
    /// Client: the path's segments as Rust expressions; the reader of the answer (`json`,
    /// `redirected` or `text`).
    segments: Vec<String>,
    reply: &'static str,
    /// Server: the path parameters, as `("name", value)` pairs.
    named: Vec<String>,
}

fn methods(
    schema: &Schema,
    endpoints: &[Endpoint],
    side: Side,
) -> Result<Vec<MethodView>, EmitError> {
    endpoints
        .iter()
        .map(|endpoint| method(schema, endpoint, endpoints, side))
        .collect()
}

fn method(
    schema: &Schema,
    endpoint: &Endpoint,
    all: &[Endpoint],
    side: Side,
) -> Result<MethodView, EmitError> {
    let name = operation_name(endpoint, all);
    let ty = name.to_upper_camel_case();
    let mut params = vec!["&self".to_owned()];
    for parameter in path_parameters(endpoint.path) {
        params.push(format!("{}: &str", field_name(parameter)));
    }
    let body = match &endpoint.body {
        RequestBody::None => "None",
        RequestBody::Json(shape) | RequestBody::JsonOrForm(shape) => {
            // Checked here so a shape the generator cannot name fails generation, not compilation.
            resolved(shape.resolve_inputs(schema))?;
            params.push(format!("body: &{ty}Body"));
            "Some(to_json(body)?)"
        }
    };
    let query = match &endpoint.query {
        Some(shape) if shape.all_optional() => {
            params.push(format!("query: Option<&{ty}Query>"));
            "query.map(to_json).transpose()?"
        }
        Some(_) => {
            params.push(format!("query: &{ty}Query"));
            "Some(to_json(query)?)"
        }
        None => "None",
    };
    if side == Side::Server {
        params.push("headers: &HeaderMap".to_owned());
    }
    let (http, variant) = match endpoint.method {
        Method::Get => ("GET", "Get"),
        Method::Post => ("POST", "Post"),
    };
    Ok(MethodView {
        name: field_name(&name),
        ty,
        params,
        http,
        variant,
        path: endpoint.path,
        path_literal: format!("{:?}", endpoint.path),
        access: match endpoint.access {
            Access::Public => "",
            Access::Optional => " Uses the session when there is one.",
            Access::Session | Access::Sensitive => " Needs a session.",
            Access::Fresh => " Needs a fresh session.",
        },
        query,
        body,
        segments: endpoint
            .path
            .split('/')
            .filter(|segment| !segment.is_empty())
            .map(|segment| match segment.strip_prefix(':') {
                Some(parameter) => field_name(parameter),
                None => format!("{segment:?}"),
            })
            .collect(),
        reply: match endpoint.reply {
            Reply::Redirect => "redirected",
            Reply::Html | Reply::Script => "text",
            Reply::Json(_) | Reply::JsonOrRedirect(_) => "json",
        },
        named: path_parameters(endpoint.path)
            .into_iter()
            .map(|parameter| format!("({parameter:?}, {})", field_name(parameter)))
            .collect(),
    })
}
