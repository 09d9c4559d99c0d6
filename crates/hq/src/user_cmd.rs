//! `easyqr-hq user …`: the head-office view's accounts. A password is
//! never a flag (flags show in `ps`): it is read from
//! `EASYQR_HQ_USER_PASSWORD` (scripts), else from a prompt that does not
//! echo when stdin is a terminal, else from the first line of stdin.

use std::io::{BufRead as _, IsTerminal as _, Write as _};

use clap::Subcommand;
use easyqr_hq::users::{self, Role};
use easyqr_hq::{Db, HqError};

pub const USER_PASSWORD_ENV: &str = "EASYQR_HQ_USER_PASSWORD";

#[derive(Subcommand)]
pub enum UserCmd {
    /// Creates a user. brand: sees every store; store: only its --store.
    Add {
        #[arg(long, value_parser = ["brand", "store"])]
        role: String,
        /// A store (locationId) a store user sees; repeat for several.
        #[arg(long = "store")]
        stores: Vec<String>,
        name: String,
    },
    /// Removes a user; its sessions end at once.
    Remove {
        name: String,
    },
    List,
    /// Sets a new password; the user's sessions end.
    Passwd {
        name: String,
    },
}

pub async fn run(db: &Db, cmd: UserCmd) -> Result<(), HqError> {
    match cmd {
        UserCmd::Add { role, stores, name } => {
            let role = Role::parse(&role)?;
            users::validate_name(&name)?;
            let password = read_password()?;
            users::add(db, &name, role, &stores, &password).await?;
            println!("user {name} ({}) added", role.as_str());
        }
        UserCmd::Remove { name } => {
            users::remove(db, &name).await?;
            println!("user {name} removed; its sessions ended");
        }
        UserCmd::List => {
            for u in users::list(db).await? {
                println!(
                    "{}",
                    serde_json::to_string(&u).map_err(|e| HqError::Config(e.to_string()))?
                );
            }
        }
        UserCmd::Passwd { name } => {
            let password = read_password()?;
            users::set_password(db, &name, &password).await?;
            println!("password of {name} changed; its sessions ended");
        }
    }
    Ok(())
}

fn read_password() -> Result<String, HqError> {
    if let Ok(p) = std::env::var(USER_PASSWORD_ENV) {
        // This process starts nothing and exits once the user is stored.
        return Ok(p);
    }
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        let mut line = String::new();
        stdin
            .lock()
            .read_line(&mut line)
            .map_err(|e| HqError::Config(format!("password from stdin: {e}")))?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_owned());
    }
    let first = prompt("Password: ")?;
    users::validate_password(&first)?;
    if prompt("Again: ")? != first {
        return Err(HqError::Invalid("password: the two entries differ".into()));
    }
    Ok(first)
}

/// One line from the terminal with echo off (`stty`), restored after.
fn prompt(label: &str) -> Result<String, HqError> {
    let stty = |arg: &str| {
        std::process::Command::new("stty")
            .arg(arg)
            .stdin(std::process::Stdio::inherit())
            .status()
            .is_ok_and(|s| s.success())
    };
    eprint!("{label}");
    let _ = std::io::stderr().flush();
    if !stty("-echo") {
        return Err(HqError::Config(format!(
            "cannot turn off echo on this terminal; give the password in {USER_PASSWORD_ENV} or on stdin"
        )));
    }
    let mut line = String::new();
    let read = std::io::stdin().lock().read_line(&mut line);
    stty("echo");
    eprintln!();
    read.map_err(|e| HqError::Config(format!("password: {e}")))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}
