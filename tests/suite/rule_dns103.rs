//! DNS103 misnamed-private-link-zone.

use crate::common::kv::*;
use crate::common::*;
use serde_json::json;

#[test]
fn vault_instead_of_vaultcore_fires_with_the_suggestion() {
    let wrong = "privatelink.vault.azure.net";
    let report = scan(&snapshot(json!({
        "virtual_networks": [pe_vnet("vnet-data", "10.2.0.0/16", &[], vec![])],
        "private_dns_zones": [zone(wrong), zone(KV_ZONE)],
        "virtual_network_links": [link(wrong, "vnet-data")],
        "record_sets": [a_record(wrong, "kv1", &["10.2.2.4"], 10)],
    })));
    let f = findings_of(&report, "DNS103");
    assert_eq!(f.len(), 1, "{:#?}", report.findings);
    let ev = &f[0].evidence;
    assert_eq!(f[0].resource_id, zone_id(wrong));
    assert_eq!(ev["suggested_zone"], KV_ZONE);
    assert_eq!(ev["edit_distance"], 4);
    assert_eq!(ev["for"][0]["group_id"], "vault");
    assert_eq!(
        ev["linked_virtual_networks"],
        json!([net_id("virtualNetworks", "vnet-data")])
    );
    assert_eq!(ev["records"], json!(["kv1"]));
    assert!(f[0].remediation.contains(&format!(
        "az network private-dns zone create --resource-group rg-dns --name {KV_ZONE}"
    )));
}

#[test]
fn correct_and_unrelated_zones_are_the_negative_twins() {
    let report = scan(&snapshot(json!({
        "private_dns_zones": [zone(KV_ZONE), zone(BLOB_ZONE), zone("contoso.internal"), zone("privatelink.somethingelse.example.org")],
    })));
    assert_twin(&report, "DNS103");
}

#[test]
fn a_public_cloud_name_in_a_sovereign_cloud_fires() {
    let mut doc: serde_json::Value =
        serde_json::from_str(&snapshot(json!({"private_dns_zones": [zone(KV_ZONE)]})).to_json())
            .unwrap();
    doc["cloud"] = json!("china");
    let s = azaudit::collect::Snapshot::from_json(&doc.to_string(), std::path::Path::new("t.json"))
        .unwrap();
    let report = scan(&s);
    let f = findings_of(&report, "DNS103");
    assert_eq!(f.len(), 1, "{:#?}", report.findings);
    assert_eq!(
        f[0].evidence["suggested_zone"],
        "privatelink.vaultcore.azure.cn"
    );
}

#[test]
fn zones_microsoft_lists_but_an_endpoint_does_not_need_are_not_misnamed() {
    // Microsoft's table lists scm.privatelink.azurewebsites.net for Microsoft.Web/sites.
    let scm = "scm.privatelink.azurewebsites.net";
    let report = scan(&snapshot(json!({
        "virtual_networks": [pe_vnet("vnet-web", "10.4.0.0/16", &[], vec![])],
        "private_dns_zones": [zone(scm), zone("privatelink.azurewebsites.net")],
        "virtual_network_links": [link(scm, "vnet-web")],
        "record_sets": [a_record(scm, "app1", &["10.4.1.4"], 10)],
    })));
    assert_twin(&report, "DNS103");
    // One edit away from it (scn.…) is still a misnamed zone.
    let wrong = "scn.privatelink.azurewebsites.net";
    let report = scan(&snapshot(json!({"private_dns_zones": [zone(wrong)]})));
    let f = findings_of(&report, "DNS103");
    assert_eq!(f.len(), 1, "{:#?}", report.findings);
    assert_eq!(f[0].evidence["suggested_zone"], scm);
}
