//! The OpenAPI description is generated from the code and checked in; every route it lists
//! exists on a real server.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::PathBuf;

use common::TestServer;
use herald_server::openapi::{document, ROUTES};

#[test]
fn the_checked_in_openapi_document_is_up_to_date() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
    let fresh = serde_json::to_string_pretty(&document()).unwrap() + "\n";
    if std::env::var_os("HERALD_BLESS").is_some() {
        std::fs::write(&path, &fresh).unwrap();
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == fresh,
        "docs/openapi.json is stale: run HERALD_BLESS=1 cargo test -p herald-server --test openapi"
    );
}

#[test]
fn every_schema_reference_resolves() {
    let doc = document();
    let text = doc.to_string();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for part in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = &part[..part.find('"').unwrap()];
        assert!(schemas.contains_key(name), "dangling $ref to {name}");
    }
    assert!(schemas.contains_key("Preferences") && schemas.contains_key("ApiError"));
}

#[tokio::test]
async fn every_documented_route_exists() {
    let server = TestServer::start().await;
    for route in ROUTES {
        let path = route
            .path
            .replace("{id}", "0193e3f0-0000-7000-8000-000000000000");
        let response = server
            .http
            .request(
                route.method.to_uppercase().parse().unwrap(),
                server.api(&path),
            )
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body = response.text().await.unwrap();
        assert!(
            status != 405 && !body.contains("no such route"),
            "{} {} is documented but not served ({status})",
            route.method,
            route.path
        );
    }
}
