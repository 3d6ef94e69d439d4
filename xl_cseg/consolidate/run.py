"""``consolidate``: every territory workbook read in parallel and re-segmented with one central
parameter set, combined into the master workbook, optionally stored as a dated snapshot."""

from __future__ import annotations

import datetime as _dt
import gc
import os
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..core.dimensions import MAX_DIMENSIONS, dimension_key
from ..core.distribution import distribution
from ..core.identity import counted_once
from ..jobs import EXIT_FAILED, EXIT_OK, EXIT_ROW_ERRORS, ParameterFileError, refusal
from ..io.targets import TargetRefused, check_output, new_folders
from ..xlsx.atomic import check_writable
from ..xlsx.errors import WorkbookError
from ..xlsx.safezip import open_package
from . import history, master_rows
from . import duplicates
from .master import LOG_SHEET, MasterData, customer_columns, customer_styles, write_master
from .parameters import ParameterSet, central_parameters
from .reader import CUSTOMER_COLUMNS, MEASURE_COLUMNS, OK, FileResult, Task, read_territory
from .sources import FAILED, Sources, collect
from .summary import (OLD_DAYS, deviation_rows, dimension_names_found, dimension_notes,
                      dimension_tables, import_log, message_rows, overview, territory_table)

OWN_OUTPUT = "Ausgabedatei dieses Laufs"
Progress = Callable[[FileResult, int, int], None]  # result, files done, files in total


@dataclass
class Consolidation:
    sources: Sources
    central: ParameterSet
    results: list[FileResult]
    data: MasterData
    out: Path
    history: Path | None = None
    stored: int = 0  # customers in the snapshot
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def problems(self) -> list[tuple[str, str, str]]:
        """(file, status, reason) of every file that was not read."""
        return not_read(self.sources, self.results)

    @property
    def exit_code(self) -> int:
        if not any(r.status == OK for r in self.results):
            return EXIT_FAILED
        failed = any(r.status == FAILED for r in self.results) or \
            any(s.status == FAILED for s in self.sources.skipped)
        return EXIT_ROW_ERRORS if failed or any(r.error_count for r in self.results) \
            or self.data.dimension_errors else EXIT_OK


def not_read(sources: Sources, results: Sequence[FileResult]) -> list[tuple[str, str, str]]:
    """(file, status, reason) of every file that was not read."""
    return [(r.source, r.status, r.message) for r in results if r.status != OK] + \
        [(sources.display(s.path), s.status, s.reason) for s in sources.skipped]


class NothingRead(WorkbookError):
    """Not one territory file could be read: no master and no snapshot are written (an empty
    master would replace a good one, an empty snapshot make every customer „weggefallen“)."""


def _nothing_read(sources: Sources, results: Sequence[FileResult]) -> str:
    problems = not_read(sources, results)
    listed = "; ".join(f"{name}: {reason}" for name, _status, reason in problems[:10])
    more = f" und {len(problems) - 10} weitere" if len(problems) > 10 else ""
    return ("Keine Gebietsdatei gelesen, nichts geschrieben"
            + (f" ({listed}{more})" if listed else " (keine .xlsx/.xlsm-Dateien gefunden)")
            + ". Bitte Ordner und Dateien prüfen.")


def read_all(sources: Sources, central: ParameterSet, today: _dt.date, workers: int | None = None,
             progress: Progress | None = None, dimensions: Sequence[str] = ()
             ) -> list[FileResult]:
    """Read every file on ``workers`` processes (default: one more than there are cores: a
    worker waits while fastexcel parses in its thread, and for its results to be taken; on 2
    cores 3 workers read 200 files 10-15 % faster than 2); results in input order.
    ``dimensions``: buying-behaviour columns to read from every file (besides each file's own
    from its Spaltenzuordnung)."""
    styles = customer_styles()
    tasks = [Task(p, sources.display(p), central, today, styles, tuple(dimensions))
             for p in sources.files]
    workers = min(workers or default_workers(), len(tasks))
    results: list[FileResult | None] = [None] * len(tasks)

    def done(i: int, result: FileResult) -> None:
        results[i] = result
        if progress:
            progress(result, sum(r is not None for r in results), len(tasks))

    if workers <= 1:
        for i, task in enumerate(tasks):
            done(i, read_and_render(task))
        return results  # type: ignore[return-value]
    # the workers start (fork) at the first submit, before any progress display thread runs.
    # What the parent holds is frozen for the garbage collector meanwhile: a collection in a
    # forked worker would write to, and so copy, every page holding such objects, and the
    # parent's own collections would walk them (as gc.freeze's documentation advises; a
    # parent holding 5 million objects read the benchmark's 200 files 0.2-1.7 s faster).
    gc.freeze()
    try:
        broken = _read_in_pool(tasks, range(len(tasks)), workers, done)
        # a worker that died (killed, or aborted in native code) took the files in flight
        # with it: each is read again in a process of its own, so only the culprit fails
        for i in broken:
            if _read_in_pool(tasks, [i], 1, done):
                task = tasks[i]
                done(i, FileResult(task.path, task.source, FAILED,
                                   f"„{task.path.name}“: das Lesen dieser Datei hat den "
                                   "Lese-Prozess beendet (Absturz); die Datei wird übersprungen. "
                                   "Bitte die Datei in Excel öffnen, neu speichern und erneut "
                                   "versuchen."))
    finally:
        gc.unfreeze()
    return results  # type: ignore[return-value]


