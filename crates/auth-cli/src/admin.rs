//! `admin grant`: gives a user a role through the server's own code (their sessions' stored
//! copies of the user change too), for the first admin, whom no admin can promote over HTTP.

use std::io::Write;

use auth_core::Config;
use auth_runtime::Secret;
use auth_runtime::migrate::DatabaseUrl;
use auth_runtime::{Auth, AuthOptions};

use crate::opt::AdminGrantOpt;
use crate::{CliError, stdout_error};

pub(crate) async fn grant(opt: &AdminGrantOpt, stdout: &mut dyn Write) -> Result<(), CliError> {
    let config = Config::load(&opt.config)?;
    if config.plugins.admin.is_none() {
        return Err(CliError::Grant(format!(
            "{} does not enable the admin plugin: add [plugins.admin]",
            opt.config.display()
        )));
    }
    let url = DatabaseUrl::parse(&opt.database_url)?;
    // The server is built to write through its own code; it signs nothing and serves nothing,
    // so a secret of its own and a placeholder URL do.
    let secret = Secret::new(Secret::generate()).map_err(CliError::Secret)?;
    let options = AuthOptions {
        base_url: Some("http://127.0.0.1".to_owned()),
        ..AuthOptions::default()
    };
    let auth = Auth::connect(config, url.dialect(), &url.to_string(), secret, options)
        .await
        .map_err(|e| CliError::Grant(e.to_string()))?;
    let granted = auth
        .grant_role(&opt.user, &opt.role)
        .await
        .map_err(|e| CliError::Grant(e.message))?;
    writeln!(
        stdout,
        "{} ({}) now has the role {}",
        granted.email, granted.id, opt.role
    )
    .map_err(stdout_error)
}
