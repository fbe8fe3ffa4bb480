//! Starting and stopping Chromium, and fresh profiles for each visit.
//!
//! One browser process per scan; each page and phase gets its own browser context (what
//! DevTools calls an incognito context: its own cookie jar, storage and cache). That is as fresh
//! as a new `--user-data-dir` for what the scanner observes, and costs milliseconds instead of a
//! process start (about a second on this machine). Third-party cookies stay allowed (a typical
//! visitor's Chrome), and site isolation is switched off so every frame's network events and
//! storage are reachable from the page's own DevTools session.

use std::path::{Path, PathBuf};

use chromiumoxide::cdp::browser_protocol::target::{CreateBrowserContextParams, CreateTargetParams};
use chromiumoxide::cdp::browser_protocol::browser::BrowserContextId;
use chromiumoxide::{Browser, BrowserConfig, Page};
use futures::StreamExt;
use tokio::task::JoinHandle;

use crate::ScanError;

/// The Debian package's binary.
pub const DEFAULT_CHROMIUM: &str = "/usr/bin/chromium";

/// Command-line switches, written without `--` (the driver adds it): quiet, no background traffic of the browser's own,
/// frames of every site in the page's process.
const SWITCHES: [&str; 12] = [
    "disable-gpu",
    "disable-quic",
    "no-first-run",
    "no-default-browser-check",
    "disable-background-networking",
    "disable-component-update",
    "disable-sync",
    "disable-dev-shm-usage",
    "password-store=basic",
    "use-mock-keychain",
    "disable-site-isolation-trials",
    "disable-renderer-backgrounding",
];

const DISABLED_FEATURES: [&str; 7] = [
    "IsolateOrigins",
    "site-per-process",
    "SitePerProcess",
    "Translate",
    "OptimizationHints",
    "MediaRouter",
    "ThirdPartyStoragePartitioning",
];

/// A running Chromium and the task that pumps its DevTools connection.
pub struct Chromium {
    browser: Browser,
    handler: JoinHandle<()>,
    /// Holds the profile directory for as long as the browser runs.
    _profile: tempfile_dir::TempProfile,
}

impl Chromium {
    /// Starts Chromium headless with a throw-away profile directory.
    pub async fn launch(executable: &Path) -> Result<Chromium, ScanError> {
        if !executable.exists() {
            return Err(ScanError::NoBrowser(executable.to_path_buf()));
        }
        let profile = tempfile_dir::TempProfile::new()?;
        allow_third_party_cookies(profile.path())?;
        let config = BrowserConfig::builder()
            .chrome_executable(executable)
            .user_data_dir(profile.path())
            .no_sandbox()
            .disable_default_args()
            .new_headless_mode()
            .args(SWITCHES)
            .arg(("disable-features", DISABLED_FEATURES.join(",").as_str()))
            .build()
            .map_err(ScanError::Launch)?;
        let (browser, mut handler) =
            Browser::launch(config).await.map_err(|e| ScanError::Launch(e.to_string()))?;
        let handler = tokio::spawn(async move {
            // Events Chromium sends that this driver's protocol version does not know are
            // reported as errors; they concern nobody here, so the loop goes on.
            while let Some(event) = handler.next().await {
                if let Err(error) = event {
                    tracing::trace!(%error, "devtools message not understood");
                }
            }
        });
        Ok(Chromium { browser, handler, _profile: profile })
    }

    /// Product and version, e.g. `Chrome/156.0.8078.79`.
    pub async fn version(&self) -> String {
        match self.browser.version().await {
            Ok(v) => v.product,
            Err(_) => "unknown".to_owned(),
        }
    }

    /// A fresh, empty profile with one blank tab in it.
    pub async fn fresh_tab(&self) -> Result<Tab, ScanError> {
        let context = self
            .browser
            .create_browser_context(CreateBrowserContextParams::default())
            .await
            .map_err(ScanError::browser("create a browser context"))?;
        let target = CreateTargetParams::builder()
            .url("about:blank")
            .browser_context_id(context.clone())
            .build()
            .map_err(ScanError::Launch)?;
        let page = match self.browser.new_page(target).await {
            Ok(page) => page,
            Err(error) => {
                let _ = self.browser.dispose_browser_context(context).await;
                return Err(ScanError::browser("open a tab")(error));
            }
        };
        Ok(Tab { page, context })
    }

    /// Disposes one fresh profile and everything in it.
    pub async fn close_tab(&self, tab: Tab) {
        let Tab { page, context } = tab;
        let _ = page.close().await;
        let _ = self.browser.dispose_browser_context(context).await;
    }

    /// Closes the browser and waits for its process to end.
    pub async fn close(mut self) {
        let _ = self.browser.close().await;
        let _ = self.browser.wait().await;
        self.handler.abort();
    }

    pub(crate) fn browser(&self) -> &Browser {
        &self.browser
    }
}

/// Chrome's default blocks third-party cookies in incognito contexts ("cookie controls mode"
/// 2); an ordinary visitor's browser allows them, so the scanner's profile switches that off.
fn allow_third_party_cookies(profile: &Path) -> std::io::Result<()> {
    let default = profile.join("Default");
    std::fs::create_dir_all(&default)?;
    std::fs::write(
        default.join("Preferences"),
        r#"{"profile":{"cookie_controls_mode":0,"block_third_party_cookies":false}}"#,
    )
}

/// A tab in a profile of its own.
pub struct Tab {
    pub page: Page,
    pub context: BrowserContextId,
}

/// The default executable, or `KAPSEL_CHROMIUM` when set.
pub fn chromium_path() -> PathBuf {
    std::env::var_os("KAPSEL_CHROMIUM").map_or_else(|| PathBuf::from(DEFAULT_CHROMIUM), PathBuf::from)
}

/// A throw-away profile directory, removed on drop.
mod tempfile_dir {
    use std::path::{Path, PathBuf};

    pub struct TempProfile(PathBuf);

    impl TempProfile {
        pub fn new() -> std::io::Result<TempProfile> {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default();
            let dir = std::env::temp_dir().join(format!("kapsel-scan-{}-{nanos}", std::process::id()));
            std::fs::create_dir_all(&dir)?;
            Ok(TempProfile(dir))
        }
        pub fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for TempProfile {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}
