//! Assistants' grants end to end, and a daemon restart.

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn assistants_prepare_within_their_dates_and_everything_survives_a_restart() {
    let dir =
        TestDir::new("assistants_prepare_within_their_dates_and_everything_survives_a_restart");
    let mut cards = TwoCards::start_with(
        &dir,
        "cpe:petit-secretaire",
        "cps:lefevre-medecin",
        &[],
        "[simulator]\nmovable_clock = true\n",
    )
    .await
    .unwrap();
    let (today, tomorrow) = (day(0), day(1));
    let daemon = &cards.daemon;
    // A paired application acting for a named assistant.
    let token = daemon
        .pair_local(
            "Secrétariat",
            &["read_cards", "prepare", "sign", "transmit"],
        )
        .await
        .unwrap();
    let grants: Value = daemon.get_json("/v1/grants").await.unwrap();
    let app_grant = grants["grants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["app_name"] == "Secrétariat")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let assistant = passerelle_tests::daemon::client_with_token(&daemon.ca_path(), &token).unwrap();

    // Granting needs the GP's PIN verified by this application.
    let cpe_grant = json!({ "reader": READER_1, "situation": 0,
        "assistant": { "kind": "cpe", "reader": READER_0 }, "start": today, "end": tomorrow });
    expect_api_error(
        daemon.post("/v1/assistants", &cpe_grant).await.unwrap(),
        403,
        "replacement_pin_required",
    )
    .await;
    verify_pin(daemon, READER_1, GP_PIN).await;
    let _: Value = json_of(daemon.post("/v1/assistants", &cpe_grant).await.unwrap()).await;
    let app = json!({ "reader": READER_1, "situation": 0,
        "assistant": { "kind": "application", "grant_id": app_grant, "name": "Alice Martin" },
        "start": today, "end": tomorrow });
    let app_grant_row: Value = json_of(daemon.post("/v1/assistants", &app).await.unwrap()).await;

    // The application prepares for the GP (a draft to sign later), not for anyone else.
    let mut d = visit(lefevre(), &today);
    d.deferred_signature = true;
    let post_as = |body: Value| assistant.post(daemon.url("/v1/fse")).json(&body).send();
    let prepared: FseBatchResponse =
        json_of(post_as(json!({ "fse": [d.clone()] })).await.unwrap()).await;
    let prepared = prepared.results[0]
        .fse
        .clone()
        .unwrap_or_else(|| panic!("{prepared:?}"));
    assert_eq!(prepared.status, FseStatus::Draft);
    let mut other = visit(lefevre(), &today);
    other.practitioner = passerelle_billing::samples::durand();
    let refused: FseBatchResponse =
        json_of(post_as(json!({ "fse": [other] })).await.unwrap()).await;
    assert_eq!(refusal(&refused), "assistant_not_granted");
    // It never signs nor sends, whatever its token's scopes.
    for (path, body) in [
        (
            "/v1/fse/sign",
            json!({ "reader": READER_1, "fse": [prepared.id] }),
        ),
        ("/v1/lots", json!({ "reader": READER_1 })),
        ("/v1/lots/send", json!({})),
    ] {
        let resp = assistant
            .post(daemon.url(path))
            .json(&body)
            .send()
            .await
            .unwrap();
        expect_api_error(resp, 403, "assistant_cannot_sign").await;
    }
    // The CPE prepares too.
    let by_cpe: FseBatchResponse = json_of(
        daemon
            .post(
                "/v1/fse",
                &json!({ "fse": [d.clone()], "cpe_reader": READER_0 }),
            )
            .await
            .unwrap(),
    )
    .await;
    let by_cpe = by_cpe.results[0]
        .fse
        .clone()
        .unwrap_or_else(|| panic!("{by_cpe:?}"));
    // The GP signs both later.
    let signed = sign(daemon, READER_1, &[prepared.id, by_cpe.id]).await;
    assert!(
        signed.results.iter().all(|r| r.error.is_none()),
        "{signed:?}"
    );
    // A signed FSE is not the assistant's to delete.
    let resp = assistant
        .delete(daemon.url(&format!("/v1/fse/{}", prepared.id)))
        .send()
        .await
        .unwrap();
    expect_api_error(resp, 403, "assistant_cannot_sign").await;
    // A session opened (typed substitute) to see it survive the restart.
    let typed = json!({ "source": "typed", "billing_number": TRAINEE, "billing_key": "1",
                        "holder_id": "810009998887", "last_name": "Moreau", "first_name": "Thomas" });
    let session: ReplacementSession = json_of(
        daemon
            .post(
                "/v1/replacements",
                &json!({ "reader": READER_1, "substitute": typed,
                  "start": today, "end": tomorrow }),
            )
            .await
            .unwrap(),
    )
    .await;

    // Restart: sessions and grants are where they were.
    cards.daemon.restart().await.unwrap();
    let daemon = &cards.daemon;
    let events = Recorder::start(daemon).await;
    let list: ReplacementList = daemon.get_json("/v1/replacements").await.unwrap();
    assert_eq!(list.sessions.len(), 1);
    assert_eq!(
        (list.sessions[0].id, list.sessions[0].state),
        (session.id, ReplacementState::Open)
    );
    let grants: Value = daemon.get_json("/v1/assistants").await.unwrap();
    assert_eq!(grants["grants"].as_array().unwrap().len(), 2);

    // A day after the last day: refused to both assistants; the session ended by itself.
    advance_clock(daemon, 2 * 24 * 3600).await;
    let later = visit(lefevre(), &day(2));
    let assistant = passerelle_tests::daemon::client_with_token(&daemon.ca_path(), &token).unwrap();
    let resp = assistant
        .post(daemon.url("/v1/fse"))
        .json(&json!({ "fse": [later.clone()] }))
        .send()
        .await
        .unwrap();
    assert_eq!(refusal(&json_of(resp).await), "assistant_outside_dates");
    let by_cpe: FseBatchResponse = json_of(
        daemon
            .post(
                "/v1/fse",
                &json!({ "fse": [later], "cpe_reader": READER_0 }),
            )
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(refusal(&by_cpe), "assistant_outside_dates");
    let list: ReplacementList = daemon.get_json("/v1/replacements").await.unwrap();
    assert_eq!(list.sessions[0].state, ReplacementState::Closed);
    assert_eq!(
        list.sessions[0].closed_because.as_deref(),
        Some("period_end")
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while events.of("replacement_closed").is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "no replacement_closed event"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(events.of("replacement_closed")[0]["reason"], "period_end");
    // The GP revokes the application's grant (PIN again after the restart).
    verify_pin(daemon, READER_1, GP_PIN).await;
    let revoked: Value = json_of(
        daemon
            .post(
                &format!("/v1/assistants/{}/revoke", app_grant_row["id"]),
                &json!({ "reader": READER_1 }),
            )
            .await
            .unwrap(),
    )
    .await;
    assert!(revoked["revoked_at"].is_string());
    let lines = audit_lines(daemon, "assistant_grant").await;
    let ops: Vec<(&str, &str)> = lines
        .iter()
        .map(|(o, r, _)| (o.as_str(), r.as_str()))
        .collect();
    assert_eq!(
        ops,
        [
            ("grant", "refused"),
            ("grant", "ok"),
            ("grant", "ok"),
            ("revoke", "ok")
        ]
    );
    // Each refusal of an assistant, its own line.
    let page: AuditPage = daemon.get_json("/v1/audit?after=0").await.unwrap();
    let codes: Vec<&str> = page
        .entries
        .iter()
        .filter(|e| e.action == "refused")
        .filter_map(|e| e.details["code"].as_str())
        .filter(|c| c.starts_with("assistant_"))
        .collect();
    assert_eq!(
        codes,
        [
            "assistant_not_granted",
            "assistant_cannot_sign",
            "assistant_cannot_sign",
            "assistant_cannot_sign",
            "assistant_cannot_sign",
            "assistant_outside_dates",
            "assistant_outside_dates"
        ]
    );
}
