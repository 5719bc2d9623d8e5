"""The Azure Python SDK (azure-mgmt-compute 39, azure-identity) against the emulator.

Runs the gallery workflow twice, once with a static credential object and once
with a real ClientSecretCredential signing in at the emulator's token endpoint.
With --strict (emulator started with --auth strict) the static credential
carries a token fetched from the token endpoint, and refused tokens are
checked to surface as ClientAuthenticationError (401).

Usage: suite.py --endpoint https://127.0.0.1:PORT --ca CA.pem --tenant T --subscription S [--strict]
"""

import argparse
import base64
import json
import os
import sys
import time
import traceback
import uuid

import requests
from azure.core.credentials import AccessToken
from azure.core.rest import HttpRequest
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
)
from azure.identity import ClientSecretCredential
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.compute import models as m
from azure.mgmt.resource.resources import ResourceManagementClient

SCOPE = "https://management.azure.com/.default"
CLIENT_ID = "11111111-1111-1111-1111-111111111111"
MAX_POLLER_SECONDS = float(os.environ.get("GALLERY_EMULATOR_CLIENTS_MAX_POLLER_SECONDS", "2"))
# The newest Compute RP api-version the emulator serves for managed images;
# used (through plain requests on the client's pipeline) only when the SDK's
# own images operations fail against the emulator (reported as gaps).
IMAGES_FALLBACK_API_VERSION = "2025-04-01"


class StepFailed(Exception):
    pass


class Harness:
    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = 0
        self.gaps = {}
        self.pollers = []

    def run(self, label, fn):
        started = time.monotonic()
        try:
            fn()
        except Exception as e:  # noqa: BLE001 - every failure is reported the same way
            self.failed += 1
            print(f"  FAIL {label} ({time.monotonic() - started:.2f} s)")
            detail = "".join(traceback.format_exception_only(type(e), e)).rstrip()
            for line in detail.splitlines():
                print(f"       {line}")
            if not isinstance(e, (AssertionError, StepFailed)):
                tb = traceback.extract_tb(e.__traceback__)
                here = [f for f in tb if f.filename == __file__]
                if here:
                    print(f"       at suite.py:{here[-1].lineno}")
            return False
        self.passed += 1
        print(f"  ok   {label} ({time.monotonic() - started:.2f} s)")
        return True

    def gap(self, kind, detail):
        """An emulator gap the suite works around: reported once per kind, not a failure."""
        self.gaps.setdefault(kind, detail)
        print(f"  GAP  {kind}: {detail}")

    def poll(self, label, poller_fn):
        """Runs a begin_* call to its result and checks it took < 2 s."""
        started = time.monotonic()
        poller = poller_fn()
        result = poller.result()
        took = time.monotonic() - started
        self.pollers.append((label, took))
        assert poller.done(), f"{label}: poller not done after result()"
        assert poller.status().lower() == "succeeded", f"{label}: poller status {poller.status()!r}"
        assert took < MAX_POLLER_SECONDS, f"{label}: the poller took {took:.2f} s (>= {MAX_POLLER_SECONDS} s)"
        return result


def eq(actual, expected, what):
    assert actual == expected, f"{what}: expected {expected!r}, got {actual!r}"


def ieq(actual, expected, what):
    assert actual is not None and actual.lower() == expected.lower(), f"{what}: expected {expected!r}, got {actual!r}"


def region_key(name):
    return (name or "").replace(" ", "").lower()


def expect_not_found(fn, what):
    try:
        fn()
    except ResourceNotFoundError as e:
        eq(e.status_code, 404, f"{what}: status")
        assert e.error is not None, f"{what}: no ARM error body parsed"
        eq(e.error.code, "ResourceNotFound", f"{what}: error.code")
        assert e.error.message, f"{what}: empty error.message"
        return e
    raise AssertionError(f"{what}: no ResourceNotFoundError raised")


