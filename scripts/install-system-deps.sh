#!/usr/bin/env bash
# Installs the Debian packages the tests drive for real: LibreOffice (convert workbooks
# headless; Writer: the report document to PDF), poppler (PDF -> PNG), Thai fonts (Laksaman is TLWG's free TH Sarabun twin)
# and Chromium with its chromedriver (status page screenshots, the web page's browser tests
# through Selenium). Does nothing when they are already there.
set -u
need=()
command -v soffice >/dev/null 2>&1 || need+=(libreoffice-calc-nogui)
# Writer converts the committee report (.docx) to PDF
dpkg -s libreoffice-writer-nogui >/dev/null 2>&1 || dpkg -s libreoffice-writer >/dev/null 2>&1 \
  || need+=(libreoffice-writer-nogui)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
fc-list 2>/dev/null | grep -qi -e laksaman -e sarabun || need+=(fonts-thai-tlwg)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "WARNING: missing system packages: ${need[*]} (need root and apt-get)." >&2
  echo "WARNING: tests that need them will be SKIPPED with a reason." >&2
  exit 0
fi
echo "installing system packages: ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2 && apt-get install -y -qq "${need[@]}" >&2 \
  || { echo "WARNING: apt-get install failed; tests needing ${need[*]} will be skipped" >&2; exit 0; }
