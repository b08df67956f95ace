//! Mapping behaviour beyond round trips: reading libvirt's own formatting, and errors that
//! name the offending field.

use libvirt_schema::{from_xml, network, storage_volume, to_xml, validate, Block, Field, MapError};

/// As `virsh net-dumpxml` prints it, plus things this schema does not know.
const LIBVIRT_NETWORK: &str = r#"<network connections='1' futureAttribute='x'>
  <name>default</name>
  <uuid>8f6e2c44-4b4e-4d7e-9a57-3f1f3f0c2b11</uuid>
  <metadata>
    <app:info xmlns:app="urn:example:app" owner="ops"/>
  </metadata>
  <forward mode='nat'>
    <nat>
      <port start='1024' end='65535'/>
    </nat>
  </forward>
  <futureElement enabled='yes'/>
  <ip address='192.168.122.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='192.168.122.2' end='192.168.122.254'/>
    </dhcp>
  </ip>
</network>
"#;

#[test]
fn reads_libvirt_formatting_and_ignores_unknown_parts() {
    let tree = from_xml(network(), LIBVIRT_NETWORK).expect("reads");
    let expected = Block::default()
        .text("connections", "1")
        .text("name", "default")
        .text("uuid", "8f6e2c44-4b4e-4d7e-9a57-3f1f3f0c2b11")
        .text(
            "metadata",
            r#"<app:info xmlns:app="urn:example:app" owner="ops"/>"#,
        )
        .with(
            "forward",
            Field::Block(Block::default().text("mode", "nat").with(
                "nat",
                Field::Block(Block::default().with(
                    "port",
                    Field::Block(Block::default().text("start", "1024").text("end", "65535")),
                )),
            )),
        )
        .with(
            "ip",
            Field::Blocks(vec![Block::default()
                .text("address", "192.168.122.1")
                .text("netmask", "255.255.255.0")
                .with(
                    "dhcp",
                    Field::Block(Block::default().with(
                        "range",
                        Field::Blocks(vec![Block::default()
                            .text("start", "192.168.122.2")
                            .text("end", "192.168.122.254")]),
                    )),
                )]),
        );
    assert_eq!(tree, expected);
    assert_eq!(validate(network(), &tree), vec![]);
}

#[test]
fn element_text_beside_attributes_is_the_value_field() {
    let xml = "<volume><name>v</name><capacity unit='G'>5</capacity><target/></volume>";
    let tree = from_xml(storage_volume(), xml).expect("reads");
    assert_eq!(
        tree.fields.get("capacity"),
        Some(&Field::Block(
            Block::default().text("unit", "G").text("value", "5")
        ))
    );
}

#[test]
fn wrong_root_is_an_error() {
    let err = from_xml(network(), "<pool type='dir'/>").unwrap_err();
    assert!(matches!(err, MapError::RootMismatch { .. }), "{err}");
}

#[test]
fn unknown_field_is_named_with_its_path() {
    let tree = Block::default().text("name", "n").with(
        "forward",
        Field::Block(Block::default().text("mood", "nat")),
    );
    let err = to_xml(network(), &tree).unwrap_err();
    assert_eq!(
        err.to_string().split(" (allowed").next(),
        Some("forward: unknown field \"mood\"")
    );
    let errors = validate(network(), &tree);
    assert_eq!(errors[0].path.to_string(), "forward.mood");
}

#[test]
fn wrong_shape_is_named_with_its_path() {
    let tree = Block::default()
        .text("name", "n")
        .with("ip", Field::Block(Block::default()));
    let err = to_xml(network(), &tree).unwrap_err();
    assert_eq!(
        err.to_string(),
        "ip: expected a list of blocks, found a block"
    );
    assert_eq!(
        validate(network(), &tree)[0].to_string(),
        "ip: must be a list of blocks, not a block"
    );
}

#[test]
fn characters_xml_cannot_carry_are_rejected() {
    let tree = Block::default().text("name", "bad\u{1}name");
    let err = to_xml(network(), &tree).unwrap_err();
    assert!(matches!(err, MapError::InvalidCharacter { .. }), "{err}");
    assert_eq!(validate(network(), &tree).len(), 1);
}

#[test]
fn raw_xml_must_be_well_formed() {
    let tree = Block::default()
        .text("name", "n")
        .text("metadata", "<a><b></a>");
    let err = to_xml(network(), &tree).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("metadata: not a well-formed XML fragment"),
        "{err}"
    );
    assert_eq!(validate(network(), &tree)[0].path.to_string(), "metadata");
}

#[test]
fn values_are_checked_against_their_kind() {
    let tree = Block::default()
        .text("connections", "-1")
        .with(
            "bridge",
            Field::Block(Block::default().text("stp", "maybe")),
        )
        .with(
            "mac",
            Field::Block(Block::default().text("address", "not-a-mac")),
        );
    let messages: Vec<String> = validate(network(), &tree)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(messages.len(), 4, "{messages:#?}");
    assert_eq!(
        messages[0],
        "bridge.stp: \"maybe\" is not one of the allowed values: on, off"
    );
    assert!(
        messages[1].starts_with("connections: \"-1\" is not an integer between 0 and"),
        "{}",
        messages[1]
    );
    assert!(messages[2].starts_with("mac.address: \"not-a-mac\" does not match"));
    assert_eq!(messages[3], "name: required by <network> but missing");
}

#[test]
fn markup_in_values_is_escaped() {
    let tree = Block::default().text("name", "a<b>&\"c\"").with(
        "dns",
        Field::Block(Block::default().with(
            "txt",
            Field::Blocks(vec![Block::default()
                    .text("name", "t")
                    .text("value", "x=\"1\"\n&y")]),
        )),
    );
    let xml = to_xml(network(), &tree).expect("writes");
    assert!(xml.contains("<name>a&lt;b&gt;&amp;\"c\"</name>"), "{xml}");
    assert!(
        xml.contains("value=\"x=&quot;1&quot;&#10;&amp;y\""),
        "{xml}"
    );
    assert_eq!(from_xml(network(), &xml).expect("reads"), tree);
}

#[test]
fn a_required_repeated_field_needs_at_least_one_item() {
    let host = |names: Vec<String>| {
        Block::default().with(
            "dns",
            Field::Block(Block::default().with(
                "host",
                Field::Blocks(vec![Block::default()
                    .text("ip", "10.0.0.1")
                    .with("hostname", Field::TextList(names))]),
            )),
        )
    };
    let tree = host(vec![]).text("name", "n");
    let errors = validate(network(), &tree);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].path.to_string(), "dns.host[0].hostname");
    let tree = host(vec!["a".into()]).text("name", "n");
    assert_eq!(validate(network(), &tree), vec![]);
}

#[test]
fn integers_are_plain_digits_within_bounds() {
    let with_connections = |v: &str| Block::default().text("name", "n").text("connections", v);
    assert_eq!(validate(network(), &with_connections("42")), vec![]);
    for bad in ["+42", " 42", "4.2", "", "-", "99999999999"] {
        assert_eq!(
            validate(network(), &with_connections(bad)).len(),
            1,
            "{bad:?}"
        );
    }
}
