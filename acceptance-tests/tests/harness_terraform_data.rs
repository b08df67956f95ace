//! The harness end to end with Terraform's built-in `terraform_data` only (no provider of ours):
//! proves the sandbox, the CLI configuration and every terraform helper work before any provider
//! test relies on them.

use acceptance_tests::{unique_name, Sandbox, Terraform};

/// Persistent network defined in the sandbox before apply; terraform's child processes must see it.
const PROBE_NETWORK: &str = "acc-probe";
const SEEN_FILE: &str = "networks-seen-by-terraform.txt";

fn config(greeting: &str) -> String {
    format!(
        r#"
resource "terraform_data" "greeting" {{
  input = "{greeting}"

  # Runs as a child of terraform: proves terraform runs inside the sandbox, talking to its libvirtd.
  provisioner "local-exec" {{
    command     = "virsh -q net-list --all --name > {SEEN_FILE}"
    working_dir = path.module
  }}
}}

output "greeting" {{
  value = terraform_data.greeting.output
}}
"#
    )
}

fn define_probe_network(sandbox: &Sandbox, workdir: &std::path::Path) {
    let xml = workdir.join("probe-network.xml");
    std::fs::write(
        &xml,
        format!("<network><name>{PROBE_NETWORK}</name><bridge name='virbr-probe'/></network>"),
    )
    .expect("write network XML");
    let defined = sandbox
        .virsh(&["net-define", &xml.to_string_lossy()])
        .expect("run virsh");
    assert!(defined.success(), "net-define failed: {}", defined.stderr);
}

#[test]
fn terraform_data_applies_then_plans_empty_then_destroys_inside_the_sandbox() {
    let sandbox = Sandbox::start(&unique_name("acc-tfdata")).expect("sandbox starts");
    let tf = Terraform::new(&sandbox, &config("hello"), &[]).expect("terraform workspace");
    define_probe_network(&sandbox, tf.dir());

    tf.apply().expect("apply");
    let seen =
        std::fs::read_to_string(tf.dir().join(SEEN_FILE)).expect("provisioner wrote its file");
    assert_eq!(
        seen.trim(),
        PROBE_NETWORK,
        "terraform's children must reach the sandbox's libvirtd"
    );

    assert_eq!(
        tf.plan_detailed_exitcode().expect("plan"),
        0,
        "second plan must be empty"
    );
    assert_eq!(
        tf.refresh_only_plan().expect("refresh-only plan"),
        0,
        "no drift"
    );
    assert_eq!(
        tf.output_json().expect("outputs")["greeting"]["value"],
        "hello"
    );
    let state = tf
        .state_show("terraform_data.greeting")
        .expect("state show");
    assert!(
        state.contains("\"hello\""),
        "state show lacks the input:\n{state}"
    );

    tf.write_main_tf(&config("goodbye"))
        .expect("rewrite main.tf");
    assert_eq!(
        tf.plan_detailed_exitcode().expect("plan"),
        2,
        "a changed input must plan a change"
    );

    tf.destroy().expect("destroy");
    let listed = tf.run(&["state", "list"]).expect("state list");
    assert!(
        listed.success() && listed.stdout.trim().is_empty(),
        "state not empty: {listed:?}"
    );
    sandbox.stop().expect("sandbox stops cleanly");
}
