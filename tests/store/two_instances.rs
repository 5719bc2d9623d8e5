//! Two real emulator processes on one Postgres schema, as behind a load
//! balancer: gallery names stay unique per subscription and the per-region
//! quota holds however the requests are spread over the instances.

use std::collections::BTreeMap;

use crate::common::{Emulator, SUB, StatusCode, Store, Value, gallery_path, json};

/// Two instances on a fresh schema with a gallery quota of 5, or `None`
/// (with the reason printed) when there is no Postgres to share.
fn two_instances() -> Option<(Store, [Emulator; 2])> {
    let Some(store) = Store::postgres() else {
        println!("skipping two instances: {} is not set", crate::POSTGRES_ENV);
        return None;
    };
    let a = Emulator::start_on(&store, &["--gallery-quota", "5"]);
    let b = Emulator::start_on(&store, &["--gallery-quota", "5"]);
    Some((store, [a, b]))
}

async fn drop_schema(store: &Store) {
    if let Store::Postgres { url, schema } = store {
        crate::Database::Postgres {
            url: url.clone(),
            schema: schema.clone(),
        }
        .remove()
        .await;
    }
}

/// PUTs every `(rg, name)` at once, request `i` to instance `i % 2`, and
/// tallies the outcomes as `status error-code`.
async fn create_all(emus: &[Emulator; 2], targets: &[(String, String)]) -> BTreeMap<String, usize> {
    let tasks: Vec<_> = targets
        .iter()
        .enumerate()
        .map(|(i, (rg, name))| {
            let emu = &emus[i % 2];
            let client = emu.client.clone();
            let url = emu.api(&gallery_path(rg, name));
            tokio::spawn(async move {
                let resp = client
                    .put(url)
                    .json(&json!({"location": "westus"}))
                    .send()
                    .await
                    .expect("PUT");
                let status = resp.status();
                let body: Value = resp.json().await.unwrap_or(Value::Null);
                (status, body)
            })
        })
        .collect();
    let mut tally = BTreeMap::new();
    for task in tasks {
        let (status, body) = task.await.expect("request");
        let code = body["error"]["code"].as_str().unwrap_or("-");
        *tally
            .entry(format!("{} {code}", status.as_u16()))
            .or_insert(0) += 1;
    }
    tally
}

/// Every gallery of the subscription as one instance lists it, following nextLink.
async fn listed(emu: &Emulator) -> Vec<String> {
    let mut names = Vec::new();
    let mut url = emu.api(&format!(
        "/subscriptions/{SUB}/providers/Microsoft.Compute/galleries"
    ));
    loop {
        let (status, _, body) = emu.call("GET", &url, None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        for item in body["value"].as_array().expect("value") {
            names.push(format!(
                "{} {}",
                item["id"].as_str().unwrap_or_default().to_ascii_lowercase(),
                item["properties"]["provisioningState"]
                    .as_str()
                    .unwrap_or_default()
            ));
        }
        match body.get("nextLink").and_then(Value::as_str) {
            Some(next) => url = next.to_string(),
            None => return names,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_admit_one_gallery_of_a_name_however_the_requests_are_spread() {
    let Some((store, emus)) = two_instances() else {
        return;
    };
    let targets: Vec<_> = (0..10)
        .map(|i| (format!("rg{i}"), "contested".to_string()))
        .collect();
    let tally = create_all(&emus, &targets).await;
    let expected = BTreeMap::from([
        ("201 -".to_string(), 1),
        ("409 GalleryNameNotUnique".to_string(), 9),
    ]);
    let a = listed(&emus[0]).await;
    let b = listed(&emus[1]).await;
    drop(emus);
    drop_schema(&store).await;
    assert_eq!(tally, expected);
    assert_eq!(a.len(), 1, "{a:?}");
    assert!(a[0].ends_with("/galleries/contested Succeeded"), "{a:?}");
    assert_eq!(a, b);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_one_gallery_quota_per_region() {
    let Some((store, emus)) = two_instances() else {
        return;
    };
    let targets: Vec<_> = (0..20)
        .map(|i| (format!("rg{}", i % 3), format!("gallery{i:02}")))
        .collect();
    let tally = create_all(&emus, &targets).await;
    let expected = BTreeMap::from([
        ("201 -".to_string(), 5),
        ("409 QuotaExceeded".to_string(), 15),
    ]);
    let a = listed(&emus[0]).await;
    let b = listed(&emus[1]).await;
    // Another region still has room.
    let (status, _, body) = emus[1]
        .call(
            "PUT",
            &emus[1].api(&gallery_path("rg0", "elsewhere")),
            Some(json!({"location": "eastus"})),
        )
        .await;
    drop(emus);
    drop_schema(&store).await;
    assert_eq!(tally, expected);
    assert_eq!(a.len(), 5, "{a:?}");
    assert_eq!(a, b);
    assert_eq!(status, StatusCode::CREATED, "{body}");
}
