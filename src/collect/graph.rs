//! Azure Resource Graph as a source of the inventory: one KQL query per kind across groups of
//! subscriptions, paged with `$skipToken`, rows turned back into the shape ARM lists return so that
//! they parse into the same typed inventory (rules cannot tell the sources apart).

use std::collections::HashSet;
use std::sync::Arc;

use azure_core::Bytes;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value, json};

use super::absorb::Parsed;
use super::graph_row::GraphRows;
use crate::arm::{ArmClient, ArmError, Decode};
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
    /// Kinds of the same group are read by one query (see [`queries`]); `None` is a query of
    /// the kind's own.
    pub group: Option<u8>,
}

use ResourceKind as K;

/// Network kinds a tenant has a few of.
const FEW: Option<u8> = Some(1);
/// Private DNS zones and their links, read across every visible subscription.
const DNS: Option<u8> = Some(2);

/// The kinds Resource Graph indexes that azaudit reads. Top-level kinds come first; the children
/// (flow logs, zone links, record sets) have parents that their ARM fallback lists under. Kinds
/// a tenant has by the thousand get a query each (their pages are many and large, and are read
/// side by side); the others share a query per group, so that a scan stays within Resource
/// Graph's quota (15 queries in 5 seconds for a user).
pub const GRAPH_KINDS: &[GraphKind] = &[
    gk(
        K::NetworkSecurityGroup,
        "Microsoft.Network/networkSecurityGroups",
        None,
    ),
    gk(K::RouteTable, "Microsoft.Network/routeTables", None),
    gk(K::VirtualNetwork, "Microsoft.Network/virtualNetworks", None),
    gk(
        K::PrivateEndpoint,
        "Microsoft.Network/privateEndpoints",
        None,
    ),
    gk(
        K::NetworkInterface,
        "Microsoft.Network/networkInterfaces",
        None,
    ),
    gk(K::NetworkWatcher, "Microsoft.Network/networkWatchers", FEW),
    gk(
        K::ApplicationGateway,
        "Microsoft.Network/applicationGateways",
        FEW,
    ),
    gk(K::AzureFirewall, "Microsoft.Network/azureFirewalls", FEW),
    gk(
        K::VirtualNetworkGateway,
        "Microsoft.Network/virtualNetworkGateways",
        FEW,
    ),
    gk(
        K::LocalNetworkGateway,
        "Microsoft.Network/localNetworkGateways",
        FEW,
    ),
    gk(
        K::VirtualNetworkGatewayConnection,
        "Microsoft.Network/connections",
        FEW,
    ),
    gk(
        K::ExpressRouteCircuit,
        "Microsoft.Network/expressRouteCircuits",
        FEW,
    ),
    gk(K::PrivateDnsZone, "Microsoft.Network/privateDnsZones", DNS),
    gk(K::KeyVault, "Microsoft.KeyVault/vaults", None),
    gk(
        K::RecoveryServicesVault,
        "Microsoft.RecoveryServices/vaults",
        FEW,
    ),
    gk(
        K::FlowLog,
        "Microsoft.Network/networkWatchers/flowLogs",
        None,
    ),
    gk(
        K::VirtualNetworkLink,
        "Microsoft.Network/privateDnsZones/virtualNetworkLinks",
        DNS,
    ),
    GraphKind {
        kind: K::RecordSet,
        table: "dnsresources",
        arm_type: "Microsoft.Network/privateDnsZones/A",
        group: None,
    },
];

const fn gk(kind: ResourceKind, arm_type: &'static str, group: Option<u8>) -> GraphKind {
    GraphKind {
        kind,
        table: "resources",
        arm_type,
        group,
    }
}

/// One Resource Graph query: the kinds it reads, all of one table.
#[derive(Debug, Clone)]
pub struct GraphQuery {
    pub kinds: Vec<&'static GraphKind>,
}

