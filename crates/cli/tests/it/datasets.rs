//! `kapsel datasets test`: a reachable shop that matches its declaration is ok; a missing
//! index on an identity column is reported; a missing column or table, or a connector the
//! settings lack, fails with exit code 1 and says which.

use kapsel_testkit::{Shop, shop_privacy_source};

fn datasets_test(config: &str, env: &[(&str, &str)]) -> (bool, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_kapsel"))
        .args(["datasets", "test", config])
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[tokio::test]
async fn datasets_test_checks_every_declared_table_column_and_index() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("kapsel.toml");
    std::fs::write(&config, shop_privacy_source(false)).unwrap();
    let config = config.display().to_string();
    let shop = Shop::create(&dir.path().join("shop.db"), 0).await;
    let url = shop.url();

    let (ok, text) = datasets_test(&config, &[("KAPSEL_CONNECTORS__SHOP__URL", &url)]);
    assert!(ok, "{text}");
    assert!(text.contains("shop: ok (2 tables)"), "{text}");
    assert!(text.contains("archive: manual"), "{text}");
    assert!(!text.contains("no index"), "{text}");

    let (ok, text) = datasets_test(&config, &[]);
    assert!(!ok);
    assert!(
        text.contains("the settings have no [connectors.shop] url"),
        "{text}"
    );

    sqlx::query("DROP INDEX customers_no")
        .execute(&shop.pool)
        .await
        .unwrap();
    let (ok, text) = datasets_test(&config, &[("KAPSEL_CONNECTORS__SHOP__URL", &url)]);
    assert!(ok, "a missing index is a warning: {text}");
    assert!(
        text.contains("no index leads with identity column customers.customer_no"),
        "{text}"
    );

    sqlx::query("ALTER TABLE customers DROP COLUMN name")
        .execute(&shop.pool)
        .await
        .unwrap();
    let (ok, text) = datasets_test(&config, &[("KAPSEL_CONNECTORS__SHOP__URL", &url)]);
    assert!(!ok);
    assert!(text.contains("shop: NOT USABLE"), "{text}");
    assert!(text.contains("missing column: customers.name"), "{text}");
}

#[tokio::test]
async fn datasets_test_checks_each_retention_rules_columns_and_timestamp_index() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("kapsel.toml");
    let source = format!(
        "{}{}",
        shop_privacy_source(false),
        kapsel_testkit::PAGE_VIEWS_DECLARATION
    );
    std::fs::write(&config, source).unwrap();
    let config = config.display().to_string();
    let shop = Shop::create(&dir.path().join("shop.db"), 0).await;
    shop.add_page_views(3, 2, "now").await;
    let url = shop.url();
    let env = [("KAPSEL_CONNECTORS__SHOP__URL", url.as_str())];

    let (ok, text) = datasets_test(&config, &env);
    assert!(ok, "{text}");
    assert!(
        text.contains("rule page-views: ok (table page_views)"),
        "{text}"
    );
    assert!(!text.contains("no index"), "{text}");

    sqlx::query("DROP INDEX page_views_at")
        .execute(&shop.pool)
        .await
        .unwrap();
    let (ok, text) = datasets_test(&config, &env);
    assert!(ok, "a missing index is a warning: {text}");
    assert!(
        text.contains("no index leads with timestamp column page_views.viewed_at"),
        "{text}"
    );

    sqlx::query("ALTER TABLE page_views RENAME COLUMN viewed_at TO seen_at")
        .execute(&shop.pool)
        .await
        .unwrap();
    let (ok, text) = datasets_test(&config, &env);
    assert!(!ok);
    assert!(text.contains("rule page-views: NOT USABLE"), "{text}");
    assert!(
        text.contains("missing column: page_views.viewed_at"),
        "{text}"
    );
}
