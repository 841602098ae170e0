//! Microsoft Sentinel: findings pushed to a Log Analytics custom table through the Logs Ingestion
//! API (data collection endpoint + rule + stream). Records are flat, PascalCase, avoid the reserved
//! column names, and go in batches under 1 MB; 429 and 5xx are retried honouring `Retry-After`, with
//! the same cap as ARM requests. The token is requested for the monitor audience of the cloud and is
//! only ever sent to the configured endpoint.

use std::sync::Arc;
use std::time::Duration;

use azure_core::credentials::TokenCredential;
use azure_core::http::policies::Policy;
use azure_core::http::policies::auth::BearerTokenAuthorizationPolicy;
use azure_core::http::{
    ClientOptions, Context, HttpClient, Method, Pipeline, PipelineSendOptions, Request,
    RetryOptions, Transport, Url,
};
use serde_json::{Value, json};

use super::Report;
use crate::arm::client::{
    arm_error, error_chain, is_retryable_status, one_line, retry_after, retry_wait,
};
use crate::azure::Cloud;
use crate::error::{Error, Result};

/// The Logs Ingestion API limit per call.
pub const MAX_BATCH_BYTES: usize = 1_000_000;
const API_VERSION: &str = "2023-01-01";

/// Where to send findings.
#[derive(Debug, Clone)]
pub struct SentinelTarget {
    /// The data collection endpoint's logs ingestion URL (https).
    pub endpoint: Url,
    /// The data collection rule's immutable id (`dcr-…`).
    pub rule_id: String,
    /// The stream declared in the rule (`Custom-…`).
    pub stream: String,
}

impl SentinelTarget {
    pub fn new(endpoint: &str, rule_id: &str, stream: &str) -> Result<Self> {
        let url = Url::parse(endpoint.trim()).map_err(|e| {
            Error::Usage(format!(
                "--sentinel-endpoint {endpoint:?} is not a URL: {e}"
            ))
        })?;
        if url.scheme() != "https" || url.host_str().is_none() {
            return Err(Error::Usage(format!(
                "--sentinel-endpoint {endpoint:?} must be an https URL"
            )));
        }
        if !rule_id.trim().starts_with("dcr-") {
            return Err(Error::Usage(format!(
                "--sentinel-dcr {rule_id:?} is not a data collection rule immutable id (dcr-…)"
            )));
        }
        if !stream.trim().starts_with("Custom-") {
            return Err(Error::Usage(format!(
                "--sentinel-stream {stream:?} must name a custom stream (Custom-…)"
            )));
        }
        Ok(SentinelTarget {
            endpoint: url,
            rule_id: rule_id.trim().to_string(),
            stream: stream.trim().to_string(),
        })
    }

    fn url(&self) -> Url {
        let mut url = self.endpoint.clone();
        let base = url.path().trim_end_matches('/').to_string();
        url.set_path(&format!(
            "{base}/dataCollectionRules/{}/streams/{}",
            self.rule_id, self.stream
        ));
        url.set_query(Some(&format!("api-version={API_VERSION}")));
        url
    }
}

/// The monitor audience of a cloud.
pub fn monitor_scope(cloud: Cloud) -> &'static str {
    match cloud {
        Cloud::Public => "https://monitor.azure.com/.default",
        Cloud::Usgov => "https://monitor.azure.us/.default",
        Cloud::China => "https://monitor.azure.cn/.default",
    }
}

/// One flat record per finding, matching the stream declaration in the README.
pub fn records(report: &Report) -> Vec<Value> {
    report
        .findings
        .iter()
        .map(|f| {
            let rid = crate::azure::ResourceId::parse(&f.resource_id).ok();
            json!({
                "TimeGenerated": report.run.finished_at,
                "RunId": report.run.run_id,
                "ToolVersion": report.tool.version,
                "SchemaVersion": report.schema_version,
                "RuleCode": f.rule,
                "RuleName": f.rule_name,
                "FindingTitle": f.title,
                "Severity": f.severity,
                "Message": f.message,
                "AzureResourceId": f.resource_id,
                "ResourceName": crate::azure::id::last_name(&f.resource_id),
                "ResourceType": f.resource_type,
                "SubscriptionId": f.subscription_id,
                "ResourceGroup": rid.as_ref().and_then(|r| r.resource_group().map(str::to_string)),
                "Evidence": f.evidence,
                "Remediation": f.remediation,
                "Fingerprint": f.id,
                "BaselineStatus": f.baseline,
                "Suppressed": f.suppression.is_some(),
                "SuppressionReason": f.suppression.as_ref().map(|s| s.reason.clone()),
                "Confidence": f.confidence,
                "Related": f.related,
            })
        })
        .collect()
}

/// Splits records into JSON arrays of at most `max_bytes` each. A single record larger than that is
/// an error: the API would reject it.
pub fn batches(records: &[Value], max_bytes: usize) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut current: Vec<String> = Vec::new();
    let mut size = 2; // the brackets
    for r in records {
        let s = serde_json::to_string(r).expect("serialises");
        if s.len() + 2 > max_bytes {
            return Err(Error::Internal(format!(
                "a finding serialises to {} bytes, over the {max_bytes}-byte limit of one ingestion call",
                s.len()
            )));
        }
        let added = s.len() + usize::from(!current.is_empty());
        if size + added > max_bytes {
            out.push(format!("[{}]", current.join(",")));
            current.clear();
            size = 2;
        }
        size += s.len() + usize::from(!current.is_empty());
        current.push(s);
    }
    if !current.is_empty() {
        out.push(format!("[{}]", current.join(",")));
    }
    Ok(out)
}

