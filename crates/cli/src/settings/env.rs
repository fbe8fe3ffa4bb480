//! `KAPSEL_*` environment variables as a settings layer. `KAPSEL_SECTION__KEY` names the key
//! `section.key`: the part after the prefix is split on `__` (one level each) and lower-cased, so
//! `KAPSEL_LISTEN__PUBLIC` is `[listen] public` and `KAPSEL_CONNECTORS__SHOP__URL` is
//! `[connectors.shop] url`.
//!
//! Which variables exist is not listed here: each variable is checked on its own against
//! [`Settings`](super::Settings), so an unknown one (or a wrong value) is an error that names the variable. A value
//! is read as a boolean, an integer or a number when it is one and the key takes it, else as text.
//! The single-word names from before settings had sections still work ([`LEGACY`]).

use toml::{Table, Value};

use super::layers;

/// Names with the prefix that are not settings: read by other commands, tests and tools.
const NOT_SETTINGS: [&str; 5] = [
    // Where the settings file is (the `--settings` flag).
    "KAPSEL_SETTINGS",
    // The log filter (`KAPSEL_LOG=debug`), read by the tracing subscriber.
    "KAPSEL_LOG",
    // The browser and the cookie database of `kapsel scan`, `catalogue` and `suggest`.
    "KAPSEL_CHROMIUM",
    "KAPSEL_OCD",
    // Test runs: fail instead of skipping.
    "KAPSEL_REQUIRE_ALL",
];

/// Prefixes of names that are not settings: test and benchmark databases.
const NOT_SETTINGS_PREFIXES: [&str; 2] = ["KAPSEL_TEST_", "KAPSEL_BENCH_"];

/// How a legacy variable's value is read.
#[derive(Clone, Copy)]
enum Legacy {
    /// Like any other value.
    Value,
    /// A switch, read the way the old flags read it: "", "0", "false", "no", "off", "n", "f"
    /// are false, anything else true.
    Switch,
    /// A switch whose new key means the opposite.
    NegatedSwitch,
}

/// The variables of `kapsel serve` before settings had sections, and the keys they now set.
const LEGACY: [(&str, &[&str], Legacy); 13] = [
    ("KAPSEL_CONFIG", &["server", "privacy_file"], Legacy::Value),
    ("KAPSEL_DATA", &["store", "data"], Legacy::Value),
    (
        "KAPSEL_DATABASE_URL",
        &["store", "database_url"],
        Legacy::Value,
    ),
    ("KAPSEL_CHAIN_ID", &["store", "chain_id"], Legacy::Value),
    ("KAPSEL_LISTEN", &["listen", "public"], Legacy::Value),
    ("KAPSEL_ADMIN_LISTEN", &["listen", "ops"], Legacy::Value),
    ("KAPSEL_ADMIN_TOKEN", &["admin", "token"], Legacy::Value),
    ("KAPSEL_TRUST_PROXY", &["proxy", "trust"], Legacy::Switch),
    (
        "KAPSEL_RATE_LIMIT",
        &["limits", "rate_per_second"],
        Legacy::Value,
    ),
    (
        "KAPSEL_RATE_BURST",
        &["limits", "rate_burst"],
        Legacy::Value,
    ),
    (
        "KAPSEL_RATE_LIMIT_LOOPBACK",
        &["limits", "exempt_loopback"],
        Legacy::NegatedSwitch,
    ),
    (
        "KAPSEL_BODY_LIMIT",
        &["limits", "body_bytes"],
        Legacy::Value,
    ),
    ("KAPSEL_LOG_FORMAT", &["log", "format"], Legacy::Value),
];

const PREFIX: &str = "KAPSEL_";

/// This process's variables with the prefix; a value that is not UTF-8 is an error naming it.
pub fn process_vars() -> anyhow::Result<Vec<(String, String)>> {
    let mut vars = Vec::new();
    for (name, value) in std::env::vars_os() {
        let Some(name) = name.to_str().filter(|n| n.starts_with(PREFIX)) else {
            continue;
        };
        let value = value
            .into_string()
            .map_err(|_| anyhow::anyhow!("environment variable {name} is not valid UTF-8"))?;
        vars.push((name.to_owned(), value));
    }
    Ok(vars)
}

