//! Each RelaxNG construct libvirt's schemas use, on a small hand-written grammar.

use libvirt_schema::flatten::{flatten, Flattened};
use libvirt_schema::{coverage, rng, ChildSchema, ElementSchema, ValueKind};

const HEADER: &str = r#"<grammar xmlns="http://relaxng.org/ns/structure/1.0"
    datatypeLibrary="http://www.w3.org/2001/XMLSchema-datatypes">"#;

/// Writes `files` (the first is the entry point) into a temp dir and flattens the entry.
fn flatten_files(files: &[(&str, &str)]) -> (Flattened, coverage::Coverage) {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, body) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().expect("has parent")).expect("mkdir");
        std::fs::write(path, body).expect("write rng");
    }
    let grammar = rng::load(&dir.path().join(files[0].0)).expect("grammar loads");
    let flattened = flatten(&grammar).expect("grammar flattens");
    let cov = coverage::measure(files[0].0, "root", &grammar, &flattened.report);
    (flattened, cov)
}

/// A grammar whose start is `<element name="root">BODY</element>` plus extra defines.
fn grammar(body: &str, defines: &str) -> String {
    format!("{HEADER}<start><element name=\"root\">{body}</element></start>{defines}</grammar>")
}

fn root_of(body: &str, defines: &str) -> ElementSchema {
    flatten_files(&[("main.rng", &grammar(body, defines))])
        .0
        .root
}

fn child<'a>(e: &'a ElementSchema, name: &str) -> &'a ChildSchema {
    e.child(name)
        .unwrap_or_else(|| panic!("{} has no child {name}: {e:#?}", e.xml_name))
}

#[test]
fn define_ref_and_attributes() {
    let root = root_of(
        r#"<ref name="attrs"/><element name="leaf"><text/></element>"#,
        r#"<define name="attrs"><attribute name="a"><data type="unsignedInt"/></attribute>
           <optional><attribute name="b-c"/></optional></define>"#,
    );
    assert_eq!(root.attributes.len(), 2);
    let a = root.attribute("a").expect("attribute a");
    assert!(a.required);
    assert_eq!(
        a.kind,
        ValueKind::Integer {
            min: Some(0),
            max: Some(4294967295)
        }
    );
    let bc = root.attribute("b_c").expect("b-c becomes b_c");
    assert_eq!(bc.xml_name, "b-c");
    assert!(!bc.required);
    assert_eq!(bc.kind, ValueKind::String);
    let leaf = child(&root, "leaf");
    assert!(leaf.text_only && leaf.required && !leaf.repeatable);
}

#[test]
fn combine_choice_and_interleave() {
    let root = root_of(
        r#"<ref name="mode"/><ref name="parts"/>"#,
        r#"<define name="mode"><attribute name="mode"><value>a</value></attribute></define>
           <define name="mode" combine="choice"><attribute name="mode"><value>b</value></attribute></define>
           <define name="parts" combine="interleave"><element name="x"><empty/></element></define>
           <define name="parts" combine="interleave"><element name="y"><empty/></element></define>"#,
    );
    let mode = root.attribute("mode").expect("mode");
    assert_eq!(mode.kind, ValueKind::Enum(vec!["a".into(), "b".into()]));
    assert!(mode.required, "required in both alternatives");
    assert!(child(&root, "x").required && child(&root, "y").required);
    assert!(
        !child(&root, "x").text_only,
        "an empty element is a presence block"
    );
}

