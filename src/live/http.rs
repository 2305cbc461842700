//! The one HTTP client of `oamc gates`: every request has a deadline, no
//! proxy from the environment is used, and no redirect leaves the origin the
//! user gave, so traffic goes only to the URLs on the command line.

use std::time::Duration;
use ureq::Agent;
use ureq::http::Uri;

/// Answers are read up to this size: a gate's page, or a Prometheus result.
pub const BODY_LIMIT: u64 = 16 << 20;

/// As many redirects as wget follows.
const MAX_REDIRECTS: usize = 20;

/// `fresh_connections`: a new connection per request, as `ab` (without `-k`)
/// and Artillery (one request per virtual user) open them.
pub fn agent(timeout: Duration, fresh_connections: bool) -> Agent {
    agent_with(timeout, fresh_connections, false)
}

/// An agent that does not verify TLS certificates, for a web gate written
/// `insecure: true` (Argo Rollouts' `InsecureSkipVerify`), so `oamc gates`
/// reaches what the controller reaches.
pub fn insecure_agent(timeout: Duration) -> Agent {
    agent_with(timeout, false, true)
}

fn agent_with(timeout: Duration, fresh_connections: bool, insecure: bool) -> Agent {
    let idle = if fresh_connections { 0 } else { 3 };
    let tls = ureq::tls::TlsConfig::builder()
        .disable_verification(insecure)
        .build();
    Agent::config_builder()
        .tls_config(tls)
        .timeout_global(Some(timeout))
        .max_idle_connections(idle)
        .max_idle_connections_per_host(idle)
        .proxy(None)
        .max_redirects(0)
        .http_status_as_error(false)
        .user_agent(concat!("oamc-gates/", env!("CARGO_PKG_VERSION")))
        .build()
        .new_agent()
}

/// Why a request of `oamc gates` brought no answer it can judge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestError {
    /// Not an `http(s)` URL with a host (the parser's words, if it failed).
    NotHttp {
        url: String,
        why: Option<String>,
    },
    /// Not sent: the run's deadline had passed.
    NotSent {
        what: String,
    },
    /// The run's deadline passed while waiting for the answer.
    Late {
        what: String,
    },
    /// The client's own error (refused, reset, timed out).
    Client {
        what: String,
        why: String,
    },
    /// A redirect whose `Location` is not text.
    LocationNotText {
        what: String,
    },
    /// A redirect to another origin, which is not followed.
    OtherOrigin {
        what: String,
        to: String,
    },
    TooManyRedirects {
        url: String,
    },
    /// An answer that cannot be read, or is not what was asked for.
    Answer {
        what: String,
        why: String,
    },
}

impl std::fmt::Display for RequestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RequestError::NotHttp {
                url,
                why: Some(why),
            } => {
                write!(f, "`{url}` is not a URL: {why}")
            }
            RequestError::NotHttp { url, why: None } => {
                write!(f, "`{url}` is not an http:// or https:// URL with a host")
            }
            RequestError::NotSent { what } => {
                write!(
                    f,
                    "{what}: not sent: the run's deadline passed (--deadline)"
                )
            }
            RequestError::Late { what } => write!(
                f,
                "{what}: the run's deadline passed (--deadline) while waiting for the answer"
            ),
            RequestError::Client { what, why } | RequestError::Answer { what, why } => {
                write!(f, "{what}: {why}")
            }
            RequestError::LocationNotText { what } => {
                write!(f, "{what}: the redirect's Location is not text")
            }
            RequestError::OtherOrigin { what, to } => write!(
                f,
                "{what} redirects to {to}, another origin: oamc gates sends requests only to the URL given"
            ),
            RequestError::TooManyRedirects { url } => {
                write!(f, "GET {url}: more than {MAX_REDIRECTS} redirects")
            }
        }
    }
}

impl std::error::Error for RequestError {}

/// An `http` or `https` URL with a host, as given on the command line.
pub(crate) fn parse_base(url: &str) -> Result<Uri, RequestError> {
    let uri: Uri = url
        .parse()
        .map_err(|e: ureq::http::uri::InvalidUri| RequestError::NotHttp {
            url: url.to_owned(),
            why: Some(e.to_string()),
        })?;
    match uri.scheme_str() {
        Some("http" | "https") if uri.authority().is_some() => Ok(uri),
        _ => Err(RequestError::NotHttp {
            url: url.to_owned(),
            why: None,
        }),
    }
}

/// `base` with `path` appended (`http://localhost:8080` + `/java-app/`).
pub fn join(base: &str, path: &str) -> String {
    format!("{}{path}", base.trim_end_matches('/'))
}

/// An answer: its final URL, status and body.
pub struct Answer {
    pub url: String,
    pub status: u16,
    pub body: Vec<u8>,
}

/// One request to send: its method, headers and body.
pub(crate) struct Outgoing<'a> {
    /// `GET`, `POST` or `PUT`.
    pub method: &'a str,
    pub headers: &'a [(String, String)],
    pub body: Option<&'a str>,
}

impl Outgoing<'_> {
    /// A plain GET, as wget sends it.
    pub const GET: Outgoing<'static> = Outgoing {
        method: "GET",
        headers: &[],
        body: None,
    };
}

/// GET `url`, following redirects as wget does, but only within its origin
/// and within the run's deadline: each hop is a request of its own, with
/// what is left of the run as its longest wait (21 slow redirects cost 21
/// `--timeout`s before).
pub(crate) fn get_following(target: &super::Target, url: &str) -> Result<Answer, RequestError> {
    send_following(target, &Outgoing::GET, url)
}

