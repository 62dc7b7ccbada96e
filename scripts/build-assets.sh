#!/usr/bin/env bash
# Build the GOV.UK Frontend assets (installed by `npm ci`) into the git-ignored hotspots/static/:
# the Sass compiled with Arial (a council service: no GDS Transport font), the JavaScript
# module, and the service's own plain icon (no crown). Run from the repository root; `make assets`
# runs it.
set -euo pipefail
cd "$(dirname "$0")/.."

frontend=node_modules/govuk-frontend/dist/govuk
out=hotspots/static
if [ ! -d "$frontend" ]; then
    echo "build-assets: $frontend is missing; run 'npm ci' first" >&2
    exit 1
fi

rm -rf "$out"
mkdir -p "$out"

entry=$(mktemp --suffix=.scss)
trap 'rm -f "$entry"' EXIT
cat >"$entry" <<'SCSS'
@use "govuk" with (
  $govuk-font-family: (arial, sans-serif),
  $govuk-include-default-font-face: false,
  $govuk-assets-path: "/static/"
);

// The service's own few rules, on the Design System's colours and spacing.
.app-sparkline { vertical-align: middle; }
.app-sparkline polyline { fill: none; stroke: govuk.govuk-functional-colour(text); stroke-width: 2; }
.app-trend { white-space: nowrap; }
.app-table-scroll { overflow-x: auto; }
.app-breakdown-total th, .app-breakdown-total td { font-weight: bold; border-top: 2px solid; }
.app-footer-meta { margin-bottom: 0; }
.app-sign-out { display: inline; margin: 0; }
.app-band-filter li { display: inline-block; margin-right: govuk.govuk-spacing(4); }
.app-link-button { background: none; border: 0; padding: 0; margin: 0; font: inherit; color: inherit; cursor: pointer; text-decoration: underline; text-underline-offset: 0.1578em; }
.app-link-button:focus { outline: 3px solid transparent; color: govuk.govuk-functional-colour(focus-text); background-color: govuk.govuk-functional-colour(focus); box-shadow: 0 -2px govuk.govuk-functional-colour(focus), 0 4px govuk.govuk-functional-colour(focus-text); text-decoration: none; }
SCSS

node_modules/.bin/sass --no-source-map --style=compressed --quiet-deps \
    --load-path="$frontend/.." "$entry" "$out/hotspots.css"

cp "$frontend/govuk-frontend.min.js" "$out/govuk-frontend.min.js"
# No crown, crest or GOV.UK icons: the council's own plain icon instead.
cat >"$out/favicon.svg" <<'SVG'
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="4" fill="#0b0c0c"/><circle cx="16" cy="16" r="7" fill="#ca3535"/></svg>
SVG
echo "build-assets: wrote $out"
