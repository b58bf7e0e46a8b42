"""The server's raw responses against botocore's own model of Glacier (2012-06-01).

boto3 ignores JSON keys and headers it does not know and leaves out members that are missing
or misspelled, so a wrong field name or JSON type goes unnoticed by tests that go through the
parsed response. Here every response of the operation under test is captured raw (botocore's
`before-parse` event, before any parsing) and checked against the operation's output shape in
`botocore/data/glacier/2012-06-01/service-2.json`:

- the HTTP status is the model's `http.responseCode` (200 when it gives none; 206 for a ranged
  GetJobOutput, whose `status` member is bound to the status code);
- a JSON body (output members without a `location`, or a structure payload) has only keys that
  are member names of the shape, each of the JSON type the member's shape says, recursively
  (lists, maps, nested structures), enum values from the model, ISO 8601 dates, JSON null only
  where the Glacier Developer Guide says AWS sends null (NULLABLE below), never for a required
  member, and every required member present; its Content-Type is application/json;
- header-bound members have values of their type, and the headers each operation always returns
  on success (Location, x-amz-archive-id, x-amz-job-id, ...) are there with the right values;
- an operation whose output has no body members answers with an empty body;
- DescribeJob / ListJobs documents also follow the Developer Guide's rules for which job members
  are null (inventory jobs have no archive fields, an InProgress job no CompletionDate, ...).

Error responses (404, 400 invalid/missing parameter, 403 from a vault access policy, ...) are
checked against the model's error shapes: the body is exactly {"code", "message", "type"}, the
code is one of the operation's modeled errors (or, for codes the model does not list, a code of
the Developer Guide's error table) and the status is the error shape's `httpStatusCode`.

The checker itself is tested at the end of the file on mutated responses (misspelled key, string
for a number, missing required member, unexpected null, missing header, error document with an
extra key), so it is known to fail when it should.
"""

from __future__ import annotations

import contextlib
import csv
import difflib
import io
import json
import re
import uuid
from dataclasses import dataclass

import botocore.model
import botocore.session
import pytest
from botocore.exceptions import ClientError

from helpers import (
    DEFAULT_ACCOUNT, DEFAULT_REGION, MIB, blob, make_client, random_account, take_inventory, tree_hash,
)

MODEL = botocore.session.get_session().get_service_model("glacier")
ALL_OPERATIONS = sorted(MODEL.operation_names)

# Server-made dates: "A string representation in the ISO 8601 date format, for example
# 2013-03-20T17:03:43.221Z" (Developer Guide, Describe Vault / Describe Job / List Parts ...).
ISO_MS_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
# The DateTime shape (InventoryRetrievalParameters.StartDate/EndDate) echoes what the caller sent:
# "a string in the ISO 8601 date format, for example 2013-03-20T17:03:43Z" (service-2.json).
ISO_ANY_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
HEX64_RE = re.compile(r"^[0-9a-f]{64}$")

# Members for which AWS sends JSON null, by structure shape name -> member names. Sources: the
# Glacier Developer Guide (awsdocs/amazon-glacier-developer-guide, doc_source/*.md) and the
# member documentation in service-2.json.
NULLABLE = {
    # api-describe-job-get.md / api-jobs-get.md: "when a field doesn't apply to the type of job,
    # its value is null"; the examples send ArchiveId, ArchiveSizeInBytes, ArchiveSHA256TreeHash,
    # CompletionDate, InventorySizeInBytes, JobDescription, RetrievalByteRange, SHA256TreeHash
    # and SNSTopic as null.
    # Real DescribeJob responses and job notifications (same document) quoted in public
    # repositories also send "InventoryRetrievalParameters": null for archive retrievals, and
    # AWS's own solution aws-solutions/data-transfer-from-amazon-s3-glacier-vaults-to-amazon-s3
    # (source/tests/unit/conftest.py, glacier_job_result) has "Tier": null for an inventory job.
    # Not nullable: StatusMessage ("Operation in progress." / "Succeeded" in every example).
    "GlacierJobDescription": {
        "ArchiveId", "ArchiveSizeInBytes", "ArchiveSHA256TreeHash", "CompletionDate",
        "InventorySizeInBytes", "JobDescription", "RetrievalByteRange", "SHA256TreeHash", "SNSTopic",
        "InventoryRetrievalParameters", "Tier",
    },
    # service-2.json InventoryRetrievalJobDescription.Marker: "If there are no more inventory
    # items, this value is null"; the same AWS solution fixture has EndDate, Limit, Marker and
    # StartDate null for an inventory job initiated without them.
    "InventoryRetrievalJobDescription": {"Marker", "StartDate", "EndDate", "Limit"},
    # api-vault-get.md: NumberOfArchives / SizeInBytes "will return null if an inventory has not
    # yet run on the vault"; api-vaults-get.md: LastInventoryDate "can be null" likewise.
    "DescribeVaultOutput": {"LastInventoryDate", "NumberOfArchives", "SizeInBytes"},
    # api-vaults-get.md, api-jobs-get.md, api-multipart-list-uploads.md, api-multipart-list-parts.md:
    # "If there are no more ..., this value is null" (examples: "Marker": null).
    "ListVaultsOutput": {"Marker"},
    "ListJobsOutput": {"Marker"},
    "ListMultipartUploadsOutput": {"Marker"},
    # api-multipart-list-parts.md / -list-uploads.md: ArchiveDescription "is null if no archive
    # description was specified in the Initiate Multipart Upload operation".
    "ListPartsOutput": {"Marker", "ArchiveDescription"},
    "UploadListElement": {"ArchiveDescription"},
    # api-GetVaultLock.md: ExpirationDate "can be null if the vault lock is in a Locked state".
    "GetVaultLockOutput": {"ExpirationDate"},
}

# Codes the model has no error shape for, with their status in the Developer Guide's error
# table (doc_source/api-error-responses.md).
DOCUMENTED_ERROR_STATUS = {
    "AccessDeniedException": 403, "BadRequest": 400, "ExpiredTokenException": 403,
    "InvalidSignatureException": 403, "MissingAuthenticationTokenException": 400,
    "SerializationException": 400, "ThrottlingException": 400, "UnrecognizedClientException": 400,
}


# ==================================================================== raw responses


@dataclass
class Raw:
    """One HTTP response as botocore received it, before parsing."""
    operation: str
    status: int
    headers: dict                 # lower-case names
    body: bytes | None            # None: a streaming body, left for the caller to read

    def header(self, name: str):
        return self.headers.get(name.lower())


class Recorder:
    """Captures the raw responses of the clients attached to it, while capturing."""

    def __init__(self):
        self._active: list[Raw] | None = None

    def attach(self, client):
        client.meta.events.register("before-parse.glacier.*", self._on_response)
        return client

    def _on_response(self, operation_model, response_dict, **_):
        if self._active is None:
            return
        body = response_dict["body"]
        # A streaming output (GetJobOutput) is a StreamingBody: it is not read here.
        raw_body = bytes(body) if isinstance(body, (bytes, bytearray)) else None
        headers = {str(k).lower(): v for k, v in response_dict["headers"].items()}
        self._active.append(Raw(operation_model.name, response_dict["status_code"], headers, raw_body))

    @contextlib.contextmanager
    def capture(self):
        self._active = []
        try:
            yield self._active
        finally:
            self._active = None


# ==================================================================== the checker


