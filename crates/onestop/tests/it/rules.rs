//! The one-stop rules, each a test named after it, with the engine's clock set to chosen
//! instants (Vietnam time) on the demo province's calendar, on SQLite and PostgreSQL.

use kernel::authz::Principal;
use onestop::Onestop;
use onestop::model::deadline::instant;
use onestop::model::process::{ProcessDefinition, Step, StepAgency, StepDuration, StepKind, Transition};
use onestop::service::SubmitInput;
use onestop::service::actions::{ApologyInput, Payment, ReturnInput, SupplementInput, SupplementRequest, Versioned};
use onestop::service::stats::Statistics;
use onestop::service::tasks::Complete;
use serde_json::json;
use testkit::{TestApp, storage_test};
use time::Date;
use time::macros::date;

const PROCEDURE: &str = "2.000505"; // 10 working days, 200,000 VND, Sở Tư pháp

async fn who(app: &TestApp, login: &str) -> Principal {
    let c = identity::store::accounts::credentials(&app.app.db, login).await.unwrap().unwrap();
    app.app.identity.principal(&c.id, true).await.unwrap()
}

fn at(d: Date, h: u16, m: u16) -> i64 {
    instant(d, h * 60 + m)
}

fn submission() -> SubmitInput {
    serde_json::from_value(json!({"procedure_code": PROCEDURE, "form": {"ho_ten": "Nguyễn Văn An", "so_dinh_danh": "001090012345"}}))
        .unwrap()
}

/// Submits as the demo citizen at `submitted` and accepts at `accepted`; returns the id.
async fn accepted(app: &TestApp, submitted: i64, accepted: i64) -> String {
    let o = &app.app.onestop;
    let d = o.at(submitted).submit(&who(app, "001090012345").await, &submission()).await.unwrap();
    let d = o.at(accepted).accept(&who(app, "tiepnhan.stp").await, &d.id, &Versioned { version: d.version }).await.unwrap();
    d.id
}

/// Completes the open task of the dossier's current step as `login`.
async fn step(o: &Onestop, app: &TestApp, login: &str, id: &str, outcome: &str) -> onestop::model::Dossier {
    let p = who(app, login).await;
    let t = o
        .tasks_of(&p, id)
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.status == "open" && holds_role(&p, &t.role))
        .expect("an open task for this official");
    o.complete(&p, &t.id, &Complete { version: t.version, outcome: outcome.into(), note: None }).await.unwrap()
}

/// The procedure's work with the agencies `consulted` asked for their opinion between
/// processing and approval: process (3 days) → consult (2) → approve (1) → return (½).
fn consult_process(consulted: &[&str]) -> ProcessDefinition {
    let s = |id: &str, name: &str, kind: StepKind, role: &str, agencies: Vec<String>, days: f64| Step {
        id: id.into(),
        name: name.into(),
        kind,
        role: kernel::authz::Role::parse(role).unwrap(),
        agency: StepAgency::Receiving,
        agencies,
        duration: StepDuration::days(days),
    };
    let t = |from: &str, outcome: &str, to: &str| Transition { from: from.into(), outcome: outcome.into(), to: to.into() };
    ProcessDefinition {
        start: "process".into(),
        steps: vec![
            s("process", "Thụ lý", StepKind::Task, "specialist", vec![], 3.0),
            s(
                "consult",
                "Lấy ý kiến cơ quan liên quan",
                StepKind::Consult,
                "specialist",
                consulted.iter().map(|c| c.to_string()).collect(),
                2.0,
            ),
            s("approve", "Phê duyệt", StepKind::Approval, "agency_leader", vec![], 1.0),
            s("return", "Trả kết quả", StepKind::Return, "reception_officer", vec![], 0.5),
        ],
        transitions: vec![t("process", "done", "consult"), t("consult", "done", "approve"), t("approve", "approved", "return")],
    }
}

fn holds_role(p: &Principal, role: &str) -> bool {
    p.grants.iter().any(|g| g.role.as_str() == role)
}

/// Runs the standard process to the end at `when`.
async fn finish(app: &TestApp, id: &str, when: i64) -> onestop::model::Dossier {
    let o = app.app.onestop.at(when);
    step(&o, app, "chuyenvien.stp", id, "done").await;
    step(&o, app, "truongphong.stp", id, "done").await;
    step(&o, app, "lanhdao.stp", id, "approved").await;
    let d = step(&o, app, "vanthu.stp", id, "done").await;
    let citizen = who(app, "001090012345").await;
    let d = o
        .pay(&citizen, id, &Payment { version: d.version, amount: 200_000, method: "payment_gateway".into(), reference: None })
        .await
        .unwrap();
    o.return_result(&who(app, "tiepnhan.stp").await, id, &ReturnInput { version: d.version, method: "in_person".into(), note: None })
        .await
        .unwrap()
}

