"""Vault notification configuration, job-completion notifications (GET /_mock/notifications)
and their delivery to a real SNS endpoint (moto's server) with an SQS subscriber."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import uuid

import boto3
import pytest
import requests

from helpers import (
    DEFAULT_ACCOUNT, DEFAULT_REGION, ISO_RE, assert_raw_error, assert_recent, blob, describe,
    expect_error, give_inventory, inventory_job, mock_notifications, notifications_for_job, raw, retrieval_job, upload,
    take_inventory, wait_until,
)

ARN = f"arn:aws:glacier:{DEFAULT_REGION}:{DEFAULT_ACCOUNT}:vaults/"
EVENTS = ["ArchiveRetrievalCompleted", "InventoryRetrievalCompleted"]


def topic_arn(name: str | None = None) -> str:
    return f"arn:aws:sns:us-east-1:{DEFAULT_ACCOUNT}:{name or 'topic-' + uuid.uuid4().hex[:10]}"


# ============================================================== configuration


def test_notification_config_set_get_delete(glacier, vault):
    with expect_error("ResourceNotFoundException", 404):
        glacier.get_vault_notifications(accountId="-", vaultName=vault)
    topic = topic_arn()
    resp = glacier.set_vault_notifications(accountId="-", vaultName=vault,
                                           vaultNotificationConfig={"SNSTopic": topic, "Events": EVENTS})
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 204
    got = glacier.get_vault_notifications(accountId="-", vaultName=vault)
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert got["vaultNotificationConfig"] == {"SNSTopic": topic, "Events": EVENTS}

    # replaced as a whole
    glacier.set_vault_notifications(accountId="-", vaultName=vault, vaultNotificationConfig={
        "SNSTopic": topic, "Events": ["InventoryRetrievalCompleted"]})
    assert glacier.get_vault_notifications(accountId="-", vaultName=vault)["vaultNotificationConfig"] == {
        "SNSTopic": topic, "Events": ["InventoryRetrievalCompleted"]}

    resp = glacier.delete_vault_notifications(accountId="-", vaultName=vault)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 204
    with expect_error("ResourceNotFoundException", 404):
        glacier.get_vault_notifications(accountId="-", vaultName=vault)


def test_notification_config_raw_shape(endpoint, glacier, vault):
    topic = topic_arn()
    glacier.set_vault_notifications(accountId="-", vaultName=vault,
                                    vaultNotificationConfig={"SNSTopic": topic, "Events": EVENTS})
    r = raw(endpoint, "GET", f"/-/vaults/{vault}/notification-configuration")
    assert r.status_code == 200, r.text
    assert r.json() == {"SNSTopic": topic, "Events": EVENTS}


@pytest.mark.parametrize("events", [
    ["ArchiveRetrievalCompleted", "VaultDeleted"],
    ["archiveretrievalcompleted"],
    [],
])
def test_notification_config_invalid_events_400(glacier, vault, events):
    with expect_error("InvalidParameterValueException", 400):
        glacier.set_vault_notifications(accountId="-", vaultName=vault,
                                        vaultNotificationConfig={"SNSTopic": topic_arn(), "Events": events})
    with expect_error("ResourceNotFoundException", 404):
        glacier.get_vault_notifications(accountId="-", vaultName=vault)


def test_notification_config_body_not_json_400(endpoint, vault):
    r = raw(endpoint, "PUT", f"/-/vaults/{vault}/notification-configuration", data=b"SNSTopic=x")
    assert_raw_error(r, "SerializationException", 400)


def test_notification_config_missing_vault_404(glacier, vault_name):
    name = vault_name()
    with expect_error("ResourceNotFoundException", 404):
        glacier.set_vault_notifications(accountId="-", vaultName=name,
                                        vaultNotificationConfig={"SNSTopic": topic_arn(), "Events": EVENTS})
    with expect_error("ResourceNotFoundException", 404):
        glacier.get_vault_notifications(accountId="-", vaultName=name)


# ============================================================== recorded notifications


def test_notifications_endpoint_shape(endpoint):
    r = requests.get(endpoint + "/_mock/notifications", timeout=30)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    body = r.json()
    assert list(body) == ["Notifications"] and isinstance(body["Notifications"], list)


def test_job_with_own_topic_is_notified(glacier, endpoint, vault):
    data = blob("notify", 2000)
    archive_id = upload(glacier, vault, data, description="notify me")["archiveId"]
    topic = topic_arn()
    job_id = retrieval_job(glacier, vault, archive_id, SNSTopic=topic, Description="with topic")
    notes = notifications_for_job(endpoint, job_id)
    assert len(notes) == 1, notes
    n = notes[0]
    assert set(n) == {"Topic", "Message", "Created", "Delivery"}
    assert n["Topic"] == topic
    assert n["Delivery"] == "recorded"
    assert ISO_RE.match(n["Created"])
    assert_recent(n["Created"])
    msg = json.loads(n["Message"])
    assert msg["JobId"] == job_id
    assert msg["Action"] == "ArchiveRetrieval"
    assert msg["StatusCode"] == "Succeeded"
    assert msg["Completed"] is True
    assert msg["ArchiveId"] == archive_id
    assert msg["VaultARN"] == ARN + vault
    assert msg["SNSTopic"] == topic
    assert msg["JobDescription"] == "with topic"
    assert msg["ArchiveSizeInBytes"] == len(data)
    d = describe(glacier, vault, job_id)
    d.pop("ResponseMetadata")
    assert {k: v for k, v in msg.items() if v is not None} == d


def test_job_without_topic_or_config_not_notified(glacier, endpoint, vault):
    archive_id = upload(glacier, vault, b"quiet")["archiveId"]
    job_id = retrieval_job(glacier, vault, archive_id)
    take_inventory(endpoint, vault)
    inv = inventory_job(glacier, vault)
    assert describe(glacier, vault, job_id)["Completed"] is True
    assert notifications_for_job(endpoint, job_id) == []
    assert notifications_for_job(endpoint, inv) == []


def test_vault_config_notifies_both_events(glacier, endpoint, vault):
    topic = topic_arn()
    glacier.set_vault_notifications(accountId="-", vaultName=vault,
                                    vaultNotificationConfig={"SNSTopic": topic, "Events": EVENTS})
    archive_id = upload(glacier, vault, b"configured")["archiveId"]
    job_id = retrieval_job(glacier, vault, archive_id)
    take_inventory(endpoint, vault)
    inv = inventory_job(glacier, vault)
    [a] = notifications_for_job(endpoint, job_id)
    [i] = notifications_for_job(endpoint, inv)
    assert a["Topic"] == topic and i["Topic"] == topic
    ma, mi = json.loads(a["Message"]), json.loads(i["Message"])
    assert (ma["Action"], ma["StatusCode"], ma["Completed"]) == ("ArchiveRetrieval", "Succeeded", True)
    assert (mi["Action"], mi["StatusCode"], mi["Completed"]) == ("InventoryRetrieval", "Succeeded", True)
    assert mi["InventorySizeInBytes"] == describe(glacier, vault, inv)["InventorySizeInBytes"]


def test_vault_config_only_listed_events(glacier, endpoint, vault):
    topic = topic_arn()
    glacier.set_vault_notifications(accountId="-", vaultName=vault, vaultNotificationConfig={
        "SNSTopic": topic, "Events": ["InventoryRetrievalCompleted"]})
    archive_id = upload(glacier, vault, b"only inventories")["archiveId"]
    job_id = retrieval_job(glacier, vault, archive_id)
    take_inventory(endpoint, vault)
    inv = inventory_job(glacier, vault)
    assert notifications_for_job(endpoint, job_id) == []
    assert [n["Topic"] for n in notifications_for_job(endpoint, inv)] == [topic]


def test_deleted_config_no_longer_notifies(glacier, endpoint, vault):
    glacier.set_vault_notifications(accountId="-", vaultName=vault,
                                    vaultNotificationConfig={"SNSTopic": topic_arn(), "Events": EVENTS})
    glacier.delete_vault_notifications(accountId="-", vaultName=vault)
    give_inventory(glacier, vault)
    inv = inventory_job(glacier, vault)
    assert describe(glacier, vault, inv)["Completed"] is True
    assert notifications_for_job(endpoint, inv) == []


def test_delayed_job_notified_on_completion_without_polling(fresh_server):
    srv = fresh_server(args=("--job-delay", "expedited=1s,standard=30s,bulk=30s"))
    c = srv.client()
    c.create_vault(accountId="-", vaultName="later")
    archive_id = upload(c, "later", b"notify later")["archiveId"]
    topic = topic_arn()
    job_id = retrieval_job(c, "later", archive_id, Tier="Expedited", SNSTopic=topic)
    slow = retrieval_job(c, "later", archive_id, Tier="Standard", SNSTopic=topic)
    assert mock_notifications(srv.endpoint) == []
    # no Glacier request from here on: the server completes the job and notifies by itself
    notes = wait_until(lambda: mock_notifications(srv.endpoint), timeout=10, interval=0.2,
                       what="notification of the Expedited job")
    assert len(notes) == 1
    msg = json.loads(notes[0]["Message"])
    assert (msg["JobId"], msg["StatusCode"], msg["Completed"]) == (job_id, "Succeeded", True)
    assert msg["JobId"] != slow


def test_reset_clears_notifications(fresh_server):
    srv = fresh_server()
    c = srv.client()
    c.create_vault(accountId="-", vaultName="r")
    give_inventory(c, "r")
    inventory_job(c, "r", SNSTopic=topic_arn())
    assert len(mock_notifications(srv.endpoint)) == 1
    assert raw(srv.endpoint, "POST", "/_mock/reset", version_header=False).status_code == 200
    assert mock_notifications(srv.endpoint) == []


# ============================================================== delivery to moto SNS → SQS


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def moto(tmp_path_factory):
    port = _free_port()
    exe = shutil.which("moto_server")
    cmd = [exe] if exe else [sys.executable, "-m", "moto.server"]
    log = open(tmp_path_factory.mktemp("moto") / "moto.log", "wb")
    proc = subprocess.Popen(cmd + ["-H", "127.0.0.1", "-p", str(port)],
                            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"

    def up():
        assert proc.poll() is None, f"moto_server exited with {proc.returncode}"
        try:
            return requests.get(url + "/moto-api/", timeout=2).status_code < 500
        except requests.ConnectionError:
            return False

    try:
        wait_until(up, timeout=30, interval=0.2, what="moto_server start-up")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()


def _aws(service, url):
    return boto3.session.Session().client(
        service, endpoint_url=url, region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing")


def _topic_with_queue(moto_url, raw_delivery: bool):
    sns, sqs = _aws("sns", moto_url), _aws("sqs", moto_url)
    suffix = uuid.uuid4().hex[:10]
    topic = sns.create_topic(Name=f"glacier-{suffix}")["TopicArn"]
    queue_url = sqs.create_queue(QueueName=f"glacier-{suffix}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn,
                  Attributes={"RawMessageDelivery": "true" if raw_delivery else "false"})
    return topic, sqs, queue_url


def _receive_one(sqs, queue_url, timeout=15):
    def poll():
        got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        return got.get("Messages")
    return wait_until(poll, timeout=timeout, interval=0.1, what="an SQS message")


@pytest.mark.parametrize("raw_delivery", [True, False], ids=["raw", "envelope"])
def test_job_notification_published_to_moto_sns(moto, fresh_server, raw_delivery):
    topic, sqs, queue_url = _topic_with_queue(moto, raw_delivery)
    srv = fresh_server(args=("--sns-endpoint", moto))
    c = srv.client()
    c.create_vault(accountId="-", vaultName="published")
    archive_id = upload(c, "published", b"to sns")["archiveId"]
    job_id = retrieval_job(c, "published", archive_id, SNSTopic=topic)

    messages = _receive_one(sqs, queue_url)
    assert len(messages) == 1, messages
    body = messages[0]["Body"]
    if raw_delivery:
        text = body
    else:
        envelope = json.loads(body)
        assert envelope["Type"] == "Notification"
        assert envelope["TopicArn"] == topic
        assert envelope["Subject"] == "Notification From Glacier"
        text = envelope["Message"]
    msg = json.loads(text)
    assert msg["JobId"] == job_id
    assert (msg["Action"], msg["StatusCode"], msg["Completed"]) == ("ArchiveRetrieval", "Succeeded", True)
    assert msg["ArchiveId"] == archive_id

    notes = wait_until(lambda: [n for n in notifications_for_job(srv.endpoint, job_id)
                                if n["Delivery"] != "recorded"], timeout=10, what="delivery status")
    assert [(n["Topic"], n["Delivery"]) for n in notes] == [(topic, "published")]
    assert json.loads(notes[0]["Message"]) == msg


def test_vault_config_notification_published_to_moto_sns(moto, fresh_server):
    topic, sqs, queue_url = _topic_with_queue(moto, raw_delivery=True)
    srv = fresh_server(args=("--sns-endpoint", moto))
    c = srv.client()
    c.create_vault(accountId="-", vaultName="cfg")
    c.set_vault_notifications(accountId="-", vaultName="cfg",
                              vaultNotificationConfig={"SNSTopic": topic, "Events": EVENTS})
    give_inventory(c, "cfg")
    job_id = inventory_job(c, "cfg")
    [m] = _receive_one(sqs, queue_url)
    msg = json.loads(m["Body"])
    assert (msg["JobId"], msg["Action"], msg["StatusCode"]) == (job_id, "InventoryRetrieval", "Succeeded")


def test_publish_to_unknown_topic_reports_failure(moto, fresh_server):
    srv = fresh_server(args=("--sns-endpoint", moto))
    c = srv.client()
    c.create_vault(accountId="-", vaultName="nowhere")
    topic = topic_arn("no-such-topic-" + uuid.uuid4().hex[:8])
    give_inventory(c, "nowhere")
    job_id = inventory_job(c, "nowhere", SNSTopic=topic)
    notes = wait_until(lambda: [n for n in notifications_for_job(srv.endpoint, job_id)
                                if n["Delivery"] != "recorded"], timeout=10, what="delivery status")
    assert len(notes) == 1 and notes[0]["Topic"] == topic
    assert notes[0]["Delivery"].startswith("failed"), notes[0]
    # the job itself succeeded regardless
    assert describe(c, "nowhere", job_id)["StatusCode"] == "Succeeded"


def test_publish_to_an_endpoint_that_refuses_reports_why(fresh_server):
    # The SwiftNIO publisher (SNSPublisher over PlainHTTPClient) names the endpoint and the
    # reason; the job succeeds regardless.
    port = _free_port()
    srv = fresh_server(args=("--sns-endpoint", f"http://127.0.0.1:{port}"))
    c = srv.client()
    c.create_vault(accountId="-", vaultName="refused")
    give_inventory(c, "refused")   # an inventory job needs the vault's inventory
    topic = topic_arn("refused-" + uuid.uuid4().hex[:8])
    job_id = inventory_job(c, "refused", SNSTopic=topic)
    notes = wait_until(lambda: [n for n in notifications_for_job(srv.endpoint, job_id)
                                if n["Delivery"] != "recorded"], timeout=15, what="delivery status")
    assert len(notes) == 1 and notes[0]["Topic"] == topic
    assert notes[0]["Delivery"].startswith(f"failed: cannot connect to 127.0.0.1:{port}: "), notes[0]
    assert describe(c, "refused", job_id)["StatusCode"] == "Succeeded"
