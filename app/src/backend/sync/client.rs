//! A small distribution API client for wharf's own requests (sync, probes, deletes), authorised
//! by service tokens wharf signs itself.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, LINK};
use reqwest::StatusCode;
use serde::Deserialize;

use super::SERVICE_SUBJECT;
use crate::backend::events::MANIFEST_MEDIA_TYPES;
use crate::backend::token::{AccessEntry, TokenIssuer};

/// Page size asked of `_catalog` and `tags/list` (the registry caps it at 1000).
pub const PAGE_SIZE: usize = 1000;
/// Pages followed at most, so a misbehaving registry cannot loop us forever.
const MAX_PAGES: usize = 100_000;

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("{url}: {message}")]
    Transport { url: String, message: String },
    #[error("{url}: HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("{url}: {message}")]
    Protocol { url: String, message: String },
    #[error("signing a service token: {0}")]
    Token(String),
}

/// What a manifest `HEAD` tells: enough to record a tag without downloading anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestHead {
    pub digest: String,
    pub media_type: String,
    pub size: i64,
}

/// A manifest as `GET` returned it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedManifest {
    pub media_type: String,
    pub body: Vec<u8>,
}

/// A response header as text (empty when absent or not text).
fn header(resp: &reqwest::Response, name: &str) -> String {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

/// Reads a response body of at most `cap` bytes.
async fn read_capped(mut resp: reqwest::Response, url: &str, cap: usize) -> Result<Vec<u8>, RegistryError> {
    let too_large = || RegistryError::Protocol {
        url: url.to_owned(),
        message: format!("larger than {cap} bytes"),
    };
    if resp.content_length().is_some_and(|n| n > cap as u64) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| RegistryError::Transport {
        url: url.to_owned(),
        message: e.to_string(),
    })? {
        if body.len() + chunk.len() > cap {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[derive(Clone)]
pub struct RegistryClient {
    http: reqwest::Client,
    base: String,
    issuer: Arc<TokenIssuer>,
}

#[derive(Deserialize)]
struct CatalogPage {
    #[serde(default)]
    repositories: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct TagsPage {
    #[serde(default)]
    tags: Option<Vec<String>>,
}

/// The referrers API answers an OCI image index.
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";

#[derive(Deserialize)]
struct ReferrersPage {
    #[serde(default)]
    manifests: Vec<ReferrerEntry>,
}

#[derive(Deserialize)]
struct ReferrerEntry {
    digest: String,
}

/// The `rel="next"` target of a `Link` header, if any.
pub fn next_link(link: &str) -> Option<String> {
    link.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        let rel_next = params.split(';').any(|p| {
            let p = p.trim().replace(' ', "");
            p.eq_ignore_ascii_case("rel=\"next\"") || p.eq_ignore_ascii_case("rel=next")
        });
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        rel_next.then(|| target.to_owned())
    })
}

impl RegistryClient {
    /// A client for one replica, `http(s)://host:port`.
    pub fn new(base: &str, issuer: Arc<TokenIssuer>, timeout: Duration) -> Result<Self, RegistryError> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(3)))
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(32)
            .build()
            .map_err(|e| RegistryError::Transport {
                url: base.to_owned(),
                message: e.to_string(),
            })?;
        Ok(RegistryClient {
            http,
            base: base.trim_end_matches('/').to_owned(),
            issuer,
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    fn bearer(&self, kind: &str, name: &str, actions: &[&str]) -> Result<String, RegistryError> {
        let access = vec![AccessEntry {
            kind: kind.to_owned(),
            name: name.to_owned(),
            actions: actions.iter().map(|a| a.to_string()).collect(),
        }];
        let token = self
            .issuer
            .issue(SERVICE_SUBJECT, access)
            .map_err(|e| RegistryError::Token(e.to_string()))?;
        Ok(format!("Bearer {}", token.token))
    }

    fn absolute(&self, path_or_url: &str) -> String {
        if path_or_url.starts_with("http://") || path_or_url.starts_with("https://") {
            path_or_url.to_owned()
        } else {
            format!("{}{}", self.base, path_or_url)
        }
    }

    async fn send(&self, req: reqwest::RequestBuilder, url: &str) -> Result<reqwest::Response, RegistryError> {
        req.send().await.map_err(|e| RegistryError::Transport {
            url: url.to_owned(),
            message: e.to_string(),
        })
    }

    /// `GET /v2/`: the replica answers as a distribution registry (200 or 401 with the API
    /// version header).
    pub async fn ping(&self) -> Result<(), RegistryError> {
        let url = format!("{}/v2/", self.base);
        let resp = self.send(self.http.get(&url), &url).await?;
        let status = resp.status();
        if !(status == StatusCode::OK || status == StatusCode::UNAUTHORIZED) {
            return Err(RegistryError::Status {
                url,
                status: status.as_u16(),
            });
        }
        if !resp.headers().contains_key("docker-distribution-api-version") {
            return Err(RegistryError::Protocol {
                url,
                message: "no Docker-Distribution-API-Version header: not a registry".into(),
            });
        }
        Ok(())
    }

    /// `GET` of a health URL (the replica's `/debug/health`): 200 or an error.
    pub async fn health(&self, url: &str) -> Result<(), RegistryError> {
        let resp = self.send(self.http.get(url), url).await?;
        if resp.status() != StatusCode::OK {
            return Err(RegistryError::Status {
                url: url.to_owned(),
                status: resp.status().as_u16(),
            });
        }
        Ok(())
    }

    /// Follows `Link: <…>; rel="next"` from `first`, collecting what `items` takes of each page.
    async fn paginate<T: serde::de::DeserializeOwned>(
        &self,
        first: String,
        auth: &str,
        items: impl Fn(T) -> Vec<String>,
        missing_is_empty: bool,
        accept: Option<&str>,
    ) -> Result<Vec<String>, RegistryError> {
        let mut out = Vec::new();
        let mut next = Some(first);
        let mut pages = 0;
        while let Some(path) = next.take() {
            pages += 1;
            let url = self.absolute(&path);
            if pages > MAX_PAGES {
                return Err(RegistryError::Protocol {
                    url,
                    message: "too many pages".into(),
                });
            }
            if !url.starts_with(&format!("{}/", self.base)) {
                // Never send wharf's token elsewhere.
                return Err(RegistryError::Protocol {
                    url,
                    message: "the next page is on another host".into(),
                });
            }
            let mut req = self.http.get(&url).header(AUTHORIZATION, auth);
            if let Some(accept) = accept {
                req = req.header(ACCEPT, accept);
            }
            let resp = self.send(req, &url).await?;
            // Unknown repository: no tags. A later page going missing is an error, not the end.
            if missing_is_empty && pages == 1 && resp.status() == StatusCode::NOT_FOUND {
                return Ok(out);
            }
            if !resp.status().is_success() {
                return Err(RegistryError::Status {
                    url,
                    status: resp.status().as_u16(),
                });
            }
            next = resp
                .headers()
                .get_all(LINK)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .find_map(next_link);
            let page: T = resp.json().await.map_err(|e| RegistryError::Protocol {
                url: url.clone(),
                message: e.to_string(),
            })?;
            out.extend(items(page));
        }
        Ok(out)
    }

    /// Every repository name, following the catalog's pagination.
    ///
    /// Registry 3 answers 400 to an `n` above its `catalog.maxentries` (2.8 clamps it), so a
    /// refused page size is halved until the registry takes it.
    pub async fn catalog(&self) -> Result<Vec<String>, RegistryError> {
        let auth = self.bearer("registry", "catalog", &["*"])?;
        let mut n = PAGE_SIZE;
        loop {
            let listed = self
                .paginate(
                    format!("/v2/_catalog?n={n}"),
                    &auth,
                    |p: CatalogPage| p.repositories.unwrap_or_default(),
                    false,
                    None,
                )
                .await;
            match listed {
                Err(RegistryError::Status { status: 400, .. }) if n > 1 => n /= 2,
                other => return other,
            }
        }
    }

    /// Every tag of `repository` (empty when the registry does not know it).
    pub async fn tags(&self, repository: &str) -> Result<Vec<String>, RegistryError> {
        let auth = self.bearer("repository", repository, &["pull"])?;
        self.paginate(
            format!("/v2/{repository}/tags/list?n={PAGE_SIZE}"),
            &auth,
            |p: TagsPage| p.tags.unwrap_or_default(),
            true,
            None,
        )
        .await
    }

    /// A pull-scoped request for `path` under `/v2/{repository}/`: `None` on 404, an error on
    /// any other failure; the answer and its URL otherwise.
    async fn pull_request(
        &self,
        method: reqwest::Method,
        repository: &str,
        path: &str,
        accept: Option<String>,
    ) -> Result<Option<(reqwest::Response, String)>, RegistryError> {
        let auth = self.bearer("repository", repository, &["pull"])?;
        let url = format!("{}/v2/{repository}/{path}", self.base);
        let mut req = self.http.request(method, &url).header(AUTHORIZATION, auth);
        if let Some(accept) = accept {
            req = req.header(ACCEPT, accept);
        }
        let resp = self.send(req, &url).await?;
        if resp.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !resp.status().is_success() {
            return Err(RegistryError::Status {
                url,
                status: resp.status().as_u16(),
            });
        }
        Ok(Some((resp, url)))
    }

    /// The digest, media type and size of a manifest by `HEAD` (no pull is counted; `None`
    /// when it is gone).
    pub async fn head_manifest(
        &self,
        repository: &str,
        reference: &str,
    ) -> Result<Option<ManifestHead>, RegistryError> {
        let path = format!("manifests/{reference}");
        let accept = Some(MANIFEST_MEDIA_TYPES.join(", "));
        let Some((resp, url)) = self
            .pull_request(reqwest::Method::HEAD, repository, &path, accept)
            .await?
        else {
            return Ok(None);
        };
        let digest = header(&resp, "docker-content-digest");
        if digest.is_empty() {
            return Err(RegistryError::Protocol {
                url,
                message: "no Docker-Content-Digest header".into(),
            });
        }
        Ok(Some(ManifestHead {
            digest,
            media_type: header(&resp, CONTENT_TYPE.as_str()),
            size: header(&resp, CONTENT_LENGTH.as_str()).parse().unwrap_or(0),
        }))
    }

    /// A manifest's bytes and media type (`None` when it is gone). At most `cap` bytes are
    /// read: a larger body is an error, not a truncated manifest.
    pub async fn get_manifest(
        &self,
        repository: &str,
        reference: &str,
        cap: usize,
    ) -> Result<Option<FetchedManifest>, RegistryError> {
        let path = format!("manifests/{reference}");
        let accept = Some(MANIFEST_MEDIA_TYPES.join(", "));
        let Some((resp, url)) = self
            .pull_request(reqwest::Method::GET, repository, &path, accept)
            .await?
        else {
            return Ok(None);
        };
        let media_type = header(&resp, CONTENT_TYPE.as_str());
        let body = read_capped(resp, &url, cap).await?;
        Ok(Some(FetchedManifest { media_type, body }))
    }

    /// A blob (an image configuration), at most `cap` bytes; `None` when it is gone.
    pub async fn get_blob(&self, repository: &str, digest: &str, cap: usize) -> Result<Option<Vec<u8>>, RegistryError> {
        let path = format!("blobs/{digest}");
        match self.pull_request(reqwest::Method::GET, repository, &path, None).await? {
            Some((resp, url)) => read_capped(resp, &url, cap).await.map(Some),
            None => Ok(None),
        }
    }

    /// The digests of the manifests naming `digest` as their `subject`, from the OCI referrers
    /// API (`GET /v2/{repository}/referrers/{digest}`, every page). `None` when the registry
    /// does not offer it: the OCI spec forbids a 404 from a registry that does, and
    /// distribution (2.8, 3.1) answers 404.
    pub async fn referrers(&self, repository: &str, digest: &str) -> Result<Option<Vec<String>>, RegistryError> {
        let auth = self.bearer("repository", repository, &["pull"])?;
        let listed = self
            .paginate(
                format!("/v2/{repository}/referrers/{digest}"),
                &auth,
                |p: ReferrersPage| p.manifests.into_iter().map(|m| m.digest).collect(),
                false,
                Some(OCI_INDEX),
            )
            .await;
        match listed {
            Ok(found) => Ok(Some(found)),
            Err(RegistryError::Status { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Deletes a manifest by digest (every tag on it goes with it).
    pub async fn delete_manifest(&self, repository: &str, digest: &str) -> Result<(), RegistryError> {
        let auth = self.bearer("repository", repository, &["delete"])?;
        let url = format!("{}/v2/{repository}/manifests/{digest}", self.base);
        let resp = self
            .send(self.http.delete(&url).header(AUTHORIZATION, auth), &url)
            .await?;
        match resp.status() {
            s if s.is_success() || s == StatusCode::NOT_FOUND => Ok(()),
            s => Err(RegistryError::Status {
                url,
                status: s.as_u16(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::next_link;

    #[test]
    fn follows_only_rel_next() {
        assert_eq!(
            next_link("</v2/_catalog?last=b&n=1000>; rel=\"next\"").as_deref(),
            Some("/v2/_catalog?last=b&n=1000")
        );
        assert_eq!(next_link("<http://x/v2/a>; rel=\"prev\""), None);
        assert_eq!(next_link("<a>; rel=\"prev\", <b>;rel=\"next\"").as_deref(), Some("b"));
        assert_eq!(next_link("garbage"), None);
        assert_eq!(next_link("</v2/x?last=a>; rel=next").as_deref(), Some("/v2/x?last=a"));
    }
}