def describe(response):
    """One line: the request and the response a gap or failure came from."""
    if response is None:
        return "(no response)"
    req = response.request
    try:
        body = response.text()
    except Exception:  # noqa: BLE001
        body = "?"
    return f"{req.method} {req.url} -> {response.status_code} {body[:400]}"


def jwt_claims(token):
    payload = token.split(".")[1]
    payload += "=" * (-len(payload) % 4)
    return json.loads(base64.urlsafe_b64decode(payload))


class StaticCredential:
    """The simplest credential azure-core accepts: get_token returning a fixed token."""

    def __init__(self, token):
        self.token = token
        self.scopes = []

    def get_token(self, *scopes, **kwargs):
        self.scopes.append(scopes)
        return AccessToken(self.token, int(time.time()) + 3600)


def client_for(args, credential, verify=None):
    kwargs = {"credential_scopes": [SCOPE]}
    if verify:
        kwargs["connection_verify"] = verify
    return ComputeManagementClient(credential, args.subscription, base_url=args.endpoint, **kwargs)


def resources_for(args, credential, verify=None):
    kwargs = {"credential_scopes": [SCOPE]}
    if verify:
        kwargs["connection_verify"] = verify
    return ResourceManagementClient(credential, args.subscription, base_url=args.endpoint, **kwargs)


