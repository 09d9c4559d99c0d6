//! The app's icons live in the top-level `icons/`; `src-tauri/tauri.conf.json`
//! names them from there. `generate_context!` embeds the first PNG of the
//! list as the default window icon, so every listed file must exist and be a
//! square RGBA PNG of the size its name promises.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

fn config_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn bundle_icons() -> Vec<String> {
    let text = std::fs::read_to_string(config_dir().join("tauri.conf.json")).unwrap();
    let config: serde_json::Value = serde_json::from_str(&text).unwrap();
    config["bundle"]["icon"]
        .as_array()
        .expect("bundle.icon is a list")
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn every_bundle_icon_is_a_png_in_the_top_level_icons_folder() {
    let icons = bundle_icons();
    assert!(!icons.is_empty());
    let top = config_dir().join("../icons").canonicalize().unwrap();
    for name in &icons {
        let path = config_dir()
            .join(name)
            .canonicalize()
            .unwrap_or_else(|e| panic!("{name} (relative to src-tauri/) does not resolve: {e}"));
        assert_eq!(
            path.parent(),
            Some(top.as_path()),
            "{name} is not in icons/"
        );
        let img = image::open(&path).unwrap();
        assert_eq!(img.width(), img.height(), "{name} is not square");
        assert!(img.color().has_alpha(), "{name} has no alpha channel");
        if let Some((w, _)) = path
            .file_stem()
            .and_then(|s| s.to_str())
            .and_then(|s| s.split_once('x'))
        {
            assert_eq!(w.parse::<u32>().unwrap(), img.width(), "{name}");
        }
    }
}

#[test]
fn the_default_window_icon_is_the_small_png() {
    // tauri-codegen takes the first `.png` of bundle.icon on Linux.
    let first_png = bundle_icons()
        .into_iter()
        .find(|i| i.ends_with(".png"))
        .unwrap();
    assert_eq!(first_png, "../icons/32x32.png");
}
