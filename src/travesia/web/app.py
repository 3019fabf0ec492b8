"""The dashboard's web app: a JSON API over the catalogue of datasets, and the static page.

Every answer to bad input is a 4xx with `{"error": "..."}`: an unknown dataset or job (404), a
malformed body (400), a lever out of range or an unknown name (422), an oversized body (413), too
many what-ifs waiting (429). Datasets are named by id only, never by a path.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from travesia.errors import ScenarioError
from travesia.model.results import STATE_COLUMNS
from travesia.web.data import MEASURES, Catalogue, FleeDataset, check_id
from travesia.web.branches import BranchRunner, BusyBranches
from travesia.web.scenario_view import ScenarioView
from travesia.web.whatif import Busy, WhatIfRunner, levers_of, parse_whatif

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
MAX_BODY_BYTES = 64 * 1024
# names this machine answers to: another name in the Host header is a page on another site whose
# DNS points at this machine (DNS rebinding), which must not read the API
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
MAX_REPORTS_AT_ONCE = 2        # a report takes seconds and hundreds of MB to draw
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


MAX_JSON_DEPTH = 16           # levers are a flat object of numbers and short lists


def _depth(value) -> int:
    """How deeply lists and objects nest in a parsed JSON value (iteratively: no recursion)."""
    deepest, todo = 0, [(value, 1)]
    while todo:
        node, level = todo.pop()
        if isinstance(node, (list, dict)):
            deepest = max(deepest, level)
            todo.extend((child, level + 1) for child in (node.values() if isinstance(node, dict)
                                                         else node))
    return deepest


def _hostname(netloc: str) -> str | None:
    try:
        return urlsplit("//" + netloc).hostname
    except ValueError:
        return None


class ApiError(Exception):
    def __init__(self, status: int, message: str):
        self.status, self.message = status, message


def create_app(view: ScenarioView, catalogue: Catalogue,
               runner: WhatIfRunner | None = None,
               hosts: tuple[str, ...] = LOCAL_HOSTS) -> FastAPI:
    """The dashboard's app. `hosts`: the names the server may be reached by (Host header)."""
    app = FastAPI(title="travesia dashboard", docs_url=None, redoc_url=None,
                  openapi_url="/api/openapi.json")
    runner = runner or WhatIfRunner(view.scenario, view.world, catalogue)
    app.state.view, app.state.catalogue, app.state.runner = view, catalogue, runner
    futures = BranchRunner(view.scenario, catalogue)
    app.state.branches = futures
    allowed = {h.strip("[]").lower() for h in hosts}
    reports = threading.BoundedSemaphore(MAX_REPORTS_AT_ONCE)

    @app.middleware("http")
    async def _same_site_only(request: Request, call_next):
        host = request.headers.get("host", "")
        if (_hostname(host) or "") not in allowed:
            return JSONResponse({"error": f"host '{host[:80]}' is not served here (serve "
                                          "--allow-host NAME adds one)"}, status_code=400)
        origin = request.headers.get("origin")
        # a page of another site may send a POST without asking first: its Origin says so
        if request.method not in SAFE_METHODS and origin is not None and \
                urlsplit(origin).netloc.lower() != host.lower():
            return JSONResponse({"error": f"requests from '{origin[:80]}' are refused (only this "
                                          "dashboard's own pages may change it)"},
                                status_code=403)
        return await call_next(request)

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError):
        return JSONResponse({"error": exc.message}, status_code=exc.status)

    @app.exception_handler(ScenarioError)
    async def _user_error(request: Request, exc: ScenarioError):
        return JSONResponse({"error": exc.message}, status_code=422)

    @app.exception_handler(RequestValidationError)
    async def _bad_query(request: Request, exc: RequestValidationError):
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err.get("loc", ()) if x not in ("query", "path", "body"))
        return JSONResponse({"error": f"{where}: {err.get('msg')}"}, status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        # exc.headers carries Allow on a 405
        return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code,
                            headers=exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request,
                          exc: Exception):   # pragma: no cover - a bug
        # the traceback goes to the server's log; the answer never echoes the exception text,
        # which can hold file contents or paths
        log.error("internal error on %s %s", request.method, request.url.path, exc_info=exc)
        return JSONResponse({"error": "internal error (the server's log has the details)"},
                            status_code=500)

    def dataset(id: str):
        try:
            check_id(id)
        except ScenarioError as exc:
            raise ApiError(400, exc.message) from None
        try:
            return catalogue.get(id)
        except KeyError:
            known = ", ".join(catalogue.ids()) or "none yet"
            raise ApiError(404, f"no dataset '{id}' (known: {known})") from None
        except ScenarioError as exc:       # the store is busy or broken
            raise ApiError(503, exc.message) from None

    # --- the page -------------------------------------------------------------------------------
    @app.get("/", include_in_schema=False)
    def index():
        return FileResponse(STATIC / "index.html", media_type="text/html")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    # --- the API --------------------------------------------------------------------------------
    @app.get("/api/scenario")
    def scenario():
        return view.info()

    @app.get("/api/datasets")
    def datasets():
        return {"datasets": catalogue.list(), "measures": MEASURES}

    @app.get("/api/datasets/{id}")
    def dataset_info(id: str):
        ds = dataset(id)
        return {**ds.info(), "summary": ds.summary(), "members": catalogue.members(ds.id),
                "informal": ds.informal}

    @app.get("/api/datasets/{id}/map")
    def dataset_map(id: str):
        ds = dataset(id)
        return {"id": ds.id, "dates": [d.isoformat() for d in ds.dates], "places": ds.place_names,
                "states": STATE_COLUMNS, "runs": ds.runs,
                "people": [[[round(float(v),
                                   1) for v in row] for row in day] for day in ds.state_mean]}

    @app.get("/api/datasets/{id}/crossings")
    def dataset_crossings(id: str, measure: str | None = None, runs: int | None = None):
        """Bands over the dataset's runs; `runs=N`: over its first N (those a what-if reran)."""
        ds = dataset(id)
        if measure is not None and measure not in MEASURES:
            raise ApiError(400, f"unknown measure '{measure[:40]}' (known: {', '.join(MEASURES)})")
        if runs is not None and not 1 <= runs <= ds.runs:
            raise ApiError(400, f"runs={runs} is outside 1 to {ds.runs} (the runs of {ds.id})")
        wanted = [measure] if measure else list(MEASURES)
        return {"id": ds.id, "dates": [d.isoformat() for d in ds.dates], "runs": runs or ds.runs,
                "crossings": ds.crossing_names, "measures": {m: ds.bands(m, runs) for m in wanted}}

    @app.get("/api/datasets/{id}/flows")
    def dataset_flows(id: str):
        """People who came into the map per place, and each informal crossing's measures, per
        day: bands over the runs (web/data.py Dataset.daily_flows)."""
        ds = dataset(id)
        if isinstance(ds, FleeDataset):
            raise ApiError(422, f"'{ds.id}' is a Flee case: it has no inflows.csv or informal "
                                "crossings")
        return ds.daily_flows()

    @app.get("/api/datasets/{id}/needs")
    def dataset_needs(id: str, day: str = "0"):
        ds = dataset(id)
        try:
            t = ds.day_index(day)
        except ScenarioError as exc:
            raise ApiError(400, exc.message) from None
        return {"id": ds.id, "day": t, "date": ds.dates[t].isoformat(), "rows": ds.needs_on(t),
                "standard": view.needs_standard}

    @app.get("/api/datasets/{id}/host")
    def dataset_host(id: str, day: str = "0"):
        """The host-community panel: per region, people by kind over time and every impact on
        the day (model/impacts.py, the same as a run's impacts.csv)."""
        ds = dataset(id)
        if isinstance(ds, FleeDataset):
            raise ApiError(422, f"'{ds.id}' is a Flee case: its runs count people per location, "
                                "not the held, sheltered and newly settled of host communities")
        try:
            t = ds.day_index(day)
        except ScenarioError as exc:
            raise ApiError(400, exc.message) from None
        return {"id": ds.id, **ds.host_community(t, view.impact_rates(), view.places)}

    # --- Flee cases (docs/flee.md): their own view; travesia's endpoints find no crossing -----
    @app.get("/api/datasets/{id}/flee")
    def dataset_flee(id: str):
        """A Flee dataset's map (locations, routes, people per location and day), bands per camp
        and of all camps, the observed camp counts, a summary per camp and the scores."""
        ds = dataset(id)
        if not isinstance(ds, FleeDataset):
            raise ApiError(422, f"'{ds.id}' is not a Flee case (its ruleset is travesia's: see "
                                f"/api/datasets/{ds.id}/map and /crossings)")
        return ds.flee_view()

    @app.get("/api/datasets/{id}/report", response_class=HTMLResponse)
    def dataset_report(id: str):
        from travesia.web.report import render_report

        ds = dataset(id)
        if not reports.acquire(blocking=False):
            raise ApiError(429, f"{MAX_REPORTS_AT_ONCE} reports are being drawn; try again in a "
                                "few seconds")
        try:
            html = render_report(view, ds, store_members=catalogue.members(ds.id))
        finally:
            reports.release()
        name = f"travesia-{view.scenario.name}-{ds.id}.html"
        return HTMLResponse(html, headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @app.get("/api/compare")
    def compare(a: str, b: str):
        left, right = dataset(a), dataset(b)
        return {"a": {**left.info(), "summary": left.summary(), "informal": left.informal},
                "b": {**right.info(), "summary": right.summary(), "informal": right.informal}}

    @app.get("/api/branches")
    def branches():
        """The scenario's branches of the future, and the latest comparison of them (if any)."""
        return {"branches": futures.branches(),
                "job": futures.job.info() if futures.job is not None else None}

    @app.post("/api/branches", status_code=202)
    async def run_branches(request: Request):
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != "application/json":
            raise ApiError(415, "send {\"runs\": N} as JSON (Content-Type: application/json)")
        body = await _read_body(request)
        try:
            data = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            raise ApiError(400, f"malformed JSON: {exc}") from None
        unknown = sorted(str(k) for k in data if k != "runs") if isinstance(data, dict) else []
        if unknown:
            raise ApiError(400, f"field '{unknown[0][:40]}': unknown (the body is {{\"runs\": N}})")
        runs = data.get("runs", 2) if isinstance(data, dict) else None
        if not isinstance(runs, int) or isinstance(runs, bool):
            raise ApiError(400, "expected a JSON object {\"runs\": N} with N a whole number")
        try:
            job = futures.submit(runs)                 # ScenarioError -> 422
        except BusyBranches as exc:
            raise ApiError(429, str(exc)) from None
        return job.info()

    @app.get("/api/levers")
    def levers():
        return levers_of(view.scenario)

    @app.post("/api/whatif", status_code=202)
    async def whatif(request: Request):
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != "application/json":      # text/plain is what a foreign page can send unasked
            raise ApiError(415, "send the levers as JSON (Content-Type: application/json)")
        body = await _read_body(request)
        try:
            data = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ApiError(400, f"malformed JSON: {exc}") from None
        except RecursionError:
            raise ApiError(400, "malformed JSON: nested too deeply") from None
        if not isinstance(data, dict):
            raise ApiError(400, "expected a JSON object of levers")
        if _depth(data) > MAX_JSON_DEPTH:
            raise ApiError(400, f"malformed JSON: nested too deeply (at most {MAX_JSON_DEPTH} "
                                "levels)")
        w = parse_whatif(data)                        # ScenarioError -> 422
        try:
            check_id(w.baseline)
        except ScenarioError as exc:
            raise ApiError(400, exc.message) from None
        try:
            job = runner.submit(w)
        except KeyError:
            raise ApiError(404, f"no dataset '{w.baseline}' to use as the baseline") from None
        except Busy as exc:
            raise ApiError(429, str(exc)) from None
        return job.info()

    @app.get("/api/whatif/{job_id}")
    def whatif_status(job_id: str):
        try:
            return runner.get(job_id).info()
        except ScenarioError as exc:
            raise ApiError(400, exc.message) from None
        except KeyError:
            raise ApiError(404, f"no what-if '{job_id}'") from None

    @app.get("/api/whatif")
    def whatif_list():
        return {"jobs": [j.info() for j in list(runner.jobs.values())]}

    return app


async def _read_body(request: Request) -> bytes:
    """The request body, refused past MAX_BODY_BYTES whether or not it says its length."""
    length = request.headers.get("content-length")
    if length is not None:
        try:
            if int(length) > MAX_BODY_BYTES:
                raise ApiError(413,
                               f"body too large ({int(length):,} bytes; at most "
                               f"{MAX_BODY_BYTES:,})")
        except ValueError:
            raise ApiError(400, "bad Content-Length header") from None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise ApiError(413, f"body too large (more than {MAX_BODY_BYTES:,} bytes)")
        chunks.append(chunk)
    return b"".join(chunks)
