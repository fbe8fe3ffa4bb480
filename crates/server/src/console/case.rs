//! A case in the console: `GET /console/requests/{case}` shows its facts, what is left, its
//! history and the forms of the actions its state takes; `POST` carries one out as the
//! signed-in account (`crate::desk::actions`, the same code the admin API runs);
//! `GET /console/requests/{case}/dry-run` reads the operator's databases and shows what a run
//! would export or erase, changing nothing ([`super::case_dry_run`]). Respondents and up: cases
//! hold requesters' data.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use kapsel_core::console::Permission;
use kapsel_core::desk::{Case, CaseEventKind, CaseState, ErasureGround};

use super::layout::{escape, facts_list, page, table, when};
use super::session::{Form, Operator};
use super::words::{Words, words};
use super::{ConsoleState, Refusal, html, see_other, store_failed};
use crate::desk::DeskState;
use crate::desk::actions::{self, CaseAction};
use crate::desk::notices;
use crate::desk::texts::right_words;
use crate::desk::work::{self, History, Missing};
use crate::error::ApiError;

/// The longest text a case form takes (a reason, a note, a question).
const TEXT_MAX: usize = 2000;
/// How recent an operator's event must be for the page to say it was recorded.
const DONE_WITHIN_MS: i64 = 5 * 60 * 1000;

#[derive(Deserialize)]
pub struct CaseQuery {
    /// The action just carried out, to say it was recorded.
    done: Option<String>,
}

pub async fn get_case(
    State(console): State<Arc<ConsoleState>>,
    State(desk): State<Arc<DeskState>>,
    operator: Operator,
    Path(case_id): Path<String>,
    Query(query): Query<CaseQuery>,
) -> Result<Response, Refusal> {
    operator.require(Permission::SeeCases)?;
    let lang = operator.lang;
    let (case, history) = read(&desk, &case_id, lang).await?;
    console
        .audit(
            &operator.actor(),
            "view_case",
            &case_id,
            operator.prefix.as_deref(),
        )
        .await
        .map_err(store_failed(lang))?;
    // The notice is said only when the history bears it out: an event by this account in the
    // last minutes (a link with `done=` alone shows nothing).
    let actor = operator.actor();
    let recent = console.clock.now_ms() - DONE_WITHIN_MS;
    let done = query
        .done
        .filter(|d| ACTIONS.contains(&d.as_str()))
        .filter(|_| {
            history
                .events
                .iter()
                .any(|e| e.actor == actor && e.at_ms >= recent)
        })
        .map(|_| words(lang).case_action_done.to_owned());
    Ok(case_page(
        &desk,
        &operator,
        &case,
        &history,
        StatusCode::OK,
        None,
        done,
    ))
}

pub async fn post_case(
    State(console): State<Arc<ConsoleState>>,
    State(desk): State<Arc<DeskState>>,
    operator: Operator,
    Path(case_id): Path<String>,
    body: Bytes,
) -> Result<Response, Refusal> {
    operator.require(Permission::WorkCases)?;
    let lang = operator.lang;
    let form = operator.check_form(&body)?;
    // Reading the case first makes an unknown id the 404 page before any form field is read.
    read(&desk, &case_id, lang).await?;
    let action = form.required("action", 32, lang)?;
    let actor = operator.actor();
    let outcome = match action.as_str() {
        "run" => work::run(&desk, &case_id, &actor).await.map(drop),
        "task_done" => {
            let dataset = form.required("dataset", 200, lang)?;
            let note = form.required("note", TEXT_MAX, lang)?;
            actions::task_done(&desk, &case_id, &actor, &dataset, &note)
                .await
                .map(drop)
        }
        name => {
            let action = parse_action(name, &form, lang)?;
            actions::carry_out(&desk, &case_id, &actor, action)
                .await
                .map(drop)
        }
    };
    match outcome {
        Ok(()) => {
            console
                .audit(
                    &actor,
                    &format!("case_{action}"),
                    &case_id,
                    operator.prefix.as_deref(),
                )
                .await
                .map_err(store_failed(lang))?;
            Ok(see_other(&format!(
                "/console/requests/{case_id}?lang={lang}&done={action}"
            )))
        }
        Err(error) => {
            let (case, history) = read(&desk, &case_id, lang).await?;
            let (status, alert) = refused(lang, &error);
            Ok(case_page(
                &desk,
                &operator,
                &case,
                &history,
                status,
                Some(alert),
                None,
            ))
        }
    }
}

/// The actions `POST` takes: a run, a manual task done, and each [`CaseAction`].
const ACTIONS: [&str; 10] = [
    "run",
    "task_done",
    "verify",
    "extend",
    "refuse",
    "complete",
    "pause",
    "resume",
    "withdraw",
    "note",
];

