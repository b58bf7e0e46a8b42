"""Seed documents (--seed, docs/seeds-and-snapshots.md): fixtures/seed-example.json seeds every
feature and each is read back through boto3; a bad seed stops start-up with the file, the JSON
path and the rule, and applies nothing; a data directory holding state is refused unless
--seed-mode says otherwise."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess

import pytest

from helpers import (
    FIXTURES, MIB, assert_verify_ok, clean_env, db_rows, describe, inventory, job_output, make_client,
    retrieve, tree_hash,
)
from state_helpers import generated, observe

EXAMPLE = FIXTURES / "seed-example.json"
REPORT = (FIXTURES / "seed-files" / "report.txt").read_bytes()
LAST_PART = (FIXTURES / "seed-files" / "part-0.bin").read_bytes()


def policy(text: str) -> dict:
    return json.loads(text)


def test_seed_example_seeds_every_feature(fresh_server):
    srv = fresh_server(args=("--seed", str(EXAMPLE)))
    seed = json.loads(EXAMPLE.read_text())
    us = seed["Accounts"][0]["Regions"][0]
    photos_spec = us["Vaults"][0]
    c = srv.client()

    vaults = {v["VaultName"]: v for v in c.list_vaults(accountId="-")["VaultList"]}
    assert sorted(vaults) == ["compliance", "photos", "staging"]
    photos = c.describe_vault(accountId="-", vaultName="photos")
    assert photos["CreationDate"] == "2024-01-15T09:30:00.000Z"
    assert photos["LastInventoryDate"] == "2024-06-01T00:00:00.000Z"
    assert photos["NumberOfArchives"] == 3
    assert photos["SizeInBytes"] == len(REPORT) + len("hello, glacier") + 3 * MIB
    assert vaults["staging"]["LastInventoryDate"] is not None  # "InventoryTaken": true
    assert vaults["compliance"].get("LastInventoryDate") is None

    # Tags, access policy, notifications.
    assert c.list_tags_for_vault(accountId="-", vaultName="photos")["Tags"] == {"team": "media", "cost-center": "42"}
    assert policy(c.get_vault_access_policy(accountId="-", vaultName="photos")["policy"]["Policy"]) == photos_spec["AccessPolicy"]
    n = c.get_vault_notifications(accountId="-", vaultName="photos")["vaultNotificationConfig"]
    assert n == photos_spec["Notifications"]

    # Vault locks: one Locked, one InProgress (expiring 24 h after the seed was applied).
    locked = c.get_vault_lock(accountId="-", vaultName="compliance")
    assert locked["State"] == "Locked" and locked.get("ExpirationDate") is None
    assert policy(locked["Policy"]) == us["Vaults"][1]["VaultLock"]["Policy"]
    pending = c.get_vault_lock(accountId="-", vaultName="staging")
    assert pending["State"] == "InProgress" and pending["ExpirationDate"]
    assert policy(pending["Policy"]) == json.loads(us["Vaults"][2]["VaultLock"]["Policy"])

    # Account settings.
    assert c.get_data_retrieval_policy(accountId="-")["Policy"] == {
        "Rules": [{"Strategy": "BytesPerHour", "BytesPerHour": 10737418240}]}
    assert len(c.list_provisioned_capacity(accountId="-")["ProvisionedCapacityList"]) == 1

    # Jobs: two completed, two pending; the pending range job completes an hour later.
    jobs = {j["JobDescription"]: j for j in c.list_jobs(accountId="-", vaultName="photos")["JobList"]}
    assert sorted(jobs) == ["done inventory", "done retrieval", "pending retrieval", "range, completes in an hour"]
    assert jobs["done retrieval"]["StatusCode"] == "Succeeded" and jobs["done retrieval"]["Tier"] == "Expedited"
    assert jobs["pending retrieval"]["StatusCode"] == "InProgress" and jobs["pending retrieval"]["Tier"] == "Bulk"
    ranged = jobs["range, completes in an hour"]
    assert ranged["StatusCode"] == "InProgress" and ranged["RetrievalByteRange"] == "1048576-2097151"
    _, out = job_output(c, "photos", jobs["done retrieval"]["JobId"])
    assert out == generated(3 * MIB, 7)
    _, listing = job_output(c, "photos", jobs["done inventory"]["JobId"])
    rows = list(csv.DictReader(io.StringIO(listing.decode())))
    assert sorted(r["ArchiveDescription"] for r in rows) == ["3 MiB generated", "inline text", "report.txt"]

    # Archives: descriptions, dates, sizes, hashes, and bytes through retrieval jobs.
    listed = {a["ArchiveDescription"]: a for a in inventory(c, "photos")}
    expected = {"report.txt": REPORT, "inline text": b"hello, glacier", "3 MiB generated": generated(3 * MIB, 7)}
    assert sorted(listed) == sorted(expected)
    assert listed["report.txt"]["CreationDate"].startswith("2024-02-01T12:00:00")
    assert listed["3 MiB generated"]["CreationDate"].startswith("2024-03-01T00:00:00")
    for description, data in expected.items():
        a = listed[description]
        assert a["Size"] == len(data) and a["SHA256TreeHash"] == tree_hash(data)
        assert retrieve(c, "photos", a["ArchiveId"]) == data
    ledger = inventory(c, "compliance")
    assert [retrieve(c, "compliance", a["ArchiveId"]) for a in ledger] == [b"ledger 2024"]

    # The locked vault's policy is enforced: a young archive cannot be deleted.
    with pytest.raises(Exception) as refused:
        c.delete_archive(accountId="-", vaultName="compliance", archiveId=ledger[0]["ArchiveId"])
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"

    # The in-progress multipart upload and the parts that arrived.
    [upload] = c.list_multipart_uploads(accountId="-", vaultName="photos")["UploadsList"]
    assert upload["PartSizeInBytes"] == 2 * MIB and upload["ArchiveDescription"] == "half-finished backup"
    assert upload["CreationDate"] == "2024-05-05T05:05:05.000Z"
    parts = c.list_parts(accountId="-", vaultName="photos", uploadId=upload["MultipartUploadId"])["Parts"]
    assert parts == [
        {"RangeInBytes": f"0-{2 * MIB - 1}", "SHA256TreeHash": tree_hash(generated(2 * MIB, 11))},
        {"RangeInBytes": f"{4 * MIB}-{4 * MIB + len(LAST_PART) - 1}", "SHA256TreeHash": tree_hash(LAST_PART)},
    ]

    # Another region and another account.
    eu = make_client(srv.endpoint, region="eu-west-1")
    assert [v["VaultName"] for v in eu.list_vaults(accountId="-")["VaultList"]] == ["photos"]
    assert eu.get_data_retrieval_policy(accountId="-")["Policy"] == {"Rules": [{"Strategy": "FreeTier"}]}
    [other] = inventory(eu, "photos")
    assert retrieve(eu, "photos", other["ArchiveId"]) == b"same vault name, another region"
    partner = make_client(srv.endpoint, access_key="210987654321")
    assert partner.list_tags_for_vault(accountId="-", vaultName="partner-drop")["Tags"] == {"owner": "partner"}

    # The pending range job completes when the clock passes its hour.
    assert describe(c, "photos", ranged["JobId"])["StatusCode"] == "InProgress"
    assert srv.client()  # still serving
    import requests
    requests.post(srv.endpoint + "/_mock/clock", json={"AdvanceSeconds": 3601}, timeout=30)
    assert describe(c, "photos", ranged["JobId"])["StatusCode"] == "Succeeded"
    assert describe(c, "photos", jobs["pending retrieval"]["JobId"])["StatusCode"] == "InProgress"
    _, piece = job_output(c, "photos", ranged["JobId"])
    assert piece == generated(3 * MIB, 7)[MIB:2 * MIB]
    srv.stop()
    assert_verify_ok(srv.data_dir)


def run_seeded(glacier_bin, data_dir, *args, env=None):
    """Starts the server with these arguments on data_dir and expects it to stop at once."""
    return subprocess.run([str(glacier_bin), "--port", "0", "--data-dir", str(data_dir), *args],
                          capture_output=True, text=True, timeout=60, env=clean_env(env))


def write(tmp_path, name, document) -> str:
    p = tmp_path / name
    p.write_text(json.dumps(document))
    return str(p)


def one_vault(**vault) -> dict:
    return {"Accounts": [{"AccountId": "123456789012", "Regions": [{"Region": "us-east-1", "Vaults": [{"VaultName": "v", **vault}]}]}]}


BAD_SEEDS = [
    # (vault members, the JSON path, words of the rule)
    ({"Tagz": {}}, "$.Accounts[0].Regions[0].Vaults[0]", "unknown member 'Tagz'"),
    ({"Archives": [{"File": "missing.bin"}]}, "$.Accounts[0].Regions[0].Vaults[0].Archives[0].File", "cannot read the file"),
    ({"Archives": [{"Text": "a", "Generated": {"Size": 1}}]}, "$.Accounts[0].Regions[0].Vaults[0].Archives[0]", "exactly one of File"),
    ({"Archives": [{"Generated": {"Size": 0}}]}, "$.Accounts[0].Regions[0].Vaults[0].Archives[0].Generated.Size", "whole number from 1"),
    ({"CreationDate": "yesterday"}, "$.Accounts[0].Regions[0].Vaults[0].CreationDate", "not an ISO 8601 UTC date"),
    ({"VaultLock": {"Policy": {}, "State": "Sealed"}}, "$.Accounts[0].Regions[0].Vaults[0].VaultLock.State", "InProgress or Locked"),
    ({"Jobs": [{"Type": "archive-retrieval", "Archive": "nope"}]}, "$.Accounts[0].Regions[0].Vaults[0].Jobs[0].Archive", "no archive of this vault is named 'nope'"),
    # Rules checked by the operations themselves, at the item that breaks them:
    ({"VaultName": "bad name!"}, "$.Accounts[0].Regions[0].Vaults[0].VaultName", "InvalidParameterValueException"),
    ({"Tags": {"aws:owner": "x"}}, "$.Accounts[0].Regions[0].Vaults[0].Tags", "InvalidParameterValueException"),
    ({"AccessPolicy": "not json"}, "$.Accounts[0].Regions[0].Vaults[0].AccessPolicy", "Policy is not valid JSON"),
    ({"MultipartUploads": [{"PartSizeInBytes": 3000000}]}, "$.Accounts[0].Regions[0].Vaults[0].MultipartUploads[0]", "InvalidParameterValueException"),
    ({"MultipartUploads": [{"Parts": [{"RangeStart": 1000, "Text": "x"}]}]},
     "$.Accounts[0].Regions[0].Vaults[0].MultipartUploads[0].Parts[0]", "does not align with the part size"),
    ({"Archives": [{"Name": "a", "Text": "abc"}], "Jobs": [{"Type": "archive-retrieval", "Archive": "a", "RetrievalByteRange": "0-1"}]},
     "$.Accounts[0].Regions[0].Vaults[0].Jobs[0]", "InvalidParameterValueException"),
    ({"Notifications": {"SNSTopic": "arn:aws:sns:us-east-1:123456789012:t", "Events": ["Nothing"]}},
     "$.Accounts[0].Regions[0].Vaults[0].Notifications", "Events must list"),
]


@pytest.mark.parametrize("vault,path,rule", BAD_SEEDS, ids=[b[1].rsplit(".", 1)[-1] + "-" + b[2][:20] for b in BAD_SEEDS])
def test_bad_seed_is_refused_naming_file_path_and_rule(glacier_bin, tmp_path, vault, path, rule):
    # A good document first: nothing of it may be applied either.
    good = write(tmp_path, "good.json", {"Accounts": [{"AccountId": "123456789012", "Regions": [
        {"Region": "us-east-1", "Vaults": [{"VaultName": "fine", "Archives": [{"Text": "kept out"}]}]}]}]})
    bad = write(tmp_path, "bad.json", one_vault(**vault))
    data = tmp_path / "data"
    p = run_seeded(glacier_bin, data, "--seed", good, "--seed", bad)
    assert p.returncode == 2, p.stdout + p.stderr
    lines = [line for line in p.stderr.splitlines() if "bad seed" in line]
    assert len(lines) == 1, p.stderr
    assert f"glacier-mock: bad seed: {bad}: {path}: " in lines[0], lines[0]
    assert rule in lines[0].split(f"{path}: ", 1)[1], lines[0]
    assert "listening" not in p.stdout
    # Nothing applied: no vault, no blob file, no staging directory left.
    assert db_rows(data, "SELECT count(*) FROM vaults") == [(0,)]
    assert list((data / "blobs").iterdir()) == []
    assert sorted(p.name for p in data.iterdir() if p.name.startswith("seed-staging")) == []


def test_bad_json_and_twice_defined_vault(glacier_bin, tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"Accounts": [')
    p = run_seeded(glacier_bin, tmp_path / "d1", "--seed", str(broken))
    assert p.returncode == 2 and f"bad seed: {broken}: $: not valid JSON" in p.stderr, p.stderr
    a = write(tmp_path, "a.json", one_vault())
    b = write(tmp_path, "b.json", one_vault())
    p = run_seeded(glacier_bin, tmp_path / "d2", "--seed", a, "--seed", b)
    assert p.returncode == 2, p.stderr
    assert f"bad seed: {b}: $.Accounts[0].Regions[0].Vaults[0]: vault v of account 123456789012 in us-east-1 is already defined by {a}" in p.stderr


def test_seed_on_a_data_dir_holding_state_follows_seed_mode(fresh_server, glacier_bin, tmp_path):
    data = tmp_path / "persistent"
    srv = fresh_server(data_dir=data)
    srv.client().create_vault(accountId="-", vaultName="made-by-hand")
    r = __import__("requests").post(srv.endpoint + "/_mock/snapshots", json={"Name": "kept"}, timeout=30)
    assert r.status_code == 200
    srv.stop()
    seed = write(tmp_path, "seed.json", one_vault(Archives=[{"Text": "seeded"}]))

    refused = run_seeded(glacier_bin, data, "--seed", seed)
    assert refused.returncode == 2
    assert "already holds state" in refused.stderr and "--seed-mode replace" in refused.stderr, refused.stderr

    srv = fresh_server(data_dir=data, args=("--seed", seed, "--seed-mode", "if-empty"))
    assert [v["VaultName"] for v in srv.client().list_vaults(accountId="-")["VaultList"]] == ["made-by-hand"]
    srv.stop()

    srv = fresh_server(data_dir=data, args=("--seed", seed, "--seed-mode", "replace"))
    assert [v["VaultName"] for v in srv.client().list_vaults(accountId="-")["VaultList"]] == ["v"]
    snaps = __import__("requests").get(srv.endpoint + "/_mock/snapshots", timeout=30).json()["Snapshots"]
    assert [s["Name"] for s in snaps] == ["kept"]  # snapshots stay
    srv.stop()
    assert_verify_ok(data)

    bad_mode = run_seeded(glacier_bin, data, "--seed", seed, "--seed-mode", "merge")
    assert bad_mode.returncode != 0 and "--seed-mode must be one of refuse, replace, if-empty; got merge" in bad_mode.stderr


def test_seed_from_the_environment_takes_several_files(fresh_server, tmp_path):
    a = write(tmp_path, "a.json", one_vault(Archives=[{"Text": "from a"}]))
    b_doc = one_vault()
    b_doc["Accounts"][0]["Regions"][0]["Vaults"][0]["VaultName"] = "w"
    b = write(tmp_path, "b.json", b_doc)
    srv = fresh_server(use_data_dir=False, env={"GLACIER_MOCK_SEED": f"{a}:{b}"})
    assert [v["VaultName"] for v in srv.client().list_vaults(accountId="-")["VaultList"]] == ["v", "w"]


def test_export_then_seed_round_trip(fresh_server, glacier_bin, tmp_path):
    """A state made from the example seed and then by a client is exported, and seeding a
    new server with the export gives the same state (IDs and job dates aside)."""
    data = tmp_path / "source"
    srv = fresh_server(data_dir=data, args=("--seed", str(EXAMPLE)))
    c = srv.client()
    c.upload_archive(accountId="-", vaultName="photos", archiveDescription="added by a client", body=b"client bytes" * 1000)
    c.add_tags_to_vault(accountId="-", vaultName="photos", Tags={"later": "yes"})
    bytes_before = archive_bytes(srv)  # its inventory and retrieval jobs are exported too
    before = normalise(observe(srv.endpoint))
    jobs = sum(len(v["Jobs"]) for p in before.values() if isinstance(p, dict) for v in p["Vaults"].values())
    srv.stop()

    out = tmp_path / "exported"
    p = subprocess.run([str(glacier_bin), "export", "--data-dir", str(data), "--to", str(out)],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    assert f"exported 5 vaults, 6 archives, 1 multipart uploads, {jobs} jobs" in p.stdout, p.stdout
    assert (out / "seed.json").is_file() and len(list((out / "archives").iterdir())) == 6

    srv2 = fresh_server(args=("--seed", str(out / "seed.json")))
    after = normalise(observe(srv2.endpoint))
    assert after == before
    assert archive_bytes(srv2) == bytes_before


def archive_bytes(srv) -> dict:
    """Description → bytes of every archive in the example's places, through retrieval jobs."""
    result = {}
    for account, region in [("123456789012", "us-east-1"), ("123456789012", "eu-west-1")]:
        c = make_client(srv.endpoint, region=region, access_key=account)
        for v in c.list_vaults(accountId="-")["VaultList"]:
            for a in inventory(c, v["VaultName"]):
                result[(region, v["VaultName"], a["ArchiveDescription"])] = retrieve(c, v["VaultName"], a["ArchiveId"])
    return result


