//! `auth.toml`: the documented reference parses, every kind of mistake gets `file:line:col`, what
//! is wrong and what to do, and no input at all — random or a mutation of a valid file — makes
//! the parser or the schema builder panic.

use crate::support;

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use auth_core::{Config, ConfigError, Schema};
use proptest::prelude::*;

fn check(source: &str) -> Result<Schema, ConfigError> {
    Config::parse("auth.toml", source).and_then(|config| Schema::build(&config))
}

#[test]
fn reference_file_parses_and_builds() {
    let schema = support::schema("templates/auth.reference.toml");
    let users = schema
        .table("users")
        .unwrap_or_else(|| panic!("no users table"));
    for column in [
        "plan",
        "tenantId",
        "credits",
        "tags",
        "trialEndsAt",
        "created_at",
    ] {
        assert!(users.column(column).is_some(), "{column}");
    }
    assert!(schema.model("rateLimit").is_some());
    assert!(schema.model("subscription").is_some());
}

#[test]
fn examples_parse_and_build() {
    for path in ["examples/quickstart/auth.toml", "examples/full/auth.toml"] {
        support::schema(path);
    }
}

/// Every configuration the repository ships: the reference and each example's.
fn shipped_configs() -> Vec<PathBuf> {
    let root = support::root();
    let mut configs = vec![root.join("templates/auth.reference.toml")];
    let examples = std::fs::read_dir(root.join("examples")).unwrap_or_else(|e| panic!("{e}"));
    for example in examples {
        let config = example
            .unwrap_or_else(|e| panic!("{e}"))
            .path()
            .join("auth.toml");
        if config.exists() {
            configs.push(config);
        }
    }
    configs.sort();
    configs
}

/// `taplo check` (npm `@taplo/cli`, the TOML language server's checker) on `files`, each
/// checked against the JSON Schema its `#:schema` line names; its output on failure.
fn taplo(files: &[PathBuf]) -> Result<(), String> {
    let js = support::root().join("tests/js");
    support::d1::ensure_installed(&js).unwrap_or_else(|e| panic!("npm ci in tests/js: {e}"));
    let mut command = Command::new("node");
    command
        .arg(js.join("node_modules/@taplo/cli/dist/cli.js"))
        .arg("check")
        .args(files)
        .env("RUST_LOG", "error");
    let scratch = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let run = support::d1::run(command, scratch.path(), Duration::from_secs(120))
        .unwrap_or_else(|e| panic!("{e}"));
    if run.success { Ok(()) } else { Err(run.text) }
}