fn parse_action(name: &str, form: &Form, lang: &'static str) -> Result<CaseAction, Refusal> {
    let field = |name: &str| Refusal::Field {
        lang,
        field: name.to_owned(),
    };
    let text = |name: &str| form.required(name, TEXT_MAX, lang);
    Ok(match name {
        "verify" => CaseAction::Verify {
            note: text("note")?,
        },
        "extend" => CaseAction::Extend {
            months: form
                .required("months", 2, lang)?
                .parse()
                .map_err(|_| field("months"))?,
            reason: text("reason")?,
        },
        "refuse" => CaseAction::Refuse {
            reason: text("reason")?,
            ground: match form.text("ground", 64, lang)? {
                None => None,
                Some(name) => Some(ErasureGround::parse(&name).ok_or_else(|| field("ground"))?),
            },
        },
        "complete" => CaseAction::Complete,
        "pause" => CaseAction::Pause {
            question: text("question")?,
        },
        "resume" => CaseAction::Resume,
        "withdraw" => CaseAction::Withdraw,
        "note" => CaseAction::Note {
            text: text("text")?,
        },
        _ => return Err(field("action")),
    })
}

/// The case and its history, or the 404 page.
pub(super) async fn read(
    desk: &DeskState,
    case_id: &str,
    lang: &'static str,
) -> Result<(Case, History), Refusal> {
    if !kapsel_core::consent::is_receipt_id(case_id) {
        return Err(Refusal::NotFound { lang });
    }
    actions::load(desk, case_id)
        .await
        .map_err(|error| match error {
            ApiError::NotFound { .. } => Refusal::NotFound { lang },
            other => Refusal::Store {
                lang,
                source: kapsel_store::StoreError::Unavailable(other.to_string()),
            },
        })
}

/// The status and the alert for an action the desk refused. What the requester's case did
/// not allow is said in the desk's words (they name the state and the event); a failure that
/// is not the operator's is logged and said only as a failure.
pub(super) fn refused(lang: &'static str, error: &ApiError) -> (StatusCode, String) {
    let w = words(lang);
    let status = error.status();
    let detail = if status.is_server_error() {
        tracing::error!(error = %error, "console: a case action failed");
        String::new()
    } else {
        format!(" <span lang=\"en\">{}</span>", escape(&error.to_string()))
    };
    (
        status,
        format!(
            "<p class=\"alert\" role=\"alert\">{}{detail}</p>\n",
            escape(if status.is_server_error() {
                w.failed
            } else if status == StatusCode::NOT_FOUND {
                w.case_action_unknown
            } else {
                w.case_action_refused
            })
        ),
    )
}

