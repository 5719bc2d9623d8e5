#!/usr/bin/env bash
# The az CLI (azure-cli 2.91) against the emulator: registers it as a cloud
# (with endpoint discovery through /metadata/endpoints), signs in with a
# service principal at its token endpoint, and drives the `az sig` workflow.
# Outputs are parsed with jq (-o json) and asserted field by field.
#
# Usage: suite.sh AZ ENDPOINT CA TENANT SUBSCRIPTION
set -uo pipefail

AZ="$1"
ENDPOINT="${2%/}"
CA="$3"
TENANT="$4"
SUB="$5"
CLIENT_ID=11111111-1111-1111-1111-111111111111

export AZURE_CONFIG_DIR
AZURE_CONFIG_DIR="$(mktemp -d)"
WORK="$(mktemp -d)"
trap 'rm -rf "$AZURE_CONFIG_DIR" "$WORK"' EXIT
export REQUESTS_CA_BUNDLE="$CA"
export AZURE_CORE_INSTANCE_DISCOVERY=false
export AZURE_CORE_COLLECT_TELEMETRY=false
export AZURE_CORE_SURVEY_MESSAGE=false
export AZURE_CORE_NO_COLOR=true
export AZURE_CORE_OUTPUT=json
unset AZURE_CLI_DISABLE_CONNECTION_VERIFICATION

passed=0
failed=0
gaps=()
stopped=0
OUT="$WORK/out.json"
ERR="$WORK/err.txt"

# az_run LABEL ARGS...: runs az, keeps stdout in $OUT, stderr in $ERR, the exit code in $RC.
az_run() {
    local label="$1"
    shift
    local started=$SECONDS t0 t1
    t0=$(date +%s%N)
    "$AZ" "$@" >"$OUT" 2>"$ERR"
    RC=$?
    t1=$(date +%s%N)
    TOOK=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
    : "$started" "$label"
}

fail() {
    failed=$((failed + 1))
    echo "  FAIL $1 ($TOOK s)"
    shift
    for line in "$@"; do echo "       $line"; done
    if [ -s "$ERR" ]; then sed 's/^/       stderr: /' "$ERR" | head -15; fi
    if [ -s "$OUT" ]; then echo "       stdout: $(head -c 600 "$OUT")"; fi
}

ok() {
    passed=$((passed + 1))
    echo "  ok   $1 ($TOOK s)"
}

# step LABEL 'JQ CHECK' ['JQ CHECK' ...] -- AZ ARGS...: az must exit 0 and every jq
# expression must be true on its JSON output.
step() {
    local label="$1"
    shift
    local checks=()
    while [ "$1" != "--" ]; do checks+=("$1"); shift; done
    shift
    if [ "$stopped" = 1 ]; then return 1; fi
    az_run "$label" "$@"
    if [ "$RC" != 0 ]; then
        fail "$label" "az $* exited $RC"
        stopped=1
        return 1
    fi
    local c
    for c in "${checks[@]}"; do
        if ! jq -e "$c" "$OUT" >/dev/null 2>&1; then
            fail "$label" "az $*" "check failed: $c"
            stopped=1
            return 1
        fi
    done
    ok "$label"
}

# expect_exit LABEL CODE 'STDERR REGEX' -- AZ ARGS...
expect_exit() {
    local label="$1" code="$2" pattern="$3"
    shift 4
    if [ "$stopped" = 1 ]; then return 1; fi
    az_run "$label" "$@"
    if [ "$RC" != "$code" ]; then
        fail "$label" "az $* exited $RC, expected $code"
        return 1
    fi
    if ! grep -Eq "$pattern" "$ERR"; then
        fail "$label" "stderr does not match /$pattern/"
        return 1
    fi
    ok "$label"
}

echo "az: $("$AZ" version -o tsv --query '"azure-cli"' 2>/dev/null), endpoint $ENDPOINT"

# --- cloud and sign-in -------------------------------------------------------
# The documented form (as `gallery-emulator env` prints it) has a trailing slash;
# az then fetches "$ENDPOINT//metadata/endpoints". When that fails the step
# fails, and the form without the slash is tried so the rest still runs.
if ! step "cloud register --endpoint-resource-manager $ENDPOINT/ (endpoints discovered from /metadata/endpoints)" \
    -- cloud register -n GalleryEmulator --endpoint-resource-manager "$ENDPOINT/"; then
    stopped=0
    step "cloud register --endpoint-resource-manager $ENDPOINT (no trailing slash)" \
        -- cloud register -n GalleryEmulator --endpoint-resource-manager "$ENDPOINT"