#[test]
fn include_relative_to_the_file_with_an_overriding_define() {
    let main = format!(
        r#"{HEADER}<start><ref name="root"/></start>
           <include href="sub/common.rng"><define name="kind"><value>override</value></define></include>
           </grammar>"#
    );
    let common = format!(
        r#"{HEADER}<include href="types.rng"/>
           <define name="root"><element name="root"><attribute name="k"><ref name="kind"/></attribute>
             <attribute name="n"><ref name="num"/></attribute></element></define>
           <define name="kind"><value>original</value></define></grammar>"#
    );
    let types =
        format!(r#"{HEADER}<define name="num"><data type="positiveInteger"/></define></grammar>"#);
    let (flat, _) = flatten_files(&[
        ("main.rng", &main),
        ("sub/common.rng", &common),
        ("sub/types.rng", &types),
    ]);
    let root = flat.root;
    assert_eq!(
        root.attribute("k").expect("k").kind,
        ValueKind::Enum(vec!["override".into()])
    );
    assert_eq!(
        root.attribute("n").expect("n").kind,
        ValueKind::Integer {
            min: Some(1),
            max: None
        }
    );
}

#[test]
fn name_child_and_namespaces() {
    let root = root_of(
        r#"<element><name>named</name><empty/></element>
           <element name="commandline" ns="http://libvirt.org/schemas/domain/qemu/1.0">
             <zeroOrMore><element name="arg"><attribute name="value"/></element></zeroOrMore>
           </element>
           <attribute name="x:attr" xmlns:x="urn:example:ext"/>
           <element><choice><name>one</name><name>two</name></choice><text/></element>"#,
        "",
    );
    assert!(root.child("named").is_some());
    let cmd = child(&root, "qemu_commandline");
    assert_eq!(cmd.element.xml_name, "commandline");
    assert_eq!(cmd.element.prefix.as_deref(), Some("qemu"));
    assert_eq!(
        cmd.element.namespace.as_deref(),
        Some("http://libvirt.org/schemas/domain/qemu/1.0")
    );
    let arg = child(&cmd.element, "arg");
    assert!(
        arg.repeatable,
        "children in the same namespace keep their plain name"
    );
    assert_eq!(
        arg.element.namespace.as_deref(),
        Some("http://libvirt.org/schemas/domain/qemu/1.0")
    );
    let attr = root.attribute("ext_attr").expect("prefixed attribute");
    assert_eq!(attr.namespace.as_deref(), Some("urn:example:ext"));
    assert!(root.child("one").is_some() && root.child("two").is_some());
}

#[test]
fn optional_zero_or_more_one_or_more_and_repeats() {
    let root = root_of(
        r#"<optional><element name="opt"><text/></element></optional>
           <zeroOrMore><element name="many"><text/></element></zeroOrMore>
           <oneOrMore><element name="some"><attribute name="a"/></element></oneOrMore>
           <element name="twice"><text/></element>
           <group><element name="twice"><text/></element></group>"#,
        "",
    );
    let opt = child(&root, "opt");
    assert!(!opt.required && !opt.repeatable && opt.text_only);
    let many = child(&root, "many");
    assert!(!many.required && many.repeatable);
    let some = child(&root, "some");
    assert!(some.required && some.repeatable && !some.text_only);
    let twice = child(&root, "twice");
    assert!(
        twice.repeatable,
        "an element written twice in sequence repeats"
    );
}

#[test]
fn choice_branches_merge_same_named_elements() {
    let root = root_of(
        r#"<choice>
             <group><attribute name="type"><value>file</value></attribute>
               <element name="source"><attribute name="file"/><attribute name="both"><data type="int"/></attribute></element></group>
             <group><attribute name="type"><value>block</value></attribute>
               <element name="source"><attribute name="dev"/><attribute name="both"><value>auto</value></attribute>
                 <element name="extra"><empty/></element></element></group>
           </choice>"#,
        "",
    );
    let ty = root.attribute("type").expect("type");
    assert!(ty.required);
    assert_eq!(
        ty.kind,
        ValueKind::Enum(vec!["file".into(), "block".into()])
    );
    let source = child(&root, "source");
    assert!(source.required && !source.repeatable);
    let s = &source.element;
    assert!(!s.attribute("file").expect("file").required);
    assert!(!s.attribute("dev").expect("dev").required);
    let both = s.attribute("both").expect("both");
    assert!(both.required, "required in every branch");
    assert_eq!(
        both.kind,
        ValueKind::Pattern(vec![r"[+-]?[0-9]+".into(), "auto".into()]),
        "integer and enum merge into a pattern union"
    );
    assert!(s.child("extra").is_some());
}

#[test]
fn interleave_mixed_text_empty_data_value_list() {
    let root = root_of(
        r#"<interleave>
             <element name="size"><attribute name="unit"/><data type="unsignedLong"/></element>
             <element name="mixed"><mixed><element name="b"><empty/></element></mixed></element>
             <element name="flag"><empty/></element>
             <element name="ratio"><data type="double"/></element>
             <element name="mode"><choice><value>on</value><value>off</value></choice></element>
             <element name="words"><list><oneOrMore><data type="string"/></oneOrMore></list></element>
             <element name="mac"><data type="string"><param name="pattern">[a-f0-9]{2}(:[a-f0-9]{2}){5}</param></data></element>
           </interleave>"#,
        "",
    );
    let size = &child(&root, "size").element;
    assert_eq!(
        size.text,
        Some(ValueKind::Integer {
            min: Some(0),
            max: None
        })
    );
    assert!(
        !child(&root, "size").text_only,
        "text plus attributes is a block"
    );
    let mixed = &child(&root, "mixed").element;
    assert_eq!(mixed.text, Some(ValueKind::String));
    assert!(mixed.child("b").is_some());
    assert!(child(&root, "flag").element.text.is_none());
    assert_eq!(child(&root, "ratio").element.text, Some(ValueKind::Number));
    assert_eq!(
        child(&root, "mode").element.text,
        Some(ValueKind::Enum(vec!["on".into(), "off".into()]))
    );
    assert_eq!(child(&root, "words").element.text, Some(ValueKind::String));
    assert_eq!(
        child(&root, "mac").element.text,
        Some(ValueKind::Pattern(vec![
            "[a-f0-9]{2}(:[a-f0-9]{2}){5}".into()
        ]))
    );
}

#[test]
fn wildcards_become_raw_xml_and_not_allowed_is_reported() {
    let (flat, cov) = flatten_files(&[(
        "main.rng",
        &grammar(
            r#"<element name="metadata"><zeroOrMore><ref name="any"/></zeroOrMore></element>
               <optional><element name="private"><notAllowed/></element></optional>
               <optional><ref name="placeholder"/></optional>"#,
            r#"<define name="any"><element><anyName><except><nsName ns=""/></except></anyName>
                 <zeroOrMore><choice><attribute><anyName/></attribute><text/><ref name="any"/></choice></zeroOrMore>
               </element></define>
               <define name="placeholder"><notAllowed/></define>
               <define name="placeholder" combine="choice"><element name="real"><empty/></element></define>"#,
        ),
    )]);
    let root = flat.root;
    let metadata = child(&root, "metadata");
    assert!(metadata.text_only, "wildcard content is raw XML text");
    assert_eq!(metadata.element.text, Some(ValueKind::Xml));
    assert!(root.child("private").is_none());
    assert!(
        root.child("real").is_some(),
        "combine=choice overrides the notAllowed placeholder"
    );
    assert_eq!(cov.elements.unexplained, 0, "{:?}", cov.left_out);
    assert_eq!(cov.elements.documented_exceptions, 1, "{:?}", cov.left_out);
    assert_eq!(cov.left_out[0].name, "private");
    assert_eq!(cov.attributes.represented, cov.attributes.reachable);
    assert_eq!(cov.raw_xml.len(), 2, "the wildcard element and attribute");
}

#[test]
fn external_ref_nested_grammar_and_parent_ref() {
    let main = grammar(
        r#"<externalRef href="ext.rng"/>
           <grammar><start><element name="inner"><parentRef name="outer"/></element></start>
             <define name="outer"><element name="shadowed"><empty/></element></define></grammar>"#,
        r#"<define name="outer"><attribute name="from_parent"/></define>"#,
    );
    let ext =
        r#"<element name="external" xmlns="http://relaxng.org/ns/structure/1.0"><text/></element>"#;
    let (flat, _) = flatten_files(&[("main.rng", &main), ("ext.rng", ext)]);
    assert!(child(&flat.root, "external").text_only);
    let inner = &child(&flat.root, "inner").element;
    assert!(
        inner.attribute("from_parent").is_some(),
        "parentRef resolves in the enclosing grammar"
    );
    assert!(inner.child("shadowed").is_none());
}

#[test]
fn recursion_is_cut_at_the_first_repeat() {
    let (flat, cov) = flatten_files(&[(
        "main.rng",
        &grammar(
            r#"<ref name="store"/>"#,
            r#"<define name="store"><optional><element name="backingStore">
                 <attribute name="path"/><ref name="store"/></element></optional></define>"#,
        ),
    )]);
    let store = &child(&flat.root, "backing_store").element;
    assert!(store.attribute("path").is_some());
    assert!(store.children.is_empty(), "the nested backingStore is cut");
    assert_eq!(cov.recursion_cuts.len(), 1);
    assert_eq!(cov.recursion_cuts[0].path, "root/backingStore/backingStore");
}

#[test]
fn name_exceptions() {
    let root = root_of(
        r#"<attribute name="id"><data type="int"/></attribute>
           <element name="count"><text/></element>
           <element name="firmware"><empty/></element><attribute name="firmware"/>
           <element name="arg"><attribute name="value"/><text/></element>
           <element name="urn"><text/></element>"#,
        "",
    );
    assert_eq!(
        root.attribute("root_id").expect("id renamed").xml_name,
        "id"
    );
    assert_eq!(child(&root, "root_count").element.xml_name, "count");
    assert!(root.attribute("firmware").is_some());
    assert_eq!(
        child(&root, "firmware_element").element.xml_name,
        "firmware"
    );
    assert_eq!(child(&root, "root_urn").element.xml_name, "urn");
    let arg = &child(&root, "arg").element;
    assert_eq!(
        arg.attribute("value_attribute").expect("renamed").xml_name,
        "value"
    );
}

#[test]
fn nested_names_are_not_top_level_exceptions() {
    let root = root_of(
        r#"<element name="inner"><attribute name="id"/></element>"#,
        "",
    );
    assert!(child(&root, "inner").element.attribute("id").is_some());
}

#[test]
fn errors_name_the_file_and_the_problem() {
    let dir = tempfile::tempdir().expect("temp dir");
    let main = dir.path().join("main.rng");
    std::fs::write(
        &main,
        format!("{HEADER}<start><ref name=\"missing\"/></start></grammar>"),
    )
    .expect("write");
    let grammar = rng::load(&main).expect("loads");
    let err = flatten(&grammar).err().expect("undefined ref fails");
    assert_eq!(
        err.to_string(),
        "reference to undefined pattern \"missing\""
    );

    std::fs::write(
        &main,
        format!("{HEADER}\n<include href=\"nowhere.rng\"/></grammar>"),
    )
    .expect("write");
    let err = rng::load(&main).expect_err("missing include fails");
    assert!(err.to_string().contains("nowhere.rng"), "{err}");

    std::fs::write(
        &main,
        format!("{HEADER}\n<start><element name=\"a\"><bogus/></element></start></grammar>"),
    )
    .expect("write");
    let err = rng::load(&main).expect_err("unknown pattern fails");
    assert_eq!(err.to_string(), "main.rng:3: unsupported pattern <bogus>");
}

#[test]
fn children_follow_every_group_order_across_merged_branches() {
    let names = |e: &ElementSchema| -> Vec<String> {
        e.children
            .iter()
            .map(|c| c.element.tf_name.clone())
            .collect()
    };
    let (flat, cov) = flatten_files(&[(
        "main.rng",
        &grammar(
            r#"<choice>
                 <group><element name="a"><empty/></element><element name="c"><empty/></element></group>
                 <group><element name="b"><empty/></element><element name="a"><empty/></element></group>
               </choice>
               <interleave><element name="z"><empty/></element></interleave>"#,
            "",
        ),
    )]);
    assert_eq!(names(&flat.root), ["b", "a", "c", "z"]);
    assert!(cov.order_conflicts.is_empty());

    let (flat, cov) = flatten_files(&[(
        "main.rng",
        &grammar(
            r#"<choice>
                 <group><element name="a"><empty/></element><element name="b"><empty/></element></group>
                 <group><element name="b"><empty/></element><element name="a"><empty/></element></group>
               </choice>"#,
            "",
        ),
    )]);
    assert_eq!(
        names(&flat.root),
        ["a", "b"],
        "first-seen order on a contradiction"
    );
    assert_eq!(cov.order_conflicts, ["root"]);
}
