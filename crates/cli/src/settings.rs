//! `easyqr-cli settings get [KEY]` / `settings set KEY VALUE`: the data
//! folder's settings by dotted key, checked by the app's own rules.

use easyqr_pos_core::{config, settings_keys, PosError};
use serde_json::json;

use crate::args::{Cli, SettingsAction};
use crate::run::print;

pub fn run(cli: &Cli, action: &SettingsAction) -> Result<u8, PosError> {
    let dir = config::data_dir(cli.data_dir.as_deref())?;
    match action {
        SettingsAction::Get { key } => {
            let loaded = easyqr_app_core::settings::SettingsStore::new(&dir)
                .load()
                .map_err(|e| {
                    PosError::new(easyqr_pos_core::ErrorCode::SettingsIo, e.to_string())
                })?;
            let v = settings_keys::get(&loaded.settings, key.as_deref())?;
            print(match key {
                Some(k) => json!({ k.as_str(): v }),
                None => v,
            });
        }
        SettingsAction::Set { key, value } => {
            let (saved, warnings) = settings_keys::set(&dir, key, value)?;
            for w in &warnings {
                eprintln!("warning: {}", w.message);
            }
            print(
                json!({ key.as_str(): settings_keys::get(&saved, Some(key))?, "warnings": warnings }),
            );
        }
    }
    Ok(0)
}