/// The queries that read `kinds`: one per group, and one for each kind of no group, in the
/// order of the first kind of each.
pub fn queries(kinds: &[&'static GraphKind]) -> Vec<GraphQuery> {
    let mut out: Vec<GraphQuery> = Vec::new();
    for k in kinds {
        let same = k.group.and_then(|g| {
            out.iter_mut()
                .find(|q| q.kinds[0].group == Some(g) && q.kinds[0].table == k.table)
        });
        match same {
            Some(q) => q.kinds.push(k),
            None => out.push(GraphQuery { kinds: vec![k] }),
        }
    }
    out
}

impl GraphQuery {
    /// A query of one kind.
    pub fn single(kind: &'static GraphKind) -> Self {
        GraphQuery { kinds: vec![kind] }
    }

    /// The KQL: the kinds' rows, projecting `id` (paging needs it), ordered for stable pages.
    pub fn text(&self) -> String {
        let table = self.kinds[0].table;
        let columns = if table == "resources" {
            "id, name, type, location, tags, sku, kind, identity, zones, properties"
        } else {
            "id, name, type, location, properties"
        };
        let types: Vec<String> = self
            .kinds
            .iter()
            .map(|k| format!("'{}'", k.arm_type.to_ascii_lowercase()))
            .collect();
        let filter = match types.as_slice() {
            [one] => format!("type =~ {one}"),
            many => format!("type in~ ({})", many.join(", ")),
        };
        format!("{table} | where {filter} | project {columns} | order by id asc")
    }

    /// The kinds' names, for messages.
    pub fn label(&self) -> String {
        let labels: Vec<&str> = self.kinds.iter().map(|k| k.kind.label()).collect();
        labels.join(", ")
    }
}

/// Columns Resource Graph adds that ARM lists do not carry.
pub(crate) const GRAPH_ONLY_COLUMNS: &[&str] = &["resourceGroup", "subscriptionId", "tenantId"];

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

/// A Resource Graph page checked to be well-formed JSON with a `data` array, its rows not yet
/// parsed (see [`Self::parsed`]).
#[derive(Debug, Clone)]
pub struct GraphPage {
    query: Arc<GraphQuery>,
    body: Bytes,
    pub rows: usize,
    skip_token: Option<String>,
    truncated: bool,
}

impl GraphPage {
    /// The page's rows as typed resources (and a gap for each row that does not parse), in the
    /// order of the page, parsed on blocking threads: a large page in as many pieces as there
    /// are cores, so that a page of a thousand NSGs does not take one core's time alone.
    pub(crate) async fn parsed(self) -> Result<Parsed, tokio::task::JoinError> {
        static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
        let cores = *CORES
            .get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get().min(4)));
        let pieces = (self.rows / ROWS_PER_PIECE).clamp(1, cores);
        parse_in_pieces(&self.query, &self.body, self.rows, pieces).await
    }
}

/// What to do with each row of a page.
enum Rows<'s, 'de> {
    /// Check and count them only.
    Count,
    /// Hand those in `range` (by position), as their text, to the closure; skip the others.
    Each(
        std::ops::Range<usize>,
        &'s mut dyn FnMut(&'de serde_json::value::RawValue),
    ),
}

/// Reads a Resource Graph answer: its `data` rows (as [`Rows`] says), `$skipToken` and
/// `resultTruncated`, whatever their order; other members are skipped.
struct PageVisitor<'s, 'de> {
    rows: Rows<'s, 'de>,
}

#[derive(Debug, Default)]
struct PageMeta {
    rows: Option<usize>,
    skip_token: Option<String>,
    truncated: bool,
}

impl<'de> Visitor<'de> for PageVisitor<'_, 'de> {
    type Value = PageMeta;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a Resource Graph answer object")
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<PageMeta, A::Error> {
        let mut meta = PageMeta::default();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                "data" => {
                    meta.rows = Some(map.next_value_seed(RowsSeed {
                        rows: &mut self.rows,
                    })?)
                }
                "$skipToken" => {
                    meta.skip_token = map
                        .next_value::<Value>()?
                        .as_str()
                        .filter(|t| !t.trim().is_empty())
                        .map(str::to_string);
                }
                "resultTruncated" => {
                    meta.truncated = match map.next_value::<Value>()? {
                        Value::String(s) => s.eq_ignore_ascii_case("true"),
                        Value::Bool(b) => b,
                        _ => false,
                    };
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(meta)
    }
}

struct RowsSeed<'r, 's, 'de> {
    rows: &'r mut Rows<'s, 'de>,
}

impl<'de> DeserializeSeed<'de> for RowsSeed<'_, '_, 'de> {
    type Value = usize;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for RowsSeed<'_, '_, 'de> {
    type Value = usize;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a \"data\" array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<usize, A::Error> {
        let mut n = 0;
        match self.rows {
            Rows::Count => {
                while seq.next_element::<IgnoredAny>()?.is_some() {
                    n += 1;
                }
            }
            Rows::Each(range, f) => {
                // Rows past the range are left unread: the caller ignores the error that the
                // unfinished array gives.
                while n < range.end {
                    if n < range.start {
                        if seq.next_element::<IgnoredAny>()?.is_none() {
                            break;
                        }
                    } else {
                        let Some(row) = seq.next_element::<&'de serde_json::value::RawValue>()?
                        else {
                            break;
                        };
                        f(row);
                    }
                    n += 1;
                }
            }
        }
        Ok(n)
    }
}

