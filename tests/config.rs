//! `auth.toml`: the documented reference parses, every kind of mistake gets `file:line:col`, what
//! is wrong and what to do, and no input at all — random or a mutation of a valid file — makes
//! the parser or the schema builder panic.

use crate::support;

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
