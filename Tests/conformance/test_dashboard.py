"""The dashboard (/_mock/ui) in a real browser: Debian's chromium, driven through
chromium-driver by selenium (scripts/install-deps.sh --with-tests installs all three).

State is made with boto3, as the code under test would make it, and the browser reaches it
as a person would: it opens the server's root URL and follows links and buttons from there.
Each test ends by checking that the browser console recorded no error. The run saves
screenshots in .build/dashboard-screenshots/ (docs/images/ holds committed copies), and runs the
curl block of docs/dashboard.md.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
import requests
from botocore.exceptions import ClientError

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from helpers import MIB, REPO, GlacierServer, blob, make_client, raw, upload

SCREENSHOTS = Path(os.environ.get("DASHBOARD_SCREENSHOTS", REPO / ".build" / "dashboard-screenshots"))
HOSTILE = '<script>window.pwned=1</script><img src=x onerror="window.pwned=2">'
WAIT = 15


@pytest.fixture(scope="module")
def dash(glacier_bin, tmp_path_factory):
    """A server of its own: jobs wait an hour (so they are pending until completed from the
    dashboard), state kept in a data directory."""
    base = tmp_path_factory.mktemp("dashboard")
    srv = GlacierServer(glacier_bin, base / "data", base / "server.log",
                        args=("--job-delay", "expedited=1h,standard=1h,bulk=1h"))
    srv.start()
    yield srv
    srv.close()


@pytest.fixture(scope="module")
def client(dash):
    return make_client(dash.endpoint)


@pytest.fixture(scope="module")
def driver():
    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    if not chromium or not chromedriver:
        pytest.fail("chromium and chromedriver are needed (Debian packages chromium and chromium-driver; "
                    "scripts/install-deps.sh --with-tests installs them)", pytrace=False)
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1400,1000", "--hide-scrollbars", "--force-device-scale-factor=1",
                "--lang=en-US"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    d = webdriver.Chrome(service=Service(chromedriver), options=options)
    yield d
    d.quit()


@pytest.fixture
def browser(driver, dash):
    """The browser, on a freshly reset server; fails the test if the console logged an error."""
    assert requests.post(dash.endpoint + "/_mock/reset", timeout=30).status_code == 200
    driver.get_log("browser")  # drop what earlier tests left
    yield driver
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == [], f"browser console errors: {errors}"


def wait(driver):
    """Waits up to WAIT seconds; an element the page's live refresh replaced meanwhile is looked
    up again rather than failing the wait."""
    return WebDriverWait(driver, WAIT, ignored_exceptions=(StaleElementReferenceException,))


def open_dashboard(driver, dash):
    """What a person does: type the server's address."""
    driver.get(dash.endpoint + "/")
    wait(driver).until(EC.presence_of_element_located((By.ID, "main")))
    assert driver.current_url == dash.endpoint + "/_mock/ui"


def click_link(driver, text):
    driver.find_element(By.LINK_TEXT, text).click()
    wait(driver).until(EC.presence_of_element_located((By.ID, "main")))


def flash_text(driver):
    return wait(driver).until(
        lambda d: d.find_element(By.CSS_SELECTOR, "#flash .note").text or None)


def submit(driver, form_id, accept=None):
    """Clicks the form's button; answers its confirmation when `accept` is given."""
    driver.find_element(By.CSS_SELECTOR, f"#{form_id} button").click()
    if accept is not None:
        alert = wait(driver).until(EC.alert_is_present())
        (alert.accept if accept else alert.dismiss)()


