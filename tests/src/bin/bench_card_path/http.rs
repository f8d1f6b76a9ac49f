//! Warm status calls: wrk over TLS keep-alive against the daemon and against nginx (one
//! worker) serving a static copy of the same JSON with the daemon's own certificate.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use passerelle_tests::daemon::content_type;
use passerelle_tests::{net, proc, TestDir};

/// What wrk reported.
#[derive(Debug, Clone, Copy)]
pub struct Wrk {
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub requests: u64,
}

impl Wrk {
    pub fn json(&self) -> serde_json::Value {
        use crate::stats::r3;
        serde_json::json!({
            "requests_per_s": r3(self.rps), "p50_ms": r3(self.p50_ms),
            "p99_ms": r3(self.p99_ms), "requests": self.requests,
        })
    }
}

/// Runs `wrk -t1 -c10 -d<secs>s --latency url`; its output goes to `log` too.
pub async fn wrk(url: &str, secs: u64, log: &Path) -> Result<Wrk, String> {
    let url = url.to_owned();
    let (ok, text) = tokio::task::spawn_blocking(move || {
        proc::run_with_timeout(
            Command::new("wrk").args(["-t1", "-c10", &format!("-d{secs}s"), "--latency", &url]),
            Duration::from_secs(secs + 30),
        )
    })
    .await
    .map_err(|e| format!("wrk task: {e}"))??;
    let mut all = std::fs::read_to_string(log).unwrap_or_default();
    all.push_str(&text);
    let _ = std::fs::write(log, all);
    if !ok {
        return Err(format!(
            "wrk failed (installed by scripts/install-test-deps?):\n{text}"
        ));
    }
    parse_wrk(&text)
}

/// Parses wrk's `--latency` output.
pub fn parse_wrk(text: &str) -> Result<Wrk, String> {
    let field = |prefix: &str| {
        text.lines()
            .map(str::trim)
            .find_map(|l| l.strip_prefix(prefix).map(|r| r.trim().to_owned()))
            .ok_or_else(|| format!("no {prefix:?} line in wrk's output:\n{text}"))
    };
    let rps: f64 = field("Requests/sec:")?
        .parse()
        .map_err(|e| format!("Requests/sec: {e}"))?;
    let time = |prefix: &str| -> Result<f64, String> {
        let v = field(prefix)?;
        parse_time_ms(&v).ok_or_else(|| format!("cannot read {prefix} latency {v:?}"))
    };
    let requests: u64 = text
        .lines()
        .find_map(|l| {
            l.trim()
                .split_once(" requests in ")
                .and_then(|(n, _)| n.parse().ok())
        })
        .ok_or_else(|| format!("no 'N requests in' line in wrk's output:\n{text}"))?;
    if let Ok(bad) = field("Non-2xx or 3xx responses:") {
        return Err(format!(
            "wrk got {bad} non-2xx/3xx answers of {requests}: not a valid measurement"
        ));
    }
    if requests == 0 {
        return Err(format!("wrk made no request:\n{text}"));
    }
    Ok(Wrk {
        rps,
        p50_ms: time("50%")?,
        p99_ms: time("99%")?,
        requests,
    })
}

/// `123.45us`, `1.20ms`, `2.00s`, `1.5m` → milliseconds.
pub fn parse_time_ms(v: &str) -> Option<f64> {
    let split = v.find(|c: char| c.is_ascii_alphabetic())?;
    let (num, unit) = v.split_at(split);
    let num: f64 = num.trim().parse().ok()?;
    let factor = match unit.trim() {
        "us" => 1e-3,
        "ms" => 1.0,
        "s" => 1e3,
        "m" => 60e3,
        "h" => 3600e3,
        _ => return None,
    };
    Some(num * factor)
}

/// `n` status calls each on a new TLS connection (`client` keeps no idle connection),
/// after 3 untimed ones: what a peer pays when it does not keep the connection alive.
pub async fn fresh_calls(
    client: &reqwest::Client,
    url: &str,
    n: usize,
) -> Result<Vec<Duration>, String> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n + 3 {
        let t = std::time::Instant::now();
        let resp = client
            .get(url)
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .map_err(|e| format!("GET {url}: {e}"))?;
        if resp.status() != 200 {
            return Err(format!("GET {url}: status {}", resp.status()));
        }
        resp.bytes()
            .await
            .map_err(|e| format!("GET {url}: body: {e}"))?;
        if i >= 3 {
            out.push(t.elapsed());
        }
    }
    Ok(out)
}

/// A foreground nginx with one worker, serving `body` at `/v1/status` over TLS. Stopped on
/// drop.
pub struct Nginx {
    child: Child,
    port: u16,
    _root: tempfile::TempDir,
}

