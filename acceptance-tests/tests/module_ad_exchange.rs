//! `modules/ad-exchange` through the real terraform CLI against the Kubernetes API stand-in:
//! every object it renders (probes, resources, anti-affinity, HPA, PDB, campaigns), an empty
//! second plan, scaling bidders 2 -> 3 -> 2 touching only the third bidder (and the exchange's
//! bidder list), destroy, and bad inputs refused at plan by the module's validations.

use std::path::Path;

use acceptance_tests::apiserver::ApiServerStandin;
use acceptance_tests::k3s::{cluster_with_standin, CLUSTER_HCL};
use acceptance_tests::Terraform;
use k8s_api::ObjectRef;
use serde_json::{json, Value};

const NAMESPACE: &str = "adx";
const BIDDERS_FILE: &str = "bidders.auto.tfvars";
const MANAGER: &str = "terraform-provider-k3s";

/// Two campaigns: a banner with targeting and a frequency cap, and a paced video one.
const CAMPAIGNS: &str = r#"[
    {
      id       = "spring-sale"
      seat     = "seat-1"
      bid_cpm  = 2.5
      budget   = 1000
      adomain  = ["brand.example"]
      cat      = ["IAB22"]
      deals    = ["DEAL-1"]
      frequency_cap = { max = 3, window_secs = 3600 }
      creative = { id = "cr-1", format = "banner", w = 300, h = 250, adm = "<a href='https://brand.example'>ad</a>" }
      targeting = { countries = ["USA", "CAN"], device_types = [2, 4] }
    },
    {
      id             = "video-day"
      seat           = "seat-2"
      bid_cpm        = 8
      budget         = 50.5
      pace_over_secs = 86400
      creative       = { id = "cr-2", format = "video", mime = "video/mp4", duration = 15, adm = "<VAST/>" }
    },
  ]"#;

/// The root module: the stand-in's cluster plus the module with `extra` arguments.
fn root(extra: &str) -> String {
    format!(
        r#"{CLUSTER_HCL}
variable "bidder_count" {{
  type = number
}}

module "adx" {{
  source          = "./modules/ad-exchange"
  kubeconfig      = k3s_cluster.lab.kubeconfig
  namespace       = "{NAMESPACE}"
  bidder_count    = var.bidder_count
  rollout_timeout = "30s"
  campaigns       = {CAMPAIGNS}
{extra}
}}

output "objects" {{
  value = module.adx.objects
}}

output "exchange_url" {{
  value = module.adx.exchange_url
}}
"#
    )
}

/// Copies `from` (a directory of files) to `to`.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("module dir");
    for entry in std::fs::read_dir(from).expect("read module dir") {
        let path = entry.expect("entry").path();
        if path.is_file() {
            std::fs::copy(&path, to.join(path.file_name().expect("file name"))).expect("copy");
        }
    }
}

/// A workspace whose cluster is the stand-in, holding a copy of the module, with `bidders`.
fn workspace(extra: &str, bidders: u32) -> (Terraform<'static>, ApiServerStandin) {
    let (tf, standin) = cluster_with_standin();
    let module = Path::new(env!("CARGO_MANIFEST_DIR")).join("../modules/ad-exchange");
    copy_dir(&module, &tf.dir().join("modules/ad-exchange"));
    tf.write_main_tf(&root(extra)).expect("main.tf");
    set_bidders(&tf, bidders);
    tf.run(&["get", "-no-color"])
        .and_then(|o| o.into_success())
        .expect("terraform get installs modules/ad-exchange");
    (tf, standin)
}

fn set_bidders(tf: &Terraform, bidders: u32) {
    tf.write_file(BIDDERS_FILE, &format!("bidder_count = {bidders}\n"))
        .expect("bidder count");
}

fn object_ref(api_version: &str, kind: &str, name: &str) -> ObjectRef {
    ObjectRef {
        api_version: api_version.to_string(),
        kind: kind.to_string(),
        namespace: (kind != "Namespace").then(|| NAMESPACE.to_string()),
        name: name.to_string(),
    }
}