class ShapeChecker:
    """Collects every disagreement between a JSON value and a botocore shape."""

    def __init__(self, operation: str):
        self.operation = operation
        self.problems: list[str] = []

    def fail(self, path: str, expected: str, found: str):
        self.problems.append(f"{self.operation}: {path}: expected {expected}; found {found}")

    @staticmethod
    def kind(shape) -> str:
        """'long', or 'string DateTime' when the shape has a name of its own."""
        return shape.type_name if shape.name == shape.type_name else f"{shape.type_name} {shape.name}"

    @staticmethod
    def describe(value) -> str:
        kind = {type(None): "null", bool: "boolean", int: "integer", float: "number", str: "string",
                list: "array", dict: "object"}.get(type(value), type(value).__name__)
        text = json.dumps(value) if not isinstance(value, (list, dict)) else json.dumps(value)[:80]
        return f"JSON {kind} {text}"

    # -- structures -------------------------------------------------------------
    def structure(self, value, shape, path: str, only_members=None):
        """`only_members`: the member names that may appear (body members of an output)."""
        if not isinstance(value, dict):
            self.fail(path, f"a JSON object ({shape.name})", self.describe(value))
            return
        by_key = {}
        for name, member in shape.members.items():
            if only_members is not None and name not in only_members:
                continue
            by_key[member.serialization.get("name", name)] = (name, member)
        for key, item in value.items():
            if key not in by_key:
                close = difflib.get_close_matches(key, list(by_key), n=1, cutoff=0.6)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                self.fail(f"{path}.{key}", f"a member of {shape.name}: one of {sorted(by_key)}",
                          f"unknown key {key!r}{hint}")
                continue
            name, member = by_key[key]
            if item is None:
                if name in shape.required_members:
                    self.fail(f"{path}.{key}", f"{self.kind(member)} (a required member, never null)", "null")
                elif name not in NULLABLE.get(shape.name, ()):
                    self.fail(f"{path}.{key}", f"{self.kind(member)} (AWS sends no null for "
                              f"{shape.name}.{name})", "null")
                continue
            self.value(item, member, f"{path}.{key}", member_name=name)
        for name in shape.required_members:
            if only_members is not None and name not in only_members:
                continue
            key = shape.members[name].serialization.get("name", name)
            if key not in value:
                self.fail(f"{path}.{key}", f"required member {shape.name}.{name} present", "no such key")

    # -- any value ---------------------------------------------------------------
    def value(self, value, shape, path: str, member_name: str | None = None):
        t = shape.type_name
        if t == "structure":
            self.structure(value, shape, path)
        elif t == "list":
            if not isinstance(value, list):
                self.fail(path, f"a JSON array ({self.kind(shape)})", self.describe(value))
                return
            for i, item in enumerate(value):
                if item is None:
                    self.fail(f"{path}[{i}]", self.kind(shape.member), "null")
                else:
                    self.value(item, shape.member, f"{path}[{i}]")
        elif t == "map":
            if not isinstance(value, dict):
                self.fail(path, f"a JSON object ({self.kind(shape)})", self.describe(value))
                return
            for k, item in value.items():
                self.value(k, shape.key, f"{path}<key {k!r}>")
                if item is None:
                    self.fail(f"{path}[{k!r}]", self.kind(shape.value), "null")
                else:
                    self.value(item, shape.value, f"{path}[{k!r}]")
        elif t == "string":
            if not isinstance(value, str):
                self.fail(path, f"a JSON string ({self.kind(shape)})", self.describe(value))
                return
            enum = getattr(shape, "enum", None) or []
            if enum and value not in enum:
                self.fail(path, f"one of {shape.name}'s values {enum}", f"{value!r}")
            if member_name is not None and member_name.endswith("Date"):
                pattern, example = ((ISO_ANY_RE, "2013-03-20T17:03:43Z") if shape.name == "DateTime"
                                    else (ISO_MS_RE, "2012-03-20T17:03:43.221Z"))
                if not pattern.match(value):
                    self.fail(path, f"an ISO 8601 date like {example}", f"{value!r}")
        elif t in ("integer", "long"):
            if not isinstance(value, int) or isinstance(value, bool):
                self.fail(path, f"a JSON integer ({self.kind(shape)})", self.describe(value))
        elif t in ("float", "double"):
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                self.fail(path, f"a JSON number ({self.kind(shape)})", self.describe(value))
        elif t == "boolean":
            if not isinstance(value, bool):
                self.fail(path, f"a JSON boolean ({self.kind(shape)})", self.describe(value))
        elif t == "timestamp":
            fmt = shape.serialization.get("timestampFormat") or MODEL.metadata.get("timestampFormat") or "iso8601"
            if fmt == "unixTimestamp":
                if not isinstance(value, (int, float)) or isinstance(value, bool):
                    self.fail(path, "a JSON number (unixTimestamp)", self.describe(value))
            elif not isinstance(value, str) or not ISO_ANY_RE.match(value):
                self.fail(path, f"a {fmt} timestamp string", self.describe(value))
        elif t == "blob":
            if not isinstance(value, str):
                self.fail(path, "a base64 JSON string (blob)", self.describe(value))
        else:  # pragma: no cover - the Glacier model has no other types
            self.fail(path, f"a type this checker knows ({t})", self.describe(value))


def body_members(shape) -> set[str]:
    return {name for name, m in shape.members.items() if "location" not in m.serialization}


def header_members(shape) -> dict[str, tuple[str, object]]:
    """Header name (lower-case) -> (member name, member shape)."""
    return {m.serialization["name"].lower(): (name, m) for name, m in shape.members.items()
            if m.serialization.get("location") == "header"}


def parse_json(checker: ShapeChecker, body: bytes, what: str):
    """The JSON document in `body`, or None (with a problem) when it is not JSON. A key sent
    twice in one object is a problem too: json.loads would silently keep the last one."""
    def pairs(items):
        seen = set()
        for key, _ in items:
            if key in seen:
                checker.fail("$", "each key once per JSON object", f"{key!r} twice")
            seen.add(key)
        return dict(items)
    try:
        return json.loads(body, object_pairs_hook=pairs)
    except ValueError:
        checker.fail("$", what, f"{body[:200]!r}")
        return None


def check_json_body(checker: ShapeChecker, raw: Raw, shape, path="$", only_members=None):
    ctype = raw.header("content-type") or ""
    if ctype.split(";")[0].strip().lower() != "application/json":
        checker.fail("Content-Type", "application/json (a JSON body)", repr(raw.header("content-type")))
    doc = parse_json(checker, raw.body, f"a JSON document ({shape.name})")
    if doc is not None:
        checker.structure(doc, shape, path, only_members=only_members)
    return doc