/// The settings layer of `vars` (name, value); other names and empty values are skipped.
pub fn layer(vars: impl IntoIterator<Item = (String, String)>) -> anyhow::Result<Table> {
    let mut vars: Vec<(String, String)> = vars
        .into_iter()
        .filter(|(name, value)| is_setting(name) && !value.is_empty())
        .collect();
    vars.sort();
    let mut layer = Table::new();
    let mut seen: Vec<(Vec<String>, String)> = Vec::new();
    for (name, raw) in &vars {
        let (path, candidates) = read(name, raw)?;
        if let Some((_, first)) = seen.iter().find(|(p, _)| *p == path) {
            anyhow::bail!(
                "environment variables {first} and {name} both set {}; keep one",
                path.join(".")
            );
        }
        let value = accepted(&path, candidates).map_err(|error| {
            anyhow::anyhow!("environment variable {name} ({}): {error}", path.join("."))
        })?;
        let parts: Vec<&str> = path.iter().map(String::as_str).collect();
        layers::set(&mut layer, &parts, value);
        seen.push((path, name.clone()));
    }
    Ok(layer)
}

fn is_setting(name: &str) -> bool {
    name.starts_with(PREFIX)
        && !NOT_SETTINGS.contains(&name)
        && !NOT_SETTINGS_PREFIXES.iter().any(|p| name.starts_with(p))
}

/// The key path a variable names and the values it may stand for, most specific first.
fn read(name: &str, raw: &str) -> anyhow::Result<(Vec<String>, Vec<Value>)> {
    if let Some((_, path, legacy)) = LEGACY.iter().find(|(old, _, _)| *old == name) {
        let path = path.iter().map(|p| (*p).to_owned()).collect();
        let candidates = match legacy {
            Legacy::Value => candidates(raw),
            Legacy::Switch => vec![Value::Boolean(switch(raw))],
            Legacy::NegatedSwitch => vec![Value::Boolean(!switch(raw))],
        };
        return Ok((path, candidates));
    }
    let rest = name.get(PREFIX.len()..).unwrap_or_default();
    let path: Vec<String> = rest.split("__").map(str::to_lowercase).collect();
    if path.iter().any(String::is_empty) {
        anyhow::bail!(
            "environment variable {name}: not a setting name (KAPSEL_SECTION__KEY, one `__` per level)"
        );
    }
    Ok((path, candidates(raw)))
}

/// A boolean, an integer or a finite number when the text is one, then the text itself, then
/// the text as a comma-separated list (`KAPSEL_PROXY__TRUSTED=10.0.0.0/8,192.168.0.0/16`).
fn candidates(raw: &str) -> Vec<Value> {
    let mut values = Vec::new();
    match raw {
        "true" => values.push(Value::Boolean(true)),
        "false" => values.push(Value::Boolean(false)),
        _ => {}
    }
    if let Ok(integer) = raw.parse::<i64>() {
        values.push(Value::Integer(integer));
    } else if let Ok(number) = raw.parse::<f64>()
        && number.is_finite()
    {
        values.push(Value::Float(number));
    }
    values.push(Value::String(raw.to_owned()));
    let items = raw
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty());
    values.push(Value::Array(
        items.map(|item| Value::String(item.to_owned())).collect(),
    ));
    values
}

fn switch(raw: &str) -> bool {
    !matches!(
        raw.to_ascii_lowercase().as_str(),
        "" | "0" | "false" | "no" | "off" | "n" | "f"
    )
}

