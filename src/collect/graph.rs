//! Azure Resource Graph as a source of the inventory: one KQL query per kind across groups of
//! subscriptions, paged with `$skipToken`, rows turned back into the shape ARM lists return so that
//! they parse into the same typed inventory (rules cannot tell the sources apart).

use std::collections::HashSet;

use serde_json::{Map, Value, json};

use crate::arm::{ArmClient, ArmError};
use crate::inventory::ResourceKind;

/// Subscriptions per query: Resource Graph recommends groups below 300.
pub const SUBSCRIPTION_GROUP: usize = 250;
/// Rows per page: Resource Graph's maximum.
pub const PAGE_SIZE: u64 = 1000;

/// Where to read a kind in Resource Graph, and the ARM `type` its rows are given back.
#[derive(Debug, Clone, Copy)]
pub struct GraphKind {
    pub kind: ResourceKind,
    /// `resources`, or `dnsresources` for private DNS record sets.
    pub table: &'static str,
    /// The ARM resource type, as ARM lists spell it.
    pub arm_type: &'static str,
}

use ResourceKind as K;

/// The kinds Resource Graph indexes that azaudit reads. Top-level kinds come first; the children
/// (flow logs, zone links, record sets) have parents that their ARM fallback lists under.
pub const GRAPH_KINDS: &[GraphKind] = &[
    gk(
        K::NetworkSecurityGroup,
        "Microsoft.Network/networkSecurityGroups",
    ),
    gk(K::RouteTable, "Microsoft.Network/routeTables"),
    gk(K::VirtualNetwork, "Microsoft.Network/virtualNetworks"),
    gk(K::PrivateEndpoint, "Microsoft.Network/privateEndpoints"),
    gk(K::NetworkInterface, "Microsoft.Network/networkInterfaces"),
    gk(K::NetworkWatcher, "Microsoft.Network/networkWatchers"),
    gk(
        K::ApplicationGateway,
        "Microsoft.Network/applicationGateways",
    ),
    gk(K::AzureFirewall, "Microsoft.Network/azureFirewalls"),
    gk(
        K::VirtualNetworkGateway,
        "Microsoft.Network/virtualNetworkGateways",
    ),
    gk(
        K::LocalNetworkGateway,
        "Microsoft.Network/localNetworkGateways",
    ),
    gk(
        K::VirtualNetworkGatewayConnection,
        "Microsoft.Network/connections",
    ),
    gk(
        K::ExpressRouteCircuit,
        "Microsoft.Network/expressRouteCircuits",
    ),
    gk(K::PrivateDnsZone, "Microsoft.Network/privateDnsZones"),
    gk(K::KeyVault, "Microsoft.KeyVault/vaults"),
    gk(
        K::RecoveryServicesVault,
        "Microsoft.RecoveryServices/vaults",
    ),
    gk(K::FlowLog, "Microsoft.Network/networkWatchers/flowLogs"),
    gk(
        K::VirtualNetworkLink,
        "Microsoft.Network/privateDnsZones/virtualNetworkLinks",
    ),
    GraphKind {
        kind: K::RecordSet,
        table: "dnsresources",
        arm_type: "Microsoft.Network/privateDnsZones/A",
    },
];

const fn gk(kind: ResourceKind, arm_type: &'static str) -> GraphKind {
    GraphKind {
        kind,
        table: "resources",
        arm_type,
    }
}

impl GraphKind {
    /// The KQL query: the kind's rows, projecting `id` (paging needs it), ordered for stable pages.
    pub fn query(&self) -> String {
        let columns = if self.table == "resources" {
            "id, name, type, location, tags, sku, kind, identity, zones, properties"
        } else {
            "id, name, type, location, properties"
        };
        format!(
            "{} | where type =~ '{}' | project {columns} | order by id asc",
            self.table,
            self.arm_type.to_ascii_lowercase()
        )
    }
}

/// Columns Resource Graph adds that ARM lists do not carry.
const GRAPH_ONLY_COLUMNS: &[&str] = &["resourceGroup", "subscriptionId", "tenantId"];