fn read_page<'de>(body: &'de [u8], rows: Rows<'_, 'de>) -> Result<PageMeta, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let meta = de.deserialize_map(PageVisitor { rows })?;
    de.end()?;
    if meta.rows.is_none() {
        return Err(serde::de::Error::custom(
            "the Resource Graph answer has no \"data\" array",
        ));
    }
    Ok(meta)
}

/// Checks a Resource Graph answer without building its rows: malformed JSON is an error worth
/// another try, a well-formed answer without a `data` array one that is not.
fn scan_page(body: &[u8]) -> Result<PageMeta, serde_json::Error> {
    read_page(body, Rows::Count)
}

/// How a Resource Graph answer to `query` is read: checked and its skip token found without
/// building its rows, so that the next page is asked for at once; the rows are parsed after
/// (see [`GraphPage::parsed`]).
pub fn decode_page(query: Arc<GraphQuery>) -> Decode<GraphPage> {
    Arc::new(move |body: Bytes| {
        let meta = scan_page(&body)?;
        Ok(GraphPage {
            query: query.clone(),
            rows: meta.rows.unwrap_or_default(),
            skip_token: meta.skip_token,
            truncated: meta.truncated,
            body,
        })
    })
}

/// Pages with fewer rows are parsed in one piece.
const ROWS_PER_PIECE: usize = 250;

/// Parses the `rows` of an answer in `pieces` on blocking threads, each skipping the rows
/// before its own share, the last taking whatever rows remain; appends them in page order.
async fn parse_in_pieces(
    query: &Arc<GraphQuery>,
    body: &Bytes,
    rows: usize,
    pieces: usize,
) -> Result<Parsed, tokio::task::JoinError> {
    let pieces = pieces.max(1);
    let per = rows.div_ceil(pieces).max(1);
    let jobs: Vec<_> = (0..pieces)
        .map(|i| {
            let body = body.clone();
            let query = query.clone();
            let end = if i + 1 == pieces {
                usize::MAX
            } else {
                (i + 1) * per
            };
            tokio::task::spawn_blocking(move || parse_rows(&query, &body, i * per..end))
        })
        .collect();
    let mut parsed = Parsed::default();
    for job in jobs {
        parsed.append(job.await?);
    }
    Ok(parsed)
}

/// Parses the rows of an answer in `range` (by position) into typed resources of the query's
/// kinds, straight from their text; a row that does not parse is a gap of its own. What is not
/// well-formed is left to [`scan_page`] to report.
fn parse_rows(query: &GraphQuery, body: &[u8], range: std::ops::Range<usize>) -> Parsed {
    let mut rows = Vec::with_capacity(range.len().min(PAGE_SIZE as usize));
    let _ = read_page(body, Rows::Each(range, &mut |row| rows.push(row)));
    let mut parsed = Parsed::default();
    if let [kind] = query.kinds.as_slice() {
        parsed.absorb(
            kind.kind,
            None,
            GraphRows {
                rows,
                arm_type: kind.arm_type,
            },
        );
        return parsed;
    }
    // A query of several kinds: each row goes to the kind its `type` names.
    #[derive(serde::Deserialize)]
    struct Typed<'a> {
        #[serde(rename = "type", borrow)]
        arm_type: Option<std::borrow::Cow<'a, str>>,
    }
    let mut by_kind: Vec<Vec<&serde_json::value::RawValue>> = vec![Vec::new(); query.kinds.len()];
    for row in rows {
        let t = serde_json::from_str::<Typed>(row.get())
            .ok()
            .and_then(|t| t.arm_type);
        let at = t.as_deref().and_then(|t| {
            query
                .kinds
                .iter()
                .position(|k| k.arm_type.eq_ignore_ascii_case(t))
        });
        match at {
            Some(at) => by_kind[at].push(row),
            // A row of no kind asked for cannot be read as any: it is a gap, not dropped.
            None => super::graph_row::row_gap(
                &mut parsed.gaps,
                None,
                query.kinds[0].kind,
                row.get(),
                format!(
                    "a Resource Graph row of type {} in the answer for {}",
                    t.as_deref().unwrap_or("<none>"),
                    query.label()
                ),
            ),
        }
    }
    for (kind, rows) in query.kinds.iter().zip(by_kind) {
        parsed.absorb(
            kind.kind,
            None,
            GraphRows {
                rows,
                arm_type: kind.arm_type,
            },
        );
    }
    parsed
}

