//! The test app on loopback that the gates are run against — by the rendered
//! gate scripts (gate_scripts.rs) and by `oamc gates` (gates.rs): a small
//! HTTP/1.1 server, one thread per connection, every answer `Connection: close`.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Milliseconds `/slow/` waits before it answers: well above the latency
/// limits the tests set.
pub const SLOW_MS: u64 = 60;

/// The page at `/app/`: `status: ok` on a line of its own (for anchored
/// patterns), a version string, and a heading.
pub const PAGE: &str =
    "<html><body>\n<h1>shop</h1>\n<h2>rocket shop v2</h2>\n<p>status: ok</p>\n</body></html>\n";

/// What a server answers besides its pages.
#[derive(Clone, Default)]
pub struct App {
    /// Connections accepted.
    pub hits: Arc<AtomicUsize>,
    /// Where `/away/` redirects: another origin.
    pub away: Option<u16>,
    /// The body of `/metrics`.
    pub metrics: Option<fn() -> String>,
}

/// Held while a load runs (ab, Artillery, `oamc gates`' performance gate):
/// a load judged on latency measures the machine too, so two never share
/// it. A file lock (flock), not a mutex: cargo-nextest runs each test in a
/// process of its own, and two open files conflict within one process too.
pub fn load_lock() -> LoadLock {
    let path = std::env::temp_dir().join("oamc-tests-load.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    file.lock()
        .unwrap_or_else(|e| panic!("lock {}: {e}", path.display()));
    LoadLock(file)
}

/// The load lock, released when dropped (the file is closed).
pub struct LoadLock(#[allow(dead_code)] std::fs::File);

/// Starts `app` on a loopback port and returns the port.
pub fn serve(app: App) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            app.hits.fetch_add(1, Ordering::SeqCst);
            let app = app.clone();
            std::thread::spawn(move || answer(stream, port, &app));
        }
    });
    port
}

/// A port nothing listens on: a new version that does not answer.
pub fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn answer(mut stream: TcpStream, port: u16, app: &App) {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 16 * 1024 {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    let head = String::from_utf8_lossy(&head);
    let target = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
    let path = target.split('?').next().unwrap_or("/").to_owned();
    let echo = echo(&head, &target, &mut stream);
    let metrics = app.metrics.map(|m| m()).unwrap_or_default();
    let redirect = |to: String| ("302 Found", format!("Location: {to}\r\n"), "");
    let (status, extra, body) = match path.as_str() {
        "/app/" => ("200 OK", String::new(), PAGE),
        "/slow/" => {
            std::thread::sleep(Duration::from_millis(SLOW_MS));
            ("200 OK", String::new(), PAGE)
        }
        "/hang/" => {
            std::thread::sleep(Duration::from_secs(5));
            ("200 OK", String::new(), PAGE)
        }
        // Upstream's path without its `/`, and a moved page: same origin.
        "/app" | "/moved/" => redirect(format!("http://127.0.0.1:{port}/app/")),
        "/away/" => redirect(format!("http://127.0.0.1:{}/", app.away.unwrap_or(1))),
        "/error/" => ("500 Internal Server Error", String::new(), "boom\n"),
        // The request is read and the connection dropped: a failed request.
        "/drop/" => return,
        "/metrics" if app.metrics.is_some() => ("200 OK", String::new(), metrics.as_str()),
        // The web gate's answers: JSON, what the request carried, not JSON.
        "/health.json" => ("200 OK", json_type(), HEALTH),
        "/echo" => ("200 OK", json_type(), echo.as_str()),
        "/see-other" => (
            "303 See Other",
            format!("Location: /echo\r\n{}", json_type()),
            "",
        ),
        "/not-json" => ("200 OK", String::new(), "OK\n"),
        _ => ("404 Not Found", String::new(), "no such page\n"),
    };
    let content_type = if extra.contains("Content-Type") {
        ""
    } else {
        "Content-Type: text/html\r\n"
    };
    let response = format!(
        "HTTP/1.1 {status}\r\n{content_type}Content-Length: {}\r\n{extra}Connection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes());
}

/// `/health.json`: what a service's health endpoint answers.
pub const HEALTH: &str = r#"{"status": "ok", "version": "2.1", "checks": [{"db-ok": 0.995}]}"#;

fn json_type() -> String {
    "Content-Type: application/json\r\n".into()
}

/// What a request carried, as JSON: its method, target, `X-Token` header
/// and body (read up to its Content-Length, at most 64 KiB).
fn echo(head: &str, target: &str, stream: &mut TcpStream) -> String {
    let header = |name: &str| {
        head.lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.trim()
                    .eq_ignore_ascii_case(name)
                    .then(|| v.trim().to_owned())
            })
            .unwrap_or_default()
    };
    let length: usize = header("content-length").parse().unwrap_or(0).min(64 << 10);
    let mut body = vec![0u8; length];
    if stream.read_exact(&mut body).is_err() {
        body.clear();
    }
    serde_json::json!({
        "method": head.split_whitespace().next().unwrap_or_default(),
        "target": target,
        "token": header("x-token"),
        "body": String::from_utf8_lossy(&body),
    })
    .to_string()
}
