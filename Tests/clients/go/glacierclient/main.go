// glacierclient drives a glacier-mock server with the official AWS SDK for Go (v1,
// github.com/aws/aws-sdk-go/service/glacier) through a realistic workflow and prints what it
// observed as JSON lines, one per step, on stdout. It prints facts, not verdicts: the
// conformance test (Tests/conformance/test_go_sdk.py) decides what they should be.
//
//	glacierclient [-vault NAME] [-debug] http://127.0.0.1:PORT
//
// Every line has "step"; a successful call adds "http_status" (the status code the SDK saw)
// and the fields the SDK parsed. A call expected to fail prints "error": {"code", "status",
// "message", "request_id"} from awserr. An unexpected failure prints {"step", "fatal": {...}}
// and exits 1.
//
// Built in GOPATH mode against Debian's packaged SDK (golang-github-aws-aws-sdk-go-dev):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o glacierclient ./Tests/clients/go/glacierclient
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/awserr"
	"github.com/aws/aws-sdk-go/aws/credentials"
	"github.com/aws/aws-sdk-go/aws/request"
	"github.com/aws/aws-sdk-go/aws/session"
	"github.com/aws/aws-sdk-go/service/glacier"
)

const mib = 1024 * 1024

// Sizes and seeds of the two archives; the test regenerates the same bytes in Python.
const (
	singleSize = 3*mib + 12345 // UploadArchive: four tree-hash leaves, the last one short
	singleSeed = 17
	partSize   = mib
	multiSize  = 2*mib + 300001 // three parts, the last one shorter
	multiSeed  = 101
	singleDesc = "go-sdk single archive"
	multiDesc  = "go-sdk multipart archive"
)

// content returns deterministic bytes: byte i = (i*7 + i>>20 + seed) mod 256
// (with seed 0 this is helpers.content_bytes of the conformance suite).
func content(size, seed int) []byte {
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(i*7 + i>>20 + seed)
	}
	return b
}

func emit(fields map[string]interface{}) {
	line, err := json.Marshal(fields)
	if err != nil {
		fmt.Fprintf(os.Stderr, "glacierclient: cannot encode %v: %v\n", fields, err)
		os.Exit(2)
	}
	os.Stdout.Write(append(line, '\n'))
}

// errFields is what awserr exposes about a failed call.
func errFields(err error) map[string]interface{} {
	f := map[string]interface{}{"go_type": fmt.Sprintf("%T", err), "error": err.Error()}
	if ae, ok := err.(awserr.Error); ok {
		f["code"] = ae.Code()
		f["message"] = ae.Message()
		if ae.OrigErr() != nil {
			f["orig_err"] = ae.OrigErr().Error()
		}
	}
	if rf, ok := err.(awserr.RequestFailure); ok {
		f["status"] = rf.StatusCode()
		f["request_id"] = rf.RequestID()
	}
	return f
}

func fatal(step string, err error) {
	emit(map[string]interface{}{"step": step, "fatal": errFields(err)})
	os.Exit(1)
}

// send runs a prepared SDK request and returns the HTTP status the SDK saw.
func send(step string, req *request.Request) int {
	if err := req.Send(); err != nil {
		fatal(step, err)
	}
	return req.HTTPResponse.StatusCode
}

// sentHashes are the checksum headers the SDK's Glacier customization put on the request.
func sentHashes(req *request.Request) map[string]interface{} {
	return map[string]interface{}{
		"sent_tree_hash":      req.HTTPRequest.Header.Get("X-Amz-Sha256-Tree-Hash"),
		"sent_content_sha256": req.HTTPRequest.Header.Get("X-Amz-Content-Sha256"),
	}
}

func str(p *string) interface{} {
	if p == nil {
		return nil
	}
	return *p
}

func i64(p *int64) interface{} {
	if p == nil {
		return nil
	}
	return *p
}

func boolean(p *bool) interface{} {
	if p == nil {
		return nil
	}
	return *p
}

func sha256hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func distinct(xs []string) map[string]bool {
	m := map[string]bool{}
	for _, x := range xs {
		m[x] = true
	}
	return m
}

