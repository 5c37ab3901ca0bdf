"""The month-cycle benchmark's figures as the Markdown section of bench/README.md."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any, Protocol

TARGET_RATIO = 0.6
TARGET_MIB = 1.5 * 1024


class Figures(Protocol):
    seconds: float
    activities: int
    peak_mib: float
    phases: dict[str, float]
    stats: dict[str, Any]
    cpu: dict[str, float]

    @property
    def per_second(self) -> float: ...


def _command(args: argparse.Namespace) -> str:
    parts = [".venv/bin/python bench/month_cycle.py"]
    if args.full:
        parts.append("--full")
    elif args.cases != 2000:
        parts.append(f"--cases {args.cases}")
    if args.concurrency != 32:
        parts.append(f"--concurrency {args.concurrency}")
    if args.cache != 1000:
        parts.append(f"--cache {args.cache}")
    if args.sandbox != "default":
        parts.append(f"--sandbox {args.sandbox}")
    if args.stop_fraction:
        parts.append(f"--stop-fraction {args.stop_fraction:g}")
    if args.medical:
        parts.append("--medical")
    return " ".join(parts)


def _variant_title(args: argparse.Namespace) -> str:
    parts = []
    if args.stop_fraction:
        parts.append(f"{args.stop_fraction:.0%} of the cases stopped")
    if args.medical:
        parts.append("medical declaration")
    return f", {' and '.join(parts)}" if parts else ""


def section(args: argparse.Namespace) -> str:
    """The README section a run writes: one per variant, so each keeps its latest figures."""
    name = "month-cycle"
    if args.stop_fraction:
        name += "-stops"
    if args.medical:
        name += "-medical"
    return name


def cpu_ratio(cycle: Figures, base: Figures) -> float:
    """Activities per CPU second (every process of the stack), the cycle's over the floor's."""
    return (cycle.activities / sum(cycle.cpu.values())) / (base.activities / sum(base.cpu.values()))


def report(
    cycle: Figures,
    base: Figures,
    args: argparse.Namespace,
    when: datetime,
    machine: str,
    load: str,
) -> str:
    n = args.cases
    retries: list[str] = cycle.stats.get("retries", [])
    ratio = cycle.per_second / base.per_second
    ok_ratio = "met" if ratio >= TARGET_RATIO else "missed"
    ok_mem = "met" if cycle.peak_mib < TARGET_MIB else "missed"
    mem_note = "" if n >= 10_000 else f" (at {n:,} cases; the target is for 10,000)"
    lines = [
        f"### Latest run{_variant_title(args)} (written by bench/month_cycle.py)",
        "",
        f"- date: {when:%Y-%m-%d %H:%M} UTC",
        f"- machine: {machine}",
        f"- load average (1, 5, 15 min) at start and end: {load}",
        f"- command: `{_command(args)}`",
        f"- cases: {n:,} active (region 220100, month 2 running), client concurrency "
        f"{args.concurrency}; worker: {args.cache} cached workflows, sandbox {args.sandbox}",
        "",
        "| measurement | activities | seconds | activities/s | worker peak RSS |",
        "|---|--:|--:|--:|--:|",
        f"| month cycle | {cycle.activities:,} | {cycle.seconds:.1f} | {cycle.per_second:.1f} "
        f"| {cycle.peak_mib:.0f} MiB |",
        f"| empty workflows (floor) | {base.activities:,} | {base.seconds:.1f} "
        f"| {base.per_second:.1f} | {base.peak_mib:.0f} MiB |",
        "",
        f"**Ratio {ratio:.2f}×** the empty-workflow floor (target ≥ {TARGET_RATIO}×: {ok_ratio}); "
        f"worker peak {cycle.peak_mib:.0f} MiB (target < 1.5 GiB: {ok_mem}{mem_note}).",
        "",
        f"CPU ratio {cpu_ratio(cycle, base):.2f}× (activities per CPU second of all the stack's"
        " processes, the cycle's over the floor's: what the work costs; other load on the"
        " machine moves it less than the ratio above, but it moves it too).",
        "",
        f"Check-ins answered 5xx or not at all and made again: {len(retries)}"
        + (f" (first: `{retries[0]}`)." if retries else ".")
        + " Workflow tasks failed by the SDK's 2 s deadlock detector (a loaded machine) and"
        + f" retried: {cycle.stats.get('deadlocks', 0)}.",
    ]
    for note in cycle.stats.get("notes", []):
        lines += ["", f"Variant: {note}."]
    lines += [
        "",
        "| phase of the cycle | seconds | share |",
        "|---|--:|--:|",
    ]
    for name, secs in cycle.phases.items():
        lines.append(f"| {name} | {secs:.1f} | {secs / cycle.seconds:.0%} |")
    lines += [
        "",
        "| CPU seconds | month cycle | per case | empty workflows |",
        "|---|--:|--:|--:|",
    ]
    for name in cycle.cpu:
        kind = "worker" if name.startswith("worker") else name
        c, b = cycle.cpu[name], base.cpu.get(name.replace("claims", "empty"), float("nan"))
        lines.append(f"| {kind} | {c:.1f} | {c / n * 1000:.0f} ms | {b:.1f} |")
    counts: dict[str, int] = cycle.stats.get("counts", {})
    seconds: dict[str, float] = cycle.stats.get("seconds", {})
    failed: dict[str, int] = cycle.stats.get("failed", {})
    lines += [
        "",
        "| activity (cycle) | executions | per case | failed (retried) | mean ms incl. queueing |",
        "|---|--:|--:|--:|--:|",
    ]
    for name, count in sorted(counts.items(), key=lambda kv: -kv[1]):
        mean = seconds.get(name, 0.0) / count * 1000
        lines.append(
            f"| {name} | {count:,} | {count / n:.2f} | {failed.get(name, 0)} | {mean:.0f} |"
        )
    return "\n".join(lines)
