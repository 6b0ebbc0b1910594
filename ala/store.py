"""The workspace: datasets, models, annealing runs, background jobs and report items in SQLite.

Location: ``$ALA_WORKSPACE`` if set, else ``./.ala-workspace``. Every call opens its own
connection (SQLite in WAL mode with a busy timeout), so the app's sessions and background
threads can use one workspace at once. Datasets are stored as the uploaded bytes plus the
column mapping, and re-validated on load, so what is stored is exactly what the user gave.
A run or job left ``running`` by a process that no longer exists is marked ``interrupted``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ala.annealing import AnnealRun, AnnealSettings, AnnealStep
from ala.errors import AlaError, WorkspaceError

SCHEMA = """
CREATE TABLE IF NOT EXISTS datasets (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, sha256 TEXT UNIQUE NOT NULL,
    content BLOB NOT NULL, columns TEXT NOT NULL, rows INTEGER NOT NULL,
    report TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS models (
    dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    method TEXT NOT NULL, doc TEXT NOT NULL, created REAL NOT NULL,
    PRIMARY KEY (dataset_id, method));
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    config TEXT NOT NULL, settings TEXT NOT NULL, universe TEXT NOT NULL,
    status TEXT NOT NULL, owner_pid INTEGER NOT NULL, cancel INTEGER NOT NULL DEFAULT 0,
    message TEXT NOT NULL DEFAULT '', created REAL NOT NULL, updated REAL NOT NULL);
CREATE TABLE IF NOT EXISTS steps (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    iteration INTEGER NOT NULL, error REAL, current_error REAL, best_error REAL,
    temperature REAL NOT NULL, accepted INTEGER NOT NULL, degenerate INTEGER NOT NULL,
    subset TEXT NOT NULL, PRIMARY KEY (run_id, iteration));
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY, kind TEXT NOT NULL, key TEXT NOT NULL, title TEXT NOT NULL,
    params TEXT NOT NULL, payload BLOB, status TEXT NOT NULL,
    done INTEGER NOT NULL DEFAULT 0, total INTEGER NOT NULL DEFAULT 0,
    owner_pid INTEGER NOT NULL, owner_token TEXT NOT NULL DEFAULT '',
    cancel INTEGER NOT NULL DEFAULT 0, message TEXT NOT NULL DEFAULT '', result TEXT,
    created REAL NOT NULL, started REAL, updated REAL NOT NULL);
CREATE INDEX IF NOT EXISTS jobs_key ON jobs(key);
CREATE TABLE IF NOT EXISTS report_items (
    id INTEGER PRIMARY KEY,
    dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    kind TEXT NOT NULL, title TEXT NOT NULL, doc TEXT NOT NULL, created REAL NOT NULL);
