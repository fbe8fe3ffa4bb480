//! What one tab tells over DevTools while a phase runs: every request (URL, resource type,
//! initiator), the `Set-Cookie` headers of every response, in-flight requests (to know when the
//! network is idle) and the writes reported by the injected hooks (`hooks.js`).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chromiumoxide::Page;
use chromiumoxide::cdp::browser_protocol::network::{
    EventLoadingFailed, EventLoadingFinished, EventRequestWillBeSent, EventResponseReceived,
    EventResponseReceivedExtraInfo, Initiator, ResourceType,
};
use chromiumoxide::cdp::js_protocol::runtime::EventBindingCalled;
use futures::StreamExt;
use futures::stream::BoxStream;
use tokio::task::JoinHandle;
// Quiet periods and the settle limit are timeouts: tokio's monotonic clock, not the wall clock.
use tokio::time::Instant;

use crate::ScanError;

/// The name of the DevTools binding the hooks report through.
pub const BINDING: &str = "__kapselScanReport";

/// One request the tab sent.
#[derive(Debug, Clone)]
pub struct RequestSeen {
    pub id: String,
    pub url: String,
    pub resource_type: String,
    pub initiator: Option<String>,
}

/// A write the hooks saw: a cookie via `document.cookie`, a storage key, an IndexedDB open.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct ScriptWrite {
    pub store: String,
    pub name: String,
    pub script: Option<String>,
    pub origin: String,
}

#[derive(Debug)]
pub struct TabLog {
    pub requests: Vec<RequestSeen>,
    /// Cookie names from `Set-Cookie`, by request id.
    pub set_cookies: HashMap<String, Vec<String>>,
    pub writes: Vec<ScriptWrite>,
    in_flight: HashSet<String>,
    last_activity: Instant,
}

impl TabLog {
    fn new() -> TabLog {
        TabLog {
            requests: Vec::new(),
            set_cookies: HashMap::new(),
            writes: Vec::new(),
            in_flight: HashSet::new(),
            last_activity: Instant::now(),
        }
    }

    /// The request whose response set a cookie called `name`, first one first.
    pub fn cookie_setter(&self, name: &str) -> Option<&RequestSeen> {
        self.requests.iter().find(|r| {
            self.set_cookies
                .get(&r.id)
                .is_some_and(|names| names.iter().any(|n| n == name))
        })
    }

    /// The script that wrote `name` into `store`, when the hooks saw it.
    pub fn script_writer(&self, store: &str, name: &str, origin: Option<&str>) -> Option<&str> {
        self.writes
            .iter()
            .find(|w| w.store == store && w.name == name && origin.is_none_or(|o| o == w.origin))
            .and_then(|w| w.script.as_deref())
    }
}

enum Event {
    Request(Arc<EventRequestWillBeSent>),
    ExtraInfo(Arc<EventResponseReceivedExtraInfo>),
    Finished(String),
    Binding(Arc<EventBindingCalled>),
}

/// Records a tab's events in the background until dropped.
pub struct Recorder {
    log: Arc<Mutex<TabLog>>,
    pump: JoinHandle<()>,
}

