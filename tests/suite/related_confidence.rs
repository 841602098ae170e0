//! Every finding names the other resources of its evidence chain with their roles, and a
//! confidence; the machine formats carry both.

use crate::common::{SCAN_AT, azaudit, scan};
use serde_json::Value;

fn json_of(args: &[&str]) -> Value {
    let o = azaudit(args);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

fn short(id: &str) -> &str {
    id.rsplit('/').next().unwrap()
}

#[test]
fn related_resources_carry_the_role_the_rule_names_or_their_evidence_field() {
    let r = scan(&azaudit::collect::demo::snapshot());
    let roles = |code: &str| -> Vec<(String, String)> {
        let f = r.findings.iter().find(|f| f.rule == code).unwrap();
        f.related
            .iter()
            .map(|x| (short(&x.resource_id).to_string(), x.role.clone()))
            .collect()
    };
    let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    };
    assert_eq!(
        roles("RTE105"),
        pairs(&[
            ("snet-app", "subnet sharing the table"),
            ("snet-appgw", "subnet sharing the table")
        ])
    );
    assert_eq!(
        roles("PEP102"),
        pairs(&[
            ("vnet-spoke-app", "VNet holding the duplicates"),
            ("pe-kv-app", "duplicate private endpoint"),
            ("pe-kv-app-dup", "duplicate private endpoint"),
        ])
    );
    // Without roles from the rule, the evidence field that cites a resource is its role.
    assert_eq!(
        roles("NSG101"),
        pairs(&[
            ("nsg-app", "network security group"),
            ("rt-app", "route table")
        ])
    );
    for f in &r.findings {
        let mut seen = std::collections::HashSet::new();
        for rel in &f.related {
            assert!(
                !rel.resource_id.eq_ignore_ascii_case(&f.resource_id),
                "{} lists its own resource as related",
                f.rule
            );
            assert!(
                seen.insert(rel.resource_id.to_ascii_lowercase()),
                "{} repeats {}",
                f.rule,
                rel.resource_id
            );
            assert!(!rel.role.is_empty());
        }
        // RTE103's address may belong to what azaudit does not read; every other demo verdict
        // rests on data it read.
        let expected = if f.rule == "RTE103" {
            azaudit::findings::Confidence::Medium
        } else {
            azaudit::findings::Confidence::High
        };
        assert_eq!(f.confidence, expected, "{}", f.rule);
        assert_eq!(
            f.confidence_reasons.is_empty(),
            f.rule != "RTE103",
            "{}",
            f.rule
        );
    }
}

#[test]
fn sarif_ocsf_and_ndjson_carry_related_resources_and_confidence() {
    let base = [
        "scan",
        "--demo",
        "--fail-on",
        "never",
        "--as-of",
        SCAN_AT,
        "--format",
    ];
    let with = |fmt: &'static str| [&base[..], &[fmt]].concat();
    let report = json_of(&with("json"));
    let pep = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "PEP102")
        .unwrap()
        .clone();
    let related = pep["related"].as_array().unwrap();
    assert_eq!(related.len(), 3);
    assert_eq!(pep["confidence"], "high");

    let sarif = json_of(&with("sarif"));
    let result = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["partialFingerprints"]["azaudit/v1"] == pep["id"])
        .unwrap()
        .clone();
    let locs = result["relatedLocations"].as_array().unwrap();
    assert_eq!(locs.len(), 3);
    for (i, (loc, rel)) in locs.iter().zip(related).enumerate() {
        assert_eq!(loc["id"], i + 1);
        assert_eq!(loc["message"]["text"], rel["role"]);
        assert_eq!(
            loc["logicalLocations"][0]["fullyQualifiedName"],
            rel["resource_id"]
        );
        assert_eq!(loc["logicalLocations"][0]["kind"], "resource");
    }
    assert_eq!(result["properties"]["azaudit/confidence"], "high");

    let ocsf = json_of(&with("ocsf"));
    let event = ocsf
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["finding_info"]["uid"] == pep["id"])
        .unwrap()
        .clone();
    let resources = event["resources"].as_array().unwrap();
    assert_eq!(
        resources.len(),
        4,
        "the resource to fix, then the three related"
    );
    assert_eq!(resources[0]["uid"], pep["resource_id"]);
    assert_eq!(
        resources[0]["labels"],
        serde_json::json!(["resource to fix"])
    );
    for (res, rel) in resources[1..].iter().zip(related) {
        assert_eq!(res["uid"], rel["resource_id"]);
        assert_eq!(res["labels"], serde_json::json!([rel["role"]]));
    }
    assert_eq!(event["confidence_id"], 3);
    assert_eq!(event["confidence"], "High");

    let o = azaudit(&with("ndjson"));
    let line: Value = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|l| l["id"] == pep["id"])
        .unwrap();
    assert_eq!(line["related"], pep["related"]);
    assert_eq!(line["confidence"], "high");
}
