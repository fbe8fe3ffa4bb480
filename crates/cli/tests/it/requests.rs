//! `kapsel requests` on the real binary: a request made through the running server's privacy
//! centre is listed by deadline and shown with its history, which verifies; an event edited in
//! the database behind Kapsel's back makes `show` say BROKEN and exit 1; an unknown id is named.

use std::process::Command;

use super::harness::{Backend, EXAMPLE, Server, kapsel};

fn run(args: &[&str]) -> (i32, String) {
    let output = kapsel(&args.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>());
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code().unwrap_or(-1), text)
}

#[tokio::test]
async fn a_request_is_listed_by_deadline_and_shown_with_a_history_that_verifies() {
    let backend = Backend::sqlite();
    let Backend::Sqlite { dir: data } = &backend else {
        unreachable!()
    };
    let server = Server::start(EXAMPLE, &backend.flags());
    server.wait_healthy().await;
    let response = reqwest::Client::new()
        .post(server.url("/sites/www/rights?lang=nb"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("right=erasure&email=kari.nordmann%40example.org")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(server.terminate().success());
    let flags = backend.flags();
    let data_flag = [flags[0].as_str(), flags[1].as_str()];

    let (code, out) = run(&[&["requests", "list"], &data_flag[..]].concat());
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("1 open request(s)"), "{out}");
    let row = out
        .lines()
        .find(|l| l.contains("erasure"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(row.contains("www") && row.contains("received"), "{row}");
    assert!(row.contains("days left") || row.contains("due"), "{row}");
    assert!(
        !out.contains("kari.nordmann"),
        "list shows no addresses: {out}"
    );
    let id = row.split_whitespace().next().unwrap().to_owned();

    let (code, out) = run(&[&["requests", "show", &id], &data_flag[..]].concat());
    assert_eq!(code, 0, "{out}");
    for shown in [
        "right       erasure",
        "kari.nordmann@example.org",
        "received",
        "history: ok",
    ] {
        assert!(out.contains(shown), "{shown}: {out}");
    }

    // An event's detail edited behind Kapsel's back.
    let db = data.path().join("kapsel.db").display().to_string();
    let edit = "import sqlite3, sys\ndb = sqlite3.connect(sys.argv[1])\n\
                db.execute(\"UPDATE desk_case_events SET detail = replace(detail, 'erasure', 'access') WHERE seq = 1\")\n\
                db.commit()\n";
    assert!(
        Command::new("python3")
            .args(["-c", edit, &db])
            .status()
            .unwrap()
            .success()
    );
    let (code, out) = run(&[&["requests", "show", &id], &data_flag[..]].concat());
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("history: BROKEN"), "{out}");

    let (code, out) = run(&[
        &["requests", "show", "01J0000000000000000000000Z"],
        &data_flag[..],
    ]
    .concat());
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("no request \"01J0000000000000000000000Z\""),
        "{out}"
    );
}
