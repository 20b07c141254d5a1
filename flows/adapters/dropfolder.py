"""The shared folder's filesystem side (no database): walk, stability, move.

A file is taken when its size and mtime are unchanged since the previous scan (the previous
observations live in a small JSON state file), so a file copied slowly over the network is
taken exactly once, when complete. Handled files move to `processed/`, failures to `failed/`
with a `<name>.loi.txt` reason beside them; nothing is ever deleted.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from config.errors import ConfigError

log = logging.getLogger(__name__)
PROCESSED, FAILED = "processed", "failed"
IGNORED_NAMES = {".ds_store", "thumbs.db", "desktop.ini", "__macosx", ".dropfolder-state.json"}
TEMP_SUFFIXES = (".tmp", ".temp", ".part", ".crdownload", ".partial", ".download", ".swp", "~")


def is_ignored(name: str) -> bool:
    """Lock files, temp files and OS litter."""
    low = name.lower()
    return (
        low in IGNORED_NAMES
        or low.startswith(("~$", ".~lock", "~", "._"))
        or low.endswith(TEMP_SUFFIXES)
        or low.endswith(".loi.txt")
        or low.startswith(".")
    )


def is_open_elsewhere(path: Path) -> bool:
    """Someone has the file open in Word or LibreOffice (their lock file sits beside it)."""
    name = path.name
    locks = {f"~${name}", f"~${name[1:]}", f"~${name[2:]}", f".~lock.{name}#"}
    return any((path.parent / lock).exists() for lock in locks)


def walk(root: Path) -> list[Path]:
    """Candidate files under root (recursively), skipping processed/, failed/ and litter."""
    found: list[Path] = []
    for current, dirs, files in os.walk(root):
        rel = Path(current).relative_to(root)
        dirs[:] = sorted(
            d for d in dirs if not is_ignored(d) and not (rel == Path() and d in (PROCESSED, FAILED))
        )
        found.extend(Path(current) / f for f in sorted(files) if not is_ignored(f))
    return found


def load_state(path: Path) -> dict[str, list[int]]:
    """The previous scan's observations: relative path → [size, mtime_ns]."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def save_state(path: Path, state: dict[str, list[int]]) -> None:
    """Write the observations atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, ensure_ascii=False, sort_keys=True), encoding="utf-8")
    tmp.replace(path)


def drop_root(root: Path | None) -> Path:
    """The configured folder, which must exist."""
    if root is None:
        raise ConfigError("chưa cấu hình thư mục chung (BAOCAO_DROP__DIR)")
    if not root.is_dir():
        raise ConfigError("không tìm thấy thư mục chung", root)
    return root


def stable_files(root: Path, previous: dict[str, list[int]]) -> tuple[list[tuple[Path, str, os.stat_result]], dict[str, list[int]]]:
    """Files unchanged since the previous scan (ready), and the observations to keep for the
    files still changing (look again next scan)."""
    ready: list[tuple[Path, str, os.stat_result]] = []
    current: dict[str, list[int]] = {}
    for path in walk(root):
        rel = path.relative_to(root).as_posix()
        try:
            st = path.stat()
        except OSError:
            continue  # vanished between listing and stat
        seen = [st.st_size, st.st_mtime_ns]
        if previous.get(rel) != seen or st.st_size == 0 or is_open_elsewhere(path):
            current[rel] = seen
            continue
        ready.append((path, rel, st))
    return ready, current


def move_file(root: Path, path: Path, rel: str, target: str, reason: str | None) -> str | None:
    """Move a file under root/target keeping its subpath; never overwrite, never delete."""
    if not path.exists():
        return None
    dest = root / target / rel
    dest.parent.mkdir(parents=True, exist_ok=True)
    stem, suffix, n = dest.stem, dest.suffix, 1
    while dest.exists():
        dest = dest.with_name(f"{stem}-{n}{suffix}")
        n += 1
    path.replace(dest)
    if reason:
        dest.with_name(dest.name + ".loi.txt").write_text(f"{reason}\n", encoding="utf-8")
    return dest.relative_to(root).as_posix()
