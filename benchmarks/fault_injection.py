"""Fault injection, the full run (``tests/test_faults.py`` is the fast subset).

  python benchmarks/fault_injection.py [--kills N] [--photos N] [--seed S] [--only ...]

(a) kill      ``kill -9`` of the real ``photoorg index`` at N random points of
              runs that add photos and reorganise files (swaps, renames);
(b) disk      a full disk at several fill levels: a size-limited tmpfs when this
              process may mount one (root on Linux), else ENOSPC injected in the
              thumbnail writer;
(c) readonly  every command on a library mounted read-only (needs root);
(d) concurrent  the CLI rating and tagging while ``photoorg index`` runs.

After each fault: ``PRAGMA integrity_check``, no duplicate rows, every user mark
on the same picture; and at the end of each case a rerun that must finish the
work. Prints a JSON report; the exit status is 1 when any check failed.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PHOTOORG_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from tests.fault_harness import (  # noqa: E402
    cli_env,
    index_command,
    integrity_problems,
    kill_at_random_point,
    make_photos,
    mark_photos,
    marks_by_content,
    stage_rows,
    unfinished_work,
)
from tests.helpers import TINY_ARCH, build_tiny_checkpoint, install_tiny_config  # noqa: E402


def log(*args) -> None:
    print(*args, file=sys.stderr, flush=True)


def new_library(folder: Path, weights: Path, photos: Path, count: int, marked: int):
    from photoorg.library import Library
    from photoorg.roots import add_root

    install_tiny_config(folder)
    library = Library(folder)
    library.select_model(TINY_ARCH, str(weights))
    paths = make_photos(photos, 0, count)
    root = add_root(library.db, photos)[0].id
    for _ in library.indexer(library.build_stages()).run([root]):
        pass
    mark_photos(library, paths[:marked])
    return library


def rerun(library) -> None:
    for _ in library.indexer(library.build_stages()).run():
        pass


def checks(library, marks: dict) -> list[str]:
    problems = integrity_problems(library.paths.database)
    if marks_by_content(library.paths.database) != marks:
        problems.append("user marks changed")
    return problems


def reorganise(folder: Path, rng: random.Random) -> None:
    """Swap two files' names and move one into a subfolder."""
    files = sorted(folder.glob("*.jpg"))
    if len(files) < 3:
        return
    a, b, c = rng.sample(files, 3)
    os.rename(a, folder / "swap.tmp")
    os.rename(b, a)
    os.rename(folder / "swap.tmp", b)
    (folder / "moved").mkdir(exist_ok=True)
    os.rename(c, folder / "moved" / f"{c.stem}-{rng.randrange(10**6)}.jpg")


# -- (a) kill -9 -------------------------------------------------------------------------------------


def bench_kills(work: Path, weights: Path, kills: int, photos: int, rng: random.Random) -> dict:
    folder = work / "kill-photos"
    library = new_library(work / "kill-library", weights, folder, 12, marked=8)
    marks = marks_by_content(library.paths.database)
    command = index_command(library.paths.root, weights)
    runs, next_photo = [], 12
    for n in range(kills):
        batch = max(4, photos // kills)
        make_photos(folder, next_photo, batch)
        next_photo += batch
        reorganise(folder, rng)
        outcome = kill_at_random_point(
            command, rng, lambda: stage_rows(library.paths.database), expected_work=batch * 3
        )
        outcome["problems"] = checks(library, marks)
        runs.append(outcome)
        log(
            f"(a) kill {n + 1}/{kills}: {'killed' if outcome['killed'] else 'finished'} at "
            f"{outcome['after_s']} s, problems {outcome['problems']}"
        )
    rerun(library)
    final = checks(library, marks) + unfinished_work(library, [folder])
    library.close()
    return {
        "kills": sum(r["killed"] for r in runs),
        "runs": runs,
        "final_problems": final,
        "ok": not final and not any(r["problems"] for r in runs),
    }


# -- (b) full disk ------------------------------------------------------------------------------------


@contextlib.contextmanager
def tmpfs(size: str):
    if os.geteuid() != 0:
        yield None
        return
    mount_point = Path(tempfile.mkdtemp(prefix="photoorg-fault-"))
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount_point)], capture_output=True
    )
    if result.returncode != 0:
        mount_point.rmdir()
        yield None
        return
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)
        with contextlib.suppress(OSError):
            mount_point.rmdir()


def fill(mount_point: Path, leave: int) -> Path:
    ballast = mount_point / "ballast"
    with open(ballast, "wb") as handle:
        remaining = max(0, shutil.disk_usage(mount_point).free - leave)
        with contextlib.suppress(OSError):
            while remaining > 0:
                remaining -= handle.write(b"\0" * min(1 << 20, remaining))
    return ballast


def run_cli(*args: str) -> tuple[int, str]:
    result = subprocess.run(
        [sys.executable, "-m", "photoorg", *args], capture_output=True, text=True, env=cli_env(), timeout=600
    )
    return result.returncode, result.stderr