fn detail_text(kind: &CaseEventKind) -> String {
    kind.detail()
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

fn case_page(
    desk: &DeskState,
    operator: &Operator,
    case: &Case,
    history: &History,
    status: StatusCode,
    alert: Option<String>,
    done: Option<String>,
) -> Response {
    let lang = operator.lang;
    let w = words(lang);
    let file = &desk.sites.privacy;
    let mut main = format!(
        "<h1>{} <code>{}</code></h1>\n",
        escape(w.case),
        escape(&case.id)
    );
    if let Some(alert) = alert {
        main.push_str(&alert);
    }
    if let Some(done) = done {
        main.push_str(&format!(
            "<p class=\"notice\" role=\"status\">{}</p>\n",
            escape(&done)
        ));
    }
    main.push_str(&facts_list(&[
        (w.right, right_words(lang, case.right).0.to_owned()),
        (w.state, w.case_state(case.state).to_owned()),
        (w.site, case.site.clone()),
        (w.email, case.email.clone()),
        (w.received, when(case.received_ms)),
        (w.due, case.dates.legal_due.to_string()),
    ]));
    if !case.state.is_terminal() {
        let missing = work::missing_before_completion(file, case, history);
        if !missing.is_empty() {
            main.push_str(&format!("<h2>{}</h2>\n<ul>", escape(w.case_left)));
            for item in &missing {
                main.push_str(&format!("<li>{}</li>", missing_text(w, item)));
            }
            main.push_str("</ul>\n");
        }
    }
    main.push_str(&format!(
        "<p><a class=\"button\" href=\"/console/requests/{id}/dry-run?lang={lang}\">{}</a></p>\n",
        escape(w.dry_run_show),
        id = escape(&case.id)
    ));
    if operator.may(Permission::WorkCases) {
        main.push_str(&action_forms(operator, w, file, case, history));
    }
    let rows: Vec<Vec<String>> = history
        .events
        .iter()
        .map(|e| {
            vec![
                e.seq.to_string(),
                escape(&when(e.at_ms)),
                escape(&e.actor),
                escape(e.kind.name()),
                escape(&detail_text(&e.kind)),
            ]
        })
        .collect();
    main.push_str(&format!("<h2>{}</h2>\n", escape(w.history)));
    main.push_str(&table(
        w.history,
        &["#", w.when, w.by, w.what, w.details],
        &rows,
    ));
    main.push_str(&format!(
        "<p class=\"note\">{}</p>\n",
        escape(w.case_work_note)
    ));
    html(status, page(operator, "/console/requests", w.case, &main))
}

/// The forms of the actions the case's state takes, in the order a case usually goes.
fn action_forms(
    operator: &Operator,
    w: &Words,
    file: &kapsel_core::privacy::PrivacyFile,
    case: &Case,
    history: &History,
) -> String {
    let lang = operator.lang;
    let id = escape(&case.id);
    let form = |action: &str, fields: String, button: &str| {
        format!(
            "<form class=\"stack action\" method=\"post\" action=\"/console/requests/{id}?lang={lang}\">{hidden}\
             <input type=\"hidden\" name=\"action\" value=\"{action}\">{fields}\
             <p><button>{button}</button></p></form>\n",
            hidden = operator.hidden_fields(),
            button = escape(button),
        )
    };
    let textarea = |action: &str, name: &str, label: &str| {
        format!(
            "<label for=\"{action}-{name}\">{}</label>\
             <textarea id=\"{action}-{name}\" name=\"{name}\" required maxlength=\"{TEXT_MAX}\"></textarea>",
            escape(label)
        )
    };
    let state = case.state;
    let takes = |action: CaseAction| action.allowed_in(state);
    let mut out = format!("<h2>{}</h2>\n", escape(w.case_actions));
    if takes(CaseAction::Verify {
        note: String::new(),
    }) {
        out.push_str(&form(
            "verify",
            textarea("verify", "note", w.identity_note),
            w.action_verify,
        ));
    }
    if matches!(state, CaseState::Verified | CaseState::InProgress) {
        out.push_str(&format!("<p class=\"note\">{}</p>\n", escape(w.run_hint)));
        out.push_str(&form("run", String::new(), w.action_run));
    }
    if state == CaseState::InProgress {
        for task in work::pending_tasks(file, history) {
            let fields = format!(
                "<input type=\"hidden\" name=\"dataset\" value=\"{dataset}\">\
                 <p><strong>{dataset}</strong>: {instructions}</p>{note}",
                dataset = escape(&task.dataset),
                instructions = escape(&task.instructions),
                note = textarea(&format!("task-{}", task.dataset), "note", w.task_note),
            );
            out.push_str(&form("task_done", fields, w.action_task_done));
        }
    }
    if takes(CaseAction::Complete) {
        out.push_str(&form("complete", String::new(), w.action_complete));
    }
    if takes(CaseAction::Extend {
        months: 1,
        reason: String::new(),
    }) {
        let fields = format!(
            "<label for=\"extend-months\">{}</label>\
             <select id=\"extend-months\" name=\"months\"><option>1</option><option>2</option></select>{}",
            escape(w.extend_months),
            textarea("extend", "reason", w.extend_reason)
        );
        out.push_str(&form("extend", fields, w.action_extend));
    }
    if takes(CaseAction::Pause {
        question: String::new(),
    }) {
        out.push_str(&form(
            "pause",
            textarea("pause", "question", w.pause_question),
            w.action_pause,
        ));
    }
    if takes(CaseAction::Resume) {
        out.push_str(&form("resume", String::new(), w.action_resume));
    }
    if takes(CaseAction::Refuse {
        reason: String::new(),
        ground: None,
    }) {
        let mut fields = textarea("refuse", "reason", w.refuse_reason);
        // The art. 17(3) grounds are exceptions to erasure only.
        if case.right == kapsel_core::desk::Right::Erasure {
            let mut grounds = format!("<option value=\"\">{}</option>", escape(w.no_ground));
            for ground in ErasureGround::ALL {
                grounds.push_str(&format!(
                    "<option value=\"{}\">{}</option>",
                    ground.as_str(),
                    escape(notices::ground(lang, ground))
                ));
            }
            fields.push_str(&format!(
                "<label for=\"refuse-ground\">{}</label><select id=\"refuse-ground\" name=\"ground\">{grounds}</select>",
                escape(w.refuse_ground),
            ));
        }
        out.push_str(&form("refuse", fields, w.action_refuse));
    }
    if takes(CaseAction::Withdraw) {
        out.push_str(&form("withdraw", String::new(), w.action_withdraw));
    }
    out.push_str(&form(
        "note",
        textarea("note", "text", w.note_text),
        w.action_note,
    ));
    out
}

/// What is missing, in the page's words, with dataset ids as code.
fn missing_text(w: &Words, missing: &Missing) -> String {
    let dataset =
        |text: &str, id: &str| text.replace("{dataset}", &format!("<code>{}</code>", escape(id)));
    match missing {
        Missing::Task(id) => dataset(&escape(w.missing_task), id),
        Missing::NotErased(id) => dataset(&escape(w.missing_erasure), id),
        Missing::NoBundle => escape(w.missing_bundle),
        Missing::NoSuppression => escape(w.missing_suppression),
        Missing::Webhook(id) => dataset(&escape(w.missing_webhook), id),
    }
}
