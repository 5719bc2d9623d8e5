//! GalleryApplications_*: VM applications are synchronous (201/200 with the
//! resource, no `Azure-AsyncOperation`, no provisioningState, 200 deletes),
//! echo every property, keep their OS type, list page by page and block the
//! deletion of their gallery (issue 6, rules 1, 2, 4).

use crate::common::*;

const RG: &str = "rg1";
const GAL: &str = "gal1";
const APP: &str = "app1";
const PROPS: &str = "galleryApplication.properties";

async fn with_gallery(store: &Store, flags: &[&str]) -> Emulator {
    let emu = Emulator::start_on(store, flags);
    emu.create_gallery(RG, GAL, "westus").await;
    emu
}

fn refused_with(reply: &Reply, status: StatusCode, code: &str, target: &str) -> String {
    let error = assert_arm_error(reply, status, code);
    assert_eq!(error["target"], target, "{error}");
    error["message"].as_str().unwrap_or_default().to_string()
}

/// Every property of the 2026-03-03 contract.
fn full_body() -> Value {
    json!({
        "location": "westus",
        "tags": {"team": "apps"},
        "properties": {
            "description": "A VM application",
            "eula": "Use at your own risk.",
            "privacyStatementUri": "https://contoso.com/privacy",
            "releaseNoteUri": "https://contoso.com/notes",
            "endOfLifeDate": "2040-01-01T00:00:00Z",
            "supportedOSType": "Linux",
            "customActions": [{
                "name": "reset",
                "script": "reset.sh",
                "description": "Resets the app",
                "parameters": [
                    {"name": "level", "required": true, "type": "String", "defaultValue": "1", "description": "how hard"},
                    {"name": "config", "type": "ConfigurationDataBlob"},
                    {"name": "log", "required": false, "type": "LogOutputBlob"}
                ]
            }]
        }
    })
}

fn assert_synchronous(headers: &reqwest::header::HeaderMap, body: &Value) {
    assert_eq!(header(headers, "azure-asyncoperation"), "", "{body}");
    assert_eq!(header(headers, "location"), "", "{body}");
    assert!(
        body["properties"].get("provisioningState").is_none(),
        "{body}"
    );
}

#[tokio::test]
async fn creating_an_application_answers_201_with_every_property_and_no_operation() {
    for store in Store::all() {
        let emu = with_gallery(&store, &[]).await;
        let (status, headers, created) = emu.put_application(RG, GAL, APP, full_body()).await;
        assert_eq!(status, StatusCode::CREATED, "{}: {created}", store.name());
        assert_synchronous(&headers, &created);
        let (status, headers, got) = emu.get_application(RG, GAL, APP).await;
        assert_eq!(status, StatusCode::OK, "{got}");
        assert_synchronous(&headers, &got);
        for body in [&created, &got] {
            assert_eq!(body["id"], application_path(RG, GAL, APP), "{body}");
            assert_eq!(body["name"], APP);
            assert_eq!(body["type"], "Microsoft.Compute/galleries/applications");
            assert_eq!(body["location"], "westus");
            assert_eq!(body["tags"], json!({"team": "apps"}));
            let p = &body["properties"];
            assert_eq!(p["description"], "A VM application");
            assert_eq!(p["eula"], "Use at your own risk.");
            assert_eq!(p["privacyStatementUri"], "https://contoso.com/privacy");
            assert_eq!(p["releaseNoteUri"], "https://contoso.com/notes");
            assert_eq!(p["supportedOSType"], "Linux");
            assert!(
                p["endOfLifeDate"]
                    .as_str()
                    .is_some_and(|d| d.starts_with("2040-01-01T00:00:00")),
                "{body}"
            );
            assert_eq!(
                p["customActions"],
                full_body()["properties"]["customActions"],
                "{body}"
            );
        }
    }
}

