"""A results folder written all or nothing: filled in a staging folder beside it, then
renamed into place under a lock, with the errors of the file system reported as the user's
to fix (the path and the reason). What a run killed outright left beside the folder (its
staging folder, or a replaced folder not yet removed) is removed by the next run into it."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from sim.errors import UsageError

if TYPE_CHECKING:
    from sim.scenario.schema import Scenario


class OutputError(UsageError):
    """The run folder cannot be written where asked (exists, taken by another run, not
    writable, disk full): the user's environment, reported with the path and the reason."""


def is_run_folder(path: Path) -> bool:
    """Whether ``path`` is a folder that dcsim wrote (a run or a comparison)."""
    try:
        return "dcsim_version" in json.loads((path / "manifest.json").read_text("utf-8"))
    except (OSError, ValueError, TypeError):
        return False


def results_folder(scenario: Scenario) -> Path:
    """Where a run of ``scenario`` is written without --out: ``results/<scenario name>``."""
    return Path("results") / scenario.scenario.name


def write_atomically(
    target: Path, force: bool, fill: Callable[[Path], None], *, replace_run: bool = False
) -> Path:
    """Create ``target`` with ``fill(folder)``, all or nothing.

    A ``target`` that already holds files is refused, unless ``force``, or ``replace_run``
    and it is a folder dcsim wrote. The check is made again at the end, under a lock on the
    parent folder, together with the renames: of two runs into the same folder, the one
    that finishes second fails (unless forced), and only a folder seen at the start is ever
    replaced. Errors of the file system (not writable, disk full, a file in the way) are
    `OutputError`s naming the path and the reason."""
    target = _own_folder(target)
    try:
        seen = _existing(target, force, replace_run)
        _replaceable(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        _remove_leftovers(target)
        staging = _beside(target, "partial")
        staging.mkdir()
    except OSError as exc:
        raise _output_error(target, exc) from None
    old: Path | None = None
    try:
        try:
            fill(staging)
        except OSError as exc:
            raise _output_error(target, exc) from None
        with _locked(target.parent):
            now = _existing(target, True, False)
            if now is not None and not force and now != seen:
                raise OutputError(
                    f"{target} was written by another run while this one ran; its results "
                    "are kept: choose another --out, or use --force to replace them"
                )
            if now is not None:
                old = _beside(target, "old")
                target.rename(old)
            staging.rename(target)  # onto nothing, or an empty folder: atomic
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise _output_error(target, exc) from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return target


def check_writable(target: Path, *, force: bool = False, replace_run: bool = False) -> None:
    """Raise now the `OutputError` that `write_atomically` would raise as it starts: a
    folder that may not be replaced, a file in the way, a parent folder that exists and
    cannot be written (a folder is made in it and removed), a folder that cannot be
    replaced (a mount point, a read-only or immutable folder). For a command to fail before it
    runs rather than after; the folder is checked again when it is written."""
    target = _own_folder(target)
    try:
        _existing(target, force, replace_run)
        _replaceable(target)
        if target.parent.is_dir():
            probe = _beside(target, "partial")
            probe.mkdir()
            probe.rmdir()
    except OSError as exc:
        raise _output_error(target, exc) from None


_KINDS = ("partial", "old")
"""What this module leaves beside a target while it works: the staging folder, and the
folder it replaces until that is removed."""


def _beside(target: Path, kind: str) -> Path:
    """A hidden folder beside ``target`` that names this process:
    ``.<target>.<host>.<pid>.<random>.<kind>``."""
    host = socket.gethostname() or "host"
    return target.with_name(f".{target.name}.{host}.{os.getpid()}.{uuid.uuid4().hex[:8]}.{kind}")


def _remove_leftovers(target: Path) -> None:
    """Remove what runs into ``target`` that were killed outright (SIGKILL, a power cut)
    left beside it: the folders named by `_beside` for this host and a process that no
    longer exists. Another host's folders, a live process's, and anything else are kept."""
    host = socket.gethostname() or "host"
    prefix = f".{target.name}.{host}."
    try:
        beside = list(target.parent.iterdir())
    except OSError:
        return
    for path in beside:
        name = path.name
        if not name.startswith(prefix) or not path.is_dir():
            continue
        pid, _, rest = name[len(prefix) :].partition(".")
        random, _, kind = rest.partition(".")
        if kind in _KINDS and pid.isdigit() and len(random) == 8 and not _alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    """Whether a process ``pid`` exists on this host (another user's counts)."""
    if pid == os.getpid() or os.name != "posix":  # Windows' os.kill would end the process
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # not ours to signal, or cannot tell: keep its folders
        return True
    return True


def _existing(target: Path, force: bool, replace_run: bool) -> int | None:
    """The inode of ``target`` when it holds files (None when absent or empty); refuses what
    may not be replaced."""
    if target.exists() and not target.is_dir():
        raise OutputError(f"{target} exists and is not a folder; choose another --out")
    if not target.is_dir() or not any(target.iterdir()):
        return None
    if not force and not (replace_run and is_run_folder(target)):
        raise OutputError(
            f"{target} already holds files; use --force to replace it, or choose another --out"
        )
    return target.stat().st_ino


def _own_folder(target: Path) -> Path:
    """``target``, refused when it is a folder no run may replace, even with --force: the
    current folder or one that holds it, the home folder, the root. A path that ends in `.`
    or `..` is returned resolved (the staging folder is made beside it by name)."""
    resolved = target.resolve()
    try:
        home: Path | None = Path.home().resolve()
    except (RuntimeError, KeyError):  # no home folder known
        home = None
    here = Path.cwd().resolve()
    what = (
        "the current folder"
        if resolved == here
        else "a folder that holds the current one"
        if resolved in here.parents
        else "the home folder"
        if resolved == home
        else "the root of the file system"
        if resolved == Path(resolved.anchor)
        else None
    )
    if what is not None:
        raise OutputError(
            f"--out {target} is {what}; a run replaces its folder whole, so give it a folder "
            f"of its own: --out {resolved / 'NAME'}"
        )
    return resolved if target.name in ("", ".", "..") else target


def _replaceable(target: Path) -> None:
    """Refuse an existing ``target`` that the finished run cannot be renamed onto: a mount
    point, or a folder that may not be changed (read-only, immutable)."""
    if not target.is_dir():
        return
    if os.path.ismount(target):
        raise OutputError(
            f"cannot write the results folder {target}: it is a mount point, and a run is "
            "written beside its folder and then renamed into place, which cannot be done to "
            f"a mount point; give a folder inside it: --out {target / 'NAME'}"
        )
    if not os.access(target, os.W_OK):
        raise OutputError(
            f"cannot write the results folder {target}: it cannot be replaced (read-only or "
            "immutable); choose another --out, or fix the folder's permissions"
        )


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """An exclusive lock on ``folder`` for the final check and renames (released by the
    kernel if the process dies; nothing is left on disk)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: the rename itself still refuses
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _output_error(target: Path, exc: OSError) -> OutputError:
    reason = exc.strerror or str(exc)
    where = exc.filename if exc.filename is not None else target
    if ".partial" in str(where):  # the staging folder: name where the user asked to write
        where = target.parent
    for folder in (target, *target.parents):
        if folder.exists():
            if not folder.is_dir():  # mkdir reports "File exists" for a file in the way
                reason, where = "Not a directory", f"{folder} is a file"
            break
    return OutputError(
        f"cannot write the results folder {target}: {reason} ({where}); "
        "choose another --out, or fix the folder's permissions or free space"
    )
