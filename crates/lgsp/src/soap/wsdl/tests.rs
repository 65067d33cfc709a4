//! The WSDL reader's tests: descriptions read, and what cannot be bridged named.

use super::*;

const HOTICH: &str = include_str!("../testdata/hotich.wsdl");

/// A field of the civil-status schema, which qualifies its elements.
fn f(name: &str, kind: &str, required: bool, repeated: bool) -> Field {
    Field { name: name.into(), namespace: "http://hotich.gov.vn/ws".into(), kind: kind.into(), required, repeated, fields: Vec::new() }
}

/// An unqualified field.
fn u(name: &str, kind: &str, required: bool, repeated: bool) -> Field {
    Field { namespace: String::new(), ..f(name, kind, required, repeated) }
}

#[test]
fn a_document_literal_description_is_read() {
    let c = read(HOTICH).unwrap();
    assert_eq!(c.namespace, "http://hotich.gov.vn/ws");
    assert_eq!(c.location.as_deref(), Some("http://10.0.0.5:8080/hotich"));
    let ops = c.operations("1.1").unwrap();
    assert_eq!(ops.iter().map(|o| o.name.as_str()).collect::<Vec<_>>(), ["TraCuu", "GhiNhan"]);
    let t = &ops[0];
    assert_eq!(t.action, "http://hotich.gov.vn/ws/TraCuuKhaiSinh");
    assert_eq!((t.input.element.as_str(), t.input.namespace.as_str()), ("TraCuuKhaiSinh", "http://hotich.gov.vn/ws"));
    assert_eq!(
        t.input.fields.as_deref().unwrap(),
        [f("soDinhDanh", "string", true, false), f("namSinh", "integer", false, false), f("kemTheoCon", "boolean", false, false)]
    );
    let out = t.output.as_ref().unwrap();
    assert_eq!(out.element, "TraCuuKhaiSinhResponse");
    // The base type's fields first, then the extension's; the enumeration is text.
    let mut con = f("con", "object", false, true);
    con.fields = vec![f("hoTen", "string", true, false), f("namSinh", "integer", true, false)];
    assert_eq!(
        out.fields.as_deref().unwrap(),
        [
            f("hoTen", "string", true, false),
            f("namSinh", "integer", true, false),
            f("gioiTinh", "string", true, false),
            con,
            f("daDangKy", "boolean", true, false),
            f("lePhi", "decimal", false, false)
        ]
    );
    assert!(ops[1].output.is_none(), "GhiNhan is one-way");
    assert_eq!(ops[1].input.fields.as_ref().unwrap()[1], f("ghiChu", "string", false, true));
    // The SOAP 1.2 binding has only the lookup.
    assert_eq!(c.operations("1.2").unwrap().len(), 1);
}

#[test]
fn an_rpc_literal_description_is_read() {
    let wsdl = r#"<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:s="http://schemas.xmlsoap.org/wsdl/soap/"
            xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:t="urn:thue" targetNamespace="urn:thue">
          <message name="In"><part name="maSoThue" type="xsd:string"/><part name="nam" type="xsd:short"/></message>
          <message name="Out"><part name="soTien" type="xsd:double"/></message>
          <portType name="P"><operation name="NoThue"><input message="t:In"/><output message="t:Out"/></operation></portType>
          <binding name="B" type="t:P"><s:binding style="rpc"/>
            <operation name="NoThue"><s:operation soapAction=""/><input><s:body use="literal" namespace="urn:thue:rpc"/></input>
              <output><s:body use="literal" namespace="urn:thue:rpc"/></output></operation></binding></definitions>"#;
    let c = read(wsdl).unwrap();
    let op = &c.operations("1.1").unwrap()[0];
    assert_eq!((op.input.element.as_str(), op.input.namespace.as_str()), ("NoThue", "urn:thue:rpc"));
    assert_eq!(op.input.fields.as_deref().unwrap(), [u("maSoThue", "string", true, false), u("nam", "integer", true, false)]);
    let out = op.output.as_ref().unwrap();
    assert_eq!((out.element.as_str(), out.fields.as_deref().unwrap()), ("NoThueResponse", &[u("soTien", "number", true, false)][..]));
    assert!(c.operations("1.2").is_none());
}

