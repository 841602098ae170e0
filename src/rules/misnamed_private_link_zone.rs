//! DNS103 — a private DNS zone that looks like a private-link zone but has no private-link name.

use serde_json::json;

use super::support_pe::{edit_distance, rg_of};
use super::{Context, Rule, RuleMeta, Sink};
use crate::azure::id::last_name;
use crate::findings::Severity;
use crate::inventory::ResourceKind;

pub struct MisnamedPrivateLinkZone;
pub static RULE: MisnamedPrivateLinkZone = MisnamedPrivateLinkZone;

/// How far (in edits) a zone name may be from a known private-link zone name to be taken for a
/// misspelling of it. Names further away are left alone: they may belong to a service the shipped
/// table does not list.
pub const MAX_EDITS: usize = 6;

static META: RuleMeta = RuleMeta {
    code: "DNS103",
    name: "misnamed-private-link-zone",
    title: "Private DNS zone looks like a private-link zone but has the wrong name",
    severity: Severity::Medium,
    inputs: &[
        ResourceKind::PrivateDnsZone,
        ResourceKind::VirtualNetworkLink,
        ResourceKind::RecordSet,
    ],
    shown_inputs: &[],
    what: "A private DNS zone whose name starts with `privatelink.` (or has a `.privatelink.` label) but \
is not one of the private-link zone names of the scanned cloud (policies/privatelink-zones.toml), while it \
is close to one — for example privatelink.vault.azure.net instead of privatelink.vaultcore.azure.net, or a \
public-cloud name in a sovereign cloud. The finding suggests the closest correct name. Every name the \
table lists counts as correct, including those Microsoft lists but an endpoint does not need (such as \
scm.privatelink.azurewebsites.net for Microsoft.Web/sites).",
    why: "Azure DNS only follows the CNAME a private-link resource publishes, which lands in one exact \
zone name per service and cloud. A zone with any other name is never consulted: its records and links look \
right in the portal, but clients in the linked VNets silently resolve the public address.",
    fix: "Create the correctly named zone, recreate the A records and VNet links there (or point the \
endpoints' DNS zone groups at it), then delete the misnamed zone.\n\
Portal: Private DNS zones → Create → name <correct zone>; then Virtual network links → Add for each VNet.\n\
az network private-dns zone create --resource-group <rg> --name <correct-zone>\n\
az network private-dns link vnet create --resource-group <rg> --zone-name <correct-zone> --name <vnet>-link --virtual-network <vnet-id> --registration-enabled false\n\
az network private-dns zone delete --resource-group <rg> --name <misnamed-zone>",
    example: r#"{"zone": ".../privateDnsZones/privatelink.vault.azure.net", "zone_name": "privatelink.vault.azure.net", "cloud": "AzureCloud", "suggested_zone": "privatelink.vaultcore.azure.net", "edit_distance": 4, "for": [{"resource_type": "Microsoft.KeyVault/vaults", "group_id": "vault"}], "linked_virtual_networks": [".../virtualNetworks/vnet-spoke-data"], "records": ["kv-data-contoso"]}"#,
    references: &[
        "https://learn.microsoft.com/azure/private-link/private-endpoint-dns",
        "https://learn.microsoft.com/azure/key-vault/general/private-link-diagnostics",
        "https://learn.microsoft.com/azure/app-service/overview-private-endpoint",
    ],
};

