#!/usr/bin/python3
"""Peer agreement for measured-boot event logs.

For every TCG PC Client log of the peer set (eventlog/ga-*, gtt-*, t2t-* and
the logs in tpm-quote/), `confnode inspect --type eventlog` must agree with
the real `tpm2_eventlog` (run here) on the events (count, PCR, type, digest
per bank, data size) and on the replayed PCRs, and with the PCR values of the
*.pcrs.json sidecars (and the quoted PCRs of tpm-quote/*.json). For every CC
event log, `confnode inspect --type ccel` must replay to the RTMRs of the
*.rtmr.json sidecars and match the events of Trustee's *-out.json parse.

Usage: eventlog-peers.py [--confnode PATH] [--peer-data DIR]
(defaults: $CONFNODE and $PEER_DATA). Prints one line per log and exits 1 on
any disagreement.
"""

import argparse
import base64
import glob
import hashlib
import json
import os
import re
import subprocess
import sys

TOOL = "tpm2_eventlog"
BANK_SIZES = {"sha1": 20, "sha256": 32, "sha384": 48, "sha512": 64, "sm3_256": 32}
TRUSTEE_ALGS = {"SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512", "SM3": "sm3_256"}
EV_NO_ACTION = 3


class Disagreement(Exception):
    pass


def inspect(confnode, kind, path):
    p = subprocess.run([confnode, "inspect", "--type", kind, path], capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        raise Disagreement(f"confnode inspect --type {kind} failed (exit {p.returncode}): {p.stderr.strip()}")
    return json.loads(p.stdout)


def parse_tool_output(text):
    """Reads tpm2_eventlog's YAML line by line. Its output for legacy SHA-1
    logs is not a YAML list (every event repeats the same mapping keys), so a
    YAML loader would keep only the last event; the top-level event fields
    are always at an indent of two spaces, nested event details deeper."""
    events, pcrs = [], {}
    section, bank, ev, alg = None, None, None, None
    for line in text.splitlines():
        if line in ("---",) or line.startswith("version:"):
            continue
        if line == "events:":
            section = "events"
            continue
        if line == "pcrs:":
            section = "pcrs"
            continue
        if section == "events":
            m = re.match(r"^  PCRIndex: (\d+)$", line)
            if m:
                ev = {"pcr": int(m.group(1)), "type": None, "digests": {}, "size": None}
                events.append(ev)
                alg = None
                continue
            if ev is None:
                continue
            m = re.match(r"^  EventType: (\S+)$", line)
            if m:
                ev["type"] = m.group(1)
                continue
            m = re.match(r"^  EventSize: (\d+)$", line)
            if m:
                ev["size"] = int(m.group(1))
                continue
            m = re.match(r'^  Digest: "([0-9a-f]*)"$', line)  # the SHA-1 format header event
            if m:
                ev["digests"]["sha1"] = m.group(1)
                continue
            m = re.match(r"^  - AlgorithmId: (\S+)$", line)
            if m:
                alg = m.group(1)
                continue
            m = re.match(r'^    Digest: "([0-9a-f]*)"$', line)
            if m and alg is not None:
                ev["digests"][alg] = m.group(1)
                alg = None
                continue
        elif section == "pcrs":
            m = re.match(r"^  (\w+):$", line)
            if m:
                bank = m.group(1)
                pcrs[bank] = {}
                continue
            m = re.match(r"^    (\d+)\s*: 0x([0-9a-fA-F]+)$", line)
            if m and bank is not None:
                pcrs[bank][int(m.group(1))] = m.group(2).lower()
    return events, pcrs


def run_tool(path):
    p = subprocess.run([TOOL, path], capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        first = (p.stderr.strip().splitlines() or ["no message"])[0]
        return None, f"{TOOL} failed (exit {p.returncode}: {first})"
    return parse_tool_output(p.stdout), None


def reset_value(bank, pcr, locality):
    """A PCR's value before its first extend: all ones for the dynamic-launch
    PCRs 17-22, the startup locality in the last byte of PCR 0, else zero."""
    size = BANK_SIZES[bank]
    if 17 <= pcr <= 22:
        return "ff" * size
    if pcr == 0 and locality:
        return "00" * (size - 1) + f"{locality:02x}"
    return "00" * size


def compare_tool(ours, tool_events, tool_pcrs, problems):
    events = ours["events"]
    if len(events) != len(tool_events):
        problems.append(f"{len(events)} events, {TOOL} has {len(tool_events)}")
        return
    for i, (a, b) in enumerate(zip(events, tool_events)):
        where = f"event {i} (offset {a['offset']})"
        if a["pcr"] != b["pcr"]:
            problems.append(f"{where}: PCR {a['pcr']}, {TOOL} says {b['pcr']}")
        if b["type"] and b["type"].startswith("EV_") and a["type_name"] != b["type"]:
            problems.append(f"{where}: type {a['type_name']}, {TOOL} says {b['type']}")
        if a["digests"] != b["digests"]:
            problems.append(f"{where}: digests {a['digests']}, {TOOL} says {b['digests']}")
        size = len(a["data"]) // 2
        # The Spec ID event may carry vendor info behind its eventDataSize
        # (see eventlog.c); tpm2_eventlog then prints the smaller size.
        if b["size"] is not None and size != b["size"] and not (i == 0 and size > b["size"]):
            problems.append(f"{where}: {size} data bytes, {TOOL} says {b['size']}")

    locality = ours.get("startup_locality", 0)
    deviations = []
    for bank, values in tool_pcrs.items():
        mine = ours["pcrs"].get(bank, {})
        for pcr, value in values.items():
            if str(pcr) in mine:
                if mine[str(pcr)] == value:
                    continue
                if ours["format"] == "crypto-agile" and value == replay_like_tpm2_tools_5_4(ours, bank, pcr):
                    deviations.append(f"{bank}:{pcr}")
                else:
                    problems.append(f"{bank} PCR {pcr}: replayed {mine[str(pcr)]}, {TOOL} says {value}")
                continue
            # tpm2_eventlog lists a PCR as soon as any event names it, an
            # EV_NO_ACTION one included; such a PCR keeps its reset value.
            only_no_action = all(e["type"] == EV_NO_ACTION for e in events if e["pcr"] == pcr)
            if only_no_action and value == reset_value(bank, pcr, locality):
                continue
            if (only_no_action and ours["format"] == "crypto-agile"
                    and value == replay_like_tpm2_tools_5_4(ours, bank, pcr)):
                deviations.append(f"{bank}:{pcr}")
                continue
            problems.append(f"{bank} PCR {pcr}: not replayed by confnode, {TOOL} says {value}")
    for bank, values in ours["pcrs"].items():
        for pcr in values:
            if bank in BANK_SIZES and int(pcr) not in tool_pcrs.get(bank, {}):
                problems.append(f"{bank} PCR {pcr}: replayed by confnode, not by {TOOL}")
    return deviations


def replay_like_tpm2_tools_5_4(ours, bank, pcr):
    """tpm2-tools before 5.6 extends EV_NO_ACTION events of crypto-agile
    logs into their PCR and ignores the StartupLocality event (tpm2-tools
    issue #3224, fixed by pull requests #3230 and #3242). Replaying our events
    by that rule must give exactly what the installed tool printed; then the
    difference is the tool's, and the sidecars decide the value."""
    value = bytes(BANK_SIZES[bank])
    for e in ours["events"][1:]:
        if e["pcr"] == pcr and bank in e["digests"]:
            value = hashlib.new(bank.replace("_256", ""), value + bytes.fromhex(e["digests"][bank])).digest()
    return value.hex()


def compare_expected(ours, expected, what, problems):
    """Compares expected PCRs (bank -> index -> hex). A PCR the log extends
    must match; one it does not extend must hold its reset value, unless the
    source is a TPM's full PCR set with registers the boot log never covers
    (IMA's PCR 10, say), which are counted and reported, not compared."""
    agree, total, outside = 0, 0, []
    locality = ours.get("startup_locality", 0)
    for bank, values in expected.items():
        mine = ours["pcrs"].get(bank)
        if mine is None:
            problems.append(f"{what}: confnode has no replay for bank {bank}")
            continue
        for pcr, value in values.items():
            value = value.lower().removeprefix("0x")
            if pcr in mine:
                total += 1
                if mine[pcr] == value:
                    agree += 1
                else:
                    problems.append(f"{what}: {bank} PCR {pcr}: replayed {mine[pcr]}, expected {value}")
            elif value == reset_value(bank, int(pcr), locality):
                agree += 1
                total += 1
            else:
                outside.append(f"{bank}:{pcr}")
    return agree, total, outside


def sidecars_for(peer, path):
    """The expected-PCR sources for a TCG log: its *.pcrs.json, and for a log
    saved with a TPM quote (tpm-quote/NAME-eventlog.bin) the quoted PCRs in
    tpm-quote/NAME.json."""
    found = []
    side = path[: -len(".bin")] + ".pcrs.json"
    if os.path.exists(side):
        with open(side) as f:
            found.append((os.path.relpath(side, peer), json.load(f)["expected_pcrs"]))
    if path.endswith("-eventlog.bin"):
        summary = path[: -len("-eventlog.bin")] + ".json"
        if os.path.exists(summary):
            with open(summary) as f:
                quotes = json.load(f).get("quotes", [])
            expected = {q["bank"]: q["pcrs"] for q in quotes if "bank" in q and "pcrs" in q}
            if expected:
                found.append((os.path.relpath(summary, peer) + " (quoted PCRs)", expected))
    return found


def check_tcg(confnode, peer, path):
    problems, notes = [], []
    ours = inspect(confnode, "eventlog", path)
    n_pcrs = sum(len(v) for v in ours["pcrs"].values())
    notes.append(f"{ours['format']}, {len(ours['events'])} events, banks {'+'.join(ours['banks'])}, "
                 f"{n_pcrs} PCRs replayed")

    parsed, failure = run_tool(path)
    deviations = []
    if parsed is None:
        notes.append(f"{failure}; compared with the sidecars only")
    else:
        before = len(problems)
        deviations = compare_tool(ours, parsed[0], parsed[1], problems)
        if len(problems) == before:
            n_tool = sum(len(v) for v in parsed[1].values())
            note = f"{TOOL}: {len(parsed[0])} events and {n_tool - len(deviations)} PCRs agree"
            if deviations:
                note += (f", {len(deviations)} differ by the tool's EV_NO_ACTION/locality bug "
                         f"(tpm2-tools #3224, reproduced exactly): {' '.join(deviations)}")
            notes.append(note)

    sources = sidecars_for(peer, path)
    for name, expected in sources:
        agree, total, outside = compare_expected(ours, expected, name, problems)
        note = f"{name}: {agree}/{total} PCRs agree"
        if outside:
            note += f" ({len(outside)} not covered by the log: {' '.join(outside)})"
        notes.append(note)
    if parsed is None and not sources:
        problems.append(f"{TOOL} failed and there is no sidecar to compare with")
    # Where the tool's known bug explains a difference, an independent source
    # must still hold our value of that PCR (or its reset value, for a PCR we
    # leave alone) in at least one bank: the events and the rule are the same
    # in every bank, and some sidecars carry only SHA-256.
    def confirmed(bank, pcr):
        want = ours["pcrs"].get(bank, {}).get(pcr) or reset_value(bank, int(pcr), ours.get("startup_locality", 0))
        return any(expected.get(bank, {}).get(pcr, "").lower().removeprefix("0x") == want
                   for _, expected in sources)

    for pcr in sorted({dev.split(":")[1] for dev in deviations}, key=int):
        if not any(confirmed(bank, pcr) for bank in ours["pcrs"]):
            problems.append(f"PCR {pcr}: {TOOL} differs and no sidecar confirms confnode's value in any bank")
    return problems, notes


def check_ccel(confnode, peer, path):
    problems, notes = [], []
    ours = inspect(confnode, "ccel", path)
    events = ours["events"]
    notes.append(f"{len(events)} events, banks {'+'.join(ours['banks'])}")
    stem = path[: -len(".bin")]
    compared = False

    if os.path.exists(stem + ".rtmr.json"):
        with open(stem + ".rtmr.json") as f:
            expected = json.load(f)["expected_rtmr"]
        agree = 0
        for key, value in sorted(expected.items()):
            if ours.get(key) == value.lower():
                agree += 1
            else:
                problems.append(f"{key}: replayed {ours.get(key)}, expected {value}")
        notes.append(f"{os.path.basename(stem)}.rtmr.json: {agree}/{len(expected)} RTMRs agree")
        compared = True

    if os.path.exists(stem + "-out.json"):
        with open(stem + "-out.json") as f:
            theirs = json.load(f)["uefi_event_logs"]
        # Trustee lists the events after the Spec ID header.
        mine = events[1:]
        before = len(problems)
        if len(mine) != len(theirs):
            problems.append(f"{len(mine)} events after the header, trustee has {len(theirs)}")
        for i, (a, b) in enumerate(zip(mine, theirs)):
            where = f"event {i + 1} (offset {a['offset']})"
            if a["index"] != b["index"]:
                problems.append(f"{where}: index {a['index']}, trustee says {b['index']}")
            if a["type_name"] != b["type_name"]:
                problems.append(f"{where}: type {a['type_name']}, trustee says {b['type_name']}")
            digests = {TRUSTEE_ALGS.get(d["alg"], d["alg"]): d["digest"].lower() for d in b["digests"]}
            if a["digests"] != digests:
                problems.append(f"{where}: digests {a['digests']}, trustee says {digests}")
            if a["data"] != base64.b64decode(b["event"]).hex():
                problems.append(f"{where}: event data differs from trustee's")
        verdict = "agree" if len(problems) == before else "compared, some differ"
        notes.append(f"{os.path.basename(stem)}-out.json: {len(theirs)} events (index, type, digests, data) {verdict}")
        compared = True

    if not compared:
        notes.append("no sidecar; parsed only")
    return problems, notes


def looks_like_log(path):
    """A CC event log starts with the SHA-1 format header event, whose type is
    EV_NO_ACTION; the other *ccel*.bin files (nonce, ACPI table) do not."""
    with open(path, "rb") as f:
        head = f.read(8)
    return len(head) == 8 and head[4:8] == b"\x03\x00\x00\x00"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--confnode", default=os.environ.get("CONFNODE"))
    ap.add_argument("--peer-data", default=os.environ.get("PEER_DATA"))
    args = ap.parse_args()
    if not args.confnode or not args.peer_data:
        ap.error("need --confnode and --peer-data (or $CONFNODE and $PEER_DATA)")
    peer = os.path.abspath(args.peer_data)

    tcg = []
    for pattern in ("eventlog/ga-*.bin", "eventlog/gtt-*.bin", "eventlog/t2t-*.bin", "tpm-quote/*eventlog*.bin"):
        tcg += sorted(glob.glob(os.path.join(peer, pattern)))
    ccel = sorted(p for d in ("eventlog", "tdx") for p in glob.glob(os.path.join(peer, d, "*ccel*.bin"))
                  if looks_like_log(p))

    failed = 0
    for kind, paths, check in (("tcg", tcg, check_tcg), ("ccel", ccel, check_ccel)):
        for path in paths:
            name = os.path.relpath(path, peer)
            try:
                problems, notes = check(args.confnode, peer, path)
            except (Disagreement, subprocess.TimeoutExpired, json.JSONDecodeError, KeyError) as e:
                problems, notes = [f"{type(e).__name__}: {e}"], []
            if problems:
                failed += 1
                print(f"FAIL {kind} {name}: " + "; ".join(notes))
                for p in problems[:20]:
                    print(f"     {p}")
                if len(problems) > 20:
                    print(f"     ... and {len(problems) - 20} more")
            else:
                print(f"ok   {kind} {name}: " + "; ".join(notes))

    total = len(tcg) + len(ccel)
    print(f"{total - failed}/{total} logs agree ({len(tcg)} TCG, {len(ccel)} CCEL)")
    if total == 0:
        print(f"no event logs found under {peer}")
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