def normalise(state: dict) -> dict:
    """Drops what a seed cannot reproduce: IDs, and the dates set when it is applied."""
    out = {"ClockOffsetSeconds": state["ClockOffsetSeconds"]}
    for place, p in state.items():
        if place == "ClockOffsetSeconds":
            continue
        vaults = {}
        for name, v in p["Vaults"].items():
            d = dict(v["Describe"])
            lock = dict(v["Lock"])
            for k in ("CreationDate", "ExpirationDate"):
                lock.pop(k, None)
            vaults[name] = {
                "Describe": d, "Tags": v["Tags"], "AccessPolicy": v["AccessPolicy"], "Notifications": v["Notifications"],
                "Lock": lock,
                "Uploads": sorted(
                    (json.dumps({k: u["Listed"][k] for k in ("ArchiveDescription", "CreationDate", "PartSizeInBytes")}, sort_keys=True),
                     json.dumps(u["Parts"], sort_keys=True)) for u in v["Uploads"].values()),
                "Jobs": sorted(
                    json.dumps({k: j["Describe"].get(k) for k in (
                        "Action", "StatusCode", "JobDescription", "Tier", "RetrievalByteRange", "ArchiveSizeInBytes",
                        "ArchiveSHA256TreeHash", "SHA256TreeHash")}, sort_keys=True) for j in v["Jobs"].values()),
            }
        capacity = p["ProvisionedCapacity"]
        out[place] = {
            "DataRetrievalPolicy": p["DataRetrievalPolicy"],
            "ProvisionedCapacityUnits": len(capacity.get("ProvisionedCapacityList", [])),
            "Vaults": vaults,
        }
    return out