impl Rule for MisnamedPrivateLinkZone {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Sink) {
        let cloud = cx.cloud.azure_name();
        // (zone name, resource type, group) for this cloud, and the same rows' names in other clouds.
        let mut valid: Vec<(String, &str, &str)> = Vec::new();
        let mut elsewhere: Vec<(String, String)> = Vec::new(); // other-cloud name → this cloud's name
        for row in &cx.zones.zones {
            let here = row.clouds.get(cloud).cloned().unwrap_or_default();
            // Every name the table lists for this cloud is valid, also those an endpoint does not
            // need (scm.privatelink.azurewebsites.net for Microsoft.Web/sites).
            for z in here
                .iter()
                .chain(row.listed.get(cloud).into_iter().flatten())
            {
                valid.push((z.to_ascii_lowercase(), &row.resource_type, &row.group_id));
            }
            for (c, names) in &row.clouds {
                if c == cloud {
                    continue;
                }
                for (i, n) in names.iter().enumerate() {
                    if let Some(h) = here.get(i).or(here.first()) {
                        elsewhere.push((n.to_ascii_lowercase(), h.to_ascii_lowercase()));
                    }
                }
            }
        }
        for zone in &cx.inv.private_dns_zones {
            let name = zone.zone_name();
            if !(name.starts_with("privatelink.") || name.contains(".privatelink.")) {
                continue;
            }
            if valid.iter().any(|(v, _, _)| matches_template(v, &name)) {
                continue;
            }
            let (suggested, distance, reason) =
                if let Some((_, h)) = elsewhere.iter().find(|(n, _)| matches_template(n, &name)) {
                    (
                        h.clone(),
                        edit_distance(&name, h),
                        format!("it is the name used in another cloud, not in {cloud}"),
                    )
                } else {
                    let Some((best, d)) = valid
                        .iter()
                        .filter(|(v, _, _)| !v.contains('{'))
                        .map(|(v, _, _)| (v.clone(), edit_distance(&name, v)))
                        .min_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)))
                    else {
                        continue;
                    };
                    if d > MAX_EDITS {
                        continue;
                    }
                    (
                        best,
                        d,
                        format!("{d} character edit(s) from a private-link zone name"),
                    )
                };
            let rows: Vec<_> = valid
                .iter()
                .filter(|(v, _, _)| *v == suggested)
                .map(|(_, t, g)| json!({"resource_type": t, "group_id": g}))
                .collect();
            let mut linked: Vec<String> = cx
                .idx
                .links_of_zone(&zone.id)
                .iter()
                .filter_map(|l| l.vnet_id().map(str::to_string))
                .collect();
            linked.sort_by_key(|v| v.to_ascii_lowercase());
            let mut records: Vec<String> = cx
                .idx
                .records_of_zone(&zone.id)
                .iter()
                .filter(|r| r.record_type() != "SOA")
                .map(|r| r.record_name())
                .collect();
            records.sort();
            let rg = rg_of(&zone.id);
            let message = format!(
                "Private DNS zone {name} is not a private-link zone name in {cloud} ({reason}); Azure DNS never consults it, so its records ({}) do not make anything resolve privately — the expected name is {suggested}.",
                if records.is_empty() {
                    "none".to_string()
                } else {
                    records.join(", ")
                },
            );
            let mut remediation = format!(
                "Create {suggested}, move the records and links there, then delete {name}: az network private-dns zone create --resource-group {rg} --name {suggested}"
            );
            for v in &linked {
                remediation.push_str(&format!(
                    " && az network private-dns link vnet create --resource-group {rg} --zone-name {suggested} --name {}-link --virtual-network {v} --registration-enabled false",
                    last_name(v)
                ));
            }
            remediation.push_str(&format!(
                " && az network private-dns zone delete --resource-group {rg} --name {name} --yes"
            ));
            out.finding(
                &zone.id,
                &suggested,
                message,
                json!({
                    "zone": zone.id,
                    "zone_name": name,
                    "cloud": cloud,
                    "suggested_zone": suggested,
                    "edit_distance": distance,
                    "for": rows,
                    "linked_virtual_networks": linked,
                    "records": records,
                }),
                remediation,
            );
        }
    }
}

/// Whether `name` matches a zone name that may contain `{placeholder}` labels.
fn matches_template(template: &str, name: &str) -> bool {
    if !template.contains('{') {
        return template == name;
    }
    let t: Vec<&str> = template.split('.').collect();
    let n: Vec<&str> = name.split('.').collect();
    t.len() == n.len()
        && t.iter()
            .zip(&n)
            .all(|(a, b)| (a.starts_with('{') && a.ends_with('}')) || a == b)
}