impl Recorder {
    /// Subscribes to the tab's events; call before navigating.
    pub async fn attach(page: &Page) -> Result<Recorder, ScanError> {
        let err = ScanError::browser("listen to the tab");
        let requests = page
            .event_listener::<EventRequestWillBeSent>()
            .await
            .map_err(&err)?;
        let extra = page
            .event_listener::<EventResponseReceivedExtraInfo>()
            .await
            .map_err(&err)?;
        let finished = page
            .event_listener::<EventLoadingFinished>()
            .await
            .map_err(&err)?;
        let failed = page
            .event_listener::<EventLoadingFailed>()
            .await
            .map_err(&err)?;
        let bindings = page
            .event_listener::<EventBindingCalled>()
            .await
            .map_err(&err)?;
        let responses = page
            .event_listener::<EventResponseReceived>()
            .await
            .map_err(&err)?;
        let streams: Vec<BoxStream<'static, Event>> = vec![
            requests.map(Event::Request).boxed(),
            extra.map(Event::ExtraInfo).boxed(),
            finished
                .map(|e| Event::Finished(e.request_id.inner().clone()))
                .boxed(),
            failed
                .map(|e| Event::Finished(e.request_id.inner().clone()))
                .boxed(),
            bindings.map(Event::Binding).boxed(),
            // A frame's document is handed to the frame once its response arrives; DevTools does
            // not always report its end on the parent's session, so it counts as done here.
            responses
                .filter_map(|e| {
                    let document = e.r#type == ResourceType::Document;
                    futures::future::ready(
                        document.then(|| Event::Finished(e.request_id.inner().clone())),
                    )
                })
                .boxed(),
        ];
        let log = Arc::new(Mutex::new(TabLog::new()));
        let sink = Arc::clone(&log);
        let pump = tokio::spawn(async move {
            let mut events = futures::stream::select_all(streams);
            while let Some(event) = events.next().await {
                let Ok(mut log) = sink.lock() else { return };
                record(&mut log, event);
            }
        });
        Ok(Recorder { log, pump })
    }

    /// Waits until no request has been in flight for `quiet`, or `max` has passed.
    pub async fn settle(&self, quiet: Duration, max: Duration) {
        let start = Instant::now();
        loop {
            tokio::time::sleep(Duration::from_millis(40)).await;
            let idle = match self.log.lock() {
                Ok(log) => log.in_flight.is_empty() && log.last_activity.elapsed() >= quiet,
                Err(_) => true,
            };
            if idle || start.elapsed() >= max {
                return;
            }
        }
    }

    /// How many requests were recorded so far (a mark for [`TabLog::requests`]).
    pub fn requests_so_far(&self) -> usize {
        match self.log.lock() {
            Ok(log) => log.requests.len(),
            Err(p) => p.into_inner().requests.len(),
        }
    }

    /// A copy of what was recorded so far.
    pub fn snapshot(&self) -> TabLog {
        match self.log.lock() {
            Ok(log) => clone_log(&log),
            Err(p) => clone_log(&p.into_inner()),
        }
    }

    /// Stops recording.
    pub fn finish(self) {
        self.pump.abort();
    }
}

fn clone_log(log: &TabLog) -> TabLog {
    TabLog {
        requests: log.requests.clone(),
        set_cookies: log.set_cookies.clone(),
        writes: log.writes.clone(),
        in_flight: HashSet::new(),
        last_activity: log.last_activity,
    }
}

fn record(log: &mut TabLog, event: Event) {
    log.last_activity = Instant::now();
    match event {
        Event::Request(e) => {
            let id = e.request_id.inner().clone();
            log.in_flight.insert(id.clone());
            log.requests.push(RequestSeen {
                id,
                url: e.request.url.clone(),
                resource_type: e.r#type.as_ref().map_or("Other", |t| t.as_ref()).to_owned(),
                initiator: initiator_url(&e.initiator),
            });
        }
        Event::ExtraInfo(e) => {
            let names = set_cookie_names(e.headers.inner());
            if !names.is_empty() {
                log.set_cookies
                    .entry(e.request_id.inner().clone())
                    .or_default()
                    .extend(names);
            }
        }
        Event::Finished(id) => {
            log.in_flight.remove(&id);
        }
        Event::Binding(e) => {
            if e.name == BINDING
                && let Ok(write) = serde_json::from_str::<ScriptWrite>(&e.payload)
            {
                log.writes.push(write);
            }
        }
    }
}

/// The script or document behind a request: the initiator's URL, else the top of its stack.
fn initiator_url(initiator: &Initiator) -> Option<String> {
    if let Some(url) = initiator.url.as_ref().filter(|u| !u.is_empty()) {
        return Some(url.clone());
    }
    let mut stack = initiator.stack.as_ref();
    while let Some(trace) = stack {
        if let Some(frame) = trace.call_frames.iter().find(|f| !f.url.is_empty()) {
            return Some(frame.url.clone());
        }
        stack = trace.parent.as_deref();
    }
    None
}

/// Cookie names in the `Set-Cookie` header(s); DevTools joins several with newlines.
pub fn set_cookie_names(headers: &serde_json::Value) -> Vec<String> {
    let Some(map) = headers.as_object() else {
        return Vec::new();
    };
    map.iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("set-cookie"))
        .filter_map(|(_, value)| value.as_str())
        .flat_map(|value| value.split('\n'))
        .filter_map(|line| line.split(';').next())
        .filter_map(|pair| pair.split_once('=').map(|(name, _)| name.trim().to_owned()))
        .filter(|name| !name.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_cookie_names_reads_joined_headers() {
        let headers = serde_json::json!({
            "Content-Type": "text/html",
            "set-cookie": "a=1; Path=/\nb=2; Max-Age=60; SameSite=None; Secure"
        });
        assert_eq!(
            set_cookie_names(&headers),
            vec!["a".to_owned(), "b".to_owned()]
        );
        assert!(set_cookie_names(&serde_json::json!({"x": "y"})).is_empty());
    }
}