#[test]
fn fields_keep_the_namespace_of_the_schema_declaring_them() {
    let wsdl = r#"<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:s="http://schemas.xmlsoap.org/wsdl/soap/"
            xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:a="urn:dich-vu" xmlns:b="urn:hop-dong" targetNamespace="urn:dich-vu">
          <types>
            <xs:schema targetNamespace="urn:dich-vu" elementFormDefault="qualified">
              <xs:element name="Nop"><xs:complexType><xs:sequence>
                <xs:element name="hoSo" type="b:HoSo"/><xs:element name="ghiChu" type="xs:string" form="unqualified"/><xs:element ref="b:MaDonVi"/>
              </xs:sequence></xs:complexType></xs:element>
            </xs:schema>
            <xs:schema targetNamespace="urn:hop-dong" elementFormDefault="qualified">
              <xs:complexType name="HoSo"><xs:sequence><xs:element name="ma" type="xs:string"/></xs:sequence></xs:complexType>
              <xs:element name="MaDonVi" type="xs:string"/>
            </xs:schema>
          </types>
          <message name="M"><part name="p" element="a:Nop"/></message>
          <portType name="P"><operation name="Nop"><input message="a:M"/></operation></portType>
          <binding name="B" type="a:P"><s:binding/><operation name="Nop"><input><s:body use="literal"/></input></operation></binding></definitions>"#;
    let c = read(wsdl).unwrap();
    let fields = c.operations("1.1").unwrap()[0].input.fields.clone().unwrap();
    let ns: Vec<(&str, &str)> = fields.iter().map(|f| (f.name.as_str(), f.namespace.as_str())).collect();
    assert_eq!(ns, [("hoSo", "urn:dich-vu"), ("ghiChu", ""), ("MaDonVi", "urn:hop-dong")]);
    assert_eq!(fields[0].fields[0].namespace, "urn:hop-dong", "the type's own schema qualifies its elements");
}

#[test]
fn attributes_and_simple_content_are_fields() {
    let wsdl = r#"<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:s="http://schemas.xmlsoap.org/wsdl/soap/"
            xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:t="urn:le-phi" targetNamespace="urn:le-phi">
          <types>
            <xs:schema targetNamespace="urn:le-phi" elementFormDefault="qualified">
              <xs:attribute name="phienBan" type="xs:int"/>
              <xs:attributeGroup name="Nguon"><xs:attribute name="heThong" type="xs:string" use="required"/></xs:attributeGroup>
              <xs:complexType name="SoTien"><xs:simpleContent><xs:extension base="xs:decimal">
                <xs:attribute name="donVi" type="xs:string" use="required"/>
              </xs:extension></xs:simpleContent></xs:complexType>
              <xs:element name="Tinh"><xs:complexType>
                <xs:sequence><xs:element name="phi" type="t:SoTien"/><xs:element name="ghiChu" type="xs:string" minOccurs="0"/></xs:sequence>
                <xs:attribute name="ma" type="xs:string" use="required"/>
                <xs:attribute ref="t:phienBan"/>
                <xs:attributeGroup ref="t:Nguon"/>
                <xs:attribute name="cu" type="xs:string" use="prohibited"/>
              </xs:complexType></xs:element>
            </xs:schema>
          </types>
          <message name="M"><part name="p" element="t:Tinh"/></message>
          <portType name="P"><operation name="Tinh"><input message="t:M"/></operation></portType>
          <binding name="B" type="t:P"><s:binding/><operation name="Tinh"><input><s:body use="literal"/></input></operation></binding></definitions>"#;
    let c = read(wsdl).unwrap();
    let body = c.operations("1.1").unwrap()[0].input.clone();
    let fields = body.fields.clone().unwrap();
    let shape: Vec<(&str, &str, &str, bool)> =
        fields.iter().map(|f| (f.name.as_str(), f.namespace.as_str(), f.kind.as_str(), f.required)).collect();
    assert_eq!(
        shape,
        [
            ("phi", "urn:le-phi", "object", true),
            ("ghiChu", "urn:le-phi", "string", false),
            ("@ma", "", "string", true),
            ("@phienBan", "urn:le-phi", "integer", false),
            ("@heThong", "", "string", true),
        ]
    );
    let phi: Vec<(&str, &str)> = fields[0].fields.iter().map(|f| (f.name.as_str(), f.kind.as_str())).collect();
    assert_eq!(phi, [("@donVi", "string"), ("#text", "decimal")]);
    // JSON to XML and back, attributes in the start tags.
    let json = serde_json::json!({"@ma": "LP-1", "@phienBan": 2, "@heThong": "motcua", "phi": {"@donVi": "VND", "#text": "150000.50"}});
    let xml = crate::soap::typed::write_body(&body, &json, true).unwrap();
    assert!(xml.starts_with("<ns:Tinh xmlns:ns=\"urn:le-phi\" ma=\"LP-1\" ns:phienBan=\"2\" heThong=\"motcua\"><ns:phi donVi=\"VND\">150000.50</ns:phi></ns:Tinh>"), "{xml}");
    let node = crate::xml::parse(xml.as_bytes()).unwrap();
    assert_eq!(crate::soap::typed::read_body(&body, &node, true).unwrap(), json);
    // A required attribute missing is named, both ways.
    let e = crate::soap::typed::write_body(&body, &serde_json::json!({"@heThong": "x", "phi": {"@donVi": "VND"}}), true).unwrap_err();
    assert!(e.contains("@ma") && e.contains("required"), "{e}");
    let node = crate::xml::parse(xml.replace(" ma=\"LP-1\"", "").as_bytes()).unwrap();
    assert!(crate::soap::typed::read_body(&body, &node, true).unwrap_err().contains("ma"));
}