/// Send `out` to `url`, following redirects within its origin and the
/// run's deadline. As Go's client does (`net/http/client.go`,
/// `redirectBehavior`), a 301, 302 or 303 turns a POST or PUT into a GET
/// without a body; a 307 or 308 sends it again as it was.
pub(crate) fn send_following(
    target: &super::Target,
    out: &Outgoing,
    url: &str,
) -> Result<Answer, RequestError> {
    let start = origin(url)?;
    let mut current = url.to_owned();
    let (mut method, mut body) = (out.method, out.body);
    for _ in 0..=MAX_REDIRECTS {
        let what = format!("{method} {current}");
        let Some(timeout) = target.request_timeout() else {
            return Err(RequestError::NotSent { what });
        };
        let mut response = call(target, (method, out.headers, body), &current, timeout)
            .map_err(|e| target.request_error(&what, &e))?;
        let status = response.status().as_u16();
        if response.status().is_redirection()
            && let Some(location) = response.headers().get("location")
        {
            let location = location
                .to_str()
                .map_err(|_| RequestError::LocationNotText { what: what.clone() })?;
            let next = resolve(&current, location)?;
            if origin(&next)? != start {
                return Err(RequestError::OtherOrigin { what, to: next });
            }
            if matches!(status, 301..=303) && method != "GET" {
                (method, body) = ("GET", None);
            }
            current = next;
            continue;
        }
        let body = response
            .body_mut()
            .with_config()
            .limit(BODY_LIMIT)
            .read_to_vec()
            .map_err(|e| RequestError::Answer {
                what,
                why: format!("reading the answer: {e}"),
            })?;
        return Ok(Answer {
            url: current,
            status,
            body,
        });
    }
    Err(RequestError::TooManyRedirects {
        url: url.to_owned(),
    })
}

/// One hop: the method, with its headers, and its body when it has one.
fn call(
    target: &super::Target,
    (method, headers, body): (&str, &[(String, String)], Option<&str>),
    url: &str,
    timeout: Duration,
) -> Result<ureq::http::Response<ureq::Body>, ureq::Error> {
    macro_rules! sent {
        ($builder:expr, $finish:ident $(, $arg:expr)?) => {{
            let mut b = $builder;
            for (k, v) in headers {
                b = b.header(k.as_str(), v.as_str());
            }
            b.config().timeout_global(Some(timeout)).build().$finish($($arg)?)
        }};
    }
    let bytes = body.unwrap_or_default().as_bytes();
    match method {
        "POST" => sent!(target.agent.post(url), send, bytes),
        "PUT" => sent!(target.agent.put(url), send, bytes),
        _ => sent!(target.agent.get(url), call),
    }
}

/// The scheme and `host:port` of an `http(s)` URL (default ports filled in).
fn origin(url: &str) -> Result<(String, String), RequestError> {
    let (scheme, authority) = scheme_and_authority(url)?;
    let default_port = if scheme == "https" { 443 } else { 80 };
    let host = authority.host().to_ascii_lowercase();
    let port = authority.port_u16().unwrap_or(default_port);
    Ok((scheme, format!("{host}:{port}")))
}

/// The lowercase scheme and the authority of a URL `parse_base` accepts.
fn scheme_and_authority(url: &str) -> Result<(String, ureq::http::uri::Authority), RequestError> {
    let uri = parse_base(url)?;
    match (uri.scheme_str(), uri.authority()) {
        (Some(scheme), Some(authority)) => Ok((scheme.to_ascii_lowercase(), authority.clone())),
        _ => Err(RequestError::NotHttp {
            url: url.to_owned(),
            why: None,
        }),
    }
}

/// `location` read relative to `current` (absolute, `//host/…`, `/path` or `path`).
fn resolve(current: &str, location: &str) -> Result<String, RequestError> {
    let (scheme, authority) = scheme_and_authority(current)?;
    let path = parse_base(current)?.path().to_owned();
    Ok(if location.contains("://") {
        location.to_owned()
    } else if let Some(rest) = location.strip_prefix("//") {
        format!("{scheme}://{rest}")
    } else if location.starts_with('/') {
        format!("{scheme}://{authority}{location}")
    } else {
        // `path` starts with `/` (an http URI's path does), so there is a last `/`.
        let dir = path.rsplit_once('/').map_or("", |(dir, _)| dir);
        format!("{scheme}://{authority}{dir}/{location}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_resolve_like_a_browser() {
        let base = "http://localhost:8080/app/page?x=1";
        assert_eq!(
            resolve(base, "/login").unwrap(),
            "http://localhost:8080/login"
        );
        assert_eq!(
            resolve(base, "next").unwrap(),
            "http://localhost:8080/app/next"
        );
        assert_eq!(
            resolve(base, "//evil.example/").unwrap(),
            "http://evil.example/"
        );
        assert_eq!(resolve(base, "https://x/").unwrap(), "https://x/");
    }

    #[test]
    fn origins_compare_with_default_ports() {
        let o = |u: &str| origin(u).unwrap();
        assert_eq!(o("http://Localhost/"), o("http://localhost:80/x"));
        assert_ne!(o("http://localhost/"), o("https://localhost/"));
        assert_ne!(o("http://localhost:8080/"), o("http://localhost:8081/"));
    }

    #[test]
    fn only_http_urls_with_a_host() {
        assert!(parse_base("ftp://x/").is_err());
        assert!(parse_base("/relative").is_err());
        assert!(parse_base("localhost:8080").is_err());
        assert!(parse_base("http://127.0.0.1:9090").is_ok());
    }
}