fi
step "cloud set" -- cloud set -n GalleryEmulator
step "cloud show: discovered endpoints point at the emulator" \
    '.name == "GalleryEmulator"' \
    '.isActive == true' \
    "(.endpoints.resourceManager | rtrimstr(\"/\")) == \"$ENDPOINT\"" \
    "(.endpoints.activeDirectory | rtrimstr(\"/\")) == \"$ENDPOINT\"" \
    '.endpoints.activeDirectoryResourceId == "https://management.core.windows.net/"' \
    -- cloud show -n GalleryEmulator
step "login --service-principal through the emulator's token endpoint" \
    'length == 1' \
    ".[0].id == \"$SUB\"" \
    ".[0].tenantId == \"$TENANT\"" \
    '.[0].cloudName == "GalleryEmulator"' \
    ".[0].user.name == \"$CLIENT_ID\"" \
    '.[0].user.type == "servicePrincipal"' \
    '.[0].state == "Enabled"' \
    -- login --service-principal -u "$CLIENT_ID" -p any-secret --tenant "$TENANT"
step "account show" ".id == \"$SUB\"" '.isDefault == true' -- account show
step "account get-access-token: a JWT issued by the emulator" \
    '.tokenType == "Bearer"' \
    ".tenant == \"$TENANT\"" \
    "(.accessToken | split(\".\")[1] | gsub(\"-\"; \"+\") | gsub(\"_\"; \"/\") | . + (\"=\" * ((4 - length % 4) % 4)) | @base64d | fromjson | .tid == \"$TENANT\" and .appid == \"$CLIENT_ID\" and (.iss | startswith(\"$ENDPOINT\")))" \
    -- account get-access-token

# --- the gallery workflow ----------------------------------------------------
RG=rg-az
GAL=galaz
IMG=img1
VER=1.0.0
SRC=src-az
GAL_ID="/subscriptions/$SUB/resourceGroups/$RG/providers/Microsoft.Compute/galleries/$GAL"
SRC_ID="/subscriptions/$SUB/resourceGroups/$RG/providers/Microsoft.Compute/images/$SRC"
gallery_checks=(
    ".name == \"$GAL\""
    "(.id | ascii_downcase) == (\"$GAL_ID\" | ascii_downcase)"
    '.type == "Microsoft.Compute/galleries"'
    '.location == "westus"'
    '.provisioningState == "Succeeded"'
    "(.resourceGroup | ascii_downcase) == \"$RG\""
    '(.identifier.uniqueName | length) > 0'
)
image_checks=(
    ".name == \"$IMG\""
    "(.id | ascii_downcase) == (\"$GAL_ID/images/$IMG\" | ascii_downcase)"
    '.type == "Microsoft.Compute/galleries/images"'
    '.provisioningState == "Succeeded"'
    '.osType == "Linux"' '.osState == "Generalized"' '.hyperVGeneration == "V2"'
    '.identifier == {"publisher": "contoso", "offer": "web-az", "sku": "22"}'
)
# Azure answers region display names ("West US") where the request said "westus".
region='(ascii_downcase | gsub(" "; ""))'
version_checks=(
    ".name == \"$VER\""
    "(.id | ascii_downcase) == (\"$GAL_ID/images/$IMG/versions/$VER\" | ascii_downcase)"
    '.type == "Microsoft.Compute/galleries/images/versions"'
    '.provisioningState == "Succeeded"'
    "([.publishingProfile.targetRegions[] | {key: (.name | $region), value: (.regionalReplicaCount // 1)}] | from_entries) == {\"westus\": 2, \"eastus\": 1}"
    "(.storageProfile.source.id // .storageProfile.source.virtualMachineId // \"\" | ascii_downcase) == (\"$SRC_ID\" | ascii_downcase)"
)

step "sig create" "${gallery_checks[@]}" '.description == "first"' \
    -- sig create -g "$RG" -r "$GAL" -l westus --description first
step "sig show" "${gallery_checks[@]}" '.description == "first"' -- sig show -g "$RG" -r "$GAL"
step "sig update --set description=second" "${gallery_checks[@]}" '.description == "second"' \
    -- sig update -g "$RG" -r "$GAL" --set description=second
step "sig show after update" "${gallery_checks[@]}" '.description == "second"' -- sig show -g "$RG" -r "$GAL"
step "sig list -g" 'length == 1' ".[0].name == \"$GAL\"" '.[0].description == "second"' -- sig list -g "$RG"
step "sig list (subscription)" \
    "[.[] | .id | ascii_downcase] | index(\"$GAL_ID\" | ascii_downcase) != null" -- sig list

step "sig image-definition create" "${image_checks[@]}" \
    -- sig image-definition create -g "$RG" -r "$GAL" -i "$IMG" -l westus \
    --publisher contoso --offer web-az --sku 22 --os-type Linux --os-state Generalized --hyper-v-generation V2