#[test]
fn open_content_is_kept_beside_the_named_fields() {
    // An ASP.NET service answering with a DataSet (an inline schema, then any elements), and a
    // request that takes extra elements in its own namespace and extra attributes.
    let wsdl = r###"<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
            xmlns:s="http://www.w3.org/2001/XMLSchema" xmlns:tns="http://tempuri.org/" targetNamespace="http://tempuri.org/">
          <types>
            <s:schema targetNamespace="http://tempuri.org/" elementFormDefault="qualified">
              <s:element name="LayDanhSach"><s:complexType>
                <s:sequence><s:element name="maDonVi" type="s:string"/><s:any namespace="##targetNamespace" minOccurs="0" maxOccurs="unbounded"/></s:sequence>
                <s:anyAttribute/>
              </s:complexType></s:element>
              <s:element name="LayDanhSachResponse"><s:complexType><s:sequence>
                <s:element name="LayDanhSachResult" minOccurs="0"><s:complexType>
                  <s:sequence><s:element ref="s:schema"/><s:any/></s:sequence>
                </s:complexType></s:element>
              </s:sequence></s:complexType></s:element>
            </s:schema>
          </types>
          <message name="In"><part name="parameters" element="tns:LayDanhSach"/></message>
          <message name="Out"><part name="parameters" element="tns:LayDanhSachResponse"/></message>
          <portType name="P"><operation name="LayDanhSach"><input message="tns:In"/><output message="tns:Out"/></operation></portType>
          <binding name="B" type="tns:P"><soap:binding/><operation name="LayDanhSach">
            <input><soap:body use="literal"/></input><output><soap:body use="literal"/></output></operation></binding></definitions>"###;
    let c = read(wsdl).unwrap();
    let op = &c.operations("1.1").unwrap()[0];
    let input = op.input.clone();
    let shape: Vec<(&str, &str, &str, bool)> =
        input.fields.as_ref().unwrap().iter().map(|f| (f.name.as_str(), f.namespace.as_str(), f.kind.as_str(), f.required)).collect();
    assert_eq!(
        shape,
        [("maDonVi", "http://tempuri.org/", "string", true), ("*", "http://tempuri.org/", "any", false), ("@*", "", "string", false)]
    );

    // Fields the schema does not name go in where it leaves room: elements in the namespace
    // the xs:any names, after the named ones; attributes in the start tag.
    let json = serde_json::json!({"@phien": "2", "maDonVi": "000.00.13.H99", "trang": 1, "loc": {"nam": 2026}});
    let xml = crate::soap::typed::write_body(&input, &json, true).unwrap();
    assert_eq!(
        xml,
        "<ns:LayDanhSach xmlns:ns=\"http://tempuri.org/\" phien=\"2\"><ns:maDonVi>000.00.13.H99</ns:maDonVi><ns:trang>1</ns:trang><ns:loc><nam>2026</nam></ns:loc></ns:LayDanhSach>"
    );
    let node = crate::xml::parse(xml.as_bytes()).unwrap();
    let back = crate::soap::typed::read_body(&input, &node, true).unwrap();
    assert_eq!(back, serde_json::json!({"@phien": "2", "maDonVi": "000.00.13.H99", "trang": "1", "loc": {"nam": "2026"}}));
    // The named fields are still held to the schema; an open field cannot take a name XML
    // does not allow.
    let e = crate::soap::typed::write_body(&input, &serde_json::json!({"trang": 1}), true).unwrap_err();
    assert!(e.contains("maDonVi") && e.contains("required"), "{e}");
    let e = crate::soap::typed::write_body(&input, &serde_json::json!({"maDonVi": "x", "1trang": 1}), true).unwrap_err();
    assert!(e.contains("1trang"), "{e}");
    let e = crate::soap::typed::write_body(&input, &serde_json::json!({"maDonVi": "x", "@p": {"a": 1}}), true).unwrap_err();
    assert!(e.contains("@p"), "{e}");

    // The DataSet answer: its schema and its data both come through.
    let output = op.output.clone().unwrap();
    let result = &output.fields.as_ref().unwrap()[0];
    let inner: Vec<(&str, &str)> = result.fields.iter().map(|f| (f.name.as_str(), f.kind.as_str())).collect();
    assert_eq!(inner, [("schema", "any"), ("*", "any")]);
    let answer = br#"<LayDanhSachResponse xmlns="http://tempuri.org/"><LayDanhSachResult>
        <xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" id="NewDataSet"><xs:element name="NewDataSet"/></xs:schema>
        <diffgr:diffgram xmlns:diffgr="urn:schemas-microsoft-com:xml-diffgram-v1"><NewDataSet xmlns="">
          <Table><Ma>HS-1</Ma></Table><Table><Ma>HS-2</Ma></Table>
        </NewDataSet></diffgr:diffgram></LayDanhSachResult></LayDanhSachResponse>"#;
    let node = crate::xml::parse(answer).unwrap();
    let json = crate::soap::typed::read_body(&output, &node, false).unwrap();
    assert_eq!(json["LayDanhSachResult"]["diffgram"]["NewDataSet"]["Table"][1]["Ma"], "HS-2", "{json}");
    assert!(json["LayDanhSachResult"]["schema"].is_object(), "{json}");
    // Strictly read (as from a SOAP client), the open parts are taken too.
    assert!(crate::soap::typed::read_body(&output, &node, true).is_ok());

    // The JSON side's description lets the open fields in.
    let api = crate::soap::described::openapi("t", "1", "http://x", c.operations("1.1").unwrap());
    let schema = &api["paths"]["/LayDanhSach"]["post"]["requestBody"]["content"]["application/json"]["schema"];
    assert_eq!(schema["additionalProperties"], true, "{schema}");
    assert_eq!(schema["required"], serde_json::json!(["maDonVi"]), "{schema}");
    assert!(schema["properties"].get("*").is_none(), "{schema}");
}

