//! Small tenants for rule tests, written in ARM's own shapes.
#![allow(dead_code)]

pub mod arm;
pub mod examples;
pub mod kv;

use azaudit::collect::Snapshot;
use azaudit::report::{Finding, Report};
use serde_json::{Value, json};

pub const SUB: &str = "00000000-0000-4000-8000-000000000001";

pub fn rg_id(rg: &str) -> String {
    format!("/subscriptions/{SUB}/resourceGroups/{rg}")
}
pub fn net_id(kind: &str, name: &str) -> String {
    format!(
        "{}/providers/Microsoft.Network/{kind}/{name}",
        rg_id("rg-net")
    )
}
pub fn subnet_id(vnet: &str, subnet: &str) -> String {
    format!("{}/subnets/{subnet}", net_id("virtualNetworks", vnet))
}

/// A subnet object; `extra` is merged into its properties.
pub fn subnet(vnet: &str, name: &str, prefix: &str, extra: Value) -> Value {
    let mut props = json!({"addressPrefix": prefix});
    merge(&mut props, extra);
    json!({"id": subnet_id(vnet, name), "name": name, "properties": props})
}

pub fn vnet(name: &str, space: &str, subnets: Vec<Value>, extra: Value) -> Value {
    let mut props = json!({
        "addressSpace": {"addressPrefixes": [space]},
        "dhcpOptions": {"dnsServers": []},
        "subnets": subnets,
        "virtualNetworkPeerings": []
    });
    merge(&mut props, extra);
    json!({"id": net_id("virtualNetworks", name), "name": name, "type": "Microsoft.Network/virtualNetworks",
           "location": "westeurope", "properties": props})
}

/// An NSG as ARM returns it: the user rules and the six default rules.
pub fn nsg(name: &str, rules: Vec<Value>) -> Value {
    let mut n = nsg_without_defaults(name, rules);
    n["properties"]["defaultSecurityRules"] = json!(default_rules(name));
    n
}

/// An NSG whose payload lacks `defaultSecurityRules` (as some list responses do).
pub fn nsg_without_defaults(name: &str, rules: Vec<Value>) -> Value {
    json!({"id": net_id("networkSecurityGroups", name), "name": name,
           "type": "Microsoft.Network/networkSecurityGroups", "location": "westeurope",
           "properties": {"securityRules": rules, "provisioningState": "Succeeded"}})
}

/// The six default rules of NSG `nsg`, in the shape of Microsoft's NetworkSecurityGroupGet example.
pub fn default_rules(nsg: &str) -> Vec<Value> {
    [
        ("AllowVnetInBound", 65000, "Inbound", "Allow", "VirtualNetwork", "VirtualNetwork", "Allow inbound traffic from all VMs in VNET"),
        ("AllowAzureLoadBalancerInBound", 65001, "Inbound", "Allow", "AzureLoadBalancer", "*", "Allow inbound traffic from azure load balancer"),
        ("DenyAllInBound", 65500, "Inbound", "Deny", "*", "*", "Deny all inbound traffic"),
        ("AllowVnetOutBound", 65000, "Outbound", "Allow", "VirtualNetwork", "VirtualNetwork", "Allow outbound traffic from all VMs to all VMs in VNET"),
        ("AllowInternetOutBound", 65001, "Outbound", "Allow", "*", "Internet", "Allow outbound traffic from all VMs to Internet"),
        ("DenyAllOutBound", 65500, "Outbound", "Deny", "*", "*", "Deny all outbound traffic"),
    ]
    .iter()
    .map(|(name, priority, dir, access, src, dst, desc)| {
        json!({"name": name,
               "id": format!("{}/defaultSecurityRules/{name}", net_id("networkSecurityGroups", nsg)),
               "properties": {"provisioningState": "Succeeded", "description": desc, "protocol": "*",
                   "sourcePortRange": "*", "destinationPortRange": "*",
                   "sourceAddressPrefix": src, "destinationAddressPrefix": dst,
                   "access": access, "priority": priority, "direction": dir}})
    })
    .collect()
}