def vault_name(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def make_partial_upload(client, vault, description="half done"):
    """Parts 1, 3 and 4 of a 1 MiB-part upload arrive (4 is the short last part, 512 KiB); 2 does not."""
    upload_id = client.initiate_multipart_upload(
        accountId="-", vaultName=vault, partSize=str(MIB), archiveDescription=description)["uploadId"]
    for first, size in ((0, MIB), (2 * MIB, MIB), (3 * MIB, MIB // 2)):
        data = blob(first, size)
        client.upload_multipart_part(accountId="-", vaultName=vault, uploadId=upload_id,
                                     range=f"bytes {first}-{first + size - 1}/*", body=data)
    return upload_id


def test_boto3_state_is_visible_by_following_links(browser, dash, client):
    name = vault_name("photos")
    client.create_vault(accountId="-", vaultName=name)
    archives = [upload(client, name, blob(i, 1000 * (i + 1)), description=f"holiday {i}")["archiveId"]
                for i in range(3)]
    upload_id = make_partial_upload(client, name)
    job_id = client.initiate_job(accountId="-", vaultName=name, jobParameters={
        "Type": "archive-retrieval", "ArchiveId": archives[0], "Tier": "Bulk"})["jobId"]
    client.add_tags_to_vault(accountId="-", vaultName=name, Tags={"team": "media", "cost-center": "42"})
    policy = {"Version": "2012-10-17", "Statement": [{"Sid": "no-deletes", "Effect": "Deny", "Principal": "*",
                                                      "Action": "glacier:DeleteArchive", "Resource": "*"}]}
    client.set_vault_access_policy(accountId="-", vaultName=name, policy={"Policy": json.dumps(policy)})
    client.set_vault_notifications(accountId="-", vaultName=name, vaultNotificationConfig={
        "SNSTopic": "arn:aws:sns:us-east-1:123456789012:jobs", "Events": ["ArchiveRetrievalCompleted"]})
    with pytest.raises(ClientError):
        client.describe_vault(accountId="-", vaultName="no-such-vault")

    open_dashboard(browser, dash)
    row = browser.find_element(By.CSS_SELECTOR, f'#vaults tr[data-vault="{name}"]')
    cells = [c.text for c in row.find_elements(By.TAG_NAME, "td")]
    assert cells[0] == name and cells[1] == "3" and cells[2] == "5.9 KiB"
    assert browser.find_element(By.ID, "total-archives").text == "3"
    assert browser.find_element(By.ID, "opt-job-delay").text == "Expedited 1 h, Standard 1 h, Bulk 1 h"
    assert browser.find_element(By.ID, "opt-data-dir").text == str(dash.data_dir)

    click_link(browser, name)
    assert browser.find_element(By.TAG_NAME, "h1").text == name
    descriptions = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#archive-table td.desc")]
    assert descriptions == ["holiday 2", "holiday 1", "holiday 0"]  # newest first
    # Sorting by size (largest first) by clicking the column header.
    browser.find_element(By.ID, "sort-size").click()
    wait(browser).until(EC.url_contains("sort=size"))
    assert [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#archive-table td.desc")] == \
        ["holiday 2", "holiday 1", "holiday 0"]
    browser.find_element(By.ID, "sort-size").click()
    wait(browser).until(EC.url_contains("dir=asc"))
    assert [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#archive-table td.desc")] == \
        ["holiday 0", "holiday 1", "holiday 2"]

    # The parts map: 1 arrived, 2 missing, 3 and 4 arrived (4 short).
    cells = browser.find_elements(By.CSS_SELECTOR, f'svg.partsmap[data-upload="{upload_id}"] g[data-part]')
    states = {int(c.get_attribute("data-part")): c.get_attribute("data-state") for c in cells}
    assert states == {1: "arrived", 2: "missing", 3: "arrived", 4: "arrived"}
    titles = {int(c.get_attribute("data-part")): c.find_element(By.TAG_NAME, "title").get_attribute("textContent")
              for c in cells}
    assert titles[2] == "Part 2: bytes 1048576–2097151 (1 MiB), missing"
    assert titles[4] == "Part 4: bytes 3145728–3670015 (512 KiB), arrived"
    article = browser.find_element(By.CSS_SELECTOR, f'article.upload[data-upload="{upload_id}"]')
    assert article.find_element(By.CSS_SELECTOR, ".parts-arrived").text == "3"
    assert article.find_element(By.CSS_SELECTOR, ".parts-missing").text == "1"
    assert "Missing parts: 2 (bytes 1048576–2097151)" in article.text

    job = browser.find_element(By.CSS_SELECTOR, f'#job-table tr[data-job="{job_id}"]')
    assert job.get_attribute("data-status") == "InProgress"
    assert "Archive retrieval" in job.text and "Bulk" in job.text and "InProgress" in job.text
    tags = [r.text for r in browser.find_elements(By.CSS_SELECTOR, "#tags tbody tr")]
    assert tags == ["cost-center 42", "team media"]
    assert json.loads(browser.find_element(By.ID, "access-policy").text) == policy
    assert "arn:aws:sns:us-east-1:123456789012:jobs" in browser.find_element(By.ID, "notification-config").text

    # Requests: newest first, the failed DescribeVault highlighted with its code and message.
    click_link(browser, "Requests")
    rows = browser.find_elements(By.CSS_SELECTOR, "#request-table tbody tr")
    seqs = [int(r.get_attribute("data-seq")) for r in rows]
    assert seqs == sorted(seqs, reverse=True) and len(seqs) >= 10
    failed = browser.find_element(By.CSS_SELECTOR, "#request-table tr.err")
    assert "DescribeVault" in failed.text and "ResourceNotFoundException" in failed.text
    assert "no-such-vault" in failed.find_element(By.CSS_SELECTOR, ".message").text
    Select(browser.find_element(By.ID, "filter-status")).select_by_value("error")
    browser.find_element(By.CSS_SELECTOR, "#request-filters button").click()
    wait(browser).until(EC.url_contains("status=error"))
    assert [r.get_attribute("data-status") for r in browser.find_elements(By.CSS_SELECTOR, "#request-table tbody tr")] == ["404"]
    Select(browser.find_element(By.ID, "filter-status")).select_by_value("")
    Select(browser.find_element(By.ID, "filter-operation")).select_by_value("UploadMultipartPart")
    browser.find_element(By.CSS_SELECTOR, "#request-filters button").click()
    wait(browser).until(EC.url_contains("operation=UploadMultipartPart"))
    assert len(browser.find_elements(By.CSS_SELECTOR, "#request-table tbody tr")) == 3

    # From a request row back to its vault.
    browser.find_element(By.CSS_SELECTOR, "#request-table tbody tr a").click()
    wait(browser).until(EC.text_to_be_present_in_element((By.TAG_NAME, "h1"), name))


def test_hostile_description_shows_as_text_and_runs_nothing(browser, dash, client):
    name = vault_name("hostile")
    client.create_vault(accountId="-", vaultName=name)
    upload(client, name, b"payload", description=HOSTILE)
    client.initiate_multipart_upload(accountId="-", vaultName=name, partSize=str(MIB), archiveDescription=HOSTILE)
    open_dashboard(browser, dash)
    click_link(browser, name)
    assert browser.find_element(By.CSS_SELECTOR, "#archive-table td.desc").text == HOSTILE
    assert browser.find_element(By.CSS_SELECTOR, "article.upload .desc").text == HOSTILE
    assert browser.execute_script("return typeof window.pwned") == "undefined"
    assert browser.find_elements(By.CSS_SELECTOR, "#main img, #main script") == []
    scripts = browser.execute_script("return Array.from(document.scripts).map(s => s.src)")
    assert scripts == [dash.endpoint + "/_mock/ui/app.js"]
    # The page's policy lets only that script run.
    headers = requests.get(browser.current_url, timeout=30).headers
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "unsafe-inline" not in headers["Content-Security-Policy"]


def test_pages_refresh_without_reloading(browser, dash, client):
    open_dashboard(browser, dash)
    browser.execute_script("window.__notReloaded = true")
    name = vault_name("live")
    client.create_vault(accountId="-", vaultName=name)
    wait(browser).until(
        EC.presence_of_element_located((By.CSS_SELECTOR, f'#vaults tr[data-vault="{name}"]')))
    upload(client, name, b"x" * 2048)
    wait(browser).until(EC.text_to_be_present_in_element((By.ID, "total-archives"), "1"))
    assert browser.execute_script("return window.__notReloaded") is True


def test_complete_jobs_and_download_output(browser, dash, client):
    name = vault_name("jobs")
    client.create_vault(accountId="-", vaultName=name)
    data = blob("job", 300_000)
    archive = upload(client, name, data)["archiveId"]
    job_id = client.initiate_job(accountId="-", vaultName=name, jobParameters={
        "Type": "archive-retrieval", "ArchiveId": archive})["jobId"]
    open_dashboard(browser, dash)
    submit(browser, "complete-jobs")
    assert flash_text(browser) == "Completed 1 pending job(s)."
    assert client.describe_job(accountId="-", vaultName=name, jobId=job_id)["StatusCode"] == "Succeeded"
    click_link(browser, name)
    row = browser.find_element(By.CSS_SELECTOR, f'#job-table tr[data-job="{job_id}"]')
    assert row.get_attribute("data-status") == "Succeeded"
    link = row.find_element(By.LINK_TEXT, "Download").get_attribute("href")
    got = requests.get(link, timeout=30)
    assert got.status_code == 200 and got.content == data
    assert got.headers["Content-Disposition"] == f'attachment; filename="job-{job_id}.bin"'


def test_advance_clock_asks_first(browser, dash):
    open_dashboard(browser, dash)
    amount = browser.find_element(By.CSS_SELECTOR, "#advance-clock input[name=amount]")
    amount.clear()
    amount.send_keys("2")
    Select(browser.find_element(By.CSS_SELECTOR, "#advance-clock select[name=unit]")).select_by_visible_text("hours")
    submit(browser, "advance-clock", accept=False)
    assert requests.get(dash.endpoint + "/_mock/clock", timeout=30).json()["OffsetSeconds"] == 0
    submit(browser, "advance-clock", accept=True)
    assert flash_text(browser).startswith("The server clock is now ")
    assert requests.get(dash.endpoint + "/_mock/clock", timeout=30).json()["OffsetSeconds"] == 7200
    wait(browser).until(EC.text_to_be_present_in_element((By.ID, "clock"), "+2 h"))


def test_arm_and_clear_a_fault(browser, dash, client):
    name = vault_name("faulty")
    client.create_vault(accountId="-", vaultName=name)
    open_dashboard(browser, dash)
    click_link(browser, "Faults & notifications")
    form = browser.find_element(By.ID, "arm-fault")
    Select(form.find_element(By.NAME, "Operation")).select_by_visible_text("DescribeVault")
    Select(form.find_element(By.NAME, "Code")).select_by_value("ThrottlingException")
    count = form.find_element(By.NAME, "Count")
    count.clear()
    count.send_keys("2")
    form.find_element(By.NAME, "VaultName").send_keys(name)
    submit(browser, "arm-fault")
    assert flash_text(browser) == "Fault armed; 1 rule(s) armed."
    wait(browser).until(lambda d: all(
        word in d.find_element(By.CSS_SELECTOR, "#fault-table tbody tr").text
        for word in ("DescribeVault", name, "ThrottlingException")))
    # One request (raw, so no SDK retry takes the second count): refused with the armed error.
    refused = raw(dash.endpoint, "GET", f"/-/vaults/{name}")
    assert refused.status_code == 400 and refused.json()["code"] == "ThrottlingException"
    # The page follows: one left.
    wait(browser).until(
        lambda d: d.find_element(By.CSS_SELECTOR, "#fault-table tbody tr td:nth-child(5)").text == "1")
    submit(browser, "clear-faults", accept=False)
    assert len(requests.get(dash.endpoint + "/_mock/faults", timeout=30).json()["Faults"]) == 1
    submit(browser, "clear-faults", accept=True)
    assert flash_text(browser) == "Disarmed 1 fault rule(s)."
    wait(browser).until(EC.invisibility_of_element_located((By.ID, "fault-table")))
    assert requests.get(dash.endpoint + "/_mock/faults", timeout=30).json()["Faults"] == []
    assert client.describe_vault(accountId="-", vaultName=name)["VaultName"] == name


def test_notifications_with_delivery_status(browser, dash, client):
    name = vault_name("notify")
    client.create_vault(accountId="-", vaultName=name)
    topic = "arn:aws:sns:us-east-1:123456789012:done"
    archive = upload(client, name, b"notify me")["archiveId"]
    client.initiate_job(accountId="-", vaultName=name, jobParameters={
        "Type": "archive-retrieval", "ArchiveId": archive, "SNSTopic": topic})
    assert requests.post(dash.endpoint + "/_mock/jobs/complete", timeout=30).json()["completed"] == 1
    open_dashboard(browser, dash)
    click_link(browser, "Faults & notifications")
    row = browser.find_element(By.CSS_SELECTOR, "#notification-table tbody tr")
    assert topic in row.text and "recorded" in row.text and "ArchiveRetrieval Succeeded" in row.text


def test_inventory_counts_and_take_inventory(browser, dash, client):
    """The overview shows each vault's live counts beside those of its last inventory (what
    DescribeVault answers under --inventory daily); Take inventories asks, then takes them."""
    name = vault_name("inv")
    client.create_vault(accountId="-", vaultName=name)
    for i in range(2):
        upload(client, name, blob(f"inv{i}", 1024))
    open_dashboard(browser, dash)
    row = f'#vaults tr[data-vault="{name}"]'
    cells = browser.find_elements(By.CSS_SELECTOR, row + " td")
    assert cells[1].text == "2" and cells[3].text == "none yet"
    assert client.describe_vault(accountId="-", vaultName=name)["NumberOfArchives"] == 0
    submit(browser, "take-inventory", accept=False)
    assert requests.get(dash.endpoint + "/_mock/inventory", params={"vault": name}, timeout=30).json()[
        "Inventories"][0]["LastInventoryDate"] is None
    submit(browser, "take-inventory", accept=True)
    assert flash_text(browser).startswith("Took 1 inventory(ies)")
    wait(browser).until(
        EC.text_to_be_present_in_element((By.CSS_SELECTOR, row + " .inv-counts"), "2 · 2 KiB"))
    assert client.describe_vault(accountId="-", vaultName=name)["NumberOfArchives"] == 2
    # A third archive: live 3, the inventory still 2, one write since.
    upload(client, name, blob("inv2", 1024))
    wait(browser).until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, row + " .inv-writes"), "1 write since"))
    assert browser.find_elements(By.CSS_SELECTOR, row + " td")[1].text == "3"
    assert browser.find_element(By.CSS_SELECTOR, row + " .inv-counts").text == "2 · 2 KiB"
    # The vault page's own button takes this vault's inventory.
    click_link(browser, name)
    assert browser.find_element(By.ID, "vault-inventory").text == "2 · 2 KiB"
    submit(browser, "take-vault-inventory", accept=True)
    assert flash_text(browser).startswith("Took 1 inventory(ies)")
    wait(browser).until(EC.text_to_be_present_in_element((By.ID, "vault-inventory"), "3 · 3 KiB"))
    assert client.describe_vault(accountId="-", vaultName=name)["NumberOfArchives"] == 3


def test_reset_asks_before_deleting(browser, dash, client):
    name = vault_name("keep")
    client.create_vault(accountId="-", vaultName=name)
    open_dashboard(browser, dash)
    submit(browser, "reset", accept=False)
    assert client.describe_vault(accountId="-", vaultName=name)["VaultName"] == name
    submit(browser, "reset", accept=True)
    assert flash_text(browser).startswith("The server was reset")
    assert client.list_vaults(accountId="-")["VaultList"] == []
    wait(browser).until(EC.text_to_be_present_in_element((By.ID, "total-vaults"), "0"))


def full_page_screenshot(driver, path):
    """The whole page, 1400 px wide (a viewport as tall as the page, through the DevTools protocol)."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": 1400, "height": min(height, 4000), "deviceScaleFactor": 1, "mobile": False})
    try:
        driver.save_screenshot(str(path))
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_screenshots(browser, dash, client):
    """Realistic state for the screenshots in docs/images/ (saved in .build/dashboard-screenshots/)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    client.create_vault(accountId="-", vaultName="backups-2026")
    for i, size in enumerate((48_000, 1_200_000, 310_000, 2_600_000, 75_000)):
        upload(client, "backups-2026", blob(f"b{i}", size), description=f"nightly/db-2026-12-0{i + 1}.tar.gz")
    client.create_vault(accountId="-", vaultName="media-archive")
    for i in range(3):
        upload(client, "media-archive", blob(f"m{i}", 900_000 + i * 150_000), description=f"raw/footage-{i + 1:03}.mov")
    client.create_vault(accountId="-", vaultName="logs")
    upload_id = client.initiate_multipart_upload(
        accountId="-", vaultName="backups-2026", partSize=str(MIB),
        archiveDescription="weekly/full-2026-w49.tar.zst")["uploadId"]
    for index in (0, 1, 2, 4, 5, 7, 8, 9, 11):
        size = MIB if index < 11 else 400_000
        first = index * MIB
        client.upload_multipart_part(accountId="-", vaultName="backups-2026", uploadId=upload_id,
                                     range=f"bytes {first}-{first + size - 1}/*", body=blob(f"p{index}", size))
    assert requests.post(dash.endpoint + "/_mock/inventory", timeout=30).status_code == 200
    client.initiate_job(accountId="-", vaultName="backups-2026", jobParameters={"Type": "inventory-retrieval"})
    with pytest.raises(ClientError):
        client.describe_vault(accountId="-", vaultName="backup-2026")
    client.add_tags_to_vault(accountId="-", vaultName="backups-2026", Tags={"owner": "platform", "retention": "7y"})
    upload(client, "media-archive", blob("m3", 1_300_000), description="raw/footage-004.mov")

    open_dashboard(browser, dash)
    full_page_screenshot(browser, SCREENSHOTS / "dashboard-overview.png")
    click_link(browser, "backups-2026")
    wait(browser).until(EC.presence_of_element_located((By.CSS_SELECTOR, "svg.partsmap")))
    full_page_screenshot(browser, SCREENSHOTS / "dashboard-vault.png")
    for shot in ("dashboard-overview.png", "dashboard-vault.png"):
        assert (SCREENSHOTS / shot).stat().st_size > 10_000


def test_docs_page_curl_block(dash):
    """docs/dashboard.md's curl block, run as written (port 9901 changed to this server's):
    a browser's Accept header at / is redirected to the dashboard; curl gets Glacier's error."""
    page = (REPO / "docs" / "dashboard.md").read_text()
    block = page.split("<!-- tested by: Tests/conformance/test_dashboard.py -->\n```sh\n", 1)[1].split("\n```", 1)[0]
    lines = block.split("\n")
    commands = [line for line in lines if not line.startswith("#")]
    expected = [line[2:] for line in lines if line.startswith("# ")]
    assert len(commands) == len(expected) == 2
    port = str(dash.port)
    outputs = [subprocess.run(["bash", "-c", cmd.replace("9901", port)], capture_output=True, text=True,
                              timeout=30, check=True).stdout.strip() for cmd in commands]
    assert outputs[0] == expected[0].replace("9901", port)
    error = json.loads(outputs[1])
    assert set(error) == set(json.loads(expected[1].replace("...", "")).keys())
    assert error["code"] == "UnknownOperationException"
    assert error["message"].startswith("No Glacier operation matches GET /;")