/// What a push did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PushStats {
    pub records: usize,
    pub batches: usize,
    pub requests: usize,
}

pub struct SentinelClient {
    pipeline: Pipeline,
    target: SentinelTarget,
    max_retries: u32,
    max_wait: Duration,
    base_backoff: Duration,
}

impl SentinelClient {
    pub fn new(
        target: SentinelTarget,
        cloud: Cloud,
        credential: Arc<dyn TokenCredential>,
        transport: Option<Arc<dyn HttpClient>>,
        max_wait: Duration,
    ) -> Self {
        crate::arm::tls::install();
        let auth: Arc<dyn Policy> = Arc::new(BearerTokenAuthorizationPolicy::new(
            credential,
            [monitor_scope(cloud)],
        ));
        let options = ClientOptions {
            retry: RetryOptions::none(),
            transport: transport.map(Transport::new),
            ..Default::default()
        };
        SentinelClient {
            pipeline: Pipeline::new(
                Some("azaudit"),
                Some(env!("CARGO_PKG_VERSION")),
                options,
                Vec::new(),
                vec![auth],
                None,
            ),
            target,
            max_retries: 5,
            max_wait,
            base_backoff: Duration::from_secs(1),
        }
    }

    /// Shortens back-off for tests.
    pub fn with_backoff(mut self, base: Duration) -> Self {
        self.base_backoff = base;
        self
    }

    /// Sends every finding of the report; stops at the first batch that cannot be delivered.
    pub async fn push(&self, report: &Report) -> Result<PushStats> {
        let recs = records(report);
        let mut stats = PushStats {
            records: recs.len(),
            ..Default::default()
        };
        for (i, body) in batches(&recs, MAX_BATCH_BYTES)?.into_iter().enumerate() {
            stats.batches += 1;
            let mut attempt = 0u32;
            loop {
                attempt += 1;
                stats.requests += 1;
                let mut req = Request::new(self.target.url(), Method::Post);
                req.insert_header("content-type", "application/json");
                req.set_body(body.clone());
                let options = PipelineSendOptions {
                    skip_checks: true,
                    ..Default::default()
                };
                let (retryable, hint, what) = match self
                    .pipeline
                    .send(&Context::new(), &mut req, Some(options))
                    .await
                {
                    Ok(resp) => {
                        let status = u16::from(resp.status());
                        if (200..300).contains(&status) {
                            break;
                        }
                        let hint = retry_after(&resp);
                        let (code, message) = arm_error(&resp.into_body(), status);
                        (
                            is_retryable_status(status),
                            hint,
                            format!(
                                "HTTP {status}{}: {message}",
                                code.map(|c| format!(" {c}")).unwrap_or_default()
                            ),
                        )
                    }
                    Err(e) => {
                        use azure_core::error::ErrorKind;
                        let retryable = matches!(e.kind(), ErrorKind::Io | ErrorKind::Connection);
                        (retryable, None, one_line(&error_chain(&e)))
                    }
                };
                if !retryable || attempt > self.max_retries {
                    return Err(Error::Internal(format!(
                        "Sentinel push of batch {} of {} failed after {attempt} attempt(s): {what}",
                        i + 1,
                        stats.batches.max(i + 1)
                    )));
                }
                let wait = retry_wait(hint, self.base_backoff, attempt, self.max_wait);
                tokio::time::sleep(wait).await;
            }
        }
        Ok(stats)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_stay_under_the_limit_and_keep_every_record() {
        let recs: Vec<Value> = (0..500)
            .map(|i| json!({"n": i, "pad": "x".repeat(300)}))
            .collect();
        let b = batches(&recs, 20_000).unwrap();
        assert!(b.len() > 1);
        let mut total = 0;
        for batch in &b {
            assert!(batch.len() <= 20_000, "{}", batch.len());
            total += serde_json::from_str::<Vec<Value>>(batch).unwrap().len();
        }
        assert_eq!(total, 500);
        assert!(batches(&[json!({"pad": "x".repeat(100)})], 50).is_err());
    }

    #[test]
    fn records_avoid_reserved_column_names() {
        let report = crate::scan::build_report(
            &crate::collect::demo::snapshot(),
            "demo",
            None,
            "2026-11-24T09:00:00Z".parse().unwrap(),
            std::time::Instant::now(),
        );
        let reserved = [
            "_ResourceId",
            "id",
            "_SubscriptionId",
            "TenantId",
            "Type",
            "UniqueId",
            "Title",
        ];
        for r in records(&report) {
            for k in r.as_object().unwrap().keys() {
                assert!(!reserved.contains(&k.as_str()), "{k} is reserved");
                assert!(k.len() <= 45 && k.chars().next().unwrap().is_ascii_alphabetic());
            }
            assert!(r["TimeGenerated"].is_string());
        }
    }

    #[test]
    fn targets_are_validated() {
        assert!(
            SentinelTarget::new("http://x.ingest.monitor.azure.com", "dcr-1", "Custom-A").is_err()
        );
        assert!(
            SentinelTarget::new("https://x.ingest.monitor.azure.com", "rule", "Custom-A").is_err()
        );
        assert!(
            SentinelTarget::new("https://x.ingest.monitor.azure.com", "dcr-1", "A_CL").is_err()
        );
        let t = SentinelTarget::new(
            "https://x.ingest.monitor.azure.com/",
            "dcr-1",
            "Custom-Azaudit_CL",
        )
        .unwrap();
        assert_eq!(
            t.url().as_str(),
            "https://x.ingest.monitor.azure.com/dataCollectionRules/dcr-1/streams/Custom-Azaudit_CL?api-version=2023-01-01"
        );
    }
}