step "sig image-definition show" "${image_checks[@]}" \
    '[.features[]? | select(.name == "SecurityType")] | length == 1' \
    -- sig image-definition show -g "$RG" -r "$GAL" -i "$IMG"
step "sig image-definition list" 'length == 1' ".[0].name == \"$IMG\"" -- sig image-definition list -g "$RG" -r "$GAL"

# The managed image the version is made from: `az image create` if it works,
# else a plain `az rest` PUT (reported as a gap).
source_checks=(
    "(.id | ascii_downcase) == (\"$SRC_ID\" | ascii_downcase)"
    '.type == "Microsoft.Compute/images"'
    '.provisioningState == "Succeeded"'
    '.storageProfile.osDisk.osType == "Linux"'
    '.hyperVGeneration == "V2"'
)
if [ "$stopped" = 0 ]; then
    az_run "image create" image create -g "$RG" -n "$SRC" -l westus --os-type Linux --hyper-v-generation V2 \
        --source "https://emulatorstore.blob.core.windows.net/vhds/$SRC.vhd"
    if [ "$RC" = 0 ] && jq -e '.provisioningState == "Succeeded"' "$OUT" >/dev/null 2>&1; then
        ok "image create (managed image source)"
        SOURCE_VIA=az-image
    else
        gap="az image create fails (exit $RC) -- e.g. $(grep -m1 -E 'ERROR|Error' "$ERR" | head -c 400)"
        gaps+=("$gap")
        echo "  GAP  $gap"
        SOURCE_VIA=az-rest
        step "az rest PUT managed image source (fallback)" \
            -- rest --method put --url "$ENDPOINT$SRC_ID?api-version=2025-04-01" \
            --body '{"location":"westus","properties":{"hyperVGeneration":"V2","storageProfile":{"osDisk":{"osType":"Linux","osState":"Generalized","diskSizeGB":30}}}}'
    fi
    step "image show" "${source_checks[@]}" -- image show -g "$RG" -n "$SRC"
fi

step "sig image-version create (westus=2, eastus)" "${version_checks[@]}" \
    -- sig image-version create -g "$RG" -r "$GAL" -i "$IMG" -e "$VER" -l westus \
    --managed-image "$SRC_ID" --target-regions westus=2 eastus
step "sig image-version show --expand ReplicationStatus" "${version_checks[@]}" \
    '.replicationStatus.aggregatedState == "Completed"' \
    "([.replicationStatus.summary[] | .region | $region] | sort) == [\"eastus\", \"westus\"]" \
    '[.replicationStatus.summary[] | select(.state == "Completed" and .progress == 100)] | length == 2' \
    -- sig image-version show -g "$RG" -r "$GAL" -i "$IMG" -e "$VER" --expand ReplicationStatus
step "sig image-version show (no expand)" "${version_checks[@]}" '.replicationStatus == null' \
    -- sig image-version show -g "$RG" -r "$GAL" -i "$IMG" -e "$VER"
step "sig image-version list" 'length == 1' ".[0].name == \"$VER\"" \
    -- sig image-version list -g "$RG" -r "$GAL" -i "$IMG"

# --- deletes and not-found ----------------------------------------------------
step "sig image-version delete" -- sig image-version delete -g "$RG" -r "$GAL" -i "$IMG" -e "$VER"
expect_exit "sig image-version show after delete exits 3" 3 'ResourceNotFound' \
    -- sig image-version show -g "$RG" -r "$GAL" -i "$IMG" -e "$VER"
step "sig image-definition delete" -- sig image-definition delete -g "$RG" -r "$GAL" -i "$IMG"
expect_exit "sig image-definition show after delete exits 3" 3 'ResourceNotFound' \
    -- sig image-definition show -g "$RG" -r "$GAL" -i "$IMG"
if [ "${SOURCE_VIA:-}" = az-image ]; then
    step "image delete" -- image delete -g "$RG" -n "$SRC"
else
    step "az rest DELETE managed image source (fallback)" -- rest --method delete --url "$ENDPOINT$SRC_ID?api-version=2025-04-01"
