"""`glacier-mock verify --data-dir DIR`: re-hashes stored parts and archives from disk."""
import subprocess

from helpers import MIB, create_archive, db_rows, initiate, upload_part


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
    assert "checked 2 parts and archives: all match" in ok.stdout

    (blob_id,) = db_rows(srv.data_dir, "SELECT blob_id FROM parts")[0]
    path = srv.data_dir / "blobs" / blob_id
    raw = bytearray(path.read_bytes())
    raw[10] ^= 0x01
    path.write_bytes(bytes(raw))

    bad = run_verify(glacier_bin, srv.data_dir)
    assert bad.returncode == 1
    assert f"MISMATCH part 0-999 of upload {upload_id}" in bad.stdout
    assert "1 differ" in bad.stdout


def test_verify_refuses_a_directory_without_data(glacier_bin, tmp_path):
    result = run_verify(glacier_bin, tmp_path)
    assert result.returncode != 0
    assert "no glacier-mock data" in result.stderr
