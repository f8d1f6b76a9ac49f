//! SIGKILLs while replacement sessions are opened and closed.

use super::*;

/// Sends a POST and gives its JSON when the daemon answered 200 (`None`: refused, or no
/// answer because it was killed).
async fn try_post(client: &reqwest::Client, url: String, body: Value) -> Option<Value> {
    let resp = client
        .post(url)
        .json(&body)
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .ok()?;
    if resp.status() != 200 {
        return None;
    }
    resp.json().await.ok()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sigkill_while_opening_or_closing_leaves_nothing_half_done() {
    use base64::Engine;
    use passerelle_tests::{proc, Backend};
    let dir = TestDir::new("a_sigkill_while_opening_or_closing_leaves_nothing_half_done");
    let config = "[simulator]\nreaders = [\"cps:durand-sage-femme\"]\npin_pad_readers = []\n\n\
                  [security]\nrate_limit_per_second = 1000000000\nrate_limit_burst = 1000000000\n";
    let mut daemon = Daemon::start_with(&dir, Backend::Simulated, config)
        .await
        .unwrap();
    let reader = "Passerelle lecteur simulé 0";
    let pin = route(reader, "pin/verify");
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut seed = std::process::id() as u64 | 1;
    // Answered with 200 before the kill: (session id, closed too).
    let mut answered: Vec<(i64, bool)> = Vec::new();
    const KILLS: i64 = 25;
    for kill in 0..=KILLS {
        let list: ReplacementList = daemon.get_json("/v1/replacements").await.unwrap();
        // Every session is whole: its opening signature verifies; none open twice a day.
        for s in &list.sessions {
            let digest: [u8; 32] = hex::decode(&s.opening_sha256).unwrap().try_into().unwrap();
            passerelle_billing::signer::verify(
                &b64.decode(&s.opening_certificate).unwrap(),
                &digest,
                &b64.decode(&s.opening_signature).unwrap(),
            )
            .unwrap_or_else(|e| panic!("session {} half-made: {e}", s.id));
        }
        for (id, closed) in &answered {
            let s = list.sessions.iter().find(|s| s.id == *id);
            let s = s.unwrap_or_else(|| panic!("session {id} acknowledged, then lost"));
            if *closed {
                assert_eq!(s.state, ReplacementState::Closed, "session {id}");
            }
        }
        if kill == KILLS {
            break;
        }
        let _: Value = daemon
            .post_json(&pin, &json!({ "pin": "4729" }))
            .await
            .unwrap();
        let (client, base) = (daemon.client(), daemon.base_url());
        let date = day(kill);
        let work = tokio::spawn(async move {
            let typed = json!({ "source": "typed", "billing_number": TRAINEE,
                "billing_key": "1", "holder_id": "810009998887", "last_name": "Moreau",
                "first_name": "Thomas" });
            let open = json!({ "reader": reader, "substitute": typed, "start": date, "end": date });
            let session = try_post(&client, format!("{base}/v1/replacements"), open).await?;
            let id = session["id"].as_i64()?;
            let close = format!("{base}/v1/replacements/{id}/close");
            let closed = try_post(&client, close, json!({ "reader": reader })).await;
            Some((id, closed.is_some()))
        });
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        tokio::time::sleep(Duration::from_millis((seed >> 33) % 40)).await;
        proc::signal(daemon.pid().unwrap(), libc::SIGKILL);
        if let Some(done) = work.await.unwrap() {
            answered.push(done);
        }
        daemon.restart().await.unwrap();
    }
    let closed = answered.iter().filter(|(_, c)| *c).count();
    eprintln!(
        "{KILLS} kills: {} openings and {closed} closings acknowledged",
        answered.len()
    );
}
