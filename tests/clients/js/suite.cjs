// The Azure JS SDK (@azure/arm-compute 25, @azure/identity 4) against the emulator.
//
// Runs the gallery workflow twice: with a static getToken credential and with
// a real ClientSecretCredential signing in at the emulator's token endpoint.
// NODE_EXTRA_CA_CERTS must name the emulator's CA before node starts (node
// reads it only at start-up); modules come from NODE_PATH (the runner's cache).
//
// Usage: node suite.cjs --endpoint https://127.0.0.1:PORT --tenant T --subscription S
"use strict";

const assert = require("node:assert/strict");
const { ComputeManagementClient } = require("@azure/arm-compute");
const { ClientSecretCredential } = require("@azure/identity");
const { RestError, createPipelineRequest, createDefaultHttpClient } = require("@azure/core-rest-pipeline");

const SCOPE = "https://management.azure.com/.default";
const CLIENT_ID = "11111111-1111-1111-1111-111111111111";
const MAX_POLLER_MS = 1000 * Number(process.env.GALLERY_EMULATOR_CLIENTS_MAX_POLLER_SECONDS || 2);
// The newest Compute RP api-version the emulator serves for managed images;
// used through plain pipeline requests only when the SDK's own images
// operations fail against the emulator (reported as gaps).
const IMAGES_FALLBACK_API_VERSION = "2025-04-01";

function parseArgs() {
  const out = {};
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) out[argv[i].replace(/^--/, "")] = argv[i + 1];
  for (const k of ["endpoint", "tenant", "subscription"]) {
    if (!out[k]) throw new Error(`--${k} is required`);
  }
  out.endpoint = out.endpoint.replace(/\/+$/, "");
  return out;
}

class Harness {
  constructor() {
    this.passed = 0;
    this.failed = 0;
    this.gaps = new Map();
    this.pollers = [];
  }

  async run(label, fn) {
    const started = Date.now();
    try {
      await fn();
    } catch (e) {
      this.failed += 1;
      console.log(`  FAIL ${label} (${secs(Date.now() - started)} s)`);
      const text = e && e.stack ? e.stack.split("\n").slice(0, 6).join("\n") : String(e);
      for (const line of text.split("\n")) console.log(`       ${line}`);
      if (e instanceof RestError) {
        console.log(`       RestError statusCode=${e.statusCode} code=${e.code} request=${e.request && e.request.method} ${e.request && e.request.url}`);
      }
      return false;
    }
    this.passed += 1;
    console.log(`  ok   ${label} (${secs(Date.now() - started)} s)`);
    return true;
  }

  // An emulator gap the suite works around: reported once per kind, not a failure.
  gap(kind, detail) {
    if (!this.gaps.has(kind)) this.gaps.set(kind, detail);
    console.log(`  GAP  ${kind}: ${detail}`);
  }

  // Awaits a PollerLike to its result and checks it took < 2 s.
  async poll(label, start) {
    const started = Date.now();
    const poller = start();
    const result = await poller;
    const took = Date.now() - started;
    this.pollers.push([label, took]);
    assert.equal(poller.isDone, true, `${label}: poller not done`);
    assert.equal(poller.operationState.status, "succeeded", `${label}: poller status`);
    assert.ok(took < MAX_POLLER_MS, `${label}: the poller took ${took} ms (>= ${MAX_POLLER_MS} ms)`);
    return result;
  }
}

function secs(ms) {
  return (ms / 1000).toFixed(2);
}

function ieq(actual, expected, what) {
  assert.ok(typeof actual === "string" && actual.toLowerCase() === expected.toLowerCase(), `${what}: expected ${expected}, got ${actual}`);
}

// Azure answers region display names ("West US") where the request said "westus".
function regionKey(name) {
  return String(name || "").replace(/ /g, "").toLowerCase();
}

async function expectNotFound(fn, what) {
  try {
    await fn();
  } catch (e) {
    // By name too: a nested copy of core-rest-pipeline would have its own RestError class.
    assert.ok(e instanceof RestError || (e && e.name === "RestError"), `${what}: expected a RestError, got ${e && e.name}: ${e && e.message}`);
    assert.equal(e.statusCode, 404, `${what}: statusCode`);
    assert.equal(e.code, "ResourceNotFound", `${what}: code`);
    assert.ok(e.message, `${what}: empty message`);
    return e;
  }
  throw new assert.AssertionError({ message: `${what}: no RestError 404 thrown` });
}