func jobFields(j *glacier.JobDescription) map[string]interface{} {
	return map[string]interface{}{
		"job_id": str(j.JobId), "action": str(j.Action), "status_code": str(j.StatusCode),
		"completed": boolean(j.Completed), "archive_id": str(j.ArchiveId),
		"archive_size": i64(j.ArchiveSizeInBytes), "archive_tree_hash": str(j.ArchiveSHA256TreeHash),
		"sha256_tree_hash": str(j.SHA256TreeHash), "retrieval_byte_range": str(j.RetrievalByteRange),
		"tier": str(j.Tier), "vault_arn": str(j.VaultARN), "creation_date": str(j.CreationDate),
		"completion_date": str(j.CompletionDate), "status_message": str(j.StatusMessage),
	}
}

func main() {
	vault := flag.String("vault", "", "vault to create (default: a unique go-sdk-… name)")
	debug := flag.Bool("debug", false, "log every HTTP request and response (with bodies) to stderr")
	pollTimeout := flag.Duration("job-timeout", 60*time.Second, "how long to wait for the retrieval job")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: glacierclient [-vault NAME] [-debug] ENDPOINT_URL")
		os.Exit(2)
	}
	endpoint := flag.Arg(0)
	if *vault == "" {
		*vault = fmt.Sprintf("go-sdk-%x", time.Now().UnixNano())
	}

	cfg := aws.NewConfig().
		WithRegion("us-east-1").
		WithEndpoint(endpoint).
		WithDisableSSL(true).
		WithCredentials(credentials.NewStaticCredentials("test", "test", "")).
		WithMaxRetries(0).
		WithHTTPClient(&http.Client{Timeout: 60 * time.Second})
	if *debug {
		cfg = cfg.WithLogLevel(aws.LogDebugWithHTTPBody).
			WithLogger(aws.LoggerFunc(func(args ...interface{}) { fmt.Fprintln(os.Stderr, args...) }))
	}
	sess, err := session.NewSession(cfg)
	if err != nil {
		fatal("session", err)
	}
	svc := glacier.New(sess)
	emit(map[string]interface{}{"step": "start", "sdk": aws.SDKName, "sdk_version": aws.SDKVersion,
		"endpoint": endpoint, "vault": *vault})

	// CreateVault
	{
		req, out := svc.CreateVaultRequest(&glacier.CreateVaultInput{VaultName: vault})
		status := send("create_vault", req)
		emit(map[string]interface{}{"step": "create_vault", "http_status": status, "location": str(out.Location)})
	}
	// The SDK's waiter (DescribeVault until it succeeds; a 404 means "retry").
	{
		err := svc.WaitUntilVaultExists(&glacier.DescribeVaultInput{VaultName: vault})
		f := map[string]interface{}{"step": "wait_vault_exists", "ok": err == nil}
		if err != nil {
			f["error"] = errFields(err)
		}
		emit(f)
	}

	// UploadArchive in one request; the SDK adds both checksum headers itself.
	single := content(singleSize, singleSeed)
	var singleID string
	{
		h := glacier.ComputeHashes(bytes.NewReader(single))
		req, out := svc.UploadArchiveRequest(&glacier.UploadArchiveInput{
			VaultName: vault, ArchiveDescription: aws.String(singleDesc), Body: bytes.NewReader(single),
		})
		status := send("upload_archive", req)
		singleID = aws.StringValue(out.ArchiveId)
		f := map[string]interface{}{"step": "upload_archive", "http_status": status,
			"archive_id": str(out.ArchiveId), "checksum": str(out.Checksum), "location": str(out.Location),
			"size": len(single), "local_tree_hash": hex.EncodeToString(h.TreeHash),
			"local_linear_hash": hex.EncodeToString(h.LinearHash)}
		for k, v := range sentHashes(req) {
			f[k] = v
		}
		emit(f)
	}

	// Multipart upload: 1 MiB parts, three of them (the last shorter), sent concurrently.
	multi := content(multiSize, multiSeed)
	var uploadID string
	{
		req, out := svc.InitiateMultipartUploadRequest(&glacier.InitiateMultipartUploadInput{
			VaultName: vault, PartSize: aws.String(fmt.Sprint(partSize)), ArchiveDescription: aws.String(multiDesc),
		})
		status := send("initiate_multipart_upload", req)
		uploadID = aws.StringValue(out.UploadId)
		emit(map[string]interface{}{"step": "initiate_multipart_upload", "http_status": status,
			"upload_id": str(out.UploadId), "location": str(out.Location)})
	}
	var leafHashes [][]byte
	{
		type result struct {
			fields map[string]interface{}
			err    error
		}
		nparts := (multiSize + partSize - 1) / partSize
		results := make([]result, nparts)
		var wg sync.WaitGroup
		for p := 0; p < nparts; p++ {
			first := p * partSize
			last := first + partSize
			if last > multiSize {
				last = multiSize
			}
			part := multi[first:last]
			h := glacier.ComputeHashes(bytes.NewReader(part))
			leafHashes = append(leafHashes, h.TreeHash) // a part of at most 1 MiB is one leaf
			wg.Add(1)
			go func(p, first, last int, part []byte, h glacier.Hash) {
				defer wg.Done()
				rng := fmt.Sprintf("bytes %d-%d/*", first, last-1)
				req, out := svc.UploadMultipartPartRequest(&glacier.UploadMultipartPartInput{
					VaultName: vault, UploadId: aws.String(uploadID), Range: aws.String(rng),
					Body: bytes.NewReader(part),
				})
				if err := req.Send(); err != nil {
					results[p].err = err
					return
				}
				f := map[string]interface{}{"step": "upload_part", "part": p,
					"http_status": req.HTTPResponse.StatusCode, "range": rng, "size": len(part),
					"checksum": str(out.Checksum), "local_tree_hash": hex.EncodeToString(h.TreeHash)}
				for k, v := range sentHashes(req) {
					f[k] = v
				}
				results[p].fields = f
			}(p, first, last, part, h)
		}
		wg.Wait()
		for _, r := range results {
			if r.err != nil {
				fatal("upload_part", r.err)
			}
			emit(r.fields)
		}
	}
	{
		req, out := svc.ListPartsRequest(&glacier.ListPartsInput{VaultName: vault, UploadId: aws.String(uploadID)})
		status := send("list_parts", req)
		parts := []map[string]interface{}{}
		for _, p := range out.Parts {
			parts = append(parts, map[string]interface{}{
				"range": str(p.RangeInBytes), "tree_hash": str(p.SHA256TreeHash)})
		}
		emit(map[string]interface{}{"step": "list_parts", "http_status": status,
			"upload_id": str(out.MultipartUploadId), "part_size": i64(out.PartSizeInBytes),
			"archive_description": str(out.ArchiveDescription), "vault_arn": str(out.VaultARN),
			"creation_date": str(out.CreationDate), "marker": str(out.Marker), "parts": parts})
	}
	var multiID string
	{
		treeHash := hex.EncodeToString(glacier.ComputeTreeHash(leafHashes))
		whole := glacier.ComputeHashes(bytes.NewReader(multi))
		req, out := svc.CompleteMultipartUploadRequest(&glacier.CompleteMultipartUploadInput{
			VaultName: vault, UploadId: aws.String(uploadID),
			ArchiveSize: aws.String(fmt.Sprint(multiSize)), Checksum: aws.String(treeHash),
		})
		status := send("complete_multipart_upload", req)
		multiID = aws.StringValue(out.ArchiveId)
		emit(map[string]interface{}{"step": "complete_multipart_upload", "http_status": status,
			"archive_id": str(out.ArchiveId), "checksum": str(out.Checksum), "location": str(out.Location),
			"size": multiSize, "sent_checksum": treeHash,
			"local_tree_hash":   hex.EncodeToString(whole.TreeHash),
			"local_linear_hash": hex.EncodeToString(whole.LinearHash)})
	}

	// A day passes for the vault's inventory (POST /_mock/inventory takes it now): DescribeVault
	// counts archives as of the vault's last inventory, as Glacier does.
	{
		body := fmt.Sprintf(`{"VaultName":%q}`, *vault)
		resp, err := http.Post(endpoint+"/_mock/inventory", "application/json", strings.NewReader(body))
		if err != nil {
			fatal("inventory", err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			fatal("inventory", fmt.Errorf("POST /_mock/inventory answered %d", resp.StatusCode))
		}
	}

	// DescribeVault
	{
		req, out := svc.DescribeVaultRequest(&glacier.DescribeVaultInput{VaultName: vault})
		status := send("describe_vault", req)
		emit(map[string]interface{}{"step": "describe_vault", "http_status": status,
			"vault_name": str(out.VaultName), "vault_arn": str(out.VaultARN),
			"creation_date": str(out.CreationDate), "last_inventory_date": str(out.LastInventoryDate),
			"number_of_archives": i64(out.NumberOfArchives), "size_in_bytes": i64(out.SizeInBytes)})
	}

	// Two ThrottlingExceptions injected for this vault's DescribeVault (POST /_mock/faults):
	// the SDK's default retryer must recognise them and ride them out.
	{
		rule := fmt.Sprintf(`{"Operation":"DescribeVault","Code":"ThrottlingException","Count":2,"VaultName":%q}`, *vault)
		resp, err := http.Post(endpoint+"/_mock/faults", "application/json", strings.NewReader(rule))
		if err != nil {
			fatal("describe_vault_throttled", err)
		}
		resp.Body.Close()
		// The workflow's client makes one attempt per call; this one the SDK's default three retries.
		retrying := glacier.New(sess, aws.NewConfig().WithMaxRetries(3))
		req, out := retrying.DescribeVaultRequest(&glacier.DescribeVaultInput{VaultName: vault})
		status := send("describe_vault_throttled", req)
		emit(map[string]interface{}{"step": "describe_vault_throttled", "fault_status": resp.StatusCode,
			"http_status": status, "retry_count": req.RetryCount, "vault_name": str(out.VaultName)})
	}

	// Retrieval job for the multipart archive, polled with DescribeJob until it completes.
	var jobID string
	{
		req, out := svc.InitiateJobRequest(&glacier.InitiateJobInput{VaultName: vault,
			JobParameters: &glacier.JobParameters{Type: aws.String("archive-retrieval"),
				ArchiveId: aws.String(multiID), Description: aws.String("go-sdk retrieval")}})
		status := send("initiate_job", req)
		jobID = aws.StringValue(out.JobId)
		emit(map[string]interface{}{"step": "initiate_job", "http_status": status, "job_id": str(out.JobId),
			"location": str(out.Location), "job_output_path": str(out.JobOutputPath)})
	}
	{
		start := time.Now()
		var statuses []string
		var last *glacier.JobDescription
		var status int
		for {
			req, out := svc.DescribeJobRequest(&glacier.DescribeJobInput{VaultName: vault, JobId: aws.String(jobID)})
			status = send("describe_job", req)
			last = out
			s := aws.StringValue(out.StatusCode)
			if len(statuses) == 0 || statuses[len(statuses)-1] != s {
				statuses = append(statuses, s)
			}
			if aws.BoolValue(out.Completed) || s != "InProgress" || time.Since(start) > *pollTimeout {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		f := jobFields(last)
		f["step"] = "describe_job"
		f["http_status"] = status
		f["statuses_seen"] = statuses
		f["waited_seconds"] = time.Since(start).Seconds()
		emit(f)
	}

	// GetJobOutput: the whole archive, then its second MiB (a tree-hash-aligned range).
	for _, rng := range []string{"", fmt.Sprintf("bytes=%d-%d", mib, 2*mib-1)} {
		in := &glacier.GetJobOutputInput{VaultName: vault, JobId: aws.String(jobID)}
		if rng != "" {
			in.Range = aws.String(rng)
		}
		req, out := svc.GetJobOutputRequest(in)
		status := send("get_job_output", req)
		body, err := io.ReadAll(out.Body)
		out.Body.Close()
		if err != nil {
			fatal("get_job_output", err)
		}
		emit(map[string]interface{}{"step": "get_job_output", "range": rng, "http_status": status,
			"status": i64(out.Status), "checksum": str(out.Checksum), "content_range": str(out.ContentRange),
			"content_type": str(out.ContentType), "accept_ranges": str(out.AcceptRanges),
			"archive_description": str(out.ArchiveDescription), "length": len(body), "sha256": sha256hex(body),
			"body_tree_hash": hex.EncodeToString(glacier.ComputeHashes(bytes.NewReader(body)).TreeHash)})
	}

	// An upload whose tree hash is wrong: a Checksum field replaces the SDK's own tree hash
	// (the SigV4 signer still adds X-Amz-Content-Sha256, the body's real SHA-256).
	{
		data := content(4096, 3)
		req, out := svc.UploadArchiveRequest(&glacier.UploadArchiveInput{
			VaultName: vault, Body: bytes.NewReader(data),
			Checksum: aws.String("0000000000000000000000000000000000000000000000000000000000000000"),
		})
		err := req.Send()
		f := map[string]interface{}{"step": "upload_archive_wrong_checksum", "size": len(data)}
		for k, v := range sentHashes(req) {
			f[k] = v
		}
		if err != nil {
			f["error"] = errFields(err)
		} else {
			f["http_status"] = req.HTTPResponse.StatusCode
			f["archive_id"] = str(out.ArchiveId)
		}
		emit(f)
	}

	// DeleteArchive (the single-request archive)
	{
		req, _ := svc.DeleteArchiveRequest(&glacier.DeleteArchiveInput{
			VaultName: vault, ArchiveId: aws.String(singleID)})
		status := send("delete_archive", req)
		emit(map[string]interface{}{"step": "delete_archive", "http_status": status, "archive_id": singleID})
	}

	// DescribeVault on a vault that does not exist.
	{
		missing := *vault + "-missing"
		req, _ := svc.DescribeVaultRequest(&glacier.DescribeVaultInput{VaultName: aws.String(missing)})
		err := req.Send()
		f := map[string]interface{}{"step": "describe_missing_vault", "vault": missing}
		if err != nil {
			f["error"] = errFields(err)
		} else {
			f["http_status"] = req.HTTPResponse.StatusCode
		}
		emit(f)
	}
	// The SDK's other waiter, which succeeds on ResourceNotFoundException.
	{
		err := svc.WaitUntilVaultNotExists(&glacier.DescribeVaultInput{VaultName: aws.String(*vault + "-missing")})
		f := map[string]interface{}{"step": "wait_vault_not_exists", "ok": err == nil}
		if err != nil {
			f["error"] = errFields(err)
		}
		emit(f)
	}

	// The same DescribeVault signed with a wrong secret: accepted by a server with --auth none,
	// refused by one with --auth sigv4.
	{
		wrong := credentials.NewStaticCredentials("test", "wrong-secret", "")
		bad := glacier.New(sess, aws.NewConfig().WithCredentials(wrong))
		req, _ := bad.DescribeVaultRequest(&glacier.DescribeVaultInput{VaultName: vault})
		err := req.Send()
		f := map[string]interface{}{"step": "describe_vault_wrong_secret"}
		if err != nil {
			f["error"] = errFields(err)
		} else {
			f["http_status"] = req.HTTPResponse.StatusCode
		}
		emit(f)
	}

	// ListVaults through the SDK's paginator (Glacier pages 10 vaults at a time by default).
	{
		var names []string
		pages := 0
		err := svc.ListVaultsPages(&glacier.ListVaultsInput{}, func(page *glacier.ListVaultsOutput, _ bool) bool {
			pages++
			for _, v := range page.VaultList {
				names = append(names, aws.StringValue(v.VaultName))
			}
			return true
		})
		if err != nil {
			fatal("list_vaults", err)
		}
		found := false
		for _, n := range names {
			found = found || n == *vault
		}
		emit(map[string]interface{}{"step": "list_vaults", "pages": pages, "count": len(names),
			"distinct": len(distinct(names)), "sorted": sort.StringsAreSorted(names), "contains_vault": found})
	}
	emit(map[string]interface{}{"step": "done"})
}
