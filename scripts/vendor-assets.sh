#!/usr/bin/env bash
# Refresh the vendored front-end assets from the npm registry (pinned versions, integrity-checked).
# The app never loads anything from a CDN: the files below are committed under static/vendor/.
#
#   leaflet          -> static/vendor/leaflet/      (leaflet.js, leaflet.css, images/, LICENSE)
#   swagger-ui-dist  -> static/vendor/swagger-ui/   (for /api/docs, served by flask-smorest)
#
# Usage: bash scripts/vendor-assets.sh    (needs node/npm and network access to the npm registry)
set -euo pipefail

LEAFLET_VERSION=1.9.4
LEAFLET_INTEGRITY="sha512-nxS1ynzJOmOlHp+iL3FyWqK89GtNL8U8rvlMOsQdTTssxZwCXh8N2NB3GDQOL+YR3XnWyZAxwQixURb+FA74PA=="
SWAGGER_UI_VERSION=5.35.0
SWAGGER_UI_INTEGRITY="sha512-U06rpMtW9V3XPGOBeamTUSr0Z09jMX4IJuANpE/EZbAhw0G8CgwrzU4YmXkn/h0wCDNsXdGarTNNHC3sU8yVUQ=="

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENDOR="$ROOT/static/vendor"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

# npm pack NAME@VERSION into $TMP, check the tarball's integrity, unpack it to $TMP/NAME
fetch() {
  local name=$1 version=$2 integrity=$3 tarball actual
  tarball=$(cd "$TMP" && npm pack --silent "$name@$version" | tail -n1)
  actual="sha512-$(openssl dgst -sha512 -binary "$TMP/$tarball" | base64 -w0)"
  if [ "$actual" != "$integrity" ]; then
    echo "integrity mismatch for $name@$version: $actual" >&2
    exit 1
  fi
  mkdir -p "$TMP/$name"
  tar -xzf "$TMP/$tarball" -C "$TMP/$name" --strip-components=1
}

fetch leaflet "$LEAFLET_VERSION" "$LEAFLET_INTEGRITY"
rm -rf "$VENDOR/leaflet" && mkdir -p "$VENDOR/leaflet"
cp "$TMP/leaflet/dist/leaflet.js" "$TMP/leaflet/dist/leaflet.js.map" "$TMP/leaflet/dist/leaflet.css" \
   "$TMP/leaflet/LICENSE" "$VENDOR/leaflet/"
cp -r "$TMP/leaflet/dist/images" "$VENDOR/leaflet/images"
echo "leaflet@$LEAFLET_VERSION from the npm registry ($LEAFLET_INTEGRITY)" > "$VENDOR/leaflet/VERSION"

fetch swagger-ui-dist "$SWAGGER_UI_VERSION" "$SWAGGER_UI_INTEGRITY"
rm -rf "$VENDOR/swagger-ui" && mkdir -p "$VENDOR/swagger-ui"
for f in swagger-ui.css swagger-ui-bundle.js swagger-ui-standalone-preset.js favicon-16x16.png \
         favicon-32x32.png LICENSE; do
  [ -f "$TMP/swagger-ui-dist/$f" ] && cp "$TMP/swagger-ui-dist/$f" "$VENDOR/swagger-ui/"
done
echo "swagger-ui-dist@$SWAGGER_UI_VERSION from the npm registry ($SWAGGER_UI_INTEGRITY)" \
  > "$VENDOR/swagger-ui/VERSION"

echo "vendored into $VENDOR:"
find "$VENDOR" -type f | sort | sed "s|$ROOT/||"