def check_success(raw: Raw, status: int | None = None, headers: dict | None = None) -> list[str]:
    """Every disagreement of a successful response with its operation's output shape.

    `status` overrides the expected status (206 for a ranged GetJobOutput); `headers` maps a
    header name to the value it must have, to True (must be present, any value of its type) or
    to a callable (value, raw) returning what was expected when the value is wrong, else None.
    """
    op = MODEL.operation_model(raw.operation)
    checker = ShapeChecker(raw.operation)
    expected_status = status if status is not None else op.http.get("responseCode", 200)
    if raw.status != expected_status:
        checker.fail("HTTP status", f"{expected_status} (service-2.json http.responseCode)", str(raw.status))
    out = op.output_shape

    # headers bound to members: the right form whenever present
    for hname, (mname, mshape) in (header_members(out) if out else {}).items():
        value = raw.header(hname)
        if value is None:
            continue
        if mshape.type_name in ("integer", "long") and not re.fullmatch(r"-?\d+", value):
            checker.fail(f"header {hname}", f"an integer ({mname})", repr(value))
        elif mshape.type_name == "string" and value == "":
            checker.fail(f"header {hname}", f"a non-empty string ({mname})", "''")
    # headers the operation always returns, with their values
    for hname, want in (headers or {}).items():
        value = raw.header(hname)
        if value is None:
            checker.fail(f"header {hname}", "present (returned on every success)", "absent")
        elif callable(want):
            msg = want(value, raw)
            if msg:
                checker.fail(f"header {hname}", msg, repr(value))
        elif want is not True and value != want:
            checker.fail(f"header {hname}", repr(want), repr(value))

    # the body
    payload = out.serialization.get("payload") if out else None
    if payload is not None:
        pshape = out.members[payload]
        if pshape.type_name == "structure":
            check_json_body(checker, raw, pshape)
        # blob / streaming payloads: the caller checks the bytes
    elif out is not None and body_members(out):
        check_json_body(checker, raw, out, only_members=body_members(out))
    elif raw.body not in (b"", None):
        checker.fail("body", "empty (the output shape has no body members)", f"{raw.body[:200]!r}")
    return checker.problems


def check_error(raw: Raw, code: str) -> list[str]:
    """Every disagreement of an error response with the Glacier error document and the model."""
    op = MODEL.operation_model(raw.operation)
    checker = ShapeChecker(raw.operation)
    modeled = {s.name: s for s in op.error_shapes}
    every_error_shape = {s for s in MODEL.shape_names if MODEL.shape_for(s).metadata.get("exception")}
    ctype = raw.header("content-type") or ""
    if ctype.split(";")[0].strip().lower() != "application/json":
        checker.fail("Content-Type", "application/json", repr(raw.header("content-type")))
    doc = parse_json(checker, raw.body, "a JSON error document")
    if doc is None:
        return checker.problems
    if not isinstance(doc, dict):
        checker.fail("$", "a JSON object", checker.describe(doc))
        return checker.problems
    if set(doc) != {"code", "message", "type"}:
        checker.fail("$", "exactly the keys ['code', 'message', 'type'] (api-error-responses.md)",
                     f"keys {sorted(doc)}")
    found = doc.get("code")
    if found != code:
        checker.fail("$.code", repr(code), repr(found))
    if found in modeled:
        shape = modeled[found]
        checker.structure(doc, shape, "$")
        want = shape.metadata.get("error", {}).get("httpStatusCode")
        if raw.status != want:
            checker.fail("HTTP status", f"{want} ({found}'s error.httpStatusCode)", str(raw.status))
    elif found in every_error_shape:
        checker.fail("$.code", f"one of {raw.operation}'s modeled errors {sorted(modeled)}", repr(found))
    elif found in DOCUMENTED_ERROR_STATUS:
        # not in the model: the Developer Guide's table (api-error-responses.md) is the reference
        if raw.status != DOCUMENTED_ERROR_STATUS[found]:
            checker.fail("HTTP status", f"{DOCUMENTED_ERROR_STATUS[found]} (api-error-responses.md)",
                         str(raw.status))
        for key in ("code", "message", "type"):
            if key in doc and not isinstance(doc[key], str):
                checker.fail(f"$.{key}", "a JSON string", checker.describe(doc[key]))
    else:
        checker.fail("$.code", "a Glacier error code (model or api-error-responses.md)", repr(found))
    if isinstance(doc.get("message"), str) and not doc["message"]:
        checker.fail("$.message", "a non-empty message", "''")
    want_type = "Client" if raw.status < 500 else "Server"
    if doc.get("type") != want_type:
        checker.fail("$.type", repr(want_type), repr(doc.get("type")))
    return checker.problems


def check_job_documents(raw: Raw) -> list[str]:
    """The Developer Guide's rules for which GlacierJobDescription members are null
    (api-describe-job-get.md, "Response Body"): the shape check allows null there, these say
    when a value must not be sent."""
    try:
        doc = json.loads(raw.body)
    except ValueError:
        return []   # check_success already said so
    if not isinstance(doc, dict):
        return []   # likewise
    if raw.operation == "ListJobs":
        job_list = doc.get("JobList") if isinstance(doc.get("JobList"), list) else []
        jobs = [(f"$.JobList[{i}]", j) for i, j in enumerate(job_list) if isinstance(j, dict)]
    else:
        jobs = [("$", doc)]
    problems = []
    for path, job in jobs:
        def null(key, why):
            if job.get(key) is not None:
                problems.append(f"{raw.operation}: {path}.{key}: expected null or absent ({why}, "
                                f"api-describe-job-get.md); found {job[key]!r}")
        action, status = job.get("Action"), job.get("StatusCode")
        if action == "InventoryRetrieval":
            for key in ("ArchiveId", "ArchiveSizeInBytes", "ArchiveSHA256TreeHash", "RetrievalByteRange",
                        "SHA256TreeHash"):
                null(key, "an inventory retrieval job")
        if action == "ArchiveRetrieval":
            null("InventorySizeInBytes", "an archive retrieval job")
        if status == "InProgress":
            null("CompletionDate", "while the job is in progress")
            size = job.get("ArchiveSizeInBytes")
            if action == "ArchiveRetrieval" and isinstance(size, int) and job.get("RetrievalByteRange") in (
                    None, f"0-{size - 1}"):
                null("SHA256TreeHash", "an archive retrieval of the whole archive while InProgress")
    return problems


# ==================================================================== scenarios


def location_of(path_format: str, id_header: str):
    """A validator: the Location header is path_format with the value of `id_header`."""
    def check(value, raw: Raw):
        want = path_format.format(id=raw.header(id_header))
        return None if value == want else f"{want!r}"
    return check


def hex64(value, raw=None):
    return None if HEX64_RE.match(value) else "a SHA-256 tree hash, 64 lower-case hex digits"


def nonempty(value, raw=None):
    return None if value.strip() else "a non-empty ID"