async fn stats(app: &TestApp) -> onestop::service::StatRow {
    let s = Statistics {
        from: "2026-01-01".into(),
        to: "2027-12-31".into(),
        group: Some("agency".into()),
        agency_code: Some("000.00.13.H99".into()),
    };
    app.app.onestop.statistics(&Principal::bootstrap(), &s).await.unwrap().remove(0)
}

storage_test!(demo after_hours_online_submission_counts_from_the_next_working_day, async |app: &TestApp| {
    // Friday 20 November 2026 at 18:30, accepted Monday morning.
    let id = accepted(app, at(date!(2026 - 11 - 20), 18, 30), at(date!(2026 - 11 - 23), 9, 0)).await;
    let d = app.app.onestop.dossier(&who(app, "thanhtra.tinh").await, &id).await.unwrap().d;
    assert_eq!(d.received_on.as_deref(), Some("2026-11-23"));
    assert_eq!(d.due_on.as_deref(), Some("2026-12-07"), "10 working days from Monday 23 November");
    // Within office hours it counts from the same day.
    let id = accepted(app, at(date!(2026 - 11 - 20), 10, 0), at(date!(2026 - 11 - 23), 9, 0)).await;
    let d = app.app.onestop.dossier(&who(app, "thanhtra.tinh").await, &id).await.unwrap().d;
    assert_eq!(d.received_on.as_deref(), Some("2026-11-20"));
    assert_eq!(d.due_on.as_deref(), Some("2026-12-04"));
});

storage_test!(demo a_deadline_spanning_tet_skips_the_holidays, async |app: &TestApp| {
    // Thursday 12 February 2026; Tết holidays 16–20 February.
    let id = accepted(app, at(date!(2026 - 02 - 12), 9, 0), at(date!(2026 - 02 - 12), 9, 30)).await;
    let d = app.app.onestop.dossier(&who(app, "thanhtra.tinh").await, &id).await.unwrap().d;
    assert_eq!(d.due_on.as_deref(), Some("2026-03-05"));
});

storage_test!(demo the_supplement_stops_the_clock, async |app: &TestApp| {
    let o = &app.app.onestop;
    let id = accepted(app, at(date!(2026 - 11 - 23), 8, 0), at(date!(2026 - 11 - 23), 9, 0)).await;
    let specialist = who(app, "chuyenvien.stp").await;
    let d = o.dossier(&specialist, &id).await.unwrap().d;
    assert_eq!(d.due_on.as_deref(), Some("2026-12-07"));
    let req = SupplementRequest { version: d.version, items: vec!["Bản sao CCCD".into()], reason: None };
    let d = o.at(at(date!(2026 - 11 - 24), 10, 0)).request_supplement(&specialist, &id, &req).await.unwrap();
    // The applicant hands it in three working days later.
    let citizen = who(app, "001090012345").await;
    let d = o.at(at(date!(2026 - 11 - 27), 10, 0)).supplement(&citizen, &id, &SupplementInput { version: d.version, note: None }).await.unwrap();
    assert_eq!(d.paused_days, 3);
    assert_eq!(d.due_on.as_deref(), Some("2026-12-10"), "the appointment moves by the three working days paused");
    assert_eq!(d.original_due_on.as_deref(), Some("2026-12-07"));
    // Finished on the new date: on time, one supplement request.
    let d = finish(app, &id, at(date!(2026 - 12 - 10), 10, 0)).await;
    assert_eq!(d.status_code, 10);
    let s = stats(app).await;
    assert_eq!((s.on_time, s.late), (1, 0), "{s:?}");
});