#[tokio::test]
async fn applications_answer_synchronously_at_the_api_versions_az_sends() {
    let emu = with_gallery(&Store::sqlite(), &[]).await;
    for (i, version) in ["2021-07-01", AZ_APP_API].into_iter().enumerate() {
        let name = format!("app{i}");
        let url = emu.api_at(&application_path(RG, GAL, &name), version);
        let (status, headers, created) = emu
            .call("PUT", &url, Some(application_body("westus", "Windows")))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{version}: {created}");
        assert_synchronous(&headers, &created);
        assert_eq!(created["properties"]["supportedOSType"], "Windows");
        let (status, headers, updated) = emu
            .call(
                "PATCH",
                &url,
                Some(json!({"properties": {"description": "d"}})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{version}: {updated}");
        assert_synchronous(&headers, &updated);
        let (status, headers, body) = emu.call("DELETE", &url, None).await;
        assert_eq!(status, StatusCode::OK, "{version}: {body}");
        assert_eq!(body, Value::Null);
        assert_eq!(header(&headers, "azure-asyncoperation"), "");
    }
}

#[tokio::test]
async fn putting_an_existing_application_answers_200_and_replaces_it() {
    for store in Store::all() {
        let emu = with_gallery(&store, &[]).await;
        emu.create_application(RG, GAL, APP, full_body()).await;
        let mut body = application_body("westus", "Linux");
        body["properties"]["description"] = json!("replaced");
        let (status, headers, replaced) = emu.put_application(RG, GAL, APP, body).await;
        assert_eq!(status, StatusCode::OK, "{}: {replaced}", store.name());
        assert_synchronous(&headers, &replaced);
        let (_, _, got) = emu.get_application(RG, GAL, APP).await;
        for body in [&replaced, &got] {
            let p = &body["properties"];
            assert_eq!(p["description"], "replaced", "{body}");
            assert_eq!(p["supportedOSType"], "Linux");
            for gone in ["eula", "releaseNoteUri", "endOfLifeDate", "customActions"] {
                assert!(p.get(gone).is_none(), "{gone} in {body}");
            }
        }
    }
}

#[tokio::test]
async fn patching_an_application_keeps_what_was_not_sent() {
    for store in Store::all() {
        let emu = with_gallery(&store, &[]).await;
        emu.create_application(RG, GAL, APP, full_body()).await;
        let (status, headers, patched) = emu
            .patch_application(
                RG,
                GAL,
                APP,
                json!({"properties": {"description": "patched", "eula": "new eula"}}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{}: {patched}", store.name());
        assert_synchronous(&headers, &patched);
        let (_, _, got) = emu.get_application(RG, GAL, APP).await;
        for body in [&patched, &got] {
            let p = &body["properties"];
            assert_eq!(p["description"], "patched", "{body}");
            assert_eq!(p["eula"], "new eula");
            assert_eq!(p["privacyStatementUri"], "https://contoso.com/privacy");
            assert_eq!(p["releaseNoteUri"], "https://contoso.com/notes");
            assert_eq!(p["supportedOSType"], "Linux");
            assert!(p["endOfLifeDate"].is_string(), "{body}");
            assert_eq!(
                p["customActions"],
                full_body()["properties"]["customActions"]
            );
            assert_eq!(body["tags"], json!({"team": "apps"}));
        }
        // Tags alone.
        let (status, _, patched) = emu
            .patch_application(RG, GAL, APP, json!({"tags": {"stage": "gold"}}))
            .await;
        assert_eq!(status, StatusCode::OK, "{patched}");
        assert_eq!(patched["tags"], json!({"stage": "gold"}));
        assert_eq!(patched["properties"]["description"], "patched");
    }
}

#[tokio::test]
async fn an_application_needs_its_supported_os_type() {
    for store in Store::all() {
        let emu = with_gallery(&store, &[]).await;
        for body in [
            json!({"location": "westus", "properties": {"description": "no os"}}),
            json!({"location": "westus"}),
        ] {
            let reply = emu.put_application(RG, GAL, APP, body).await;
            let message = refused_with(
                &reply,
                StatusCode::BAD_REQUEST,
                "InvalidParameter",
                &format!("{PROPS}.supportedOSType"),
            );
            assert!(message.contains("supportedOSType"), "{message}");
        }
        let reply = emu.get_application(RG, GAL, APP).await;
        assert_arm_error(&reply, StatusCode::NOT_FOUND, "ResourceNotFound");
    }
}

#[tokio::test]
async fn the_supported_os_type_of_an_application_cannot_change() {
    for store in Store::all() {
        let emu = with_gallery(&store, &[]).await;
        emu.create_application(RG, GAL, APP, application_body("westus", "Linux"))
            .await;
        let target = format!("{PROPS}.supportedOSType");
        let reply = emu
            .put_application(RG, GAL, APP, application_body("westus", "Windows"))
            .await;
        refused_with(
            &reply,
            StatusCode::CONFLICT,
            "PropertyChangeNotAllowed",
            &target,
        );
        let reply = emu
            .patch_application(
                RG,
                GAL,
                APP,
                json!({"properties": {"supportedOSType": "Windows"}}),
            )
            .await;
        refused_with(
            &reply,
            StatusCode::CONFLICT,
            "PropertyChangeNotAllowed",
            &target,
        );
        let (_, _, got) = emu.get_application(RG, GAL, APP).await;
        assert_eq!(
            got["properties"]["supportedOSType"],
            "Linux",
            "{}",
            store.name()
        );
        // Sending the same type again is no change.
        let (status, _, _) = emu
            .patch_application(
                RG,
                GAL,
                APP,
                json!({"properties": {"supportedOSType": "Linux", "description": "same"}}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
    }
}

#[tokio::test]
async fn invalid_application_properties_are_refused() {
    let emu = with_gallery(&Store::sqlite(), &[]).await;
    let mut body = application_body("westus", "Linux");
    body["properties"]["endOfLifeDate"] = json!("2001-01-01T00:00:00Z");
    let reply = emu.put_application(RG, GAL, APP, body).await;
    refused_with(
        &reply,
        StatusCode::BAD_REQUEST,
        "InvalidParameter",
        &format!("{PROPS}.endOfLifeDate"),
    );
    let mut body = application_body("westus", "Linux");
    body["properties"]["customActions"] = json!([
        {"name": "a", "script": "a.sh"},
        {"name": "A", "script": "b.sh"}
    ]);
    let reply = emu.put_application(RG, GAL, APP, body).await;
    refused_with(
        &reply,
        StatusCode::BAD_REQUEST,
        "InvalidParameter",
        &format!("{PROPS}.customActions[1].name"),
    );
    let reply = emu
        .put_application(RG, GAL, "-bad", application_body("westus", "Linux"))
        .await;
    refused_with(
        &reply,
        StatusCode::BAD_REQUEST,
        "InvalidParameter",
        "galleryApplicationName",
    );
    let reply = emu.get_application(RG, GAL, APP).await;
    assert_arm_error(&reply, StatusCode::NOT_FOUND, "ResourceNotFound");
}

#[tokio::test]
async fn applications_are_listed_by_gallery_page_by_page() {
    for store in Store::all() {
        let emu = with_gallery(&store, &["--page-size", "2"]).await;
        emu.create_gallery(RG, "gal2", "westus").await;
        emu.create_application(RG, "gal2", "elsewhere", application_body("westus", "Linux"))
            .await;
        let mut names = vec!["a1", "a2", "a3", "a4", "a5"];
        for name in &names {
            emu.create_application(RG, GAL, name, application_body("westus", "Windows"))
                .await;
        }
        let pages = emu.pages(&emu.api(&applications_in(RG, GAL))).await;
        assert_eq!(pages.len(), 3, "{}: {pages:?}", store.name());
        let items: Vec<Value> = pages
            .iter()
            .flat_map(|p| p["value"].as_array().cloned().expect("value"))
            .collect();
        let mut listed: Vec<&str> = items
            .iter()
            .map(|i| i["name"].as_str().expect("name"))
            .collect();
        listed.sort();
        names.sort();
        assert_eq!(listed, names);
        for item in &items {
            assert_eq!(item["type"], "Microsoft.Compute/galleries/applications");
            assert_eq!(item["properties"]["supportedOSType"], "Windows");
            assert!(item["properties"].get("provisioningState").is_none());
        }
        let reply = emu
            .call("GET", &emu.api(&applications_in(RG, "nogal")), None)
            .await;
        assert_arm_error(&reply, StatusCode::NOT_FOUND, "ResourceNotFound");
    }
}

#[tokio::test]
async fn deleting_an_application_answers_200_empty_and_then_it_is_gone() {
    for store in Store::all() {
        let emu = with_gallery(&store, &[]).await;
        emu.create_application(RG, GAL, APP, full_body()).await;
        let url = emu.api(&application_path(RG, GAL, APP));
        let (status, headers, body) = emu.call("DELETE", &url, None).await;
        assert_eq!(status, StatusCode::OK, "{}: {body}", store.name());
        assert_eq!(body, Value::Null);
        assert_eq!(header(&headers, "azure-asyncoperation"), "");
        assert_eq!(header(&headers, "location"), "");
        let reply = emu.get_application(RG, GAL, APP).await;
        let error = assert_arm_error(&reply, StatusCode::NOT_FOUND, "ResourceNotFound");
        assert!(
            error["message"]
                .as_str()
                .is_some_and(|m| m.contains("galleries/gal1/applications/app1")),
            "{error}"
        );
        let (status, _, body) = emu.call("DELETE", &url, None).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
        let reply = emu
            .patch_application(RG, GAL, APP, json!({"properties": {"description": "x"}}))
            .await;
        assert_arm_error(&reply, StatusCode::NOT_FOUND, "ResourceNotFound");
        // The name is free again.
        emu.create_application(RG, GAL, APP, application_body("westus", "Windows"))
            .await;
    }
}

#[tokio::test]
async fn an_application_under_a_missing_gallery_is_parent_resource_not_found() {
    for store in Store::all() {
        let emu = with_gallery(&store, &[]).await;
        let reply = emu
            .put_application(RG, "nogal", APP, application_body("westus", "Linux"))
            .await;
        let error = assert_arm_error(&reply, StatusCode::NOT_FOUND, "ParentResourceNotFound");
        assert!(
            error["message"]
                .as_str()
                .is_some_and(|m| m.contains("nogal")),
            "{}: {error}",
            store.name()
        );
        let reply = emu.get_application(RG, "nogal", APP).await;
        assert_arm_error(&reply, StatusCode::NOT_FOUND, "ResourceNotFound");
    }
}

#[tokio::test]
async fn a_gallery_with_applications_cannot_be_deleted_until_they_are() {
    for store in Store::all() {
        let emu = with_gallery(&store, &[]).await;
        emu.create_application(RG, GAL, APP, application_body("westus", "Linux"))
            .await;
        let gallery = emu.api(&gallery_path(RG, GAL));
        let reply = emu.call("DELETE", &gallery, None).await;
        let error = assert_arm_error(&reply, StatusCode::CONFLICT, "CannotDeleteResource");
        assert_eq!(
            error["message"],
            "Can not delete resource before nested resources are deleted.",
            "{}",
            store.name()
        );
        let (status, _, _) = emu.get_gallery(RG, GAL).await;
        assert_eq!(status, StatusCode::OK);
        let (status, _, _) = emu
            .call("DELETE", &emu.api(&application_path(RG, GAL, APP)), None)
            .await;
        assert_eq!(status, StatusCode::OK);
        let (status, _, body) = emu.call("DELETE", &gallery, None).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    }
}

#[tokio::test]
async fn an_application_cannot_move_to_another_location() {
    let emu = with_gallery(&Store::sqlite(), &[]).await;
    emu.create_application(RG, GAL, APP, application_body("westus", "Linux"))
        .await;
    let (status, headers, body) = emu
        .put_application(RG, GAL, APP, application_body("eastus", "Linux"))
        .await;
    assert_arm_error(
        &(status, headers, body),
        StatusCode::CONFLICT,
        "InvalidResourceLocation",
    );
    let (_, _, got) = emu.get_application(RG, GAL, APP).await;
    assert_eq!(got["location"], "westus");
}
