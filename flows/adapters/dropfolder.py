"""The shared folder's filesystem side (no database): walk, stability, move.

A file is taken when its size, mtime and inode are unchanged since the previous scan (the
previous observations live in a small JSON state file), so a file copied slowly over the
network is taken exactly once, when complete. Taking it moves it first (rename, atomic) into
`working/` and reads what was moved, so a file swapped at that moment is never recorded under
another file's bytes. Handled files move on to `processed/`, failures to `failed/` with a
`<name>.loi.txt` reason beside them; nothing is ever deleted.

Nothing outside the root is read: symlinks (files or folders) are never followed, folders are
opened with O_NOFOLLOW step by step, files with O_NOFOLLOW. Symlinks, hidden names, FIFOs and
empty files are reported (once) with the reason, never stored.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import stat
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from config.errors import ConfigError

log = logging.getLogger(__name__)
PROCESSED, FAILED, WORKING = "processed", "failed", "working"
IGNORED_NAMES = {".ds_store", "thumbs.db", "desktop.ini", "__macosx", ".dropfolder-state.json"}
TEMP_SUFFIXES = (".tmp", ".temp", ".part", ".crdownload", ".partial", ".download", ".swp", "~")


def is_ignored(name: str) -> bool:
    """Lock files, temp files and OS litter (left alone silently)."""
    low = name.lower()
    return (
        low in IGNORED_NAMES
        or low.startswith(("~$", ".~lock", "~", "._"))
        or low.endswith(TEMP_SUFFIXES)
        or low.endswith(".loi.txt")
    )


def is_hidden(name: str) -> bool:
    """A name starting with '.' that is not known litter: skipped, but reported once."""
    return name.startswith(".") and not is_ignored(name)


def is_open_elsewhere(path: Path) -> bool:
    """Someone has the file open in Word or LibreOffice (their lock file sits beside it)."""
    name = path.name
    locks = {f"~${name}", f"~${name[1:]}", f"~${name[2:]}", f".~lock.{name}#"}
    return any((path.parent / lock).exists() for lock in locks)


@dataclass
class Skipped:
    """A file or folder of the drop folder that is not taken, and why (reported once)."""

    rel: str
    reason: str


SYMLINK = "liên kết tượng trưng (symlink): không đọc, không lưu; hãy chép chính tệp vào thư mục chung"
HIDDEN = "tên bắt đầu bằng dấu chấm (tệp ẩn): không nhận; hãy đổi tên nếu đây là báo cáo"
EMPTY = "tệp rỗng (0 byte): chưa nhận; sẽ nhận khi tệp có nội dung"
NOT_A_FILE = "không phải tệp thường (FIFO, socket hoặc thiết bị): không đọc"


def shown(rel: str) -> str:
    """A relative path as baocao records it (NFC). The disk keeps the name as it was written —
    a Mac writes 'ễ' decomposed (NFD) — and every file operation uses that; what is stored,
    logged and shown is the composed form, so a path is one string whoever dropped the file."""
    return unicodedata.normalize("NFC", rel)


def walk(root: Path) -> tuple[list[tuple[Path, os.stat_result]], list[Skipped]]:
    """Regular files under root (recursively, never through a symlink) with their lstat, and
    what was skipped with the reason; processed/, failed/, working/ and litter are not looked at."""
    found: list[tuple[Path, os.stat_result]] = []
    skipped: list[Skipped] = []
    for current, dirs, files in os.walk(root):  # followlinks=False: a linked folder is not entered
        here = Path(current)
        rel = here.relative_to(root)
        keep = []
        for d in sorted(dirs):
            if is_ignored(d) or (rel == Path() and d in (PROCESSED, FAILED, WORKING)):
                continue
            if (here / d).is_symlink():
                skipped.append(Skipped(shown((rel / d).as_posix()), SYMLINK))
            elif is_hidden(d):
                skipped.append(Skipped(shown((rel / d).as_posix()), HIDDEN))
            else:
                keep.append(d)
        dirs[:] = keep
        for f in sorted(files):
            if is_ignored(f):
                continue
            path, name = here / f, shown((rel / f).as_posix())
            try:
                st = path.lstat()
            except OSError:
                continue  # vanished between listing and lstat
            if stat.S_ISLNK(st.st_mode):
                skipped.append(Skipped(name, SYMLINK))
            elif not stat.S_ISREG(st.st_mode):
                skipped.append(Skipped(name, NOT_A_FILE))
            elif is_hidden(f):
                skipped.append(Skipped(name, HIDDEN))
            else:
                found.append((path, st))
    return found, skipped


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


def stable_files(
    root: Path, previous: dict[str, list[int]]
) -> tuple[list[tuple[Path, str, os.stat_result]], dict[str, list[int]], list[Skipped]]:
    """Files unchanged since the previous scan (ready), the observations to keep for the files
    still changing (look again next scan), and what is skipped with the reason."""
    ready: list[tuple[Path, str, os.stat_result]] = []
    current: dict[str, list[int]] = {}
    files, skipped = walk(root)
    for path, st in files:
        rel = path.relative_to(root).as_posix()
        seen = [st.st_size, st.st_mtime_ns, st.st_ino]
        if st.st_size == 0:
            skipped.append(Skipped(shown(rel), EMPTY))
        if previous.get(rel) != seen or st.st_size == 0 or is_open_elsewhere(path):
            current[rel] = seen
            continue
        ready.append((path, rel, st))
    return ready, current, skipped


@dataclass
class Taken:
    """A file moved into working/ and read from there: what is ingested is what was moved
    (`rel`: where it was dropped, NFC as recorded; `path`: where it is now, as on disk)."""

    rel: str
    path: Path
    data: bytes
    st: os.stat_result


class NotTaken(Exception):
    """The file cannot be taken now (changed, swapped, too large): the reason in Vietnamese."""

    def __init__(self, reason: str, *, refuse: bool = False) -> None:
        super().__init__(reason)
        self.refuse = refuse  # True: goes to failed/ (too large); False: looked at again later


def take(root: Path, rel: str, expected: os.stat_result, max_bytes: int) -> Taken:
    """Move one stable file into working/ (rename, atomic) and read what was moved.

    Every folder on the way is opened with O_NOFOLLOW from the root, so a folder swapped for a
    symlink between the scan and now is refused; the file must still be the regular file
    seen stable (same inode, size, mtime); the size limit is checked from `stat`, before any
    byte is read; the moved file is opened with O_NOFOLLOW and must be the inode checked."""
    parts = rel.split("/")
    src_dir = _open_dirs(root, parts[:-1])
    try:
        st = os.lstat(parts[-1], dir_fd=src_dir)
        if not stat.S_ISREG(st.st_mode):
            raise NotTaken(SYMLINK if stat.S_ISLNK(st.st_mode) else NOT_A_FILE)
        if (st.st_ino, st.st_size, st.st_mtime_ns) != (expected.st_ino, expected.st_size, expected.st_mtime_ns):
            raise NotTaken("tệp vừa thay đổi hoặc bị thay bằng tệp khác: xem lại ở lần quét sau")
        if st.st_size > max_bytes:
            raise NotTaken(f"tệp quá lớn ({st.st_size} byte, tối đa {max_bytes}): không đọc", refuse=True)
        if (root / WORKING).is_symlink():
            raise NotTaken(f"{WORKING}/ là liên kết tượng trưng: không dùng")
        dest = _free_name(root / WORKING / rel)
        dest.parent.mkdir(parents=True, exist_ok=True)
        work_dir = _open_dirs(root, [WORKING, *dest.relative_to(root / WORKING).parts[:-1]])
        try:
            os.rename(parts[-1], dest.name, src_dir_fd=src_dir, dst_dir_fd=work_dir)
            return _read_moved(root, rel, dest, work_dir, st, max_bytes)
        finally:
            os.close(work_dir)
    finally:
        os.close(src_dir)


def _read_moved(root: Path, rel: str, dest: Path, work_dir: int, st: os.stat_result, max_bytes: int) -> Taken:
    fd = os.open(dest.name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=work_dir)
    with os.fdopen(fd, "rb") as handle:
        moved = os.fstat(handle.fileno())
        if moved.st_ino != st.st_ino or moved.st_size > max_bytes:
            # Swapped in the instant between the check and the rename: put it back, look later.
            handle.close()
            put_back(root, dest, rel)
            raise NotTaken("tệp bị thay bằng tệp khác đúng lúc chuyển: xem lại ở lần quét sau")
        data = handle.read(max_bytes + 1)
    return Taken(shown(rel), dest, data, moved)


def put_back(root: Path, path: Path, rel: str) -> None:
    """Return a file from working/ to where it was dropped (unless something took its place)."""
    home = root / rel
    if not home.exists() and not home.is_symlink():
        home.parent.mkdir(parents=True, exist_ok=True)
        path.replace(home)


def leftovers(root: Path, max_bytes: int) -> list[Taken]:
    """Files a crashed scan left in working/ (moved, maybe committed): taken again first."""
    base = root / WORKING
    found: list[Taken] = []
    if not base.is_dir() or base.is_symlink():
        return found
    files, _ = walk(base)
    for path, st in files:
        rel = path.relative_to(base).as_posix()
        if st.st_size > max_bytes:
            continue
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as handle:
            found.append(Taken(shown(rel), path, handle.read(max_bytes + 1), os.fstat(handle.fileno())))
    return found


def _open_dirs(root: Path, parts: list[str]) -> int:
    """A descriptor of root/parts…, each step opened without following a symlink."""
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for part in parts:
            nxt = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
            os.close(fd)
            fd = nxt
    except OSError as err:
        os.close(fd)
        if err.errno in (errno.ELOOP, errno.ENOTDIR):
            raise NotTaken(SYMLINK) from err
        raise
    return fd


def _free_name(dest: Path) -> Path:
    stem, suffix, n = dest.stem, dest.suffix, 1
    while dest.exists() or dest.is_symlink():
        dest = dest.with_name(f"{stem}-{n}{suffix}")
        n += 1
    return dest


def move_file(root: Path, path: Path, rel: str, target: str, reason: str | None) -> str | None:
    """Move a file under root/target keeping its subpath; never overwrite, never delete."""
    if not path.exists():
        return None
    dest = root / target / rel
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest = _free_name(dest)
    path.replace(dest)
    if reason:
        dest.with_name(dest.name + ".loi.txt").write_text(f"{reason}\n", encoding="utf-8")
    return dest.relative_to(root).as_posix()