/// An NSG rule: `dir` Inbound/Outbound, `access` Allow/Deny.
pub fn rule(
    name: &str,
    priority: u32,
    dir: &str,
    access: &str,
    proto: &str,
    src: &str,
    port: &str,
) -> Value {
    json!({"name": name, "properties": {
        "protocol": proto, "sourcePortRange": "*", "destinationPortRange": port,
        "sourceAddressPrefix": src, "destinationAddressPrefix": "*",
        "access": access, "priority": priority, "direction": dir}})
}

pub fn route_table(name: &str, routes: &[(&str, &str, &str, Option<&str>)]) -> Value {
    let routes: Vec<Value> = routes
        .iter()
        .map(|(rname, prefix, hop, ip)| {
            let mut p = json!({"addressPrefix": prefix, "nextHopType": hop});
            if let Some(ip) = ip {
                p["nextHopIpAddress"] = json!(ip);
            }
            json!({"name": rname, "id": format!("{}/routes/{rname}", net_id("routeTables", name)), "properties": p})
        })
        .collect();
    json!({"id": net_id("routeTables", name), "name": name, "type": "Microsoft.Network/routeTables",
           "location": "westeurope", "properties": {"routes": routes, "disableBgpRoutePropagation": true}})
}

pub fn merge(target: &mut Value, extra: Value) {
    if let (Some(t), Value::Object(e)) = (target.as_object_mut(), extra) {
        for (k, v) in e {
            t.insert(k, v);
        }
    }
}

/// A snapshot around an inventory object (keys as in the snapshot's `inventory`).
pub fn snapshot(inventory: Value) -> Snapshot {
    snapshot_with_gaps(inventory, json!([]))
}

pub fn snapshot_with_gaps(inventory: Value, gaps: Value) -> Snapshot {
    let doc = json!({
        "kind": "azaudit-snapshot", "schema_version": 1, "collected_at": "2026-11-24T08:00:00Z",
        "source": "test", "cloud": "public", "scope": {"subscriptions": [SUB]},
        "coverage": {"gaps": gaps}, "inventory": inventory
    });
    Snapshot::from_json(&doc.to_string(), std::path::Path::new("test.json"))
        .expect("test snapshot parses")
}

/// The time every test scan is judged at, so that no assertion depends on the day it runs.
pub const SCAN_AT: &str = "2026-11-24T09:00:00Z";

pub fn scan(s: &Snapshot) -> Report {
    scan_at(s, SCAN_AT)
}

pub fn findings_of<'a>(r: &'a Report, code: &str) -> Vec<&'a Finding> {
    r.findings.iter().filter(|f| f.rule == code).collect()
}

/// Scans at a fixed time (for dated findings).
pub fn scan_at(s: &Snapshot, now: &str) -> Report {
    azaudit::scan::build_report(
        s,
        "test",
        None,
        now.parse().expect("RFC 3339 time"),
        std::time::Instant::now(),
    )
}

/// A second subscription (e.g. a management subscription holding a workspace).
pub const MGMT_SUB: &str = "00000000-0000-4000-8000-0000000000aa";

pub fn workspace_id(sub: &str, name: &str) -> String {
    format!(
        "/subscriptions/{sub}/resourceGroups/rg-monitor/providers/Microsoft.OperationalInsights/workspaces/{name}"
    )
}

/// A provider registration of `namespace` in `sub`.
pub fn provider(sub: &str, namespace: &str, state: &str) -> Value {
    json!({"id": format!("/subscriptions/{sub}/providers/{namespace}"), "namespace": namespace,
           "registrationState": state, "registrationPolicy": "RegistrationRequired", "resourceTypes": []})
}

/// A flow log in the test subscription's westeurope watcher; `ta_workspace` enables Traffic
/// Analytics with that workspace id.
pub fn flow_log(name: &str, target: &str, enabled: bool, ta_workspace: Option<&str>) -> Value {
    let ta = match ta_workspace {
        Some(ws) => {
            json!({"enabled": true, "workspaceResourceId": ws, "workspaceRegion": "westeurope", "trafficAnalyticsInterval": 10})
        }
        None => json!({"enabled": false, "trafficAnalyticsInterval": 60}),
    };
    json!({"id": format!("/subscriptions/{SUB}/resourceGroups/NetworkWatcherRG/providers/Microsoft.Network/networkWatchers/NetworkWatcher_westeurope/flowLogs/{name}"),
           "name": name, "type": "Microsoft.Network/networkWatchers/flowLogs", "location": "westeurope",
           "properties": {"targetResourceId": target, "enabled": enabled,
               "storageId": format!("/subscriptions/{SUB}/resourceGroups/NetworkWatcherRG/providers/Microsoft.Storage/storageAccounts/stflowlogs"),
               "flowAnalyticsConfiguration": {"networkWatcherFlowAnalyticsConfiguration": ta}}})
}