storage_test!(demo a_second_supplement_request_makes_the_dossier_late_in_statistics, async |app: &TestApp| {
    let o = &app.app.onestop;
    let id = accepted(app, at(date!(2026 - 11 - 23), 8, 0), at(date!(2026 - 11 - 23), 9, 0)).await;
    let specialist = who(app, "chuyenvien.stp").await;
    let citizen = who(app, "001090012345").await;
    for day in [date!(2026 - 11 - 24), date!(2026 - 11 - 25)] {
        let d = o.dossier(&specialist, &id).await.unwrap().d;
        let d = o.at(at(day, 9, 0)).request_supplement(&specialist, &id, &SupplementRequest { version: d.version, items: vec!["Giấy tờ".into()], reason: None }).await.unwrap();
        o.at(at(day, 10, 0)).supplement(&citizen, &id, &SupplementInput { version: d.version, note: None }).await.unwrap();
    }
    // Finished well before the appointment date, yet late: two supplement requests.
    let d = finish(app, &id, at(date!(2026 - 11 - 26), 10, 0)).await;
    assert_eq!(d.supplement_count, 2);
    let s = stats(app).await;
    assert_eq!((s.early, s.on_time, s.late, s.resolved), (0, 0, 1, 1), "{s:?}");
    assert_eq!(s.on_time_rate, 0.0);
});

storage_test!(demo the_apology_must_precede_the_due_date, async |app: &TestApp| {
    let o = &app.app.onestop;
    let id = accepted(app, at(date!(2026 - 11 - 23), 8, 0), at(date!(2026 - 11 - 23), 9, 0)).await; // due 7 December
    let specialist = who(app, "chuyenvien.stp").await;
    let leader = who(app, "lanhdao.stp").await;
    let v = o.dossier(&specialist, &id).await.unwrap().d.version;
    let input = |new_due: &str| ApologyInput { version: v, reason: "Cần xác minh thêm với cơ quan công an".into(), new_due_on: new_due.into() };
    // After the due date: too late.
    let late = o.at(at(date!(2026 - 12 - 08), 9, 0)).propose_apology(&specialist, &id, &input("2026-12-14")).await;
    assert!(matches!(late, Err(kernel::Error::Conflict(_))), "{late:?}");
    // A new date before the old one is no apology.
    let bad = o.at(at(date!(2026 - 12 - 03), 9, 0)).propose_apology(&specialist, &id, &input("2026-12-01")).await;
    assert!(matches!(bad, Err(kernel::Error::Invalid(_))), "{bad:?}");
    let aid = o.at(at(date!(2026 - 12 - 03), 9, 0)).propose_apology(&specialist, &id, &input("2026-12-14")).await.unwrap();
    // Only the leader approves, and before the due date.
    assert!(matches!(o.at(at(date!(2026 - 12 - 04), 9, 0)).approve_apology(&specialist, &aid).await, Err(kernel::Error::Forbidden(_))));
    let d = o.at(at(date!(2026 - 12 - 04), 9, 0)).approve_apology(&leader, &aid).await.unwrap();
    assert_eq!(d.due_on.as_deref(), Some("2026-12-14"));
    assert_eq!(d.original_due_on.as_deref(), Some("2026-12-07"));
    assert_eq!(d.apology_count, 1);
    assert!(matches!(o.at(at(date!(2026 - 12 - 04), 9, 5)).approve_apology(&leader, &aid).await, Err(kernel::Error::Conflict(_))), "decided once");
    // An apology proposed in time but not approved before the due date cannot take effect.
    let id2 = accepted(app, at(date!(2026 - 11 - 23), 8, 0), at(date!(2026 - 11 - 23), 9, 0)).await;
    let v2 = o.dossier(&specialist, &id2).await.unwrap().d.version;
    let a2 = o.at(at(date!(2026 - 12 - 07), 9, 0)).propose_apology(&specialist, &id2, &ApologyInput { version: v2, reason: "Chờ kết quả xác minh".into(), new_due_on: "2026-12-11".into() }).await.unwrap();
    assert!(matches!(o.at(at(date!(2026 - 12 - 08), 9, 0)).approve_apology(&leader, &a2).await, Err(kernel::Error::Conflict(_))));
    // The apology as a paper.
    let pdf = o.paper(&leader, &id, onestop::documents::Paper::Apology).await.unwrap();
    if let Some(text) = testkit::pdf_text(&pdf) {
        assert!(text.contains("PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ") && text.contains("14/12/2026") && text.contains("07/12/2026"), "{text}");
    }
    // The applicant is told of the new date.
    let events = kernel::outbox::events_of(&app.app.db, &id).await.unwrap();
    assert!(events.iter().any(|e| e.topic == "onestop.dossier.status" && e.payload["due_on"] == "2026-12-14"));
});

