use crate::common::*;

#[tokio::test]
async fn creating_a_gallery_answers_201_creating_with_an_operation_that_has_succeeded() {
    let emu = Emulator::start(&[]);
    let (status, headers, body) = emu
        .call(
            "PUT",
            &emu.api(&gallery_path("rg1", "gal1")),
            Some(json!({"location": "westus", "properties": {"description": "mine"}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(body["properties"]["provisioningState"], "Creating");
    assert_eq!(headers["retry-after"], "1");
    let op = headers["azure-asyncoperation"]
        .to_str()
        .expect("header")
        .to_string();
    let (status, _, op_body) = emu.call("GET", &op, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(op_body["status"], "Succeeded");
}