/// A NIC with one ip configuration in `subnet`; `nsg` names a NIC-level NSG.
pub fn nic(name: &str, subnet: &str, ip: &str, nsg: Option<&str>) -> Value {
    let mut props = json!({"ipConfigurations": [{"name": "ipconfig1",
        "id": format!("{}/ipConfigurations/ipconfig1", net_id("networkInterfaces", name)),
        "properties": {"privateIPAddress": ip, "privateIPAllocationMethod": "Static",
                       "subnet": {"id": subnet}, "primary": true}}]});
    if let Some(n) = nsg {
        props["networkSecurityGroup"] = json!({"id": net_id("networkSecurityGroups", n)});
    }
    json!({"id": net_id("networkInterfaces", name), "name": name,
           "type": "Microsoft.Network/networkInterfaces", "location": "westeurope", "properties": props})
}

/// An NSG rule with every field given, plural fields when a value is a list.
#[allow(clippy::too_many_arguments)]
pub fn rule_full(
    name: &str,
    priority: u32,
    dir: &str,
    access: &str,
    proto: &str,
    src: Value,
    dst: Value,
    ports: Value,
) -> Value {
    let mut p = json!({"protocol": proto, "sourcePortRange": "*", "access": access,
                       "priority": priority, "direction": dir});
    for (single, plural, v) in [
        ("sourceAddressPrefix", "sourceAddressPrefixes", src),
        (
            "destinationAddressPrefix",
            "destinationAddressPrefixes",
            dst,
        ),
        ("destinationPortRange", "destinationPortRanges", ports),
    ] {
        match v {
            Value::Array(_) => p[plural] = v,
            _ => p[single] = v,
        }
    }
    json!({"name": name, "properties": p})
}

pub fn outcome<'a>(r: &'a Report, code: &str) -> &'a azaudit::rules::RuleOutcome {
    r.rules.iter().find(|o| o.code == code).expect("rule ran")
}

/// An Application Gateway in `subnet` with a private frontend IP and one backend pool.
pub fn app_gateway(
    name: &str,
    sku: &str,
    subnet: &str,
    frontend_ip: &str,
    backends: &[&str],
) -> Value {
    let id = net_id("applicationGateways", name);
    json!({"id": id, "name": name, "type": "Microsoft.Network/applicationGateways", "location": "westeurope",
    "properties": {
        "sku": {"name": sku, "tier": sku, "capacity": 2},
        "gatewayIPConfigurations": [{"name": "gwip", "properties": {"subnet": {"id": subnet}}}],
        "frontendIPConfigurations": [{"name": "private", "properties": {"privateIPAddress": frontend_ip,
            "privateIPAllocationMethod": "Static", "subnet": {"id": subnet}}}],
        "backendAddressPools": [{"name": "pool", "properties": {"backendAddresses":
            backends.iter().map(|b| json!({"ipAddress": b})).collect::<Vec<_>>()}}],
        "backendHttpSettingsCollection": [{"name": "settings-443", "properties": {"port": 443, "protocol": "Https"}}]
    }})
}

/// The not-evaluated notes of one rule, as (resource id, reason).
pub fn not_evaluated_of(r: &Report, code: &str) -> Vec<(String, String)> {
    r.rules
        .iter()
        .filter(|o| o.code == code)
        .flat_map(|o| o.not_evaluated.iter())
        .map(|n| (n.resource_id.clone(), n.reason.clone()))
        .collect()
}

/// A coverage gap of `kind` (snake_case) in the test subscription.
pub fn gap(kind: &str) -> Value {
    json!({"subscription_id": SUB, "kind": kind, "http_status": 403,
           "code": "AuthorizationFailed", "message": "no read access"})
}

