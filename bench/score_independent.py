"""Score `baocao parse --json` against the hand-written independent corpus.

Usage: .venv/bin/python bench/score_independent.py [--json OUT.json] [--md OUT.md] [FILES...]
Runs `.venv/bin/baocao parse --json FILE` from the repository root for each corpus document
(tests/fixtures/independent/*, except *.expected.json and *.py) and compares field by field
with <name>.expected.json. Only the parser's printed JSON is used.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import unicodedata
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "fixtures" / "independent"
BIN = ROOT / ".venv" / "bin" / "baocao"
NONE_FLAGS = ("explicit_none", "none", "is_none", "nil", "declared_none")
FIELDS = ["agency", "kind", "doc_number", "doc_date", "section_answered", "section_contains", "section_not_contains",
          "section_explicit_none", "section_none_text_kept", "closing", "indicator_plan", "indicator_result",
          "indicator_rate", "indicator_explicit_none", "indicator_spurious", "doubts"]


def norm(s):
    return " ".join(unicodedata.normalize("NFC", s or "").lower().split())


def parse(path: Path):
    p = subprocess.run([str(BIN), "parse", "--json", str(path.relative_to(ROOT))], cwd=ROOT,
                       capture_output=True, text=True, timeout=300)
    try:
        out = json.loads(p.stdout)
    except json.JSONDecodeError:
        return {"error": f"no JSON (rc={p.returncode}): {p.stderr.strip()[-300:]}"}
    return out[0] if isinstance(out, list) and out else (out or {})


def num_eq(a, b):
    if a is None or b is None:
        return a is None and b is None
    try:
        return abs(float(a) - float(b)) <= 0.05
    except (TypeError, ValueError):
        return False


def score_doc(name, exp, got, tally, mism):
    def rec(field, ok, expected, actual):
        tally[field][0] += bool(ok)
        tally[field][1] += 1
        if not ok:
            mism.append({"file": name, "field": field, "expected": expected, "got": actual})

    if got.get("error"):
        mism.append({"file": name, "field": "error", "expected": None, "got": got["error"]})
    ag = got.get("agency")
    ag_id = ag.get("id") if isinstance(ag, dict) else ag
    rec("agency", ag_id == exp["agency"], exp["agency"], ag_id)
    rec("kind", got.get("kind") == exp["kind"], exp["kind"], got.get("kind"))
    rec("doc_number", norm(got.get("doc_number")) == norm(exp["doc_number"]), exp["doc_number"], got.get("doc_number"))
    rec("doc_date", got.get("doc_date") == exp["doc_date"], exp["doc_date"], got.get("doc_date"))

    secs = got.get("sections") or {}
    for sid, e in exp.get("sections", {}).items():
        g = secs.get(sid) or {}
        text = g.get("text") or ""
        answered = bool(text.strip()) and not g.get("empty", False)
        rec("section_answered", answered == e["answered"], f"{sid} answered={e['answered']}",
            f"{sid} answered={answered}: {text[:70]!r}")
        for ph in e.get("contains", []):
            rec("section_contains", norm(ph) in norm(text), f"{sid} contains {ph!r}", text[:90])
        if e["answered"]:
            for ph in e.get("not_contains", []):
                rec("section_not_contains", norm(ph) not in norm(text), f"{sid} lacks {ph!r}", text[:90])
        if e.get("explicit_none"):
            flag = any(g.get(k) for k in NONE_FLAGS)
            rec("section_explicit_none", flag, f"{sid} flagged explicit none", {k: g.get(k) for k in g if k != "text"})
            rec("section_none_text_kept", answered, f"{sid} 'Không…' answer kept", text[:60])

    extra = norm(got.get("extra_text") or "")
    closing_got = got.get("closing") or {}
    for part, phrases in exp.get("closing", {}).items():
        where = norm(json.dumps(closing_got.get(part, ""), ensure_ascii=False)) if closing_got else extra
        for ph in phrases:
            rec("closing", norm(ph) in where, f"{part}: {ph!r}", "(not in output)" if norm(ph) not in where else "")

    inds = got.get("indicators") or {}
    for rid, e in exp.get("indicators", {}).items():
        g = inds.get(rid) or {}
        if e.get("explicit_none"):
            ok = all(g.get(k) in (None, 0) for k in ("plan", "result"))
            rec("indicator_plan", ok, f"row {rid} none", {k: g.get(k) for k in ("plan", "result")})
            flag = any(g.get(k) for k in NONE_FLAGS)
            rec("indicator_explicit_none", flag, f"row {rid} flagged explicit none", g.get("raw"))
            continue
        for k in ("plan", "result", "rate"):
            if k in e:
                rec(f"indicator_{k}", num_eq(g.get(k), e[k]), f"row {rid} {k}={e[k]}", f"{g.get(k)} raw={g.get('raw', {}).get(k)!r}")
    for rid, g in inds.items():
        if rid not in exp.get("indicators", {}) and any(g.get(k) not in (None,) for k in ("plan", "result", "rate")):
            rec("indicator_spurious", False, f"row {rid} absent", {k: g.get(k) for k in ("plan", "result", "rate")})
        elif rid not in exp.get("indicators", {}):
            rec("indicator_spurious", True, "", "")
    if exp.get("doubts"):
        probs = got.get("problems") or []
        rec("doubts", bool(probs), "; ".join(exp["doubts"]), [p.get("code") for p in probs] if probs else "no problems")


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--json", dest="json_out")
    ap.add_argument("--md", dest="md_out")
    ap.add_argument("files", nargs="*")
    a = ap.parse_args(argv)
    files = [Path(f).resolve() for f in a.files] or sorted(
        p for p in CORPUS.iterdir() if p.is_file() and not p.name.endswith((".json", ".py", ".md")))
    tally = defaultdict(lambda: [0, 0])
    mism, per_doc = [], {}
    for f in files:
        exp = json.loads((f.parent / f"{f.name}.expected.json").read_text(encoding="utf-8"))
        got = parse(f)
        before = len(mism)
        score_doc(f.name, exp, got, tally, mism)
        per_doc[f.name] = {"mismatches": len(mism) - before, "kind": exp["kind"]}
    lines = ["| field | correct | total | accuracy |", "|---|---:|---:|---:|"]
    for fld in FIELDS:
        ok, n = tally.get(fld, [0, 0])
        lines.append(f"| {fld} | {ok} | {n} | {(100.0 * ok / n if n else float('nan')):.1f}% |")
    tot_ok = sum(v[0] for v in tally.values())
    tot_n = sum(v[1] for v in tally.values())
    lines.append(f"| **all checks** | {tot_ok} | {tot_n} | {100.0 * tot_ok / max(tot_n, 1):.1f}% |")
    table = "\n".join(lines)
    mlines = [f"- `{m['file']}` **{m['field']}**: expected {json.dumps(m['expected'], ensure_ascii=False)} — got {json.dumps(m['got'], ensure_ascii=False)}" for m in mism]
    print(  # noqa: T201 — a command-line script
        f"{len(files)} documents\n")
    print(  # noqa: T201 — a command-line script
        table)
    print(  # noqa: T201 — a command-line script
        f"\n{len(mism)} mismatches:")
    print(  # noqa: T201 — a command-line script
        "\n".join(mlines))
    if a.json_out:
        Path(a.json_out).write_text(json.dumps({"documents": len(files), "fields": {k: {"correct": v[0], "total": v[1]} for k, v in tally.items()},
                                                "mismatches": mism, "per_document": per_doc}, ensure_ascii=False, indent=2), encoding="utf-8")
    if a.md_out:
        Path(a.md_out).write_text(f"# First try: baocao parse on the independent corpus\n\n{len(files)} documents.\n\n{table}\n\n## Mismatches ({len(mism)})\n\n" + "\n".join(mlines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