#[test]
fn what_cannot_be_bridged_is_named() {
    let err = |text: &str| read(text).unwrap_err();
    assert!(
        err(&HOTICH.replace(
            "use=\"literal\"/></wsdl:input>\n    </wsdl:operation>\n  </wsdl:binding>",
            "use=\"encoded\"/></wsdl:input>\n    </wsdl:operation>\n  </wsdl:binding>"
        ))
        .contains("encoded")
    );
    assert!(err(&HOTICH.replace("type=\"tns:KetQua\"", "type=\"tns:KhongCo\"")).contains("KhongCo"));
    assert!(err(&HOTICH.replace("element=\"tns:GhiNhan\"", "element=\"tns:Khac\"")).contains("Khac"));
    assert!(err("<description xmlns=\"http://www.w3.org/ns/wsdl\"/>").contains("WSDL 2.0"));
    assert!(err("<x/>").contains("not a WSDL"));
    assert!(err("<definitions/>").contains("namespace"));
    assert!(err(r#"<!DOCTYPE d [<!ENTITY e SYSTEM "file:///etc/passwd">]><definitions xmlns="http://schemas.xmlsoap.org/wsdl/">&e;</definitions>"#).contains("DOCTYPE"));
    assert!(err(r#"<definitions xmlns="http://schemas.xmlsoap.org/wsdl/"/>"#).contains("no SOAP"));
    // A type that contains itself is free content where it recurs.
    let recursive = HOTICH.replace(
        r#"<xs:element name="namSinh" type="xs:int"/>
        </xs:sequence>
      </xs:complexType>"#,
        r#"<xs:element name="namSinh" type="xs:int"/>
          <xs:element name="cha" type="tns:Nguoi" minOccurs="0"/>
        </xs:sequence>
      </xs:complexType>"#,
    );
    assert_ne!(recursive, HOTICH);
    let c = read(&recursive).unwrap();
    let out = c.operations("1.1").unwrap()[0].output.clone().unwrap().fields.unwrap();
    let cha = out.iter().find(|f| f.name == "cha").unwrap();
    assert_eq!((cha.kind.as_str(), cha.fields.len()), ("any", 0));
    let con = out.iter().find(|f| f.name == "con").unwrap();
    assert_eq!(con.fields.iter().find(|f| f.name == "cha").map(|f| f.kind.as_str()), Some("any"));
    // A schema that multiplies out past the limit is refused, not expanded.
    let mut wide = String::from(
        r#"<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:s="http://schemas.xmlsoap.org/wsdl/soap/"
            xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:t="urn:w" targetNamespace="urn:w"><types><xs:schema targetNamespace="urn:w">"#,
    );
    for i in 0..20 {
        let next = if i == 19 { "xs:string".to_owned() } else { format!("t:T{}", i + 1) };
        wide.push_str(&format!(r#"<xs:complexType name="T{i}"><xs:sequence><xs:element name="a" type="{next}"/><xs:element name="b" type="{next}"/></xs:sequence></xs:complexType>"#));
    }
    wide.push_str(r#"<xs:element name="E" type="t:T0"/></xs:schema></types><message name="M"><part name="p" element="t:E"/></message>
            <portType name="P"><operation name="O"><input message="t:M"/></operation></portType>
            <binding name="B" type="t:P"><s:binding/><operation name="O"><input><s:body use="literal"/></input></operation></binding></definitions>"#);
    assert!(err(&wide).contains("too large"), "{}", err(&wide));
    // Types extending the next one many times over, with no elements: refused as well.
    let mut ext = String::from(
        r#"<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:s="http://schemas.xmlsoap.org/wsdl/soap/"
            xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:t="urn:w" targetNamespace="urn:w"><types><xs:schema targetNamespace="urn:w">"#,
    );
    for i in 0..17 {
        let next = if i == 16 { "xs:string".to_owned() } else { format!("t:T{}", i + 1) };
        let one = format!(r#"<xs:extension base="{next}"/>"#);
        ext.push_str(&format!(r#"<xs:complexType name="T{i}"><xs:complexContent>{}</xs:complexContent></xs:complexType>"#, one.repeat(4)));
    }
    ext.push_str(r#"<xs:element name="E" type="t:T0"/></xs:schema></types><message name="M"><part name="p" element="t:E"/></message>
            <portType name="P"><operation name="O"><input message="t:M"/></operation></portType>
            <binding name="B" type="t:P"><s:binding/><operation name="O"><input><s:body use="literal"/></input></operation></binding></definitions>"#);
    assert!(err(&ext).contains("too large"), "{}", err(&ext));
}