async function collect(iter) {
  const out = [];
  for await (const item of iter) out.push(item);
  return out;
}

function jwtClaims(token) {
  return JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8"));
}

function clientFor(args, credential) {
  return new ComputeManagementClient(credential, args.subscription, {
    endpoint: args.endpoint,
    credentials: { scopes: [SCOPE] },
  });
}

// A plain request through the client's own pipeline (same auth and TLS).
async function send(client, method, url, body) {
  const request = createPipelineRequest({ url, method });
  if (body !== undefined) {
    request.headers.set("Content-Type", "application/json");
    request.body = JSON.stringify(body);
  }
  const response = await client.pipeline.sendRequest(createDefaultHttpClient(), request);
  return response;
}

function describe(method, url, response) {
  return `${method} ${url} -> ${response.status} ${(response.bodyAsText || "").slice(0, 400)}`;
}

async function workflow(h, args, client, tag) {
  const rg = `rg-js-${tag}`;
  const gal = `galjs${tag}`;
  const img = "img1";
  const ver = "1.0.0";
  const src = `src-js-${tag}`;
  const sub = args.subscription;
  const galId = `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Compute/galleries/${gal}`;
  const srcId = `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Compute/images/${src}`;
  const p = `[${tag}]`;
  const state = {};

  const checkGallery = (g, description) => {
    assert.equal(g.name, gal, "gallery name");
    ieq(g.id, galId, "gallery id");
    assert.equal(g.type, "Microsoft.Compute/galleries", "gallery type");
    assert.equal(g.location, "westus", "gallery location");
    assert.equal(g.provisioningState, "Succeeded", "gallery provisioningState");
    assert.equal(g.description, description, "gallery description");
    assert.ok(g.identifier && g.identifier.uniqueName, "gallery identifier.uniqueName missing");
  };

  const checkImage = (d) => {
    assert.equal(d.name, img, "definition name");
    ieq(d.id, `${galId}/images/${img}`, "definition id");
    assert.equal(d.type, "Microsoft.Compute/galleries/images", "definition type");
    assert.equal(d.location, "westus", "definition location");
    assert.equal(d.provisioningState, "Succeeded", "definition provisioningState");
    assert.equal(d.osType, "Linux", "definition osType");
    assert.equal(d.osState, "Generalized", "definition osState");
    assert.equal(d.hyperVGeneration, "V2", "definition hyperVGeneration");
    assert.deepEqual(
      [d.identifier.publisher, d.identifier.offer, d.identifier.sku],
      ["contoso", `web-${tag}`, "22"],
      "definition identifier",
    );
  };

  const checkSource = (s) => {
    ieq(s.id, srcId, "managed image id");
    assert.equal(s.type, "Microsoft.Compute/images", "managed image type");
    assert.equal(s.location, "westus", "managed image location");
    assert.equal(s.provisioningState, "Succeeded", "managed image provisioningState");
    assert.equal(s.storageProfile.osDisk.osType, "Linux", "managed image osType");
    assert.equal(s.hyperVGeneration, "V2", "managed image hyperVGeneration");
  };

  const checkVersion = (v) => {
    assert.equal(v.name, ver, "version name");
    ieq(v.id, `${galId}/images/${img}/versions/${ver}`, "version id");
    assert.equal(v.type, "Microsoft.Compute/galleries/images/versions", "version type");
    assert.equal(v.location, "westus", "version location");
    assert.equal(v.provisioningState, "Succeeded", "version provisioningState");
    const regions = Object.fromEntries(v.publishingProfile.targetRegions.map((r) => [regionKey(r.name), r]));
    assert.deepEqual(Object.keys(regions).sort(), ["eastus", "westus"], "version target regions");
    assert.equal(regions.westus.regionalReplicaCount, 2, "westus regionalReplicaCount");
    assert.equal(regions.eastus.regionalReplicaCount ?? 1, 1, "eastus regionalReplicaCount");
    ieq(v.storageProfile.source.id, srcId, "version source id");
    assert.ok(v.publishingProfile.publishedDate instanceof Date && !isNaN(v.publishingProfile.publishedDate), "version publishedDate");
  };

  const app = "app1";
  const appId = `${galId}/applications/${app}`;
  const media = `https://emulatorstore.blob.core.windows.net/apps/${app}-${tag}.zip`;

  // Application operations are synchronous: the status given, no Azure-AsyncOperation or Location.
  const synchronous = (method, status) => {
    const seen = [];
    return {
      onResponse: (raw) => seen.push(raw),
      check: () => {
        const r = seen.find((x) => x.request.method === method);
        assert.ok(r, `no ${method} response seen`);
        assert.equal(r.status, status, `application ${method} status`);
        for (const header of ["azure-asyncoperation", "location"]) {
          assert.equal(r.headers.get(header), undefined, `application ${method} ${header} header`);
        }
      },
    };
  };

  const checkApplication = (a, description) => {
    assert.equal(a.name, app, "application name");
    ieq(a.id, appId, "application id");
    assert.equal(a.type, "Microsoft.Compute/galleries/applications", "application type");
    assert.equal(a.location, "westus", "application location");
    assert.equal(a.supportedOSType, "Linux", "application supportedOSType");
    assert.equal(a.description, description, "application description");
  };

  const checkAppVersion = (v) => {
    assert.equal(v.name, ver, "application version name");
    ieq(v.id, `${appId}/versions/${ver}`, "application version id");
    assert.equal(v.type, "Microsoft.Compute/galleries/applications/versions", "application version type");
    assert.equal(v.location, "westus", "application version location");
    assert.equal(v.provisioningState, "Succeeded", "application version provisioningState");
    const pp = v.publishingProfile;
    assert.equal(pp.source.mediaLink, media, "application version source.mediaLink");
    assert.deepEqual([pp.manageActions.install, pp.manageActions.remove], ["sh install.sh", "sh remove.sh"], "application version manageActions");
    const regions = Object.fromEntries(pp.targetRegions.map((r) => [regionKey(r.name), r]));
    assert.deepEqual(Object.keys(regions).sort(), ["eastus", "westus"], "application version target regions");
    assert.equal(regions.westus.regionalReplicaCount, 2, "application westus regionalReplicaCount");
    assert.equal(regions.eastus.regionalReplicaCount ?? 1, 1, "application eastus regionalReplicaCount");
    assert.ok(pp.publishedDate instanceof Date && !isNaN(pp.publishedDate), "application version publishedDate");
  };

  const steps = [
    ["create gallery", async () => {
      const g = await h.poll(`${p} galleries.createOrUpdate`, () =>
        client.galleries.createOrUpdate(rg, gal, { location: "westus", description: "first", tags: { suite: "js" } }));
      checkGallery(g, "first");
      assert.deepEqual(g.tags, { suite: "js" }, "gallery tags");
    }],
    ["get gallery", async () => checkGallery(await client.galleries.get(rg, gal), "first")],
    ["update gallery (PATCH)", async () => {
      const g = await h.poll(`${p} galleries.update`, () => client.galleries.update(rg, gal, { description: "second" }));
      checkGallery(g, "second");
      checkGallery(await client.galleries.get(rg, gal), "second");
    }],
    ["list galleries by resource group", async () => {
      const items = await collect(client.galleries.listByResourceGroup(rg));
      assert.deepEqual(items.map((g) => g.name), [gal], "galleries in the group");
      checkGallery(items[0], "second");
    }],
    ["list galleries by subscription", async () => {
      const items = await collect(client.galleries.list());
      const found = items.find((g) => g.id.toLowerCase() === galId.toLowerCase());
      assert.ok(found, `${galId} not in the subscription's galleries`);
      checkGallery(found, "second");
    }],
    ["create image definition", async () => {
      const d = await h.poll(`${p} galleryImages.createOrUpdate`, () =>
        client.galleryImages.createOrUpdate(rg, gal, img, {
          location: "westus",
          osType: "Linux",
          osState: "Generalized",
          hyperVGeneration: "V2",
          identifier: { publisher: "contoso", offer: `web-${tag}`, sku: "22" },
        }));
      checkImage(d);
    }],
    ["get image definition", async () => checkImage(await client.galleryImages.get(rg, gal, img))],
    ["list image definitions", async () => {
      const items = await collect(client.galleryImages.listByGallery(rg, gal));
      assert.deepEqual(items.map((d) => d.name), [img], "definitions in the gallery");
      checkImage(items[0]);
    }],
    ["create managed image source", async () => {
      const body = {
        location: "westus",
        hyperVGeneration: "V2",
        storageProfile: { osDisk: { osType: "Linux", osState: "Generalized", diskSizeGB: 30 } },
      };
      try {
        checkSource(await h.poll(`${p} images.createOrUpdate`, () => client.images.createOrUpdate(rg, src, body)));
        checkSource(await client.images.get(rg, src));
        return;
      } catch (e) {
        if (!(e && e.name === "RestError") || !["NoRegisteredProviderFound", "InvalidApiVersionParameter"].includes(e.code)) throw e;
        const version = (String(e.request.url).match(/api-version=([^&]+)/) || [])[1];
        h.gap(`images.createOrUpdate at the SDK's api-version ${version} is refused (${e.code})`,
          `${e.request.method} ${e.request.url} -> ${e.statusCode} ${e.code}: ${String(e.message).slice(0, 300)}`);
      }
      // No per-call api-version in this SDK: a plain PUT through its pipeline, checked with a plain GET.
      state.imagesApi = IMAGES_FALLBACK_API_VERSION;
      const url = `${args.endpoint}${srcId}?api-version=${IMAGES_FALLBACK_API_VERSION}`;
      const put = await send(client, "PUT", url, {
        location: "westus",
        properties: { hyperVGeneration: "V2", storageProfile: { osDisk: { osType: "Linux", osState: "Generalized", diskSizeGB: 30 } } },
      });
      assert.ok([200, 201].includes(put.status), describe("PUT", url, put));
      const operation = put.headers.get("azure-asyncoperation");
      if (operation) {
        const poll = await send(client, "GET", operation);
        if (poll.status !== 200) {
          h.gap(`the Azure-AsyncOperation URL of a managed-image PUT at api-version ${IMAGES_FALLBACK_API_VERSION} answers ${poll.status}`,
            describe("GET", operation, poll));
        } else {
          assert.equal(JSON.parse(poll.bodyAsText).status, "Succeeded", "managed image operation status");
        }
      }
      const get = await send(client, "GET", url);
      assert.equal(get.status, 200, describe("GET", url, get));
      const raw = JSON.parse(get.bodyAsText);
      checkSource({ ...raw, ...raw.properties });
    }],
    ["create image version in westus (x2) and eastus", async () => {
      const v = await h.poll(`${p} galleryImageVersions.createOrUpdate`, () =>
        client.galleryImageVersions.createOrUpdate(rg, gal, img, ver, {
          location: "westus",
          publishingProfile: { targetRegions: [{ name: "westus", regionalReplicaCount: 2 }, { name: "eastus" }] },
          storageProfile: { source: { id: srcId } },
        }));
      checkVersion(v);
    }],
    ["get version with $expand=ReplicationStatus", async () => {
      const v = await client.galleryImageVersions.get(rg, gal, img, ver, { expand: "ReplicationStatus" });
      checkVersion(v);
      const rs = v.replicationStatus;
      assert.ok(rs, "replicationStatus missing with $expand=ReplicationStatus");
      assert.equal(rs.aggregatedState, "Completed", "replicationStatus.aggregatedState");
      const summary = Object.fromEntries(rs.summary.map((s) => [regionKey(s.region), s]));
      assert.deepEqual(Object.keys(summary).sort(), ["eastus", "westus"], "replicationStatus.summary regions");
      for (const [region, s] of Object.entries(summary)) {
        assert.equal(s.state, "Completed", `replicationStatus ${region} state`);
        assert.equal(s.progress, 100, `replicationStatus ${region} progress`);
      }
    }],
    ["get version without $expand", async () => {
      const v = await client.galleryImageVersions.get(rg, gal, img, ver);
      checkVersion(v);
      assert.equal(v.replicationStatus, undefined, "replicationStatus without $expand");
    }],
    ["list versions", async () => {
      const items = await collect(client.galleryImageVersions.listByGalleryImage(rg, gal, img));
      assert.deepEqual(items.map((v) => v.name), [ver], "versions of the definition");
      checkVersion(items[0]);
    }],
    ["delete version, then RestError 404", async () => {
      await h.poll(`${p} galleryImageVersions.delete`, () => client.galleryImageVersions.delete(rg, gal, img, ver));
      await expectNotFound(() => client.galleryImageVersions.get(rg, gal, img, ver), "version after delete");
      assert.deepEqual(await collect(client.galleryImageVersions.listByGalleryImage(rg, gal, img)), [], "versions after delete");
    }],
    ["delete image definition, then RestError 404", async () => {
      await h.poll(`${p} galleryImages.delete`, () => client.galleryImages.delete(rg, gal, img));
      await expectNotFound(() => client.galleryImages.get(rg, gal, img), "definition after delete");
    }],
    ["delete managed image source", async () => {
      if (!state.imagesApi) {
        await h.poll(`${p} images.delete`, () => client.images.delete(rg, src));
        await expectNotFound(() => client.images.get(rg, src), "managed image after delete");
        return;
      }
      const url = `${args.endpoint}${srcId}?api-version=${state.imagesApi}`;
      const del = await send(client, "DELETE", url);
      assert.ok([200, 202, 204].includes(del.status), describe("DELETE", url, del));
      const get = await send(client, "GET", url);
      assert.equal(get.status, 404, describe("GET", url, get));
      assert.equal(JSON.parse(get.bodyAsText).error.code, "ResourceNotFound", "managed image after delete: code");
    }],
    ["create application (Linux)", async () => {
      const sync = synchronous("PUT", 201);
      const a = await h.poll(`${p} galleryApplications.createOrUpdate`, () =>
        client.galleryApplications.createOrUpdate(rg, gal, app,
          { location: "westus", supportedOSType: "Linux", description: "app first", tags: { suite: "js" } },
          { onResponse: sync.onResponse }));
      sync.check();
      checkApplication(a, "app first");
      assert.deepEqual(a.tags, { suite: "js" }, "application tags");
    }],
    ["get application", async () => checkApplication(await client.galleryApplications.get(rg, gal, app), "app first")],
    ["update application (PATCH, beginUpdateAndWait)", async () => {
      const sync = synchronous("PATCH", 200);
      const started = Date.now();
      const a = await client.galleryApplications.beginUpdateAndWait(rg, gal, app,
        { supportedOSType: "Linux", description: "app second" }, { onResponse: sync.onResponse });
      const took = Date.now() - started;
      h.pollers.push([`${p} galleryApplications.beginUpdateAndWait`, took]);
      assert.ok(took < MAX_POLLER_MS, `galleryApplications.beginUpdateAndWait took ${took} ms (>= ${MAX_POLLER_MS} ms)`);
      sync.check();
      checkApplication(a, "app second");
      checkApplication(await client.galleryApplications.get(rg, gal, app), "app second");
    }],
    ["list applications", async () => {
      const items = await collect(client.galleryApplications.listByGallery(rg, gal));
      assert.deepEqual(items.map((a) => a.name), [app], "applications in the gallery");
      checkApplication(items[0], "app second");
    }],
    ["create application version in westus (x2) and eastus", async () => {
      const v = await h.poll(`${p} galleryApplicationVersions.createOrUpdate`, () =>
        client.galleryApplicationVersions.createOrUpdate(rg, gal, app, ver, {
          location: "westus",
          publishingProfile: {
            source: { mediaLink: media },
            manageActions: { install: "sh install.sh", remove: "sh remove.sh" },
            targetRegions: [{ name: "westus", regionalReplicaCount: 2 }, { name: "eastus" }],
          },
        }));
      checkAppVersion(v);
    }],
    ["get application version with $expand=ReplicationStatus", async () => {
      const v = await client.galleryApplicationVersions.get(rg, gal, app, ver, { expand: "ReplicationStatus" });
      checkAppVersion(v);
      const rs = v.replicationStatus;
      assert.ok(rs, "application version replicationStatus missing with $expand=ReplicationStatus");
      assert.equal(rs.aggregatedState, "Completed", "application version replicationStatus.aggregatedState");
      const summary = Object.fromEntries(rs.summary.map((s) => [regionKey(s.region), s]));
      assert.deepEqual(Object.keys(summary).sort(), ["eastus", "westus"], "application version replicationStatus.summary regions");
      for (const [region, s] of Object.entries(summary)) {
        assert.equal(s.state, "Completed", `application version replicationStatus ${region} state`);
        assert.equal(s.progress, 100, `application version replicationStatus ${region} progress`);
      }
    }],
    ["list application versions", async () => {
      const items = await collect(client.galleryApplicationVersions.listByGalleryApplication(rg, gal, app));
      assert.deepEqual(items.map((v) => v.name), [ver], "versions of the application");
      checkAppVersion(items[0]);
      assert.equal(items[0].replicationStatus, undefined, "application version replicationStatus in a list");
    }],
    ["delete application version, then RestError 404", async () => {
      await h.poll(`${p} galleryApplicationVersions.delete`, () => client.galleryApplicationVersions.delete(rg, gal, app, ver));
      await expectNotFound(() => client.galleryApplicationVersions.get(rg, gal, app, ver), "application version after delete");
      assert.deepEqual(await collect(client.galleryApplicationVersions.listByGalleryApplication(rg, gal, app)), [], "application versions after delete");
    }],
    ["delete application, then RestError 404", async () => {
      const sync = synchronous("DELETE", 200);
      await h.poll(`${p} galleryApplications.delete`, () => client.galleryApplications.delete(rg, gal, app, { onResponse: sync.onResponse }));
      sync.check();
      await expectNotFound(() => client.galleryApplications.get(rg, gal, app), "application after delete");
      assert.deepEqual(await collect(client.galleryApplications.listByGallery(rg, gal)), [], "applications after delete");
    }],
    ["delete gallery, then RestError 404 ResourceNotFound", async () => {
      await h.poll(`${p} galleries.delete`, () => client.galleries.delete(rg, gal));
      const e = await expectNotFound(() => client.galleries.get(rg, gal), "gallery after delete");
      assert.ok(e.message.includes(gal), `the 404 message does not name the gallery: ${e.message}`);
      assert.deepEqual(await collect(client.galleries.listByResourceGroup(rg)), [], "galleries in the group after delete");
    }],
    ["missing gallery is RestError 404 ResourceNotFound", async () => {
      await expectNotFound(() => client.galleries.get(rg, `nosuch${Date.now()}`), "missing gallery");
    }],
  ];
  for (const [label, fn] of steps) {
    if (!(await h.run(`${p} ${label}`, fn))) {
      console.log(`       (${tag} workflow stopped at the first failure)`);
      return false;
    }
  }
  return true;
}

