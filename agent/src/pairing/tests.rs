use super::*;

/// The OS user of the test's connection.
fn me() -> OsUser {
    OsUser::unix(1000)
}

fn config(lifetime: u64) -> SecurityConfig {
    SecurityConfig {
        token_lifetime_seconds: lifetime,
        preapproved_origins: vec!["https://clinic.example".into()],
        ..SecurityConfig::default()
    }
}

fn web(origin: &str) -> ClientIdentity {
    ClientIdentity::Origin {
        origin: origin.into(),
    }
}

fn ask(scopes: Vec<Scope>) -> PairingRequest {
    PairingRequest {
        app_name: "Facturation".into(),
        scopes,
    }
}

#[tokio::test]
async fn approve_then_token_once_then_revoke() {
    let dir = tempfile::tempdir().unwrap();
    let p = Pairings::open(dir.path(), &config(3600), None).unwrap();
    let app = web("https://app.example");
    let created = p
        .request(app.clone(), Some(&me()), ask(vec![Scope::ReadCards]))
        .await
        .unwrap();
    assert!(!p.origin_approved("https://app.example"));
    let state = p.poll(&created.pairing_id, &app).await.unwrap();
    assert_eq!(state.status, PairingStatus::Pending);
    // Another origin cannot poll it.
    assert!(matches!(
        p.poll(&created.pairing_id, &web("https://evil.example"))
            .await,
        Err(PairingError::NotFound)
    ));
    assert_eq!(p.pending()[0].code, created.code);
    p.decide(&created.code, true, AuditActor::default())
        .await
        .unwrap();
    let state = p.poll(&created.pairing_id, &app).await.unwrap();
    let token = state.token.expect("token on the first poll");
    let again = p.poll(&created.pairing_id, &app).await.unwrap();
    assert_eq!(again.status, PairingStatus::Delivered);
    assert!(again.token.is_none());
    let grant = p.authenticate(&token).expect("valid token");
    assert_eq!(grant.client, app);
    assert!(p.origin_approved("https://app.example"));
    assert!(p.authenticate("pst_00").is_none());

    // Survives a reopen; the file never holds the token.
    let reopened = Pairings::open(dir.path(), &config(3600), None).unwrap();
    assert_eq!(reopened.authenticate(&token), Some(grant.clone()));
    let text = std::fs::read_to_string(dir.path().join(store::FILE_NAME)).unwrap();
    assert!(!text.contains(&token));

    reopened
        .revoke(&grant.id, AuditActor::default())
        .await
        .unwrap();
    assert!(reopened.authenticate(&token).is_none());
    assert!(Pairings::open(dir.path(), &config(3600), None)
        .unwrap()
        .authenticate(&token)
        .is_none());
}

#[tokio::test]
async fn deny_expire_and_refusals() {
    let dir = tempfile::tempdir().unwrap();
    let p = Pairings::open(dir.path(), &config(0), None).unwrap();
    let app = web("https://app.example");
    assert!(p
        .request(app.clone(), Some(&me()), ask(vec![]))
        .await
        .is_err());
    let bad_name = PairingRequest {
        app_name: " ".into(),
        scopes: vec![Scope::Sign],
    };
    assert!(p.request(app.clone(), Some(&me()), bad_name).await.is_err());
    let created = p
        .request(app.clone(), Some(&me()), ask(vec![Scope::Sign]))
        .await
        .unwrap();
    p.decide(&created.code, false, AuditActor::default())
        .await
        .unwrap();
    assert_eq!(
        p.poll(&created.pairing_id, &app).await.unwrap().status,
        PairingStatus::Denied
    );
    assert!(p
        .decide(&created.code, true, AuditActor::default())
        .await
        .is_err());
    // A zero lifetime gives a token that is already expired.
    let created = p
        .request(app.clone(), Some(&me()), ask(vec![Scope::Sign]))
        .await
        .unwrap();
    p.decide(&created.code, true, AuditActor::default())
        .await
        .unwrap();
    let token = p
        .poll(&created.pairing_id, &app)
        .await
        .unwrap()
        .token
        .unwrap();
    assert!(p.authenticate(&token).is_none());
    // Floods are capped per client.
    for _ in 0..4 {
        let _ = p
            .request(app.clone(), Some(&me()), ask(vec![Scope::Sign]))
            .await;
    }
    assert!(matches!(
        p.request(app, Some(&me()), ask(vec![Scope::Sign])).await,
        Err(PairingError::TooMany)
    ));
}

#[tokio::test]
async fn preapproved_origins_skip_the_code_but_not_for_sign_transmit_admin() {
    let dir = tempfile::tempdir().unwrap();
    let p = Pairings::open(dir.path(), &config(3600), None).unwrap();
    let clinic = web("https://clinic.example");
    assert!(p.origin_approved("https://clinic.example"));
    let c = p
        .request(clinic.clone(), Some(&me()), ask(vec![Scope::ReadCards]))
        .await
        .unwrap();
    assert!(p
        .poll(&c.pairing_id, &clinic)
        .await
        .unwrap()
        .token
        .is_some());
    for scope in [Scope::Sign, Scope::Transmit, Scope::Admin] {
        let c = p
            .request(
                clinic.clone(),
                Some(&me()),
                ask(vec![Scope::ReadCards, scope]),
            )
            .await
            .unwrap();
        assert_eq!(
            p.poll(&c.pairing_id, &clinic).await.unwrap().status,
            PairingStatus::Pending,
            "{scope:?}"
        );
    }
    // Nor for a caller whose OS user is unknown.
    let c = p
        .request(clinic.clone(), None, ask(vec![Scope::ReadCards]))
        .await
        .unwrap();
    assert_eq!(
        p.poll(&c.pairing_id, &clinic).await.unwrap().status,
        PairingStatus::Pending
    );
}