/// The negative-twin check: `code` ran with every input collected (outcome `evaluated`), left no
/// not-evaluated entry and reported nothing. A rule that silently skipped the resource, or gave up
/// on it, fails this where a bare "no findings" would pass.
#[track_caller]
pub fn assert_twin(r: &Report, code: &str) {
    let o = outcome(r, code);
    assert_eq!(
        o.status,
        azaudit::rules::RuleStatus::Evaluated,
        "{code} is {:?}: {:?}",
        o.status,
        o.missing_inputs
    );
    assert!(
        o.not_evaluated.is_empty(),
        "{code} did not evaluate: {:#?}",
        o.not_evaluated
    );
    let found = findings_of(r, code);
    assert!(found.is_empty(), "{code} fired on the twin: {found:#?}");
    assert_eq!(o.findings, 0, "{code} outcome counts findings");
}

/// [`assert_twin`] for one resource of a tenant where the rule may fire elsewhere: no finding and
/// no not-evaluated entry of `code` on a resource whose id ends with `resource` (case-insensitive),
/// and the rule's outcome `evaluated`.
#[track_caller]
pub fn assert_twin_on(r: &Report, code: &str, resource: &str) {
    let o = outcome(r, code);
    assert_eq!(
        o.status,
        azaudit::rules::RuleStatus::Evaluated,
        "{code} is {:?}: {:?}",
        o.status,
        o.missing_inputs
    );
    let suffix = resource.to_ascii_lowercase();
    let on = |id: &str| id.to_ascii_lowercase().ends_with(&suffix);
    let skipped: Vec<_> = o
        .not_evaluated
        .iter()
        .filter(|n| on(&n.resource_id))
        .collect();
    assert!(
        skipped.is_empty(),
        "{code} did not evaluate {resource}: {skipped:#?}"
    );
    let found: Vec<_> = findings_of(r, code)
        .into_iter()
        .filter(|f| on(&f.resource_id))
        .collect();
    assert!(found.is_empty(), "{code} fired on {resource}: {found:#?}");
}

/// A rule that could not judge: no finding of `code`, at least one not-evaluated entry, and the
/// outcome `partial` when `gap` (a coverage gap touched its inputs) else `evaluated`.
#[track_caller]
pub fn assert_not_judged(r: &Report, code: &str, gap: bool) {
    let o = outcome(r, code);
    let found = findings_of(r, code);
    assert!(
        found.is_empty(),
        "{code} fired without its input: {found:#?}"
    );
    assert!(
        !o.not_evaluated.is_empty(),
        "{code} left no not-evaluated entry"
    );
    let expected = if gap {
        azaudit::rules::RuleStatus::Partial
    } else {
        azaudit::rules::RuleStatus::Evaluated
    };
    assert_eq!(o.status, expected, "{code}: {:?}", o.missing_inputs);
}

/// The binary, with no inherited log or terminal settings (`COLUMNS`, `NO_COLOR`) and no
/// default subscription (neither
/// `AZURE_SUBSCRIPTION_ID` nor an Azure CLI profile), whatever the machine running the tests has.
pub fn azaudit_command() -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_azaudit"));
    cmd.env_remove("RUST_LOG")
        .env_remove("COLUMNS")
        .env_remove("NO_COLOR")
        .env_remove("AZURE_SUBSCRIPTION_ID")
        .env("AZURE_CONFIG_DIR", "/nonexistent/azaudit-tests/azure");
    cmd
}

/// Runs the binary as a user would (see [`azaudit_command`]); a `scan` is judged at
/// [`SCAN_AT`] unless the arguments give `--as-of` (or ask for help).
pub fn azaudit(args: &[&str]) -> std::process::Output {
    let mut cmd = azaudit_command();
    cmd.args(args);
    if args.first() == Some(&"scan") && !args.iter().any(|a| *a == "--as-of" || *a == "--help") {
        cmd.args(["--as-of", SCAN_AT]);
    }
    cmd.output().expect("the binary runs")
}

/// Scans at [`SCAN_AT`] under a user policy given as TOML text (over the shipped defaults).
pub fn scan_with_policy(s: &Snapshot, policy: &str) -> Report {
    let p = azaudit::policy::file::Policy::from_user_text("test-policy.toml", policy)
        .expect("test policy parses");
    azaudit::scan::build_report_with(
        s,
        "test",
        None,
        SCAN_AT.parse().unwrap(),
        std::time::Instant::now(),
        Some(&p),
    )
}