storage_test!(demo an_inter_agency_dossier_returns_on_time_only_when_every_agency_share_does, async |app: &TestApp| {
    let o = &app.app.onestop;
    let def = consult_process(&["000.00.51.H99"]);
    // More than the legal time is refused, naming the problem.
    let mut too_long = def.clone();
    too_long.steps[0].duration = StepDuration::days(9.0);
    assert!(matches!(o.set_process(&Principal::bootstrap(), PROCEDURE, &too_long).await, Err(kernel::Error::Invalid(_))));
    assert!(matches!(o.set_process(&who(app, "chuyenvien.stp").await, PROCEDURE, &def).await, Err(kernel::Error::Forbidden(_))));
    // A dossier started under the standard process (version 1) keeps it.
    assert_eq!(o.process_of(PROCEDURE).await.unwrap().0, 1);
    let old = accepted(app, at(date!(2026 - 11 - 23), 8, 0), at(date!(2026 - 11 - 23), 9, 0)).await;
    assert_eq!(o.set_process(&Principal::bootstrap(), PROCEDURE, &def).await.unwrap(), 2);
    assert_eq!(o.process_of(PROCEDURE).await.unwrap().1, def);
    let d = step(&o.at(at(date!(2026 - 11 - 24), 9, 0)), app, "chuyenvien.stp", &old, "done").await;
    assert_eq!(d.current_step.as_deref(), Some("review"), "the running dossier follows its own version");

    let run = |consult_answer: i64| async move {
        let id = accepted(app, at(date!(2026 - 11 - 23), 8, 0), at(date!(2026 - 11 - 23), 9, 0)).await;
        let o = &app.app.onestop;
        step(&o.at(at(date!(2026 - 11 - 24), 9, 0)), app, "chuyenvien.stp", &id, "done").await;
        // The ward's specialist sees the dossier through the consultation and answers.
        let ward = who(app, "chuyenvien.pta").await;
        assert!(o.dossier(&ward, &id).await.is_ok());
        step(&o.at(consult_answer), app, "chuyenvien.pta", &id, "ignored: consultations answer done").await;
        step(&o.at(at(date!(2026 - 12 - 01), 9, 0)), app, "lanhdao.stp", &id, "approved").await;
        let d = o.dossier(&who(app, "thanhtra.tinh").await, &id).await.unwrap().d;
        o.at(at(date!(2026 - 12 - 01), 10, 0)).return_result(&who(app, "tiepnhan.stp").await, &id, &ReturnInput { version: d.version, method: "in_person".into(), note: None }).await.unwrap();
        id
    };
    // The ward answers within its two days, then 4 working days late; both dossiers are
    // returned on 1 December, before their appointment date (7 December).
    run(at(date!(2026 - 11 - 25), 9, 0)).await;
    run(at(date!(2026 - 11 - 30), 16, 0)).await;
    let s = stats(app).await;
    assert_eq!((s.early, s.late, s.resolved), (1, 1, 2), "{s:?}");
});

storage_test!(demo due_soon_and_overdue_dossiers_are_flagged_once_with_events, async |app: &TestApp| {
    let o = &app.app.onestop;
    let id = accepted(app, at(date!(2026 - 11 - 23), 8, 0), at(date!(2026 - 11 - 23), 9, 0)).await; // due 7 December
    assert_eq!(o.at(at(date!(2026 - 11 - 30), 9, 0)).watch_deadlines().await.unwrap(), (0, 0));
    assert_eq!(o.at(at(date!(2026 - 12 - 04), 9, 0)).watch_deadlines().await.unwrap(), (1, 0));
    assert_eq!(o.at(at(date!(2026 - 12 - 04), 9, 5)).watch_deadlines().await.unwrap(), (0, 0), "once");
    assert_eq!(o.at(at(date!(2026 - 12 - 08), 9, 0)).watch_deadlines().await.unwrap(), (0, 1));
    let d = o.dossier(&who(app, "thanhtra.tinh").await, &id).await.unwrap().d;
    assert!(d.due_soon && d.overdue);
    let topics: Vec<String> = kernel::outbox::events_of(&app.app.db, &id).await.unwrap().into_iter().map(|e| e.topic).collect();
    assert!(topics.contains(&"onestop.dossier.due_soon".to_owned()) && topics.contains(&"onestop.dossier.overdue".to_owned()));
    // Late in the statistics while pending.
    let s = app.app.onestop.at(at(date!(2026 - 12 - 08), 9, 0)).statistics(&Principal::bootstrap(), &Statistics { from: "2026-12-01".into(), to: "2026-12-08".into(), group: None, agency_code: None }).await.unwrap();
    let row = s.iter().find(|r| r.key == "000.00.13.H99").unwrap();
    assert_eq!((row.carried_over, row.pending_overdue), (1, 1), "{row:?}");
});

