"""The audit package carries the chain and its head, and the command in docs/ledger.md re-checks them offline."""

import json
import re
import subprocess
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from ledger.models import LedgerEntry, LedgerHead

pytestmark = pytest.mark.django_db


def documented_check() -> str:
    """The exact shell block between the markers in docs/ledger.md."""
    text = (Path(settings.BASE_DIR) / "docs" / "ledger.md").read_text()
    block = re.search(r"<!-- ledger-offline-check -->\n```sh\n(.*?)```\n<!-- /ledger-offline-check -->", text, re.S)
    return block.group(1)


def unpacked(tmp_path: Path) -> Path:
    out = tmp_path / "package.zip"
    call_command("export_audit_package", "--out", str(out))
    folder = tmp_path / "unzipped"
    zipfile.ZipFile(out).extractall(folder)
    return folder


def run_check(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["sh", "-c", documented_check()], cwd=folder, capture_output=True, text=True, timeout=60)


def test_the_package_carries_the_chain_and_the_documented_command_verifies_it(tmp_path, recorded):
    folder = unpacked(tmp_path)

    head = LedgerHead.objects.get()
    lines = (folder / "ledger" / "entries.jsonl").read_text().splitlines()
    assert [json.loads(line)["seq"] for line in lines] == list(LedgerEntry.objects.values_list("seq", flat=True))
    assert json.loads((folder / "ledger" / "head.json").read_text())["entry_hash"] == head.entry_hash
    manifest = json.loads((folder / "manifest.json").read_text())
    assert {"ledger/entries.jsonl", "ledger/head.json"} <= {f["path"] for f in manifest["files"]}

    result = run_check(folder)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"intact through entry {head.seq}, head {head.entry_hash}"


def test_the_documented_command_names_an_entry_changed_in_the_package(tmp_path, recorded):
    folder = unpacked(tmp_path)
    path = folder / "ledger" / "entries.jsonl"
    entries = [json.loads(line) for line in path.read_text().splitlines()]
    entries[2]["content_hash"] = "0" * 64
    path.write_text("".join(json.dumps(e) + "\n" for e in entries))

    result = run_check(folder)

    assert result.returncode == 1 and result.stderr.strip() == "broken at entry 3"
