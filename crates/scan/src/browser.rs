//! Starting and stopping Chromium, and fresh profiles for each visit.
//!
//! One browser process per scan; each page and phase gets its own browser context (what
//! DevTools calls an incognito context: its own cookie jar, storage and cache). That is as fresh
//! as a new `--user-data-dir` for what the scanner observes, and costs milliseconds instead of a
//! process start (about a second on this machine). Third-party cookies stay allowed (a typical
//! visitor's Chrome), and site isolation is switched off so every frame's network events and
//! storage are reachable from the page's own DevTools session.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chromiumoxide::cdp::browser_protocol::browser::BrowserContextId;
use chromiumoxide::cdp::browser_protocol::target::{
    CreateBrowserContextParams, CreateTargetParams,
};
use chromiumoxide::{Browser, BrowserConfig, Page};
use futures::StreamExt;
use tokio::sync::{Mutex, mpsc};
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

/// A running Chromium, the task that pumps its DevTools connection, and a few fresh tabs
/// prepared ahead (opening one takes a dozen DevTools round trips; done while other tabs wait
/// for their network to settle, it costs no time of its own).
pub struct Chromium {
    browser: Arc<Browser>,
    handler: JoinHandle<()>,
    ready: Mutex<mpsc::Receiver<Result<Tab, ScanError>>>,
    preparer: JoinHandle<()>,
    /// Holds the profile directory for as long as the browser runs.
    _profile: tempfile_dir::TempProfile,
}

/// How long Chromium may take to start and announce its DevTools address.
const LAUNCH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

impl Chromium {
    /// Starts Chromium headless with a throw-away profile directory, keeping `ahead` fresh tabs
    /// prepared.
    pub async fn launch(executable: &Path, ahead: usize) -> Result<Chromium, ScanError> {
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
            // chromiumoxide waits 20 s for the DevTools address by default; on a loaded machine
            // (a test suite starting several browsers on two cores) Chromium has taken longer.
            .launch_timeout(LAUNCH_TIMEOUT)
            .build()
            .map_err(ScanError::Launch)?;
        let (browser, mut handler) = Browser::launch(config)
            .await
            .map_err(|e| ScanError::Launch(e.to_string()))?;
        let handler = tokio::spawn(async move {
            // Events Chromium sends that this driver's protocol version does not know are
            // reported as errors; they concern nobody here, so the loop goes on.
            while let Some(event) = handler.next().await {
                if let Err(error) = event {
                    tracing::trace!(%error, "devtools message not understood");
                }
            }
        });
        let browser = Arc::new(browser);
        let (prepared, ready) = mpsc::channel(ahead.max(1));
        let preparing = Arc::clone(&browser);
        let preparer = tokio::spawn(async move {
            loop {
                let tab = open_fresh_tab(&preparing).await;
                if prepared.send(tab).await.is_err() {
                    return;
                }
            }
        });
        Ok(Chromium {
            browser,
            handler,
            ready: Mutex::new(ready),
            preparer,
            _profile: profile,
        })
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
        match self.ready.lock().await.recv().await {
            Some(tab) => tab,
            None => open_fresh_tab(&self.browser).await,
        }
    }

    /// Disposes one fresh profile and everything in it.
    pub async fn close_tab(&self, tab: Tab) {
        let Tab { page, context } = tab;
        let _ = page.close().await;
        let _ = self.browser.dispose_browser_context(context).await;
    }

    /// Closes the browser and waits for its process to end.
    pub async fn close(self) {
        let Chromium {
            browser,
            handler,
            ready,
            preparer,
            _profile,
        } = self;
        preparer.abort();
        let _ = preparer.await;
        drop(ready);
        if let Ok(mut browser) = Arc::try_unwrap(browser) {
            let _ = browser.close().await;
            let _ = browser.wait().await;
        }
        handler.abort();
    }

    pub(crate) fn browser(&self) -> &Browser {
        &self.browser
    }
}

/// A new browser context with one blank tab in it.
async fn open_fresh_tab(browser: &Browser) -> Result<Tab, ScanError> {
    let context = browser
        .create_browser_context(CreateBrowserContextParams::default())
        .await
        .map_err(ScanError::browser("create a browser context"))?;
    let target = CreateTargetParams::builder()
        .url("about:blank")
        .browser_context_id(context.clone())
        .build()
        .map_err(ScanError::Launch)?;
    match browser.new_page(target).await {
        Ok(page) => Ok(Tab { page, context }),
        Err(error) => {
            let _ = browser.dispose_browser_context(context).await;
            Err(ScanError::browser("open a tab")(error))
        }
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
    std::env::var_os("KAPSEL_CHROMIUM")
        .map_or_else(|| PathBuf::from(DEFAULT_CHROMIUM), PathBuf::from)
}

/// A throw-away profile directory, removed on drop.
mod tempfile_dir {
    use std::io::ErrorKind;
    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicU64, Ordering};

    /// Profiles made by this process so far: with the process id, a name no other scan uses.
    static MADE: AtomicU64 = AtomicU64::new(0);

    pub struct TempProfile(PathBuf);

    impl TempProfile {
        /// A new, empty directory. Never one left behind by an earlier process with the same
        /// id: a name that exists already is skipped.
        pub fn new() -> std::io::Result<TempProfile> {
            let base = std::env::temp_dir();
            let pid = std::process::id();
            for _ in 0..1_000 {
                let n = MADE.fetch_add(1, Ordering::Relaxed);
                let dir = base.join(format!("kapsel-scan-{pid}-{n}"));
                match std::fs::create_dir(&dir) {
                    Ok(()) => return Ok(TempProfile(dir)),
                    Err(error) if error.kind() == ErrorKind::AlreadyExists => continue,
                    Err(error) => return Err(error),
                }
            }
            Err(std::io::Error::new(
                ErrorKind::AlreadyExists,
                format!(
                    "no free kapsel-scan-{pid}-N profile directory in {}",
                    base.display()
                ),
            ))
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