impl Nginx {
    /// Starts nginx (`workers` worker processes) with the daemon's certificate; returns
    /// once `/v1/status` answers `body` (checked with `client`, which trusts the daemon's CA).
    pub async fn start(
        dir: &TestDir,
        tls_dir: &Path,
        body: &[u8],
        client: &reqwest::Client,
        workers: usize,
    ) -> Result<Nginx, String> {
        let root = tempfile::Builder::new()
            .prefix("passerelle-bench-nginx-")
            .tempdir()
            .map_err(|e| format!("temp dir: {e}"))?;
        let r = root.path();
        let io = |e: std::io::Error| format!("nginx dir {}: {e}", r.display());
        std::fs::create_dir_all(r.join("www/v1")).map_err(io)?;
        std::fs::create_dir_all(r.join("temp")).map_err(io)?;
        std::fs::write(r.join("www/v1/status"), body).map_err(io)?;
        // When nginx runs as root its worker is `nobody`: it must be able to read the file.
        for (p, mode) in [
            (r.to_path_buf(), 0o755),
            (r.join("www"), 0o755),
            (r.join("www/v1"), 0o755),
            (r.join("www/v1/status"), 0o644),
        ] {
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).map_err(io)?;
        }
        let port = net::free_port()?;
        let d = r.display();
        let conf = format!(
            "worker_processes {workers};\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\n\
             events {{ worker_connections 1024; }}\n\
             http {{\n  access_log off;\n  default_type application/json;\n  keepalive_requests 100000;\n  keepalive_timeout 75s;\n\
             \x20 client_body_temp_path {d}/temp/body;\n  proxy_temp_path {d}/temp/proxy;\n  fastcgi_temp_path {d}/temp/fastcgi;\n\
             \x20 uwsgi_temp_path {d}/temp/uwsgi;\n  scgi_temp_path {d}/temp/scgi;\n\
             \x20 server {{\n    listen 127.0.0.1:{port} ssl;\n    ssl_certificate {cert};\n    ssl_certificate_key {key};\n\
             \x20   root {d}/www;\n    location = /v1/status {{ }}\n  }}\n}}\n",
            cert = tls_dir.join("server.pem").display(),
            key = tls_dir.join("server.key").display(),
        );
        std::fs::write(r.join("nginx.conf"), &conf).map_err(io)?;
        std::fs::write(dir.file("nginx.conf"), &conf).map_err(io)?;
        let log = dir.file("nginx.log");
        let child = Command::new("nginx")
            .arg("-p")
            .arg(r)
            .arg("-e")
            .arg(r.join("error.log"))
            .arg("-c")
            .arg(r.join("nginx.conf"))
            .args(["-g", "daemon off;"])
            .stdin(Stdio::null())
            .stdout(proc::log_file(&log))
            .stderr(proc::log_file(&log))
            .spawn()
            .map_err(|e| format!("spawn nginx (installed by scripts/install-test-deps?): {e}"))?;
        let mut ng = Nginx {
            child,
            port,
            _root: root,
        };
        let url = ng.url();
        let mut last = String::new();
        for _ in 0..200 {
            if let Ok(Some(st)) = ng.child.try_wait() {
                let err =
                    std::fs::read_to_string(ng._root.path().join("error.log")).unwrap_or_default();
                return Err(format!(
                    "nginx exited at start ({st}):\n{}\n{err}",
                    proc::tail(&log, 20)
                ));
            }
            match client
                .get(&url)
                .timeout(Duration::from_secs(2))
                .send()
                .await
            {
                Ok(resp) => {
                    let status = resp.status();
                    let ctype = content_type(&resp);
                    let got = resp.bytes().await.map_err(|e| e.to_string())?;
                    if status == 200
                        && got.as_ref() == body
                        && ctype.starts_with("application/json")
                    {
                        return Ok(ng);
                    }
                    last = format!(
                        "status {status}, content-type {ctype:?}, {} bytes",
                        got.len()
                    );
                }
                Err(e) => last = format!("{e:?}"),
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let err = std::fs::read_to_string(ng._root.path().join("error.log")).unwrap_or_default();
        Err(format!(
            "nginx did not serve {url} within 10 s; last: {last}\n{err}"
        ))
    }

    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}/v1/status", self.port)
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        proc::stop(&mut self.child, Duration::from_secs(5));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrk_output() {
        let out = "Running 2s test @ https://127.0.0.1:1/v1/status\n  1 threads and 10 connections\n\
            \x20 Thread Stats   Avg      Stdev     Max   +/- Stdev\n    Latency   200.00us  1.00ms  20.00ms   99.00%\n\
            \x20 Latency Distribution\n     50%  150.00us\n     75%  180.00us\n     90%  210.00us\n     99%    1.20ms\n\
            \x20 90000 requests in 2.00s, 40.00MB read\nRequests/sec:  45000.12\nTransfer/sec:     20.00MB\n";
        let w = parse_wrk(out).unwrap();
        assert_eq!(w.requests, 90000);
        assert!((w.p50_ms - 0.15).abs() < 1e-9 && (w.p99_ms - 1.2).abs() < 1e-9);
        assert!((w.rps - 45000.12).abs() < 1e-6);
        assert_eq!(parse_time_ms("2.00s"), Some(2000.0));
        assert!(parse_wrk(&out.replace(
            "Requests/sec",
            "Transfer/sec: 1\nNon-2xx or 3xx responses: 5\nRequests/sec"
        ))
        .is_err());
    }
}