fi
expect_exit "image show after delete exits 3" 3 'ResourceNotFound' -- image show -g "$RG" -n "$SRC"
# --- gallery applications (api-versions 2021-07-01 / 2022-01-03) -------------
APP=app1
APP_ID="$GAL_ID/applications/$APP"
MEDIA="https://emulatorstore.blob.core.windows.net/apps/$APP-az.zip"
app_checks=(
    ".name == \"$APP\""
    "(.id | ascii_downcase) == (\"$APP_ID\" | ascii_downcase)"
    '.type == "Microsoft.Compute/galleries/applications"'
    '.location == "westus"'
    '.supportedOSType == "Linux"'
    "(.resourceGroup | ascii_downcase) == \"$RG\""
)
app_version_checks=(
    ".name == \"$VER\""
    "(.id | ascii_downcase) == (\"$APP_ID/versions/$VER\" | ascii_downcase)"
    '.type == "Microsoft.Compute/galleries/applications/versions"'
    '.location == "westus"'
    '.provisioningState == "Succeeded"'
    ".publishingProfile.source.mediaLink == \"$MEDIA\""
    '.publishingProfile.manageActions.install == "sh install.sh"'
    '.publishingProfile.manageActions.remove == "sh remove.sh"'
    "([.publishingProfile.targetRegions[] | {key: (.name | $region), value: (.regionalReplicaCount // 1)}] | from_entries) == {\"westus\": 2, \"eastus\": 1}"
    '(.publishingProfile.publishedDate | length) > 0'
)
step "sig gallery-application create" "${app_checks[@]}" '.description == "app first"' \
    -- sig gallery-application create -g "$RG" -r "$GAL" -n "$APP" -l westus --os-type Linux --description "app first"
step "sig gallery-application show" "${app_checks[@]}" '.description == "app first"' \
    -- sig gallery-application show -g "$RG" -r "$GAL" -n "$APP"
step "sig gallery-application update --description" "${app_checks[@]}" '.description == "app second"' \
    -- sig gallery-application update -g "$RG" -r "$GAL" -n "$APP" --description "app second"
step "sig gallery-application show after update" "${app_checks[@]}" '.description == "app second"' \
    -- sig gallery-application show -g "$RG" -r "$GAL" -n "$APP"
step "sig gallery-application list" 'length == 1' ".[0].name == \"$APP\"" '.[0].description == "app second"' \
    -- sig gallery-application list -g "$RG" -r "$GAL"
step "sig gallery-application version create (westus=2, eastus)" "${app_version_checks[@]}" \
    -- sig gallery-application version create -g "$RG" -r "$GAL" --application-name "$APP" -n "$VER" -l westus \
    --package-file-link "$MEDIA" --install-command "sh install.sh" --remove-command "sh remove.sh" \
    --target-regions '[{name:westus,regional-replica-count:2},{name:eastus}]'
step "sig gallery-application version show --expand ReplicationStatus" "${app_version_checks[@]}" \
    '.replicationStatus.aggregatedState == "Completed"' \
    "([.replicationStatus.summary[] | .region | $region] | sort) == [\"eastus\", \"westus\"]" \
    '[.replicationStatus.summary[] | select(.state == "Completed" and .progress == 100)] | length == 2' \
    -- sig gallery-application version show -g "$RG" -r "$GAL" --application-name "$APP" -n "$VER" --expand ReplicationStatus
step "sig gallery-application version list" 'length == 1' ".[0].name == \"$VER\"" \
    ".[0].publishingProfile.source.mediaLink == \"$MEDIA\"" \
    -- sig gallery-application version list -g "$RG" -r "$GAL" --application-name "$APP"
step "sig gallery-application version delete" \
    -- sig gallery-application version delete -g "$RG" -r "$GAL" --application-name "$APP" -n "$VER" --yes
expect_exit "sig gallery-application version show after delete exits 3" 3 'ResourceNotFound' \
    -- sig gallery-application version show -g "$RG" -r "$GAL" --application-name "$APP" -n "$VER"
step "sig gallery-application version list after delete" 'length == 0' \
    -- sig gallery-application version list -g "$RG" -r "$GAL" --application-name "$APP"
step "sig gallery-application delete" -- sig gallery-application delete -g "$RG" -r "$GAL" -n "$APP" --yes
expect_exit "sig gallery-application show after delete exits 3" 3 'ResourceNotFound' \
    -- sig gallery-application show -g "$RG" -r "$GAL" -n "$APP"
step "sig gallery-application list after delete" 'length == 0' -- sig gallery-application list -g "$RG" -r "$GAL"

step "sig delete" -- sig delete -g "$RG" -r "$GAL"
expect_exit "sig show of the deleted gallery exits 3 (ResourceNotFound)" 3 '\(ResourceNotFound\)' \
    -- sig show -g "$RG" -r "$GAL"
step "sig list -g after delete" 'length == 0' -- sig list -g "$RG"
expect_exit "sig show of a missing gallery exits 3" 3 '\(ResourceNotFound\)' -- sig show -g "$RG" -r nosuchgallery

if [ "$stopped" = 1 ]; then echo "       (az workflow stopped at the first failure)"; fi
for g in "${gaps[@]}"; do echo "az: gap: $g"; done
echo "az: $passed steps passed, $failed failed, ${#gaps[@]} gaps"
[ "$failed" = 0 ]
