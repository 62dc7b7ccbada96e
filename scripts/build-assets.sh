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
// Finding a case, in the header of every signed-in page.
.app-header-search { padding-top: govuk.govuk-spacing(1); padding-bottom: govuk.govuk-spacing(1); }
.app-search { display: flex; flex-wrap: wrap; align-items: center; gap: govuk.govuk-spacing(2); }
.app-search .govuk-label { margin-bottom: 0; }
.app-search__input { flex: 1 1 10em; max-width: 20em; margin-bottom: 0; }
.app-search__button { margin-bottom: 0; }
// The case page: histories as lists (they reflow on a phone, unlike tables).
.app-history__item { border-bottom: 1px solid govuk.govuk-functional-colour(border); padding-bottom: govuk.govuk-spacing(2); margin-bottom: govuk.govuk-spacing(3); }
.app-plan { white-space: pre-line; }
// One action on the review form: its fields grouped, as a row of a list.
.app-action-row { border-left: 4px solid govuk.govuk-functional-colour(border); padding-left: govuk.govuk-spacing(3); margin-bottom: govuk.govuk-spacing(6); }
.app-actions li { margin-bottom: govuk.govuk-spacing(2); }
.app-footer-links { margin-top: govuk.govuk-spacing(3); }
// The session timeout warning (a modal <dialog>).
.app-timeout { max-width: 30em; border: 5px solid govuk.govuk-functional-colour(text); padding: govuk.govuk-spacing(6); }
.app-timeout::backdrop { background: rgba(11, 12, 12, 0.8); }
// A button hidden in the dialog stays hidden (a GOV.UK button's display would show it).
.app-timeout [hidden] { display: none !important; }
.app-password-link code { word-break: break-all; }
// My caseload: a compact table, about 50 px a case, so a morning's first screen shows 8 or
// more (1366 x 768); the reasons clamp to two lines (the case page has them in full).
.app-small { font-size: 14px; line-height: 1.3; }
// Pages whose tables need the screen's width (My caseload): up to 1280 px, not the column's 960.
.govuk-width-container.app-wide { max-width: 1280px; }
.govuk-main-wrapper.app-compact { padding-top: govuk.govuk-spacing(4); }
.app-caseload-tools { display: flex; flex-wrap: wrap; align-items: baseline; column-gap: govuk.govuk-spacing(6); }
.app-caseload .app-nowrap { white-space: nowrap; }
.app-caseload .govuk-table__cell, .app-caseload .govuk-table__header { padding-top: 5px; padding-bottom: 5px; vertical-align: top; font-size: 16px; line-height: 1.25; }
.app-caseload thead .govuk-table__header, .app-caseload .app-small { font-size: 14px; line-height: 1.3; }
.app-caseload .app-why { width: 32%; }
.app-caseload .app-review { width: 13em; }
.app-caseload .govuk-tag { font-size: 14px; padding: 1px 4px; }
.app-reasons-line { display: -webkit-box; -webkit-line-clamp: 2; -webkit-box-orient: vertical; overflow: hidden; }
.app-sparkline--small { width: 60px; height: 16px; }
.app-folds .govuk-details { margin-bottom: govuk.govuk-spacing(2); }
// A small GET form on one line where it fits (the team's worker filter).
.app-inline-form { display: flex; flex-wrap: wrap; align-items: flex-end; gap: govuk.govuk-spacing(2); }
.app-inline-form .govuk-select { max-width: 100%; }
// Long unbroken text (an email, a reference, an import's detail) wraps on a phone.
.app-break { overflow-wrap: anywhere; }
// On a phone a caseload reads as one block per case, each cell on its own line under its
// column's heading (data-label), instead of a table scrolled sideways. The table keeps its
// meaning for screen readers through explicit roles (display: block drops the implicit
// ones) and its header row, visually hidden.
@include govuk.govuk-media-query($until: tablet) {
  .app-stack thead { position: absolute !important; width: 1px !important; height: 1px !important; overflow: hidden !important; clip: rect(0 0 0 0) !important; white-space: nowrap !important; }
  .app-stack, .app-stack tbody, .app-stack tr, .app-stack td, .app-stack tbody th { display: block; width: auto; }
  .app-stack tr { border-bottom: 2px solid govuk.govuk-functional-colour(border); padding: govuk.govuk-spacing(2) 0; }
  .app-stack td, .app-stack tbody th { border: 0; padding: govuk.govuk-spacing(1) 0; text-align: left; }
  .app-stack td[data-label]::before { content: attr(data-label); display: block; font-weight: bold; }
  .app-stack .app-stack__inline { display: inline-block; margin-right: govuk.govuk-spacing(3); }
  .app-stack td.app-stack__inline::before { display: inline; margin-right: govuk.govuk-spacing(1); }
}
// Printing: the case's content, without the navigation, search, actions or footer.
@media print {
  .govuk-header, .govuk-service-navigation, .app-header-search, .app-before-content,
  .govuk-skip-link, .govuk-footer, .app-actions, .app-no-print, .govuk-notification-banner,
  .app-timeout, .govuk-button, form { display: none !important; }
  .govuk-details__text { border-left: 0; padding-left: 0; }
  .govuk-grid-column-two-thirds { width: 100%; float: none; }
  a.govuk-link { text-decoration: none; }
}
SCSS

node_modules/.bin/sass --no-source-map --style=compressed --quiet-deps \
    --load-path="$frontend/.." "$entry" "$out/hotspots.css"

cp "$frontend/govuk-frontend.min.js" "$out/govuk-frontend.min.js"
# No crown, crest or GOV.UK icons: the council's own plain icon instead.
cat >"$out/favicon.svg" <<'SVG'
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="4" fill="#0b0c0c"/><circle cx="16" cy="16" r="7" fill="#ca3535"/></svg>
SVG
echo "build-assets: wrote $out"