def bench_disk(work: Path, weights: Path, levels: list[int]) -> dict:
    results = []
    for leave_kb in levels:
        with tmpfs("32m") as disk:
            if disk is None:
                return {
                    "skipped": "can't mount a tmpfs here (needs root); tests/test_faults.py injects ENOSPC"
                }
            photos = work / f"disk-photos-{leave_kb}"
            library = new_library(disk / "library", weights, photos, 6, marked=4)
            marks = marks_by_content(library.paths.database)
            make_photos(photos, 100, 30, size=(1600, 1200))
            ballast = fill(disk, leave_kb * 1024)
            code, err = run_cli("index", "--library", str(library.paths.root))
            entry = {
                "free_kb": leave_kb,
                "exit": code,
                "message": err.strip().splitlines()[-1] if err.strip() else "",
                "traceback": "Traceback" in err,
                "problems": checks(library, marks),
            }
            ballast.unlink()
            rerun(library)
            entry["final_problems"] = checks(library, marks) + unfinished_work(library, [photos])
            library.close()
            results.append(entry)
            log(f"(b) {leave_kb} KB free: exit {code}, {entry['message']!r}, problems {entry['problems']}")
    ok = all(not r["problems"] and not r["final_problems"] and not r["traceback"] for r in results)
    return {"levels": results, "ok": ok}


# -- (c) read-only ------------------------------------------------------------------------------------


def bench_read_only(work: Path, weights: Path) -> dict:
    with tmpfs("64m") as disk:
        if disk is None:
            return {"skipped": "a read-only mount needs root (root ignores permission bits)"}
        photos = work / "ro-photos"
        library = new_library(disk / "library", weights, photos, 6, marked=3)
        marks = marks_by_content(library.paths.database)
        photo = str(sorted(photos.glob("*.jpg"))[0])
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        commands = {}
        for args in (["status"], ["search", "tag:mine-0"], ["show", photo], ["rate", "1", photo], ["index"]):
            code, err = run_cli(*args, "--library", str(library.paths.root))
            commands[args[0]] = {
                "exit": code,
                "traceback": "Traceback" in err,
                "message": err.strip().splitlines()[-1] if err.strip() else "",
            }
        subprocess.run(["mount", "-o", "remount,rw", str(disk)], check=True)
        problems = checks(library, marks)
        library.close()
    log(f"(c) read-only: {commands}")
    return {"commands": commands, "problems": problems, "ok": not problems}


# -- (d) concurrent CLI + index ------------------------------------------------------------------------


def bench_concurrent(work: Path, weights: Path, photos: int) -> dict:
    folder = work / "concurrent-photos"
    library = new_library(work / "concurrent-library", weights, folder, 8, marked=4)
    make_photos(folder, 8, photos)
    targets = sorted(folder.glob("*.jpg"))[:4]
    process = subprocess.Popen(
        index_command(library.paths.root, weights),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cli_env(),
    )
    failures, rounds = [], 0
    while process.poll() is None or rounds < 2:
        rounds += 1
        for photo in targets:
            for args in (
                ["rate", str(rounds % 5 + 1), str(photo)],
                ["tags", "add", f"round-{rounds}", str(photo)],
            ):
                code, err = run_cli(*args, "--library", str(library.paths.root))
                if code != 0:
                    failures.append({"args": args, "exit": code, "message": err[-300:]})
    _, err = process.communicate()
    marks = marks_by_content(library.paths.database)
    problems = integrity_problems(library.paths.database)
    for photo in targets:
        rating, _, _, tags = marks.get(hashlib.sha256(photo.read_bytes()).hexdigest(), (0, 0, (), ()))
        if rating != rounds % 5 + 1 or not {f"round-{r}" for r in range(1, rounds + 1)} <= set(tags):
            problems.append(f"marks of {photo.name} lost: {rating}, {tags}")
    problems += unfinished_work(library, [folder])
    library.close()
    log(f"(d) concurrent: {rounds} rounds, index exit {process.returncode}, problems {problems + failures}")
    return {
        "rounds": rounds,
        "index_exit": process.returncode,
        "cli_failures": failures,
        "problems": problems,
        "ok": process.returncode == 0 and not failures and not problems,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--kills", type=int, default=10, help="kill -9 points (default 10)")
    parser.add_argument("--photos", type=int, default=60, help="photos added over the kill runs (default 60)")
    parser.add_argument(
        "--seed", type=int, default=int(time.time()), help="random kill points (default: now)"
    )
    parser.add_argument("--only", nargs="*", choices=["kill", "disk", "readonly", "concurrent"])
    args = parser.parse_args()
    wanted = set(args.only or ["kill", "disk", "readonly", "concurrent"])
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="photoorg-faults-"))
    weights = build_tiny_checkpoint(work / "model")
    report: dict = {"seed": args.seed}
    started = time.monotonic()
    if "kill" in wanted:
        report["kill"] = bench_kills(work, weights, args.kills, args.photos, rng)
    if "disk" in wanted:
        report["disk"] = bench_disk(work, weights, [0, 64, 512])
    if "readonly" in wanted:
        report["readonly"] = bench_read_only(work, weights)
    if "concurrent" in wanted:
        report["concurrent"] = bench_concurrent(work, weights, max(8, args.photos // 4))
    report["seconds"] = round(time.monotonic() - started, 1)
    print(json.dumps(report, indent=2, default=str))
    shutil.rmtree(work, ignore_errors=True)
    failed = [name for name, part in report.items() if isinstance(part, dict) and part.get("ok") is False]
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