"""


@dataclass(frozen=True, slots=True)
class DatasetSettings:
    """How a stored dataset is read (the bytes' sha256 and every reading setting)."""

    columns: dict[str, str]
    config_columns: list[str] | None  # None: the loader's default
    excluded: list[int]  # spreadsheet rows excluded as outliers
    sha256: str  # of the stored bytes

    @property
    def fingerprint(self) -> str:
        """The bytes and every reading setting: equal fingerprints read to equal data, in any
        workspace, so caches keyed by it are never stale."""
        settings = json.dumps([self.columns, self.config_columns, self.excluded], sort_keys=True)
        return f"{self.sha256}:{hashlib.sha256(settings.encode()).hexdigest()}"


def default_path() -> Path:
    """The workspace folder: ``$ALA_WORKSPACE``, default ``./.ala-workspace``."""
    return Path(os.environ.get("ALA_WORKSPACE", ".ala-workspace"))


def process_token(pid: int) -> str:
    """``pid:start-time`` of a process (Linux ``/proc``), or ``pid:`` where that is unknown.

    A PID alone is reused (in a container the app is often PID 1 after every restart); the
    start time tells a reused PID from the process that owned a run.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return f"{pid}:{stat.rsplit(')', 1)[1].split()[19]}"
    except (OSError, IndexError):
        return f"{pid}:"


def _alive(pid: int, token: str) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    known = token.partition(":")[2]
    return not known or process_token(pid) == token


class Workspace:
    """Datasets, models and runs that survive reloads and restarts."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WorkspaceError(
                f"cannot create the workspace folder {self.path} ({exc.strerror or exc}); "
                "set ALA_WORKSPACE to a writable folder"
            ) from None
        self.db = self.path / "workspace.sqlite"
        with self._connect() as con:
            con.execute("PRAGMA journal_mode=WAL")
            con.executescript(SCHEMA)
            # Workspaces made by earlier versions lack these columns.
            columns = {row[1] for row in con.execute("PRAGMA table_info(runs)")}
            if "owner_token" not in columns:
                con.execute("ALTER TABLE runs ADD COLUMN owner_token TEXT NOT NULL DEFAULT ''")
            columns = {row[1] for row in con.execute("PRAGMA table_info(datasets)")}
            for name, kind in (
                ("problem", "TEXT NOT NULL DEFAULT ''"),
                ("config_columns", "TEXT NOT NULL DEFAULT ''"),
                ("excluded", "TEXT NOT NULL DEFAULT '[]'"),
            ):
                if name not in columns:
                    con.execute(f"ALTER TABLE datasets ADD COLUMN {name} {kind}")
        self.mark_interrupted()

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            con = sqlite3.connect(self.db, timeout=30)
        except sqlite3.Error as exc:
            raise self._fault(exc) from None
        try:
            con.execute("PRAGMA foreign_keys=ON")
            with con:
                yield con
        except sqlite3.Error as exc:
            raise self._fault(exc) from None
        finally:
            con.close()

    def _fault(self, exc: sqlite3.Error) -> WorkspaceError:
        """One clear message for a database that cannot be used, naming it and the remedy."""
        text = str(exc).lower()
        if "not a database" in text or "malformed" in text or "corrupt" in text:
            advice = (
                "the file is damaged: move it away (a new, empty workspace is then created) "
                "or restore it from a backup"
            )
        elif "readonly" in text or "read-only" in text or "permission" in text:
            advice = (
                "it cannot be written: make the folder writable, or set ALA_WORKSPACE to a "
                "writable folder"
            )
        elif "full" in text or "disk" in text:
            advice = "the disk is full: free some space, then reload"
        elif "locked" in text or "busy" in text:
            advice = "another process holds it locked for too long: try again in a moment"
        else:
            advice = "see the error above; moving the file away starts a new workspace"
        return WorkspaceError(f"workspace database {self.db}: {exc}; {advice}")

    # ------------------------------------------------------------------ datasets
    def add_dataset(
        self, name: str, content: bytes, columns: Mapping[str, str] | None, rows: int, report: str
    ) -> int:
        """Store an accepted upload; the same bytes twice give the same id."""
        digest = hashlib.sha256(content).hexdigest()
        with self._connect() as con:
            found = con.execute("SELECT id FROM datasets WHERE sha256 = ?", (digest,)).fetchone()
            if found:
                return int(found[0])
            cur = con.execute(
                "INSERT INTO datasets (name, sha256, content, columns, rows, report, created) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (name, digest, content, json.dumps(dict(columns or {})), rows, report, time.time()),
            )
            return int(cur.lastrowid or 0)

    def datasets(self) -> pd.DataFrame:
        """Every stored dataset: id, name, rows, added, problem ('' if usable; newest last)."""
        with self._connect() as con:
            return pd.read_sql_query(
                "SELECT id, name, rows, created, problem FROM datasets ORDER BY id", con
            )

    def mark_unusable(self, dataset_id: int, problem: str) -> None:
        """Record why a dataset cannot be fitted; it is then nobody's default dataset."""
        with self._connect() as con:
            con.execute("UPDATE datasets SET problem = ? WHERE id = ?", (problem, dataset_id))

    def dataset(self, dataset_id: int) -> tuple[str, bytes, dict[str, str]]:
        """A dataset's name, bytes and column mapping."""
        with self._connect() as con:
            row = con.execute(
                "SELECT name, content, columns FROM datasets WHERE id = ?", (dataset_id,)
            ).fetchone()
        if row is None:
            raise AlaError(f"dataset {dataset_id} is not in the workspace")
        return str(row[0]), bytes(row[1]), json.loads(row[2])

    def settings(self, dataset_id: int) -> DatasetSettings:
        """How a stored dataset is read: mapping, configuration columns, excluded rows."""
        with self._connect() as con:
            row = con.execute(
                "SELECT columns, config_columns, excluded, sha256 FROM datasets WHERE id = ?",
                (dataset_id,),
            ).fetchone()
        if row is None:
            raise AlaError(f"dataset {dataset_id} is not in the workspace")
        return DatasetSettings(
            columns=json.loads(row[0]),
            config_columns=json.loads(row[1]) if row[1] else None,
            excluded=[int(r) for r in json.loads(row[2])],
            sha256=str(row[3]),
        )

    def remap_dataset(
        self,
        dataset_id: int,
        columns: Mapping[str, str] | None,
        config_columns: list[str] | None,
        rows: int,
        report: str,
        excluded: list[int] | None = None,
    ) -> None:
        """Store new reading settings (mapping, configuration columns, excluded rows); the
        dataset's fitted models are dropped."""
        with self._connect() as con:
            con.execute(
                "UPDATE datasets SET columns = ?, config_columns = ?, excluded = ?, rows = ?, "
                "report = ?, problem = '' WHERE id = ?",
                (
                    json.dumps(dict(columns or {})),
                    "" if config_columns is None else json.dumps(list(config_columns)),
                    json.dumps(sorted(int(r) for r in excluded or [])),
                    rows,
                    report,
                    dataset_id,
                ),
            )
            con.execute("DELETE FROM models WHERE dataset_id = ?", (dataset_id,))

    def delete_dataset(self, dataset_id: int) -> None:
        """Remove a dataset and everything derived from it."""
        with self._connect() as con:
            con.execute("DELETE FROM datasets WHERE id = ?", (dataset_id,))

    # -------------------------------------------------------------------- models
    def save_model(self, dataset_id: int, method: str, doc: Mapping[str, Any]) -> None:
        """Store a fitted model's document for a dataset and method."""
        with self._connect() as con:
            con.execute(
                "INSERT OR REPLACE INTO models VALUES (?, ?, ?, ?)",
                (dataset_id, method, json.dumps(doc), time.time()),
            )

    def load_model(self, dataset_id: int, method: str) -> dict[str, Any] | None:
        """A stored model's document, or None."""
        with self._connect() as con:
            row = con.execute(
                "SELECT doc FROM models WHERE dataset_id = ? AND method = ?", (dataset_id, method)
            ).fetchone()
        return None if row is None else json.loads(row[0])

    # ---------------------------------------------------------------------- runs
    def create_run(
        self, dataset_id: int, config: str, settings: AnnealSettings, universe: pd.DataFrame
    ) -> int:
        """Record a new annealing run (status ``running``); returns its id."""
        now = time.time()
        with self._connect() as con:
            cur = con.execute(
                "INSERT INTO runs (dataset_id, config, settings, universe, status, owner_pid, "
                "owner_token, created, updated) VALUES (?, ?, ?, ?, 'running', ?, ?, ?, ?)",
                (
                    dataset_id,
                    config,
                    json.dumps(asdict(settings)),
                    json.dumps({c: universe[c].tolist() for c in universe.columns}),
                    os.getpid(),
                    process_token(os.getpid()),
                    now,
                    now,
                ),
            )
            return int(cur.lastrowid or 0)

    def claim_run(self, run_id: int) -> None:
        """Make the calling process the run's owner (a worker process claims its run)."""
        with self._connect() as con:
            con.execute(
                "UPDATE runs SET owner_pid = ?, owner_token = ? WHERE id = ?",
                (os.getpid(), process_token(os.getpid()), run_id),
            )

    def add_step(self, run_id: int, step: AnnealStep) -> None:
        """Append one logged annealing step to a run."""
        with self._connect() as con:
            con.execute(
                "INSERT INTO steps VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    step.iteration,
                    _num(step.error),
                    _num(step.current_error),
                    _num(step.best_error),
                    step.temperature,
                    int(step.accepted),
                    int(step.degenerate),
                    json.dumps(list(step.subset)),
                ),
            )
            con.execute("UPDATE runs SET updated = ? WHERE id = ?", (time.time(), run_id))

    def finish_run(self, run_id: int, status: str, message: str = "") -> None:
        """Record how a run ended."""
        with self._connect() as con:
            con.execute(
                "UPDATE runs SET status = ?, message = ?, updated = ? WHERE id = ?",
                (status, message, time.time(), run_id),
            )

    def request_cancel(self, run_id: int) -> None:
        """Ask a run's worker to stop at its next step."""
        with self._connect() as con:
            con.execute("UPDATE runs SET cancel = 1 WHERE id = ?", (run_id,))

    def cancel_requested(self, run_id: int) -> bool:
        """Whether cancelling a run was asked for."""
        with self._connect() as con:
            row = con.execute("SELECT cancel FROM runs WHERE id = ?", (run_id,)).fetchone()
        return bool(row and row[0])

    def run_status(self, run_id: int) -> str:
        """``running``, ``finished``, ``cancelled``, ``failed``, ``interrupted`` or ``missing``."""
        with self._connect() as con:
            row = con.execute("SELECT status FROM runs WHERE id = ?", (run_id,)).fetchone()
        return "missing" if row is None else str(row[0])

    def runs(self, dataset_id: int | None = None) -> pd.DataFrame:
        """Runs (optionally of one dataset) with status, steps and best error."""
        query = (
            "SELECT r.id, r.dataset_id, r.config, json_extract(r.settings, '$.method') AS method, "
            "json_extract(r.settings, '$.iterations') AS iterations, "
            "r.status, r.message, r.created, "
            "r.updated, COUNT(s.iteration) AS steps, MIN(s.best_error) AS best_error "
            "FROM runs r LEFT JOIN steps s ON s.run_id = r.id"
        )
        args: tuple[Any, ...] = ()
        if dataset_id is not None:
            query += " WHERE r.dataset_id = ?"
            args = (dataset_id,)
        with self._connect() as con:
            return pd.read_sql_query(query + " GROUP BY r.id ORDER BY r.id DESC", con, params=args)

    def run_trace(self, run_id: int) -> pd.DataFrame:
        """A run's logged steps, one row per iteration."""
        with self._connect() as con:
            return pd.read_sql_query(
                "SELECT iteration, error, current_error, best_error, temperature, accepted, "
                "degenerate FROM steps WHERE run_id = ? ORDER BY iteration",
                con,
                params=(run_id,),
            )

    def load_run(self, run_id: int) -> AnnealRun:
        """The run as an :class:`AnnealRun`, to train the error predictor from."""
        with self._connect() as con:
            row = con.execute(
                "SELECT config, settings, universe, status FROM runs WHERE id = ?", (run_id,)
            ).fetchone()
            steps = con.execute(
                "SELECT iteration, subset, error, accepted, temperature, current_error, "
                "best_error, degenerate FROM steps WHERE run_id = ? ORDER BY iteration",
                (run_id,),
            ).fetchall()
        if row is None:
            raise AlaError(f"run {run_id} is not in the workspace")
        return AnnealRun(
            config=row[0],
            universe=pd.DataFrame(json.loads(row[2])),
            settings=AnnealSettings(**json.loads(row[1])),
            steps=tuple(
                AnnealStep(
                    int(i),
                    tuple(json.loads(sub)),
                    _nan(e),
                    bool(a),
                    float(t),
                    _nan(c),
                    _nan(b),
                    bool(d),
                )
                for i, sub, e, a, t, c, b, d in steps
            ),
            stopped=row[3] != "finished",
        )

    def mark_interrupted(self) -> int:
        """Mark runs whose owning process is gone as interrupted; returns how many."""
        with self._connect() as con:
            rows = con.execute(
                "SELECT id, owner_pid, owner_token FROM runs WHERE status = 'running'"
            ).fetchall()
            dead = [(time.time(), rid) for rid, pid, token in rows if not _alive(int(pid), token)]
            con.executemany(
                "UPDATE runs SET status = 'interrupted', message = 'the app stopped "
                "while this run was going', updated = ? WHERE id = ?",
                dead,
            )
            rows = con.execute(
                "SELECT id, owner_pid, owner_token FROM jobs WHERE status IN ('queued', 'running')"
            ).fetchall()
            gone = [(time.time(), jid) for jid, pid, token in rows if not _alive(int(pid), token)]
            con.executemany(
                "UPDATE jobs SET status = 'interrupted', message = 'its worker process stopped "
                "before it finished', updated = ? WHERE id = ?",
                gone,
            )
        return len(dead) + len(gone)

    # ---------------------------------------------------------------------- jobs
    def create_job(
        self, kind: str, key: str, title: str, params: Mapping[str, Any], payload: bytes | None
    ) -> int:
        """Record a background job (status ``queued``, owned by the caller until claimed)."""
        now = time.time()
        with self._connect() as con:
            cur = con.execute(
                "INSERT INTO jobs (kind, key, title, params, payload, status, owner_pid, "
                "owner_token, created, updated) VALUES (?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?)",
                (
                    kind,
                    key,
                    title,
                    json.dumps(dict(params), sort_keys=True),
                    payload,
                    os.getpid(),
                    process_token(os.getpid()),
                    now,
                    now,
                ),
            )
            return int(cur.lastrowid or 0)

    def latest_job(self, key: str, reusable: bool = False) -> int | None:
        """The newest job with ``key`` (a page shows how it ended), or None; with
        ``reusable``, only one that is queued, running or finished (its result can be
        reused)."""
        wanted = " AND status IN ('queued', 'running', 'finished')" if reusable else ""
        with self._connect() as con:
            row = con.execute(
                f"SELECT id FROM jobs WHERE key = ?{wanted} ORDER BY id DESC LIMIT 1", (key,)
            ).fetchone()
        return None if row is None else int(row[0])

    def claim_job(self, job_id: int) -> tuple[str, dict[str, Any], bytes | None]:
        """Make the calling worker the job's owner, mark it running; returns kind, params and
        payload."""
        now = time.time()
        with self._connect() as con:
            con.execute(
                "UPDATE jobs SET status = 'running', owner_pid = ?, owner_token = ?, "
                "started = ?, updated = ? WHERE id = ?",
                (os.getpid(), process_token(os.getpid()), now, now, job_id),
            )
            row = con.execute(
                "SELECT kind, params, payload FROM jobs WHERE id = ?", (job_id,)
            ).fetchone()
        if row is None:
            raise AlaError(f"job {job_id} is not in the workspace")
        return str(row[0]), json.loads(row[1]), None if row[2] is None else bytes(row[2])

    def job_progress(self, job_id: int, done: int, total: int) -> bool:
        """Record progress; returns whether cancelling the job was asked for."""
        with self._connect() as con:
            con.execute(
                "UPDATE jobs SET done = ?, total = ?, updated = ? WHERE id = ?",
                (done, total, time.time(), job_id),
            )
            row = con.execute("SELECT cancel FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return bool(row and row[0])

    def finish_job(
        self, job_id: int, status: str, message: str = "", result: Mapping[str, Any] | None = None
    ) -> None:
        """Record how a job ended, with its result document when it finished."""
        with self._connect() as con:
            con.execute(
                "UPDATE jobs SET status = ?, message = ?, result = ?, updated = ? WHERE id = ?",
                (
                    status,
                    message,
                    None if result is None else json.dumps(result),
                    time.time(),
                    job_id,
                ),
            )

    def job_status(self, job_id: int) -> str:
        """``queued``, ``running``, ``finished``, ``cancelled``, ``failed``, ``interrupted`` or
        ``missing``."""
        with self._connect() as con:
            row = con.execute("SELECT status FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return "missing" if row is None else str(row[0])

    def cancel_job(self, job_id: int) -> None:
        """Ask a job's worker to stop at its next progress report."""
        with self._connect() as con:
            con.execute("UPDATE jobs SET cancel = 1 WHERE id = ?", (job_id,))

    def jobs(self, limit: int = 50) -> pd.DataFrame:
        """The newest jobs: id, kind, title, status, done, total, created, started, updated,
        message."""
        with self._connect() as con:
            return pd.read_sql_query(
                "SELECT id, kind, title, status, done, total, created, started, updated, "
                "message FROM jobs ORDER BY id DESC LIMIT ?",
                con,
                params=(limit,),
            )

    def job_result(self, job_id: int) -> dict[str, Any] | None:
        """A finished job's result document, or None."""
        with self._connect() as con:
            row = con.execute("SELECT result FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return None if row is None or row[0] is None else json.loads(row[0])

    # -------------------------------------------------------------- report items
    def add_report_item(
        self, dataset_id: int, kind: str, title: str, doc: Mapping[str, Any]
    ) -> int:
        """Keep an item the user added to a dataset's report; the same item twice is kept
        once."""
        text = json.dumps(dict(doc), sort_keys=True)
        with self._connect() as con:
            found = con.execute(
                "SELECT id FROM report_items WHERE dataset_id = ? AND kind = ? AND doc = ?",
                (dataset_id, kind, text),
            ).fetchone()
            if found:
                return int(found[0])
            cur = con.execute(
                "INSERT INTO report_items (dataset_id, kind, title, doc, created) "
                "VALUES (?, ?, ?, ?, ?)",
                (dataset_id, kind, title, text, time.time()),
            )
            return int(cur.lastrowid or 0)

    def report_items(self, dataset_id: int) -> list[tuple[int, str, str, dict[str, Any]]]:
        """A dataset's report items as (id, kind, title, document), in the order added."""
        with self._connect() as con:
            rows = con.execute(
                "SELECT id, kind, title, doc FROM report_items WHERE dataset_id = ? ORDER BY id",
                (dataset_id,),
            ).fetchall()
        return [(int(i), str(k), str(t), json.loads(d)) for i, k, t, d in rows]

    def remove_report_item(self, item_id: int) -> None:
        """Drop one report item."""
        with self._connect() as con:
            con.execute("DELETE FROM report_items WHERE id = ?", (item_id,))


def _num(value: float) -> float | None:
    return None if value != value else float(value)  # NaN -> NULL


def _nan(value: float | None) -> float:
    return float("nan") if value is None else float(value)


SESSION_NAME = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}


def sessions_by_default(host: str | None, setting: str | None = None) -> bool:
    """Whether each browser session gets its own workspace.

    ``setting`` (``$ALA_SESSION_WORKSPACES``: ``1`` or ``0``) decides when given; otherwise
    sessions are separate unless the app is opened on this machine (``host`` is localhost).
    """
    if setting is not None and setting.strip() in ("0", "1"):
        return setting.strip() == "1"
    return (host or "localhost").lower() not in LOCAL_HOSTS


def session_workspace_path(base: str | os.PathLike[str], name: str) -> Path:
    """The folder of session workspace ``name`` under ``base``.

    Raises
    ------
    WorkspaceError
        If ``name`` is not 8-64 letters, digits, ``-`` or ``_`` (a name from a URL must
        never reach outside ``base``).
    """
    if not SESSION_NAME.fullmatch(name):
        raise WorkspaceError(
            f"workspace name {name[:80]!r} is not valid: use 8-64 letters, digits, - or _"
        )
    root = Path(base).resolve() / "sessions"
    path = (root / name).resolve()
    if not path.is_relative_to(root):
        raise WorkspaceError(f"workspace name {name[:80]!r} points outside the workspace folder")
    return path
