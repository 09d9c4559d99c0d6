//! One app per data folder. The writer lock (see `AppContext::start`) is the
//! guarantee; this socket only makes a second launch useful: it asks the
//! running app to bring its cashier window to the front, then exits.

use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

use tauri::{AppHandle, Manager};

use crate::windows::WindowId;

fn socket_path(data_dir: &Path) -> PathBuf {
    data_dir.join("easyqr-pos.sock")
}

/// Second launch: ask the running app to show itself. True if it answered.
pub fn wake_running_app(data_dir: &Path) -> bool {
    let Ok(mut s) = UnixStream::connect(socket_path(data_dir)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(b"show\n").is_err() {
        return false;
    }
    let mut answer = [0u8; 3];
    s.read_exact(&mut answer).is_ok() && &answer == b"ok\n"
}

/// First launch: listen for later launches. Only called while holding the
/// app lock, so a leftover socket file from a crash can be replaced.
pub fn listen(app: AppHandle, data_dir: &Path) {
    let path = socket_path(data_dir);
    let _ = std::fs::remove_file(&path);
    let listener = match UnixListener::bind(&path) {
        Ok(l) => l,
        Err(e) => {
            tracing::warn!(error = %e, "no single-instance socket; a second launch will only be refused");
            return;
        }
    };
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            // A peer that connects and says nothing must not stall the
            // loop for every later launch.
            let _ = conn.set_read_timeout(Some(Duration::from_secs(2)));
            let _ = conn.set_write_timeout(Some(Duration::from_secs(2)));
            let mut buf = [0u8; 5];
            if conn.read_exact(&mut buf).is_ok() && &buf == b"show\n" {
                if let Some(w) = app.get_webview_window(WindowId::Cashier.label()) {
                    let _ = w.unminimize();
                    let _ = w.show();
                    let _ = w.set_focus();
                }
                let _ = conn.write_all(b"ok\n");
            }
        }
    });
}