class Ctx:
    """What a scenario works with: a recorded client, helpers, and the problems found."""

    def __init__(self, client, recorder: Recorder, endpoint: str, fresh_server, vault_name):
        self.c = client
        self.vault_name = vault_name
        self.rec = recorder
        self.endpoint = endpoint
        self.fresh_server = fresh_server
        self.problems: list[str] = []
        self.checked: list[str] = []

    # -- setup -------------------------------------------------------------------
    def new_vault(self, client=None) -> str:
        name = self.vault_name()
        (client or self.c).create_vault(accountId="-", vaultName=name)
        return name

    def own_account(self):
        """A client for a fresh account (account-wide settings stay away from the others)."""
        return self.rec.attach(make_client(self.endpoint, access_key=random_account()))

    def archive(self, vault, data: bytes, description: str | None = "shapes archive", client=None):
        """Uploads an archive, then takes the vault's inventory (Glacier's daily one, now), so
        DescribeVault counts it and inventory jobs, which read the last inventory, list it."""
        kw = {"archiveDescription": description} if description is not None else {}
        c = client or self.c
        archive_id = c.upload_archive(accountId="-", vaultName=vault, body=data, **kw)["archiveId"]
        take_inventory(c.meta.endpoint_url, vault)
        return archive_id

    # -- the checked call --------------------------------------------------------
    def call(self, operation: str, fn, status: int | None = None, headers: dict | None = None,
             what: str | None = None):
        """Runs fn() (one call of `operation`), checks its raw response, returns (parsed, raw).
        `what` names the call in failure messages when a scenario makes several."""
        with self.rec.capture() as got:
            parsed = fn()
        raws = [r for r in got if r.operation == operation]
        assert len(raws) == 1, f"expected one {operation} response, captured {[r.operation for r in got]}"
        raw = raws[0]
        problems = check_success(raw, status=status, headers=headers)
        if operation in ("DescribeJob", "ListJobs") and raw.status == 200:
            problems += check_job_documents(raw)
        self.problems += [p.replace(f"{operation}: ", f"{operation} ({what}): ", 1) if what else p
                          for p in problems]
        self.checked.append(operation)
        return parsed, raw

    def error(self, operation: str, fn, code: str):
        with self.rec.capture() as got:
            with pytest.raises(ClientError) as ei:
                fn()
        raws = [r for r in got if r.operation == operation]
        assert len(raws) == 1, f"expected one {operation} response, captured {[r.operation for r in got]}"
        self.problems += check_error(raws[0], code)
        self.checked.append(operation)
        return ei.value, raws[0]


ACCT = DEFAULT_ACCOUNT
ARN = f"arn:aws:glacier:{DEFAULT_REGION}:{ACCT}:vaults/"


def topic_arn() -> str:
    return f"arn:aws:sns:{DEFAULT_REGION}:{ACCT}:shapes-{uuid.uuid4().hex[:8]}"


def deny_policy(vault: str, action: str = "glacier:DeleteArchive") -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "deny", "Effect": "Deny", "Principal": "*", "Action": action, "Resource": f"{ARN}{vault}"}]})


def lock_policy(vault: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "keep", "Effect": "Deny", "Principal": "*", "Action": "glacier:DeleteArchive",
        "Resource": f"{ARN}{vault}",
        "Condition": {"NumericLessThan": {"glacier:ArchiveAgeInDays": "365"}}}]})


# ---- vaults


def sc_create_vault(x: Ctx):
    name = x.vault_name()
    x.call("CreateVault", lambda: x.c.create_vault(accountId="-", vaultName=name),
           headers={"Location": f"/{ACCT}/vaults/{name}"})


def sc_delete_vault(x: Ctx):
    v = x.new_vault()
    x.call("DeleteVault", lambda: x.c.delete_vault(accountId="-", vaultName=v))


def sc_describe_vault_new(x: Ctx):
    v = x.new_vault()
    x.call("DescribeVault", lambda: x.c.describe_vault(accountId="-", vaultName=v))


def sc_describe_vault_inventoried(x: Ctx):
    v = x.new_vault()
    x.archive(v, b"inventoried")   # with the vault's inventory: LastInventoryDate set
    x.call("DescribeVault", lambda: x.c.describe_vault(accountId="-", vaultName=v))


def sc_list_vaults(x: Ctx):
    c = x.own_account()
    for _ in range(3):
        x.new_vault(c)
    first, _ = x.call("ListVaults", lambda: c.list_vaults(accountId="-", limit="2"), what="first page")
    assert first.get("Marker"), "three vaults, limit 2: a Marker to go on"
    x.call("ListVaults", lambda: c.list_vaults(accountId="-", marker=first["Marker"]), what="last page")


# ---- archives and multipart uploads


def sc_upload_archive(x: Ctx):
    v = x.new_vault()
    data = blob("shapes-upload", 3000)
    x.call("UploadArchive", lambda: x.c.upload_archive(accountId="-", vaultName=v, body=data,
                                                       archiveDescription="shapes"),
           headers={"x-amz-archive-id": nonempty, "x-amz-sha256-tree-hash": tree_hash(data),
                    "Location": location_of(f"/{ACCT}/vaults/{v}/archives/{{id}}", "x-amz-archive-id")})


def sc_delete_archive(x: Ctx):
    v = x.new_vault()
    aid = x.archive(v, b"to delete")
    x.call("DeleteArchive", lambda: x.c.delete_archive(accountId="-", vaultName=v, archiveId=aid))


def initiate(x: Ctx, v, description="shapes multipart", part_size=MIB):
    kw = {"archiveDescription": description} if description is not None else {}
    return x.c.initiate_multipart_upload(accountId="-", vaultName=v, partSize=str(part_size), **kw)["uploadId"]


def upload_part(x: Ctx, v, upload_id, first, chunk):
    return x.c.upload_multipart_part(accountId="-", vaultName=v, uploadId=upload_id,
                                     range=f"bytes {first}-{first + len(chunk) - 1}/*", body=chunk)


def sc_initiate_multipart_upload(x: Ctx):
    v = x.new_vault()
    x.call("InitiateMultipartUpload",
           lambda: x.c.initiate_multipart_upload(accountId="-", vaultName=v, partSize=str(MIB),
                                                 archiveDescription="shapes"),
           headers={"x-amz-multipart-upload-id": nonempty,
                    "Location": location_of(f"/{ACCT}/vaults/{v}/multipart-uploads/{{id}}",
                                            "x-amz-multipart-upload-id")})


def sc_upload_multipart_part(x: Ctx):
    v = x.new_vault()
    uid = initiate(x, v)
    chunk = blob("shapes-part", MIB)
    x.call("UploadMultipartPart", lambda: upload_part(x, v, uid, 0, chunk),
           headers={"x-amz-sha256-tree-hash": tree_hash(chunk)})


def sc_complete_multipart_upload(x: Ctx):
    v = x.new_vault()
    uid = initiate(x, v)
    data = blob("shapes-complete", MIB + 100)
    upload_part(x, v, uid, 0, data[:MIB])
    upload_part(x, v, uid, MIB, data[MIB:])
    x.call("CompleteMultipartUpload",
           lambda: x.c.complete_multipart_upload(accountId="-", vaultName=v, uploadId=uid,
                                                 archiveSize=str(len(data)), checksum=tree_hash(data)),
           headers={"x-amz-archive-id": nonempty, "x-amz-sha256-tree-hash": tree_hash(data),
                    "Location": location_of(f"/{ACCT}/vaults/{v}/archives/{{id}}", "x-amz-archive-id")})


def sc_abort_multipart_upload(x: Ctx):
    v = x.new_vault()
    uid = initiate(x, v)
    x.call("AbortMultipartUpload",
           lambda: x.c.abort_multipart_upload(accountId="-", vaultName=v, uploadId=uid))


def sc_list_parts(x: Ctx):
    v = x.new_vault()
    uid = initiate(x, v)
    upload_part(x, v, uid, 0, blob("p0", MIB))
    upload_part(x, v, uid, MIB, blob("p1", MIB))
    first, _ = x.call("ListParts", lambda: x.c.list_parts(accountId="-", vaultName=v, uploadId=uid, limit="1"),
                      what="first page")
    assert first.get("Marker"), "two parts, limit 1: a Marker to go on"
    x.call("ListParts", lambda: x.c.list_parts(accountId="-", vaultName=v, uploadId=uid, marker=first["Marker"]),
           what="last page")
    # no description: ArchiveDescription may be null (api-multipart-list-parts.md)
    bare = initiate(x, v, description=None)
    x.call("ListParts", lambda: x.c.list_parts(accountId="-", vaultName=v, uploadId=bare),
           what="no description, no parts")


