"""`glacier-mock verify --data-dir DIR`: re-hashes stored parts and archives from disk."""
import subprocess

import sqlite3

from helpers import MIB, create_archive, db_rows, initiate, take_inventory, upload_part


def run_verify(glacier_bin, data_dir):
    return subprocess.run([str(glacier_bin), "verify", "--data-dir", str(data_dir)],
                          capture_output=True, text=True, timeout=60)


def test_verify_passes_on_intact_data_and_fails_on_a_flipped_byte(glacier_bin, fresh_server):
    srv = fresh_server()
    client = srv.client()
    client.create_vault(vaultName="v")
    data = bytes(range(256)) * (3 * MIB // 256) + b"tail"
    create_archive(client, "v", data)
    upload_id = initiate(client, "v")
    upload_part(client, "v", upload_id, 0, b"p" * 1000)

    ok = run_verify(glacier_bin, srv.data_dir)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "checked 2 parts and archives, and the counters and inventories of 1 vaults: all match" in ok.stdout

    (blob_id,) = db_rows(srv.data_dir, "SELECT blob_id FROM parts")[0]
    path = srv.data_dir / "blobs" / blob_id
    raw = bytearray(path.read_bytes())
    raw[10] ^= 0x01
    path.write_bytes(bytes(raw))

    bad = run_verify(glacier_bin, srv.data_dir)
    assert bad.returncode == 1
    assert f"MISMATCH part 0-999 of upload {upload_id}" in bad.stdout
    assert "1 differ" in bad.stdout


def test_verify_checks_each_vaults_last_inventory_against_what_it_lists(glacier_bin, fresh_server):
    srv = fresh_server()
    client = srv.client()
    client.create_vault(vaultName="inv")
    first = create_archive(client, "inv", b"one")["archiveId"]
    create_archive(client, "inv", b"two")
    take_inventory(srv.endpoint, "inv")
    client.delete_archive(vaultName="inv", archiveId=first)   # still in the inventory
    srv.stop()
    ok = run_verify(glacier_bin, srv.data_dir)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    # An inventory whose count disagrees with the archives it lists (two: one live, one deleted since).
    db = sqlite3.connect(srv.data_dir / "glacier.sqlite")
    with db:
        db.execute("UPDATE vaults SET inventory_archives = 5 WHERE name = 'inv'")
    db.close()
    bad = run_verify(glacier_bin, srv.data_dir)
    assert bad.returncode == 1
    assert "MISMATCH vault inv (account 123456789012, us-east-1): its last inventory lists 2 archives of 6 bytes " \
        "but counted 5 and 6" in bad.stdout, bad.stdout


def test_verify_refuses_a_directory_without_data(glacier_bin, tmp_path):
    result = run_verify(glacier_bin, tmp_path)
    assert result.returncode != 0
    assert "no glacier-mock data" in result.stderr
