//! The app's windows. Labels come from one enum so capabilities, events and
//! code agree; the customer display is placed from Rust (built hidden, put
//! on the chosen monitor, then shown).

use easyqr_app_core::layout::{side_by_side, Rect};
use easyqr_app_core::monitor::{place_customer_display, MonitorInfo, Placement};
use tauri::{AppHandle, Manager, WebviewUrl, WebviewWindow, WebviewWindowBuilder};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowId {
    Cashier,
    Customer,
    /// DEMO only: the customer's phone, showing the simulator's pay page.
    Phone,
}

impl WindowId {
    pub const fn label(self) -> &'static str {
        match self {
            WindowId::Cashier => "cashier",
            WindowId::Customer => "customer",
            WindowId::Phone => "phone",
        }
    }
}

/// Monitors as the pure placement function sees them.
pub fn monitors(app: &AppHandle) -> Vec<MonitorInfo> {
    let primary = app
        .primary_monitor()
        .ok()
        .flatten()
        .map(|m| (*m.position(), *m.size()));
    app.available_monitors()
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(index, m)| MonitorInfo {
            index,
            name: m.name().cloned(),
            x: m.position().x,
            y: m.position().y,
            width: m.size().width,
            height: m.size().height,
            scale: m.scale_factor(),
            primary: primary == Some((*m.position(), *m.size())),
        })
        .collect()
}

pub fn open_cashier(app: &AppHandle) -> tauri::Result<WebviewWindow> {
    WebviewWindowBuilder::new(
        app,
        WindowId::Cashier.label(),
        WebviewUrl::App("cashier.html".into()),
    )
    .title("EasyQR POS")
    .inner_size(1280.0, 800.0)
    .min_inner_size(1024.0, 680.0)
    .build()
}

/// Opens the customer display: fullscreen on the chosen monitor, or a
/// normal window when there is no second screen. On Linux it shares the
/// cashier's WebKit web process (a related view): one web process instead
/// of two is the largest memory saving there is. It is built once the
/// cashier's webview exists, on the main thread.
pub fn open_customer(app: &AppHandle, setting: Option<u32>) -> tauri::Result<()> {
    let Some(cashier) = app.get_webview_window(WindowId::Cashier.label()) else {
        return build_customer(app, setting, |b| b);
    };
    let app = app.clone();
    cashier.with_webview(move |view| {
        #[cfg(target_os = "linux")]
        document_viewer_cache(&view.inner());
        let built = build_customer(&app, setting, |b| {
            #[cfg(target_os = "linux")]
            let b = b.with_related_view(view.inner());
            #[cfg(not(target_os = "linux"))]
            let _ = &view;
            b
        });
        if let Err(e) = built {
            tracing::error!(error = %e, "the customer display could not be opened");
        }
    })
}

/// Two local pages need no web cache: WebKit's smallest cache model keeps
/// the shared web process small.
#[cfg(target_os = "linux")]
fn document_viewer_cache(view: &webkit2gtk::WebView) {
    use webkit2gtk::{CacheModel, WebContextExt, WebViewExt};
    if let Some(ctx) = view.context() {
        ctx.set_cache_model(CacheModel::DocumentViewer);
    }
}

type Builder<'a> = WebviewWindowBuilder<'a, tauri::Wry, AppHandle>;

fn build_customer(
    app: &AppHandle,
    setting: Option<u32>,
    share: impl FnOnce(Builder<'_>) -> Builder<'_>,
) -> tauri::Result<()> {
    let builder = WebviewWindowBuilder::new(
        app,
        WindowId::Customer.label(),
        WebviewUrl::App("customer.html".into()),
    )
    .title("EasyQR POS — Customer")
    .inner_size(800.0, 600.0)
    .visible(false);
    let window = share(builder).build()?;
    place_customer(app, &window, setting)?;
    window.show()?;
    Ok(())
}

/// Puts the customer display where the setting and the connected monitors
/// say (at start, and again when the setting changes).
pub fn place_customer(
    app: &AppHandle,
    window: &WebviewWindow,
    setting: Option<u32>,
) -> tauri::Result<()> {
    let all = monitors(app);
    let cashier_on = app
        .get_webview_window(WindowId::Cashier.label())
        .and_then(|w| w.current_monitor().ok().flatten())
        .and_then(|cm| {
            all.iter()
                .find(|m| m.x == cm.position().x && m.y == cm.position().y)
                .map(|m| m.index)
        });
    let placement = place_customer_display(&all, setting, cashier_on);
    tracing::info!(?placement, "customer display placement");
    match placement {
        Placement::Fullscreen { x, y, .. } => {
            window.set_fullscreen(false)?;
            window.set_position(tauri::PhysicalPosition::new(x, y))?;
            window.set_fullscreen(true)?;
        }
        Placement::Windowed { .. } => {
            window.set_fullscreen(false)?;
            beside_the_cashier(app, window)?;
        }
    }
    Ok(())
}

/// One screen: the cashier window on the left and the customer display on
/// the right of its work area, neither covering the other (`layout`).
fn beside_the_cashier(app: &AppHandle, customer: &WebviewWindow) -> tauri::Result<()> {
    let Some(cashier) = app.get_webview_window(WindowId::Cashier.label()) else {
        return Ok(());
    };
    let Some(monitor) = cashier.current_monitor()?.or(app.primary_monitor()?) else {
        return Ok(());
    };
    let work = monitor.work_area();
    let area = Rect {
        x: work.position.x,
        y: work.position.y,
        width: work.size.width,
        height: work.size.height,
    };
    let layout = side_by_side(area, monitor.scale_factor());
    if layout.overlap {
        tracing::warn!(
            ?area,
            "the screen is too narrow for both windows side by side"
        );
    }
    for (w, r) in [(&cashier, layout.cashier), (customer, layout.customer)] {
        // The rectangles are outer ones: the window manager's frame comes
        // off the inner size we ask for.
        let (outer, inner) = (w.outer_size()?, w.inner_size()?);
        let frame_w = outer.width.saturating_sub(inner.width);
        let frame_h = outer.height.saturating_sub(inner.height);
        w.set_size(tauri::PhysicalSize::new(
            r.width.saturating_sub(frame_w),
            r.height.saturating_sub(frame_h),
        ))?;
        w.set_position(tauri::PhysicalPosition::new(r.x, r.y))?;
    }
    Ok(())
}

/// DEMO: the customer's phone, as a small window on the pay page.
pub fn open_phone(app: &AppHandle, url: url::Url) -> tauri::Result<()> {
    if let Some(w) = app.get_webview_window(WindowId::Phone.label()) {
        w.navigate(url)?;
        w.set_focus()?;
        return Ok(());
    }
    // An external page: no capability names this window, so it has no IPC.
    WebviewWindowBuilder::new(app, WindowId::Phone.label(), WebviewUrl::External(url))
        .title("Customer's phone (DEMO)")
        .inner_size(400.0, 760.0)
        .build()?;
    Ok(())
}