def sc_list_multipart_uploads(x: Ctx):
    v = x.new_vault()
    initiate(x, v)
    initiate(x, v, description=None)
    first, _ = x.call("ListMultipartUploads",
                      lambda: x.c.list_multipart_uploads(accountId="-", vaultName=v, limit="1"), what="first page")
    assert first.get("Marker"), "two uploads, limit 1: a Marker to go on"
    x.call("ListMultipartUploads", lambda: x.c.list_multipart_uploads(accountId="-", vaultName=v), what="all")


# ---- jobs


def sc_initiate_job(x: Ctx):
    v = x.new_vault()
    aid = x.archive(v, b"job data")
    for params in ({"Type": "archive-retrieval", "ArchiveId": aid, "Tier": "Expedited"},
                   {"Type": "inventory-retrieval"}):
        x.call("InitiateJob", lambda: x.c.initiate_job(accountId="-", vaultName=v, jobParameters=params),
               headers={"x-amz-job-id": nonempty,
                        "Location": location_of(f"/{ACCT}/vaults/{v}/jobs/{{id}}", "x-amz-job-id")},
               what=params["Type"])


def sc_describe_job(x: Ctx):
    v = x.new_vault()
    data = blob("describe", 2 * MIB + 5)
    aid = x.archive(v, data)
    jobs = [
        {"Type": "archive-retrieval", "ArchiveId": aid, "Description": "whole archive"},
        {"Type": "archive-retrieval", "ArchiveId": aid, "RetrievalByteRange": f"0-{MIB - 1}"},
        {"Type": "inventory-retrieval"},
        {"Type": "inventory-retrieval", "InventoryRetrievalParameters": {
            "StartDate": "2013-03-20T17:03:43Z", "EndDate": "2099-03-20T17:03:43Z", "Limit": "10"},
         "Format": "CSV", "SNSTopic": topic_arn()},
    ]
    for params in jobs:
        jid = x.c.initiate_job(accountId="-", vaultName=v, jobParameters=params)["jobId"]
        x.call("DescribeJob", lambda: x.c.describe_job(accountId="-", vaultName=v, jobId=jid),
               what=f"{params['Type']}, {' '.join(sorted(set(params) - {'Type', 'ArchiveId'})) or 'defaults'}")
    # a range that is megabyte aligned but not tree-hash aligned (1 MiB to the end of a 3-leaf
    # archive): "SHA256TreeHash ... is null for archive retrieval jobs that specify a range that
    # is not tree-hash aligned" (api-describe-job-get.md)
    jid = x.c.initiate_job(accountId="-", vaultName=v, jobParameters={
        "Type": "archive-retrieval", "ArchiveId": aid, "RetrievalByteRange": f"{MIB}-{len(data) - 1}"})["jobId"]
    _, raw = x.call("DescribeJob", lambda: x.c.describe_job(accountId="-", vaultName=v, jobId=jid),
                    what="archive-retrieval, range not tree-hash aligned")
    found = json.loads(raw.body).get("SHA256TreeHash")
    if found is not None:
        x.problems.append(f"DescribeJob (archive-retrieval, range not tree-hash aligned): $.SHA256TreeHash: "
                          f"expected null or absent (a range that is not tree-hash aligned, "
                          f"api-describe-job-get.md); found {found!r}")


def sc_describe_job_in_progress(x: Ctx):
    srv = x.fresh_server(args=("--job-delay", "expedited=1h,standard=1h,bulk=1h"))
    c = x.rec.attach(srv.client())
    v = x.new_vault(c)
    aid = x.archive(v, b"slow", client=c)
    for params in ({"Type": "archive-retrieval", "ArchiveId": aid}, {"Type": "inventory-retrieval"}):
        jid = c.initiate_job(accountId="-", vaultName=v, jobParameters=params)["jobId"]
        parsed, _ = x.call("DescribeJob", lambda: c.describe_job(accountId="-", vaultName=v, jobId=jid),
                           what=f"{params['Type']}, InProgress")
        assert parsed["Completed"] is False, parsed


def sc_list_jobs(x: Ctx):
    v = x.new_vault()
    aid = x.archive(v, b"listed")
    x.c.initiate_job(accountId="-", vaultName=v, jobParameters={"Type": "archive-retrieval", "ArchiveId": aid})
    x.c.initiate_job(accountId="-", vaultName=v, jobParameters={"Type": "inventory-retrieval"})
    first, _ = x.call("ListJobs", lambda: x.c.list_jobs(accountId="-", vaultName=v, limit="1"), what="first page")
    assert first.get("Marker"), "two jobs, limit 1: a Marker to go on"
    x.call("ListJobs", lambda: x.c.list_jobs(accountId="-", vaultName=v), what="all")


def sc_get_job_output(x: Ctx):
    v = x.new_vault()
    data = blob("output", 2 * MIB + 17)
    aid = x.archive(v, data, description="output description")
    jid = x.c.initiate_job(accountId="-", vaultName=v,
                           jobParameters={"Type": "archive-retrieval", "ArchiveId": aid})["jobId"]

    def output(job_id, rng=None):
        kw = {"range": rng} if rng else {}
        resp = x.c.get_job_output(accountId="-", vaultName=v, jobId=job_id, **kw)
        return resp

    # whole archive: 200, octet-stream, tree hash, description, Accept-Ranges
    parsed, raw = x.call("GetJobOutput", lambda: output(jid), what="archive, whole", headers={
        "Content-Type": "application/octet-stream", "Accept-Ranges": "bytes", "Content-Length": str(len(data)),
        "x-amz-sha256-tree-hash": tree_hash(data), "x-amz-archive-description": "output description"})
    assert parsed["body"].read() == data

    # a tree-hash aligned range: 206 with Content-Range
    parsed, raw = x.call("GetJobOutput", lambda: output(jid, f"bytes=0-{MIB - 1}"), status=206,
                         what="archive, first MiB", headers={
        "Content-Type": "application/octet-stream", "Accept-Ranges": "bytes", "Content-Length": str(MIB),
        "Content-Range": f"bytes 0-{MIB - 1}/{len(data)}", "x-amz-sha256-tree-hash": tree_hash(data[:MIB]),
        "x-amz-archive-description": "output description"})
    assert parsed["body"].read() == data[:MIB]

    # inventories: JSON and CSV
    for fmt, ctype in (("JSON", "application/json"), ("CSV", "text/csv")):
        ijid = x.c.initiate_job(accountId="-", vaultName=v,
                                jobParameters={"Type": "inventory-retrieval", "Format": fmt})["jobId"]
        parsed, raw = x.call("GetJobOutput", lambda: output(ijid), what=f"{fmt} inventory",
                             headers={"Content-Type": ctype, "Accept-Ranges": "bytes"})
        text = parsed["body"].read().decode()
        if fmt == "JSON":
            assert [a["ArchiveId"] for a in json.loads(text)["ArchiveList"]] == [aid]
        else:
            rows = list(csv.reader(io.StringIO(text)))
            assert rows[0] == ["ArchiveId", "ArchiveDescription", "CreationDate", "Size", "SHA256TreeHash"], rows


# ---- access policy