/// The first candidate the key accepts, or the error of the first.
fn accepted(path: &[String], candidates: Vec<Value>) -> Result<Value, String> {
    let parts: Vec<&str> = path.iter().map(String::as_str).collect();
    let mut first_error = None;
    for value in candidates {
        let mut alone = Table::new();
        layers::set(&mut alone, &parts, value.clone());
        match layers::check(&alone) {
            Ok(()) => return Ok(value),
            Err(error) => {
                first_error.get_or_insert(error);
            }
        }
    }
    Err(first_error.unwrap_or_else(|| "no value".to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Settings;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn double_underscores_nest_and_values_take_the_keys_type() {
        let layer = layer(vars(&[
            ("KAPSEL_LISTEN__PUBLIC", "0.0.0.0:8080"),
            ("KAPSEL_CONNECTORS__SHOP__URL", "postgres://shop@db/shop"),
            ("KAPSEL_LIMITS__BODY_BYTES", "4096"),
            ("KAPSEL_LIMITS__RATE_PER_SECOND", "2.5"),
            ("KAPSEL_PROXY__TRUST", "true"),
            ("KAPSEL_STORE__CHAIN_ID", "42"),
        ]))
        .unwrap();
        let settings = Settings::from_layers(None, layer, Table::new()).unwrap();
        assert_eq!(settings.listen.public.to_string(), "0.0.0.0:8080");
        let shop = settings.connectors.get("shop").unwrap();
        assert_eq!(shop.url.expose(), "postgres://shop@db/shop");
        assert_eq!(settings.limits.body_bytes, 4096);
        assert!((settings.limits.rate_per_second - 2.5).abs() < f64::EPSILON);
        assert!(settings.proxy.trust);
        assert_eq!(settings.store.chain_id.as_deref(), Some("42"));
    }

    #[test]
    fn a_list_is_read_from_commas_and_each_network_is_checked() {
        let listed = layer(vars(&[(
            "KAPSEL_PROXY__TRUSTED",
            "10.0.0.0/8, 192.168.1.1,2001:db8::/32",
        )]))
        .unwrap();
        let settings = Settings::from_layers(None, listed, Table::new()).unwrap();
        let trusted: Vec<String> = settings
            .proxy
            .proxy_trust()
            .trusted
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(trusted, ["10.0.0.0/8", "192.168.1.1/32", "2001:db8::/32"]);
        let error = layer(vars(&[(
            "KAPSEL_PROXY__TRUSTED",
            "10.0.0.0/8,proxy.internal",
        )]))
        .unwrap_err()
        .to_string();
        assert!(error.contains("KAPSEL_PROXY__TRUSTED"), "{error}");
        assert!(error.contains("proxy.internal"), "{error}");
    }

    #[test]
    fn unknown_kapsel_variables_are_refused_by_name() {
        let ok = vars(&[
            ("PATH", "/usr/bin"),
            ("KAPSEL_LISTEN", "127.0.0.1:1"),
            ("KAPSEL_TEST_DATABASE_URL", "postgres://x"),
            ("KAPSEL_REQUIRE_ALL", "1"),
            ("KAPSEL_LOG", "debug"),
            ("KAPSEL_CHROMIUM", "/usr/bin/chromium"),
            ("KAPSEL_SETTINGS", "s.toml"),
        ]);
        assert!(layer(ok).is_ok());
        for bad in ["KAPSEL_LISTN", "KAPSEL_LISTEN__PUBLC", "KAPSEL_MAIL__HOST"] {
            let error = layer(vars(&[(bad, "x")])).unwrap_err().to_string();
            assert!(error.contains(bad), "{error}");
            assert!(error.contains("unknown field"), "{error}");
        }
        let error = layer(vars(&[("KAPSEL_LIMITS__BODY_BYTES", "big")]))
            .unwrap_err()
            .to_string();
        assert!(error.contains("KAPSEL_LIMITS__BODY_BYTES"), "{error}");
        let error = layer(vars(&[("KAPSEL_LISTEN___PUBLIC", "x")]))
            .unwrap_err()
            .to_string();
        assert!(error.contains("KAPSEL_LISTEN___PUBLIC"), "{error}");
    }

    #[test]
    fn legacy_names_map_onto_their_keys() {
        let layer = layer(vars(&[
            ("KAPSEL_CONFIG", "k.toml"),
            ("KAPSEL_ADMIN_LISTEN", "127.0.0.1:9090"),
            ("KAPSEL_RATE_LIMIT_LOOPBACK", "1"),
            ("KAPSEL_TRUST_PROXY", "yes"),
            ("KAPSEL_RATE_LIMIT", "5"),
        ]))
        .unwrap();
        let settings = Settings::from_layers(None, layer, Table::new()).unwrap();
        assert_eq!(
            settings.server.privacy_file.unwrap().display().to_string(),
            "k.toml"
        );
        assert_eq!(settings.listen.ops.unwrap().to_string(), "127.0.0.1:9090");
        assert!(!settings.limits.exempt_loopback);
        assert!(settings.proxy.trust);
        assert!((settings.limits.rate_per_second - 5.0).abs() < f64::EPSILON);
    }

    #[test]
    fn an_old_and_a_new_name_for_one_key_are_refused_and_empty_values_skipped() {
        let error = layer(vars(&[
            ("KAPSEL_LISTEN", "127.0.0.1:1"),
            ("KAPSEL_LISTEN__PUBLIC", "127.0.0.1:2"),
        ]))
        .unwrap_err()
        .to_string();
        assert!(
            error.contains("KAPSEL_LISTEN and KAPSEL_LISTEN__PUBLIC"),
            "{error}"
        );
        assert!(layer(vars(&[("KAPSEL_LISTN", "")])).unwrap().is_empty());
    }
}