def _read_in_pool(tasks: list[Task], chosen: Iterable[int], workers: int,
                  done: Callable[[int, FileResult], None]) -> list[int]:
    """Read the ``chosen`` tasks on a pool of ``workers`` processes; the tasks lost to a
    worker that died (the pool is broken then)."""
    broken: list[int] = []
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(read_and_render, tasks[i]): i for i in chosen}
        for future in as_completed(futures):
            i = futures[future]
            try:
                result = future.result()
            except BrokenProcessPool:
                broken.append(i)
                continue
            except Exception as exc:  # noqa: BLE001 - one file's failure fails that file only
                task = tasks[i]
                result = FileResult(task.path, task.source, FAILED,
                                    f"„{task.path.name}“: Verarbeitung abgebrochen "
                                    f"({type(exc).__name__}).")
            done(i, result)
    return sorted(broken)


def default_workers() -> int:
    """Worker processes for reading: one more than there are cores."""
    return (os.cpu_count() or 1) + 1


def read_and_render(task: Task) -> FileResult:
    """:func:`read_territory`, and the file's rows of ``Kunden gesamt`` rendered and deflated
    (in the worker, so that all cores share the work and little data comes back)."""
    result = read_territory(task)
    if result.customers is not None and task.styles is not None:
        result.rendered = master_rows.deflate(
            master_rows.render_rows(customer_columns(result.customers), task.styles))
    return result


def _frame(parts: Iterable[pd.DataFrame | None], columns: Iterable[str]) -> pd.DataFrame:
    found = [p for p in parts if p is not None and len(p)]
    return pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=list(columns))


def combine(sources: Sources, central: ParameterSet, results: list[FileResult],
            today: _dt.date, old_days: int = OLD_DAYS, once: bool = False,
            dimensions: Sequence[str] = ()) -> MasterData:
    """Everything the master workbook shows, from the files' results. ``once``: a customer in
    several territories counts once in the overview's totals, distribution and dimensions
    (the row with the highest revenue of its group), else once per territory.
    ``dimensions``: the ``--nach`` names (the first two are used; each file's own
    Spaltenzuordnung dimensions come after them). A file without a dimension's column gets a
    note (its customers count as "ohne Angabe")."""
    read = [r for r in results if r.customers is not None and len(r.customers)]
    customers = _frame((r.customers for r in read), (*CUSTOMER_COLUMNS, "name_key", "place_key"))
    measures = _frame((r.measures for r in results), MEASURE_COLUMNS)
    # the search for names sorts and compares in numpy, mostly without the GIL: it runs beside
    # the tables and the search for numbers (all only read the customers)
    with ThreadPoolExecutor(1, thread_name_prefix="xl-cseg-duplicates") as pool:
        searching = pool.submit(duplicates.find_groups, customers)
        territories = territory_table(customers, measures, central.params,
                                      {r.source: r.target for r in read})
        groups = searching.result()
    counted = customers
    if once and len(groups.table):
        keep = counted_once(groups.row_group, customers["revenue"].to_numpy(dtype=float))
        counted = customers[keep]
    figures = distribution(counted, counted)
    wanted = list(dimensions)[:MAX_DIMENSIONS]
    dimension_errors = [f"Auswertung nach Kaufverhalten: höchstens {MAX_DIMENSIONS} Merkmale "
                        f"mit --nach, verwendet {', '.join(wanted)}"] \
        if len(dimensions) > MAX_DIMENSIONS else []
    having = {dimension_key(n) for r in read for n in r.dimensions}
    unknown = [n for n in wanted if dimension_key(n) not in having]
    known = [n for n in wanted if n not in unknown]
    tables = dimension_tables(read, counted, dimension_names_found(read, known), known,
                              dimension_errors)
    notes = dimension_notes(tables, unknown)
    dimension_errors += notes.pop("", [])
    for r in read:  # before the log counts them
        r.notes += notes.get(r.source, [])
        r.note_count = len(r.notes)
    return MasterData(
        customers=customers, measures=measures, territories=territories,
        duplicates=groups.table,
        log=import_log(sources, results, today, old_days), deviations=deviation_rows(results),
        messages=message_rows(results),
        overview=overview(results, sources, territories, groups.table, today, old_days,
                          counted if once else None),
        distribution=figures, dimensions=tables, dimension_errors=dimension_errors,
        parameters=central.label,
        parameter_errors=central.errors, date=today,
        rendered=[r.rendered for r in read])