def sc_set_vault_access_policy(x: Ctx):
    v = x.new_vault()
    x.call("SetVaultAccessPolicy", lambda: x.c.set_vault_access_policy(
        accountId="-", vaultName=v, policy={"Policy": deny_policy(v)}))


def sc_get_vault_access_policy(x: Ctx):
    v = x.new_vault()
    x.c.set_vault_access_policy(accountId="-", vaultName=v, policy={"Policy": deny_policy(v)})
    x.call("GetVaultAccessPolicy", lambda: x.c.get_vault_access_policy(accountId="-", vaultName=v))


def sc_delete_vault_access_policy(x: Ctx):
    v = x.new_vault()
    x.c.set_vault_access_policy(accountId="-", vaultName=v, policy={"Policy": deny_policy(v)})
    x.call("DeleteVaultAccessPolicy", lambda: x.c.delete_vault_access_policy(accountId="-", vaultName=v))


# ---- vault lock


def sc_initiate_vault_lock(x: Ctx):
    v = x.new_vault()
    x.call("InitiateVaultLock", lambda: x.c.initiate_vault_lock(
        accountId="-", vaultName=v, policy={"Policy": lock_policy(v)}), headers={"x-amz-lock-id": nonempty})


def sc_get_vault_lock(x: Ctx):
    v = x.new_vault()
    lock_id = x.c.initiate_vault_lock(accountId="-", vaultName=v, policy={"Policy": lock_policy(v)})["lockId"]
    x.call("GetVaultLock", lambda: x.c.get_vault_lock(accountId="-", vaultName=v), what="InProgress")
    x.c.complete_vault_lock(accountId="-", vaultName=v, lockId=lock_id)
    x.call("GetVaultLock", lambda: x.c.get_vault_lock(accountId="-", vaultName=v), what="Locked")


def sc_complete_vault_lock(x: Ctx):
    v = x.new_vault()
    lock_id = x.c.initiate_vault_lock(accountId="-", vaultName=v, policy={"Policy": lock_policy(v)})["lockId"]
    x.call("CompleteVaultLock", lambda: x.c.complete_vault_lock(accountId="-", vaultName=v, lockId=lock_id))


def sc_abort_vault_lock(x: Ctx):
    v = x.new_vault()
    x.c.initiate_vault_lock(accountId="-", vaultName=v, policy={"Policy": lock_policy(v)})
    x.call("AbortVaultLock", lambda: x.c.abort_vault_lock(accountId="-", vaultName=v))


# ---- notifications


EVENTS = ["ArchiveRetrievalCompleted", "InventoryRetrievalCompleted"]


def sc_set_vault_notifications(x: Ctx):
    v = x.new_vault()
    x.call("SetVaultNotifications", lambda: x.c.set_vault_notifications(
        accountId="-", vaultName=v, vaultNotificationConfig={"SNSTopic": topic_arn(), "Events": EVENTS}))


def sc_get_vault_notifications(x: Ctx):
    v = x.new_vault()
    x.c.set_vault_notifications(accountId="-", vaultName=v,
                                vaultNotificationConfig={"SNSTopic": topic_arn(), "Events": EVENTS})
    x.call("GetVaultNotifications", lambda: x.c.get_vault_notifications(accountId="-", vaultName=v))


def sc_delete_vault_notifications(x: Ctx):
    v = x.new_vault()
    x.c.set_vault_notifications(accountId="-", vaultName=v,
                                vaultNotificationConfig={"SNSTopic": topic_arn(), "Events": EVENTS})
    x.call("DeleteVaultNotifications", lambda: x.c.delete_vault_notifications(accountId="-", vaultName=v))


# ---- tags


def sc_add_tags_to_vault(x: Ctx):
    v = x.new_vault()
    x.call("AddTagsToVault", lambda: x.c.add_tags_to_vault(accountId="-", vaultName=v,
                                                           Tags={"env": "test", "empty": ""}))


def sc_list_tags_for_vault(x: Ctx):
    v = x.new_vault()
    x.call("ListTagsForVault", lambda: x.c.list_tags_for_vault(accountId="-", vaultName=v))  # no tags
    x.c.add_tags_to_vault(accountId="-", vaultName=v, Tags={"env": "test", "team": "storage"})
    x.call("ListTagsForVault", lambda: x.c.list_tags_for_vault(accountId="-", vaultName=v))


def sc_remove_tags_from_vault(x: Ctx):
    v = x.new_vault()
    x.c.add_tags_to_vault(accountId="-", vaultName=v, Tags={"env": "test"})
    x.call("RemoveTagsFromVault", lambda: x.c.remove_tags_from_vault(accountId="-", vaultName=v,
                                                                     TagKeys=["env", "absent"]))


# ---- data retrieval policy and provisioned capacity (account-wide: own accounts)


def sc_get_data_retrieval_policy(x: Ctx):
    c = x.own_account()
    x.call("GetDataRetrievalPolicy", lambda: c.get_data_retrieval_policy(accountId="-"))   # the default
    c.set_data_retrieval_policy(accountId="-", Policy={"Rules": [{"Strategy": "BytesPerHour",
                                                                  "BytesPerHour": 10 * MIB}]})
    x.call("GetDataRetrievalPolicy", lambda: c.get_data_retrieval_policy(accountId="-"))


def sc_set_data_retrieval_policy(x: Ctx):
    c = x.own_account()
    x.call("SetDataRetrievalPolicy", lambda: c.set_data_retrieval_policy(
        accountId="-", Policy={"Rules": [{"Strategy": "FreeTier"}]}))


def sc_purchase_provisioned_capacity(x: Ctx):
    c = x.own_account()
    x.call("PurchaseProvisionedCapacity", lambda: c.purchase_provisioned_capacity(accountId="-"),
           headers={"x-amz-capacity-id": nonempty})


def sc_list_provisioned_capacity(x: Ctx):
    c = x.own_account()
    x.call("ListProvisionedCapacity", lambda: c.list_provisioned_capacity(accountId="-"))   # empty
    c.purchase_provisioned_capacity(accountId="-")
    x.call("ListProvisionedCapacity", lambda: c.list_provisioned_capacity(accountId="-"))


SCENARIOS = [
    ("AbortMultipartUpload", sc_abort_multipart_upload),
    ("AbortVaultLock", sc_abort_vault_lock),
    ("AddTagsToVault", sc_add_tags_to_vault),
    ("CompleteMultipartUpload", sc_complete_multipart_upload),
    ("CompleteVaultLock", sc_complete_vault_lock),
    ("CreateVault", sc_create_vault),
    ("DeleteArchive", sc_delete_archive),
    ("DeleteVault", sc_delete_vault),
    ("DeleteVaultAccessPolicy", sc_delete_vault_access_policy),
    ("DeleteVaultNotifications", sc_delete_vault_notifications),
    ("DescribeJob", sc_describe_job),
    ("DescribeJob-in-progress", sc_describe_job_in_progress),
    ("DescribeVault", sc_describe_vault_new),
    ("DescribeVault-inventoried", sc_describe_vault_inventoried),
    ("GetDataRetrievalPolicy", sc_get_data_retrieval_policy),
    ("GetJobOutput", sc_get_job_output),
    ("GetVaultAccessPolicy", sc_get_vault_access_policy),
    ("GetVaultLock", sc_get_vault_lock),
    ("GetVaultNotifications", sc_get_vault_notifications),
    ("InitiateJob", sc_initiate_job),
    ("InitiateMultipartUpload", sc_initiate_multipart_upload),
    ("InitiateVaultLock", sc_initiate_vault_lock),
    ("ListJobs", sc_list_jobs),
    ("ListMultipartUploads", sc_list_multipart_uploads),
    ("ListParts", sc_list_parts),
    ("ListProvisionedCapacity", sc_list_provisioned_capacity),
    ("ListTagsForVault", sc_list_tags_for_vault),
    ("ListVaults", sc_list_vaults),
    ("PurchaseProvisionedCapacity", sc_purchase_provisioned_capacity),
    ("RemoveTagsFromVault", sc_remove_tags_from_vault),
    ("SetDataRetrievalPolicy", sc_set_data_retrieval_policy),
    ("SetVaultAccessPolicy", sc_set_vault_access_policy),
    ("SetVaultNotifications", sc_set_vault_notifications),
    ("UploadArchive", sc_upload_archive),
    ("UploadMultipartPart", sc_upload_multipart_part),
]