/// Reads every page of `query` in `subscriptions`: groups below 300 subscriptions, pages of
/// 1,000 rows, `$skipToken` followed. A truncated result (no skip token while rows are missing)
/// is an error, so the caller reads the kinds another way rather than taking part of them as all.
///
/// Each page goes to `on_page` as soon as it is checked, its rows still being parsed (see
/// [`GraphPage::parsed`]), and the next page is asked for at once; returns the number of rows
/// read.
pub async fn read_query(
    client: &ArmClient,
    query: &Arc<GraphQuery>,
    subscriptions: &[String],
    mut on_page: impl FnMut(GraphPage),
) -> Result<usize, ArmError> {
    let mut rows = 0usize;
    let text = query.text();
    let decode = decode_page(query.clone());
    for group in subscriptions.chunks(SUBSCRIPTION_GROUP) {
        let mut skip_token: Option<String> = None;
        let mut seen = HashSet::new();
        loop {
            let mut options = json!({"$top": PAGE_SIZE, "resultFormat": "objectArray"});
            if let Some(t) = &skip_token {
                options["$skipToken"] = Value::from(t.as_str());
            }
            let body = json!({"subscriptions": group, "query": text, "options": options});
            let page = client.query_graph_with(&body, &decode).await?;
            rows += page.rows;
            let next = page.skip_token.clone();
            let truncated = page.truncated;
            on_page(page);
            match next {
                Some(t) => {
                    if !seen.insert(t.clone()) {
                        return Err(ArmError::Malformed(
                            "Resource Graph repeated a $skipToken".into(),
                        ));
                    }
                    skip_token = Some(t);
                }
                None if truncated => {
                    return Err(ArmError::Malformed(format!(
                        "Resource Graph truncated the {} result and gave no $skipToken",
                        query.label()
                    )));
                }
                None => break,
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

    fn nsg_page(rows: usize, token_first: bool) -> Bytes {
        let rows: Vec<Value> = (0..rows)
            .map(|i| {
                json!({
                    "id": format!("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/n{i:04}"),
                    "name": format!("n{i:04}"), "type": "microsoft.network/networksecuritygroups",
                    "location": "westeurope", "resourceGroup": "rg", "subscriptionId": "s",
                    "properties": {"securityRules": []}
                })
            })
            .collect();
        let data = serde_json::to_string(&rows).unwrap();
        let text = if token_first {
            format!(
                r#"{{"count": 1, "$skipToken": "t1", "resultTruncated": "false", "data": {data}}}"#
            )
        } else {
            format!(
                r#"{{"data": {data}, "facets": [], "resultTruncated": "false", "$skipToken": "t1"}}"#
            )
        };
        Bytes::from(text)
    }

    fn nsg() -> Arc<GraphQuery> {
        assert_eq!(GRAPH_KINDS[0].kind, K::NetworkSecurityGroup);
        Arc::new(GraphQuery::single(&GRAPH_KINDS[0]))
    }

    fn names(p: &Parsed) -> Vec<String> {
        p.inv
            .network_security_groups
            .iter()
            .map(|n| n.name.clone().unwrap_or_default())
            .collect()
    }

    #[test]
    fn a_page_is_checked_without_building_its_rows_wherever_its_token_is() {
        for token_first in [true, false] {
            let page = scan_page(&nsg_page(3, token_first)).unwrap();
            assert_eq!(page.rows, Some(3));
            assert_eq!(page.skip_token.as_deref(), Some("t1"));
            assert!(!page.truncated);
        }
        // Cut JSON is worth another try; an answer without rows is not.
        let cut = nsg_page(3, true).slice(..200);
        assert!(scan_page(&cut).unwrap_err().is_eof());
        for bad in [r#"{"count": 0}"#, r#"{"data": {"a": 1}}"#, "[1]"] {
            let e = scan_page(bad.as_bytes()).unwrap_err();
            assert!(e.is_data(), "{bad}: {e}");
        }
        let e = scan_page(br#"{"count": 0}"#).unwrap_err();
        assert!(e.to_string().contains("no \"data\" array"), "{e}");
    }

    #[test]
    fn pieces_of_a_page_parse_their_own_rows_only() {
        let page = nsg_page(7, false);
        let nsg = nsg();
        let all = names(&parse_rows(&nsg, &page, 0..7));
        assert_eq!(all.len(), 7);
        let mut pieces = names(&parse_rows(&nsg, &page, 0..3));
        pieces.extend(names(&parse_rows(&nsg, &page, 3..usize::MAX)));
        assert_eq!(pieces, all);
        assert!(
            parse_rows(&nsg, &page, 7..9)
                .inv
                .network_security_groups
                .is_empty()
        );
        // Rows take the ARM shape before they are parsed.
        let one = parse_rows(&nsg, &page, 2..3);
        assert_eq!(
            one.inv.network_security_groups[0].id,
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/n0002"
        );
        assert!(one.gaps.is_empty());
    }

    #[tokio::test]
    async fn a_page_parsed_in_pieces_keeps_every_row_in_order() {
        let rows = PAGE_SIZE as usize + 3;
        let body = nsg_page(rows, true);
        let nsg = nsg();
        let whole = names(&parse_rows(&nsg, &body, 0..usize::MAX));
        assert_eq!(whole.len(), rows);
        for pieces in [1, 3, 4] {
            let parsed = parse_in_pieces(&nsg, &body, rows, pieces).await.unwrap();
            assert_eq!(names(&parsed), whole, "{pieces} pieces");
        }
        // The page as the client reads it.
        let page = decode_page(nsg)(body).unwrap();
        assert_eq!((page.rows, page.skip_token.as_deref()), (rows, Some("t1")));
        assert_eq!(names(&page.parsed().await.unwrap()), whole);
    }

    #[test]
    fn queries_project_id_and_name_the_lower_case_types() {
        let all: Vec<&'static GraphKind> = GRAPH_KINDS.iter().collect();
        let planned = queries(&all);
        for q in &planned {
            let text = q.text();
            assert!(text.contains("project id,"), "{text}");
            for k in &q.kinds {
                assert!(text.contains(&k.arm_type.to_ascii_lowercase()), "{text}");
                // A query reads one table.
                assert_eq!(k.table, q.kinds[0].table, "{text}");
            }
        }
        // Every kind is read once; the few-of-a-kind ones together: within the quota of 15.
        let read: usize = planned.iter().map(|q| q.kinds.len()).sum();
        assert_eq!(read, GRAPH_KINDS.len());
        assert!(planned.len() <= 10, "{} queries", planned.len());
        let few = planned
            .iter()
            .find(|q| q.kinds.iter().any(|k| k.kind == K::AzureFirewall))
            .unwrap();
        assert!(few.kinds.len() > 1);
        assert!(
            few.text()
                .contains("type in~ ('microsoft.network/networkwatchers', 'microsoft.network/applicationgateways'"),
            "{}",
            few.text()
        );
        assert_eq!(
            GraphQuery::single(&GRAPH_KINDS[0]).text(),
            "resources | where type =~ 'microsoft.network/networksecuritygroups' | project id, name, type, location, tags, sku, kind, identity, zones, properties | order by id asc"
        );
        assert!(
            GRAPH_KINDS
                .iter()
                .any(|k| k.kind == ResourceKind::RecordSet && k.table == "dnsresources")
        );
    }

    #[test]
    fn rows_of_a_query_of_several_kinds_go_to_their_own_kind() {
        let few: Vec<&'static GraphKind> = GRAPH_KINDS
            .iter()
            .filter(|k| matches!(k.kind, K::AzureFirewall | K::NetworkWatcher))
            .collect();
        let query = GraphQuery { kinds: few };
        let body = Bytes::from(
            json!({"data": [
                {"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/azureFirewalls/f",
                 "type": "microsoft.network/azurefirewalls", "properties": {}},
                {"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkWatchers/w",
                 "type": "microsoft.network/networkwatchers", "properties": {}},
                {"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/other/o",
                 "type": "microsoft.network/other", "properties": {}}
            ]})
            .to_string(),
        );
        let parsed = parse_rows(&query, &body, 0..usize::MAX);
        assert_eq!(parsed.inv.azure_firewalls.len(), 1);
        assert_eq!(parsed.inv.network_watchers.len(), 1);
        assert_eq!(
            parsed.inv.azure_firewalls[0].kind.as_deref(),
            Some("Microsoft.Network/azureFirewalls")
        );
        // The row of no kind asked for is a gap of its own, not silently dropped.
        assert_eq!(parsed.gaps.len(), 1, "{:?}", parsed.gaps);
        assert!(
            parsed.gaps[0]
                .scope
                .as_deref()
                .unwrap()
                .ends_with("/other/o")
        );
        assert_eq!(parsed.gaps[0].subscription_id.as_deref(), Some("s"));
        assert!(parsed.gaps[0].message.contains("microsoft.network/other"));
    }
}