#[test]
fn every_shipped_config_names_the_schema_and_passes_taplo() {
    let configs = shipped_configs();
    assert!(configs.len() >= 5, "{configs:?}");
    for config in &configs {
        let text = std::fs::read_to_string(config).unwrap_or_else(|e| panic!("{e}"));
        let first = text.lines().next().unwrap_or_default();
        let named = first
            .strip_prefix("#:schema ")
            .map(|path| config.parent().map(|dir| dir.join(path)));
        let schema = support::root().join("templates/auth.schema.json");
        assert!(
            named.flatten().and_then(|p| p.canonicalize().ok()) == schema.canonicalize().ok(),
            "{}: the first line must be `#:schema <path of templates/auth.schema.json>`, not `{first}`",
            config.display()
        );
    }
    taplo(&configs).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn taplo_refuses_a_broken_config_naming_the_key() {
    let schema = support::root().join("templates/auth.schema.json");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let cases = [
        (
            "unknown key",
            "[session]\nexpires-in = 3600\nrefresh-age = 60\n",
            "refresh-age",
        ),
        ("unknown plugin", "[plugins.two-factr]\n", "two-factr"),
        (
            "wrong type",
            "[email-and-password]\nenabled = \"yes\"\n",
            "\"yes\"",
        ),
        ("bad value", "[database]\nnaming = \"kebab\"\n", "\"kebab\""),
        (
            "plugin option",
            "[plugins.api-key.rate-limit]\nmax-request = 5\n",
            "max-request",
        ),
    ];
    for (case, body, named) in cases {
        let file = dir.path().join(format!("{}.toml", case.replace(' ', "-")));
        std::fs::write(&file, format!("#:schema {}\n{body}", schema.display()))
            .unwrap_or_else(|e| panic!("{e}"));
        let error = taplo(std::slice::from_ref(&file))
            .err()
            .unwrap_or_else(|| panic!("{case}: taplo passed"));
        assert!(
            error.contains(named) && error.contains(&format!("{}:", file.display())),
            "{case}: taplo's report does not name `{named}` at file:line:\n{error}"
        );
    }
}

/// Every kind of mistake, with the exact message a user sees (reviewed in the snapshot).
#[test]
fn error_messages() {
    let cases = [
        ("invalid TOML", "[plugins.two-factor\n"),
        ("unknown top-level key", "[databse]\nnaming = \"snake\"\n"),
        ("unknown key in a table", "[database]\nnamig = \"snake\"\n"),
        ("bad value", "[database]\nnaming = \"kebab\"\n"),
        (
            "wrong value type",
            "[email-and-password]\nenabled = \"yes\"\n",
        ),
        ("unknown plugin", "[plugins.two-factr]\n"),
        ("camelCase plugin id", "[plugins.twoFactor]\n"),
        ("retired plugin", "[plugins.oidc-provider]\n"),
        (
            "unknown plugin option",
            "[plugins.organization]\nteam = true\n",
        ),
        (
            "option on a plugin without options",
            "[plugins.siwe]\nrp-id = \"example.com\"\n",
        ),
        (
            "bad field type",
            "[models.user.fields.plan]\ntype = \"text\"\n",
        ),
        (
            "missing field type",
            "[models.user.fields.plan]\nrequired = true\n",
        ),
        (
            "unknown field attribute",
            "[models.user.fields.plan]\ntype = \"string\"\nnullable = true\n",
        ),
        (
            "collision with core",
            "[models.user.fields.email]\ntype = \"string\"\n",
        ),
        (
            "collision with plugin",
            "[plugins.admin]\n[models.user.fields.banned]\ntype = \"boolean\"\n",
        ),
        (
            "unknown model",
            "[models.users.fields.plan]\ntype = \"string\"\n",
        ),
        (
            "model of a disabled plugin",
            "[models.member]\ntable = \"members\"\n",
        ),
        (
            "reference to a missing model",
            "[models.user.fields.orgId]\ntype = \"string\"\nreferences = { model = \"organization\" }\n",
        ),
        (
            "reference to a missing field",
            "[models.user.fields.s]\ntype = \"string\"\nreferences = { model = \"session\", field = \"tokn\" }\n",
        ),
        (
            "unique with a default",
            "[models.user.fields.code]\ntype = \"string\"\nunique = true\ndefault = \"x\"\n",
        ),
        (
            "bad default",
            "[models.user.fields.credits]\ntype = \"number\"\ndefault = \"ten\"\n",
        ),
        (
            "set null on required",
            "[models.user.fields.s]\ntype = \"string\"\nrequired = true\nreferences = { model = \"session\", on-delete = \"set null\" }\n",
        ),
        (
            "unwritable field",
            "[models.user.fields.secret]\ntype = \"string\"\nrequired = true\ninput = false\n",
        ),
        (
            "secondary storage without url",
            "[secondary-storage]\nkind = \"redis\"\n",
        ),
        (
            "redis key prefix on an in-memory storage",
            "[secondary-storage]\nkind = \"memory\"\nkey-prefix = \"app:\"\n",
        ),
        (
            "oauth-provider without sessions in the database",
            "[secondary-storage]\nkind = \"memory\"\n[plugins.oauth-provider]\n",
        ),
        (
            "rename of an unknown column",
            "[models.user.columns]\nmail = \"email_address\"\n",
        ),
        (
            "invalid column name",
            "[models.user.columns]\nemail = \"e-mail\"\n",
        ),
        ("rate-limit window of zero", "[rate-limit]\nwindow = 0\n"),
        (
            "rate-limit rule set to true",
            "[rate-limit.rules]\n\"/get-session\" = true\n",
        ),
        (
            "rate-limit rule with an unknown key",
            "[rate-limit.rules]\n\"/sign-in/*\" = { window = 60, maximum = 5 }\n",
        ),
        (
            "rate-limit rule path without a slash",
            "[rate-limit.rules]\n\"sign-in/*\" = { window = 60, max = 5 }\n",
        ),
        (
            "rate-limit rule of zero requests",
            "[rate-limit.rules]\n\"/sign-in/*\" = { window = 60, max = 0 }\n",
        ),
        (
            "mail queue of zero mails",
            "[mailer]\nkind = \"smtp\"\nurl = \"smtp://127.0.0.1:25\"\nfrom = \"auth@example.com\"\nqueue-capacity = 0\n",
        ),
        (
            "sms webhook without a url",
            "[sms]\nkind = \"webhook\"\ntimeout = 5\n",
        ),
        (
            "sms of zero attempts",
            "[sms]\nkind = \"log\"\nattempts = 0\n",
        ),
        (
            "phone-number template with an unknown placeholder",
            "[plugins.phone-number.sign-up-on-verification]\ntemp-email = \"{number}@phone.example.com\"\n",
        ),
        (
            "trusted proxy that is not an address or range",
            "[advanced]\ntrusted-proxies = [\"127.0.0.1\", \"10.0.0.0/33\"]\n",
        ),
        (
            "a number given as a string",
            "[rate-limit]\nmax = \"100\"\n",
        ),
        ("a negative number", "[session]\nexpires-in = -1\n"),
        (
            "several problems at once, in file order",
            "[databse]\nnaming = \"snake\"\n\n[rate-limit]\nmax = \"100\"\n\n[plugins.twoFactor]\n\n[email-and-password]\nenabled = true\nreset-password = true\n",
        ),
        (
            "a problem inside a table with another after it",
            "[mailer]\nkind = \"smtpx\"\nurl = \"smtp://127.0.0.1:25\"\n\n[session]\nfresh-age = \"1d\"\n",
        ),
    ];
    let mut out = String::new();
    for (what, source) in cases {
        let error = match check(source) {
            Ok(_) => panic!("{what}: accepted"),
            Err(error) => error,
        };
        let location = error
            .location()
            .unwrap_or_else(|| panic!("{what}: no location"));
        assert!(location.line >= 1 && location.column >= 1, "{what}");
        assert!(
            !error.help().unwrap_or_default().is_empty(),
            "{what}: no help"
        );
        out.push_str(&format!(
            "{what}\n  {error}\n  help: {}\n",
            error.help().unwrap_or_default()
        ));
    }
    insta::assert_snapshot!(out);
}

/// Lines of a valid file to mutate.
fn seed() -> String {
    std::fs::read_to_string(support::root().join("templates/auth.reference.toml"))
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The invariant for any input: a schema, or an error that points inside the file.
fn assert_no_panic_and_located(source: &str) {
    if let Err(error) = check(source) {
        let location = error
            .location()
            .unwrap_or_else(|| panic!("no location: {error}"));
        assert!(location.span.start <= source.len() && location.span.end <= source.len());
        let lines = source.split('\n').count().max(1);
        assert!(
            location.line >= 1 && location.line <= lines,
            "{error} (file has {lines} lines)"
        );
        assert!(location.column >= 1);
        assert!(!error.message().is_empty());
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    DeleteLine(usize),
    DuplicateLine(usize),
    SwapLines(usize, usize),
    Truncate(usize),
    InsertText(usize, String),
    ReplaceValue(usize, String),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let token = prop_oneof![
        Just("\"".to_owned()),
        Just("[".to_owned()),
        Just("]".to_owned()),
        Just("=".to_owned()),
        Just("\n[models.user.fields.x]\n".to_owned()),
        Just("{".to_owned()),
        Just("true".to_owned()),
        Just("\"string[]\"".to_owned()),
        Just("-1".to_owned()),
        Just("é".to_owned()),
        "[ -~]{0,12}",
    ];
    let value = prop_oneof![
        Just("\"\"".to_owned()),
        Just("true".to_owned()),
        Just("12".to_owned()),
        Just("[1, \"a\"]".to_owned()),
        Just("{ model = \"nope\" }".to_owned()),
        Just("\"now\"".to_owned()),
        Just("\"user\"".to_owned()),
        "\"[a-z_ ]{0,10}\"",
    ];
    prop_oneof![
        any::<usize>().prop_map(Mutation::DeleteLine),
        any::<usize>().prop_map(Mutation::DuplicateLine),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), token).prop_map(|(at, text)| Mutation::InsertText(at, text)),
        (any::<usize>(), value).prop_map(|(at, v)| Mutation::ReplaceValue(at, v)),
    ]
}

fn apply(source: &str, mutation: &Mutation) -> String {
    let mut lines: Vec<String> = source.lines().map(str::to_owned).collect();
    let n = lines.len().max(1);
    match mutation {
        Mutation::DeleteLine(i) => {
            if !lines.is_empty() {
                lines.remove(i % n);
            }
        }
        Mutation::DuplicateLine(i) => {
            if let Some(line) = lines.get(i % n).cloned() {
                lines.insert(i % n, line);
            }
        }
        Mutation::SwapLines(a, b) => {
            if !lines.is_empty() {
                lines.swap(a % n, b % n);
            }
        }
        Mutation::Truncate(at) => {
            let text = lines.join("\n");
            let mut cut = at % (text.len() + 1);
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            return text[..cut].to_owned();
        }
        Mutation::InsertText(at, insert) => {
            let text = lines.join("\n");
            let mut cut = at % (text.len() + 1);
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            return format!("{}{insert}{}", &text[..cut], &text[cut..]);
        }
        Mutation::ReplaceValue(i, value) => {
            let candidates: Vec<usize> = (0..lines.len())
                .filter(|j| lines[*j].contains(" = "))
                .collect();
            if let Some(j) = candidates.get(i % candidates.len().max(1)) {
                let key = lines[*j].split(" = ").next().unwrap_or_default().to_owned();
                lines[*j] = format!("{key} = {value}");
            }
        }
    }
    lines.join("\n")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(source in "\\PC{0,200}") {
        assert_no_panic_and_located(&source);
    }

    #[test]
    fn toml_shaped_text_never_panics(
        source in "(\\[(plugins|models|database|rate-limit)(\\.[a-zA-Z-]{1,12}){0,3}\\]\n([a-z-]{1,10} = (\"[a-z\\[\\] ]{0,8}\"|true|[0-9]{1,3}|\\{ model = \"[a-z]{1,6}\" \\})\n){0,3}){0,6}"
    ) {
        assert_no_panic_and_located(&source);
    }

    #[test]
    fn mutated_reference_never_panics(mutations in proptest::collection::vec(mutation(), 1..6)) {
        let mut source = seed();
        for m in &mutations {
            source = apply(&source, m);
        }
        assert_no_panic_and_located(&source);
    }
}
