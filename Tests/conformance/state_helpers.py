"""Helpers for the seed and snapshot tests: the bytes of a seed's Generated content, and an
observation of the whole state a client can see (every vault of the accounts and regions
given, with its settings, uploads and parts, jobs and their outputs, the account settings
and the server's clock), to compare two states exactly."""

from __future__ import annotations

import hashlib

import requests
from botocore.exceptions import ClientError

from helpers import HTTP_TIMEOUT, MIB, inventory, make_client, upload_part

M64 = (1 << 64) - 1
SEED_EXAMPLE_PLACES = [("123456789012", "us-east-1"), ("123456789012", "eu-west-1"), ("210987654321", "us-east-1")]


def generated(size: int, seed: int) -> bytes:
    """{"Generated": {"Size": N, "Seed": S}}: SplitMix64 from state S, little-endian 8-byte
    outputs, cut at N bytes (docs/seeds-and-snapshots.md)."""
    out = bytearray()
    s = seed & M64
    while len(out) < size:
        s = (s + 0x9E3779B97F4A7C15) & M64
        z = s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        z ^= z >> 31
        out += z.to_bytes(8, "little")
    return bytes(out[:size])


def _strip(resp: dict) -> dict:
    return {k: v for k, v in resp.items() if k != "ResponseMetadata"}


def _try(call, **kw):
    try:
        return _strip(call(**kw))
    except ClientError as e:
        return {"Error": e.response["Error"]["Code"]}


def _pages(call, key, marker_in="marker", **kw):
    items, marker = [], None
    while True:
        args = dict(kw)
        if marker:
            args[marker_in] = marker
        resp = call(**args)
        items += resp[key]
        marker = resp.get("Marker")
        if not marker:
            return items


def observe(endpoint: str, places=SEED_EXAMPLE_PLACES, outputs: bool = True) -> dict:
    """Everything these accounts and regions show, read-only (no job is started)."""
    state: dict = {}
    for account, region in places:
        c = make_client(endpoint, region=region, access_key=account)
        place: dict = {
            "DataRetrievalPolicy": _try(c.get_data_retrieval_policy, accountId="-"),
            "ProvisionedCapacity": _try(c.list_provisioned_capacity, accountId="-"),
            "Vaults": {},
        }
        for v in _pages(c.list_vaults, "VaultList", accountId="-"):
            name = v["VaultName"]
            vault: dict = {
                "Listed": v,
                "Describe": _try(c.describe_vault, accountId="-", vaultName=name),
                "Tags": _try(c.list_tags_for_vault, accountId="-", vaultName=name),
                "AccessPolicy": _try(c.get_vault_access_policy, accountId="-", vaultName=name),
                "Notifications": _try(c.get_vault_notifications, accountId="-", vaultName=name),
                "Lock": _try(c.get_vault_lock, accountId="-", vaultName=name),
                "Uploads": {},
                "Jobs": {},
            }
            for u in _pages(c.list_multipart_uploads, "UploadsList", accountId="-", vaultName=name):
                parts = _pages(c.list_parts, "Parts", accountId="-", vaultName=name, uploadId=u["MultipartUploadId"])
                vault["Uploads"][u["MultipartUploadId"]] = {"Listed": u, "Parts": parts}
            for j in _pages(c.list_jobs, "JobList", accountId="-", vaultName=name):
                job = {"Listed": j, "Describe": _try(c.describe_job, accountId="-", vaultName=name, jobId=j["JobId"])}
                if outputs and j["Completed"]:
                    body = c.get_job_output(accountId="-", vaultName=name, jobId=j["JobId"])["body"].read()
                    job["OutputSHA256"] = hashlib.sha256(body).hexdigest()
                    job["OutputLength"] = len(body)
                vault["Jobs"][j["JobId"]] = job
            place["Vaults"][name] = vault
        state[f"{account}/{region}"] = place
    clock = requests.get(endpoint + "/_mock/clock", timeout=HTTP_TIMEOUT).json()
    state["ClockOffsetSeconds"] = clock["OffsetSeconds"]
    return state


def admin(endpoint: str, method: str, path: str, body=None) -> requests.Response:
    return requests.request(method, endpoint + path, json=body, timeout=HTTP_TIMEOUT)


def save(endpoint: str, name: str) -> dict:
    r = admin(endpoint, "POST", "/_mock/snapshots", {"Name": name})
    assert r.status_code == 200, r.text
    return r.json()["Snapshot"]


def restore(endpoint: str, name: str):
    r = admin(endpoint, "POST", f"/_mock/snapshots/{name}/restore")
    assert r.status_code == 200, r.text
    assert r.json() == {"status": "ok", "Restored": name}


def change_everything(srv):
    """Touches every kind of state the example seed holds."""
    c = srv.client()
    ids = {a["ArchiveDescription"]: a["ArchiveId"] for a in inventory(c, "photos")}
    c.delete_archive(accountId="-", vaultName="photos", archiveId=ids["inline text"])
    c.upload_archive(accountId="-", vaultName="photos", archiveDescription="after the save", body=b"new" * 5000)
    c.add_tags_to_vault(accountId="-", vaultName="photos", Tags={"team": "changed", "extra": "1"})
    c.delete_vault_access_policy(accountId="-", vaultName="photos")
    c.delete_vault_notifications(accountId="-", vaultName="photos")
    [upload] = c.list_multipart_uploads(accountId="-", vaultName="photos")["UploadsList"]
    upload_part(c, "photos", upload["MultipartUploadId"], 2 * MIB, b"x" * (2 * MIB))
    second = c.initiate_multipart_upload(accountId="-", vaultName="photos", partSize=str(MIB))["uploadId"]
    upload_part(c, "photos", second, 0, b"y" * 1000)
    c.abort_vault_lock(accountId="-", vaultName="staging")
    c.delete_vault(accountId="-", vaultName="staging")
    c.create_vault(accountId="-", vaultName="later")
    c.set_data_retrieval_policy(accountId="-", Policy={"Rules": [{"Strategy": "None"}]})
    c.purchase_provisioned_capacity(accountId="-")
    assert requests.post(srv.endpoint + "/_mock/jobs/complete", timeout=30).json()["completed"] >= 2
    make_client(srv.endpoint, region="eu-west-1").set_data_retrieval_policy(
        accountId="-", Policy={"Rules": [{"Strategy": "BytesPerHour", "BytesPerHour": 1000}]})
    make_client(srv.endpoint, access_key="210987654321").remove_tags_from_vault(
        accountId="-", vaultName="partner-drop", TagKeys=["owner"])
    assert requests.post(srv.endpoint + "/_mock/clock", json={"AdvanceSeconds": 7200}, timeout=30).status_code == 200
