//! Requests racing for the same name or the last unit of quota: the store's
//! transactions decide one winner, and nobody gets a 5xx.

use crate::common::*;

fn statuses(replies: &[Reply]) -> Vec<u16> {
    let mut s: Vec<u16> = replies.iter().map(|r| r.0.as_u16()).collect();
    s.sort();
    s
}

#[tokio::test]
async fn racing_creates_of_one_gallery_give_one_201_and_the_rest_200() {
    let mut outcomes = Vec::new();
    for store in Store::all() {
        let emu = Emulator::start_on(&store, &[]);
        let url = emu.api(&gallery_path("rg1", "gal1"));
        let requests = (0..8)
            .map(|i| {
                (
                    "PUT",
                    url.clone(),
                    Some(json!({"location": "westus", "properties": {"description": format!("d{i}")}})),
                )
            })
            .collect();
        let replies = emu.concurrently(requests).await;
        let listed = emu.list_all(&emu.api(&galleries_of_subscription())).await;
        outcomes.push((store.name(), statuses(&replies), listed.len()));
    }
    let mut expected = vec![200; 7];
    expected.push(201);
    let wrong: Vec<_> = outcomes
        .iter()
        .filter(|(_, statuses, listed)| *statuses != expected || *listed != 1)
        .collect();
    assert!(wrong.is_empty(), "expected {expected:?}, got {wrong:?}");
}

#[tokio::test]
async fn racing_creates_never_exceed_the_quota() {
    for store in Store::all() {
        let emu = Emulator::start_on(&store, &["--gallery-quota", "3"]);
        let requests = (0..8)
            .map(|i| {
                (
                    "PUT",
                    emu.api(&gallery_path(&format!("rg{}", i % 2), &format!("g{i}"))),
                    Some(json!({"location": "westus"})),
                )
            })
            .collect();
        let replies = emu.concurrently(requests).await;
        let created = replies
            .iter()
            .filter(|r| r.0 == StatusCode::CREATED)
            .count();
        assert_eq!(created, 3, "{}: {replies:?}", store.name());
        for r in replies.iter().filter(|r| r.0 != StatusCode::CREATED) {
            assert_arm_error(r, StatusCode::CONFLICT, "QuotaExceeded");
        }
        let listed = emu.list_all(&emu.api(&galleries_of_subscription())).await;
        assert_eq!(listed.len(), 3);
    }
}

#[tokio::test]
async fn racing_creates_of_one_name_in_several_resource_groups_have_one_winner() {
    for store in Store::all() {
        let emu = Emulator::start_on(&store, &[]);
        let requests = (0..6)
            .map(|i| {
                (
                    "PUT",
                    emu.api(&gallery_path(&format!("rg{i}"), "same")),
                    Some(json!({"location": "westus"})),
                )
            })
            .collect();
        let replies = emu.concurrently(requests).await;
        let created = replies
            .iter()
            .filter(|r| r.0 == StatusCode::CREATED)
            .count();
        assert_eq!(created, 1, "{}: {replies:?}", store.name());
        for r in replies.iter().filter(|r| r.0 != StatusCode::CREATED) {
            assert_arm_error(r, StatusCode::CONFLICT, "GalleryNameNotUnique");
        }
    }
}