@pytest.fixture(scope="module")
def recorder():
    return Recorder()


@pytest.fixture(scope="module")
def shapes_client(endpoint, recorder):
    """A client of its own (the session's `glacier` client stays unhooked)."""
    return recorder.attach(make_client(endpoint))


@pytest.fixture
def ctx(shapes_client, recorder, endpoint, fresh_server, vault_name):
    return Ctx(shapes_client, recorder, endpoint, fresh_server, vault_name)


def test_every_operation_has_a_scenario():
    assert len(ALL_OPERATIONS) == 33
    covered = {name.split("-")[0] for name, _ in SCENARIOS}
    assert covered == set(ALL_OPERATIONS), (
        f"missing: {sorted(set(ALL_OPERATIONS) - covered)}, unknown: {sorted(covered - set(ALL_OPERATIONS))}")


@pytest.mark.parametrize("name,scenario", SCENARIOS, ids=[n for n, _ in SCENARIOS])
def test_success_response_matches_model(ctx, name, scenario):
    scenario(ctx)
    operation = name.split("-")[0]
    assert operation in ctx.checked, f"the scenario made no checked {operation} call"
    assert not ctx.problems, (f"{len(ctx.problems)} disagreement(s) with the model or the Developer Guide:\n  "
                              + "\n  ".join(ctx.problems))


# ==================================================================== errors


def er_missing_vault_describe(x: Ctx):
    name = x.vault_name("missing")
    x.error("DescribeVault", lambda: x.c.describe_vault(accountId="-", vaultName=name),
            "ResourceNotFoundException")


def er_missing_vault_upload(x: Ctx):
    name = x.vault_name("missing")
    x.error("UploadArchive", lambda: x.c.upload_archive(accountId="-", vaultName=name, body=b"x"),
            "ResourceNotFoundException")


def er_missing_job_output(x: Ctx):
    v = x.new_vault()
    x.error("GetJobOutput", lambda: x.c.get_job_output(accountId="-", vaultName=v, jobId="no-such-job"),
            "ResourceNotFoundException")


def er_invalid_status_code(x: Ctx):
    # api-error-responses.md, example 2: List Jobs with statuscode=finished
    v = x.new_vault()
    x.error("ListJobs", lambda: x.c.list_jobs(accountId="-", vaultName=v, statuscode="finished"),
            "InvalidParameterValueException")


def er_invalid_part_size(x: Ctx):
    v = x.new_vault()
    x.error("InitiateMultipartUpload", lambda: x.c.initiate_multipart_upload(
        accountId="-", vaultName=v, partSize=str(3 * MIB)), "InvalidParameterValueException")


def er_missing_part_size(x: Ctx):
    v = x.new_vault()
    x.error("InitiateMultipartUpload", lambda: x.c.initiate_multipart_upload(accountId="-", vaultName=v),
            "MissingParameterValueException")


def er_missing_archive_size(x: Ctx):
    v = x.new_vault()
    uid = initiate(x, v)
    data = blob("missing-size", 100)
    upload_part(x, v, uid, 0, data)
    x.error("CompleteMultipartUpload", lambda: x.c.complete_multipart_upload(
        accountId="-", vaultName=v, uploadId=uid, checksum=tree_hash(data)), "MissingParameterValueException")


def er_access_denied(x: Ctx):
    v = x.new_vault()
    aid = x.archive(v, b"protected")
    x.c.set_vault_access_policy(accountId="-", vaultName=v, policy={"Policy": deny_policy(v)})
    x.error("DeleteArchive", lambda: x.c.delete_archive(accountId="-", vaultName=v, archiveId=aid),
            "AccessDeniedException")


def er_capacity_limit(x: Ctx):
    c = x.own_account()
    c.purchase_provisioned_capacity(accountId="-")
    c.purchase_provisioned_capacity(accountId="-")
    x.error("PurchaseProvisionedCapacity", lambda: c.purchase_provisioned_capacity(accountId="-"),
            "LimitExceededException")


def er_policy_enforced(x: Ctx):
    c = x.own_account()
    v = x.new_vault(c)
    aid = x.archive(v, blob("enforced", 2 * MIB), client=c)
    c.set_data_retrieval_policy(accountId="-", Policy={"Rules": [{"Strategy": "BytesPerHour", "BytesPerHour": MIB}]})
    x.error("InitiateJob", lambda: c.initiate_job(accountId="-", vaultName=v, jobParameters={
        "Type": "archive-retrieval", "ArchiveId": aid}), "PolicyEnforcedException")


ERRORS = [
    ("404-DescribeVault-missing-vault", er_missing_vault_describe),
    ("404-UploadArchive-missing-vault", er_missing_vault_upload),
    ("404-GetJobOutput-missing-job", er_missing_job_output),
    ("400-ListJobs-invalid-statuscode", er_invalid_status_code),
    ("400-InitiateMultipartUpload-invalid-part-size", er_invalid_part_size),
    ("400-InitiateMultipartUpload-missing-part-size", er_missing_part_size),
    ("400-CompleteMultipartUpload-missing-archive-size", er_missing_archive_size),
    ("403-DeleteArchive-denied-by-access-policy", er_access_denied),
    ("400-PurchaseProvisionedCapacity-limit", er_capacity_limit),
    ("400-InitiateJob-policy-enforced", er_policy_enforced),
]


@pytest.mark.parametrize("name,scenario", ERRORS, ids=[n for n, _ in ERRORS])
def test_error_response_matches_model(ctx, name, scenario):
    scenario(ctx)
    assert not ctx.problems, (f"{len(ctx.problems)} disagreement(s) with the model or the Developer Guide:\n  "
                              + "\n  ".join(ctx.problems))


# ==================================================================== the checker fails when it should


def _raw(op, body: dict | bytes, status=200, headers=None):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    h = {"content-type": "application/json"}
    h.update({k.lower(): v for k, v in (headers or {}).items()})
    return Raw(op, status, h, data)


GOOD_VAULT = {"VaultARN": f"{ARN}v", "VaultName": "v", "CreationDate": "2012-03-20T17:03:43.221Z",
              "LastInventoryDate": None, "NumberOfArchives": 0, "SizeInBytes": 0}
GOOD_JOB = {"JobId": "j", "Action": "InventoryRetrieval", "VaultARN": f"{ARN}v", "Completed": True,
            "StatusCode": "Succeeded", "CreationDate": "2012-03-20T17:03:43.221Z",
            "CompletionDate": "2012-03-20T17:03:44.221Z", "ArchiveId": None, "InventorySizeInBytes": 10,
            "InventoryRetrievalParameters": {"Format": "JSON"}}


