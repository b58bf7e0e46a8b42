"""Vault inventories, as Glacier keeps them (docs/inventory.md), under the default
`--inventory daily`.

Sources (Amazon Glacier Developer Guide):
- Downloading a Vault Inventory: "After you upload your first archive to your vault, Glacier
  automatically creates a vault inventory and then updates it approximately once a day";
  "If there have been no archive additions or deletions to the vault since the last inventory,
  the inventory date is not updated. When you initiate a job for a vault inventory, Glacier
  returns the last inventory it generated, which is a point-in-time snapshot and not
  real-time data."
- Describe Vault (GET vault): "The NumberOfArchives, SizeInBytes, and LastInventoryDate values
  are as of the last inventory"; "if you add or remove an archive from a vault, and then
  immediately use Describe Vault, the change in contents will not be immediately reflected."
- Deleting a Vault: "You can delete a vault only if there are no archives in the vault as of
  the last inventory and there have been no writes to the vault since the last inventory."
  AWS's message: "Vault not empty or recently written to: ...".
- Working with Vaults: "A vault inventory must exist for you to be able to download it."

Each rule is shown with POST /_mock/inventory (the inventory taken now) or with the server's
clock moved past 00:00 UTC (the daily schedule).
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import time
from pathlib import Path

import requests

from helpers import (
    HTTP_TIMEOUT, assert_verify_ok, clean_env, describe, expect_error, inventory_job, inventory_state, iso_to_datetime,
    job_output, make_client, start_job, take_inventory, upload,
)


def counts(client, vault):
    d = client.describe_vault(accountId="-", vaultName=vault)
    return d["NumberOfArchives"], d["SizeInBytes"], d.get("LastInventoryDate")


def listed(client, vault, **params):
    job = inventory_job(client, vault, **params)
    _, body = job_output(client, vault, job)
    return json.loads(body)


def archive_ids(client, vault):
    return [a["ArchiveId"] for a in listed(client, vault)["ArchiveList"]]


def not_deletable(client, vault):
    with expect_error("InvalidParameterValueException", 400) as ei:
        client.delete_vault(accountId="-", vaultName=vault)
    assert ei.value.response["Error"]["Message"].startswith("Vault not empty or recently written to: ")


def listed_vault(client, vault):
    pages = client.get_paginator("list_vaults").paginate(accountId="-")
    return next(v for page in pages for v in page["VaultList"] if v["VaultName"] == vault)


def advance(endpoint, seconds):
    r = requests.post(endpoint + "/_mock/clock", json={"AdvanceSeconds": seconds}, timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, r.text
    return r.json()


def seconds_to_next_midnight(endpoint):
    now = iso_to_datetime(requests.get(endpoint + "/_mock/clock", timeout=HTTP_TIMEOUT).json()["Now"])
    return 86_400 - (now.hour * 3600 + now.minute * 60 + now.second)


def test_an_uploaded_archive_is_counted_and_listed_only_after_an_inventory(glacier, endpoint, vault):
    a = upload(glacier, vault, b"first archive", description="one")["archiveId"]
    # Not counted, no inventory yet, nothing to download, not deletable.
    assert counts(glacier, vault) == (0, 0, None)
    assert listed_vault(glacier, vault)["NumberOfArchives"] == 0
    with expect_error("ResourceNotFoundException", 404) as ei:
        inventory_job(glacier, vault)
    assert "Inventory not found for vault" in ei.value.response["Error"]["Message"]
    not_deletable(glacier, vault)

    [state] = take_inventory(endpoint, vault)
    assert state["Taken"] is True and state["NumberOfArchives"] == 1 and state["SizeInBytes"] == 13

    n, size, date = counts(glacier, vault)
    assert (n, size) == (1, 13) and date is not None
    assert listed_vault(glacier, vault)["NumberOfArchives"] == 1
    doc = listed(glacier, vault)
    assert [x["ArchiveId"] for x in doc["ArchiveList"]] == [a]
    assert doc["ArchiveList"][0]["ArchiveDescription"] == "one"
    # The job returns that inventory: its InventoryDate is the vault's LastInventoryDate.
    assert doc["InventoryDate"] == date
    # Still not deletable: it holds an archive as of the last inventory.
    not_deletable(glacier, vault)

    # A second archive: the inventory stays as it was until the next one.
    b = upload(glacier, vault, b"second")["archiveId"]
    assert counts(glacier, vault) == (1, 13, date)
    assert archive_ids(glacier, vault) == [a]
    take_inventory(endpoint, vault)
    assert counts(glacier, vault)[:2] == (2, 19)
    assert archive_ids(glacier, vault) == [a, b]


def test_a_deleted_archive_stays_counted_until_the_next_inventory_and_only_then_the_vault_can_go(glacier, endpoint, vault):
    a = upload(glacier, vault, b"x" * 100)["archiveId"]
    take_inventory(endpoint, vault)
    first = counts(glacier, vault)
    glacier.delete_archive(accountId="-", vaultName=vault, archiveId=a)
    # Deleted, yet still counted and listed: the inventory predates the deletion.
    assert counts(glacier, vault) == first
    assert archive_ids(glacier, vault) == [a]
    not_deletable(glacier, vault)
    [state] = inventory_state(endpoint, vault)
    assert (state["NumberOfArchives"], state["LiveNumberOfArchives"], state["WritesSinceInventory"]) == (1, 0, 1)

    take_inventory(endpoint, vault)
    n, size, date = counts(glacier, vault)
    assert (n, size) == (0, 0) and iso_to_datetime(date) > iso_to_datetime(first[2])
    assert archive_ids(glacier, vault) == []
    glacier.delete_vault(accountId="-", vaultName=vault)
    with expect_error("ResourceNotFoundException", 404):
        glacier.describe_vault(accountId="-", vaultName=vault)


def test_a_vault_never_written_to_can_be_deleted_at_once_and_has_no_inventory(glacier, endpoint, vault):
    [state] = take_inventory(endpoint, vault)
    # No archive was ever added: Glacier creates no inventory, and the call takes none.
    assert state["Taken"] is False and state["LastInventoryDate"] is None
    with expect_error("ResourceNotFoundException", 404):
        inventory_job(glacier, vault)
    assert counts(glacier, vault) == (0, 0, None)
    glacier.delete_vault(accountId="-", vaultName=vault)


def test_an_archive_added_and_deleted_before_any_inventory_still_blocks_deletion_until_one(glacier, endpoint, vault):
    a = upload(glacier, vault, b"short-lived")["archiveId"]
    glacier.delete_archive(accountId="-", vaultName=vault, archiveId=a)
    not_deletable(glacier, vault)   # written to since the last inventory (there is none)
    [state] = take_inventory(endpoint, vault)
    assert state["Taken"] is True and state["NumberOfArchives"] == 0
    assert listed(glacier, vault)["ArchiveList"] == []
    glacier.delete_vault(accountId="-", vaultName=vault)


def test_an_inventory_with_no_write_since_keeps_its_date(glacier, endpoint, vault):
    upload(glacier, vault, b"data")
    [first] = take_inventory(endpoint, vault)
    time.sleep(0.01)
    [again] = take_inventory(endpoint, vault)
    assert again["Taken"] is False
    assert again["LastInventoryDate"] == first["LastInventoryDate"]


def test_the_daily_schedule_takes_inventories_when_the_clock_passes_midnight(fresh_server):
    srv = fresh_server()
    client = make_client(srv.endpoint)
    client.create_vault(accountId="-", vaultName="daily")
    client.create_vault(accountId="-", vaultName="quiet")
    upload(client, "daily", b"abc")
    # Before midnight nothing changes, however close to it.
    to_midnight = seconds_to_next_midnight(srv.endpoint)
    if to_midnight > 2:
        advance(srv.endpoint, to_midnight - 2)
        assert counts(client, "daily") == (0, 0, None)
    advance(srv.endpoint, 3)   # now past 00:00 UTC: the day's inventories are taken
    n, size, date = counts(client, "daily")
    assert (n, size) == (1, 3)
    assert (iso_to_datetime(date).hour, iso_to_datetime(date).minute) == (0, 0)
    # The vault never written to got none.
    assert counts(client, "quiet") == (0, 0, None)
    # A day with no writes: the inventory date stays.
    advance(srv.endpoint, 86_400)
    assert counts(client, "daily") == (1, 3, date)
    # A day after a write: a new inventory.
    upload(client, "daily", b"defg")
    advance(srv.endpoint, 86_400)
    n, size, later = counts(client, "daily")
    assert (n, size) == (2, 7) and iso_to_datetime(later) > iso_to_datetime(date)


def test_inventories_of_every_vault_of_every_account(glacier, endpoint, vault_name):
    other = make_client(endpoint, access_key="210987654321")
    mine, theirs = vault_name(), vault_name()
    glacier.create_vault(accountId="-", vaultName=mine)
    other.create_vault(accountId="-", vaultName=theirs)
    upload(glacier, mine, b"m")
    upload(other, theirs, b"tt")
    states = take_inventory(endpoint)   # no body: every vault of every account
    by_name = {s["VaultName"]: s for s in states}
    assert by_name[mine]["Taken"] and by_name[mine]["NumberOfArchives"] == 1
    assert by_name[theirs]["Taken"] and by_name[theirs]["AccountId"] == "210987654321"
    assert by_name[theirs]["SizeInBytes"] == 2
    assert counts(other, theirs)[:2] == (1, 2)
    [shown] = inventory_state(endpoint, theirs)
    assert shown["VaultARN"] == f"arn:aws:glacier:us-east-1:210987654321:vaults/{theirs}"
    assert shown["LastInventoryDate"] == by_name[theirs]["LastInventoryDate"]


def test_inventory_admin_endpoints_refuse_bad_input(endpoint):
    r = requests.post(endpoint + "/_mock/inventory", json={"VaultName": "no-such-vault-anywhere"}, timeout=HTTP_TIMEOUT)
    assert r.status_code == 404 and r.json()["code"] == "ResourceNotFoundException"
    r = requests.post(endpoint + "/_mock/inventory", json={"Vault": "x"}, timeout=HTTP_TIMEOUT)
    assert r.status_code == 400 and "only member is VaultName" in r.json()["message"]
    r = requests.post(endpoint + "/_mock/inventory", json={"VaultName": "bad name!"}, timeout=HTTP_TIMEOUT)
    assert r.status_code == 400 and r.json()["code"] == "InvalidParameterValueException"
    r = requests.get(endpoint + "/_mock/inventory", params={"vaults": "x"}, timeout=HTTP_TIMEOUT)
    assert r.status_code == 400 and "only parameter is vault" in r.json()["message"]


def test_an_inventory_job_pages_and_filters_the_snapshot_not_the_live_archives(glacier, endpoint, vault):
    ids = [upload(glacier, vault, f"archive {i}".encode())["archiveId"] for i in range(5)]
    take_inventory(endpoint, vault)
    glacier.delete_archive(accountId="-", vaultName=vault, archiveId=ids[1])   # still in the snapshot
    late = upload(glacier, vault, b"after the inventory")["archiveId"]           # not in it
    pages, marker = [], None
    while True:
        params = {"Limit": "2"} | ({"Marker": marker} if marker else {})
        job = inventory_job(glacier, vault, InventoryRetrievalParameters=params)
        _, body = job_output(glacier, vault, job)
        pages.append([a["ArchiveId"] for a in json.loads(body)["ArchiveList"]])
        marker = describe(glacier, vault, job)["InventoryRetrievalParameters"].get("Marker")
        if not marker:
            break
    assert pages == [ids[0:2], ids[2:4], ids[4:5]]
    assert late not in sum(pages, [])
    # CSV: the same snapshot.
    job = inventory_job(glacier, vault, Format="CSV")
    _, body = job_output(glacier, vault, job)
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    assert [r["ArchiveId"] for r in rows] == ids
    # A date range that ends before every archive's creation lists none of them.
    job = inventory_job(glacier, vault, InventoryRetrievalParameters={"EndDate": "2000-01-01T00:00:00Z"})
    _, body = job_output(glacier, vault, job)
    assert json.loads(body)["ArchiveList"] == []


def test_inventories_survive_a_restart_and_reset_clears_them(fresh_server):
    srv = fresh_server()
    client = make_client(srv.endpoint)
    client.create_vault(accountId="-", vaultName="kept")
    a = upload(client, "kept", b"kept bytes")["archiveId"]
    take_inventory(srv.endpoint, "kept")
    client.delete_archive(accountId="-", vaultName="kept", archiveId=a)
    before = counts(client, "kept")
    srv.stop()
    assert_verify_ok(srv.data_dir)
    srv.start()
    client = make_client(srv.endpoint)
    assert counts(client, "kept") == before
    assert archive_ids(client, "kept") == [a]
    r = requests.post(srv.endpoint + "/_mock/reset", timeout=HTTP_TIMEOUT)
    assert r.status_code == 200
    r = requests.get(srv.endpoint + "/_mock/inventory", timeout=HTTP_TIMEOUT)
    assert r.json() == {"Inventories": []}


def test_no_longer_supported_exception_can_be_injected(glacier, endpoint, vault):
    r = requests.post(endpoint + "/_mock/faults", json={"Operation": "DescribeVault", "Code": "NoLongerSupportedException",
                                                        "VaultName": vault}, timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, r.text
    with expect_error("NoLongerSupportedException", 400) as ei:
        glacier.describe_vault(accountId="-", vaultName=vault)
    # botocore's model knows the shape: the client raises its modeled exception class.
    assert isinstance(ei.value, glacier.exceptions.NoLongerSupportedException)
    assert glacier.describe_vault(accountId="-", vaultName=vault)["VaultName"] == vault


def test_live_mode_counts_archives_at_once(fresh_server):
    """`--inventory live`: the behaviour before snapshots, for suites that want it."""
    srv = fresh_server(args=("--inventory", "live"))
    client = make_client(srv.endpoint)
    client.create_vault(accountId="-", vaultName="now")
    a = upload(client, "now", b"live")["archiveId"]
    assert counts(client, "now")[:2] == (1, 4)
    assert archive_ids(client, "now") == [a]
    client.delete_archive(accountId="-", vaultName="now", archiveId=a)
    assert counts(client, "now")[:2] == (0, 0)
    client.delete_vault(accountId="-", vaultName="now")


def test_the_inventory_mode_option_is_checked(glacier_bin):
    p = subprocess.run([str(glacier_bin), "serve", "--port", "0"], capture_output=True, text=True, timeout=60,
                       env=clean_env({"GLACIER_MOCK_INVENTORY": "weekly"}))
    assert p.returncode != 0
    assert "--inventory must be daily or live; got weekly" in p.stderr


DOC = Path(__file__).resolve().parents[2] / "docs" / "inventory.md"


def test_the_commands_of_docs_inventory_md_run_as_written(fresh_server):
    """Every command docs/inventory.md shows, run as written (only the port changed), against a
    server with the page's vault; each answer is the documented JSON shape."""
    srv = fresh_server()
    client = make_client(srv.endpoint)
    client.create_vault(accountId="-", vaultName="my-vault")
    upload(client, "my-vault", b"backup bytes")
    text = DOC.read_text()
    blocks = re.findall(r"```sh\n(.*?)```", text, re.S)
    commands = [line.split("  #")[0].strip() for block in blocks for line in block.splitlines() if line.strip()]
    assert len(commands) == 3, commands
    documented = json.loads(re.search(r"```json\n(.*?)```", text, re.S).group(1))
    keys = set(documented["Inventories"][0])
    port = srv.endpoint.rsplit(":", 1)[1]
    answers = []
    for command in commands:
        assert command.startswith("curl -s ") and "127.0.0.1:9901" in command, command
        p = subprocess.run(command.replace("127.0.0.1:9901", f"127.0.0.1:{port}"), shell=True,
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, (command, p.stderr)
        answers.append(json.loads(p.stdout))
    every, named, shown = answers
    assert every["status"] == "ok" and [set(i) for i in every["Inventories"]] == [keys]
    assert every["Inventories"][0]["Taken"] is True and every["Inventories"][0]["NumberOfArchives"] == 1
    assert named["Inventories"][0]["Taken"] is False   # no write since the first command's inventory
    assert [set(i) for i in shown["Inventories"]] == [keys - {"Taken"}]
    assert shown["Inventories"][0]["LastInventoryDate"] == every["Inventories"][0]["LastInventoryDate"]