async function main() {
  const args = parseArgs();
  const h = new Harness();
  const version = (name) => require(require.resolve(`${name}/package.json`)).version;
  console.log(`js: @azure/arm-compute ${version("@azure/arm-compute")}, @azure/identity ${version("@azure/identity")}, node ${process.version}, endpoint ${args.endpoint}`);
  assert.ok(process.env.NODE_EXTRA_CA_CERTS, "NODE_EXTRA_CA_CERTS must name the emulator's CA");

  // 1. A static credential: any object with getToken.
  const asked = [];
  const staticCredential = {
    getToken: async (scopes) => {
      asked.push([].concat(scopes).join(" "));
      return { token: "static-token-not-a-jwt", expiresOnTimestamp: Date.now() + 3600 * 1000 };
    },
  };
  await workflow(h, args, clientFor(args, staticCredential), "static");
  await h.run("[static] the credential was asked for the configured scope", async () => {
    assert.ok(asked.length > 0, "getToken never called");
    assert.deepEqual([...new Set(asked)], [SCOPE], "scopes asked");
  });

  // 2. @azure/identity ClientSecretCredential against the emulator.
  const cred = new ClientSecretCredential(args.tenant, CLIENT_ID, "any-secret", {
    authorityHost: args.endpoint,
    disableInstanceDiscovery: true,
  });
  await h.run("[secret] ClientSecretCredential gets a JWT from the emulator's token endpoint", async () => {
    const tok = await cred.getToken(SCOPE);
    assert.equal(tok.token.split(".").length, 3, "the access token is not a JWT");
    const claims = jwtClaims(tok.token);
    assert.equal(claims.tid, args.tenant, "token tid");
    assert.equal(claims.appid, CLIENT_ID, "token appid");
    assert.equal(String(claims.aud).replace(/\/$/, ""), "https://management.azure.com", "token aud");
    assert.ok(String(claims.iss).startsWith(args.endpoint), `token iss ${claims.iss} is not the emulator`);
    assert.ok(tok.expiresOnTimestamp > Date.now() + 60000, "token already expiring");
  });
  await workflow(h, args, clientFor(args, cred), "secret");

  const slowest = h.pollers.reduce((a, b) => (b[1] > a[1] ? b : a), ["-", 0]);
  console.log(`js: ${h.pollers.length} pollers, slowest ${secs(slowest[1])} s (${slowest[0]})`);
  for (const [kind, detail] of h.gaps) console.log(`js: gap: ${kind} -- e.g. ${detail}`);
  console.log(`js: ${h.passed} steps passed, ${h.failed} failed, ${h.gaps.size} gaps`);
  return h.failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.log(`js: FAIL ${e && e.stack ? e.stack : e}`);
    process.exit(1);
  },
);