def test_checker_accepts_well_formed_responses():
    assert check_success(_raw("DescribeVault", GOOD_VAULT)) == []
    assert check_success(_raw("DescribeJob", GOOD_JOB)) == []
    assert check_success(_raw("ListJobs", {"JobList": [GOOD_JOB], "Marker": None})) == []
    assert check_success(_raw("ListTagsForVault", {"Tags": {"a": "b"}})) == []
    assert check_success(_raw("DeleteVault", b"", status=204)) == []
    assert check_success(_raw("CreateVault", b"", status=201, headers={"Location": "/1/vaults/v"}),
                         headers={"Location": "/1/vaults/v"}) == []
    assert check_error(_raw("DescribeVault", {"code": "ResourceNotFoundException", "message": "m",
                                              "type": "Client"}, status=404), "ResourceNotFoundException") == []


@pytest.mark.parametrize("mutate,expect", [
    (lambda d: d.update(NumberOfArchive=d.pop("NumberOfArchives")), "unknown key 'NumberOfArchive'"),
    (lambda d: d.update(SizeInBytes="0"), "$.SizeInBytes: expected a JSON integer"),
    (lambda d: d.update(SizeInBytes=True), "$.SizeInBytes: expected a JSON integer"),
    (lambda d: d.update(VaultName=None), "$.VaultName: expected string"),
    (lambda d: d.update(CreationDate="2012-03-20 17:03:43"), "$.CreationDate: expected an ISO 8601 date"),
    (lambda d: d.update(VaultARN=["x"]), "$.VaultARN: expected a JSON string"),
], ids=["misspelled-key", "string-for-long", "bool-for-long", "null-not-sent-by-aws", "date-format",
        "array-for-string"])
def test_checker_rejects_mutated_vault(mutate, expect):
    doc = dict(GOOD_VAULT)
    mutate(doc)
    problems = check_success(_raw("DescribeVault", doc))
    assert any(expect in p for p in problems), problems


@pytest.mark.parametrize("mutate,expect", [
    (lambda d: d.update(Completed="true"), "$.Completed: expected a JSON boolean"),
    (lambda d: d.update(StatusCode="Done"), "$.StatusCode: expected one of StatusCode's values"),
    (lambda d: d["InventoryRetrievalParameters"].update(Formatt="JSON"),
     "$.InventoryRetrievalParameters.Formatt"),
    (lambda d: d.update(InventoryRetrievalParameters="JSON"),
     "$.InventoryRetrievalParameters: expected a JSON object"),
], ids=["string-for-boolean", "not-in-enum", "nested-misspelled-key", "string-for-structure"])
def test_checker_rejects_mutated_job(mutate, expect):
    doc = json.loads(json.dumps(GOOD_JOB))
    mutate(doc)
    problems = check_success(_raw("DescribeJob", doc))
    assert any(expect in p for p in problems), problems
    # the same job inside ListJobs: the path says where
    problems = check_success(_raw("ListJobs", {"JobList": [doc], "Marker": None}))
    assert any(expect.replace("$.", "$.JobList[0].") in p for p in problems), problems


def test_checker_rejects_wrong_containers_status_and_body():
    assert any("$.Tags['a']: expected a JSON string" in p
               for p in check_success(_raw("ListTagsForVault", {"Tags": {"a": 1}})))
    assert any("$.Tags: expected a JSON object" in p
               for p in check_success(_raw("ListTagsForVault", {"Tags": [["a", "b"]]})))
    assert any("$.JobList[0]: expected structure GlacierJobDescription; found null" in p
               for p in check_success(_raw("ListJobs", {"JobList": [None]})))
    assert any("HTTP status: expected 204" in p for p in check_success(_raw("DeleteVault", b"", status=200)))
    assert any("body: expected empty" in p for p in check_success(_raw("DeleteVault", b"{}", status=204)))
    assert any("Content-Type" in p for p in check_success(
        Raw("DescribeVault", 200, {"content-type": "text/plain"}, json.dumps(GOOD_VAULT).encode())))
    # a header-bound member sent in the body instead of its header
    problems = check_success(_raw("CreateVault", {"location": "/1/vaults/v"}, status=201),
                             headers={"Location": True})
    assert any("body: expected empty" in p for p in problems), problems
    assert any("header Location: expected present" in p for p in problems), problems


def test_checker_rejects_a_key_sent_twice():
    body = b'{"Tags": {"a": "b"}, "Tags": {}}'
    assert any("'Tags' twice" in p for p in check_success(_raw("ListTagsForVault", body)))


def test_checker_rejects_missing_or_wrong_headers():
    problems = check_success(_raw("UploadArchive", b"", status=201, headers={"Location": "/1/vaults/v/archives/a"}),
                             headers={"x-amz-archive-id": nonempty, "Location": True})
    assert any("header x-amz-archive-id: expected present" in p for p in problems), problems
    problems = check_success(_raw("UploadMultipartPart", b"", status=204, headers={"x-amz-sha256-tree-hash": "AB"}),
                             headers={"x-amz-sha256-tree-hash": hex64})
    assert any("header x-amz-sha256-tree-hash: expected a SHA-256" in p for p in problems), problems


def test_checker_rejects_missing_required_member():
    """No Glacier output shape has required members, so a shape with one is built here."""
    shape = botocore.model.ShapeResolver({
        "Out": {"type": "structure", "required": ["Id"], "members": {"Id": {"shape": "S"}, "N": {"shape": "L"}}},
        "S": {"type": "string"}, "L": {"type": "long"},
    }).get_shape_by_name("Out")
    checker = ShapeChecker("Synthetic")
    checker.structure({"N": 1}, shape, "$")
    assert any("$.Id: expected required member Out.Id present" in p for p in checker.problems), checker.problems
    checker = ShapeChecker("Synthetic")
    checker.structure({"Id": None, "N": 1}, shape, "$")
    assert any("a required member, never null" in p for p in checker.problems), checker.problems


@pytest.mark.parametrize("body,status,expect", [
    ({"code": "ResourceNotFoundException", "message": "m", "type": "Client", "extra": 1}, 404, "exactly the keys"),
    ({"code": "ResourceNotFoundException", "message": "m"}, 404, "exactly the keys"),
    ({"Code": "ResourceNotFoundException", "Message": "m", "Type": "Client"}, 404, "exactly the keys"),
    ({"code": "ResourceNotFoundException", "message": "m", "type": "Client"}, 400, "HTTP status: expected 404"),
    ({"code": "ResourceNotFoundException", "message": 5, "type": "Client"}, 404, "$.message: expected a JSON string"),
    ({"code": "ResourceNotFoundException", "message": "m", "type": "Server"}, 404, "$.type: expected 'Client'"),
    ({"code": "PolicyEnforcedException", "message": "m", "type": "Client"}, 400, "modeled errors"),
], ids=["extra-key", "missing-type", "capitalised-keys", "wrong-status", "int-message", "wrong-type",
        "code-not-modeled-for-operation"])
def test_checker_rejects_mutated_error_documents(body, status, expect):
    code = body.get("code") or "ResourceNotFoundException"
    problems = check_error(_raw("DescribeVault", body, status=status), code)
    assert any(expect in p for p in problems), problems