def workflow(h, args, client, resources, tag):
    """The gallery workflow; stops at the first failed step (later steps depend on it)."""
    rg = f"rg-py-{tag}"
    gal = f"galpy{tag}"
    img = "img1"
    ver = "1.0.0"
    src = f"src-py-{tag}"
    sub = args.subscription
    gal_id = f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/galleries/{gal}"
    src_id = f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/images/{src}"
    p = f"[{tag}]"
    state = {}

    def create_group():
        group = resources.resource_groups.create_or_update(rg, {"location": "westus", "tags": {"suite": "python"}})
        eq(group.name, rg, "resource group name")
        ieq(group.id, f"/subscriptions/{sub}/resourceGroups/{rg}", "resource group id")
        eq(group.location, "westus", "resource group location")
        eq(group.properties.provisioning_state, "Succeeded", "resource group provisioningState")
        eq(resources.resource_groups.check_existence(rg), True, "resource group exists (HEAD)")
        eq(resources.resource_groups.get(rg).tags, {"suite": "python"}, "resource group tags")

    def delete_group():
        h.poll(f"{p} resource_groups.begin_delete", lambda: resources.resource_groups.begin_delete(rg))
        eq(resources.resource_groups.check_existence(rg), False, "resource group exists after delete (HEAD)")

    def check_gallery(g, description):
        eq(g.name, gal, "gallery name")
        ieq(g.id, gal_id, "gallery id")
        eq(g.type, "Microsoft.Compute/galleries", "gallery type")
        eq(g.location, "westus", "gallery location")
        eq(g.properties.provisioning_state, "Succeeded", "gallery provisioningState")
        eq(g.properties.description, description, "gallery description")
        assert g.properties.identifier and g.properties.identifier.unique_name, "gallery identifier.uniqueName missing"

    def create_gallery():
        g = h.poll(
            f"{p} galleries.begin_create_or_update",
            lambda: client.galleries.begin_create_or_update(
                rg, gal, m.Gallery(location="westus", tags={"suite": "python"},
                                   properties=m.GalleryProperties(description="first"))
            ),
        )
        check_gallery(g, "first")
        eq(g.tags, {"suite": "python"}, "gallery tags")

    def get_gallery():
        check_gallery(client.galleries.get(rg, gal), "first")

    def throttled_get_gallery():
        # A fault rule answers the next two GETs of the gallery 429 + Retry-After: 1;
        # azure-core's RetryPolicy waits and retries, and the third GET succeeds.
        faults = f"{args.endpoint}/_emulator/faults"
        rule = requests.post(faults, verify=args.ca, timeout=10, json={
            "method": "GET", "path": gal_id, "status": 429, "code": "TooManyRequests",
            "retryAfter": 1, "times": 2,
        })
        eq(rule.status_code, 201, f"adding the fault rule: {rule.text}")
        try:
            started = time.monotonic()
            check_gallery(client.galleries.get(rg, gal), "first")
            took = time.monotonic() - started
            assert took >= 1.9, f"the SDK retried after {took:.2f} s, not after Retry-After (2 x 1 s)"
            listed = requests.get(faults, verify=args.ca, timeout=10).json()["value"]
            fired = [r["fired"] for r in listed if r["id"] == rule.json()["id"]]
            eq(fired, [2], "fired count of the 429 rule")
        finally:
            requests.delete(faults, verify=args.ca, timeout=10).raise_for_status()

    def update_gallery():
        g = h.poll(
            f"{p} galleries.begin_update",
            lambda: client.galleries.begin_update(
                rg, gal, m.GalleryUpdate(properties=m.GalleryProperties(description="second"))
            ),
        )
        check_gallery(g, "second")
        check_gallery(client.galleries.get(rg, gal), "second")

    def list_galleries_by_group():
        items = list(client.galleries.list_by_resource_group(rg))
        eq([g.name for g in items], [gal], "galleries in the group")
        check_gallery(items[0], "second")

    def list_galleries_by_subscription():
        items = list(client.galleries.list())
        ids = [g.id.lower() for g in items]
        assert gal_id.lower() in ids, f"{gal_id} not in the subscription's galleries {ids}"
        check_gallery(items[ids.index(gal_id.lower())], "second")

    def check_image(d):
        eq(d.name, img, "definition name")
        ieq(d.id, f"{gal_id}/images/{img}", "definition id")
        eq(d.type, "Microsoft.Compute/galleries/images", "definition type")
        eq(d.location, "westus", "definition location")
        props = d.properties
        eq(props.provisioning_state, "Succeeded", "definition provisioningState")
        eq(props.os_type, "Linux", "definition osType")
        eq(props.os_state, "Generalized", "definition osState")
        eq(props.hyper_v_generation, "V2", "definition hyperVGeneration")
        eq((props.identifier.publisher, props.identifier.offer, props.identifier.sku),
           ("contoso", f"web-{tag}", "22"), "definition identifier")

    def create_image():
        d = h.poll(
            f"{p} gallery_images.begin_create_or_update",
            lambda: client.gallery_images.begin_create_or_update(
                rg, gal, img,
                m.GalleryImage(location="westus", properties=m.GalleryImageProperties(
                    os_type="Linux", os_state="Generalized", hyper_v_generation="V2",
                    identifier=m.GalleryImageIdentifier(publisher="contoso", offer=f"web-{tag}", sku="22"),
                )),
            ),
        )
        check_image(d)

    def get_image():
        check_image(client.gallery_images.get(rg, gal, img))

    def list_images():
        items = list(client.gallery_images.list_by_gallery(rg, gal))
        eq([d.name for d in items], [img], "definitions in the gallery")
        check_image(items[0])

    def check_source(s):
        ieq(s.id, src_id, "managed image id")
        eq(s.type, "Microsoft.Compute/images", "managed image type")
        eq(s.location, "westus", "managed image location")
        eq(s.properties.provisioning_state, "Succeeded", "managed image provisioningState")
        eq(s.properties.storage_profile.os_disk.os_type, "Linux", "managed image osType")
        eq(s.properties.hyper_v_generation, "V2", "managed image hyperVGeneration")

    def create_source():
        body = m.Image(location="westus", properties=m.ImageProperties(
            hyper_v_generation="V2",
            storage_profile=m.ImageStorageProfile(os_disk=m.ImageOSDisk(
                os_type="Linux", os_state="Generalized", disk_size_gb=30)),
        ))
        try:
            check_source(h.poll(f"{p} images.begin_create_or_update",
                                lambda: client.images.begin_create_or_update(rg, src, body)))
            check_source(client.images.get(rg, src))
            return
        except HttpResponseError as e:
            if e.error is None or e.error.code not in ("NoRegisteredProviderFound", "InvalidApiVersionParameter"):
                raise
            sent = e.response.request.url if e.response is not None else ""
            version = sent.rsplit("api-version=", 1)[-1] if "api-version=" in sent else "?"
            h.gap(f"images.begin_create_or_update at the SDK's api-version {version} is refused ({e.error.code})",
                  describe(e.response))
        # Fallback: a plain PUT through the client's pipeline (same auth and TLS) at an
        # api-version the emulator serves for managed images; then the SDK's GET.
        state["images_api"] = IMAGES_FALLBACK_API_VERSION
        url = f"{args.endpoint}{src_id}?api-version={IMAGES_FALLBACK_API_VERSION}"
        r = client.send_request(HttpRequest("PUT", url, json=body.as_dict()))
        assert r.status_code in (200, 201), f"PUT {url} -> {r.status_code} {r.text()}"
        operation = r.headers.get("Azure-AsyncOperation")
        if operation:
            poll = client.send_request(HttpRequest("GET", operation))
            if poll.status_code != 200:
                h.gap(f"the Azure-AsyncOperation URL of a managed-image PUT at api-version {IMAGES_FALLBACK_API_VERSION} "
                      f"answers {poll.status_code} (so images.begin_create_or_update fails at any api-version)",
                      describe(poll))
            else:
                eq(poll.json().get("status"), "Succeeded", "managed image operation status")
        check_source(client.images.get(rg, src, api_version=IMAGES_FALLBACK_API_VERSION))

    def check_version(v):
        eq(v.name, ver, "version name")
        ieq(v.id, f"{gal_id}/images/{img}/versions/{ver}", "version id")
        eq(v.type, "Microsoft.Compute/galleries/images/versions", "version type")
        eq(v.location, "westus", "version location")
        props = v.properties
        eq(props.provisioning_state, "Succeeded", "version provisioningState")
        # Azure answers region display names ("West US") where the request said "westus".
        regions = {region_key(r.name): r for r in props.publishing_profile.target_regions}
        eq(sorted(regions), ["eastus", "westus"], "version target regions")
        eq(regions["westus"].regional_replica_count, 2, "westus regionalReplicaCount")
        eq(regions["eastus"].regional_replica_count or 1, 1, "eastus regionalReplicaCount")
        ieq(props.storage_profile.source.id, src_id, "version source id")
        assert props.publishing_profile.published_date is not None, "version publishedDate missing"

    def create_version():
        v = h.poll(
            f"{p} gallery_image_versions.begin_create_or_update",
            lambda: client.gallery_image_versions.begin_create_or_update(
                rg, gal, img, ver,
                m.GalleryImageVersion(location="westus", properties=m.GalleryImageVersionProperties(
                    publishing_profile=m.GalleryImageVersionPublishingProfile(target_regions=[
                        m.TargetRegion(name="westus", regional_replica_count=2),
                        m.TargetRegion(name="eastus"),
                    ]),
                    storage_profile=m.GalleryImageVersionStorageProfile(
                        source=m.GalleryArtifactVersionFullSource(id=src_id)),
                )),
            ),
        )
        check_version(v)

    def get_version_with_replication_status():
        v = client.gallery_image_versions.get(rg, gal, img, ver, expand="ReplicationStatus")
        check_version(v)
        rs = v.properties.replication_status
        assert rs is not None, "replicationStatus missing with $expand=ReplicationStatus"
        eq(rs.aggregated_state, "Completed", "replicationStatus.aggregatedState")
        summary = {region_key(s.region): s for s in rs.summary}
        eq(sorted(summary), ["eastus", "westus"], "replicationStatus.summary regions")
        for region, s in summary.items():
            eq(s.state, "Completed", f"replicationStatus {region} state")
            eq(s.progress, 100, f"replicationStatus {region} progress")

    def get_version_plain():
        v = client.gallery_image_versions.get(rg, gal, img, ver)
        check_version(v)
        eq(v.properties.replication_status, None, "replicationStatus without $expand")

    def list_versions():
        items = list(client.gallery_image_versions.list_by_gallery_image(rg, gal, img))
        eq([v.name for v in items], [ver], "versions of the definition")
        check_version(items[0])

    def delete_version():
        h.poll(f"{p} gallery_image_versions.begin_delete",
               lambda: client.gallery_image_versions.begin_delete(rg, gal, img, ver))
        expect_not_found(lambda: client.gallery_image_versions.get(rg, gal, img, ver), "version after delete")
        eq(list(client.gallery_image_versions.list_by_gallery_image(rg, gal, img)), [], "versions after delete")

    def delete_image():
        h.poll(f"{p} gallery_images.begin_delete", lambda: client.gallery_images.begin_delete(rg, gal, img))
        expect_not_found(lambda: client.gallery_images.get(rg, gal, img), "definition after delete")

    def delete_source():
        if "images_api" not in state:
            h.poll(f"{p} images.begin_delete", lambda: client.images.begin_delete(rg, src))
            expect_not_found(lambda: client.images.get(rg, src), "managed image after delete")
            return
        url = f"{args.endpoint}{src_id}?api-version={state['images_api']}"
        r = client.send_request(HttpRequest("DELETE", url))
        assert r.status_code in (200, 202, 204), f"DELETE {url} -> {r.status_code} {r.text()}"
        expect_not_found(lambda: client.images.get(rg, src, api_version=state["images_api"]),
                         "managed image after delete")

    app = "app1"
    app_id = f"{gal_id}/applications/{app}"
    media = f"https://emulatorstore.blob.core.windows.net/apps/{app}-{tag}.zip"

    def synchronous(method, status):
        """A raw_response_hook that records the response, and its check: the application
        operations are synchronous (the status given, no Azure-AsyncOperation or Location)."""
        seen = []

        def hook(pipeline_response):
            seen.append(pipeline_response.http_response)

        def check():
            first = [r for r in seen if r.request.method == method]
            assert first, f"no {method} response seen"
            r = first[0]
            eq(r.status_code, status, f"application {method} status")
            for header in ("Azure-AsyncOperation", "Location"):
                eq(r.headers.get(header), None, f"application {method} {header} header")
        return hook, check

    def check_application(a, description):
        eq(a.name, app, "application name")
        ieq(a.id, app_id, "application id")
        eq(a.type, "Microsoft.Compute/galleries/applications", "application type")
        eq(a.location, "westus", "application location")
        eq(a.properties.supported_os_type, "Linux", "application supportedOSType")
        eq(a.properties.description, description, "application description")

    def create_application():
        hook, check = synchronous("PUT", 201)
        a = h.poll(
            f"{p} gallery_applications.begin_create_or_update",
            lambda: client.gallery_applications.begin_create_or_update(
                rg, gal, app, m.GalleryApplication(location="westus", tags={"suite": "python"},
                                                   properties=m.GalleryApplicationProperties(
                                                       supported_os_type="Linux", description="app first")),
                raw_response_hook=hook,
            ),
        )
        check()
        check_application(a, "app first")
        eq(a.tags, {"suite": "python"}, "application tags")

    def get_application():
        check_application(client.gallery_applications.get(rg, gal, app), "app first")

    def update_application():
        hook, check = synchronous("PATCH", 200)
        a = h.poll(
            f"{p} gallery_applications.begin_update",
            lambda: client.gallery_applications.begin_update(
                rg, gal, app, m.GalleryApplicationUpdate(properties=m.GalleryApplicationProperties(
                    supported_os_type="Linux", description="app second")),
                raw_response_hook=hook,
            ),
        )
        check()
        check_application(a, "app second")
        check_application(client.gallery_applications.get(rg, gal, app), "app second")

    def list_applications():
        items = list(client.gallery_applications.list_by_gallery(rg, gal))
        eq([a.name for a in items], [app], "applications in the gallery")
        check_application(items[0], "app second")

    def check_app_version(v):
        eq(v.name, ver, "application version name")
        ieq(v.id, f"{app_id}/versions/{ver}", "application version id")
        eq(v.type, "Microsoft.Compute/galleries/applications/versions", "application version type")
        eq(v.location, "westus", "application version location")
        props = v.properties
        eq(props.provisioning_state, "Succeeded", "application version provisioningState")
        pp = props.publishing_profile
        eq(pp.source.media_link, media, "application version source.mediaLink")
        eq((pp.manage_actions.install, pp.manage_actions.remove), ("sh install.sh", "sh remove.sh"),
           "application version manageActions")
        regions = {region_key(r.name): r for r in pp.target_regions}
        eq(sorted(regions), ["eastus", "westus"], "application version target regions")
        eq(regions["westus"].regional_replica_count, 2, "application westus regionalReplicaCount")
        eq(regions["eastus"].regional_replica_count or 1, 1, "application eastus regionalReplicaCount")
        assert pp.published_date is not None, "application version publishedDate missing"

    def create_app_version():
        v = h.poll(
            f"{p} gallery_application_versions.begin_create_or_update",
            lambda: client.gallery_application_versions.begin_create_or_update(
                rg, gal, app, ver,
                m.GalleryApplicationVersion(location="westus", properties=m.GalleryApplicationVersionProperties(
                    publishing_profile=m.GalleryApplicationVersionPublishingProfile(
                        source=m.UserArtifactSource(media_link=media),
                        manage_actions=m.UserArtifactManage(install="sh install.sh", remove="sh remove.sh"),
                        target_regions=[m.TargetRegion(name="westus", regional_replica_count=2),
                                        m.TargetRegion(name="eastus")],
                    ),
                )),
            ),
        )
        check_app_version(v)

    def get_app_version_with_replication_status():
        v = client.gallery_application_versions.get(rg, gal, app, ver, expand="ReplicationStatus")
        check_app_version(v)
        rs = v.properties.replication_status
        assert rs is not None, "application version replicationStatus missing with $expand=ReplicationStatus"
        eq(rs.aggregated_state, "Completed", "application version replicationStatus.aggregatedState")
        summary = {region_key(s.region): s for s in rs.summary}
        eq(sorted(summary), ["eastus", "westus"], "application version replicationStatus.summary regions")
        for region, s in summary.items():
            eq(s.state, "Completed", f"application version replicationStatus {region} state")
            eq(s.progress, 100, f"application version replicationStatus {region} progress")

    def list_app_versions():
        items = list(client.gallery_application_versions.list_by_gallery_application(rg, gal, app))
        eq([v.name for v in items], [ver], "versions of the application")
        check_app_version(items[0])
        eq(items[0].properties.replication_status, None, "application version replicationStatus in a list")

    def delete_app_version():
        h.poll(f"{p} gallery_application_versions.begin_delete",
               lambda: client.gallery_application_versions.begin_delete(rg, gal, app, ver))
        expect_not_found(lambda: client.gallery_application_versions.get(rg, gal, app, ver),
                         "application version after delete")
        eq(list(client.gallery_application_versions.list_by_gallery_application(rg, gal, app)), [],
           "application versions after delete")

    def delete_application():
        hook, check = synchronous("DELETE", 200)
        h.poll(f"{p} gallery_applications.begin_delete",
               lambda: client.gallery_applications.begin_delete(rg, gal, app, raw_response_hook=hook))
        check()
        expect_not_found(lambda: client.gallery_applications.get(rg, gal, app), "application after delete")
        eq(list(client.gallery_applications.list_by_gallery(rg, gal)), [], "applications after delete")

    def delete_gallery():
        h.poll(f"{p} galleries.begin_delete", lambda: client.galleries.begin_delete(rg, gal))
        e = expect_not_found(lambda: client.galleries.get(rg, gal), "gallery after delete")
        assert gal in e.error.message, f"the 404 message does not name the gallery: {e.error.message!r}"
        eq([g.name for g in client.galleries.list_by_resource_group(rg)], [], "galleries in the group after delete")

    def missing_gallery():
        expect_not_found(lambda: client.galleries.get(rg, f"nosuch{uuid.uuid4().hex[:8]}"), "missing gallery")

    steps = [
        ("create resource group (azure-mgmt-resource)", create_group),
        ("create gallery", create_gallery),
        ("get gallery", get_gallery),
        ("get gallery throttled twice (429 + Retry-After: 1), retried by the SDK", throttled_get_gallery),
        ("update gallery (PATCH)", update_gallery),
        ("list galleries by resource group", list_galleries_by_group),
        ("list galleries by subscription", list_galleries_by_subscription),
        ("create image definition", create_image),
        ("get image definition", get_image),
        ("list image definitions", list_images),
        ("create managed image source", create_source),
        ("create image version in westus (x2) and eastus", create_version),
        ("get version with $expand=ReplicationStatus", get_version_with_replication_status),
        ("get version without $expand", get_version_plain),
        ("list versions", list_versions),
        ("delete version, then 404", delete_version),
        ("delete image definition, then 404", delete_image),
        ("delete managed image source, then 404", delete_source),
        ("create application (Linux)", create_application),
        ("get application", get_application),
        ("update application (PATCH)", update_application),
        ("list applications", list_applications),
        ("create application version in westus (x2) and eastus", create_app_version),
        ("get application version with $expand=ReplicationStatus", get_app_version_with_replication_status),
        ("list application versions", list_app_versions),
        ("delete application version, then ResourceNotFoundError", delete_app_version),
        ("delete application, then ResourceNotFoundError", delete_application),
        ("delete gallery, then ResourceNotFoundError", delete_gallery),
        ("missing gallery is ResourceNotFoundError", missing_gallery),
        ("delete resource group (azure-mgmt-resource)", delete_group),
    ]
    for label, fn in steps:
        if not h.run(f"{p} {label}", fn):
            print(f"       ({tag} workflow stopped at the first failure)")
            return False
    return True