/// A Resource Graph row in the shape of an ARM list item: the ARM spelling of `type`, without
/// the columns only Resource Graph has, and without the `null`s (and empty `kind`/`managedBy`
/// strings) it fills absent columns with.
pub fn normalise_row(row: Value, arm_type: &str) -> Value {
    let Value::Object(map) = row else {
        return row;
    };
    let mut out = Map::with_capacity(map.len());
    for (k, v) in map {
        if GRAPH_ONLY_COLUMNS.contains(&k.as_str()) || v.is_null() {
            continue;
        }
        if matches!(k.as_str(), "kind" | "managedBy" | "plan") && v.as_str() == Some("") {
            continue;
        }
        if k == "type" {
            let same = v.as_str().is_some_and(|t| t.eq_ignore_ascii_case(arm_type));
            out.insert(k, if same { Value::from(arm_type) } else { v });
            continue;
        }
        out.insert(k, v);
    }
    Value::Object(out)
}

/// Reads every row of `kind` in `subscriptions`: groups below 300 subscriptions, pages of 1,000
/// rows, `$skipToken` followed. A truncated result (no skip token while rows are missing) is an
/// error, so the caller reads the kind another way rather than taking part of it as all of it.
///
/// Each page's rows go to `on_page` as they arrive (to be parsed into typed resources at once),
/// so that no more than one page is held as JSON; returns the number of rows read.
pub async fn read_kind(
    client: &ArmClient,
    kind: &GraphKind,
    subscriptions: &[String],
    mut on_page: impl FnMut(Vec<Value>),
) -> Result<usize, ArmError> {
    let mut rows = 0usize;
    let query = kind.query();
    for group in subscriptions.chunks(SUBSCRIPTION_GROUP) {
        let mut skip_token: Option<String> = None;
        let mut seen = HashSet::new();
        loop {
            let mut options = json!({"$top": PAGE_SIZE, "resultFormat": "objectArray"});
            if let Some(t) = &skip_token {
                options["$skipToken"] = Value::from(t.as_str());
            }
            let body = json!({"subscriptions": group, "query": query, "options": options});
            let page = client.query_graph(&body).await?;
            let Value::Object(mut page) = page else {
                return Err(ArmError::Malformed(
                    "the Resource Graph answer is not an object".into(),
                ));
            };
            match page.remove("data") {
                Some(Value::Array(data)) => {
                    rows += data.len();
                    on_page(
                        data.into_iter()
                            .map(|r| normalise_row(r, kind.arm_type))
                            .collect(),
                    );
                }
                _ => {
                    return Err(ArmError::Malformed(
                        "the Resource Graph answer has no \"data\" array".into(),
                    ));
                }
            }
            let truncated = match page.get("resultTruncated") {
                Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
                Some(Value::Bool(b)) => *b,
                _ => false,
            };
            match page.get("$skipToken").and_then(Value::as_str) {
                Some(t) if !t.trim().is_empty() => {
                    if !seen.insert(t.to_string()) {
                        return Err(ArmError::Malformed(
                            "Resource Graph repeated a $skipToken".into(),
                        ));
                    }
                    skip_token = Some(t.to_string());
                }
                _ if truncated => {
                    return Err(ArmError::Malformed(format!(
                        "Resource Graph truncated the {} result and gave no $skipToken",
                        kind.kind.label()
                    )));
                }
                _ => break,
            }
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_take_the_arm_shape() {
        let row = json!({
            "id": "/subscriptions/s/resourceGroups/RG/providers/Microsoft.Network/networkSecurityGroups/n",
            "name": "n", "type": "microsoft.network/networksecuritygroups", "location": "westeurope",
            "resourceGroup": "rg", "subscriptionId": "s", "tenantId": "t", "kind": "", "sku": null,
            "properties": {"securityRules": []}
        });
        let v = normalise_row(row, "Microsoft.Network/networkSecurityGroups");
        assert_eq!(v["type"], "Microsoft.Network/networkSecurityGroups");
        for k in ["resourceGroup", "subscriptionId", "tenantId", "kind", "sku"] {
            assert!(v.get(k).is_none(), "{k}");
        }
        assert_eq!(v["properties"]["securityRules"], json!([]));
        // Not an object: returned as it is, for the parser to report.
        assert_eq!(normalise_row(json!(3), "x"), json!(3));
    }

    #[test]
    fn queries_project_id_and_name_the_lower_case_type() {
        for k in GRAPH_KINDS {
            let q = k.query();
            assert!(q.contains("project id,"), "{q}");
            assert!(q.contains(&k.arm_type.to_ascii_lowercase()), "{q}");
        }
        assert!(
            GRAPH_KINDS
                .iter()
                .any(|k| k.kind == ResourceKind::RecordSet && k.table == "dnsresources")
        );
    }
}