storage_test!(demo consulted_agencies_answering_at_the_same_moment_both_count, async |app: &TestApp| {
    let o = &app.app.onestop;
    let def = consult_process(&["000.00.51.H99", "000.00.13.H99"]);
    o.set_process(&Principal::bootstrap(), PROCEDURE, &def).await.unwrap();
    let (ward, dept) = (who(app, "chuyenvien.pta").await, who(app, "chuyenvien.stp").await);
    let when = at(date!(2026 - 11 - 25), 9, 0);
    for _ in 0..6 {
        let id = accepted(app, at(date!(2026 - 11 - 23), 8, 0), at(date!(2026 - 11 - 23), 9, 0)).await;
        step(&o.at(at(date!(2026 - 11 - 24), 9, 0)), app, "chuyenvien.stp", &id, "done").await;
        let open = |p: &Principal, agency: &'static str| {
            let (o, id) = (o.clone(), id.clone());
            let p = p.clone();
            async move {
                let t = o.tasks_of(&p, &id).await.unwrap().into_iter().find(|t| t.status == "open" && t.kind == "consult" && t.agency_code == agency);
                let t = t.expect("a consultation task for each agency");
                (p, t)
            }
        };
        let ((p1, t1), (p2, t2)) = tokio::join!(open(&ward, "000.00.51.H99"), open(&dept, "000.00.13.H99"));
        assert_ne!(t1.id, t2.id);
        // Both agencies answer at once: neither answer is refused or lost.
        let (o1, o2) = (o.at(when), o.at(when));
        let (c1, c2) = (
            Complete { version: t1.version, outcome: "done".into(), note: None },
            Complete { version: t2.version, outcome: "done".into(), note: None },
        );
        // Both read the dossier before either writes: on SQLite the write turn is held
        // meanwhile, so both actions queue for it having read the same version.
        let hold = app.app.db.begin().await.unwrap();
        let release = async {
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            hold.rollback().await.unwrap();
        };
        let (a, b, ()) = tokio::join!(o1.complete(&p1, &t1.id, &c1), o2.complete(&p2, &t2.id, &c2), release);
        a.unwrap();
        b.unwrap();
        let d = o.dossier(&who(app, "thanhtra.tinh").await, &id).await.unwrap().d;
        assert_eq!(d.current_step.as_deref(), Some("approve"), "the dossier moves on once both have answered");
        let tasks = o.tasks_of(&dept, &id).await.unwrap();
        assert_eq!(tasks.iter().filter(|t| t.step_id == "approve" && t.status == "open").count(), 1, "one approval task");
        assert!(tasks.iter().filter(|t| t.kind == "consult").all(|t| t.status == "done"));
    }
});

storage_test!(demo a_deadline_flag_set_while_an_action_runs_is_kept, async |app: &TestApp| {
    let o = &app.app.onestop;
    let id = accepted(app, at(date!(2026 - 11 - 23), 8, 0), at(date!(2026 - 11 - 23), 9, 0)).await; // due 7 December
    let when = at(date!(2026 - 12 - 04), 9, 0);
    let p = who(app, "chuyenvien.stp").await;
    let t = o.tasks_of(&p, &id).await.unwrap().into_iter().find(|t| t.status == "open").unwrap();
    let done = Complete { version: t.version, outcome: "done".into(), note: None };
    // The watcher and the officer both read the dossier (not yet due soon), then the watcher
    // writes its flag first: the officer's save, over the same version, must not undo it.
    let hold = app.app.db.begin().await.unwrap();
    let release = async {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        hold.rollback().await.unwrap();
    };
    let (watcher, officer) = (o.at(when), o.at(when));
    let (flagged, moved, ()) = tokio::join!(watcher.watch_deadlines(), officer.complete(&p, &t.id, &done), release);
    assert_eq!(flagged.unwrap(), (1, 0));
    assert_eq!(moved.unwrap().current_step.as_deref(), Some("review"));
    let d = o.dossier(&who(app, "thanhtra.tinh").await, &id).await.unwrap().d;
    assert!(d.due_soon, "the watcher's flag survives the officer's save");
    assert_eq!(o.at(at(date!(2026 - 12 - 04), 9, 5)).watch_deadlines().await.unwrap(), (0, 0), "and is not raised twice");
});