def secret_credential(args):
    return ClientSecretCredential(
        args.tenant, CLIENT_ID, "any-secret",
        authority=args.endpoint, disable_instance_discovery=True,
    )


def check_secret_token(h, args, cred):
    def fetch():
        tok = cred.get_token(SCOPE)
        assert tok.token.count(".") == 2, "the access token is not a JWT"
        claims = jwt_claims(tok.token)
        eq(claims.get("tid"), args.tenant, "token tid")
        eq(claims.get("appid"), CLIENT_ID, "token appid")
        ieq(claims.get("aud", "").rstrip("/"), "https://management.azure.com", "token aud")
        assert claims.get("iss", "").startswith(args.endpoint), f"token iss {claims.get('iss')!r} is not the emulator"
        assert tok.expires_on > time.time() + 60, "token already expiring"
    h.run("[secret] ClientSecretCredential gets a JWT from the emulator's token endpoint", fetch)


def strict_refusals(h, args):
    sub = args.subscription
    url = f"{args.endpoint}/subscriptions/{sub}/resourceGroups/rg-strict/providers/Microsoft.Compute/galleries/g?api-version=2026-03-03"

    def sdk_refused(token, code, label):
        def check():
            client = client_for(args, StaticCredential(token), verify=args.ca)
            try:
                client.galleries.get("rg-strict", "g")
            except ClientAuthenticationError as e:
                eq(e.status_code, 401, f"{label}: status")
                assert e.error is not None, f"{label}: no ARM error body"
                eq(e.error.code, code, f"{label}: error.code")
                challenge = e.response.headers.get("WWW-Authenticate", "")
                assert challenge.startswith("Bearer authorization_uri="), f"{label}: WWW-Authenticate {challenge!r}"
                return
            raise AssertionError(f"{label}: no ClientAuthenticationError raised")
        h.run(f"[strict] {label} -> ClientAuthenticationError 401 {code}", check)

    sdk_refused("garbage", "InvalidAuthenticationToken", "garbage token")
    forged = "eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJodHRwczovL21hbmFnZW1lbnQuYXp1cmUuY29tLyJ9.AAAA"
    sdk_refused(forged, "InvalidAuthenticationToken", "token with a bad signature")

    def wrong_audience():
        tok = secret_credential(args).get_token("https://storage.azure.com/.default").token
        client = client_for(args, StaticCredential(tok), verify=args.ca)
        try:
            client.galleries.get("rg-strict", "g")
        except ClientAuthenticationError as e:
            eq(e.error.code, "InvalidAuthenticationTokenAudience", "wrong audience: error.code")
            return
        raise AssertionError("wrong audience: no ClientAuthenticationError raised")
    h.run("[strict] token for another audience -> ClientAuthenticationError InvalidAuthenticationTokenAudience", wrong_audience)

    def missing_header():
        r = requests.get(url, verify=args.ca, timeout=10)
        eq(r.status_code, 401, "no Authorization: status")
        eq(r.json()["error"]["code"], "AuthenticationFailed", "no Authorization: error.code")
        assert r.headers.get("WWW-Authenticate", "").startswith("Bearer "), "no WWW-Authenticate"
    h.run("[strict] no Authorization header -> 401 AuthenticationFailed", missing_header)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--tenant", required=True)
    ap.add_argument("--subscription", required=True)
    ap.add_argument("--strict", action="store_true")
    args = ap.parse_args()
    args.endpoint = args.endpoint.rstrip("/")
    name = "python-strict" if args.strict else "python"
    h = Harness(name)

    import azure.core, azure.identity, azure.mgmt.compute  # noqa: E401
    print(f"{name}: azure-mgmt-compute {azure.mgmt.compute.__version__}, azure-identity {azure.identity.__version__}, "
          f"azure-core {azure.core.__version__}, endpoint {args.endpoint}")
    assert os.environ.get("REQUESTS_CA_BUNDLE"), "REQUESTS_CA_BUNDLE must point at the emulator's CA"

    # 1. A static credential object (connection_verify given explicitly).
    if args.strict:
        # A real token, fetched by hand from the emulator's token endpoint.
        r = requests.post(f"{args.endpoint}/{args.tenant}/oauth2/v2.0/token", verify=args.ca, timeout=10,
                          data={"grant_type": "client_credentials", "client_id": CLIENT_ID,
                                "client_secret": "any-secret", "scope": SCOPE})
        r.raise_for_status()
        static = StaticCredential(r.json()["access_token"])
    else:
        static = StaticCredential("static-token-not-a-jwt")
    workflow(h, args, client_for(args, static, verify=args.ca), resources_for(args, static, verify=args.ca), "static")
    h.run("[static] the credential was asked for the configured scope",
          lambda: eq(set(static.scopes), {(SCOPE,)}, "scopes asked"))

    # 2. azure.identity.ClientSecretCredential against the emulator (CA from REQUESTS_CA_BUNDLE).
    cred = secret_credential(args)
    check_secret_token(h, args, cred)
    workflow(h, args, client_for(args, cred), resources_for(args, cred), "secret")

    if args.strict:
        strict_refusals(h, args)

    slowest = max(h.pollers, key=lambda x: x[1]) if h.pollers else ("-", 0.0)
    print(f"{name}: {len(h.pollers)} pollers, slowest {slowest[1]:.2f} s ({slowest[0]})")
    for kind, detail in h.gaps.items():
        print(f"{name}: gap: {kind} -- e.g. {detail}")
    print(f"{name}: {h.passed} steps passed, {h.failed} failed, {len(h.gaps)} gaps")
    return 1 if h.failed else 0


if __name__ == "__main__":
    sys.exit(main())