/// The Deployment, Service, HPA and PDB of one workload (a bidder or the exchange).
fn workload_objects(name: &str) -> [ObjectRef; 4] {
    [
        object_ref("apps/v1", "Deployment", name),
        object_ref("v1", "Service", name),
        object_ref("autoscaling/v2", "HorizontalPodAutoscaler", name),
        object_ref("policy/v1", "PodDisruptionBudget", name),
    ]
}

/// `apps/v1/Deployment adx/bidder-1` (the `objects` output) as an ObjectRef.
fn parse_object(shown: &str) -> ObjectRef {
    let (type_part, place) = shown.split_once(' ').expect("TYPE PLACE");
    let (api_version, kind) = type_part.rsplit_once('/').expect("apiVersion/Kind");
    let (namespace, name) = match place.split_once('/') {
        Some((ns, name)) => (Some(ns.to_string()), name),
        None => (None, place),
    };
    ObjectRef {
        api_version: api_version.to_string(),
        kind: kind.to_string(),
        namespace,
        name: name.to_string(),
    }
}

fn get(standin: &ApiServerStandin, r: &ObjectRef) -> Value {
    standin
        .object(r)
        .unwrap_or_else(|| panic!("{r} was not applied"))
}

fn container(deployment: &Value) -> &Value {
    &deployment["spec"]["template"]["spec"]["containers"][0]
}

fn env(container: &Value, name: &str) -> Option<String> {
    container["env"]
        .as_array()?
        .iter()
        .find(|e| e["name"] == name)
        .and_then(|e| e["value"].as_str())
        .map(str::to_string)
}

fn bidder_url(name: &str) -> String {
    format!("http://{name}.{NAMESPACE}.svc.cluster.local:8080/openrtb2/bid")
}

