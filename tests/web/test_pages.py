"""The web UI's place in the one app: its page under /ui/, its static files, and who may cache what."""

from __future__ import annotations

import base64
import hashlib
import subprocess

import httpx

from tests.api.conftest import Api
from tests.conftest import REPO


def cache_directives(response: httpx.Response) -> set[str]:
    return {d.strip() for d in response.headers.get("cache-control", "").split(",") if d.strip()}


def test_ui_pages_are_never_stored(api: Api) -> None:
    page = httpx.get(api.url + "/ui/sign-in")
    assert page.status_code == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
    assert 'href="/ui/static/web.css"' in page.text
    # Pages hold process data and a session: like API answers, never stored.
    assert cache_directives(page) == {"no-store"}
    assert page.headers["x-content-type-options"] == "nosniff"
    assert httpx.get(api.url + "/ui").status_code == 308  # to /ui/, as Flask does for every folder


def test_vendor_files_carry_their_version_and_are_cached_for_a_year(api: Api) -> None:
    manifest = httpx.get(api.url + "/ui/static/vendor/manifest.json").json()
    viewer = manifest["bpmn-viewer.js"]
    assert viewer["package"] == "bpmn-js" and viewer["version"] in viewer["path"]
    served = httpx.get(api.url + "/ui/static/" + viewer["path"])
    assert served.status_code == 200 and len(served.content) == viewer["bytes"]
    assert cache_directives(served) == {"public", "max-age=31536000"}
    digest = base64.b64encode(hashlib.sha384(served.content).digest()).decode()
    assert viewer["integrity"] == "sha384-" + digest
    # The manifest itself changes with every build: not cached for a year.
    assert "max-age=3600" in cache_directives(httpx.get(api.url + "/ui/static/vendor/manifest.json"))


def test_static_files_are_cacheable_and_never_no_store(api: Api) -> None:
    css = httpx.get(api.url + "/ui/static/web.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert cache_directives(css) == {"public", "max-age=3600"}
    assert css.headers["x-content-type-options"] == "nosniff"
    # A browser revalidating its copy gets 304, and may keep caching it.
    again = httpx.get(api.url + "/ui/static/web.css", headers={"If-None-Match": css.headers["etag"]})
    assert again.status_code == 304 and "no-store" not in cache_directives(again)


def test_a_missing_static_file_is_an_error_not_cached(api: Api) -> None:
    missing = httpx.get(api.url + "/ui/static/vendor/bpmn-modeler.js")
    # A page of the UI, for a person: HTML, not the API's problem+json.
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    assert "Not found" in missing.text and "Traceback" not in missing.text
    assert cache_directives(missing) == {"no-store"}


def test_api_answers_keep_no_store_beside_the_ui(api: Api) -> None:
    me = api.client("sam").get("/me")
    assert me.status_code == 200 and cache_directives(me) == {"no-store"}
    refused = api.client().get("/me")
    assert refused.status_code == 401 and cache_directives(refused) == {"no-store"}
    root = httpx.get(api.url + "/")  # the root leads people to the web UI
    assert root.status_code == 302 and root.headers["location"] == "/ui/"


def test_the_ui_is_not_part_of_the_api_document(api: Api) -> None:
    paths = api.client().get("/openapi.json").json()["paths"]
    assert paths and not [p for p in paths if p.startswith("/ui")]


def test_npm_bundles_have_a_git_ignored_place() -> None:
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "web/static/vendor/bpmn-js/bpmn-modeler.js"], cwd=REPO, check=False
    )
    assert ignored.returncode == 0
    tracked = subprocess.run(
        ["git", "ls-files", "web/static/vendor"], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert tracked.stdout == ""
