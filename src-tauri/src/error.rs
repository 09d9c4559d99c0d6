//! Commands answer errors in the use cases' one shape ([`PosError`]: a
//! stable code, a message, the field, the sale a failed charge left), built
//! from typed errors only, so no secret can ride along.

use easyqr_pos_core::{ErrorCode, PosError};

pub type CommandError = PosError;

/// A window the shell could not open.
pub fn window_error(e: tauri::Error) -> CommandError {
    PosError::new(ErrorCode::WindowError, e.to_string())
}