def is_master(path: Path) -> bool:
    """Whether ``path`` is a master workbook this command wrote (its log sheet is there)."""
    try:
        return any(s.name == LOG_SHEET for s in open_package(path).sheets())
    except (WorkbookError, OSError):
        return False


def consolidate(paths: Iterable[str | os.PathLike[str]], out: str | os.PathLike[str],
                params: Path | None = None, today: _dt.date | None = None,
                snapshot: bool = False, history_path: Path | None = None,
                workers: int | None = None, progress: Progress | None = None,
                replace: bool = False, old_days: int = OLD_DAYS, *,
                force: bool = False, once: bool = False,
                dimensions: Sequence[str] = ()) -> Consolidation:
    """Read, re-segment and combine; write the master workbook ``out`` (and the snapshot).

    Raises :class:`WorkbookError` when the parameter file cannot be read or ``out`` cannot be
    written, :class:`history.SnapshotExists` (before reading anything) when ``today`` has a
    snapshot already and ``replace`` is not set; a territory file that cannot be read is
    logged and skipped. ``out`` must be a new ``.xlsx`` (an existing file only with ``force``,
    never one of the inputs). ``dimensions``: ``--nach`` columns (up to two), see
    :func:`combine`.
    """
    out, today = Path(out), today or _dt.date.today()
    paths = [Path(p) for p in paths]
    named = [p for p in paths if not p.is_dir()] + ([Path(params)] if params is not None else [])
    target = check_output(out, named, ".xlsx", force=force, what="Gesamtauswertung")
    db = (history_path or history.default_history(out)) if snapshot else None
    if db is not None and not replace:
        history.check_free(db, db, today)
    if target.parent.exists():
        check_writable(target)
    central = central_parameters(params)
    if params is not None and central.errors:  # refused before anything is read or written
        raise ParameterFileError(f"„{Path(params).name}“: ungültige Parameter, nichts "
                                 "geschrieben – " + "; ".join(map(refusal, central.errors)),
                                 path=Path(params))
    own = {out: OWN_OUTPUT}
    if params is not None:
        own[params] = "Parameterquelle dieses Laufs"
    sources = collect(paths, exclude=own)
    if target.exists() and any(s.reason == OWN_OUTPUT for s in sources.skipped) \
            and not is_master(target):
        raise TargetRefused(
            f"„{out.name}“ liegt in einem der eingelesenen Ordner und ist keine "
            "Gesamtauswertung, sondern eine Gebietsdatei; sie wird nicht überschrieben. Bitte "
            "mit --out einen anderen Dateinamen angeben.", path=out)
    clock = time.perf_counter()
    seconds: dict[str, float] = {}
    results = read_all(sources, central, today, workers, progress, dimensions[:MAX_DIMENSIONS])
    seconds["lesen"], clock = time.perf_counter() - clock, time.perf_counter()
    if not any(r.status == OK for r in results):
        raise NothingRead(_nothing_read(sources, results), path=out)
    data = combine(sources, central, results, today, old_days, once, dimensions)
    seconds["zusammenführen"], clock = time.perf_counter() - clock, time.perf_counter()
    with new_folders(target):
        write_master(data, target)
    seconds["schreiben"], clock = time.perf_counter() - clock, time.perf_counter()
    run = Consolidation(sources, central, results, data, out, db, seconds=seconds)
    if db is not None:
        run.stored = history.store(db, today, data.customers, central.label, replace=True)
        seconds["stand speichern"] = time.perf_counter() - clock
    return run
