//! `examples/k3s-ssh` plans with the real terraform for a 3-server + 10-agent cluster, and
//! the plan time is reported (a figure, not a limit: CI machines are shared).

use std::time::Instant;

use acceptance_tests::{LocalProvider, Terraform};

#[test]
fn k3s_ssh_example_plans_a_three_server_ten_agent_cluster() {
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/k3s-ssh");
    let tf = Terraform::on_host("", &[LocalProvider::K3s]).expect("terraform workspace");
    for file in ["versions.tf", "variables.tf", "main.tf", "outputs.tf"] {
        let text = std::fs::read_to_string(example.join(file)).expect("example file");
        tf.write_file(file, &text).expect("copy example");
    }
    // An SSH key only so that file() finds one: plans do not connect.
    let key = tf.dir().join("id_ed25519");
    let keygen = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key)
        .status()
        .expect("ssh-keygen (openssh-client)");
    assert!(keygen.success());
    let agents: String = (1..=10)
        .map(|i| format!("  \"worker-{i}\" = {{ host = \"10.0.0.{}\" }}\n", 20 + i))
        .collect();
    tf.write_file(
        "terraform.tfvars",
        &format!(
            "ssh_private_key_file = \"{}\"\nservers = {{\n  \"server-1\" = {{ host = \"10.0.0.11\", ip = \"10.0.0.11\" }}\n  \"server-2\" = {{ host = \"10.0.0.12\", ip = \"10.0.0.12\" }}\n  \"server-3\" = {{ host = \"10.0.0.13\", ip = \"10.0.0.13\" }}\n}}\nagents = {{\n{agents}}}\n",
            key.display()
        ),
    )
    .expect("tfvars");
    let started = Instant::now();
    let plan = tf.plan().expect("plan");
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(
        plan.code,
        Some(2),
        "plan should propose the cluster:\n{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("Plan: 15 to add"),
        "1 cluster + 3 servers + 10 agents + 1 readiness wait expected:\n{}",
        plan.stdout
    );
    eprintln!("terraform plan of examples/k3s-ssh (3 servers + 10 agents): {seconds:.2} s");

    // Bad input is caught by the example's own validation.
    tf.write_file(
        "terraform.tfvars",
        &format!(
            "ssh_private_key_file = \"{}\"\nservers = {{\n  \"a\" = {{ host = \"h\", ip = \"10.0.0.1\" }}\n  \"b\" = {{ host = \"h\", ip = \"10.0.0.2\" }}\n}}\n",
            key.display()
        ),
    )
    .expect("tfvars");
    let out = tf
        .run(&["plan", "-input=false", "-no-color"])
        .expect("plan");
    assert_eq!(out.code, Some(1));
    assert!(out.stderr.contains("odd number"), "{}", out.stderr);
}
