//! One daemon per data directory: a second `passerelle run` on the same data directory,
//! on another port, refuses to start and names the first one's port; the first keeps
//! serving. Once the first stops, the same data directory starts again.

use std::time::Duration;

use passerelle_tests::daemon::run_command;
use passerelle_tests::net::free_port;
use passerelle_tests::{poll_until, proc, Backend, Daemon, TestDir};

#[tokio::test(flavor = "multi_thread")]
async fn a_second_daemon_on_the_same_data_directory_is_refused() {
    let dir = TestDir::new("a_second_daemon_on_the_same_data_directory_is_refused");
    let mut first = Daemon::start(&dir, Backend::Simulated).await.unwrap();
    let other_port = free_port().unwrap();
    let config = std::fs::read_to_string(first.config_path())
        .unwrap()
        .replace(
            &format!("port = {}", first.port()),
            &format!("port = {other_port}"),
        );
    let second_config = dir.file("second.toml");
    std::fs::write(&second_config, config).unwrap();
    let log = dir.file("second.log");
    let mut second = run_command(&second_config, &log).spawn().unwrap();
    let status = proc::wait_timeout(&mut second, Duration::from_secs(20));
    let output = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        status.is_some_and(|s| !s.success()),
        "the second daemon did not refuse: {output}"
    );
    assert!(
        output.contains(&format!("port {}", first.port())) && output.contains("déjà"),
        "{output}"
    );
    assert_eq!(first.readers().await.unwrap().readers.len(), 3);

    first.stop();
    let mut third = run_command(&second_config, &dir.file("third.log"))
        .spawn()
        .unwrap();
    let started = poll_until("the third daemon", Duration::from_secs(20), || async {
        std::net::TcpStream::connect(("127.0.0.1", other_port))
            .map(drop)
            .map_err(|e| e.to_string())
    })
    .await;
    proc::stop(&mut third, Duration::from_secs(5));
    started.unwrap_or_else(|e| panic!("{e}: {}", proc::tail(&dir.file("third.log"), 20)));
}
