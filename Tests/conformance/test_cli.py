"""The AWS CLI (`aws glacier ...`) against glacier-mock."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest
import requests

from helpers import DEFAULT_ACCOUNT, MIB, ISO_RE, blob, take_inventory, tree_hash




def test_cli_full_multipart_flow(aws, endpoint, vault_name, tmp_path):
    name = vault_name()
    out = aws("create-vault", "--account-id", "-", "--vault-name", name)
    assert out == {"location": f"/{DEFAULT_ACCOUNT}/vaults/{name}"}

    listed = aws("list-vaults", "--account-id", "-")
    assert name in [v["VaultName"] for v in listed["VaultList"]]

    out = aws("initiate-multipart-upload", "--account-id", "-", "--vault-name", name,
              "--part-size", str(MIB), "--archive-description", "cli archive")
    upload_id = out["uploadId"]
    assert out["location"] == f"/{DEFAULT_ACCOUNT}/vaults/{name}/multipart-uploads/{upload_id}"

    data = blob("cli", MIB + 1000)
    part0, part1 = tmp_path / "part0", tmp_path / "part1"
    part0.write_bytes(data[:MIB])
    part1.write_bytes(data[MIB:])
    out = aws("upload-multipart-part", "--account-id", "-", "--vault-name", name,
              f"--upload-id={upload_id}", "--body", str(part1),
              "--range", f"bytes {MIB}-{len(data) - 1}/*")
    assert out == {"checksum": tree_hash(data[MIB:])}
    out = aws("upload-multipart-part", "--account-id", "-", "--vault-name", name,
              f"--upload-id={upload_id}", "--body", str(part0), "--range", "bytes 0-1048575/*")
    assert out == {"checksum": tree_hash(data[:MIB])}

    parts = aws("list-parts", "--account-id", "-", "--vault-name", name, f"--upload-id={upload_id}",
                "--no-paginate")
    assert parts["MultipartUploadId"] == upload_id
    assert parts["ArchiveDescription"] == "cli archive"
    assert parts["PartSizeInBytes"] == MIB
    assert parts["VaultARN"] == f"arn:aws:glacier:us-east-1:{DEFAULT_ACCOUNT}:vaults/{name}"
    assert ISO_RE.match(parts["CreationDate"])
    assert parts["Parts"] == [
        {"RangeInBytes": "0-1048575", "SHA256TreeHash": tree_hash(data[:MIB])},
        {"RangeInBytes": f"{MIB}-{len(data) - 1}", "SHA256TreeHash": tree_hash(data[MIB:])},
    ]

    out = aws("complete-multipart-upload", "--account-id", "-", "--vault-name", name,
              f"--upload-id={upload_id}", "--checksum", tree_hash(data),
              "--archive-size", str(len(data)))
    archive_id = out["archiveId"]
    assert out["checksum"] == tree_hash(data)
    assert out["location"] == f"/{DEFAULT_ACCOUNT}/vaults/{name}/archives/{archive_id}"

    take_inventory(endpoint, name)   # DescribeVault counts as of the vault's last inventory
    d = aws("describe-vault", "--account-id", "-", "--vault-name", name)
    assert d["VaultName"] == name
    assert d["NumberOfArchives"] == 1
    assert d["SizeInBytes"] == len(data)
    assert ISO_RE.match(d["CreationDate"])


def test_cli_wrong_checksum_fails(aws, vault_name, tmp_path):
    name = vault_name()
    aws("create-vault", "--account-id", "-", "--vault-name", name)
    upload_id = aws("initiate-multipart-upload", "--account-id", "-", "--vault-name", name,
                    "--part-size", str(MIB))["uploadId"]
    f = tmp_path / "p"
    f.write_bytes(b"cli-data")
    aws("upload-multipart-part", "--account-id", "-", "--vault-name", name, f"--upload-id={upload_id}",
        "--body", str(f), "--range", "bytes 0-7/*")
    p = aws("complete-multipart-upload", "--account-id", "-", "--vault-name", name,
            f"--upload-id={upload_id}", "--checksum", "0" * 64, "--archive-size", "8", check=False)
    assert p.returncode != 0
    assert "InvalidParameterValueException" in p.stderr


def test_cli_describe_missing_vault(aws, vault_name):
    p = aws("describe-vault", "--account-id", "-", "--vault-name", vault_name(), check=False)
    assert p.returncode != 0
    assert "ResourceNotFoundException" in p.stderr


def test_cli_list_vaults_paginates(fresh_server, aws_bin, tmp_path):
    srv = fresh_server()
    c = srv.client()
    names = sorted(f"cli-{i:02d}" for i in range(12))
    for n in names:
        c.create_vault(accountId="-", vaultName=n)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret",
                "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": str(tmp_path / "none"),
                "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none")})
    p = subprocess.run([aws_bin, "--endpoint-url", srv.endpoint, "--output", "json", "glacier",
                        "list-vaults", "--account-id", "-", "--page-size", "5"],
                       env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert [v["VaultName"] for v in json.loads(p.stdout)["VaultList"]] == names


def test_cli_retries_injected_throttling(fresh_server, aws_bin, tmp_path):
    """The CLI's default retries ride out two injected ThrottlingExceptions; the request
    journal shows the three attempts and how each was answered."""
    srv = fresh_server()
    srv.client().create_vault(accountId="-", vaultName="cli-retry")
    rule = {"Operation": "DescribeVault", "Code": "ThrottlingException", "Count": 2}
    r = requests.post(srv.endpoint + "/_mock/faults", data=json.dumps(rule), timeout=30)
    assert r.status_code == 200, r.text
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret",
                "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": str(tmp_path / "none"),
                "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"), "AWS_RETRY_MODE": "standard",
                "AWS_MAX_ATTEMPTS": "3"})
    p = subprocess.run([aws_bin, "--endpoint-url", srv.endpoint, "--output", "json", "glacier",
                        "describe-vault", "--account-id", "-", "--vault-name", "cli-retry"],
                       env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["VaultName"] == "cli-retry"
    calls = requests.get(srv.endpoint + "/_mock/requests?operation=DescribeVault", timeout=30).json()["Requests"]
    assert [(c["Status"], c["ErrorCode"]) for c in calls] == [
        (400, "ThrottlingException"), (400, "ThrottlingException"), (200, None)]