/// What every workload shares: labels and selectors that agree, probes on the services'
/// health endpoints, preferred anti-affinity by hostname, a Service, HPA and PDB over it,
/// and `spec.replicas` left to the HPA (not owned by our field manager).
fn assert_workload(standin: &ApiServerStandin, name: &str, app: &str, port: u16, hpa_max: u64) {
    let [deployment, service, hpa, pdb] = workload_objects(name).map(|r| get(standin, &r));
    let selector = json!({"app.kubernetes.io/name": app, "app.kubernetes.io/instance": name});
    assert_eq!(deployment["spec"]["selector"]["matchLabels"], selector);
    let labels = &deployment["spec"]["template"]["metadata"]["labels"];
    assert_eq!(labels["app.kubernetes.io/instance"], name);
    assert_eq!(labels["app.kubernetes.io/part-of"], "ad-exchange");

    let c = container(&deployment);
    assert_eq!(
        c["image"],
        format!("docker.io/library/rtb-{app}:0.1.0"),
        "{name}"
    );
    assert_eq!(c["imagePullPolicy"], "IfNotPresent");
    assert_eq!(
        c["ports"],
        json!([{"name": "http", "containerPort": port, "protocol": "TCP"}])
    );
    assert_eq!(
        c["readinessProbe"]["httpGet"],
        json!({"path": "/readyz", "port": "http"})
    );
    assert_eq!(
        c["livenessProbe"]["httpGet"],
        json!({"path": "/healthz", "port": "http"})
    );
    assert_eq!(
        c["resources"]["limits"],
        json!({"cpu": "1", "memory": "256Mi"})
    );
    assert_eq!(c["resources"]["requests"]["memory"], "64Mi");
    let workers = if app == "bidder" {
        "BIDDER_WORKERS"
    } else {
        "EXCHANGE_WORKERS"
    };
    assert_eq!(
        env(c, workers).as_deref(),
        Some("1"),
        "{name}: workers = CPU limit"
    );

    let anti = &deployment["spec"]["template"]["spec"]["affinity"]["podAntiAffinity"]
        ["preferredDuringSchedulingIgnoredDuringExecution"];
    assert_eq!(anti[0]["weight"], 100);
    assert_eq!(
        anti[0]["podAffinityTerm"]["topologyKey"],
        "kubernetes.io/hostname"
    );
    assert_eq!(
        anti[0]["podAffinityTerm"]["labelSelector"]["matchLabels"],
        selector
    );
    assert!(
        anti[0]["podAffinityTerm"]
            .get("requiredDuringSchedulingIgnoredDuringExecution")
            .is_none()
            && deployment["spec"]["template"]["spec"]["affinity"]["podAntiAffinity"]
                .get("requiredDuringSchedulingIgnoredDuringExecution")
                .is_none(),
        "anti-affinity must be preferred only"
    );

    let ours = deployment["metadata"]["managedFields"]
        .as_array()
        .expect("managedFields")
        .iter()
        .find(|m| m["manager"] == MANAGER)
        .expect("our field manager");
    assert!(
        ours["fieldsV1"]["f:spec"].get("f:replicas").is_none(),
        "{name}: spec.replicas belongs to the HPA, not to terraform: {ours}"
    );

    assert_eq!(service["spec"]["selector"], selector);
    assert_eq!(service["spec"]["ports"][0]["port"], port);
    assert_eq!(service["spec"]["ports"][0]["targetPort"], "http");

    let hpa = &hpa["spec"];
    assert_eq!(
        hpa["scaleTargetRef"],
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "name": name})
    );
    assert_eq!(
        (&hpa["minReplicas"], &hpa["maxReplicas"]),
        (&json!(2), &json!(hpa_max))
    );
    assert_eq!(
        hpa["metrics"][0]["resource"],
        json!({"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}})
    );

    assert_eq!(pdb["spec"]["minAvailable"], 1);
    assert_eq!(pdb["spec"]["selector"]["matchLabels"], selector);
}

fn assert_bidder(standin: &ApiServerStandin, name: &str) {
    assert_workload(standin, name, "bidder", 8080, 6);
    let deployment = get(standin, &object_ref("apps/v1", "Deployment", name));
    let c = container(&deployment);
    assert_eq!(c["resources"]["requests"]["cpu"], "500m");
    assert_eq!(
        env(c, "BIDDER_CAMPAIGNS").as_deref(),
        Some("/etc/bidder/campaigns.json")
    );
    assert_eq!(env(c, "BIDDER_DEFAULT_TMAX_MS").as_deref(), Some("100"));
    let public = format!("http://{name}.{NAMESPACE}.svc.cluster.local:8080");
    assert_eq!(env(c, "BIDDER_PUBLIC_URL"), Some(public));
    assert_eq!(c["volumeMounts"][0]["mountPath"], "/etc/bidder");
    let volume = &deployment["spec"]["template"]["spec"]["volumes"][0];
    assert_eq!(volume["name"], c["volumeMounts"][0]["name"]);
    assert_eq!(volume["configMap"]["name"], "campaigns");
}

/// The exchange calls exactly `bidders`, in order, at their Services' in-cluster URLs.
fn assert_exchange(standin: &ApiServerStandin, bidders: &[&str]) {
    assert_workload(standin, "exchange", "exchange", 8081, 4);
    let deployment = get(standin, &object_ref("apps/v1", "Deployment", "exchange"));
    let c = container(&deployment);
    let expected: Vec<String> = bidders
        .iter()
        .flat_map(|b| ["--bidder".to_string(), format!("{b}={}", bidder_url(b))])
        .collect();
    assert_eq!(c["args"], json!(expected));
    assert_eq!(c["resources"]["requests"]["cpu"], "250m");
    assert_eq!(env(c, "EXCHANGE_MARGIN_MS").as_deref(), Some("10"));
}

/// The ConfigMap holds the bidder's JSON campaign format: unset optional fields left out,
/// lists defaulted to empty.
fn assert_campaigns(standin: &ApiServerStandin) {
    let config_map = get(standin, &object_ref("v1", "ConfigMap", "campaigns"));
    let text = config_map["data"]["campaigns.json"]
        .as_str()
        .expect("campaigns.json key");
    let file: Value = serde_json::from_str(text).expect("campaigns.json is JSON");
    let campaigns = file["campaigns"].as_array().expect("campaigns list");
    assert_eq!(campaigns.len(), 2);
    let banner = &campaigns[0];
    assert_eq!(banner["id"], "spring-sale");
    assert_eq!(banner["bid_cpm"], 2.5);
    assert_eq!(
        banner["frequency_cap"],
        json!({"max": 3, "window_secs": 3600})
    );
    assert_eq!(banner["creative"]["w"], 300);
    assert_eq!(banner["targeting"]["countries"], json!(["USA", "CAN"]));
    assert_eq!(banner["targeting"]["os"], json!([]));
    assert!(
        banner.get("pace_over_secs").is_none() && banner["creative"].get("mime").is_none(),
        "unset optional fields must be left out: {banner}"
    );
    let video = &campaigns[1];
    assert_eq!(video["pace_over_secs"], 86400);
    assert_eq!(video["creative"]["mime"], "video/mp4");
    assert_eq!(video["adomain"], json!([]));
}

/// Resource addresses a saved plan would change, with their actions, sorted by address.
fn planned_changes(tf: &Terraform) -> Vec<(String, Vec<String>)> {
    tf.run(&["plan", "-out=scale.tfplan", "-input=false", "-no-color"])
        .and_then(|o| o.into_success())
        .expect("plan");
    let shown = tf
        .run(&["show", "-json", "scale.tfplan"])
        .and_then(|o| o.into_success())
        .expect("show plan");
    let plan: Value = serde_json::from_str(&shown.stdout).expect("plan JSON");
    let mut changes = plan["resource_changes"]
        .as_array()
        .expect("resource_changes")
        .iter()
        .filter(|c| c["change"]["actions"] != json!(["no-op"]))
        .map(|c| {
            let actions = c["change"]["actions"]
                .as_array()
                .expect("actions")
                .iter()
                .map(|a| a.as_str().expect("action").to_string())
                .collect();
            (c["address"].as_str().expect("address").to_string(), actions)
        })
        .collect::<Vec<_>>();
    changes.sort();
    changes
}

fn resource_version(standin: &ApiServerStandin, r: &ObjectRef) -> Value {
    get(standin, r)["metadata"]["resourceVersion"].clone()
}

/// Position in the stand-in's request log of the first `method` request on exactly `path`.
fn first_request(standin: &ApiServerStandin, method: &str, path: &str) -> usize {
    let log = standin.request_log();
    log.iter()
        .position(|r| {
            r.strip_prefix(&format!("{method} {path}"))
                .is_some_and(|rest| rest.starts_with(['?', ' ']))
        })
        .unwrap_or_else(|| panic!("no {method} {path} in {log:#?}"))
}

const EXCHANGE_PATH: &str = "/apis/apps/v1/namespaces/adx/deployments/exchange";
const BIDDER_3_PATH: &str = "/apis/apps/v1/namespaces/adx/deployments/bidder-3";

fn assert_empty_plan(tf: &Terraform, when: &str) {
    let plan = tf.plan().expect("plan");
    assert_eq!(
        plan.code,
        Some(0),
        "plan after {when} not empty:\n{}",
        plan.stdout
    );
}

#[test]
fn module_deploys_exchange_and_bidders_scales_bidders_and_destroys() {
    let (tf, standin) = workspace("", 2);
    tf.apply().expect("apply with 2 bidders");

    let outputs = tf.output_json().expect("outputs");
    assert_eq!(
        outputs["exchange_url"]["value"],
        "http://exchange.adx.svc.cluster.local:8081/openrtb2/auction"
    );
    let objects: Vec<ObjectRef> = outputs["objects"]["value"]
        .as_array()
        .expect("objects output")
        .iter()
        .map(|o| parse_object(o.as_str().expect("object")))
        .collect();
    let mut expected = vec![
        object_ref("v1", "Namespace", NAMESPACE),
        object_ref("v1", "ConfigMap", "campaigns"),
    ];
    for name in ["bidder-1", "bidder-2", "exchange"] {
        expected.extend(workload_objects(name));
    }
    assert_eq!(objects, expected, "the objects output");
    for r in &objects {
        get(&standin, r);
    }
    assert_campaigns(&standin);
    assert_bidder(&standin, "bidder-1");
    assert_bidder(&standin, "bidder-2");
    assert_exchange(&standin, &["bidder-1", "bidder-2"]);
    assert_empty_plan(&tf, "the first apply");

    // 2 -> 3: the third bidder's manifest is created, the exchange's bidder list updated in
    // place, nothing else touched.
    let untouched: Vec<ObjectRef> = ["bidder-1", "bidder-2"]
        .iter()
        .flat_map(|b| workload_objects(b))
        .chain([object_ref("v1", "ConfigMap", "campaigns")])
        .collect();
    let versions: Vec<Value> = untouched
        .iter()
        .map(|r| resource_version(&standin, r))
        .collect();
    set_bidders(&tf, 3);
    let exchange_update = (
        "module.adx.k3s_manifest.exchange".to_string(),
        vec!["update".to_string()],
    );
    let third = "module.adx.k3s_manifest.bidder[\"bidder-3\"]".to_string();
    assert_eq!(
        planned_changes(&tf),
        vec![
            (third.clone(), vec!["create".into()]),
            exchange_update.clone()
        ]
    );
    standin.clear_request_log();
    tf.apply().expect("apply with 3 bidders");
    assert!(
        first_request(&standin, "PATCH", BIDDER_3_PATH)
            < first_request(&standin, "PATCH", EXCHANGE_PATH),
        "the exchange must learn of bidder-3 only once it exists"
    );
    assert_bidder(&standin, "bidder-3");
    assert_exchange(&standin, &["bidder-1", "bidder-2", "bidder-3"]);
    let after: Vec<Value> = untouched
        .iter()
        .map(|r| resource_version(&standin, r))
        .collect();
    assert_eq!(after, versions, "scaling out rewrote existing bidders");
    assert_empty_plan(&tf, "scaling out");

    // 3 -> 2: only the third bidder's objects go.
    set_bidders(&tf, 2);
    assert_eq!(
        planned_changes(&tf),
        vec![(third, vec!["delete".into()]), exchange_update]
    );
    standin.clear_request_log();
    tf.apply().expect("apply with 2 bidders again");
    assert!(
        first_request(&standin, "PATCH", EXCHANGE_PATH)
            < first_request(&standin, "DELETE", BIDDER_3_PATH),
        "bidder-3 must be deleted only after the exchange stopped calling it"
    );
    for r in workload_objects("bidder-3") {
        assert!(standin.object(&r).is_none(), "{r} left behind");
    }
    assert_exchange(&standin, &["bidder-1", "bidder-2"]);
    let after: Vec<Value> = untouched
        .iter()
        .map(|r| resource_version(&standin, r))
        .collect();
    assert_eq!(after, versions, "scaling in rewrote the remaining bidders");
    assert_empty_plan(&tf, "scaling in");

    // A campaign change rewrites the ConfigMap only: the bidders reload the file in place.
    let raised = root("").replace("budget   = 1000", "budget   = 2000");
    tf.write_main_tf(&raised).expect("main.tf");
    assert_eq!(
        planned_changes(&tf),
        vec![(
            "module.adx.k3s_manifest.base".to_string(),
            vec!["update".to_string()]
        )]
    );
    tf.apply().expect("apply the new budget");
    let config_map = get(&standin, &object_ref("v1", "ConfigMap", "campaigns"));
    let file: Value =
        serde_json::from_str(config_map["data"]["campaigns.json"].as_str().expect("data"))
            .expect("JSON");
    assert_eq!(file["campaigns"][0]["budget"], 2000);

    standin.clear_request_log();
    tf.destroy().expect("destroy");
    let namespace_deleted = first_request(&standin, "DELETE", "/api/v1/namespaces/adx");
    for workload in ["bidder-1", "bidder-2", "exchange"] {
        let path = format!("/apis/apps/v1/namespaces/adx/deployments/{workload}");
        assert!(
            first_request(&standin, "DELETE", &path) < namespace_deleted,
            "the namespace must go last, after {workload}"
        );
    }
    for r in &objects {
        assert!(standin.object(r).is_none(), "{r} left behind by destroy");
    }
}

#[test]
fn bad_inputs_fail_at_plan_naming_the_variable() {
    let (tf, _standin) = workspace("", 2);
    let cases = [
        (
            "bidder_autoscaling = { min_replicas = 5, max_replicas = 2 }",
            "bidder_autoscaling.max_replicas must be a whole number >=",
        ),
        (
            "bidder_resources = { limits = { memory = \"256MB\" } }",
            "bidder_resources memory quantities must be bytes",
        ),
        (
            "exchange_resources = { requests = { cpu = \"2\" } }",
            "exchange_resources requests must not exceed limits",
        ),
        (
            "exchange_pdb_min_available = \"2\"",
            "exchange_pdb_min_available must be below the exchange's lowest replica count",
        ),
        (
            "bidder_image = \"rtb-bidder:0.2.0\"",
            "bidder_image must be an image name without a tag",
        ),
        (
            "tmax_ms = 5",
            "tmax_ms must be a whole number of milliseconds",
        ),
    ];
    for (arguments, message) in cases {
        tf.write_main_tf(&root(arguments)).expect("main.tf");
        let out = tf
            .run(&["plan", "-input=false", "-no-color"])
            .expect("plan");
        let said = out.stderr.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            out.code == Some(1) && said.contains(message),
            "{arguments}: plan should fail with {message:?}:\n{}",
            out.stderr
        );
    }

    // Campaigns are checked field by field, as the bidder would at start.
    let broken = CAMPAIGNS
        .replace("bid_cpm  = 2.5", "bid_cpm  = 0")
        .replace("mime = \"video/mp4\", ", "");
    tf.write_main_tf(&root("").replace(CAMPAIGNS, &broken))
        .expect("main.tf");
    let out = tf
        .run(&["plan", "-input=false", "-no-color"])
        .expect("plan");
    let said = out.stderr.split_whitespace().collect::<Vec<_>>().join(" ");
    for message in [
        "campaigns[*].bid_cpm must be a positive number",
        "campaigns[*].creative.mime is required for a video or audio creative",
    ] {
        assert!(
            said.contains(message),
            "expected {message:?}:\n{}",
            out.stderr
        );
    }
}

#[test]
fn without_autoscaling_replicas_are_set_and_no_hpa_is_created() {
    let (tf, standin) = workspace(
        r#"  bidder_autoscaling       = { enabled = false }
  bidder_replicas          = 3
  bidder_pdb_min_available = "50%"
  wait_for_rollout         = false"#,
        1,
    );
    tf.apply().expect("apply without bidder autoscaling");
    let [deployment, _, hpa, pdb] = workload_objects("bidder-1");
    assert_eq!(get(&standin, &deployment)["spec"]["replicas"], 3);
    assert!(standin.object(&hpa).is_none(), "no HPA without autoscaling");
    assert_eq!(get(&standin, &pdb)["spec"]["minAvailable"], "50%");
    // The exchange keeps its own autoscaling.
    assert!(standin
        .object(&object_ref(
            "autoscaling/v2",
            "HorizontalPodAutoscaler",
            "exchange"
        ))
        .is_some());
    assert_empty_plan(&tf, "the apply");
}
